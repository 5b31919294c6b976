import Foundation
import Glibc

/// A listener whose accept queue is full: the kernel drops further SYNs, so a
/// connect to it neither succeeds nor fails, like an address behind a dead route.
public final class BlackHole {
    public let port: UInt16
    private var fds: [Int32] = []

    public init() throws {
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
