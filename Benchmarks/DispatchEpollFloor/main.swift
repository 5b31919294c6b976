// dispatch-epoll-floor: the Dispatch floor's server with one Dispatch read source per loop
// over an epoll set, instead of one per connection, as a benchmark peer for GET /livez
// (Benchmarks/bench-livez.sh --epoll-floor). Not part of the product.
//
// Why it exists: it measures one way the product owner could relax "a read source per
// connection" and keep Dispatch. Each loop owns a serial queue, an SO_REUSEPORT listener
// and an epoll set holding the listener and the loop's connections (level-triggered). One
// read source watches the epoll fd; its handler drains the ready list with
// epoll_wait(timeout 0) and, per ready connection, does exactly what the Dispatch floor
// does per event: one read, count the request heads, one send of the fixed answers. So
// libdispatch's per-event work (re-registration, FIONREAD, the hand-off to a worker) is
// paid once per batch of ready sockets instead of once per socket.
//
// Usage: dispatch-epoll-floor HOST PORT LOOPS   (IPv4 HOST)
import CEpoll
import Dispatch
import Glibc

/// A line on stderr (`write(2)`: the C `stderr` global is not concurrency-safe).
func say(_ line: String) {
    var line = line + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = UInt16(arguments[2]), let loops = Int(arguments[3]), loops > 0 else {
    say("usage: dispatch-epoll-floor HOST PORT LOOPS")
    exit(64)
}
let host = arguments[1]
signal(SIGPIPE, SIG_IGN)

/// The gateway's /livez answer, byte for byte in length: the Dispatch floor's bytes.
let answer: [UInt8] = Array((
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
    + "X-Request-Id: 0123456789abcdef0123456789abcdef\r\nDate: Sun, 29 Nov 2026 00:00:00 GMT\r\n"
    + "Content-Length: 15\r\n\r\n{\"status\":\"ok\"}").utf8)

func fail(_ what: String) -> Never {
    say("dispatch-epoll-floor: \(what): \(String(cString: strerror(errno)))")
    exit(1)
}

/// One loop: its queue, listener, epoll set and the source over it, and the per-fd state
/// of its connections (how many bytes of "\r\n\r\n" each read ended with). Everything is
/// touched only on `queue`: the source's handler runs there, and nothing else runs.
final class Loop: @unchecked Sendable {
    let queue: DispatchQueue
    let listener: Int32
    let epoll: Int32
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var events = [epoll_event](repeating: epoll_event(), count: 256)
    /// Per fd: how many bytes of "\r\n\r\n" its previous read ended with.
    var matched = [UInt8](repeating: 0, count: 1024)
    var out: [UInt8] = []
    var source: (any DispatchSourceRead)?

    init(index: Int, host: String, port: UInt16) {
        queue = DispatchQueue(label: "epoll-floor.loop.\(index)", qos: .userInitiated)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { fail("epoll_create1") }
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
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
        watch(listener)
        let source = DispatchSource.makeReadSource(fileDescriptor: epoll, queue: queue)
        source.setEventHandler { [unowned self] in self.drain() }
        self.source = source
        source.resume()
    }

    func watch(_ fd: Int32) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = fd
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { fail("epoll_ctl ADD") }
    }

    /// Everything ready now, without waiting: the source fired because the set is readable.
    func drain() {
        let count = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), 0) }
        guard count > 0 else { return }
        for i in 0..<Int(count) {
            let fd = events[i].data.fd
            if fd == listener {
                acceptAll()
            } else {
                readable(fd)
            }
        }
    }

    func acceptAll() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Int(fd) >= matched.count { matched += [UInt8](repeating: 0, count: Int(fd) + 1 - matched.count) }
            matched[Int(fd)] = 0
            watch(fd)
        }
    }

    /// Closing the fd also takes it out of the epoll set.
    func drop(_ fd: Int32) {
        close(fd)
    }

    func readable(_ fd: Int32) {
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            drop(fd)
            return
        }
        guard n > 0 else { return }
        let pattern: [UInt8] = [13, 10, 13, 10]
        var state = Int(matched[Int(fd)])
        var heads = 0
        for i in 0..<n {
            let byte = buffer[i]
            if byte == pattern[state] {
                state += 1
                if state == 4 {
                    heads += 1
                    state = 0
                }
            } else {
                state = byte == 13 ? 1 : 0
            }
        }
        matched[Int(fd)] = UInt8(state)
        guard heads > 0 else { return }
        out.removeAll(keepingCapacity: true)
        for _ in 0..<heads { out.append(contentsOf: answer) }
        var sent = 0
        while sent < out.count {
            let m = out.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            // A client that does not read its answers is not this benchmark's concern: drop it.
            if m <= 0 {
                if m < 0 && errno == EINTR { continue }
                drop(fd)
                return
            }
            sent += m
        }
    }
}

let running = (0..<loops).map { Loop(index: $0, host: host, port: port) }
say("dispatch-epoll-floor: listening on \(host):\(port) with \(running.count) loop(s)")
dispatchMain()
