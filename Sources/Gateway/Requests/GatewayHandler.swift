import EventLoop
import HTTP1
import HTTPServer
import Logging

/// What an endpoint does with a request whose route matched; `parameters` are
/// the values of the route's `{placeholders}` in order.
public typealias Endpoint = @Sendable (_ exchange: RequestExchange, _ parameters: [Substring]) -> Void

/// The gateway's ``HTTPHandler``: request ids, routing through the table,
/// 404/405, and the problem answers to requests the codec rejected.
public final class GatewayHandler: HTTPHandler {
    public let router: Router<Endpoint>
    private let requestIDs: RequestIDGenerator
    private let accessLog: AccessLog
    private let metrics: GatewayMetrics

    public init(router: Router<Endpoint>, requestIDs: RequestIDGenerator, logger: Logger, metrics: GatewayMetrics) {
        self.router = router
        self.requestIDs = requestIDs
        self.accessLog = AccessLog(logger: logger)
        self.metrics = metrics
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let id = requestIDs.id(fromCaller: request.head.headers.first("x-request-id"))
        let exchange = RequestExchange(
            request: request, responder: responder, requestID: id, accessLog: accessLog, metrics: metrics)
        switch router.match(method: request.head.method, path: exchange.target.path) {
        case .found(let route, let parameters):
            exchange.route = route.template
            route.endpoint(exchange, parameters)
        case .methodNotAllowed(let route):
            exchange.route = route.template
            exchange.fail(GatewayError(
                .methodNotAllowed, "\(route.template) answers \(route.allow)",
                headers: [("Allow", route.allow)]))
        case .notFound:
            exchange.fail(GatewayError(.routeNotFound, "no such endpoint"))
        }
    }

    public func rejection(for error: HTTPParseError, remote: SocketAddress?, receivedAt: UInt64) -> HTTPResponse {
        let id = requestIDs.next()
        let kind = GatewayError.Kind.forParseStatus(error.status)
        let nanoseconds = receivedAt == 0 ? 0 : MonotonicClock.now() &- receivedAt
        let elapsed = Double(nanoseconds) / 1_000_000
        let response = ProblemResponse.make(GatewayError(kind, error.reason), requestID: id)
        metrics.requestFinished(method: "_OTHER", route: "rejected", status: response.status,
                                nanoseconds: nanoseconds, started: false)
        accessLog.write(AccessLogRecord(
            requestID: id, tenant: nil, method: nil, path: nil, route: "rejected", status: response.status,
            bytes: response.body.count, durationMilliseconds: elapsed, upstreamStatus: nil, upstreamMilliseconds: nil,
            gzip: false, remote: remote?.ipString ?? "-", traceID: nil, reason: error.reason))
        return response
    }
}
