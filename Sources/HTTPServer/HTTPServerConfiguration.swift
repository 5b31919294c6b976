import EventLoop
import HTTP1

/// How the server listens and what it tolerates.
public struct HTTPServerConfiguration: Sendable {
    /// How accepted connections reach the loops.
    public enum AcceptStrategy: String, Sendable, CaseIterable {
        /// One `SO_REUSEPORT` listener per loop; the kernel spreads connections.
        case listenerPerLoop = "reuseport"
        /// One listener on the first loop hands connections out round robin.
        case sharedListener = "shared"
    }

    public var host: String
    public var port: UInt16
    public var limits: HTTPLimits
    public var headerTimeout: Duration
    public var idleTimeout: Duration
    public var maxConnections: Int
    public var backlog: Int32
    public var acceptStrategy: AcceptStrategy

    public init(
        host: String = "0.0.0.0",
        port: UInt16 = 8080,
        limits: HTTPLimits = HTTPLimits(),
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        maxConnections: Int = 10_000,
        backlog: Int32 = 4096,
        acceptStrategy: AcceptStrategy = .listenerPerLoop
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.backlog = backlog
        self.acceptStrategy = acceptStrategy
    }
}
