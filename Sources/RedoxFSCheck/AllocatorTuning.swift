#if canImport(Glibc)
import Glibc
#endif

/// Keeps freed heap memory in the process during a check: the node blocks read ahead on worker
/// threads and freed on the main thread would otherwise be handed back to the system and faulted
/// in again, tens of thousands of page faults on a large tree. Set once per process.
enum AllocatorTuning {
    /// Heap kept before glibc trims it (bytes).
    private static let trimThreshold: Int32 = 256 << 20
    /// Extra heap requested at each growth (bytes; untouched pages cost nothing).
    private static let topPad: Int32 = 64 << 20

    private static let applied: Bool = {
        #if canImport(Glibc)
        // mallopt is not in the Glibc module (malloc.h): looked up by name. Parameters from malloc.h.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let trimThresholdParameter: Int32 = -1, topPadParameter: Int32 = -2
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            _ = mallopt(trimThresholdParameter, trimThreshold)
            _ = mallopt(topPadParameter, topPad)
        }
        #endif
        return true
    }()

    static func apply() { _ = applied }
}
