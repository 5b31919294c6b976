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
    public internal(set) var route: String {
        get { progress.route }
        set { progress.route = newValue }
    }
    /// The tenant's subdomain or registry name, once known.
    public var tenant: String? {
        get { progress.tenant }
        set { progress.tenant = newValue }
    }
    public var upstreamStatus: Int? {
        get { progress.upstreamStatus }
        set { progress.upstreamStatus = newValue }
    }
    public var upstreamMilliseconds: Double? {
        get { progress.upstreamMilliseconds }
        set { progress.upstreamMilliseconds = newValue }
    }
    public var gzip: Bool {
        get { progress.gzip }
        set { progress.gzip = newValue }
    }
    public let target: RequestTarget
    /// The caller's W3C trace context, when it sent a valid one.
    public let traceparent: TraceParent?

    private let responder: HTTPResponder
    private let accessLog: AccessLog
    private let metrics: GatewayMetrics

    /// What is learned about the request on its way, kept in one stored
    /// property: every access to a class's stored `var` is a dynamic
    /// exclusivity check, and finishing reads all of these.
    private struct Progress {
        var route = "unmatched"
        var tenant: String?
        var upstreamStatus: Int?
        var upstreamMilliseconds: Double?
        var gzip = false
        var finished = false

        /// Marks the request finished and returns what was learned, or nil if
        /// it was finished before: one access to the stored property for both.
        mutating func finish() -> Progress? {
            guard !finished else { return nil }
            finished = true
            return self
        }
    }
    private var progress = Progress()

    init(request: HTTPRequest, responder: HTTPResponder, requestID: String, accessLog: AccessLog,
         metrics: GatewayMetrics) {
        self.request = request
        self.responder = responder
        self.requestID = requestID
        self.accessLog = accessLog
        self.metrics = metrics
        metrics.requestStarted()
        self.target = RequestTarget(request.head.target)
        self.traceparent = request.head.headers.first("traceparent").flatMap(TraceParent.init(header:))
    }

    /// The loop the request lives on.
    public var loop: EventLoop { responder.loop }

    /// The fields ``finish(status:headers:body:contentType:)`` adds to the given ones.
    public static let standardFieldCount = 3

    /// Answers with a JSON body (or any body with the given headers).
    public func finish(status: Int, headers: consuming HTTPHeaders = HTTPHeaders(), body: [UInt8],
                       contentType: String = "application/json") {
        // Taken over, not copied: a caller that made room for the standard
        // fields (``standardFieldCount``) then pays no second allocation.
        var all = consume headers
        all.reserveCapacity(all.count + Self.standardFieldCount)
        all.add(name: "Content-Type", value: contentType)
        all.add(name: "Cache-Control", value: "no-store")
        all.add(name: "X-Request-Id", value: requestID)
        send(HTTPResponse(status: status, headers: all, body: body))
    }

    /// The status that the access line and metrics record for a request whose
    /// caller hung up before it was answered (nginx's "client closed request").
    /// It is never sent: nobody is there to read it.
    public static let callerClosedStatus = 499

    /// Whether the caller hung up (``HTTPResponder/callerHasHungUp``).
    public var callerHasHungUp: Bool { responder.callerHasHungUp }

    /// Ends a request whose caller hung up, without an answer: the access line
    /// (one per request, as always) and the metrics record
    /// ``callerClosedStatus``, and the connection closes (``HTTPResponder/abandon()``).
    public func abandon() {
        guard record(status: Self.callerClosedStatus, bytes: 0) else { return }
        responder.abandon()
    }

    /// Answers with the problem document of `error`.
    public func fail(_ error: GatewayError) {
        send(ProblemResponse.make(error, requestID: requestID))
    }

    /// Sends a finished response and writes the access-log line.
    ///
    /// When the caller's connection is already gone (it reset the connection
    /// while the answer was being made), nothing can be sent: the line and the
    /// metrics then record ``callerClosedStatus`` and no bytes, rather than a
    /// status nobody received.
    public func send(_ response: HTTPResponse) {
        let delivered = responder.isConnectionOpen
        guard record(status: delivered ? response.status : Self.callerClosedStatus,
                     bytes: delivered && !responder.omitsBody ? response.body.count : 0) else { return }
        responder.respond(response)
    }

    /// Ends the request's progress and writes its access line and metrics, once:
    /// false when the request was already ended (answered or abandoned).
    private func record(status: Int, bytes: Int) -> Bool {
        guard let state = progress.finish() else { return false }
        let elapsed = MonotonicClock.now() &- request.receivedAt
        log(state, status: status, bytes: bytes, nanoseconds: elapsed)
        metrics.requestFinished(method: request.head.method, route: state.route, status: status, nanoseconds: elapsed)
        return true
    }

    private func log(_ state: Progress, status: Int, bytes: Int, nanoseconds: UInt64) {
        accessLog.write(AccessLogRecord(
            requestID: requestID, tenant: state.tenant, method: request.head.method, path: target.path,
            route: state.route, status: status, bytes: bytes, durationMilliseconds: Double(nanoseconds) / 1_000_000,
            upstreamStatus: state.upstreamStatus, upstreamMilliseconds: state.upstreamMilliseconds, gzip: state.gzip,
            remote: request.remoteIP, traceID: traceparent?.traceID))
    }
}
