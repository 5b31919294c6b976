/// The request line (RFC 9112 §3): `method SP request-target SP HTTP-version CRLF`.
///
/// The method and target stay bytes, slices of the head being parsed: they
/// become Strings only in the finished ``HTTPRequestHead``, so they are not
/// copied into it and released here.
struct RequestLine {
    var method: UnsafeRawBufferPointer
    var target: UnsafeRawBufferPointer
    var version: HTTPVersion
    /// Where the first field line starts.
    var fieldsStart: Int

    /// Parses the request line at the start of `head`, which ends with the
    /// blank line, so a CRLF always follows somewhere.
    init(parsing head: UnsafeRawBufferPointer, maxTargetBytes: Int) throws(HTTPParseError) {
        var i = 0
        while ASCII.isTchar(head[i]) { i &+= 1 }
        let methodEnd = i
        guard head[i] == ASCII.space, methodEnd > 0 else {
            let b = head[i]
            throw .badRequest(b == ASCII.space || b == ASCII.cr ? "malformed request line" : "invalid character in method")
        }

        let targetStart = i &+ 1
        i = targetStart
        while ASCII.isIn(head[i], ASCII.targetMask) { i &+= 1 }
        let targetEnd = i
        guard head[i] == ASCII.space, targetEnd > targetStart else {
            let b = head[i]
            // Space twice in a row, or no version (an HTTP/0.9 request line).
            throw .badRequest(b == ASCII.space || b == ASCII.cr ? "malformed request line" : "invalid character in request target")
        }
        guard targetEnd &- targetStart <= maxTargetBytes else {
            throw HTTPParseError(status: 414, reason: "request target too long")
        }

        let versionStart = i &+ 1
        guard versionStart &+ 9 < head.count,
              head[versionStart &+ 8] == ASCII.cr, head[versionStart &+ 9] == ASCII.lf
        else {
            throw .badRequest("malformed request line")
        }
        let version = try Self.parseVersion(head.slice(versionStart..<versionStart &+ 8))

        let method = head.slice(0..<methodEnd)
        let target = head.slice(targetStart..<targetEnd)
        try Self.validateTarget(target, method: method)

        self.method = method
        self.target = target
        self.version = version
        self.fieldsStart = versionStart &+ 10
    }

    /// `HTTP/DIGIT.DIGIT`, case-sensitive (RFC 9112 §2.3). Major versions other
    /// than 1 get 505; a higher 1.x minor is processed as HTTP/1.1 (RFC 9110 §6.2).
    static func parseVersion(_ v: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPVersion {
        guard v.count == 8, v[0] == 0x48, v[1] == 0x54, v[2] == 0x54, v[3] == 0x50, v[4] == ASCII.slash,
              ASCII.isDigit(v[5]), v[6] == 0x2E, ASCII.isDigit(v[7])
        else {
            throw .badRequest("invalid HTTP version")
        }
        guard v[5] == 0x31 else {
            throw HTTPParseError(status: 505, reason: "HTTP version not supported")
        }
        return v[7] == 0x30 ? .http1_0 : .http1_1
    }

    /// The four forms of RFC 9112 §3.2, each only where it belongs.
    private static func validateTarget(_ target: UnsafeRawBufferPointer, method: UnsafeRawBufferPointer) throws(HTTPParseError) {
        if ASCII.equals(method, "CONNECT") {
            guard URISyntax.isValidAuthority(target, requireHost: true, requirePort: true) else {
                throw .badRequest("CONNECT requires an authority-form target")
            }
            return
        }
        guard URISyntax.percentEncodingsAreValid(target) else {
            throw .badRequest("invalid percent-encoding in request target")
        }
        switch target[0] {
        case ASCII.slash:
            return
        case ASCII.asterisk where target.count == 1:
            guard ASCII.equals(method, "OPTIONS") else {
                throw .badRequest("asterisk-form target is only allowed with OPTIONS")
            }
        default:
            guard URISyntax.isValidAbsoluteForm(target) else {
                throw .badRequest("invalid request target")
            }
        }
    }
}
