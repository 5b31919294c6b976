import EventLoop
import Foundation
import GatewayTestSupport
import HTTP1
import HTTPServer
import Logging
import TLS
import Testing

@testable import Gateway

/// Answers Daftra's single-client call with an envelope, over HTTPS.
struct EnvelopeHandler: HTTPHandler {
    static let client = #"{"id":1,"email":"tls@example.com","starting_balance":1.50}"#

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        responder.respond(HTTPResponse(
            status: 200, headers: headers, body: FakeDaftra.envelope(client: Self.client)))
    }

    func rejection(for error: HTTPParseError, remote: SocketAddress?, receivedAt: UInt64) -> HTTPResponse {
        HTTPResponse(status: error.status)
    }
}

/// The gateway's own TLS wiring, end to end: `--ca-file` for an HTTPS upstream
/// and `--tls-cert`/`--tls-key` for callers.
@Suite("gateway over TLS", .serialized)
struct GatewayTLSTests {
    let certs = TestCertificates.shared

    func gateway(_ arguments: [String]) throws -> GatewayApp {
        let configuration = try GatewayOptions.load(
            commandLine: ["--host", "127.0.0.1", "--port", "0", "--loops", "1", "--log-level", "critical",
                          "--upstream-connect-timeout", "1s"] + arguments,
            environment: [:])
        return try GatewayApp(configuration: configuration, logger: Logger(label: "tls-test") { _ in SwiftLogNoOpLogHandler() })
    }

    func upstream(_ pair: TestCertificates.Pair) throws -> (HTTPServer, UInt16) {
        let group = EventLoopGroup(loopCount: 1)
        let context = try TLSServerContext(certificateChainPath: pair.certificate, privateKeyPath: pair.key)
        let server = HTTPServer(
            group: group, configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
            handler: EnvelopeHandler(), streamFactory: context.streamFactory)
        return (server, try server.start().port)
    }

    @Test func httpsUpstreamTrustedThroughCAFile() throws {
        let (up, port) = try upstream(certs.localhost)
        defer { up.closeListeners(); up.closeAllConnections() }
        let trusted = try gateway(["--upstream", "https://localhost:\(port)/{subdomain}/api2", "--ca-file", certs.ca.certificate])
        defer { trusted.server.closeListeners(); trusted.server.closeAllConnections() }
        let headers = [("X-Daftra-Subdomain", "acme"), ("Authorization", "Bearer t")]
        for _ in 0..<3 {
            let r = try RawClient.get("/clients/1", port: trusted.address.port, headers: headers)
            #expect(r.status == 200)
            #expect(r.text == EnvelopeHandler.client)
        }
        #expect(trusted.upstreamTLSMetrics.handshakes == 1, "three requests, one pooled connection")

        // Without the CA the same upstream is untrusted: 502 naming the class.
        let untrusted = try gateway(["--upstream", "https://localhost:\(port)/{subdomain}/api2"])
        defer { untrusted.server.closeListeners(); untrusted.server.closeAllConnections() }
        let r = try RawClient.get("/clients/1", port: untrusted.address.port, headers: headers)
        #expect(r.status == 502)
        #expect(r.text.contains("untrusted certificate"))
    }

    @Test func wrongNameAndExpiredAre502() throws {
        for (pair, expected) in [(certs.otherName, "name mismatch"), (certs.expired, "expired certificate")] {
            let (up, port) = try upstream(pair)
            defer { up.closeListeners(); up.closeAllConnections() }
            let g = try gateway(["--upstream", "https://localhost:\(port)/{subdomain}/api2", "--ca-file", certs.ca.certificate])
            defer { g.server.closeListeners(); g.server.closeAllConnections() }
            let r = try RawClient.get("/clients/1", port: g.address.port,
                                      headers: [("X-Daftra-Subdomain", "acme"), ("Authorization", "Bearer t")])
            #expect(r.status == 502)
            #expect(r.text.contains(expected), "\(r.text)")
        }
    }

    @Test func inboundHTTPSWithAVerifyingClient() throws {
        let g = try gateway(["--tls-cert", certs.localhost.certificate, "--tls-key", certs.localhost.key, "--demo"])
        defer { g.server.closeListeners(); g.server.closeAllConnections() }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--cacert", certs.ca.certificate, "-H", "X-Daftra-Subdomain: demo",
                          "-H", "Authorization: Bearer demo-token", "https://localhost:\(g.address.port)/clients/1?fields=id"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let body = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        #expect(curl.terminationStatus == 0)
        #expect(body == #"{"id":1}"#)
        // Plain HTTP to the TLS port costs that connection only.
        let plain = try RawClient(port: g.address.port, timeoutSeconds: 2)
        try plain.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(plain.isClosedByPeer())
    }

    @Test func badTLSFilesStopStartUp() throws {
        #expect(throws: GatewayStartError.self) {
            _ = try gateway(["--tls-cert", certs.mismatched.certificate, "--tls-key", certs.mismatched.key])
        }
    }
}
