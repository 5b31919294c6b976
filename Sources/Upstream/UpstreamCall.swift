import EventLoop
import HTTP1

/// One upstream exchange in flight: its deadlines, its place (waiting for a
/// connection, connecting, or on a connection), and the completion that runs
/// exactly once.
// @unchecked Sendable: confined to `loop.queue`, like everything of the client.
final class UpstreamCall: DeadlineWatcher, @unchecked Sendable {
    enum Place {
        case waiting
        case connecting(ConnectAttempt?)
        case onConnection(UpstreamConnection)
        case done
    }

    let request: UpstreamRequest
    let encoded: [UInt8]
    let loop: EventLoop
    private let completion: (Result<UpstreamResponse, UpstreamError>) -> Void
    /// The end of the whole exchange (`--upstream-timeout`).
    let exchangeDeadline: UInt64
    /// The end of the current connect, while connecting (`--upstream-connect-timeout`).
    var connectDeadline: UInt64 = .max
    /// The end of the TCP connect to the current address while others remain: an
    /// address that drops SYNs must not take the whole connect timeout.
    var attemptDeadline: UInt64 = .max
    /// Tries the next address, while one remains.
    var nextAddress: (() -> Void)?
    var place = Place.waiting
    /// A failed reused connection gets one retry on a fresh one.
    var retried = false
    weak var pool: OriginPool?

    init(request: UpstreamRequest, loop: EventLoop, timeout: UInt64,
         completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void) {
        self.request = request
        self.encoded = request.encoded()
        self.loop = loop
        self.completion = completion
        self.exchangeDeadline = MonotonicClock.now() &+ timeout
        loop.watch(self)
    }

    var isDone: Bool {
        if case .done = place { return true }
        return false
    }

    var deadline: UInt64 { min(exchangeDeadline, connectDeadline, attemptDeadline) }

    func deadlineExpired(now: UInt64) {
        if case .connecting(let attempt) = place, now >= attemptDeadline, now < connectDeadline,
           now < exchangeDeadline, let next = nextAddress {
            attempt?.cancel()
            attemptDeadline = .max
            nextAddress = nil
            next()
            return
        }
        if case .connecting(let attempt) = place, now >= connectDeadline, connectDeadline < exchangeDeadline {
            attempt?.cancel()
            pool?.connectFailed(for: self)
            finish(.failure(UpstreamError(.connectTimeout, "connect to \(request.endpoint) timed out")))
            return
        }
        switch place {
        case .waiting:
            pool?.removeWaiter(self)
            finish(.failure(UpstreamError(.timeout, "no connection to \(request.endpoint) became free in time")))
        case .connecting(let attempt):
            attempt?.cancel()
            pool?.connectFailed(for: self)
            finish(.failure(UpstreamError(.connectTimeout, "connect to \(request.endpoint) timed out")))
        case .onConnection(let connection):
            finish(.failure(UpstreamError(.timeout, "\(request.endpoint) did not answer in time")))
            connection.abandon()
        case .done:
            break
        }
    }

    /// Delivers the outcome once and stops the deadline.
    func finish(_ result: Result<UpstreamResponse, UpstreamError>) {
        if isDone { return }
        place = .done
        attemptDeadline = .max
        nextAddress = nil
        loop.unwatch(self)
        completion(result)
    }
}
