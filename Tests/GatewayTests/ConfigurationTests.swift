import ArgumentParser
import Foundation
import Logging
import Testing
@testable import Gateway

@Suite("Command line and environment → configuration")
struct ConfigurationTests {
    // MARK: Helpers

    /// Parses like `main` does and returns the configuration.
    static func load(_ commandLine: [String], _ environment: [String: String] = [:]) throws -> GatewayConfiguration {
        try GatewayOptions.load(commandLine: commandLine, environment: environment)
    }

    /// Parses like `main` does and returns the one-line message and exit status of the failure.
    static func failure(
        _ commandLine: [String], _ environment: [String: String] = [:]
    ) -> (message: String, status: Int32)? {
        do {
            _ = try load(commandLine, environment)
            return nil
        } catch {
            return (GatewayOptions.message(for: error), GatewayOptions.exitCode(for: error).rawValue)
        }
    }

    // MARK: Defaults

    @Test("defaults are the contract's")
    func defaults() throws {
        let config = try Self.load([])
        #expect(config.host == "0.0.0.0")
        #expect(config.hostFamily == .ipv4)
        #expect(config.port == 8080)
        #expect(config.upstream == (try UpstreamTemplate(parsing: "https://{subdomain}.daftra.com/api2")))
        #expect(config.baseDomain == nil)
        #expect(config.tenantsFile == nil)
        #expect(config.loops == min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 256))
        #expect(config.caFile == nil)
        #expect(config.tls == nil)
        #expect(config.upstreamConnectTimeout == .seconds(2))
        #expect(config.upstreamTimeout == .seconds(10))
        #expect(config.headerTimeout == .seconds(10))
        #expect(config.idleTimeout == .seconds(60))
        #expect(config.maxConnections == 10_000)
        #expect(config.gzipLevel == GatewayOptions.defaultGzipLevel)
        #expect((1...9).contains(config.gzipLevel))
        #expect(config.gzipMinBytes == 256)
        #expect(config.drainDelay == .seconds(5))
        #expect(config.shutdownTimeout == .seconds(25))
        #expect(config.logLevel == .info)
        #expect(config.demo == false)
    }

    // MARK: Each option, from a flag and from the environment

    /// One option set to a non-default value and how to see it in the configuration.
    struct OptionCase: Sendable, CustomTestStringConvertible {
        let name: String
        let value: String
        /// Options the case needs besides its own (the other half of a pair).
        var companion: [String] = []
        let check: @Sendable (GatewayConfiguration) -> Bool
        var testDescription: String { "--\(name) \(value)" }
    }

    /// One case per value option; together they are consistent, so they can also be given all at once.
    static let optionCases: [OptionCase] = [
        .init(name: "host", value: "127.0.0.1") { $0.host == "127.0.0.1" && $0.hostFamily == .ipv4 },
        .init(name: "port", value: "9090") { $0.port == 9090 },
        .init(name: "upstream", value: "http://127.0.0.1:9000/{subdomain}/api2") {
            $0.upstream.resolve(subdomain: "demo").pathPrefix == "/demo/api2"
        },
        .init(name: "base-domain", value: "GW.Example.COM.") { $0.baseDomain == "gw.example.com" },
        .init(name: "tenants", value: "/etc/daftra/tenants.json") { $0.tenantsFile == "/etc/daftra/tenants.json" },
        .init(name: "loops", value: "3") { $0.loops == 3 },
        .init(name: "ca-file", value: "/dev/null") { $0.caFile == "/dev/null" },
        .init(name: "tls-cert", value: "/dev/null", companion: ["--tls-key", "/dev/zero"]) {
            $0.tls == .init(certificateFile: "/dev/null", privateKeyFile: "/dev/zero")
        },
        .init(name: "tls-key", value: "/dev/zero", companion: ["--tls-cert", "/dev/null"]) {
            $0.tls == .init(certificateFile: "/dev/null", privateKeyFile: "/dev/zero")
        },
        .init(name: "upstream-connect-timeout", value: "250ms") { $0.upstreamConnectTimeout == .milliseconds(250) },
        .init(name: "upstream-timeout", value: "3s") { $0.upstreamTimeout == .seconds(3) },
        .init(name: "header-timeout", value: "1m") { $0.headerTimeout == .seconds(60) },
        .init(name: "idle-timeout", value: "90s") { $0.idleTimeout == .seconds(90) },
        .init(name: "max-connections", value: "500") { $0.maxConnections == 500 },
        .init(name: "gzip-level", value: "6") { $0.gzipLevel == 6 },
        .init(name: "gzip-min-bytes", value: "0") { $0.gzipMinBytes == 0 },
        .init(name: "drain-delay", value: "0s") { $0.drainDelay == .zero },
        .init(name: "shutdown-timeout", value: "1m") { $0.shutdownTimeout == .seconds(60) },
        .init(name: "log-level", value: "WARNING") { $0.logLevel == .warning },
    ]

    @Test("every value option reaches the configuration", arguments: optionCases)
    func eachOption(_ option: OptionCase) throws {
        #expect(!option.check(try GatewayOptions.defaultsForTests.configuration()), "must differ from the default")
        let options = try GatewayOptions.parseWithoutValidation(["--\(option.name)", option.value] + option.companion)
        #expect(option.check(try options.configuration()))
    }

    // ArgumentParser costs tens of milliseconds per parse in debug builds, so
    // the parser's own mapping is checked with every option in one parse.

    @Test("every option is read from the command line as --opt value")
    func allOptionsSpaced() throws {
        let config = try Self.load(Self.optionCases.flatMap { ["--\($0.name)", $0.value] })
        for option in Self.optionCases { #expect(option.check(config), "\(option.name)") }
    }

    @Test("every option is read from the command line as --opt=value")
    func allOptionsJoined() throws {
        let config = try Self.load(Self.optionCases.map { "--\($0.name)=\($0.value)" })
        for option in Self.optionCases { #expect(option.check(config), "\(option.name)") }
    }

    @Test("every option is read from GATEWAY_<OPTION>")
    func allOptionsFromEnvironment() throws {
        var environment: [String: String] = [:]
        for option in Self.optionCases {
            environment[GatewayOptions.environmentName(forOption: option.name)] = option.value
        }
        #expect(environment.count == GatewayOptions.valueOptionNames.count)
        let config = try Self.load([], environment)
        for option in Self.optionCases { #expect(option.check(config), "\(option.name)") }
    }

    @Test("the option table covers every option ArgumentParser knows")
    func optionTableIsComplete() throws {
        let dump = try #require(GatewayOptions._dumpHelp().data(using: .utf8))
        let root = try #require(try JSONSerialization.jsonObject(with: dump) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        let arguments = try #require(command["arguments"] as? [[String: Any]])
        var longNames = Set<String>()
        for argument in arguments {
            for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                longNames.insert(try #require(name["name"] as? String))
            }
        }
        let expected = Set(GatewayOptions.valueOptionNames + ["demo", "no-demo", "help"])
        #expect(longNames.subtracting(["help"]) == expected.subtracting(["help"]))
        #expect(GatewayOptions.valueOptionNames.count == 19)
    }

    @Test("--help documents every option and its environment variable")
    func help() {
        let help = GatewayOptions.helpMessage(columns: 10_000)
        for name in GatewayOptions.valueOptionNames {
            #expect(help.contains("--\(name) <"), "--\(name)")
            #expect(help.contains(GatewayOptions.environmentName(forOption: name)), "--\(name)")
        }
        #expect(help.contains("--demo"))
        #expect(help.contains("GATEWAY_DEMO"))
        #expect(help.contains("(default: 8080)"))
        #expect(help.contains("(default: 10s)"))
        #expect(GatewayOptions.environmentDiscussion.contains("ignored"))
    }

    @Test("--help exits 0 and prints to stdout")
    func helpExitsCleanly() {
        do {
            _ = try Self.load(["--help"])
            Issue.record("--help must not produce a configuration")
        } catch {
            let report = GatewayOptions.failureReport(for: error)
            #expect(report.status == 0)
            #expect(!report.isError)
            #expect(report.text.contains("--upstream-timeout"))
            #expect(report.text.contains("USAGE: daftra-gateway"))
            #expect(report.text.contains("GATEWAY_<OPTION>"))
        }
    }

    @Test("environment names are upper snake case")
    func environmentNames() {
        #expect(GatewayOptions.environmentName(forOption: "upstream-timeout") == "GATEWAY_UPSTREAM_TIMEOUT")
        #expect(GatewayOptions.environmentName(forOption: "host") == "GATEWAY_HOST")
        #expect(GatewayOptions.environmentName(forOption: "gzip-min-bytes") == "GATEWAY_GZIP_MIN_BYTES")
    }

    // MARK: Precedence and the environment's own rules

    @Test("a flag wins over the environment, in both flag forms")
    func flagWins() throws {
        let environment = ["GATEWAY_PORT": "1111", "GATEWAY_LOG_LEVEL": "debug", "GATEWAY_UPSTREAM_TIMEOUT": "9s"]
        let spaced = try Self.load(["--port", "2222"], environment)
        #expect(spaced.port == 2222)
        #expect(spaced.logLevel == .debug)
        #expect(spaced.upstreamTimeout == .seconds(9))
        let joined = try Self.load(["--port=3333", "--upstream-timeout=1s"], environment)
        #expect(joined.port == 3333)
        #expect(joined.upstreamTimeout == .seconds(1))
        #expect(joined.logLevel == .debug)
    }

    @Test("a flag wins even when the environment's value is invalid")
    func flagShadowsBadEnvironment() throws {
        #expect(try Self.load(["--port", "80"], ["GATEWAY_PORT": "not-a-port"]).port == 80)
    }

    @Test("--upstream in the environment does not shadow --upstream-timeout and vice versa")
    func prefixNamesAreDistinct() throws {
        let config = try Self.load(
            ["--upstream-timeout", "4s"], ["GATEWAY_UPSTREAM": "http://{subdomain}.localhost:9000"]
        )
        #expect(config.upstreamTimeout == .seconds(4))
        #expect(config.upstream.port == 9000)
    }

    @Test("GATEWAY_DEMO takes 1/true/yes and 0/false/no, any case", arguments: [
        ("1", true), ("true", true), ("YES", true), ("True", true),
        ("0", false), ("false", false), ("No", false),
    ])
    func demoFromEnvironment(value: String, expected: Bool) throws {
        let arguments = try GatewayOptions.arguments(commandLine: [], environment: ["GATEWAY_DEMO": value])
        #expect(arguments == [expected ? "--demo" : "--no-demo"])
    }

    @Test("--demo and --no-demo parse, and win over GATEWAY_DEMO")
    func demoFlagWins() throws {
        #expect(try Self.load(["--demo"]).demo)
        #expect(try Self.load(["--no-demo"], ["GATEWAY_DEMO": "yes"]).demo == false)
        #expect(try Self.load([], ["GATEWAY_DEMO": "yes"]).demo)
        #expect(try GatewayOptions.arguments(commandLine: ["--demo"], environment: ["GATEWAY_DEMO": "no"]) == ["--demo"])
        #expect(try GatewayOptions.arguments(commandLine: ["--demo"], environment: ["GATEWAY_DEMO": "maybe"]) == ["--demo"])
    }

    @Test("a bad GATEWAY_DEMO is a one-line error naming it, status 64")
    func badDemo() throws {
        #expect(throws: ConfigurationError.self) {
            try GatewayOptions.arguments(commandLine: [], environment: ["GATEWAY_DEMO": "maybe"])
        }
        do {
            _ = try GatewayOptions.arguments(commandLine: [], environment: ["GATEWAY_DEMO": "on"])
        } catch {
            #expect(error.names == ["GATEWAY_DEMO"])
        }
        let failure = try #require(Self.failure([], ["GATEWAY_DEMO": "maybe"]))
        #expect(failure.status == 64)
        #expect(failure.message.contains("GATEWAY_DEMO"))
        #expect(failure.message.contains("maybe"))
        #expect(!failure.message.contains("\n"))
    }

    @Test("arguments(): environment options first, in --opt=value form, only for options not given")
    func argumentsShape() throws {
        let arguments = try GatewayOptions.arguments(
            commandLine: ["--port", "1", "--log-level=debug"],
            environment: [
                "GATEWAY_PORT": "2", "GATEWAY_HOST": "::1", "GATEWAY_LOG_LEVEL": "error",
                "GATEWAY_DEMO": "yes", "GATEWAY_UNKNOWN": "x", "PATH": "/bin", "GATEWAY_LOOPS": "",
            ]
        )
        #expect(arguments == ["--host=::1", "--demo", "--port", "1", "--log-level=debug"])
    }

    @Test("an environment value that starts with a dash stays a value")
    func dashValue() throws {
        let failure = try #require(Self.failure([], ["GATEWAY_HOST": "-1"]))
        #expect(failure.status == 64)
        #expect(failure.message.contains("--host"))
        #expect(failure.message.contains("'-1'"))
    }

    @Test("unknown GATEWAY_* variables and empty ones are ignored")
    func unknownAndEmptyVariables() throws {
        let config = try Self.load([], ["GATEWAY_COLOUR": "blue", "GATEWAY_PORT": "", "GATEWAY_": "x"])
        #expect(config.port == 8080)
    }

    @Test("the process environment is read for the gateway's variables only")
    func processEnvironment() {
        let fake = ["GATEWAY_IDLE_TIMEOUT": "7s", "GATEWAY_DEMO": "1", "GATEWAY_UNRELATED": "x", "PATH": "/bin"]
        var asked: [String] = []
        let environment = GatewayOptions.environment { name in
            asked.append(name)
            return fake[name]
        }
        #expect(environment == ["GATEWAY_IDLE_TIMEOUT": "7s", "GATEWAY_DEMO": "1"])
        #expect(asked.count == GatewayOptions.valueOptionNames.count + 1)
        #expect(asked.allSatisfy { $0.hasPrefix("GATEWAY_") })
        // The real reader agrees with getenv for a variable every process has no value for.
        #expect(GatewayOptions.processEnvironment().keys.allSatisfy { asked.contains($0) })
    }

    // MARK: Bad values

    /// Arguments with one bad value, the names the error must carry, and a fragment of its reason.
    struct BadCase: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let names: [String]
        let reason: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badCases: [BadCase] = [
        .init(arguments: ["--host", "localhost"], names: ["--host"], reason: "IPv4 or IPv6"),
        .init(arguments: ["--host", "256.0.0.1"], names: ["--host"], reason: "IPv4 or IPv6"),
        .init(arguments: ["--host", "[127.0.0.1]"], names: ["--host"], reason: "IPv4 or IPv6"),
        .init(arguments: ["--port", "70000"], names: ["--port"], reason: "0 to 65535"),
        .init(arguments: ["--port=-1"], names: ["--port"], reason: "0 to 65535"),
        .init(arguments: ["--port", "80a"], names: ["--port"], reason: "whole number"),
        .init(arguments: ["--port", " 80"], names: ["--port"], reason: "whole number"),
        .init(arguments: ["--upstream", "ftp://{subdomain}.x.com"], names: ["--upstream"], reason: "http://"),
        .init(arguments: ["--upstream", "https://daftra.com/api2"], names: ["--upstream"], reason: "{subdomain}"),
        .init(arguments: ["--base-domain=-bad-.com"], names: ["--base-domain"], reason: "DNS name"),
        .init(arguments: ["--base-domain", "a..b"], names: ["--base-domain"], reason: "DNS name"),
        .init(arguments: ["--base-domain", "exa mple.com"], names: ["--base-domain"], reason: "DNS name"),
        .init(arguments: ["--tenants", ""], names: ["--tenants"], reason: "file path"),
        .init(arguments: ["--loops", "0"], names: ["--loops"], reason: "1 to 256"),
        .init(arguments: ["--loops", "257"], names: ["--loops"], reason: "1 to 256"),
        .init(arguments: ["--ca-file", "/nonexistent/ca.pem"], names: ["--ca-file"], reason: "No such file"),
        .init(arguments: ["--tls-cert", "/nonexistent/c.pem", "--tls-key", "/dev/null"],
              names: ["--tls-cert"], reason: "No such file"),
        .init(arguments: ["--tls-cert", "/dev/null", "--tls-key", "/nonexistent/k.pem"],
              names: ["--tls-key"], reason: "No such file"),
        .init(arguments: ["--tls-cert", "/dev/null"], names: ["--tls-cert", "--tls-key"], reason: "together"),
        .init(arguments: ["--tls-key", "/dev/null"], names: ["--tls-cert", "--tls-key"], reason: "together"),
        .init(arguments: ["--upstream-connect-timeout", "0s"], names: ["--upstream-connect-timeout"], reason: "zero"),
        .init(arguments: ["--upstream-timeout", "10"], names: ["--upstream-timeout"], reason: "missing unit"),
        .init(arguments: ["--header-timeout", "1.5s"], names: ["--header-timeout"], reason: "1500ms"),
        .init(arguments: ["--idle-timeout", "0ms"], names: ["--idle-timeout"], reason: "zero"),
        .init(arguments: ["--idle-timeout", "2d"], names: ["--idle-timeout"], reason: "unit"),
        .init(arguments: ["--max-connections", "0"], names: ["--max-connections"], reason: "1 to 1000000"),
        .init(arguments: ["--max-connections", "1000001"], names: ["--max-connections"], reason: "1 to 1000000"),
        .init(arguments: ["--gzip-level", "0"], names: ["--gzip-level"], reason: "1 to 9"),
        .init(arguments: ["--gzip-level", "10"], names: ["--gzip-level"], reason: "1 to 9"),
        .init(arguments: ["--gzip-min-bytes=-5"], names: ["--gzip-min-bytes"], reason: "0 or more"),
        .init(arguments: ["--drain-delay", "soon"], names: ["--drain-delay"], reason: "250ms"),
        .init(arguments: ["--drain-delay", "30s"], names: ["--drain-delay", "--shutdown-timeout"], reason: "shorter"),
        .init(arguments: ["--drain-delay", "25s"], names: ["--drain-delay", "--shutdown-timeout"], reason: "shorter"),
        .init(arguments: ["--drain-delay", "24500ms"], names: ["--drain-delay", "--shutdown-timeout"], reason: "by at least 1s"),
        .init(arguments: ["--drain-delay", "0s", "--shutdown-timeout", "500ms"], names: ["--drain-delay", "--shutdown-timeout"],
              reason: "by at least 1s"),
        .init(arguments: ["--shutdown-timeout", "0s"], names: ["--shutdown-timeout"], reason: "zero"),
        .init(arguments: ["--shutdown-timeout", "25h"], names: ["--shutdown-timeout"], reason: "24h"),
        .init(arguments: ["--log-level", "verbose"], names: ["--log-level"], reason: "trace, debug"),
    ]

    @Test("each bad value is a typed error naming the option", arguments: badCases)
    func badValueIsTyped(_ bad: BadCase) throws {
        let options = try GatewayOptions.parseWithoutValidation(bad.arguments)
        do {
            _ = try options.configuration()
            Issue.record("accepted \(bad.arguments)")
        } catch {
            #expect(error.names == bad.names)
            for name in bad.names { #expect(error.message.contains(name)) }
            #expect(error.message.contains(bad.reason), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test("validate() turns each bad value into ArgumentParser's ValidationError with the same line", arguments: badCases)
    func badValueIsValidationError(_ bad: BadCase) throws {
        let options = try GatewayOptions.parseWithoutValidation(bad.arguments)
        do {
            try options.validate()
            Issue.record("accepted \(bad.arguments)")
        } catch let error as ValidationError {
            #expect(error.message.contains(bad.names[0]))
            #expect(error.message.contains(bad.reason))
        }
    }

    @Test("ArgumentParser gives a ValidationError status 64 (EX_USAGE)")
    func validationErrorStatus() {
        #expect(ExitCode.validationFailure.rawValue == 64)
        #expect(GatewayOptions.exitCode(for: ValidationError("--port: bad")).rawValue == 64)
    }

    /// A few bad values of each kind, taken through the whole path `main` takes.
    static let representativeBadCases = badCases.filter { bad in
        ["--port", "--upstream", "--tls-cert", "--upstream-timeout", "--drain-delay", "--log-level"].contains(bad.arguments[0].split(separator: "=")[0])
    }.reduce(into: [BadCase]()) { picked, bad in
        if !picked.contains(where: { $0.arguments[0] == bad.arguments[0] }) { picked.append(bad) }
    }

    @Test("bad values fail loading with one line naming the option and status 64", arguments: representativeBadCases)
    func badValueExits64(_ bad: BadCase) throws {
        let failure = try #require(Self.failure(bad.arguments))
        #expect(failure.status == 64)
        #expect(failure.message.contains(bad.names[0]))
        #expect(failure.message.contains(bad.reason))
        #expect(!failure.message.contains("\n"))
    }

    @Test("a bad value from the environment says which variable it came from")
    func badEnvironmentValue() throws {
        let failure = try #require(Self.failure([], ["GATEWAY_PORT": "abc"]))
        #expect(failure.status == 64)
        #expect(failure.message.contains("--port"))
        #expect(failure.message.hasSuffix("(from GATEWAY_PORT)"))

        // --upstream-timeout's error must not be blamed on GATEWAY_UPSTREAM.
        let other = try #require(Self.failure(
            ["--upstream-timeout", "x"], ["GATEWAY_UPSTREAM": "http://{subdomain}.localhost"]
        ))
        #expect(!other.message.contains("GATEWAY_UPSTREAM"))
    }

    @Test("ArgumentParser's own errors are 64 and name the option too")
    func parserErrors() throws {
        let unknown = try #require(Self.failure(["--bogus", "1"]))
        #expect(unknown.status == 64)
        #expect(unknown.message.contains("--bogus"))
        let missing = try #require(Self.failure(["--port"]))
        #expect(missing.status == 64)
        #expect(missing.message.contains("--port"))
    }

    @Test("failureReport gives the one line for stderr and status 64")
    func failureReport() throws {
        do {
            _ = try Self.load(["--gzip-level", "11"])
            Issue.record("accepted --gzip-level 11")
        } catch {
            let report = GatewayOptions.failureReport(for: error)
            #expect(report.isError)
            #expect(report.status == 64)
            #expect(report.text.hasPrefix("daftra-gateway: error: "))
            #expect(report.text.contains("--gzip-level"))
            #expect(!report.text.contains("\n"))
        }
    }

    @Test("a hostile value cannot break the error onto several lines")
    func hostileValueStaysOnOneLine() throws {
        let failure = try #require(Self.failure(["--host", "evil\nFAKE LOG LINE\r\u{1B}[31m"]))
        #expect(!failure.message.contains("\n"))
        #expect(!failure.message.contains("\r"))
        #expect(!failure.message.contains("\u{1B}"))
        #expect(failure.message.contains("\\n"))
        let long = try #require(Self.failure(["--host", String(repeating: "x", count: 5_000)]))
        #expect(long.message.count < 300)
    }

    // MARK: Accepted special values

    @Test("listen addresses: IPv4, IPv6, bracketed IPv6, port 0", arguments: [
        ("0.0.0.0", "0.0.0.0", GatewayConfiguration.AddressFamily.ipv4),
        ("127.0.0.1", "127.0.0.1", .ipv4),
        ("::", "::", .ipv6),
        ("::1", "::1", .ipv6),
        ("[::1]", "::1", .ipv6),
        ("fe80::1:2", "fe80::1:2", .ipv6),
    ])
    func listenAddresses(text: String, literal: String, family: GatewayConfiguration.AddressFamily) throws {
        let config = try GatewayOptions.parseWithoutValidation(["--host", text, "--port", "0"]).configuration()
        #expect(config.host == literal)
        #expect(config.hostFamily == family)
        #expect(config.port == 0)
    }

    @Test("a single-label base domain such as localhost is accepted")
    func singleLabelDomain() throws {
        let options = try GatewayOptions.parseWithoutValidation(["--base-domain", "LocalHost"])
        #expect(try options.configuration().baseDomain == "localhost")
    }

    // MARK: Start-up description

    @Test("the effective description lists every setting once, in option order")
    func effectiveDescription() throws {
        var options = try GatewayOptions.parseWithoutValidation(["--port", "9000", "--drain-delay", "1500ms"])
        options.demo = true
        let config = try options.configuration()
        let pairs = config.effectiveDescription
        #expect(pairs.count == 20)
        #expect(Set(pairs.map(\.0)).count == pairs.count)
        let values = Dictionary(uniqueKeysWithValues: pairs)
        #expect(values["port"] == "9000")
        #expect(values["demo"] == "true")
        #expect(values["drain_delay"] == "1500ms")
        #expect(values["upstream"] == "https://{subdomain}.daftra.com/api2")
        #expect(values["base_domain"] == "none")
        #expect(Set(config.effectiveMetadata.keys) == Set(pairs.map(\.0)))
    }

    @Test("the effective metadata renders with JSON types")
    func effectiveMetadataTypes() throws {
        let config = try GatewayOptions.parseWithoutValidation(["--tenants", "/t.json"]).configuration()
        let sink = LogSink(fileDescriptor: -1, capacity: 0)
        defer { sink.close() }
        let handler = JSONLogHandler(label: "test", sink: sink)
        let event = LogEvent(
            level: .info, message: "starting", metadata: config.effectiveMetadata,
            source: nil, file: #fileID, function: #function, line: #line
        )
        let line = String(decoding: handler.render(event, seconds: 0, milliseconds: 0), as: UTF8.self)
        #expect(line.contains(#""port":8080"#))
        #expect(line.contains(#""demo":false"#))
        #expect(line.contains(#""base_domain":null"#))
        #expect(line.contains(#""tenants":"/t.json""#))
        #expect(line.contains(#""upstream_timeout":"10s""#))
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["loops"] as? Int == config.loops)
    }
}

extension GatewayOptions {
    /// The defaults, parsed once: ArgumentParser is slow in debug builds.
    static var defaultsForTests: GatewayOptions {
        get throws { try cachedDefaults.get() }
    }

    private static let cachedDefaults = Result { try GatewayOptions.parse([]) }

    /// Parses `--name value` / `--name=value` pairs onto the defaults without
    /// `validate()` (which ArgumentParser always runs), to reach
    /// `configuration()`'s typed error.
    static func parseWithoutValidation(_ arguments: [String]) throws -> GatewayOptions {
        let required: [String: WritableKeyPath<GatewayOptions, String>] = [
            "host": \.host, "port": \.port, "upstream": \.upstream, "loops": \.loops,
            "upstream-connect-timeout": \.upstreamConnectTimeout, "upstream-timeout": \.upstreamTimeout,
            "header-timeout": \.headerTimeout, "idle-timeout": \.idleTimeout,
            "max-connections": \.maxConnections, "gzip-level": \.gzipLevel, "gzip-min-bytes": \.gzipMinBytes,
            "drain-delay": \.drainDelay, "shutdown-timeout": \.shutdownTimeout, "log-level": \.logLevel,
        ]
        let optional: [String: WritableKeyPath<GatewayOptions, String?>] = [
            "base-domain": \.baseDomain, "tenants": \.tenants, "ca-file": \.caFile,
            "tls-cert": \.tlsCert, "tls-key": \.tlsKey,
        ]
        var options = try defaultsForTests
        var rest = arguments[...]
        while let first = rest.popFirst() {
            let name: String
            let value: String
            if let equals = first.firstIndex(of: "=") {
                name = String(first[first.index(first.startIndex, offsetBy: 2)..<equals])
                value = String(first[first.index(after: equals)...])
            } else {
                name = String(first.dropFirst(2))
                let next = rest.popFirst()
                value = try #require(next)
            }
            if let path = required[name] {
                options[keyPath: path] = value
            } else {
                options[keyPath: try #require(optional[name])] = value
            }
        }
        return options
    }
}
