// libFuzzer target for the TOML pre-check (scripts/fuzz.sh PkgarTOMLPrecheck SECONDS).
//
// Input: arbitrary bytes as document text. The scan must end (every loop advances), never trap
// and never recurse (a document of 100,000 nested brackets is as cheap as a flat one); a
// reported problem must name a line within the document and a column of at least 1.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOMLPrecheck(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let problem = TOMLPrecheck.problem(in: text) {
        let lines = text.utf8.filter { $0 == 0x0A }.count + 1
        precondition(problem.line >= 1 && problem.line <= lines, "line \(problem.line) outside a \(lines)-line document")
        precondition(problem.column >= 1, "columns count from 1")
        precondition(!problem.message.isEmpty, "a problem says what is wrong")
    }
    return 0
}
