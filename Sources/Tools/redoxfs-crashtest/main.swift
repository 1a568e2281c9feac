import ArgumentParser
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

    func run() throws {
        var check = CrashCheck()
        check.operations = operations
        check.subsets = subsets
        var passed = 0, failed = 0, cuts = 0, images = 0
        for k in 0..<UInt64(workloads) {
            do {
                let result = try check.run(seed: seed + k)
                cuts += result.cutPoints
                images += result.imagesChecked
                passed += 1
            } catch {
                failed += 1
                print("FAIL \(error)")
            }
        }
        print("crash test: \(workloads) workloads, \(cuts) cut points, \(images) images checked")
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}

CrashTest.main()
