/// A small, strict JSON reader for configuration files (RFC 8259, no Foundation).
///
/// Unlike the projection's scanner, which streams upstream bytes without building
/// anything, this one builds a tree: configuration is read once, and every value
/// keeps the line and column it came from so that a validation error can point
/// the operator at the exact spot (`tenants[1].upstream.bearer_token_env: ... (line 9)`).
///
/// Strictness is deliberate: a typo in a security-relevant file must fail loudly,
/// so duplicate keys, trailing commas, comments, leading zeros, lone surrogates and
/// invalid UTF-8 are all errors. A leading UTF-8 byte order mark is skipped
/// (RFC 8259 §8.1 allows ignoring it; Windows editors add one).
public enum ConfigJSON {
    /// A value together with where it starts in the text.
    public struct Node: Sendable, Equatable {
        /// The value.
        public let value: Value
        /// 1-based line of the value's first character.
        public let line: Int
        /// 1-based column (in Unicode scalars) of the value's first character.
        public let column: Int

        /// Creates a node; the parser is the usual source.
        public init(value: Value, line: Int, column: Int) {
            self.value = value
            self.line = line
            self.column = column
        }

        /// The member named `key` when this node is an object.
        public subscript(key: String) -> Node? {
            guard case .object(let members) = value else { return nil }
            return members.first(where: { $0.key == key })?.value
        }
    }

    /// A JSON value. Objects keep their members in file order (duplicates are
    /// rejected while parsing, so each key appears once).
    public enum Value: Sendable, Equatable {
        /// `null`.
        case null
        /// `true` or `false`.
        case bool(Bool)
        /// A number, kept as written.
        case number(Number)
        /// A string, escapes decoded.
        case string(String)
        /// An array's elements in order.
        case array([Node])
        /// An object's members in file order, keys unique.
        case object([Member])

        /// The name of the value's type as an operator reads it in an error message.
        public var typeName: String {
            switch self {
            case .null: return "null"
            case .bool: return "a boolean"
            case .number: return "a number"
            case .string: return "a string"
            case .array: return "an array"
            case .object: return "an object"
            }
        }
    }

    /// One member of an object.
    public struct Member: Sendable, Equatable {
        /// The decoded key.
        public let key: String
        /// 1-based line of the key.
        public let keyLine: Int
        /// The member's value.
        public let value: Node

        /// Creates a member.
        public init(key: String, keyLine: Int, value: Node) {
            self.key = key
            self.keyLine = keyLine
            self.value = value
        }
    }

    /// A number as written; converted on demand so that integer-ness and range
    /// checks see the original spelling (`100` is an integer, `100.0` and `1e2` are not).
    public struct Number: Sendable, Equatable, CustomStringConvertible {
        /// The number's text, already checked against the RFC 8259 grammar.
        public let text: String

        /// Creates a number from text that matches the JSON number grammar.
        public init(text: String) {
            self.text = text
        }

        /// Whether it is written without fraction or exponent.
        public var isInteger: Bool {
            !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
        }

        /// The value as an `Int`, when written as an integer that fits.
        public var intValue: Int? {
            isInteger ? Int(text) : nil
        }

        /// The value as a finite `Double` (`nil` when it overflows to infinity).
        public var doubleValue: Double? {
            guard let value = Double(text), value.isFinite else { return nil }
            return value
        }

        /// The text.
        public var description: String { text }
    }

    /// A syntax error: what is wrong, where, and inside which value.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The path of the value being read (`tenants[0].name`), empty at the top.
        public let path: String
        /// One line, without position.
        public let message: String
        /// 1-based line.
        public let line: Int
        /// 1-based column in Unicode scalars.
        public let column: Int

        /// Creates an error.
        public init(path: String, message: String, line: Int, column: Int) {
            self.path = path
            self.message = message
            self.line = line
            self.column = column
        }

        /// `path: message (line L, column C)`, one line.
        public var description: String {
            (path.isEmpty ? "" : path + ": ") + message + " (line \(line), column \(column))"
        }
    }

    /// Nesting deeper than this is refused, so a hostile or broken file cannot
    /// exhaust the stack of the recursive parser.
    public static let defaultMaxDepth = 32

    /// Parses one JSON text (any value at the top, surrounded by optional whitespace).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(ParseError) -> Node {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ParseError) -> Node in
            var parser = ConfigJSONParser(buffer, maxDepth: maxDepth)
            return try parser.parseDocument()
        }
    }

    /// Renders a path component: `.key` for plain keys, `["odd key"]` otherwise,
    /// so that paths stay unambiguous and on one line whatever the key holds.
    static func appendKey(_ key: String, to path: inout String) {
        let plain = !key.isEmpty && key.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        if plain {
            if !path.isEmpty { path += "." }
            path += key
        } else {
            path += "[\"" + escapedForMessage(key) + "\"]"
        }
    }

    /// A key or value made safe for a one-line message: quotes, backslashes and
    /// control characters escaped, long text cut.
    static func escapedForMessage(_ text: String, limit: Int = 64) -> String {
        escapedForOneLine(text, limit: limit, escapeQuotes: true)
    }
}
