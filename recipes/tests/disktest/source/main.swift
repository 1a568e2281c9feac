// disktest: finds the boot test's second disk among the virtio-blk disk schemes (its partition 0
// holds the line below repeated) and checks, through the scheme: the protective MBR signature,
// the GPT header, the listing, fstat sizes, every byte of partition 0 (with the read throughput),
// and a write read back from partition 1.

import RedoxRuntime

let patternLine = Array("virtio-blkd test partition data 0123456789abcdef\n".utf8)

nonisolated(unsafe) var passed = 0
nonisolated(unsafe) var failed = 0

func check(_ ok: Bool, _ pieces: Piece...) {
    var line: [UInt8] = bytes(ok ? "disktest: ok: " : "disktest: FAILED: ")
    for piece in pieces { piece.append(to: &line) }
    say(.bytes(line))
    if ok { passed += 1 } else { failed += 1 }
}

func readAt(_ fd: Int, _ offset: UInt64, count: Int) -> [UInt8]? {
    guard Sys.call(SyscallNumber.lseek, UInt64(fd), offset, 0) >= 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: count)
    let got = buffer.withUnsafeMutableBytes { Sys.read(fd, $0) }
    return got == count ? buffer : nil
}

/// The virtio disk scheme whose partition 0 starts with the pattern (polls: drivers start apart).
func findTestDisk() -> [UInt8]? {
    for _ in 0..<100 {
        let names = (readFile(bytes("/scheme")) ?? []).split(separator: 0x0A).map { Array($0) }
        for name in names where name.starts(with: bytes("disk.pci-")) {
            let fd = Sys.open(bytes("/scheme/") + name + bytes("/0p0"), flags: OpenFlags.readOnly)
            guard fd >= 0 else { continue }
            let head = readAt(fd, 0, count: patternLine.count)
            _ = Sys.close(fd)
            if head == patternLine { return name }
        }
        _ = Sys.sleep(milliseconds: 50)
    }
    return nil
}

@_cdecl("program_main")
func programMain() -> Int {
    guard let scheme = findTestDisk() else {
        check(false, "no disk scheme with the test partition")
        return 1
    }
    let base = bytes("/scheme/") + scheme
    check(true, "found the test disk at ", .bytes(base))
    let listing = readFile(base) ?? []
    check(listing == bytes("0\n0p0\n0p1\n"), "listing gives the disk and its 2 partitions")

    let disk = Sys.open(base + bytes("/0"), flags: OpenFlags.readOnly)
    let mbr = disk >= 0 ? readAt(disk, 0, count: 512) : nil
    check(mbr.map { $0[510] == 0x55 && $0[511] == 0xAA && $0[450] == 0xEE } ?? false, "whole disk: protective MBR (0x55AA, type 0xEE)")
    let gpt = disk >= 0 ? readAt(disk, 512, count: 512) : nil
    check(gpt.map { Array($0[0..<8]) == bytes("EFI PART") } ?? false, "whole disk: GPT header \"EFI PART\" in sector 1")
    let (diskStat, diskMode, diskSize) = Sys.fstat(disk)
    check(diskStat >= 0 && diskMode & 0xF000 == 0x6000 && diskSize > 0, "whole disk: fstat gives a block device of ", .number(Int(diskSize)), " bytes")
    let path = Sys.fpath(disk)
    check(path == base + bytes("/0"), "whole disk: fpath is ", .bytes(path))
    let partitionWhileDisk = Sys.open(base + bytes("/0p0"), flags: OpenFlags.readOnly)
    check(partitionWhileDisk == -37, "a partition cannot be opened while the whole disk is (ENOLCK)")
    if partitionWhileDisk >= 0 { _ = Sys.close(partitionWhileDisk) }
    // Throughput: the whole disk in 64 KiB reads.
    var diskBuffer = [UInt8](repeating: 0, count: 65_536)
    _ = Sys.call(SyscallNumber.lseek, UInt64(disk), 0, 0)
    let diskStart = Sys.monotonicNanoseconds()
    var diskRead = 0
    while true {
        let got = diskBuffer.withUnsafeMutableBytes { Sys.read(disk, $0) }
        if got <= 0 { break }
        diskRead += got
    }
    let diskElapsed = Sys.monotonicNanoseconds() - diskStart
    check(UInt64(diskRead) == diskSize, "whole disk: reading it to the end gives its fstat size")
    if diskElapsed >= 1_000_000 {
        say("disktest: read the whole disk (", .number(diskRead / 1024), " KiB) through the scheme in ",
            .number(Int(diskElapsed / 1_000_000)), " ms (", .number(Int(UInt64(diskRead / 1024) * 1000 / (diskElapsed / 1_000_000))), " KiB/s)")
    }
    _ = Sys.close(disk)

    let partition = Sys.open(base + bytes("/0p0"), flags: OpenFlags.readOnly)
    let (_, _, partitionSize) = Sys.fstat(partition)
    var good = partitionSize >= 1 << 20
    let start = Sys.monotonicNanoseconds()
    var offset = 0
    var buffer = [UInt8](repeating: 0, count: 65_536)
    _ = Sys.call(SyscallNumber.lseek, UInt64(partition), 0, 0)
    while good && offset < 1 << 20 {
        let got = buffer.withUnsafeMutableBytes { Sys.read(partition, $0) }
        guard got == buffer.count else { good = false; break }
        for index in 0..<got where buffer[index] != patternLine[(offset + index) % patternLine.count] {
            good = false
            break
        }
        offset += got
    }
    let elapsed = Sys.monotonicNanoseconds() - start
    check(good, "partition 0: fstat gives ", .number(Int(partitionSize)), " bytes, its first MiB reads back as written")
    if good && elapsed > 0 {
        say("disktest: read 1 MiB through the scheme in ", .number(Int(elapsed / 1_000_000)), " ms (",
            .number(Int((UInt64(1 << 20) * 1000 / 1024) / max(1, elapsed / 1_000_000))), " KiB/s)")
    }
    _ = Sys.call(SyscallNumber.lseek, UInt64(partition), partitionSize - 100, 0)
    let tail = buffer.withUnsafeMutableBytes { Sys.read(partition, UnsafeMutableRawBufferPointer(rebasing: $0[0..<200])) }
    check(tail == 100, "partition 0: a read at its end stops there (100 of 200 bytes)")
    _ = Sys.close(partition)

    let second = Sys.open(base + bytes("/0p1"), flags: OpenFlags.readWrite)
    var message = [UInt8](repeating: 0, count: 700)
    for index in message.indices { message[index] = UInt8(truncatingIfNeeded: index * 13 + 5) }
    _ = Sys.call(SyscallNumber.lseek, UInt64(second), 4096 + 100, 0)
    let wrote = Sys.write(second, message)
    let back = readAt(second, 4096, count: 1024)
    let expected = [UInt8](repeating: 0, count: 100) + message + [UInt8](repeating: 0, count: 224)
    check(wrote == message.count && back == expected, "partition 1: 700 bytes written at an unaligned offset read back, neighbours intact")
    _ = Sys.close(second)
    say("disktest: ", .number(passed), " checks passed, ", .number(failed), " failed")
    return failed == 0 ? 0 : 1
}
