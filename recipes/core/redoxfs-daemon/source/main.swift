// redoxfs: the `file:` daemon (kernel.md §4.4). init starts it as
// `redoxfs --uuid $REDOXFS_UUID file $REDOXFS_BLOCK`: it finds the volume with that UUID among
// the disk schemes, unlocks it with the password the loader handed over (whose memory it then
// clears), checks that the root directory reads, registers the scheme and tells init it is
// ready. Every failure is one line on the console and exit status 1 (init reports it).
//
//   redoxfs [-d|--no-daemon] (--uuid UUID | DISK) MOUNTPOINT [BLOCK_HEX]

import RedoxFSFormat
import RedoxRuntime

@_cdecl("program_main")
func programMain() -> Int {
    var words = Runtime.arguments.dropFirst().filter { $0 != bytes("-d") && $0 != bytes("--no-daemon") }
    var uuid: [UInt8]?
    var diskPath: [UInt8]?
    if words.first == bytes("--uuid") {
        words.removeFirst()
        guard let text = words.first, let parsed = parseUUID(text) else {
            say("redoxfs: --uuid needs a UUID (8-4-4-4-12 hex); is REDOXFS_UUID set?")
            return 1
        }
        uuid = parsed
        words.removeFirst()
    } else if let path = words.first {
        diskPath = path
        words.removeFirst()
    }
    guard let mountpoint = words.first, uuid != nil || diskPath != nil else {
        say("redoxfs: usage: redoxfs [-d] (--uuid UUID | DISK) MOUNTPOINT [BLOCK_HEX]")
        return 1
    }
    words.removeFirst()
    var block: UInt64 = 0
    if let text = words.first {
        guard let value = parseHex(text) else {
            say("redoxfs: the block must be hexadecimal, not ", .bytes(text))
            return 1
        }
        block = value
    }

    guard let volume = locate(uuid: uuid, diskPath: diskPath, block: block) else { return 1 }
    let header = volume.location.header
    let name = uuidText(header.uuid)
    var cipher: XTSAES128?
    if header.isEncrypted {
        guard var password = LoaderPassword.take() else {
            say("redoxfs: volume ", .bytes(name), " is encrypted and the loader handed over no password")
            return 1
        }
        do throws(FormatError) {
            let unlocked = try header.unlock(password: password) { password, salt in
                Argon2id.deriveKey(password: password, salt: salt)
            }
            cipher = XTSAES128(dataKey: unlocked.keys.dataKey, tweakKey: unlocked.keys.tweakKey)
        } catch {
            for index in password.indices { password[index] = 0 }
            say("redoxfs: cannot unlock volume ", .bytes(name), ": ", .bytes(describe(error)))
            return 1
        }
        for index in password.indices { password[index] = 0 }
    }
    let reader = DeviceBlockReader(device: volume.disk, startBlock: volume.location.startBlock,
                                   blockCount: header.blockCount, cipher: cipher)
    let scheme = FileScheme(name: mountpoint, files: FileScheme.Files(reader: reader, tree: header.tree))
    if let error = scheme.checkRoot() {
        say("redoxfs: volume ", .bytes(name), " on ", .bytes(volume.disk.path), ": the root directory cannot be read: ",
            .bytes(describe(error)), "; not mounting")
        return 1
    }
    let socket = scheme.register()
    guard socket >= 0 else {
        say("redoxfs: cannot register scheme ", .bytes(mountpoint), ": ", .text(Errno.name(socket)))
        return 1
    }
    say("redoxfs: mounted volume ", .bytes(name), " (generation ", .number(Int(header.generation)), ", ",
        .number(Int(header.blockCount / 256)), " MiB", header.isEncrypted ? ", encrypted" : "", ") from ",
        .bytes(volume.disk.path), " as ", .bytes(mountpoint), ": (read-only)")
    scheme.notifyReady()
    let result = scheme.serve()
    say("redoxfs: scheme socket closed (", .text(Errno.name(result)), ")")
    return 0
}

/// The volume: by UUID among the disk schemes, or the one given.
func locate(uuid: [UInt8]?, diskPath: [UInt8]?, block: UInt64) -> VolumeSearch.Found? {
    if let uuid {
        guard let found = VolumeSearch.find(uuid: uuid, block: block) else {
            say("redoxfs: no RedoxFS volume with UUID ", .bytes(uuidText(uuid)), " at block ", .hex(block),
                " on any disk scheme (", .number(VolumeSearch.diskSchemes().count), " found)")
            return nil
        }
        return found
    }
    guard let path = diskPath, var disk = SchemeDisk(path: path) else {
        say("redoxfs: cannot open ", .bytes(diskPath ?? []))
        return nil
    }
    do throws(FormatError) {
        let location = try HeaderRing.locate(on: &disk, startBlock: block, deviceBlocks: disk.blockCount)
        return VolumeSearch.Found(disk: disk, location: location)
    } catch {
        say("redoxfs: ", .bytes(path), ": ", .bytes(describe(error)))
        disk.close()
        return nil
    }
}
