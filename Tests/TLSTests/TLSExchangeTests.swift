import EventLoop
import Foundation
import GatewayTestSupport
import Testing
import Upstream
@testable import TLS

extension TLSTests {
    // MARK: - Bodies and framing

    @Test func gzipBodiesAreInflatedOverTLS() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let response = try #require(await client.get("/gzip", port: server.port).success)
        #expect(response.status == 200)
        let expected = String(repeating: "{\"id\":1,\"name\":\"gzip over TLS\"}", count: 40)
        #expect(String(decoding: response.body, as: UTF8.self) == expected)
    }

    @Test func aBodyOfManyRecordsArrivesWhole() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let size = 3 * 1024 * 1024 + 17
        let response = try #require(await client.get("/big/\(size)", port: server.port).success)
        let expected = TLSTestHandler.bigBody(size: size)
        #expect(response.body.count == size)
        #expect(response.body == expected)
    }

    @Test func chunkedBodiesAreDecodedOverTLS() async throws {
        let context = try TLSServerContext(
            certificateChainPath: certs.localhost.certificate, privateKeyPath: certs.localhost.key)
        let server = try ScriptedTLSServer(context: context) { _ in
            let answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n7\r\n, TLS w\r\n4\r\norld\r\n0\r\n\r\n"
            return (Array(answer.utf8), .keepOpen)
        }
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        for _ in 0..<3 {
            let response = try #require(await client.get("/chunked", port: server.port).success)
            #expect(String(decoding: response.body, as: UTF8.self) == "hello, TLS world")
        }
        #expect(await client.connectionsOpened == 1)
    }

    /// RFC 9112 §9.8: a body without length or chunking is complete only at a
    /// closure alert; a bare FIN may be a truncation.
    @Test func aCloseDelimitedBodyEndingWithoutCloseNotifyIsAFailure() async throws {
        let context = try TLSServerContext(
            certificateChainPath: certs.localhost.certificate, privateKeyPath: certs.localhost.key)
        let server = try ScriptedTLSServer(context: context) { _ in
            (Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end".utf8), .abrupt)
        }
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let error = try #require(await client.get("/", port: server.port).failure)
        #expect(error.kind == .invalidResponse)
        #expect(error.reason.contains("close_notify"))
    }

    @Test func aCloseDelimitedBodyEndsAtCloseNotify() async throws {
        let context = try TLSServerContext(
            certificateChainPath: certs.localhost.certificate, privateKeyPath: certs.localhost.key)
        let server = try ScriptedTLSServer(context: context) { _ in
            (Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close_notify".utf8), .closeNotify)
        }
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let response = try #require(await client.get("/", port: server.port).success)
        #expect(String(decoding: response.body, as: UTF8.self) == "until close_notify")
    }

    @Test func aTruncatedLengthDelimitedBodyIsAFailure() async throws {
        let context = try TLSServerContext(
            certificateChainPath: certs.localhost.certificate, privateKeyPath: certs.localhost.key)
        let server = try ScriptedTLSServer(context: context) { _ in
            (Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this".utf8), .abrupt)
        }
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let error = try #require(await client.get("/", port: server.port).failure)
        #expect(error.kind == .unreachable, "\(error)")
    }

    // MARK: - Reuse, resumption, timeouts

    @Test func sequentialRequestsShareOneConnection() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        for i in 0..<10 {
            let response = try #require(await client.get("/n/\(i)", port: server.port).success)
            #expect(String(decoding: response.body, as: UTF8.self) == "hello over TLS /n/\(i)")
            #expect(response.reusedConnection == (i > 0))
        }
        #expect(await client.connectionsOpened == 1)
        #expect(client.context.metrics.handshakes == 1)
    }

    @Test func aNewConnectionResumesTheSession() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        // No idle connections kept: every request needs a new connection.
        let client = try TLSClientHarness(caFile: certs.ca.certificate, maxIdlePerOrigin: 0)
        for _ in 0..<4 {
            #expect(await client.get("/", port: server.port).success?.status == 200)
        }
        #expect(await client.connectionsOpened == 4)
        #expect(client.context.metrics.handshakes == 4)
        #expect(client.context.metrics.resumedHandshakes == 3)
        #expect(server.context.metrics.resumedHandshakes == 3)
        #expect(client.context.cachedSessionCount == 1)
    }

    @Test func aFailedHandshakeForgetsTheEndpointsSession() async throws {
        let good = try TLSServerHarness(certs.localhost)
        let port = good.port
        let client = try TLSClientHarness(caFile: certs.ca.certificate, maxIdlePerOrigin: 0)
        #expect(await client.get("/", port: port).success?.status == 200)
        #expect(client.context.cachedSessionCount == 1)
        good.stop()
        // The same endpoint now presents a certificate that fails verification:
        // the handshake fails and the endpoint's session is dropped with it.
        try await Task.sleep(for: .milliseconds(50))
        let bad = try TLSServerHarness(certs.otherName, port: port)
        defer { bad.stop() }
        let error = try #require(await client.get("/", port: port).failure)
        #expect(error.tlsClass == "name mismatch")
        #expect(client.context.cachedSessionCount == 0)
        #expect(client.context.metrics.resumedHandshakes == 0)
    }

    @Test func aServerThatNeverAnswersTheHandshakeIsAConnectTimeout() async throws {
        let fd = try Socket.listen(on: SocketAddress(ip: "127.0.0.1", port: 0)!, backlog: 8, reusePort: false)
        defer { Socket.close(fd) }
        let port = try Socket.localAddress(fd).port
        let sessionsBefore = liveTLSSessions.load(ordering: .relaxed)
        let client = try TLSClientHarness(caFile: certs.ca.certificate, connectTimeout: .milliseconds(300))
        let started = Date()
        let error = try #require(await client.get("/", port: port).failure)
        let elapsed = Date().timeIntervalSince(started)
        #expect(error.kind == .connectTimeout, "\(error)")
        #expect(elapsed >= 0.25 && elapsed < 5, "took \(elapsed)s")
        // The transport's own timeout then ends the handshake and frees its session.
        #expect(await eventually { client.context.metrics.failedHandshakes == 1 })
        #expect(await eventually { liveTLSSessions.load(ordering: .relaxed) <= sessionsBefore })
    }

    @Test func theTransportTimesOutAHandshakeByItself() async throws {
        let fd = try Socket.listen(on: SocketAddress(ip: "127.0.0.1", port: 0)!, backlog: 8, reusePort: false)
        defer { Socket.close(fd) }
        let port = try Socket.localAddress(fd).port
        let context = try TLSClientContext(caFile: certs.ca.certificate)
        let transport = TLSClientTransport(context: context, handshakeTimeout: .milliseconds(200))
        let group = EventLoopGroup(loopCount: 1, sweepInterval: .milliseconds(10))
        let loop = group.loops[0]
        let started = Date()
        let outcome: UpstreamError? = await withCheckedContinuation { continuation in
            loop.execute {
                ConnectAttempt.start(to: SocketAddress(ip: "127.0.0.1", port: port)!, on: loop) { connected in
                    guard case .success(let channel) = connected else {
                        continuation.resume(returning: UpstreamError(.unreachable, "connect failed"))
                        return
                    }
                    transport.makeStream(over: channel, endpoint: .init(secure: true, host: "localhost", port: port)) {
                        continuation.resume(returning: $0.failure)
                    }
                }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(outcome?.kind == .connectTimeout)
        // The upper bound is loose on purpose: a loaded 2-core CI machine delays the
        // loop's deadline sweep; without the timeout the call would never return.
        #expect(elapsed >= 0.18 && elapsed < 5, "took \(elapsed)s")
    }
}
