import HTTP1
import Testing

/// One case per rule of RFC 9112 / RFC 9110 the request decoder enforces.
@Suite struct RequestRejectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var rule: String
        var message: String
        var status: Int
        var testDescription: String { rule }
    }

    static func get(_ fields: String, version: String = "HTTP/1.1") -> String {
        "GET / \(version)\r\nHost: h\r\n\(fields)\r\n"
    }

    static func post(_ fields: String, body: String = "") -> String {
        "POST / HTTP/1.1\r\nHost: h\r\n\(fields)\r\n\(body)"
    }

    static func chunked(_ body: String) -> String {
        post("Transfer-Encoding: chunked\r\n", body: body)
    }

    static let framingCases: [Case] = [
        Case(rule: "Content-Length with Transfer-Encoding", message: post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), status: 400),
        Case(rule: "Transfer-Encoding before Content-Length", message: post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", body: "0\r\n\r\n"), status: 400),
        Case(rule: "differing Content-Length lines", message: post("Content-Length: 5\r\nContent-Length: 6\r\n", body: "hello!"), status: 400),
        Case(rule: "differing Content-Length list", message: post("Content-Length: 5, 6\r\n", body: "hello!"), status: 400),
        Case(rule: "Content-Length letters", message: post("Content-Length: abc\r\n"), status: 400),
        Case(rule: "Content-Length negative", message: post("Content-Length: -1\r\n"), status: 400),
        Case(rule: "Content-Length plus sign", message: post("Content-Length: +5\r\n", body: "hello"), status: 400),
        Case(rule: "Content-Length hex", message: post("Content-Length: 0x5\r\n", body: "hello"), status: 400),
        Case(rule: "Content-Length empty", message: post("Content-Length:\r\n"), status: 400),
        Case(rule: "Content-Length empty list element", message: post("Content-Length: 5,\r\n", body: "hello"), status: 400),
        Case(rule: "Content-Length inner space", message: post("Content-Length: 1 2\r\n"), status: 400),
        Case(rule: "Content-Length decimal", message: post("Content-Length: 1.0\r\n"), status: 400),
        Case(rule: "final coding not chunked", message: post("Transfer-Encoding: chunked, gzip\r\n"), status: 400),
        Case(rule: "coding without chunked", message: post("Transfer-Encoding: gzip\r\n"), status: 400),
        Case(rule: "identity coding", message: post("Transfer-Encoding: identity\r\n"), status: 400),
        Case(rule: "chunked with parameters", message: post("Transfer-Encoding: chunked;q=1\r\n"), status: 400),
        Case(rule: "chunked twice", message: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), status: 400),
        Case(rule: "empty Transfer-Encoding", message: post("Transfer-Encoding: \r\n"), status: 400),
        Case(rule: "other coding before chunked", message: post("Transfer-Encoding: gzip, chunked\r\n"), status: 501),
        Case(rule: "unknown coding on its own line", message: post("Transfer-Encoding: x-custom\r\nTransfer-Encoding: chunked\r\n"), status: 501),
        Case(rule: "Transfer-Encoding in HTTP/1.0", message: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
    ]

    static let fieldCases: [Case] = [
        Case(rule: "obs-fold", message: get("X-A: one\r\n two\r\n"), status: 400),
        Case(rule: "obs-fold with tab", message: get("X-A: one\r\n\ttwo\r\n"), status: 400),
        Case(rule: "whitespace before first field", message: "GET / HTTP/1.1\r\n Host: h\r\n\r\n", status: 400),
        Case(rule: "space before colon", message: "GET / HTTP/1.1\r\nHost : h\r\n\r\n", status: 400),
        Case(rule: "tab before colon", message: get("X-A\t: 1\r\n"), status: 400),
        Case(rule: "empty field name", message: get(": value\r\n"), status: 400),
        Case(rule: "no colon", message: get("X-A value\r\n"), status: 400),
        Case(rule: "non-tchar in field name", message: get("X@A: 1\r\n"), status: 400),
        Case(rule: "non-ASCII in field name", message: get("X-\u{e9}: 1\r\n"), status: 400),
        Case(rule: "NUL in value", message: get("X-A: a\u{0}b\r\n"), status: 400),
        Case(rule: "CTL in value", message: get("X-A: a\u{1}b\r\n"), status: 400),
        Case(rule: "DEL in value", message: get("X-A: a\u{7f}b\r\n"), status: 400),
        Case(rule: "ESC in value", message: get("X-A: a\u{1b}[31mb\r\n"), status: 400),
        Case(rule: "bare CR in value", message: get("X-A: a\rb\r\n"), status: 400),
        Case(rule: "CR CR LF", message: get("X-A: a\r\r\n"), status: 400),
        Case(rule: "bare LF ending a field", message: "GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n", status: 400),
        Case(rule: "bare LF everywhere", message: "GET / HTTP/1.1\nHost: h\n\n", status: 400),
        Case(rule: "bare LF ending the head", message: "GET / HTTP/1.1\r\nHost: h\r\n\n", status: 400),
        Case(rule: "bare LF before request line", message: "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "bare CR before request line", message: "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "too many empty lines", message: String(repeating: "\r\n", count: 5) + get(""), status: 400),
    ]

    static let requestLineCases: [Case] = [
        Case(rule: "non-tchar in method", message: "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "empty method", message: " / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "two spaces after method", message: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "two spaces before version", message: "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "tab separator", message: "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "trailing space", message: "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "no version", message: "GET /\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "lowercase version", message: "GET / http/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "two-digit minor", message: "GET / HTTP/1.10\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "two-digit major", message: "GET / HTTP/11.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "version without minor", message: "GET / HTTP/1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "HTTP/2.0", message: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", status: 505),
        Case(rule: "HTTP/0.9 token", message: "GET / HTTP/0.9\r\n\r\n", status: 505),
        Case(rule: "HTTP/3.0", message: "GET / HTTP/3.0\r\nHost: h\r\n\r\n", status: 505),
        Case(rule: "space in target", message: "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "CTL in target", message: "GET /a\u{1}b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "non-ASCII in target", message: "GET /caf\u{e9} HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "fragment in target", message: "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "brace in target", message: "GET /{id} HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "backslash in target", message: "GET /a\\..\\b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "bad percent-encoding", message: "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "truncated percent-encoding", message: "GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "relative target", message: "GET clients/1 HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "asterisk with GET", message: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "authority-form with GET", message: "GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "CONNECT with origin-form", message: "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "CONNECT without port", message: "CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "absolute-form without host", message: "GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "absolute-form with userinfo", message: "GET http://u:p@h/a HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Case(rule: "absolute-form without slashes", message: "GET http:h/a HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    ]

    static let hostCases: [Case] = [
        Case(rule: "HTTP/1.1 without Host", message: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400),
        Case(rule: "two Host lines", message: get("Host: h\r\n"), status: 400),
        Case(rule: "two Host lines in HTTP/1.0", message: "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        Case(rule: "Host list", message: "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", status: 400),
        Case(rule: "Host with userinfo", message: "GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", status: 400),
        Case(rule: "Host with bad port", message: "GET / HTTP/1.1\r\nHost: h:8o\r\n\r\n", status: 400),
        Case(rule: "Host with path", message: "GET / HTTP/1.1\r\nHost: h/x\r\n\r\n", status: 400),
        Case(rule: "Host with unclosed IP-literal", message: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", status: 400),
    ]

    static let chunkCases: [Case] = [
        Case(rule: "chunk size not hex", message: chunked("g\r\n"), status: 400),
        Case(rule: "empty chunk size", message: chunked("\r\n"), status: 400),
        Case(rule: "negative chunk size", message: chunked("-1\r\n"), status: 400),
        Case(rule: "0x chunk size", message: chunked("0x5\r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "space after chunk size", message: chunked("5 \r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "space inside chunk size", message: chunked("1 0\r\n"), status: 400),
        Case(rule: "missing CRLF after data", message: chunked("5\r\nhelloX\r\n0\r\n\r\n"), status: 400),
        Case(rule: "LF only after data", message: chunked("5\r\nhello\n0\r\n\r\n"), status: 400),
        Case(rule: "data longer than size", message: chunked("3\r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "bare LF after chunk size", message: chunked("5\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "bare CR after chunk size", message: chunked("5\rhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "extension without name", message: chunked("5;=v\r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "extension name not a token", message: chunked("5;a(b\r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "extension with empty value", message: chunked("5;a=\r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "unterminated quoted extension", message: chunked("5;a=\"v\r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "CTL in quoted extension", message: chunked("5;a=\"\u{1}\"\r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "extension ending in whitespace", message: chunked("5;a \r\nhello\r\n0\r\n\r\n"), status: 400),
        Case(rule: "obs-fold in trailer", message: chunked("0\r\nT: a\r\n b\r\n\r\n"), status: 400),
        Case(rule: "bad trailer name", message: chunked("0\r\nT U: a\r\n\r\n"), status: 400),
        Case(rule: "bare LF ending trailers", message: chunked("0\r\nT: a\r\n\n"), status: 400),
        Case(rule: "bare LF ending last chunk", message: chunked("0\r\n\n"), status: 400),
    ]

    @Test(arguments: framingCases)
    func framing(_ c: Case) { check(c) }

    @Test(arguments: fieldCases)
    func fieldLines(_ c: Case) { check(c) }

    @Test(arguments: requestLineCases)
    func requestLine(_ c: Case) { check(c) }

    @Test(arguments: hostCases)
    func host(_ c: Case) { check(c) }

    @Test(arguments: chunkCases)
    func chunks(_ c: Case) { check(c) }

    /// The status is as expected, no head is emitted before a head-level
    /// error, the reason never echoes input, and the verdict does not depend
    /// on how the bytes arrive.
    private func check(_ c: Case, sourceLocation: SourceLocation = #_sourceLocation) {
        let outcome = expectSplitInvariant(c.message.bytes, sourceLocation: sourceLocation) { decodeRequests($0) }
        #expect(outcome.error?.status == c.status, "\(c.rule): \(outcome)", sourceLocation: sourceLocation)
        if let reason = outcome.error?.reason {
            #expect(!reason.isEmpty && reason.utf8.count < 60 && reason.allSatisfy { $0.isASCII && !$0.isNewline })
        }
    }

    @Test func invalidUTF8InFieldValueIsRejected() {
        var bytes = Self.get("X-A: ").bytes
        bytes.removeLast(2)
        bytes += [0xC3, 0x28, 0x0D, 0x0A, 0x0D, 0x0A]
        #expect(decodeRequests([bytes]).error?.status == 400)
    }

    @Test func fourEmptyLinesAreTolerated() {
        #expect(rejection(String(repeating: "\r\n", count: 4) + Self.get("")) == nil)
    }
}
