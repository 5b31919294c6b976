import FuzzKit
import FuzzMain
import HTTP1
import HTTP1Drivers

/// Response decoder (with `decodeEOF`): no crash, 502 for every error, and the
/// same outcome however the bytes are split into reads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1Response(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let limits = choices.flip() ? HTTPLimits(maxBodyBytes: 8 << 20) : tightLimits
    let headRequests = [choices.flip(), choices.flip(), choices.flip()]
    let eof = choices.upTo(3) != 0

    let whole = decodeResponses(input, feeding: .whole, headRequests: headRequests, eof: eof, limits: limits)
    for feeding in alternativeFeedings(count: count, &choices) {
        let other = decodeResponses(input, feeding: feeding, headRequests: headRequests, eof: eof, limits: limits)
        fuzzCheck(other.agrees(with: whole), "fed \(feeding): \(other)\nfed whole: \(whole)")
    }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzHTTP1Response_main")
public func fuzzHTTP1ResponseMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzHTTP1Response)
}
