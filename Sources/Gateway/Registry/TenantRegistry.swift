/// The tenants of registry mode, as read from `--tenants FILE`: immutable, so a
/// reload builds a new one and swaps it in (``RegistryStore``).
///
/// Consumer keys are kept only as SHA-256 digests. ``lookup(consumerKey:)``
/// compares the presented key's digest with every stored digest, all 32 bytes
/// each, and never stops early: how long it takes depends on the number of keys
/// (public) and not on which key matched or how much of it.
public struct TenantRegistry: Sendable, Equatable, CustomStringConvertible {
    /// Whether a request whose bearer is not a consumer key falls back to
    /// pass-through mode instead of 401.
    public let allowPassthrough: Bool
    /// The tenants, in file order.
    public let tenants: [Tenant]
    // Every consumer key digest of every tenant, with the index of its tenant at
    // the same position: flat arrays, so the constant-time scan is one tight loop.
    private let digests: [SHA256Digest]
    private let owners: [Int]

    /// A registry of `tenants`, each with the digests of its consumer keys.
    /// Digests must be unique across all tenants (``parse(bytes:environment:)``
    /// checks this; a duplicate here would make lookups ambiguous).
    public init(allowPassthrough: Bool, tenants: [(tenant: Tenant, consumerKeys: [SHA256Digest])]) {
        self.allowPassthrough = allowPassthrough
        self.tenants = tenants.map(\.tenant)
        var digests: [SHA256Digest] = []
        var owners: [Int] = []
        for (index, entry) in tenants.enumerated() {
            for digest in entry.consumerKeys {
                digests.append(digest)
                owners.append(index)
            }
        }
        precondition(Set(digests).count == digests.count, "consumer key digests must be unique across tenants")
        self.digests = digests
        self.owners = owners
    }

    /// The number of consumer keys over all tenants.
    public var consumerKeyCount: Int { digests.count }

    /// The tenant whose consumer key is `consumerKey`, or `nil`.
    public func lookup(consumerKey: String) -> Tenant? {
        tenantIndex(consumerKey: consumerKey).map { tenants[$0] }
    }

    /// The index in ``tenants`` of the tenant whose consumer key is `consumerKey`.
    public func tenantIndex(consumerKey: String) -> Int? {
        var key = consumerKey
        return key.withUTF8 { tenantIndex(consumerKey: UnsafeRawBufferPointer($0)) }
    }

    /// The index in ``tenants`` of the tenant whose consumer key has these bytes.
    public func tenantIndex(consumerKey: UnsafeRawBufferPointer) -> Int? {
        guard !consumerKey.isEmpty else { return nil }
        let presented = SHA256Digest(hashing: consumerKey)
        // Digests are unique, so at most one mask is all ones and `found` ends up
        // as (index + 1) of the match or 0. Every candidate is compared in full.
        var found: UInt64 = 0
        digests.withUnsafeBufferPointer { digests in
            owners.withUnsafeBufferPointer { owners in
                for i in 0..<digests.count {
                    found |= digests[i].equalityMask(presented) & UInt64(owners[i] + 1)
                }
            }
        }
        return found == 0 ? nil : Int(found - 1)
    }

    /// The tenant called `name`, or `nil`.
    public func tenant(named name: String) -> Tenant? {
        tenants.first(where: { $0.name == name })
    }

    /// Counts only: the registry holds credentials, and this goes into logs.
    public var description: String {
        "TenantRegistry(tenants: \(tenants.map(\.name).joined(separator: ",")), consumer keys: \(digests.count), "
            + "allow_passthrough: \(allowPassthrough))"
    }

    /// Registries are equal when they hold the same tenants, keys and settings.
    public static func == (lhs: TenantRegistry, rhs: TenantRegistry) -> Bool {
        lhs.allowPassthrough == rhs.allowPassthrough && lhs.tenants == rhs.tenants
            && lhs.digests == rhs.digests && lhs.owners == rhs.owners
    }
}

extension TenantRegistry {
    /// The largest registry file accepted: far above any real tenant list, low
    /// enough that a wrong path (a log file, a device) fails fast.
    public static let maxFileBytes = 1 << 20

    /// Reads and validates the registry file at `path`. Blocking: call it at
    /// start-up or from a worker queue, never on an event loop.
    /// - Parameter environment: where `*_env` credentials are looked up (the
    ///   process environment in production, a dictionary in tests).
    public static func load(
        path: String, environment: [String: String], maxBytes: Int = maxFileBytes
    ) throws(RegistryError) -> TenantRegistry {
        let bytes = try RegistryFile.contents(path: path, maxBytes: maxBytes)
        return try parse(bytes: bytes, environment: environment)
    }

    /// Validates registry JSON; every error names the field path and line.
    public static func parse(bytes: [UInt8], environment: [String: String]) throws(RegistryError) -> TenantRegistry {
        let root: ConfigJSON.Node
        do {
            root = try ConfigJSON.parse(bytes)
        } catch {
            throw RegistryError(syntax: error)
        }
        var validator = RegistryValidator(environment: environment)
        return try validator.registry(root)
    }
}
