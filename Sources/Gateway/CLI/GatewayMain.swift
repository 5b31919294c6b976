import Dispatch
import EventLoop
import Glibc
import Logging

/// The process: options, logging, the gateway, signals. The executable target
/// only calls ``run()``.
public enum GatewayMain {
    /// How long an exit waits for the log writer. Bounded because stdout may be
    /// a pipe nobody reads any more, and an exit must not wait on that: past
    /// this, the lines still queued are lost, as they would be at a SIGKILL.
    static let exitFlushTimeout: Duration = .milliseconds(100)

    /// Runs the gateway until a signal ends it; never returns.
    public static func run() -> Never {
        Socket.ignoreSIGPIPE()
        // From here on the signals are only delivered to the watchers installed
        // below: one arriving while the gateway starts waits for them instead of
        // killing the process (SIGHUP's default action ends it, too).
        SignalWatcher.block([SIGTERM, SIGINT, SIGHUP])
        let configuration = GatewayOptions.loadOrExit(environment: GatewayOptions.processEnvironment())
        let sink = LogSink(fileDescriptor: STDOUT_FILENO)
        _ = JSONLogHandler.bootstrap(level: configuration.logLevel, sink: sink)
        let logger = Logger(label: "daftra-gateway")

        let environment = ProcessEnvironment.all()
        let registry: TenantRegistry?
        do {
            registry = try GatewayApp.loadRegistry(configuration: configuration, environment: environment)
        } catch {
            logger.critical("invalid tenants file", metadata: ["error": .string(error.description)])
            let line = Array("daftra-gateway: error: --tenants: \(error.description)\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            _ = sink.flush(timeout: Self.exitFlushTimeout)
            exit(78)  // EX_CONFIG
        }

        let app: GatewayApp
        do {
            app = try GatewayApp(configuration: configuration, logger: logger, registry: registry, logSink: sink)
        } catch {
            logger.critical("cannot start", metadata: ["error": .string(error.description)])
            let line = Array("daftra-gateway: error: \(error.description)\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            _ = sink.flush(timeout: Self.exitFlushTimeout)
            exit(error.exitStatus)
        }
        var metadata = configuration.effectiveMetadata
        metadata["listening"] = .string(app.address.description)
        if let demo = app.demo {
            metadata["demo_upstream"] = .string(demo.upstreamTemplate)
        }
        logger.notice("daftra-gateway started", metadata: metadata)
        if app.demo != nil {
            // Human instructions go to stderr: stdout is one JSON object per line.
            _ = sink.flush(timeout: .milliseconds(200))
            let base = DemoUpstream.baseURL(listening: app.address, tls: configuration.tls != nil)
            let text = Array((DemoUpstream.curlCommands(base: base) + "\n").utf8)
            _ = text.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }

        let signals = SignalWatcher(signals: [SIGTERM, SIGINT], queue: DispatchQueue(label: "daftra-gateway.signals")) {
            signal in
            if app.state.phase == .draining {
                // A second signal: the operator wants out now.
                logger.warning("second signal, exiting at once", metadata: ["signal": .stringConvertible(signal)])
                _ = sink.flush(timeout: exitFlushTimeout)
                exit(128 + signal)
            }
            logger.notice("signal received", metadata: ["signal": .stringConvertible(signal)])
            app.shutdown {
                logger.notice("shutdown complete")
                // The shutdown left this much room before --shutdown-timeout.
                _ = sink.flush(timeout: exitFlushTimeout)
                exit(0)
            }
        }
        let hangups = SignalWatcher(signals: [SIGHUP], queue: DispatchQueue(label: "daftra-gateway.sighup")) { _ in
            logger.notice("SIGHUP: reloading")
            app.reloadRegistry(environment: ProcessEnvironment.all())
            app.reloadServerTLS()
        }
        withExtendedLifetime((signals, hangups)) {
            dispatchMain()
        }
    }
}
