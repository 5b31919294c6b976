/// What kind of TLS failure happened, in the words callers see in a 502's detail.
public enum TLSFailureClass: String, Sendable, Equatable, CaseIterable {
    /// The peer's certificate does not chain to a trusted anchor (unknown issuer,
    /// self-signed, bad signature, not allowed for this purpose, ...).
    case untrustedCertificate = "untrusted certificate"
    /// The certificate is valid but not for the host name or IP address asked for.
    case nameMismatch = "name mismatch"
    /// The certificate is outside its validity period (expired, or not yet valid).
    case expiredCertificate = "expired certificate"
    /// Anything else: no shared version or cipher, a bad record, an unexpected
    /// message, a peer that closed during the handshake, a plain-HTTP peer.
    case protocolError = "protocol error"
}

/// A TLS handshake or session failure: its class and OpenSSL's reason.
public struct TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The class shown to callers.
    public var failureClass: TLSFailureClass
    /// OpenSSL's reason (for logs), e.g. `certificate verify failed (certificate has expired)`.
    public var reason: String

    /// A failure of `failureClass`, with OpenSSL's `reason`.
    public init(_ failureClass: TLSFailureClass, _ reason: String) {
        self.failureClass = failureClass
        self.reason = reason
    }

    /// `class: reason`, for logs.
    public var description: String { "\(failureClass.rawValue): \(reason)" }
}

/// A certificate, key or trust file that could not be used; the gateway prints it
/// and exits non-zero at start-up, or logs it and keeps the old files on reload.
public struct TLSConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which file or step failed.
    public enum Kind: String, Sendable, Equatable {
        /// The certificate chain file is missing, unreadable or not PEM certificates.
        case certificate
        /// The private key file is missing, unreadable or not a PEM key.
        case privateKey
        /// The key does not belong to the chain's first certificate.
        case keyMismatch
        /// The CA file is missing, unreadable or holds no certificate.
        case trustStore
        /// OpenSSL could not set up a context (out of memory, broken installation).
        case context
    }

    /// Which file or step failed.
    public var kind: Kind
    /// The file concerned, when there is one.
    public var path: String?
    /// Why, including OpenSSL's reason.
    public var reason: String

    /// A failure of `kind` about `path`, with OpenSSL's or the system's `reason`.
    public init(_ kind: Kind, path: String?, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// One line for the start-up error or the reload log, naming the file.
    public var description: String {
        let what: String
        switch kind {
        case .certificate: what = "cannot load the TLS certificate chain"
        case .privateKey: what = "cannot load the TLS private key"
        case .keyMismatch: what = "the TLS private key does not match the certificate"
        case .trustStore: what = "cannot load the CA file"
        case .context: what = "cannot set up TLS"
        }
        if let path { return "\(what) \(path): \(reason)" }
        return "\(what): \(reason)"
    }
}
