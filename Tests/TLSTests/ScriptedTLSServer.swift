import EventLoop
import Glibc
import TLS

/// A TLS server that answers each request head with bytes a test scripts
/// exactly (chunked bodies, close-delimited bodies), then ends the connection
/// as told: keep it open, close with `close_notify`, or drop TCP without it.
final class ScriptedTLSServer: Sendable {
    enum Ending: Sendable {
        case keepOpen
        case closeNotify
        /// FIN without `close_notify` (a peer that does not shut TLS down).
        case abrupt
    }

    typealias Script = @Sendable (_ requestHead: String) -> (bytes: [UInt8], ending: Ending)

    let group: EventLoopGroup
    let listener: Listener
    let port: UInt16

    init(context: TLSServerContext, script: @escaping Script) throws {
        group = EventLoopGroup(loopCount: 1, sweepInterval: .milliseconds(20))
        let loop = group.loops[0]
        let fd = try Socket.listen(on: SocketAddress(ip: "127.0.0.1", port: 0)!, backlog: 64, reusePort: false)
        listener = try Listener(fd: fd, loop: loop, gate: ConnectionGate(limit: 1000), pickLoop: { loop }) { cfd, peer, loop in
            let channel = SocketChannel(fd: cfd, loop: loop, peer: peer)
            let stream = context.makeStream(over: channel)
            let connection = ScriptedConnection(stream: stream, script: script)
            stream.delegate = connection
            stream.start()
        }
        port = listener.address.port
        listener.start()
    }

    func stop() {
        listener.close()
    }
}

/// One connection of ``ScriptedTLSServer``; lives as its stream's delegate.
// @unchecked Sendable: confined to the stream's loop.
final class ScriptedConnection: ByteStreamDelegate, @unchecked Sendable {
    private unowned let stream: TLSStream
    private let script: ScriptedTLSServer.Script
    private var input: [UInt8] = []

    init(stream: TLSStream, script: @escaping ScriptedTLSServer.Script) {
        self.stream = stream
        self.script = script
    }

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        input.append(contentsOf: bytes)
        while let end = headEnd() {
            let head = String(decoding: input[..<end], as: UTF8.self)
            input.removeFirst(end)
            let (answer, ending) = script(head)
            stream.write(answer)
            switch ending {
            case .keepOpen:
                continue
            case .closeNotify:
                stream.close(.afterFlush)
            case .abrupt:
                // Straight to the socket: TCP closes, TLS is never shut down.
                stream.channel.close(.afterFlush)
            }
            return
        }
    }

    private func headEnd() -> Int? {
        guard input.count >= 4 else { return nil }
        for i in 3..<input.count where input[i - 3] == 13 && input[i - 2] == 10 && input[i - 1] == 13 && input[i] == 10 {
            return i + 1
        }
        return nil
    }

    func streamDidReadEOF() { stream.close(.afterFlush) }
    func streamDidDrain() {}
    func streamDidClose(error: (any Error)?) {}
}
