import EventLoop
import Foundation
import GatewayTestSupport
import Glibc
import Testing
@testable import Upstream

/// A name with several addresses must not be lost to the first one going dark.
@Suite struct AddressFallbackTests {
    @Test func anAddressThatNeverAnswersGivesWayToTheNext() async throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        let hole = try BlackHole()
        let addresses = [SocketAddress(ip: "127.0.0.1", port: hole.port)!, SocketAddress(ip: "127.0.0.1", port: fake.port)!]
        let harness = ClientHarness(connectTimeout: .seconds(4), lookup: { _, _ in .success(addresses) })

        // Had the dark address kept the whole connect timeout, this would be a
        // connectTimeout failure; it had half, and the second address answered.
        let result = await harness.get("/demo/api2/clients/1.json", host: "origin.test", port: 80)
        #expect(result.isSuccess, "\(result)")
        withExtendedLifetime(hole) {}
    }

    @Test func aSingleDarkAddressStillHasTheWholeConnectTimeout() async throws {
        let hole = try BlackHole()
        let address = SocketAddress(ip: "127.0.0.1", port: hole.port)!
        let harness = ClientHarness(connectTimeout: .milliseconds(600), lookup: { _, _ in .success([address]) })

        let started = Date()
        let result = await harness.get("/demo/api2/clients/1.json", host: "origin.test", port: 80)
        let elapsed = Date().timeIntervalSince(started)
        guard case .failure(let error) = result else {
            Issue.record("a black hole answered: \(result)")
            return
        }
        #expect(error.kind == .connectTimeout)
        #expect(elapsed >= 0.55, "took \(elapsed) s")
        withExtendedLifetime(hole) {}
    }
}
