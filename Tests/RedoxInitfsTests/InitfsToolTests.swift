import Foundation
import RedoxFSTestSupport
import Testing
import RedoxInitfs

/// The `redox-initfs-ar` command line: upstream's arguments, clear errors, no partial output.
@Suite struct InitfsToolTests {
    static var toolPath: String { Fixtures.tool("redox-initfs-ar") }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.toolPath)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func makesAnImageAndRefusesBadInput() throws {
        let scratch = Scratch()
        scratch.write("tree/bin/init", [1, 2, 3], mode: 0o755)
        scratch.write("bootstrap", fakeELF(entry: 0x2100), mode: 0o755)
        scratch.write("not-elf", Array("#!/bin/sh\n".utf8))
        let output = scratch.path + "/initfs.img"

        let made = try run([scratch.path + "/tree", scratch.path + "/bootstrap", "-o", output])
        #expect(made.status == 0, "\(made.output)")
        let image = [UInt8](FileManager.default.contents(atPath: output) ?? Data())
        try image.withUnsafeBytes { raw in
            let view = try InitfsView(raw)
            #expect(view.header.bootstrapEntry == 0x2100)
            #expect(try view.lookup(Array("bin/init".utf8)).kind == .executable)
        }

        let refused = try run([scratch.path + "/tree", scratch.path + "/not-elf", "-o", scratch.path + "/bad.img"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("the bootstrap is not an ELF file"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/bad.img"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/bad.img.partial"))

        let tooBig = try run([scratch.path + "/tree", scratch.path + "/bootstrap", "-o", scratch.path + "/big.img", "--max-size", "8192"])
        #expect(tooBig.status != 0)
        #expect(tooBig.output.contains("bump allocation failed: max limit reached"))

        let usage = try run([scratch.path + "/tree"])
        #expect(usage.status != 0)
        #expect(usage.output.contains("Usage") || usage.output.contains("USAGE"))
    }
}
