/// Why an upstream body yields no client.
///
/// Both cases mean the upstream answered something the gateway cannot pass on
/// (the contract maps both to 502); they differ so logs can tell a broken body
/// from a well-formed body of the wrong shape.
public enum ProjectionError: Error, Equatable, Sendable {
    /// The body is not one JSON text as RFC 8259 defines it, or it names
    /// `data` or `data.Client` twice (which copy counts would be a guess), or
    /// its client has more than ``ClientExtractor/maxClientMembers`` members.
    ///
    /// `offset` is the byte offset where the scanner stopped; `reason` is a
    /// short fixed phrase, safe to log (it never quotes the body).
    case invalidJSON(offset: Int, reason: String)
    /// The body is valid JSON but has no `data.Client` object: the top level
    /// or `data` is not an object, a key is missing, or `Client` is not an object.
    case missingClient
}
