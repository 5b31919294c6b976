// nio-floor: Benchmarks/DispatchFloor's server on SwiftNIO (epoll, one thread per event
// loop) instead of Dispatch sources. A benchmark peer of bench-livez.sh (--nio-floor); not
// part of the product.
//
// Same work per request as the Dispatch floor: each read counts the request heads it
// completed (CRLFCRLF) and answers all of them with one write of fixed bytes of the
// gateway's /livez length; no parsing, routing, log or timeouts. SO_REUSEPORT is not
// needed: one NIO listener hands accepted channels to the group's loops round robin.
// The difference between the two floors in one run is what Dispatch sources cost here
// against epoll driven directly.
//
// Usage: nio-floor HOST PORT LOOPS
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The gateway's /livez answer, byte for byte in length (a fixed Date and request id), the
/// same bytes as the Dispatch floor's.
let answer: [UInt8] = Array((
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
    + "X-Request-Id: 0123456789abcdef0123456789abcdef\r\nDate: Sun, 29 Nov 2026 00:00:00 GMT\r\n"
    + "Content-Length: 15\r\n\r\n{\"status\":\"ok\"}").utf8)

/// Counts request heads and answers each with `answer`; one instance per channel, so it
/// lives on that channel's event loop only.
final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How many bytes of "\r\n\r\n" the previous read ended with.
    private var matched = 0
    private let pattern: [UInt8] = [13, 10, 13, 10]

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        var heads = 0
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
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
        }
        guard heads > 0 else { return }
        var out = context.channel.allocator.buffer(capacity: answer.count * heads)
        for _ in 0..<heads { out.writeBytes(answer) }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = Int(arguments[2]), let loops = Int(arguments[3]), loops > 0 else {
    print("usage: nio-floor HOST PORT LOOPS")
    exit(64)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FloorHandler())
        }
    }
let server = try bootstrap.bind(host: arguments[1], port: port).wait()
try server.closeFuture.wait()
