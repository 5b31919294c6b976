import Logging

/// A log record that writes its own JSON members: ``JSONLogHandler`` splices
/// them into the line in their own order, with no metadata dictionary to build,
/// hash and sort. The per-request access line is one, because it is written
/// thousands of times a second. Other handlers print ``description``.
public protocol JSONLogRecord: CustomStringConvertible, Sendable {
    /// Appends `"name":value` members separated by commas, without a leading
    /// or trailing comma.
    func appendJSONMembers(to out: inout [UInt8])
}

extension JSONLogRecord {
    public var description: String {
        var out: [UInt8] = []
        appendJSONMembers(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The metadata that carries this record to the handler.
    public var metadata: Logger.Metadata { [JSONLogHandler.recordKey: .stringConvertible(self)] }
}

/// The one line logged per request, with the contract's fields.
public struct AccessLogRecord: JSONLogRecord {
    public var requestID: String
    public var tenant: String?
    public var method: String?
    public var path: String?
    public var route: String
    public var status: Int
    public var bytes: Int
    public var durationMilliseconds: Double
    public var upstreamStatus: Int?
    public var upstreamMilliseconds: Double?
    public var gzip: Bool
    public var remote: String
    public var traceID: String?
    /// Why the codec refused the request, for rejections.
    public var reason: String?

    public func appendJSONMembers(to out: inout [UInt8]) {
        member("request_id", requestID, &out, first: true)
        member("tenant", tenant, &out)
        member("method", method, &out)
        member("path", path, &out)
        member("route", route, &out)
        literal("status", status, &out)
        literal("bytes", bytes, &out)
        literal("duration_ms", Self.rounded(durationMilliseconds), &out)
        literal("upstream_status", upstreamStatus, &out)
        literal("upstream_ms", upstreamMilliseconds.map(Self.rounded), &out)
        literal("gzip", gzip, &out)
        member("remote", remote, &out)
        member("trace_id", traceID, &out)
        if let reason { member("reason", reason, &out) }
    }

    /// Milliseconds with three decimals: microseconds are plenty for a log.
    static func rounded(_ ms: Double) -> Double {
        (ms * 1000).rounded() / 1000
    }

    private func member(_ name: StaticString, _ value: String?, _ out: inout [UInt8], first: Bool = false) {
        key(name, &out, first: first)
        if let value { JSONLogEncoding.appendString(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    private func literal(_ name: StaticString, _ value: (some JSONLogLiteral)?, _ out: inout [UInt8]) {
        key(name, &out, first: false)
        if let value { value.appendJSON(to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    private func key(_ name: StaticString, _ out: inout [UInt8], first: Bool) {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: "\":".utf8)
    }
}
