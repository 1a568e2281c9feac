import RedoxFSFormat

/// An open RedoxFS file system: its device, newest header, keys and caches.
public final class FileSystem {
    public private(set) var device: any StorageDevice
    /// The newest valid header.
    public private(set) var header: Header
    /// Device block where the file system (header ring slot 0) starts.
    public let startBlock: UInt64
    /// The ring slot the header came from.
    public let headerSlot: UInt64
    /// The data keys, when the file system is encrypted.
    public private(set) var keys: DataKeys?
    let cipher: OpenSSLXTS?
    let cache: BlockCache
    let codec = SystemLZ4()

    /// Opens the file system on `device`. `startBlock` pins the header ring's position (else the
    /// device is scanned); `password` unlocks an encrypted file system.
    public init(device: any StorageDevice, startBlock: UInt64? = nil, password: [UInt8]? = nil) throws(FileSystemError) {
        var device = device
        let location: HeaderRing.Location
        do {
            location = try HeaderRing.locate(on: &device, startBlock: startBlock, deviceBlocks: device.blockCount)
        } catch {
            throw .format(error)
        }
        self.device = device
        header = location.header
        self.startBlock = location.startBlock
        headerSlot = location.slot
        cache = BlockCache(capacityBytes: 64 << 20)
        if header.isEncrypted {
            guard let password else { throw .format(.passwordRequired) }
            do {
                let unlocked = try header.unlock(password: password, deriveKey: Sodium.argon2id(password:salt:))
                keys = unlocked.keys
            } catch {
                throw .format(error)
            }
            cipher = keys.map { OpenSSLXTS(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        } else {
            if password != nil { throw .format(.notEncrypted) }
            keys = nil
            cipher = nil
        }
        let blocks = header.blockCount
        guard blocks >= RedoxFS.minimumBlocks else {
            throw .format(.malformed(.header, block: location.slot, .sizeTooSmall))
        }
        guard location.startBlock + blocks <= device.blockCount else {
            throw .format(.malformed(.header, block: location.slot, .largerThanDevice))
        }
    }

    /// Opens the image or block device at `path` (a partition: `byteOffset`).
    public convenience init(
        path: String, readOnly: Bool = true, byteOffset: UInt64 = 0, startBlock: UInt64? = nil, password: [UInt8]? = nil
    ) throws(FileSystemError) {
        let device = try FileDevice.open(path: path, readOnly: readOnly, byteOffset: byteOffset)
        do {
            try self.init(device: device, startBlock: startBlock, password: password)
        } catch {
            device.close()
            throw error
        }
    }

    public var isEncrypted: Bool { header.isEncrypted }

    /// The uuid as 8-4-4-4-12 lowercase hex.
    public var uuidString: String { Self.format(uuid: header.uuid) }

    public static func format(uuid: [UInt8]) -> String {
        var text = ""
        for (i, byte) in uuid.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text += "-" }
            text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return text
    }

    /// A reader over the current header's tree, sharing the engine's cache (for the checker and tools
    /// that walk structures themselves).
    public var reader: FileSystemReader<CachedBlockReader> {
        FileSystemReader(
            reader: CachedBlockReader(
                device: device, startBlock: startBlock, blockCount: header.blockCount, cipher: cipher, cache: cache),
            tree: header.tree)
    }

    /// Runs `body` with a reader over the current header's tree, mapping errors to the engine's.
    func withReader<T>(_ body: (inout FileSystemReader<CachedBlockReader>) throws(FormatError) -> T) throws(FileSystemError) -> T {
        var reader = self.reader
        do {
            return try body(&reader)
        } catch {
            throw .format(error)
        }
    }

    // MARK: Reading

    /// Node `id`.
    public func node(_ id: UInt32) throws(FileSystemError) -> Node {
        try withReader { (reader) throws(FormatError) in try reader.node(id) }
    }

    /// The node id of `path` (absolute or relative to the root; symbolic links are not followed).
    public func lookup(_ path: String) throws(FileSystemError) -> UInt32 {
        try withReader { (reader) throws(FormatError) in try reader.lookup(path: Array(path.utf8)) }
    }

    /// The node id `name` names in directory `directory`, or nil.
    public func find(_ name: [UInt8], in directory: UInt32) throws(FileSystemError) -> UInt32? {
        try withReader { (reader) throws(FormatError) in try reader.find(name, in: reader.node(directory)) }
    }

    /// The entries of directory `id`, in stored order ("." and ".." are not stored).
    public func entries(of id: UInt32) throws(FileSystemError) -> [DirectoryEntry] {
        try withReader { (reader) throws(FormatError) in try reader.entries(of: reader.node(id)) }
    }

    /// Up to `count` bytes of node `id` from `offset` (short only at end of file).
    public func read(_ id: UInt32, at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] {
        let codec = self.codec
        return try withReader { (reader) throws(FormatError) in
            let node = try reader.node(id)
            guard offset < node.size else { return [] }
            var bytes = [UInt8](repeating: 0, count: Int(min(UInt64(count), node.size - offset)))
            var failure: FormatError?
            bytes.withUnsafeMutableBytes { buffer in
                do throws(FormatError) { _ = try reader.read(node, at: offset, into: buffer, codec: codec) } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            return bytes
        }
    }

    /// Reads node `node`'s content at `offset` into `buffer`; returns the byte count (short at end of file).
    public func read(_ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
        let codec = self.codec
        return try withReader { (reader) throws(FormatError) in try reader.read(node, at: offset, into: buffer, codec: codec) }
    }

    /// The target of symbolic link `id`.
    public func readLink(_ id: UInt32) throws(FileSystemError) -> [UInt8] {
        let codec = self.codec
        return try withReader { (reader) throws(FormatError) in
            let node = try reader.node(id)
            guard node.isSymlink else { throw .malformed(.node, block: 0, .badNodeType) }
            return try reader.readAll(node, codec: codec)
        }
    }

    /// Closes the device.
    public func close() {
        if let file = device as? FileDevice { file.close() }
    }
}
