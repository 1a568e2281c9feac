#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
// FoundationEssentials, not Foundation: the full Foundation links ICU and libFoundation (about
// 35 MB more read from the disk at every cold start, before the check reads a block).
import FoundationEssentials
import RedoxFS
import RedoxFSCheck
import RedoxFSCommandSupport
import Synchronization

/// Set by SIGINT/SIGTERM; the check polls it and stops with exit status 32.
let cancellationRequested = Atomic<Bool>(false)

/// The name the tool was started under (`redoxfs-fsck`, or `fsck.redoxfs` through fsck(8)).
let toolName: String = {
    let invoked = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
    return invoked.isEmpty ? "redoxfs-fsck" : invoked
}()

/// `redoxfs-fsck [-n | -y | -p] [-f] [--scrub] [--json] [--password-file F]
/// [--partition N | --uuid U] [--offset B] [--block HEX] DEVICE`.
struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: toolName,
        abstract: "Check (and repair) a RedoxFS file system.",
        discussion: """
            Passes: 1 header ring, 2 node tree, nodes and every reachable block, 3 directories, \
            4 link counts and orphans, 5 allocation log against the blocks in use (6 with --scrub: \
            every block read, bad ones named by their owners). Data records are checked through \
            their pointers (range, level, ownership, allocation, sharing) and read, decrypted, \
            verified and decoded only with --scrub, which reports its throughput.

            Exit status (fsck(8), bits added): 0 no errors (warnings alone do not count), 1 errors \
            corrected, 2 corrected and a reboot advised (never: RedoxFS is not checked while mounted), \
            4 errors left uncorrected, 8 operational error, 16 usage error, 32 cancelled.

            When damage would make a repair in place lose files, every generation of the header ring \
            is surveyed: -y rewinds to the intact generation that keeps the most (a new header after \
            the newest, pointing at that tree), or repairs in place when that keeps more; the report \
            says what a rewind gives up. -p rewinds only a torn newest commit (its header landed, its \
            blocks did not) and otherwise exits 4 saying what -y would do. To read an older \
            generation without changing anything: redoxfs-dump/redoxfs-extract --generation N, or \
            redoxfs-extract --salvage.

            DEVICE is an image file or a block device; --partition N checks partition N of a disk \
            (GPT or MBR, as fsck on /dev/sdbN would), --uuid U the RedoxFS file system or GPT \
            partition with that uuid in DEVICE, and --offset counts from the partition's start. \
            Nothing past the partition's end is read or written. A partition or uuid that is not \
            there is an operational error (8).

            Without -n, -y or -p the check runs as with -n. -a is taken as -p; -f is accepted (every \
            check is complete: RedoxFS keeps no "clean" flag).
            """)

    @Flag(name: .customShort("n"), help: "Check only: open read-only and change nothing.")
    var checkOnly = false

    @Flag(name: .customShort("y"), help: "Repair every problem that can be repaired.")
    var repairAll = false

    @Flag(name: .customShort("p"), help: "Repair the problems that are safe to repair without asking.")
    var preen = false

    @Flag(name: .customShort("a"), help: "Same as -p (for fsck(8)).")
    var automatic = false

    @Flag(name: .customShort("f"), help: "Force a full check (always the case).")
    var force = false

    @Flag(name: .customShort("V"), help: "Verbose: list every header slot.")
    var verbose = false

    @Option(name: .customShort("C"), help: "Write completion lines (pass done total device) to this descriptor.")
    var completionDescriptor: Int32?

    @Flag(help: "Also read, decrypt, verify and decode every data record, read every block of the file system, name the paths that own bad ones and report the throughput (without it, data records are checked through their pointers only).")
    var scrub = false

    @Flag(help: "Read blocks that are not in the page cache straight from the device (O_DIRECT), without filling the cache: less CPU on a cold image, but a later run finds nothing cached. Falls back to ordinary reads where O_DIRECT is refused.")
    var directIO = false

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    @Option(name: .long, help: "Read the password of an encrypted file system from this file.")
    var passwordFile: String?

    @OptionGroup var location: LocationOptions

    @Option(name: .long, help: "Byte offset of the file system inside the device, or inside the partition.")
    var offset: UInt64 = 0

    @Option(name: .long, help: "Block (4096 bytes, hexadecimal) where the header ring starts; default: scan.")
    var block: String?

    @Argument(help: "The RedoxFS image file or block device (or a disk with --partition or --uuid).")
    var device: String

    func validate() throws {
        let modes = [checkOnly, repairAll, preen || automatic].filter { $0 }.count
        if modes > 1 { throw ValidationError("-n, -y and -p (-a) exclude each other") }
        if let block, parseBlock(block) == nil { throw ValidationError("--block takes a hexadecimal block number") }
    }

    var mode: RepairMode { repairAll ? .all : (preen || automatic) ? .preen : .none }

    func parseBlock(_ text: String) -> UInt64? {
        UInt64(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
    }

    /// Runs the check; returns the exit status.
    func execute() -> Int32 {
        var options = CheckOptions(
            repair: mode, scrub: scrub, startBlock: block.flatMap(parseBlock))
        options.directReads = directIO
        let region: DeviceRegion
        do {
            region = try location.region(of: device, byteOffset: offset)
        } catch {
            return fail(error.description, status: FsckExitStatus.operationalError)
        }
        let deviceHandle: FileDevice
        do {
            deviceHandle = try region.open(readOnly: mode == .none)
        } catch {
            return fail(error.message(about: region), status: FsckExitStatus.operationalError)
        }
        defer { deviceHandle.close() }
        if mode == .none, FileDevice.isLockedForWriting(descriptor: deviceHandle.descriptor, byteOffset: region.byteOffset) {
            // Read-only, the check takes no lock; a writer's commits move under it.
            writeAll(STDERR_FILENO, Data("\(toolName): warning: \(region.name) is in use: a redoxfs mount or tool is writing this file system, so the check may report problems that are not there (unmount it first for a reliable check)\n".utf8))
        }
        let display = ProgressDisplay(
            terminal: isatty(STDERR_FILENO) != 0 || completionDescriptor == 0,
            completionDescriptor: completionDescriptor.flatMap { $0 > 0 ? $0 : nil }, device: device)
        let observer = CheckObserver(
            passStarted: display.passStarted, progress: display.progress,
            isCancelled: { cancellationRequested.load(ordering: .relaxed) })
        let passwordFile = self.passwordFile
        let report: CheckReport
        do {
            report = try FileSystemChecker.check(device: deviceHandle, options: options, observer: observer) {
                try? PasswordInput.read(file: passwordFile, prompt: "\(toolName): password: ")
            }
        } catch .cancelled {
            display.finish()
            return fail("\(region.name): cancelled", status: FsckExitStatus.cancelled)
        } catch .device(let error) {
            display.finish()
            return fail(error.message(about: region), status: FsckExitStatus.operationalError)
        } catch {
            display.finish()
            return fail("\(region.name): \(error)", status: FsckExitStatus.operationalError)
        }
        display.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            do {
                var bytes = try encoder.encode(report)
                bytes.append(UInt8(ascii: "\n"))
                writeAll(STDOUT_FILENO, bytes)
            } catch {
                return fail("cannot encode the report: \(error)", status: FsckExitStatus.operationalError)
            }
        } else {
            let text = ReportPrinter(report: report, device: region.name, verbose: verbose).text
            writeAll(STDOUT_FILENO, Data(text.utf8))
        }
        return report.exitStatus
    }

    private func fail(_ message: String, status: Int32) -> Int32 {
        writeAll(STDERR_FILENO, Data("\(toolName): \(message)\n".utf8))
        return status
    }
}

/// Writes all of `bytes` to `descriptor` (what is left unwritten on an error is dropped, as
/// `FileHandle.write` would have trapped instead).
func writeAll(_ descriptor: Int32, _ bytes: Data) {
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(descriptor, raw.baseAddress! + done, raw.count - done)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            done += n
        }
    }
}

private func installSignalHandlers() {
    let handler: @convention(c) (Int32) -> Void = { _ in cancellationRequested.store(true, ordering: .relaxed) }
    signal(SIGINT, handler)
    signal(SIGTERM, handler)
}

/// The arguments, with e2fsck's attached forms split (`-C0` → `-C 0`) as fsck(8) may pass them.
func normalizedArguments() -> [String] {
    CommandLine.arguments.dropFirst().flatMap { argument -> [String] in
        if argument.hasPrefix("-C"), argument.count > 2, argument.dropFirst(2).allSatisfy(\.isNumber) {
            return ["-C", String(argument.dropFirst(2))]
        }
        return [argument]
    }
}

// fsck(8) wants status 16 for usage errors, not ArgumentParser's 64.
do {
    var command = try Fsck.parseAsRoot(normalizedArguments())
    guard let fsck = command as? Fsck else {
        // --help and the like come back as commands of their own.
        try command.run()
        exit(FsckExitStatus.clean)
    }
    installSignalHandlers()
    exit(fsck.execute())
} catch {
    let code = Fsck.exitCode(for: error)
    if code == .success {
        print(Fsck.fullMessage(for: error))
        exit(FsckExitStatus.clean)
    }
    writeAll(STDERR_FILENO, Data("\(Fsck.fullMessage(for: error))\n".utf8))
    exit(FsckExitStatus.usageError)
}
