#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS

/// ACCESS: `access(2)` and `chdir(2)` on a mount without the kernel's permission checks
/// (`-o no_default_permissions`); with `default_permissions` the kernel answers them itself and
/// never sends this request.
extension FuseBridge {
    func access(_ request: fuse_req_t?, inode: fuse_ino_t, mask: Int32) {
        serve(request, "access") { () throws(FileSystemError) in
            let node = try fileSystem.shared { () throws(FileSystemError) in try resolve(inode).node }
            guard let ids = fuse_req_ctx(request)?.pointee else {
                fuse_reply_err(request, EACCES)
                return
            }
            fuse_reply_err(request, Self.allows(mask, on: node, uid: ids.uid, gid: ids.gid) ? 0 : EACCES)
        }
    }

    /// Whether a caller with file-system ids `uid` and `gid` may `mask` (R_OK, W_OK, X_OK; F_OK
    /// is 0) `node`, as the kernel's `generic_permission` decides for callers with all of root's
    /// capabilities when `uid` is 0: root may read and write anything, search any directory,
    /// and execute what has at least one execute bit. Others get the owner's, else the group's,
    /// else everyone's bits; supplementary groups are not looked up, which refuses more, never
    /// less.
    static func allows(_ mask: Int32, on node: Node, uid: uid_t, gid: gid_t) -> Bool {
        let wanted = UInt16(truncatingIfNeeded: mask) & 0o7
        guard wanted != 0 else { return true }
        let permissions = node.permissions
        if uid == 0 {
            guard wanted & UInt16(X_OK) != 0, node.kind != .directory else { return true }
            return permissions & 0o111 != 0
        }
        let granted: UInt16
        if node.uid == uid {
            granted = (permissions >> 6) & 0o7
        } else if node.gid == gid {
            granted = (permissions >> 3) & 0o7
        } else {
            granted = permissions & 0o7
        }
        return granted & wanted == wanted
    }
}
