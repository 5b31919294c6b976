/// What the framing-relevant fields of one head said, gathered while the
/// field lines are parsed (RFC 9112 §6.3, §9.3; RFC 9110 §7.2, §8.6).
struct FramingFields: Sendable {
    /// The agreed Content-Length, saturated at `UInt64.max` when it overflows.
    private(set) var contentLength: UInt64?
    /// Transfer-Encoding field lines seen.
    private var transferEncodingLines = 0
    /// Non-empty transfer codings listed, over all lines.
    private var codings = 0
    private var chunkedCount = 0
    private var lastIsChunked = false
    private var hasOtherCoding = false
    /// `close` / `keep-alive` among the Connection options.
    private(set) var connectionClose = false
    private(set) var connectionKeepAlive = false
    /// Host field lines seen, and where the first one's value lies.
    private(set) var hostCount = 0
    private(set) var firstHostValue: Range<Int>?

    /// Records one field line if it matters for framing.
    mutating func note(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, valueRange: Range<Int>) throws(HTTPParseError) {
        switch name.count {
        case 4 where ASCII.equalsCaseInsensitive(name, "host"):
            hostCount &+= 1
            if firstHostValue == nil { firstHostValue = valueRange }
        case 10 where ASCII.equalsCaseInsensitive(name, "connection"):
            forEachListElement(value) { option in
                if ASCII.equalsCaseInsensitive(option, "close") { connectionClose = true }
                if ASCII.equalsCaseInsensitive(option, "keep-alive") { connectionKeepAlive = true }
            }
        case 14 where ASCII.equalsCaseInsensitive(name, "content-length"):
            try noteContentLength(value)
        case 17 where ASCII.equalsCaseInsensitive(name, "transfer-encoding"):
            transferEncodingLines &+= 1
            forEachListElement(value) { coding in
                codings &+= 1
                lastIsChunked = ASCII.equalsCaseInsensitive(coding, "chunked")
                if lastIsChunked { chunkedCount &+= 1 } else { hasOtherCoding = true }
            }
        default:
            break
        }
    }

    /// Content-Length = 1*DIGIT, possibly repeated as a list or over several
    /// lines; RFC 9110 §8.6 lets identical repeats through and nothing else.
    private mutating func noteContentLength(_ value: UnsafeRawBufferPointer) throws(HTTPParseError) {
        var i = 0
        let end = value.count
        while true {
            while i < end, ASCII.isWhitespace(value[i]) { i &+= 1 }
            let digitsStart = i
            var length: UInt64 = 0
            while i < end, ASCII.isDigit(value[i]) {
                let (times10, o1) = length.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(value[i] &- 0x30))
                length = o1 || o2 ? .max : sum
                i &+= 1
            }
            guard i > digitsStart else {
                throw .badRequest("invalid Content-Length")
            }
            while i < end, ASCII.isWhitespace(value[i]) { i &+= 1 }
            if let agreed = contentLength, agreed != length {
                throw .badRequest("conflicting Content-Length values")
            }
            contentLength = length
            if i == end { return }
            guard value[i] == ASCII.comma else {
                throw .badRequest("invalid Content-Length")
            }
            i &+= 1
        }
    }

    /// The framing these fields declare, or nil when they declare none.
    /// Statuses are the server's; the response decoder maps them to 502.
    func declaredFraming(version: HTTPVersion, maxBodyBytes: Int) throws(HTTPParseError) -> BodyFraming? {
        if transferEncodingLines > 0 {
            // Either header alone is unambiguous; both together is the
            // classic smuggling vector, so neither is trusted (RFC 9112 §6.3).
            guard contentLength == nil else {
                throw .badRequest("both Content-Length and Transfer-Encoding")
            }
            // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
            guard version != .http1_0 else {
                throw .badRequest("Transfer-Encoding in an HTTP/1.0 message")
            }
            guard codings > 0 else {
                throw .badRequest("empty Transfer-Encoding")
            }
            guard lastIsChunked else {
                throw .badRequest("chunked is not the final transfer coding")
            }
            guard chunkedCount == 1 else {
                throw .badRequest("chunked applied more than once")
            }
            // RFC 9112 §6.1: a coding the server does not implement → 501.
            guard !hasOtherCoding else {
                throw HTTPParseError(status: 501, reason: "unsupported transfer coding")
            }
            return .chunked
        }
        if let length = contentLength {
            guard length <= UInt64(maxBodyBytes) else {
                throw HTTPParseError(status: 413, reason: "body too large")
            }
            return .contentLength(length)
        }
        return nil
    }

    /// RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 persists
    /// only with `keep-alive`; `close` wins over `keep-alive`.
    func keepAlive(version: HTTPVersion) -> Bool {
        if connectionClose { return false }
        return version == .http1_0 ? connectionKeepAlive : true
    }
}

/// Calls `body` with each non-empty element of a comma-separated list, OWS
/// trimmed (RFC 9110 §5.6.1: empty elements are ignored).
@inline(__always)
private func forEachListElement(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
    var start = 0
    let end = value.count
    while start <= end {
        var stop = start
        while stop < end, value[stop] != ASCII.comma { stop &+= 1 }
        var a = start
        var b = stop
        while a < b, ASCII.isWhitespace(value[a]) { a &+= 1 }
        while b > a, ASCII.isWhitespace(value[b &- 1]) { b &-= 1 }
        if b > a { body(value.slice(a..<b)) }
        start = stop &+ 1
    }
}
