import HTTP1

/// The credential a request carries for the upstream: exactly one of the two
/// Daftra accepts (sending both makes Daftra reject even a valid key).
public enum UpstreamCredential: Sendable, Equatable {
    /// The whole `Authorization` value, `Bearer <token>`, forwarded as is.
    case bearer(String)
    /// An `apikey` header value.
    case apikey(String)

    /// The header that carries it upstream.
    public var header: (String, String) {
        switch self {
        case .bearer(let value): return ("Authorization", value)
        case .apikey(let key): return ("apikey", key)
        }
    }
}

/// Pass-through mode: the request names its tenant and brings its own credential.
public enum PassThroughTenancy {
    /// The tenant's subdomain: `X-Daftra-Subdomain`, else (with a base domain) the
    /// Host label before `.<baseDomain>`; lower-cased and checked to be one DNS label.
    /// Only ASCII letters are lower-cased: Unicode case mapping would turn some
    /// non-ASCII names into valid labels (U+212A KELVIN SIGN lower-cases to `k`).
    ///
    /// With an absolute-form `target`, its authority stands in for the Host field
    /// (RFC 9112 §3.2.2), so a proxy that routes by the target and the gateway
    /// agree on the tenant.
    public static func subdomain(
        headers: HTTPHeaders, baseDomain: String?, target: String = "/"
    ) -> Result<String, GatewayError> {
        if let named = headers.first("x-daftra-subdomain") {
            let label = AddressSyntax.asciiLowercased(named)
            guard isDNSLabel(label) else {
                return .failure(GatewayError(.invalidSubdomain, "X-Daftra-Subdomain must be one DNS label (a-z, 0-9, -)"))
            }
            return .success(label)
        }
        guard let baseDomain, let host = RequestTarget.authority(of: target).map(String.init) ?? headers.first("host") else {
            return .failure(GatewayError(
                .missingSubdomain,
                baseDomain == nil ? "send the tenant's subdomain in X-Daftra-Subdomain"
                    : "send X-Daftra-Subdomain or use a Host under \(baseDomain ?? "")"))
        }
        var name = Substring(AddressSyntax.asciiLowercased(host))
        if let colon = name.lastIndex(of: ":"), !name.hasSuffix("]") {
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        let suffix = "." + baseDomain
        guard name.hasSuffix(suffix) else {
            return .failure(GatewayError(.missingSubdomain, "the Host is not under \(baseDomain); send X-Daftra-Subdomain"))
        }
        let label = String(name.dropLast(suffix.count))
        guard isDNSLabel(label) else {
            return .failure(GatewayError(.invalidSubdomain, "the Host's tenant label must be one DNS label (a-z, 0-9, -)"))
        }
        return .success(label)
    }

    /// `Authorization: Bearer <token>` if present, else `apikey`; neither → 401.
    public static func credential(headers: HTTPHeaders) -> Result<UpstreamCredential, GatewayError> {
        if let authorization = headers.first("authorization"), let token = bearerToken(authorization), !token.isEmpty {
            return .success(.bearer(authorization))
        }
        if let key = headers.first("apikey"), !key.isEmpty {
            return .success(.apikey(key))
        }
        return .failure(GatewayError(.missingCredential, "send Authorization: Bearer <token> or an apikey header"))
    }

    /// The token of a `Bearer` authorization value (scheme case-insensitive), or nil.
    public static func bearerToken(_ value: String) -> Substring? {
        let utf8 = value.utf8
        guard utf8.count > 7 else { return nil }
        // The six letters fold to lower case by OR-ing 0x20 (exact for ASCII
        // letters, and no other byte folds onto them); the space must be a space.
        guard zip(utf8, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }),
              utf8[utf8.index(utf8.startIndex, offsetBy: 6)] == UInt8(ascii: " ")
        else { return nil }
        // Indices of the UTF-8 view: Character steps would run grapheme breaking.
        var start = utf8.index(utf8.startIndex, offsetBy: 7)
        while start < utf8.endIndex, utf8[start] == UInt8(ascii: " ") { start = utf8.index(after: start) }
        return value[start...]
    }

    /// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`
    public static func isDNSLabel(_ label: String) -> Bool {
        let bytes = label.utf8
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// A positive decimal integer of 1–18 digits without leading zeros (one
    /// spelling per client, so logs and caches never see two names for one id).
    public static func isClientID(_ id: Substring) -> Bool {
        let utf8 = id.utf8
        guard let first = utf8.first, utf8.count <= 18, first != UInt8(ascii: "0") else { return false }
        return utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
