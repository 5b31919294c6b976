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
    /// Decimal digits straight into the line, without a `String` in between.
    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: JSONLineWriter.line(maxBytes: JSONLineWriter.maxNumberBytes) { $0.integer(self) })
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
        out.append(contentsOf: JSONLineWriter.line(maxBytes: JSONLineWriter.maxStringBytes(text.utf8.count)) {
            $0.string(text)
        })
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
