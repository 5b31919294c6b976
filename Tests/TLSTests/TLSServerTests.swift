import EventLoop
import Foundation
import GatewayTestSupport
import Testing
import Upstream
@testable import TLS

extension TLSTests {
    // MARK: - Serving HTTPS

    @Test func plainHTTPToTheTLSPortCostsOneConnectionAndNothingElse() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let plain = try RawClient(port: server.port)
        try plain.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let answer = try plain.readToEnd()
        // At most a TLS alert record (content type 21), never an HTTP answer.
        #expect(answer.isEmpty || answer.first == 21, "\(answer.prefix(16))")
        #expect(await eventually { server.failures.all.count == 1 })
        #expect(server.failures.all.first?.failureClass == .protocolError)
        #expect(await eventually { server.server.openConnections == 0 })

        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        #expect(await client.get("/after", port: server.port).success?.status == 200)
    }

    @Test func aClientThatNeverHandshakesIsClosedByTheHeaderTimeout() async throws {
        let server = try TLSServerHarness(
            certificate: certs.localhost.certificate, key: certs.localhost.key, headerTimeout: .milliseconds(200))
        defer { server.stop() }
        let silent = try RawClient(port: server.port)
        #expect(await eventually { server.server.openConnections == 1 })
        #expect(silent.isClosedByPeer())
        #expect(await eventually { server.server.openConnections == 0 })
    }

    @Test func reloadWithABadPairKeepsTheOldOneAndAGoodPairIsUsedByNewConnections() async throws {
        let chain = certs.file(named: "reload-\(UUID().uuidString).crt", contents: try String(contentsOfFile: certs.localhost.certificate, encoding: .utf8))
        let key = certs.file(named: "reload-\(UUID().uuidString).key", contents: try String(contentsOfFile: certs.localhost.key, encoding: .utf8))
        let server = try TLSServerHarness(certificate: chain, key: key)
        defer { server.stop() }
        let keptAlive = try TLSClientHarness(caFile: certs.ca.certificate)
        #expect(await keptAlive.get("/1", port: server.port).success?.status == 200)
        let before = server.context.currentContext

        // A certificate with someone else's key: refused, the old pair stays.
        try Data(contentsOf: URL(fileURLWithPath: certs.otherName.key)).write(to: URL(fileURLWithPath: key))
        #expect(throws: TLSConfigurationError.self) { try server.context.reload() }
        do {
            try server.context.reload()
        } catch {
            #expect(error.kind == .keyMismatch)
            #expect(error.path == key)
        }
        #expect(server.context.currentContext == before)
        let fresh = try TLSClientHarness(caFile: certs.ca.certificate)
        #expect(await fresh.get("/2", port: server.port).success?.status == 200)

        // A good pair for another name: new connections get it (and fail
        // verification for localhost); the connection opened before keeps its own.
        try Data(contentsOf: URL(fileURLWithPath: certs.otherName.certificate)).write(to: URL(fileURLWithPath: chain))
        try server.context.reload()
        #expect(server.context.currentContext != before)
        let afterReload = try TLSClientHarness(caFile: certs.ca.certificate)
        #expect(await afterReload.get("/3", port: server.port).failure?.tlsClass == "name mismatch")
        let reused = try #require(await keptAlive.get("/4", port: server.port).success)
        #expect(reused.reusedConnection)
    }

    @Test func badFilesAtStartUpAreTypedErrorsNamingTheFile() throws {
        let missing = certs.directory + "/missing.pem"
        let garbage = certs.file(named: "garbage.pem", contents: "not a certificate\n")
        func error(_ body: () throws -> Void) -> TLSConfigurationError? {
            do {
                try body()
                return nil
            } catch let e as TLSConfigurationError {
                return e
            } catch {
                return nil
            }
        }
        let noChain = error { _ = try TLSServerContext(certificateChainPath: missing, privateKeyPath: certs.localhost.key) }
        #expect(noChain?.kind == .certificate)
        #expect(noChain?.path == missing)
        #expect(noChain?.description.contains("No such file") == true)

        let badChain = error { _ = try TLSServerContext(certificateChainPath: garbage, privateKeyPath: certs.localhost.key) }
        #expect(badChain?.kind == .certificate)

        let noKey = error { _ = try TLSServerContext(certificateChainPath: certs.localhost.certificate, privateKeyPath: missing) }
        #expect(noKey?.kind == .privateKey)

        let badKey = error { _ = try TLSServerContext(certificateChainPath: certs.localhost.certificate, privateKeyPath: garbage) }
        #expect(badKey?.kind == .privateKey)

        let mismatch = error {
            _ = try TLSServerContext(certificateChainPath: certs.mismatched.certificate, privateKeyPath: certs.mismatched.key)
        }
        #expect(mismatch?.kind == .keyMismatch)

        #expect(error { _ = try TLSClientContext(caFile: missing) }?.kind == .trustStore)
        #expect(error { _ = try TLSClientContext(caFile: garbage) }?.kind == .trustStore)
    }

    // MARK: - Resources

    /// Descriptors are not counted here: other suites open and close theirs in
    /// this process at the same time. Both sides' connection counts and the live
    /// `SSL` count are this suite's alone; the gateway's descriptor count is
    /// checked in a child process (ShutdownTests).
    @Test func aThousandSequentialTLSConnectionsLeaveNothingBehind() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate, maxIdlePerOrigin: 0)
        // Warm up (first handshake, resolver cache), then measure.
        #expect(await client.get("/", port: server.port).success?.status == 200)
        #expect(await eventually { server.server.openConnections == 0 })
        let sessionsBefore = liveTLSSessions.load(ordering: .relaxed)
        var failures = 0
        for i in 0..<1000 {
            if await client.get("/\(i)", port: server.port).success?.status != 200 { failures += 1 }
        }
        #expect(failures == 0)
        #expect(await client.connectionsOpened == 1001)
        #expect(client.context.metrics.resumedHandshakes >= 1000)
        #expect(await eventually { server.server.openConnections == 0 })
        #expect(await client.openConnections == 0)
        // Every SSL of both sides was freed (the last idle one included).
        let freed = await eventually { liveTLSSessions.load(ordering: .relaxed) <= sessionsBefore }
        #expect(freed, "SSL objects: before \(sessionsBefore), now \(liveTLSSessions.load(ordering: .relaxed))")
    }
}
