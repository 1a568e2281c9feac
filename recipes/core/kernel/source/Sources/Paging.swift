// 4-level page tables: the kernel's own (linear map of physical memory at PHYS_OFFSET, the
// kernel image at KERNEL_OFFSET, the heap) and one per process sharing the kernel half.

enum PageFlags {
    static let present: UInt64 = 1
    static let writable: UInt64 = 2
    static let user: UInt64 = 4
    static let huge: UInt64 = 0x80
    static let global: UInt64 = 0x100
    /// Available bit: the frame belongs to someone else (a request window); never freed here.
    static let borrowed: UInt64 = 0x200
    static let noExecute: UInt64 = 1 << 63
    static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
}

/// One address space: a PML4 whose upper half is the kernel's.
final class AddressSpace {
    let root: UInt64
    nonisolated(unsafe) static var kernelRoot: UInt64 = 0

    init?() {
        guard let frame = Frames.allocate() else { return nil }
        root = frame
        let table = AddressSpace.table(frame)
        let kernel = AddressSpace.table(AddressSpace.kernelRoot)
        for index in 256..<512 { table[index] = kernel[index] }
    }

    /// The kernel's own table (only used for the kernel root).
    init(kernelRoot frame: UInt64) { root = frame }

    static func table(_ frame: UInt64) -> UnsafeMutablePointer<UInt64> {
        Layout.physical(frame).assumingMemoryBound(to: UInt64.self)
    }

    /// The level-1 entry for `virtual`, creating tables on the way when asked.
    func entry(_ virtual: UInt64, create: Bool) -> UnsafeMutablePointer<UInt64>? {
        var table = AddressSpace.table(root)
        let user = virtual < Layout.userEnd
        for level in stride(from: 3, through: 1, by: -1) {
            let index = Int((virtual >> (12 + 9 * UInt64(level))) & 511)
            var value = table[index]
            if value & PageFlags.present == 0 {
                guard create, let frame = Frames.allocate() else { return nil }
                value = frame | PageFlags.present | PageFlags.writable | (user ? PageFlags.user : 0)
                table[index] = value
            } else if value & PageFlags.huge != 0 {
                return nil
            }
            table = AddressSpace.table(value & PageFlags.addressMask)
        }
        return table + Int((virtual >> 12) & 511)
    }

    /// Maps one page; false when a table could not be allocated.
    @discardableResult
    func map(_ virtual: UInt64, to physical: UInt64, flags: UInt64) -> Bool {
        guard let pte = entry(virtual, create: true) else { return false }
        pte.pointee = physical | flags | PageFlags.present
        if isCurrent { cpuInvalidatePage(virtual) }
        return true
    }

    /// Removes one page's mapping and returns its entry (0 if none).
    @discardableResult
    func unmap(_ virtual: UInt64) -> UInt64 {
        guard let pte = entry(virtual, create: false) else { return 0 }
        let old = pte.pointee
        pte.pointee = 0
        if isCurrent { cpuInvalidatePage(virtual) }
        return old
    }

    /// The entry mapping `virtual` (huge pages included) as (physical address, flags), or nil.
    func translate(_ virtual: UInt64) -> (physical: UInt64, flags: UInt64)? {
        var table = AddressSpace.table(root)
        var flags = PageFlags.user | PageFlags.writable
        for level in stride(from: 3, through: 0, by: -1) {
            let shift = 12 + 9 * UInt64(level)
            let value = table[Int((virtual >> shift) & 511)]
            guard value & PageFlags.present != 0 else { return nil }
            flags &= (value | ~(PageFlags.user | PageFlags.writable))
            if level == 0 || (value & PageFlags.huge != 0 && level <= 2) {
                let size: UInt64 = 1 << shift
                let base = value & PageFlags.addressMask & ~(size - 1)
                return (base + (virtual & (size - 1)), (value & ~PageFlags.addressMask) & flags | (value & PageFlags.noExecute) | PageFlags.present)
            }
            table = AddressSpace.table(value & PageFlags.addressMask)
        }
        return nil
    }

    var isCurrent: Bool { cpuCR3() & PageFlags.addressMask == root }

    /// Frees every user page (except borrowed ones) and every user table, then the root.
    func destroy() {
        let pml4 = AddressSpace.table(root)
        for i in 0..<256 where pml4[i] & PageFlags.present != 0 {
            let pdp = AddressSpace.table(pml4[i] & PageFlags.addressMask)
            for j in 0..<512 where pdp[j] & PageFlags.present != 0 {
                let pd = AddressSpace.table(pdp[j] & PageFlags.addressMask)
                for k in 0..<512 where pd[k] & PageFlags.present != 0 {
                    let pt = AddressSpace.table(pd[k] & PageFlags.addressMask)
                    for l in 0..<512 where pt[l] & PageFlags.present != 0 && pt[l] & PageFlags.borrowed == 0 {
                        Frames.free(pt[l] & PageFlags.addressMask)
                    }
                    Frames.free(pd[k] & PageFlags.addressMask)
                }
                Frames.free(pdp[j] & PageFlags.addressMask)
            }
            Frames.free(pml4[i] & PageFlags.addressMask)
        }
        Frames.free(root)
    }

    /// Copies bytes into this space at `virtual` (pages must be mapped).
    func write(_ virtual: UInt64, _ bytes: UnsafeRawBufferPointer) {
        var done = 0
        while done < bytes.count {
            let address = virtual + UInt64(done)
            guard let (physical, _) = translate(address) else { return }
            let chunk = min(bytes.count - done, Int(4096 - (address & 0xFFF)))
            Layout.physical(physical).copyMemory(from: bytes.baseAddress! + done, byteCount: chunk)
            done += chunk
        }
    }

    /// Maps fresh zeroed frames over [start, end) with `flags`; false when memory runs out.
    func mapFresh(_ start: UInt64, _ end: UInt64, flags: UInt64) -> Bool {
        var page = start & ~0xFFF
        while page < end {
            if let pte = entry(page, create: true), pte.pointee & PageFlags.present != 0 {
                pte.pointee |= flags & PageFlags.writable
                if flags & PageFlags.noExecute == 0 { pte.pointee &= ~PageFlags.noExecute }
            } else {
                guard let frame = Frames.allocate(), map(page, to: frame, flags: flags) else { return false }
            }
            page += 4096
        }
        return true
    }
}

enum KernelPaging {
    /// Builds the kernel's tables and switches to them.
    static func initialize(_ boot: BootInfo) {
        guard let rootFrame = Frames.allocate() else { panic("no memory for the kernel page tables") }
        AddressSpace.kernelRoot = rootFrame
        let kernel = AddressSpace(kernelRoot: rootFrame)
        let root = AddressSpace.table(rootFrame)
        // Every upper-half PML4 slot gets its PDP now, so that process tables can share them.
        for index in 256..<512 {
            guard let frame = Frames.allocate() else { panic("no memory for the kernel page tables") }
            root[index] = frame | PageFlags.present | PageFlags.writable
        }
        // Linear map of physical memory with 2 MiB pages (at least 4 GiB, for device memory).
        let top = max(Frames.highestAddress, 4 << 30)
        let gigabytes = Int((top + (1 << 30) - 1) >> 30)
        let pdp = AddressSpace.table(root[256] & PageFlags.addressMask)
        for gigabyte in 0..<min(gigabytes, 512) {
            guard let frame = Frames.allocate() else { panic("no memory for the linear map") }
            pdp[gigabyte] = frame | PageFlags.present | PageFlags.writable
            let pd = AddressSpace.table(frame)
            for index in 0..<512 {
                let physical = UInt64(gigabyte) << 30 | UInt64(index) << 21
                pd[index] = physical | PageFlags.present | PageFlags.writable | PageFlags.huge | PageFlags.global | PageFlags.noExecute
            }
        }
        // The kernel image, page by page at KERNEL_OFFSET.
        var offset: UInt64 = 0
        while offset < boot.kernelSize {
            kernel.map(Layout.kernelOffset + offset, to: boot.kernelBase + offset, flags: PageFlags.writable | PageFlags.global)
            offset += 4096
        }
        cpuSetCR3(rootFrame)
        // The heap.
        var address = Layout.heapBase
        while address < Layout.heapBase + Layout.heapSize {
            guard let frame = Frames.allocate() else { panic("no memory for the kernel heap") }
            kernel.map(address, to: frame, flags: PageFlags.writable | PageFlags.global | PageFlags.noExecute)
            address += 4096
        }
    }
}
