import EventLoop
import CoreMetrics
import Metrics
import Prometheus

/// The gateway's metrics, recorded through swift-metrics into a private
/// swift-prometheus registry and rendered at `GET /metrics`.
///
/// Label values are bounded: route templates (never raw paths), a fixed set of
/// method names (others are `_OTHER`), numeric statuses, outcome classes, and
/// tenant names only for registry tenants. Handles are cached per label set,
/// so the hot path does one dictionary lookup under a short lock, then the
/// library's own atomic update.
public final class GatewayMetrics: Sendable {
    /// OpenTelemetry's suggested buckets for HTTP durations, in seconds.
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(75),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .milliseconds(750), .seconds(1),
        .milliseconds(2500), .seconds(5), .milliseconds(7500), .seconds(10),
    ]

    /// ``durationBuckets`` in seconds: the histograms record seconds as `Double`.
    static let durationBucketSeconds: [Double] = durationBuckets.map { Double($0.nanoseconds) / 1e9 }

    /// `http_server_request_duration_seconds` (a computed property: the
    /// descriptor is not `Sendable`; it is needed once per new label set).
    static var requestDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "http_server_request_duration", unitName: "seconds",
            helpText: "Time from a request's head to its answer, by method, route and status.")
    }
    /// `gateway_upstream_request_duration_seconds`.
    static var upstreamDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "gateway_upstream_request_duration", unitName: "seconds",
            helpText: "Time of each upstream exchange, by outcome.")
    }

    /// Methods kept as label values; any other becomes `_OTHER`.
    /// A list, not a set: comparing a short string with a handful of others
    /// costs less than hashing it, and the common methods come first.
    static let knownMethods: [String] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// One timer per method, route and status. The key is a struct, not an
    /// interpolated string: building and freeing that string cost every request.
    private struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int

        /// Hashes what is cheap to hash: the status and the lengths of the
        /// strings. Hashing the strings' bytes was most of a lookup's cost, and
        /// the few keys that collide are told apart by `==`, which compares
        /// short strings as two words.
        func hash(into hasher: inout Hasher) {
            hasher.combine(status &<< 16 | method.utf8.count &<< 8 | route.utf8.count)
        }
    }
    // The duration histograms are swift-prometheus's `Histogram<Double>` of
    // seconds, made on the registry itself, rather than swift-metrics timers
    // (`Histogram<Duration>` behind an existential): the exposition is the same
    // (`le` labels, sum in seconds), but a timer compares the value with every
    // bucket as a 128-bit `Duration`, a call each, and a swift-metrics recorder
    // converts through unspecialised generic code, together about 1 100 of a
    // `/livez` request's 21 600 instructions (callgrind). Recording into the
    // concrete histogram is specialised here and compares doubles inline.
    private let requestTimers = Locked<[RequestKey: ValueHistogram]>([:])
    private let upstreamTimers = Locked<[String: ValueHistogram]>([:])
    private let rateLimited = Locked<[String: CoreMetrics.Counter]>([:])
    private let reloads = Locked<[String: CoreMetrics.Counter]>([:])
    private let activeRequests: CoreMetrics.Meter
    private let gzipIn: CoreMetrics.Counter
    private let gzipOut: CoreMetrics.Counter
    private let upstreamOpen: CoreMetrics.Meter
    private let upstreamIdle: CoreMetrics.Meter
    private let tlsFull: TotalCounter
    private let tlsResumed: TotalCounter
    private let logDropped: TotalCounter
    private let logWriteFailures: TotalCounter

    public init(version: String) {
        registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        self.factory = factory
        activeRequests = CoreMetrics.Meter(label: "http_server_active_requests", factory: factory)
        gzipIn = CoreMetrics.Counter(label: "gateway_gzip_bytes_in_total", factory: factory)
        gzipOut = CoreMetrics.Counter(label: "gateway_gzip_bytes_out_total", factory: factory)
        upstreamOpen = CoreMetrics.Meter(label: "gateway_upstream_connections", dimensions: [("state", "open")], factory: factory)
        upstreamIdle = CoreMetrics.Meter(label: "gateway_upstream_connections", dimensions: [("state", "idle")], factory: factory)
        tlsFull = TotalCounter(label: "gateway_upstream_tls_handshakes_total", dimensions: [("resumed", "false")], factory: factory)
        tlsResumed = TotalCounter(label: "gateway_upstream_tls_handshakes_total", dimensions: [("resumed", "true")], factory: factory)
        logDropped = TotalCounter(label: "gateway_log_lines_dropped_total", dimensions: [], factory: factory)
        logWriteFailures = TotalCounter(label: "gateway_log_write_failures_total", dimensions: [], factory: factory)
        CoreMetrics.Gauge(label: "gateway_build_info", dimensions: [("version", version)], factory: factory).record(1)
    }

    /// A request began.
    public func requestStarted() {
        activeRequests.increment()
    }

    /// A request was answered (`started` pairs with ``requestStarted()``).
    public func requestFinished(method: String, route: String, status: Int, nanoseconds: UInt64, started: Bool = true) {
        if started { activeRequests.decrement() }
        let m = Self.knownMethods.contains(method) ? method : "_OTHER"
        let key = RequestKey(method: m, route: route, status: status)
        let timer = requestTimers.withLock { timers in
            if let t = timers[key] { return t }
            let t = registry.makeValueHistogram(
                descriptor: Self.requestDuration,
                labels: [("http_request_method", m), ("http_route", route), ("http_response_status_code", String(status))],
                buckets: Self.durationBucketSeconds)
            timers[key] = t
            return t
        }
        timer.record(Self.seconds(nanoseconds))
    }

    /// An upstream exchange ended with `outcome` (`ok`, `http_error`, `timeout`, ...).
    public func upstreamFinished(outcome: String, nanoseconds: UInt64) {
        let timer = upstreamTimers.withLock { timers in
            if let t = timers[outcome] { return t }
            let t = registry.makeValueHistogram(
                descriptor: Self.upstreamDuration, labels: [("outcome", outcome)], buckets: Self.durationBucketSeconds)
            timers[outcome] = t
            return t
        }
        timer.record(Self.seconds(nanoseconds))
    }

    /// `nanoseconds` in seconds.
    @inline(__always)
    private static func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }

    /// A body was gzipped from `inBytes` to `outBytes`.
    public func gzipped(inBytes: Int, outBytes: Int) {
        gzipIn.increment(by: Int64(inBytes))
        gzipOut.increment(by: Int64(outBytes))
    }

    /// A registry tenant's request was refused by its rate limit.
    public func rateLimited(tenant: String) {
        counter(in: rateLimited, label: "gateway_rate_limited_requests_total", key: tenant,
                dimensions: [("tenant", tenant)]).increment()
    }

    /// A registry reload finished (`success` or `failure`).
    public func reloaded(success: Bool) {
        let result = success ? "success" : "failure"
        counter(in: reloads, label: "gateway_config_reloads_total", key: result, dimensions: [("result", result)])
            .increment()
    }

    private func counter(in cache: Locked<[String: CoreMetrics.Counter]>, label: String, key: String,
                         dimensions: [(String, String)]) -> CoreMetrics.Counter {
        cache.withLock { counters in
            if let c = counters[key] { return c }
            let c = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = c
            return c
        }
    }

    /// Values read at scrape time from their owners.
    public struct Snapshot: Sendable {
        public var upstreamOpen: Int
        public var upstreamIdle: Int
        public var tlsHandshakes: Int
        public var tlsResumed: Int
        /// Log lines the log sink dropped (queue full) and writes that failed, so far.
        public var logLinesDropped: Int
        public var logWriteFailures: Int

        public init(upstreamOpen: Int, upstreamIdle: Int, tlsHandshakes: Int, tlsResumed: Int,
                    logLinesDropped: Int = 0, logWriteFailures: Int = 0) {
            self.upstreamOpen = upstreamOpen
            self.upstreamIdle = upstreamIdle
            self.tlsHandshakes = tlsHandshakes
            self.tlsResumed = tlsResumed
            self.logLinesDropped = logLinesDropped
            self.logWriteFailures = logWriteFailures
        }
    }

    /// The Prometheus text exposition, after taking `snapshot`'s values.
    public func render(_ snapshot: Snapshot) -> [UInt8] {
        upstreamOpen.set(snapshot.upstreamOpen)
        upstreamIdle.set(snapshot.upstreamIdle)
        tlsFull.observe(snapshot.tlsHandshakes - snapshot.tlsResumed)
        tlsResumed.observe(snapshot.tlsResumed)
        logDropped.observe(snapshot.logLinesDropped)
        logWriteFailures.observe(snapshot.logWriteFailures)
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}

/// A Prometheus counter fed from a running total its owner keeps (the TLS
/// layer's handshakes, the log sink's drops): each scrape adds what the total
/// grew by since the last one.
private final class TotalCounter: Sendable {
    private let counter: CoreMetrics.Counter
    /// The total already added to the counter.
    private let seen = Locked<Int>(0)

    init(label: String, dimensions: [(String, String)], factory: PrometheusMetricsFactory) {
        counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
    }

    func observe(_ total: Int) {
        let added = seen.withLock { seen in
            defer { seen = max(seen, total) }
            return max(0, total - seen)
        }
        if added > 0 { counter.increment(by: Int64(added)) }
    }
}
