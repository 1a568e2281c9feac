import RedoxFSFormat

/// How to make a new file system.
public struct FormatOptions: Sendable {
    /// Bytes written at the start of the device before the file system (a bootloader); the file
    /// system starts at the next 4096-byte boundary.
    public var bootloader: [UInt8] = []
    /// Encrypts the file system with this password (non-empty).
    public var password: [UInt8]?
    /// The uuid; random when nil.
    public var uuid: [UInt8]?
    /// The root directory's times; now when nil.
    public var time: Timestamp?
    /// Fixed key material (salt, data key, tweak key) for reproducible tests; random when nil.
    public var keyMaterial: (salt: [UInt8], dataKey: [UInt8], tweakKey: [UInt8])?

    public init(bootloader: [UInt8] = [], password: [UInt8]? = nil, uuid: [UInt8]? = nil, time: Timestamp? = nil) {
        self.bootloader = bootloader
        self.password = password
        self.uuid = uuid
        self.time = time
    }
}

extension FileSystemEngine {
    /// The fewest blocks (after the reserved area) a file system needs.
    public static var minimumFormatBlocks: UInt64 { 272 }

    /// Makes a new, empty file system on `device` exactly as upstream mkfs lays it out
    /// (generations 0–3, spec §14.1), except that the whole header ring is cleared first and the
    /// generation-0 header is valid even when encrypted.
    public static func format(
        device: Device, providers: Providers, options: FormatOptions = FormatOptions()
    ) throws(FileSystemError) -> FileSystemEngine {
        var device = device
        let reserved = UInt64((options.bootloader.count + RedoxFS.blockSize - 1) / RedoxFS.blockSize)
        guard device.blockCount >= reserved + minimumFormatBlocks else {
            throw .invalidArgument(
                "no space: the device holds \(device.blockCount) blocks of 4096 bytes; \(reserved + minimumFormatBlocks) are needed")
        }
        if let password = options.password, password.isEmpty {
            throw .invalidArgument("the password must not be empty")
        }
        let blocks = device.blockCount - reserved
        let uuid = options.uuid ?? randomUUID(providers)
        let time = options.time ?? providers.now()

        func write(_ bytes: [UInt8], at index: UInt64) throws(FileSystemError) {
            do {
                try bytes.withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: index, from: raw) }
            } catch {
                throw .format(error)
            }
        }

        if reserved > 0 {
            var padded = options.bootloader
            padded += [UInt8](repeating: 0, count: Int(reserved) * RedoxFS.blockSize - padded.count)
            try write(padded, at: 0)
        }
        // Clear the ring, so headers of an earlier file system cannot win (quirk 16 of §17.2).
        try write([UInt8](repeating: 0, count: Int(RedoxFS.headerRing) * RedoxFS.blockSize), at: reserved)

        var keys: DataKeys?
        var header = Header(uuid: uuid, size: blocks * UInt64(RedoxFS.blockSize))
        if let password = options.password {
            let material = options.keyMaterial ?? (providers.randomBytes(16), providers.randomBytes(16), providers.randomBytes(16))
            let passwordKey = providers.deriveKey(password: password, salt: material.salt)
            header.setKeySlot(0, KeySlot.wrap(
                dataKey: material.dataKey, tweakKey: material.tweakKey, salt: material.salt, passwordKey: passwordKey))
            keys = DataKeys(dataKey: material.dataKey, tweakKey: material.tweakKey)
        }
        let cipher = keys.map { providers.cipher(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        func writeEncrypted(_ bytes: [UInt8], at index: UInt64) throws(FileSystemError) -> BlockPointer {
            var stored = bytes
            let hash = SeaHash.hash(stored)
            if let cipher {
                stored.withUnsafeMutableBufferPointer { cipher.encrypt($0, firstUnit: index, unitSize: RedoxFS.blockSize) }
            }
            try write(stored, at: reserved + index)
            return BlockPointer(address: BlockAddress(index: index, level: 0), hash: hash)
        }

        // Generation 0: nothing but the identity.
        header.seal(keys: keys)
        try write(header.bytes, at: reserved)

        // Generation 1: an empty node tree at 257 and a log freeing 260… at 258.
        header.tree = try writeEncrypted(TreeList().encode(), at: 257)
        header.alloc = try writeEncrypted(
            AllocList(entries: [AllocEntry(index: 260, count: Int64(blocks - 260))]).encode(), at: 258)
        header.generation = 1
        header.seal(keys: keys)
        try write(header.bytes, at: reserved + 1)

        var allocator = BuddyAllocator()
        allocator.deallocate(extent: 260, count: blocks - 260)
        let fs = FileSystemEngine(formatted: device, providers: providers, header: header, startBlock: reserved, keys: keys, allocator: allocator)

        // Generation 2: the root directory as node 1, its block at 259 (outside the free extent).
        var root = Node(mode: NodeKind.directory.rawValue | 0o755, uid: 0, gid: 0, seconds: time.seconds, nanoseconds: time.nanoseconds)
        root.links = 1
        let rootBlock = root.encode()
        fs.cache.insertDirty(259, rootBlock)
        var leaf = TreeList()
        leaf.setFlag(0, true)
        leaf.pointers[1] = BlockPointer(address: BlockAddress(index: 259, level: 0), hash: SeaHash.hash(rootBlock))
        leaf.setFlag(1, true)
        try fs.rewriteTreePath(NodeID.root, lists: [TreeList(), TreeList(), TreeList(), leaf], pointers: [header.tree, .null, .null, .null])
        try fs.writeCommit(squash: false)

        // Generation 3: the cleanup that every open for writing does: a squashed log.
        try fs.writeCommit(squash: true)
        return fs
    }

    static func randomUUID(_ providers: Providers) -> [UInt8] {
        var uuid = providers.randomBytes(16)
        uuid[6] = uuid[6] & 0x0F | 0x40
        uuid[8] = uuid[8] & 0x3F | 0x80
        return uuid
    }
}
