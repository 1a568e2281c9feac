import Glibc
import RedoxFS
@testable import RedoxFSFuse
import XCTest

/// The coalescer's bounds, without a mount: what a batch and the kept errors may hold.
final class WriteCoalescerTests: XCTestCase {
    /// A page written back again and again (`sync_file_range`, the kernel's periodic writeback)
    /// adds a range each time; the batch is formed once it holds `batchByteLimit` bytes.
    func testARewrittenPageCannotGrowItsBatchForEver() {
        let coalescer = WriteCoalescer()
        let page = [UInt8](repeating: 7, count: 4096)
        var formedAfter: Int?
        for round in 1...200 {
            let due = page.withUnsafeBytes { coalescer.add(1, record: 0, at: 8192, $0) }
            guard !due.isEmpty else { continue }
            XCTAssertEqual(due.count, 1)
            XCTAssertEqual(due.first?.record, 0)
            coalescer.form(due) { _ in nil }
            formedAfter = round
            break
        }
        XCTAssertEqual(formedAfter, WriteCoalescer.batchByteLimit / 4096 + 1)
        XCTAssertTrue(coalescer.isIdle)
    }

    /// Past `errorLimit` files with a failed write-back, one older error makes room: the others
    /// are all still reported.
    func testKeptErrorsPastTheBoundLoseOneNotAll() {
        let coalescer = WriteCoalescer()
        let page = [UInt8](repeating: 1, count: 4096)
        let failing: WriteCoalescer.Former = { _ in .system(operation: "write", path: "", errno: ENOSPC) }
        let files = UInt64(WriteCoalescer.errorLimit + 1)
        for inode in 1...files {
            let due = page.withUnsafeBytes { coalescer.add(inode, record: 0, at: 4096, $0) }
            coalescer.form(due, with: failing)
        }
        coalescer.settleAll(with: failing)
        let reported = (1...files).filter { coalescer.takeError($0) != nil }.count
        XCTAssertEqual(reported, WriteCoalescer.errorLimit)
    }
}
