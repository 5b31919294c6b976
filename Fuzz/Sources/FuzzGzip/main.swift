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

/// GzipInflater on arbitrary bytes: no crash, output never past the limit,
/// the same result however the input is split; and anything GzipDeflater
/// compresses inflates back to itself (also as two concatenated members).
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
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzGzip_main")
public func fuzzGzipMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzGzip)
}
