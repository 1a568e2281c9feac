// FMAP/FUNMAP/MPROTECT for anonymous memory (fd usize::MAX or a `memory:` handle), and futexes.

enum Memory {
    static let protectWrite: UInt64 = 0x2_0000, protectExecute: UInt64 = 0x1_0000, mapFixed: UInt64 = 4

    static func pageFlags(_ protection: UInt64) -> UInt64 {
        PageFlags.user | (protection & protectWrite != 0 ? PageFlags.writable : 0)
            | (protection & protectExecute != 0 ? 0 : PageFlags.noExecute)
    }

    static func fmap(_ process: Process, fd: UInt64, mapAddress: UInt64, mapLength: UInt64) -> Int {
        guard mapLength >= 32, let raw = UserMemory.copyIn(mapAddress, 32) else { return -Errno.EFAULT }
        var contiguous = false
        var physical = false
        if fd != UInt64.max {
            guard let file = process.files.get(Int(truncatingIfNeeded: fd)) else { return -Errno.EBADF }
            guard file.scheme.mapsAnonymousMemory else { return -Errno.EOPNOTSUPP }
            contiguous = file.number == MemoryScheme.contiguousHandle
            physical = file.number == MemoryScheme.physicalHandle
        }
        let (offset, size, flags, requested) = raw.withUnsafeBytes {
            ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
        if physical { return mapPhysical(process, base: offset, size: size, flags: flags, requested: requested) }
        guard size > 0, size <= 1 << 32, let space = process.space else { return -Errno.EINVAL }
        let length = (size + 4095) & ~0xFFF
        guard length / 4096 < Frames.totalFrames - Frames.usedFrames else { return -Errno.ENOMEM }
        let placed = place(process, length: length, flags: flags, requested: requested)
        guard placed >= 0 else { return placed }
        let address = UInt64(placed)
        if contiguous {
            guard length <= 1 << 20, let first = Frames.allocateContiguous(Int(length / 4096)) else {
                if flags & mapFixed == 0 { process.mapNext -= length }
                return -Errno.ENOMEM
            }
            var page: UInt64 = 0
            while page < length {
                if let old = space.entry(address + page, create: false)?.pointee, old & PageFlags.present != 0,
                   old & PageFlags.borrowed == 0 { Frames.free(old & PageFlags.addressMask) }
                guard space.map(address + page, to: first + page, flags: pageFlags(flags)) else {
                    _ = funmap(process, address: address, length: length)
                    return -Errno.ENOMEM
                }
                page += 4096
            }
            return Int(address)
        }
        guard space.mapFresh(address, address + length, flags: pageFlags(flags)) else {
            // Out of memory part way: give back what was mapped, so the system goes on.
            _ = funmap(process, address: address, length: length)
            return -Errno.ENOMEM
        }
        return Int(address)
    }

    /// Where a mapping of `length` bytes goes: the requested address with MAP_FIXED (checked to
    /// lie in user space), else the process's next free address, which moves past it. Address
    /// or −errno.
    static func place(_ process: Process, length: UInt64, flags: UInt64, requested: UInt64) -> Int {
        if flags & mapFixed != 0 {
            guard requested & 0xFFF == 0, requested >= 0x1000, requested < Layout.windowBase,
                  length <= Layout.windowBase - requested else { return -Errno.EINVAL }
            return Int(requested)
        }
        let address = process.mapNext
        guard address + length < Layout.windowBase else { return -Errno.ENOMEM }
        process.mapNext += length
        return Int(address)
    }

    /// `memory:physical`: maps [base, base + size) (page-aligned base, at most 1 GiB) as borrowed
    /// pages (never freed by FUNMAP or exit), only inside the loader's Reserved areas (password,
    /// live disk; `ReservedMemory`): anything else, the kernel's own frames included, is EPERM.
    /// Address or −errno.
    static func mapPhysical(_ process: Process, base: UInt64, size: UInt64, flags: UInt64, requested: UInt64) -> Int {
        guard base & 0xFFF == 0, size > 0, size <= 1 << 30, base <= UInt64.max - size,
              base + size <= Frames.highestAddress, let space = process.space else { return -Errno.EINVAL }
        let length = (size + 4095) & ~0xFFF
        guard ReservedMemory.covers(base, length), !Frames.overlapsAllocatable(base, base + length) else { return -Errno.EPERM }
        let placed = place(process, length: length, flags: flags, requested: requested)
        guard placed >= 0 else { return placed }
        let address = UInt64(placed)
        var page: UInt64 = 0
        while page < length {
            if let old = space.entry(address + page, create: false)?.pointee, old & PageFlags.present != 0,
               old & PageFlags.borrowed == 0 { Frames.free(old & PageFlags.addressMask) }
            guard space.map(address + page, to: base + page, flags: pageFlags(flags) | PageFlags.borrowed) else {
                _ = funmap(process, address: address, length: page)
                return -Errno.ENOMEM
            }
            cpuInvalidatePage(address + page)
            page += 4096
        }
        return Int(address)
    }

    /// VIRTTOPHYS: the physical address behind a user address of the caller (for DMA), or EFAULT.
    static func virtualToPhysical(_ process: Process, address: UInt64) -> Int {
        guard address < Layout.windowBase, let space = process.space,
              let (physical, flags) = space.translate(address), flags & PageFlags.user != 0 else { return -Errno.EFAULT }
        return Int(physical)
    }

    static func funmap(_ process: Process, address: UInt64, length: UInt64) -> Int {
        guard address & 0xFFF == 0, address < Layout.windowBase, length <= Layout.windowBase - address,
              let space = process.space else { return -Errno.EINVAL }
        var page = address
        while page < address + length {
            let old = space.unmap(page)
            if old & PageFlags.present != 0 && old & PageFlags.borrowed == 0 { Frames.free(old & PageFlags.addressMask) }
            page += 4096
        }
        return 0
    }

    static func mprotect(_ process: Process, address: UInt64, length: UInt64, protection: UInt64) -> Int {
        guard address & 0xFFF == 0, address < Layout.windowBase, length <= Layout.windowBase - address,
              let space = process.space else { return -Errno.EINVAL }
        var page = address
        while page < address + length {
            guard let pte = space.entry(page, create: false), pte.pointee & PageFlags.present != 0 else { return -Errno.EFAULT }
            pte.pointee = (pte.pointee & PageFlags.addressMask) | PageFlags.present | pageFlags(protection)
            cpuInvalidatePage(page)
            page += 4096
        }
        return 0
    }
}

/// The loader's Reserved areas (bootloader.md §8.1: the live disk image, the password copy,
/// firmware ranges): the only physical memory `memory:physical` maps. The area table stays where
/// the loader put it (its frames are never handed out).
enum ReservedMemory {
    static let reservedKind: UInt64 = 3

    /// Whether every byte of [start, start + length) lies in Reserved areas (adjacent areas count
    /// as one).
    static func covers(_ start: UInt64, _ length: UInt64) -> Bool {
        let boot = Kernel.boot
        let count = Int(min(boot.areasSize / 24, 1024))
        guard count > 0 else { return false }
        let table = UnsafeRawPointer(Layout.physical(boot.areasBase))
        var cursor = start
        let end = start + length
        while cursor < end {
            var advanced = false
            for index in 0..<count {
                let base = table.loadUnaligned(fromByteOffset: 24 * index, as: UInt64.self)
                let size = table.loadUnaligned(fromByteOffset: 24 * index + 8, as: UInt64.self)
                let kind = table.loadUnaligned(fromByteOffset: 24 * index + 16, as: UInt64.self)
                guard kind == reservedKind, size > 0, base <= cursor, cursor - base < size else { continue }
                cursor = base + size
                advanced = true
                break
            }
            if !advanced { return false }
        }
        return true
    }
}

/// FUTEX WAIT (0, u32) / WAIT64 (3) / WAKE (1), keyed by physical address.
enum Futex {
    final class Waiter {
        let key: UInt64
        let process: Process
        var woken = false
        init(key: UInt64, process: Process) { self.key = key; self.process = process }
    }
    nonisolated(unsafe) static var waiters: [Waiter] = []

    static func handle(_ process: Process, address: UInt64, operation: UInt64, value: UInt64, deadline: UInt64) -> Int {
        let wide = operation == 3
        let size = wide ? 8 : 4
        guard address % UInt64(size) == 0 else { return -Errno.EINVAL }
        guard UserMemory.valid(address, size, writable: false), let space = process.space,
              let (key, _) = space.translate(address) else { return -Errno.EFAULT }
        switch operation {
        case 0, 3:
            let raw = UnsafeRawPointer(bitPattern: UInt(address))!
            let current = wide ? raw.load(as: UInt64.self) : UInt64(raw.load(as: UInt32.self))
            if current != (wide ? value : value & 0xFFFF_FFFF) { return -Errno.EAGAIN }
            var wakeTick: UInt64 = 0
            if deadline != 0 {
                guard let spec = UserMemory.copyIn(deadline, 16) else { return -Errno.EFAULT }
                let seconds = spec.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
                let nanos = spec.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) }
                let target = UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, nanos))
                wakeTick = max(1, target / Timer.nanosecondsPerTick)
                if wakeTick <= Timer.ticks { return -Errno.ETIMEDOUT }
            }
            let waiter = Waiter(key: key, process: process)
            waiters.append(waiter)
            while !waiter.woken {
                if wakeTick != 0 && Timer.ticks >= wakeTick { break }
                if wakeTick != 0 { Scheduler.sleepUntil(wakeTick) } else { process.state = .blocked; Scheduler.schedule() }
            }
            waiters.removeAll { $0 === waiter }
            return waiter.woken ? 0 : -Errno.ETIMEDOUT
        case 1:
            var count = 0
            for waiter in waiters where waiter.key == key && !waiter.woken && count < Int(min(value, UInt64(Int.max))) {
                waiter.woken = true
                Scheduler.makeReady(waiter.process)
                count += 1
            }
            return count
        default:
            return -Errno.EINVAL
        }
    }
}
