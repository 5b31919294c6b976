/// The recursive-descent parser behind ``ConfigJSON/parse(_:maxDepth:)``.
///
/// It tracks line and column as it goes and the path of the value it is in, so
/// every error can say where it happened in both the operator's terms (line,
/// column) and the file's structure (`tenants[2].upstream`).
struct ConfigJSONParser {
    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    // Column bookkeeping: the column of `columnPos` on the current line. Columns are
    // asked for at increasing positions, so counting forward from the last answer
    // keeps the total work linear even for a file written on one long line.
    private var columnPos = 0
    private var columnValue = 1
    private var depth = 0
    private var path: [PathComponent] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(ConfigJSON.ParseError) -> ConfigJSON.Node {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            pos = 3
            lineStart = 3
            columnPos = 3
        }
        skipWhitespace()
        guard pos < bytes.count else { throw error("expected a JSON value, found the end of the file") }
        let node = try parseValue()
        skipWhitespace()
        if pos < bytes.count {
            throw error("unexpected \(describeByte(at: pos)) after the end of the JSON value")
        }
        return node
    }

    // MARK: - Values

    private mutating func parseValue() throws(ConfigJSON.ParseError) -> ConfigJSON.Node {
        let startLine = line
        let startColumn = column(at: pos)
        let value: ConfigJSON.Value
        switch bytes[pos] {
        case UInt8(ascii: "{"): value = try parseObject()
        case UInt8(ascii: "["): value = try parseArray()
        case UInt8(ascii: "\""): value = .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); value = .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); value = .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); value = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = .number(try parseNumber())
        default: throw error("unexpected \(describeByte(at: pos)); expected a value")
        }
        return ConfigJSON.Node(value: value, line: startLine, column: startColumn)
    }

    private mutating func enterContainer() throws(ConfigJSON.ParseError) {
        depth += 1
        if depth > maxDepth {
            throw error("values are nested more than \(maxDepth) levels deep")
        }
    }

    private mutating func parseObject() throws(ConfigJSON.ParseError) -> ConfigJSON.Value {
        try enterContainer()
        pos += 1  // {
        skipWhitespace()
        var members: [ConfigJSON.Member] = []
        if peek() == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(members)
        }
        var seen: [String: Int] = [:]
        while true {
            guard peek() == UInt8(ascii: "\"") else {
                throw error("unexpected \(describeByte(at: pos)); expected a key in double quotes")
            }
            let keyLine = line
            let keyColumn = column(at: pos)
            let key = try parseString()
            if let first = seen[key] {
                path.append(.key(key))
                throw error("duplicate key \"\(ConfigJSON.escapedForMessage(key))\" (first at line \(first))",
                            line: keyLine, column: keyColumn)
            }
            seen[key] = keyLine
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw error("unexpected \(describeByte(at: pos)); expected ':' after the key")
            }
            pos += 1
            skipWhitespace()
            guard pos < bytes.count else { throw error("expected a value, found the end of the file") }
            path.append(.key(key))
            let value = try parseValue()
            path.removeLast()
            members.append(ConfigJSON.Member(key: key, keyLine: keyLine, value: value))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                pos += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "}") {
                    throw error("trailing comma before '}'")
                }
            case UInt8(ascii: "}"):
                pos += 1
                depth -= 1
                return .object(members)
            default:
                throw error("unexpected \(describeByte(at: pos)); expected ',' or '}' after an object member")
            }
        }
    }

    private mutating func parseArray() throws(ConfigJSON.ParseError) -> ConfigJSON.Value {
        try enterContainer()
        pos += 1  // [
        skipWhitespace()
        var elements: [ConfigJSON.Node] = []
        if peek() == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            guard pos < bytes.count else { throw error("expected a value, found the end of the file") }
            path.append(.index(elements.count))
            elements.append(try parseValue())
            path.removeLast()
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                pos += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "]") {
                    throw error("trailing comma before ']'")
                }
            case UInt8(ascii: "]"):
                pos += 1
                depth -= 1
                return .array(elements)
            default:
                throw error("unexpected \(describeByte(at: pos)); expected ',' or ']' after an array element")
            }
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(ConfigJSON.ParseError) {
        let count = literal.utf8.count
        let matches = bytes.count - pos >= count && zip(bytes[pos..<pos + count], literal.utf8).allSatisfy { $0 == $1 }
        guard matches else {
            throw error("unexpected \(describeByte(at: pos)); expected a value (true, false and null are lower case)")
        }
        pos += count
    }

    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`
    private mutating func parseNumber() throws(ConfigJSON.ParseError) -> ConfigJSON.Number {
        let start = pos
        if peek() == UInt8(ascii: "-") { pos += 1 }
        guard let first = peek(), isDigit(first) else {
            throw error("a '-' must be followed by a digit")
        }
        pos += 1
        if first == UInt8(ascii: "0"), let next = peek(), isDigit(next) {
            throw error("numbers must not have leading zeros")
        }
        skipDigits()
        if peek() == UInt8(ascii: ".") {
            pos += 1
            guard let digit = peek(), isDigit(digit) else { throw error("a '.' in a number must be followed by a digit") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            pos += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { pos += 1 }
            guard let digit = peek(), isDigit(digit) else { throw error("an exponent must have digits") }
            skipDigits()
        }
        return ConfigJSON.Number(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self))
    }

    // MARK: - Strings

    private mutating func parseString() throws(ConfigJSON.ParseError) -> String {
        let startLine = line
        let startColumn = column(at: pos)
        pos += 1  // "
        var out: [UInt8] = []
        while true {
            let segmentStart = pos
            while pos < bytes.count {
                let byte = bytes[pos]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                pos += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[segmentStart..<pos]))
            guard pos < bytes.count else {
                throw error("unterminated string (it starts here)", line: startLine, column: startColumn)
            }
            let byte = bytes[pos]
            if byte == UInt8(ascii: "\"") {
                pos += 1
                break
            }
            if byte < 0x20 {
                throw error(byte == 0x0A ? "unterminated string (a line break must be written \\n)"
                                : "control character \(describeByte(at: pos)) in a string must be escaped")
            }
            try parseEscape(into: &out)
        }
        guard let string = String(validating: out, as: UTF8.self) else {
            throw error("string is not valid UTF-8", line: startLine, column: startColumn)
        }
        return string
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(ConfigJSON.ParseError) {
        pos += 1  // backslash
        guard let escape = peek() else { throw error("unterminated escape sequence") }
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            pos += 1
            var scalar = try hex4()
            if (0xDC00...0xDFFF).contains(scalar) {
                throw error("\\u\(String(scalar, radix: 16)) is a lone low surrogate")
            }
            if (0xD800...0xDBFF).contains(scalar) {
                guard bytes.count - pos >= 2, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                    throw error("a high surrogate must be followed by a \\u low surrogate")
                }
                pos += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("a high surrogate must be followed by a \\u low surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            // Surrogates were combined or rejected above, so the value is a valid scalar.
            UTF8.encode(Unicode.Scalar(scalar)!) { out.append($0) }
            return
        default:
            throw error("invalid escape \\\(describeByte(at: pos, quoted: false))")
        }
        pos += 1
    }

    private mutating func hex4() throws(ConfigJSON.ParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw error("\\u must be followed by four hex digits") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u must be followed by four hex digits")
            }
            value = value << 4 | UInt32(digit)
            pos += 1
        }
        return value
    }

    // MARK: - Bytes, positions, errors

    private func peek() -> UInt8? {
        pos < bytes.count ? bytes[pos] : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { pos += 1 }
    }

    /// RFC 8259 whitespace only: space, tab, line feed, carriage return.
    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0D:
                pos += 1
            case 0x0A:
                pos += 1
                line += 1
                lineStart = pos
                columnPos = pos
                columnValue = 1
            default:
                return
            }
        }
    }

    /// The 1-based column of `position` on the current line, counting UTF-8
    /// lead bytes so that a non-ASCII character counts once.
    private mutating func column(at position: Int) -> Int {
        if columnPos < lineStart || columnPos > position {
            columnPos = lineStart
            columnValue = 1
        }
        while columnPos < position && columnPos < bytes.count {
            if bytes[columnPos] & 0xC0 != 0x80 { columnValue += 1 }
            columnPos += 1
        }
        return columnValue
    }

    private func describeByte(at position: Int, quoted: Bool = true) -> String {
        guard position < bytes.count else { return "end of file" }
        let byte = bytes[position]
        if byte >= 0x21 && byte < 0x7F {
            let char = String(UnicodeScalar(byte))
            return quoted ? "'\(char)'" : char
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    private func renderedPath() -> String {
        var out = ""
        for component in path {
            switch component {
            case .key(let key): ConfigJSON.appendKey(key, to: &out)
            case .index(let index): out += "[\(index)]"
            }
        }
        return out
    }

    private mutating func error(_ message: String) -> ConfigJSON.ParseError {
        let column = column(at: pos)
        return error(message, line: line, column: column)
    }

    private func error(_ message: String, line: Int, column: Int) -> ConfigJSON.ParseError {
        ConfigJSON.ParseError(path: renderedPath(), message: message, line: line, column: column)
    }
}
