import HTTP1
import Testing

/// Inputs found by Fuzz/ (libFuzzer targets and the llhttp differential test,
/// see Fuzz/README.md), kept byte for byte so a fixed bug stays fixed.
struct FuzzRegressionTests {
    /// scripts/differential.sh, seed 1: llhttp rejects a chunked request whose
    /// trailer section carries Content-Length or Transfer-Encoding; the
    /// gateway accepted it and dropped the trailer. A framing field in the
    /// trailers is forbidden (RFC 9110 §6.5.1) and only useful for smuggling
    /// through a parser that merges trailers, so it is now a 400.
    @Test(arguments: [
        "Content-Length: 5", "content-length: 0", "Transfer-Encoding: chunked", "TRANSFER-ENCODING:identity",
    ])
    func framingFieldInTrailersIsRejected(trailer: String) {
        let message = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\(trailer)\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = expectSplitInvariant(message.bytes) { decodeRequests($0) }
        #expect(outcome.error == HTTPParseError(status: 400, reason: "framing field in trailer section"))
        #expect(outcome.items.count == 1, "only the head is reported before the trailer fails")
    }

    /// The same trailer from an upstream is a broken response (502).
    @Test func framingFieldInResponseTrailersIs502() {
        let message = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nContent-Length: 1\r\n\r\n"
        let outcome = decodeResponses([message.bytes])
        #expect(outcome.error?.status == 502)
    }

    /// Other trailer fields are still validated and dropped.
    @Test func ordinaryTrailersStillPass() {
        let message = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nContent-Lengths: 5\r\nX-Checksum: 1\r\n\r\n"
        let outcome = decodeRequests(message)
        #expect(outcome.error == nil)
        #expect(outcome.items.last == .end)
    }
}
