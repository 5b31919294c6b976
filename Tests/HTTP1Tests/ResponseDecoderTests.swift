import HTTP1
import Testing

/// The upstream side: response framing, interim responses, EOF handling.
@Suite struct ResponseDecoderTests {
    static func bodies(_ outcome: Outcome<ResponseItem>) -> [String] {
        outcome.items.compactMap { if case .body(let b) = $0 { String(decoding: b, as: UTF8.self) } else { nil } }
    }

    static func heads(_ outcome: Outcome<ResponseItem>) -> [HTTPResponseHead] {
        outcome.items.compactMap { if case .head(let h) = $0 { h } else { nil } }
    }

    static let contentLength = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"data\":null}"
    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "4;ext=\"x y\"\r\n{\"da\r\n9\r\nta\":null}\r\n0\r\nServer-Timing: db;dur=3\r\n\r\n"
    static let interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + contentLength

    @Test func contentLengthBody() {
        let outcome = expectSplitInvariant(Self.contentLength.bytes) { decodeResponses($0) }
        let head = HTTPResponseHead(
            version: .http1_1, status: 200, reason: "OK",
            headers: ["Content-Type": "application/json", "Content-Length": "13"],
            keepAlive: true, framing: .contentLength(13)
        )
        #expect(outcome == Outcome(items: [.head(head), .body("{\"data\":null}".bytes), .end]))
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let outcome = expectSplitInvariant(Self.chunked.bytes) { decodeResponses($0) }
        #expect(outcome.error == nil)
        #expect(Self.heads(outcome).map(\.framing) == [.chunked])
        #expect(Self.bodies(outcome) == ["{\"data\":null}"])
        #expect(outcome.items.last == .end)
    }

    @Test func closeDelimitedBodyEndsAtEOF() {
        let message = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
        let outcome = expectSplitInvariant(message.bytes) { decodeResponses($0, eof: true) }
        #expect(outcome.error == nil)
        #expect(Self.heads(outcome).map(\.framing) == [.untilClose])
        #expect(Self.heads(outcome).map(\.keepAlive) == [false])
        #expect(Self.bodies(outcome) == ["all of it"])
        #expect(outcome.items.last == .end)
        // Without the EOF the body is not over.
        #expect(decodeResponses([message.bytes]).items.last != .end)
    }

    @Test(arguments: [
        ("inside the head", "HTTP/1.1 200 OK\r\nContent-Len"),
        ("inside a Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
        ("inside a chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
        ("before the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n"),
        ("inside the trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n"),
        ("before any byte", ""),
    ])
    func cutShortIs502(where: String, message: String) {
        let outcome = decodeResponses([message.bytes], eof: true)
        #expect(outcome.error?.status == 502, "\(`where`)")
        #expect(outcome.items.last != .end)
    }

    @Test func eofWithNothingExpectedIsQuiet() throws {
        var decoder = HTTPResponseDecoder()
        #expect(try decoder.decodeEOF() == nil)
        // After a complete response the connection may close at any time.
        let outcome = decodeResponses([Self.contentLength.bytes], eof: true)
        #expect(outcome.error == nil)
        #expect(outcome.items.last == .end)
    }

    @Test func interimResponsesAreSkipped() {
        let outcome = expectSplitInvariant(Self.interim.bytes) { decodeResponses($0) }
        #expect(outcome.error == nil)
        #expect(Self.heads(outcome).map(\.status) == [200])
        #expect(Self.bodies(outcome) == ["{\"data\":null}"])
    }

    @Test func switchingProtocolsIsRefused() {
        let outcome = decodeResponses(["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".bytes])
        #expect(outcome.error?.status == 502)
    }

    @Test(arguments: [204, 304])
    func statusesWithoutBody(status: Int) {
        // The Content-Length describes the representation, not this message.
        let message = "HTTP/1.1 \(status) X\r\nContent-Length: 50\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let outcome = expectSplitInvariant(message.bytes) { decodeResponses($0, headRequests: [false, false]) }
        #expect(Self.heads(outcome).map(\.status) == [status, 200])
        #expect(Self.heads(outcome).map(\.framing) == [.none, .contentLength(2)])
        #expect(Self.bodies(outcome) == ["ok"])
    }

    @Test func responseToHeadHasNoBody() {
        let message = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let outcome = expectSplitInvariant(message.bytes) { decodeResponses($0, headRequests: [true, false]) }
        #expect(outcome.error == nil)
        #expect(Self.heads(outcome).map(\.framing) == [.none, .contentLength(2)])
        #expect(outcome.items.filter { $0 == .end }.count == 2)
    }

    @Test func headExpectationLastsOneResponse() throws {
        var decoder = HTTPResponseDecoder()
        decoder.expect(requestMethodIsHead: true)
        let message = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".bytes
        try message.withBytes { buffer throws(HTTPParseError) in
            let first = try decoder.decode(buffer)
            guard case .head(let h1)? = first.event else { Issue.record("no head"); return }
            #expect(h1.framing == .none)
            #expect(try decoder.decode(buffer.rebased(from: first.consumed)).event == .end)
            let second = try decoder.decode(buffer.rebased(from: first.consumed))
            guard case .head(let h2)? = second.event else { Issue.record("no second head"); return }
            #expect(h2.framing == .contentLength(2))
        }
    }

    @Test func oversizedBodiesAre502() {
        let small = HTTPLimits(maxBodyBytes: 8)
        let declared = decodeResponses(["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n".bytes], limits: small)
        #expect(declared.error?.status == 502)
        let chunked = decodeResponses(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n".bytes], limits: small)
        #expect(chunked.error?.status == 502)
        let untilClose = decodeResponses(["HTTP/1.1 200 OK\r\n\r\n12345678".bytes, "9".bytes], limits: small)
        #expect(untilClose.error?.status == 502)
        #expect(Self.bodies(untilClose) == ["12345678"])
        #expect(HTTPResponseDecoder().limitsAllowEightMebibytes)
    }

    @Test(arguments: [
        ("HTTP/1.1 200\r\n\r\n", 200, ""),
        ("HTTP/1.1 404 \r\n\r\n", 404, ""),
        ("HTTP/1.1 503 Service  Unavailable\r\n\r\n", 503, "Service  Unavailable"),
        ("HTTP/1.0 200 OK\r\n\r\n", 200, "OK"),
        ("HTTP/1.1 200 D\u{e9}j\u{e0} vu\r\n\r\n", 200, "D\u{e9}j\u{e0} vu"),
        // "OK" comes back as a literal; near misses are decoded as sent.
        ("HTTP/1.1 200 OK\r\n\r\n", 200, "OK"),
        ("HTTP/1.1 200 ok\r\n\r\n", 200, "ok"),
        ("HTTP/1.1 200 OKAY\r\n\r\n", 200, "OKAY"),
        ("HTTP/1.1 200 O\r\n\r\n", 200, "O"),
    ])
    func statusLinesAreAcceptedLeniently(line: String, status: Int, reason: String) {
        let outcome = decodeResponses([line.bytes])
        guard let head = Self.heads(outcome).first else {
            Issue.record("rejected: \(String(describing: outcome.error))")
            return
        }
        #expect(head.status == status)
        #expect(Array(head.reason.utf8) == Array(reason.utf8))
    }

    @Test(arguments: [
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 Nope\r\n\r\n",
        "HTTP/1.1 600 Nope\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 O\u{1}K\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
        "HTTP/1.1 100 Continue\r\nX : y\r\n\r\n",
    ])
    func brokenResponsesAre502(message: String) {
        let outcome = expectSplitInvariant(message.bytes) { decodeResponses($0) }
        #expect(outcome.error?.status == 502)
        #expect(outcome.error?.reason.hasPrefix("upstream") == true)
    }

    @Test func pipelinedResponsesOnOneConnection() {
        let message = Self.contentLength + Self.chunked + "HTTP/1.1 204 No Content\r\n\r\n"
        let outcome = expectSplitInvariant(message.bytes) { decodeResponses($0, headRequests: [false, false, false]) }
        #expect(outcome.error == nil)
        #expect(Self.heads(outcome).map(\.status) == [200, 200, 204])
        #expect(outcome.items.filter { $0 == .end }.count == 3)
    }

    @Test func headTooLargeIs502() {
        let limits = HTTPLimits(maxHeadBytes: 64)
        let message = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "x", count: 64)
        #expect(decodeResponses([message.bytes], limits: limits).error?.status == 502)
    }
}

extension HTTPResponseDecoder {
    /// The default limit is the contract's 8 MiB: a body of exactly that size
    /// is accepted and one byte more is not.
    var limitsAllowEightMebibytes: Bool {
        var atLimit = self
        var overLimit = self
        let ok = Array("HTTP/1.1 200 OK\r\nContent-Length: \(8 << 20)\r\n\r\n".utf8)
        let over = Array("HTTP/1.1 200 OK\r\nContent-Length: \((8 << 20) + 1)\r\n\r\n".utf8)
        let accepted = (try? ok.withBytes { buffer throws(HTTPParseError) in try atLimit.decode(buffer) }) != nil
        let rejected = (try? over.withBytes { buffer throws(HTTPParseError) in try overLimit.decode(buffer) }) == nil
        return accepted && rejected
    }
}
