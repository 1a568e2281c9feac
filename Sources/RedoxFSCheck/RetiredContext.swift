import Dispatch

/// A finished check's context, released on another thread: on large trees its tables hold
/// hundreds of thousands of small arrays, and freeing them one by one would delay the report that
/// is already complete. Nothing reads the context once it is retired.
final class RetiredContext: @unchecked Sendable {
    private var context: CheckContext?

    private init(_ context: consuming CheckContext) { self.context = context }

    /// Hands `context` to a background queue that drops it.
    static func release(_ context: consuming CheckContext) {
        let retired = RetiredContext(context)
        DispatchQueue.global(qos: .utility).async { retired.context = nil }
    }
}
