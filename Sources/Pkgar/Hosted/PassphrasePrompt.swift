// Reading a passphrase from the terminal without echo (or a line from a non-terminal stdin).
import Glibc

/// Terminal passphrase input for the key tools.
public enum PassphrasePrompt {
    /// Prints `prompt` to standard error and reads one line without echo.
    public static func read(_ prompt: String) -> [UInt8] {
        writeError(prompt)
        let isTerminal = isatty(STDIN_FILENO) != 0
        var saved = termios()
        if isTerminal {
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        defer {
            if isTerminal {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                writeError("\n")
            }
        }
        var bytes: [UInt8] = []
        while true {
            let character = getchar()
            if character == EOF || character == 10 { break }
            bytes.append(UInt8(truncatingIfNeeded: character))
        }
        if bytes.last == 13 { bytes.removeLast() }
        return bytes
    }

    /// Writes text to standard error (unbuffered).
    public static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
