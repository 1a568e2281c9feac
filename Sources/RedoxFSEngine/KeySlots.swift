import RedoxFSFormat

/// Password management of an encrypted file system (spec §5.2): up to 64 key slots, each wrapping
/// the same data keys under its own password. Upstream has no tool for this.
///
/// Every change rewrites only the header: the data keys stay, so no block is re-encrypted. Each
/// change is one commit (one new header generation), so a crash leaves either the old or the new
/// set of slots. Removing or changing a password also rewrites the rest of the header ring with the
/// new slots, so that the ring's older generations no longer hold the retired slot.
extension FileSystemEngine {
    /// The indices of the used key slots, in order (empty for an unencrypted file system).
    public var usedKeySlots: [Int] {
        lock.locked {
            guard keys != nil else { return [] }
            return (0..<RedoxFS.keySlotCount).filter { !working.keySlot($0).isEmpty }
        }
    }

    /// The used slot that `password` opens, or nil. Costs one Argon2id run per used slot.
    public func keySlot(opening password: [UInt8]) -> Int? {
        let (header, keys) = lock.locked { (working, self.keys) }
        guard let keys else { return nil }
        for n in 0..<RedoxFS.keySlotCount {
            let slot = header.keySlot(n)
            if slot.isEmpty { continue }
            let unwrapped = slot.unwrap(passwordKey: providers.deriveKey(password: password, salt: slot.salt))
            if unwrapped.dataKey == keys.dataKey && unwrapped.tweakKey == keys.tweakKey { return n }
        }
        return nil
    }

    /// Adds `password` in slot `slot` (default: the lowest free one) and commits; returns the slot.
    @discardableResult
    public func addPassword(_ password: [UInt8], slot: Int? = nil) throws(FileSystemError) -> Int {
        try lock.locked { () throws(FileSystemError) in
            let keys = try requireKeyChange()
            try requireNew(password)
            let target: Int
            if let slot {
                try requireSlotIndex(slot)
                guard working.keySlot(slot).isEmpty else {
                    throw .invalidArgument("key slot \(slot) is in use (change or remove it instead)")
                }
                target = slot
            } else {
                guard let free = (0..<RedoxFS.keySlotCount).first(where: { working.keySlot($0).isEmpty }) else {
                    throw .invalidArgument("all \(RedoxFS.keySlotCount) key slots are in use")
                }
                target = free
            }
            try commitKeySlot(target, wrap(keys, password: password))
            return target
        }
    }

    /// Empties key slot `slot` and commits. The last used slot is never removed.
    public func removeKeySlot(_ slot: Int) throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            _ = try requireKeyChange()
            try requireSlotIndex(slot)
            guard !working.keySlot(slot).isEmpty else { throw .invalidArgument("key slot \(slot) is not in use") }
            let used = (0..<RedoxFS.keySlotCount).filter { !working.keySlot($0).isEmpty }
            guard used.count > 1 else {
                throw .invalidArgument("key slot \(slot) holds the only password; add another one before removing it")
            }
            try commitKeySlot(slot, KeySlot())
            try retireOlderHeaders()
        }
    }

    /// Replaces the password of key slot `slot` with `password` (with a new salt) and commits.
    public func changePassword(inSlot slot: Int, to password: [UInt8]) throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            let keys = try requireKeyChange()
            try requireSlotIndex(slot)
            guard !working.keySlot(slot).isEmpty else { throw .invalidArgument("key slot \(slot) is not in use") }
            try requireNew(password)
            try commitKeySlot(slot, wrap(keys, password: password))
            try retireOlderHeaders()
        }
    }

    /// Stores `keySlot` as slot `n` and commits (one operation); on failure the slot is as it was.
    private func commitKeySlot(_ n: Int, _ keySlot: KeySlot) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            working.setKeySlot(n, keySlot)
            requestCommit(squash: false)
        }
    }

    /// A new slot wrapping `keys` under `password` with a fresh random salt.
    func wrap(_ keys: DataKeys, password: [UInt8]) -> KeySlot {
        let salt = providers.randomBytes(16)
        return KeySlot.wrap(
            dataKey: keys.dataKey, tweakKey: keys.tweakKey, salt: salt,
            passwordKey: providers.deriveKey(password: password, salt: salt))
    }

    private func requireKeyChange() throws(FileSystemError) -> DataKeys {
        try requireWritable()
        // Each change commits, then may rewrite the header ring: it cannot join another operation.
        try requireOutermost("changing key slots")
        guard let keys else { throw .invalidArgument("the file system is not encrypted: it has no key slots") }
        return keys
    }

    private func requireSlotIndex(_ slot: Int) throws(FileSystemError) {
        guard (0..<RedoxFS.keySlotCount).contains(slot) else {
            throw .invalidArgument("key slot \(slot) does not exist (slots are 0…\(RedoxFS.keySlotCount - 1))")
        }
    }

    /// Refuses an empty password and one that some slot already accepts.
    private func requireNew(_ password: [UInt8]) throws(FileSystemError) {
        guard !password.isEmpty else { throw .invalidArgument("the password must not be empty") }
        if let existing = keySlot(opening: password) {
            throw .invalidArgument("key slot \(existing) already holds this password")
        }
    }

    /// Writes the committed header into the 255 other ring slots, as generations +1…+255, then
    /// flushes. Afterwards no slot of the ring holds an older header (with a retired key slot);
    /// every one of them is valid and describes the same tree, so a torn write loses nothing.
    func retireOlderHeaders() throws(FileSystemError) {
        precondition(working.bytes == header.bytes, "the ring is rewritten only after a commit")
        // An overlapped commit's header goes first, so no newer generation precedes it.
        try writePendingHeaderLocked()
        var next = header
        do throws(FileSystemError) {
            for _ in 1..<RedoxFS.headerRing {
                next.generation += 1
                next.seal(keys: keys)
                try writeHeaderSlot(next.ringSlot, next.bytes)
            }
            try flushDevice()
        } catch {
            // Newer generations may be on disk now: a later commit could be older than them.
            failure = error
            throw error
        }
        header = next
        headerSlot = next.ringSlot
        working = next
    }
}
