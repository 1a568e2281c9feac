#if canImport(Glibc)
import Glibc
#endif
import CFuse3

/// The table of C callbacks handed to `fuse_session_new`. Each callback finds the `FuseBridge`
/// through the session's user data and forwards the request to it.
enum FuseOperationsTable {
    static func make() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = { userdata, connection in
            guard let userdata, let connection else { return }
            Unmanaged<FuseBridge>.fromOpaque(userdata).takeUnretainedValue().configure(connection)
        }
        ops.lookup = { request, parent, name in forward(request) { $0.lookup(request, parent: parent, name: name) } }
        ops.forget = { request, _, _ in fuse_reply_none(request) }
        ops.forget_multi = { request, _, _ in fuse_reply_none(request) }
        ops.getattr = { request, inode, _ in forward(request) { $0.getattr(request, inode: inode) } }
        ops.setattr = { request, inode, attributes, toSet, _ in
            forward(request) { $0.setattr(request, inode: inode, attributes: attributes, toSet: toSet) }
        }
        ops.readlink = { request, inode in forward(request) { $0.readlink(request, inode: inode) } }
        ops.mknod = { request, parent, name, mode, device in
            forward(request) { $0.mknod(request, parent: parent, name: name, mode: mode, device: device) }
        }
        ops.mkdir = { request, parent, name, mode in forward(request) { $0.mkdir(request, parent: parent, name: name, mode: mode) } }
        ops.unlink = { request, parent, name in forward(request) { $0.unlink(request, parent: parent, name: name) } }
        ops.rmdir = { request, parent, name in forward(request) { $0.rmdir(request, parent: parent, name: name) } }
        ops.symlink = { request, target, parent, name in
            forward(request) { $0.symlink(request, target: target, parent: parent, name: name) }
        }
        ops.rename = { request, parent, name, newParent, newName, flags in
            forward(request) { $0.rename(request, parent: parent, name: name, newParent: newParent, newName: newName, flags: flags) }
        }
        ops.link = { request, inode, newParent, newName in
            forward(request) { $0.link(request, inode: inode, newParent: newParent, newName: newName) }
        }
        ops.open = { request, inode, info in forward(request) { $0.open(request, inode: inode, info: info) } }
        ops.create = { request, parent, name, mode, info in
            forward(request) { $0.create(request, parent: parent, name: name, mode: mode, info: info) }
        }
        ops.read = { request, inode, size, offset, info in
            forward(request) { $0.read(request, inode: inode, size: size, offset: offset, flags: info?.pointee.flags ?? 0) }
        }
        ops.write = { request, inode, bytes, size, offset, info in
            let fromPageCache = info?.pointee.writepage != 0
            forward(request) { $0.write(request, inode: inode, bytes: bytes, size: size, offset: offset, fromPageCache: fromPageCache) }
        }
        ops.flush = { request, inode, info in forward(request) { $0.flush(request, inode: inode, handle: info?.pointee.fh ?? 0) } }
        ops.release = { request, inode, info in forward(request) { $0.release(request, inode: inode, handle: info?.pointee.fh ?? 0) } }
        ops.fsync = { request, inode, _, info in forward(request) { $0.fsync(request, inode: inode, handle: info?.pointee.fh ?? 0) } }
        ops.fallocate = { request, inode, mode, offset, length, _ in
            forward(request) { $0.fallocate(request, inode: inode, mode: mode, offset: offset, length: length) }
        }
        ops.access = { request, inode, mask in forward(request) { $0.access(request, inode: inode, mask: mask) } }
        ops.opendir = { request, inode, info in forward(request) { $0.opendir(request, inode: inode, info: info) } }
        ops.readdir = { request, inode, size, offset, info in
            forward(request) { $0.readdir(request, inode: inode, size: size, offset: offset, info: info, plus: false) }
        }
        ops.readdirplus = { request, inode, size, offset, info in
            forward(request) { $0.readdir(request, inode: inode, size: size, offset: offset, info: info, plus: true) }
        }
        ops.releasedir = { request, _, info in forward(request) { $0.releasedir(request, info: info) } }
        ops.fsyncdir = { request, _, _, _ in forward(request) { $0.fsyncdir(request) } }
        ops.statfs = { request, _ in forward(request) { $0.statfs(request) } }
        // The format stores no extended attributes (spec §13.3). ENOSYS tells the kernel once for
        // all: it answers EOPNOTSUPP itself from then on, and stops asking for
        // security.capability before every write.
        ops.setxattr = { request, _, _, _, _, _ in fuse_reply_err(request, ENOSYS) }
        ops.getxattr = { request, _, _, _ in fuse_reply_err(request, ENOSYS) }
        ops.listxattr = { request, _, _ in fuse_reply_err(request, ENOSYS) }
        ops.removexattr = { request, _, _ in fuse_reply_err(request, ENOSYS) }
        return ops
    }
}

/// Runs `body` with the bridge registered as the request's session user data, or answers EIO
/// when there is none (a free function: C callbacks cannot capture context).
private func forward(_ request: fuse_req_t?, _ body: (FuseBridge) -> Void) {
    guard let userdata = fuse_req_userdata(request) else {
        fuse_reply_err(request, EIO)
        return
    }
    body(Unmanaged<FuseBridge>.fromOpaque(userdata).takeUnretainedValue())
}
