/// A decoded request line and its header fields.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method token, case-sensitive as sent (`GET`).
    public var method: String
    /// The request-target exactly as sent: origin-form (`/a?b`), absolute-form,
    /// authority-form (CONNECT only) or `*` (OPTIONS only).
    public var target: String
    /// The version; HTTP/1.2 and up are reported as HTTP/1.1 (RFC 9110 §6.2).
    public var version: HTTPVersion
    /// The header fields in arrival order.
    public var headers: HTTPHeaders
    /// Whether the connection may carry another request after this one
    /// (RFC 9112 §9.3): HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive` (and no `close`).
    public var keepAlive: Bool
    /// How the body is delimited: `.none`, `.contentLength(n)` or `.chunked`.
    public var framing: BodyFraming

    /// Creates a head from its parts.
    public init(
        method: String,
        target: String,
        version: HTTPVersion,
        headers: HTTPHeaders,
        keepAlive: Bool,
        framing: BodyFraming
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.keepAlive = keepAlive
        self.framing = framing
    }
}
