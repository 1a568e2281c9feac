#if canImport(Glibc)
import Glibc
#endif

extension Installer {
    /// Replaces the file `path` (write_bootloader) with the UEFI loader `efi`, once the output
    /// (open as `output`) is locked and before anything is written to it; a pipe is written to.
    /// Refused, `path` left as it was: a FIFO with no reader, a file with a file system a redoxfs
    /// mount or tool is writing (`HostFiles.openForReplacing(_:check:)`), and the output itself
    /// (which the installation replaces), whatever name reaches it (a link, another node of the
    /// same block device). A file that was missing is made; a write that fails leaves it cut. A
    /// pipe whose reader has gone is EPIPE only while SIGPIPE is ignored (the tool ignores it; a
    /// library caller must do so itself).
    func writeBootloader(_ efi: [UInt8], to path: String, output: Int32) throws(InstallerError) {
        var outputInfo = stat()
        guard fstat(output, &outputInfo) == 0 else { throw .host(operation: "stat", path: options.output, errno: errno) }
        let outputPath = options.output
        let file = try HostFiles.openForReplacing(path) { (info: stat) throws(InstallerError) in
            if HostFiles.sameFile(info, outputInfo) {
                let name = path == outputPath ? "" : " (\(path))"
                throw .unsafeTarget("write_bootloader names the output \(outputPath) itself\(name); it must be another file")
            }
        }
        defer { close(file) }
        try HostFiles.replace(file, with: efi, path: path)
    }
}
