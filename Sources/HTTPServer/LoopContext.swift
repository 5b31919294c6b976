import EventLoop
import HTTP1

/// What the connections of one loop share: the handler, the configuration, the
/// rendered `Date`, and the set of live connections (for shutdown).
// @unchecked Sendable: `handler`, `configuration` and `gate` are immutable and
// Sendable; `connections` and `dateCache` are confined to `loop.queue`.
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    let handler: any HTTPHandler
    let configuration: HTTPServerConfiguration
    let gate: ConnectionGate
    let dateCache = DateCache()
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    private var shuttingDown = false

    init(loop: EventLoop, handler: any HTTPHandler, configuration: HTTPServerConfiguration, gate: ConnectionGate) {
        self.loop = loop
        self.handler = handler
        self.configuration = configuration
        self.gate = gate
    }

    func register(_ connection: HTTPServerConnection) {
        connections[ObjectIdentifier(connection)] = connection
        if shuttingDown { connection.shutdown() }
    }

    /// Called once per connection when it stops being the server's: the slot it
    /// held against `--max-connections` is free again.
    func unregister(_ connection: HTTPServerConnection) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil {
            gate.release()
        }
    }

    var connectionCount: Int { connections.count }

    /// Asks every connection to finish what it owes and close.
    func shutdown() {
        shuttingDown = true
        for connection in Array(connections.values) {
            connection.shutdown()
        }
    }

    /// Closes every connection at once (the shutdown timeout passed).
    func closeAll() {
        for connection in Array(connections.values) {
            connection.stream.close(.immediately)
        }
    }
}
