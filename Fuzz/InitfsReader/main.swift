// libFuzzer target for the initfs reader (scripts/fuzz.sh InitfsReader SECONDS).
//
// Input: any bytes taken as an image. The reader must refuse or walk it without crashing: every
// inode, every directory entry and name, and lookups of a few paths (links followed).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInitfsReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    for requirePageSize in [false, true] {
        guard let view = try? InitfsView(bytes, requirePageSize: requirePageSize) else { continue }
        for number in 0..<Int(view.header.inodeCount) {
            guard let inode = try? view.inode(number) else { continue }
            let content = view.data(inode)
            precondition(content.count == inode.length, "data range has the inode's length")
            if let entries = try? view.entries(inode) {
                for entry in entries { _ = view.name(entry).count; _ = try? view.inode(entry.inode) }
            }
        }
        for path in ["bin/init", "a/b/c", "..", "/", "lib/../bin/./init"] {
            _ = try? view.lookup(Array(path.utf8))
        }
    }
    return 0
}
