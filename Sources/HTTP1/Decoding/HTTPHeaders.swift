/// Header (or trailer) fields in arrival order.
///
/// Names are compared ASCII case-insensitively, as RFC 9110 §5.1 requires;
/// values are kept exactly as received, minus the optional whitespace around
/// them. Repeated fields stay separate entries so nothing is merged by accident.
public struct HTTPHeaders: Sendable {
    /// One field line. A struct rather than a `(name, value)` tuple: an array of
    /// tuples is destroyed through the runtime's generic tuple witnesses, one
    /// call per element and member (about 2 900 instructions per `/clients`
    /// request, whose four field lists hold 38 strings); a struct's are
    /// generated for it.
    struct Field: Sendable {
        var name: String
        var value: String
    }

    var storage: [Field]

    /// Creates an empty set of fields.
    public init() {
        storage = []
    }

    /// Creates fields from `(name, value)` pairs, in order.
    public init(_ pairs: [(String, String)]) {
        storage = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Creates an empty set with room for `capacity` fields.
    init(reservingCapacity capacity: Int) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    /// Makes room for `capacity` fields in all, so that adding up to that many
    /// does not reallocate (answers add their standard fields one by one).
    public mutating func reserveCapacity(_ capacity: Int) {
        storage.reserveCapacity(capacity)
    }

    /// Appends a field after the existing ones.
    public mutating func add(name: String, value: String) {
        storage.append(Field(name: name, value: value))
    }

    /// The value of the first field called `name` (any case), if any.
    public func first(_ name: String) -> String? {
        // Indices rather than `for field in storage`, whose iterator hands out
        // a copy (two retains and releases) of every field it passes.
        for i in storage.indices where Self.namesMatch(storage[i].name, name) {
            return storage[i].value
        }
        return nil
    }

    /// The value of the first field called `name` (any case), if any; the
    /// subscript form of ``first(_:)``.
    public subscript(first name: String) -> String? {
        first(name)
    }

    /// The values of every field called `name` (any case), in arrival order.
    public func values(_ name: String) -> [String] {
        storage.compactMap { Self.namesMatch($0.name, name) ? $0.value : nil }
    }

    /// Whether some field is called `name` (any case).
    public func contains(_ name: String) -> Bool {
        storage.contains { Self.namesMatch($0.name, name) }
    }

    /// The number of field lines.
    public var count: Int { storage.count }

    /// Whether there are no fields at all.
    public var isEmpty: Bool { storage.isEmpty }

    /// ASCII case-insensitive equality without allocating: field names are
    /// tokens, so folding only A–Z is exactly right. The UTF-8 counts are
    /// compared first (constant time for native strings), which settles most
    /// lookups before a byte is read.
    @inline(__always)
    static func namesMatch(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return sameLengthNamesMatch(a, b)
    }

    /// Compares through contiguous storage: stepping `String.UTF8View`
    /// indices cost several times more per byte.
    private static func sameLengthNamesMatch(_ a: String, _ b: String) -> Bool {
        let contiguous = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in bytesMatch(x, y) }
        }
        if let matched = contiguous ?? nil {
            return matched
        }
        for (x, y) in zip(a.utf8, b.utf8) where x != y {
            guard ASCII.lowercased(x) == ASCII.lowercased(y) else { return false }
        }
        return true
    }

    /// ASCII case-insensitive equality of two byte runs of the same length.
    @inline(__always)
    private static func bytesMatch(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        for i in 0..<x.count where x[i] != y[i] {
            guard ASCII.lowercased(x[i]) == ASCII.lowercased(y[i]) else { return false }
        }
        return true
    }
}

extension HTTPHeaders: Sequence {
    /// Hands out `(name, value)` pairs in arrival order.
    public struct Iterator: IteratorProtocol {
        var fields: IndexingIterator<[Field]>

        public mutating func next() -> (name: String, value: String)? {
            fields.next().map { (name: $0.name, value: $0.value) }
        }
    }

    /// Iterates `(name, value)` pairs in arrival order.
    public func makeIterator() -> Iterator {
        Iterator(fields: storage.makeIterator())
    }

    /// The exact number of fields.
    public var underestimatedCount: Int { storage.count }
}

extension HTTPHeaders: Equatable {
    /// Same fields in the same order; names compared case-insensitively,
    /// values exactly.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.storage.count == rhs.storage.count else { return false }
        for (l, r) in zip(lhs.storage, rhs.storage) {
            guard l.value == r.value, namesMatch(l.name, r.name) else { return false }
        }
        return true
    }
}

extension HTTPHeaders: ExpressibleByDictionaryLiteral {
    /// Creates fields from a literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}
