// lived: the live disk (kernel.md §4.2). Reads DISK_LIVE_ADDR/DISK_LIVE_SIZE from the loader's
// environment (/scheme/sys/env), maps that physical range read-only through `memory:physical`,
// and serves it as `disk.live` (disk 0) with a copy-on-write overlay in RAM. Without the
// variables (not a live boot) it tells init it is done and exits 0.

import RedoxRuntime

@_cdecl("program_main")
func programMain() -> Int {
    let environment = readFile(bytes("/scheme/sys/env")) ?? []
    let region: LiveRegion
    switch LiveRegion.parse(environment) {
    case .success(let found):
        region = found
    case .failure(let error):
        if error.problem == .malformed {
            say("lived: DISK_LIVE_ADDR/DISK_LIVE_SIZE are malformed (16 hex digits each, a page-aligned address); no live disk")
            return 1
        }
        say("lived: not a live boot (no DISK_LIVE_ADDR/DISK_LIVE_SIZE), nothing to serve")
        SchemeDaemon(name: bytes("disk.live")).notifyReady()
        return 0
    }
    let memory = Sys.open(bytes("/scheme/memory/physical"))
    guard memory >= 0 else {
        say("lived: cannot open memory:physical: ", .text(Errno.name(memory)))
        return 1
    }
    let pages = Int((region.size + 4095) & ~4095)
    let mapped = Sys.mapPhysical(fd: memory, physical: region.address, size: pages)
    _ = Sys.close(memory)
    guard mapped > 0, let base = UnsafeRawPointer(bitPattern: UInt(mapped)) else {
        say("lived: cannot map the live disk at ", .hex(region.address), " (", .number(Int(region.size)), " bytes): ", .text(Errno.name(mapped)))
        return 1
    }
    let disk = LiveDisk(mapped: base, size: region.size)
    guard disk.register() >= 0 else {
        say("lived: cannot register disk.live")
        return 1
    }
    say("lived: disk.live: ", .number(Int(region.size >> 20)), " MiB (", .number(Int(region.size)), " bytes) from physical ",
        .hex(region.address), ", writes kept in RAM")
    disk.notifyReady()
    return disk.serve()
}
