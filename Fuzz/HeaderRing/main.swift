// libFuzzer target for header and ring parsing (scripts/fuzz.sh HeaderRing SECONDS).
//
// Input: the bytes of a small device (padded to whole 4096-byte blocks). Locates the newest header
// with and without an explicit start block, decodes every field and checks that a valid header
// re-encodes to the same bytes.

/// A device over the fuzzer's bytes.
struct BytesDevice: BlockDevice {
    var bytes: [UInt8]
    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let start = Int(index) * RedoxFS.blockSize
        guard index < UInt64(bytes.count / RedoxFS.blockSize), start + buffer.count <= bytes.count else {
            throw .io(block: index, code: 5)
        }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + buffer.count])) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeaderRing(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let blocks = (bytes.count + RedoxFS.blockSize - 1) / RedoxFS.blockSize
    bytes += [UInt8](repeating: 0, count: blocks * RedoxFS.blockSize - bytes.count)
    var device = BytesDevice(bytes: bytes)
    for start in [nil, UInt64(0), UInt64(1)] as [UInt64?] {
        guard let location = try? HeaderRing.locate(on: &device, startBlock: start, deviceBlocks: UInt64(blocks)) else { continue }
        let header = location.header
        precondition(header.isValid, "locate returned an invalid header")
        precondition(header.generation % 256 == location.slot, "header found in the wrong slot")
        _ = (header.uuid, header.size, header.blockCount, header.tree, header.alloc, header.release, header.isEncrypted)
        for n in 0..<RedoxFS.keySlotCount { _ = header.keySlot(n).isEmpty }
        var copy = header
        copy.seal(encryptedHash: { plaintext, _ in header.isEncrypted ? header.encryptedHash : plaintext })
        precondition(copy.bytes == header.bytes, "a valid header does not re-seal to itself")
    }
    return 0
}
