#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Byte-array comparisons for tests, with memcmp: in a debug build `==` on `[UInt8]` and
/// `elementsEqual` go element by element through generic witnesses (a megabyte took about a
/// tenth of a second), and the tests compare many megabytes.
public enum ByteComparison {
    /// Whether `first` and `second` hold the same bytes.
    public static func same<A: ContiguousBytes, B: ContiguousBytes>(_ first: A, _ second: B) -> Bool {
        first.withUnsafeBytes { a in
            second.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                guard let start = a.baseAddress, let other = b.baseAddress else { return true }
                return memcmp(start, other, a.count) == 0
            }
        }
    }
}
