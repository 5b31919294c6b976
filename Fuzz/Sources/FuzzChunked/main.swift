import FuzzKit
import FuzzMain
@testable import HTTP1
import HTTP1Drivers

/// What the chunked decoder made of some input.
struct ChunkedOutcome: Equatable {
    var data: [UInt8] = []
    var ended = false
    var consumed = 0
    var error: HTTPParseError?

    /// Identical without an error; after one, only the error must match and
    /// the data of one must start the other's (how much was consumed and
    /// handed out before the error depends on the reads).
    func agrees(with other: ChunkedOutcome) -> Bool {
        guard error == other.error else { return false }
        guard error != nil else { return self == other }
        return !ended && !other.ended && (data.starts(with: other.data) || other.data.starts(with: data))
    }
}

/// Feeds `input` to a bare ``ChunkedDecoder`` in pieces, each call on an
/// exact-size buffer holding the unconsumed bytes plus the new piece.
func decodeChunked(_ input: [UInt8], feeding: Feeding, limits: HTTPLimits) -> ChunkedOutcome {
    var decoder = ChunkedDecoder(limits: limits)
    var outcome = ChunkedOutcome()
    var pending: [UInt8] = []
    var offset = 0
    for length in feeding.lengths(count: input.count) {
        pending += input[offset..<offset + length]
        offset += length
        while !outcome.ended {
            let step: (consumed: Int, event: ChunkedDecoder.Event?)
            do {
                step = try withExactCopy(of: pending) { bytes in
                    let step = try decoder.decode(bytes)
                    fuzzCheck(step.consumed >= 0 && step.consumed <= bytes.count, "consumed \(step.consumed) of \(bytes.count)")
                    if case .data(let range)? = step.event {
                        fuzzCheck(!range.isEmpty && range.upperBound == step.consumed, "data range \(range), consumed \(step.consumed)")
                        outcome.data += UnsafeRawBufferPointer(rebasing: bytes[range])
                    }
                    return step
                }
            } catch let error as HTTPParseError {
                fuzzCheck([400, 413, 431].contains(error.status), "chunked error status \(error.status)")
                outcome.error = error
                return outcome
            } catch {
                fatalError("untyped error \(error)")
            }
            pending.removeFirst(step.consumed)
            outcome.consumed += step.consumed
            fuzzCheck(outcome.data.count <= limits.maxBodyBytes, "\(outcome.data.count) data bytes above the limit")
            if step.event == .end { outcome.ended = true }
            if step.event == nil { break }
        }
    }
    return outcome
}

/// Encodes `payload` as a chunked body, cut where `choices` says, with some
/// chunk extensions and a trailer field.
func encodeChunked(_ payload: [UInt8], _ choices: inout FuzzChoices) -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    let extensions = [";a", ";a=b", " ; name = \"q\\\"v\"", ";x=1;y"]
    while offset < payload.count {
        let size = 1 + choices.upTo(min(payload.count - offset, 40) - 1)
        out += String(size, radix: 16, uppercase: choices.flip()).utf8
        if choices.upTo(3) == 0 { out += extensions[choices.upTo(extensions.count - 1)].utf8 }
        out += "\r\n".utf8
        out += payload[offset..<offset + size]
        out += "\r\n".utf8
        offset += size
    }
    out += "0\r\n".utf8
    if choices.flip() { out += "Trailer-Field: value\r\n".utf8 }
    out += "\r\n".utf8
    return out
}

/// The chunked decoder directly: no crash, the same outcome however the
/// bytes are split, data within the limit, and any payload chunked by a
/// well-behaved encoder decodes back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunked(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let limits = choices.flip() ? HTTPLimits() : tightLimits

    let whole = decodeChunked(input, feeding: .whole, limits: limits)
    for feeding in alternativeFeedings(count: count, &choices) {
        let other = decodeChunked(input, feeding: feeding, limits: limits)
        fuzzCheck(other.agrees(with: whole), "fed \(feeding): \(other)\nfed whole: \(whole)")
    }

    let encoded = encodeChunked(input, &choices)
    let decoded = decodeChunked(encoded + Array("GET".utf8), feeding: .split(choices.upTo(encoded.count)), limits: HTTPLimits())
    fuzzCheck(decoded.error == nil && decoded.ended && decoded.data == input && decoded.consumed == encoded.count,
              "round trip of \(input.count) bytes: \(decoded)")
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzChunked_main")
public func fuzzChunkedMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzChunked)
}
