#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// A deterministic host tree for the archive benchmark: `files` files in 500 leaf directories
/// (100 groups of 5), sizes spread log-uniformly and scaled to `totalBytes` in all, half of them
/// text (compressible), half pseudo-random.
struct BenchTree {
    var files: Int
    var totalBytes: UInt64
    var seed: UInt64

    /// A xorshift64* generator.
    struct Generator {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
            var offset = 0
            while offset + 8 <= buffer.count {
                buffer.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < buffer.count {
                buffer[offset] = UInt8(truncatingIfNeeded: next())
                offset += 1
            }
        }
    }

    /// The file sizes, summing to `totalBytes`.
    func sizes() -> [UInt64] {
        var random = Generator(seed: seed)
        var raw: [Double] = []
        raw.reserveCapacity(files)
        for _ in 0..<files {
            let u = Double(random.next() >> 11) / Double(1 << 53)
            raw.append(u < 0.05 ? 0 : exp(u * log(Double(2 << 20))))
        }
        let sum = raw.reduce(0, +)
        var sizes = raw.map { UInt64($0 * Double(totalBytes) / max(sum, 1)) }
        let short = Int64(totalBytes) - Int64(sizes.reduce(0, +))
        if let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) {
            sizes[largest] = UInt64(max(0, Int64(sizes[largest]) + short))
        }
        return sizes
    }

    /// Writes the tree under `root` (which must not exist).
    func generate(at root: String) throws(FileSystemError) {
        try makeDirectory(root)
        let sizes = sizes()
        var random = Generator(seed: seed ^ 0xA5A5)
        let text = Array((0..<20_000).map { "bench line \($0): the quick brown fox jumps over the lazy dog\n" }.joined().utf8)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for (index, size) in sizes.enumerated() {
            let group = index % 100, leaf = (index / 100) % 5
            let directory = "\(root)/g\(Self.digits(group, 3))/d\(leaf)"
            if index < 500 {
                if leaf == 0 { try makeDirectory("\(root)/g\(Self.digits(group, 3))") }
                try makeDirectory(directory)
            }
            let path = "\(directory)/f\(Self.digits(index, 5)).dat"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .system(operation: "create", path: path, errno: errno) }
            defer { close(fd) }
            var written: UInt64 = 0
            while written < size {
                let count = Int(min(UInt64(buffer.count), size - written))
                if index % 2 == 0 {
                    let start = (index * 97 + Int(written)) % (text.count - buffer.count)
                    buffer.withUnsafeMutableBytes { out in
                        text.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) }
                    }
                } else {
                    buffer.withUnsafeMutableBytes { random.fill(UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
                }
                let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, count) }
                guard n == count else { throw .system(operation: "write", path: path, errno: errno) }
                written += UInt64(count)
            }
        }
    }

    private func makeDirectory(_ path: String) throws(FileSystemError) {
        guard mkdir(path, 0o755) == 0 else { throw .system(operation: "mkdir", path: path, errno: errno) }
    }

    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
