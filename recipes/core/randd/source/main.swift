// randd: the `rand` scheme (kernel.md §4.2). ChaCha20 keyed with 32 bytes from RDRAND when the
// processor has it, else from time-stamp readings; writes mix entropy in and rekey.

import RedoxRuntime

/// The ChaCha20 block function as a keystream generator.
struct ChaCha20 {
    var state = [UInt32](repeating: 0, count: 16)
    var block = [UInt8](repeating: 0, count: 64)
    var used = 64

    init(key: [UInt32]) {
        state[0] = 0x6170_7865; state[1] = 0x3320_646E; state[2] = 0x7962_2D32; state[3] = 0x6B20_6574
        for index in 0..<8 { state[4 + index] = key[index] }
    }

    static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 { (value << count) | (value >> (32 - count)) }

    static func quarter(_ x: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        x[a] = x[a] &+ x[b]; x[d] = rotate(x[d] ^ x[a], 16)
        x[c] = x[c] &+ x[d]; x[b] = rotate(x[b] ^ x[c], 12)
        x[a] = x[a] &+ x[b]; x[d] = rotate(x[d] ^ x[a], 8)
        x[c] = x[c] &+ x[d]; x[b] = rotate(x[b] ^ x[c], 7)
    }

    mutating func refill() {
        var x = state
        for _ in 0..<10 {
            ChaCha20.quarter(&x, 0, 4, 8, 12); ChaCha20.quarter(&x, 1, 5, 9, 13)
            ChaCha20.quarter(&x, 2, 6, 10, 14); ChaCha20.quarter(&x, 3, 7, 11, 15)
            ChaCha20.quarter(&x, 0, 5, 10, 15); ChaCha20.quarter(&x, 1, 6, 11, 12)
            ChaCha20.quarter(&x, 2, 7, 8, 13); ChaCha20.quarter(&x, 3, 4, 9, 14)
        }
        for index in 0..<16 {
            let word = x[index] &+ state[index]
            for byte in 0..<4 { block[4 * index + byte] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(byte))) }
        }
        state[12] = state[12] &+ 1
        if state[12] == 0 { state[13] = state[13] &+ 1 }
        used = 0
    }

    mutating func next() -> UInt8 {
        if used == 64 { refill() }
        used += 1
        return block[used - 1]
    }
}

final class RandomDaemon: SchemeDaemon {
    var generator: ChaCha20
    let source: StaticString

    init() {
        var key: [UInt32] = []
        let hasRDRAND = cpuHasRDRAND()
        for _ in 0..<4 {
            let value = hasRDRAND ? hardwareRandomValue() : timestamp() &* 0x9E37_79B9_7F4A_7C15
            key.append(UInt32(truncatingIfNeeded: value))
            key.append(UInt32(truncatingIfNeeded: value >> 32))
        }
        generator = ChaCha20(key: key)
        source = hasRDRAND ? "RDRAND" : "time-stamp seed"
        super.init(name: bytes("rand"))
    }

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) {
        path.isEmpty || path == bytes("urandom") || path == bytes("/urandom") ? (0, false) : (-Errno.ENOENT, false)
    }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        for index in 0..<buffer.count { buffer[index] = generator.next() }
        return buffer.count
    }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int {
        for (index, byte) in buffer.enumerated() {
            generator.state[4 + index % 8] ^= UInt32(byte) << (8 * UInt32(index % 4))
        }
        generator.used = 64
        return buffer.count
    }
}

@_cdecl("program_main")
func programMain() -> Int {
    let daemon = RandomDaemon()
    guard daemon.register() >= 0 else {
        say("randd: cannot register the scheme")
        return 1
    }
    say("randd: keyed from ", .text(daemon.source))
    daemon.notifyReady()
    return daemon.serve()
}
