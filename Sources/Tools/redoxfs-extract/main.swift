#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport

/// `redoxfs-extract IMAGE DIR`: copies the tree of a RedoxFS image out to a host directory;
/// `--salvage` copies out whatever still verifies from a damaged one, generation by generation.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redoxfs-extract",
        abstract: "Copy the tree of a RedoxFS image into a host directory.",
        discussion: """
            Modes and times are kept; owners too when run as root. Hard links stay hard links. FIFOs, \
            sockets and device nodes are recreated with mknod (device nodes need root).

            With --salvage the image is never written: every file, directory and symlink whose \
            blocks verify is copied, from the newest generation first and then from older \
            generations for what the newest cannot read. Each path is printed with the generation \
            it came from ("recovered GENERATION PATH"), then what could not be recovered \
            ("lost PATH: REASON"). Exit status: 0 when everything was recovered, 2 when something \
            was lost, 1 on errors.
            """)

    @OptionGroup var image: ImageOptions
    @OptionGroup var generation: GenerationOption

    @Argument(help: "The directory to create and fill (absent or empty).")
    var directory: String

    @Flag(name: .shortAndLong, help: "Print each path as it is copied.")
    var verbose = false

    @Flag(help: "Copy out what still verifies from a damaged image, also from older generations; never writes to the image.")
    var salvage = false

    func run() throws {
        if salvage { return runSalvage() }
        let region = image.regionOrExit(tool: "redoxfs-extract")
        do {
            let fs = try image.open(region, tool: "redoxfs-extract", generation: generation.generation)
            defer { fs.close() }
            var exporter = TreeExporter(fileSystem: fs)
            if verbose { exporter.progress = { print($0) } }
            try exporter.export(to: directory)
        } catch {
            exitWithError("redoxfs-extract", region: region, error)
        }
    }

    private func runSalvage() {
        let region = image.regionOrExit(tool: "redoxfs-extract")
        let report: SalvageReport
        do {
            let fs: FileSystem
            do {
                fs = try image.open(region, tool: "redoxfs-extract", generation: generation.generation)
            } catch .damagedGeneration(let newest, _, _) {
                fs = try image.open(region, tool: "redoxfs-extract", generation: newest)
            }
            defer { fs.close() }
            var salvager = TreeSalvager(fileSystem: fs)
            report = try salvager.salvage(to: directory)
        } catch {
            exitWithError("redoxfs-extract", region: region, error)
        }
        for item in report.recovered { print("recovered\t\(item.generation)\t\(item.path)") }
        for item in report.lost { print("lost\t\(item.path): \(item.reason)") }
        let older = report.recovered.filter { $0.generation != report.newestGeneration }.count
        let summary = "redoxfs-extract: salvaged \(report.recovered.count) path(s) into \(directory), \(older) of them from generations older than \(report.newestGeneration); \(report.lost.count) could not be recovered\n"
        _ = summary.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        if !report.lost.isEmpty { exitFlushing(2) }
    }
}

/// Ends the process with `status` (after the output is flushed).
func exitFlushing(_ status: Int32) -> Never {
    fflush(nil)
    exit(status)
}

Extract.main()
