import FuzzKit
import HTTP1

/// Feeds `message` to a response decoder like ``decodeRequests(_:feeding:limits:)``.
/// `headRequests[k]` says whether the k-th response answers a HEAD (further
/// responses repeat the last entry); `eof` reports the close after the input.
public func decodeResponses(
    _ message: [UInt8],
    feeding: Feeding = .whole,
    headRequests: [Bool] = [false],
    eof: Bool = true,
    limits: HTTPLimits = HTTPLimits(maxBodyBytes: 8 << 20)
) -> DecodeOutcome<HTTPResponseHead> {
    var decoder = HTTPResponseDecoder(limits: limits)
    var outcome = DecodeOutcome<HTTPResponseHead>()
    var grammar = EventGrammar()
    var buffer = ReadBuffer()
    var responses = 0
    var offset = 0

    func expectNext() {
        guard !headRequests.isEmpty else { return }
        decoder.expect(requestMethodIsHead: headRequests[min(responses, headRequests.count - 1)])
    }
    func record(_ event: HTTPResponseEvent?) {
        switch event {
        case .head(let head)?:
            fuzzCheck((200...599).contains(head.status), "status \(head.status) reported")
            grammar.head(head.framing)
            outcome.items.append(.head(head))
        case .body(let range)?:
            grammar.body(range.count, maxBody: limits.maxBodyBytes)
        case .end?:
            grammar.end()
            outcome.items.append(.end)
            responses += 1
            expectNext()
        case nil:
            break
        }
    }
    func fail(_ error: any Error) -> DecodeOutcome<HTTPResponseHead> {
        guard let error = error as? HTTPParseError else { fatalError("untyped error \(error)") }
        fuzzCheck(error.status == 502, "response error status \(error.status)")
        // What was left unread depends on how much had arrived; the
        // connection closes, so only the error is compared.
        outcome.error = error
        return outcome
    }

    expectNext()
    for length in feeding.lengths(count: message.count) {
        buffer.append(message[offset..<offset + length])
        offset += length
        var idleEvents = 0
        while true {
            let step: (consumed: Int, event: HTTPResponseEvent?)
            do {
                step = try withExactCopy(of: buffer.bytes) { bytes in
                    let step = try decoder.decode(bytes)
                    if case .body(let range)? = step.event {
                        fuzzCheck(range.lowerBound >= 0 && range.upperBound <= step.consumed, "body range \(range) outside consumed \(step.consumed)")
                        outcome.appendBody(UnsafeRawBufferPointer(rebasing: bytes[range]))
                    }
                    return step
                }
            } catch {
                return fail(error)
            }
            buffer.consume(step.consumed)
            record(step.event)
            guard step.event != nil else { break }
            idleEvents = step.consumed == 0 ? idleEvents + 1 : 0
            fuzzCheck(idleEvents <= 1, "decoder returns events without consuming")
        }
    }
    if eof {
        do {
            record(try decoder.decodeEOF())
        } catch {
            return fail(error)
        }
    }
    outcome.leftover = buffer.bytes.count
    return outcome
}
