import Compression
import FuzzKit
import FuzzMain

/// AcceptEncoding.choose: no crash; deterministic; the bytes, String and
/// one-element-array overloads agree; and cutting the value into several
/// field lines at commas changes nothing (RFC 9110 §5.3: a list field split
/// over lines means the same as the combined line).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAcceptEncoding(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let fromBytes = withExactCopy(of: input) { AcceptEncoding.choose($0) }
    let twice = withExactCopy(of: input) { AcceptEncoding.choose($0) }
    fuzzCheck(fromBytes == twice, "choose is not deterministic")

    guard let text = String(validating: input, as: UTF8.self) else { return 0 }
    let fromText = AcceptEncoding.choose(text)
    fuzzCheck(fromText == fromBytes, "String: \(fromText), bytes: \(fromBytes)")
    if !text.isEmpty {
        fuzzCheck(AcceptEncoding.choose([text]) == fromBytes, "[String] disagrees")
    }
    var lines: [String] = []
    var current: [UInt8] = []
    for byte in input {
        if byte == UInt8(ascii: ","), choices.flip() {
            lines.append(String(decoding: current, as: UTF8.self))
            current = []
        } else {
            current.append(byte)
        }
    }
    lines.append(String(decoding: current, as: UTF8.self))
    let fromLines = AcceptEncoding.choose(lines)
    fuzzCheck(fromLines == fromBytes, "as lines \(lines): \(fromLines), combined: \(fromBytes)")
    fuzzCheck(AcceptEncoding.prefersGzip(text) == (fromBytes == .gzip), "prefersGzip disagrees")
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzAcceptEncoding_main")
public func fuzzAcceptEncodingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzAcceptEncoding)
}
