#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

extension GatewayOptions {
    /// Checks every value and returns the typed configuration, or throws the
    /// first problem as a one-line ``ConfigurationError`` naming the option.
    ///
    /// Decisions made here:
    /// - `--host` takes IP literals only (`[::1]` is accepted and unbracketed);
    ///   a name such as `localhost` is refused rather than resolved, because the
    ///   listener binds exactly one address and a name may mean several.
    /// - `--port 0` is allowed and means a kernel-chosen port (tests).
    /// - `--ca-file`, `--tls-cert` and `--tls-key` must be readable files now,
    ///   so a typo fails with 64 before anything listens. `--tenants` is not
    ///   read here: the registry reports its own errors (exit 78).
    /// - Timeouts must be above zero; `--drain-delay` may be zero but must be
    ///   shorter than `--shutdown-timeout`, which counts from the signal too.
    public func configuration() throws(ConfigurationError) -> GatewayConfiguration {
        let (hostLiteral, family) = try Self.listenAddress(host)
        let tls: GatewayConfiguration.TLSFiles?
        switch (tlsCert, tlsKey) {
        case (nil, nil):
            tls = nil
        case let (certificate?, key?):
            try Self.readableFile(certificate, for: "--tls-cert")
            try Self.readableFile(key, for: "--tls-key")
            tls = GatewayConfiguration.TLSFiles(certificateFile: certificate, privateKeyFile: key)
        case (_?, nil), (nil, _?):
            let given = tlsCert == nil ? "--tls-key" : "--tls-cert"
            throw ConfigurationError(
                names: ["--tls-cert", "--tls-key"],
                message: "--tls-cert and --tls-key must be given together (only \(given) was given)"
            )
        }
        if let caFile { try Self.readableFile(caFile, for: "--ca-file") }
        if let tenants, tenants.isEmpty {
            throw .invalidValue(tenants, for: "--tenants", "expected a file path")
        }

        let upstreamTemplate: UpstreamTemplate
        do {
            upstreamTemplate = try UpstreamTemplate(parsing: upstream)
        } catch {
            throw .invalidValue(upstream, for: "--upstream", error.description)
        }

        let drain = try Self.duration(drainDelay, for: "--drain-delay", allowZero: true)
        let shutdown = try Self.duration(shutdownTimeout, for: "--shutdown-timeout")
        // The shutdown closes the listeners at the drain delay and keeps the last
        // 300 ms of the timeout for cutting what is left and flushing the log;
        // with less room than this, requests in flight would get no time at all.
        guard drain + Self.minimumShutdownRoom <= shutdown else {
            throw ConfigurationError(
                names: ["--drain-delay", "--shutdown-timeout"],
                message: "--drain-delay (\(drainDelay)) must be shorter than --shutdown-timeout (\(shutdownTimeout)) "
                    + "by at least \(GatewayDuration.format(Self.minimumShutdownRoom))"
            )
        }

        return GatewayConfiguration(
            host: hostLiteral,
            hostFamily: family,
            port: try Self.integer(port, for: "--port", in: 0...65_535),
            upstream: upstreamTemplate,
            baseDomain: try baseDomain.map { value throws(ConfigurationError) in try Self.domain(value) },
            tenantsFile: tenants,
            loops: try Self.integer(loops, for: "--loops", in: 1...256),
            caFile: caFile,
            tls: tls,
            upstreamConnectTimeout: try Self.duration(upstreamConnectTimeout, for: "--upstream-connect-timeout"),
            upstreamTimeout: try Self.duration(upstreamTimeout, for: "--upstream-timeout"),
            headerTimeout: try Self.duration(headerTimeout, for: "--header-timeout"),
            idleTimeout: try Self.duration(idleTimeout, for: "--idle-timeout"),
            maxConnections: try Self.integer(maxConnections, for: "--max-connections", in: 1...1_000_000),
            gzipLevel: try Self.integer(gzipLevel, for: "--gzip-level", in: 1...9),
            gzipMinBytes: try Self.integer(gzipMinBytes, for: "--gzip-min-bytes", in: 0...Int(Int32.max)),
            drainDelay: drain,
            shutdownTimeout: shutdown,
            logLevel: try Self.level(logLevel),
            demo: demo
        )
    }

    // MARK: One checker per kind of value
    //
    // Internal rather than private (all but readableFile) only so that the
    // Fuzz package's FuzzConfiguration target can call each checker directly.

    static func listenAddress(
        _ text: String
    ) throws(ConfigurationError) -> (String, GatewayConfiguration.AddressFamily) {
        var literal = text
        if literal.hasPrefix("["), literal.hasSuffix("]") {
            literal = String(literal.dropFirst().dropLast())
            if AddressSyntax.isIPv6Literal(literal) { return (literal, .ipv6) }
        } else if AddressSyntax.isIPv4Literal(literal) {
            return (literal, .ipv4)
        } else if AddressSyntax.isIPv6Literal(literal) {
            return (literal, .ipv6)
        }
        throw .invalidValue(
            text, for: "--host",
            "expected an IPv4 or IPv6 address such as 0.0.0.0, 127.0.0.1, :: or ::1 (names are not resolved)"
        )
    }

    static func integer(
        _ text: String, for option: String, in range: ClosedRange<Int>
    ) throws(ConfigurationError) -> Int {
        guard let value = AddressSyntax.decimal(text), range.contains(value) else {
            let upper = range.upperBound == Int(Int32.max) ? "" : " to \(range.upperBound)"
            let phrase = upper.isEmpty ? "\(range.lowerBound) or more" : "from \(range.lowerBound)\(upper)"
            throw .invalidValue(text, for: option, "expected a whole number \(phrase)")
        }
        return value
    }

    /// How much longer than `--drain-delay` `--shutdown-timeout` must be.
    static let minimumShutdownRoom: Duration = .seconds(1)

    static func duration(
        _ text: String, for option: String, allowZero: Bool = false
    ) throws(ConfigurationError) -> Duration {
        let value: Duration
        do {
            value = try GatewayDuration.parse(text)
        } catch {
            throw .invalidValue(text, for: option, error.description)
        }
        guard allowZero || value > .zero else {
            throw .invalidValue(text, for: option, "must be longer than zero")
        }
        return value
    }

    static func domain(_ text: String) throws(ConfigurationError) -> String {
        var name = AddressSyntax.asciiLowercased(text)
        if name.hasSuffix(".") { name.removeLast() }
        guard AddressSyntax.isDNSName(name) else {
            throw .invalidValue(
                text, for: "--base-domain",
                "expected a DNS name such as gateway.example.com (letters, digits, hyphens, dots)"
            )
        }
        return name
    }

    static func level(_ text: String) throws(ConfigurationError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: AddressSyntax.asciiLowercased(text)) else {
            throw .invalidValue(
                text, for: "--log-level", "expected trace, debug, info, notice, warning, error or critical"
            )
        }
        return level
    }

    private static func readableFile(_ path: String, for option: String) throws(ConfigurationError) {
        guard !path.isEmpty else { throw .invalidValue(path, for: option, "expected a file path") }
        guard access(path, R_OK) != 0 else { return }
        let reason = String(cString: strerror(errno))
        throw ConfigurationError(
            names: [option],
            message: "cannot read \(option) '\(quotedForMessage(path))': \(reason)"
        )
    }
}
