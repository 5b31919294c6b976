import Foundation
import Logging
import Testing
@testable import Gateway

@Suite("the access line and request ids")
struct AccessLogRecordTests {
    private static let record = AccessLogRecord(
        requestID: "0123456789abcdef0000000000000001", tenant: "acme", method: "GET", path: "/clients/7",
        route: "/clients/{id}", status: 200, bytes: 455, durationMilliseconds: 1.23456,
        upstreamStatus: 200, upstreamMilliseconds: 0.5, gzip: true, remote: "127.0.0.1",
        traceID: nil)

    private static let members =
        #""request_id":"0123456789abcdef0000000000000001","tenant":"acme","method":"GET","path":"/clients/7","#
        + #""route":"/clients/{id}","status":200,"bytes":455,"duration_ms":1.235,"upstream_status":200,"#
        + #""upstream_ms":0.5,"gzip":true,"remote":"127.0.0.1","trace_id":null"#

    private func line(_ handler: JSONLogHandler, extra: Logger.Metadata = [:]) -> String {
        var metadata = Self.record.metadata
        metadata.merge(extra) { _, new in new }
        let event = LogEvent(level: .info, message: "request", metadata: metadata, source: "t", file: "f",
                             function: "g", line: 1)
        return String(decoding: handler.render(event, seconds: 0, milliseconds: 5), as: UTF8.self)
    }

    /// A sink nothing is written to (render only builds the line); closed after.
    private static func withSink(_ body: (LogSink) -> Void) {
        let sink = LogSink(fileDescriptor: -1)
        defer { sink.close() }
        body(sink)
    }

    @Test("alone, the record's members follow msg in the record's order")
    func recordAlone() {
        Self.withSink { sink in
        let handler = JSONLogHandler(label: "t", sink: sink)
        #expect(line(handler) == #"{"ts":"1970-01-01T00:00:00.005Z","level":"info","msg":"request","#
            + Self.members + "}\n")
        }
    }

    @Test("with other metadata, the same members come first and the rest follow sorted")
    func recordWithMetadata() {
        Self.withSink { sink in
        var handler = JSONLogHandler(label: "t", sink: sink)
        handler[metadataKey: "registry"] = "prod"
        #expect(line(handler, extra: ["a": "1"]) == #"{"ts":"1970-01-01T00:00:00.005Z","level":"info","msg":"request","#
            + Self.members + #","a":"1","registry":"prod"}"# + "\n")
        let labelled = JSONLogHandler(label: "t", sink: sink, includeLabel: true)
        #expect(line(labelled).hasSuffix(Self.members + #","label":"t"}"# + "\n"))
        }
    }

    @Test("withMetadata carries the record like metadata, and lines kept by a handler keep their own record")
    func reusedMetadata() throws {
        // Reused metadata renders the same bytes on the access-line path.
        Self.withSink { sink in
            let handler = JSONLogHandler(label: "t", sink: sink)
            let viaProperty = line(handler)
            let viaReuse = Self.record.withMetadata { metadata in
                let event = LogEvent(level: .info, message: "request", metadata: metadata, source: "t", file: "f",
                                     function: "g", line: 1)
                return String(decoding: handler.render(event, seconds: 0, milliseconds: 5), as: UTF8.self)
            }
            #expect(viaReuse == viaProperty)
        }
        // A handler that keeps the metadata past the call: each kept dictionary
        // still holds its own record after later lines reuse the thread's slot.
        let kept = KeptMetadata()
        let logger = Logger(label: "t") { _ in KeepingHandler(kept: kept) }
        let records = (0..<3).map { n in
            AccessLogRecord(
                requestID: "id\(n)", tenant: nil, method: "GET", path: "/", route: "/", status: 200 + n, bytes: 0,
                durationMilliseconds: 0, upstreamStatus: nil, upstreamMilliseconds: nil, gzip: false, remote: "-",
                traceID: nil)
        }
        for record in records { record.withMetadata { logger.info("request", metadata: $0) } }
        let statuses = kept.all.map { metadata -> Int? in
            guard case .stringConvertible(let value)? = metadata[JSONLogHandler.recordKey] else { return nil }
            return (value as? AccessLogRecord)?.status
        }
        #expect(statuses == [200, 201, 202])
        // Once the call returns, the thread's slot no longer holds the record.
        weak var logged: AccessLogRecord?
        Self.withSink { sink in
            let logger = Logger(label: "t") { label in JSONLogHandler(label: label, sink: sink) }
            do {
                let record = AccessLogRecord(
                    requestID: "gone", tenant: nil, method: "GET", path: "/", route: "/", status: 200, bytes: 0,
                    durationMilliseconds: 0, upstreamStatus: nil, upstreamMilliseconds: nil, gzip: false,
                    remote: "-", traceID: nil)
                logged = record
                record.withMetadata { logger.info("request", metadata: $0) }
            }
        }
        #expect(logged == nil)
    }

    @Test("generated ids are 32 lowercase hex digits: a fixed random prefix, then a counter")
    func generatedIDs() throws {
        let generator = RequestIDGenerator()
        let ids = (0..<1000).map { _ in generator.next() }
        #expect(Set(ids).count == 1000)
        for id in ids {
            #expect(id.utf8.count == 32)
            #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            #expect(id.prefix(16) == ids[0].prefix(16))
        }
        let first = try #require(UInt64(ids[0].suffix(16), radix: 16))
        let last = try #require(UInt64(ids[999].suffix(16), radix: 16))
        #expect(last == first + 999)
        #expect(RequestIDGenerator().next().prefix(16) != ids[0].prefix(16))  // 1 in 2^64 to fail
    }

    @Test("hex is zero-padded to 16 digits")
    func hexDigits() {
        #expect(RequestIDGenerator.hex(0) == "0000000000000000")
        #expect(RequestIDGenerator.hex(0xAB) == "00000000000000ab")
        #expect(RequestIDGenerator.hex(0x0123_4567_89AB_CDEF) == "0123456789abcdef")
        #expect(RequestIDGenerator.hex(.max) == "ffffffffffffffff")
    }

    @Test("a caller's id is kept when it is 1-128 visible ASCII characters, else replaced",
          arguments: [("abc-123", true), ("", false), (String(repeating: "x", count: 128), true),
                      (String(repeating: "x", count: 129), false), ("a b", false), ("é", false), ("a\u{7F}", false)])
    func callerIDs(value: String, kept: Bool) {
        let id = RequestIDGenerator().id(fromCaller: value)
        #expect((id == value) == kept)
        if !kept { #expect(id.utf8.count == 32) }
    }

    @Test("durations are written as Double would write them rounded to microseconds")
    func durationDigits() {
        // The former formatter: the rounded Double's own description.
        func reference(_ ms: Double) -> String {
            let rounded = (ms * 1000).rounded() / 1000
            return rounded.isFinite ? rounded.description : "null"
        }
        func ours(_ ms: Double) -> String {
            String(decoding: JSONLineWriter.line(maxBytes: JSONLineWriter.maxNumberBytes) { $0.milliseconds(ms) },
                   as: UTF8.self)
        }
        var values: [Double] = [0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.5, 1, 1.23456, 12, 12.3, 999.9995,
                                1_000, 30_000.000_4, 86_400_000, 9_007_199_254_740.991, 9_007_199_254_740.992,
                                1e15, 1e300, -0.0001, -1.5, .nan, .infinity, -.infinity, .greatestFiniteMagnitude]
        // A fixed pseudo-random spread (SplitMix64) over nanosecond-exact durations up to an hour.
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<20_000 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            values.append(Double((mixed ^ (mixed >> 31)) % 3_600_000_000_000) / 1_000_000)
        }
        let mismatches = values.filter { ours($0) != reference($0) }.map { "\($0): \(ours($0)) vs \(reference($0))" }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
    }

    @Test("a record of hostile, maximal strings and extreme numbers fits its estimate and parses back")
    func worstCaseRecordFits() throws {
        let hostile = String(decoding: (0..<128).map { UInt8($0) } + Array("\"\\é😀".utf8), as: UTF8.self)
        let longPath = String(repeating: "\u{01}", count: 8 * 1024)
        let record = AccessLogRecord(
            requestID: hostile, tenant: hostile, method: hostile, path: Substring(longPath), route: hostile,
            status: .min, bytes: .max, durationMilliseconds: -.greatestFiniteMagnitude,
            upstreamStatus: .min, upstreamMilliseconds: .nan, gzip: false, remote: hostile,
            traceID: hostile, reason: hostile)
        var out: [UInt8] = [UInt8(ascii: "{")]
        record.appendJSONMembers(to: &out)
        out.append(UInt8(ascii: "}"))
        #expect(out.count <= record.maxJSONBytes + 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        #expect(object["request_id"] as? String == hostile)
        #expect(object["path"] as? String == longPath)
        #expect(object["reason"] as? String == hostile)
        #expect((object["status"] as? NSNumber)?.int64Value == Int64(Int.min))
        #expect(object["upstream_ms"] is NSNull)
    }
}

/// Every metadata dictionary a ``KeepingHandler`` was given, in order.
// @unchecked Sendable: `all` is only touched with `lock` held.
private final class KeptMetadata: @unchecked Sendable {
    private let lock = NSLock()
    private var metadata: [Logger.Metadata] = []
    var all: [Logger.Metadata] { lock.withLock { metadata } }
    func keep(_ value: Logger.Metadata) { lock.withLock { metadata.append(value) } }
}

/// A handler that keeps every event's metadata, as an in-memory test handler would.
private struct KeepingHandler: LogHandler {
    let kept: KeptMetadata
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { kept.keep(event.metadata ?? [:]) }
}

