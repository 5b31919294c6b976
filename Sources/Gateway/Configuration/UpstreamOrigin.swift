import Upstream

/// Where one tenant's upstream calls go: the template resolved for a subdomain.
public struct UpstreamOrigin: Hashable, Sendable {
    /// `http` or `https`.
    public let scheme: UpstreamScheme
    /// The host to connect to: a DNS name, or an IP literal (IPv6 without brackets).
    public let host: String
    /// The TCP port.
    public let port: Int
    /// The path before `/clients/{id}.json`: empty or starting with `/`, never ending with `/`.
    public let pathPrefix: String
    /// The `Host` header value: the host (IPv6 in brackets) with `:port` when it is not the scheme's default.
    public let hostHeader: String
    /// Whether ``host`` is an IP literal rather than a name.
    public let isIPLiteral: Bool

    /// The connection identity: scheme, host and port. Pool connections by this
    /// rather than by the whole origin, so tenants that differ only in the path
    /// (`http://127.0.0.1:9000/{subdomain}/api2`) share keep-alive connections.
    public var endpoint: UpstreamEndpoint {
        UpstreamEndpoint(secure: scheme == .https, host: host, port: UInt16(port))
    }

    /// The name for TLS SNI and certificate verification; nil for an IP
    /// literal, which RFC 6066 forbids in SNI.
    public var tlsServerName: String? { isIPLiteral ? nil : host }

    /// The request target for one client: `\(pathPrefix)/clients/\(id).json`.
    /// `id` must already be validated (digits only).
    public func clientPath(id: String) -> String {
        "\(pathPrefix)/clients/\(id).json"
    }
}

/// Why an `--upstream` template was refused; ``description`` is the reason for an error line.
public struct UpstreamTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Kind: Equatable, Sendable {
        case invalidCharacter, queryOrFragment, unsupportedScheme, missingPlaceholder, duplicatePlaceholder
        case strayBrace, userInfo, invalidHost, placeholderNotALabel, invalidPort, invalidPath
    }

    private let kind: Kind

    /// A space, control or non-ASCII character.
    public static let invalidCharacter = UpstreamTemplateError(kind: .invalidCharacter)
    /// A `?` or `#`: the gateway builds the query itself.
    public static let queryOrFragment = UpstreamTemplateError(kind: .queryOrFragment)
    /// Not `http://` or `https://`.
    public static let unsupportedScheme = UpstreamTemplateError(kind: .unsupportedScheme)
    /// No `{subdomain}`.
    public static let missingPlaceholder = UpstreamTemplateError(kind: .missingPlaceholder)
    /// More than one `{subdomain}`.
    public static let duplicatePlaceholder = UpstreamTemplateError(kind: .duplicatePlaceholder)
    /// A brace that is not part of `{subdomain}`.
    public static let strayBrace = UpstreamTemplateError(kind: .strayBrace)
    /// `user:password@` in the authority: credentials come from requests or the registry.
    public static let userInfo = UpstreamTemplateError(kind: .userInfo)
    /// Not a DNS name, IPv4 literal or bracketed IPv6 literal.
    public static let invalidHost = UpstreamTemplateError(kind: .invalidHost)
    /// `{subdomain}` in the host but not as a whole label followed by a domain.
    public static let placeholderNotALabel = UpstreamTemplateError(kind: .placeholderNotALabel)
    /// A port that is not a number from 1 to 65535.
    public static let invalidPort = UpstreamTemplateError(kind: .invalidPort)
    /// A path character outside RFC 3986 `pchar`, a bad `%` escape, or a `.`/`..` segment.
    public static let invalidPath = UpstreamTemplateError(kind: .invalidPath)

    /// A reason phrase that ends an error line.
    public var description: String {
        switch kind {
        case .invalidCharacter: return "spaces, control and non-ASCII characters are not allowed"
        case .queryOrFragment: return "a query string or fragment is not allowed"
        case .unsupportedScheme: return "expected a URL starting with http:// or https://"
        case .missingPlaceholder: return "{subdomain} must appear once, in the host or the path"
        case .duplicatePlaceholder: return "{subdomain} must appear only once"
        case .strayBrace: return "braces are only allowed as {subdomain}"
        case .userInfo: return "user info (user:password@) is not allowed"
        case .invalidHost: return "expected a DNS name, an IPv4 address or a bracketed IPv6 address as host"
        case .placeholderNotALabel:
            return "{subdomain} in the host must be a whole label followed by a domain, as in {subdomain}.daftra.com"
        case .invalidPort: return "the port must be a number from 1 to 65535"
        case .invalidPath: return "the path has a character that must be percent-encoded, a bad %-escape, or a . or .. segment"
        }
    }
}
