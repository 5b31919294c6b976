import EventLoop
import HTTP1
import HTTPServer

/// `/livez`, `/healthz` and `/readyz`: the probes Kubernetes calls.
enum HealthEndpoints {
    /// How stale a loop's heartbeat may be before liveness fails.
    static let livenessTolerance: Duration = .seconds(5)
    private static let livenessToleranceNanoseconds = livenessTolerance.nanoseconds

    private static let ok: [UInt8] = Array(#"{"status":"ok"}"#.utf8)
    private static let unresponsive: [UInt8] = Array(#"{"status":"unresponsive"}"#.utf8)
    private static let ready: [UInt8] = Array(#"{"status":"ready"}"#.utf8)
    private static let starting: [UInt8] = Array(#"{"status":"starting"}"#.utf8)
    private static let draining: [UInt8] = Array(#"{"status":"draining"}"#.utf8)

    /// 200 while every loop sweeps its deadlines on time.
    static func live(_ exchange: RequestExchange, group: EventLoopGroup) {
        // The request's arrival is a clock reading of a moment ago: a loop
        // that swept since then is newer still, which counts as responsive.
        if group.allResponsive(toleranceNanoseconds: livenessToleranceNanoseconds, now: exchange.request.receivedAt) {
            exchange.finish(status: 200, body: ok)
        } else {
            exchange.finish(status: 503, body: unresponsive)
        }
    }

    /// 200 while serving; 503 while starting or draining.
    static func ready(_ exchange: RequestExchange, state: ServiceState) {
        switch state.phase {
        case .serving: exchange.finish(status: 200, body: ready)
        case .starting: exchange.finish(status: 503, body: starting)
        case .draining: exchange.finish(status: 503, body: draining)
        }
    }
}
