/// The status line (RFC 9112 §4): `HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF`.
///
/// The reason phrase stays bytes, a slice of the head being parsed, until the
/// finished ``HTTPResponseHead`` is made (see ``RequestLine``).
struct StatusLine {
    var version: HTTPVersion
    var status: Int
    var reason: UnsafeRawBufferPointer
    /// Where the first field line starts.
    var fieldsStart: Int

    /// Parses the status line at the start of `head`, which ends with the
    /// blank line. Tolerates what real servers do harmlessly: a missing space
    /// after the code when the reason is empty, and reason bytes that are not
    /// UTF-8 (the phrase means nothing, so it is later decoded lossily).
    init(parsing head: UnsafeRawBufferPointer) throws(HTTPParseError) {
        guard head.count >= 14, head[8] == ASCII.space else {
            throw .badRequest("malformed status line")
        }
        version = try RequestLine.parseVersion(head.slice(0..<8))
        guard ASCII.isDigit(head[9]), ASCII.isDigit(head[10]), ASCII.isDigit(head[11]) else {
            throw .badRequest("invalid status code")
        }
        status = Int(head[9] &- 0x30) * 100 + Int(head[10] &- 0x30) * 10 + Int(head[11] &- 0x30)
        guard (100...599).contains(status) else {
            throw .badRequest("invalid status code")
        }
        var i = 12
        var reasonStart = 12
        if head[i] == ASCII.space {
            i &+= 1
            reasonStart = i
            while head[i] != ASCII.cr {
                guard ASCII.isFieldValueByte(head[i]) else {
                    throw .badRequest("invalid character in reason phrase")
                }
                i &+= 1
            }
        }
        guard head[i] == ASCII.cr, i &+ 1 < head.count, head[i &+ 1] == ASCII.lf else {
            throw .badRequest("malformed status line")
        }
        reason = head.slice(reasonStart..<i)
        fieldsStart = i &+ 2
    }
}
