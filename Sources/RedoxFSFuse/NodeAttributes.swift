#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// The attributes the kernel sees for a node (spec §13.6, with the file type always right).
enum NodeAttributes {
    /// `stat` for node `id`: inode = node id, blocks in 512-byte units, the three times as stored,
    /// and the device number of a device node.
    static func stat(of node: Node, id: UInt32) -> stat {
        var info = Glibc.stat()
        info.st_ino = ino_t(id)
        info.st_mode = mode_t(fileType(of: node)) | mode_t(node.mode & Node.modePermissionMask)
        info.st_nlink = nlink_t(node.links)
        info.st_uid = node.uid
        info.st_gid = node.gid
        info.st_size = off_t(clamping: node.size)
        info.st_blksize = 4096
        info.st_blocks = blkcnt_t(clamping: node.blocks.multipliedReportingOverflow(by: 8).partialValue)
        info.st_atim = timespec(seconds: node.atime, nanoseconds: node.atimeNanoseconds)
        info.st_mtim = timespec(seconds: node.mtime, nanoseconds: node.mtimeNanoseconds)
        info.st_ctim = timespec(seconds: node.ctime, nanoseconds: node.ctimeNanoseconds)
        if node.kind?.isDevice == true, let device = DeviceNumber(inlineContentOf: node) {
            info.st_rdev = dev_t(device.linuxValue)
        }
        return info
    }

    /// The POSIX file type bits: the format's own (they are the POSIX values); an unknown type
    /// shows as a regular file, as upstream does.
    static func fileType(of node: Node) -> UInt32 {
        switch node.kind {
        case .directory: return UInt32(Glibc.S_IFDIR)
        case .symlink: return UInt32(Glibc.S_IFLNK)
        case .socket: return UInt32(Glibc.S_IFSOCK)
        case .fifo: return UInt32(Glibc.S_IFIFO)
        case .characterDevice: return UInt32(Glibc.S_IFCHR)
        case .blockDevice: return UInt32(Glibc.S_IFBLK)
        case .file, nil: return UInt32(Glibc.S_IFREG)
        }
    }
}

extension timespec {
    init(seconds: UInt64, nanoseconds: UInt32) {
        self.init(tv_sec: time_t(clamping: seconds), tv_nsec: Int(min(nanoseconds, 999_999_999)))
    }
}

extension Timestamp {
    /// The time in `value`, clamped to the format's range (no times before the epoch).
    init(_ value: timespec) {
        if value.tv_sec < 0 {
            self.init(seconds: 0, nanoseconds: 0)
        } else {
            self.init(seconds: UInt64(value.tv_sec), nanoseconds: UInt32(clamping: max(0, min(value.tv_nsec, 999_999_999))))
        }
    }
}
