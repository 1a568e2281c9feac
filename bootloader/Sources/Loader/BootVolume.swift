import RedoxFSFormat

/// A RedoxFS volume opened read-only through the format core: the newest header of the ring at
/// the expected block, unlocked when encrypted, with its files readable.
struct BootVolume {
    typealias Files = FileSystemReader<DeviceBlockReader<DiskDevice, XTSAES128>>

    /// Why a candidate device did not give a volume.
    enum OpenError: Error {
        /// No RedoxFS header at the expected block: try the next device.
        case noFileSystem
        /// Encrypted, and no password (or a wrong one) was given.
        case locked
        /// Anything else: reported, then the next device is tried.
        case failed(FormatError)
    }

    var files: Files
    let header: Header
    /// The RedoxFS base block (4 KiB units) relative to the device it was found on.
    let startBlock: UInt64

    /// Opens the file system whose header ring starts at `startBlock` of `device`, unlocking it
    /// with `password` (ignored for an unencrypted volume, as upstream does).
    static func open(_ device: DiskDevice, startBlock: UInt64, password: [UInt8]) throws(OpenError) -> BootVolume {
        var device = device
        let location = try locateRing(on: &device, startBlock: startBlock)
        var header = location.header
        var cipher: XTSAES128?
        if header.isEncrypted {
            guard !password.isEmpty else { throw .locked }
            do {
                let unlocked = try header.unlock(password: password) { password, salt in
                    Argon2id.deriveKey(password: password, salt: salt)
                }
                cipher = XTSAES128(dataKey: unlocked.keys.dataKey, tweakKey: unlocked.keys.tweakKey)
            } catch {
                throw error == .wrongPassword ? .locked : .failed(error)
            }
        }
        // A newest commit torn by a power cut (written with one flush, some of its blocks
        // missing): the generation before it is the file system, as for every other opener.
        if case .torn(let previous, _) = NewestCommitCheck.check(location, on: &device, cipher: cipher) {
            header = previous.header
        }
        let reader = DeviceBlockReader(device: device, startBlock: location.startBlock,
                                       blockCount: header.blockCount, cipher: cipher)
        return BootVolume(files: Files(reader: reader, tree: header.tree), header: header,
                          startBlock: location.startBlock)
    }

    /// The newest header of the ring starting at `startBlock`; the core also finds rings whose
    /// slot 0 is not valid (a fresh upstream encrypted volume, format spec §2.1).
    private static func locateRing(on device: inout DiskDevice, startBlock: UInt64) throws(OpenError) -> HeaderRing.Location {
        do {
            return try HeaderRing.locate(on: &device, startBlock: startBlock, deviceBlocks: device.blockCount)
        } catch {
            throw error == .noValidHeader ? .noFileSystem : .failed(error)
        }
    }

    /// The node at `path` (components separated by '/', from the root).
    mutating func node(at path: [UInt8]) throws(FormatError) -> Node {
        try files.node(files.lookup(path: path))
    }

    /// Reads `node`'s content at `offset` into `buffer`; returns the byte count read.
    mutating func read(_ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        try files.read(node, at: offset, into: buffer, codec: SwiftLZ4())
    }
}
