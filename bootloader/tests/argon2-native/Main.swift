// Argon2id of the format core with RedoxFS's parameters (4 MiB, 3 passes, one lane), timed
// natively as a static Linux program built from the loaders' Embedded Swift (x86_64 or i686):
// the cost of unlocking in 64-bit against 32-bit code, without emulation.

import RedoxFSFormat

@_extern(c, "bench_now_ns") func bench_now_ns() -> UInt64
@_extern(c, "bench_write") func bench_write(_ bytes: UnsafeRawPointer?, _ count: Int)

@_cdecl("bench_main")
func benchMain(rounds: Int) -> Int32 {
    let password = Array("correct horse".utf8)
    let salt = [UInt8](repeating: 0x5A, count: 16)
    var tag: [UInt8] = []
    let start = bench_now_ns()
    for _ in 0..<rounds {
        tag = Argon2id.deriveKey(password: password, salt: salt)
    }
    let elapsed = bench_now_ns() - start
    var line: [UInt8] = []
    line.append(contentsOf: Array("rounds=".utf8))
    appendDecimal(&line, UInt64(rounds))
    line.append(contentsOf: Array(" per_round_us=".utf8))
    appendDecimal(&line, elapsed / 1000 / UInt64(rounds))
    line.append(contentsOf: Array(" tag=".utf8))
    for byte in tag {
        for nibble in [byte >> 4, byte & 0xF] {
            line.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
    }
    line.append(0x0A)
    line.withUnsafeBytes { bench_write($0.baseAddress, $0.count) }
    return 0
}

private func appendDecimal(_ line: inout [UInt8], _ value: UInt64) {
    var digits: [UInt8] = []
    var rest = value
    repeat {
        digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
        rest /= 10
    } while rest != 0
    line.append(contentsOf: digits.reversed())
}
