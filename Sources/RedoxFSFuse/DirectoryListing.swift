import RedoxFSFormat

/// The entries of one open directory handle, read when the listing starts (offset 0) and served
/// from memory for the following readdir calls, so offsets stay stable while the directory changes.
///
/// The kernel serialises readdir calls on one handle (FUSE holds a lock per open file around
/// them), so the listing has no lock of its own although readdir changes it while holding the
/// engine's lock only shared (`FuseBridge.readdir`): no two threads touch one listing at once.
final class DirectoryListing: @unchecked Sendable {
    /// The directory's own node id.
    let directory: UInt32
    /// The stored entries (without "." and "..").
    var entries: [DirectoryEntry] = []
    /// Whether `entries` has been read for the current pass.
    var isLoaded = false
    /// The directory's hash-tree marker and top pointer when `entries` was read: while the
    /// directory still holds these, every entry of the listing is current (any change of its
    /// entries rewrites the tree and so its top pointer) and needs no lookup again.
    var loadedTree: (marker: BlockPointer, top: BlockPointer)?

    /// Whether the entries read are still those of `directory` (its current node).
    func isCurrent(for directory: Node) -> Bool {
        guard let loadedTree else { return false }
        return loadedTree.marker == directory.levelPointer(0) && loadedTree.top == directory.levelPointer(1)
    }

    init(directory: UInt32) { self.directory = directory }

    /// The number of offsets: ".", "..", then every entry.
    var count: Int { entries.count + 2 }

    /// The name and node id at listing position `position` (0 = ".", 1 = "..").
    func item(at position: Int) -> (name: [UInt8], nodeID: UInt32) {
        switch position {
        case 0: return ([0x2E], directory)
        case 1: return ([0x2E, 0x2E], directory)
        default: return (entries[position - 2].name, entries[position - 2].nodeID)
        }
    }

    /// Stores the listing as an opaque handle number for `fuse_file_info.fh` (one retain).
    func handle() -> UInt64 {
        UInt64(UInt(bitPattern: Unmanaged.passRetained(self).toOpaque()))
    }

    /// The listing behind a handle made by `handle()`, or nil for 0.
    static func from(handle: UInt64) -> DirectoryListing? {
        guard handle != 0, let pointer = UnsafeRawPointer(bitPattern: UInt(handle)) else { return nil }
        return Unmanaged<DirectoryListing>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Gives up the handle's retain (releasedir).
    static func close(handle: UInt64) {
        guard handle != 0, let pointer = UnsafeRawPointer(bitPattern: UInt(handle)) else { return }
        Unmanaged<DirectoryListing>.fromOpaque(pointer).release()
    }
}
