import Glibc

/// The process's environment as a dictionary, read without Foundation: the
/// tenants file may name any variable (`bearer_token_env`). A process's
/// environment is fixed when it starts, so SIGHUP re-reads the file against the
/// same values: a secret held in a variable changes only with a restart.
public enum ProcessEnvironment {
    public static func all() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            cursor += 1
        }
        return result
    }
}
