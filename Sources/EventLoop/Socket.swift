import Glibc

/// Thin, typed wrappers over the socket calls the event loop makes. Each one goes
/// through ``syscall(_:_:)``, so `EINTR` and `EAGAIN` are handled in one place.
public enum Socket {
    @usableFromInline static let streamType = Int32(SOCK_STREAM.rawValue)

    /// Ignores SIGPIPE for the whole process: a peer that goes away must cost one
    /// connection, never the process. Sends also pass `MSG_NOSIGNAL`.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// A new non-blocking, close-on-exec TCP socket for `family`.
    public static func makeTCP(family: Int32) throws(SystemError) -> Int32 {
        let fd = try blockingSyscall("socket") { socket(family, streamType, 0) }
        do {
            try setNonBlocking(fd)
            try blockingSyscall("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// Sets `O_NONBLOCK` on `fd`.
    public static func setNonBlocking(_ fd: Int32) throws(SystemError) {
        let flags = try blockingSyscall("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        try blockingSyscall("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Sets an integer socket option.
    public static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(SystemError) {
        var v = value
        try blockingSyscall("setsockopt") {
            setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Creates a listening socket bound to `address`.
    /// - Parameter reusePort: sets `SO_REUSEPORT` so that one socket per event loop
    ///   can share the port and the kernel spreads connections between them.
    public static func listen(
        on address: SocketAddress,
        backlog: Int32,
        reusePort: Bool
    ) throws(SystemError) -> Int32 {
        let fd = try makeTCP(family: address.family)
        do {
            try setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            if reusePort {
                try setOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1)
            }
            if address.family == AF_INET6 {
                // `::` takes IPv4 too (as mapped addresses) whatever the host's
                // net.ipv6.bindv6only says; a specific IPv6 address is unaffected.
                try setOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 0)
            }
            _ = try address.withSockAddr { (sa, len) throws(SystemError) in
                try blockingSyscall("bind(\(address))") { bind(fd, sa, len) }
            }
            try blockingSyscall("listen") { Glibc.listen(fd, backlog) }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// The local address a socket is bound to (for an ephemeral port, the one chosen).
    public static func localAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutableBytes(of: &storage) { (raw) throws(SystemError) in
            let sa = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            try blockingSyscall("getsockname") { getsockname(fd, sa, &length) }
        }
        return SocketAddress(storage: storage, length: length)
    }

    /// Accepts one connection: the new non-blocking fd and the peer's address,
    /// or ``IOResult/wouldBlock`` when the backlog is empty.
    public static func accept(_ listener: Int32) throws(SystemError) -> IOResult<(Int32, SocketAddress)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutableBytes(of: &storage) { (raw) throws(SystemError) in
            let sa = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            return try syscall("accept") { Glibc.accept(listener, sa, &length) }
        }
        guard case .value(let fd) = result else { return .wouldBlock }
        do {
            try setNonBlocking(fd)
            // Small answers must leave at once rather than wait for more data.
            try setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        return .value((fd, SocketAddress(storage: storage, length: length)))
    }

    /// Starts a non-blocking connect: `.value` when it completed at once,
    /// `.wouldBlock` when the fd becomes writable on completion.
    public static func connect(_ fd: Int32, to address: SocketAddress) throws(SystemError) -> IOResult<Void> {
        let result = try address.withSockAddr { (sa, len) throws(SystemError) in
            try syscall("connect(\(address))") { Glibc.connect(fd, sa, len) }
        }
        switch result {
        case .value: return .value(())
        case .wouldBlock: return .wouldBlock
        }
    }

    /// The pending error of a socket (`SO_ERROR`), used to finish a non-blocking connect.
    public static func pendingError(_ fd: Int32) throws(SystemError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try blockingSyscall("getsockopt(SO_ERROR)") { getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) }
        return value
    }

    /// Reads into `buffer`; `.value(0)` means the peer closed its side.
    @inline(__always)
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Sends without raising SIGPIPE.
    @inline(__always)
    public static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Shuts down the write side, so the peer reads EOF after what was sent.
    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Makes the next `close` send a reset instead of a FIN (`SO_LINGER` 0).
    public static func setResetOnClose(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }

    /// Closes `fd`. Callers guarantee they do this once per fd; `EINTR` on Linux
    /// still releases the descriptor, so it is not retried.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
