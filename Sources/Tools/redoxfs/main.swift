#if canImport(Glibc)
import Glibc
#endif
import RedoxFSFuse

// `redoxfs [-f|-d] [-o OPTIONS] (DISK | --uuid UUID) MOUNTPOINT [BLOCK]`: mounts a RedoxFS file
// system through FUSE (see `redoxfs --help`).
do {
    let configuration = try MountCommandLine.parse(Array(CommandLine.arguments.dropFirst()))
    exit(MountDaemon.run(configuration))
} catch .information(let text) {
    print(text)
    exit(0)
} catch {
    let message = "redoxfs: \(error)\n"
    _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(2)
}
