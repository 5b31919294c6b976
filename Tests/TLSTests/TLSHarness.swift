import Compression
import Dispatch
import EventLoop
import Foundation
import GatewayTestSupport
import HTTP1
import HTTPServer
import TLS
import Upstream

/// The HTTPS server's handler: small fixed answers, a gzip body, a large body.
struct TLSTestHandler: HTTPHandler {
    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let target = request.head.target
        if target.hasPrefix("/big/"), let size = Int(target.dropFirst(5)) {
            responder.respond(HTTPResponse(status: 200, body: Self.bigBody(size: size)))
            return
        }
        switch target {
        case "/gzip":
            var headers = HTTPHeaders()
            headers.add(name: "Content-Encoding", value: "gzip")
            let plain = Array(String(repeating: "{\"id\":1,\"name\":\"gzip over TLS\"}", count: 40).utf8)
            var body: [UInt8] = []
            let deflater = try! GzipDeflater(level: 6)
            plain.withUnsafeBytes { deflater.compress($0, into: &body) }
            responder.respond(HTTPResponse(status: 200, headers: headers, body: body))
        default:
            responder.respond(HTTPResponse(status: 200, body: Array("hello over TLS \(target)".utf8)))
        }
    }

    func rejection(for error: HTTPParseError, remote: SocketAddress?, receivedAt: UInt64) -> HTTPResponse {
        HTTPResponse(status: error.status, body: Array(error.reason.utf8))
    }

    /// `size` bytes of a pattern whose period (a prime) lines up with no record
    /// or buffer size, so a lost, repeated or reordered chunk shows.
    static func bigBody(size: Int) -> [UInt8] {
        let pattern = (0..<4093).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        var body: [UInt8] = []
        body.reserveCapacity(size + pattern.count)
        while body.count < size { body.append(contentsOf: pattern) }
        body.removeLast(body.count - size)
        return body
    }
}

/// An HTTPS server on an ephemeral loopback port: `HTTPServer` with the TLS stream factory.
final class TLSServerHarness: Sendable {
    let group: EventLoopGroup
    let server: HTTPServer
    let context: TLSServerContext
    let port: UInt16
    /// Handshake failures the server's observer saw.
    let failures = FailureLog()

    init(certificate: String, key: String, port: UInt16 = 0, headerTimeout: Duration = .seconds(10)) throws {
        group = EventLoopGroup(loopCount: 1, sweepInterval: .milliseconds(20))
        let failures = self.failures
        context = try TLSServerContext(certificateChainPath: certificate, privateKeyPath: key) { error, _ in
            failures.append(error)
        }
        server = HTTPServer(
            group: group,
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port, headerTimeout: headerTimeout),
            handler: TLSTestHandler(), streamFactory: context.streamFactory)
        self.port = try server.start().port
    }

    convenience init(_ pair: TestCertificates.Pair, port: UInt16 = 0) throws {
        try self.init(certificate: pair.certificate, key: pair.key, port: port)
    }

    func stop() {
        server.closeListeners()
        server.closeAllConnections()
    }
}

/// Errors recorded from any thread.
final class FailureLog: Sendable {
    private let errors = Locked<[TLSError]>([])

    func append(_ error: TLSError) { errors.withLock { $0.append(error) } }
    var all: [TLSError] { errors.withLock { $0 } }
}

/// An upstream client whose `https` transport is the TLS client under test.
final class TLSClientHarness: Sendable {
    let group: EventLoopGroup
    let context: TLSClientContext
    let client: UpstreamClient
    var loop: EventLoop { group.loops[0] }

    init(caFile: String?, connectTimeout: Duration = .seconds(2), maxIdlePerOrigin: Int = 64) throws {
        group = EventLoopGroup(loopCount: 1, sweepInterval: .milliseconds(10))
        context = try TLSClientContext(caFile: caFile)
        client = UpstreamClient(
            group: group,
            configuration: .init(connectTimeout: connectTimeout, timeout: .seconds(5), maxIdlePerOrigin: maxIdlePerOrigin),
            secureTransport: TLSClientTransport(context: context, handshakeTimeout: connectTimeout))
    }

    /// One GET to `https://host:port/target`, answered on the client's loop.
    func get(_ target: String, host: String = "localhost", port: UInt16) async -> Result<UpstreamResponse, UpstreamError> {
        let request = UpstreamRequest(
            endpoint: UpstreamEndpoint(secure: true, host: host, port: port),
            target: target, hostHeader: host, headers: [("Accept-Encoding", "gzip")])
        let client = self.client
        let loop = self.loop
        return await withCheckedContinuation { continuation in
            loop.execute {
                client.execute(request, on: loop) { continuation.resume(returning: $0) }
            }
        }
    }

    /// Runs `body` on the client's loop and returns its value.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await loop.value(body)
    }

    var connectionsOpened: Int {
        get async { await onLoop { [client, loop] in client.connectionsOpened(on: loop) } }
    }

    /// Upstream connections open now (in use or idle).
    var openConnections: Int {
        get async { await onLoop { [client, loop] in client.connectionCounts(on: loop).open } }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }

    var success: Success? {
        if case .success(let s) = self { return s }
        return nil
    }
}
