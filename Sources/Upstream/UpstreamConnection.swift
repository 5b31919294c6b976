import EventLoop
import HTTP1

/// One keep-alive connection to an origin, owned by its ``OriginPool``: sends a
/// request, decodes the answer with the strict ``HTTPResponseDecoder``, and
/// either goes back to the pool or closes.
// @unchecked Sendable: confined to `stream.loop.queue`.
final class UpstreamConnection: ByteStreamDelegate, DeadlineWatcher, @unchecked Sendable {
    let stream: any ByteStream
    private unowned let pool: OriginPool
    private var decoder: HTTPResponseDecoder
    private var call: UpstreamCall?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var input: [UInt8] = []
    /// Whether any byte of the current answer arrived (decides whether a failure may be retried).
    private var answerStarted = false
    /// Exchanges this connection has carried.
    private(set) var uses = 0
    private(set) var isClosed = false
    /// While idle: when it expires.
    private(set) var deadline: UInt64 = .max
    private let maxBodyBytes: Int

    init(stream: any ByteStream, pool: OriginPool, maxBodyBytes: Int) {
        self.stream = stream
        self.pool = pool
        self.maxBodyBytes = maxBodyBytes
        decoder = HTTPResponseDecoder(limits: HTTPLimits(maxBodyBytes: maxBodyBytes))
        stream.delegate = self
        stream.start()
    }

    /// Sends `call`'s request on this connection.
    func run(_ call: UpstreamCall) {
        if deadline != .max {
            stream.loop.unwatch(self)
            deadline = .max
        }
        self.call = call
        call.place = .onConnection(self)
        uses += 1
        head = nil
        body = []
        answerStarted = false
        decoder.expect(requestMethodIsHead: false)
        stream.write(call.encoded)
    }

    var reused: Bool { uses > 1 }

    /// Parks the connection in the pool until `expires`.
    func parkIdle(until expires: UInt64) {
        deadline = expires
        stream.loop.watch(self)
    }

    func deadlineExpired(now: UInt64) {
        // Idle too long: the pool drops it.
        close()
    }

    /// The call gave up (timeout): the connection's state is unknown, so it closes.
    func abandon() {
        call = nil
        close()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if deadline != .max {
            stream.loop.unwatch(self)
            deadline = .max
        }
        pool.connectionClosed(self)
        stream.close(.immediately)
    }

    // MARK: - Stream events

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard call != nil else {
            // Bytes while idle: the origin broke framing or is closing; either way
            // this connection can't be trusted with another request.
            close()
            return
        }
        answerStarted = true
        if input.isEmpty {
            let used = decode(bytes)
            if used < bytes.count, !isClosed, call != nil {
                input.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
            }
        } else {
            input.append(contentsOf: bytes)
            let used = input.withUnsafeBytes { decode($0) }
            if !isClosed { input.removeFirst(min(used, input.count)) }
        }
    }

    /// Decodes what `bytes` holds; returns how much was consumed.
    private func decode(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while let current = call, !isClosed {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let step: (consumed: Int, event: HTTPResponseEvent?)
            do {
                step = try decoder.decode(rest)
            } catch {
                fail(current, UpstreamError(.invalidResponse, error.reason))
                return bytes.count
            }
            offset += step.consumed
            guard let event = step.event else { break }
            switch event {
            case .head(let h):
                head = h
            case .body(let range):
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[range]))
            case .end:
                // Bytes after the answer are none the connection asked for: it
                // must not carry another exchange, whose answer they would start.
                complete(current, trailingBytes: offset < bytes.count)
                return offset
            }
        }
        return offset
    }

    func streamDidReadEOF() {
        guard let current = call else {
            close()
            return
        }
        do {
            if try decoder.decodeEOF() == .end {
                // Only a body that runs to the end of the stream ends here, and
                // over TLS only `close_notify` proves that end (RFC 9112 §9.8).
                guard stream.endIsConfirmed else {
                    fail(current, UpstreamError(
                        .invalidResponse, "the answer ran to a TCP close without TLS close_notify: it may be truncated"))
                    return
                }
                complete(current)
                return
            }
        } catch {
            failOrRetry(current, UpstreamError(.unreachable, "\(current.request.endpoint) closed the connection mid-answer"))
            return
        }
        failOrRetry(current, UpstreamError(.unreachable, "\(current.request.endpoint) closed the connection"))
    }

    func streamDidDrain() {}

    func streamDidClose(error: (any Error)?) {
        let current = call
        call = nil
        if !isClosed {
            isClosed = true
            if deadline != .max {
                stream.loop.unwatch(self)
                deadline = .max
            }
            pool.connectionClosed(self)
        }
        if let current, !current.isDone {
            let reason = error.map { "\($0)" } ?? "connection closed"
            if let tls = error as? UpstreamError {
                current.finish(.failure(tls))
            } else {
                retryOrFinish(current, UpstreamError(.unreachable, "\(current.request.endpoint): \(reason)"))
            }
        }
    }

    // MARK: - Outcomes

    /// The answer is whole. The connection goes back to the pool only when the
    /// origin keeps it alive and sent nothing beyond the answer (`trailingBytes`).
    private func complete(_ current: UpstreamCall, trailingBytes: Bool = false) {
        guard let h = head else {
            fail(current, UpstreamError(.invalidResponse, "answer without a head"))
            return
        }
        call = nil
        let keep = h.keepAlive
        let encoding = h.headers.first("content-encoding")?.lowercased()
        var finalBody = body
        body = []
        head = nil
        var failure: UpstreamError?
        // Only a success's body is decoded. A refusal (401, 404, 429, 5xx) is
        // answered from its status and headers, and a broken or unknown coding on
        // its body must not turn it into an invalid response; its body is passed
        // on as it came, with its Content-Encoding.
        switch (200..<300).contains(h.status) ? encoding : nil {
        case nil, "identity":
            break
        case "gzip", "x-gzip":
            // An empty body (a 204, a 304, an empty error) holds no gzip member to
            // inflate; it stays empty rather than failing the exchange.
            guard !finalBody.isEmpty else { break }
            switch pool.inflate(finalBody) {
            case .success(let inflated): finalBody = inflated
            case .failure(let error): failure = error
            }
        default:
            failure = UpstreamError(.invalidResponse, "unsupported content coding \(encoding!)")
        }
        if keep, failure == nil, !trailingBytes {
            // `input` may still hold this answer's bytes: `streamDidRead` drops
            // them once `decode` returns, before the next answer can arrive.
            pool.release(self)
        } else {
            close()
        }
        if let failure {
            current.finish(.failure(failure))
        } else {
            current.finish(.success(UpstreamResponse(
                status: h.status, headers: h.headers, body: finalBody, reusedConnection: reused)))
        }
    }

    private func fail(_ current: UpstreamCall, _ error: UpstreamError) {
        call = nil
        close()
        let tooLarge = error.reason.contains("too large") || error.reason.contains("exceeds")
        current.finish(.failure(tooLarge ? UpstreamError(.tooLarge, error.reason) : error))
    }

    private func failOrRetry(_ current: UpstreamCall, _ error: UpstreamError) {
        call = nil
        close()
        retryOrFinish(current, error)
    }

    /// A reused connection that died before any byte of the answer is the
    /// keep-alive race (the origin closed it as we sent): retry once on a fresh one.
    private func retryOrFinish(_ current: UpstreamCall, _ error: UpstreamError) {
        if reused, !answerStarted, !current.retried {
            current.retried = true
            pool.retry(current)
        } else {
            current.finish(.failure(error))
        }
    }
}
