#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser

extension GatewayOptions {
    /// The long names of the options that take a value; each also comes from
    /// `GATEWAY_<NAME>` in upper snake case.
    static let valueOptionNames = [
        "host", "port", "upstream", "base-domain", "tenants", "loops", "ca-file", "tls-cert", "tls-key",
        "upstream-connect-timeout", "upstream-timeout", "header-timeout", "idle-timeout",
        "max-connections", "gzip-level", "gzip-min-bytes", "drain-delay", "shutdown-timeout", "log-level",
    ]

    /// A paragraph for `--help` about the environment, for the command's discussion.
    public static let environmentDiscussion = """
        Every option can also be set as GATEWAY_<OPTION> in upper snake case \
        (--upstream-timeout as GATEWAY_UPSTREAM_TIMEOUT; GATEWAY_DEMO takes 1, true, yes, 0, false or no). \
        An option on the command line wins over the environment. An empty variable counts as unset; \
        other GATEWAY_* variables are ignored. Durations are a whole number and a unit: 250ms, 2s, 1m, 1h.
        """

    /// The environment variable for a long option name: `upstream-timeout` → `GATEWAY_UPSTREAM_TIMEOUT`.
    public static func environmentName(forOption name: String) -> String {
        "GATEWAY_" + String(decoding: name.utf8.map { byte in
            if byte == UInt8(ascii: "-") { return UInt8(ascii: "_") }
            return (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
        }, as: UTF8.self)
    }

    /// The arguments to parse: `commandLine` (without the program name) plus
    /// `--option=value` for each `GATEWAY_*` variable whose option is not on
    /// the command line, so a flag always wins over the environment.
    ///
    /// The environment's arguments go first, so that a `--` on the command line
    /// cannot turn them into positional arguments, and in the `--opt=value`
    /// form, so that a value starting with `-` stays a value. An empty variable
    /// counts as unset; unknown `GATEWAY_*` variables are ignored (a typo there
    /// cannot be told from another program's variable). `GATEWAY_DEMO` accepts
    /// 1/true/yes and 0/false/no (any case); anything else is an error.
    public static func arguments(
        commandLine: [String], environment: [String: String]
    ) throws(ConfigurationError) -> [String] {
        try argumentsAndSources(commandLine: commandLine, environment: environment).arguments
    }

    /// ``arguments(commandLine:environment:)`` plus, for error messages, which
    /// options came from which environment variable.
    static func argumentsAndSources(
        commandLine: [String], environment: [String: String]
    ) throws(ConfigurationError) -> (arguments: [String], sources: [String: String]) {
        // Options before a `--` terminator are options; after it, plain words.
        let options = commandLine.prefix { $0 != "--" }
        func isOnCommandLine(_ flag: String) -> Bool {
            options.contains { $0 == flag || $0.hasPrefix(flag + "=") }
        }
        var fromEnvironment: [String] = []
        var sources: [String: String] = [:]
        for name in valueOptionNames {
            let variable = environmentName(forOption: name)
            guard let value = environment[variable], !value.isEmpty, !isOnCommandLine("--" + name) else { continue }
            fromEnvironment.append("--\(name)=\(value)")
            sources["--" + name] = variable
        }
        if let value = environment["GATEWAY_DEMO"], !value.isEmpty,
           !isOnCommandLine("--demo"), !isOnCommandLine("--no-demo") {
            switch AddressSyntax.asciiLowercased(value) {
            case "1", "true", "yes": fromEnvironment.append("--demo")
            case "0", "false", "no": fromEnvironment.append("--no-demo")
            default:
                throw ConfigurationError(
                    names: ["GATEWAY_DEMO"],
                    message: "invalid value '\(quotedForMessage(value))' for GATEWAY_DEMO: expected 1, true, yes, 0, false or no"
                )
            }
        }
        return (fromEnvironment + commandLine, sources)
    }

    /// Parses the command line and environment into a checked configuration.
    ///
    /// Errors are ArgumentParser errors, so ``GatewayOptions/exitCode(for:)``
    /// and ``GatewayOptions/message(for:)`` apply: a help request exits 0, every
    /// bad option or value 64 with one line naming the option, plus
    /// `(from GATEWAY_X)` when the value came from the environment. Render them
    /// with ``failureReport(for:)``, which also gives `--help` its full text.
    public static func load(commandLine: [String], environment: [String: String]) throws -> GatewayConfiguration {
        let arguments: [String]
        let sources: [String: String]
        do {
            (arguments, sources) = try argumentsAndSources(commandLine: commandLine, environment: environment)
        } catch {
            throw ValidationError(error.message)
        }
        do {
            // Parsing runs validate(), which runs configuration(); run it again for the typed result.
            return try GatewayCommand.parse(arguments).options.configuration()
        } catch {
            // Rendering a message costs a usage text; only pay for it when there is a variable to name.
            guard !sources.isEmpty, GatewayCommand.exitCode(for: error) != .success else { throw error }
            let line = GatewayCommand.message(for: error)
            for (option, variable) in sources.sorted(by: { $0.key < $1.key }) where Self.names(option, in: line) {
                throw ValidationError("\(line) (from \(variable))")
            }
            throw ValidationError(line)
        }
    }

    /// What the process should do with an error from ``load(commandLine:environment:)``:
    /// help goes to stdout with status 0; anything else is one line for stderr
    /// and its status (64 for every bad option or value).
    public static func failureReport(for error: any Error) -> (text: String, isError: Bool, status: Int32) {
        // GatewayCommand, not GatewayOptions, renders help: it carries the name and the discussion.
        let code = GatewayCommand.exitCode(for: error)
        if code == .success {
            return (GatewayCommand.fullMessage(for: error), false, code.rawValue)
        }
        return ("daftra-gateway: error: \(GatewayCommand.message(for: error))", true, code.rawValue)
    }

    /// ``load(commandLine:environment:)`` for `main`: on failure prints the
    /// report of ``failureReport(for:)`` and exits the process.
    public static func loadOrExit(
        commandLine: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String]
    ) -> GatewayConfiguration {
        do {
            return try load(commandLine: commandLine, environment: environment)
        } catch {
            let report = failureReport(for: error)
            let text = report.text + "\n"
            writeFully(report.isError ? 2 : 1, text)
            #if canImport(Glibc)
            Glibc.exit(report.status)
            #else
            Darwin.exit(report.status)
            #endif
        }
    }

    /// The `GATEWAY_*` variables of this process that name an option, read
    /// with `getenv` (no Foundation, and nothing else of the environment is copied).
    public static func processEnvironment() -> [String: String] {
        environment { name in getenv(name).map { String(cString: $0) } }
    }

    /// The option variables that `lookup` has a value for.
    static func environment(reading lookup: (String) -> String?) -> [String: String] {
        var result: [String: String] = [:]
        for variable in valueOptionNames.map(environmentName(forOption:)) + ["GATEWAY_DEMO"] {
            if let value = lookup(variable) { result[variable] = value }
        }
        return result
    }

    /// Writes all of `text` to `fd`, retrying interrupted and partial writes.
    private static func writeFully(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Whether `line` mentions `option` as a whole name (`--upstream` is not
    /// mentioned by `--upstream-timeout`).
    private static func names(_ option: String, in line: String) -> Bool {
        var rest = line[...]
        while let range = rest.firstRange(of: option) {
            rest = rest[range.upperBound...]
            guard let next = rest.first, next.isLetter || next == "-" else { return true }
        }
        return false
    }
}
