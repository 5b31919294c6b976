import EventLoop
import GatewayTestSupport
import HTTP1
@testable import Upstream

/// A plain-HTTP upstream client on one loop, for tests of what the client keeps
/// between calls.
final class ClientHarness: Sendable {
    let group: EventLoopGroup
    let client: UpstreamClient
    var loop: EventLoop { group.loops[0] }

    /// - Parameter lookup: answers name lookups instead of `getaddrinfo`.
    init(idleTimeout: Duration = .seconds(30), poolPruneInterval: Duration = .seconds(10),
         maxConnectionsPerOrigin: Int = 256, connectTimeout: Duration = .seconds(2),
         lookup: (@Sendable (String, UInt16) -> Result<[SocketAddress], UpstreamError>)? = nil) {
        let group = EventLoopGroup(loopCount: 1, sweepInterval: .milliseconds(10))
        self.group = group
        let resolver = lookup.map {
            Resolver(workerQueue: group.workerQueue, ttl: .seconds(30), maxEntries: 64,
                     now: { MonotonicClock.now() }, lookup: $0)
        } ?? Resolver(workerQueue: group.workerQueue)
        client = UpstreamClient(
            group: group,
            configuration: .init(
                connectTimeout: connectTimeout, timeout: .seconds(5), maxConnectionsPerOrigin: maxConnectionsPerOrigin,
                idleTimeout: idleTimeout, poolPruneInterval: poolPruneInterval),
            secureTransport: nil, resolver: resolver)
    }

    /// One GET of `target` from `host:port`, answered on the client's loop.
    func get(_ target: String, host: String = "127.0.0.1", port: UInt16) async -> Result<UpstreamResponse, UpstreamError> {
        await getAll([target], host: host, port: port)[0]
    }

    /// GETs of every target, all started in one turn of the loop (so that, with a
    /// small pool, later ones wait for a connection); the results in target order.
    func getAll(_ targets: [String], host: String = "127.0.0.1", port: UInt16) async -> [Result<UpstreamResponse, UpstreamError>] {
        let requests = targets.map {
            UpstreamRequest(endpoint: UpstreamEndpoint(secure: false, host: host, port: port),
                            target: $0, hostHeader: host, headers: [])
        }
        let client = self.client
        let loop = self.loop
        let results = Locked<[Int: Result<UpstreamResponse, UpstreamError>]>([:])
        return await withCheckedContinuation { continuation in
            loop.execute {
                for (i, request) in requests.enumerated() {
                    client.execute(request, on: loop) { result in
                        let all = results.withLock { done -> [Int: Result<UpstreamResponse, UpstreamError>]? in
                            done[i] = result
                            return done.count == requests.count ? done : nil
                        }
                        if let all { continuation.resume(returning: (0..<requests.count).map { all[$0]! }) }
                    }
                }
            }
        }
    }

    /// Runs `body` on the client's loop and returns its value.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await loop.value(body)
    }

    var poolCount: Int {
        get async { await onLoop { [client, loop] in client.poolCount(on: loop) } }
    }

    var connectionsOpened: Int {
        get async { await onLoop { [client, loop] in client.connectionsOpened(on: loop) } }
    }
}
