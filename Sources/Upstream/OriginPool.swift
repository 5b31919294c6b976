import Compression
import EventLoop

/// The connections of one loop to one origin: idle ones kept (most recently
/// used first) for reuse, a bound on how many exist, and a queue of calls
/// waiting for one when the bound is reached.
// @unchecked Sendable: confined to `loop.queue`.
final class OriginPool: @unchecked Sendable {
    let endpoint: UpstreamEndpoint
    let loop: EventLoop
    private let client: UpstreamClient
    private let state: LoopUpstreamState
    /// Idle connections, most recently used last. Every change also moves the
    /// client's cross-loop idle count.
    private var idle: [UpstreamConnection] = []
    private var waiters: [UpstreamCall] = []
    /// Connections open or being opened.
    private(set) var open = 0 {
        didSet { client.openCount.add(open - oldValue, ordering: .relaxed) }
    }

    init(endpoint: UpstreamEndpoint, loop: EventLoop, client: UpstreamClient, state: LoopUpstreamState) {
        self.endpoint = endpoint
        self.loop = loop
        self.client = client
        self.state = state
    }

    var idleCount: Int { idle.count }

    /// No connection (idle ones count as open) and no call waiting: nothing is
    /// lost if the loop forgets this pool.
    var isUnused: Bool { open == 0 && waiters.isEmpty }

    /// Runs `call` on an idle connection, a new one, or after one frees up.
    func acquire(_ call: UpstreamCall, fresh: Bool = false) {
        call.pool = self
        if !fresh {
            while let connection = idle.popLast() {
                client.idleCount.subtract(1, ordering: .relaxed)
                if connection.isClosed { continue }
                connection.run(call)
                return
            }
        }
        if open < client.configuration.maxConnectionsPerOrigin {
            connect(call)
        } else {
            call.place = .waiting
            waiters.append(call)
        }
    }

    /// A reused connection died before answering: one more try on a new one.
    func retry(_ call: UpstreamCall) {
        acquire(call, fresh: true)
    }

    private func connect(_ call: UpstreamCall) {
        open += 1
        call.place = .connecting(nil)
        call.connectDeadline = MonotonicClock.now() &+ client.configuration.connectTimeout
        let maxBody = client.configuration.maxBodyBytes
        client.resolver.resolve(host: endpoint.host, port: endpoint.port, on: loop) { [self] result in
            guard case .connecting = call.place else { return }
            switch result {
            case .failure(let error):
                connectFailed(for: call)
                call.finish(.failure(error))
            case .success(let addresses):
                attempt(call, addresses: addresses[...], maxBody: maxBody)
            }
        }
    }

    /// Connects to the first of `addresses`. While others remain, each address gets
    /// an equal share of what is left of the connect timeout, and a failure or
    /// that share running out moves on to the next one.
    private func attempt(_ call: UpstreamCall, addresses: ArraySlice<SocketAddress>, maxBody: Int) {
        guard let address = addresses.first else { return }
        if addresses.count > 1 {
            let now = MonotonicClock.now()
            let left = call.connectDeadline > now ? call.connectDeadline - now : 0
            call.attemptDeadline = now &+ left / UInt64(addresses.count)
            call.nextAddress = { [self, weak call] in
                guard let call, case .connecting = call.place else { return }
                attempt(call, addresses: addresses.dropFirst(), maxBody: maxBody)
            }
        } else {
            call.attemptDeadline = .max
            call.nextAddress = nil
        }
        var connectAttempt: ConnectAttempt?
        connectAttempt = ConnectAttempt.start(to: address, on: loop) { [self] result in
            // A late result of an attempt the call has moved on from.
            guard case .connecting(let current) = call.place, current === connectAttempt else {
                if case .success(let channel) = result { channel.close(.immediately) }
                return
            }
            call.attemptDeadline = .max
            call.nextAddress = nil
            switch result {
            case .failure(let error):
                if addresses.count > 1 {
                    attempt(call, addresses: addresses.dropFirst(), maxBody: maxBody)
                } else {
                    connectFailed(for: call)
                    call.finish(.failure(UpstreamError(.unreachable, error.description)))
                }
            case .success(let channel):
                client.transport(for: endpoint).makeStream(over: channel, endpoint: endpoint) { [self] ready in
                    guard case .connecting = call.place else {
                        if case .success(let stream) = ready { stream.close(.immediately) }
                        return
                    }
                    switch ready {
                    case .failure(let error):
                        connectFailed(for: call)
                        call.finish(.failure(error))
                    case .success(let stream):
                        call.connectDeadline = .max
                        let connection = UpstreamConnection(stream: stream, pool: self, maxBodyBytes: maxBody)
                        state.connectionsOpened += 1
                        connection.run(call)
                    }
                }
            }
        }
        if case .connecting = call.place { call.place = .connecting(connectAttempt) }
    }

    /// A connect for `call` failed or was abandoned: its slot is free.
    func connectFailed(for call: UpstreamCall) {
        open -= 1
        serveWaiter()
    }

    /// An exchange finished cleanly: the connection serves a waiter or idles.
    func release(_ connection: UpstreamConnection) {
        while let next = waiters.first {
            waiters.removeFirst()
            if next.isDone { continue }
            connection.run(next)
            return
        }
        if idle.count >= client.configuration.maxIdlePerOrigin {
            connection.close()
            return
        }
        connection.parkIdle(until: MonotonicClock.now() &+ client.configuration.idleTimeout)
        idle.append(connection)
        client.idleCount.add(1, ordering: .relaxed)
    }

    /// A connection closed (by either side).
    func connectionClosed(_ connection: UpstreamConnection) {
        open -= 1
        if let i = idle.firstIndex(where: { $0 === connection }) {
            idle.remove(at: i)
            client.idleCount.subtract(1, ordering: .relaxed)
        }
        serveWaiter()
    }

    func removeWaiter(_ call: UpstreamCall) {
        waiters.removeAll { $0 === call }
    }

    private func serveWaiter() {
        while let next = waiters.first, open < client.configuration.maxConnectionsPerOrigin {
            waiters.removeFirst()
            if next.isDone { continue }
            connect(next)
            return
        }
    }

    /// Inflates a gzip body with the loop's reusable inflater.
    func inflate(_ body: [UInt8]) -> Result<[UInt8], UpstreamError> {
        state.inflate(body, limit: client.configuration.maxBodyBytes)
    }
}
