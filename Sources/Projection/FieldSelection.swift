/// Why a `fields` query value cannot be used (the gateway answers 400).
public enum FieldsError: Error, Equatable, Sendable {
    /// The value names no field at all (`fields=`, `fields=,,`, `fields=%20`).
    case empty
    /// The value cannot be decoded; `reason` is a short fixed phrase.
    case malformed(reason: String)
}

/// The top-level members a request asked for with `?fields=a,b,c`.
public struct FieldSelection: Equatable, Sendable {
    /// The requested names, trimmed, each once, in request order.
    public let names: [String]
    /// Hashed lookup, built only for long selections (see ``contains(_:)``).
    private let lookup: Set<ExactName>

    /// Up to this many names, lookups and repeat checks compare bytes one by one:
    /// a request names a handful of fields, and hashing each costs more.
    static let linearLimit = 16

    /// Builds a selection from already decoded names (trimmed, empties dropped,
    /// duplicates kept once).
    ///
    /// - Throws: ``FieldsError/empty`` when no name remains.
    public init(names: some Sequence<String>) throws(FieldsError) {
        try self.init(trimmed: names.map { String(decoding: Self.trim(Array($0.utf8)[...]), as: UTF8.self) })
    }

    /// Drops empty names and repeats, keeping first occurrences in order.
    private init(trimmed names: [String]) throws(FieldsError) {
        var ordered: [String] = []
        ordered.reserveCapacity(names.count)
        var lookup = Set<ExactName>()
        for name in names where !name.isEmpty {
            if ordered.count < Self.linearLimit {
                guard !ordered.contains(where: { exactlyEqual($0, name) }) else { continue }
            } else {
                if lookup.isEmpty { lookup = Set(ordered.map(ExactName.init)) }
                guard lookup.insert(ExactName(name)).inserted else { continue }
            }
            ordered.append(name)
        }
        guard !ordered.isEmpty else { throw .empty }
        self.names = ordered
        self.lookup = lookup
    }

    /// Parses the raw (still percent-encoded) value of the `fields` query parameter.
    ///
    /// The value is percent-decoded first (`+` also stands for a space, as in
    /// HTML forms), then split on commas, so `id%2Cemail` selects two fields.
    /// Each name is trimmed of spaces and tabs; empty entries (`a,,b`, a
    /// trailing comma) are ignored; repeated names count once.
    ///
    /// - Throws: ``FieldsError/malformed(reason:)`` for a `%` not followed by
    ///   two hex digits, bytes that are not UTF-8 after decoding, or control
    ///   characters in a name (no Client key contains them, and names are echoed
    ///   in error answers); ``FieldsError/empty`` when no name remains.
    public static func parse<Bytes: Sequence<UInt8>>(_ raw: Bytes) throws(FieldsError) -> FieldSelection {
        // The query string is contiguous UTF-8 (the request head's bytes): one
        // pass over it, without copying it into an array first.
        let parsed = raw.withContiguousStorageIfAvailable { bytes -> Result<FieldSelection, FieldsError> in
            Result { () throws(FieldsError) in try parse(buffer: bytes) }
        }
        if let parsed { return try parsed.get() }
        let bytes = Array(raw)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(FieldsError) in try parse(buffer: buffer) }
    }

    /// Percent-decodes and splits in one pass: a decoded comma (`,` or `%2C`)
    /// ends a name.
    private static func parse(buffer raw: UnsafeBufferPointer<UInt8>) throws(FieldsError) -> FieldSelection {
        var names: [String] = []
        var name: [UInt8] = []
        name.reserveCapacity(32)
        var i = 0
        while i < raw.count {
            var byte = raw[i]
            i += 1
            if byte == UInt8(ascii: "%") {
                guard i + 1 < raw.count, let high = JSONScanner.hexValue(raw[i]),
                      let low = JSONScanner.hexValue(raw[i + 1])
                else {
                    throw .malformed(reason: "invalid percent-escape")
                }
                byte = high << 4 | low
                i += 2
            } else if byte == UInt8(ascii: "+") {
                byte = UInt8(ascii: " ")
            }
            if byte == UInt8(ascii: ",") {
                try finish(&name, into: &names)
            } else {
                name.append(byte)
            }
        }
        try finish(&name, into: &names)
        return try FieldSelection(trimmed: names)
    }

    /// Appends the name collected in `bytes` (trimmed, checked) unless it is
    /// empty, and empties `bytes` for the next one.
    private static func finish(_ bytes: inout [UInt8], into names: inout [String]) throws(FieldsError) {
        defer { bytes.removeAll(keepingCapacity: true) }
        let name = trim(bytes[...])
        guard !name.isEmpty else { return }
        guard !name.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw .malformed(reason: "control character in a field name")
        }
        guard let text = String(validating: name, as: UTF8.self) else {
            throw .malformed(reason: "field name is not UTF-8")
        }
        names.append(text)
    }

    /// Parses the raw `fields` value given as text.
    public static func parse(_ raw: Substring) throws(FieldsError) -> FieldSelection {
        try parse(raw.utf8)
    }

    /// Whether the selection names `name` (byte-exact).
    public func contains(_ name: String) -> Bool {
        if lookup.isEmpty {
            return names.contains { exactlyEqual($0, name) }
        }
        return lookup.contains(ExactName(name))
    }

    /// The requested names that are neither documented Client fields nor members
    /// of `client`, in request order. Non-empty means the request is answered 400.
    public func unknownFields(in client: ClientObject) -> [String] {
        names.filter { name in
            !ClientFields.isDocumented(name)
                && !client.members.contains { exactlyEqual($0.name, name) }
        }
    }

    /// The requested names outside a tenant's allow-list, in request order.
    /// Non-empty means the request is answered 403.
    public func disallowedFields(by allowed: Set<String>) -> [String] {
        names.filter { !allowed.containsExactly($0) }
    }

    private static func trim(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
        return slice
    }

    /// Two selections are equal when they name the same bytes in the same order.
    public static func == (lhs: FieldSelection, rhs: FieldSelection) -> Bool {
        lhs.names.count == rhs.names.count
            && zip(lhs.names, rhs.names).allSatisfy(exactlyEqual)
    }
}
