#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

extension PasswordInput {
    /// The password of a file system about to be made on `device` (`readNew(file:prompt:confirmation:)`
    /// with `tool`'s prompts) when `encrypt` is set or a password file is given; nil otherwise.
    /// `device` (which holds the image write lock) is closed when the reading fails.
    public static func readNew(
        for device: FileDevice, encrypt: Bool, file: String?, tool: String
    ) throws(FileSystemError) -> [UInt8]? {
        guard encrypt || file != nil else { return nil }
        do throws(FileSystemError) {
            return try readNew(file: file, prompt: "\(tool): password: ", confirmation: "\(tool): repeat password: ")
        } catch {
            device.close()
            throw error
        }
    }

    /// Reads a password being set (mkfs --encrypt, a new key slot): from `file`, else one line of
    /// standard input when it is not a terminal, else prompted twice on the terminal with echo off
    /// (the two must match). An empty password is refused.
    public static func readNew(file: String?, prompt: String, confirmation: String) throws(FileSystemError) -> [UInt8] {
        let password: [UInt8]
        if file != nil || isatty(STDIN_FILENO) == 0 {
            password = try read(file: file, prompt: prompt)
        } else {
            password = try promptWithoutEcho(prompt)
            guard !password.isEmpty else { throw .invalidArgument("the password must not be empty") }
            guard try promptWithoutEcho(confirmation) == password else {
                throw .invalidArgument("the passwords do not match")
            }
        }
        guard !password.isEmpty else { throw .invalidArgument("the password must not be empty") }
        return password
    }
}

extension ImageOptions {
    /// Opens the image like `open(readOnly:tool:)`, asking for the password with `prompt`, and
    /// also returns the password it used (nil for an unencrypted image). With `device` (the
    /// image already opened at `offset`, e.g. by `DiskFile.grow(_:to:byteOffset:)`, which keeps
    /// its write lock) the file system is opened on it, and it is closed when this throws.
    public func openKeepingPassword(
        readOnly: Bool, prompt: String, device: FileDevice? = nil
    ) throws(FileSystemError) -> (FileSystem, [UInt8]?) {
        if let device { return try openKeepingPassword(device, readOnly: readOnly, prompt: prompt) }
        let start = try startBlock()
        do {
            return (try FileSystem(path: image, readOnly: readOnly, byteOffset: offset, startBlock: start), nil)
        } catch .format(.passwordRequired) {
            let password = try PasswordInput.read(file: passwordFile, prompt: prompt)
            let fs = try FileSystem(path: image, readOnly: readOnly, byteOffset: offset, startBlock: start, password: password)
            return (fs, password)
        }
    }

    /// `openKeepingPassword(readOnly:prompt:device:)` on `device`.
    private func openKeepingPassword(
        _ device: FileDevice, readOnly: Bool, prompt: String
    ) throws(FileSystemError) -> (FileSystem, [UInt8]?) {
        do throws(FileSystemError) {
            let start = try startBlock()
            do {
                return (try FileSystem(device: device, startBlock: start, writable: !readOnly), nil)
            } catch .format(.passwordRequired) {
                let password = try PasswordInput.read(file: passwordFile, prompt: prompt)
                return (try FileSystem(device: device, startBlock: start, password: password, writable: !readOnly), password)
            }
        } catch {
            device.close()
            throw error
        }
    }

    /// The start block given with `--block`, or nil (scan).
    public func startBlock() throws(FileSystemError) -> UInt64? {
        guard let block else { return nil }
        guard let value = UInt64(block.hasPrefix("0x") ? String(block.dropFirst(2)) : block, radix: 16) else {
            throw .invalidArgument("--block takes a hexadecimal block number, not '\(block)'")
        }
        return value
    }
}
