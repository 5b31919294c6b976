import Dispatch
import Foundation
import GatewayTestSupport
import Glibc
import HTTP1
import Testing

/// The fake upstream's own checks: each behaviour as a client on a socket sees it.
@Suite("fake Daftra upstream")
struct FakeDaftraTests {
    private static func request(_ path: String, _ headers: [(String, String)] = []) -> String {
        var text = "GET \(path) HTTP/1.1\r\nHost: upstream\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    private static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func defaultBehaviourMimicsDaftraOnOneKeepAliveConnection() throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        let bearer = [("Authorization", "Bearer t0k3n")]

        try client.send(Self.request("/acme/api2/clients/715.json", bearer))
        let ok = try client.readResponse()
        #expect(ok.status == 200)
        #expect(ok.header("Content-Length") == "\(ok.body.count)")
        #expect(ok.body == FakeDaftra.envelope(client: try #require(FakeDaftra.clients[715])))
        let envelope = try Self.json(ok.body)
        #expect(envelope["code"] as? Int == 200)
        let client715 = try #require((envelope["data"] as? [String: Any])?["Client"] as? [String: Any])
        #expect(client715["business_name"] as? String == "مؤسسة الأمل للتجارة")

        try client.send(Self.request("/api2/clients/2.json", [("apikey", "k")]))
        let arabic = try Self.json(try client.readResponse().body)
        let client2 = try #require((arabic["data"] as? [String: Any])?["Client"] as? [String: Any])
        #expect(client2["business_name"] as? String == "شركة النور")

        let refusals: [(String, [(String, String)], Int, String)] = [
            ("/acme/api2/clients/715.json", [], 401, "Unauthorized"),
            ("/acme/api2/clients/715.json", bearer + [("apikey", "k")], 401, "Unauthorized"),
            ("/acme/api2/clients/715.json", [("Authorization", "Bearer \(FakeDaftra.rejectedCredential)")], 401, "Unauthorized"),
            ("/acme/api2/clients/99.json", bearer, 404, "Item not found"),
            ("/acme/api2/invoices/1.json", bearer, 404, "Invalid Endpoint"),
        ]
        for (path, headers, status, message) in refusals {
            try client.send(Self.request(path, headers))
            let answer = try client.readResponse()
            #expect(answer.status == status, "\(path) \(headers)")
            let body = try Self.json(answer.body)
            #expect(body["result"] as? String == "failed")
            #expect(body["code"] as? Int == status)
            #expect(body["message"] as? String == message)
        }

        #expect(fake.connectionCount == 1)
        let seen = fake.requests
        #expect(seen.count == 2 + refusals.count)
        #expect(seen.map(\.index) == Array(0..<seen.count))
        #expect(seen.allSatisfy { $0.connection == 1 && $0.method == "GET" })
        #expect(seen[0].subdomain == "acme" && seen[0].clientID == 715)
        #expect(seen[1].subdomain == nil && seen[1].clientID == 2)
        #expect(seen[0].headers.first("authorization") == "Bearer t0k3n")
        #expect(fake.malformedRequestCount == 0)
    }

    @Test func lengthFramedAnswerKeepsGivenHeadersAndHonoursConnectionClose() throws {
        let body = Array(#"{"x":1}"#.utf8)
        let fake = try FakeDaftra { _ in .json(status: 503, body: body, headers: [("Retry-After", "7")]) }
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        try client.send(Self.request("/a", [("Connection", "close")]))
        let answer = try client.readResponse()
        #expect(answer.status == 503 && answer.body == body)
        #expect(answer.header("Retry-After") == "7")
        #expect(answer.header("Content-Type") == "application/json")
        #expect(answer.header("Connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test(arguments: [false, true])
    func chunkedAnswersDecodeToTheBody(extras: Bool) throws {
        let body = FakeDaftra.envelope(client: try #require(FakeDaftra.clients[2]))
        let fake = try FakeDaftra { _ in .chunked(status: 200, body: body, chunkSize: 100, extensionsAndTrailers: extras) }
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        for _ in 0..<2 {
            try client.send(Self.request("/c"))
            let answer = try client.readResponse()
            #expect(answer.header("Transfer-Encoding") == "chunked")
            #expect(answer.header("Content-Length") == nil)
            #expect(answer.body == body)
        }
        // The wire itself: extensions and a trailer only when asked for.
        let raw = try RawClient(port: fake.port)
        try raw.send(Self.request("/c", [("Connection", "close")]))
        let text = String(decoding: try raw.readToEnd(), as: UTF8.self)
        #expect(text.contains(";x=1\r\n") == extras)
        #expect(text.hasSuffix(extras ? "0;done\r\nX-Checksum: \(body.count)\r\n\r\n" : "\r\n0\r\n\r\n"))
    }

    @Test(arguments: [false, true])
    func gzipAnswersAreRealGzip(chunked: Bool) throws {
        let body = FakeDaftra.envelope(client: try #require(FakeDaftra.clients[715]))
        let fake = try FakeDaftra { _ in .gzip(status: 200, body: body, chunked: chunked) }
        defer { fake.stop() }
        let answer = try RawClient.get("/g", port: fake.port)
        #expect(answer.header("Content-Encoding") == "gzip")
        #expect(answer.header("Transfer-Encoding") == (chunked ? "chunked" : nil))
        #expect(Array(answer.body.prefix(2)) == [0x1f, 0x8b])
        #expect(answer.body.count < body.count)
        #expect(try Self.gunzip(answer.body) == body)
    }

    @Test func closeDelimitedBodyEndsAtClose() throws {
        let body = Array("no length here".utf8)
        let fake = try FakeDaftra { _ in .closeDelimited(status: 200, body: body) }
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        try client.send(Self.request("/x"))
        let answer = try client.readResponse()
        #expect(answer.header("Content-Length") == nil && answer.header("Transfer-Encoding") == nil)
        #expect(answer.body == body)
        #expect(client.isClosedByPeer())
    }

    @Test func staleKeepAliveConnectionClosesWithoutAnswer() throws {
        let fake = try FakeDaftra { $0.index == 1 ? .closeWithoutAnswer : FakeDaftra.daftra($0) }
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        let path = "/acme/api2/clients/1.json"
        try client.send(Self.request(path, [("apikey", "k")]))
        #expect(try client.readResponse().status == 200)
        try client.send(Self.request(path, [("apikey", "k")]))
        #expect(try client.readToEnd().isEmpty)
        // A retry on a new connection works; the fake saw both connections.
        #expect(try RawClient.get(path, port: fake.port, headers: [("apikey", "k")]).status == 200)
        #expect(fake.connectionCount == 2)
        #expect(fake.requests.map(\.connection) == [1, 1, 2])
    }

    @Test func resetMidBodyDeliversPartOfTheBodyThenResets() throws {
        let fake = try FakeDaftra { _ in .resetMidBody(status: 200, declaredLength: 100, sendBytes: Array("{\"code\":".utf8)) }
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        try client.send(Self.request("/r"))
        // The decoder sees the connection end 92 bytes short of the declared length.
        #expect(throws: HTTPParseError.self) { try client.readResponse() }
        let raw = try RawClient(port: fake.port)
        try raw.send(Self.request("/r"))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var lastError: Int32 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(raw.fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received.append(contentsOf: buffer[..<n]); continue }
            lastError = n < 0 ? errno : 0
            break
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.contains("Content-Length: 100\r\n"))
        #expect(text.hasSuffix("\r\n\r\n{\"code\":"))
        #expect(lastError == ECONNRESET)
    }

    @Test func rawBytesAreSentVerbatim() throws {
        let garbage: [UInt8] = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!".utf8) + [0, 0xff]
        let fake = try FakeDaftra { $0.target == "/close" ? .raw(garbage, thenClose: true) : .raw(Array("x".utf8), thenClose: false) }
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        try client.send(Self.request("/open"))
        #expect(try client.readExactly(1) == Array("x".utf8))
        try client.send(Self.request("/close"))
        #expect(try client.readToEnd() == garbage)
        #expect(fake.connectionCount == 1)
    }

    @Test func interimContinueThenDelayedAnswer() throws {
        let fake = try FakeDaftra { _ in .interim100(then: .delay(0.4, then: .json(status: 200, body: Array("{}".utf8)))) }
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        let start = DispatchTime.now()
        try client.send(Self.request("/d"))
        #expect(try client.readExactly(25) == Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        // The interim answer came first; the final one is still being delayed.
        var poller = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 0) == 0)
        let answer = try client.readResponse()
        let end = DispatchTime.now()
        #expect(answer.status == 200 && answer.text == "{}")
        #expect(end.uptimeNanoseconds - start.uptimeNanoseconds >= 400_000_000)
    }

    @Test func malformedRequestIsRejectedAndCounted() throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        let client = try RawClient(port: fake.port)
        try client.send("GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
        #expect(try client.readResponse().status == 400)
        #expect(client.isClosedByPeer())
        #expect(fake.malformedRequestCount == 1)
        #expect(fake.requests.isEmpty)
    }

    @Test func stopClosesHangingConnectionsAndTheListener() throws {
        let fake = try FakeDaftra { _ in .hang }
        let port = fake.port
        let client = try RawClient(port: port)
        try client.send(Self.request("/h"))
        #expect(fake.waitForRequests(1))
        var poller = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 150) == 0, "a hanging request gets no byte")
        #expect(fake.openConnectionCount == 1)
        #expect(fake.runningThreadCount == 2, "the accept thread and one per connection")

        let start = DispatchTime.now()
        fake.stop()
        #expect(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds < 2_000_000_000)
        #expect(fake.openConnectionCount == 0)
        #expect(fake.runningThreadCount == 0)
        #expect(try client.readToEnd().isEmpty)
        #expect(throws: RawClient.ClientError.self) { try RawClient(port: port) }
        fake.stop()  // idempotent
    }

    @Test func behaviourCanBeSwappedWhileRunning() throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        fake.behaviour = { _ in .json(status: 500, body: FakeDaftra.errorBody(status: 500, message: "Internal Server Error")) }
        let answer = try RawClient.get("/acme/api2/clients/1.json", port: fake.port, headers: [("apikey", "k")])
        #expect(answer.status == 500)
        #expect(answer.text == #"{"result":"failed","code":500,"message":"Internal Server Error"}"#)
    }

    /// Decompresses with the system's gzip, independently of the fake's encoder.
    private static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fake-test-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(bytes).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        process.arguments = ["-dc", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return [UInt8](data)
    }
}
