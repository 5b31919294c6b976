/// One tenant of the registry: who it is upstream, what it may see, how fast it
/// may go. Immutable; a reload builds new values.
///
/// Printing a tenant (``description``, ``debugDescription``, `dump`, string
/// interpolation) never shows its credential: tenants end up in log lines and
/// crash reports, credentials must not.
public struct Tenant: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The tenant's name: unique in the file, `[a-z0-9][a-z0-9_-]{0,62}`, so it can
    /// go into log fields and metric labels without escaping. Also the key that
    /// keeps rate-limit state across reloads.
    public let name: String
    /// The Daftra subdomain called for this tenant (one DNS label).
    public let subdomain: String
    /// The upstream credential the gateway sends on the tenant's behalf. Secret.
    public let credential: TenantCredential
    /// The allow-list of top-level Client members; `nil` allows everything.
    public let fields: Set<String>?
    /// The token bucket's parameters; `nil` for no rate limit.
    public let rateLimit: RateLimit?
    /// Upstream requests in flight at once; `nil` for no limit.
    public let maxConcurrentUpstream: Int?

    /// Creates a tenant (the registry file is the usual source).
    public init(
        name: String, subdomain: String, credential: TenantCredential,
        fields: Set<String>? = nil, rateLimit: RateLimit? = nil, maxConcurrentUpstream: Int? = nil
    ) {
        self.name = name
        self.subdomain = subdomain
        self.credential = credential
        self.fields = fields
        self.rateLimit = rateLimit
        self.maxConcurrentUpstream = maxConcurrentUpstream
    }

    /// Name, subdomain and limits; the credential appears only as its kind.
    public var description: String {
        var out = "Tenant(name: \(name), subdomain: \(subdomain), credential: \(credential)"
        if let fields { out += ", fields: \(fields.sorted().joined(separator: ","))" }
        if let rateLimit { out += ", rate_limit: \(rateLimit)" }
        if let maxConcurrentUpstream { out += ", max_concurrent_upstream: \(maxConcurrentUpstream)" }
        return out + ")"
    }

    /// Same as ``description``, so `String(reflecting:)` and collections stay redacted.
    public var debugDescription: String { description }

    /// A mirror without the credential's value, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "name": name,
            "subdomain": subdomain,
            "credential": credential,
            "fields": fields as Any,
            "rateLimit": rateLimit as Any,
            "maxConcurrentUpstream": maxConcurrentUpstream as Any,
        ], displayStyle: .struct)
    }
}

/// The credential sent upstream for a tenant: exactly one of the two headers
/// Daftra accepts. The header value is built once at load time, not per request.
public struct TenantCredential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Which header carries it.
    public enum Kind: Sendable, Equatable {
        /// `Authorization: Bearer <token>`.
        case bearer
        /// `apikey: <key>`.
        case apikey
    }

    /// Which header carries it.
    public let kind: Kind
    /// `Authorization` or `apikey`.
    public let headerName: String
    /// `Bearer <token>` or the key. Secret: never log it.
    public let headerValue: String

    private init(kind: Kind, headerName: String, headerValue: String) {
        self.kind = kind
        self.headerName = headerName
        self.headerValue = headerValue
    }

    /// A Daftra access token, sent as `Authorization: Bearer <token>`.
    public static func bearer(_ token: String) -> TenantCredential {
        TenantCredential(kind: .bearer, headerName: "Authorization", headerValue: "Bearer " + token)
    }

    /// A Daftra API key, sent as `apikey: <key>`.
    public static func apikey(_ key: String) -> TenantCredential {
        TenantCredential(kind: .apikey, headerName: "apikey", headerValue: key)
    }

    /// `bearer(redacted)` or `apikey(redacted)`.
    public var description: String {
        kind == .bearer ? "bearer(redacted)" : "apikey(redacted)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror with the kind only.
    public var customMirror: Mirror {
        Mirror(self, children: ["kind": kind], displayStyle: .struct)
    }
}

/// A tenant's token bucket: `perSecond` tokens are added each second up to
/// `burst`; each upstream request takes one.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// Refill rate in tokens per second, `0.001...1_000_000`.
    public let perSecond: Double
    /// Bucket capacity, `1...1_000_000`: requests allowed at once after a quiet spell.
    public let burst: Int

    /// Creates a limit.
    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// `50/s burst 100`.
    public var description: String { "\(perSecond)/s burst \(burst)" }
}
