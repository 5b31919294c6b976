import Dispatch
import EventLoop
import HTTP1

/// An HTTP/1.1 server on an ``EventLoopGroup``.
public final class HTTPServer: Sendable {
    /// Wraps each accepted socket in the stream the connection speaks over: the
    /// socket itself for HTTP, a TLS session for HTTPS.
    public typealias StreamFactory = @Sendable (SocketChannel) -> any ByteStream

    public let group: EventLoopGroup
    public let configuration: HTTPServerConfiguration
    private let contexts: [LoopContext]
    private let gate: ConnectionGate
    private let listeners: Locked<[Listener]> = Locked([])
    private let streamFactory: StreamFactory

    public init(
        group: EventLoopGroup,
        configuration: HTTPServerConfiguration,
        handler: any HTTPHandler,
        streamFactory: @escaping StreamFactory = { $0 }
    ) {
        self.group = group
        self.configuration = configuration
        self.streamFactory = streamFactory
        let gate = ConnectionGate(limit: configuration.maxConnections)
        self.gate = gate
        self.contexts = group.loops.map {
            LoopContext(loop: $0, handler: handler, configuration: configuration, gate: gate)
        }
    }

    /// Binds and starts accepting; returns the bound address (with the real port
    /// when port 0 was asked for).
    @discardableResult
    public func start() throws(SystemError) -> SocketAddress {
        guard var address = SocketAddress(ip: configuration.host, port: configuration.port) else {
            throw SystemError(call: "listen address \(configuration.host)", errno: 22 /* EINVAL */)
        }
        var created: [Listener] = []
        do {
            switch configuration.acceptStrategy {
            case .listenerPerLoop:
                // SO_REUSEPORT would let a second gateway share the port silently;
                // a plain bind first proves the port is free.
                if configuration.port != 0 {
                    let probe = try Socket.listen(on: address, backlog: 1, reusePort: false)
                    Socket.close(probe)
                }
                for loop in group.loops {
                    let fd = try Socket.listen(on: address, backlog: configuration.backlog, reusePort: true)
                    let listener = try makeListener(fd: fd, loop: loop, pickLoop: { [loop] in loop })
                    created.append(listener)
                    // Port 0: every further listener joins the port the first one got.
                    address = SocketAddress(ip: configuration.host, port: listener.address.port)!
                }
            case .sharedListener:
                let fd = try Socket.listen(on: address, backlog: configuration.backlog, reusePort: false)
                let group = self.group
                created.append(try makeListener(fd: fd, loop: group.loops[0], pickLoop: { group.next() }))
            }
        } catch {
            for listener in created { listener.close() }
            throw error
        }
        listeners.withLock { $0 = created }
        for listener in created { listener.start() }
        return created[0].address
    }

    private func makeListener(
        fd: Int32, loop: EventLoop, pickLoop: @escaping @Sendable () -> EventLoop
    ) throws(SystemError) -> Listener {
        let contexts = self.contexts
        let factory = streamFactory
        do {
            return try Listener(fd: fd, loop: loop, gate: gate, pickLoop: pickLoop) { cfd, peer, target in
                let channel = SocketChannel(fd: cfd, loop: target, peer: peer)
                let connection = HTTPServerConnection(
                    stream: factory(channel), context: contexts[target.index], remote: peer)
                connection.start()
            }
        } catch {
            Socket.close(fd)
            throw error
        }
    }

    /// Stops accepting; connections already open go on.
    public func closeListeners() {
        let current = listeners.withLock { l in
            defer { l = [] }
            return l
        }
        for listener in current { listener.close() }
    }

    /// Asks every connection to finish the answers it owes and close; idle
    /// keep-alive connections close at once, new requests are not read.
    public func shutdownConnections() {
        for context in contexts {
            context.loop.execute { context.shutdown() }
        }
    }

    /// Closes every connection immediately.
    public func closeAllConnections() {
        for context in contexts {
            context.loop.execute { context.closeAll() }
        }
    }

    /// Connections open now (those accepted and not yet closed).
    public var openConnections: Int { gate.count }

    /// Sockets of the server's loops still closing gracefully: answered and
    /// half-closed, discarding input until the peer closes (see
    /// ``EventLoop/lingeringChannels``). They no longer count as connections.
    public var closingSockets: Int { contexts.reduce(0) { $0 + $1.loop.lingeringChannels } }
}
