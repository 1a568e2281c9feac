#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSTools

/// `redoxfs-bench`: the benchmark helpers behind scripts/bench-compare.sh (and bench-installer.sh).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redoxfs-bench",
        abstract: "Benchmark helpers: generate a host tree; time the engine on one big file; SeaHash throughput.",
        subcommands: [Generate.self, Engine.self, SeaHashThroughput.self])
}

extension Bench {
    /// `generate DIR`: the deterministic tree that redoxfs-ar is timed on.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a deterministic tree of many files.")

        @Option(help: "Number of files.") var files = 50_000
        @Option(help: "Total content size (e.g. 800MiB).") var size = "800MiB"
        @Option(help: "Seed of the sizes and contents.") var seed: UInt64 = 1
        @Argument(help: "The directory to create.") var directory: String

        func run() throws {
            guard let bytes = ByteSize.parse(size) else { throw ValidationError("'\(size)' is not a size") }
            do {
                try BenchTree(files: files, totalBytes: bytes, seed: seed).generate(at: directory)
                print("generated \(directory): \(files) files, \(bytes) bytes")
            } catch {
                exitWithError("redoxfs-bench", "\(error)")
            }
        }
    }

    /// `engine`: writes then reads one big file, plain and encrypted.
    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write then read one big file through the engine, without and with encryption.",
            discussion: "The image is dropped from the page cache (posix_fadvise) before reading.")

        @Option(help: "File size (e.g. 1GiB).") var size = "1GiB"
        @Option(help: "Where to put the temporary images.") var directory = "/tmp"

        func run() throws {
            guard let bytes = ByteSize.parse(size) else { throw ValidationError("'\(size)' is not a size") }
            for password in [nil, Array("bench".utf8)] {
                let bench = EngineBench(bytes: bytes, directory: directory, password: password)
                let result: EngineBench.Result
                do {
                    result = try bench.run()
                } catch {
                    exitWithError("redoxfs-bench", image: bench.path, error)
                }
                let mb = Double(bytes) / 1e6
                let label = password == nil ? "plain    " : "encrypted"
                func rate(_ seconds: Double) -> String {
                    "\(ByteSize.decimal(mb / seconds, places: 1)) MB/s (\(ByteSize.decimal(seconds, places: 2)) s)"
                }
                print("engine \(label) \(ByteSize.describe(bytes)): write \(rate(result.writeSeconds)), "
                    + "read \(rate(result.readSeconds)), read again (page cache) \(rate(result.warmReadSeconds))")
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("engine peak RSS: \(usage.ru_maxrss / 1024) MiB")
        }
    }

    /// `seahash`: the format's SeaHash over 4 KiB blocks, after its test vectors.
    struct SeaHashThroughput: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seahash",
            abstract: "Measure SeaHash throughput over 4 KiB blocks (checked against the format's vectors first).")

        @Option(help: "Bytes hashed per figure (e.g. 2GiB).") var size = "2GiB"

        func run() throws {
            guard let bytes = ByteSize.parse(size) else { throw ValidationError("'\(size)' is not a size") }
            do {
                try SeaHashBench(totalBytes: Int(bytes)).run()
            } catch {
                exitWithError("redoxfs-bench", "\(error)")
            }
        }
    }
}

Bench.main()
