import Synchronization

/// Handshake counters of one TLS context, readable from any thread so the
/// gateway can export them. Relaxed atomics: each counter is independent.
public final class TLSMetrics: Sendable {
    private let completed = Atomic<Int>(0)
    private let resumed = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)

    /// Counters at zero.
    public init() {}

    /// Handshakes that completed (full or resumed).
    public var handshakes: Int { completed.load(ordering: .relaxed) }
    /// Completed handshakes that resumed an earlier session (`SSL_session_reused`).
    public var resumedHandshakes: Int { resumed.load(ordering: .relaxed) }
    /// Handshakes that failed or timed out.
    public var failedHandshakes: Int { failed.load(ordering: .relaxed) }

    func handshakeCompleted(resumed wasResumed: Bool) {
        completed.add(1, ordering: .relaxed)
        if wasResumed { resumed.add(1, ordering: .relaxed) }
    }

    func handshakeFailed() {
        failed.add(1, ordering: .relaxed)
    }
}
