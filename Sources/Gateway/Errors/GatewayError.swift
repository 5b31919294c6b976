/// Every failure a caller of the gateway can see, each with its status in one
/// table (``GatewayError/Kind/status``), rendered as RFC 9457 problem+json by
/// ``ProblemResponse``.
public struct GatewayError: Error, Equatable, Sendable {
    /// The class of failure; its row in the table decides status, title and type.
    public enum Kind: String, Sendable, CaseIterable {
        case badRequest = "bad-request"
        case invalidClientID = "invalid-client-id"
        case missingSubdomain = "missing-subdomain"
        case invalidSubdomain = "invalid-subdomain"
        case invalidFields = "invalid-fields"
        case missingCredential = "missing-credential"
        case unknownConsumerKey = "unknown-consumer-key"
        case upstreamUnauthorized = "upstream-unauthorized"
        case upstreamForbidden = "upstream-forbidden"
        case fieldNotAllowed = "field-not-allowed"
        case routeNotFound = "not-found"
        case clientNotFound = "client-not-found"
        case methodNotAllowed = "method-not-allowed"
        case notAcceptable = "not-acceptable"
        case requestTimeout = "request-timeout"
        case contentTooLarge = "content-too-large"
        case uriTooLong = "uri-too-long"
        case rateLimited = "rate-limited"
        case upstreamRateLimited = "upstream-rate-limited"
        case headersTooLarge = "header-fields-too-large"
        case unsupportedTransferCoding = "not-implemented"
        case versionNotSupported = "http-version-not-supported"
        case upstreamFailed = "upstream-failed"
        case upstreamUnreachable = "upstream-unreachable"
        case upstreamTLS = "upstream-tls"
        case upstreamInvalidResponse = "upstream-invalid-response"
        case upstreamBusy = "upstream-busy"
        case upstreamTimeout = "upstream-timeout"

        /// The table: status and title of each kind.
        public var row: (status: Int, title: String) {
            switch self {
            case .badRequest: return (400, "Bad request")
            case .invalidClientID: return (400, "Invalid client id")
            case .missingSubdomain: return (400, "Missing tenant subdomain")
            case .invalidSubdomain: return (400, "Invalid tenant subdomain")
            case .invalidFields: return (400, "Invalid fields")
            case .missingCredential: return (401, "Missing credential")
            case .unknownConsumerKey: return (401, "Unknown consumer key")
            case .upstreamUnauthorized: return (401, "Upstream rejected the credential")
            case .upstreamForbidden: return (403, "Upstream forbade access")
            case .fieldNotAllowed: return (403, "Field not allowed")
            case .routeNotFound: return (404, "Not found")
            case .clientNotFound: return (404, "Client not found")
            case .methodNotAllowed: return (405, "Method not allowed")
            case .notAcceptable: return (406, "Not acceptable")
            case .requestTimeout: return (408, "Request timeout")
            case .contentTooLarge: return (413, "Content too large")
            case .uriTooLong: return (414, "URI too long")
            case .rateLimited: return (429, "Rate limit exceeded")
            case .upstreamRateLimited: return (429, "Upstream rate limit exceeded")
            case .headersTooLarge: return (431, "Request header fields too large")
            case .unsupportedTransferCoding: return (501, "Not implemented")
            case .versionNotSupported: return (505, "HTTP version not supported")
            case .upstreamFailed: return (502, "Upstream failed")
            case .upstreamUnreachable: return (502, "Upstream unreachable")
            case .upstreamTLS: return (502, "Upstream TLS failure")
            case .upstreamInvalidResponse: return (502, "Invalid upstream response")
            case .upstreamBusy: return (503, "Upstream concurrency limit reached")
            case .upstreamTimeout: return (504, "Upstream timeout")
            }
        }

        /// The HTTP status of this kind.
        public var status: Int { row.status }

        /// The problem `type` URI.
        public var typeURI: String { "urn:daftra-gateway:problem:\(rawValue)" }

        /// The kind the codec's rejection statuses map to.
        public static func forParseStatus(_ status: Int) -> Kind {
            switch status {
            case 408: return .requestTimeout
            case 413: return .contentTooLarge
            case 414: return .uriTooLong
            case 431: return .headersTooLarge
            case 501: return .unsupportedTransferCoding
            case 505: return .versionNotSupported
            default: return .badRequest
            }
        }
    }

    public var kind: Kind
    /// A sentence for the caller: never a credential, never upstream bytes.
    public var detail: String
    /// Extra response fields the kind calls for (`Allow`, `Retry-After`, ...).
    public var headers: [(String, String)]

    public init(_ kind: Kind, _ detail: String, headers: [(String, String)] = []) {
        self.kind = kind
        self.detail = detail
        self.headers = headers
    }

    public var status: Int { kind.status }

    public static func == (a: GatewayError, b: GatewayError) -> Bool {
        a.kind == b.kind && a.detail == b.detail
            && a.headers.map { $0.0 + ":" + $0.1 } == b.headers.map { $0.0 + ":" + $0.1 }
    }
}
