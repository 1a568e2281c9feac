// redox-initfs-ar: makes a RedoxFtw initfs image from a directory and a bootstrap ELF, with
// upstream's command line (initfs-bootstrap.md §3).

import ArgumentParser
import RedoxInitfsHost

@main
struct InitfsArchive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redox-initfs-ar",
        abstract: "Make a Redox initfs image (RedoxFtw) from a directory and a bootstrap program.")

    @Argument(help: "The directory whose tree goes into the image.")
    var sourceDirectory: String

    @Argument(help: "The bootstrap ELF executable, placed at offset 0x1000.")
    var bootstrapELF: String

    @Option(name: .shortAndLong, help: "The image to write.")
    var output: String

    @Option(name: .long, help: "The largest image allowed, in bytes (default 64 MiB).")
    var maxSize: Int = 64 << 20

    func run() throws {
        try HostTree.archive(source: sourceDirectory, bootstrap: bootstrapELF, output: output, maximumSize: maxSize)
    }
}
