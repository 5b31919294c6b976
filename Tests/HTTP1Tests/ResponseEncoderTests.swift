import HTTP1
import Testing

/// The encoder measures the head and writes it in one pass; these tests hold
/// its output to the piece-by-piece serialisation it replaced, byte for byte.
@Suite struct ResponseEncoderTests {
    /// The former encoder, kept as the oracle: one `append` per piece.
    static func reference(
        status: Int, headers: HTTPHeaders, body: [UInt8], omitBody: Bool, close: Bool, http10: Bool, date: [UInt8]
    ) -> [UInt8] {
        var out: [UInt8] = []
        out += Array("HTTP/1.1 ".utf8)
        out += Array(String(status).utf8)
        out.append(UInt8(ascii: " "))
        HTTPStatus.reason(status).withUTF8Buffer { out.append(contentsOf: $0) }
        out += Array("\r\nDate: ".utf8)
        out += date
        out += Array("\r\nContent-Length: ".utf8)
        out += Array(String(body.count).utf8)
        if close {
            out += Array("\r\nConnection: close".utf8)
        } else if http10 {
            out += Array("\r\nConnection: keep-alive".utf8)
        }
        for (name, value) in headers {
            out += Array("\r\n".utf8) + Array(name.utf8) + Array(": ".utf8) + Array(value.utf8)
        }
        out += Array("\r\n\r\n".utf8)
        if !omitBody { out += body }
        return out
    }

    static func encoded(
        status: Int, headers: HTTPHeaders, body: [UInt8], omitBody: Bool, close: Bool, http10: Bool, date: [UInt8],
        after prefix: [UInt8] = []
    ) -> [UInt8] {
        var out = prefix
        body.withUnsafeBytes {
            ResponseEncoder.encode(
                status: status, headers: headers, body: $0, omitBody: omitBody, close: close, http10: http10,
                date: date, into: &out)
        }
        return out
    }

    static let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

    static let headerSets: [HTTPHeaders] = [
        HTTPHeaders(),
        ["Content-Type": "application/json; charset=utf-8"],
        [
            "Content-Type": "application/problem+json", "Cache-Control": "no-store",
            "X-Request-Id": "0123456789abcdef0123456789abcdef", "WWW-Authenticate": "Bearer",
        ],
        // Empty value, a long value (not a small string) and non-ASCII UTF-8.
        ["X-Empty": "", "X-Long": String(repeating: "v", count: 300), "X-Caf\u{E9}": "d\u{E9}j\u{E0} vu \u{1F600}"],
        HTTPHeaders((0..<40).map { ("X-Field-\($0)", String(repeating: "a", count: $0)) }),
    ]

    @Test(arguments: [100, 200, 204, 304, 404, 429, 500, 505, 599, 0, 7, 42, 1000])
    func matchesThePieceByPieceEncoding(status: Int) {
        let bodies: [[UInt8]] = [[], Array("ok".utf8), Array(repeating: 0x7A, count: 12_345)]
        for headers in Self.headerSets {
            for body in bodies {
                for (omitBody, close, http10) in [
                    (false, false, false), (true, false, false), (false, true, false),
                    (false, false, true), (true, true, true), (false, true, true),
                ] {
                    let expected = Self.reference(
                        status: status, headers: headers, body: body, omitBody: omitBody, close: close,
                        http10: http10, date: Self.date)
                    let actual = Self.encoded(
                        status: status, headers: headers, body: body, omitBody: omitBody, close: close,
                        http10: http10, date: Self.date)
                    #expect(actual == expected, "status \(status), \(headers.count) fields, body \(body.count)")
                }
            }
        }
    }

    @Test func appendsAfterWhatTheOutputAlreadyHolds() {
        let prefix = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
        let body = Array("{\"status\":\"ok\"}".utf8)
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        let actual = Self.encoded(
            status: 200, headers: headers, body: body, omitBody: false, close: false, http10: false,
            date: Self.date, after: prefix)
        let expected = prefix + Self.reference(
            status: 200, headers: headers, body: body, omitBody: false, close: false, http10: false, date: Self.date)
        #expect(actual == expected)
    }

    @Test func exactBytesOfATypicalAnswer() {
        let actual = Self.encoded(
            status: 200, headers: ["Content-Type": "text/plain"], body: Array("hi".utf8), omitBody: false,
            close: true, http10: false, date: Self.date)
        let expected = "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n"
            + "Connection: close\r\nContent-Type: text/plain\r\n\r\nhi"
        #expect(actual == Array(expected.utf8))
    }
}
