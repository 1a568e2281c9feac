// The `initfs` scheme: files, directories (read = names, one per line) and symbolic links of the
// image, read in place.

import RedoxInitfs
import RedoxRuntime

final class InitfsDaemon: SchemeDaemon {
    let image: InitfsView
    var handles: [(inode: InitfsInode, path: [UInt8])?] = []

    init(image: InitfsView) {
        self.image = image
        super.init(name: bytes("initfs"))
    }

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) {
        guard let inode = try? image.lookup(path) else { return (-Errno.ENOENT, false) }
        if flags & OpenFlags.directory != 0 && inode.kind != .directory { return (-20, false) }
        let entry = (inode, path)
        for index in 0..<handles.count where handles[index] == nil {
            handles[index] = entry
            return (index, true)
        }
        handles.append(entry)
        return (handles.count - 1, true)
    }

    private func content(_ handle: Int) -> [UInt8]? {
        guard handle >= 0, handle < handles.count, let (inode, _) = handles[handle] else { return nil }
        if inode.kind == .directory {
            guard let entries = try? image.entries(inode) else { return nil }
            var listing: [UInt8] = []
            for entry in entries { listing += Array(image.name(entry)); listing.append(0x0A) }
            return listing
        }
        return nil
    }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        guard handle >= 0, handle < handles.count, let (inode, _) = handles[handle] else { return -Errno.EBADF }
        if let listing = content(handle) {
            guard offset < UInt64(listing.count) else { return 0 }
            let count = min(buffer.count, listing.count - Int(offset))
            for index in 0..<count { buffer[index] = listing[Int(offset) + index] }
            return count
        }
        let data = image.data(inode)
        guard offset < UInt64(data.count) else { return 0 }
        let count = min(buffer.count, data.count - Int(offset))
        buffer.baseAddress!.copyMemory(from: data.baseAddress! + Int(offset), byteCount: count)
        return count
    }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int { -30 }   // EROFS

    override func close(handle: Int) {
        if handle >= 0 && handle < handles.count { handles[handle] = nil }
    }

    override func size(handle: Int) -> Int {
        guard handle >= 0, handle < handles.count, let (inode, _) = handles[handle] else { return -Errno.EBADF }
        return content(handle)?.count ?? inode.length
    }

    override func stat(handle: Int) -> (UInt16, UInt64)? {
        guard handle >= 0, handle < handles.count, let (inode, _) = handles[handle] else { return nil }
        return (inode.kind.mode, UInt64(size(handle: handle)))
    }

    override func path(handle: Int) -> [UInt8] {
        guard handle >= 0, handle < handles.count, let (_, path) = handles[handle] else { return [] }
        return path
    }
}
