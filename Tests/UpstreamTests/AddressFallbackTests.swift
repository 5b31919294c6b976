import EventLoop
import Foundation
import GatewayTestSupport
import Glibc
import Testing
@testable import Upstream

/// A listener whose accept queue is full: the kernel drops further SYNs, so a
/// connect to it neither succeeds nor fails, like an address behind a dead route.
final class BlackHole {
    let port: UInt16
    private var fds: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(listener, raw, length) == 0, listen(listener, 0) == 0,
                      getsockname(listener, raw, &length) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
            }
        }
        port = UInt16(bigEndian: address.sin_port)
        fds.append(listener)
        // Fill the queue with handshakes nobody accepts.
        for _ in 0..<3 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            fds.append(filler)
        }
        usleep(100_000)
    }

    deinit {
        for fd in fds { close(fd) }
    }
}

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
