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
    public var path: Substring?
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
        out.append(contentsOf: JSONLineWriter.line(maxBytes: maxJSONBytes) { writeJSONMembers(to: &$0) })
    }

    /// The most bytes ``writeJSONMembers(to:)`` writes: the keys and punctuation
    /// (under 256 bytes), five numbers, and the strings at their worst escaping.
    var maxJSONBytes: Int {
        let strings = requestID.utf8.count + (tenant?.utf8.count ?? 0) + (method?.utf8.count ?? 0)
            + (path?.utf8.count ?? 0) + route.utf8.count + remote.utf8.count + (traceID?.utf8.count ?? 0)
            + (reason?.utf8.count ?? 0)
        return 256 + 5 * JSONLineWriter.maxNumberBytes + 8 * JSONLineWriter.maxStringBytes(0) + 6 * strings
    }

    /// Writes the members (see ``appendJSONMembers(to:)``) into room for ``maxJSONBytes``.
    func writeJSONMembers(to out: inout JSONLineWriter) {
        out.raw(#""request_id":"#)
        out.string(requestID)
        out.raw(#","tenant":"#)
        if let tenant { out.string(tenant) } else { out.raw("null") }
        out.raw(#","method":"#)
        if let method { out.string(method) } else { out.raw("null") }
        out.raw(#","path":"#)
        if let path { out.string(path) } else { out.raw("null") }
        out.raw(#","route":"#)
        out.string(route)
        out.raw(#","status":"#)
        out.integer(status)
        out.raw(#","bytes":"#)
        out.integer(bytes)
        out.raw(#","duration_ms":"#)
        out.milliseconds(durationMilliseconds)
        out.raw(#","upstream_status":"#)
        if let upstreamStatus { out.integer(upstreamStatus) } else { out.raw("null") }
        out.raw(#","upstream_ms":"#)
        if let upstreamMilliseconds { out.milliseconds(upstreamMilliseconds) } else { out.raw("null") }
        out.raw(#","gzip":"#)
        out.raw(gzip ? "true" : "false")
        out.raw(#","remote":"#)
        out.string(remote)
        out.raw(#","trace_id":"#)
        if let traceID { out.string(traceID) } else { out.raw("null") }
        if let reason {
            out.raw(#","reason":"#)
            out.string(reason)
        }
    }
}
