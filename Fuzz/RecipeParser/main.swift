// libFuzzer target for the recipe parser and the shared TOML loader (scripts/fuzz.sh RecipeParser SECONDS).
//
// Input: arbitrary bytes taken as the bytes of a recipe.toml. Decoding (TOMLLoader.text), parsing
// (TOMLLoader.parse, which every TOML reader of ours goes through) and Recipe(text:directory:)
// must either succeed or throw (never trap, never overflow the stack); an error names a line within
// the document when it names one; a parsed document can be walked to its leaves. Seeds
// (scripts/fuzz.sh copies them into an empty corpus): the recipes under recipes/ and Fuzz/TOMLSeeds,
// one file per class of input that used to crash toml++ or TOMLKit.

import Cookbook
import Pkgar
import TOMLKit

/// Visits every value below `value` without recursion (a stack of pending values); returns the count.
func walk(_ root: TOMLValueConvertible) -> Int {
    var pending: [TOMLValueConvertible] = [root]
    var count = 0
    while let value = pending.popLast() {
        count += 1
        if let table = value.table {
            for key in table.keys { if let child = table[key] { pending.append(child) } }
        } else if let array = value.array {
            for child in array { pending.append(child) }
        } else {
            _ = value.string; _ = value.int; _ = value.double; _ = value.bool
            _ = value.date; _ = value.time; _ = value.dateTime
        }
    }
    return count
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecipeParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = bytes.filter { $0 == 0x0A }.count + 1
    let text: String
    do {
        text = try TOMLLoader.text(bytes, file: "fuzz.toml")
    } catch {
        precondition(error.line.map { $0 >= 1 && $0 <= lines } ?? true, "line outside the document: \(error)")
        return 0
    }
    do {
        let table = try TOMLLoader.parse(text, file: "fuzz.toml")
        _ = walk(table)
    } catch {
        precondition(error.line.map { $0 >= 1 && $0 <= lines } ?? true, "line outside the document: \(error)")
        precondition(!error.reason.isEmpty, "an error says what is wrong")
        return 0
    }
    if let recipe = try? Recipe(text: text, directory: "/fuzz/recipes/x") {
        precondition(recipe.name == "x", "the recipe's name is its folder's")
    }
    return 0
}
