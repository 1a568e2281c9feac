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
let physicalOffset: UInt64 = 0xFFFF_8000_0000_0000

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

/// The tables of spec §8.2, read through the identity map: L0[0] and L0[256] share one L1 table
/// whose first 8 entries are 1 GiB blocks for 0–8 GiB; L0[510] holds the kernel.
func checkPageTables(_ checks: inout Checks) {
    let addressMask: UInt64 = 0x0000_FFFF_FFFF_F000
    func entry(_ table: UInt64, _ index: Int) -> UInt64 {
        UnsafeRawPointer(bitPattern: UInt(table & addressMask))!.load(fromByteOffset: 8 * index, as: UInt64.self)
    }
    let root = kernel_ttbr0()
    checks.expect(root & 0xFFF == 0, "TTBR0_EL1 holds a page-aligned level-0 table")
    let identity = entry(root, 0)
    checks.expect(identity & 3 == 3 && identity & addressMask == entry(root, 256) & addressMask,
                  "L0[0] and L0[256] share one L1 table")
    var blocks = true
    for gigabyte in 0..<8 {
        let block = entry(identity, gigabyte)
        if block & 3 != 1 || block & addressMask != UInt64(gigabyte) << 30 || block & (1 << 10) == 0 { blocks = false }
    }
    checks.expect(blocks, "first 8 GiB mapped with 1 GiB blocks")
    let kernelTable = entry(root, 510)
    checks.expect(kernelTable & 3 == 3, "L0[510] maps the kernel")
}
