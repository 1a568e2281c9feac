/// The order of claims by (start, count), ties in the order found, worked out by a least
/// significant digit radix sort over packed keys: the claims of a large tree number hundreds of
/// thousands, where a comparison sort costs several times as much.
enum ClaimOrder {
    private static let digitBits = 11

    /// The claims' indices in sorted order; nil when a key does not fit the packing (hostile
    /// counts or starts), for the caller's comparison sort.
    static func sorted(_ claims: [BlockClaim]) -> [UInt32]? {
        let n = claims.count
        guard n < Int(UInt32.max) else { return nil }
        var maxStart: UInt64 = 0
        var maxCount: UInt64 = 0
        for claim in claims {
            maxStart = max(maxStart, claim.start)
            maxCount = max(maxCount, claim.count)
        }
        let countBits = UInt64.bitWidth - maxCount.leadingZeroBitCount
        let startBits = UInt64.bitWidth - maxStart.leadingZeroBitCount
        let indexBits = UInt64.bitWidth - UInt64(n).leadingZeroBitCount
        guard countBits + startBits + indexBits <= UInt64.bitWidth else { return nil }
        // Key (start, count) above the index: sorting the packed words sorts by key, ties by index.
        var source = [UInt64](unsafeUninitializedCapacity: n) { buffer, initialized in
            for (index, claim) in claims.enumerated() {
                buffer[index] = (claim.start << countBits | claim.count) << indexBits | UInt64(index)
            }
            initialized = n
        }
        var target = [UInt64](repeating: 0, count: n)
        let total = indexBits + countBits + startBits
        var shift = indexBits
        let mask = UInt64(1 << digitBits - 1)
        var offsets = [Int](repeating: 0, count: 1 << digitBits)
        while shift < total {
            let moved = source.withUnsafeBufferPointer { from in
                target.withUnsafeMutableBufferPointer { to in
                    offsets.withUnsafeMutableBufferPointer { offsets in
                        for digit in offsets.indices { offsets[digit] = 0 }
                        for word in from { offsets[Int((word >> UInt64(shift)) & mask)] += 1 }
                        // All in one bucket: this digit leaves the order as it is.
                        if offsets[Int((from[0] >> UInt64(shift)) & mask)] == n { return false }
                        var running = 0
                        for digit in offsets.indices {
                            let count = offsets[digit]
                            offsets[digit] = running
                            running += count
                        }
                        for word in from {
                            let digit = Int((word >> UInt64(shift)) & mask)
                            to[offsets[digit]] = word
                            offsets[digit] += 1
                        }
                        return true
                    }
                }
            }
            if moved { swap(&source, &target) }
            shift += digitBits
        }
        let indexMask = UInt64(1) << indexBits - 1
        return source.map { UInt32($0 & indexMask) }
    }
}
