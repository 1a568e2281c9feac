import CFuse3
import RedoxFS
import RedoxFSFormat
import Synchronization

/// The FUSE node ids the kernel uses as handles, and what `stat` shows.
///
/// `stat` shows the node id as the inode number (spec §13.6). The handle adds, above the node id,
/// a tag for this life of the node: node ids are handed out lowest-free, so a deleted node's id
/// comes back for the next new node, while the kernel may still hold the old node (a path walk
/// in progress, a cached dentry). With the same handle the kernel would mark its old inode bad
/// and fail whoever uses it with EIO; with a new handle the two are different inodes, and
/// requests on the old one find the tag changed and get ENOENT, as for any file deleted under a
/// process's feet. The root keeps handle 1.
///
/// The format keeps no birth time (ctime changes with every change, as POSIX wants), so the tags
/// live in memory: a node the mount found on the image has tag 0, every node this mount makes
/// gets the next tag of a counter. Nothing but this mount changes the file system while it is
/// mounted, so an id reused by a new node always gets a tag the kernel has not seen with it. The
/// table holds one tag per node id ever made by this mount (ids are reused, so it is bounded by
/// the largest number of nodes alive at once).
final class InodeNumbers: Sendable {
    private struct State {
        var tags: [UInt32: UInt32] = [:]
        var next: UInt32 = 1
    }

    private let state = Mutex(State())

    /// The node id inside a handle.
    static func nodeID(of handle: fuse_ino_t) -> UInt32 { UInt32(truncatingIfNeeded: handle) }

    /// Gives node `id`, just made by this mount, a tag of its own.
    func assignTag(to id: UInt32) {
        state.withLock { state in
            state.tags[id] = state.next
            state.next = state.next == UInt32.max ? 1 : state.next + 1
        }
    }

    /// The tag of node `id`'s current life.
    func tag(of id: UInt32) -> UInt32 {
        state.withLock { $0.tags[id] ?? 0 }
    }

    /// The handle for node `id`.
    func handle(for id: UInt32) -> fuse_ino_t {
        guard id != RedoxFS.rootNodeID else { return fuse_ino_t(FUSE_ROOT_ID) }
        return fuse_ino_t(tag(of: id)) << 32 | fuse_ino_t(id)
    }

    /// Whether `handle` names this life of node `id` (the root is always itself).
    func matches(_ handle: fuse_ino_t, id: UInt32) -> Bool {
        handle == self.handle(for: id)
    }
}
