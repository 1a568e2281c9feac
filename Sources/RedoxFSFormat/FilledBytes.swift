extension Array where Element == UInt8 {
    /// `count` bytes that `fill` writes in full (or throws), without zero-filling them first: a
    /// 128 KiB record read for one 4 KiB page would otherwise clear 128 KiB only to overwrite it.
    public init(filling count: Int, by fill: (UnsafeMutableRawBufferPointer) throws(FormatError) -> Void) throws(FormatError) {
        var failure: FormatError?
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FormatError) {
                try fill(UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
    }
}
