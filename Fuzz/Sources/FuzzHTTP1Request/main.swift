import FuzzKit
import FuzzMain
import HTTP1
import HTTP1Drivers

/// Request decoder: no crash, the same outcome however the bytes are split
/// into reads, and every accepted head decodes to itself when written again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1Request(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let limits = choices.flip() ? HTTPLimits() : tightLimits

    let whole = decodeRequests(input, feeding: .whole, limits: limits)
    for feeding in alternativeFeedings(count: count, &choices) {
        let other = decodeRequests(input, feeding: feeding, limits: limits)
        fuzzCheck(other.agrees(with: whole), "fed \(feeding): \(other)\nfed whole: \(whole)")
    }

    // A head written back in canonical form must decode to the same head
    // (head size grows with ": ", so only that limit is relaxed).
    var relaxed = limits
    relaxed.maxHeadBytes = 1 << 20
    for head in whole.heads {
        let again = decodeRequests(serialize(head), limits: relaxed)
        fuzzCheck(again.error == nil && again.heads == [head], "re-serialised head \(head) decoded as \(again)")
    }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzHTTP1Request_main")
public func fuzzHTTP1RequestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzHTTP1Request)
}
