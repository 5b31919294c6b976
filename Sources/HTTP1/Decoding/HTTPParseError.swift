/// A message that cannot be processed.
///
/// From ``HTTPRequestDecoder``, `status` is what the server answers before it
/// closes the connection: 400, 413, 414, 431, 501 or 505. From
/// ``HTTPResponseDecoder``, `status` is always 502: the upstream is broken and
/// its connection must not be reused.
///
/// `reason` is short, human readable and safe to show to a client (it goes
/// into a problem+json `detail`): it never contains bytes from the input.
public struct HTTPParseError: Error, Sendable, Equatable {
    /// The HTTP status code that describes the failure.
    public let status: Int
    /// A short, fixed explanation of the failure.
    public let reason: String

    /// Creates an error from a status and a fixed reason.
    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }
}

extension HTTPParseError {
    /// Malformed syntax or ambiguous framing.
    static func badRequest(_ reason: String) -> HTTPParseError {
        HTTPParseError(status: 400, reason: reason)
    }

    /// Upstream failures all map to 502 and keep the underlying reason.
    var asUpstreamFailure: HTTPParseError {
        HTTPParseError(status: 502, reason: "upstream response: " + reason)
    }
}
