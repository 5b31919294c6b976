import Glibc

/// An IPv4 or IPv6 socket address, stored as the kernel's `sockaddr_storage`.
public struct SocketAddress: Sendable, CustomStringConvertible {
    /// The raw address; only the first ``length`` bytes are meaningful.
    public var storage: sockaddr_storage
    /// The length of the address in ``storage``.
    public var length: socklen_t

    public init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Parses an IPv4 (`127.0.0.1`) or IPv6 (`::1`, optionally in brackets) literal.
    /// Returns nil when `host` is not an address literal.
    public init?(ip host: String, port: UInt16) {
        var literal = Substring(host)
        if literal.hasPrefix("["), literal.hasSuffix("]") {
            literal = literal.dropFirst().dropLast()
        }
        var storage = sockaddr_storage()
        var v4 = in_addr()
        if inet_pton(AF_INET, String(literal), &v4) == 1 {
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.withMemoryRebound(to: sockaddr_in.self) { sin in
                    sin[0].sin_family = sa_family_t(AF_INET)
                    sin[0].sin_port = port.bigEndian
                    sin[0].sin_addr = v4
                }
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, String(literal), &v6) == 1 {
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.withMemoryRebound(to: sockaddr_in6.self) { sin6 in
                    sin6[0].sin6_family = sa_family_t(AF_INET6)
                    sin6[0].sin6_port = port.bigEndian
                    sin6[0].sin6_addr = v6
                }
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
            return
        }
        return nil
    }

    /// The address family, `AF_INET` or `AF_INET6`.
    public var family: Int32 { Int32(storage.ss_family) }

    /// The port in host byte order.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                return UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
            }
            return UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    /// The address without the port, as `inet_ntop` renders it.
    public var ipString: String {
        // A stack buffer: the access log asks for this on every request.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN) + 1) { buffer in
            let base = buffer.baseAddress!
            let ok: Bool = withUnsafeBytes(of: storage) { raw in
                if family == AF_INET6 {
                    var a = raw.load(as: sockaddr_in6.self).sin6_addr
                    return inet_ntop(AF_INET6, &a, base, socklen_t(buffer.count)) != nil
                }
                var a = raw.load(as: sockaddr_in.self).sin_addr
                return inet_ntop(AF_INET, &a, base, socklen_t(buffer.count)) != nil
            }
            return ok ? String(cString: base) : "?"
        }
    }

    /// `ip:port`, with brackets around an IPv6 address.
    public var description: String {
        family == AF_INET6 ? "[\(ipString)]:\(port)" : "\(ipString):\(port)"
    }

    /// Calls `body` with the address as the `sockaddr` pointer the socket calls take.
    public func withSockAddr<R, E: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R
    ) throws(E) -> R {
        var copy = storage
        let length = self.length
        return try withUnsafeMutablePointer(to: &copy) { (p) throws(E) -> R in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(E) -> R in
                try body(sa, length)
            }
        }
    }
}
