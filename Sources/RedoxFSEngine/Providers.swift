import RedoxFSFormat

/// What the portable engine needs from its platform: the data cipher, the LZ4 codec, Argon2id,
/// random bytes, the clock, the lock around public calls and SeaHash (a default: the core's). The core's implementations serve
/// everywhere (`CoreProviders`); the hosted engine plugs in OpenSSL, libsodium, liblz4,
/// `clock_gettime` and a pthread mutex.
public protocol EngineProviders {
    associatedtype Cipher: XTSCipher
    associatedtype Codec: LZ4Codec
    associatedtype Lock: EngineLocking

    /// The XTS-AES-128 cipher of data keys k1 (`dataKey`) and k2 (`tweakKey`).
    func cipher(dataKey: [UInt8], tweakKey: [UInt8]) -> Cipher
    /// The LZ4 block codec.
    var codec: Codec { get }
    /// Argon2id with the format's parameters (spec §5.2) of `password` and a 16-byte `salt`.
    func deriveKey(password: [UInt8], salt: [UInt8]) -> [UInt8]
    /// `count` bytes from a cryptographically secure random source (salts, keys, uuids).
    func randomBytes(_ count: Int) -> [UInt8]
    /// The current real time.
    func now() -> Timestamp
    /// A new lock for one open file system.
    func makeLock() -> Lock
    /// The SeaHash of `bytes`, exactly `SeaHash.hash`'s (the default): the hash of every block
    /// the engine reads (verified) and writes. A platform may give a faster implementation.
    func seaHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64
    /// `SeaHash.advance`'s result (the default): `lanes` advanced over the whole 32-byte rows of
    /// `rows`, in the platform's faster code if it has one.
    func seaHashAdvance(_ lanes: inout SeaHashLanes, over rows: UnsafeBufferPointer<UInt8>)
    /// Runs `prepare(i)` and then `finish(i)` for each `i` in `0..<count`: every `finish` in
    /// order, each after its own `prepare`, and `prepare(i)` only once `finish(i - 2)` has
    /// returned (two stages in flight). A platform may run `prepare(i + 1)` on another thread
    /// while `prepare(i)` or `finish(i)` runs (an encrypted commit: the next stage is encrypted
    /// while the last is written); `prepare` must then touch nothing `finish` or another
    /// `prepare` touches but stage `i`'s own, and what they share (the `Cipher`) must be safe to
    /// use from several threads at once (the hosted ciphers are). When
    /// `finish` throws, no later `finish` runs and the error comes out once every `prepare`
    /// started has returned. The default runs them one after the other on the caller's thread.
    func pipeline<E: Error>(count: Int, prepare: (Int) -> Void, finish: (Int) throws(E) -> Void) throws(E)
    /// Runs `body(i)` once for each `i` in `0..<count` and returns once every call has returned.
    /// A platform may run several calls at a time on other threads, in any order (a large read
    /// of an encrypted file: its pieces decrypted and verified on both processors); `body` must
    /// then touch nothing but item `i`'s own and what is safe to share. The engine's bodies run
    /// on those threads without taking its lock (the caller holds it for them): they only use the
    /// lock's `guarded` (which must then exclude other threads, as the hosted `EngineLock` does)
    /// and never `locked`/`sharedLocked`, which a waiting writer could block behind the caller.
    /// The default runs them in order on the caller's thread.
    func forEachConcurrently(count: Int, _ body: (Int) -> Void)
}

extension EngineProviders {
    /// The core's SeaHash.
    @inline(__always)
    public func seaHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 { SeaHash.hash(bytes) }

    /// The core's SeaHash rows.
    @inline(__always)
    public func seaHashAdvance(_ lanes: inout SeaHashLanes, over rows: UnsafeBufferPointer<UInt8>) {
        SeaHash.advance(&lanes, over: rows)
    }

    /// One thread, in order.
    public func forEachConcurrently(count: Int, _ body: (Int) -> Void) {
        for index in 0..<max(0, count) { body(index) }
    }

    /// One thread: each stage prepared, then finished.
    public func pipeline<E: Error>(count: Int, prepare: (Int) -> Void, finish: (Int) throws(E) -> Void) throws(E) {
        for stage in 0..<max(0, count) {
            prepare(stage)
            try finish(stage)
        }
    }
}

/// The lock the engine holds around each public call: exclusive for calls that change the file
/// system, shared for calls that only read it. A single-threaded user (the Redox daemon) passes
/// `NoLock`; a lock that only has the exclusive mode (the defaults below) serves every call one
/// at a time, which is always correct.
///
/// The rules a lock with a real shared mode must keep (the hosted `EngineLock` does):
/// - Both modes nest: public methods call each other. A thread holding the lock exclusively may
///   take it again in either mode; a thread holding it shared may take it shared again. A thread
///   holding it only shared never asks for it exclusively (the engine's read paths never write).
/// - `admittingReaders` is called by the exclusive holder only (a commit doing its device I/O):
///   it lets shared holders in while `body` runs, but no other exclusive holder.
/// - `guarded` serialises the few changes shared holders make (the block cache); its body takes
///   no lock and calls nothing that does.
public protocol EngineLocking {
    /// Runs `body` holding the lock exclusively.
    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T
    /// Runs `body` holding the lock shared: other shared holders may run at the same time.
    func sharedLocked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T
    /// Called holding the lock exclusively: runs `body` with shared holders admitted, still
    /// keeping every other would-be exclusive holder out.
    func admittingReaders<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T
    /// Runs `body` (short, taking no lock) excluding every other `guarded` body.
    func guarded<T>(_ body: () -> T) -> T
}

extension EngineLocking {
    /// Without a shared mode, shared holders are exclusive ones.
    @inline(__always)
    public func sharedLocked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T { try locked(body) }

    /// Without a shared mode there is nobody to admit.
    @inline(__always)
    public func admittingReaders<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T { try body() }

    /// Without a shared mode every holder is alone already.
    @inline(__always)
    public func guarded<T>(_ body: () -> T) -> T { body() }
}

/// No lock at all, for callers that never enter the engine from two threads at once.
public struct NoLock: EngineLocking {
    public init() {}

    @inline(__always)
    public func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T { try body() }
}

/// The providers made of the format core's own code (XTS-AES-128, LZ4, Argon2id), with the clock
/// and the random source given by the caller (a kernel has its own), and no lock.
public struct CoreProviders: EngineProviders {
    let clock: () -> Timestamp
    let random: (_ count: Int) -> [UInt8]

    /// `clock` gives the current time; `random(count)` gives `count` random bytes.
    public init(clock: @escaping () -> Timestamp, random: @escaping (_ count: Int) -> [UInt8]) {
        self.clock = clock
        self.random = random
    }

    public func cipher(dataKey: [UInt8], tweakKey: [UInt8]) -> XTSAES128 {
        XTSAES128(dataKey: dataKey, tweakKey: tweakKey)
    }

    public var codec: SwiftLZ4 { SwiftLZ4() }

    public func deriveKey(password: [UInt8], salt: [UInt8]) -> [UInt8] {
        Argon2id.deriveKey(password: password, salt: salt)
    }

    public func randomBytes(_ count: Int) -> [UInt8] { random(count) }

    public func now() -> Timestamp { clock() }

    public func makeLock() -> NoLock { NoLock() }
}
