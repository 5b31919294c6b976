import Foundation
import Logging
import Testing
@testable import Gateway

@Suite("the access log: straight into the JSON handler's sink, or through the logger")
struct AccessLogTests {
    private static let record = AccessLogRecord(
        requestID: "0123456789abcdef0000000000000001", tenant: "acme", method: "GET", path: "/clients/7",
        route: "/clients/{id}", status: 200, bytes: 455, durationMilliseconds: 1.23456,
        upstreamStatus: 200, upstreamMilliseconds: 0.5, gzip: true, remote: "127.0.0.1",
        traceID: "4bf92f3577b34da6a3ce929d0e0e4736", reason: "a \"quoted\" reason")

    /// The lines `body` logs through a sink writing to a file, with their `ts` members.
    private static func lines(_ body: (LogSink) -> Void) throws -> [String] {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("access-log-\(UUID().uuidString).jsonl").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { unlink(path) }
        let sink = LogSink(fileDescriptor: fd)
        body(sink)
        sink.flush()
        sink.close()
        close(fd)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }

    /// `line` without its `ts` member, which differs between two lines written apart.
    private static func withoutTimestamp(_ line: String) throws -> String {
        let prefix = #"{"ts":""#
        try #require(line.hasPrefix(prefix))
        let rest = line.dropFirst(prefix.count)
        let end = try #require(rest.firstIndex(of: "\""))
        return String(rest[rest.index(after: end)...])
    }

    @Test("with the gateway's handler the line bypasses the logger and is the line the logger would write")
    func directLineMatchesLoggerLine() throws {
        var direct = false
        let written = try Self.lines { sink in
            let logger = Logger(label: "t") { label in JSONLogHandler(label: label, sink: sink) }
            let accessLog = AccessLog(logger: logger)
            direct = accessLog.writesDirectly
            accessLog.write(Self.record)
            Self.record.withMetadata { logger.info("request", metadata: $0) }
        }
        #expect(direct)
        try #require(written.count == 2)
        #expect(try Self.withoutTimestamp(written[0]) == Self.withoutTimestamp(written[1]))
        #expect(written[0].contains(#""msg":"request","request_id":"0123456789abcdef0000000000000001""#))
        #expect(written[0].contains(#""reason":"a \"quoted\" reason"}"#))
        // A real clock reading, in the handler's format.
        let ts = try #require(written[0].split(separator: "\"").dropFirst(3).first)
        #expect(ts.count == "2026-11-30T12:00:00.000Z".count && ts.hasSuffix("Z"))
    }

    @Test("a level above info writes no access line")
    func levelFilters() throws {
        let written = try Self.lines { sink in
            let logger = Logger(label: "t") { label in JSONLogHandler(label: label, sink: sink, logLevel: .notice) }
            let accessLog = AccessLog(logger: logger)
            #expect(accessLog.writesDirectly)
            accessLog.write(Self.record)
            logger.notice("after")
        }
        #expect(written.count == 1)
        #expect(written.first?.contains(#""msg":"after""#) == true)
    }

    @Test("a handler that adds to lines (metadata, a provider, its label) gets the event through the logger")
    func handlersThatAddGoThroughTheLogger() throws {
        let written = try Self.lines { sink in
            var withMetadata = Logger(label: "t") { label in JSONLogHandler(label: label, sink: sink) }
            withMetadata[metadataKey: "replica"] = "a"
            let labelled = Logger(label: "lbl") { label in JSONLogHandler(label: label, sink: sink, includeLabel: true) }
            let provided = Logger(label: "t") { label in
                JSONLogHandler(label: label, sink: sink, metadataProvider: .init { ["zone": "z1"] })
            }
            for logger in [withMetadata, labelled, provided] {
                let accessLog = AccessLog(logger: logger)
                #expect(!accessLog.writesDirectly)
                accessLog.write(Self.record)
            }
        }
        try #require(written.count == 3)
        #expect(written[0].hasSuffix(#","replica":"a"}"#))
        #expect(written[1].hasSuffix(#","label":"lbl"}"#))
        #expect(written[2].hasSuffix(#","zone":"z1"}"#))
        for line in written { #expect(line.contains(#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736""#)) }
    }
}
