import CFuse3
import RedoxFS
import RedoxFSFormat

/// The FUSE node ids the kernel uses as handles, and what `stat` shows.
///
/// `stat` shows the node id as the inode number (spec §13.6). The handle adds, above the node id,
/// a tag taken from the node's birth time (ctime, which the format never changes): node ids are
/// handed out lowest-free, so a deleted node's id comes back for the next new node, while the
/// kernel may still hold the old node (a path walk in progress, a cached dentry). With the same
/// handle the kernel would mark its old inode bad and fail whoever uses it with EIO; with a new
/// handle the two are different inodes, and requests on the old one find the tag changed and get
/// ENOENT, as for any file deleted under a process's feet. The root keeps handle 1.
enum InodeNumbers {
    /// The handle for node `id`.
    static func handle(for id: UInt32, _ node: Node) -> fuse_ino_t {
        guard id != 1 else { return fuse_ino_t(FUSE_ROOT_ID) }
        return fuse_ino_t(tag(of: node)) << 32 | fuse_ino_t(id)
    }

    /// The node id inside a handle.
    static func nodeID(of handle: fuse_ino_t) -> UInt32 { UInt32(truncatingIfNeeded: handle) }

    /// Whether `handle` names this life of node `id` (the root is always itself).
    static func matches(_ handle: fuse_ino_t, id: UInt32, _ node: Node) -> Bool {
        id == 1 ? handle == fuse_ino_t(FUSE_ROOT_ID) : handle == self.handle(for: id, node)
    }

    /// 32 bits of the node's birth time, mixed (seahash of seconds and nanoseconds).
    static func tag(of node: Node) -> UInt32 {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: node.ctime >> (8 * UInt64(i))) }
        for i in 0..<4 { bytes[8 + i] = UInt8(truncatingIfNeeded: node.ctimeNanoseconds >> (8 * UInt32(i))) }
        return UInt32(truncatingIfNeeded: SeaHash.hash(bytes))
    }
}
