import FuzzKit
import FuzzMain
import Projection

/// Wraps a client object's bytes in the upstream envelope.
func envelope(_ client: [UInt8]) -> [UInt8] {
    Array(#"{"data":{"Client":"#.utf8) + client + Array("}}".utf8)
}

/// Extracts `document` on an exact-size copy and renders it with the filters.
func extractAndRender(
    _ document: [UInt8],
    selecting: FieldSelection?,
    allowed: Set<String>?
) -> (client: ClientObject, rendered: [UInt8])? {
    withExactCopy(of: document) { bytes in
        let client: ClientObject
        do {
            client = try ClientExtractor.extract(bytes)
        } catch {
            return nil
        }
        checkRanges(client, count: bytes.count, document: bytes)
        var out: [UInt8] = Array("prefix".utf8)
        ClientProjection.render(client, from: bytes, selecting: selecting, allowed: allowed, into: &out)
        fuzzCheck(out.starts(with: "prefix".utf8), "render changed bytes already in the output")
        let rendered = Array(out.dropFirst(6))
        fuzzCheck(rendered.count <= client.range.count, "rendered \(rendered.count) bytes from a \(client.range.count)-byte object")
        return (client, rendered)
    }
}

/// Every range lies inside the client object, in order, keys are string tokens.
func checkRanges(_ client: ClientObject, count: Int, document: UnsafeRawBufferPointer) {
    fuzzCheck(client.range.lowerBound >= 0 && client.range.upperBound <= count, "client range \(client.range) of \(count)")
    fuzzCheck(document[client.range.lowerBound] == UInt8(ascii: "{") && document[client.range.upperBound - 1] == UInt8(ascii: "}"),
              "client range is not an object")
    var last = client.range.lowerBound
    for member in client.members {
        fuzzCheck(member.nameRange.lowerBound > last && member.nameRange.upperBound < member.valueRange.lowerBound
                  && member.valueRange.upperBound < client.range.upperBound, "member ranges out of order")
        fuzzCheck(document[member.nameRange.lowerBound] == UInt8(ascii: "\"") && document[member.nameRange.upperBound - 1] == UInt8(ascii: "\"")
                  && member.nameRange.count >= 2, "key token is not a string")
        last = member.valueRange.upperBound
    }
}

/// Renders with the filters, then checks the answer is valid JSON that
/// extracts again to exactly the expected member names, in order.
func checkRender(_ document: [UInt8], selecting: FieldSelection?, allowed: Set<String>?) -> [String]? {
    guard let (client, rendered) = extractAndRender(document, selecting: selecting, allowed: allowed) else { return nil }
    let valid = withExactCopy(of: rendered) { bytes in Result { () throws(ProjectionError) in try JSONScanner.validate(bytes) } }
    fuzzCheck(valid == .success(0..<rendered.count), "rendered answer does not validate: \(valid)")
    let expected = client.members.map(\.name).filter { name in
        (selecting?.contains(name) ?? true) && (allowed.map { set in set.contains { $0.utf8.elementsEqual(name.utf8) } } ?? true)
    }
    guard let (again, rerendered) = extractAndRender(envelope(rendered), selecting: nil, allowed: nil) else {
        fatalError("rendered answer does not extract again")
    }
    let names = again.members.map(\.name)
    fuzzCheck(names.count == expected.count && zip(names, expected).allSatisfy { $0.utf8.elementsEqual($1.utf8) },
              "re-extracted \(names), expected \(expected)")
    fuzzCheck(rerendered == rendered, "rendering the answer again changed it")
    return client.members.map(\.name)
}

/// ClientExtractor.extract + ClientProjection.render: no crash, ranges in
/// bounds, and every rendered answer validates and extracts again to the
/// member names the filters keep. The input is tried as a whole document and
/// as the client object inside an envelope.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProjection(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    for document in [input, envelope(input)] {
        guard let names = checkRender(document, selecting: nil, allowed: nil), !names.isEmpty else { continue }
        let picked = names.filter { _ in choices.flip() }
        if let selection = try? FieldSelection(names: picked) {
            _ = checkRender(document, selecting: selection, allowed: nil)
            let allowed = Set(names.filter { _ in choices.flip() })
            _ = checkRender(document, selecting: selection, allowed: allowed)
            _ = checkRender(document, selecting: nil, allowed: allowed)
        }
    }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzProjection_main")
public func fuzzProjectionMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzProjection)
}
