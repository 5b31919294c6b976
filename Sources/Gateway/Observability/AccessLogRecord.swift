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
        out.member(#""request_id":"#, requestID)
        out.member(#","tenant":"#, tenant)
        out.member(#","method":"#, method)
        out.member(#","path":"#, path)
        out.member(#","route":"#, route)
        out.member(#","status":"#, status)
        out.member(#","bytes":"#, bytes)
        out.member(#","duration_ms":"#, milliseconds: durationMilliseconds)
        out.member(#","upstream_status":"#, upstreamStatus)
        out.member(#","upstream_ms":"#, milliseconds: upstreamMilliseconds)
        out.raw(#","gzip":"#)
        out.raw(gzip ? "true" : "false")
        out.member(#","remote":"#, remote)
        out.member(#","trace_id":"#, traceID)
        if let reason { out.member(#","reason":"#, reason) }
    }
}
