/// The gateway's routes as a table: each row a path template and the methods it
/// takes. Endpoints join by adding a row, and `405`/`Allow` and `404` fall out
/// of the same lookup.
public struct Router<Endpoint: Sendable>: Sendable {
    /// One row of the table.
    public struct Route: Sendable {
        /// The path template, e.g. `/clients/{id}`; `{name}` matches one segment.
        public let template: String
        /// Methods answered; `HEAD` is implied by `GET`.
        public let methods: [String]
        public let endpoint: Endpoint
        let segments: [Segment]

        public init(_ template: String, methods: [String], endpoint: Endpoint) {
            self.template = template
            var all = methods
            if all.contains("GET"), !all.contains("HEAD") { all.append("HEAD") }
            self.methods = all
            self.endpoint = endpoint
            self.segments = template.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                $0.hasPrefix("{") && $0.hasSuffix("}") ? .parameter : .literal(String($0))
            }
        }

        /// The `Allow` header's value.
        public var allow: String { methods.joined(separator: ", ") }
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter
    }

    /// The outcome of a lookup.
    public enum Match: Sendable {
        /// The route and the values of its `{parameters}`, in order.
        case found(Route, parameters: [Substring])
        /// The path exists but not for this method.
        case methodNotAllowed(Route)
        case notFound
    }

    public private(set) var routes: [Route] = []

    public init() {}

    /// Adds a row.
    public mutating func add(_ template: String, methods: [String], endpoint: Endpoint) {
        routes.append(Route(template, methods: methods, endpoint: endpoint))
    }

    /// The row for `method` and `path` (a path without its query).
    public func match(method: String, path: Substring) -> Match {
        let parts = Self.segments(of: path)
        guard !parts.isEmpty else { return .notFound }
        var pathMatch: Route?
        for route in routes where route.segments.count == parts.count {
            var parameters: [Substring] = []
            var matched = true
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let text):
                    // Bytes: a path matches a route only as written, never by
                    // Unicode equivalence.
                    if !part.utf8.elementsEqual(text.utf8) { matched = false }
                case .parameter:
                    if part.isEmpty { matched = false } else { parameters.append(part) }
                }
                if !matched { break }
            }
            guard matched else { continue }
            if route.methods.contains(method) {
                return .found(route, parameters: parameters)
            }
            pathMatch = pathMatch ?? route
        }
        if let route = pathMatch { return .methodNotAllowed(route) }
        return .notFound
    }

    /// The segments after the leading `/` (`/a//b` has an empty middle one);
    /// none when the path does not start with `/`. Split on bytes: `/` is ASCII,
    /// so every cut is a Character boundary.
    static func segments(of path: Substring) -> [Substring] {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { return [] }
        var parts: [Substring] = []
        // Routes have a few segments: one allocation, not one per doubling.
        parts.reserveCapacity(4)
        var start = bytes.index(after: bytes.startIndex)
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            parts.append(Substring(bytes[start..<end]))
            guard end < bytes.endIndex else { return parts }
            start = bytes.index(after: end)
        }
    }
}
