/// SplitMix64: a small seeded generator, so that test data is the same on every run and a
/// failure can be replayed from its seed.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0).
    public mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// `count` pseudo-random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        // The same stream as a `map` over the draws, written through a raw buffer (a debug
        // build's `map` costs four times as much per byte, and tests draw megabytes).
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: next()) }
            initialized = count
        }
    }

    /// `count` bytes in which about `repeatShare` percent repeat earlier bytes (runs and copies
    /// at random distances) and the rest are noise drawn from `alphabet` symbols.
    public mutating func data(_ count: Int, repeatShare: Int, alphabet: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let piece = 1 + next(below: 64)
            if !out.isEmpty && next(below: 100) < repeatShare {
                let distance = 1 + next(below: min(out.count, 80_000))
                for _ in 0..<piece { out.append(out[out.count - distance]) }
            } else {
                for _ in 0..<piece { out.append(UInt8(truncatingIfNeeded: next(below: alphabet))) }
            }
        }
        return Array(out[0..<count])
    }
}
