import CCrypto
import RedoxFSFormat
import Synchronization

/// XTS-AES-128 through libcrypto's `EVP_aes_128_xts` (AES-NI where available), a drop-in
/// replacement for the core's `XTSAES128` with identical output.
///
/// OpenSSL 3 refuses XTS keys with k1 == k2 ("xts duplicated keys"); such keys, and any other
/// key OpenSSL rejects, are served by the pure-Swift `XTSAES128` instead. Safe to share between
/// threads: each call borrows an initialised context from a small pool (one per concurrent caller).
public struct OpenSSLXTS: XTSCipher, Sendable {
    private let core: XTSAES128
    private let contexts: ContextPool?

    /// Creates the cipher from k1 (`dataKey`) and k2 (`tweakKey`), 16 bytes each.
    public init(dataKey: [UInt8], tweakKey: [UInt8]) {
        core = XTSAES128(dataKey: dataKey, tweakKey: tweakKey)
        contexts = dataKey == tweakKey ? nil : ContextPool(key: dataKey + tweakKey)
    }

    /// Whether calls go to OpenSSL (false: the keys are served by the pure-Swift fallback).
    public var usesOpenSSL: Bool { contexts != nil }

    public func encrypt(_ buffer: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int) {
        process(UnsafeRawBufferPointer(buffer), into: buffer, firstUnit: firstUnit, unitSize: unitSize, encrypting: true)
    }

    public func decrypt(_ buffer: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int) {
        process(UnsafeRawBufferPointer(buffer), into: buffer, firstUnit: firstUnit, unitSize: unitSize, encrypting: false)
    }

    /// Encrypts out of place: libcrypto reads `source` and writes `destination`, no copy first.
    public func encrypt(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int
    ) {
        precondition(source.count == destination.count, "XTS copies keep their length")
        process(source, into: destination, firstUnit: firstUnit, unitSize: unitSize, encrypting: true)
    }

    /// Runs `source` through the cipher into `destination` (the same memory, or none of it).
    private func process(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int,
        encrypting: Bool
    ) {
        precondition(unitSize > 0 && unitSize % 16 == 0, "XTS data units are multiples of 16 bytes")
        precondition(destination.count % 16 == 0, "XTS buffers are multiples of 16 bytes")
        guard let input = source.baseAddress?.assumingMemoryBound(to: UInt8.self), let output = destination.baseAddress else { return }
        guard let contexts, let context = contexts.take(encrypting: encrypting) else {
            fallBack(source, into: destination, firstUnit: firstUnit, unitSize: unitSize, encrypting: encrypting)
            return
        }
        var offset = 0
        var unit = firstUnit
        var succeeded = true
        while offset < destination.count && succeeded {
            let length = min(unitSize, destination.count - offset)
            // The IV is the data-unit number as a 128-bit little-endian integer.
            var iv: (UInt64, UInt64) = (unit.littleEndian, 0)
            succeeded = withUnsafeBytes(of: &iv) { ivBytes in
                // Re-initialise only the IV (nil cipher and key keep the keyed schedule).
                let ivPointer = ivBytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
                guard EVP_CipherInit_ex(context.raw, nil, nil, nil, ivPointer, -1) == 1 else { return false }
                var written: Int32 = 0
                return EVP_CipherUpdate(context.raw, output + offset, &written, input + offset, Int32(length)) == 1
                    && Int(written) == length
            }
            if succeeded {
                offset += length
                unit &+= 1
            }
        }
        contexts.give(context, encrypting: encrypting)
        if !succeeded {
            // Not expected once a context exists; finish the remaining units in Swift.
            fallBack(
                UnsafeRawBufferPointer(rebasing: source[offset...]), into: UnsafeMutableBufferPointer(rebasing: destination[offset...]),
                firstUnit: unit, unitSize: unitSize, encrypting: encrypting)
        }
    }

    private func fallBack(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int,
        encrypting: Bool
    ) {
        if let from = source.baseAddress, let to = destination.baseAddress, UnsafeRawPointer(to) != from {
            UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: destination.count)
        }
        if encrypting {
            core.encrypt(destination, firstUnit: firstUnit, unitSize: unitSize)
        } else {
            core.decrypt(destination, firstUnit: firstUnit, unitSize: unitSize)
        }
    }
}

/// An `EVP_CIPHER_CTX` keyed for one direction.
private struct CipherContext: @unchecked Sendable {
    let raw: OpaquePointer
}

/// Keyed contexts not currently in use, per direction; grows to the number of concurrent callers.
private final class ContextPool: Sendable {
    private struct Idle {
        var encryptors: [CipherContext] = []
        var decryptors: [CipherContext] = []
    }

    private let key: [UInt8]
    private let idle = Mutex(Idle())

    init(key: [UInt8]) {
        self.key = key
    }

    deinit {
        let contexts = idle.withLock { $0.encryptors + $0.decryptors }
        for context in contexts { EVP_CIPHER_CTX_free(context.raw) }
    }

    /// A context for the direction, from the pool or newly keyed; nil if OpenSSL refuses.
    func take(encrypting: Bool) -> CipherContext? {
        let pooled = idle.withLock { encrypting ? $0.encryptors.popLast() : $0.decryptors.popLast() }
        if let pooled { return pooled }
        guard let raw = EVP_CIPHER_CTX_new() else { return nil }
        let keyed = key.withUnsafeBufferPointer {
            EVP_CipherInit_ex(raw, EVP_aes_128_xts(), nil, $0.baseAddress, nil, encrypting ? 1 : 0) == 1
        }
        guard keyed else {
            EVP_CIPHER_CTX_free(raw)
            return nil
        }
        return CipherContext(raw: raw)
    }

    /// Returns a context taken with `take(encrypting:)`.
    func give(_ context: CipherContext, encrypting: Bool) {
        idle.withLock {
            if encrypting { $0.encryptors.append(context) } else { $0.decryptors.append(context) }
        }
    }
}
