import HTTP1
import Testing

/// A request event with its body bytes copied out, so outcomes of
/// different feeding patterns can be compared.
enum RequestItem: Equatable, CustomStringConvertible {
    case head(HTTPRequestHead)
    case body([UInt8])
    case end

    var description: String {
        switch self {
        case .head(let h): "head(\(h.method) \(h.target) \(h.version) framing=\(h.framing) keepAlive=\(h.keepAlive))"
        case .body(let b): "body(\(String(decoding: b, as: UTF8.self).debugDescription))"
        case .end: "end"
        }
    }
}

enum ResponseItem: Equatable, CustomStringConvertible {
    case head(HTTPResponseHead)
    case body([UInt8])
    case end

    var description: String {
        switch self {
        case .head(let h): "head(\(h.status) framing=\(h.framing) keepAlive=\(h.keepAlive))"
        case .body(let b): "body(\(String(decoding: b, as: UTF8.self).debugDescription))"
        case .end: "end"
        }
    }
}

/// Everything a decoder produced for some input: its events (adjacent body
/// pieces merged, since how a body is cut depends on the reads) and the
/// error that stopped it, if any.
struct Outcome<Item: Equatable>: Equatable {
    var items: [Item] = []
    var error: HTTPParseError?

    mutating func append(body bytes: ArraySlice<UInt8>, wrap: ([UInt8]) -> Item, unwrap: (Item) -> [UInt8]?) {
        if let last = items.last, let previous = unwrap(last) {
            items[items.count - 1] = wrap(previous + bytes)
        } else {
            items.append(wrap(Array(bytes)))
        }
    }
}

extension String {
    /// The message bytes; tests write messages as string literals.
    var bytes: [UInt8] { Array(utf8) }
}

/// Feeds `pieces` to a request decoder the way a connection would: it keeps
/// unconsumed bytes, appends each new read, and decodes until the decoder
/// asks for more.
func decodeRequests(_ pieces: [[UInt8]], limits: HTTPLimits = HTTPLimits()) -> Outcome<RequestItem> {
    var decoder = HTTPRequestDecoder(limits: limits)
    var outcome = Outcome<RequestItem>()
    var buffer: [UInt8] = []
    for piece in pieces {
        buffer += piece
        while true {
            let step: (consumed: Int, event: HTTPRequestEvent?)
            do {
                step = try buffer.withBytes { bytes throws(HTTPParseError) in try decoder.decode(bytes) }
            } catch {
                outcome.error = error
                return outcome
            }
            precondition(step.consumed <= buffer.count, "consumed more than offered")
            switch step.event {
            case .head(let head)?:
                outcome.items.append(.head(head))
            case .body(let range)?:
                precondition(!range.isEmpty && range.upperBound <= step.consumed, "body range outside consumed bytes")
                outcome.append(body: buffer[range], wrap: RequestItem.body) {
                    if case .body(let b) = $0 { b } else { nil }
                }
            case .end?:
                outcome.items.append(.end)
            case nil:
                break
            }
            buffer.removeFirst(step.consumed)
            if step.event == nil { break }
        }
    }
    return outcome
}

func decodeRequests(_ message: String, limits: HTTPLimits = HTTPLimits()) -> Outcome<RequestItem> {
    decodeRequests([message.bytes], limits: limits)
}

/// The status a message is rejected with, or nil if it is accepted.
func rejection(_ message: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
    decodeRequests(message, limits: limits).error?.status
}

/// Same as ``decodeRequests(_:limits:)`` for responses. `headRequests[k]`
/// says whether the k-th response answers a HEAD; `eof` closes the stream
/// after the last piece.
func decodeResponses(
    _ pieces: [[UInt8]],
    headRequests: [Bool] = [false],
    eof: Bool = false,
    limits: HTTPLimits = HTTPLimits(maxBodyBytes: 8 << 20)
) -> Outcome<ResponseItem> {
    var decoder = HTTPResponseDecoder(limits: limits)
    var outcome = Outcome<ResponseItem>()
    var buffer: [UInt8] = []
    var responses = 0
    func expectNext() {
        if responses < headRequests.count { decoder.expect(requestMethodIsHead: headRequests[responses]) }
    }
    expectNext()
    func record(_ event: HTTPResponseEvent?, consumed: Int) {
        switch event {
        case .head(let head)?:
            outcome.items.append(.head(head))
        case .body(let range)?:
            precondition(!range.isEmpty && range.upperBound <= consumed, "body range outside consumed bytes")
            outcome.append(body: buffer[range], wrap: ResponseItem.body) {
                if case .body(let b) = $0 { b } else { nil }
            }
        case .end?:
            outcome.items.append(.end)
            responses += 1
            expectNext()
        case nil:
            break
        }
    }
    for piece in pieces {
        buffer += piece
        while true {
            let step: (consumed: Int, event: HTTPResponseEvent?)
            do {
                step = try buffer.withBytes { bytes throws(HTTPParseError) in try decoder.decode(bytes) }
            } catch {
                outcome.error = error
                return outcome
            }
            record(step.event, consumed: step.consumed)
            buffer.removeFirst(step.consumed)
            if step.event == nil { break }
        }
    }
    if eof {
        do {
            record(try decoder.decodeEOF(), consumed: 0)
        } catch {
            outcome.error = error
        }
    }
    return outcome
}

/// Checks that feeding `message` in two pieces split at every position, and
/// one byte at a time, gives exactly what feeding it whole gives, then
/// returns that outcome.
@discardableResult
func expectSplitInvariant<Item: Equatable>(
    _ message: [UInt8],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ decode: ([[UInt8]]) -> Outcome<Item>
) -> Outcome<Item> {
    let whole = decode([message])
    for split in 1..<max(message.count, 1) {
        let pieces = [Array(message[..<split]), Array(message[split...])]
        let outcome = decode(pieces)
        #expect(outcome == whole, "split at \(split)", sourceLocation: sourceLocation)
        if outcome != whole { break }
    }
    let bytewise = decode(message.map { [$0] })
    #expect(bytewise == whole, "one byte at a time", sourceLocation: sourceLocation)
    return whole
}

extension [UInt8] {
    /// `withUnsafeBytes` that keeps the closure's typed error.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(HTTPParseError) -> R) throws(HTTPParseError) -> R {
        let result = withUnsafeBytes { bytes in
            Result { () throws(HTTPParseError) in try body(bytes) }
        }
        return try result.get()
    }
}
