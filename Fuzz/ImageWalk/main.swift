// libFuzzer target: open and walk a whole mutated image with the format core alone
// (scripts/fuzz.sh ImageWalk SECONDS; the script makes the base images).
//
// The base image comes from $REDOXFS_FUZZ_IMAGE (and its password, if any, from
// $REDOXFS_FUZZ_PASSWORD). Input: records of 5 bytes (u32 LE byte offset, xor mask) applied to a
// copy of it. Then: find the header, unlock, walk every directory, node and content byte with
// cycle and size bounds. Any result but a trap is fine: errors must be typed.
import Glibc

struct BytesDevice: BlockDevice {
    var bytes: [UInt8]
    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let start = Int(clamping: index) &* RedoxFS.blockSize
        guard index < UInt64(bytes.count / RedoxFS.blockSize), start + buffer.count <= bytes.count else {
            throw .io(block: index, code: 5)
        }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + buffer.count])) }
    }
}

let baseImage: [UInt8] = {
    guard let path = getenv("REDOXFS_FUZZ_IMAGE"), let file = fopen(path, "rb") else {
        fatalError("set REDOXFS_FUZZ_IMAGE to a small RedoxFS image")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}()

let password: [UInt8]? = getenv("REDOXFS_FUZZ_PASSWORD").map { Array(String(cString: $0).utf8) }

/// Unlocked keys, cached by the key-slot bytes so the fuzzer does not run Argon2 on every input.
var keyCache: [[UInt8]: DataKeys] = [:]

func walk(_ image: [UInt8]) throws(FormatError) {
    var device = BytesDevice(bytes: image)
    let blocks = UInt64(image.count / RedoxFS.blockSize)
    let location = try HeaderRing.locate(on: &device, startBlock: nil, deviceBlocks: blocks)
    let header = location.header
    guard header.blockCount <= blocks - location.startBlock else { throw .malformed(.header, block: 0, .largerThanDevice) }
    var cipher: XTSAES128?
    if header.isEncrypted {
        guard let password else { throw .passwordRequired }
        let slots = Array(header.bytes[80..<3152])
        let keys: DataKeys
        if let cached = keyCache[slots], header.accepts(cached) {
            keys = cached
        } else {
            keys = try header.unlock(password: password) { Argon2id.deriveKey(password: $0, salt: $1) }.keys
            keyCache[slots] = keys
        }
        cipher = XTSAES128(dataKey: keys.dataKey, tweakKey: keys.tweakKey)
    }
    var reader = FileSystemReader(
        reader: DeviceBlockReader(device: device, startBlock: location.startBlock, blockCount: header.blockCount, cipher: cipher),
        tree: header.tree)
    var visited: Set<UInt32> = []
    var queue: [UInt32] = [RedoxFS.rootNodeID]
    var budget = 64 << 20
    while let id = queue.popLast(), visited.count < 100_000 {
        guard visited.insert(id).inserted else { continue }
        let node = try reader.node(id)
        if node.isDirectory {
            try reader.forEachEntry(of: node) { (entry) throws(FormatError) in
                queue.append(entry.nodeID)
                return queue.count < 200_000
            }
        } else {
            let count = Int(min(node.size, UInt64(budget), 1 << 22))
            budget -= count
            var buffer = [UInt8](repeating: 0, count: count)
            var failure: FormatError?
            buffer.withUnsafeMutableBytes { raw in
                do throws(FormatError) { _ = try reader.read(node, at: 0, into: raw, codec: SwiftLZ4()) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageWalk(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var image = baseImage
    if let data {
        var position = 0
        while position + 5 <= size {
            let offset = Int(data[position]) | Int(data[position + 1]) << 8 | Int(data[position + 2]) << 16 | Int(data[position + 3]) << 24
            image[offset % image.count] ^= data[position + 4]
            position += 5
        }
    }
    do { try walk(image) } catch {}
    return 0
}
