// x86_64 facts and checks of the probe kernel.

@_extern(c, "kernel_cr0") func kernel_cr0() -> UInt64
@_extern(c, "kernel_cr3") func kernel_cr3() -> UInt64
@_extern(c, "kernel_cr4") func kernel_cr4() -> UInt64
@_extern(c, "kernel_efer") func kernel_efer() -> UInt64
@_extern(c, "kernel_entry_rsp") func kernel_entry_rsp() -> UInt64
@_extern(c, "kernel_entry_rflags") func kernel_entry_rflags() -> UInt64

let kernelOffset: UInt64 = 0xFFFF_FFFF_8000_0000

/// The loader's `call` pushed a return address: RSP at entry is 8 below the top it chose.
let entryStackOffset: UInt64 = 8
let entryStackCheck: StaticString = "entry RSP = stack_base + stack_size + PHYS_OFFSET - 8"

func checkMachineState(_ checks: inout Checks) {
    checks.expect(kernel_entry_rflags() & (1 << 9) == 0, "interrupts disabled at entry")
    checks.expect(kernel_cr0() & (1 << 31) != 0 && kernel_cr0() & (1 << 16) != 0, "CR0.PG and CR0.WP set")
    checks.expect(kernel_cr4() & (1 << 5) != 0 && kernel_cr4() & (1 << 7) != 0 && kernel_cr4() & (1 << 9) != 0,
                  "CR4.PAE, PGE and OSFXSR set")
    checks.expect(kernel_efer() & (1 << 8) != 0 && kernel_efer() & (1 << 11) != 0, "EFER.LME and NXE set")
}

/// x86_64 4-level paging: CR3 holds the PML4; PML4[0] and PML4[256] share one PDP whose first 8
/// entries map 0–8 GiB with present, writable 2 MiB pages; PML4[511] → PDP[510] holds the kernel.
enum PageTableFormat {
    static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    static let rootCheck: StaticString = "CR3 holds a page-aligned PML4"
    static let sharedCheck: StaticString = "PML4[0] and PML4[256] share one PDP"
    static let identityCheck: StaticString = "first 8 GiB mapped with 2 MiB pages"
    static let kernelCheck: StaticString = "PML4[511] -> PDP[510] maps the kernel"

    static func root() -> UInt64 { kernel_cr3() }

    static func mapsGigabyte(_ gigabyte: Int, in pdp: UInt64) -> Bool {
        let directory = tableEntry(pdp, gigabyte)
        guard directory & 1 != 0 else { return false }
        for index in 0..<512 {
            let expected = UInt64(gigabyte) << 30 | UInt64(index) << 21 | 0x83
            if tableEntry(directory, index) & (addressMask | 0x83) != expected { return false }
        }
        return true
    }

    static func mapsKernel(root: UInt64) -> Bool {
        let kernelPDP = tableEntry(root, 511)
        return kernelPDP & 1 != 0 && tableEntry(kernelPDP, 510) & 1 != 0
    }
}
