import EventLoop

/// A registry together with its tenants' live limiter state: what a request
/// resolves its consumer key against. Immutable; ``RegistryStore`` builds a new
/// one on every reload, carrying state over for tenants that stay.
public final class ActiveRegistry: Sendable, CustomStringConvertible {
    /// The tenants and consumer keys.
    public let registry: TenantRegistry
    /// Increases with every swap; the per-loop caches compare it.
    public let generation: UInt64
    // Parallel to `registry.tenants`.
    private let buckets: [TokenBucket?]
    private let limiters: [ConcurrencyLimiter?]

    /// Builds the state for `registry`, reusing `previous`'s bucket for every
    /// tenant that has the same name and the same rate limit there (a bucket sized
    /// for the old burst would be wrong for a new one, so a changed rate limit
    /// starts afresh), and its concurrency limiter for every tenant of the same
    /// name, set to the new limit with the permits in use still counted. Tenants
    /// gone from the file lose theirs.
    init(registry: TenantRegistry, generation: UInt64, previous: ActiveRegistry?, loops: [EventLoop]) {
        self.registry = registry
        self.generation = generation
        var buckets: [TokenBucket?] = []
        var limiters: [ConcurrencyLimiter?] = []
        for tenant in registry.tenants {
            let old = previous?.resolved(named: tenant.name)
            if let rateLimit = tenant.rateLimit {
                if let bucket = old?.rateLimiter, bucket.rateLimit == rateLimit {
                    buckets.append(bucket)
                } else {
                    buckets.append(TokenBucket(rateLimit))
                }
            } else {
                buckets.append(nil)
            }
            if let limit = tenant.maxConcurrentUpstream {
                if let limiter = old?.concurrencyLimiter {
                    // Kept, not replaced, so requests in flight still count
                    // against the new limit (a fresh limiter would let a tightened
                    // limit be exceeded by everything already running).
                    if limiter.limit != limit { limiter.setLimit(limit) }
                    limiters.append(limiter)
                } else {
                    limiters.append(ConcurrencyLimiter(limit: limit, loops: loops))
                }
            } else {
                limiters.append(nil)
            }
        }
        self.buckets = buckets
        self.limiters = limiters
    }

    /// Whether a bearer that is not a consumer key falls back to pass-through mode.
    public var allowPassthrough: Bool { registry.allowPassthrough }

    /// The tenant whose consumer key is `consumerKey`, with its limiters
    /// (constant-time comparison, see ``TenantRegistry``).
    public func lookup(consumerKey: String) -> ResolvedTenant? {
        registry.tenantIndex(consumerKey: consumerKey).map(resolved(at:))
    }

    /// The tenant whose consumer key has these bytes, with its limiters.
    public func lookup(consumerKey: UnsafeRawBufferPointer) -> ResolvedTenant? {
        registry.tenantIndex(consumerKey: consumerKey).map(resolved(at:))
    }

    /// The tenant called `name`, with its limiters.
    public func resolved(named name: String) -> ResolvedTenant? {
        registry.tenants.firstIndex(where: { $0.name == name }).map(resolved(at:))
    }

    private func resolved(at index: Int) -> ResolvedTenant {
        ResolvedTenant(tenant: registry.tenants[index], rateLimiter: buckets[index], concurrencyLimiter: limiters[index])
    }

    /// The registry's description and generation: no credentials.
    public var description: String { "\(registry) generation \(generation)" }
}

/// What a request needs once its consumer key is known.
public struct ResolvedTenant: Sendable {
    /// The tenant.
    public let tenant: Tenant
    /// Its token bucket, if it has a `rate_limit`.
    public let rateLimiter: TokenBucket?
    /// Its upstream permits, if it has a `max_concurrent_upstream`.
    public let concurrencyLimiter: ConcurrencyLimiter?
}
