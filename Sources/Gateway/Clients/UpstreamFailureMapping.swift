import HTTP1
import Upstream

/// How upstream outcomes become the caller's errors: the upstream rows of the
/// contract's error table. No upstream body ever reaches the caller.
public enum UpstreamFailureMapping {
    /// A transport or protocol failure.
    public static func error(for failure: UpstreamError) -> GatewayError {
        switch failure.kind {
        case .connectTimeout:
            return GatewayError(.upstreamTimeout, "connecting to the upstream took longer than the connect timeout")
        case .timeout:
            return GatewayError(.upstreamTimeout, "the upstream did not answer within the upstream timeout")
        case .resolution:
            return GatewayError(.upstreamUnreachable, "the upstream host name could not be resolved")
        case .unreachable:
            return GatewayError(.upstreamUnreachable, "the upstream could not be reached or dropped the connection")
        case .tls:
            return GatewayError(.upstreamTLS, "TLS with the upstream failed: \(failure.tlsClass ?? "protocol error")")
        case .invalidResponse:
            return GatewayError(.upstreamInvalidResponse, "the upstream's answer was not valid HTTP/1.1")
        case .tooLarge:
            return GatewayError(.upstreamInvalidResponse, "the upstream's answer was larger than 8 MiB")
        }
    }

    /// An upstream answer other than 200.
    public static func error(forStatus status: Int, headers: HTTPHeaders) -> GatewayError {
        switch status {
        case 401:
            return GatewayError(.upstreamUnauthorized, "the upstream rejected the credential")
        case 403:
            return GatewayError(.upstreamForbidden, "the upstream does not allow this credential to read the client")
        case 404:
            return GatewayError(.clientNotFound, "the upstream has no such client")
        case 429:
            return GatewayError(.upstreamRateLimited, "the upstream is rate limiting this tenant",
                                headers: [("Retry-After", retryAfter(headers))])
        case 500...599:
            return GatewayError(.upstreamFailed, "the upstream answered \(status)")
        default:
            return GatewayError(.upstreamInvalidResponse, "the upstream answered an unexpected \(status)")
        }
    }

    /// The upstream's `Retry-After` when it is a plausible value (delta-seconds or
    /// an HTTP-date), else 1 second: a 429 always says when to come back.
    static func retryAfter(_ headers: HTTPHeaders) -> String {
        guard let value = headers.first("retry-after"), !value.isEmpty, value.utf8.count <= 40,
              value.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else { return "1" }
        if value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return value }
        // An IMF-fixdate is 29 characters ending in GMT.
        return value.utf8.count == 29 && value.hasSuffix(" GMT") ? value : "1"
    }
}
