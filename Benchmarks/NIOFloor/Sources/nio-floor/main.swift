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
import FloorShared
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Counts request heads and answers each with `answer`; one instance per channel, so it
/// lives on that channel's event loop only.
final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var heads = HeadCounter()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let completed = buffer.withUnsafeReadableBytes { heads.count($0) }
        guard completed > 0 else { return }
        var out = context.channel.allocator.buffer(capacity: livezAnswer.count * completed)
        for _ in 0..<completed { out.writeBytes(livezAnswer) }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = Int(arguments[2]), let loops = Int(arguments[3]), loops > 0 else {
    say("usage: nio-floor HOST PORT LOOPS")
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
