import Synchronization

/// A tenant's token bucket, shared by every event loop without a lock.
///
/// The whole state is one `Atomic<UInt64>`: the *theoretical arrival time*
/// (TAT) of the generic cell rate algorithm, in monotonic nanoseconds. It is the
/// exact equivalent of a bucket of `burst` tokens refilled at `perSecond`: the
/// bucket holds `(now + burst·T − TAT) / T` tokens, where `T = 1/perSecond` is
/// the time one token takes to refill. Taking a token moves TAT forward by `T`;
/// a request is allowed when the new TAT is at most `burst·T` ahead of now.
///
/// Why this instead of packing a token count and a refill time into 64 bits:
/// one nanosecond timestamp holds both facts without fixed-point rounding or a
/// clock field that wraps after an hour of idleness, and a take is one load
/// and one compare-and-swap (retried only when another loop took a token in
/// between). A refused request does not write at all.
public final class TokenBucket: Sendable {
    /// The limit this bucket enforces.
    public let rateLimit: RateLimit
    /// Nanoseconds per token, rounded up so the bucket never admits more than the rate.
    private let interval: UInt64
    /// `burst · interval`: how far TAT may run ahead of now.
    private let tolerance: UInt64
    /// The theoretical arrival time; 0 means "full at any time".
    private let tat = Atomic<UInt64>(0)

    /// A full bucket for `rateLimit` (whose ranges ``TenantRegistry`` checks).
    public init(_ rateLimit: RateLimit) {
        precondition(rateLimit.perSecond > 0 && rateLimit.burst >= 1, "invalid rate limit")
        self.rateLimit = rateLimit
        let nanos = (1_000_000_000 / rateLimit.perSecond).rounded(.up)
        self.interval = max(1, UInt64(min(nanos, 1e15)))
        self.tolerance = interval.multipliedReportingOverflow(by: UInt64(rateLimit.burst)).partialValue
    }

    /// The outcome of one ``tryTake(now:)``, with what the response headers need.
    public struct Decision: Sendable, Equatable {
        /// Whether the request may go upstream.
        public let allowed: Bool
        /// The bucket's capacity (`burst`).
        public let limit: Int
        /// Whole tokens left after this request.
        public let remaining: Int
        /// Seconds (rounded up) until the bucket is full again; 0 when it is full.
        public let resetSeconds: Int
        /// Seconds (rounded up, at least 1) until a request would be allowed; 0 when allowed.
        public let retryAfterSeconds: Int

        /// Creates a decision.
        public init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int) {
            self.allowed = allowed
            self.limit = limit
            self.remaining = remaining
            self.resetSeconds = resetSeconds
            self.retryAfterSeconds = retryAfterSeconds
        }

        /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, and
        /// `Retry-After` when refused.
        public var headers: [(name: String, value: String)] {
            var out: [(name: String, value: String)] = [
                ("RateLimit-Limit", String(limit)),
                ("RateLimit-Remaining", String(remaining)),
                ("RateLimit-Reset", String(resetSeconds)),
            ]
            if !allowed {
                out.append(("Retry-After", String(retryAfterSeconds)))
            }
            return out
        }
    }

    /// Takes one token if there is one.
    /// - Parameter now: monotonic nanoseconds (``MonotonicClock/now()`` in
    ///   production; tests pass their own). Loops may pass slightly different
    ///   clocks; the arithmetic below stays correct when `now` is behind TAT.
    public func tryTake(now: UInt64) -> Decision {
        var current = tat.load(ordering: .relaxed)
        while true {
            let newTAT = max(current, now) &+ interval
            let horizon = now &+ tolerance
            if newTAT > horizon {
                // Refused: report how long until one token and until full, change nothing.
                return Decision(
                    allowed: false, limit: rateLimit.burst, remaining: 0,
                    resetSeconds: Self.seconds(max(current, now) - now),
                    retryAfterSeconds: max(1, Self.seconds(newTAT - horizon)))
            }
            let (exchanged, original) = tat.compareExchange(
                expected: current, desired: newTAT, ordering: .relaxed)
            if exchanged {
                return Decision(
                    allowed: true, limit: rateLimit.burst,
                    remaining: Int((horizon - newTAT) / interval),
                    resetSeconds: Self.seconds(newTAT - now),
                    retryAfterSeconds: 0)
            }
            current = original
        }
    }

    /// Whole tokens available at `now`, without taking one (metrics, tests).
    public func available(now: UInt64) -> Int {
        let current = max(tat.load(ordering: .relaxed), now)
        let horizon = now &+ tolerance
        return current >= horizon ? 0 : Int((horizon - current) / interval)
    }

    /// Nanoseconds rounded up to whole seconds.
    private static func seconds(_ nanos: UInt64) -> Int {
        Int(nanos / 1_000_000_000 + (nanos % 1_000_000_000 == 0 ? 0 : 1))
    }
}
