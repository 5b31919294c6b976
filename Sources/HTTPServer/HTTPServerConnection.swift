import EventLoop
import HTTP1

/// One server connection: carries out what the decoder and the
/// ``ConnectionStateMachine`` decide, over a ``ByteStream``.
///
/// What a read event brings is parsed in the loop's next batch
/// (``LoopBatchMember``), with the other connections' requests of that batch,
/// and every answer ready by the end of the batch's first phase leaves in a
/// single `send` in its second: with Dispatch, the hop to the loop's worker
/// thread costs more than parsing, so doing all the work of an event at once
/// is what makes pipelining cheap, and sending the batch's answers together
/// keeps the request path in the caches.
// @unchecked Sendable: all state is confined to `stream.loop.queue`; the stream,
// the loop's sweep and the responders call in only from there.
final class HTTPServerConnection: ByteStreamDelegate, DeadlineWatcher, LoopBatchMember, @unchecked Sendable {
    let stream: any ByteStream
    private let context: LoopContext
    private let remote: SocketAddress?
    /// `remote` as text, rendered at the first request (`inet_ntop` formats with
    /// `sprintf`, which was most of a per-request address rendering).
    private lazy var remoteIP: String = remote?.ipString ?? "-"
    private var machine: ConnectionStateMachine
    private var decoder: HTTPRequestDecoder
    /// Unparsed input carried over between reads.
    private var input: [UInt8] = []
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var receivedAt: UInt64 = 0
    /// Answers not yet sent, in request order.
    private var answers = AnswerQueue()
    /// Bytes ready to send, written at the end of the current event.
    private var output: [UInt8] = []
    private var inEvent = false
    private var readPaused = false
    /// Phase one of the loop's next batch will parse `input`.
    private var processQueued = false
    /// Phase two of a batch will send `output`.
    private var flushQueued = false
    /// A resume is queued on the loop (see `flush`).
    private var resumeScheduled = false
    private var closeWhenFlushed = false
    private(set) var isOpen = true

    /// Requests in flight at once before reading pauses (pipelining depth).
    static let maxOwed = 64
    /// Input storage a connection keeps between requests.
    static let keptInputCapacity = 4 * 1024
    /// Unparsed input at which a read is parsed at once instead of in the batch.
    static let maxUnparsedInput = 64 * 1024
    /// Queued output at which reading pauses until the peer catches up.
    static let maxPendingOutput = 512 * 1024

    init(stream: any ByteStream, context: LoopContext, remote: SocketAddress?) {
        self.stream = stream
        self.context = context
        self.remote = remote
        let now = MonotonicClock.now()
        machine = ConnectionStateMachine(
            now: now,
            headerTimeout: context.configuration.headerTimeout.nanoseconds,
            idleTimeout: context.configuration.idleTimeout.nanoseconds)
        decoder = HTTPRequestDecoder(limits: context.configuration.limits)
    }

    func start() {
        stream.delegate = self
        stream.loop.watch(self)
        context.register(self)
        stream.start()
    }

    var deadline: UInt64 { machine.deadline }

    // MARK: - Stream events

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard machine.isReading else { return }
        input.append(contentsOf: bytes)
        // A burst past a buffer's worth is parsed at once, so unparsed input
        // stays bounded and a flood is paused as soon as the parser says so.
        if input.count >= Self.maxUnparsedInput {
            processNow()
            flushSoon()
        } else if !processQueued {
            processQueued = true
            stream.loop.processSoon(self)
        }
    }

    func processBatch() {
        processQueued = false
        processNow()
        flushSoon()
    }

    func flushBatch() {
        flushQueued = false
        flush()
    }

    /// Parses what arrived and has not been parsed (see `streamDidRead`).
    private func processNow() {
        guard isOpen, machine.isReading, !readPaused, !input.isEmpty else { return }
        inEvent = true
        parseBuffered()
        inEvent = false
    }

    /// Sends what is gathered in phase two of the loop's next batch, or of the
    /// batch now in its phase one.
    private func flushSoon() {
        guard !flushQueued, isOpen, !output.isEmpty || closeWhenFlushed else { return }
        flushQueued = true
        stream.loop.flushSoon(self)
    }

    /// Whether the caller has hung up: the connection is gone, or the peer
    /// closed its sending side (see ``HTTPResponder/callerHasHungUp``).
    var callerHasHungUp: Bool { !isOpen || machine.peerHasClosed }

    /// An owed answer will not come because the caller hung up: the connection
    /// closes now, after the answers already queued, instead of waiting for it.
    func abandon() {
        guard isOpen else { return }
        apply(.close)
    }

    func streamDidReadEOF() {
        // Requests that came before the end of stream are parsed first: the
        // peer may have half-closed after sending them.
        processNow()
        apply(machine.peerClosed())
        flush()
    }

    func streamDidDrain() {
        resumeIfPossible()
    }

    func streamDidClose(error: (any Error)?) {
        guard isOpen else { return }
        isOpen = false
        stream.loop.unwatch(self)
        context.unregister(self)
        answers.removeAll()
        input = []
        output = []
    }

    func deadlineExpired(now: UInt64) {
        // Bytes read but not yet parsed arrived before the deadline passed.
        processNow()
        inEvent = true
        apply(machine.deadlinePassed(now: now))
        inEvent = false
        flush()
    }

    /// Shutdown: idle connections close now, busy ones after their answers.
    func shutdown() {
        // A request read but not yet parsed makes the connection busy, not idle.
        processNow()
        inEvent = true
        apply(machine.shutdownBegan())
        inEvent = false
        flush()
    }

    // MARK: - Parsing

    private func parseBuffered() {
        let consumed = input.withUnsafeBytes { parse($0) }
        guard isOpen else { return }
        if consumed == input.count {
            // Every read passes through `input`: a connection keeps room for a
            // usual request head, not for the largest burst it ever received.
            input.removeAll(keepingCapacity: input.capacity <= Self.keptInputCapacity)
        } else if consumed > 0 {
            input.removeFirst(consumed)
        }
    }

    /// Parses as many requests as `bytes` holds; returns the bytes consumed.
    private func parse(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        let now = MonotonicClock.now()
        while machine.isReading, !readPaused, isOpen {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let step: (consumed: Int, event: HTTPRequestEvent?)
            do {
                step = try decoder.decode(rest)
            } catch {
                apply(machine.parseFailed(error), error: error)
                return bytes.count
            }
            offset += step.consumed
            guard let event = step.event else {
                if offset < bytes.count || head != nil { machine.bytesArrived(now: now) }
                break
            }
            switch event {
            case .head(let h):
                machine.bytesArrived(now: now)
                receivedAt = now
                // The framing test first: most requests have no body, and then
                // the lookup of Expect is not needed. An HTTP/1.0 client may take
                // a 100 for its answer, so its expectation is ignored (RFC 9110
                // §10.1.1).
                if h.framing != .none, h.framing != .contentLength(0), machine.owed == 0, h.version != .http1_0,
                   h.headers.first("expect")?.lowercased() == "100-continue" {
                    output.append(contentsOf: Self.continueLine)
                }
                // Stored last, so the head can move here rather than be copied.
                // `body` is empty: the previous request took it.
                head = h
            case .body(let range):
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[range]))
            case .end:
                dispatchRequest(now: now)
                // Bytes left over start the next request's header timeout when
                // the loop comes round to them (`bytesArrived` above): not here,
                // where they may be only the CRLF a client may send after a body,
                // or wait unread behind a pause that is the server's doing.
                if machine.owed >= Self.maxOwed || queuedOutput >= Self.maxPendingOutput {
                    pauseReading()
                }
                // At a request boundary with no bytes left the decoder could only
                // ask for more; skipping that call changes nothing.
                if offset == bytes.count { return offset }
            }
        }
        return offset
    }

    private static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private func dispatchRequest(now: UInt64) {
        guard let h = head else { return }
        head = nil
        // A request framed without a body never touched `body`.
        var requestBody: [UInt8] = []
        if h.framing != .none, h.framing != .contentLength(0) {
            swap(&requestBody, &body)
        }
        let action = machine.requestParsed(keepAlive: h.keepAlive, now: now)
        let sequence = answers.open()
        let responder = HTTPResponder(
            connection: self, sequence: sequence,
            omitBody: h.method == "HEAD", http10: h.version == .http1_0)
        let request = HTTPRequest(head: h, body: requestBody, remote: remote, remoteIP: remoteIP, receivedAt: receivedAt)
        context.handler.handle(request, responder: responder)
        apply(action)
    }

    // MARK: - Answers

    /// Stores an answer in its slot and moves every answer that is now in order
    /// to the output.
    func complete(_ responder: HTTPResponder, with response: HTTPResponse) {
        guard isOpen else { return }
        switch answers.claim(responder.sequence) {
        case .oldest(let laterReady):
            // The common case: the oldest request answered at once is encoded
            // straight into the output, with no slot of its own.
            encode(response, omitBody: responder.omitsBody, http10: responder.http10, into: &output)
            answerSent()
            if laterReady { releaseReadySlots() }
        case .later(let index):
            var bytes: [UInt8] = []
            // On a closing connection no request follows the newest, so its answer
            // is the last one sent even when it waits for earlier ones.
            let last = responder.sequence == answers.newestSequence
            encode(response, omitBody: responder.omitsBody, http10: responder.http10, last: last, into: &bytes)
            answers.store(bytes, at: index)
        case .notOwed:
            return
        }
        // An answer given later (after an upstream call) goes out with the
        // other answers of the batch it was given in.
        if !inEvent { flushSoon() }
    }

    private func releaseReadySlots() {
        while let bytes = answers.popReady() {
            output.append(contentsOf: bytes)
            answerSent()
        }
    }

    private func answerSent() {
        apply(machine.responseSent(now: MonotonicClock.now()))
        resumeIfPossible()
    }

    private func encode(
        _ response: HTTPResponse, omitBody: Bool, http10: Bool, last: Bool = false, into out: inout [UInt8]
    ) {
        // The last answer owed on a closing connection says so.
        let closing = machine.closingAfterPending && (machine.owed == 1 || last)
        response.body.withUnsafeBytes { body in
            ResponseEncoder.encode(
                status: response.status, headers: response.headers, body: body,
                omitBody: omitBody, close: closing, http10: http10,
                date: context.dateCache.current(), into: &out)
        }
    }

    private func apply(_ action: ConnectionStateMachine.Action, error: HTTPParseError? = nil) {
        switch action {
        case .none, .closeAfterPending:
            break
        case .close:
            closeWhenFlushed = true
            if !inEvent { flush() }
        case .fail(let status, let reason):
            // Unparsed input stays where it is (it may be being read right now);
            // the machine reads no more of it.
            let failure = error ?? HTTPParseError(status: status, reason: reason)
            let response = context.handler.rejection(for: failure, remote: remote, receivedAt: receivedAt)
            let sequence = answers.open()
            let responder = HTTPResponder(connection: self, sequence: sequence, omitBody: false, http10: false)
            responder.respond(response)
        }
    }

    private func flush() {
        guard isOpen else { return }
        if !output.isEmpty {
            stream.write(output)
            output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
            // Reading paused on output the socket has now taken whole: no write
            // event will come to resume it, so the next turn of the loop does.
            if readPaused, !resumeScheduled, stream.pendingWriteBytes < Self.maxPendingOutput / 2 {
                resumeScheduled = true
                stream.loop.execute { [self] in
                    resumeScheduled = false
                    resumeIfPossible()
                }
            }
        }
        if closeWhenFlushed, isOpen {
            isOpen = false
            stream.loop.unwatch(self)
            context.unregister(self)
            stream.close(.afterFlush)
        }
    }

    // MARK: - Back-pressure

    private func pauseReading() {
        guard !readPaused else { return }
        readPaused = true
        stream.pauseReading()
    }

    /// Output not yet taken by the peer: what the socket holds, and what this
    /// event has encoded but not yet handed to it (a read of many small
    /// pipelined requests answered at once builds up here first).
    private var queuedOutput: Int { output.count + stream.pendingWriteBytes }

    private func resumeIfPossible() {
        guard readPaused, isOpen, machine.owed < Self.maxOwed / 2,
              queuedOutput < Self.maxPendingOutput / 2 else { return }
        readPaused = false
        stream.resumeReading()
        if !input.isEmpty {
            let wasInEvent = inEvent
            inEvent = true
            parseBuffered()
            inEvent = wasInEvent
            if !inEvent { flush() }
        }
    }
}
