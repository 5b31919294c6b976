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
}
