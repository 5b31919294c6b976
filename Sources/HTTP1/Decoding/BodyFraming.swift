/// How the body of a message is delimited on the wire (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    /// No body follows the head (a request without framing headers, or a
    /// response to HEAD, a 204 or a 304).
    case none
    /// Exactly this many body bytes follow. `contentLength(0)` is kept distinct
    /// from `.none` so callers can tell what the peer actually sent.
    case contentLength(UInt64)
    /// The body uses the chunked transfer coding.
    case chunked
    /// The body runs until the peer closes the connection. Responses only: a
    /// request without framing headers has no body.
    case untilClose
}
