#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS

/// ACCESS: `access(2)` and `chdir(2)` on a mount without the kernel's permission checks
/// (`MountDaemon.kernelChecksPermissions`). With `default_permissions` the kernel answers them
/// itself and never sends this request.
extension FuseBridge {
    func access(_ request: fuse_req_t?, inode: fuse_ino_t, mask: Int32) {
        serve(request, "access") { () throws(FileSystemError) in
            let node = try fileSystem.shared { () throws(FileSystemError) in try resolve(inode).node }
            let caller = fuse_req_ctx(request)?.pointee
            let allowed = Self.allows(mask, on: node, uid: caller?.uid ?? 0, gid: caller?.gid ?? 0)
            fuse_reply_err(request, allowed ? 0 : EACCES)
        }
    }

    /// Whether the caller may `mask` (R_OK, W_OK, X_OK; F_OK is 0) `node`, as the kernel's
    /// `generic_permission` decides for a caller with these ids: root may read and write
    /// anything, search any directory, and execute a file with at least one execute bit; others
    /// get the owner's, the group's or everyone's bits. (Supplementary groups are not consulted:
    /// without `allow_other` only the mounting user reaches the mount, and a daemon that does
    /// not run as root keeps the kernel's checks.)
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
