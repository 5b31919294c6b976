import EventLoop
import HTTP1
import HTTPServer
import Logging

/// One request on its way through the gateway: the answer goes out through it,
/// and so does the request's access-log line, exactly once.
// Loop-confined: created, filled and finished on the connection's loop.
public final class RequestExchange {
    public let request: HTTPRequest
    public let requestID: String
    /// The matched route's template (`/clients/{id}`), or `unmatched`: a bounded
    /// label for metrics, never the raw path.
    public internal(set) var route: String
    /// The tenant's subdomain or registry name, once known.
    public var tenant: String?
    public var upstreamStatus: Int?
    public var upstreamMilliseconds: Double?
    public var gzip = false
    public let target: RequestTarget
    /// The caller's W3C trace context, when it sent a valid one.
    public let traceparent: TraceParent?

    private let responder: HTTPResponder
    private let logger: Logger
    private let metrics: GatewayMetrics
    private var finished = false

    init(request: HTTPRequest, responder: HTTPResponder, requestID: String, logger: Logger, metrics: GatewayMetrics) {
        self.request = request
        self.responder = responder
        self.requestID = requestID
        self.logger = logger
        self.metrics = metrics
        metrics.requestStarted()
        self.target = RequestTarget(request.head.target)
        self.traceparent = request.head.headers.first("traceparent").flatMap(TraceParent.init(header:))
        self.route = "unmatched"
    }

    /// The loop the request lives on.
    public var loop: EventLoop { responder.loop }

    /// Answers with a JSON body (or any body with the given headers).
    public func finish(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8],
                       contentType: String = "application/json") {
        var all = headers
        all.reserveCapacity(headers.count + 3)
        all.add(name: "Content-Type", value: contentType)
        all.add(name: "Cache-Control", value: "no-store")
        all.add(name: "X-Request-Id", value: requestID)
        send(HTTPResponse(status: status, headers: all, body: body))
    }

    /// Answers with the problem document of `error`.
    public func fail(_ error: GatewayError) {
        send(ProblemResponse.make(error, requestID: requestID))
    }

    /// Sends a finished response and writes the access-log line.
    public func send(_ response: HTTPResponse) {
        guard !finished else { return }
        finished = true
        let elapsed = MonotonicClock.now() &- request.receivedAt
        log(status: response.status, bytes: responder.omitsBody ? 0 : response.body.count, nanoseconds: elapsed)
        metrics.requestFinished(method: request.head.method, route: route, status: response.status, nanoseconds: elapsed)
        responder.respond(response)
    }

    private func log(status: Int, bytes: Int, nanoseconds: UInt64) {
        logger.info("request", metadata: AccessLogRecord(
            requestID: requestID, tenant: tenant, method: request.head.method, path: target.path,
            route: route, status: status, bytes: bytes, durationMilliseconds: Double(nanoseconds) / 1_000_000,
            upstreamStatus: upstreamStatus, upstreamMilliseconds: upstreamMilliseconds, gzip: gzip,
            remote: request.remoteIP, traceID: traceparent?.traceID
        ).metadata)
    }
}
