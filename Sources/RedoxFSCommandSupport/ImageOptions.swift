#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RedoxFS

/// Options shared by every tool that opens an existing image.
public struct ImageOptions: ParsableArguments {
    @Argument(help: "The RedoxFS image file or block device.")
    public var image: String

    @Option(name: .long, help: "Read the password of an encrypted image from this file.")
    public var passwordFile: String?

    @Option(name: .long, help: "Byte offset of the file system inside the image (a partition).")
    public var offset: UInt64 = 0

    @Option(name: .long, help: "Block (4096 bytes, hexadecimal) where the header ring starts; default: scan.")
    public var block: String?

    public init() {}

    /// Opens the image, asking for a password when it is encrypted; `generation` opens an older
    /// generation of the header ring (read-only).
    public func open(readOnly: Bool = true, tool: String, generation: UInt64? = nil) throws(FileSystemError) -> FileSystem {
        var startBlock: UInt64?
        if let block {
            guard let value = UInt64(block.hasPrefix("0x") ? String(block.dropFirst(2)) : block, radix: 16) else {
                throw .invalidArgument("--block takes a hexadecimal block number, not '\(block)'")
            }
            startBlock = value
        }
        do {
            return try FileSystem(path: image, readOnly: readOnly, byteOffset: offset, startBlock: startBlock, generation: generation)
        } catch .format(.passwordRequired) {
            let password = try PasswordInput.read(file: passwordFile, prompt: "\(tool): password: ")
            return try FileSystem(
                path: image, readOnly: readOnly, byteOffset: offset, startBlock: startBlock, password: password,
                generation: generation)
        }
    }
}

/// `--generation N`: for the tools that read an image, an older generation of its header ring.
public struct GenerationOption: ParsableArguments {
    @Option(
        name: .long,
        help: "Read this older generation of the header ring, as it was (see redoxfs-fsck's ring listing).")
    public var generation: UInt64?

    public init() {}
}

/// Prints `error` about the image at `path` on standard error, naming the path once
/// (`FileSystemError.message(about:)`), prefixed with the tool's name, and exits with status 1.
public func exitWithError(_ tool: String, image path: String, _ error: any Error) -> Never {
    guard let error = error as? FileSystemError else { exitWithError(tool, "\(path): \(error)") }
    exitWithError(tool, error.message(about: path))
}

/// Prints `message` on standard error prefixed with the tool's name and exits with `code`.
public func exitWithError(_ tool: String, _ message: String, code: Int32 = 1) -> Never {
    let text = "\(tool): \(message)\n"
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(code)
}
