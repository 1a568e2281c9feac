#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on standard error, redrawn at most ten times a second. Exists only
/// when standard error is a terminal, so tools stay quiet in scripts and logs.
public final class ProgressBar {
    private let label: String
    private let totalBytes: UInt64
    private let totalItems: Int
    private let itemName: String
    private let started: Double
    private var lastDraw = 0.0
    private var drawn = false

    /// A bar for `totalBytes` of content and `totalItems` items, or nil when standard error is
    /// not a terminal (unless `force`).
    public init?(label: String, totalBytes: UInt64, totalItems: Int, itemName: String = "files", force: Bool = false) {
        guard force || isatty(STDERR_FILENO) != 0 else { return nil }
        self.label = label
        self.totalBytes = totalBytes
        self.totalItems = totalItems
        self.itemName = itemName
        started = Self.now()
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Redraws the bar if a tenth of a second has passed since the last drawing.
    public func update(_ progress: CopyProgress) {
        let now = Self.now()
        guard now - lastDraw >= 0.1 else { return }
        lastDraw = now
        draw(progress, now: now)
    }

    /// Draws the final state and ends the line.
    public func finish(_ progress: CopyProgress) {
        draw(progress, now: Self.now())
        emit("\n")
    }

    /// Erases the bar (before an error message).
    public func clear() {
        if drawn { emit("\r\u{1B}[K") }
    }

    private func draw(_ progress: CopyProgress, now: Double) {
        let fraction: Double
        if totalBytes > 0 {
            fraction = min(1, Double(progress.bytes) / Double(totalBytes))
        } else if totalItems > 0 {
            fraction = min(1, Double(progress.entries) / Double(totalItems))
        } else {
            fraction = 1
        }
        let elapsed = max(now - started, 0.001)
        let rate = Double(progress.bytes) / elapsed / 1e6
        let status = " \(Self.pad(Int(fraction * 100), 3))% "
            + "\(ByteSize.mebibytes(progress.bytes))/\(ByteSize.mebibytes(totalBytes)) MiB "
            + "\(progress.entries)/\(totalItems) \(itemName) \(ByteSize.decimal(rate, places: 1)) MB/s"
        let width = max(10, Self.terminalWidth() - label.count - status.count - 4)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        emit("\r\(label) [\(bar)]\(status)\u{1B}[K")
        drawn = true
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    private func emit(_ text: String) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.write(STDERR_FILENO, base + done, raw.count - done)
            }
            if n <= 0 { return }
            done += n
        }
    }
}
