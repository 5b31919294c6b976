import Compression
import FuzzKit
import FuzzMain

/// Inflates `input` in pieces with one inflater; returns the output and the error.
func inflate(_ inflater: GzipInflater, _ input: [UInt8], feeding: Feeding) -> (out: [UInt8], error: CompressionError?) {
    inflater.reset()
    var out: [UInt8] = []
    var offset = 0
    do throws(CompressionError) {
        for length in feeding.lengths(count: input.count) {
            let piece = Array(input[offset..<offset + length])
            offset += length
            let failure: CompressionError? = withExactCopy(of: piece) { bytes in
                do throws(CompressionError) {
                    try inflater.feed(bytes, into: &out)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
            fuzzCheck(out.count <= inflater.limit, "\(out.count) bytes out past the \(inflater.limit)-byte limit")
        }
        try inflater.finish()
    } catch {
        fuzzCheck(out.count <= inflater.limit, "\(out.count) bytes out past the limit")
        return (out, error)
    }
    fuzzCheck(out.count == inflater.decodedByteCount, "decodedByteCount \(inflater.decodedByteCount), output \(out.count)")
    return (out, nil)
}

// Reused across inputs, as the gateway reuses one per event loop (so reset()
// is fuzzed too). libFuzzer calls the callback from one thread only.
nonisolated(unsafe) private let inflaters = (small: try! GzipInflater(limit: 1000), large: try! GzipInflater(limit: 1 << 20))
nonisolated(unsafe) private let deflater = try! GzipDeflater(level: 6)
/// The production path: one GzipEncoder per level, reused across inputs as an
/// event loop reuses its own, so streams of every window size are reset and
/// reused between bodies of different lengths.
nonisolated(unsafe) private let encoders = (1...9).map { try! GzipEncoder(level: Int32($0)) }
/// Longer than the 16122 bytes from which the 32 KB window is used.
private let longestBody = 40_000

/// GzipEncoder on `body`: the window fits the body by nginx's rule, the member
/// inflates back to the body, and is byte for byte what a fresh deflater with
/// that window and memory level writes (so reusing a stream leaks nothing from
/// the previous body into the next member).
func checkEncoder(_ encoder: GzipEncoder, _ body: [UInt8], split: Int) {
    let bits = GzipEncoder.windowBits(forLength: body.count)
    fuzzCheck((9...15).contains(bits), "window \(bits) for \(body.count) bytes")
    // The window holds the body and zlib's 262 bytes of lookahead, or is the largest.
    fuzzCheck(bits == 15 || body.count + 262 <= 1 << bits, "window \(bits) too small for \(body.count) bytes")
    fuzzCheck(bits == 9 || body.count + 262 >= 1 << (bits - 1), "window \(bits) larger than \(body.count) bytes need")
    var member: [UInt8] = []
    let failure: CompressionError? = withExactCopy(of: body) { bytes in
        do throws(CompressionError) {
            try encoder.compress(bytes, into: &member)
            return nil
        } catch {
            return error
        }
    }
    fuzzCheck(failure == nil, "GzipEncoder failed: \(String(describing: failure))")
    fuzzCheck(member.starts(with: [0x1F, 0x8B, 0x08]), "not a gzip member")
    let back = inflate(inflaters.large, member, feeding: .split(split))
    fuzzCheck(back.error == nil && back.out == body,
              "level \(encoder.level), \(body.count) bytes, window \(bits): round trip failed: \(String(describing: back.error))")
    let fresh = try! GzipDeflater(level: encoder.level, windowBits: bits, memoryLevel: GzipEncoder.memoryLevel(forWindowBits: bits))
    var expected: [UInt8] = []
    withExactCopy(of: body) { fresh.compress($0, into: &expected) }
    fuzzCheck(member == expected, "level \(encoder.level), window \(bits): the reused stream wrote a different member")
}

/// GzipInflater on arbitrary bytes: no crash, output never past the limit,
/// the same result however the input is split; and anything GzipDeflater
/// compresses inflates back to itself (also as two concatenated members);
/// and GzipEncoder, at a level and a body length chosen from the input (the
/// input repeated, so every window from 9 to 15 bits is used), round-trips.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let inflater = choices.flip() ? inflaters.small : inflaters.large

    let whole = inflate(inflater, input, feeding: .whole)
    for feeding in [Feeding.split(choices.upTo(count)), Feeding.random(count: count, pieces: 2 + choices.upTo(8), &choices)] {
        let other = inflate(inflater, input, feeding: feeding)
        fuzzCheck(other.error == whole.error, "fed \(feeding): \(String(describing: other.error)), whole: \(String(describing: whole.error))")
        if whole.error == nil {
            fuzzCheck(other.out == whole.out, "fed \(feeding): different output")
        }
    }

    guard 2 * count <= inflaters.large.limit else { return 0 }
    var member: [UInt8] = []
    withExactCopy(of: input) { deflater.compress($0, into: &member) }
    let twice = member + member
    let roundTrip = inflate(inflaters.large, twice, feeding: .split(choices.upTo(twice.count)))
    fuzzCheck(roundTrip.error == nil && roundTrip.out == input + input, "round trip failed: \(String(describing: roundTrip.error))")

    let encoder = encoders[choices.upTo(8)]
    checkEncoder(encoder, input, split: choices.upTo(count))
    if !input.isEmpty {
        // Longer bodies for the larger windows, up to the 32 KB one.
        let target = choices.upTo(longestBody)
        var body: [UInt8] = []
        body.reserveCapacity(target + count)
        while body.count < target { body += input }
        checkEncoder(encoder, Array(body.prefix(target)), split: choices.upTo(target))
    }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzGzip_main")
public func fuzzGzipMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzGzip)
}
