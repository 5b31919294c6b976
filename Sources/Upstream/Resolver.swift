import Dispatch
import EventLoop
import Glibc

/// Name resolution off the loops: `getaddrinfo` blocks, so it runs on the
/// group's worker queue and its answer hops back to the asking loop. Answers are
/// cached for a short time so a busy origin costs one lookup per TTL, not per
/// connection.
public final class Resolver: Sendable {
    private struct Entry {
        var addresses: [SocketAddress]
        var expires: UInt64
    }

    private let cache = Locked<[String: Entry]>([:])
    private let ttl: UInt64
    private let workerQueue: DispatchQueue

    public init(workerQueue: DispatchQueue, ttl: Duration = .seconds(30)) {
        self.workerQueue = workerQueue
        self.ttl = ttl.nanoseconds
    }

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
        let now = MonotonicClock.now()
        if let hit = cache.withLock({ $0[key] }), hit.expires > now {
            completion(.success(hit.addresses))
            return
        }
        let ttl = self.ttl
        workerQueue.async { [self] in
            let result = Self.lookup(host: host, port: port)
            if case .success(let addresses) = result {
                self.cache.withLock { $0[key] = Entry(addresses: addresses, expires: MonotonicClock.now() &+ ttl) }
            }
            loop.execute { completion(result) }
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
