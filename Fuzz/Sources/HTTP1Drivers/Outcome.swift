import FuzzKit
import HTTP1

/// One decoded event with body bytes copied out, so outcomes of different
/// feeding patterns can be compared (adjacent body pieces are merged).
public enum DecodedItem<Head: Equatable>: Equatable {
    /// A complete head.
    case head(Head)
    /// Body bytes, merged across events until the next head or end.
    case body([UInt8])
    /// The message is complete.
    case end
}

/// Everything a decoder made of some input: its events, the error that stopped
/// it, and how many bytes it left unconsumed waiting for more.
public struct DecodeOutcome<Head: Equatable>: Equatable, CustomStringConvertible {
    /// The events in order.
    public var items: [DecodedItem<Head>] = []
    /// The error that stopped the decoder, if any.
    public var error: HTTPParseError?
    /// Bytes offered but not consumed when the input ran out (0 after an error).
    public var leftover = 0

    /// An empty outcome.
    public init() {}

    mutating func appendBody(_ bytes: UnsafeRawBufferPointer) {
        if case .body(let previous)? = items.last {
            items[items.count - 1] = .body(previous + Array(bytes))
        } else {
            items.append(.body(Array(bytes)))
        }
    }

    /// Whether two feedings of the same bytes agree. Without an error they
    /// must be identical. After an error only the body being received when it
    /// struck may differ, and only in length: a decoder reports body bytes as
    /// they arrive, so how many came before the error depends on the reads.
    public func agrees(with other: Self) -> Bool {
        guard error == other.error else { return false }
        guard error != nil else { return self == other }
        var mine = items
        var theirs = other.items
        let myTail = mine.popTrailingBody()
        let theirTail = theirs.popTrailingBody()
        return mine == theirs && (myTail.starts(with: theirTail) || theirTail.starts(with: myTail))
    }

    /// The heads decoded, in order.
    public var heads: [Head] {
        items.compactMap { if case .head(let h) = $0 { h } else { nil } }
    }

    /// The events, error and leftover, for failure messages.
    public var description: String {
        var parts: [String] = []
        for item in items {
            switch item {
            case .head(let h): parts.append("head(\(h))")
            case .body(let b): parts.append("body(\(b.count) bytes)")
            case .end: parts.append("end")
            }
        }
        if let error { parts.append("error(\(error.status) \(error.reason))") }
        parts.append("leftover \(leftover)")
        return parts.joined(separator: ", ")
    }
}

/// A connection's read buffer: unconsumed bytes, plus each new read, held in
/// an allocation of exactly that size for every decode call.
struct ReadBuffer {
    private(set) var bytes: [UInt8] = []

    mutating func append(_ piece: ArraySlice<UInt8>) {
        bytes += piece
    }

    mutating func consume(_ n: Int) {
        fuzzCheck(n >= 0 && n <= bytes.count, "consumed \(n) of \(bytes.count) bytes offered")
        bytes.removeFirst(n)
    }
}

/// Checks the event grammar `(head body* end)*` and per-message body sizes.
struct EventGrammar {
    private var inMessage = false
    private var bodyBytes: UInt64 = 0
    private var expected: BodyFraming = .none

    mutating func head(_ framing: BodyFraming) {
        fuzzCheck(!inMessage, "head inside a message")
        inMessage = true
        bodyBytes = 0
        expected = framing
    }

    mutating func body(_ count: Int, maxBody: Int) {
        fuzzCheck(inMessage, "body outside a message")
        fuzzCheck(count > 0, "empty body event")
        bodyBytes += UInt64(count)
        switch expected {
        case .none: fuzzCheck(false, "body for a message without one")
        case .contentLength(let n): fuzzCheck(bodyBytes <= n, "body longer than Content-Length")
        case .chunked, .untilClose: fuzzCheck(bodyBytes <= UInt64(maxBody), "body above maxBodyBytes")
        }
    }

    mutating func end() {
        fuzzCheck(inMessage, "end outside a message")
        if case .contentLength(let n) = expected {
            fuzzCheck(bodyBytes == n, "body of \(bodyBytes) bytes for Content-Length \(n)")
        }
        inMessage = false
    }
}

extension Array {
    /// Removes a trailing `.body` item and returns its bytes (empty if none).
    mutating func popTrailingBody<Head>() -> [UInt8] where Element == DecodedItem<Head> {
        if case .body(let bytes)? = last {
            removeLast()
            return bytes
        }
        return []
    }
}
