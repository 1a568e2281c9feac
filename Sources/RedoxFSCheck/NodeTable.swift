/// A map from node ids to values, kept in an array indexed by id while the ids stay dense (the
/// usual tree numbers nodes 1, 2, 3, …) and in a dictionary for ids far beyond the entries held
/// (a hostile tree may name id 0xFFFF_FF00): look-ups cost an index, not a hash, and memory stays
/// proportional to the entries.
struct NodeTable<Value> {
    private var dense: [Value?] = []
    private var sparse: [UInt32: Value] = [:]
    /// Entries held.
    private(set) var count = 0

    init() {}

    /// A table whose array covers ids below `denseIDs` from the start (the ids of the tree, when
    /// they are known; bounded by the caller in proportion to the nodes).
    init(denseIDs: Int) {
        dense = [Value?](repeating: nil, count: max(0, denseIDs))
    }

    subscript(id: UInt32) -> Value? {
        get {
            let index = Int(id)
            return index < dense.count ? dense[index] : sparse[id]
        }
        set {
            let index = Int(id)
            if index >= dense.count, index < 2 * count + 1024 {
                // Grow the array to cover the id (amortised), taking over the dictionary's ids.
                let size = max(index + 1, min(2 * count + 1024, dense.count * 2))
                dense.append(contentsOf: repeatElement(nil, count: size - dense.count))
                if !sparse.isEmpty {
                    for (key, value) in sparse where Int(key) < dense.count {
                        dense[Int(key)] = value
                        sparse[key] = nil
                    }
                }
            }
            if index < dense.count {
                count += (newValue != nil ? 1 : 0) - (dense[index] != nil ? 1 : 0)
                dense[index] = newValue
            } else {
                count += (newValue != nil ? 1 : 0) - (sparse[id] != nil ? 1 : 0)
                sparse[id] = newValue
            }
        }
    }

    subscript(id: UInt32, default value: @autoclosure () -> Value) -> Value {
        get { self[id] ?? value() }
        set { self[id] = newValue }
    }

    /// Makes room for ids up to `count` without growing step by step.
    mutating func reserveCapacity(_ count: Int) {
        dense.reserveCapacity(count + 1)
    }
}

/// A set of node ids over `NodeTable`.
struct NodeSet {
    private var table: NodeTable<Bool>

    init() { table = NodeTable() }

    init(denseIDs: Int) { table = NodeTable(denseIDs: denseIDs) }

    init<S: Sequence>(_ ids: S, denseIDs: Int = 0) where S.Element == UInt32 {
        table = NodeTable(denseIDs: denseIDs)
        for id in ids { insert(id) }
    }

    var count: Int { table.count }

    func contains(_ id: UInt32) -> Bool { table[id] != nil }

    /// Adds `id`; returns whether it was not there before.
    @discardableResult
    mutating func insert(_ id: UInt32) -> (inserted: Bool, memberAfterInsert: UInt32) {
        guard table[id] == nil else { return (false, id) }
        table[id] = true
        return (true, id)
    }
}
