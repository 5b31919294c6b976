import HTTP1
import Testing

/// Valid requests: what they decode to, and that it does not depend on how
/// the bytes are split into reads.
@Suite struct RequestDecoderTests {
    static let simpleGet = "GET /clients/42?fields=id,email HTTP/1.1\r\nHost: acme.example.com\r\nAccept: */*\r\n\r\n"

    static let validMessages: [(name: String, message: String)] = [
        ("simple GET", simpleGet),
        ("pipelined", simpleGet
            + "POST /clients HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            + "GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        ("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n"),
        ("Content-Length body", "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"),
        ("chunked, extensions, trailers",
         "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value;q=\"a \\\"b\\\" ;c\"\r\nhello\r\n"
            + "6 ; flag ; k = v\r\n world\r\n"
            + "A\r\n0123456789\r\n"
            + "000;last\r\nTrailer-A: 1\r\nTrailer-B:  two \r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("leading CRLF", "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("CRLF between pipelined requests",
         "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
    ]

    @Test(arguments: validMessages)
    func splitsDoNotMatter(name: String, message: String) {
        let outcome = expectSplitInvariant(message.bytes) { decodeRequests($0) }
        #expect(outcome.error == nil, "\(name)")
        // Every head is closed by exactly one end.
        let heads = outcome.items.filter { if case .head = $0 { true } else { false } }.count
        let ends = outcome.items.filter { $0 == .end }.count
        #expect(heads > 0 && heads == ends, "\(name): \(outcome.items)")
    }

    @Test func simpleGetDecodesExactly() {
        let outcome = decodeRequests(Self.simpleGet)
        let head = HTTPRequestHead(
            method: "GET",
            target: "/clients/42?fields=id,email",
            version: .http1_1,
            headers: ["Host": "acme.example.com", "Accept": "*/*"],
            keepAlive: true,
            framing: .none
        )
        #expect(outcome == Outcome(items: [.head(head), .end]))
    }

    @Test func bodyFollowsHeadThenEnd() {
        let outcome = decodeRequests("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
        guard case .head(let head) = outcome.items.first else {
            Issue.record("no head: \(outcome)")
            return
        }
        #expect(head.framing == .contentLength(11))
        #expect(outcome.items.dropFirst() == [.body("hello world".bytes), .end])
    }

    @Test func chunkedBodyIsReassembledAndTrailersDropped() {
        let outcome = decodeRequests(Self.validMessages[4].message)
        #expect(outcome.error == nil)
        let bodies = outcome.items.compactMap { if case .body(let b) = $0 { b } else { nil } }
        #expect(bodies == ["hello world0123456789".bytes])
        guard case .head(let first) = outcome.items.first, case .head(let next) = outcome.items[3] else {
            Issue.record("unexpected events: \(outcome.items)")
            return
        }
        #expect(first.framing == .chunked)
        #expect(next.target == "/next")
        #expect(!first.headers.contains("Trailer-A"))
    }

    @Test func noBodyEndsImmediatelyWithoutConsuming() throws {
        var decoder = HTTPRequestDecoder()
        let bytes = (Self.simpleGet + "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n").bytes
        try bytes.withBytes { buffer throws(HTTPParseError) in
            let first = try decoder.decode(buffer)
            #expect(first.consumed == Self.simpleGet.utf8.count)
            let end = try decoder.decode(buffer.rebased(from: first.consumed))
            #expect(end.consumed == 0 && end.event == .end)
            let second = try decoder.decode(buffer.rebased(from: first.consumed))
            guard case .head(let head)? = second.event else {
                Issue.record("expected the pipelined head")
                return
            }
            #expect(head.target == "/2")
        }
    }

    @Test func incompleteHeadConsumesNothingAndAsksForMore() throws {
        var decoder = HTTPRequestDecoder()
        let partial = "GET / HTTP/1.1\r\nHost: h\r\n".bytes
        let step = try partial.withBytes { buffer throws(HTTPParseError) in try decoder.decode(buffer) }
        #expect(step.consumed == 0 && step.event == nil)
    }

    @Test func fieldValuesAreTrimmedAndKeptInOrder() {
        let outcome = decodeRequests(
            "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t spaced  value\t \r\nx-a: second\r\nEmpty:\r\nUnicode: caf\u{e9}\r\n\r\n")
        guard case .head(let head) = outcome.items.first else {
            Issue.record("rejected: \(String(describing: outcome.error))")
            return
        }
        #expect(head.headers.first("host") == "h")
        #expect(head.headers.values("X-A") == ["spaced  value", "second"])
        #expect(head.headers.first("empty") == "")
        #expect(head.headers.first("unicode") == "caf\u{e9}")
        #expect(head.headers.count == 5)
    }

    @Test(arguments: [
        ("OPTIONS * HTTP/1.1", "*"),
        ("CONNECT api.example.com:443 HTTP/1.1", "api.example.com:443"),
        ("CONNECT [::1]:8443 HTTP/1.1", "[::1]:8443"),
        ("GET http://acme.example.com:8080/clients/1?x=%20 HTTP/1.1", "http://acme.example.com:8080/clients/1?x=%20"),
        ("GET /a/b;c=d/e:f@g?q=[1]&r=%2F HTTP/1.1", "/a/b;c=d/e:f@g?q=[1]&r=%2F"),
    ])
    func targetFormsAreAcceptedWhereTheyBelong(requestLine: String, target: String) {
        let outcome = decodeRequests(requestLine + "\r\nHost: h\r\n\r\n")
        guard case .head(let head) = outcome.items.first else {
            Issue.record("rejected: \(String(describing: outcome.error))")
            return
        }
        #expect(head.target == target)
    }

    @Test func higherMinorVersionIsProcessedAsHTTP11() {
        let outcome = decodeRequests("GET / HTTP/1.7\r\nHost: h\r\n\r\n")
        guard case .head(let head) = outcome.items.first else {
            Issue.record("rejected: \(String(describing: outcome.error))")
            return
        }
        #expect(head.version == .http1_1)
        #expect(head.keepAlive)
        #expect(rejection("GET / HTTP/1.7\r\n\r\n") == 400, "HTTP/1.1 rules apply, so Host is required")
    }

    @Test(arguments: ["Host:\r\n", "Host: [2001:db8::1]:8080\r\n", "Host: a.b-c_d~e.example:\r\n", "Host: %41bc\r\n"])
    func validHostValuesAreAccepted(host: String) {
        #expect(rejection("GET / HTTP/1.1\r\n" + host + "\r\n") == nil)
    }

    @Test(arguments: ["Content-Length: 5, 5\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 005\r\n"])
    func identicalContentLengthsAreAccepted(fields: String) {
        let outcome = decodeRequests("POST / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\nhello")
        #expect(outcome.error == nil)
        #expect(outcome.items.dropFirst() == [.body("hello".bytes), .end])
    }

    @Test func transferEncodingIsCaseInsensitiveAndMayCarryEmptyListElements() {
        let outcome = decodeRequests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.items.dropFirst() == [.body("ok".bytes), .end])
    }

    @Test func decoderStaysFailedAfterAnError() throws {
        var decoder = HTTPRequestDecoder()
        let bad = "GET / HTTP/1.1\r\nHost : h\r\n\r\n".bytes
        let good = Self.simpleGet.bytes
        let first = #expect(throws: HTTPParseError.self) {
            try bad.withBytes { buffer throws(HTTPParseError) in _ = try decoder.decode(buffer) }
        }
        let second = #expect(throws: HTTPParseError.self) {
            try good.withBytes { buffer throws(HTTPParseError) in _ = try decoder.decode(buffer) }
        }
        #expect(first != nil && first == second)
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes from `offset` on, re-indexed from zero, as a caller would
    /// pass them after dropping the consumed prefix.
    func rebased(from offset: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[offset...])
    }
}
