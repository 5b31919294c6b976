import Logging

/// The validated, typed configuration the gateway runs with; made by
/// ``GatewayOptions/configuration()`` from the command line and environment.
public struct GatewayConfiguration: Sendable {
    /// Whether the listen address is IPv4 or IPv6.
    public enum AddressFamily: Sendable, Equatable {
        case ipv4
        case ipv6
    }

    /// The certificate and key for serving HTTPS; they only exist together.
    public struct TLSFiles: Sendable, Equatable {
        /// PEM certificate chain (`--tls-cert`).
        public var certificateFile: String
        /// PEM private key (`--tls-key`).
        public var privateKeyFile: String
    }

    /// Listen address: an IP literal without brackets (`0.0.0.0`, `::1`).
    public var host: String
    /// Whether ``host`` is IPv4 or IPv6.
    public var hostFamily: AddressFamily
    /// Listen port, 0...65535; 0 asks the kernel for a free port.
    public var port: Int
    /// The upstream URL template.
    public var upstream: UpstreamTemplate
    /// Lower-cased domain whose sub-labels name tenants in `Host`, without trailing dot; nil when not set.
    public var baseDomain: String?
    /// The tenant registry file (registry mode); nil in pass-through mode. Read and checked by the registry, not here.
    public var tenantsFile: String?
    /// Event loops, 1...256.
    public var loops: Int
    /// Extra PEM trust anchors for the upstream (readable at start-up); nil for the system store only.
    public var caFile: String?
    /// Files for serving HTTPS; nil to serve plain HTTP.
    public var tls: TLSFiles?
    /// TCP connect plus TLS handshake to the upstream; > 0.
    public var upstreamConnectTimeout: Duration
    /// The whole upstream exchange; > 0.
    public var upstreamTimeout: Duration
    /// Receiving a request head; > 0.
    public var headerTimeout: Duration
    /// Keep-alive idle time; > 0.
    public var idleTimeout: Duration
    /// Open client connections at most, 1...1_000_000.
    public var maxConnections: Int
    /// zlib level, 1...9.
    public var gzipLevel: Int
    /// Smallest body that is compressed, >= 0.
    public var gzipMinBytes: Int
    /// Readiness 503 before listeners close after SIGTERM; >= 0 and < ``shutdownTimeout``.
    public var drainDelay: Duration
    /// Total time after SIGTERM; > 0.
    public var shutdownTimeout: Duration
    /// Least severe level logged.
    public var logLevel: Logger.Level
    /// Run the built-in demo upstream.
    public var demo: Bool

    /// The effective configuration for the start-up log line, in option order,
    /// keys in snake case. Only settings: nothing here is a secret (tenant
    /// credentials live in the registry file and are never logged).
    public var effectiveDescription: [(String, String)] {
        [
            ("host", host),
            ("port", String(port)),
            ("upstream", upstream.description),
            ("base_domain", baseDomain ?? "none"),
            ("tenants", tenantsFile ?? "none"),
            ("loops", String(loops)),
            ("ca_file", caFile ?? "none"),
            ("tls_cert", tls?.certificateFile ?? "none"),
            ("tls_key", tls?.privateKeyFile ?? "none"),
            ("upstream_connect_timeout", GatewayDuration.format(upstreamConnectTimeout)),
            ("upstream_timeout", GatewayDuration.format(upstreamTimeout)),
            ("header_timeout", GatewayDuration.format(headerTimeout)),
            ("idle_timeout", GatewayDuration.format(idleTimeout)),
            ("max_connections", String(maxConnections)),
            ("gzip_level", String(gzipLevel)),
            ("gzip_min_bytes", String(gzipMinBytes)),
            ("drain_delay", GatewayDuration.format(drainDelay)),
            ("shutdown_timeout", GatewayDuration.format(shutdownTimeout)),
            ("log_level", logLevel.rawValue),
            ("demo", demo ? "true" : "false"),
        ]
    }

    /// The same settings as log metadata with JSON types: numbers as numbers,
    /// `demo` as a boolean, unset options as null, durations as typed (`2s`).
    public var effectiveMetadata: Logger.Metadata {
        func text(_ value: String?) -> Logger.MetadataValue {
            value.map { .string($0) } ?? .jsonNull
        }
        func number(_ value: Int) -> Logger.MetadataValue { .stringConvertible(value) }
        func duration(_ value: Duration) -> Logger.MetadataValue { .string(GatewayDuration.format(value)) }
        return [
            "host": .string(host),
            "port": number(port),
            "upstream": .string(upstream.description),
            "base_domain": text(baseDomain),
            "tenants": text(tenantsFile),
            "loops": number(loops),
            "ca_file": text(caFile),
            "tls_cert": text(tls?.certificateFile),
            "tls_key": text(tls?.privateKeyFile),
            "upstream_connect_timeout": duration(upstreamConnectTimeout),
            "upstream_timeout": duration(upstreamTimeout),
            "header_timeout": duration(headerTimeout),
            "idle_timeout": duration(idleTimeout),
            "max_connections": number(maxConnections),
            "gzip_level": number(gzipLevel),
            "gzip_min_bytes": number(gzipMinBytes),
            "drain_delay": duration(drainDelay),
            "shutdown_timeout": duration(shutdownTimeout),
            "log_level": .string(logLevel.rawValue),
            "demo": .stringConvertible(demo),
        ]
    }
}
