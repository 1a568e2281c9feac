// aarch64 facts and checks of the probe kernel (spec §8.2, §9.3).

@_extern(c, "kernel_entry_rsp") func kernel_entry_rsp() -> UInt64
@_extern(c, "kernel_entry_daif") func kernel_entry_daif() -> UInt64
@_extern(c, "kernel_current_el") func kernel_current_el() -> UInt64
@_extern(c, "kernel_sctlr") func kernel_sctlr() -> UInt64
@_extern(c, "kernel_ttbr0") func kernel_ttbr0() -> UInt64
@_extern(c, "kernel_ttbr1") func kernel_ttbr1() -> UInt64
@_extern(c, "kernel_mair") func kernel_mair() -> UInt64
@_extern(c, "kernel_tcr") func kernel_tcr() -> UInt64

let kernelOffset: UInt64 = 0xFFFF_FF00_0000_0000

/// The loader branches (no return address is pushed): SP at entry is the top it chose.
let entryStackOffset: UInt64 = 0
let entryStackCheck: StaticString = "entry SP = stack_base + stack_size + PHYS_OFFSET"

func checkMachineState(_ checks: inout Checks) {
    checks.expect(kernel_entry_daif() & 0x3C0 == 0x3C0, "DAIF masked at entry")
    checks.expect(kernel_current_el() == 1, "running at EL1")
    checks.expect(kernel_sctlr() & 0x5 == 0x5 && kernel_sctlr() & (1 << 12) != 0, "SCTLR_EL1.M, C and I set")
    checks.expect(kernel_mair() == 0x44FF, "MAIR_EL1 = 0x44FF")
    checks.expect(kernel_tcr() & 0xFFFF_FFF8_FFFF_FFFF == 0x10_8510_0510, "TCR_EL1 = 0x10_8510_0510 | IPS")
    checks.expect(kernel_ttbr0() == kernel_ttbr1(), "TTBR0_EL1 = TTBR1_EL1")
}

/// aarch64 translation tables: TTBR0_EL1 holds the level-0 table; L0[0] and L0[256] share one L1
/// table whose first 8 entries are 1 GiB blocks (access flag set) for 0–8 GiB; L0[510] holds the
/// kernel.
enum PageTableFormat {
    static let addressMask: UInt64 = 0x0000_FFFF_FFFF_F000
    static let rootCheck: StaticString = "TTBR0_EL1 holds a page-aligned level-0 table"
    static let sharedCheck: StaticString = "L0[0] and L0[256] share one L1 table"
    static let identityCheck: StaticString = "first 8 GiB mapped with 1 GiB blocks"
    static let kernelCheck: StaticString = "L0[510] maps the kernel"

    static func root() -> UInt64 { kernel_ttbr0() }

    static func mapsGigabyte(_ gigabyte: Int, in l1: UInt64) -> Bool {
        let block = tableEntry(l1, gigabyte)
        return block & 3 == 1 && block & addressMask == UInt64(gigabyte) << 30 && block & (1 << 10) != 0
    }

    static func mapsKernel(root: UInt64) -> Bool {
        tableEntry(root, 510) & 3 == 3
    }
}
