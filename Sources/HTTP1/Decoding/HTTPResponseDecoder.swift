/// What ``HTTPResponseDecoder`` found next in its input.
public enum HTTPResponseEvent: Sendable, Equatable {
    /// A complete final response head (interim 1xx heads are skipped).
    case head(HTTPResponseHead)
    /// Body bytes, as a range of the buffer passed to that `decode` call.
    case body(Range<Int>)
    /// The response is complete.
    case end
}

/// An incremental HTTP/1.1 response parser (RFC 9112) for the upstream client,
/// used exactly like ``HTTPRequestDecoder``.
///
/// Every error it throws has status 502: the upstream sent something that
/// cannot be trusted, and its connection must not be reused. Framing rules
/// are those of requests (no Content-Length with Transfer-Encoding, only
/// chunked, identical Content-Length repeats only), plus RFC 9112 §6.3 for
/// responses: HEAD, 204 and 304 have no body; no framing header means the
/// body runs until the upstream closes.
///
/// Interim 1xx responses are validated and skipped; 101 fails, since the
/// gateway never asks to switch protocols.
public struct HTTPResponseDecoder: Sendable {
    private enum State {
        case head(HeadScanner, emptyLines: Int, partial: Bool)
        case body(remaining: UInt64)
        case untilClose(received: UInt64)
        case chunked(ChunkedDecoder)
        case end
        case failed(HTTPParseError)
    }

    private var state = State.head(HeadScanner(), emptyLines: 0, partial: false)
    /// Set by ``expect(requestMethodIsHead:)``; cleared by the final head.
    private var awaitingResponse = false
    private var requestMethodIsHead = false
    private let limits: HTTPLimits
    private let headBounds: HeadScanner.Bounds

    /// Creates a decoder that enforces `limits` (by default an 8 MiB body).
    public init(limits: HTTPLimits = HTTPLimits(maxBodyBytes: 8 << 20)) {
        self.limits = limits
        headBounds = HeadScanner.Bounds(
            maxBytes: limits.maxHeadBytes,
            tooLarge: HTTPParseError(status: 502, reason: "upstream response: head too large"),
            maxLines: limits.maxHeaderFields &+ 1,
            tooManyLines: HTTPParseError(status: 502, reason: "upstream response: too many header fields"),
            firstLineMaxBytes: nil,
            firstLineTooLong: nil
        )
    }

    /// Announces the request whose response comes next; call it once per
    /// request sent. A response to HEAD has no body whatever its fields say.
    public mutating func expect(requestMethodIsHead: Bool) {
        self.requestMethodIsHead = requestMethodIsHead
        awaitingResponse = true
    }

    /// Decodes the next event from `input`, which holds the bytes not yet
    /// consumed; same contract as ``HTTPRequestDecoder/decode(_:)``.
    ///
    /// - Throws: ``HTTPParseError`` with status 502.
    public mutating func decode(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> (consumed: Int, event: HTTPResponseEvent?) {
        do throws(HTTPParseError) {
            return try step(input)
        } catch {
            let failure = error.status == 502 ? error : error.asUpstreamFailure
            state = .failed(failure)
            throw failure
        }
    }

    /// The peer closed the connection.
    ///
    /// Returns `.end` when that completes the current response (a
    /// close-delimited body, or a bodiless response whose `.end` was not yet
    /// taken), nil when no response was under way (no bytes of one received
    /// and none expected).
    ///
    /// - Throws: ``HTTPParseError`` with status 502 when a response was cut
    ///   short or one was expected and none came.
    public mutating func decodeEOF() throws(HTTPParseError) -> HTTPResponseEvent? {
        switch state {
        case .head(_, _, let partial):
            guard partial || awaitingResponse else { return nil }
            state = .failed(Self.closedEarly)
            throw Self.closedEarly
        case .body, .chunked:
            state = .failed(Self.closedEarly)
            throw Self.closedEarly
        case .untilClose, .end:
            state = .head(HeadScanner(), emptyLines: 0, partial: false)
            return .end
        case .failed(let error):
            throw error
        }
    }

    private static let closedEarly = HTTPParseError(status: 502, reason: "upstream closed the connection mid-response")

    private mutating func step(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> (consumed: Int, event: HTTPResponseEvent?) {
        switch state {
        case .head(var scanner, var emptyLines, _):
            var consumed = 0
            // Interim responses are consumed in the same call, so the loop
            // ends with a final head or with the input used up.
            while true {
                let rest = input.slice(consumed..<input.count)
                var skipped = 0
                if scanner.isAtStart {
                    guard let n = try HeadScanner.skipEmptyLines(rest, count: &emptyLines, max: HTTPRequestDecoder.maxEmptyLines) else {
                        state = .head(scanner, emptyLines: emptyLines, partial: true)
                        return (input.count &- 1, nil)
                    }
                    skipped = n
                }
                consumed &+= skipped
                let headBytes = rest.slice(skipped..<rest.count)
                guard let length = try scanner.scan(headBytes, bounds: headBounds) else {
                    state = .head(scanner, emptyLines: emptyLines, partial: !headBytes.isEmpty)
                    return (consumed, nil)
                }
                consumed &+= length
                guard let head = try parseHead(headBytes.slice(0..<length)) else {
                    scanner = HeadScanner()
                    emptyLines = 0
                    continue
                }
                awaitingResponse = false
                requestMethodIsHead = false
                switch head.framing {
                case .chunked:
                    state = .chunked(ChunkedDecoder(limits: limits))
                case .contentLength(let n) where n > 0:
                    state = .body(remaining: n)
                case .untilClose:
                    state = .untilClose(received: 0)
                default:
                    state = .end
                }
                return (consumed, .head(head))
            }

        case .body(let remaining):
            guard !input.isEmpty else { return (0, nil) }
            let take = Int(min(remaining, UInt64(input.count)))
            let left = remaining &- UInt64(take)
            state = left == 0 ? .end : .body(remaining: left)
            return (take, .body(0..<take))

        case .untilClose(let received):
            guard !input.isEmpty else { return (0, nil) }
            let total = received &+ UInt64(input.count)
            guard total <= UInt64(limits.maxBodyBytes) else {
                throw HTTPParseError(status: 413, reason: "body too large")
            }
            state = .untilClose(received: total)
            return (input.count, .body(0..<input.count))

        case .chunked(var chunked):
            let (consumed, event) = try chunked.decode(input)
            switch event {
            case .data(let range)?:
                state = .chunked(chunked)
                return (consumed, .body(range))
            case .end?:
                state = .head(HeadScanner(), emptyLines: 0, partial: false)
                return (consumed, .end)
            case nil:
                state = .chunked(chunked)
                return (consumed, nil)
            }

        case .end:
            state = .head(HeadScanner(), emptyLines: 0, partial: false)
            return (0, .end)

        case .failed(let error):
            throw error
        }
    }

    /// Parses a complete head; nil for an interim (1xx) response.
    private func parseHead(_ head: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPResponseHead? {
        let line = try StatusLine(parsing: head)
        let section = head.slice(line.fieldsStart..<head.count &- 2)
        if line.status < 200 {
            guard line.status != 101 else {
                throw .badRequest("unexpected switch of protocols")
            }
            try FieldLineParser.validate(section)
            return nil
        }
        var fields = FramingFields()
        var headers = HTTPHeaders(reservingCapacity: 16)
        try FieldLineParser.parse(section, into: &headers, framing: &fields)

        let framing: BodyFraming
        if requestMethodIsHead || line.status == 204 || line.status == 304 {
            // Framing fields here describe a body that is not sent (RFC 9110
            // §8.6, §15.3.5, §15.4.5); they are not acted on.
            framing = .none
        } else {
            framing = try fields.declaredFraming(version: line.version, maxBodyBytes: limits.maxBodyBytes) ?? .untilClose
        }
        return HTTPResponseHead(
            version: line.version,
            status: line.status,
            reason: CommonStrings.reasonPhrase(line.reason) ?? String(decoding: line.reason, as: UTF8.self),
            headers: headers,
            keepAlive: framing != .untilClose && fields.keepAlive(version: line.version),
            framing: framing
        )
    }
}
