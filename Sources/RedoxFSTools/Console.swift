#if canImport(Glibc)
import Glibc
#endif

/// Prints `text` and a newline on standard error.
public func printError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return write(STDERR_FILENO, base + done, raw.count - done)
        }
        if n <= 0 { return }
        done += n
    }
}
