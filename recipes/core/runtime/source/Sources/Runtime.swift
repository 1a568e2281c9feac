// Program start: the System V stack (argc, argv, envp, auxv) read, the heap set up over anonymous
// memory, then the program's `program_main`; its result is the exit status.

@_extern(c, "program_main") func programMain() -> Int

public enum Runtime {
    nonisolated(unsafe) public static var arguments: [[UInt8]] = []
    nonisolated(unsafe) public static var environment: [[UInt8]] = []
    /// This process's `kernel.proc` handle (auxv AT_REDOX_PROC_FD = 41).
    nonisolated(unsafe) public static var processFd = 1 << 62
    nonisolated(unsafe) public static var standardOutput = 1
    static let heapBase: UInt64 = 0x2000_0000_0000
    static let heapCapacity: UInt64 = 256 << 20

    /// The value of environment variable `name`, or nil.
    public static func variable(_ name: StaticString) -> [UInt8]? {
        let key = bytes(name) + [0x3D]
        for entry in environment where entry.count >= key.count && Array(entry[0..<key.count]) == key {
            return Array(entry[key.count...])
        }
        return nil
    }
}

@_cdecl("runtime_grow_heap")
func runtimeGrowHeap(_ address: UInt64, _ size: UInt64) -> Bool {
    Sys.mapAnonymous(size: Int(size), fixedAddress: address) == Int(address)
}

@_cdecl("runtime_start")
func runtimeStart(_ stack: UnsafeMutableRawPointer?) {
    _ = PageClassHeap.configure(regionBase: Runtime.heapBase, capacity: Runtime.heapCapacity, mapped: 0, grow: runtimeGrowHeap)
    if let stack {
        let words = stack.assumingMemoryBound(to: UInt64.self)
        let count = Int(words[0])
        var index = 1
        func string(_ address: UInt64) -> [UInt8] {
            let pointer = UnsafePointer<UInt8>(bitPattern: UInt(address))!
            var length = 0
            while pointer[length] != 0 { length += 1 }
            return Array(UnsafeBufferPointer(start: pointer, count: length))
        }
        for _ in 0..<count { Runtime.arguments.append(string(words[index])); index += 1 }
        index += 1
        while words[index] != 0 { Runtime.environment.append(string(words[index])); index += 1 }
        index += 1
        while words[index] != 0 {
            if words[index] == 41 { Runtime.processFd = Int(words[index + 1]) }
            index += 2
        }
    }
    Process.exit(programMain())
}
