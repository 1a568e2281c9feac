import ArgumentParser
import Foundation
import RedoxFS
import RedoxFSCommandSupport

/// `redoxfs-dump IMAGE`: lists every path of a RedoxFS image in the fixtures' manifest format.
struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redoxfs-dump",
        abstract: "List every path of a RedoxFS image with its metadata and content digest.",
        discussion: """
            The text output matches the manifests of the upstream fixtures: a header, then one \
            tab-separated line per path, depth-first, children sorted by name bytes. Types: d \
            directory, f file, l symlink, s socket, p FIFO, c and b character and block devices \
            (their "major,minor" device number in the target column).
            """)

    @OptionGroup var image: ImageOptions
    @OptionGroup var generation: GenerationOption

    @Flag(help: "Print JSON instead of the manifest text.")
    var json = false

    func run() throws {
        let region = image.regionOrExit(tool: "redoxfs-dump")
        do {
            let fs = try image.open(region, tool: "redoxfs-dump", generation: generation.generation)
            defer { fs.close() }
            let name = URL(fileURLWithPath: image.image).lastPathComponent
            let manifest = try Manifest(fileSystem: fs, imageName: name)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                FileHandle.standardOutput.write(try encoder.encode(manifest))
                FileHandle.standardOutput.write(Data("\n".utf8))
            } else {
                FileHandle.standardOutput.write(Data(manifest.text.utf8))
            }
        } catch {
            exitWithError("redoxfs-dump", region: region, error)
        }
    }
}

Dump.main()
