/// The path and query of a request-target (RFC 9112 §3.2), origin or absolute form.
public struct RequestTarget: Sendable, Equatable {
    public let path: Substring
    public let query: Substring?

    public init(_ target: String) {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let schemeEnd = rest.firstRange(of: "://") {
            // absolute-form: drop scheme and authority.
            let afterAuthority = rest[schemeEnd.upperBound...]
            rest = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        if let q = rest.firstIndex(of: "?") {
            path = rest[..<q]
            query = rest[rest.index(after: q)...]
        } else {
            path = rest
            query = nil
        }
    }

    /// The raw (still percent-encoded) value of the first query parameter `name`.
    public func queryValue(_ name: String) -> Substring? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = pair.firstIndex(of: "=") {
                if pair[..<eq] == name[...] { return pair[pair.index(after: eq)...] }
            } else if pair == name[...] {
                return ""
            }
        }
        return nil
    }
}
