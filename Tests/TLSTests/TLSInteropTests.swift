import COpenSSL
import EventLoop
import Foundation
import GatewayTestSupport
import Glibc
import Testing
import Upstream
@testable import TLS

/// The server against curl, the client against `openssl s_server`, and both
/// sides pinned to TLS 1.2: agreement between this code's two halves alone
/// would not show that either speaks TLS the way others do.
extension TLSTests {
    static let curl = "/usr/bin/curl"
    static let openssl = "/usr/bin/openssl"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: curl)))
    func curlGetsAnAnswerOverHTTP11EvenWhenOfferingH2() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let output = try Self.run(Self.curl, [
            "-sS", "--http2", "--cacert", certs.ca.certificate, "-w", "\n%{http_version}",
            "https://localhost:\(server.port)/curl",
        ])
        #expect(output == "hello over TLS /curl\n1.1")
        #expect(server.failures.all.isEmpty)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: openssl)))
    func theClientTalksToOpenSSLsOwnServer() async throws {
        let port = try Self.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.openssl)
        process.arguments = [
            "s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-cert", certs.localhost.certificate,
            "-key", certs.localhost.key, "-alpn", "http/1.1", "-www",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL: a child inherits ignored signals, and the test process may ignore SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(await eventually { Self.accepts(port: port) })
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let response = try #require(await client.get("/", port: port).success)
        #expect(response.status == 200)
        // `-www` answers with a page describing the session it negotiated.
        let page = String(decoding: response.body, as: UTF8.self)
        #expect(page.contains("s_server"), "\(page.prefix(200))")
        #expect(page.contains("TLSv1.3"), "\(page.prefix(400))")
    }

    @Test func tls12WorksAndResumesToo() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        // Before any connection, so no SSL is made from the context meanwhile.
        #expect(SSL_CTX_ctrl(server.context.currentContext, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1)
        let client = try TLSClientHarness(caFile: certs.ca.certificate, maxIdlePerOrigin: 0)
        for i in 0..<3 {
            #expect(await client.get("/v12/\(i)", port: server.port).success?.status == 200)
        }
        #expect(client.context.metrics.handshakes == 3)
        #expect(client.context.metrics.resumedHandshakes == 2)
        // And verification classes are the same under 1.2.
        let expired = try TLSServerHarness(certs.expired)
        defer { expired.stop() }
        #expect(SSL_CTX_ctrl(expired.context.currentContext, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1)
        #expect(await client.get("/", port: expired.port).failure?.tlsClass == "expired certificate")
    }

    // MARK: - Helpers

    /// Runs a tool to completion and returns its standard output.
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// A loopback port nobody listens on right now.
    static func freePort() throws -> UInt16 {
        let fd = try Socket.listen(on: SocketAddress(ip: "127.0.0.1", port: 0)!, backlog: 1, reusePort: false)
        defer { Socket.close(fd) }
        return try Socket.localAddress(fd).port
    }

    /// Whether something accepts TCP connections on the loopback `port`.
    static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        let address = SocketAddress(ip: "127.0.0.1", port: port)!
        return address.withSockAddr { sa, len in Glibc.connect(fd, sa, len) } == 0
    }
}

extension TLSTests {
    /// TLS 1.2 clients are offered forward-secret AEAD suites only.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: openssl)))
    func tls12ClientsGetOnlyAEADSuites() throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        func handshake(_ cipher: String) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.openssl)
            process.arguments = [
                "s_client", "-connect", "127.0.0.1:\(server.port)", "-tls1_2", "-cipher", cipher, "-brief",
            ]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(try handshake("ECDHE-ECDSA-AES128-GCM-SHA256") == 0)
        #expect(try handshake("ECDHE-ECDSA-CHACHA20-POLY1305") == 0)
        #expect(try handshake("ECDHE-ECDSA-AES128-SHA") != 0, "CBC with SHA-1")
        #expect(try handshake("ECDHE-ECDSA-AES256-SHA384") != 0, "CBC")
    }
}
