// libFuzzer target for the pkgar head (scripts/fuzz.sh PkgarHead SECONDS).
//
// Input: arbitrary bytes read as a package head. Decodes the header, the entry table (with its
// BLAKE3 check bypassed by re-hashing, so the entry decoder and path rule are reached), every
// entry's kind and path, and checks that decoded structures re-encode to the same bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPkgarHead(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard var header = try? PackageHeader(bytes: bytes) else { return 0 }
    precondition(header.bytes == Array(bytes[0..<PackageHeader.size]), "header does not re-encode")
    _ = (header.flags.packaging, header.flags.architectureByte, header.flags.version)
    let available = (bytes.count - PackageHeader.size) / PackageEntry.size
    header.count = UInt32(min(Int(header.count), available))
    header.blake3 = Blake3.hash(Array(bytes[PackageHeader.size..<header.headSize]))
    guard let head = try? PackageHeadContents(header: header, headBytes: bytes) else {
        preconditionFailure("a table with its own hash must decode")
    }
    for (index, entry) in head.entries.enumerated() {
        _ = try? entry.kind()
        if let components = try? entry.components() {
            precondition(!components.isEmpty && components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." })
        }
        let start = PackageHeader.size + index * PackageEntry.size
        let raw = Array(bytes[start..<start + PackageEntry.size])
        let reencoded = entry.bytes
        precondition(reencoded[0..<52] == raw[0..<52], "entry fields do not re-encode")
    }
    return 0
}
