import RedoxFSCheck

/// The text form of a check report, in the spirit of e2fsck's output.
struct ReportPrinter {
    let report: CheckReport
    let device: String
    let verbose: Bool

    var text: String {
        var lines: [String] = []
        let encryption = report.encrypted ? "encrypted" : "not encrypted"
        lines.append(
            "\(device): RedoxFS v8, uuid \(report.uuid), generation \(report.generation) (slot \(report.headerSlot)), \(report.statistics.blocks) blocks, \(encryption)")
        lines.append(contentsOf: ringLines())
        if let torn = report.tornCommit { lines.append("  \(torn)") }
        for summary in report.passes {
            let problems = report.problems.filter { $0.pass == summary.pass }
            let counts = summary.errors + summary.warnings == 0
                ? "clean" : "\(summary.errors) error(s), \(summary.warnings) warning(s)"
            lines.append("Pass \(summary.pass.rawValue): \(summary.title) — \(counts)")
            for problem in problems { lines.append(contentsOf: describe(problem)) }
        }
        let stray = report.problems.filter { problem in !report.passes.contains { $0.pass == problem.pass } }
        for problem in stray { lines.append(contentsOf: describe(problem)) }
        let kept = report.problems.count
        let total = report.problemCounts.values.reduce(0, +)
        if total > kept { lines.append("  … and \(total - kept) more problem(s) of the same kinds (see --json for counts)") }
        if !report.badBlocks.isEmpty {
            lines.append("Bad blocks and their owners:")
            for bad in report.badBlocks {
                lines.append("  block \(bad.block) (\(bad.structure ?? "block"), \(bad.code.rawValue)): \(bad.owners.joined(separator: ", "))")
            }
        }
        lines.append(contentsOf: repairLines())
        lines.append(summaryLine())
        return lines.joined(separator: "\n") + "\n"
    }

    private func ringLines() -> [String] {
        var lines: [String] = []
        let valid = report.ring.filter { $0.state == .valid }
        let empty = report.ring.filter { $0.state == .empty }.count
        let damaged = report.ring.filter { $0.state == .damaged }
        let missing = report.ring.filter { $0.state == .missing }.count
        var counts = "\(valid.count) valid, \(damaged.count) damaged, \(empty) empty"
        if missing > 0 { counts += ", \(missing) past the device end" }
        lines.append("  header ring: \(counts)")
        for slot in report.ring where verbose || slot.chosen || slot.state == .damaged {
            let generation = slot.generation.map { "generation \($0)" } ?? "no generation"
            lines.append("    slot \(slot.slot): \(slot.state.rawValue), \(generation): \(slot.note)")
        }
        return lines
    }

    private func describe(_ problem: Problem) -> [String] {
        let mark = problem.severity == .error ? "E" : "W"
        var line = "  [\(mark)] \(problem.code.rawValue): \(problem.message)"
        if let path = problem.path { line += " — \(path)" }
        var lines = [line]
        if let fix = problem.fix {
            let state: String
            if problem.fixed {
                state = "fixed"
            } else {
                switch report.repairMode {
                case .none: state = "not fixed (-n)"
                case .preen: state = fix.isSafe ? "not fixed" : "not fixed (needs -y)"
                case .all: state = "not fixed"
                }
            }
            lines.append("      fix: \(fix.summary) — \(state)")
        }
        return lines
    }

    private func repairLines() -> [String] {
        var lines: [String] = []
        if let note = report.repairNote { lines.append("Repair: \(note)") }
        let applied = report.repairs.filter(\.applied)
        if !applied.isEmpty {
            lines.append("Repairs made (one commit):")
            for repair in applied { lines.append("  \(repair.summary)") }
        }
        return lines
    }

    /// The scrub's throughput: every block read (decrypted, verified, decoded where it is a record).
    private func scrubLine(_ s: CheckStatistics) -> String {
        let megabytes = Double(s.blocksRead) * 4096 / 1e6
        let rate = s.scrubSeconds > 0 ? megabytes / s.scrubSeconds : 0
        return "scrub read \(decimal(megabytes)) MB (\(decimal(Double(s.recordBytesVerified) / 1e6)) MB of data records "
            + "verified and decoded) in \(decimal(s.scrubSeconds)) s: \(decimal(rate)) MB/s"
    }

    private func decimal(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    private func summaryLine() -> String {
        let s = report.statistics
        var parts = [
            "\(s.nodes) nodes (\(s.files) files, \(s.directories) directories, \(s.symlinks) symlinks\(s.sockets > 0 ? ", \(s.sockets) sockets" : "")\(s.fifos > 0 ? ", \(s.fifos) FIFOs" : "")\(s.devices > 0 ? ", \(s.devices) devices" : ""))",
            "\(s.blocks - s.freeBlocks)/\(s.blocks) blocks in use",
        ]
        if s.leakedBlocks > 0 { parts.append("\(s.leakedBlocks) leaked") }
        if let remaining = report.remainingErrors {
            parts.append("\(report.errors) error(s) and \(report.warnings) warning(s) found, \(remaining) error(s) left after the repair")
        } else {
            parts.append("\(report.errors) error(s), \(report.warnings) warning(s)")
        }
        let seconds = Int(report.seconds * 100)
        parts.append("\(seconds / 100).\(seconds % 100 < 10 ? "0" : "")\(seconds % 100) s")
        var line = "\(device): " + parts.joined(separator: ", ")
        if report.scrubbed { line += "\n\(device): " + scrubLine(s) }
        switch report.exitStatus & ~FsckExitStatus.corrected {
        case FsckExitStatus.clean: line += "\n\(device): clean" + (report.exitStatus & FsckExitStatus.corrected != 0 ? " after repair" : "")
        default:
            line += "\n\(device): UNEXPECTED INCONSISTENCY; errors remain"
            if report.repairMode != .all { line += " (run redoxfs-fsck -y)" }
        }
        return line
    }
}
