#if canImport(Glibc)
import Glibc
#endif
import RedoxFSCheck

/// Shows the passes as they run: a self-updating line on a terminal, and/or fsck(8)'s completion
/// lines ("pass done total device") on the descriptor given with `-C fd`.
final class ProgressDisplay {
    private let terminal: Bool
    private let completionDescriptor: Int32?
    private let device: String
    private var lineShown = false

    init(terminal: Bool, completionDescriptor: Int32?, device: String) {
        self.terminal = terminal
        self.completionDescriptor = completionDescriptor
        self.device = device
    }

    func passStarted(_ pass: CheckPass) {
        clearLine()
        if terminal { write(STDERR_FILENO, "Pass \(pass.rawValue): \(pass.title)\n") }
    }

    func progress(_ progress: CheckProgress) {
        if let completionDescriptor {
            write(completionDescriptor, "\(progress.pass.rawValue) \(progress.done) \(progress.total) \(device)\n")
        }
        guard terminal, progress.total > 0 else { return }
        let percent = Double(progress.done) * 100 / Double(progress.total)
        let tenths = Int(percent * 10)
        let text = "  \(tenths / 10).\(tenths % 10)% (\(progress.done)/\(progress.total) \(progress.pass.unit))"
        write(STDERR_FILENO, "\r" + text + "\u{1B}[K")
        lineShown = true
    }

    func finish() { clearLine() }

    private func clearLine() {
        if lineShown { write(STDERR_FILENO, "\r\u{1B}[K") }
        lineShown = false
    }

    private func write(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < buffer.count {
                let written = Glibc.write(descriptor, base + done, buffer.count - done)
                if written <= 0 { return }
                done += written
            }
        }
    }
}
