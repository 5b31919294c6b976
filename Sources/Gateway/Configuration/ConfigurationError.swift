/// A bad command-line option or environment value, found before anything listens.
///
/// The message is one line and names the option (or environment variable) at
/// fault, because operators read it in a terminal or a container log where a
/// multi-line usage dump would hide the cause.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The options (`--port`) or environment variables (`GATEWAY_DEMO`) the error is about.
    public let names: [String]
    /// One line, naming every entry of ``names``.
    public let message: String

    /// Creates an error about `names` with a one-line `message` that names them.
    public init(names: [String], message: String) {
        self.names = names
        self.message = message
    }

    /// The message, so `"\(error)"` prints exactly the one line.
    public var description: String { message }

    /// "invalid value 'x' for --option: reason" — the common shape of a value error.
    static func invalidValue(_ value: String, for option: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(
            names: [option],
            message: "invalid value '\(quotedForMessage(value))' for \(option): \(reason)"
        )
    }
}

/// Renders a user-supplied value so that an error message stays on one line
/// and stays short: control characters are escaped and long values cut.
func quotedForMessage(_ value: String) -> String {
    escapedForOneLine(value, limit: 80, escapeQuotes: false)
}

/// The one escaping rule for text quoted in error messages (options, the
/// tenants file): control characters (C0, DEL, C1) escaped so a message stays
/// on one line, at most `limit` characters kept; with `escapeQuotes`, quotes
/// and backslashes too, for text shown inside quotes.
func escapedForOneLine(_ text: String, limit: Int, escapeQuotes: Bool) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            out += "…"
            break
        }
        count += 1
        switch scalar {
        case "\"" where escapeQuotes: out += "\\\""
        case "\\" where escapeQuotes: out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value):
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default:
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}
