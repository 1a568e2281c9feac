import ArgumentParser
import Glibc
import RedoxFSStress

/// `redoxfs-crashtest`: runs seeded workloads on a recording device and checks every cut point.
struct CrashTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redoxfs-crashtest",
        abstract: "Check crash safety: every power-cut point of seeded random workloads.")

    @Option(help: "Number of workloads.") var workloads = 200
    @Option(help: "Seed of the first workload (workload k uses seed + k).") var seed: UInt64 = 1
    @Option(help: "Operations per workload.") var operations = 60
    @Option(help: "Random subsets of in-flight writes per cut point, besides all and none.") var subsets = 2
    @Flag(inversion: .prefixedNo, help: "Inject failures (device EIO on a write or flush, allocator ENOSPC) into the workloads.")
    var injectFailures = true

    @Option(help: "Instead of checking, write the image that workload --seed leaves to this file (fuzzing seeds).")
    var writeSample: String?
    @Flag(help: "With --write-sample: make the image encrypted (password 'crash').") var encrypted = false

    func run() throws {
        if let writeSample {
            var check = CrashCheck()
            check.operations = operations
            let bytes = try check.sampleImage(seed: seed, encrypted: encrypted)
            guard let file = fopen(writeSample, "wb"), fwrite(bytes, 1, bytes.count, file) == bytes.count, fclose(file) == 0 else {
                throw ValidationError("cannot write \(writeSample)")
            }
            return
        }
        var check = CrashCheck()
        check.operations = operations
        check.subsets = subsets
        check.injectsFailures = injectFailures
        var passed = 0, failed = 0, cuts = 0, images = 0, injected = 0, outOfSpace = 0
        for k in 0..<UInt64(workloads) {
            do {
                let result = try check.run(seed: seed + k)
                cuts += result.cutPoints
                images += result.imagesChecked
                injected += result.injectedFailures
                outOfSpace += result.spaceFailures
                passed += 1
            } catch {
                failed += 1
                print("FAIL \(error)")
            }
            if (k + 1) % 50 == 0 && k + 1 < workloads { print("  \(k + 1) of \(workloads) workloads, \(failed) failed") }
        }
        print("crash test: \(workloads) workloads, \(cuts) cut points, \(images) images checked")
        print("injected failures recovered: \(injected); operations out of space: \(outOfSpace)")
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}

CrashTest.main()
