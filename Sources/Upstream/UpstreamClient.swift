import Compression
import EventLoop
import Synchronization

/// An HTTP/1.1 client for the upstream, running on the same event loops as the
/// server: each loop keeps its own keep-alive pools, so an exchange never
/// leaves the loop of the request that caused it.
public final class UpstreamClient: Sendable {
    /// Limits and timeouts.
    public struct Configuration: Sendable {
        /// TCP connect plus TLS handshake, in nanoseconds.
        public var connectTimeout: UInt64
        /// The whole exchange, in nanoseconds.
        public var timeout: UInt64
        /// Bodies larger than this (raw or decoded) are abandoned.
        public var maxBodyBytes: Int
        /// Connections per origin per loop; further calls wait for one.
        public var maxConnectionsPerOrigin: Int
        /// Idle connections kept per origin per loop. The default keeps as many as
        /// may be open: the connections a burst needed are all there for the next
        /// one, and ``idleTimeout`` closes those that are not needed again. A bound
        /// below the open bound closes connections under load only to open them
        /// again a moment later: with 64 (the earlier default) and 128 callers per
        /// loop, 7 % of `/clients` requests paid a new upstream connection (with
        /// TLS, a handshake), and the gateway spent 157-179 µs per request at 256
        /// callers instead of 132 (`Benchmarks/bench-clients.sh`).
        public var maxIdlePerOrigin: Int
        /// How long an idle connection is kept, in nanoseconds.
        public var idleTimeout: UInt64
        /// How often a loop drops the pools of origins it no longer talks to, in
        /// nanoseconds. In pass-through mode the caller names the origin, so without
        /// this every subdomain ever asked for would keep its pool for the life of
        /// the process.
        public var poolPruneInterval: UInt64

        public init(
            connectTimeout: Duration = .seconds(2), timeout: Duration = .seconds(10),
            maxBodyBytes: Int = 8 << 20, maxConnectionsPerOrigin: Int = 256,
            maxIdlePerOrigin: Int = 256, idleTimeout: Duration = .seconds(30),
            poolPruneInterval: Duration = .seconds(10)
        ) {
            self.connectTimeout = connectTimeout.nanoseconds
            self.timeout = timeout.nanoseconds
            self.maxBodyBytes = maxBodyBytes
            self.maxConnectionsPerOrigin = maxConnectionsPerOrigin
            self.maxIdlePerOrigin = maxIdlePerOrigin
            self.idleTimeout = idleTimeout.nanoseconds
            self.poolPruneInterval = poolPruneInterval.nanoseconds
        }
    }

    public let configuration: Configuration
    let resolver: Resolver
    private let plain: any UpstreamTransport
    private let secure: (any UpstreamTransport)?
    private let states: [LoopUpstreamState]
    /// Connections open (or opening) and idle, across loops, for metrics.
    let openCount = Atomic<Int>(0)
    let idleCount = Atomic<Int>(0)

    /// - Parameter secureTransport: the TLS transport for `https` endpoints; without
    ///   one, `https` calls fail.
    public convenience init(group: EventLoopGroup, configuration: Configuration,
                            secureTransport: (any UpstreamTransport)? = nil) {
        self.init(group: group, configuration: configuration, secureTransport: secureTransport,
                  resolver: Resolver(workerQueue: group.workerQueue))
    }

    /// With the resolver given (tests give one whose answers they choose).
    init(group: EventLoopGroup, configuration: Configuration, secureTransport: (any UpstreamTransport)?,
         resolver: Resolver) {
        self.configuration = configuration
        self.resolver = resolver
        self.plain = PlainTransport()
        self.secure = secureTransport
        self.states = group.loops.map {
            LoopUpstreamState(loop: $0, pruneInterval: configuration.poolPruneInterval)
        }
    }

    func transport(for endpoint: UpstreamEndpoint) -> any UpstreamTransport {
        endpoint.secure ? (secure ?? MissingTLSTransport()) : plain
    }

    /// Sends `request` from `loop`; `completion` runs on `loop`, exactly once.
    public func execute(
        _ request: UpstreamRequest, on loop: EventLoop,
        completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void
    ) {
        loop.assertInLoop()
        let call = UpstreamCall(request: request, loop: loop, timeout: configuration.timeout, completion: completion)
        states[loop.index].pool(for: request.endpoint, client: self).acquire(call)
    }

    /// Connections this loop has opened so far (tests check reuse with it).
    public func connectionsOpened(on loop: EventLoop) -> Int {
        loop.assertInLoop()
        return states[loop.index].connectionsOpened
    }

    /// Open and idle connections of `loop`.
    public func connectionCounts(on loop: EventLoop) -> (open: Int, idle: Int) {
        loop.assertInLoop()
        return states[loop.index].counts()
    }

    /// Origins `loop` keeps a pool for (tests check that unused ones go).
    public func poolCount(on loop: EventLoop) -> Int {
        loop.assertInLoop()
        return states[loop.index].poolCount
    }

    /// Open and idle connections across all loops (any thread; for metrics).
    public var connectionTotals: (open: Int, idle: Int) {
        (openCount.load(ordering: .relaxed), idleCount.load(ordering: .relaxed))
    }
}

/// What a loop keeps for the client: its pools and its gzip inflater.
///
/// Pools of origins the loop no longer talks to are dropped by a prune that the
/// loop's deadline sweep runs every `pruneInterval` while any pool exists. The
/// prune runs in a turn of its own, so no pool is ever dropped in the middle of
/// an operation (a retry re-acquires on the pool its connection just left).
// @unchecked Sendable: each instance is used only on its own loop's queue.
final class LoopUpstreamState: DeadlineWatcher, @unchecked Sendable {
    private let loop: EventLoop
    private let pruneInterval: UInt64
    private var pools: [UpstreamEndpoint: OriginPool] = [:]
    private var inflater: GzipInflater?
    var connectionsOpened = 0
    /// The next prune; `.max` (and not watched) while there is no pool.
    private(set) var deadline: UInt64 = .max

    /// The pool found last: a loop usually calls one origin over and over, and
    /// comparing with it skips hashing the host name for every request. Always
    /// one of `pools`: the prune clears it with its pool.
    private var lastPool: OriginPool?

    init(loop: EventLoop, pruneInterval: UInt64) {
        self.loop = loop
        self.pruneInterval = max(pruneInterval, 1)
    }

    func pool(for endpoint: UpstreamEndpoint, client: UpstreamClient) -> OriginPool {
        if let last = lastPool, last.endpoint == endpoint { return last }
        let pool: OriginPool
        if let existing = pools[endpoint] {
            pool = existing
        } else {
            pool = OriginPool(endpoint: endpoint, loop: loop, client: client, state: self)
            pools[endpoint] = pool
            if deadline == .max {
                deadline = MonotonicClock.now() &+ pruneInterval
                loop.watch(self)
            }
        }
        lastPool = pool
        return pool
    }

    var poolCount: Int { pools.count }

    /// The prune: drops every pool with no connection and no waiting call. Calls
    /// that finished may still point at a dropped pool (weakly); none uses it again.
    func deadlineExpired(now: UInt64) {
        pools = pools.filter { !$0.value.isUnused }
        if let last = lastPool, last.isUnused { lastPool = nil }
        if pools.isEmpty {
            deadline = .max
            loop.unwatch(self)
        } else {
            deadline = now &+ pruneInterval
        }
    }

    func counts() -> (open: Int, idle: Int) {
        pools.values.reduce((0, 0)) { ($0.0 + $1.open, $0.1 + $1.idleCount) }
    }

    /// Inflates a whole gzip body. One inflater per loop, reset per body: bodies
    /// are inflated only once complete, so exchanges never interleave in it.
    func inflate(_ body: [UInt8], limit: Int) -> Result<[UInt8], UpstreamError> {
        do throws(CompressionError) {
            if inflater == nil || inflater!.limit != limit {
                inflater = try GzipInflater(limit: limit)
            }
            let z = inflater!
            z.reset()
            var out: [UInt8] = []
            out.reserveCapacity(min(body.count * 4, limit))
            let fed = body.withUnsafeBytes { raw in
                Result { () throws(CompressionError) in try z.feed(raw, into: &out) }
            }
            try fed.get()
            try z.finish()
            return .success(out)
        } catch {
            if error == .tooLarge {
                return .failure(UpstreamError(.tooLarge, "gzip body decodes to more than \(limit) bytes"))
            }
            return .failure(UpstreamError(.invalidResponse, "gzip body: \(error)"))
        }
    }
}

/// Stands in for TLS until a TLS transport is configured: `https` fails clearly.
struct MissingTLSTransport: UpstreamTransport {
    func makeStream(
        over channel: SocketChannel, endpoint: UpstreamEndpoint,
        ready: @escaping (Result<any ByteStream, UpstreamError>) -> Void
    ) {
        channel.close(.immediately)
        ready(.failure(UpstreamError(.tls, "https is not available: no TLS transport", tlsClass: "unavailable")))
    }
}
