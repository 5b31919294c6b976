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
// Build: swiftc -O -swift-version 6 -I CEpoll main.swift ../FloorShared/FloorShared.swift
import CEpoll
import Dispatch
import Glibc

let (host, port, loops) = livezFloorArguments(name: "dispatch-epoll-floor")

/// One loop: its queue, listener, epoll set and the source over it, and the per-fd state
/// of its connections (how many bytes of "\r\n\r\n" each read ended with). Everything is
/// touched only on `queue`: the source's handler runs there, and nothing else runs.
final class Loop: @unchecked Sendable {
    let queue: DispatchQueue
    let listener: Int32
    let epoll: Int32
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var events = [epoll_event](repeating: epoll_event(), count: 256)
    /// Per fd: its request-head counter.
    var counters = [HeadCounter](repeating: HeadCounter(), count: 1024)
    var out: [UInt8] = []
    var source: (any DispatchSourceRead)?

    init(index: Int, host: String, port: UInt16) {
        queue = DispatchQueue(label: "epoll-floor.loop.\(index)", qos: .userInitiated)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { die("epoll_create1") }
        listener = reusePortListener(host: host, port: port)
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
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { die("epoll_ctl ADD") }
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
        while let fd = acceptConnection(listener) {
            if Int(fd) >= counters.count {
                counters += [HeadCounter](repeating: HeadCounter(), count: Int(fd) + 1 - counters.count)
            }
            counters[Int(fd)] = HeadCounter()
            watch(fd)
        }
    }

    /// Closing the fd also takes it out of the epoll set.
    func drop(_ fd: Int32) {
        close(fd)
    }

    func readable(_ fd: Int32) {
        if !serveLivezRead(fd: fd, buffer: buffer, heads: &counters[Int(fd)], out: &out) {
            drop(fd)
        }
    }
}

let running = (0..<loops).map { Loop(index: $0, host: host, port: port) }
say("dispatch-epoll-floor: listening on \(host):\(port) with \(running.count) loop(s)")
dispatchMain()
