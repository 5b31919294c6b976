// nio-proxy-floor: Benchmarks/DispatchProxyFloor's reverse proxy on SwiftNIO (epoll, one
// thread per event loop) instead of Dispatch sources. A benchmark peer of
// bench-clients.sh (--nio-floor); not part of the product.
//
// Same work per request as the Dispatch proxy floor: each downstream connection owns one
// keep-alive upstream connection, made on first use on the same event loop. Per request
// head (counted by CRLFCRLF, answered in order, one upstream exchange at a time per
// connection) it sends the same fixed upstream request bytes, reads the upstream's answer
// until Content-Length says it is whole (status and Content-Length are all it parses),
// gzips the same fixed body with one deflate stream per loop (window fitted to the body)
// and answers with the same head. The difference between the two proxy floors in one run
// is what two Dispatch-source events per request cost against epoll driven directly.
//
// Usage: nio-proxy-floor HOST PORT LOOPS UPSTREAM_HOST UPSTREAM_PORT GZIP_LEVEL [BODY_FILE]
import CZlib
import FloorShared
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Something is wrong with the set-up: stop at once rather than measure it.
func fail(_ what: String) -> Never {
    say("nio-proxy-floor: \(what)")
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 7 || arguments.count == 8, Int(arguments[2]) != nil,
      let loopCount = Int(arguments[3]), loopCount > 0, Int(arguments[5]) != nil,
      let level = Int32(arguments[6]), (1...9).contains(level)
else {
    say("usage: nio-proxy-floor HOST PORT LOOPS UPSTREAM_HOST UPSTREAM_PORT GZIP_LEVEL [BODY_FILE]")
    exit(64)
}
// Globals (not guard bindings), so that the classes below may use them.
let port = Int(arguments[2])!
let loops = loopCount
let upstreamPort = Int(arguments[5])!
let gzipLevel = level
let host = arguments[1]
let upstreamHost = arguments[4]

let body: [UInt8] = {
    guard let body = proxyFloorBody(file: arguments.count == 8 ? arguments[7] : nil) else {
        fail("BODY_FILE \(arguments[7]) cannot be read, or is empty")
    }
    return body
}()
let upstreamRequest = upstreamClientRequest(host: upstreamHost, port: upstreamPort)

/// One reusable gzip stream, window and memory level fitted to the body as the gateway's
/// GzipEncoder fits them, reset per answer.
///
/// `@unchecked Sendable` only so that the table of streams can be shared at start-up:
/// each stream is used by the handlers of one event loop, on that loop's thread only.
final class Deflater: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private var used = false
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let output: UnsafeMutableBufferPointer<UInt8>

    init(level: Int32) {
        input = .allocate(capacity: body.count)
        _ = input.initialize(from: body)
        var bits: Int32 = 15
        while bits > 9, body.count < (1 << (bits - 1)) - 262 { bits -= 1 }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_deflate_init_gzip(stream, level, bits, max(1, bits - 7)) == Z_OK else { fail("deflateInit2") }
        output = .allocate(capacity: Int(deflateBound(stream, uLong(body.count))))
    }

    /// Writes the answer (head, then a fresh gzip member of the body) into `out`.
    func writeAnswer(into out: inout ByteBuffer) {
        if used {
            guard deflateReset(stream) == Z_OK else { fail("deflateReset") }
        }
        used = true
        stream.pointee.next_in = input.baseAddress
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress
        stream.pointee.avail_out = uInt(output.count)
        guard deflate(stream, Z_FINISH) == Z_STREAM_END else { fail("deflate did not finish in one call") }
        stream.pointee.next_in = nil
        let member = output.count - Int(stream.pointee.avail_out)
        out.writeBytes(clientAnswerHeadStart)
        out.writeString(String(member))
        out.writeBytes(clientAnswerHeadEnd)
        out.writeBytes(UnsafeRawBufferPointer(start: output.baseAddress, count: member))
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
/// A deflate stream per event loop, made before any connection, read-only afterwards.
let deflaters: [ObjectIdentifier: Deflater] = Dictionary(
    uniqueKeysWithValues: group.makeIterator().map { (ObjectIdentifier($0), Deflater(level: gzipLevel)) })

/// The upstream side of one downstream connection: reads each answer to its end and
/// tells the downstream handler. Lives on the downstream channel's event loop.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private unowned let owner: ProxyHandler
    private var head = HeadCounter()
    private var headBytes: [UInt8] = []
    /// Body bytes still to come; -1 while the head is incomplete.
    private var bodyLeft = -1

    init(owner: ProxyHandler) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in
            var at = 0
            if bodyLeft < 0 {
                let end = head.end(in: bytes)
                headBytes.append(contentsOf: bytes[..<(end ?? bytes.count)])
                guard let end else { return }
                bodyLeft = contentLength()
                headBytes.removeAll(keepingCapacity: true)
                at = end
            }
            let bodyBytes = bytes.count - at
            guard bodyBytes <= bodyLeft else { fail("the upstream sent more than its Content-Length") }
            bodyLeft -= bodyBytes
            if bodyLeft == 0 {
                bodyLeft = -1
                owner.finishExchange()
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        owner.upstreamClosed(midAnswer: bodyLeft >= 0 || !headBytes.isEmpty)
    }

    /// The status must be 200 and Content-Length present: nothing else is measured here.
    private func contentLength() -> Int {
        let text = String(decoding: headBytes, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200 ") else { fail("the upstream answered '\(text.prefix(40))', not HTTP/1.1 200") }
        for line in text.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length",
               let value = Int(parts[1].trimmingPrefix(while: { $0 == " " || $0 == "\t" })
                   .prefix(while: { $0 != " " && $0 != "\t" })) {
                return value
            }
        }
        fail("the upstream's answer has no Content-Length (run the upstream without gzip)")
    }
}

/// One downstream connection and the upstream connection it owns, on one event loop.
final class ProxyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var heads = HeadCounter()
    /// Request heads received and not answered yet, the one in exchange included.
    private var waiting = 0
    private var busy = false
    private var answered = 0
    private var upstream: (any Channel)?
    private var context: ChannelHandlerContext?
    private var deflater: Deflater?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        deflater = deflaters[ObjectIdentifier(context.eventLoop)]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        waiting += buffer.withUnsafeReadableBytes { heads.count($0) }
        if !busy && waiting > 0 { startExchange() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream?.close(promise: nil)
        upstream = nil
        self.context = nil
    }

    private func startExchange() {
        busy = true
        if let upstream {
            upstream.writeAndFlush(ByteBuffer(bytes: upstreamRequest), promise: nil)
        } else {
            connectUpstream()
        }
    }

    private func connectUpstream() {
        guard let context else { return }
        let loop = context.eventLoop
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: upstreamHost, port: upstreamPort)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard self.context != nil else {
                        channel.close(promise: nil)
                        return
                    }
                    do {
                        try channel.pipeline.syncOperations.addHandler(UpstreamHandler(owner: self))
                    } catch {
                        fail("adding the upstream handler: \(error)")
                    }
                    self.upstream = channel
                    channel.writeAndFlush(ByteBuffer(bytes: upstreamRequest), promise: nil)
                case .failure(let error):
                    say("nio-proxy-floor: connect to the upstream: \(error)")
                    self.context?.close(promise: nil)
                }
            }
    }

    /// The upstream connection closed: between answers, the next request makes another
    /// (and one that closed as a request went out is tried again); mid-answer, the caller
    /// sees its connection close.
    func upstreamClosed(midAnswer: Bool) {
        upstream = nil
        guard let context else { return }
        if busy && midAnswer {
            say("nio-proxy-floor: the upstream closed the connection mid-answer")
            context.close(promise: nil)
        } else if busy {
            connectUpstream()
        }
    }

    func finishExchange() {
        answered += 1
        busy = false
        waiting -= 1
        guard let context, let deflater else { return }
        var out = context.channel.allocator.buffer(capacity: 512 + body.count)
        deflater.writeAnswer(into: &out)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        if waiting > 0 { startExchange() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ProxyHandler())
        }
    }
let server = try bootstrap.bind(host: host, port: port).wait()
try server.closeFuture.wait()
