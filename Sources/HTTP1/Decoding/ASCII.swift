/// Byte constants and character classes of RFC 9110 / RFC 3986.
///
/// Classes are 128-bit masks split in two words so a test is a shift and an
/// AND with no table in memory and no lazy global to initialise; the masks
/// are checked byte by byte against the RFC grammar in `CharacterClassTests`.
/// Public are the tests other layers share (a query's percent-escapes).
public enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F
    static let percent: UInt8 = 0x25
    static let asterisk: UInt8 = 0x2A
    static let leftBracket: UInt8 = 0x5B
    static let rightBracket: UInt8 = 0x5D

    /// `tchar` of RFC 9110 §5.6.2: what methods, field names and codings are made of.
    static let tcharMask = (lo: UInt64(0x03FF_6CFA_0000_0000), hi: UInt64(0x57FF_FFFF_C7FF_FFFE))
    /// Visible ASCII minus `" < > \ ^ ` { | } #`: characters RFC 3986 never allows
    /// in a URI, and `#` because a request-target carries no fragment.
    /// `%` is allowed here and its two hex digits are checked separately.
    static let targetMask = (lo: UInt64(0xAFFF_FFF2_0000_0000), hi: UInt64(0x47FF_FFFE_AFFF_FFFF))
    /// `reg-name` of RFC 3986: unreserved, sub-delims and `%` (checked separately).
    static let regNameMask = (lo: UInt64(0x2BFF_7FF2_0000_0000), hi: UInt64(0x47FF_FFFE_87FF_FFFE))
    /// Inside `[...]` of an IP-literal: unreserved, sub-delims and `:`.
    static let ipLiteralMask = (lo: UInt64(0x2FFF_7FD2_0000_0000), hi: UInt64(0x47FF_FFFE_87FF_FFFE))
    /// After the first letter of a URI scheme: ALPHA, DIGIT, `+`, `-`, `.`.
    static let schemeMask = (lo: UInt64(0x03FF_6800_0000_0000), hi: UInt64(0x07FF_FFFE_07FF_FFFE))

    @inline(__always)
    static func isIn(_ b: UInt8, _ mask: (lo: UInt64, hi: UInt64)) -> Bool {
        if b < 64 { return (mask.lo >> b) & 1 == 1 }
        if b < 128 { return (mask.hi >> (b &- 64)) & 1 == 1 }
        return false
    }

    @inline(__always)
    static func isTchar(_ b: UInt8) -> Bool { isIn(b, tcharMask) }

    @inline(__always)
    public static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always)
    public static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

    /// `unreserved` of RFC 3986 §2.3: ALPHA / DIGIT / `-` / `.` / `_` / `~`.
    @inline(__always)
    public static func isUnreserved(_ b: UInt8) -> Bool {
        isAlpha(b) || isDigit(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
            || b == UInt8(ascii: "~")
    }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    public static func hexValue(_ b: UInt8) -> UInt8? {
        if b &- 0x30 < 10 { return b &- 0x30 }
        let folded = b | 0x20
        if folded &- 0x61 < 6 { return folded &- 0x61 &+ 10 }
        return nil
    }

    /// `field-vchar / SP / HTAB` (RFC 9110 §5.5): everything but CTLs and DEL.
    @inline(__always)
    static func isFieldValueByte(_ b: UInt8) -> Bool {
        (b >= 0x20 && b != 0x7F) || b == tab
    }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b
    }

    /// Whether `bytes` equals `lowercaseLiteral` ignoring ASCII case; the
    /// literal must be lowercase.
    @inline(__always)
    static func equalsCaseInsensitive(_ bytes: UnsafeRawBufferPointer, _ lowercaseLiteral: StaticString) -> Bool {
        guard bytes.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        let literal = lowercaseLiteral.utf8Start
        for i in 0..<bytes.count where lowercased(bytes[i]) != literal[i] {
            return false
        }
        return true
    }

    /// Whether `bytes` equals `literal` exactly, case included.
    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for i in 0..<bytes.count where bytes[i] != l[i] {
            return false
        }
        return true
    }

    /// The index of the first LF in `buffer[from..<to]`, eight bytes at a time.
    @inline(__always)
    static func firstLF(in buffer: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        firstIndex(of: lf, in: buffer, from: from, to: to)
    }

    /// The index of the first `byte` in `buffer[from..<to]`, eight bytes at a time.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in buffer: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        var i = from
        let pattern = 0x0101_0101_0101_0101 &* UInt64(byte)
        // A word has a zero byte where it matched; the lowest flagged byte
        // is exact (borrows only create false flags above a real zero).
        while i &+ 8 <= to {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let x = word ^ pattern
            let found = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if found != 0 { return i &+ (found.trailingZeroBitCount >> 3) }
            i &+= 8
        }
        while i < to {
            if buffer[i] == byte { return i }
            i &+= 1
        }
        return nil
    }
}

extension ASCII {
    /// Skips bytes that are SP or VCHAR (0x20–0x7E), the common case of a
    /// field value, eight at a time; returns the index of the first byte that
    /// is anything else (CR, HTAB, a CTL, DEL or a non-ASCII byte), or where
    /// fewer than eight bytes remain, for a closer look.
    @inline(__always)
    static func skipPlainFieldBytes(_ buffer: UnsafeRawBufferPointer, from: Int) -> Int {
        guard let base = buffer.baseAddress else { return from }
        var i = from
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i &+ 8 <= buffer.count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // "Some byte < 0x20" and "some byte == 0x7F" (Bit Twiddling Hacks,
            // hasless/haszero), plus "some byte >= 0x80". Each test's lowest
            // flag is exact (borrows only create false flags above a real
            // one), so the lowest flag of all three is the first byte that is
            // not plain: the plain bytes before it are not looked at again.
            let below = (word &- ones &* 0x20) & ~word
            let del = word ^ (ones &* 0x7F)
            let isDel = (del &- ones) & ~del
            let flags = (below | isDel | word) & highs
            if flags != 0 { return i &+ (flags.trailingZeroBitCount >> 3) }
            i &+= 8
        }
        return i
    }
}

extension UnsafeRawBufferPointer {
    /// A view of `range` whose indices start at zero.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }
}
