#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSTools

/// `redoxfs-bench seahash`: the throughput of the format's SeaHash over 4 KiB blocks (the
/// checker's node verification), from the cache and from memory, after checking it against the
/// format's test vectors. Timed in thread CPU time, so that a busy machine does not skew it.
struct SeaHashBench {
    /// Bytes hashed per figure.
    let totalBytes: Int

    /// A vector failed: the figures would mean nothing.
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    static let blockSize = 4096

    /// The vectors of the format spec (§16.1, §16.3) that the benchmark checks before timing.
    static func checkVectors() throws {
        let pattern = (0..<4096).map { UInt8($0 % 251) }
        let zero = [UInt8](repeating: 0, count: 4096)
        let cases: [([UInt8], UInt64)] = [
            (pattern, 0x3415_ED2A_7F56_CC9D), (zero, 0x7AD6_3487_02DA_2905),
            (Array(pattern[0..<33]), 0x4E44_CD0F_5742_2A14), (Array("hello world".utf8), 0x17AC_2A72_BC3B_DC1F),
        ]
        for (bytes, expected) in cases {
            let actual = bytes.withUnsafeBufferPointer { SeaHash.hash($0) }
            guard actual == expected else {
                throw Mismatch(description: "SeaHash of \(bytes.count) bytes: \(actual), expected \(expected)")
            }
        }
    }

    /// Seconds of this thread's CPU time (the machine may be busy: wall time would measure the load).
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Hashes `totalBytes` from `region` block after block; returns GB/s and a checksum of the
    /// hashes (so that the work is not optimised away).
    func measure(region: UnsafeBufferPointer<UInt8>) -> (rate: Double, check: UInt64) {
        let blocks = region.count / Self.blockSize
        var check: UInt64 = 0
        var done = 0
        let start = Self.now()
        while done < totalBytes {
            for index in 0..<blocks {
                check = check &+ SeaHash.hash(
                    UnsafeBufferPointer(rebasing: region[index * Self.blockSize..<(index + 1) * Self.blockSize]))
            }
            done += blocks * Self.blockSize
        }
        let seconds = Self.now() - start
        return (Double(done) / seconds / 1e9, check)
    }

    /// Runs the vectors, then prints one line per region.
    func run() throws {
        try Self.checkVectors()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let memory = (0..<(64 << 20)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        memory.withUnsafeBufferPointer { all in
            for (label, region) in [("cache (64 KiB)", UnsafeBufferPointer(rebasing: all[0..<(64 << 10)])),
                                    ("memory (64 MiB)", all)] {
                let result = measure(region: region)
                print("seahash 4 KiB blocks from \(label): \(ByteSize.decimal(result.rate, places: 2)) GB/s "
                    + "(CPU time; checksum \(String(result.check, radix: 16)))")
            }
        }
    }
}
