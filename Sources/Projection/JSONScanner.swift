/// A single-pass, validating JSON scanner that builds no tree: it checks a
/// whole document against RFC 8259 and hands back byte ranges.
///
/// Decisions where RFC 8259 leaves room (each matches or is stricter than
/// Foundation's `JSONSerialization`, which the property tests use as oracle):
/// - Only UTF-8 is accepted, validated strictly: no overlong forms, no
///   surrogates encoded in UTF-8, nothing above U+10FFFF (RFC 8259 §8.1).
///   Foundation also guesses UTF-16/32 from NUL bytes; this scanner does not.
/// - One leading UTF-8 byte order mark is skipped (RFC 8259 §8.1 allows it;
///   Foundation does the same).
/// - A `\uXXXX` escape of a lone surrogate is rejected, as Foundation does:
///   it decodes to no Unicode scalar, so the value could not be re-encoded.
/// - Trailing commas are rejected (Foundation accepts them; RFC 8259 does not).
/// - Containers nest at most ``maximumDepth`` deep (Foundation: 512); the
///   limit bounds recursion and no Daftra client comes near it.
/// - Numbers follow the grammar only; their magnitude is not checked, so
///   `1e400` is accepted (Foundation rejects it as not representable). The
///   gateway passes number bytes through untouched, so range is not its concern.
public struct JSONScanner {
    /// The deepest nesting of objects and arrays accepted; one more level is
    /// rejected. The top-level container counts as depth 1.
    public static let maximumDepth = 64

    let bytes: UnsafeRawBufferPointer
    let end: Int
    /// The offset of the next byte to read.
    var position = 0
    /// The number of containers currently open.
    var depth = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.end = bytes.count
    }

    /// Validates a whole document and returns the byte range of its single
    /// top-level value (without surrounding whitespace).
    ///
    /// - Throws: ``ProjectionError/invalidJSON(offset:reason:)``.
    public static func validate(_ document: UnsafeRawBufferPointer) throws(ProjectionError) -> Range<Int> {
        var scanner = JSONScanner(document)
        scanner.skipDocumentStart()
        let value = try scanner.scanValue()
        try scanner.finishDocument()
        return value
    }

    // MARK: Document framing

    /// Skips an optional UTF-8 byte order mark, then whitespace.
    mutating func skipDocumentStart() {
        if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            position = 3
        }
        skipWhitespace()
    }

    /// Accepts only whitespace after the top-level value.
    mutating func finishDocument() throws(ProjectionError) {
        skipWhitespace()
        if position != end {
            throw .invalidJSON(offset: position, reason: "unexpected data after the top-level value")
        }
    }

    /// The byte at the current position, or nil at the end.
    var peek: UInt8? {
        position < end ? bytes[position] : nil
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            let byte = bytes[position]
            // Every whitespace byte is <= 0x20; one compare rejects most others.
            guard byte <= 0x20, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    // MARK: Values

    /// Scans one value starting at the current position and returns its range.
    mutating func scanValue() throws(ProjectionError) -> Range<Int> {
        let start = position
        guard position < end else {
            throw .invalidJSON(offset: position, reason: "unexpected end of input, expected a value")
        }
        switch bytes[position] {
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "{"): try skipObject()
        case UInt8(ascii: "["): try skipArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        case UInt8(ascii: "t"): try scanLiteral("true")
        case UInt8(ascii: "f"): try scanLiteral("false")
        case UInt8(ascii: "n"): try scanLiteral("null")
        default: throw .invalidJSON(offset: position, reason: "unexpected byte, expected a value")
        }
        return start..<position
    }

    private mutating func skipObject() throws(ProjectionError) {
        guard try enterObject() else { return }
        repeat {
            _ = try scanKey()
            _ = try scanValue()
        } while try nextMember()
    }

    private mutating func skipArray() throws(ProjectionError) {
        try enterContainer()
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        while true {
            _ = try scanValue()
            skipWhitespace()
            guard position < end else {
                throw .invalidJSON(offset: position, reason: "unexpected end of input in an array")
            }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
                if peek == UInt8(ascii: "]") {
                    throw .invalidJSON(offset: position, reason: "trailing comma")
                }
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return
            default:
                throw .invalidJSON(offset: position, reason: "expected ',' or ']'")
            }
        }
    }

    /// Consumes the opening bracket of a container, enforcing the depth limit.
    @inline(__always)
    private mutating func enterContainer() throws(ProjectionError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw .invalidJSON(offset: position, reason: "nesting deeper than 64")
        }
        position += 1
    }

    // MARK: Object stepping (shared with the envelope walk)

    /// Consumes `{` and whitespace. Returns false (after consuming `}`) for an
    /// empty object; otherwise the caller reads members with ``scanKey()``,
    /// ``scanValue()`` and ``nextMember()``.
    mutating func enterObject() throws(ProjectionError) -> Bool {
        try enterContainer()
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return false
        }
        return true
    }

    /// Scans a member's key and the `:` after it, leaving the position at the value.
    /// Returns the key's string token (quotes included) and whether it holds escapes.
    mutating func scanKey() throws(ProjectionError) -> (token: Range<Int>, hasEscapes: Bool) {
        guard position < end else {
            throw .invalidJSON(offset: position, reason: "unexpected end of input, expected a key")
        }
        guard bytes[position] == UInt8(ascii: "\"") else {
            throw .invalidJSON(offset: position, reason: "expected a string key")
        }
        let start = position
        let hasEscapes = try scanString()
        let token = start..<position
        skipWhitespace()
        guard position < end else {
            throw .invalidJSON(offset: position, reason: "unexpected end of input, expected ':'")
        }
        guard bytes[position] == UInt8(ascii: ":") else {
            throw .invalidJSON(offset: position, reason: "expected ':'")
        }
        position += 1
        skipWhitespace()
        return (token, hasEscapes)
    }

    /// After a member's value: consumes `,` (returning true, positioned at the
    /// next key) or `}` (returning false, the object closed).
    mutating func nextMember() throws(ProjectionError) -> Bool {
        skipWhitespace()
        guard position < end else {
            throw .invalidJSON(offset: position, reason: "unexpected end of input in an object")
        }
        switch bytes[position] {
        case UInt8(ascii: ","):
            position += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                throw .invalidJSON(offset: position, reason: "trailing comma")
            }
            return true
        case UInt8(ascii: "}"):
            position += 1
            depth -= 1
            return false
        default:
            throw .invalidJSON(offset: position, reason: "expected ',' or '}'")
        }
    }

    // MARK: Scalars

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func scanNumber() throws(ProjectionError) {
        if bytes[position] == UInt8(ascii: "-") {
            position += 1
        }
        guard position < end else {
            throw .invalidJSON(offset: position, reason: "unexpected end of input in a number")
        }
        let first = bytes[position]
        if first == UInt8(ascii: "0") {
            position += 1
            if position < end, Self.isDigit(bytes[position]) {
                throw .invalidJSON(offset: position - 1, reason: "number with a leading zero")
            }
        } else if Self.isDigit(first) {
            position += 1
            skipDigits()
        } else {
            throw .invalidJSON(offset: position, reason: "expected a digit")
        }
        if position < end, bytes[position] == UInt8(ascii: ".") {
            position += 1
            try requireDigits()
        }
        if position < end, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < end, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            try requireDigits()
        }
    }

    @inline(__always)
    private mutating func requireDigits() throws(ProjectionError) {
        guard position < end else {
            throw .invalidJSON(offset: position, reason: "unexpected end of input in a number")
        }
        guard Self.isDigit(bytes[position]) else {
            throw .invalidJSON(offset: position, reason: "expected a digit")
        }
        position += 1
        skipDigits()
    }

    @inline(__always)
    private mutating func skipDigits() {
        while position < end, Self.isDigit(bytes[position]) {
            position += 1
        }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    private mutating func scanLiteral(_ literal: StaticString) throws(ProjectionError) {
        let start = position
        let count = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        for index in 0..<count {
            guard position < end else {
                throw .invalidJSON(offset: position, reason: "unexpected end of input in a literal")
            }
            guard bytes[position] == text[index] else {
                throw .invalidJSON(offset: start, reason: "invalid literal")
            }
            position += 1
        }
    }
}
