import Foundation
import GatewayTestSupport
import Glibc
import HTTP1
import HTTPServer
import Testing

@testable import Gateway

/// Rows of the contract's error table that the other suites do not reach through
/// the gateway itself: upstream connect timeout and name resolution, and the
/// requests the codec rejects, answered by ``GatewayHandler`` (not a test handler).
@Suite("error table through the gateway", .serialized)
struct ErrorTableTests {
    /// The problem document of `r`, after the checks every problem answer shares:
    /// the media type, `type` and `status` of `kind`, and a `request_id` that is
    /// also the `X-Request-Id` header.
    @discardableResult
    static func expectProblem(
        _ r: RawClient.Response, _ kind: GatewayError.Kind, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        #expect(r.status == kind.status, sourceLocation: sourceLocation)
        #expect(r.header("Content-Type") == "application/problem+json", sourceLocation: sourceLocation)
        let p = try #require(
            JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any], sourceLocation: sourceLocation)
        #expect(p["type"] as? String == "urn:daftra-gateway:problem:\(kind.rawValue)", sourceLocation: sourceLocation)
        #expect(p["status"] as? Int == kind.status, sourceLocation: sourceLocation)
        let id = p["request_id"] as? String
        #expect(id?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(r.header("X-Request-Id") == id, sourceLocation: sourceLocation)
        return p
    }

    // MARK: Upstream rows

    /// A connect that never completes is the connect timeout's, not the (much
    /// longer) upstream timeout's: 504 after about the connect timeout.
    @Test func anUpstreamThatNeverAcceptsIs504AfterTheConnectTimeout() throws {
        let hole = try BlackHole()
        let g = try GatewayFixture([
            "--upstream", "http://127.0.0.1:\(hole.port)/{subdomain}/api2",
            "--upstream-connect-timeout", "400ms", "--upstream-timeout", "20s",
        ])
        defer { g.stop() }
        let start = Date()
        let r = try RawClient.get("/clients/1", port: g.port, headers: acmeBearer)
        let waited = Date().timeIntervalSince(start)
        let p = try Self.expectProblem(r, .upstreamTimeout)
        #expect((p["detail"] as? String)?.contains("connect") == true, "\(p)")
        // At least the connect timeout, and far less than the upstream timeout.
        #expect(waited >= 0.35 && waited < 10, "waited \(waited)s for a 400ms connect timeout")
        withExtendedLifetime(hole) {}
    }

    /// A host name that cannot resolve (`.invalid` never does, RFC 6761) is 502
    /// upstream-unreachable, and nothing of the lookup's error leaks.
    @Test func anUpstreamNameThatDoesNotResolveIs502() throws {
        let g = try GatewayFixture([
            "--upstream", "http://{subdomain}.daftra-gateway-test.invalid/api2", "--upstream-timeout", "20s",
        ])
        defer { g.stop() }
        let r = try RawClient.get("/clients/1", port: g.port, headers: acmeBearer)
        let p = try Self.expectProblem(r, .upstreamUnreachable)
        #expect((p["detail"] as? String)?.contains("resolved") == true, "\(p)")
        #expect(!r.text.contains("t0k"))
    }

    // MARK: Requests the codec rejects

    /// Each rejection is answered by the gateway's handler with its problem type,
    /// says `Connection: close`, ends the connection with a FIN (not a reset), and
    /// leaves an access-log line with the same request id.
    static let rejections: [(String, GatewayError.Kind)] = [
        ("head too large", .headersTooLarge), ("too many fields", .headersTooLarge), ("target too long", .uriTooLong),
    ]

    /// The request named `name` (built here, not passed as an argument: the
    /// testing library would print many kilobytes of it).
    static func rawRequest(_ name: String) -> String {
        switch name {
        case "head too large":
            return "GET /clients/1 HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 17_000))\r\n\r\n"
        case "too many fields":
            return "GET /clients/1 HTTP/1.1\r\nHost: x\r\n\((0..<101).map { "X-F\($0): v\r\n" }.joined())\r\n"
        case "target too long":
            return "GET /clients/1?fields=\(String(repeating: "a", count: 9_000)) HTTP/1.1\r\nHost: x\r\n\r\n"
        case "long target":
            return "GET /\(String(repeating: "a", count: 9_000)) HTTP/1.1\r\nHost: x\r\n\r\n"
        case "long field":
            return "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 17_000))\r\n\r\n"
        case "large body":
            return "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"
        case "gzip coding":
            return "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        case "HTTP/2.0":
            return "GET / HTTP/2.0\r\nHost: x\r\n\r\n"
        case "two hosts":
            return "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
        default:
            preconditionFailure("no request named \(name)")
        }
    }

    @Test(arguments: rejections)
    func rejectedRequestsAreProblemsFromTheGatewayHandler(name: String, kind: GatewayError.Kind) throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let client = try RawClient(port: g.port)
        try client.send(Self.rawRequest(name))
        let r = try client.readResponse()
        let p = try Self.expectProblem(r, kind)
        #expect(r.header("Connection") == "close", "\(name)")
        try Self.expectEndOfStream(client)
        try Self.expectLogLine(g, requestID: p["request_id"] as? String, status: kind.status)
    }

    /// A body over the 1 MiB limit is refused from its `Content-Length` alone,
    /// before any of it is read: 413, then the connection is closed (the answer
    /// says so) and what the client still sends is discarded, not answered with
    /// a reset.
    @Test func aBodyOverTheLimitIs413AndTheConnectionIsClosed() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let client = try RawClient(port: g.port)
        try client.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        try client.send([UInt8](repeating: 0x61, count: 64 * 1024))
        let r = try client.readResponse()
        let p = try Self.expectProblem(r, .contentTooLarge)
        #expect(r.header("Connection") == "close")
        // The rest of the body and a request after it meet a closed connection:
        // the gateway answers nothing more.
        try client.send([UInt8](repeating: 0x61, count: 16 * 1024))
        try client.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        try Self.expectEndOfStream(client)
        try Self.expectLogLine(g, requestID: p["request_id"] as? String, status: 413)
        // The gateway itself is fine.
        #expect(try RawClient.get("/livez", port: g.port).status == 200)
    }

    @Test func anIncompleteHeadPastTheHeaderTimeoutIs408() throws {
        let g = try GatewayFixture(["--header-timeout", "300ms"])
        defer { g.stop() }
        let client = try RawClient(port: g.port)
        try client.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\n")
        let start = Date()
        let r = try client.readResponse()
        let waited = Date().timeIntervalSince(start)
        let p = try Self.expectProblem(r, .requestTimeout)
        #expect(waited >= 0.25 && waited < 5, "waited \(waited)s for a 300ms header timeout")
        #expect(r.header("Connection") == "close")
        try Self.expectEndOfStream(client)
        try Self.expectLogLine(g, requestID: p["request_id"] as? String, status: 408)
    }

    /// The next read on `client` is the end of the stream: a FIN, not a reset,
    /// and no further answer byte.
    static func expectEndOfStream(_ client: RawClient, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var byte: UInt8 = 0
        let n = recv(client.fd, &byte, 1, 0)
        let error = errno
        #expect(n == 0, "expected end of stream, got \(n) (errno \(error); \(ECONNRESET) is a reset)",
                sourceLocation: sourceLocation)
    }

    /// The access log has the rejection's line: same request id and status.
    static func expectLogLine(
        _ g: GatewayFixture, requestID: String?, status: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let line = try g.logLines().first { $0["msg"] as? String == "request" && $0["request_id"] as? String == requestID }
        #expect(line?["status"] as? Int == status, "log line for \(requestID ?? "nil")", sourceLocation: sourceLocation)
        #expect(line?["route"] as? String == "rejected", sourceLocation: sourceLocation)
    }

    // MARK: The status → kind table

    /// Every status the codec and the connection state machine reject with,
    /// produced by the real decoder (or the machine, for 408), maps to the kind
    /// whose status is that same status; anything else is a plain 400.
    static let parseFailures: [(String, Int, GatewayError.Kind)] = [
        ("long target", 414, .uriTooLong), ("long field", 431, .headersTooLarge), ("large body", 413, .contentTooLarge),
        ("gzip coding", 501, .unsupportedTransferCoding), ("HTTP/2.0", 505, .versionNotSupported),
        ("two hosts", 400, .badRequest),
    ]

    @Test(arguments: parseFailures)
    func everyDecoderRejectionMapsToTheKindOfItsStatus(name: String, status: Int, kind: GatewayError.Kind) {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits())
        var rest = Array(Self.rawRequest(name).utf8)[...]
        var thrown: HTTPParseError?
        do {
            while !rest.isEmpty {
                let step = try rest.withUnsafeBytes { try decoder.decode($0) }
                if step.consumed == 0 && step.event == nil { break }
                rest = rest.dropFirst(step.consumed)
            }
        } catch let error as HTTPParseError {
            thrown = error
        } catch {
            Issue.record("not a parse error: \(error)")
        }
        #expect(thrown?.status == status, "\(String(describing: thrown))")
        let mapped = GatewayError.Kind.forParseStatus(status)
        #expect(mapped == kind)
        #expect(mapped.status == status)
    }

    @Test func forParseStatusCoversEveryMappedStatusAndDefaultsTo400() {
        let table: [Int: GatewayError.Kind] = [
            408: .requestTimeout, 413: .contentTooLarge, 414: .uriTooLong, 431: .headersTooLarge,
            501: .unsupportedTransferCoding, 505: .versionNotSupported,
        ]
        for (status, kind) in table {
            #expect(GatewayError.Kind.forParseStatus(status) == kind, "\(status)")
            // The answer keeps the status the codec chose.
            #expect(kind.status == status)
        }
        #expect(GatewayError.Kind.forParseStatus(408).typeURI == "urn:daftra-gateway:problem:request-timeout")
        #expect(GatewayError.Kind.forParseStatus(413).typeURI == "urn:daftra-gateway:problem:content-too-large")
        #expect(GatewayError.Kind.forParseStatus(414).typeURI == "urn:daftra-gateway:problem:uri-too-long")
        #expect(GatewayError.Kind.forParseStatus(431).typeURI == "urn:daftra-gateway:problem:header-fields-too-large")
        // Statuses outside the table (the codec's 400 among them) are a bad request.
        for other in [0, 400, 404, 412, 415, 500, 502, 999] {
            #expect(GatewayError.Kind.forParseStatus(other) == .badRequest, "\(other)")
        }
        // The state machine's own failure, the header timeout, is in the table too.
        var machine = ConnectionStateMachine(now: 0, headerTimeout: 1_000, idleTimeout: 10_000)
        machine.bytesArrived(now: 1)
        guard case .fail(let status, _) = machine.deadlinePassed(now: 2_000) else {
            Issue.record("a request past the header timeout did not fail")
            return
        }
        #expect(GatewayError.Kind.forParseStatus(status) == .requestTimeout)
    }
}
