/// The path and query of a request-target (RFC 9112 §3.2), origin or absolute form.
public struct RequestTarget: Sendable, Equatable {
    public let path: Substring
    public let query: Substring?

    public init(_ target: String) {
        var rest = Substring(target)
        if rest.utf8.first != UInt8(ascii: "/"), let schemeEnd = rest.firstRange(of: "://") {
            // absolute-form: drop scheme and authority.
            let afterAuthority = rest[schemeEnd.upperBound...]
            rest = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        // A byte search: "?" is ASCII, so its index is a valid Character boundary.
        if let q = rest.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = rest[..<q]
            query = rest[rest.index(after: q)...]
        } else {
            path = rest
            query = nil
        }
    }

    /// The raw (still percent-encoded) value of the first query parameter `name`,
    /// matched byte for byte.
    public func queryValue(_ name: String) -> Substring? {
        guard let query else { return nil }
        // Bytes, not Characters: no Unicode comparison and no array of pairs per
        // request. `&` and `=` are ASCII, so every cut falls on a scalar boundary.
        let bytes = query.utf8
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            let equals = bytes[start..<end].firstIndex(of: UInt8(ascii: "="))
            if start < end, bytes[start..<(equals ?? end)].elementsEqual(name.utf8) {
                guard let equals else { return "" }
                return Substring(bytes[bytes.index(after: equals)..<end])
            }
            start = end < bytes.endIndex ? bytes.index(after: end) : end
        }
        return nil
    }
}
