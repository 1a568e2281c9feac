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
