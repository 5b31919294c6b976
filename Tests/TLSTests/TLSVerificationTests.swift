import COpenSSL
import EventLoop
import Foundation
import GatewayTestSupport
import Testing
import Upstream
@testable import TLS

/// Every TLS test, one at a time: several count the process's descriptors and live SSL objects.
@Suite("TLS through OpenSSL", .serialized)
struct TLSTests {
    let certs = TestCertificates.shared

    // MARK: - Verification

    @Test func aCertificateFromTheTrustedCAFileGives200() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let result = await client.get("/hello", port: server.port)
        let response = try #require(result.success, "\(String(describing: result.failure))")
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello over TLS /hello")
        #expect(client.context.metrics.handshakes == 1)
        #expect(server.context.metrics.handshakes == 1)
    }

    @Test func anIPLiteralIsVerifiedAgainstTheIPAddressSAN() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let result = await client.get("/ip", host: "127.0.0.1", port: server.port)
        #expect(result.success?.status == 200, "\(String(describing: result.failure))")
    }

    @Test func aCAOutsideTheTrustStoreIsAnUntrustedCertificate() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: nil)
        let error = try #require(await client.get("/", port: server.port).failure)
        #expect(error.kind == .tls)
        #expect(error.tlsClass == "untrusted certificate")
        #expect(error.reason.contains("certificate verify failed"), "\(error.reason)")
        #expect(client.context.metrics.failedHandshakes == 1)
        // The server sees the client's alert as a failed handshake of its own.
        #expect(await eventually { server.failures.all.count == 1 })
    }

    @Test func aSelfSignedLeafIsAnUntrustedCertificate() async throws {
        let server = try TLSServerHarness(certs.selfSigned)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let error = try #require(await client.get("/", port: server.port).failure)
        #expect(error.kind == .tls)
        #expect(error.tlsClass == "untrusted certificate")
        #expect(error.reason.contains("self-signed") || error.reason.contains("self signed"), "\(error.reason)")
    }

    @Test func aCertificateForAnotherNameIsANameMismatch() async throws {
        let server = try TLSServerHarness(certs.otherName)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let byName = try #require(await client.get("/", host: "localhost", port: server.port).failure)
        #expect(byName.kind == .tls)
        #expect(byName.tlsClass == "name mismatch", "\(byName)")
        let byAddress = try #require(await client.get("/", host: "127.0.0.1", port: server.port).failure)
        #expect(byAddress.tlsClass == "name mismatch", "\(byAddress)")
    }

    @Test func anExpiredCertificateIsReportedAsExpired() async throws {
        let server = try TLSServerHarness(certs.expired)
        defer { server.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        let error = try #require(await client.get("/", port: server.port).failure)
        #expect(error.kind == .tls)
        #expect(error.tlsClass == "expired certificate", "\(error)")
        #expect(error.reason.contains("expired"), "\(error.reason)")
    }

    @Test func verifyResultsMapToTheirClasses() {
        let expected: [(Int32, TLSFailureClass)] = [
            (X509_V_ERR_CERT_HAS_EXPIRED, .expiredCertificate),
            (X509_V_ERR_CERT_NOT_YET_VALID, .expiredCertificate),
            (X509_V_ERR_HOSTNAME_MISMATCH, .nameMismatch),
            (X509_V_ERR_IP_ADDRESS_MISMATCH, .nameMismatch),
            (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, .untrustedCertificate),
            (X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, .untrustedCertificate),
            (X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, .untrustedCertificate),
            (X509_V_ERR_CERT_UNTRUSTED, .untrustedCertificate),
        ]
        for (code, failureClass) in expected {
            #expect(VerifyClassifier.failureClass(forVerifyResult: Int(code)) == failureClass, "verify code \(code)")
        }
    }

    @Test func aFailedHandshakeLeavesNoErrorInTheLoopsQueueForTheNextConnection() async throws {
        let good = try TLSServerHarness(certs.localhost)
        defer { good.stop() }
        let bad = try TLSServerHarness(certs.expired)
        defer { bad.stop() }
        let client = try TLSClientHarness(caFile: certs.ca.certificate)
        #expect(await client.get("/", port: bad.port).failure?.tlsClass == "expired certificate")
        #expect(await client.onLoop { ERR_peek_error() } == 0)
        #expect(await client.get("/", port: good.port).success?.status == 200)
        #expect(await client.onLoop { ERR_peek_error() } == 0)
    }

    @Test func alpnNegotiatesHTTP11() async throws {
        let server = try TLSServerHarness(certs.localhost)
        defer { server.stop() }
        let context = try TLSClientContext(caFile: certs.ca.certificate)
        let transport = TLSClientTransport(context: context, handshakeTimeout: .seconds(2))
        let group = EventLoopGroup(loopCount: 1)
        let loop = group.loops[0]
        let port = server.port
        let negotiated: String? = await withCheckedContinuation { continuation in
            loop.execute {
                ConnectAttempt.start(to: SocketAddress(ip: "127.0.0.1", port: port)!, on: loop) { connected in
                    guard case .success(let channel) = connected else {
                        continuation.resume(returning: "connect failed")
                        return
                    }
                    let endpoint = UpstreamEndpoint(secure: true, host: "localhost", port: port)
                    transport.makeStream(over: channel, endpoint: endpoint) { ready in
                        guard case .success(let stream) = ready else {
                            continuation.resume(returning: "handshake failed: \(ready)")
                            return
                        }
                        let tls = stream as? TLSStream
                        continuation.resume(returning: tls?.negotiatedProtocol)
                        stream.close(.immediately)
                    }
                }
            }
        }
        #expect(negotiated == "http/1.1")
    }
}
