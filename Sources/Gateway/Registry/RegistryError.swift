/// Why a tenant registry file was refused: at start-up the gateway exits 78
/// (EX_CONFIG) with ``description``; on SIGHUP it keeps the previous registry and
/// logs it.
///
/// The message never contains a credential or a consumer key: values are echoed
/// only for fields that are not secret (names, subdomains, variable names).
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault, as a path into the file (`tenants[1].upstream.apikey_env`);
    /// empty for the file as a whole (cannot be read, not JSON).
    public let path: String
    /// What is wrong, one line, without the path or position.
    public let message: String
    /// 1-based line of the offending value; `nil` when the file could not be read.
    public let line: Int?
    /// 1-based column, for JSON syntax errors only.
    public let column: Int?

    /// Creates an error.
    public init(path: String, message: String, line: Int?, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    /// `tenants[1].upstream.bearer_token_env: environment variable ACME_TOKEN is not set (line 9)`.
    public var description: String {
        var out = path.isEmpty ? message : path + ": " + message
        if let line {
            out += column.map { " (line \(line), column \($0))" } ?? " (line \(line))"
        }
        return out
    }

    /// A JSON syntax error, keeping its position and the path it occurred in.
    init(syntax error: ConfigJSON.ParseError) {
        self.init(path: error.path, message: "invalid JSON: " + error.message, line: error.line, column: error.column)
    }

    /// A problem with the value of `node` at `path`.
    init(_ path: String, _ node: ConfigJSON.Node, _ message: String) {
        self.init(path: path, message: message, line: node.line)
    }
}
