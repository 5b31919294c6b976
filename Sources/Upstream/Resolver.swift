import Dispatch
import EventLoop
import Glibc

/// Name resolution off the loops: `getaddrinfo` blocks, so it runs on the
/// group's worker queue and its answer hops back to the asking loop.
///
/// - Answers are cached for `ttl`, so a busy origin costs one lookup per TTL, not
///   per connection.
/// - Concurrent requests for one name share one lookup: when the DNS is slow,
///   every new connection would otherwise start its own and pile up blocked
///   worker threads.
/// - When a refresh fails, the expired answer is served for up to `maxStale`
///   more (retried at most every `retryAfterFailure`): an origin whose address
///   has not changed stays reachable through a DNS outage.
/// - The cache holds at most `maxEntries` names: in pass-through mode callers
///   choose the host, and a process must not remember every name it was ever
///   asked for.
/// - At most `maxLookups` names are looked up at once; past that a new name
///   fails at once. When the DNS hangs, lookups of ever new names would
///   otherwise queue on the worker queue without bound.
public final class Resolver: Sendable {
    private struct Entry {
        var addresses: [SocketAddress]
        /// Until then the addresses are fresh.
        var expires: UInt64
        /// The end of the answer's time to live, kept while it is served stale.
        var resolvedExpiry: UInt64
    }

    private typealias Completion = @Sendable (Result<[SocketAddress], UpstreamError>) -> Void

    private struct State {
        var cache: [String: Entry] = [:]
        /// Lookups under way, with the callers waiting for each.
        var inflight: [String: [(loop: EventLoop, completion: Completion)]] = [:]
    }

    private let state = Locked(State())
    private let ttl: UInt64
    private let maxEntries: Int
    private let maxLookups: Int
    private let workerQueue: DispatchQueue
    /// Monotonic nanoseconds; tests substitute a clock they move by hand.
    private let now: @Sendable () -> UInt64
    /// The blocking lookup; tests substitute one that fails or is slow.
    private let lookup: @Sendable (String, UInt16) -> Result<[SocketAddress], UpstreamError>

    /// How long past its TTL an answer may be served while refreshes fail.
    static let maxStale: UInt64 = 600_000_000_000
    /// How long a stale answer is used before the next refresh is tried.
    static let retryAfterFailure: UInt64 = 5_000_000_000

    public convenience init(workerQueue: DispatchQueue, ttl: Duration = .seconds(30), maxEntries: Int = 1024) {
        self.init(workerQueue: workerQueue, ttl: ttl, maxEntries: maxEntries, now: { MonotonicClock.now() })
    }

    /// Names a default resolver looks up at once.
    public static let defaultMaxLookups = 64

    /// With a clock and a lookup of the caller's (tests move the one and fake the other).
    init(
        workerQueue: DispatchQueue, ttl: Duration, maxEntries: Int, maxLookups: Int = Resolver.defaultMaxLookups,
        now: @escaping @Sendable () -> UInt64,
        lookup: @escaping @Sendable (String, UInt16) -> Result<[SocketAddress], UpstreamError> = {
            Resolver.lookup(host: $0, port: $1)
        }
    ) {
        self.workerQueue = workerQueue
        self.ttl = ttl.nanoseconds
        self.maxEntries = max(maxEntries, 1)
        self.maxLookups = max(maxLookups, 1)
        self.now = now
        self.lookup = lookup
    }

    /// Names cached now, expired ones included until the next insert prunes them.
    public var cachedCount: Int { state.withLock { $0.cache.count } }

    /// Resolves `host` (a name or an address literal) to addresses with `port`;
    /// `completion` runs on `loop`.
    public func resolve(
        host: String, port: UInt16, on loop: EventLoop,
        completion: @escaping @Sendable (Result<[SocketAddress], UpstreamError>) -> Void
    ) {
        if let literal = SocketAddress(ip: host, port: port) {
            completion(.success([literal]))
            return
        }
        let key = "\(host):\(port)"
        let now = self.now()
        enum Next { case hit([SocketAddress]), wait, start, refuse }
        let next = state.withLock { state -> Next in
            if let hit = state.cache[key], hit.expires > now { return .hit(hit.addresses) }
            if state.inflight[key] != nil {
                state.inflight[key]!.append((loop, completion))
                return .wait
            }
            guard state.inflight.count < maxLookups else { return .refuse }
            state.inflight[key] = [(loop, completion)]
            return .start
        }
        switch next {
        case .hit(let addresses):
            completion(.success(addresses))
        case .wait:
            break
        case .refuse:
            completion(.failure(UpstreamError(
                .resolution, "cannot resolve \(host): \(maxLookups) other names are being looked up")))
        case .start:
            workerQueue.async { [self] in
                let result = settle(key, lookup(host, port))
                let waiters = state.withLock { $0.inflight.removeValue(forKey: key) ?? [] }
                for waiter in waiters {
                    waiter.loop.execute { waiter.completion(result) }
                }
            }
        }
    }

    /// Caches a lookup's answer, or turns its failure into the stale answer when
    /// there is one young enough. A full cache loses its expired entries and, if
    /// more than half are still fresh, all of them: it is only ever full when
    /// callers spread over more names than it holds, and then any entry is as
    /// good to lose as another. Each O(maxEntries) sweep leaves at least half the
    /// cache free, so it runs at most once per `maxEntries / 2` inserts.
    private func settle(
        _ key: String, _ result: Result<[SocketAddress], UpstreamError>
    ) -> Result<[SocketAddress], UpstreamError> {
        let now = self.now()
        return state.withLock { state in
            switch result {
            case .failure:
                guard var stale = state.cache[key], now < stale.resolvedExpiry &+ Self.maxStale else {
                    return result
                }
                stale.expires = now &+ Self.retryAfterFailure
                state.cache[key] = stale
                return .success(stale.addresses)
            case .success(let addresses):
                if state.cache[key] == nil, state.cache.count >= maxEntries {
                    state.cache = state.cache.filter { $0.value.expires > now }
                    if state.cache.count > maxEntries / 2 { state.cache.removeAll(keepingCapacity: true) }
                }
                state.cache[key] = Entry(addresses: addresses, expires: now &+ ttl, resolvedExpiry: now &+ ttl)
                return result
            }
        }
    }

    /// Blocking `getaddrinfo`; only ever called on the worker queue.
    static func lookup(host: String, port: UInt16) -> Result<[SocketAddress], UpstreamError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            let message = rc == 0 ? "no address" : String(cString: gai_strerror(rc))
            return .failure(UpstreamError(.resolution, "cannot resolve \(host): \(message)"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let sa = info.pointee.ai_addr, info.pointee.ai_addrlen <= MemoryLayout<sockaddr_storage>.size {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(info.pointee.ai_addrlen)))
                }
                addresses.append(SocketAddress(storage: storage, length: info.pointee.ai_addrlen))
            }
            cursor = info.pointee.ai_next
        }
        return addresses.isEmpty
            ? .failure(UpstreamError(.resolution, "no address for \(host)")) : .success(addresses)
    }
}
