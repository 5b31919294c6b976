#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
    public var metadata: Logger.Metadata {
        // A copy of a one-member dictionary keeps that member's bucket, so
        // replacing its value hashes nothing; a literal would hash the key.
        var metadata = recordMetadataTemplate
        metadata.values[metadata.startIndex] = .stringConvertible(self)
        return metadata
    }

    /// Lends `body` the metadata that carries this record (as ``metadata``),
    /// in a dictionary this thread reuses from line to line: a line written
    /// thousands of times a second then allocates and frees no dictionary.
    ///
    /// The dictionary is a value like any other: if something keeps the
    /// metadata past `body` (a handler that stores events), the next use finds
    /// it shared and copies it, so what was kept never changes.
    public func withMetadata<Result>(_ body: (Logger.Metadata) -> Result) -> Result {
        let metadata = RecordMetadataSlot.current()
        metadata.pointee.values[metadata.pointee.startIndex] = .stringConvertible(self)
        // The record is not kept alive by the slot until the thread's next line.
        defer { metadata.pointee.values[metadata.pointee.startIndex] = .jsonNull }
        return body(metadata.pointee)
    }
}

/// Metadata whose one member is the record key: what ``JSONLogRecord/metadata`` copies.
private let recordMetadataTemplate: Logger.Metadata = [JSONLogHandler.recordKey: .jsonNull]

/// Each thread's record metadata for ``JSONLogRecord/withMetadata(_:)``, in
/// thread-specific storage (the loops are threads; a `Logger` call is
/// synchronous), made on the thread's first line and freed when it exits.
private enum RecordMetadataSlot {
    static func current() -> UnsafeMutablePointer<Logger.Metadata> {
        if let slot = pthread_getspecific(key) {
            return slot.assumingMemoryBound(to: Logger.Metadata.self)
        }
        let slot = UnsafeMutablePointer<Logger.Metadata>.allocate(capacity: 1)
        slot.initialize(to: recordMetadataTemplate)
        let status = pthread_setspecific(key, slot)
        precondition(status == 0, "pthread_setspecific failed: \(status)")
        return slot
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        // The destructor's argument is optional in Glibc's signature and not in
        // Darwin's; a function taking an optional accepts both.
        let status = pthread_key_create(&key) { slot in RecordMetadataSlot.release(slot) }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// Frees a thread's slot as the thread exits.
    private static func release(_ slot: UnsafeMutableRawPointer?) {
        guard let metadata = slot?.assumingMemoryBound(to: Logger.Metadata.self) else { return }
        metadata.deinitialize(count: 1)
        metadata.deallocate()
    }
}

/// The one line logged per request, with the contract's fields.
///
/// A class, so the metadata value that carries it holds a reference: the
/// handler's cast to it and every copy on the way are a retain, not a copy of
/// fourteen fields, and no existential box is allocated around it.
public final class AccessLogRecord: JSONLogRecord {
    public let requestID: String
    public let tenant: String?
    public let method: String?
    public let path: Substring?
    public let route: String
    public let status: Int
    public let bytes: Int
    public let durationMilliseconds: Double
    public let upstreamStatus: Int?
    public let upstreamMilliseconds: Double?
    public let gzip: Bool
    public let remote: String
    public let traceID: String?
    /// Why the codec refused the request, for rejections.
    public let reason: String?

    /// A record of the given fields.
    public init(
        requestID: String, tenant: String?, method: String?, path: Substring?, route: String, status: Int,
        bytes: Int, durationMilliseconds: Double, upstreamStatus: Int?, upstreamMilliseconds: Double?, gzip: Bool,
        remote: String, traceID: String?, reason: String? = nil
    ) {
        self.requestID = requestID
        self.tenant = tenant
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.bytes = bytes
        self.durationMilliseconds = durationMilliseconds
        self.upstreamStatus = upstreamStatus
        self.upstreamMilliseconds = upstreamMilliseconds
        self.gzip = gzip
        self.remote = remote
        self.traceID = traceID
        self.reason = reason
    }

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
