import HTTP1
import Testing

/// Limits are enforced as bytes arrive, before the offending part is complete.
@Suite struct RequestLimitsTests {
    static let limits = HTTPLimits()

    @Test func targetAtTheLimitIsAccepted() {
        let target = "/" + String(repeating: "a", count: Self.limits.maxTargetBytes - 1)
        #expect(rejection("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n") == nil)
    }

    @Test func targetOverTheLimitIs414() {
        let target = "/" + String(repeating: "a", count: Self.limits.maxTargetBytes)
        #expect(rejection("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n") == 414)
    }

    @Test func endlessRequestLineIs414BeforeItEnds() {
        let maxLine = Self.limits.maxTargetBytes + HTTPLimits.requestLineSlack
        let line = "GET /" + String(repeating: "a", count: maxLine - 5)
        #expect(line.utf8.count == maxLine)
        // A line of the longest length allowed may still get its CRLF.
        #expect(rejection(line + "\r") == nil)
        // One byte more cannot: the decoder must not wait for the CRLF.
        #expect(rejection(line + "a\r") == 414)
        #expect(rejection(line + "ab") == 414)
    }

    @Test func headOverTheLimitIs431BeforeItEnds() {
        var head = "GET / HTTP/1.1\r\nHost: h\r\n"
        while head.utf8.count <= Self.limits.maxHeadBytes {
            head += "X-Filler: " + String(repeating: "x", count: 100) + "\r\n"
        }
        #expect(rejection(head) == 431)
    }

    @Test func headExactlyAtTheLimitIsAccepted() {
        let base = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \r\n\r\n"
        let padding = String(repeating: "p", count: Self.limits.maxHeadBytes - base.utf8.count)
        let head = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \(padding)\r\n\r\n"
        #expect(head.utf8.count == Self.limits.maxHeadBytes)
        #expect(rejection(head) == nil)
        #expect(rejection("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \(padding)p\r\n\r\n") == 431)
    }

    @Test(arguments: [(100, nil), (101, 431)] as [(Int, Int?)])
    func fieldCountLimit(fields: Int, status: Int?) {
        var head = "GET / HTTP/1.1\r\nHost: h\r\n"
        for i in 1..<fields { head += "X-\(i): v\r\n" }
        #expect(rejection(head + "\r\n") == status)
        // Detected while the head is still arriving.
        if status != nil { #expect(rejection(head) == status) }
    }

    @Test func declaredContentLengthOverTheLimitIs413AtHeadTime() {
        let length = Self.limits.maxBodyBytes + 1
        #expect(rejection("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(length)\r\n\r\n") == 413)
        #expect(rejection("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(length - 1)\r\n\r\n") == nil)
    }

    @Test func overflowingContentLengthIs413() {
        #expect(rejection("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999999\r\n\r\n") == 413)
    }

    @Test func chunkedTotalOverTheLimitIs413AtTheChunkLine() {
        let small = HTTPLimits(maxBodyBytes: 10)
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        // 6 + 5 > 10: refused on reading the second size, before its data.
        let outcome = decodeRequests(head + "6\r\nabcdef\r\n5\r\n", limits: small)
        #expect(outcome.error?.status == 413)
        #expect(outcome.items.dropFirst() == [.body("abcdef".bytes)])
        #expect(decodeRequests(head + "6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n", limits: small).error == nil)
    }

    @Test func hugeChunkSizeIs413WithoutOverflow() {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(rejection(head + "ffffffffffffffffffffffff\r\n") == 413)
        #expect(rejection(head + "00000000000000000000000000000001\r\nx\r\n0\r\n\r\n") == nil, "leading zeros are not size")
    }

    @Test func chunkLineOverTheLimitIs400() {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let longExtension = "1;e=" + String(repeating: "v", count: Self.limits.maxChunkLineBytes)
        #expect(rejection(head + longExtension) == 400)
    }

    @Test func trailerSectionOverTheLimitIs431() {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let trailer = "T: " + String(repeating: "t", count: Self.limits.maxTrailerBytes) + "\r\n"
        #expect(rejection(head + "0\r\n" + trailer) == 431)
    }

    @Test(arguments: [
        ("GET /123456789 HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        ("GET /12345678901234567890123456789012345678901234567890123456789012345678901234567890", 414),
        ("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: h\r\nA: " + String(repeating: "a", count: 66) + "\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: h\r\nA: " + String(repeating: "a", count: 70), 431),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 123456789012345678901234567890\r\n", 431),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;a=1234567890123456789", 400),
    ])
    func customLimitsApplyWhateverTheSplit(message: String, status: Int) {
        // The request line may be 8 + 64 bytes long, inside the 96-byte head.
        let tight = HTTPLimits(maxTargetBytes: 8, maxHeadBytes: 96, maxHeaderFields: 2, maxBodyBytes: 16,
                               maxChunkLineBytes: 16, maxTrailerBytes: 24)
        let outcome = expectSplitInvariant(message.bytes) { decodeRequests($0, limits: tight) }
        #expect(outcome.error?.status == status)
    }
}
