import HTTP1

/// The life of one server connection, as a pure state machine: it sees events
/// (bytes arrived, a request parsed, an answer sent, a deadline passed, the peer
/// closed, shutdown began) and answers what the I/O code must do. It owns the
/// timeouts: `--header-timeout` runs from a request's first byte until its head
/// and body are in; `--idle-timeout` runs while nothing is asked and nothing owed.
public struct ConnectionStateMachine: Sendable {
    /// What the connection must do after an event.
    public enum Action: Equatable, Sendable {
        /// Nothing beyond what the event itself implies.
        case none
        /// Close now: nothing is owed to the peer.
        case close
        /// Answer `status` after every answer already owed, then close.
        case fail(status: Int, reason: String)
        /// Close once every answer owed has been sent.
        case closeAfterPending
    }

    /// Where the connection is.
    public enum Phase: Equatable, Sendable {
        /// Between requests: no byte of a new request yet.
        case idle
        /// Part of a request (head or body) has arrived.
        case receiving
        /// No more requests are read; the connection ends once answers are out.
        case closing
    }

    public private(set) var phase = Phase.idle
    /// Requests passed to the handler whose answers are not yet sent.
    public private(set) var owed = 0
    /// Set by ``shutdownBegan()``: the request being received is the last.
    public private(set) var shuttingDown = false
    /// Set by ``peerClosed()``: the peer sends no more. Answers owed are still
    /// sent (a half-closed peer may read them), but work that only an answer
    /// would pay for (a request still waiting for its turn) may be given up.
    public private(set) var peerHasClosed = false
    /// Monotonic nanoseconds at which ``deadlinePassed(now:)`` acts.
    public private(set) var deadline: UInt64

    private let headerTimeout: UInt64
    private let idleTimeout: UInt64

    public init(now: UInt64, headerTimeout: UInt64, idleTimeout: UInt64) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        // A new connection gets the header timeout for its first request: a peer
        // that connects and says nothing is a slow client, not an idle one.
        self.deadline = now &+ headerTimeout
    }

    /// Whether new bytes should still be parsed.
    public var isReading: Bool { phase != .closing }

    /// Bytes of a request arrived (the decoder has not yet finished it).
    public mutating func bytesArrived(now: UInt64) {
        if phase == .idle {
            phase = .receiving
            deadline = now &+ headerTimeout
        }
    }

    /// A whole request (head and body) was parsed and goes to the handler.
    public mutating func requestParsed(keepAlive: Bool, now: UInt64) -> Action {
        guard phase != .closing else { return .none }
        owed += 1
        if !keepAlive || shuttingDown {
            phase = .closing
            return .closeAfterPending
        }
        phase = .idle
        // Waiting for our own answer is not the peer's idleness.
        deadline = .max
        return .none
    }

    /// One owed answer was sent.
    public mutating func responseSent(now: UInt64) -> Action {
        precondition(owed > 0, "an answer was sent that was not owed")
        owed -= 1
        guard owed == 0 else { return .none }
        switch phase {
        case .closing:
            return .close
        case .idle:
            deadline = now &+ idleTimeout
            return .none
        case .receiving:
            return .none
        }
    }

    /// The decoder rejected the bytes: answer with `status` after what is owed.
    public mutating func parseFailed(_ error: HTTPParseError) -> Action {
        guard phase != .closing else { return .none }
        phase = .closing
        owed += 1
        deadline = .max
        return .fail(status: error.status, reason: error.reason)
    }

    /// The loop's sweep found the deadline passed.
    public mutating func deadlinePassed(now: UInt64) -> Action {
        guard now >= deadline else { return .none }
        switch phase {
        case .receiving:
            phase = .closing
            owed += 1
            deadline = .max
            return .fail(status: 408, reason: "the request did not arrive within the header timeout")
        case .idle:
            return owed == 0 ? .close : .none
        case .closing:
            return .none
        }
    }

    /// The peer closed its sending side.
    public mutating func peerClosed() -> Action {
        peerHasClosed = true
        if phase == .closing { return owed == 0 ? .close : .none }
        phase = .closing
        // A half-closed peer may still read the answers it asked for.
        return owed == 0 ? .close : .closeAfterPending
    }

    /// The server is shutting down: finish what is owed, take no new request.
    public mutating func shutdownBegan() -> Action {
        shuttingDown = true
        switch phase {
        case .closing:
            return .none
        case .idle:
            phase = .closing
            return owed == 0 ? .close : .closeAfterPending
        case .receiving:
            // A request is arriving: let it finish; it will be told to close.
            return .none
        }
    }

    /// Whether answers should carry `Connection: close`: shutdown or an ending request.
    public var closingAfterPending: Bool { phase == .closing }
}
