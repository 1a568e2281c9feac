import RedoxFSFormat

/// A device that records every write and flush over an in-memory image, and can rebuild the
/// device as a power cut would leave it at any point: every write before the last completed
/// flush, plus any subset of the writes issued since (crash tests).
public struct RecordingDevice: StorageDevice {
    /// One recorded event.
    public enum Event: Sendable {
        case write(index: UInt64, bytes: [UInt8])
        case flush
    }

    /// A failure to inject once: the device refuses one write or one flush with an errno
    /// (crash tests' fault injection).
    public struct InjectedFailure: Sendable, Equatable {
        /// What fails.
        public enum Target: Sendable, Equatable {
            /// The write after this many more writes succeeded.
            case write(after: Int)
            /// The flush after this many more flushes succeeded.
            case flush(after: Int)
        }

        public var target: Target
        /// The errno the device reports (EIO by default).
        public var code: Int32

        public init(_ target: Target, code: Int32 = 5) {
            self.target = target
            self.code = code
        }
    }

    final class Log {
        var events: [Event] = []
        var injected: InjectedFailure?
        var injectedFired = 0
    }

    public private(set) var memory: MemoryDevice
    let log = Log()
    /// The image before the first recorded event.
    public let initialBytes: [UInt8]
    /// When set, writes and flushes fail with EIO once this many events are recorded.
    public var failAfterEvents: Int?

    /// Records over `device`, starting from its current bytes.
    public init(recordingOver device: MemoryDevice) {
        memory = device
        initialBytes = device.bytes
    }

    public var blockCount: UInt64 { memory.blockCount }
    public var events: [Event] { log.events }

    /// Arms `failure` (replacing one not yet fired); copies of this device share it, so it may
    /// be armed after the device was handed to a file system.
    public func inject(_ failure: InjectedFailure?) { log.injected = failure }

    /// Whether an armed failure is still waiting to fire.
    public var isFailureArmed: Bool { log.injected != nil }

    /// How many injected failures have fired.
    public var injectedFailures: Int { log.injectedFired }

    /// Counts the armed failure down for a write (`isWrite`) or flush; true when this one fails.
    private func takeInjected(write isWrite: Bool) -> Int32? {
        guard let failure = log.injected else { return nil }
        switch failure.target {
        case .write(let after) where isWrite:
            if after > 0 { log.injected!.target = .write(after: after - 1); return nil }
        case .flush(let after) where !isWrite:
            if after > 0 { log.injected!.target = .flush(after: after - 1); return nil }
        default:
            return nil
        }
        log.injected = nil
        log.injectedFired += 1
        return failure.code
    }

    public mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try memory.readBlocks(at: index, into: buffer)
    }

    public mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        if let limit = failAfterEvents, log.events.count >= limit { throw .io(block: index, code: 5) }
        if let code = takeInjected(write: true) { throw .io(block: index, code: code) }
        try memory.writeBlocks(at: index, from: buffer)
        log.events.append(.write(index: index, bytes: Array(buffer.bindMemory(to: UInt8.self))))
    }

    public mutating func flush() throws(FormatError) {
        if let limit = failAfterEvents, log.events.count >= limit { throw .io(block: 0, code: 5) }
        if let code = takeInjected(write: false) { throw .io(block: 0, code: code) }
        try memory.flush()
        log.events.append(.flush)
    }

    /// Walks every cut point in order: `body(cut, durable, pending)` sees the bytes that are
    /// certainly on disk after the first `cut` events and the writes since the last completed
    /// flush, which may or may not have landed.
    public func forEachCutPoint(_ body: (_ cut: Int, _ durable: [UInt8], _ pending: [(index: UInt64, bytes: [UInt8])]) throws -> Void) rethrows {
        var durable = initialBytes
        var pending: [(index: UInt64, bytes: [UInt8])] = []
        try body(0, durable, pending)
        for (n, event) in log.events.enumerated() {
            switch event {
            case .write(let index, let data): pending.append((index, data))
            case .flush:
                for write in pending { Self.apply(write, to: &durable) }
                pending.removeAll()
            }
            try body(n + 1, durable, pending)
        }
    }

    /// Writes `write` into `bytes`.
    public static func apply(_ write: (index: UInt64, bytes: [UInt8]), to bytes: inout [UInt8]) {
        let start = Int(write.index) * RedoxFS.blockSize
        bytes.replaceSubrange(start..<start + write.bytes.count, with: write.bytes)
    }

    /// The bytes after a power cut following the first `cut` events, where of the writes issued
    /// since the last completed flush only those that `keep` accepts (by their position in that
    /// epoch) reached the disk.
    public func crashImage(cut: Int, keep: (Int) -> Bool) -> [UInt8] {
        var bytes = initialBytes
        var pending: [(UInt64, [UInt8])] = []
        func apply(_ write: (UInt64, [UInt8])) {
            let start = Int(write.0) * RedoxFS.blockSize
            bytes.replaceSubrange(start..<start + write.1.count, with: write.1)
        }
        for event in log.events.prefix(cut) {
            switch event {
            case .write(let index, let data): pending.append((index, data))
            case .flush:
                pending.forEach(apply)
                pending.removeAll()
            }
        }
        for (position, write) in pending.enumerated() where keep(position) { apply(write) }
        return bytes
    }
}
