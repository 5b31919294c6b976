extension JSONScanner {
    /// Scans a string token starting at its opening quote and leaves the
    /// position after the closing quote. Returns whether it holds escapes, so
    /// callers can compare or decode escape-free keys straight from the bytes.
    mutating func scanString() throws(ProjectionError) -> Bool {
        let open = position
        position += 1
        var hasEscapes = false
        while true {
            position = skipPlainASCII(from: position)
            guard position < end else {
                throw .invalidJSON(offset: open, reason: "unterminated string")
            }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return hasEscapes
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw .invalidJSON(offset: position, reason: "unescaped control character in a string")
            } else {
                // Arabic, the usual non-Latin script here, is runs of two-byte
                // sequences (lead C2...DF, one continuation): take a run at once.
                var index = position
                while index + 1 < end, bytes[index] &- 0xC2 < 0x1E, bytes[index + 1] & 0xC0 == 0x80 {
                    index += 2
                }
                if index == position {
                    try scanUTF8Sequence()
                } else {
                    position = index
                }
            }
        }
    }

    /// The offset of the first byte at or after `start` that is not printable
    /// ASCII other than `"` and `\` — the bytes that need no further look.
    ///
    /// Most string bytes are such bytes, so this reads eight at a time. For a
    /// word `x`, `(x - 0x01..) & ~x & 0x80..` flags its zero bytes; the lowest
    /// flag is always exact (borrows only run upwards), so the first byte to
    /// stop at is found with one trailing-zero count.
    @inline(__always)
    private func skipPlainASCII(from start: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= end {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            let stops = ((quotes &- ones) & ~quotes)   // a `"`
                | ((backslashes &- ones) & ~backslashes)  // a `\`
                | ((word &- ones &* 0x20) & ~word)        // a byte below 0x20
                | word                                    // a byte >= 0x80
            let flags = stops & highs
            if flags != 0 {
                return index + flags.trailingZeroBitCount >> 3
            }
            index += 8
        }
        while index < end {
            let byte = bytes[index]
            // One subtraction and compare admits 0x20...0x7F.
            guard byte &- 0x20 < 0x60, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
            index += 1
        }
        return index
    }

    /// Validates one escape starting at the backslash.
    private mutating func scanEscape() throws(ProjectionError) {
        let start = position
        guard position + 1 < end else {
            throw .invalidJSON(offset: start, reason: "unterminated string")
        }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"),
             UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            let unit = try hexEscape(at: position)
            position += 6
            if unit & 0xFC00 == 0xD800 {
                // A high surrogate must be followed at once by an escaped low one.
                guard position + 1 < end,
                      bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u"),
                      try hexEscape(at: position) & 0xFC00 == 0xDC00
                else {
                    throw .invalidJSON(offset: start, reason: "unpaired surrogate escape")
                }
                position += 6
            } else if unit & 0xFC00 == 0xDC00 {
                throw .invalidJSON(offset: start, reason: "unpaired surrogate escape")
            }
        default:
            throw .invalidJSON(offset: start, reason: "invalid escape")
        }
    }

    /// The code unit of the `\uXXXX` escape whose backslash is at `offset`.
    private func hexEscape(at offset: Int) throws(ProjectionError) -> UInt32 {
        guard offset + 6 <= end else {
            throw .invalidJSON(offset: offset, reason: "truncated \\u escape")
        }
        var unit: UInt32 = 0
        for index in offset + 2..<offset + 6 {
            guard let digit = Self.hexValue(bytes[index]) else {
                throw .invalidJSON(offset: offset, reason: "invalid \\u escape")
            }
            unit = unit << 4 | UInt32(digit)
        }
        return unit
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        if byte &- UInt8(ascii: "0") < 10 { return byte &- UInt8(ascii: "0") }
        let lower = byte | 0x20
        if lower &- UInt8(ascii: "a") < 6 { return lower &- UInt8(ascii: "a") &+ 10 }
        return nil
    }

    /// Validates one multi-byte UTF-8 sequence starting at a lead byte >= 0x80,
    /// following Unicode's table of well-formed sequences (Table 3-7).
    private mutating func scanUTF8Sequence() throws(ProjectionError) {
        let lead = bytes[position]
        // The allowed range of the second byte depends on the lead; later
        // continuation bytes are always 0x80...0xBF.
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw .invalidJSON(offset: position, reason: "invalid UTF-8")
        }
        guard position + length <= end else {
            throw .invalidJSON(offset: position, reason: "invalid UTF-8")
        }
        let second = bytes[position + 1]
        guard second >= low, second <= high else {
            throw .invalidJSON(offset: position, reason: "invalid UTF-8")
        }
        var index = position + 2
        while index < position + length {
            guard bytes[index] & 0xC0 == 0x80 else {
                throw .invalidJSON(offset: position, reason: "invalid UTF-8")
            }
            index += 1
        }
        position += length
    }

    // MARK: Decoding (keys only; values are never decoded)

    /// The decoded UTF-8 bytes of a string token the scanner has validated.
    func decodedBytes(of token: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.count)
        var index = token.lowerBound + 1
        let close = token.upperBound - 1
        while index < close {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            let kind = bytes[index + 1]
            index += 2
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexUnit(at: index)
                index += 4
                if scalar & 0xFC00 == 0xD800 {
                    // Validation guarantees the `\uDC00`-range escape follows.
                    let low = hexUnit(at: index + 2)
                    index += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                Self.appendUTF8(scalar, to: &out)
            default: out.append(kind)  // `"`, `\` and `/` stand for themselves.
            }
        }
        return out
    }

    /// The decoded text of a validated string token.
    func decodedString(of token: Range<Int>, hasEscapes: Bool) -> String {
        if hasEscapes {
            return String(decoding: decodedBytes(of: token), as: UTF8.self)
        }
        let inner = token.lowerBound + 1..<token.upperBound - 1
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[inner]), as: UTF8.self)
    }

    /// Whether a validated string token decodes to exactly `name`.
    func string(_ token: Range<Int>, hasEscapes: Bool, equals name: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        if hasEscapes {
            return decodedBytes(of: token).withUnsafeBytes { Self.equal($0, 0, $0.count, expected) }
        }
        return Self.equal(bytes, token.lowerBound + 1, token.count - 2, expected)
    }

    /// Whether an escape-free string token's bytes are exactly `name`.
    func string(_ token: Range<Int>, equals name: [UInt8]) -> Bool {
        name.withUnsafeBytes { Self.equal(bytes, token.lowerBound + 1, token.count - 2, $0) }
    }

    /// Whether `count` bytes of `buffer` from `start` equal `expected`.
    ///
    /// Eight bytes at a time, then one at a time: keys are short, and the
    /// generic `elementsEqual` costs several times more per byte.
    @inline(__always)
    private static func equal(
        _ buffer: UnsafeRawBufferPointer, _ start: Int, _ count: Int, _ expected: UnsafeRawBufferPointer
    ) -> Bool {
        guard count == expected.count else { return false }
        var offset = 0
        while offset + 8 <= count {
            guard buffer.loadUnaligned(fromByteOffset: start + offset, as: UInt64.self)
                == expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset += 8
        }
        while offset < count {
            guard buffer[start + offset] == expected[offset] else { return false }
            offset += 1
        }
        return true
    }

    /// Four hex digits starting at `offset`, already validated.
    private func hexUnit(at offset: Int) -> UInt32 {
        var unit: UInt32 = 0
        for index in offset..<offset + 4 {
            unit = unit << 4 | UInt32(Self.hexValue(bytes[index]) ?? 0)
        }
        return unit
    }

    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            out.append(UInt8(scalar))
        case ..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
