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
            case .locked:
                if attempt > 0 {
                    let left = passwordAttempts - attempt
                    Console.print("RedoxFS: wrong password (attempt \(attempt) of \(passwordAttempts), \(left) left)")
                }
                continue
            case .notFound:
                Console.fatal("Failed to open RedoxFS: no RedoxFS volume found on any disk (\(candidates.count) devices searched: partitions at block 0, whole disks at 2 MiB)")
            }
        }
        Console.fatal("RedoxFS out of unlock attempts: \(passwordAttempts) wrong passwords; the volume stays locked")
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
}
