#if canImport(Glibc)
import Glibc
#endif
import CSeaHash
import RedoxFSEngine
import RedoxFSFormat

/// The engine as the hosted tools, the FUSE mount and the tests use it: over any `StorageDevice`
/// (image files, block devices, memory and recording devices), with the hosted fast paths.
public typealias FileSystem = FileSystemEngine<AnyStorageDevice, HostedProviders>

/// The hosted providers: OpenSSL's XTS (AES-NI), liblz4, libsodium's Argon2id and random source,
/// `clock_gettime`, a reader-writer lock (`EngineLock`) and SeaHash in vector code (`CSeaHash`,
/// AVX-512) where the processor has it; split reads and encrypted commits share their work with
/// parked helper threads (`HelperPool`).
public struct HostedProviders: EngineProviders, Sendable {
    /// The helper threads of `forEachConcurrently` and `pipeline`.
    public let helpers: HelperPool

    /// The providers; `helpers` defaults to the process's shared pool.
    public init(helpers: HelperPool = .shared) {
        self.helpers = helpers
    }

    public func cipher(dataKey: [UInt8], tweakKey: [UInt8]) -> OpenSSLXTS {
        OpenSSLXTS(dataKey: dataKey, tweakKey: tweakKey)
    }

    public var codec: SystemLZ4 { SystemLZ4() }

    public func deriveKey(password: [UInt8], salt: [UInt8]) -> [UInt8] {
        Sodium.argon2id(password: password, salt: salt)
    }

    public func randomBytes(_ count: Int) -> [UInt8] { Sodium.randomBytes(count) }

    public func now() -> Timestamp { Timestamp.now() }

    public func makeLock() -> EngineLock { EngineLock() }

    /// Whether this processor runs `CSeaHash`'s vector code (AVX-512 F, DQ, VL).
    public static let hasVectorSeaHash = redoxfs_seahash_vector_available() != 0

    /// `SeaHash.hash` in `CSeaHash`'s vector code when the processor has it (about 12 GB/s against
    /// about 7 GB/s on a 4 KiB block), else the core's.
    @inline(__always)
    public func seaHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 { Self.seaHash(bytes) }

    /// `SeaHash.advance` in `CSeaHash`'s vector code when the processor has it.
    public func seaHashAdvance(_ lanes: inout SeaHashLanes, over rows: UnsafeBufferPointer<UInt8>) {
        guard Self.hasVectorSeaHash, let base = rows.baseAddress else {
            SeaHash.advance(&lanes, over: rows)
            return
        }
        var state = (lanes.a, lanes.b, lanes.c, lanes.d)
        withUnsafeMutableBytes(of: &state) { redoxfs_seahash_advance($0.baseAddress!.assumingMemoryBound(to: UInt64.self), base, rows.count) }
        lanes = SeaHashLanes(a: state.0, b: state.1, c: state.2, d: state.3)
    }

    /// The one wrapper of `CSeaHash`'s vector code for a single buffer (the engine's providers
    /// and the checker's reads): `SeaHash.hash` of `bytes`, in vector code when the processor has it.
    @inline(__always)
    public static func seaHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard hasVectorSeaHash, let base = bytes.baseAddress else { return SeaHash.hash(bytes) }
        var buffer: UnsafePointer<UInt8>? = base
        var hash: UInt64 = 0
        redoxfs_seahash_vector(&buffer, 1, bytes.count, &hash)
        return hash
    }
}

/// Any `StorageDevice`, as one concrete type for the hosted engine.
public struct AnyStorageDevice: StorageDevice {
    /// The device itself.
    public var base: any StorageDevice

    /// Wraps `base` (a wrapper is taken as it is, not wrapped again).
    public init(_ base: any StorageDevice) {
        if let wrapped = base as? AnyStorageDevice { self = wrapped } else { self.base = base }
    }

    public var blockCount: UInt64 { base.blockCount }

    public mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try base.readBlocks(at: index, into: buffer)
    }

    public mutating func readBlocksBypassingCache(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try base.readBlocksBypassingCache(at: index, into: buffer)
    }

    public mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        try base.writeBlocks(at: index, from: buffer)
    }

    /// Passed on, so that an image file's gathered write (one `pwritev` per run of a commit)
    /// is not lost to the protocol's block-by-block default.
    public mutating func writeBlocks(at index: UInt64, gathering buffers: [[UInt8]]) throws(FormatError) {
        try base.writeBlocks(at: index, gathering: buffers)
    }

    public mutating func flush() throws(FormatError) { try base.flush() }

    public mutating func startWriteback() { base.startWriteback() }

    public mutating func prefetchBlocks(at index: UInt64, count: Int) { base.prefetchBlocks(at: index, count: count) }

    public func close() { base.close() }
}

extension FileSystem {
    /// Opens the file system on `device`. `startBlock` pins the header ring's position (else the
    /// device is scanned); `password` unlocks an encrypted file system. `generation` opens an older
    /// generation of the ring read-only, as it was; without it a newest generation whose root
    /// cannot be read is refused (`FileSystemError.damagedGeneration`). `fileRecordSize`: the
    /// record size of regular files created from then on.
    public convenience init(
        device: any StorageDevice, startBlock: UInt64? = nil, password: [UInt8]? = nil, writable: Bool = false,
        generation: UInt64? = nil, fileRecordSize: RecordSize = .upstream
    ) throws(FileSystemError) {
        try self.init(
            device: AnyStorageDevice(device), providers: HostedProviders(), startBlock: startBlock, password: password,
            writable: writable, generation: generation, fileRecordSize: fileRecordSize)
    }

    /// Opens the image or block device at `path` (a partition: `byteOffset`).
    public convenience init(
        path: String, readOnly: Bool = true, byteOffset: UInt64 = 0, startBlock: UInt64? = nil, password: [UInt8]? = nil,
        generation: UInt64? = nil
    ) throws(FileSystemError) {
        let device = try FileDevice.open(path: path, readOnly: readOnly, byteOffset: byteOffset)
        do {
            try self.init(device: device, startBlock: startBlock, password: password, writable: !readOnly, generation: generation)
        } catch {
            device.close()
            throw error
        }
    }

    /// Makes a new, empty file system on `device` (see `FileSystemEngine.format`).
    public static func format(device: any StorageDevice, options: FormatOptions = FormatOptions()) throws(FileSystemError) -> FileSystem {
        try format(device: AnyStorageDevice(device), providers: HostedProviders(), options: options)
    }

    /// Opens `device` for a repair (see `FileSystemEngine.openForRepair`).
    package static func openForRepair(
        device: any StorageDevice, header: Header, startBlock: UInt64, keys: DataKeys?, freeExtents: [Range<UInt64>],
        writtenAfter newestGeneration: UInt64, commitReserve: UInt64
    ) -> FileSystem {
        openForRepair(
            device: AnyStorageDevice(device), providers: HostedProviders(), header: header, startBlock: startBlock,
            keys: keys, freeExtents: freeExtents, writtenAfter: newestGeneration, commitReserve: commitReserve)
    }
}

/// The surveyor of generations over any device, with the hosted cipher.
public typealias GenerationSurveyor = RingSurveyor<AnyStorageDevice, OpenSSLXTS>

extension GenerationSurveyor {
    /// Surveys the file system at `startBlock` of `device`, unlocked with `keys` when encrypted.
    public convenience init(device: any StorageDevice, startBlock: UInt64, keys: DataKeys?) {
        self.init(
            device: AnyStorageDevice(device), startBlock: startBlock,
            cipher: keys.map { OpenSSLXTS(dataKey: $0.dataKey, tweakKey: $0.tweakKey) })
    }
}

extension GenerationSurvey {
    /// The first problems found, in words (at most eight).
    public var damage: [String] { damageFound.map(\.description) }
}

extension Timestamp {
    /// The current real time, from the kernel's coarse clock (`CLOCK_REALTIME_COARSE`, one step per
    /// scheduler tick): the clock Linux's `current_time` reads for inodes of file systems without
    /// multigrain times, FUSE's among them (since Linux 6.13 it may return a later "floor" for the
    /// rest of a tick in which a multigrain file system handed out a fine time, so a match is
    /// likely, not certain). With the mount's writeback cache the kernel keeps a file's times and
    /// compares them with that clock on each write: a file created and written within one tick
    /// keeps the times its CREATE reply gave, so its close sends no SETATTR to flush them.
    public static func now() -> Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return Timestamp(seconds: UInt64(max(0, now.tv_sec)), nanoseconds: UInt32(now.tv_nsec))
    }
}
