@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import Testing

/// Asserts the space invariant (see `SpaceReport`).
enum SpaceInvariant {
    static func check(_ fs: FileSystem, allowedLeaks: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try fs.spaceReport()
        #expect(result.shared.isEmpty, "blocks used twice: \(result.shared.prefix(10))", sourceLocation: sourceLocation)
        #expect(result.usedButFree.isEmpty, "reachable blocks marked free: \(result.usedButFree.prefix(10))", sourceLocation: sourceLocation)
        #expect(result.leaked.count <= allowedLeaks, "leaked blocks: \(result.leaked.prefix(10))", sourceLocation: sourceLocation)
    }
}
