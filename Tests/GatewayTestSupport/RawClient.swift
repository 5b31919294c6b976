import EventLoop
import Glibc
import HTTP1

/// A blocking HTTP/1.1 test client on a plain socket: sends exactly the bytes a
/// test gives it and decodes answers with the project's own response decoder.
public final class RawClient {
    public struct Response: Sendable {
        public var head: HTTPResponseHead
        public var body: [UInt8]
        public var status: Int { head.status }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { head.headers.first(name) }
    }

    public struct ClientError: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    public let fd: Int32
    private var buffer: [UInt8] = []
    private var decoder = HTTPResponseDecoder()
    private var eof = false
    /// Whether the end of the stream was a reset rather than the server's FIN:
    /// failure messages say which, since the two have different causes.
    private var endedByReset = false

    /// "closed" or "reset", for failure messages.
    private var endWord: String { endedByReset ? "reset" : "closed" }

    /// Connects to `host:port` with a receive timeout.
    public init(host: String = "127.0.0.1", port: UInt16, timeoutSeconds: Int = 5) throws {
        guard let address = SocketAddress(ip: host, port: port) else { throw ClientError("bad address \(host)") }
        fd = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket: errno \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = address.withSockAddr { sa, len in Glibc.connect(fd, sa, len) }
        guard rc == 0 else {
            let e = errno
            // No close here: every stored property is set, so a throw from here
            // runs deinit, which closes the socket. Closing it here as well closed
            // it twice; the second close could hit a descriptor another test had
            // just opened with the same number (suites run in parallel): the likely
            // cause of a JSONLogHandlerTests run whose log-capture pipe read nothing.
            throw ClientError("connect: errno \(e)")
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Sends all of `bytes`.
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError("send: errno \(errno)")
            }
            sent += n
        }
    }

    /// Sends a string's UTF-8 bytes.
    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Reads the next complete answer. `head` tells the decoder the request was HEAD.
    public func readResponse(head: Bool = false) throws -> Response {
        decoder.expect(requestMethodIsHead: head)
        var responseHead: HTTPResponseHead?
        var body: [UInt8] = []
        var sawBytes = !buffer.isEmpty
        while true {
            // Decode until the decoder needs bytes; an empty buffer may still
            // complete a message (a body-less answer ends without more input).
            while true {
                let step = try buffer.withUnsafeBytes { try decoder.decode($0) }
                var done = false
                switch step.event {
                case .head(let h): responseHead = h
                case .body(let r): body.append(contentsOf: buffer[r])
                case .end: done = true
                case nil: break
                }
                buffer.removeFirst(step.consumed)
                if done, let h = responseHead { return Response(head: h, body: body) }
                if step.event == nil { break }
            }
            if eof {
                if !sawBytes, responseHead == nil {
                    throw ClientError("connection \(endWord) before any answer byte")
                }
                if let event = try decoder.decodeEOF(), event == .end, let h = responseHead {
                    return Response(head: h, body: body)
                }
                throw ClientError("connection \(endWord) before a complete answer")
            }
            try fill()
            if !buffer.isEmpty { sawBytes = true }
        }
    }

    /// Reads exactly `count` raw bytes (for interim answers the decoder skips).
    public func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            if eof { throw ClientError("connection \(endWord) after \(buffer.count) of \(count) bytes") }
            try fill()
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    /// Reads until the server closes; returns everything read (after buffered bytes).
    public func readToEnd() throws -> [UInt8] {
        var all = buffer
        buffer = []
        while !eof {
            try fill()
            all.append(contentsOf: buffer)
            buffer = []
        }
        return all
    }

    /// Whether the server has closed the connection (waits up to the timeout).
    public func isClosedByPeer() -> Bool {
        if eof { return true }
        do {
            try fill()
            return eof
        } catch {
            return error is ClientError ? true : false
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
                return
            }
            if n == 0 {
                eof = true
                return
            }
            if errno == EINTR { continue }
            if errno == ECONNRESET {
                eof = true
                endedByReset = true
                return
            }
            throw ClientError(errno == EAGAIN ? "timed out waiting for the server" : "recv: errno \(errno)")
        }
    }

    /// One request, one answer, on a fresh connection.
    public static func get(_ path: String, port: UInt16, headers: [(String, String)] = []) throws -> Response {
        let client = try RawClient(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (n, v) in headers { request += "\(n): \(v)\r\n" }
        request += "\r\n"
        try client.send(request)
        return try client.readResponse()
    }
}

/// File descriptors open in this process now (for leak checks).
public func openFileDescriptorCount() -> Int {
    guard let dir = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(dir) }
    var count = 0
    while readdir(dir) != nil { count += 1 }
    return count - 3  // ".", ".." and the directory's own fd
}
