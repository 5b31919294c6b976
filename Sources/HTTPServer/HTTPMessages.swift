import EventLoop
import HTTP1

/// A complete request as the handler sees it: head, body and where it came from.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    /// The body, at most ``HTTPLimits/maxBodyBytes``.
    public var body: [UInt8]
    /// The peer's address.
    public var remote: SocketAddress?
    /// The peer's IP address as text (`-` when unknown), for logs.
    public var remoteIP: String
    /// Monotonic nanoseconds when the request's first byte was parsed.
    public var receivedAt: UInt64

    /// - Parameter remoteIP: the text of `remote`'s address; a connection renders
    ///   it once for all of its requests. Rendered here when not given.
    public init(head: HTTPRequestHead, body: [UInt8], remote: SocketAddress?, remoteIP: String? = nil,
                receivedAt: UInt64) {
        self.head = head
        self.body = body
        self.remote = remote
        self.remoteIP = remoteIP ?? remote?.ipString ?? "-"
        self.receivedAt = receivedAt
    }
}

/// An answer. `Content-Length`, `Date` and `Connection` are added by the server.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Answers requests. One handler serves every loop, so it is `Sendable`; each
/// call happens on the loop of the connection, and the responder it gets must be
/// used on that loop (``HTTPResponder/loop``).
public protocol HTTPHandler: Sendable {
    /// Answers `request` now or later, exactly once, through `responder`.
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
    /// Builds the answer to bytes the codec rejected (400, 408, 413, 414, 431,
    /// 501, 505); the connection closes after it.
    func rejection(for error: HTTPParseError, remote: SocketAddress?, receivedAt: UInt64) -> HTTPResponse
}

/// The one-shot reply channel of a request, confined to its connection's loop.
///
/// Answers are sent in request order (pipelining); a responder whose connection
/// has gone silently drops its answer.
// @unchecked Sendable: a responder may be carried to work that finishes later,
// but its state is touched only on `loop` (asserted by `respond`), where its
// connection lives.
public final class HTTPResponder: @unchecked Sendable {
    /// The loop the answer must be given on.
    public let loop: EventLoop
    let connection: HTTPServerConnection
    let sequence: Int
    /// Whether the answer goes without its body (an answer to HEAD).
    public let omitsBody: Bool
    let http10: Bool
    private var done = false

    init(connection: HTTPServerConnection, sequence: Int, omitBody: Bool, http10: Bool) {
        self.loop = connection.stream.loop
        self.connection = connection
        self.sequence = sequence
        self.omitsBody = omitBody
        self.http10 = http10
    }

    /// Whether the connection is still there to take an answer.
    public var isConnectionOpen: Bool { connection.isOpen }

    /// Whether the caller has hung up: its connection is gone, or it closed its
    /// sending side. The server still answers a half-closed peer, which may read
    /// on; but as nginx (499) and Go's `net/http` (a cancelled request context)
    /// do, a handler may take a hang-up to mean nobody waits for the answer, and
    /// give up work it has not started (``abandon()``).
    public var callerHasHungUp: Bool { connection.callerHasHungUp }

    /// Gives up on answering a caller that hung up (``callerHasHungUp``):
    /// nothing is sent for this request, and the connection closes after the
    /// answers already queued rather than wait for this one.
    public func abandon() {
        loop.assertInLoop()
        precondition(!done, "a request was answered twice")
        done = true
        connection.abandon()
    }

    /// Sends `response` (in order with the connection's other answers).
    public func respond(_ response: HTTPResponse) {
        loop.assertInLoop()
        precondition(!done, "a request was answered twice")
        done = true
        connection.complete(self, with: response)
    }
}
