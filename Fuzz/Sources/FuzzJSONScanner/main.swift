import FuzzKit
import FuzzMain
import Projection

/// JSONScanner.validate: no crash, never accepts bytes that are not UTF-8,
/// the value range is the document minus whitespace, and ClientExtractor
/// (which validates in the same pass) agrees on validity.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONScanner(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    let verdict = withExactCopy(of: input) { bytes in Result { () throws(ProjectionError) in try JSONScanner.validate(bytes) } }
    let extracted = withExactCopy(of: input) { bytes in Result { () throws(ProjectionError) in try ClientExtractor.extract(bytes) } }

    switch verdict {
    case .success(let range):
        fuzzCheck(range.lowerBound >= 0 && range.upperBound <= count && !range.isEmpty, "value range \(range) of \(count) bytes")
        fuzzCheck(String(validating: input, as: UTF8.self) != nil, "accepted a document that is not UTF-8")
        let inner = Array(input[range])
        let again = withExactCopy(of: inner) { bytes in Result { () throws(ProjectionError) in try JSONScanner.validate(bytes) } }
        fuzzCheck(again == .success(0..<inner.count), "the value alone validates as \(again)")
        for byte in input[..<range.lowerBound] + input[range.upperBound...] {
            fuzzCheck([0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains(byte), "byte \(byte) outside the value")
        }
        if case .failure(.invalidJSON(_, let reason)) = extracted {
            fuzzCheck(reason.contains("duplicate"), "extract rejects a valid document: \(reason)")
        }
    case .failure(let error):
        guard case .invalidJSON(let offset, _) = error else {
            fatalError("validate threw \(error)")
        }
        fuzzCheck(offset >= 0 && offset <= count, "error offset \(offset) of \(count)")
        guard case .failure(.invalidJSON) = extracted else {
            fatalError("extract accepts what validate rejects: \(extracted)")
        }
    }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzJSONScanner_main")
public func fuzzJSONScannerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzJSONScanner)
}
