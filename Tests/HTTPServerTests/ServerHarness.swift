import Dispatch
import EventLoop
import GatewayTestSupport
import HTTP1
import HTTPServer
import Synchronization

/// A handler for server tests: fixed answers, delayed answers, echoes.
struct TestHandler: HTTPHandler {
    /// `/big/N` requests handled so far (tests of back-pressure count them).
    static let bigAnswers = Atomic<Int>(0)

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let target = request.head.target
        if target.hasPrefix("/big/"), let n = Int(target.dropFirst(5)) {
            Self.bigAnswers.add(1, ordering: .relaxed)
            responder.respond(HTTPResponse(status: 200, body: [UInt8](repeating: UInt8(ascii: "b"), count: n)))
            return
        }
        if target.hasPrefix("/delay/"), let ms = Int(target.dropFirst(7)) {
            responder.loop.queue.asyncAfter(deadline: .now() + .milliseconds(ms)) {
                responder.respond(HTTPResponse(status: 200, body: Array(String(ms).utf8)))
            }
            return
        }
        switch target {
        case "/echo":
            responder.respond(HTTPResponse(status: 200, body: request.body))
        case "/never":
            // Never answered: the test checks what happens to such a connection.
            break
        default:
            var headers = HTTPHeaders()
            headers.add(name: "X-Target", value: target)
            responder.respond(HTTPResponse(status: 200, headers: headers, body: Array("hello \(target)".utf8)))
        }
    }

    func rejection(for error: HTTPParseError, remote: SocketAddress?, receivedAt: UInt64) -> HTTPResponse {
        HTTPResponse(status: error.status, body: Array(error.reason.utf8))
    }
}

/// A server on an ephemeral loopback port with its own loops.
final class ServerHarness: Sendable {
    let group: EventLoopGroup
    let server: HTTPServer
    let port: UInt16

    init(
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        maxConnections: Int = 20_000,
        strategy: HTTPServerConfiguration.AcceptStrategy = .listenerPerLoop,
        host: String = "127.0.0.1",
        streamFactory: @escaping HTTPServer.StreamFactory = { $0 }
    ) throws {
        group = EventLoopGroup(loopCount: 2, sweepInterval: .milliseconds(20))
        server = HTTPServer(
            group: group,
            configuration: HTTPServerConfiguration(
                host: host, port: 0, headerTimeout: headerTimeout, idleTimeout: idleTimeout,
                maxConnections: maxConnections, acceptStrategy: strategy),
            handler: TestHandler(),
            streamFactory: streamFactory)
        port = try server.start().port
    }

    func stop() {
        server.closeListeners()
        server.closeAllConnections()
    }

    /// Waits until `condition` holds or `seconds` pass; returns whether it held.
    static func eventually(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let end = DispatchTime.now() + .milliseconds(Int(seconds * 1000))
        while DispatchTime.now() < end {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}

import Glibc
