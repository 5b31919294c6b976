import FuzzKit
import HTTP1

/// Feeds `message` to a request decoder in the pieces `feeding` describes, the
/// way a connection does: unconsumed bytes stay, each read is appended, and
/// the decoder is called until it asks for more. Every call sees an exact-size
/// buffer. The event grammar and body sizes are checked on the way.
public func decodeRequests(
    _ message: [UInt8],
    feeding: Feeding = .whole,
    limits: HTTPLimits = HTTPLimits()
) -> DecodeOutcome<HTTPRequestHead> {
    var decoder = HTTPRequestDecoder(limits: limits)
    var outcome = DecodeOutcome<HTTPRequestHead>()
    var grammar = EventGrammar()
    var buffer = ReadBuffer()
    var offset = 0
    for length in feeding.lengths(count: message.count) {
        buffer.append(message[offset..<offset + length])
        offset += length
        var idleEvents = 0
        while true {
            let step: (consumed: Int, event: HTTPRequestEvent?)
            do {
                step = try withExactCopy(of: buffer.bytes) { bytes in
                    let step = try decoder.decode(bytes)
                    if case .body(let range)? = step.event {
                        fuzzCheck(range.lowerBound >= 0 && range.upperBound <= step.consumed, "body range \(range) outside consumed \(step.consumed)")
                        outcome.appendBody(UnsafeRawBufferPointer(rebasing: bytes[range]))
                    }
                    return step
                }
            } catch let error as HTTPParseError {
                fuzzCheck([400, 413, 414, 431, 501, 505].contains(error.status), "request error status \(error.status)")
                // What was left unread depends on how much had arrived; the
                // connection closes, so only the error is compared.
                outcome.error = error
                return outcome
            } catch {
                fatalError("untyped error \(error)")
            }
            buffer.consume(step.consumed)
            switch step.event {
            case .head(let head)?:
                grammar.head(head.framing)
                outcome.items.append(.head(head))
                checkHead(head, limits: limits)
            case .body(let range)?:
                grammar.body(range.count, maxBody: limits.maxBodyBytes)
            case .end?:
                grammar.end()
                outcome.items.append(.end)
            case nil:
                break
            }
            guard step.event != nil else { break }
            // Only `.end` right after a body may take no bytes; anything more is a loop.
            idleEvents = step.consumed == 0 ? idleEvents + 1 : 0
            fuzzCheck(idleEvents <= 1, "decoder returns events without consuming")
        }
    }
    outcome.leftover = buffer.bytes.count
    return outcome
}

/// Properties every accepted request head has.
private func checkHead(_ head: HTTPRequestHead, limits: HTTPLimits) {
    fuzzCheck(!head.method.isEmpty && !head.target.isEmpty, "empty method or target")
    fuzzCheck(head.target.utf8.count <= limits.maxTargetBytes, "target above limit")
    fuzzCheck(head.headers.count <= limits.maxHeaderFields, "more fields than allowed")
    fuzzCheck(head.version == .http1_0 || head.version == .http1_1, "version \(head.version)")
    fuzzCheck(head.framing != .untilClose, "request framed until close")
    if head.version == .http1_1 {
        fuzzCheck(head.headers.values("host").count == 1, "HTTP/1.1 request without exactly one Host")
    }
    if head.framing == .chunked {
        fuzzCheck(head.headers.first("content-length") == nil, "chunked with Content-Length")
    }

    // A plain model of RFC 9112 §6.3 and §9.3 over the decoded fields must agree
    // with the framing and persistence the decoder chose.
    let codings = head.headers.values("transfer-encoding").flatMap(listElements)
    let lengths = head.headers.values("content-length").flatMap(listElements)
    if !head.headers.values("transfer-encoding").isEmpty {
        fuzzCheck(head.framing == .chunked && codings.last == "chunked", "Transfer-Encoding \(codings) framed as \(head.framing)")
    } else if !lengths.isEmpty {
        // Identical values may repeat; "5" and "05" are the same value.
        let values = Set(lengths.map { UInt64($0) })
        fuzzCheck(values.count == 1 && head.framing == .contentLength(values.first! ?? .max),
                  "Content-Length \(lengths) framed as \(head.framing)")
    } else {
        fuzzCheck(head.framing == .none, "no framing fields but \(head.framing)")
    }
    let options = head.headers.values("connection").flatMap(listElements)
    let keepAlive = !options.contains("close") && (head.version == .http1_1 || options.contains("keep-alive"))
    fuzzCheck(head.keepAlive == keepAlive, "Connection \(options) on \(head.version) gave keepAlive \(head.keepAlive)")
}

/// The non-empty elements of a comma-separated list, trimmed and ASCII
/// lower-cased (Unicode case mapping would turn U+212A KELVIN SIGN into `k`).
private func listElements(_ value: String) -> [String] {
    value.split(separator: ",").map { element in
        String(decoding: element.trimmingWhitespace().utf8.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }.filter { !$0.isEmpty }
}

extension Substring {
    /// Without leading and trailing SP and HTAB.
    fileprivate func trimmingWhitespace() -> String {
        var s = self[...]
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}

/// The head serialised again in canonical form (`name: value`, CRLF lines).
public func serialize(_ head: HTTPRequestHead) -> [UInt8] {
    var out = Array("\(head.method) \(head.target) \(head.version)\r\n".utf8)
    for (name, value) in head.headers {
        out += name.utf8
        out += ": ".utf8
        out += value.utf8
        out += "\r\n".utf8
    }
    out += "\r\n".utf8
    return out
}
