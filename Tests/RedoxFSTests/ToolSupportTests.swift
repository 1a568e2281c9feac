import RedoxFSTools
import Testing

/// Size parsing and printing, and the name rules of the archiver.
@Suite struct ToolSupportTests {
    @Test func parsesSizes() {
        #expect(ByteSize.parse("4096") == 4096)
        #expect(ByteSize.parse("500M") == 500_000_000)
        #expect(ByteSize.parse("500MB") == 500_000_000)
        #expect(ByteSize.parse("2GiB") == 2 << 30)
        #expect(ByteSize.parse("2 gib") == 2 << 30)
        #expect(ByteSize.parse("64Mi") == 64 << 20)
        #expect(ByteSize.parse("1.5K") == 1500)
        #expect(ByteSize.parse("0.5MiB") == 512 << 10)
        #expect(ByteSize.parse("1k") == 1000)
        for bad in ["", "M", "12X", "1.2.3", "-5", "99999999999999999999", "20000000000P"] {
            #expect(ByteSize.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func printsSizesAsUpstream() {
        #expect(ByteSize.describe(100_663_296) == "100.66 MB (96 MiB)")
        #expect(ByteSize.describe(20_185_088) == "20.19 MB (19.25 MiB)")
        #expect(ByteSize.describe(512) == "512 B (512 B)")
        #expect(ByteSize.describe(80_502_784) == "80.50 MB (76.77 MiB)")
    }

    @Test func nameRules() {
        #expect(HostName.problem(Array("fine é 日本".utf8)) == nil)
        #expect(HostName.problem(Array(repeating: 0x41, count: 252)) == nil)
        #expect(HostName.problem(Array(repeating: 0x41, count: 253))?.contains("253 bytes") == true)
        #expect(HostName.problem([0x61, 0xFF])?.contains("UTF-8") == true)
        #expect(HostName.problem(Array("a:b".utf8))?.contains("':'") == true)
        #expect(HostName.display([0x61, 0xFF, 0x0A]) == "a\\xff\\x0a")
    }
}
