import Dispatch
import GatewayTestSupport
import Glibc
import HTTPServer
import Testing

/// What the server holds for a peer that asks faster than it reads, and how
/// the header timeout treats bytes the server itself left unread.
@Suite("back-pressure and pauses", .serialized)
struct BackPressureTests {
    /// 2 000 pipelined requests for 16 KiB answers, sent at once: one read holds
    /// about 1 700 of them. Reading must pause once about 512 KiB of answers are
    /// queued, counting answers this event encoded but has not handed to the socket.
    @Test func answersEncodedInOneEventCountTowardsThePause() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port, timeoutSeconds: 10)
        let before = TestHandler.bigAnswers.load(ordering: .relaxed)
        let request = "GET /big/16384 HTTP/1.1\r\nHost: x\r\n\r\n"
        try client.send(String(repeating: request, count: 2_000))
        usleep(300_000)
        // The socket buffers take a few MiB at most; the rest waits unparsed.
        let handled = TestHandler.bigAnswers.load(ordering: .relaxed) - before
        #expect(handled < 1_000, "\(handled) answers were built for a peer that read none")
        for i in 0..<2_000 {
            let r = try client.readResponse()
            guard r.status == 200, r.body.count == 16_384 else {
                Issue.record("answer \(i): \(r.status), \(r.body.count) bytes")
                return
            }
        }
    }

    /// Requests left unread because the pipelining depth paused reading are not
    /// a slow client: the header timeout must not cut them off.
    @Test func aPauseOfTheServersOwnDoesNotRunTheHeaderTimeout() throws {
        let h = try ServerHarness(headerTimeout: .milliseconds(300))
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send(String(repeating: "GET /delay/600 HTTP/1.1\r\nHost: x\r\n\r\n", count: 100))
        for i in 0..<100 {
            let r = try client.readResponse()
            #expect(r.status == 200, "answer \(i)")
            if r.status != 200 { return }
        }
    }

    /// RFC 9112 §2.2 lets a client send a CRLF after a body; it is not the start
    /// of a request that the header timeout should end with a 408.
    @Test func aCRLFAfterABodyLeavesTheConnectionIdle() throws {
        let h = try ServerHarness(headerTimeout: .milliseconds(200), idleTimeout: .seconds(10))
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab\r\n")
        #expect(try client.readResponse().text == "ab")
        usleep(600_000)
        try client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try client.readResponse()
        #expect(r.status == 200)
        #expect(r.text == "hello /after")
    }

    /// An HTTP/1.0 client may take a `100 Continue` for its answer (RFC 9110
    /// §10.1.1): its expectation is ignored and the answer comes after the body.
    @Test func http10ClientsGetNoInterimAnswer() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("POST /echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        usleep(100_000)
        try client.send("ok")
        // Raw bytes: the client's decoder would skip an interim answer.
        let statusLine = "HTTP/1.1 200"
        #expect(String(decoding: try client.readExactly(statusLine.utf8.count), as: UTF8.self) == statusLine)
    }

    /// The answer to a closing request says `Connection: close` even when it was
    /// ready before an earlier one and waited for it.
    @Test func aClosingAnswerThatWaitedStillSaysClose() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.text == "200")
        #expect(first.header("Connection") == nil)
        let second = try client.readResponse()
        #expect(second.text == "hello /b")
        #expect(second.header("Connection") == "close")
        #expect(client.isClosedByPeer())
    }
}
