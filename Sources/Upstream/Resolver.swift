import Dispatch
import EventLoop
import Glibc

/// Name resolution off the loops: `getaddrinfo` blocks, so it runs on the
/// group's worker queue and its answer hops back to the asking loop. Answers are
/// cached for a short time so a busy origin costs one lookup per TTL, not per
/// connection. The cache holds at most `maxEntries` names: in pass-through mode
/// callers choose the host, and a process must not remember every name it was
/// ever asked for.
public final class Resolver: Sendable {
    private struct Entry {
        var addresses: [SocketAddress]
        var expires: UInt64
    }

    private let cache = Locked<[String: Entry]>([:])
    private let ttl: UInt64
    private let maxEntries: Int
    private let workerQueue: DispatchQueue
    /// Monotonic nanoseconds; tests substitute a clock they move by hand.
    private let now: @Sendable () -> UInt64

    public convenience init(workerQueue: DispatchQueue, ttl: Duration = .seconds(30), maxEntries: Int = 1024) {
        self.init(workerQueue: workerQueue, ttl: ttl, maxEntries: maxEntries, now: { MonotonicClock.now() })
    }

    init(workerQueue: DispatchQueue, ttl: Duration, maxEntries: Int, now: @escaping @Sendable () -> UInt64) {
        self.workerQueue = workerQueue
        self.ttl = ttl.nanoseconds
        self.maxEntries = max(maxEntries, 1)
        self.now = now
    }

    /// Names cached now, expired ones included until the next insert prunes them.
    public var cachedCount: Int { cache.withLock { $0.count } }

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
        if let hit = cache.withLock({ $0[key] }), hit.expires > now {
            completion(.success(hit.addresses))
            return
        }
        workerQueue.async { [self] in
            let result = Self.lookup(host: host, port: port)
            if case .success(let addresses) = result {
                remember(key, addresses)
            }
            loop.execute { completion(result) }
        }
    }

    /// Caches an answer. A full cache loses its expired entries and, if more than
    /// half are still fresh, all of them: it is only ever full when callers spread
    /// over more names than it holds, and then any entry is as good to lose as
    /// another. Each O(maxEntries) sweep leaves at least half the cache free, so
    /// it runs at most once per `maxEntries / 2` inserts.
    private func remember(_ key: String, _ addresses: [SocketAddress]) {
        let now = self.now()
        cache.withLock { cache in
            if cache[key] == nil, cache.count >= maxEntries {
                cache = cache.filter { $0.value.expires > now }
                if cache.count > maxEntries / 2 { cache.removeAll(keepingCapacity: true) }
            }
            cache[key] = Entry(addresses: addresses, expires: now &+ ttl)
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
