/// Why an upstream exchange failed. The gateway maps each kind to a status in
/// its error table (timeouts to 504, the rest to 502).
public struct UpstreamError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// Name resolution failed.
        case resolution
        /// TCP connect (or the TLS handshake) did not finish within the connect timeout.
        case connectTimeout
        /// The connection was refused, reset or otherwise failed.
        case unreachable
        /// The TLS handshake or session failed.
        case tls
        /// The exchange did not finish within the upstream timeout.
        case timeout
        /// The answer broke HTTP/1.1 framing or could not be decoded.
        case invalidResponse
        /// The answer's body was larger than the limit.
        case tooLarge
    }

    public var kind: Kind
    /// A short explanation for logs; never contains upstream body bytes.
    public var reason: String
    /// For TLS failures, the class shown to callers (untrusted certificate, ...).
    public var tlsClass: String?

    public init(_ kind: Kind, _ reason: String, tlsClass: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.tlsClass = tlsClass
    }

    public var description: String { "\(kind.rawValue): \(reason)" }
}
