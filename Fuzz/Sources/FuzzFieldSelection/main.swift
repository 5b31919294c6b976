import FuzzKit
import FuzzMain
import Projection

/// Percent-encodes every byte, so any name survives `parse` unchanged.
func percentEncoded(_ names: [String]) -> [UInt8] {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for (i, name) in names.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        for b in name.utf8 {
            out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
        }
    }
    return out
}

/// FieldSelection.parse: no crash; accepted names are non-empty, trimmed,
/// free of control characters and distinct; the text overload agrees with the
/// bytes overload; and the names, percent-encoded, parse back to themselves.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFieldSelection(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    let parsed = Result { () throws(FieldsError) in try FieldSelection.parse(input) }
    let again = Result { () throws(FieldsError) in try FieldSelection.parse(input) }
    fuzzCheck(parsed == again, "parse is not deterministic")
    if let text = String(validating: input, as: UTF8.self) {
        let fromText = Result { () throws(FieldsError) in try FieldSelection.parse(Substring(text)) }
        fuzzCheck(fromText == parsed, "text overload: \(fromText), bytes: \(parsed)")
    }
    guard case .success(let selection) = parsed else { return 0 }
    fuzzCheck(!selection.names.isEmpty, "empty selection accepted")
    for (i, name) in selection.names.enumerated() {
        let bytes = Array(name.utf8)
        fuzzCheck(!bytes.isEmpty, "empty name")
        fuzzCheck(![0x20, 0x09].contains(bytes.first!) && ![0x20, 0x09].contains(bytes.last!), "untrimmed name \(bytes)")
        fuzzCheck(!bytes.contains { $0 < 0x20 || $0 == 0x7F }, "control character in \(bytes)")
        fuzzCheck(selection.contains(name), "selection does not contain its own name")
        for other in selection.names[..<i] {
            fuzzCheck(!other.utf8.elementsEqual(name.utf8), "name \(bytes) twice")
        }
    }
    let reencoded = Result { () throws(FieldsError) in try FieldSelection.parse(percentEncoded(selection.names)) }
    fuzzCheck(reencoded == .success(selection), "percent-encoded names parse as \(reencoded)")
    let built = Result { () throws(FieldsError) in try FieldSelection(names: selection.names) }
    fuzzCheck(built == .success(selection), "init(names:) gives \(built)")
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzFieldSelection_main")
public func fuzzFieldSelectionMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzFieldSelection)
}
