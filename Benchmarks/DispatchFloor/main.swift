// dispatch-floor: the least a server built on Dispatch sources can do per request, as a
// benchmark peer for GET /livez (Benchmarks/bench-livez.sh --floor). Not part of the product.
//
// One serial queue per loop, an SO_REUSEPORT listener per loop with an accept read source,
// a read source per connection. Each read event reads once, counts the request heads it
// completed (CRLFCRLF) and answers all of them with one send of fixed bytes: no parsing,
// no routing, no log, no timeouts. What it costs per request is what libdispatch and the
// kernel cost; the gaps between it, the gateway and nginx in one run separate the price
// of Dispatch sources from the price of the gateway's own work. It answers within each
// event's handler; the gateway sends a loop's answers in batches (EventLoop.flushSoon),
// which saves CPU here too, so the two no longer differ by the gateway's work alone
// (Benchmarks/README.md).
//
// Usage: dispatch-floor HOST PORT LOOPS   (IPv4 HOST)
import Dispatch
import Glibc

/// A line on stderr (`write(2)`: the C `stderr` global is not concurrency-safe).
func say(_ line: String) {
    var line = line + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = UInt16(arguments[2]), let loops = Int(arguments[3]), loops > 0 else {
    say("usage: dispatch-floor HOST PORT LOOPS")
    exit(64)
}
let host = arguments[1]
signal(SIGPIPE, SIG_IGN)

/// The gateway's /livez answer, byte for byte in length (a fixed Date and request id).
let answer: [UInt8] = Array((
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
    + "X-Request-Id: 0123456789abcdef0123456789abcdef\r\nDate: Sun, 29 Nov 2026 00:00:00 GMT\r\n"
    + "Content-Length: 15\r\n\r\n{\"status\":\"ok\"}").utf8)

func fail(_ what: String) -> Never {
    say("dispatch-floor: \(what): \(String(cString: strerror(errno)))")
    exit(1)
}

func setNonBlocking(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
}

/// One connection, confined to its loop's queue: the read source's handler and the cancel
/// handler both run there.
final class Connection: @unchecked Sendable {
    let fd: Int32
    var source: (any DispatchSourceRead)?
    /// How many bytes of "\r\n\r\n" the previous read ended with.
    var matched = 0
    var out: [UInt8] = []

    init(fd: Int32, queue: DispatchQueue, buffer: UnsafeMutableRawBufferPointer) {
        self.fd = fd
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [unowned self] in self.readable(buffer) }
        // Holds the connection until the cancel handler ran; clearing `source` ends the cycle.
        source.setCancelHandler { [self] in
            close(self.fd)
            self.source = nil
        }
        self.source = source
        source.resume()
    }

    func readable(_ buffer: UnsafeMutableRawBufferPointer) {
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            source?.cancel()
            return
        }
        guard n > 0 else { return }
        let pattern: [UInt8] = [13, 10, 13, 10]
        var heads = 0
        for i in 0..<n {
            let byte = buffer[i]
            if byte == pattern[matched] {
                matched += 1
                if matched == 4 {
                    heads += 1
                    matched = 0
                }
            } else {
                matched = byte == 13 ? 1 : 0
            }
        }
        guard heads > 0 else { return }
        out.removeAll(keepingCapacity: true)
        for _ in 0..<heads { out.append(contentsOf: answer) }
        var sent = 0
        while sent < out.count {
            let m = out.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            // A client that does not read its answers is not this benchmark's concern: drop it.
            if m <= 0 {
                if m < 0 && errno == EINTR { continue }
                source?.cancel()
                return
            }
            sent += m
        }
    }
}

/// One loop: a queue, its listener and the scratch buffer its reads share.
final class Loop: @unchecked Sendable {
    let queue: DispatchQueue
    let listener: Int32
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var acceptSource: (any DispatchSourceRead)?

    init(index: Int, host: String, port: UInt16) {
        queue = DispatchQueue(label: "floor.loop.\(index)", qos: .userInitiated)
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { fail("socket") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { fail("address \(host)") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 1024) == 0 else { fail("bind/listen") }
        setNonBlocking(listener)
        let source = DispatchSource.makeReadSource(fileDescriptor: listener, queue: queue)
        source.setEventHandler { [unowned self] in self.acceptAll() }
        acceptSource = source
        source.resume()
    }

    func acceptAll() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            setNonBlocking(fd)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            _ = Connection(fd: fd, queue: queue, buffer: buffer)
        }
    }
}

let running = (0..<loops).map { Loop(index: $0, host: host, port: port) }
say("dispatch-floor: listening on \(host):\(port) with \(running.count) loop(s)")
dispatchMain()
