// bootstrap: the first process. The kernel maps the initfs image at 0x1000 and jumps here with no
// stack (bootstrap_start in the runtime's start.S gives it one). It reads the kernel's metadata
// page, serves the image as the `initfs` scheme and starts /scheme/initfs/bin/init.
//
// Differences from upstream (documented subset): this process stays the initfs daemon and init
// is its child; there is no procmgr or namespace manager (the kernel keeps scheme names).

import RedoxInitfs
import RedoxRuntime

let metadataAddress: UInt64 = 0x7FFF_FFFF_C000
let imageAddress: UInt64 = 0x1000

@_cdecl("program_main")
func programMain() -> Int {
    let metadata = UnsafeRawPointer(bitPattern: UInt(metadataAddress))!
    let count = Int(metadata.load(as: UInt64.self))
    var debugFd = -1
    for index in 0..<min(count, 64) {
        let id = metadata.load(fromByteOffset: 8 + 16 * index, as: UInt8.self)
        let fd = Int(metadata.load(fromByteOffset: 16 + 16 * index, as: UInt64.self))
        if id == 1 { debugFd = fd }
        if id == 9 { Runtime.processFd = fd }
    }
    Runtime.standardOutput = debugFd
    say("bootstrap: started with ", .number(count), " kernel scheme handles")

    let size = Int(UnsafeRawPointer(bitPattern: UInt(imageAddress))!.loadUnaligned(fromByteOffset: 0x0C, as: UInt64.self))
    let image: InitfsView
    do {
        image = try InitfsView(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(imageAddress)), count: size),
                               requirePageSize: true)
    } catch {
        say("bootstrap: the initfs image is damaged")
        return 1
    }
    say("bootstrap: initfs of ", .number(size), " bytes, ", .number(Int(image.header.inodeCount)), " inodes")

    let environment = loadEnvironment()
    let daemon = InitfsDaemon(image: image)
    guard daemon.register() >= 0 else {
        say("bootstrap: cannot create the initfs scheme")
        return 1
    }
    guard let initInode = try? image.lookup(bytes("bin/init")) else {
        say("bootstrap: bin/init is missing from the initfs")
        return 1
    }
    let initImage = Array(image.data(initInode))
    // init's fds 0, 1, 2 are the debug console.
    let debugSlots = [debugFd, debugFd, debugFd]
    let pid = Process.spawn(image: initImage, arguments: [bytes("/scheme/initfs/bin/init")], environment: environment,
                            fds: debugSlots)
    guard pid > 0 else {
        say("bootstrap: cannot start init: ", .text(Errno.name(pid)))
        return 1
    }
    say("bootstrap: serving initfs, started init (pid ", .number(pid), ")")
    return daemon.serve()
}

/// The loader's environment from `/scheme/sys/env`, without `INITFS_` lines, plus the two
/// variables upstream appends (§4.1).
func loadEnvironment() -> [[UInt8]] {
    guard let text = readFile(bytes("/scheme/sys/env")) else { return [] }
    var lines: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in text.prefix(4096) {
        if byte == 0x0A {
            if !current.isEmpty && !current.starts(with: bytes("INITFS_")) { lines.append(current) }
            current = []
        } else if byte != 0 {
            current.append(byte)
        }
    }
    if !current.isEmpty && !current.starts(with: bytes("INITFS_")) { lines.append(current) }
    lines.append(bytes("RUST_BACKTRACE=1"))
    lines.append(bytes("LD_LIBRARY_PATH=/scheme/initfs/lib"))
    return lines
}
