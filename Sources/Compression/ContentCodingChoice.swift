/// The content coding an answer should use, as negotiated from a request's `Accept-Encoding`.
public enum ContentCodingChoice: Hashable, Sendable {
    /// Compress with gzip (when the body is large enough to be worth it).
    case gzip
    /// Send the body as it is.
    case identity
    /// The client refused identity and does not accept gzip. RFC 9110 §12.5.3 lets a server
    /// answer 406 or ignore the header; the gateway answers 406 (a client that says so
    /// cannot read an identity body).
    case notAcceptable
}
