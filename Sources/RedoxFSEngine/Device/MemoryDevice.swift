import RedoxFSFormat

/// A device held in memory (tests, small images). Copies of the value share the same bytes.
public struct MemoryDevice: StorageDevice {
    final class Storage {
        var bytes: [UInt8]
        init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }
    }

    let storage: Storage
    public let blockCount: UInt64
    /// Number of flushes so far.
    public private(set) var flushCount = 0

    public init(blockCount: UInt64) {
        self.blockCount = blockCount
        storage = Storage(count: Int(blockCount) * RedoxFS.blockSize)
    }

    public init(bytes: [UInt8]) {
        blockCount = UInt64(bytes.count / RedoxFS.blockSize)
        storage = Storage(count: 0)
        storage.bytes = Array(bytes[0..<(Int(blockCount) * RedoxFS.blockSize)])
    }

    /// The device's bytes.
    public var bytes: [UInt8] { storage.bytes }

    public mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let start = Int(index) * RedoxFS.blockSize
        guard index < blockCount, start + buffer.count <= storage.bytes.count else { throw .io(block: index, code: 5) }
        storage.bytes.withUnsafeBytes { raw in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<start + buffer.count]))
        }
    }

    public mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        let start = Int(index) * RedoxFS.blockSize
        guard index < blockCount, start + buffer.count <= storage.bytes.count else { throw .io(block: index, code: 28) }
        storage.bytes.withUnsafeMutableBytes { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[start..<start + buffer.count]).copyMemory(from: buffer)
        }
    }

    public mutating func flush() throws(FormatError) { flushCount += 1 }
}
