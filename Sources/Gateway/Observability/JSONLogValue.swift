import Logging

/// A metadata value that the JSON log handler writes as `null`, for a field
/// that every line of a kind carries but that has no value this time (say
/// `upstream_status` when the upstream was never called). Other handlers print "null".
public struct LogNull: CustomStringConvertible, Sendable, Equatable {
    /// The one null value.
    public init() {}

    /// "null", for handlers that only know `description`.
    public var description: String { "null" }
}

extension Logger.MetadataValue {
    /// A metadata value written as JSON `null` (``LogNull``).
    public static var jsonNull: Logger.MetadataValue { .stringConvertible(LogNull()) }
}

/// Values that `JSONLogHandler` writes as JSON literals rather than strings
/// when they arrive as `.stringConvertible`. One dynamic cast to this protocol
/// replaces a chain of casts to each numeric type.
protocol JSONLogLiteral {
    /// Appends the JSON literal for `self`.
    func appendJSON(to out: inout [UInt8])
}

extension JSONLogLiteral where Self: BinaryInteger {
    /// Decimal digits straight into the line: `String(self)` would build and
    /// free a string for every status and byte count of every request.
    func appendJSON(to out: inout [UInt8]) {
        if self == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        if self < 0 { out.append(UInt8(ascii: "-")) }
        // magnitude covers Int.min, whose negation does not fit an Int.
        var rest = self.magnitude
        let start = out.count
        while rest != 0 {
            let (quotient, digit) = rest.quotientAndRemainder(dividingBy: 10)
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digit))
            rest = quotient
        }
        out[start...].reverse()
    }
}

extension Int: JSONLogLiteral {}
extension Int8: JSONLogLiteral {}
extension Int16: JSONLogLiteral {}
extension Int32: JSONLogLiteral {}
extension Int64: JSONLogLiteral {}
extension UInt: JSONLogLiteral {}
extension UInt8: JSONLogLiteral {}
extension UInt16: JSONLogLiteral {}
extension UInt32: JSONLogLiteral {}
extension UInt64: JSONLogLiteral {}

extension Double: JSONLogLiteral {
    /// JSON has no NaN or infinity: those become null.
    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: isFinite ? description.utf8 : "null".utf8)
    }
}

extension Float: JSONLogLiteral {
    /// JSON has no NaN or infinity: those become null.
    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: isFinite ? description.utf8 : "null".utf8)
    }
}

extension Bool: JSONLogLiteral {
    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: self ? "true".utf8 : "false".utf8)
    }
}

extension LogNull: JSONLogLiteral {
    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: "null".utf8)
    }
}

/// Byte-level JSON encoding for log lines: no Foundation, no intermediate strings.
enum JSONLogEncoding {
    /// Appends `text` as a JSON string: quotes and backslashes escaped, control
    /// characters (and DEL) as `\n`, `\t`, … or `\u00XX`, all other UTF-8 as is.
    /// Swift strings are valid UTF-8, so the output is too.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            appendEscaped(bytes, to: &out)
        }
        if done == nil {
            appendEscaped(Array(text.utf8), to: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ bytes: some RandomAccessCollection<UInt8>, to out: inout [UInt8]) {
        // Copy runs of plain bytes at once; stop only at bytes that need escaping.
        var runStart = bytes.startIndex
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7F {
                index = bytes.index(after: index)
                continue
            }
            out.append(contentsOf: bytes[runStart..<index])
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            default:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
            index = bytes.index(after: index)
            runStart = index
        }
        out.append(contentsOf: bytes[runStart..<index])
    }

    /// Appends a metadata value: strings as strings, numbers, booleans and
    /// ``LogNull`` as literals, arrays and dictionaries (keys sorted) as such,
    /// any other `CustomStringConvertible` as the string of its description.
    static func appendValue(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
        switch value {
        case .string(let text):
            appendString(text, to: &out)
        case .stringConvertible(let convertible):
            if let literal = convertible as? any JSONLogLiteral {
                literal.appendJSON(to: &out)
            } else {
                appendString(convertible.description, to: &out)
            }
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (offset, element) in values.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let members):
            out.append(UInt8(ascii: "{"))
            for (offset, key) in members.keys.sorted().enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                // The key comes from the dictionary's own keys.
                appendValue(members[key] ?? .jsonNull, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
