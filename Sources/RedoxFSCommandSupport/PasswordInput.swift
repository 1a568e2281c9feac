#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Where a tool gets a password: a file, standard input when it is not a terminal, or a prompt
/// on the terminal with echo off.
public enum PasswordInput {
    /// Reads a password. `file` wins when given; the trailing newline is dropped.
    public static func read(file: String?, prompt: String) throws(FileSystemError) -> [UInt8] {
        if let file {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .system(operation: "open", path: file, errno: errno) }
            defer { close(fd) }
            return stripNewline(readAll(fd))
        }
        if isatty(STDIN_FILENO) == 0 {
            return readLine(fd: STDIN_FILENO)
        }
        return try promptWithoutEcho(prompt)
    }

    /// Prompts on the terminal (`/dev/tty`) with echo switched off.
    public static func promptWithoutEcho(_ prompt: String) throws(FileSystemError) -> [UInt8] {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        let fd = tty >= 0 ? tty : STDIN_FILENO
        defer { if tty >= 0 { close(tty) } }
        var original = termios()
        let hasTermios = tcgetattr(fd, &original) == 0
        if hasTermios {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(fd, TCSAFLUSH, &silent)
        }
        _ = prompt.withCString { write(fd >= 0 ? fd : STDERR_FILENO, $0, strlen($0)) }
        let password = readLine(fd: fd)
        if hasTermios { tcsetattr(fd, TCSAFLUSH, &original) }
        return password
    }

    static func readLine(fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(fd, &byte, 1) == 1 {
            if byte == 0x0A { break }
            bytes.append(byte)
        }
        return stripNewline(bytes)
    }

    static func readAll(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    static func stripNewline(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }
}
