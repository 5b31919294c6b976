import HTTP1

/// The path and query of a request-target (RFC 9112 §3.2), origin or absolute form.
public struct RequestTarget: Sendable, Equatable {
    public let path: Substring
    public let query: Substring?

    public init(_ target: String) {
        var rest = Substring(target)
        var absolute = false
        if rest.utf8.first != UInt8(ascii: "/"), let schemeEnd = rest.firstRange(of: "://") {
            // absolute-form: drop scheme and authority. The authority ends at the
            // first "/" or "?" (RFC 3986 §3.2), as in authority(of:): cutting only
            // at "/" took `http://a?x=/clients/1` for the path /clients/1.
            let afterAuthority = rest[schemeEnd.upperBound...]
            rest = afterAuthority[(afterAuthority.firstIndex { $0 == "/" || $0 == "?" } ?? afterAuthority.endIndex)...]
            absolute = true
        }
        // A byte search, and cuts on the UTF-8 view: "?" is ASCII, so the cuts
        // are Character boundaries, and Character indexing would cost a
        // grapheme-breaking step.
        let utf8 = rest.utf8
        var path = rest
        if let offset = withContiguousBytes(utf8, { $0.firstIndex(of: UInt8(ascii: "?")) }) {
            let q = utf8.index(utf8.startIndex, offsetBy: offset)
            path = Substring(utf8[..<q])
            query = Substring(utf8[utf8.index(after: q)...])
        } else {
            query = nil
        }
        // An absolute-form target with an empty path means "/" (RFC 9112 §3.2.1).
        self.path = absolute && path.isEmpty ? "/" : path
    }

    /// The authority of an absolute-form target (`http://a.example:8080/x` gives
    /// `a.example:8080`); nil for origin-form. RFC 9112 §3.2.2: a server must
    /// then take the host from here and ignore the Host field.
    public static func authority(of target: String) -> Substring? {
        let text = Substring(target)
        guard text.utf8.first != UInt8(ascii: "/"), let schemeEnd = text.firstRange(of: "://") else { return nil }
        let rest = text[schemeEnd.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return rest[..<end]
    }

    /// The raw (still percent-encoded) value of the first query parameter `name`,
    /// matched byte for byte but for escaped unreserved characters.
    public func queryValue(_ name: String) -> Substring? {
        guard let query else { return nil }
        // Bytes, not Characters: no Unicode comparison and no array of pairs per
        // request; and on the bytes in place, because walking a Substring's UTF-8
        // view index by index cost several times more. `&` and `=` are ASCII, so
        // every cut falls on a scalar boundary.
        let found = withContiguousBytes(query.utf8) { bytes in
            withContiguousBytes(name.utf8) { name in Self.valueRange(named: name, in: bytes, from: 0) }
        }
        return found.map { Self.slice(query, $0) }
    }

    /// The raw (still percent-encoded) values of every query parameter `name`,
    /// in order, matched as ``queryValue(_:)`` matches; at most `limit` of them.
    public func queryValues(_ name: String, limit: Int = .max) -> [Substring] {
        guard let query, limit > 0 else { return [] }
        return withContiguousBytes(query.utf8) { bytes in
            withContiguousBytes(name.utf8) { name in
                var values: [Substring] = []
                var from = 0
                while values.count < limit, let range = Self.valueRange(named: name, in: bytes, from: from) {
                    values.append(Self.slice(query, range))
                    from = range.upperBound + 1
                }
                return values
            }
        }
    }

    /// The bytes `range` of `query` (cut on ASCII boundaries, see ``queryValue(_:)``).
    private static func slice(_ query: Substring, _ range: Range<Int>) -> Substring {
        let utf8 = query.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        return Substring(utf8[start..<utf8.index(start, offsetBy: range.count)])
    }

    /// The offsets of the value of the first `name=value` (or bare `name`) among
    /// the `&`-separated pairs of `query` that start at or after `from`.
    private static func valueRange(named name: UnsafeBufferPointer<UInt8>,
                                   in query: UnsafeBufferPointer<UInt8>, from: Int) -> Range<Int>? {
        var start = from
        while start < query.count {
            let end = query[start...].firstIndex(of: UInt8(ascii: "&")) ?? query.count
            let pair = query[start..<end]
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            if start < end, Self.name(pair[..<(equals ?? end)], equals: name) {
                guard let equals else { return end..<end }
                return (equals + 1)..<end
            }
            start = end + 1
        }
        return nil
    }

    /// Whether a pair's raw name is `name`, reading a percent-encoded unreserved
    /// character as the character (RFC 3986 §2.3, §6.2.2.2: `f%69elds` is
    /// `fields`); any other byte, escapes of reserved characters included, must match.
    private static func name(_ raw: Slice<UnsafeBufferPointer<UInt8>>, equals name: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = raw.startIndex
        var j = 0
        while i < raw.endIndex {
            guard j < name.count else { return false }
            var byte = raw[i]
            var width = 1
            if byte == UInt8(ascii: "%"), raw.endIndex - i >= 3,
               let high = ASCII.hexValue(raw[i + 1]), let low = ASCII.hexValue(raw[i + 2]),
               ASCII.isUnreserved(high << 4 | low) {
                byte = high << 4 | low
                width = 3
            }
            guard byte == name[j] else { return false }
            i += width
            j += 1
        }
        return j == name.count
    }
}
