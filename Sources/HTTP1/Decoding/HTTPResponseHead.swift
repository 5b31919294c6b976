/// A decoded status line and its header fields.
public struct HTTPResponseHead: Sendable, Equatable {
    /// The version; HTTP/1.2 and up are reported as HTTP/1.1 (RFC 9110 §6.2).
    public var version: HTTPVersion
    /// The status code, 200–599 (interim 1xx responses are never reported).
    public var status: Int
    /// The reason phrase, possibly empty; it carries no meaning (RFC 9112 §4).
    public var reason: String
    /// The header fields in arrival order.
    public var headers: HTTPHeaders
    /// Whether the connection may carry another exchange after this one:
    /// false for `Connection: close`, for HTTP/1.0 without `keep-alive`, and
    /// for close-delimited bodies.
    public var keepAlive: Bool
    /// How the body is delimited: `.none` (HEAD, 204, 304), `.contentLength(n)`,
    /// `.chunked` or `.untilClose`.
    public var framing: BodyFraming

    /// Creates a head from its parts.
    public init(
        version: HTTPVersion,
        status: Int,
        reason: String,
        headers: HTTPHeaders,
        keepAlive: Bool,
        framing: BodyFraming
    ) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.keepAlive = keepAlive
        self.framing = framing
    }
}
