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

    /// The upstream's `Retry-After` when it is a plausible value (delta-seconds of
    /// at least 1 and at most 10 digits, or an IMF-fixdate, RFC 9110 §10.2.3 and
    /// §5.6.7), else 1 second: a 429 always says when to come back, and never "now"
    /// (the gateway's own 429s say at least 1 too).
    static func retryAfter(_ headers: HTTPHeaders) -> String {
        guard let value = headers.first("retry-after") else { return "1" }
        let bytes = Array(value.utf8)
        if !bytes.isEmpty, bytes.count <= 10, bytes.allSatisfy(isDigit) {
            return bytes.contains { $0 != UInt8(ascii: "0") } ? value : "1"
        }
        return isIMFFixdate(bytes) ? value : "1"
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`: day name, day, month name, year, time, GMT.
    static func isIMFFixdate(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 29 else { return false }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func digits(_ range: Range<Int>) -> Int? {
            guard bytes[range].allSatisfy(isDigit) else { return nil }
            return bytes[range].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard days.contains(text(0..<3)), text(3..<5) == ", ", let day = digits(5..<7), (1...31).contains(day),
              bytes[7] == 0x20, months.contains(text(8..<11)), bytes[11] == 0x20, digits(12..<16) != nil,
              bytes[16] == 0x20, let hour = digits(17..<19), hour < 24, bytes[19] == UInt8(ascii: ":"),
              let minute = digits(20..<22), minute < 60, bytes[22] == UInt8(ascii: ":"),
              let second = digits(23..<25), second <= 60, text(25..<29) == " GMT"
        else { return false }
        return true
    }
}
