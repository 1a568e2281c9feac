// virtio-blkd: the virtio-blk PCI disk driver (kernel.md §4.3). Without an argument it finds
// every legacy/transitional virtio-blk function on bus 0, starts one copy of itself per extra
// function (`virtio-blkd BB:DD.F`), and serves the first; each copy serves
// `disk.pci-0000-BB-DD.F_virtio_blk`. Port I/O through IOPL, DMA memory from
// `memory:zeroed?phys_contiguous` with VIRTTOPHYS, completions by polling.

import RedoxRuntime

@_cdecl("program_main")
func programMain() -> Int {
    guard Sys.iopl() == 0 else {
        say("virtio-blkd: no port I/O (IOPL refused)")
        return 1
    }
    let arguments = Runtime.arguments
    var target: PciAddress
    if arguments.count > 1 {
        guard let address = PciAddress(text: arguments[1]) else {
            say("virtio-blkd: bad PCI address ", .bytes(arguments[1]), " (expected BB:DD.F)")
            return 2
        }
        target = address
    } else {
        let found = PciAddress.find(vendor: 0x1AF4, devices: [0x1001])
        guard let first = found.first else {
            say("virtio-blkd: no virtio-blk device")
            return 0
        }
        target = first
        for extra in found.dropFirst() {
            let path = bytes("/scheme/initfs/bin/virtio-blkd")
            let pid = Process.spawn(path: path, arguments: [path, extra.text])
            if pid < 0 { say("virtio-blkd: cannot start the driver for ", .bytes(extra.text), ": ", .text(Errno.name(pid))) }
        }
    }
    let device: VirtioBlock
    do {
        device = try VirtioBlock(target)
    } catch {
        say("virtio-blkd: ", .bytes(target.text), ": the device cannot be driven")
        return 1
    }
    let scheme = DiskScheme(name: target.schemeName, device: device)
    say("virtio-blkd: ", .bytes(target.text), ": ", .number(Int(device.sectors / 2048)), " MiB (", .number(Int(device.sectors)),
        " sectors), queue of ", .number(device.queueSize), ", ", .number(scheme.partitions.count), " GPT partitions")
    guard scheme.register() >= 0 else {
        say("virtio-blkd: cannot register ", .bytes(target.schemeName))
        return 1
    }
    if arguments.count <= 1 { scheme.notifyReady() }
    return scheme.serve()
}
