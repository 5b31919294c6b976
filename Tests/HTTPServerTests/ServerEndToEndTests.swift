import Dispatch
import EventLoop
import GatewayTestSupport
import Glibc
import HTTP1
import HTTPServer
import Testing

@Suite("HTTP server end to end", .serialized)
struct ServerEndToEndTests {
    @Test func thousandKeepAliveRequestsOnOneConnection() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        for i in 0..<1_000 {
            try client.send("GET /n/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try client.readResponse()
            #expect(r.status == 200)
            #expect(r.text == "hello /n/\(i)")
            #expect(r.header("Connection") == nil)
            #expect(r.header("Date")?.hasSuffix(" GMT") == true)
        }
    }

    @Test(arguments: HTTPServerConfiguration.AcceptStrategy.allCases)
    func hundredPipelinedRequestsAreAnsweredInOrder(strategy: HTTPServerConfiguration.AcceptStrategy) throws {
        let h = try ServerHarness(strategy: strategy)
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        var batch = ""
        for i in 0..<100 {
            // Early requests answer late, so later answers are ready first and must wait.
            let path = i % 3 == 0 ? "/delay/\((100 - i) % 17)" : "/p/\(i)"
            batch += "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n"
        }
        try client.send(batch)
        for i in 0..<100 {
            let r = try client.readResponse()
            let expected = i % 3 == 0 ? String((100 - i) % 17) : "hello /p/\(i)"
            #expect(r.text == expected, "answer \(i)")
        }
    }

    @Test func headAnswersCarryTheLengthButNoBody() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.header("Content-Length") == "8")
        #expect(head.body.isEmpty)
        let get = try client.readResponse()
        #expect(get.text == "hello /y")
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let plain = try RawClient(port: h.port)
        try plain.send("GET /a HTTP/1.0\r\n\r\n")
        let r = try plain.readResponse()
        #expect(r.header("Connection") == "close")
        #expect(plain.isClosedByPeer())

        let kept = try RawClient(port: h.port)
        try kept.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try kept.readResponse().header("Connection") == "keep-alive")
        try kept.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try kept.readResponse().text == "hello /b")
    }

    @Test func connectionCloseIsHonoured() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try client.readResponse()
        #expect(r.header("Connection") == "close")
        // The pipelined request after the closing one is not answered.
        #expect(client.isClosedByPeer())
    }

    @Test func bodiesByLengthAndChunkedAreRead() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try client.readResponse().text == "hello")
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n")
        #expect(try client.readResponse().text == "abcde")
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        let interim = "HTTP/1.1 100 Continue\r\n\r\n"
        #expect(String(decoding: try client.readExactly(interim.utf8.count), as: UTF8.self) == interim)
        try client.send("ok")
        #expect(try client.readResponse().text == "ok")
    }

    /// Reads are parsed in the loop's next batch; a request whose end of stream
    /// follows at once (a half-close) is still parsed and answered first.
    @Test func aRequestFollowedByHalfCloseIsAnswered() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        for _ in 0..<50 {
            let client = try RawClient(port: h.port)
            try client.send("GET /half HTTP/1.1\r\nHost: x\r\n\r\n")
            shutdown(client.fd, Int32(SHUT_WR))
            let r = try client.readResponse()
            #expect(r.status == 200 && r.text == "hello /half")
            #expect(client.isClosedByPeer())
        }
    }

    /// Requests delivered in the same call as the end of stream (a TLS stream's
    /// last record with `close_notify`) are parsed before the end is taken in,
    /// and answered.
    @Test func requestsDeliveredWithTheEndOfStreamAreAnswered() throws {
        let h = try ServerHarness(streamFactory: { EndTogetherStream($0) })
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        shutdown(client.fd, Int32(SHUT_WR))
        #expect(try client.readResponse().text == "hello /one")
        #expect(try client.readResponse().text == "hello /two")
        #expect(client.isClosedByPeer())
    }

    /// Many connections' requests arriving together are parsed in one batch and
    /// answered in its second phase: each connection gets its own answers, in order.
    @Test func requestsOfManyConnectionsAtOnceGetTheirOwnAnswers() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let clients = try (0..<64).map { _ in try RawClient(port: h.port) }
        for round in 0..<5 {
            for (i, c) in clients.enumerated() {
                try c.send("GET /c/\(i)/\(round)/a HTTP/1.1\r\nHost: x\r\n\r\nGET /c/\(i)/\(round)/b HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            for (i, c) in clients.enumerated() {
                #expect(try c.readResponse().text == "hello /c/\(i)/\(round)/a")
                #expect(try c.readResponse().text == "hello /c/\(i)/\(round)/b")
            }
        }
    }

    /// A burst larger than the unparsed-input bound is parsed as it comes, not
    /// held for the batch: a body of several buffers' worth, and a request behind it.
    @Test func aLargeBurstIsParsedAsItArrives() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        let body = (0..<(600 * 1024)).map { UInt8(ascii: "a") &+ UInt8($0 % 26) }
        var bytes = Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        bytes += body
        bytes += Array("GET /after HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        try client.send(bytes)
        let echoed = try client.readResponse()
        #expect(echoed.status == 200)
        #expect(echoed.body == body)
        #expect(try client.readResponse().text == "hello /after")
    }

    static let rejections: [(String, Int)] = [
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX@A: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
        ("GET / HTTP/3.7\r\nHost: x\r\n\r\n", 505),
        ("GET / HTTQ/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ]

    @Test(arguments: rejections)
    func hostileRequestsAreRejectedAndTheConnectionClosed(raw: String, status: Int) throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send(raw)
        let r = try client.readResponse()
        #expect(r.status == status)
        #expect(r.header("Connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func limitsAreEnforced() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        func status(_ raw: String) throws -> Int {
            let c = try RawClient(port: h.port)
            try c.send(raw)
            return try c.readResponse().status
        }
        let longTarget = "/" + String(repeating: "a", count: 9_000)
        #expect(try status("GET \(longTarget) HTTP/1.1\r\nHost: x\r\n\r\n") == 414)
        let bigField = "X-Big: " + String(repeating: "b", count: 17_000) + "\r\n"
        #expect(try status("GET / HTTP/1.1\r\nHost: x\r\n\(bigField)\r\n") == 431)
        let manyFields = (0..<101).map { "X-\($0): v\r\n" }.joined()
        #expect(try status("GET / HTTP/1.1\r\nHost: x\r\n\(manyFields)\r\n") == 431)
        #expect(try status("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n") == 413)
        let chunk = String(repeating: "c", count: 600_000)
        #expect(try status(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "927C0\r\n\(chunk)\r\n927C0\r\n\(chunk)\r\n0\r\n\r\n") == 413)
    }

    @Test func headerTimeoutAnswers408AndCloses() throws {
        let h = try ServerHarness(headerTimeout: .milliseconds(200))
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n")
        let start = DispatchTime.now()
        let r = try client.readResponse()
        let waited = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        #expect(r.status == 408)
        #expect(waited >= 0.15 && waited < 5)
        #expect(client.isClosedByPeer())
    }

    @Test func idleTimeoutClosesAQuietKeepAliveConnection() throws {
        let h = try ServerHarness(idleTimeout: .milliseconds(200))
        defer { h.stop() }
        let client = try RawClient(port: h.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        let start = DispatchTime.now()
        #expect(client.isClosedByPeer())
        let waited = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        #expect(waited >= 0.15 && waited < 5)
    }

    @Test func ipv6Works() throws {
        let h = try ServerHarness(host: "::1")
        defer { h.stop() }
        let client = try RawClient(host: "::1", port: h.port)
        try client.send("GET /six HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "hello /six")
    }

    @Test func maxConnectionsMakesFurtherConnectionsWaitInTheBacklog() throws {
        let h = try ServerHarness(maxConnections: 2)
        defer { h.stop() }
        let a = try RawClient(port: h.port)
        let b = try RawClient(port: h.port)
        try a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        try b.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try a.readResponse().status == 200)
        #expect(try b.readResponse().status == 200)
        // The third connects (the kernel's backlog) but is not served while two are open.
        let c = try RawClient(port: h.port, timeoutSeconds: 1)
        try c.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(throws: RawClient.ClientError.self) { try c.readResponse() }
        #expect(h.server.openConnections == 2)
        try a.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _ = try a.readResponse()
        // Once a slot frees, the waiting connection is taken and answered.
        #expect(try c.readResponse().text == "hello /c")
    }
}
