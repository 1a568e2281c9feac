#if canImport(Glibc)
import Glibc
#endif
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Synchronization
import Testing

/// Large reads in pieces (`splitsLargeReads`, `EngineProviders.forEachConcurrently`): the hosted
/// hook on two threads, and large reads of encrypted and plain files that give the model's bytes
/// and refuse a damaged record as the one-piece read does.
@Suite struct SplitReadTests {
    /// What ran: each item's index with the thread that ran it.
    final class Runs: Sendable {
        let items = Mutex<[(index: Int, thread: UInt)]>([])
        let calls = Mutex<[Int]>([])
        func note(_ index: Int) { items.withLock { $0.append((index, UInt(bitPattern: Int(bitPattern: pthread_self())))) } }
    }

    /// The hosted providers, noting what `forEachConcurrently` ran on which thread.
    struct RecordingProviders: EngineProviders {
        let base: HostedProviders
        let runs = Runs()
        init(base: HostedProviders = HostedProviders()) { self.base = base }
        func cipher(dataKey: [UInt8], tweakKey: [UInt8]) -> OpenSSLXTS { base.cipher(dataKey: dataKey, tweakKey: tweakKey) }
        var codec: SystemLZ4 { base.codec }
        func deriveKey(password: [UInt8], salt: [UInt8]) -> [UInt8] { base.deriveKey(password: password, salt: salt) }
        func randomBytes(_ count: Int) -> [UInt8] { base.randomBytes(count) }
        func now() -> Timestamp { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        func makeLock() -> EngineLock { base.makeLock() }
        func seaHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 { base.seaHash(bytes) }
        func pipeline<E: Error>(count: Int, prepare: (Int) -> Void, finish: (Int) throws(E) -> Void) throws(E) {
            try base.pipeline(count: count, prepare: prepare, finish: finish)
        }
        func forEachConcurrently(count: Int, _ body: (Int) -> Void) {
            runs.calls.withLock { $0.append(count) }
            base.forEachConcurrently(count: count) { index in
                runs.note(index)
                body(index)
            }
        }
    }

    /// Every item runs once, whatever the count.
    @Test(arguments: [0, 1, 2, 3, 8, 40])
    func hostedRunsEveryItemOnce(count: Int) {
        let runs = Runs()
        HostedProviders().forEachConcurrently(count: count) { runs.note($0) }
        #expect(runs.items.withLock { $0.map(\.index).sorted() } == Array(0..<count))
    }

    /// The hosted hook runs items on two threads at once: each of two items waits until both
    /// have started, which one thread alone could never see (the wait is bounded by a count of
    /// short sleeps, so a one-thread hook fails instead of hanging).
    @Test func hostedRunsOnTwoThreads() {
        let runs = Runs()
        let started = Atomic(0)
        let bothStarted = Atomic(true)
        HostedProviders().forEachConcurrently(count: 2) { index in
            runs.note(index)
            started.add(1, ordering: .acquiringAndReleasing)
            var sleeps = 0
            while started.load(ordering: .acquiring) < 2 {
                if sleeps == HelperPoolTests.sleepLimit {
                    bothStarted.store(false, ordering: .relaxed)
                    break
                }
                usleep(500)
                sleeps += 1
            }
        }
        let sawBoth = bothStarted.load(ordering: .relaxed)
        #expect(sawBoth)
        let items = runs.items.withLock { $0 }
        #expect(items.map(\.index).sorted() == [0, 1])
        #expect(Set(items.map(\.thread)).count == 2)
        #expect(items.contains { $0.thread == UInt(bitPattern: Int(bitPattern: pthread_self())) })
    }

    static let fileSize = 3 << 20 + 54_321

    /// An engine with one file `big` (incompressible, so records are stored whole) and its
    /// content, encrypted or not; the engine is unmounted (its device holds the image).
    static func image(encrypted: Bool) throws -> (device: MemoryDevice, content: [UInt8]) {
        var options = EncryptedCommitStageTests.options
        if !encrypted { options.password = nil }
        let engine = try FileSystemEngine<MemoryDevice, HostedProviders>.format(
            device: MemoryDevice(blockCount: 4096), providers: HostedProviders(), options: options)
        var generator = SplitMix64(state: encrypted ? 0x5E1 : 0x9A1)
        let content = generator.bytes(fileSize)
        let time = Timestamp(seconds: 1_700_000_050, nanoseconds: 0)
        let attributes = NodeAttributes(
            mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0, changeTime: time, modificationTime: time, accessTime: time)
        _ = try engine.create(Array("big".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: content)
        try engine.unmount()
        return (engine.device, content)
    }

    static func open(
        _ device: MemoryDevice, encrypted: Bool, writable: Bool = false, providers: HostedProviders = HostedProviders()
    ) throws -> FileSystemEngine<MemoryDevice, RecordingProviders> {
        try FileSystemEngine(
            device: device, providers: RecordingProviders(base: providers), password: encrypted ? EncryptedCommitStageTests.password : nil,
            writable: writable)
    }

    /// Reads `count` bytes at `offset` of `big`; nil with the error when the read throws.
    static func read<Providers: EngineProviders>(
        _ engine: FileSystemEngine<MemoryDevice, Providers>, at offset: UInt64, count: Int
    ) -> Result<[UInt8], FileSystemError> {
        do throws(FileSystemError) {
            let node = try engine.node(try engine.lookup("/big"))
            var bytes = [UInt8](repeating: 0xEE, count: count)
            var result = Result<[UInt8], FileSystemError>.success([])
            bytes.withUnsafeMutableBytes { buffer in
                do throws(FileSystemError) {
                    let done = try engine.readBulk(node, at: offset, into: buffer)
                    result = .success(Array(buffer.prefix(done)))
                } catch {
                    result = .failure(error)
                }
            }
            return result
        } catch {
            return .failure(error)
        }
    }

    /// Large reads (1 MiB and more, aligned or not, up to and past the end of the file) give the
    /// model's bytes, in pieces: encrypted by default, plain when asked for.
    @Test(arguments: [true, false])
    func largeReadsGiveTheModelsBytes(encrypted: Bool) throws {
        let (device, content) = try Self.image(encrypted: encrypted)
        let engine = try Self.open(device, encrypted: encrypted)
        if !encrypted {
            #expect(engine.splitPieces(of: try engine.node(try engine.lookup("/big")), at: 0, count: 1 << 20) == nil)
            engine.splitsLargeReads = true
        }
        let reads: [(offset: Int, count: Int)] = [
            (0, 1 << 20), (1 << 20, 1 << 20), (12_345, 1 << 20), (131_072 - 1, 700_000), (0, Self.fileSize),
            (Self.fileSize - 600_000, 1 << 20), (5_000, 512 << 10),
        ]
        for (offset, count) in reads {
            let expected = Array(content[offset..<min(content.count, offset + count)])
            #expect(try Self.read(engine, at: UInt64(offset), count: count).get() == expected, "\(offset) +\(count)")
        }
        let calls = engine.providers.runs.calls.withLock { $0 }
        #expect(calls.count == reads.count)
        #expect(calls.allSatisfy { $0 > 1 })
        // Every piece of every read ran once.
        #expect(engine.providers.runs.items.withLock { $0.count } == calls.reduce(0, +))
        // Small reads stay in one piece.
        #expect(try Self.read(engine, at: 4096, count: 128 << 10).get() == Array(content[4096..<(4096 + (128 << 10))]))
        #expect(engine.providers.runs.calls.withLock { $0.count } == reads.count)
    }

    /// The device block of record `record` of `big`.
    static func recordBlock(_ engine: FileSystemEngine<MemoryDevice, RecordingProviders>, record: UInt64) throws -> UInt64 {
        let node = try engine.node(try engine.lookup("/big"))
        let pointer = try engine.withReader { (reader) throws(FormatError) in try reader.recordPointer(record, of: node) }
        return engine.startBlock + pointer.address.index
    }

    /// `device` with one byte of block `block` changed.
    static func damaged(_ device: MemoryDevice, block: UInt64) -> MemoryDevice {
        var bytes = device.bytes
        bytes[Int(block) * RedoxFS.blockSize + 1000] ^= 0x5A
        return MemoryDevice(bytes: bytes)
    }

    /// A damaged record in the middle of a large read is refused with the one-piece read's error
    /// (a record hash mismatch at that record's block); with two damaged records, the first one's.
    @Test(arguments: [true, false])
    func damagedRecordIsRefusedAsBefore(encrypted: Bool) throws {
        let (device, _) = try Self.image(encrypted: encrypted)
        let clean = try Self.open(device, encrypted: encrypted)
        let fifth = try Self.recordBlock(clean, record: 5), eleventh = try Self.recordBlock(clean, record: 11)
        for blocks in [[fifth], [fifth, eleventh], [eleventh]] {
            var image = device
            for block in blocks { image = Self.damaged(image, block: block) }
            let split = try Self.open(image, encrypted: encrypted)
            split.splitsLargeReads = true
            let whole = try Self.open(image, encrypted: encrypted)
            whole.splitsLargeReads = false
            // Records 2 to 17 (2 MiB): record 5 in the first half, record 11 in the second.
            let offset = UInt64(2 << 17) + 777, count = 2 << 20
            let expected = Self.read(whole, at: offset, count: count)
            let actual = Self.read(split, at: offset, count: count)
            guard case .failure(let error) = actual, case .failure(let before) = expected else {
                Issue.record("a damaged record was read (\(blocks))")
                continue
            }
            #expect(error == before)
            guard case .format(.hashMismatch(.record, let block, _, _)) = error else {
                Issue.record("expected a record hash mismatch, got \(error)")
                continue
            }
            #expect(split.startBlock + block == blocks[0])
            #expect(split.providers.runs.calls.withLock { $0.count } == 1)
            #expect(whole.providers.runs.calls.withLock { $0.isEmpty })
        }
    }
    /// The engine, handed to a writer thread.
    final class EngineBox: @unchecked Sendable {
        let engine: FileSystemEngine<MemoryDevice, RecordingProviders>
        init(_ engine: FileSystemEngine<MemoryDevice, RecordingProviders>) { self.engine = engine }
    }

    /// Large reads in pieces while another thread rewrites the same 2 MiB in one call each time:
    /// every read sees one write's bytes whole (the pieces read one state).
    @Test func largeReadsSeeOneStateWhileWriting() throws {
        let (device, _) = try Self.image(encrypted: true)
        let box = EngineBox(try Self.open(device, encrypted: true, writable: true))
        let id = try box.engine.lookup("/big")
        let length = 2 << 20
        try box.engine.write(id, at: 0, [UInt8](repeating: 1, count: length))
        let writes = 30
        let written = Atomic(0)
        let failed = Atomic(0)
        let writer = try HostThread.start {
            for generation in 2...(writes + 1) {
                do {
                    _ = try box.engine.write(id, at: 0, [UInt8](repeating: UInt8(generation), count: length))
                } catch {
                    failed.add(1, ordering: .relaxed)
                }
                written.add(1, ordering: .releasing)
            }
        }
        var reads = 0
        var torn = 0
        while written.load(ordering: .acquiring) < writes || reads < 10 {
            let bytes = try box.engine.read(id, at: 0, count: length)
            if bytes.count != length || bytes.contains(where: { $0 != bytes[0] }) { torn += 1 }
            reads += 1
        }
        writer.join()
        #expect(torn == 0)
        #expect(failed.load(ordering: .relaxed) == 0)
        #expect(written.load(ordering: .acquiring) == writes)
        #expect(try box.engine.read(id, at: 0, count: length) == [UInt8](repeating: UInt8(writes + 1), count: length))
        #expect(box.engine.providers.runs.calls.withLock { $0.count } >= reads)
    }
}
