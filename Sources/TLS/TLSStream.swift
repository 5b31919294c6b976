import COpenSSL
import EventLoop
import Synchronization
import Upstream

/// `SSL` objects made by streams and not yet freed, across the process: the
/// leak check of the tests (every stream must free its session exactly once).
let liveTLSSessions = Atomic<Int>(0)

/// A TLS session over a ``SocketChannel``: a ``ByteStream`` to its user, and the
/// channel's delegate underneath.
///
/// OpenSSL never touches the socket. It reads ciphertext from a memory BIO that
/// the channel's reads are copied into, and writes ciphertext to a memory BIO
/// that is handed to the channel after every OpenSSL call, so all I/O stays on
/// the channel's Dispatch sources:
/// - `SSL_ERROR_WANT_READ` means "the next read event": the channel's read
///   source is armed while reading is wanted, and its next bytes call OpenSSL again.
/// - `SSL_ERROR_WANT_WRITE` cannot happen, because a memory BIO always takes
///   everything; "writing" is flushing that BIO to the channel, which sends what
///   the kernel takes and queues the rest on its write source.
///
/// The stream handshakes first (as a client once ``beginClientHandshake`` runs,
/// as a server once ``start()`` lets the client's hello in), then relays
/// plaintext. Closing sends `close_notify` when the session is healthy; the
/// `SSL` (and with it both BIOs) is freed exactly once, when the stream closes.
// @unchecked Sendable: every mutable property is confined to `loop.queue`: the
// channel delivers its events there, users call in only from there (asserted in
// debug builds), and the deadline sweep and deferred drains run there too.
public final class TLSStream: ByteStream, ByteStreamDelegate, DeadlineWatcher, @unchecked Sendable {
    /// The channel's loop; every call and event of the stream happens on it.
    public let loop: EventLoop
    /// The socket underneath; owned by this stream (tests close it directly to
    /// model a peer that drops TCP without shutting TLS down).
    public let channel: SocketChannel
    /// Receives the plaintext and the stream's events; held until the stream closes.
    public var delegate: (any ByteStreamDelegate)?

    enum Role {
        case server(TLSHandshakeFailureObserver?)
        case client(ClientSide)
    }

    /// What a client stream needs beyond the session: whom it verifies and where
    /// its sessions are kept.
    struct ClientSide {
        let host: String
        let port: UInt16
        let sessions: SessionCache
        var sessionKey: String { "\(host):\(port)" }
    }

    /// Why a client handshake did not complete.
    enum HandshakeFailure: Error {
        case failed(TLSError)
        case timedOut
    }

    enum Phase {
        case handshaking
        case established
        /// `close(.afterFlush)` was asked; waiting for the channel to flush.
        case closing
        case closed
    }

    let role: Role
    let metrics: TLSMetrics
    /// The session; nil once freed (or if it could not be created).
    var ssl: OpaquePointer?
    /// Ciphertext from the peer, owned by `ssl`.
    var rbio: OpaquePointer?
    /// Ciphertext to the peer, owned by `ssl`.
    var wbio: OpaquePointer?
    var phase = Phase.handshaking
    private var channelStarted = false
    /// The user called `start()`: plaintext may be delivered.
    var started = false
    /// The user paused reading.
    var paused = false
    /// The channel reported the peer's FIN.
    var peerEOF = false
    /// The peer ended the session with `close_notify` (not just a TCP FIN).
    var receivedCloseNotify = false

    /// Whether the end of the stream was the peer's `close_notify`: a FIN alone
    /// may be an attacker's or a crash's truncation (RFC 9112 §9.8).
    public var endIsConfirmed: Bool { receivedCloseNotify }
    var eofDelivered = false
    /// A fatal TLS error happened: no `close_notify` may be sent.
    var fatal = false
    /// Plaintext written before the handshake completed.
    var pendingPlaintext: [UInt8] = []
    private var drainScheduled = false
    /// Calls out to the channel in progress; `SSL_free` waits until they return.
    var channelCalls = 0
    private var freeDeferred = false
    var handshakeCompletion: ((Result<Void, HandshakeFailure>) -> Void)?
    /// While a client handshake runs: when it times out.
    public private(set) var deadline: UInt64 = .max

    init(ssl: OpaquePointer?, role: Role, metrics: TLSMetrics, over channel: SocketChannel) {
        self.loop = channel.loop
        self.channel = channel
        self.role = role
        self.metrics = metrics
        if let ssl {
            let r = BIO_new(BIO_s_mem())
            let w = BIO_new(BIO_s_mem())
            if let r, let w {
                SSL_set_bio(ssl, r, w)  // the SSL owns both from here on
                self.ssl = ssl
                self.rbio = r
                self.wbio = w
                liveTLSSessions.add(1, ordering: .relaxed)
            } else {
                if let r { BIO_free(r) }
                if let w { BIO_free(w) }
                SSL_free(ssl)
            }
        }
        channel.delegate = self
        if let ssl = self.ssl {
            _ = copenssl_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    deinit {
        // Every path that ends a stream frees the session in `teardown`; this only
        // covers a stream dropped without ever being started or closed.
        freeSession()
    }

    /// A server session over an accepted socket.
    convenience init(server context: SSLContextHandle, metrics: TLSMetrics,
                     observer: TLSHandshakeFailureObserver?, over channel: SocketChannel) {
        ERR_clear_error()
        let ssl = SSL_new(context.raw)
        if let ssl { SSL_set_accept_state(ssl) }
        ERR_clear_error()
        self.init(ssl: ssl, role: .server(observer), metrics: metrics, over: channel)
    }

    // MARK: - ByteStream

    /// Ciphertext the channel has queued, plus plaintext held until the handshake completes.
    public var pendingWriteBytes: Int { channel.pendingWriteBytes + pendingPlaintext.count }

    /// Whether the stream is handshaking or established (not closing, not closed).
    public var isOpen: Bool { phase == .handshaking || phase == .established }

    /// Whether the handshake completed (tests and metrics).
    public var isEstablished: Bool { phase == .established }

    /// The protocol ALPN chose, if any.
    public var negotiatedProtocol: String? {
        guard let ssl else { return nil }
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Starts delivering plaintext; on a server stream, also starts the socket,
    /// whose first bytes begin the handshake.
    public func start() {
        loop.assertInLoop()
        guard isOpen, !started else { return }
        started = true
        guard ssl != nil else {
            fail(TLSError(.protocolError, "cannot create a TLS session: \(OpenSSLErrorQueue.drain())"))
            return
        }
        startChannel()
        scheduleDrain()
    }

    /// Encrypts `bytes` and hands the records to the channel; before the handshake
    /// completes they wait in plaintext.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        loop.assertInLoop()
        guard bytes.count > 0 else { return }
        switch phase {
        case .handshaking:
            pendingPlaintext.append(contentsOf: bytes)
        case .established:
            if pendingPlaintext.isEmpty {
                encrypt(bytes)
                releaseGrownBuffers()
            } else {
                pendingPlaintext.append(contentsOf: bytes)
            }
        case .closing, .closed:
            break
        }
    }

    /// Stops reading the socket and delivering plaintext (back-pressure); what
    /// OpenSSL already holds waits for ``resumeReading()``.
    public func pauseReading() {
        loop.assertInLoop()
        paused = true
        channel.pauseReading()
    }

    /// Delivers what was held back (on a later turn of the loop) and reads on.
    public func resumeReading() {
        loop.assertInLoop()
        guard isOpen else { return }
        paused = false
        // After the peer's FIN the channel has stopped for good; resuming it would
        // only report the FIN again.
        if !peerEOF { channel.resumeReading() }
        scheduleDrain()
    }

    /// Closes the session. An established session sends `close_notify` first
    /// (both modes: one small record, and without it OpenSSL marks the session
    /// not resumable); `.afterFlush` then lets the channel flush and linger,
    /// `.immediately` closes the socket now. `streamDidClose` follows either way.
    public func close(_ mode: CloseMode) {
        loop.assertInLoop()
        switch phase {
        case .closed:
            return
        case .closing:
            if mode == .immediately { teardown(error: nil, channelMode: .immediately) }
        case .handshaking:
            let completion = handshakeCompletion
            handshakeCompletion = nil
            teardown(error: nil, channelMode: mode)
            completion?(.failure(.failed(TLSError(.protocolError, "closed during the TLS handshake"))))
        case .established:
            sendCloseNotify()
            guard phase == .established else { return }
            if mode == .immediately {
                teardown(error: nil, channelMode: .immediately)
            } else {
                phase = .closing
                pendingPlaintext = []
                // The channel flushes, then reports its close, and this stream's follows.
                channel.close(.afterFlush)
            }
        }
    }

    // MARK: - Client handshake

    /// Starts the client handshake; `completion` runs once on the loop: success
    /// when the handshake completes, or why not (including `timeout` passing).
    func beginClientHandshake(timeout: UInt64, completion: @escaping (Result<Void, HandshakeFailure>) -> Void) {
        loop.assertInLoop()
        handshakeCompletion = completion
        guard ssl != nil else {
            failHandshake(.failed(TLSError(.protocolError, "cannot create a TLS session: \(OpenSSLErrorQueue.drain())")))
            return
        }
        deadline = MonotonicClock.now() &+ timeout
        loop.watch(self)
        startChannel()
        drive()
    }

    /// The client handshake's deadline passed: it fails as a timeout.
    public func deadlineExpired(now: UInt64) {
        guard phase == .handshaking else {
            stopDeadline()
            return
        }
        failHandshake(.timedOut)
    }

    // MARK: - Channel events

    /// Channel event (not for users): ciphertext arrived; it is copied into the
    /// input BIO and OpenSSL runs as far as it allows.
    public func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard isOpen, let rbio, let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = BIO_write(rbio, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
            guard n > 0 else {
                fail(TLSError(.protocolError, "cannot buffer TLS input: \(OpenSSLErrorQueue.drain())"))
                return
            }
            offset += Int(n)
        }
        drive()
        releaseGrownBuffers()
    }

    /// Channel event (not for users): the peer's FIN. During the handshake it is
    /// a failure; after it, the user gets `streamDidReadEOF` once the buffered
    /// plaintext is delivered, with or without `close_notify` before it.
    public func streamDidReadEOF() {
        switch phase {
        case .handshaking:
            failHandshake(.failed(TLSError(.protocolError, "the peer closed the connection during the TLS handshake")))
        case .established:
            // Without close_notify first, this may be a truncation; the user's
            // framing decides whether the data so far is complete.
            peerEOF = true
            drive()
        case .closing, .closed:
            break
        }
    }

    /// Channel event (not for users): the queued ciphertext left.
    public func streamDidDrain() {
        guard phase == .established, started else { return }
        delegate?.streamDidDrain()
    }

    /// Channel event (not for users): the socket closed.
    public func streamDidClose(error: (any Error)?) {
        switch phase {
        case .closed:
            return
        case .handshaking:
            let reason = error.map { "the connection failed during the TLS handshake: \($0)" }
                ?? "the peer closed the connection during the TLS handshake"
            failHandshake(.failed(TLSError(.protocolError, reason)))
        case .closing:
            teardown(error: error, channelMode: nil)
        case .established:
            teardown(error: error, channelMode: nil)
        }
    }

    // MARK: - Deferred work

    private func startChannel() {
        guard !channelStarted else { return }
        channelStarted = true
        channel.start()
        if paused { channel.pauseReading() }
    }

    /// Delivers, on a later turn of the loop, what OpenSSL or its input BIO still
    /// holds (after `start` or `resumeReading`). Never synchronous: plaintext is
    /// decrypted into the loop's shared read buffer, which an outer delivery may
    /// still be using.
    func scheduleDrain() {
        guard !drainScheduled, phase == .established, started, !paused, let ssl, let rbio else { return }
        guard SSL_has_pending(ssl) == 1 || BIO_ctrl_pending(rbio) > 0 || (peerEOF && !eofDelivered) else { return }
        drainScheduled = true
        loop.execute { [self] in
            drainScheduled = false
            drive()
            releaseGrownBuffers()
        }
    }

    // MARK: - Teardown

    /// Closes for good: the channel (unless it closed itself), the `SSL` (once),
    /// then the user's `streamDidClose`.
    func teardown(error: (any Error)?, channelMode: CloseMode?) {
        guard phase != .closed else { return }
        phase = .closed
        stopDeadline()
        channel.delegate = nil
        if let channelMode { channel.close(channelMode) }
        pendingPlaintext = []
        if channelCalls > 0 {
            freeDeferred = true
        } else {
            freeSession()
        }
        let d = delegate
        delegate = nil
        d?.streamDidClose(error: error)
    }

    /// Called when a call out to the channel returns: frees the session if the
    /// channel closed this stream meanwhile.
    func channelCallReturned() {
        channelCalls -= 1
        if channelCalls == 0, freeDeferred {
            freeDeferred = false
            freeSession()
        }
    }

    private func freeSession() {
        guard let s = ssl else { return }
        ssl = nil
        rbio = nil
        wbio = nil
        SSL_free(s)  // frees both BIOs
        ERR_clear_error()
        liveTLSSessions.subtract(1, ordering: .relaxed)
    }

    func stopDeadline() {
        guard deadline != .max else { return }
        deadline = .max
        loop.unwatch(self)
    }
}
