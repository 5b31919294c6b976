/// Decodes the chunked transfer coding (RFC 9112 §7.1) incrementally.
///
/// Chunk-size lines are parsed byte by byte as they arrive, so nothing is
/// ever rescanned; data is handed out as ranges of the caller's buffer
/// without copying; the trailer section is validated and discarded.
/// Statuses in its errors are the server's (400, 413, 431).
struct ChunkedDecoder: Sendable {
    /// What one call produced.
    enum Event: Equatable {
        /// Chunk data at this range of the input.
        case data(Range<Int>)
        /// The last chunk and the trailer section have been consumed.
        case end
    }

    /// Where in the chunk-size line (`chunk-size [ chunk-ext ] CRLF`) we are.
    private enum LineState: UInt8 {
        case sizeStart, size
        /// After BWS, only `;` may come.
        case beforeSemicolon
        /// After `;`: BWS, then an extension name.
        case extensionNameStart, extensionName
        /// After a name and BWS: `=` or `;`.
        case afterName
        /// After `=`: BWS, then a token or quoted string.
        case valueStart, tokenValue, quotedValue, quotedPair
        /// After a closing quote.
        case afterValue
        case lf
    }

    private enum State {
        case sizeLine(LineState)
        case data(remaining: UInt64)
        case dataCR
        case dataLF
        case trailers(HeadScanner)
        case done
    }

    private var state = State.sizeLine(.sizeStart)
    private var chunkSize: UInt64 = 0
    private var lineBytes = 0
    private var total: UInt64 = 0
    private let limits: HTTPLimits

    init(limits: HTTPLimits) {
        self.limits = limits
    }

    /// Consumes bytes from the start of `input` until it can report an event
    /// or has used up the input (event nil: more bytes are needed).
    mutating func decode(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> (consumed: Int, event: Event?) {
        var i = 0
        let end = input.count
        while true {
            switch state {
            case .sizeLine(var line):
                while i < end {
                    let b = input[i]
                    i &+= 1
                    lineBytes &+= 1
                    guard lineBytes <= limits.maxChunkLineBytes else {
                        throw .badRequest("chunk line too long")
                    }
                    if line == .lf {
                        guard b == ASCII.lf else { throw .badRequest("bare CR in chunk line") }
                        try finishSizeLine()
                        break
                    }
                    guard b != ASCII.lf else { throw .badRequest("line ends in a bare LF") }
                    line = try Self.step(line, b, size: &chunkSize)
                }
                if case .sizeLine = state {
                    state = .sizeLine(line)
                    return (i, nil)
                }
            case .data(let remaining):
                guard i < end else { return (i, nil) }
                let take = Int(min(remaining, UInt64(end &- i)))
                let left = remaining &- UInt64(take)
                state = left == 0 ? .dataCR : .data(remaining: left)
                return (i &+ take, .data(i..<i &+ take))
            case .dataCR:
                guard i < end else { return (i, nil) }
                guard input[i] == ASCII.cr else { throw .badRequest("missing CRLF after chunk data") }
                i &+= 1
                state = .dataLF
            case .dataLF:
                guard i < end else { return (i, nil) }
                guard input[i] == ASCII.lf else { throw .badRequest("missing CRLF after chunk data") }
                i &+= 1
                state = .sizeLine(.sizeStart)
            case .trailers(var scanner):
                let rest = input.slice(i..<end)
                let bounds = HeadScanner.Bounds(
                    maxBytes: limits.maxTrailerBytes,
                    tooLarge: HTTPParseError(status: 431, reason: "trailer section too large"),
                    maxLines: limits.maxHeaderFields,
                    tooManyLines: HTTPParseError(status: 431, reason: "too many trailer fields"),
                    firstLineMaxBytes: nil,
                    firstLineTooLong: nil
                )
                guard let length = try scanner.scan(rest, bounds: bounds) else {
                    state = .trailers(scanner)
                    return (i, nil)
                }
                // Validated like header fields, then dropped: nothing the
                // gateway does depends on trailers, and none may alter framing.
                try FieldLineParser.validateTrailers(rest.slice(0..<length &- 2))
                state = .done
                return (i &+ length, .end)
            case .done:
                return (0, .end)
            }
        }
    }

    /// A complete chunk-size line: start the data, or the trailers after the last chunk.
    private mutating func finishSizeLine() throws(HTTPParseError) {
        lineBytes = 0
        if chunkSize == 0 {
            state = .trailers(HeadScanner())
            return
        }
        // Checked before any data arrives, so an oversized body is refused
        // at its first chunk line; the subtraction cannot wrap.
        guard chunkSize <= UInt64(limits.maxBodyBytes) &- total else {
            throw HTTPParseError(status: 413, reason: "body too large")
        }
        total &+= chunkSize
        state = .data(remaining: chunkSize)
        chunkSize = 0
    }

    /// One byte of `chunk-size *( BWS ";" BWS name [ BWS "=" BWS value ] ) CR`.
    @inline(__always)
    private static func step(_ line: LineState, _ b: UInt8, size: inout UInt64) throws(HTTPParseError) -> LineState {
        let isWS = ASCII.isWhitespace(b)
        switch line {
        case .sizeStart, .size:
            if let digit = ASCII.hexValue(b) {
                // Past 15 significant hex digits the size exceeds any limit;
                // saturating keeps the limit check exact and overflow-free.
                size = size > (UInt64.max >> 4) ? .max : size << 4 | UInt64(digit)
                return .size
            }
            guard line == .size else { throw .badRequest("invalid chunk size") }
            if b == ASCII.cr { return .lf }
            if b == ASCII.semicolon { return .extensionNameStart }
            if isWS { return .beforeSemicolon }
            throw .badRequest("invalid chunk size")
        case .beforeSemicolon:
            if isWS { return .beforeSemicolon }
            if b == ASCII.semicolon { return .extensionNameStart }
        case .extensionNameStart:
            if isWS { return .extensionNameStart }
            if ASCII.isTchar(b) { return .extensionName }
        case .extensionName:
            if ASCII.isTchar(b) { return .extensionName }
            if b == ASCII.cr { return .lf }
            if b == ASCII.semicolon { return .extensionNameStart }
            if b == ASCII.equals { return .valueStart }
            if isWS { return .afterName }
        case .afterName:
            if isWS { return .afterName }
            if b == ASCII.equals { return .valueStart }
            if b == ASCII.semicolon { return .extensionNameStart }
        case .valueStart:
            if isWS { return .valueStart }
            if b == ASCII.quote { return .quotedValue }
            if ASCII.isTchar(b) { return .tokenValue }
        case .tokenValue:
            if ASCII.isTchar(b) { return .tokenValue }
            if b == ASCII.cr { return .lf }
            if b == ASCII.semicolon { return .extensionNameStart }
            if isWS { return .beforeSemicolon }
        case .quotedValue:
            if b == ASCII.quote { return .afterValue }
            if b == ASCII.backslash { return .quotedPair }
            // qdtext: HTAB / SP / VCHAR except DQUOTE and "\" / obs-text.
            if ASCII.isFieldValueByte(b) { return .quotedValue }
        case .quotedPair:
            if ASCII.isFieldValueByte(b) { return .quotedValue }
        case .afterValue:
            if b == ASCII.cr { return .lf }
            if b == ASCII.semicolon { return .extensionNameStart }
            if isWS { return .beforeSemicolon }
        case .lf:
            break
        }
        throw .badRequest("invalid chunk extension")
    }
}
