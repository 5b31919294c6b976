// dispatch-proxy-floor: the least a reverse proxy built on Dispatch sources can do per
// request, as a benchmark peer for GET /clients/1?fields=... with gzip
// (Benchmarks/bench-clients.sh). Not part of the product.
//
// What Benchmarks/DispatchFloor is to /livez, this is to /clients: one serial queue per
// loop, an SO_REUSEPORT listener per loop with an accept read source, a read source per
// connection. Each downstream connection owns one keep-alive upstream connection, made on
// first use on the same queue (a non-blocking connect; a write source only while a connect
// or a send would block; a read source for the answers). Per request head (counted by
// CRLFCRLF, answered in order, one upstream exchange at a time per connection) it sends
// fixed upstream request bytes of the gateway's shape, reads the upstream's answer until
// Content-Length says it is whole (the head's status and Content-Length are all it
// parses), gzips a fixed body (the gateway's projection for the benchmark's ?fields=) with
// one deflate stream per loop, and answers with one send of headers shaped like the
// gateway's. It does not parse the request, route, check the tenant or credential,
// validate or parse the upstream's JSON, project fields, log, keep metrics, time out, or
// batch answers across connections as the gateway does (EventLoop.flushSoon): that is
// the gateway's own work. What it costs per request is what libdispatch, the kernel and
// zlib cost for two Dispatch-source events per request (the caller's socket, then the
// upstream's).
//
// Usage: dispatch-proxy-floor HOST PORT LOOPS UPSTREAM_HOST UPSTREAM_PORT GZIP_LEVEL [BODY_FILE]
//   (IPv4 hosts; BODY_FILE: the body to gzip and answer, instead of the built-in one)
// Build: swiftc -O -swift-version 6 -I Sources/CZlib main.swift ../FloorShared/FloorShared.swift
//   (Sources/CZlib's module map brings zlib in, with the shim's deflateInit2 wrapper;
//   lib.sh build_floor adds FloorShared).
import CZlib
import Dispatch
import Glibc

/// Something is wrong with the set-up (the upstream answered what this floor cannot
/// measure): stop at once rather than measure it.
func fail(_ what: String) -> Never {
    say("dispatch-proxy-floor: \(what)")
    exit(1)
}

func failErrno(_ what: String) -> Never {
    fail("\(what): \(String(cString: strerror(errno)))")
}

let arguments = CommandLine.arguments
guard arguments.count == 7 || arguments.count == 8, let port = UInt16(arguments[2]),
      let loops = Int(arguments[3]), loops > 0, let upstreamPort = UInt16(arguments[5]),
      let gzipLevel = Int32(arguments[6]), (1...9).contains(gzipLevel)
else {
    say("usage: dispatch-proxy-floor HOST PORT LOOPS UPSTREAM_HOST UPSTREAM_PORT GZIP_LEVEL [BODY_FILE]")
    exit(64)
}
let host = arguments[1]
let upstreamHost = arguments[4]
signal(SIGPIPE, SIG_IGN)

let body: [UInt8] = {
    guard let body = proxyFloorBody(file: arguments.count == 8 ? arguments[7] : nil) else {
        fail("BODY_FILE \(arguments[7]) cannot be read, or is empty")
    }
    return body
}()

let upstreamRequest = upstreamClientRequest(host: upstreamHost, port: Int(upstreamPort))

let upstreamAddress = ipv4Address(upstreamHost, upstreamPort)

/// One upstream TCP connection and its sources, confined to its loop's queue. The fd is
/// closed once, by whichever cancel handler of its sources runs last (or at once when it
/// never had a source).
final class UpstreamLink: @unchecked Sendable {
    let fd: Int32
    var connected = false
    /// Bytes of `upstreamRequest` sent in the current exchange.
    var sent = 0
    /// Exchanges completed on it.
    var answered = 0
    var reader: (any DispatchSourceRead)?
    /// Made only when a connect or a send would block, cancelled once it fired.
    var writer: (any DispatchSourceWrite)?
    /// Sources whose cancel handler has not run yet.
    var live = 0
    var cancelled = false
    var closed = false

    init() {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { failErrno("socket (upstream)") }
        setNoDelay(fd)
    }

    func sourceGone() {
        live -= 1
        closeIfDone()
    }

    func closeIfDone() {
        guard cancelled, live == 0, !closed else { return }
        closed = true
        close(fd)
    }

    /// Cancels its sources; the fd closes when the last cancel handler ran.
    func cancel() {
        guard !cancelled else { return }
        cancelled = true
        reader?.cancel()
        doneWritable()
        closeIfDone()
    }

    /// Calls `handler` when the socket is writable (a connect finished, or room to send).
    func wantWritable(queue: DispatchQueue, handler: @escaping @Sendable () -> Void) {
        guard writer == nil else { return }
        let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler(handler: handler)
        // Holds the source until its cancel handler ran (libdispatch then drops the handler).
        source.setCancelHandler { [self, source] in
            _ = source
            sourceGone()
        }
        live += 1
        writer = source
        source.resume()
    }

    func doneWritable() {
        writer?.cancel()
        writer = nil
    }
}

/// One loop: a queue, its listener, the scratch buffer its reads share and its deflate
/// stream.
final class Loop: @unchecked Sendable {
    let queue: DispatchQueue
    let listener: Int32
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var acceptSource: (any DispatchSourceRead)?

    /// One reusable gzip stream, its window and memory level fitted to the body as
    /// Sources/Compression/GzipEncoder.swift fits them (nginx's rule), reset per answer.
    let stream: UnsafeMutablePointer<z_stream>
    var streamUsed = false
    /// The body at a stable address for zlib's `next_in`.
    let input: UnsafeMutableBufferPointer<UInt8>
    /// Where an answer is written: head, then the gzip member.
    let answer: UnsafeMutableBufferPointer<UInt8>
    /// Where deflate writes: `deflateBound` of the body, so one call finishes the member.
    let gzip: UnsafeMutableBufferPointer<UInt8>

    init(index: Int, host: String, port: UInt16, level: Int32) {
        queue = DispatchQueue(label: "proxy-floor.loop.\(index)", qos: .userInitiated)

        input = .allocate(capacity: body.count)
        _ = input.initialize(from: body)
        var bits: Int32 = 15
        while bits > 9, body.count < (1 << (bits - 1)) - 262 { bits -= 1 }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_deflate_init_gzip(stream, level, bits, max(1, bits - 7)) == Z_OK else { fail("deflateInit2") }
        let bound = Int(deflateBound(stream, uLong(body.count)))
        gzip = .allocate(capacity: bound)
        answer = .allocate(capacity: clientAnswerHeadStart.count + 20 + clientAnswerHeadEnd.count + bound)

        listener = reusePortListener(host: host, port: port)
        let source = DispatchSource.makeReadSource(fileDescriptor: listener, queue: queue)
        source.setEventHandler { [unowned self] in self.acceptAll() }
        acceptSource = source
        source.resume()
    }

    func acceptAll() {
        while let fd = acceptConnection(listener) {
            _ = Connection(fd: fd, loop: self)
        }
    }

    /// Writes one answer (head and a fresh gzip member of the body) into `answer`;
    /// returns its length.
    func encodeAnswer() -> Int {
        if streamUsed {
            guard deflateReset(stream) == Z_OK else { fail("deflateReset") }
        }
        streamUsed = true
        stream.pointee.next_in = input.baseAddress
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = gzip.baseAddress
        stream.pointee.avail_out = uInt(gzip.count)
        guard deflate(stream, Z_FINISH) == Z_STREAM_END else { fail("deflate did not finish in one call") }
        stream.pointee.next_in = nil
        let member = gzip.count - Int(stream.pointee.avail_out)

        var at = UnsafeMutableBufferPointer(rebasing: answer[...]).initialize(from: clientAnswerHeadStart).1
        // Content-Length in decimal.
        var width = 1
        var rest = member
        while rest >= 10 {
            rest /= 10
            width += 1
        }
        rest = member
        for i in stride(from: at + width - 1, through: at, by: -1) {
            answer[i] = UInt8(48 + rest % 10)
            rest /= 10
        }
        at += width
        at = UnsafeMutableBufferPointer(rebasing: answer[at...]).initialize(from: clientAnswerHeadEnd).1 + at
        UnsafeMutableRawPointer(answer.baseAddress! + at).copyMemory(from: gzip.baseAddress!, byteCount: member)
        return at + member
    }
}

/// One downstream connection and the upstream connection it owns, confined to its loop's
/// queue. Alive until its read source's cancel handler ran (the handler holds it).
final class Connection: @unchecked Sendable {
    let fd: Int32
    unowned let loop: Loop
    var source: (any DispatchSourceRead)?
    var heads = HeadCounter()
    /// Request heads received and not answered yet, the one in exchange included.
    var waiting = 0
    /// An upstream exchange is under way.
    var busy = false
    var link: UpstreamLink?
    var dropped = false

    // The upstream answer being read.
    var answerHead = HeadCounter()
    var head: [UInt8] = []
    /// Body bytes still to come; -1 while the head is incomplete.
    var bodyLeft = -1

    init(fd: Int32, loop: Loop) {
        self.fd = fd
        self.loop = loop
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
        source.setEventHandler { [unowned self] in self.readable() }
        // Holds the connection until the cancel handler ran; clearing `source` ends the cycle.
        source.setCancelHandler { [self] in
            close(self.fd)
            self.source = nil
        }
        self.source = source
        source.resume()
    }

    /// Closes both sides: the downstream fd in its source's cancel handler, the upstream
    /// one in its sources'.
    func drop() {
        guard !dropped else { return }
        dropped = true
        link?.cancel()
        link = nil
        source?.cancel()
    }

    func readable() {
        let buffer = loop.buffer
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            drop()
            return
        }
        guard n > 0 else { return }
        waiting += heads.count(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        if !busy && waiting > 0 { startExchange() }
    }

    // -- The upstream exchange

    func startExchange() {
        busy = true
        answerHead = HeadCounter()
        head.removeAll(keepingCapacity: true)
        bodyLeft = -1
        guard let link else {
            connectUpstream()
            return
        }
        link.sent = 0
        sendRequest(link)
    }

    func connectUpstream() {
        let link = UpstreamLink()
        self.link = link
        var address = upstreamAddress
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(link.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if status == 0 {
            connected(link)
        } else if errno == EINPROGRESS {
            link.wantWritable(queue: loop.queue) { [unowned self] in self.upstreamWritable(link) }
        } else {
            say("dispatch-proxy-floor: connect to the upstream: \(String(cString: strerror(errno)))")
            drop()
        }
    }

    func connected(_ link: UpstreamLink) {
        link.connected = true
        let reader = DispatchSource.makeReadSource(fileDescriptor: link.fd, queue: loop.queue)
        reader.setEventHandler { [unowned self] in self.upstreamReadable(link) }
        // Holds the link until the cancel handler ran; clearing `reader` ends the cycle.
        reader.setCancelHandler {
            link.reader = nil
            link.sourceGone()
        }
        link.live += 1
        link.reader = reader
        reader.resume()
        link.sent = 0
        sendRequest(link)
    }

    func upstreamWritable(_ link: UpstreamLink) {
        guard !link.cancelled else { return }
        if !link.connected {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(link.fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                say("dispatch-proxy-floor: connect to the upstream: \(String(cString: strerror(error)))")
                drop()
                return
            }
            link.doneWritable()
            connected(link)
            return
        }
        sendRequest(link)
    }

    func sendRequest(_ link: UpstreamLink) {
        while link.sent < upstreamRequest.count {
            let m = upstreamRequest.withUnsafeBytes {
                send(link.fd, $0.baseAddress! + link.sent, $0.count - link.sent, Int32(MSG_NOSIGNAL))
            }
            if m < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    link.wantWritable(queue: loop.queue) { [unowned self] in self.upstreamWritable(link) }
                    return
                }
                say("dispatch-proxy-floor: send to the upstream: \(String(cString: strerror(errno)))")
                drop()
                return
            }
            link.sent += m
        }
        link.doneWritable()
    }

    func upstreamReadable(_ link: UpstreamLink) {
        let buffer = loop.buffer
        let n = read(link.fd, buffer.baseAddress, buffer.count)
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        if n <= 0 {
            if busy && link.answered > 0 && head.isEmpty {
                // A kept-alive connection the upstream closed as this request went out
                // (as the gateway does, and every keep-alive client must): again on a new one.
                link.cancel()
                self.link = nil
                connectUpstream()
            } else if busy {
                // The upstream went away mid-exchange; the caller sees its connection close.
                say("dispatch-proxy-floor: the upstream closed the connection mid-answer"
                    + (n < 0 ? ": \(String(cString: strerror(errno)))" : ""))
                drop()
            } else {
                // An idle keep-alive connection closed: the next request makes another.
                link.cancel()
                self.link = nil
            }
            return
        }
        guard busy else { fail("the upstream sent \(n) bytes nobody asked for") }
        var at = 0
        if bodyLeft < 0 {
            let end = answerHead.end(in: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            head.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<(end ?? n)]))
            guard let end else {
                if head.count > 64 * 1024 { fail("the upstream's answer head is over 64 KiB") }
                return
            }
            bodyLeft = contentLength()
            at = end
        }
        let bodyBytes = n - at
        guard bodyBytes <= bodyLeft else { fail("the upstream sent more than its Content-Length") }
        bodyLeft -= bodyBytes
        if bodyLeft == 0 { finishExchange() }
    }

    /// The status must be 200 and Content-Length present: nothing else is measured here.
    func contentLength() -> Int {
        let status: [UInt8] = Array("HTTP/1.1 200 ".utf8)
        guard head.count >= status.count, Array(head[..<status.count]) == status else {
            fail("the upstream answered '\(String(decoding: head.prefix(40), as: UTF8.self))', not HTTP/1.1 200")
        }
        let name: [UInt8] = Array("\r\ncontent-length:".utf8)
        var i = 0
        search: while i + name.count <= head.count {
            for j in 0..<name.count {
                var byte = head[i + j]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != name[j] {
                    i += 1
                    continue search
                }
            }
            var k = i + name.count
            while k < head.count && (head[k] == 32 || head[k] == 9) { k += 1 }
            var value = 0
            var digits = 0
            while k < head.count, head[k] >= 48, head[k] <= 57, digits < 18 {
                value = value * 10 + Int(head[k] - 48)
                k += 1
                digits += 1
            }
            guard digits > 0 else { break }
            return value
        }
        fail("the upstream's answer has no Content-Length (a chunked or compressed answer? run the upstream without gzip)")
    }

    // -- The answer

    func finishExchange() {
        link?.answered += 1
        busy = false
        waiting -= 1
        let count = loop.encodeAnswer()
        var sent = 0
        while sent < count {
            let m = send(fd, loop.answer.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL))
            // A client that does not read its answers is not this benchmark's concern: drop it.
            if m <= 0 {
                if m < 0 && errno == EINTR { continue }
                drop()
                return
            }
            sent += m
        }
        if waiting > 0 { startExchange() }
    }
}

let running = (0..<loops).map { Loop(index: $0, host: host, port: port, level: gzipLevel) }
say("dispatch-proxy-floor: listening on \(host):\(port) with \(running.count) loop(s), upstream"
    + " \(upstreamHost):\(upstreamPort), gzip level \(gzipLevel), \(body.count)-byte body")
dispatchMain()
