/// The parts of RFC 3986 needed to validate request-targets and Host values.
enum URISyntax {
    /// `uri-host [ ":" port ]`: the Host field value (RFC 9110 §7.2), and with
    /// `requireHost`/`requirePort` also authority-form (RFC 9112 §3.2.3) and
    /// the authority of an http(s) URI (RFC 9110 §4.2.1). Userinfo is refused:
    /// `@` is not in any of the accepted classes.
    static func isValidAuthority(_ bytes: UnsafeRawBufferPointer, requireHost: Bool, requirePort: Bool) -> Bool {
        let end = bytes.count
        var i = 0
        if end > 0, bytes[0] == ASCII.leftBracket {
            i = 1
            while i < end, bytes[i] != ASCII.rightBracket {
                guard ASCII.isIn(bytes[i], ASCII.ipLiteralMask) else { return false }
                i &+= 1
            }
            guard i < end, i > 1 else { return false }
            i &+= 1
        } else {
            while i < end, bytes[i] != ASCII.colon {
                guard ASCII.isIn(bytes[i], ASCII.regNameMask) else { return false }
                if bytes[i] == ASCII.percent {
                    guard hasPercentEncoding(bytes, at: i) else { return false }
                    i &+= 2
                }
                i &+= 1
            }
            if requireHost, i == 0 { return false }
        }
        if i == end { return !requirePort }
        guard bytes[i] == ASCII.colon else { return false }
        i &+= 1
        if requirePort, i == end { return false }
        while i < end {
            guard ASCII.isDigit(bytes[i]) else { return false }
            i &+= 1
        }
        return true
    }

    /// Whether `bytes[i]` (a `%`) is followed by two hex digits.
    @inline(__always)
    static func hasPercentEncoding(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Bool {
        i &+ 2 < bytes.count
            && ASCII.hexValue(bytes[i &+ 1]) != nil
            && ASCII.hexValue(bytes[i &+ 2]) != nil
    }

    /// Every `%` in `bytes` starts a pct-encoded triplet. Most targets have
    /// none, so the `%` are looked for eight bytes at a time.
    static func percentEncodingsAreValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while let percent = ASCII.firstIndex(of: ASCII.percent, in: bytes, from: i, to: bytes.count) {
            guard hasPercentEncoding(bytes, at: percent) else { return false }
            i = percent &+ 3
        }
        return true
    }

    /// absolute-form (RFC 9112 §3.2.2) as an origin server sees it:
    /// `scheme "://" authority [ path-abempty ] [ "?" query ]` with a non-empty
    /// host. Requiring `//` keeps `host:port` from passing as a scheme.
    static func isValidAbsoluteForm(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let end = bytes.count
        guard end > 0, ASCII.isAlpha(bytes[0]) else { return false }
        var i = 1
        while i < end, ASCII.isIn(bytes[i], ASCII.schemeMask) { i &+= 1 }
        guard i &+ 2 < end, bytes[i] == ASCII.colon, bytes[i &+ 1] == ASCII.slash, bytes[i &+ 2] == ASCII.slash else {
            return false
        }
        let authorityStart = i &+ 3
        var authorityEnd = authorityStart
        while authorityEnd < end, bytes[authorityEnd] != ASCII.slash, bytes[authorityEnd] != 0x3F /* ? */ {
            authorityEnd &+= 1
        }
        return isValidAuthority(bytes.slice(authorityStart..<authorityEnd), requireHost: true, requirePort: false)
    }
}
