/// What ``HTTPRequestDecoder`` found next in its input.
public enum HTTPRequestEvent: Sendable, Equatable {
    /// A complete request head.
    case head(HTTPRequestHead)
    /// Body bytes, as a range of the buffer passed to that `decode` call.
    case body(Range<Int>)
    /// The request is complete; the next call starts the next request.
    case end
}

/// An incremental, allocation-light HTTP/1.1 request parser (RFC 9112)
/// for input that may be hostile.
///
/// The caller owns the bytes: it passes everything not yet consumed, drops
/// the consumed prefix, appends what it reads next and calls again. Each
/// call returns at most one event; a nil event means every byte offered has
/// been used and more are needed. After `.head` come zero or more `.body`
/// events and exactly one `.end`, after which pipelined requests follow.
///
/// Choices where RFC 9112 leaves room:
/// - A bare LF is never accepted as a line end (§2.2 allows either); lines
///   must end in CRLF, so no two parsers can disagree on where a line ends.
/// - Up to four empty lines before a request line are skipped (§2.2).
/// - obs-fold and whitespace before a field's colon are rejected (§5.1, §5.2).
/// - Transfer-Encoding with Content-Length, or on HTTP/1.0, is rejected (§6.1, §6.3);
///   a final coding other than chunked is 400 (§6.3); any other coding,
///   understood or not, is 501 (§6.1): only chunked is implemented.
/// - Field values must be valid UTF-8 so they survive as `String` unchanged.
/// - Request-targets may not contain `" < > \ ^ ` { | } #` or a bad `%` escape.
///
/// After an error the decoder stays failed: the connection must close.
public struct HTTPRequestDecoder: Sendable {
    private enum State {
        case head(HeadScanner, emptyLines: Int)
        case body(remaining: UInt64)
        case chunked(ChunkedDecoder)
        case end
        case failed(HTTPParseError)
    }

    private var state = State.head(HeadScanner(), emptyLines: 0)
    private let limits: HTTPLimits
    private let headBounds: HeadScanner.Bounds

    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks for at least one).
    static let maxEmptyLines = 4

    /// Creates a decoder that enforces `limits`.
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        headBounds = HeadScanner.Bounds(
            maxBytes: limits.maxHeadBytes,
            tooLarge: HTTPParseError(status: 431, reason: "request head too large"),
            maxLines: limits.maxHeaderFields &+ 1,
            tooManyLines: HTTPParseError(status: 431, reason: "too many header fields"),
            firstLineMaxBytes: limits.maxTargetBytes &+ HTTPLimits.requestLineSlack,
            firstLineTooLong: HTTPParseError(status: 414, reason: "request target too long")
        )
    }

    /// Decodes the next event from `input`, which holds the bytes not yet consumed.
    ///
    /// Returns how many bytes of `input` were consumed and the event, or a nil
    /// event when more bytes are needed (some may still have been consumed).
    /// A head is consumed whole once its blank line is present; bytes already
    /// examined are not examined again, so feeding a head in many small reads
    /// costs the same as feeding it at once.
    ///
    /// - Throws: ``HTTPParseError`` whose `status` is the answer to send
    ///   before closing: 400, 413, 414, 431, 501 or 505.
    public mutating func decode(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> (consumed: Int, event: HTTPRequestEvent?) {
        do throws(HTTPParseError) {
            return try step(input)
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> (consumed: Int, event: HTTPRequestEvent?) {
        switch state {
        case .head(var scanner, var emptyLines):
            var skipped = 0
            if scanner.isAtStart {
                guard let n = try HeadScanner.skipEmptyLines(input, count: &emptyLines, max: Self.maxEmptyLines) else {
                    state = .head(scanner, emptyLines: emptyLines)
                    return (input.count &- 1, nil)
                }
                skipped = n
            }
            let rest = input.slice(skipped..<input.count)
            guard let length = try scanner.scan(rest, bounds: headBounds) else {
                state = .head(scanner, emptyLines: emptyLines)
                return (skipped, nil)
            }
            let head = try parseHead(rest.slice(0..<length))
            switch head.framing {
            case .chunked:
                state = .chunked(ChunkedDecoder(limits: limits))
            case .contentLength(let n) where n > 0:
                state = .body(remaining: n)
            default:
                state = .end
            }
            return (skipped &+ length, .head(head))

        case .body(let remaining):
            guard !input.isEmpty else { return (0, nil) }
            let take = Int(min(remaining, UInt64(input.count)))
            let left = remaining &- UInt64(take)
            state = left == 0 ? .end : .body(remaining: left)
            return (take, .body(0..<take))

        case .chunked(var chunked):
            let (consumed, event) = try chunked.decode(input)
            switch event {
            case .data(let range)?:
                state = .chunked(chunked)
                return (consumed, .body(range))
            case .end?:
                state = .head(HeadScanner(), emptyLines: 0)
                return (consumed, .end)
            case nil:
                state = .chunked(chunked)
                return (consumed, nil)
            }

        case .end:
            state = .head(HeadScanner(), emptyLines: 0)
            return (0, .end)

        case .failed(let error):
            throw error
        }
    }

    /// Parses a complete head (through its blank line) and decides framing.
    private func parseHead(_ head: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPRequestHead {
        let line = try RequestLine(parsing: head, maxTargetBytes: limits.maxTargetBytes)
        var headers = HTTPHeaders(reservingCapacity: 16)
        var fields = FramingFields()
        let section = head.slice(line.fieldsStart..<head.count &- 2)
        try FieldLineParser.parse(section, into: &headers, framing: &fields)

        // RFC 9112 §3.2: exactly one valid Host in HTTP/1.1, at most one in 1.0.
        guard fields.hostCount <= 1 else {
            throw .badRequest("more than one Host field")
        }
        guard fields.hostCount == 1 || line.version == .http1_0 else {
            throw .badRequest("missing Host field")
        }
        if let host = fields.firstHostValue,
           !URISyntax.isValidAuthority(section.slice(host), requireHost: false, requirePort: false) {
            throw .badRequest("invalid Host field")
        }

        let framing = try fields.declaredFraming(version: line.version, maxBodyBytes: limits.maxBodyBytes)
        return HTTPRequestHead(
            method: CommonStrings.method(line.method) ?? String(decoding: line.method, as: UTF8.self),
            target: String(decoding: line.target, as: UTF8.self),
            version: line.version,
            headers: headers,
            keepAlive: fields.keepAlive(version: line.version),
            framing: framing ?? .none
        )
    }
}
