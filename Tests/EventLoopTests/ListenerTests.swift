import Glibc
import Testing

@testable import EventLoop

@Suite("listener")
struct ListenerTests {
    /// A blocking client socket connected to `address` (the handshake completes
    /// in the kernel, whether or not the server has accepted yet).
    func connectedClient(to address: SocketAddress) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = address.withSockAddr { sa, length in connect(fd, sa, length) }
        try #require(rc == 0)
        return fd
    }

    /// A socket on `::` clears IPV6_V6ONLY, so it takes IPv4 connections whatever
    /// the host's default (net.ipv6.bindv6only) is.
    @Test func theIPv6WildcardTakesIPv4Too() throws {
        let fd = try Socket.listen(on: try #require(SocketAddress(ip: "::", port: 0)), backlog: 4, reusePort: false)
        defer { close(fd) }
        var only: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &only, &length) == 0)
        #expect(only == 0)
        let port = try Socket.localAddress(fd).port
        let client = try connectedClient(to: try #require(SocketAddress(ip: "127.0.0.1", port: port)))
        close(client)
    }

    @Test func closingAcceptsTheBacklogSoConnectedClientsSeeAnEndNotAReset() throws {
        let loop = EventLoop(index: 0)
        let fd = try Socket.listen(on: try #require(SocketAddress(ip: "127.0.0.1", port: 0)), backlog: 16,
                                   reusePort: false)
        let accepted = Locked<[Int32]>([])
        let listener = try Listener(fd: fd, loop: loop, gate: ConnectionGate(limit: 100), pickLoop: { loop }) {
            cfd, _, _ in accepted.withLock { $0.append(cfd) }
        }
        // Never started: the three handshakes complete into the backlog, unaccepted.
        let clients = try (0..<3).map { _ in try connectedClient(to: listener.address) }
        defer { for client in clients { close(client) } }
        listener.close()
        loop.queue.sync {}
        let handedOver = accepted.withLock { $0 }
        #expect(handedOver.count == 3, "the backlog is accepted before the socket closes")
        // The owner ends them gracefully; each client reads an end of stream.
        for cfd in handedOver {
            shutdown(cfd, Int32(SHUT_WR))
        }
        for client in clients {
            var byte: UInt8 = 0
            let n = recv(client, &byte, 1, 0)
            #expect(n == 0, "end of stream, not errno \(errno) (\(ECONNRESET) is a reset)")
        }
        for cfd in handedOver { close(cfd) }
    }
}
