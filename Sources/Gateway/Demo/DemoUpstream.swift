import EventLoop
import Glibc
import HTTP1
import HTTPServer

/// The built-in demo upstream behind `--demo`: a Daftra look-alike on loopback
/// that serves ``DemoClients`` for the subdomain `demo` with the token
/// `demo-token`, so the gateway can be tried with nothing else running.
///
/// It runs on the gateway's own event loops (an ``HTTPServer`` on
/// `127.0.0.1`, ephemeral port), and the gateway reaches it over a real socket
/// like any upstream, so the demo exercises the same code paths as production.
public final class DemoUpstream: Sendable {
    /// The only tenant the demo knows.
    public static let subdomain = "demo"
    /// The credential it accepts, as `Authorization: Bearer demo-token` or
    /// `apikey: demo-token` (one of the two, not both).
    public static let token = "demo-token"

    private let server: HTTPServer
    /// Where the demo listens (loopback, the port chosen by the system).
    public let address: SocketAddress

    private init(server: HTTPServer, address: SocketAddress) {
        self.server = server
        self.address = address
    }

    /// Starts the demo on `127.0.0.1` on an ephemeral port, on `group`'s loops.
    /// - Throws: ``SystemError`` when the socket cannot be bound.
    public static func start(group: EventLoopGroup) throws(SystemError) -> DemoUpstream {
        let configuration = HTTPServerConfiguration(
            host: "127.0.0.1", port: 0, maxConnections: 1_024, backlog: 128, acceptStrategy: .sharedListener)
        let server = HTTPServer(group: group, configuration: configuration, handler: DemoHandler())
        let address = try server.start()
        return DemoUpstream(server: server, address: address)
    }

    /// The port the demo listens on.
    public var port: UInt16 { address.port }

    /// The gateway's `--upstream` for the demo: the subdomain stands in the path.
    public var upstreamTemplate: String { "http://127.0.0.1:\(port)/{subdomain}/api2" }

    /// Stops listening and closes the demo's connections; both happen on the
    /// loops, moments after this returns.
    public func stop() {
        server.closeListeners()
        server.closeAllConnections()
    }

    /// The URL a shell on the gateway's machine reaches it by: `localhost` for a
    /// wildcard listener, else the address it listens on; `https` when it serves TLS.
    public static func baseURL(listening address: SocketAddress, tls: Bool) -> String {
        let scheme = tls ? "https" : "http"
        let ip = address.ipString
        let host = ip == "0.0.0.0" || ip == "::" ? "localhost" : address.family == AF_INET6 ? "[\(ip)]" : ip
        return "\(scheme)://\(host):\(address.port)"
    }

    /// Ready-to-paste shell lines that try the gateway at `base` (see
    /// ``baseURL(listening:tls:)``) against the demo: comment lines say what each
    /// `curl` shows.
    public static func curlCommands(base: String) -> String {
        let tenant = "-H 'X-Daftra-Subdomain: \(subdomain)'"
        let bearer = "-H 'Authorization: Bearer \(token)'"
        let tlsNote = base.hasPrefix("https:")
            ? "# TLS: add --cacert <the CA of --tls-cert> (or -k for a self-signed test certificate).\n" : ""
        return tlsNote + """
            # A client (sample ids: \(DemoClients.clients.keys.sorted().map(String.init).joined(separator: ", "))):
            curl -s \(tenant) \(bearer) \(base)/clients/715
            # Only some fields, with the apikey header instead of a bearer token:
            curl -s \(tenant) -H 'apikey: \(token)' '\(base)/clients/1024?fields=id,email,business_name'
            # gzip on the wire (-i shows Content-Encoding; --compressed decodes it):
            curl -si --compressed \(tenant) \(bearer) \(base)/clients/2
            # An unknown client: 404 problem+json:
            curl -si \(tenant) \(bearer) \(base)/clients/999
            # No credential: 401:
            curl -si \(tenant) \(base)/clients/1
            # Probes and metrics:
            curl -s \(base)/livez
            curl -s \(base)/readyz
            curl -s \(base)/metrics

            """
    }
}
