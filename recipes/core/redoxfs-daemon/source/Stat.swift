// The 104-byte `Stat` of a node (kernel.md §2.6), shared by both file schemes.

import RedoxFSFormat

/// Fills `out` with the stat of node `id`.
func writeStat(id: UInt32, node: Node, to out: UnsafeMutableRawBufferPointer) {
    out.initializeMemory(as: UInt8.self, repeating: 0)
    out.storeBytes(of: UInt64(id), toByteOffset: 8, as: UInt64.self)
    out.storeBytes(of: node.mode, toByteOffset: 16, as: UInt16.self)
    out.storeBytes(of: node.links, toByteOffset: 20, as: UInt32.self)
    out.storeBytes(of: node.uid, toByteOffset: 24, as: UInt32.self)
    out.storeBytes(of: node.gid, toByteOffset: 28, as: UInt32.self)
    out.storeBytes(of: node.size, toByteOffset: 32, as: UInt64.self)
    out.storeBytes(of: UInt32(RedoxFS.blockSize), toByteOffset: 40, as: UInt32.self)
    out.storeBytes(of: node.blocks * UInt64(RedoxFS.blockSize / 512), toByteOffset: 48, as: UInt64.self)
    out.storeBytes(of: node.mtime, toByteOffset: 56, as: UInt64.self)
    out.storeBytes(of: node.mtimeNanoseconds, toByteOffset: 64, as: UInt32.self)
    out.storeBytes(of: node.atime, toByteOffset: 72, as: UInt64.self)
    out.storeBytes(of: node.atimeNanoseconds, toByteOffset: 80, as: UInt32.self)
    out.storeBytes(of: node.ctime, toByteOffset: 88, as: UInt64.self)
    out.storeBytes(of: node.ctimeNanoseconds, toByteOffset: 96, as: UInt32.self)
}
