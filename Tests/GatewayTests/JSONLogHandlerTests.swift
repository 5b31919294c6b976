import Foundation
import Logging
import Testing
@testable import Gateway

/// A pipe whose read end a background thread drains until EOF, so a sink can
/// write any amount without the test deadlocking on a full pipe.
// Invariant: `received` is written only by the reader thread, and read only
// after `done` has been signalled, i.e. after that thread stopped touching it.
private final class PipeCapture: @unchecked Sendable {
    let readEnd: Int32
    let writeEnd: Int32
    private var received: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    /// Starts draining the read end (call once).
    func startReading() {
        started = true
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count > 0 {
                    received += buffer[..<count]
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            done.signal()
        }
        thread.start()
    }

    /// Fills the pipe with `f` bytes until a write would block; returns how many.
    func fill() -> Int {
        let flags = fcntl(writeEnd, F_GETFL)
        _ = fcntl(writeEnd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(writeEnd, F_SETFL, flags) }
        let chunk = [UInt8](repeating: UInt8(ascii: "f"), count: 4_096)
        var total = 0
        while true {
            let written = chunk.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
            guard written > 0 else { return total }
            total += written
        }
    }

    /// Closes the sink (writing everything), the write end, and returns all bytes read.
    func finish(_ sink: LogSink) -> [UInt8] {
        if !started { startReading() }
        sink.close()
        close(writeEnd)
        done.wait()
        close(readEnd)
        return received
    }

    /// Runs `body` with a sink on the pipe and returns the lines written.
    static func lines(capacity: Int = LogSink.defaultCapacity, _ body: (LogSink) -> Void) -> [String] {
        let capture = PipeCapture()
        capture.startReading()
        let sink = LogSink(fileDescriptor: capture.writeEnd, capacity: capacity)
        body(sink)
        let bytes = capture.finish(sink)
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }
}

private func object(_ line: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

private func logger(_ sink: LogSink, level: Logger.Level = .trace, metadataProvider: Logger.MetadataProvider? = nil) -> Logger {
    var logger = Logger(label: "test.gateway") { label in
        JSONLogHandler(label: label, sink: sink, metadataProvider: metadataProvider)
    }
    logger.logLevel = level
    return logger
}

private struct Opaque: CustomStringConvertible, Sendable {
    var description: String { "opaque \"thing\"" }
}

private struct Failure: Error, CustomStringConvertible {
    var description: String { "upstream refused" }
}

@Suite("JSON-lines log handler and its non-blocking sink")
struct JSONLogHandlerTests {
    @Test("a line has ts, level, msg and typed metadata")
    func fieldsAndTypes() throws {
        let lines = PipeCapture.lines { sink in
            var log = logger(sink)
            log[metadataKey: "service"] = "gateway"
            log.info("request done", metadata: [
                "request_id": "abc-123",
                "status": .stringConvertible(200),
                "bytes": .stringConvertible(UInt64(1_234)),
                "delta": .stringConvertible(Int8(-3)),
                "duration_ms": .stringConvertible(1.5),
                "ratio": .stringConvertible(Float(0.25)),
                "gzip": .stringConvertible(true),
                "cached": .stringConvertible(false),
                "upstream_status": .jsonNull,
                "nan": .stringConvertible(Double.nan),
                "other": .stringConvertible(Opaque()),
                "list": .array([.string("a"), .stringConvertible(2), .jsonNull]),
                "nested": .dictionary(["b": "x", "a": .stringConvertible(7)]),
            ])
        }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        let fields = try object(line)
        #expect(fields["level"] as? String == "info")
        #expect(fields["msg"] as? String == "request done")
        #expect(fields["ts"] is String)
        #expect(fields["service"] as? String == "gateway")
        #expect(fields["request_id"] as? String == "abc-123")
        #expect(fields["status"] as? Int == 200)
        #expect(fields["bytes"] as? Int == 1_234)
        #expect(fields["delta"] as? Int == -3)
        #expect(fields["duration_ms"] as? Double == 1.5)
        #expect(fields["ratio"] as? Double == 0.25)
        #expect(fields["upstream_status"] is NSNull)
        #expect(fields["nan"] is NSNull)
        #expect(fields["other"] as? String == "opaque \"thing\"")
        #expect(fields["label"] == nil)
        // The raw text shows the JSON types, independent of how Foundation bridges them.
        for fragment in [
            #""status":200"#, #""bytes":1234"#, #""delta":-3"#, #""duration_ms":1.5"#, #""gzip":true"#,
            #""cached":false"#, #""upstream_status":null"#, #""list":["a",2,null]"#,
            #""nested":{"a":7,"b":"x"}"#, #""request_id":"abc-123""#,
        ] {
            #expect(line.contains(fragment), "\(fragment)")
        }
    }

    @Test("ts, level, msg come first; metadata keys follow in sorted order")
    func keyOrder() throws {
        let lines = PipeCapture.lines { sink in
            logger(sink).notice("ordered", metadata: ["zeta": "1", "alpha": "2", "mid": "3", "Alpha": "4", "_x": "5"])
        }
        let line = try #require(lines.first)
        #expect(line.hasPrefix(#"{"ts":""#))
        #expect(line.contains(#"Z","level":"notice","msg":"ordered","#))
        let keys = ["Alpha", "_x", "alpha", "mid", "zeta"]
        let positions = try keys.map { key in
            try #require(line.range(of: "\"\(key)\":")).lowerBound
        }
        #expect(positions == positions.sorted())
        #expect(line.hasSuffix(#""zeta":"1"}"#))
    }

    @Test("metadata merges handler < provider < call; label, error and reserved keys")
    func mergePrecedence() throws {
        let provider = Logger.MetadataProvider { ["shared": "provider", "from_provider": "p"] }
        let lines = PipeCapture.lines { sink in
            var log = logger(sink, metadataProvider: provider)
            log[metadataKey: "shared"] = "handler"
            log[metadataKey: "from_handler"] = "h"
            log.info("first")
            log.info("second", metadata: ["shared": "call", "msg": "spoof", "level": "spoof"])
            log.error("third", error: Failure())
            log.error("fourth", error: Failure(), metadata: ["error": "explicit"])
            var labelled = Logger(label: "gw.label") { JSONLogHandler(label: $0, sink: sink, includeLabel: true) }
            labelled.logLevel = .info
            labelled.info("fifth")
            labelled.info("sixth", metadata: ["label": "mine"])
        }
        #expect(lines.count == 6)
        let first = try object(lines[0])
        #expect(first["shared"] as? String == "provider")
        #expect(first["from_handler"] as? String == "h")
        #expect(first["from_provider"] as? String == "p")
        let second = try object(lines[1])
        #expect(second["shared"] as? String == "call")
        #expect(second["msg"] as? String == "second")
        #expect(second["level"] as? String == "info")
        #expect(second["_msg"] as? String == "spoof")
        #expect(second["_level"] as? String == "spoof")
        #expect(try object(lines[2])["error"] as? String == "upstream refused")
        #expect(try object(lines[3])["error"] as? String == "explicit")
        #expect(try object(lines[4])["label"] as? String == "gw.label")
        #expect(try object(lines[5])["label"] as? String == "mine")
    }

    @Test("hostile strings are escaped and come back unchanged", arguments: [
        "quote \" and backslash \\ and slash /",
        "line one\nline two\r\n{\"level\":\"critical\",\"msg\":\"forged\"}",
        "tab\tbell\u{07}nul\u{00}esc\u{1B}[31m del\u{7F} unit\u{1F}",
        "accents éàü, CJK 漢字, emoji 🎉👩‍👩‍👧, separators \u{2028}\u{2029}",
        "",
    ])
    func escaping(hostile: String) throws {
        let lines = PipeCapture.lines { sink in
            logger(sink).warning("\(hostile)", metadata: [hostile: .string(hostile), "k": .array([.string(hostile)])])
        }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(!line.utf8.contains { $0 < 0x20 || $0 == 0x7F })
        let fields = try object(line)
        #expect(fields["msg"] as? String == hostile)
        #expect((fields["k"] as? [String])?.first == hostile)
        if !hostile.isEmpty {
            #expect(fields[hostile] as? String == hostile)
        }
    }

    @Test("integers are written as their decimal digits, extremes included")
    func integersAreDecimalDigits() {
        func json(_ value: some JSONLogLiteral) -> String {
            var out: [UInt8] = []
            value.appendJSON(to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        for value in [0, 7, -7, 10, -10, 200, 1_234_567_890, Int.max, Int.min] {
            #expect(json(value) == String(value))
        }
        #expect(json(UInt64.max) == "18446744073709551615")
        #expect(json(Int8.min) == "-128")
        #expect(json(Int8.max) == "127")
        #expect(json(UInt8(0)) == "0")
        // Appends after what is there.
        var out = Array("x".utf8)
        Int(42).appendJSON(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x42")
    }

    @Test("control characters use the short escapes or \\u00XX")
    func escapeSpelling() throws {
        var out: [UInt8] = []
        JSONLogEncoding.appendString("a\"\\\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{7F}é", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"\\\n\r\t\b\f\u0001\u001f\u007fé""#)
    }

    @Test("the eight-at-a-time test finds every byte that needs escaping, at every position")
    func escapingTestAgreesBytewise() {
        func reference(_ bytes: [UInt8]) -> Bool {
            bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F }
        }
        var disagreements: [String] = []
        // Every byte value at every position of plain strings of 1 to 24 bytes,
        // with the plain filler both ASCII and the continuation bytes of UTF-8.
        for filler in [UInt8(ascii: "a"), 0x80, 0xBF, 0xFF, 0x7E, 0x20] {
            for length in 1...24 {
                for position in 0..<length {
                    for value in UInt8.min...UInt8.max {
                        var bytes = [UInt8](repeating: filler, count: length)
                        bytes[position] = value
                        let ours = bytes.withUnsafeBytes { JSONLineWriter.anyNeedsEscaping($0) }
                        if ours != reference(bytes) { disagreements.append("\(bytes)") }
                    }
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(3))")
        #expect([UInt8]().withUnsafeBytes { JSONLineWriter.anyNeedsEscaping($0) } == false)
    }

    @Test("a line's start spells every level and message as the escaping writer would")
    func lineStartSpelling() throws {
        func start(_ level: Logger.Level, _ message: String) -> String {
            let bytes = JSONLineWriter.line(maxBytes: JSONLogHandler.lineStartBytes(level, message: message)) {
                JSONLogHandler.writeLineStart(level, message: message, seconds: 1_764_460_800, milliseconds: 7, to: &$0)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        // Levels are written as known bytes, messages through the escaping writer.
        let prefix = #"{"ts":"2025-11-30T00:00:00.007Z","level":"#
        #expect(start(.info, AccessLog.message) == prefix + #""info","msg":"request""#)
        #expect(start(.info, "request ") == prefix + #""info","msg":"request ""#)
        #expect(start(.notice, AccessLog.message) == prefix + #""notice","msg":"request""#)
        #expect(start(.info, "re\"quest") == prefix + #""info","msg":"re\"quest""#)
        for level in Logger.Level.allCases {
            #expect(start(level, "m") == prefix + "\"\(level.rawValue)\",\"msg\":\"m\"")
        }
        // Through a logger, too.
        let lines = PipeCapture.lines { sink in logger(sink).info("request", metadata: ["k": "v"]) }
        let fields = try object(try #require(lines.first))
        #expect(fields["level"] as? String == "info")
        #expect(fields["msg"] as? String == "request")
        #expect(fields["k"] as? String == "v")
    }

    @Test("timestamps at the edges of seconds, days, months and years, every millisecond digit")
    func timestampEdges() {
        func ts(_ seconds: Int64, _ milliseconds: Int) -> String {
            var out: [UInt8] = []
            RFC3339Timestamp.append(seconds: seconds, milliseconds: milliseconds, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(ts(0, 0) == "1970-01-01T00:00:00.000Z")
        #expect(ts(59, 999) == "1970-01-01T00:00:59.999Z")
        #expect(ts(86_399, 999) == "1970-01-01T23:59:59.999Z")
        #expect(ts(86_400, 0) == "1970-01-02T00:00:00.000Z")
        #expect(ts(951_868_799, 7) == "2000-02-29T23:59:59.007Z")
        #expect(ts(951_868_800, 70) == "2000-03-01T00:00:00.070Z")
        #expect(ts(1_798_761_599, 500) == "2026-12-31T23:59:59.500Z")
        #expect(ts(1_798_761_600, 1) == "2027-01-01T00:00:00.001Z")
        #expect(ts(253_402_300_799, 999) == "9999-12-31T23:59:59.999Z")
        #expect(ts(-1, 0) == "1969-12-31T23:59:59.000Z")
        for milliseconds in 0..<1_000 {
            let digits = String(milliseconds)
            #expect(ts(1_764_460_800, milliseconds) == "2025-11-30T00:00:00."
                + String(repeating: "0", count: 3 - digits.count) + digits + "Z")
        }
    }

    @Test("ts is RFC 3339 UTC with milliseconds, within a second of now")
    func timestampNow() throws {
        let before = Date()
        let lines = PipeCapture.lines { sink in logger(sink).info("tick") }
        let after = Date()
        let line = try #require(lines.first)
        let ts = try #require(try object(line)["ts"] as? String)
        #expect(ts.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(ts)")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: ts))
        #expect(date.timeIntervalSince(before) > -1)
        #expect(date.timeIntervalSince(after) < 1)
    }

    @Test("timestamps match Foundation's calendar across leap years and centuries")
    func timestampCalendar() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var instants: [Int64] = [
            0, 59, 86_399, 86_400, 951_782_400, 951_868_799, 978_307_200, 1_709_164_800,
            2_147_483_647, 4_107_542_400, 4_102_444_800, 4_133_980_799, 253_402_300_799,
        ]
        // A fixed pseudo-random spread (SplitMix64) so a failure reproduces.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<500 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            instants.append(Int64((mixed ^ (mixed >> 31)) % 4_102_444_800))
        }
        var mismatches: [String] = []
        for seconds in instants {
            let milliseconds = Int(seconds % 1_000)
            var out: [UInt8] = []
            RFC3339Timestamp.append(seconds: seconds, milliseconds: milliseconds, to: &out)
            let ours = String(decoding: out, as: UTF8.self)
            // A quarter millisecond past, so Foundation's rounding or truncation both land on `milliseconds`.
            let date = Date(timeIntervalSince1970: Double(seconds) + (Double(milliseconds) + 0.25) / 1_000)
            let foundation = formatter.string(from: date)
            if ours != foundation { mismatches.append("\(seconds): \(ours) != \(foundation)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
    }

    @Test("the logger's level filters lines")
    func levelFiltering() throws {
        let lines = PipeCapture.lines { sink in
            let log = logger(sink, level: .warning)
            log.trace("no")
            log.debug("no")
            log.info("no")
            log.notice("no")
            log.warning("yes 1")
            log.error("yes 2")
            log.critical("yes 3")
        }
        let levels = try lines.map { try object($0)["level"] as? String }
        #expect(levels == ["warning", "error", "critical"])
        let traced = PipeCapture.lines { sink in logger(sink, level: .trace).trace("all") }
        #expect(try traced.map { try object($0)["level"] as? String } == ["trace"])
    }

    @Test("a line that does not fit is dropped and counted; smaller ones still pass")
    func dropWhenTooBig() {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 199) + [0x0A]
        let small = [UInt8](repeating: UInt8(ascii: "y"), count: 49) + [0x0A]
        let lines = PipeCapture.lines(capacity: 100) { sink in
            #expect(sink.append(big) == false)
            #expect(sink.droppedLineCount == 1)
            #expect(sink.append(small))
            sink.flush()
            #expect(sink.append(small))
            #expect(sink.droppedLineCount == 1)
        }
        #expect(lines == [String(repeating: "y", count: 49), String(repeating: "y", count: 49)])
    }

    @Test("a stalled consumer never blocks append: the overflow is dropped and counted")
    func stalledConsumer() throws {
        let capture = PipeCapture()  // nobody reads yet
        let filler = capture.fill()  // the pipe is full: the writer will block in write(2)
        let sink = LogSink(fileDescriptor: capture.writeEnd, capacity: 8_192)
        let line = [UInt8](repeating: UInt8(ascii: "z"), count: 999) + [0x0A]
        var accepted = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<300 where sink.append(line) { accepted += 1 }
        }
        #expect(elapsed < .seconds(1))
        #expect(accepted < 300)
        #expect(sink.droppedLineCount == 300 - accepted)

        // A bounded flush gives up on the stalled consumer instead of hanging.
        let start = clock.now
        #expect(sink.flush(timeout: .milliseconds(100)) == false)
        #expect(clock.now - start >= .milliseconds(100))
        #expect(clock.now - start < .seconds(2))

        let everything = capture.finish(sink)  // now drain: everything accepted arrives, whole
        #expect(everything.prefix(filler).allSatisfy { $0 == UInt8(ascii: "f") })
        let bytes = everything.dropFirst(filler)
        #expect(bytes.count == accepted * line.count)
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == accepted)
        #expect(lines.allSatisfy { $0.count == 999 && $0.allSatisfy { $0 == UInt8(ascii: "z") } })
        #expect(sink.failedWriteCount == 0)
    }

    @Test("flush returns only once everything appended is in the descriptor")
    func flushWaits() throws {
        let capture = PipeCapture()
        let sink = LogSink(fileDescriptor: capture.writeEnd)
        let line = Array("{\"msg\":\"flushed\"}\n".utf8)
        for _ in 0..<50 { sink.append(line) }
        sink.flush()
        for _ in 0..<50 { sink.append(line) }
        #expect(sink.flush(timeout: .seconds(10)))
        // Everything must already sit in the pipe: one non-blocking read gets it all.
        _ = fcntl(capture.readEnd, F_SETFL, fcntl(capture.readEnd, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { read(capture.readEnd, $0.baseAddress, $0.count) }
        #expect(count == 100 * line.count)
        _ = fcntl(capture.readEnd, F_SETFL, fcntl(capture.readEnd, F_GETFL) & ~O_NONBLOCK)
        #expect(capture.finish(sink).isEmpty)
    }

    @Test("a closed sink drops and counts further lines")
    func closedSink() {
        let lines = PipeCapture.lines { sink in
            sink.append(Array("before\n".utf8))
            sink.close()
            #expect(sink.append(Array("after\n".utf8)) == false)
            #expect(sink.droppedLineCount == 1)
            sink.close()
        }
        #expect(lines == ["before"])
    }

    @Test("a failing descriptor counts failed writes and flush still returns")
    func failingDescriptor() {
        let sink = LogSink(fileDescriptor: -1)
        #expect(sink.append(Array("lost\n".utf8)))
        sink.flush()
        #expect(sink.failedWriteCount == 1)
        sink.close()
    }

    @Test("lines from many threads arrive whole, none interleaved")
    func concurrentWriters() throws {
        let lines = PipeCapture.lines { sink in
            let group = DispatchGroup()
            for writer in 0..<4 {
                DispatchQueue.global().async(group: group) {
                    let log = logger(sink)
                    for index in 0..<250 {
                        log.info("concurrent", metadata: ["writer": "\(writer)", "index": "\(index)"])
                    }
                }
            }
            group.wait()
        }
        #expect(lines.count == 1_000)
        var seen = Set<String>()
        for line in lines {
            let fields = try object(line)
            seen.insert("\(fields["writer"] as? String ?? "?")/\(fields["index"] as? String ?? "?")")
        }
        #expect(seen.count == 1_000)
    }
}
