// The physical frame allocator: free ranges taken from the loader's memory areas (kind Free,
// above 1 MiB, minus everything the loader handed over), handed out from the front; frames given
// back go on a list threaded through the frames themselves.

@_extern(c, "kernel_range_storage") func kernelRangeStorage() -> UnsafeMutablePointer<UInt64>

enum Frames {
    nonisolated(unsafe) static var ranges: UnsafeMutablePointer<UInt64> = kernelRangeStorage()
    nonisolated(unsafe) static var rangeCount = 0
    static let rangeCapacity = 256
    nonisolated(unsafe) static var freeList: UInt64 = 0
    nonisolated(unsafe) static var totalFrames: UInt64 = 0
    nonisolated(unsafe) static var usedFrames: UInt64 = 0
    /// Highest physical address of any area, to size the linear map.
    nonisolated(unsafe) static var highestAddress: UInt64 = 0

    static func initialize(_ boot: BootInfo) {
        ranges = kernelRangeStorage()
        let count = Int(boot.areasSize / 24)
        let table = UnsafeRawPointer(bitPattern: UInt(boot.areasBase))!
        for index in 0..<count {
            let base = table.loadUnaligned(fromByteOffset: 24 * index, as: UInt64.self)
            let size = table.loadUnaligned(fromByteOffset: 24 * index + 8, as: UInt64.self)
            let kind = table.loadUnaligned(fromByteOffset: 24 * index + 16, as: UInt64.self)
            if kind == 0 || size == 0 { continue }
            highestAddress = max(highestAddress, base &+ size)
            guard kind == MemoryArea.free else { continue }
            let start = max(roundUp(base), 1 << 20)
            let end = (base + size) & ~0xFFF
            if start < end { addRange(start, end) }
        }
        // Everything the loader handed over lies in Free areas too (no heap yet: no array here).
        reserve(boot.kernelBase, boot.kernelSize)
        reserve(boot.stackBase, boot.stackSize)
        reserve(boot.envBase, boot.envSize)
        reserve(boot.hardwareBase, boot.hardwareSize)
        reserve(boot.areasBase, boot.areasSize)
        reserve(boot.bootstrapBase, boot.bootstrapSize)
        for index in 0..<rangeCount {
            totalFrames += (ranges[2 * index + 1] - ranges[2 * index]) / 4096
            // The second half of the storage keeps the ranges as they were at start-up.
            ranges[2 * rangeCapacity + 2 * index] = ranges[2 * index]
            ranges[2 * rangeCapacity + 2 * index + 1] = ranges[2 * index + 1]
        }
        initialRangeCount = rangeCount
    }
    nonisolated(unsafe) static var initialRangeCount = 0

    /// Whether [start, end) touches RAM the allocator hands out (its ranges as at start-up).
    static func overlapsAllocatable(_ start: UInt64, _ end: UInt64) -> Bool {
        let initial = ranges + 2 * rangeCapacity
        for index in 0..<initialRangeCount where start < initial[2 * index + 1] && end > initial[2 * index] { return true }
        return false
    }

    private static func reserve(_ base: UInt64, _ size: UInt64) {
        if size > 0 { exclude(base & ~0xFFF, roundUp(base + size)) }
    }

    private static func roundUp(_ value: UInt64) -> UInt64 { (value + 0xFFF) & ~0xFFF }

    private static func addRange(_ start: UInt64, _ end: UInt64) {
        guard rangeCount < rangeCapacity else { return }
        ranges[2 * rangeCount] = start
        ranges[2 * rangeCount + 1] = end
        rangeCount += 1
    }

    /// Cuts [start, end) out of every free range.
    private static func exclude(_ start: UInt64, _ end: UInt64) {
        var index = 0
        let original = rangeCount
        while index < original {
            let a = ranges[2 * index], b = ranges[2 * index + 1]
            if start < b && end > a {
                if a < start && end < b {
                    ranges[2 * index + 1] = start
                    addRange(end, b)
                } else if start <= a && end >= b {
                    ranges[2 * index + 1] = a
                } else if start <= a {
                    ranges[2 * index] = end
                } else {
                    ranges[2 * index + 1] = start
                }
            }
            index += 1
        }
    }

    /// A zeroed frame, or nil when memory is exhausted.
    static func allocate() -> UInt64? {
        var frame: UInt64 = 0
        if freeList != 0 {
            frame = freeList
            freeList = Layout.physical(frame).load(as: UInt64.self)
        } else {
            for index in 0..<rangeCount where ranges[2 * index] < ranges[2 * index + 1] {
                frame = ranges[2 * index]
                ranges[2 * index] += 4096
                break
            }
            if frame == 0 { return nil }
        }
        usedFrames += 1
        Layout.physical(frame).initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        return frame
    }

    /// `count` zeroed frames at consecutive physical addresses (for device DMA), the first one's
    /// address, or nil when no free range is long enough.
    static func allocateContiguous(_ count: Int) -> UInt64? {
        let length = UInt64(count) * 4096
        for index in 0..<rangeCount where ranges[2 * index + 1] - ranges[2 * index] >= length {
            let start = ranges[2 * index]
            ranges[2 * index] += length
            usedFrames += UInt64(count)
            Layout.physical(start).initializeMemory(as: UInt8.self, repeating: 0, count: Int(length))
            return start
        }
        return nil
    }

    static func free(_ frame: UInt64) {
        Layout.physical(frame).storeBytes(of: freeList, as: UInt64.self)
        freeList = frame
        usedFrames -= 1
    }
}
