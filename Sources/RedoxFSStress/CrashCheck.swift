import RedoxFS
import RedoxFSCheck

/// Runs a workload on a recording device, then rebuilds the device at every cut point (with
/// several subsets of the writes in flight) and checks each image: it opens without repair, its
/// space accounting is clean, and its tree equals the state of the last completed sync (or of
/// the sync that was in progress).
public struct CrashCheck {
    /// What one workload's check covered.
    public struct Result: Sendable {
        public var cutPoints = 0
        public var imagesChecked = 0
        public var events = 0
        public var syncs = 0
        /// Injected failures that fired, and operations that ran out of space by themselves.
        public var injectedFailures = 0
        public var spaceFailures = 0
    }

    /// A failed check, with what is needed to replay it.
    public struct Failure: Error, CustomStringConvertible {
        public var seed: UInt64
        /// The cut point, or nil for a check made while the workload ran.
        public var cut: Int?
        public var message: String
        public var replay = ""
        public var description: String {
            "seed \(seed), \(cut.map { "cut point \($0)" } ?? "while running"): \(message)\n  replay: redoxfs-crashtest --seed \(seed) --workloads 1\(replay)"
        }
    }

    public var blocks: UInt64 = 1536
    public var operations = 60
    /// Random subsets of the in-flight writes tried per cut point (besides "all" and "none").
    public var subsets = 2
    /// Also run the checker (`redoxfs-fsck -n`) on every image.
    public var checkWithFsck = true
    /// Inject failures into the workloads (see `Workload`).
    public var injectsFailures = true

    public init() {}

    /// The options besides the seed that a replay needs.
    var replayOptions: String {
        (operations == 60 ? "" : " --operations \(operations)") + (injectsFailures ? "" : " --no-inject-failures")
    }

    /// The password of encrypted workloads (every fourth seed).
    public static let password = Array("crash".utf8)

    /// Runs workload `seed` on a fresh image; returns the recording device and the workload.
    func runWorkload(seed: UInt64, encrypted: Bool) throws -> (RecordingDevice, Workload) {
        let base = MemoryDevice(blockCount: blocks)
        var options = FormatOptions(uuid: [UInt8](repeating: 7, count: 16), time: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
        if encrypted {
            options.password = Self.password
            options.keyMaterial = ([UInt8](repeating: 1, count: 16), [UInt8](repeating: 2, count: 16), [UInt8](repeating: 3, count: 16))
        }
        _ = try FileSystem.format(device: base, options: options)
        let device = RecordingDevice(recordingOver: MemoryDevice(bytes: base.bytes))
        let fs = try FileSystem(device: device, password: options.password, writable: true)
        var clock: UInt64 = 1_700_000_000
        fs.clock = {
            clock += 1
            return Timestamp(seconds: clock, nanoseconds: 0)
        }
        var workload = Workload(seed: seed, operations: operations)
        workload.injectsFailures = injectsFailures
        do {
            try workload.run(on: fs, device: device, password: options.password)
        } catch {
            var failure = Failure(seed: seed, cut: nil, message: "\(error)\n  operations: \(workload.log.suffix(4).joined(separator: "; "))")
            failure.replay = replayOptions
            throw failure
        }
        return (device, workload)
    }

    /// The image a workload leaves behind (seed corpora for fuzzing).
    public func sampleImage(seed: UInt64, encrypted: Bool) throws -> [UInt8] {
        try runWorkload(seed: seed, encrypted: encrypted).0.memory.bytes
    }

    public func run(seed: UInt64) throws -> Result {
        let encrypted = seed % 4 == 3
        let options = (password: encrypted ? Self.password : nil, ())
        let (device, workload) = try runWorkload(seed: seed, encrypted: encrypted)

        var result = Result()
        result.events = device.events.count
        result.syncs = workload.syncPoints.count
        result.injectedFailures = workload.injectedFailures
        result.spaceFailures = workload.spaceFailures
        var random = SeededGenerator(seed: seed ^ 0x5EED)
        let points = workload.syncPoints
        try device.forEachCutPoint { cut, durable, pending in
            result.cutPoints += 1
            let completed = points.lastIndex { $0.events <= cut } ?? 0
            var allowed = points[completed].listings
            if completed + 1 < points.count { allowed += points[completed + 1].listings }
            // The last commit's header may still have been waiting for the next commit.
            if workload.overlapsAutomaticCommits && completed > 0 { allowed += points[completed - 1].listings }
            var variants: [[Bool]] = [[Bool](repeating: true, count: pending.count)]
            if !pending.isEmpty {
                variants.append([Bool](repeating: false, count: pending.count))
                for _ in 0..<subsets { variants.append(pending.map { _ in Bool.random(using: &random) }) }
            }
            for keep in variants {
                var bytes = durable
                for (position, write) in pending.enumerated() where keep[position] { RecordingDevice.apply(write, to: &bytes) }
                do {
                    try check(bytes, password: options.password, allowed: allowed, seed: seed, cut: cut)
                } catch var failure as Failure {
                    // The operations up to the cut (each log line starts with the event count).
                    let before = workload.log.filter { (Int($0.prefix { $0.isNumber }) ?? 0) <= cut }
                    failure.message += "\n  operations before the cut: \(before.suffix(5).joined(separator: "; "))"
                    throw failure
                }
                result.imagesChecked += 1
            }
        }
        return result
    }

    private func check(_ bytes: [UInt8], password: [UInt8]?, allowed: [[String]], seed: UInt64, cut: Int) throws {
        func fail(_ message: String) -> Failure { Failure(seed: seed, cut: cut, message: message, replay: replayOptions) }
        let fs: FileSystem
        do {
            fs = try FileSystem(device: MemoryDevice(bytes: bytes), password: password)
        } catch {
            throw fail("the image does not open: \(error)")
        }
        let space: SpaceReport
        let listing: [String]
        do {
            space = try fs.spaceReport()
            listing = try TreeListing.of(fs)
        } catch {
            throw fail("the image does not read back: \(error)")
        }
        if checkWithFsck {
            var options = CheckOptions(password: password)
            options.dataKeys = fs.keys
            let report: CheckReport
            do {
                report = try FileSystemChecker.check(device: MemoryDevice(bytes: bytes), options: options)
            } catch {
                throw fail("redoxfs-fsck could not check the image: \(error)")
            }
            guard report.exitStatus == 0, report.problems.isEmpty else {
                throw fail("redoxfs-fsck -n: status \(report.exitStatus), \(report.problems.prefix(3).map { "\($0)" })")
            }
        }
        guard space.isClean else {
            throw fail("space accounting: shared \(space.shared.prefix(5)), used but free \(space.usedButFree.prefix(5)), leaked \(space.leaked.prefix(5))")
        }
        guard allowed.contains(listing) else {
            let expected = allowed[0]
            let difference = zip(listing, expected).first { $0 != $1 }.map { "\($0.0)\n    expected \($0.1)" }
                ?? "\(listing.count) entries, expected \(expected.count)"
            throw fail("the tree is not the synced state: \(difference)")
        }
    }
}
