import RedoxFSFormat

/// Finds the RedoxFS volume among the Block I/O devices, asking for the password when the only
/// volumes found are encrypted.
enum VolumeSearch {
    /// A device to try and the block at which its header ring is expected.
    struct Candidate {
        var device: DiskDevice
        var startBlock: UInt64
        /// Position in the firmware's handle list, for messages.
        var number: Int
    }

    /// Partitions are searched at block 0, whole disks at 2 MiB (block 512).
    static let wholeDiskStartBlock: UInt64 = 512
    /// Attempt 0 is without a password; attempts 1...10 prompt.
    static let passwordAttempts = 10

    /// The volume, and the password that unlocked it (empty when none was needed).
    static func open() -> (volume: BootVolume, password: [UInt8]) {
        let candidates = orderedCandidates()
        var password: [UInt8] = []
        for attempt in 0...passwordAttempts {
            if attempt > 0 { password = PasswordPrompt.read(attempt: attempt, of: passwordAttempts) }
            switch search(candidates, password: password) {
            case .found(let volume): return (volume, password)
            case .locked: continue
            case .notFound: Console.fatal("Failed to open RedoxFS: no RedoxFS volume found on any disk")
            }
        }
        Console.fatal("RedoxFS out of unlock attempts")
    }

    private enum Outcome {
        case found(BootVolume)
        case locked
        case notFound
    }

    private static func search(_ candidates: [Candidate], password: [UInt8]) -> Outcome {
        var sawLocked = false
        for candidate in candidates {
            do throws(BootVolume.OpenError) {
                return .found(try BootVolume.open(candidate.device, startBlock: candidate.startBlock, password: password))
            } catch {
                switch error {
                case .noFileSystem: continue
                case .locked: sawLocked = true
                case .failed(let error): Console.print("WARN - Block I/O device \(candidate.number): \(Message(error))")
                }
            }
        }
        return sawLocked ? .locked : .notFound
    }

    /// The candidates in upstream's order: for each disk holding the ESP, its partitions (the ESP
    /// excluded) then the disk itself; then every other device in firmware order.
    static func orderedCandidates() -> [Candidate] {
        guard let boot = Firmware.boot else { return [] }
        let handles = boot.handles(supporting: .blockIO)
        let paths = handles.map { DevicePath(of: $0, bootServices: boot) }
        let esp = boot.interface(.loadedImage, on: Firmware.imageHandle)
            .map { LoadedImage(table: FirmwareTable($0)).deviceHandle }
        let espPath = esp.flatMap { DevicePath(of: $0, bootServices: boot) }

        var order: [Int] = []
        if let espPath {
            for disk in handles.indices where paths[disk].map({ espPath.isChild(of: $0) }) ?? false {
                for partition in handles.indices where paths[partition].map({ $0.isChild(of: paths[disk]!) }) ?? false {
                    order.append(partition)
                }
                order.append(disk)
            }
        }
        for index in handles.indices where !order.contains(index) { order.append(index) }

        var candidates: [Candidate] = []
        for index in order where handles[index] != esp {
            guard let device = DiskDevice(handle: handles[index], bootServices: boot) else { continue }
            candidates.append(Candidate(device: device, startBlock: device.isPartition ? 0 : wholeDiskStartBlock,
                                        number: index))
        }
        return candidates
    }
}
