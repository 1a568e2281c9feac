// redoxfs: the `file:` daemon (kernel.md §4.4). init starts it as
// `redoxfs --uuid $REDOXFS_UUID file $REDOXFS_BLOCK`: it finds the volume with that UUID among
// the disk schemes, unlocks it with the password the loader handed over (whose memory it then
// clears), checks that the root directory reads, registers the scheme and tells init it is
// ready. Every failure is one line on the console and exit status 1 (init reports it).
// Built with the portable engine (Sources/RedoxFSEngine) it serves read-write (EngineFileScheme);
// without it, read-only through the format core's reader (FileScheme).
//
//   redoxfs [-d|--no-daemon] (--uuid UUID | DISK) MOUNTPOINT [BLOCK_HEX]

#if canImport(RedoxFSEngine)
import RedoxFSEngine
#endif
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
#if canImport(RedoxFSEngine)
    return serveReadWrite(volume, block: block, mountpoint: mountpoint)
#else
    return serveReadOnly(volume, mountpoint: mountpoint)
#endif
}

/// The password for an encrypted volume (nil with a line when there is none).
func password(for header: Header) -> [UInt8]? {
    guard let password = LoaderPassword.take() else {
        say("redoxfs: volume ", .bytes(uuidText(header.uuid)), " is encrypted and the loader handed over no password")
        return nil
    }
    return password
}

#if canImport(RedoxFSEngine)
/// Read-write through the copy-on-write engine; commits on fsync, when idle, and at the end.
func serveReadWrite(_ volume: VolumeSearch.Found, block: UInt64, mountpoint: [UInt8]) -> Int {
    let header = volume.location.header
    let name = uuidText(header.uuid)
    var secret: [UInt8]?
    if header.isEncrypted {
        guard let given = password(for: header) else { return 1 }
        secret = given
    }
    RealTimeClock.start()
    let engine: DaemonEngine
    do throws(FileSystemError) {
        engine = try DaemonEngine(device: volume.disk, providers: daemonProviders(), startBlock: block,
                                  password: secret, writable: true)
    } catch {
        if var secret { for index in secret.indices { secret[index] = 0 } }
        switch error {
        case .format(let format):
            say("redoxfs: volume ", .bytes(name), " on ", .bytes(volume.disk.path), ": ", .bytes(describe(format)), "; not mounting")
        case .damagedGeneration(let generation, let cause, let intact):
            say("redoxfs: volume ", .bytes(name), ": the newest generation ", .number(Int(generation)), " cannot be read (",
                .bytes(describe(cause)), "); newest intact generation: ",
                .bytes(intact.map { decimal(Int($0)) } ?? bytes("none")), "; not mounting (redoxfs-fsck can rewind it)")
        default:
            say("redoxfs: volume ", .bytes(name), " cannot be opened: errno ", .number(Int(error.errno)), "; not mounting")
        }
        return 1
    }
    if var secret { for index in secret.indices { secret[index] = 0 } }
    do throws(FileSystemError) {
        _ = try engine.entries(of: RedoxFS.rootNodeID)
    } catch {
        say("redoxfs: volume ", .bytes(name), ": the root directory cannot be read (errno ", .number(Int(error.errno)), "); not mounting")
        return 1
    }
    let scheme = EngineFileScheme(name: mountpoint, engine: engine)
    let socket = scheme.register()
    guard socket >= 0 else {
        say("redoxfs: cannot register scheme ", .bytes(mountpoint), ": ", .text(Errno.name(socket)))
        return 1
    }
    say("redoxfs: mounted volume ", .bytes(name), " (generation ", .number(Int(engine.header.generation)), ", ",
        .number(Int(header.blockCount / 256)), " MiB", header.isEncrypted ? ", encrypted" : "", ") from ",
        .bytes(volume.disk.path), " as ", .bytes(mountpoint), ": (read-write)")
    scheme.notifyReady()
    let result = scheme.serve(tickMilliseconds: EngineFileScheme.commitMilliseconds) {
        if engine.hasUncommittedChanges { _ = scheme.commit() }
    }
    say("redoxfs: scheme socket closed (", .text(Errno.name(result)), "), unmounting")
    do throws(FileSystemError) { try engine.unmount() } catch { say("redoxfs: unmount failed: errno ", .number(Int(error.errno))) }
    return 0
}
#endif

/// Read-only through the format core's reader (the build without the engine).
func serveReadOnly(_ volume: VolumeSearch.Found, mountpoint: [UInt8]) -> Int {
    let header = volume.location.header
    let name = uuidText(header.uuid)
    var cipher: XTSAES128?
    if header.isEncrypted {
        guard var password = password(for: header) else { return 1 }
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
