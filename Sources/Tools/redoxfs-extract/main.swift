import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport

/// `redoxfs-extract IMAGE DIR`: copies the tree of a RedoxFS image out to a host directory.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redoxfs-extract",
        abstract: "Copy the tree of a RedoxFS image into a host directory.",
        discussion: """
            Modes and times are kept; owners too when run as root. Hard links stay hard links. FIFOs, \
            sockets and device nodes are recreated with mknod (device nodes need root).
            """)

    @OptionGroup var image: ImageOptions

    @Argument(help: "The directory to create and fill (absent or empty).")
    var directory: String

    @Flag(name: .shortAndLong, help: "Print each path as it is copied.")
    var verbose = false

    func run() throws {
        do {
            let fs = try image.open(tool: "redoxfs-extract")
            defer { fs.close() }
            var exporter = TreeExporter(fileSystem: fs)
            if verbose { exporter.progress = { print($0) } }
            try exporter.export(to: directory)
        } catch {
            exitWithError("redoxfs-extract", "\(image.image): \(error)")
        }
    }
}

Extract.main()
