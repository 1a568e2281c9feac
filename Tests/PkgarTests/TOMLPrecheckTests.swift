import Testing
@testable import Pkgar

/// The pre-check that keeps toml++ from aborting on bad key positions.
@Suite struct TOMLPrecheckTests {
    static let valid = [
        "a = 1\n[b]\nc = \"x\"\n",
        "# comment\n[a.b.\"c d\"]\n'e' = 'f' # trailing\n[[g]]\nh = [1, 2,\n  # inside\n  3,\n]\n",
        "date = 1979-05-27 07:32:00Z\nother = 1979-05-27T07:32:00-07:00\nf = -inf\nn = 0x1F\n",
        "s = \"\"\"\n[not a table]\n{ , }\n\"\"\"\nl = '''\n]}\n'''\n",
        "t = { a = 1, b = { c = [\"x\", 'y'] }, e = {} }\nq = \"a\\\"b\"\n",
        "script = \"\"\"\ncp -a \"$SOURCE/.\" \"$STAGE/\"\n\"\"\"\n",
        "[packages]\nbase = {}\nion = \"ignore\"\n",
    ]

    @Test(arguments: valid)
    func validDocumentsPassAndParse(text: String) throws {
        #expect(TOMLPrecheck.problem(in: text) == nil)
        _ = try TOMLDocument(text: text, name: "valid.toml")
    }

    @Test(arguments: ["[.build]\n", "x = 1\n[ .y]\n", "a = [\"a\",}\"b\"]\n", "t = { .a = 1 }\n", "t = {a = 1, }\n", "[a.]\n", "= 3\n", ".a = 1\n"])
    func crashingInputsAreSyntaxErrors(text: String) {
        #expect(throws: PkgarError.self) { try TOMLDocument(text: text, name: "bad.toml") }
    }
}
