#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc parameters (`mallopt`), for processes that allocate and free many large
/// buffers: the FUSE mount forms a 128 KiB record for each small write and frees it after its
/// commit. No effect where `mallopt` is missing.
public enum HeapTuning {
    /// A `mallopt` parameter (values of malloc.h).
    public enum Parameter: Int32 {
        /// Free memory at the top of the heap kept before it is handed back to the system.
        case trimThreshold = -1
        /// Extra memory asked for at each growth of the heap.
        case topPad = -2
        /// Allocations of this size and larger get a mapping of their own.
        case mmapThreshold = -3
    }

    /// Sets `parameter` to `value` bytes; whether glibc took it. Setting any of these turns off
    /// glibc's own adjustment of the trim and mmap thresholds for the process.
    @discardableResult
    public static func set(_ parameter: Parameter, _ value: Int32) -> Bool {
        #if canImport(Glibc)
        // mallopt is not in the Glibc module (malloc.h): looked up by name.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(parameter.rawValue, value) == 1
        #else
        return false
        #endif
    }

    /// The mount's setting: records (128 KiB) and other buffers below 4 MiB (a 1 MiB READ's
    /// reply: at a threshold of exactly 1 MiB each got a mapping of its own) come from the heap,
    /// and up to 16 MiB of freed heap stays in each malloc arena (glibc applies the threshold per
    /// arena, and keeps an arena per thread that allocates concurrently, up to 8 per processor:
    /// a mount's few busy request threads keep about half a commit's worth of records between
    /// them).
    /// Without it glibc lowers its trim threshold to about twice the largest block freed so far, so
    /// the records a commit frees went back to the system and the next records were faulted in
    /// and zeroed again: the 5,000 random 4 KiB writes of the side-by-side benchmark took about
    /// 20,000 page faults, 12,000–14,000 with it.
    public static func keepRecordBuffers() {
        set(.mmapThreshold, 4 << 20)
        set(.trimThreshold, 16 << 20)
    }
}
