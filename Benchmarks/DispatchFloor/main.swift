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
// Build: swiftc -O -swift-version 6 main.swift ../FloorShared/FloorShared.swift (lib.sh build_floor)
import Dispatch
import Glibc

let (host, port, loops) = livezFloorArguments(name: "dispatch-floor")

/// One connection, confined to its loop's queue: the read source's handler and the cancel
/// handler both run there.
final class Connection: @unchecked Sendable {
    let fd: Int32
    var source: (any DispatchSourceRead)?
    var heads = HeadCounter()
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
        if !serveLivezRead(fd: fd, buffer: buffer, heads: &heads, out: &out) {
            source?.cancel()
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
        listener = reusePortListener(host: host, port: port)
        let source = DispatchSource.makeReadSource(fileDescriptor: listener, queue: queue)
        source.setEventHandler { [unowned self] in self.acceptAll() }
        acceptSource = source
        source.resume()
    }

    func acceptAll() {
        while let fd = acceptConnection(listener) {
            _ = Connection(fd: fd, queue: queue, buffer: buffer)
        }
    }
}

let running = (0..<loops).map { Loop(index: $0, host: host, port: port) }
say("dispatch-floor: listening on \(host):\(port) with \(running.count) loop(s)")
dispatchMain()
