import RedoxFSFormat

/// FIFOs, sockets and device nodes: nodes with their POSIX type bits and no content, except a
/// device node's `DeviceNumber` (kept as its content, as a symbolic link keeps its target).
extension FileSystemEngine {
    /// Creates the special node `name` in `parent`: a FIFO or socket (`device` is ignored), or a
    /// character or block device with `device`. Returns its id.
    public func createSpecial(
        _ name: [UInt8], in parent: UInt32, kind: NodeKind, permissions: UInt16, device: DeviceNumber = DeviceNumber(major: 0, minor: 0),
        uid: UInt32, gid: UInt32
    ) throws(FileSystemError) -> UInt32 {
        guard kind.isSpecial else { throw Self.refuse(POSIXCode.EINVAL, "mknod", name) }
        return try transaction { () throws(FileSystemError) in
            let id = try create(name, in: parent, mode: kind.rawValue | (permissions & Node.modePermissionMask), uid: uid, gid: gid)
            guard kind.isDevice else { return id }
            var node = try loadNode(id)
            try withRawBytes(device.content) { (raw) throws(FileSystemError) in _ = try writeContent(raw, at: 0, to: &node) }
            try saveNode(id, node)
            return id
        }
    }

    /// The device number of `node`, a device node (EINVAL for any other node; a device node whose
    /// content is not 8 bytes is malformed).
    public func deviceNumber(of node: Node) throws(FileSystemError) -> DeviceNumber {
        guard node.kind?.isDevice == true else { throw .invalidArgument("not a device node") }
        return try lock.sharedLocked { () throws(FileSystemError) in try Self.deviceNumber(of: node, content: readAll(node)) }
    }

    private static func deviceNumber(of node: Node, content: [UInt8]) throws(FileSystemError) -> DeviceNumber {
        guard let number = DeviceNumber(content: content) else {
            throw .format(.malformed(.node, block: 0, .fieldOutOfRange))
        }
        return number
    }

    private func readAll(_ node: Node) throws(FileSystemError) -> [UInt8] {
        guard node.size <= UInt64(DeviceNumber.contentSize) else { throw .format(.malformed(.node, block: 0, .fieldOutOfRange)) }
        let codec = self.codec
        return try withReader { (reader) throws(FormatError) in try reader.readAll(node, codec: codec) }
    }
}
