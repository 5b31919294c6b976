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
    /// The names' bytes for lookups, while there are at most ``linearLimit``.
    private let packed: PackedNames
    /// Hashed lookup, built only for long selections (see ``contains(_:)``).
    private let lookup: Set<ExactName>
    /// The names that are not documented Client fields, in request order: found
    /// once here, so that a selection reused for many requests does not look
    /// every name up again for each (``unknownFields(in:)``).
    private let undocumented: [String]

    /// Up to this many names, lookups and repeat checks compare bytes one by one:
    /// a request names a handful of fields, and hashing each costs more. Past it, a
    /// hostile list of thousands of names must not make every member's lookup
    /// linear.
    static let linearLimit = 16

    /// Builds a selection from already decoded names (trimmed, empties dropped,
    /// duplicates kept once).
    ///
    /// - Throws: ``FieldsError/empty`` when no name remains.
    public init(names: some Sequence<String>) throws(FieldsError) {
        var builder = Builder()
        for name in names {
            let bytes = Array(name.utf8)
            bytes.withUnsafeBytes { builder.add(trimmed: Self.trim($0)) }
        }
        try self.init(builder)
    }

    private init(_ builder: Builder) throws(FieldsError) {
        guard !builder.names.isEmpty else { throw .empty }
        names = builder.names
        packed = builder.packed
        lookup = builder.lookup
        undocumented = builder.names.filter { !ClientFields.isDocumented($0) }
    }

    /// Collects names in order, dropping empty ones and repeats.
    private struct Builder {
        var names: [String] = []
        var packed = PackedNames()
        var lookup = Set<ExactName>()

        /// Room for the names of a value of `bytes` bytes, so that appends do not regrow.
        init(valueBytes bytes: Int = 0) {
            let expected = min(bytes / 2 + 1, FieldSelection.linearLimit)
            names.reserveCapacity(expected)
            packed.reserveCapacity(names: expected, bytes: min(bytes, 1024))
        }

        /// Adds a name already trimmed and checked, unless it is empty or a repeat.
        mutating func add(trimmed name: UnsafeRawBufferPointer) {
            guard !name.isEmpty else { return }
            if names.count < FieldSelection.linearLimit {
                guard !packed.contains(name) else { return }
                packed.append(name)
                names.append(String(decoding: name, as: UTF8.self))
            } else {
                if lookup.isEmpty { lookup = Set(names.map(ExactName.init)) }
                let text = String(decoding: name, as: UTF8.self)
                guard lookup.insert(ExactName(text)).inserted else { return }
                names.append(text)
            }
        }
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
            Result { () throws(FieldsError) in try parse(buffer: UnsafeRawBufferPointer(bytes)) }
        }
        if let parsed { return try parsed.get() }
        let bytes = Array(raw)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(FieldsError) in try parse(buffer: UnsafeRawBufferPointer(buffer)) }
    }

    /// Percent-decodes and splits in one pass: a decoded comma (`,` or `%2C`)
    /// ends a name. A name without escapes or `+` (the usual case) is checked
    /// where it lies; only the others are decoded into a scratch buffer. Names
    /// are finished left to right, so the first error in the value is the one
    /// reported.
    private static func parse(buffer raw: UnsafeRawBufferPointer) throws(FieldsError) -> FieldSelection {
        var builder = Builder(valueBytes: raw.count)
        var scratch: [UInt8] = []
        var start = 0
        var i = 0
        var decoded = false
        while true {
            // Find the end of the name that begins at `start`.
            var end = raw.count
            var next = raw.count + 1
            while i < raw.count {
                let byte = raw[i]
                if byte == UInt8(ascii: ",") {
                    end = i
                    next = i + 1
                    break
                }
                if byte == UInt8(ascii: "%") {
                    guard i + 2 < raw.count, let high = JSONScanner.hexValue(raw[i + 1]),
                          let low = JSONScanner.hexValue(raw[i + 2])
                    else {
                        throw .malformed(reason: "invalid percent-escape")
                    }
                    decoded = true
                    if high << 4 | low == UInt8(ascii: ",") {
                        end = i
                        next = i + 3
                        break
                    }
                    i += 3
                    continue
                }
                if byte == UInt8(ascii: "+") { decoded = true }
                i += 1
            }
            let name = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            if decoded {
                scratch.removeAll(keepingCapacity: true)
                percentDecode(name, into: &scratch)
                try scratch.withUnsafeBufferPointer { (bytes) throws(FieldsError) in
                    try finish(UnsafeRawBufferPointer(bytes), into: &builder)
                }
            } else {
                try finish(name, into: &builder)
            }
            guard next <= raw.count else { break }
            start = next
            i = next
            decoded = false
        }
        return try FieldSelection(builder)
    }

    /// Decodes `%XY` escapes (already checked) and `+` in `raw`.
    private static func percentDecode(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            if byte == UInt8(ascii: "%"), i + 2 < raw.count,
               let high = JSONScanner.hexValue(raw[i + 1]), let low = JSONScanner.hexValue(raw[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
    }

    /// Adds the decoded name `bytes` (trimmed, checked) unless it is empty.
    private static func finish(_ bytes: UnsafeRawBufferPointer, into builder: inout Builder) throws(FieldsError) {
        let name = trim(bytes)
        guard !name.isEmpty else { return }
        var ascii = true
        for byte in name {
            if byte < 0x20 || byte == 0x7F { throw .malformed(reason: "control character in a field name") }
            if byte >= 0x80 { ascii = false }
        }
        if !ascii, String(validating: name, as: UTF8.self) == nil {
            throw .malformed(reason: "field name is not UTF-8")
        }
        builder.add(trimmed: name)
    }

    /// Parses the raw `fields` value given as text.
    public static func parse(_ raw: Substring) throws(FieldsError) -> FieldSelection {
        try parse(raw.utf8)
    }

    /// Whether the selection names `name` (byte-exact).
    public func contains(_ name: String) -> Bool {
        if lookup.isEmpty {
            return packed.contains(name)
        }
        return lookup.contains(ExactName(name))
    }

    /// Whether the selection names `member` of the document it was extracted from:
    /// an unescaped key is compared where it lies, with no string in between.
    func contains(_ member: ClientMember, in document: UnsafeRawBufferPointer) -> Bool {
        guard lookup.isEmpty, !member.nameHasEscapes else { return contains(member.name) }
        // The token's quotes are its first and last bytes.
        let name = member.nameRange.lowerBound + 1..<member.nameRange.upperBound - 1
        return packed.contains(UnsafeRawBufferPointer(rebasing: document[name]))
    }

    /// The requested names that are neither documented Client fields nor members
    /// of `client`, in request order. Non-empty means the request is answered 400.
    public func unknownFields(in client: ClientObject) -> [String] {
        guard !undocumented.isEmpty else { return [] }
        // Hashed once, so many undocumented names against many members cost
        // their sum, not their product, on the request's loop.
        let present = Set(client.members.lazy.map { ExactName($0.name) })
        return undocumented.filter { !present.contains(ExactName($0)) }
    }

    /// The requested names outside a tenant's allow-list, in request order.
    /// Non-empty means the request is answered 403.
    public func disallowedFields(by allowed: Set<String>) -> [String] {
        names.filter { !allowed.containsExactly($0) }
    }

    private static func trim(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lower = 0
        var upper = bytes.count
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])
    }

    /// Two selections are equal when they name the same bytes in the same order.
    public static func == (lhs: FieldSelection, rhs: FieldSelection) -> Bool {
        lhs.names.count == rhs.names.count
            && zip(lhs.names, rhs.names).allSatisfy(exactlyEqual)
    }
}
