import Dispatch
import Glibc
import EventLoop
import HTTP1
import HTTPServer
import Logging
import Synchronization
import TLS
import Upstream

/// Why the gateway could not start after its options were accepted.
public enum GatewayStartError: Error, CustomStringConvertible {
    /// The listen socket (or the demo's) could not be set up.
    case listen(SystemError)
    /// A TLS file could not be used.
    case tls(TLSConfigurationError)

    public var description: String {
        switch self {
        case .listen(let e): return e.description
        case .tls(let e): return e.description
        }
    }

    /// The process exit status: 71 (EX_OSERR) for the system, 78 (EX_CONFIG) for bad TLS files.
    public var exitStatus: Int32 {
        switch self {
        case .listen: return 71
        case .tls: return 78
        }
    }
}

/// A running gateway: event loops, the HTTP server and its routes, readiness,
/// and the shutdown sequence of the contract.
public final class GatewayApp: Sendable {
    public let configuration: GatewayConfiguration
    public let group: EventLoopGroup
    public let server: HTTPServer
    public let state: ServiceState
    /// The address the server listens on (the real port when 0 was asked for).
    public let address: SocketAddress
    /// What `/metrics` exposes.
    public let metrics: GatewayMetrics
    /// The built-in demo upstream, with `--demo`.
    public let demo: DemoUpstream?
    /// The client every upstream call goes through.
    public let upstreamClient: UpstreamClient
    /// The routes the server answers, as templates (checked against `openapi.yaml`).
    public let routeTemplates: [String]
    private let logger: Logger
    private let shutdownStarted = Atomic<Bool>(false)

    /// The tenant registry in registry mode (`--tenants`), which SIGHUP reloads.
    public let registry: RegistryStore?

    /// Reads `--tenants` when set: nil in pass-through mode. The error names the
    /// field and line; the process exits 78 (EX_CONFIG) on it.
    public static func loadRegistry(
        configuration: GatewayConfiguration, environment: [String: String]
    ) throws(RegistryError) -> TenantRegistry? {
        guard let path = configuration.tenantsFile else { return nil }
        return try TenantRegistry.load(path: path, environment: environment)
    }

    /// The HTTPS context with `--tls-cert`/`--tls-key`, which SIGHUP reloads.
    public let serverTLS: TLSServerContext?
    /// Upstream TLS handshakes (for metrics).
    public let upstreamTLSMetrics: TLSMetrics

    /// Builds the routes, binds and starts serving.
    /// - Parameter logSink: the sink `logger` writes to, whose lost lines
    ///   `/metrics` reports.
    public init(configuration: GatewayConfiguration, logger: Logger, registry: TenantRegistry? = nil,
                logSink: LogSink? = nil)
        throws(GatewayStartError)
    {
        self.configuration = configuration
        self.logger = logger
        let group = EventLoopGroup(loopCount: configuration.loops, sweepInterval: Self.sweepInterval(configuration))
        self.group = group
        let state = ServiceState()
        self.state = state

        let metrics = GatewayMetrics(version: GatewayVersion.current)
        self.metrics = metrics
        var router = Router<Endpoint>()
        router.add("/livez", methods: ["GET"]) { exchange, _ in HealthEndpoints.live(exchange, group: group) }
        router.add("/healthz", methods: ["GET"]) { exchange, _ in HealthEndpoints.live(exchange, group: group) }
        router.add("/readyz", methods: ["GET"]) { exchange, _ in HealthEndpoints.ready(exchange, state: state) }

        // --demo: a Daftra-shaped upstream on loopback, on the same loops, and the
        // gateway pointed at it.
        var upstreamTemplate = configuration.upstream
        if configuration.demo {
            let demo: DemoUpstream
            do {
                demo = try DemoUpstream.start(group: group)
            } catch {
                throw .listen(error)
            }
            self.demo = demo
            do {
                upstreamTemplate = try UpstreamTemplate(parsing: demo.upstreamTemplate)
            } catch {
                preconditionFailure("the demo's own template is valid: \(error)")
            }
        } else {
            self.demo = nil
        }

        // Verification is always on: the system trust store plus --ca-file.
        let tlsMetrics = TLSMetrics()
        self.upstreamTLSMetrics = tlsMetrics
        let clientTLS: TLSClientContext
        do {
            clientTLS = try TLSClientContext(caFile: configuration.caFile, metrics: tlsMetrics)
        } catch {
            throw .tls(error)
        }
        let upstreamClient = UpstreamClient(
            group: group,
            configuration: UpstreamClient.Configuration(
                connectTimeout: configuration.upstreamConnectTimeout,
                timeout: configuration.upstreamTimeout),
            secureTransport: TLSClientTransport(context: clientTLS, handshakeTimeout: configuration.upstreamConnectTimeout))
        let registryStore = registry.map { RegistryStore($0, loops: group.loops) }
        self.registry = registryStore
        let clients = ClientsEndpoint(
            settings: ClientsEndpoint.Settings(
                upstream: upstreamTemplate, baseDomain: configuration.baseDomain,
                gzipLevel: configuration.gzipLevel, gzipMinBytes: configuration.gzipMinBytes),
            client: upstreamClient, group: group, metrics: metrics, registry: registryStore, logger: logger)
        router.add("/clients/{id}", methods: ["GET"]) { exchange, parameters in
            clients.handle(exchange, id: parameters[0])
        }
        router.add("/metrics", methods: ["GET"]) { exchange, _ in
            let totals = upstreamClient.connectionTotals
            let body = metrics.render(GatewayMetrics.Snapshot(
                upstreamOpen: totals.open, upstreamIdle: totals.idle,
                tlsHandshakes: tlsMetrics.handshakes, tlsResumed: tlsMetrics.resumedHandshakes,
                logLinesDropped: logSink?.droppedLineCount ?? 0, logWriteFailures: logSink?.failedWriteCount ?? 0))
            exchange.finish(status: 200, body: body, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        self.upstreamClient = upstreamClient

        routeTemplates = router.routes.map(\.template)
        let handler = GatewayHandler(router: router, requestIDs: RequestIDGenerator(), logger: logger, metrics: metrics)
        var limits = HTTPLimits()
        limits.maxBodyBytes = 1 << 20
        let serverConfiguration = HTTPServerConfiguration(
            host: configuration.host,
            port: UInt16(configuration.port),
            limits: limits,
            headerTimeout: configuration.headerTimeout,
            idleTimeout: configuration.idleTimeout,
            maxConnections: configuration.maxConnections,
            acceptStrategy: Self.acceptStrategy())
        if let files = configuration.tls {
            let tlsLogger = logger
            do {
                let context = try TLSServerContext(
                    certificateChainPath: files.certificateFile, privateKeyPath: files.privateKeyFile,
                    onHandshakeFailure: { error, peer in
                        // One failed handshake costs that connection only; it is logged at debug.
                        tlsLogger.debug("inbound TLS handshake failed", metadata: [
                            "reason": .string(error.description), "remote": .string(peer?.ipString ?? "-"),
                        ])
                    })
                serverTLS = context
                server = HTTPServer(
                    group: group, configuration: serverConfiguration, handler: handler,
                    streamFactory: context.streamFactory)
            } catch {
                throw .tls(error)
            }
        } else {
            serverTLS = nil
            server = HTTPServer(group: group, configuration: serverConfiguration, handler: handler)
        }
        do {
            address = try server.start()
        } catch {
            throw .listen(error)
        }
        state.set(.serving)
    }


    /// SIGHUP: reloads the HTTPS certificate and key; a bad pair keeps the old
    /// one and is logged.
    public func reloadServerTLS() {
        guard let context = serverTLS else { return }
        let logger = self.logger
        group.workerQueue.async {
            do throws(TLSConfigurationError) {
                try context.reload()
                logger.notice("TLS certificate reloaded")
            } catch {
                logger.error("TLS certificate reload failed; the previous one stays", metadata: [
                    "reason": .string(error.description),
                ])
            }
        }
    }

    /// SIGHUP: re-reads the tenants file off the loops and swaps it in; an invalid
    /// file keeps the registry in force. Logs and counts the outcome.
    public func reloadRegistry(environment: [String: String]) {
        guard let store = registry, let path = configuration.tenantsFile else { return }
        let logger = self.logger
        let metrics = self.metrics
        group.workerQueue.async {
            switch store.reload(path: path, environment: environment) {
            // Logged, then counted: whoever sees the count can find the line.
            case .success(let tenants):
                logger.notice("tenant registry reloaded", metadata: ["tenants": .stringConvertible(tenants)])
                metrics.reloaded(success: true)
            case .failure(let error):
                logger.error("tenant registry reload failed; the previous registry stays", metadata: [
                    "reason": .string(error.description),
                ])
                metrics.reloaded(success: false)
            }
        }
    }

    /// One `SO_REUSEPORT` listener per loop unless the benchmark knob
    /// `DAFTRA_GATEWAY_ACCEPT_STRATEGY=shared` asks for one shared listener: the
    /// two were measured against each other (Benchmarks/README.md), and
    /// the knob stays so that the comparison can be repeated. It is not an
    /// operator option.
    static func acceptStrategy() -> HTTPServerConfiguration.AcceptStrategy {
        guard let raw = getenv("DAFTRA_GATEWAY_ACCEPT_STRATEGY") else { return .listenerPerLoop }
        return HTTPServerConfiguration.AcceptStrategy(rawValue: String(cString: raw)) ?? .listenerPerLoop
    }

    /// Deadlines are swept often enough that the shortest timeout fires at most a
    /// quarter late, and never more often than every 5 ms.
    static func sweepInterval(_ c: GatewayConfiguration) -> Duration {
        let shortest = [c.headerTimeout, c.idleTimeout, c.upstreamTimeout, c.upstreamConnectTimeout].min()!
        return min(max(shortest / 4, .milliseconds(5)), .milliseconds(100))
    }

    /// Runs the contract's shutdown: readiness 503 at once, listeners closed after
    /// `--drain-delay`, then connections finish what they owe and close; after
    /// `--shutdown-timeout` (from now) whatever is left is cut. `completion` runs
    /// once, on a background queue, when no connection is left and every socket
    /// closing gracefully has seen its peer close (or given up waiting): exiting
    /// earlier would answer a client's next keep-alive request with a reset.
    public func shutdown(completion: @escaping @Sendable () -> Void) {
        guard !shutdownStarted.exchange(true, ordering: .relaxed) else { return }
        state.set(.draining)
        logger.notice("shutdown began", metadata: [
            "drain_delay": .string(GatewayDuration.format(configuration.drainDelay)),
            "shutdown_timeout": .string(GatewayDuration.format(configuration.shutdownTimeout)),
        ])
        let queue = DispatchQueue(label: "daftra-gateway.shutdown")
        let start = DispatchTime.now()
        let hardDeadline = start + .nanoseconds(Int(clamping: configuration.shutdownTimeout.nanoseconds))
        // Leave room inside the timeout for closing what is left.
        let drainEnd = min(
            start + .nanoseconds(Int(clamping: configuration.drainDelay.nanoseconds)),
            hardDeadline - .milliseconds(200))
        let server = self.server
        queue.asyncAfter(deadline: drainEnd) {
            server.closeListeners()
            server.shutdownConnections()
            Self.waitForConnections(server: server, queue: queue, deadline: hardDeadline - .milliseconds(100)) {
                completion()
            }
        }
    }

    private static func waitForConnections(
        server: HTTPServer, queue: DispatchQueue, deadline: DispatchTime, completion: @escaping @Sendable () -> Void
    ) {
        if server.openConnections == 0, server.closingSockets == 0 {
            completion()
            return
        }
        if DispatchTime.now() >= deadline {
            server.closeAllConnections()
            // Give the loops a moment to run the closes before the process exits.
            queue.asyncAfter(deadline: .now() + .milliseconds(50)) { completion() }
            return
        }
        queue.asyncAfter(deadline: .now() + .milliseconds(10)) {
            waitForConnections(server: server, queue: queue, deadline: deadline, completion: completion)
        }
    }
}
