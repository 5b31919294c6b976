// What every benchmark floor shares (Benchmarks/DispatchFloor, DispatchEpollFloor,
// DispatchProxyFloor and NIOFloor's two): the bytes they answer and send upstream, and
// how they count request heads, kept in one place so that the floors do the same work
// byte for byte and differ only in how events reach them. Not part of the product.
//
// The Dispatch floors are compiled by swiftc together with this file (Benchmarks/lib.sh
// build_floor); NIOFloor builds it as its FloorShared target (a symlink), hence `public`
// and `@inlinable` on the hot path.
#if canImport(Glibc)
import Glibc
#endif

/// A line on stderr (`write(2)`: the C `stderr` global is not concurrency-safe).
public func say(_ line: String) {
    var line = line + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Stops the floor: a set-up step failed (`errno` says why), and a floor that is not
/// what it claims must not be measured.
public func die(_ what: String) -> Never {
    say("\(CommandLine.arguments[0]): \(what): \(String(cString: strerror(errno)))")
    exit(1)
}

/// `fd` in non-blocking mode.
public func setNonBlocking(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
}

/// `TCP_NODELAY` on `fd`: answers go out as they are written, as the gateway's do.
public func setNoDelay(_ fd: Int32) {
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
}

/// An IPv4 socket address; stops the floor when `host` is not a dotted quad.
public func ipv4Address(_ host: String, _ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { die("not an IPv4 address: \(host)") }
    return address
}

/// A non-blocking listening socket on `host:port` with `SO_REUSEPORT`, so that each loop
/// of a floor can have its own, as the gateway's loops do.
public func reusePortListener(host: String, port: UInt16) -> Int32 {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { die("socket") }
    var one: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = ipv4Address(host, port)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0, listen(listener, 1024) == 0 else { die("bind/listen on \(host):\(port)") }
    setNonBlocking(listener)
    return listener
}

/// A `/livez` floor's command line, `NAME HOST PORT LOOPS`; prints the usage and exits 64
/// when it is not that. Ignores SIGPIPE, as the gateway does, before anything is sent.
public func livezFloorArguments(name: String) -> (host: String, port: UInt16, loops: Int) {
    let arguments = CommandLine.arguments
    guard arguments.count == 4, let port = UInt16(arguments[2]), let loops = Int(arguments[3]), loops > 0 else {
        say("usage: \(name) HOST PORT LOOPS")
        exit(64)
    }
    signal(SIGPIPE, SIG_IGN)
    return (arguments[1], port, loops)
}

/// The next connection waiting on the non-blocking `listener`, made non-blocking with
/// `TCP_NODELAY`; nil when none waits (or accept failed: the listener's source fires again).
public func acceptConnection(_ listener: Int32) -> Int32? {
    let fd = accept(listener, nil, nil)
    guard fd >= 0 else { return nil }
    setNonBlocking(fd)
    setNoDelay(fd)
    return fd
}

/// The gateway's /livez answer, byte for byte in length (a fixed Date and request id).
public let livezAnswer: [UInt8] = Array((
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
    + "X-Request-Id: 0123456789abcdef0123456789abcdef\r\nDate: Sun, 29 Nov 2026 00:00:00 GMT\r\n"
    + "Content-Length: 15\r\n\r\n{\"status\":\"ok\"}").utf8)

/// Counts request (or response) heads by their ending "\r\n\r\n", across reads.
public struct HeadCounter: Sendable {
    /// How many bytes of "\r\n\r\n" the previous bytes ended with.
    @usableFromInline var matched = 0

    public init() {}

    /// How many heads `bytes` completes (pipelined requests).
    @inlinable
    public mutating func count(_ bytes: UnsafeRawBufferPointer) -> Int {
        var heads = 0
        for i in 0..<bytes.count where step(bytes[i]) {
            heads += 1
        }
        return heads
    }

    /// The offset just past the end of the head in `bytes`, or nil when the head goes
    /// on past them; reads no further than that end (an answer's body follows it).
    @inlinable
    public mutating func end(in bytes: UnsafeRawBufferPointer) -> Int? {
        for i in 0..<bytes.count where step(bytes[i]) {
            return i + 1
        }
        return nil
    }

    /// Takes one byte; true when it ends a head.
    @inlinable
    mutating func step(_ byte: UInt8) -> Bool {
        // The pattern is CR LF CR LF: even states want CR, odd ones LF.
        if byte == (matched & 1 == 0 ? 13 : 10) {
            matched += 1
            if matched == 4 {
                matched = 0
                return true
            }
        } else {
            matched = byte == 13 ? 1 : 0
        }
        return false
    }
}

/// A `/livez` floor's work for one readable connection: one `read`, count the request heads
/// it completes, one `send` of that many answers (retried only on EINTR or a short write).
/// False when the connection is done (end of stream, an error, or a caller that does not
/// read its answers, which is not the benchmark's concern): the caller closes it.
public func serveLivezRead(fd: Int32, buffer: UnsafeMutableRawBufferPointer, heads: inout HeadCounter,
                           out: inout [UInt8]) -> Bool {
    let n = read(fd, buffer.baseAddress, buffer.count)
    if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) { return false }
    guard n > 0 else { return true }
    let completed = heads.count(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
    guard completed > 0 else { return true }
    out.removeAll(keepingCapacity: true)
    for _ in 0..<completed { out.append(contentsOf: livezAnswer) }
    var sent = 0
    while sent < out.count {
        let m = out.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
        if m <= 0 {
            if m < 0 && errno == EINTR { continue }
            return false
        }
        sent += m
    }
    return true
}

// -- The proxy floors (bench-clients.sh)

/// The gateway's answer body for `GET /clients/1?fields=id,email,business_name,first_name,
/// last_name,address1,city,notes` (CLIENTS_FIELDS in Benchmarks/lib.sh) over
/// Benchmarks/nginx/client-envelope.json, byte for byte (264 bytes): `data.Client`'s members
/// in the envelope's order. bench-clients.sh passes the gateway's own decoded answer as
/// BODY_FILE instead, so that any --fields works.
public let builtInClientBody = #"{"id":"1","business_name":"Nile Delta Trading Co.","first_name":"Mona","last_name":"El-Sayed","email":"accounts@niledelta.example","address1":"14 Tahrir Street","city":"Cairo","notes":"Prefers invoices in Arabic and English; pays by bank transfer within 30 days."}"#

/// The gateway's upstream request (ClientsEndpoint.callUpstream, UpstreamRequest.encoded),
/// for the tenant `acme` of bench-clients.sh against `--upstream http://HOST:PORT/{subdomain}/api2`,
/// with a fixed request id of the same length.
public func upstreamClientRequest(host: String, port: Int) -> [UInt8] {
    Array((
        "GET /acme/api2/clients/1.json HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        + "Accept: application/json\r\nAccept-Encoding: gzip\r\nAuthorization: Bearer t\r\n"
        + "User-Agent: daftra-gateway/0.1.0\r\nX-Request-Id: 0123456789abcdef0123456789abcdef\r\n\r\n").utf8)
}

/// The gateway's `/clients` answer head, in its order and byte for byte in length (a fixed
/// Date and request id), before the Content-Length value.
public let clientAnswerHeadStart: [UInt8] = Array("HTTP/1.1 200 OK\r\nDate: Sun, 29 Nov 2026 00:00:00 GMT\r\nContent-Length: ".utf8)
/// The rest of that head, after the Content-Length value.
public let clientAnswerHeadEnd: [UInt8] = Array((
    "\r\nVary: Accept-Encoding\r\nContent-Encoding: gzip\r\nContent-Type: application/json; charset=utf-8\r\n"
    + "Cache-Control: no-store\r\nX-Request-Id: 0123456789abcdef0123456789abcdef\r\n\r\n").utf8)

/// The body a proxy floor answers: `file`'s bytes (BODY_FILE) when given, else
/// ``builtInClientBody``; nil when the file cannot be read or is empty.
public func proxyFloorBody(file: String?) -> [UInt8]? {
    guard let file else { return Array(builtInClientBody.utf8) }
    guard let bytes = readWholeFile(file), !bytes.isEmpty else { return nil }
    return bytes
}

/// A whole file's bytes, or nil when it cannot be read.
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { return nil }
        if n == 0 { return bytes }
        bytes.append(contentsOf: chunk[..<n])
    }
}
