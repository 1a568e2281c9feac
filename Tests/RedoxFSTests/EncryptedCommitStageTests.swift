#if canImport(Glibc)
import Glibc
#endif
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Synchronization
import Testing

/// Encrypted commits in stages (`EngineProviders.pipeline`, `EncryptedStage`): the out-of-place
/// encryption, the hosted two-thread pipeline, and images written that way against the core's
/// own XTS on one thread.
@Suite struct EncryptedCommitStageTests {
    /// Out of place gives the bytes in place gives, and leaves the source as it was: libcrypto,
    /// the core's default (copy, then in place), and libcrypto's fallback for equal keys.
    @Test func outOfPlaceMatchesInPlace() {
        var generator = SplitMix64(state: 0xE5C)
        let k1 = generator.bytes(16), k2 = generator.bytes(16)
        for (length, unitSize) in [(4096, 4096), (32 * 4096, 4096), (2 * 4096 + 48, 4096), (96, 16)] {
            let plaintext = generator.bytes(length)
            let ciphers: [any XTSCipher] = [
                OpenSSLXTS(dataKey: k1, tweakKey: k2), XTSAES128(dataKey: k1, tweakKey: k2), OpenSSLXTS(dataKey: k1, tweakKey: k1),
            ]
            for cipher in ciphers {
                var expected = plaintext
                cipher.encrypt(&expected, firstUnit: 77, unitSize: unitSize)
                var actual = [UInt8](repeating: 0xAA, count: length)
                plaintext.withUnsafeBytes { source in
                    actual.withUnsafeMutableBufferPointer { cipher.encrypt(source, into: $0, firstUnit: 77, unitSize: unitSize) }
                }
                #expect(actual == expected, "\(type(of: cipher)), length \(length)")
                #expect(actual != plaintext)
            }
        }
    }

    /// Stages cover every block once, in order; each holds at most `encryptionStageBytes` (a larger
    /// block alone), and ends only where the next block would not fit (so no stage splits what one
    /// gathered write would carry).
    @Test(arguments: [0, 1, 7, 300, 1000])
    func stageBoundsFitOneGatheredWrite(count: Int) {
        typealias Engine = FileSystem
        let limit = Engine.encryptionStageBytes
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(count + 1)
        let blocks: [(key: UInt64, value: [UInt8])] = (0..<count).map { index in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Mostly 4 KiB nodes and 128 KiB records, sometimes a block past the limit.
            let sizes = [1, 1, 1, 32, 32, 8, 300]
            return (UInt64(index * 512), [UInt8](repeating: 0, count: RedoxFS.blockSize * sizes[Int(state >> 33) % sizes.count]))
        }
        let bounds = Engine.stageBounds(of: blocks)
        #expect(bounds.first == 0)
        #expect(bounds.last == count)
        for stage in 0..<max(0, bounds.count - 1) {
            let range = bounds[stage]..<bounds[stage + 1]
            #expect(!range.isEmpty)
            let bytes = blocks[range].reduce(0) { $0 + $1.value.count }
            #expect(bytes <= limit || range.count == 1)
            if range.upperBound < count {
                #expect(bytes + blocks[range.upperBound].value.count > limit)
            }
        }
    }

    /// What the hosted pipeline did, in the order it happened.
    private final class Trace: Sendable {
        let events = Mutex<[String]>([])
        func note(_ event: String) { events.withLock { $0.append(event) } }
        func position(of event: String) -> Int? { events.withLock { $0.firstIndex(of: event) } }
    }

    /// Every stage is prepared once and finished once, in order, each after its own prepare, and
    /// stage i is prepared only after stage i − 2 was finished (its buffers are reused).
    @Test(arguments: [0, 1, 2, 3, 40])
    func hostedPipelineOrder(count: Int) {
        let trace = Trace()
        let caller = pthread_self()
        let preparedElsewhere = Mutex(0)
        HostedProviders().pipeline(count: count) { stage in
            trace.note("p\(stage)")
            if pthread_equal(pthread_self(), caller) == 0 { preparedElsewhere.withLock { $0 += 1 } }
        } finish: { stage in
            trace.note("f\(stage)")
        }
        // Stages after the first are prepared on the helper thread (one could be made here).
        #expect(preparedElsewhere.withLock { $0 } == max(0, count - 1))
        let events = trace.events.withLock { $0 }
        #expect(events.count == 2 * count)
        #expect(events.filter { $0.hasPrefix("f") } == (0..<count).map { "f\($0)" })
        for stage in 0..<count {
            guard let prepared = trace.position(of: "p\(stage)"), let finished = trace.position(of: "f\(stage)") else {
                Issue.record("stage \(stage) missing")
                continue
            }
            #expect(prepared < finished)
            if stage >= 2, let before = trace.position(of: "f\(stage - 2)") { #expect(before < prepared) }
        }
    }

    private struct Stop: Error, Equatable {
        let stage: Int
    }

    /// A finish that throws ends the pipeline: no later finish, at most the next stage prepared
    /// beside it, the error out.
    @Test func hostedPipelineStopsAtTheFirstFailure() {
        let trace = Trace()
        #expect(throws: Stop(stage: 5)) {
            try HostedProviders().pipeline(count: 30) { stage in
                trace.note("p\(stage)")
            } finish: { (stage) throws(Stop) in
                trace.note("f\(stage)")
                if stage == 5 { throw Stop(stage: 5) }
            }
        }
        let events = trace.events.withLock { $0 }
        #expect(events.filter { $0.hasPrefix("f") } == (0...5).map { "f\($0)" })
        #expect(Set(events.filter { $0.hasPrefix("p") }).isSubset(of: Set((0...6).map { "p\($0)" })))
    }

    /// The hosted providers with the core's XTS and the default pipeline (one thread).
    struct CoreCipherProviders: EngineProviders {
        func cipher(dataKey: [UInt8], tweakKey: [UInt8]) -> XTSAES128 { XTSAES128(dataKey: dataKey, tweakKey: tweakKey) }
        var codec: SystemLZ4 { SystemLZ4() }
        func deriveKey(password: [UInt8], salt: [UInt8]) -> [UInt8] { Sodium.argon2id(password: password, salt: salt) }
        func randomBytes(_ count: Int) -> [UInt8] { Sodium.randomBytes(count) }
        func now() -> Timestamp { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        func makeLock() -> EngineLock { EngineLock() }
    }

    static let password = Array("stages".utf8)

    static var options: FormatOptions {
        var options = FormatOptions(password: password, uuid: [UInt8](repeating: 7, count: 16), time: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
        options.keyMaterial = ([UInt8](repeating: 4, count: 16), [UInt8](repeating: 5, count: 16), [UInt8](repeating: 6, count: 16))
        return options
    }

    /// A file of several stages (incompressible, so that records are stored whole) and small
    /// files beside it, written by `engine` and committed as one commit.
    static func fill<Providers: EngineProviders>(_ engine: FileSystemEngine<MemoryDevice, Providers>) throws -> [String: [UInt8]] {
        var generator = SplitMix64(state: 0x57A6E5)
        var contents = ["big": generator.bytes(5 << 20 + 12_345)]
        for index in 0..<40 { contents["small\(index)"] = generator.bytes(index * 300) }
        engine.commitThresholdBytes = 1 << 30
        let time = Timestamp(seconds: 1_700_000_050, nanoseconds: 0)
        for (name, content) in contents.sorted(by: { $0.key < $1.key }) {
            let attributes = NodeAttributes(
                mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0, changeTime: time, modificationTime: time, accessTime: time)
            _ = try engine.create(Array(name.utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: content)
        }
        try engine.unmount()
        return contents
    }

    static func expectContents<Providers: EngineProviders>(
        _ contents: [String: [UInt8]], in engine: FileSystemEngine<MemoryDevice, Providers>
    ) throws {
        for (name, content) in contents {
            let id = try engine.lookup("/" + name)
            #expect(try engine.read(id, at: 0, count: content.count + 1) == content, "\(name)")
        }
        #expect(try engine.spaceReport().isClean)
    }

    /// Written in stages on two threads with libcrypto, read with the core's XTS; and the other
    /// way round; both writers leave the same image.
    @Test func stagedCommitsMatchTheCoreCipher() throws {
        // Two devices: copies of a `MemoryDevice` share their bytes.
        let hosted = try FileSystemEngine<MemoryDevice, HostedProviders>.format(device: MemoryDevice(blockCount: 8192), providers: HostedProviders(), options: Self.options)
        hosted.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        let contents = try Self.fill(hosted)
        let core = try FileSystemEngine<MemoryDevice, CoreCipherProviders>.format(device: MemoryDevice(blockCount: 8192), providers: CoreCipherProviders(), options: Self.options)
        core.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        _ = try Self.fill(core)

        let hostedImage = hosted.device, coreImage = core.device
        try Self.expectContents(contents, in: FileSystemEngine(device: hostedImage, providers: CoreCipherProviders(), password: Self.password))
        try Self.expectContents(contents, in: FileSystemEngine(device: coreImage, providers: HostedProviders(), password: Self.password))
        #expect(hostedImage.bytes == coreImage.bytes)
    }
}
