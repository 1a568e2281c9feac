/// PHYS_OFFSET: where the loader maps all of the first 8 GiB, on both architectures.
let physicalOffset: UInt64 = 0xFFFF_8000_0000_0000

/// The loader's page tables of spec §8.2, read through the identity map: the walk both
/// architectures share (a page-aligned root whose entries 0 and 256 point to one level-1 table
/// for the first 8 GiB, and a kernel slot). The entry format, the root register and the check
/// names are per architecture (<arch>/MachineChecks.swift: `PageTableFormat`).
func checkPageTables(_ checks: inout Checks) {
    let root = PageTableFormat.root()
    checks.expect(root & 0xFFF == 0, PageTableFormat.rootCheck)
    let identity = tableEntry(root, 0)
    checks.expect(identity & 3 == 3 && identity & PageTableFormat.addressMask == tableEntry(root, 256) & PageTableFormat.addressMask,
                  PageTableFormat.sharedCheck)
    var identityMapped = true
    for gigabyte in 0..<8 where !PageTableFormat.mapsGigabyte(gigabyte, in: identity) {
        identityMapped = false
    }
    checks.expect(identityMapped, PageTableFormat.identityCheck)
    checks.expect(PageTableFormat.mapsKernel(root: root), PageTableFormat.kernelCheck)
}

/// Entry `index` of the table that `table` (an entry or an address) points to.
func tableEntry(_ table: UInt64, _ index: Int) -> UInt64 {
    UnsafeRawPointer(bitPattern: UInt(table & PageTableFormat.addressMask))!.load(fromByteOffset: 8 * index, as: UInt64.self)
}
