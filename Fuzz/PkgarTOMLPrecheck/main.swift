// libFuzzer target for the TOML pre-check (scripts/fuzz.sh PkgarTOMLPrecheck SECONDS).
//
// Input: arbitrary bytes as document text. The scan must end (every loop advances) and never trap;
// a reported problem must name a line within the document.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOMLPrecheck(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let problem = TOMLPrecheck.problem(in: text) {
        precondition(problem.hasPrefix("line "), "problems name their line")
        let lines = text.utf8.filter { $0 == 0x0A }.count + 1
        let number = Int(problem.dropFirst(5).prefix { $0 != ":" }) ?? 0
        precondition(number >= 1 && number <= lines, "line \(number) outside a \(lines)-line document")
    }
    return 0
}
