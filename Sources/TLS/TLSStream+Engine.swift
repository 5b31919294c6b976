import COpenSSL
import EventLoop
import Upstream

/// Driving OpenSSL: the handshake, decryption into the user's reads, encryption
/// of the user's writes, and the flush of ciphertext to the channel.
///
/// Every OpenSSL call on the session is preceded by `ERR_clear_error()` and
/// its outcome (`SSL_get_error`, the error queue) is read before anything else
/// runs, because the next call out — a channel write, a delegate callback — may
/// run other connections' OpenSSL calls on this thread. After every call out the
/// phase is checked again: the callee may have closed this stream.
extension TLSStream {
    /// Runs OpenSSL as far as the buffered input allows.
    func drive() {
        if phase == .handshaking { handshakeStep() }
        if phase == .established { deliverPlaintext() }
        if phase == .established, !pendingPlaintext.isEmpty { flushPendingPlaintext() }
    }

    // MARK: - Handshake

    private func handshakeStep() {
        guard let ssl else { return }
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        let code = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, rc)
        var failure: TLSError?
        if rc != 1, code != SSL_ERROR_WANT_READ, code != SSL_ERROR_WANT_WRITE {
            failure = VerifyClassifier.handshakeFailure(ssl, sslError: code)
        }
        flushOutput()  // the hello, the next flight, or the alert
        guard phase == .handshaking else { return }
        if let failure {
            failHandshake(.failed(failure))
        } else if rc == 1 {
            handshakeSucceeded()
        }
        // WANT_READ: the peer's next flight comes with a later read event.
        // (WANT_WRITE is impossible with a memory BIO, and the output left anyway.)
    }

    private func handshakeSucceeded() {
        guard let ssl else { return }
        phase = .established
        stopDeadline()
        metrics.handshakeCompleted(resumed: SSL_session_reused(ssl) == 1)
        let completion = handshakeCompletion
        handshakeCompletion = nil
        completion?(.success(()))
        if phase == .established, !pendingPlaintext.isEmpty { flushPendingPlaintext() }
    }

    /// The handshake failed or timed out: counts it, forgets a session that may
    /// be bad, tells the observer or the waiting client, and closes.
    func failHandshake(_ failure: HandshakeFailure) {
        guard phase == .handshaking else { return }
        metrics.handshakeFailed()
        fatal = true
        let completion = handshakeCompletion
        handshakeCompletion = nil
        let error: TLSError
        let channelMode: CloseMode
        switch failure {
        case .failed(let e):
            error = e
            // Let the alert reach the peer before the socket closes.
            channelMode = .afterFlush
        case .timedOut:
            error = TLSError(.protocolError, "the TLS handshake timed out")
            // A silent peer would only keep a lingering socket waiting.
            channelMode = .immediately
        }
        switch role {
        case .client(let side):
            // A session that led here is not offered again (a new one replaces it
            // after the next full handshake).
            if case .failed = failure { side.sessions.evict(side.sessionKey) }
        case .server(let observer):
            observer?(error, channel.peer)
        }
        teardown(error: closeError(for: error), channelMode: channelMode)
        completion?(.failure(failure))
    }

    // MARK: - Reading

    /// Decrypts into the loop's read buffer and hands the plaintext over, a
    /// buffer-full at a time (records are at most 16 KB; several per delivery
    /// let the HTTP layer parse and answer pipelined requests in one go).
    private func deliverPlaintext() {
        let buffer = loop.readBuffer
        guard let base = buffer.baseAddress else { return }
        while phase == .established, started, !paused, !eofDelivered, let ssl {
            var filled = 0
            var code = SSL_ERROR_NONE
            var failure: TLSError?
            while filled < buffer.count {
                ERR_clear_error()
                let n = SSL_read(ssl, base + filled, Int32(clamping: buffer.count - filled))
                if n > 0 {
                    filled += Int(n)
                    continue
                }
                code = SSL_get_error(ssl, n)
                if code != SSL_ERROR_WANT_READ, code != SSL_ERROR_WANT_WRITE, code != SSL_ERROR_ZERO_RETURN {
                    failure = VerifyClassifier.sessionFailure(sslError: code)
                }
                break
            }
            // Reading can produce output: alerts, key-update answers.
            flushOutput()
            guard phase == .established else { return }
            if filled > 0 {
                delegate?.streamDidRead(UnsafeRawBufferPointer(start: base, count: filled))
                guard phase == .established else { return }
            }
            if code == SSL_ERROR_ZERO_RETURN {  // close_notify
                peerEOF = true
                receivedCloseNotify = true
            }
            if let failure {
                fail(failure)
                return
            }
            if code == SSL_ERROR_NONE { continue }  // the buffer filled up; more may wait
            if peerEOF, started, !paused { deliverEOF() }
            return
        }
    }

    private func deliverEOF() {
        guard !eofDelivered else { return }
        eofDelivered = true
        delegate?.streamDidReadEOF()
    }

    // MARK: - Writing

    /// Bytes encrypted before each flush: a large answer goes out in slices so
    /// the output BIO (whose buffer never shrinks) stays small on a connection
    /// that later idles, and the channel starts sending before all is encrypted.
    static let encryptSlice = 64 * 1024

    /// Memory BIOs keep the largest buffer they ever needed: a 64 KiB read, or a
    /// large answer encrypted in 64 KiB slices, would pin that much (and a third
    /// more) on a connection for as long as it lives. A BIO grown past this is
    /// swapped for a fresh one holding what the old one still held (at most half
    /// of this: a partial record), so a connection gives a burst's memory back.
    static let keptBIOCapacity = 32 * 1024

    /// See ``keptBIOCapacity``. Only between calls out: `flushOutput` hands the
    /// channel bytes that live in the output BIO until the call returns.
    func releaseGrownBuffers() {
        guard let ssl, channelCalls == 0, phase == .established else { return }
        if let rbio, copenssl_bio_mem_capacity(rbio) > Self.keptBIOCapacity {
            let pending = Int(BIO_ctrl_pending(rbio))
            if pending <= Self.keptBIOCapacity / 2, let fresh = BIO_new(BIO_s_mem()) {
                var copied = true
                if pending > 0 {
                    var unread: UnsafeMutablePointer<CChar>?
                    copied = copenssl_bio_get_mem_data(rbio, &unread) == pending
                        && unread.map { BIO_write(fresh, $0, Int32(pending)) } == Int32(pending)
                }
                if copied {
                    SSL_set0_rbio(ssl, fresh)  // frees the old one
                    self.rbio = fresh
                } else {
                    BIO_free(fresh)
                }
            }
        }
        if let wbio, BIO_ctrl_pending(wbio) == 0, copenssl_bio_mem_capacity(wbio) > Self.keptBIOCapacity,
           let fresh = BIO_new(BIO_s_mem()) {
            SSL_set0_wbio(ssl, fresh)
            self.wbio = fresh
        }
    }

    /// Encrypts `bytes` into the output BIO and flushes it to the channel.
    func encrypt(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            guard phase == .established, let ssl else { return }
            ERR_clear_error()
            let n = SSL_write(ssl, base + offset, Int32(min(bytes.count - offset, Self.encryptSlice)))
            if n > 0 {
                offset += Int(n)
                if offset < bytes.count { flushOutput() }
                continue
            }
            let code = SSL_get_error(ssl, n)
            if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE {
                // Only renegotiation could ask for a read here, and it is off;
                // should it happen anyway, the rest waits for the next read event.
                pendingPlaintext.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                break
            }
            let failure = VerifyClassifier.sessionFailure(sslError: code)
            flushOutput()
            fail(failure)
            return
        }
        flushOutput()
    }

    func flushPendingPlaintext() {
        let queued = pendingPlaintext
        pendingPlaintext = []
        queued.withUnsafeBytes { encrypt($0) }
    }

    /// Hands the output BIO's bytes to the channel, which sends what the kernel
    /// takes now and queues the rest on its write source.
    func flushOutput() {
        guard let wbio else { return }
        var data: UnsafeMutablePointer<CChar>?
        let count = copenssl_bio_get_mem_data(wbio, &data)
        guard count > 0, let data else { return }
        channelCalls += 1
        defer { channelCallReturned() }
        // Marked read first, without a copy: the bytes stay in place until the
        // BIO is next written to, and the channel copies what it cannot send now.
        if copenssl_bio_mem_consume(wbio, count) == 1 {
            channel.write(UnsafeRawBufferPointer(start: data, count: count))
        } else {
            let copy = Array(UnsafeRawBufferPointer(start: data, count: count))
            _ = BIO_ctrl(wbio, BIO_CTRL_RESET, 0, nil)
            channel.write(copy)
        }
    }

    /// Queues `close_notify` if the session is healthy (a session freed without
    /// it is also marked not resumable by OpenSSL).
    func sendCloseNotify() {
        guard !fatal, let ssl, SSL_is_init_finished(ssl) == 1 else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
        flushOutput()
    }

    // MARK: - Failures and sessions

    /// A fatal error after the handshake (or before it could start).
    func fail(_ error: TLSError) {
        switch phase {
        case .closed:
            return
        case .handshaking:
            failHandshake(.failed(error))
        case .established, .closing:
            fatal = true
            if case .client(let side) = role { side.sessions.evict(side.sessionKey) }
            teardown(error: closeError(for: error), channelMode: .afterFlush)
        }
    }

    /// The error the user's `streamDidClose` gets: the upstream client's own error
    /// type on a client stream (it tells TLS failures from dropped connections
    /// by it), the TLS error on a server stream.
    func closeError(for error: TLSError) -> any Error {
        switch role {
        case .client(let side):
            return UpstreamError(.tls, "TLS with \(side.sessionKey) failed: \(error.reason)",
                                 tlsClass: error.failureClass.rawValue)
        case .server:
            return error
        }
    }

    /// A new session arrived (after a TLS 1.2 handshake, or a TLS 1.3 ticket
    /// later): the next connection to this endpoint resumes it. Called by OpenSSL
    /// from inside a read on this loop; returns whether the reference was taken.
    func sessionIssued(_ session: OpaquePointer) -> Bool {
        guard case .client(let side) = role, SSL_SESSION_is_resumable(session) == 1 else { return false }
        side.sessions.store(SessionHandle(adopting: session), for: side.sessionKey)
        return true
    }
}
