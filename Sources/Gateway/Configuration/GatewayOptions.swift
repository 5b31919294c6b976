import ArgumentParser

/// The command line of `daftra-gateway`, as typed: every value is kept as text
/// here and checked by ``configuration()``, so that every bad value, whatever
/// its option, gives the same kind of one-line error naming the option.
///
/// Every option can also come from `GATEWAY_<OPTION>` (see
/// ``arguments(commandLine:environment:)``); a flag on the command line wins.
public struct GatewayOptions: ParsableArguments, Sendable {
    /// The zlib level used when `--gzip-level` is not given.
    public static let defaultGzipLevel = 1

    /// Creates the options with every default.
    public init() {}

    @Option(help: ArgumentHelp(
        "Listen address: an IPv4 or IPv6 literal (host names are not resolved). Env: GATEWAY_HOST.",
        valueName: "address"))
    public var host = "0.0.0.0"

    @Option(help: ArgumentHelp(
        "Listen port, 0-65535; 0 picks a free port (for tests). Env: GATEWAY_PORT.",
        valueName: "port"))
    public var port = "8080"

    @Option(help: ArgumentHelp(
        "Upstream base URL template, http or https; {subdomain} appears once, as a host label or in the path. Env: GATEWAY_UPSTREAM.",
        valueName: "url"))
    public var upstream = "https://{subdomain}.daftra.com/api2"

    @Option(help: ArgumentHelp(
        "When set, 'Host: <sub>.<domain>' names the tenant if X-Daftra-Subdomain is absent. Default: none. Env: GATEWAY_BASE_DOMAIN.",
        valueName: "domain"))
    public var baseDomain: String?

    @Option(help: ArgumentHelp(
        "Tenant registry file (JSON); turns on registry mode. Default: none (pass-through mode). Env: GATEWAY_TENANTS.",
        valueName: "file"))
    public var tenants: String?

    @Option(help: ArgumentHelp(
        "Event loops (serial dispatch queues), 1-256. Default: the number of online cores. Env: GATEWAY_LOOPS.",
        valueName: "count"))
    public var loops = String(ProcessorCount.online)

    @Option(help: ArgumentHelp(
        "PEM file of extra trust anchors for the upstream, added to the system trust store. Default: none. Env: GATEWAY_CA_FILE.",
        valueName: "file"))
    public var caFile: String?

    @Option(help: ArgumentHelp(
        "PEM certificate chain; with --tls-key, serve HTTPS instead of HTTP. Default: none. Env: GATEWAY_TLS_CERT.",
        valueName: "file"))
    public var tlsCert: String?

    @Option(help: ArgumentHelp(
        "PEM private key for --tls-cert; the two go together. Default: none. Env: GATEWAY_TLS_KEY.",
        valueName: "file"))
    public var tlsKey: String?

    @Option(help: ArgumentHelp(
        "Time allowed for the TCP connect and TLS handshake to the upstream; a duration such as 250ms, 2s, 1m. Env: GATEWAY_UPSTREAM_CONNECT_TIMEOUT.",
        valueName: "duration"))
    public var upstreamConnectTimeout = "2s"

    @Option(help: ArgumentHelp(
        "Time allowed for the whole upstream exchange (duration); slower answers give 504. Env: GATEWAY_UPSTREAM_TIMEOUT.",
        valueName: "duration"))
    public var upstreamTimeout = "10s"

    @Option(help: ArgumentHelp(
        "Time allowed to receive a request, head and body, from its first byte (duration); slower ones get 408. Env: GATEWAY_HEADER_TIMEOUT.",
        valueName: "duration"))
    public var headerTimeout = "10s"

    @Option(help: ArgumentHelp(
        "Keep-alive idle time before a client connection is closed (duration). Env: GATEWAY_IDLE_TIMEOUT.",
        valueName: "duration"))
    public var idleTimeout = "60s"

    @Option(help: ArgumentHelp(
        "Open client connections at most, 1-1000000; further ones wait in the listen backlog. Env: GATEWAY_MAX_CONNECTIONS.",
        valueName: "count"))
    public var maxConnections = "10000"

    @Option(help: ArgumentHelp(
        "zlib compression level for gzip answers, 1 (fastest) to 9 (smallest). Env: GATEWAY_GZIP_LEVEL.",
        valueName: "level"))
    public var gzipLevel = String(GatewayOptions.defaultGzipLevel)

    @Option(help: ArgumentHelp(
        "Bodies smaller than this many bytes are sent uncompressed. Env: GATEWAY_GZIP_MIN_BYTES.",
        valueName: "bytes"))
    public var gzipMinBytes = "256"

    @Option(help: ArgumentHelp(
        "After SIGTERM, readiness answers 503 this long before the listeners close (duration, 0s allowed); at least 1s shorter than --shutdown-timeout. Env: GATEWAY_DRAIN_DELAY.",
        valueName: "duration"))
    public var drainDelay = "5s"

    @Option(help: ArgumentHelp(
        "After SIGTERM, the time in-flight requests get in all before the process exits (duration). Env: GATEWAY_SHUTDOWN_TIMEOUT.",
        valueName: "duration"))
    public var shutdownTimeout = "25s"

    @Option(help: ArgumentHelp(
        "Least severe level logged: trace, debug, info, notice, warning, error, critical. Env: GATEWAY_LOG_LEVEL.",
        valueName: "level"))
    public var logLevel = "info"

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Start a built-in demo upstream on loopback and point the gateway at it (subdomain 'demo', token 'demo-token'). Env: GATEWAY_DEMO=1|true|yes|0|false|no."))
    public var demo = false

    /// Runs ``configuration()`` so that `parse(_:)` refuses bad values with
    /// ArgumentParser's validation exit status, 64 (EX_USAGE).
    public func validate() throws {
        do {
            _ = try configuration()
        } catch {
            throw ValidationError(error.message)
        }
    }
}
