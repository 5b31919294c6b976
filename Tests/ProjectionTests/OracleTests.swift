import Foundation
import Projection
import Testing

// Property tests against Foundation's JSONSerialization as oracle.
//
// Deliberate differences, each checked where it arises (see `JSONScanner`):
// - trailing commas: Foundation accepts `[1,]`; RFC 8259 and this scanner do not;
// - nesting: Foundation allows 512 levels, this scanner 64;
// - encodings: Foundation guesses UTF-16/32 from NUL bytes among the first
//   four bytes; the gateway takes UTF-8 only (RFC 8259 §8.1);
// - number magnitude: Foundation rejects `1e400` as not representable; the
//   grammar allows it and the gateway passes number bytes through untouched.
// Lone surrogate escapes are rejected by both.

/// What Foundation makes of a document.
enum OracleVerdict {
    case accepted(Any)
    case rejected(String)

    init(_ bytes: [UInt8]) {
        do {
            self = .accepted(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
        } catch {
            self = .rejected((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")
        }
    }

    var value: Any? {
        if case .accepted(let value) = self { return value }
        return nil
    }

    /// `data.Client` as Foundation reads it (the last of repeated keys wins).
    var client: [String: Any]? {
        ((value as? [String: Any])?["data"] as? [String: Any])?["Client"] as? [String: Any]
    }
}

/// Structural equality of two Foundation JSON values, strings compared by bytes.
///
/// `NSDictionary.isEqual(to:)` in swift-corelibs-foundation reports dictionaries
/// holding arrays as different even when they are equal, so it cannot be used.
func sameJSON(_ lhs: Any, _ rhs: Any) -> Bool {
    switch (lhs, rhs) {
    case let (lhs as [String: Any], rhs as [String: Any]):
        return lhs.count == rhs.count && lhs.allSatisfy { key, value in rhs[key].map { sameJSON(value, $0) } ?? false }
    case let (lhs as [Any], rhs as [Any]):
        return lhs.count == rhs.count && zip(lhs, rhs).allSatisfy(sameJSON)
    case let (lhs as String, rhs as String):
        return lhs.utf8.elementsEqual(rhs.utf8)
    case (is NSNull, is NSNull):
        return true
    case let (lhs as NSNumber, rhs as NSNumber):
        return ObjectIdentifier(type(of: lhs)) == ObjectIdentifier(type(of: rhs))
            && lhs.isEqual(rhs) && lhs.description == rhs.description
    default:
        return false
    }
}

/// Whether Foundation would read `bytes` as UTF-16 or UTF-32.
func foundationGuessesAnotherEncoding(_ bytes: [UInt8]) -> Bool {
    bytes.prefix(4).contains(0) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE])
}

/// Checks that the scanner and Foundation agree on accepting `bytes`, allowing
/// only the documented differences. Returns which difference applied, if any.
@discardableResult
func expectSameVerdict(_ bytes: [UInt8], _ ours: ProjectionError?, _ oracle: OracleVerdict, _ context: () -> Comment) -> String? {
    switch (ours, oracle) {
    case (nil, .accepted), (.some, .rejected):
        return nil
    case (.some(let error), .accepted):
        if error.reason == "trailing comma" { return "trailing comma" }
        if error.reason == "nesting deeper than 64" { return "depth" }
        if foundationGuessesAnotherEncoding(bytes) { return "encoding" }
        Issue.record("rejected (\(error)) what Foundation accepts: \(context())")
        return nil
    case (nil, .rejected(let message)):
        if message.contains("not representable") { return "magnitude" }
        Issue.record("accepted what Foundation rejects (\(message)): \(context())")
        return nil
    }
}

/// Builds a raw `fields` value naming `names`: bytes percent-encoded at random
/// (always outside the unreserved set), padded with encoded or `+` spaces,
/// separated by plain or encoded commas, with stray empty entries.
func encodeFields(_ names: [String], using generator: inout JSONGenerator) -> String {
    let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    var parts: [String] = []
    for name in names {
        var part = generator.pick(["", " ", "+", "%20"])
        for byte in name.utf8 {
            if unreserved.contains(byte), !generator.chance(0.1) {
                part.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: generator.chance(0.5))
                part += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        part += generator.pick(["", " ", "+", "%09"])
        parts.append(part)
        if generator.chance(0.05) { parts.append("") }
    }
    var raw = ""
    for (index, part) in parts.enumerated() {
        if index > 0 { raw += generator.pick([",", ",", "%2C", "%2c"]) }
        raw += part
    }
    return raw
}

/// The deepest nesting of containers in a valid document, counted without
/// the scanner: brackets outside strings.
func nesting(of bytes: [UInt8]) -> Int {
    var depth = 0, deepest = 0, inString = false, escaped = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            continue
        }
        switch byte {
        case 0x22: inString = true
        case 0x5B, 0x7B: depth += 1; deepest = max(deepest, depth)
        case 0x5D, 0x7D: depth -= 1
        default: break
        }
    }
    return deepest
}

/// Parses `text` with Foundation.
func oracleParse(_ bytes: [UInt8]) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
}

func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.elementsEqual(rhs.utf8)
}

@Suite struct OracleTests {
    /// Counts of what the runs exercised, so a generator regression that stops
    /// producing some shape fails the test instead of silently passing it.
    struct Coverage {
        var clients = 0, selections = 0, missing = 0, duplicates = 0, tooDeep = 0
        var mutatedAccepted = 0, mutatedRejected = 0, mutatedClients = 0
        var divergences: [String: Int] = [:]
    }

    @Test func generatedDocumentsAgreeWithFoundationAndProjectExactly() throws {
        var generator = JSONGenerator(seed: 0x6461_6674_7261)
        var coverage = Coverage()
        for index in 0..<2000 {
            let document = generator.document()
            try checkGenerated(document, &generator, &coverage) {
                "generated document \(index): \(String(decoding: document.bytes, as: UTF8.self).debugDescription)"
            }
        }
        #expect(coverage.clients > 1200)
        #expect(coverage.selections > 1000)
        #expect(coverage.missing > 100)
        #expect(coverage.duplicates > 20)
        #expect(coverage.tooDeep > 5)
    }

    @Test func mutatedDocumentsAgreeWithFoundation() throws {
        var generator = JSONGenerator(seed: 0x6761_7465_7761_79)
        var coverage = Coverage()
        for index in 0..<2000 {
            var bytes = generator.document().bytes
            for _ in 0..<generator.int(1...3) {
                mutate(&bytes, &generator)
            }
            try checkMutated(bytes, &generator, &coverage) { "mutated document \(index): \(bytes)" }
        }
        #expect(coverage.mutatedAccepted > 150)
        #expect(coverage.mutatedRejected > 1000)
        #expect(coverage.mutatedClients > 100)
        #expect(coverage.divergences["trailing comma", default: 0] > 0)
    }

    /// Pins each documented difference from Foundation, and the agreements
    /// chosen on purpose, so a change on either side is noticed.
    @Test func documentedDifferencesFromFoundation() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let cases: [(bytes: [UInt8], ours: String?, foundationAccepts: Bool)] = [
            (utf8("[1,]"), "trailing comma", true),
            (utf8(#"{"a":1,}"#), "trailing comma", true),
            (utf8(deep), "nesting deeper than 64", true),
            ([0x31, 0x00, 0x32, 0x00], "unexpected data after the top-level value", true),  // read as UTF-16LE "12"
            ([0xFF, 0xFE, 0x31, 0x00], "unexpected byte, expected a value", true),
            (utf8("1e400"), nil, false),
            (utf8("[-2e308]"), nil, false),
            // Agreements: lone surrogate escapes, a UTF-8 byte order mark, escaped NUL, DEL.
            (utf8(#""\ud800""#), "unpaired surrogate escape", false),
            (utf8(#""\udc00x""#), "unpaired surrogate escape", false),
            ([0xEF, 0xBB, 0xBF] + utf8("[1]"), nil, true),
            (utf8(#""\u0000""#), nil, true),
            (utf8("\"\u{7F}\""), nil, true),
        ]
        for (bytes, ours, foundationAccepts) in cases {
            #expect(validate(bytes).failure?.reason == ours, "\(bytes)")
            #expect((OracleVerdict(bytes).value != nil) == foundationAccepts, "\(bytes)")
        }
    }

    // MARK: Generated documents

    func checkGenerated(_ document: GeneratedDocument, _ generator: inout JSONGenerator, _ coverage: inout Coverage, _ context: () -> Comment) throws {
        let bytes = document.bytes
        let oracle = OracleVerdict(bytes)
        let validation = validate(bytes)
        expectSameVerdict(bytes, validation.failure, oracle, context)

        if nesting(of: bytes) > JSONScanner.maximumDepth {
            coverage.tooDeep += 1
            #expect(validation.failure?.reason == "nesting deeper than 64", context())
            #expect(extract(bytes).failure != nil, context())
            return
        }
        #expect(validation.failure == nil, context())
        let extraction = extract(bytes)
        switch document.shape {
        case .duplicate:
            coverage.duplicates += 1
            #expect(extraction.failure?.reason?.hasPrefix("duplicate") == true, context())
        case .missingClient:
            coverage.missing += 1
            #expect(extraction.failure == .missingClient, context())
            #expect(oracle.client == nil, context())
        case .client:
            coverage.clients += 1
            let client = try #require(try? extraction.get(), context())
            try checkClient(client, document, oracle, &generator, &coverage, context)
        }
    }

    func checkClient(
        _ client: ClientObject, _ document: GeneratedDocument, _ oracle: OracleVerdict,
        _ generator: inout JSONGenerator, _ coverage: inout Coverage, _ context: () -> Comment
    ) throws {
        let bytes = document.bytes
        // Members, names and ranges are exactly what was generated, in order.
        #expect(client.members.count == document.members.count, context())
        for (member, expected) in zip(client.members, document.members) {
            #expect(sameBytes(member.name, expected.name), context())
            #expect(Array(bytes[member.nameRange]) == expected.keyToken, context())
            #expect(Array(bytes[member.valueRange]) == expected.value, context())
        }
        let oracleClient = try #require(oracle.client, context())

        // The whole object, then a random selection and allow-list.
        let full = render(client, bytes, nil, nil)
        #expect(full == expectedRender(document.members, nil, nil), context())
        #expect(sameJSON(try #require(oracleParse(full), context()), oracleClient), context())

        var names = document.members.map(\.name).filter { !$0.isEmpty && generator.chance(0.4) }
        if generator.chance(0.3) { names.append(generator.pick(ClientFields.documented)) }
        if generator.chance(0.2) { names.append("zz_unknown_\(generator.int(0...9))") }
        if names.isEmpty { names.append(generator.pick(ClientFields.documented)) }
        if generator.chance(0.2), let repeated = names.first { names.append(repeated) }
        let raw = encodeFields(names, using: &generator)
        let selection = try FieldSelection.parse(Substring(raw))
        var distinct: [String] = []
        for name in names where !distinct.contains(where: { sameBytes($0, name) }) {
            distinct.append(name)
        }
        #expect(selection.names.count == distinct.count && zip(selection.names, distinct).allSatisfy(sameBytes), "\(raw) \(context())")

        let present = document.members.map(\.name)
        let unknown = distinct.filter { name in
            !ClientFields.documented.contains(name) && !present.contains { sameBytes($0, name) }
        }
        #expect(selection.unknownFields(in: client) == unknown, context())

        var allowed: Set<String>?
        if generator.chance(0.3) {
            allowed = Set(present.filter { _ in generator.chance(0.5) } + [generator.pick(ClientFields.documented)])
        }
        let projected = render(client, bytes, selection, allowed)
        #expect(projected == expectedRender(document.members, distinct, allowed), "\(raw) \(context())")
        let restricted = oracleClient.filter { key, _ in
            distinct.contains { sameBytes($0, key) } && (allowed.map { $0.contains { sameBytes($0, key) } } ?? true)
        }
        #expect(sameJSON(try #require(oracleParse(projected), context()), restricted), context())
        coverage.selections += 1
    }

    /// What the answer must be, computed from the generator's own record.
    func expectedRender(_ members: [GeneratedMember], _ selection: [String]?, _ allowed: Set<String>?) -> [UInt8] {
        let kept = members.filter { member in
            (selection.map { $0.contains { sameBytes($0, member.name) } } ?? true)
                && (allowed.map { $0.contains { sameBytes($0, member.name) } } ?? true)
        }
        var out: [UInt8] = [0x7B]
        for (index, member) in kept.enumerated() {
            if index > 0 { out.append(0x2C) }
            out += member.keyToken + [0x3A] + member.value
        }
        return out + [0x7D]
    }

    func render(_ client: ClientObject, _ bytes: [UInt8], _ selection: FieldSelection?, _ allowed: Set<String>?) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBytes { ClientProjection.render(client, from: $0, selecting: selection, allowed: allowed, into: &out) }
        return out
    }

    // MARK: Mutated documents

    func mutate(_ bytes: inout [UInt8], _ generator: inout JSONGenerator) {
        let interesting: [UInt8] = Array("{}[]\",:\\ 0123456789-+.eEtfnu".utf8) + [0x00, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF0, 0xF4, 0xFF]
        let at = bytes.isEmpty ? 0 : generator.int(0...bytes.count - 1)
        switch bytes.isEmpty ? 1 : generator.int(0...6) {
        case 0: bytes[at] ^= 1 << UInt8(generator.int(0...7))
        case 1: bytes.insert(generator.pick(interesting), at: at)
        case 2: bytes[at] = generator.pick(interesting)
        case 3: bytes.remove(at: at)
        case 4:
            // Repeat a slice: makes repeated keys, doubled values and stray tokens.
            let end = min(bytes.count, at + generator.int(1...24))
            bytes.insert(contentsOf: bytes[at..<end], at: generator.int(0...bytes.count))
        case 5:
            // A comma before a closing bracket: Foundation's leniency.
            if let close = bytes.indices.filter({ bytes[$0] == 0x5D || bytes[$0] == 0x7D }).randomElement(using: &generator.rng) {
                bytes.insert(0x2C, at: close)
            }
        default: bytes.removeLast(generator.int(1...min(8, bytes.count)))
        }
    }

    func checkMutated(_ bytes: [UInt8], _ generator: inout JSONGenerator, _ coverage: inout Coverage, _ context: () -> Comment) throws {
        let oracle = OracleVerdict(bytes)
        let validation = validate(bytes)
        if let divergence = expectSameVerdict(bytes, validation.failure, oracle, context) {
            coverage.divergences[divergence, default: 0] += 1
        }
        let extraction = extract(bytes)
        if let failure = validation.failure {
            coverage.mutatedRejected += 1
            // Extraction stops at the same byte, or earlier at a repeated `data`/`Client`.
            #expect(extraction.failure == failure || extraction.failure?.reason?.hasPrefix("duplicate") == true, context())
            return
        }
        coverage.mutatedAccepted += 1
        switch extraction {
        case .failure(.missingClient):
            #expect(oracle.client == nil || oracle.value == nil, context())
        case .failure(let error):
            #expect(error.reason?.hasPrefix("duplicate") == true, context())
        case .success(let client):
            coverage.mutatedClients += 1
            try checkMutatedClient(client, bytes, oracle, &generator, context)
        }
    }

    func checkMutatedClient(_ client: ClientObject, _ bytes: [UInt8], _ oracle: OracleVerdict, _ generator: inout JSONGenerator, _ context: () -> Comment) throws {
        guard case .accepted = oracle else { return }  // a documented divergence
        let oracleClient = try #require(oracle.client, context())
        // Members lie inside the object, in increasing order, key before value.
        var previous = client.range.lowerBound
        for member in client.members {
            #expect(previous < member.nameRange.lowerBound && member.nameRange.upperBound <= member.valueRange.lowerBound, context())
            previous = member.valueRange.upperBound
        }
        #expect(previous < client.range.upperBound, context())
        // The same keys as Foundation, and for unrepeated keys the same values.
        #expect(Set(client.members.map { Array($0.name.utf8) }) == Set(oracleClient.keys.map { Array($0.utf8) }), context())
        for member in client.members where client.members.filter({ sameBytes($0.name, member.name) }).count == 1 {
            let value = oracleParse(Array(bytes[member.valueRange]))
            #expect(value.map { sameJSON($0, oracleClient[member.name] as Any) } == true, context())
        }
        // The answer reads back as Foundation's client, whole and restricted.
        let full = render(client, bytes, nil, nil)
        #expect(sameJSON(try #require(oracleParse(full), context()), oracleClient), context())
        let names = oracleClient.keys.filter { !$0.isEmpty && generator.chance(0.5) && !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "," } && $0.trimmingCharacters(in: .whitespaces) == $0 }
        guard !names.isEmpty else { return }
        let selection = try FieldSelection.parse(Substring(encodeFields(Array(names), using: &generator)))
        #expect(selection.unknownFields(in: client).isEmpty, context())
        let projected = render(client, bytes, selection, nil)
        let restricted = oracleClient.filter { key, _ in names.contains { sameBytes($0, key) } }
        #expect(sameJSON(try #require(oracleParse(projected), context()), restricted), context())
    }
}
