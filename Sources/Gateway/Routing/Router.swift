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

        public init(_ template: String, methods: [String], endpoint: Endpoint) {
            self.template = template
            var all = methods
            if all.contains("GET"), !all.contains("HEAD") { all.append("HEAD") }
            self.methods = all
            self.endpoint = endpoint
        }

        /// The `Allow` header's value.
        public var allow: String { methods.joined(separator: ", ") }
    }

    /// A segment of a template: `{name}` (a parameter) or a literal.
    struct Segment: Sendable, Equatable {
        /// Where the segment's bytes are in ``Router/templateBytes``.
        let range: Range<Int>
        let isParameter: Bool
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
    // What matching reads, kept apart from the routes in flat arrays: a route
    // (strings, arrays, a closure) is retained and released whenever it is
    // copied, and iterating the routes copied each one for every request.
    /// Every template's UTF-8, one after another.
    private var templateBytes: [UInt8] = []
    /// Every template's segments after its leading `/`, route after route.
    private var segments: [Segment] = []
    /// Where each route's segments are in `segments`.
    private var segmentRanges: [Range<Int>] = []

    public init() {}

    /// Adds a row.
    public mutating func add(_ template: String, methods: [String], endpoint: Endpoint) {
        routes.append(Route(template, methods: methods, endpoint: endpoint))
        let first = segments.count
        var offset = templateBytes.count
        for (position, piece) in template.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            let count = piece.utf8.count
            if position > 0 {
                segments.append(Segment(
                    range: offset..<(offset + count), isParameter: piece.hasPrefix("{") && piece.hasSuffix("}")))
            }
            offset += count + 1
        }
        templateBytes += template.utf8
        segmentRanges.append(first..<segments.count)
    }

    /// The row for `method` and `path` (a path without its query).
    public func match(method: String, path: Substring) -> Match {
        // Matched on the path's bytes in place: splitting it into an array of
        // segments for every request cost more than the comparisons.
        let utf8 = path.utf8
        let found = withContiguousBytes(utf8) { firstRoute(method: method, path: $0, utf8: utf8) }
        guard let found else { return .notFound }
        let route = routes[found.index]
        guard found.allowed else { return .methodNotAllowed(route) }
        return .found(route, parameters: found.parameters)
    }

    /// The first route whose template matches `path` (the bytes of `utf8`) and
    /// that answers `method` (`allowed`, with its parameters' values), else the
    /// first whose template matches.
    private func firstRoute(method: String, path: UnsafeBufferPointer<UInt8>, utf8: Substring.UTF8View)
        -> (index: Int, allowed: Bool, parameters: [Substring])? {
        guard path.first == UInt8(ascii: "/") else { return nil }
        return templateBytes.withUnsafeBufferPointer { template in
            segments.withUnsafeBufferPointer { segments in
                var pathMatch: Int?
                for (index, range) in segmentRanges.enumerated() {
                    // Stays empty, and so unallocated, for routes without parameters.
                    var parameters: [Substring] = []
                    let matched = Self.matches(
                        path, segments: UnsafeBufferPointer(rebasing: segments[range]), template: template
                    ) { bytes in
                        let start = utf8.index(utf8.startIndex, offsetBy: bytes.lowerBound)
                        parameters.append(Substring(utf8[start..<utf8.index(start, offsetBy: bytes.count)]))
                    }
                    guard matched else { continue }
                    if routes[index].methods.contains(method) { return (index, true, parameters) }
                    if pathMatch == nil { pathMatch = index }
                }
                return pathMatch.map { ($0, false, []) }
            }
        }
    }

    /// Whether `path` (bytes starting with `/`) has a template's `segments`:
    /// literals byte for byte (never by Unicode equivalence), parameters
    /// non-empty, each one's byte range passed to `parameter` in order.
    private static func matches(_ path: UnsafeBufferPointer<UInt8>, segments: UnsafeBufferPointer<Segment>,
                                template: UnsafeBufferPointer<UInt8>, parameter: (Range<Int>) -> Void) -> Bool {
        guard !segments.isEmpty else { return false }
        var start = 1  // after the leading "/"
        for position in segments.indices {
            let segment = segments[position]
            var end = start
            while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
            if segment.isParameter {
                guard end > start else { return false }
                parameter(start..<end)
            } else {
                guard segment.range.count == end - start else { return false }
                for offset in 0..<segment.range.count
                where template[segment.range.lowerBound + offset] != path[start + offset] {
                    return false
                }
            }
            if position == segments.endIndex - 1 { return end == path.count }
            guard end < path.count else { return false }
            start = end + 1
        }
        return false  // not reached: the last segment returned
    }
}
