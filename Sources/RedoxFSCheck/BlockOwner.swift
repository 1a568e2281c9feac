import RedoxFS

/// Who uses a block reachable from the header.
enum BlockOwner: Hashable, Sendable {
    /// The tree lists of the node tree (no node is charged for them).
    case nodeTree
    /// Node `id`: its node block and everything reachable from its level area.
    case node(UInt32)
    /// The allocation log chain.
    case allocationLog
    /// The release list chain.
    case releaseList

    var nodeID: UInt32? {
        if case .node(let id) = self { return id }
        return nil
    }
}

/// One extent in use: `count` blocks from `start`, holding `structure` for `owner`.
struct BlockClaim: Sendable {
    var start: UInt64
    var count: UInt64
    var owner: BlockOwner
    var structure: Structure

    var end: UInt64 { start &+ count }
}

/// Every extent reachable from the header, in the order found, with a bitmap (over the blocks the
/// device holds) answering "already claimed?" so that no block is descended into twice: this bounds
/// the work on hostile images whose pointers share or loop.
struct BlockClaims {
    private var words: [UInt64]
    /// Blocks covered by the bitmap (the file system's blocks that the device holds).
    let limit: UInt64
    private(set) var claims: [BlockClaim] = []

    init(limit: UInt64) {
        self.limit = limit
        words = [UInt64](repeating: 0, count: Int((limit + 63) / 64))
    }

    private func isSet(_ block: UInt64) -> Bool { words[Int(block / 64)] & (1 << (block % 64)) != 0 }

    /// Makes room for `count` claims in all (no copies of the list as it grows).
    mutating func reserveCapacity(_ count: Int) { claims.reserveCapacity(count) }

    /// Records the extent; returns true when none of its blocks was claimed before (the caller may then
    /// read and descend into it). Blocks past `limit` are recorded but never fresh.
    mutating func claim(start: UInt64, count: UInt64, owner: BlockOwner, structure: Structure) -> Bool {
        claims.append(BlockClaim(start: start, count: count, owner: owner, structure: structure))
        guard start < limit, count <= limit - start else { return false }
        var block = start
        while block < start + count {
            if isSet(block) { return false }
            block += 1
        }
        block = start
        while block < start + count {
            words[Int(block / 64)] |= 1 << (block % 64)
            block += 1
        }
        return true
    }

    /// Sorts the claims by start block (for the space pass's sweep and owner look-ups).
    /// Stable: claims of equal start and count keep the order found.
    mutating func sortByStart() {
        guard claims.count > 1 else { return }
        if let order = ClaimOrder.sorted(claims) {
            let unsorted = claims
            claims = order.map { unsorted[Int($0)] }
        } else {
            claims.sort { $0.start != $1.start ? $0.start < $1.start : $0.count < $1.count }
        }
    }

    /// The claims overlapping `block` (after `sortByStart`).
    func owners(of block: UInt64) -> [BlockClaim] {
        // Claims are at most 32 blocks long: look back from the first claim starting after `block`.
        var low = 0, high = claims.count
        while low < high {
            let mid = (low + high) / 2
            if claims[mid].start <= block { low = mid + 1 } else { high = mid }
        }
        var result: [BlockClaim] = []
        var index = low - 1
        while index >= 0, block - claims[index].start < 64 {
            if claims[index].end > block { result.append(claims[index]) }
            index -= 1
        }
        return result.reversed()
    }
}
