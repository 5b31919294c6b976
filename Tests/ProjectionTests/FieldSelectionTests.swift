import Projection
import Testing

@Suite struct FieldSelectionTests {
    @Test(arguments: [
        ("id,email", ["id", "email"]),
        ("email,id", ["email", "id"]),
        (" id , email ", ["id", "email"]),
        ("\tid\t,email", ["id", "email"]),
        ("id%2Cemail", ["id", "email"]),
        ("id%2c%20email", ["id", "email"]),
        ("id,+email+", ["id", "email"]),
        ("%20id%09,%20%20email", ["id", "email"]),
        ("%69%64", ["id"]),
        ("id,id,ID", ["id", "ID"]),
        ("id,,email,", ["id", "email"]),
        (",id", ["id"]),
        ("caf%C3%A9,%D8%B9%D9%85%D9%8A%D9%84", ["café", "عميل"]),
        ("café", ["café"]),
        ("a%2Bb", ["a+b"]),
        ("first name", ["first name"]),
        ("a%25b", ["a%b"]),
    ])
    func parsesNames(_ raw: String, _ names: [String]) throws {
        #expect(try FieldSelection.parse(Substring(raw)).names == names)
        #expect(try FieldSelection.parse(Array(raw.utf8)).names == names)
    }

    @Test(arguments: ["", ",", ",,", " ", "%20", "+,+", " , %2C "])
    func emptyListsAreRejected(_ raw: String) {
        #expect(throws: FieldsError.empty) { try FieldSelection.parse(Substring(raw)) }
    }

    @Test(arguments: [
        ("%", "invalid percent-escape"),
        ("id%", "invalid percent-escape"),
        ("id%2", "invalid percent-escape"),
        ("%zz", "invalid percent-escape"),
        ("%2G", "invalid percent-escape"),
        ("%FF", "field name is not UTF-8"),
        ("%C3", "field name is not UTF-8"),
        ("%C0%80", "field name is not UTF-8"),
        ("%00", "control character in a field name"),
        ("a%0Ab", "control character in a field name"),
        ("a%7F", "control character in a field name"),
    ])
    func malformedValuesAreRejected(_ raw: String, _ reason: String) {
        #expect(throws: FieldsError.malformed(reason: reason)) { try FieldSelection.parse(Substring(raw)) }
    }

    /// Many undocumented names against a client with many members: each name is
    /// judged by exact bytes, in request order (the check hashes the members once).
    @Test func unknownFieldsAmongManyNamesAndMembers() throws {
        let members = (0..<3_000).map { #""m\#($0)":\#($0)"# }.joined(separator: ",")
        let client = try extract(envelope("{" + members + #","é":1}"#)).get()
        let requested = (0..<1_000).map { $0.isMultiple(of: 3) ? "x\($0)" : "m\($0 * 3)" } + ["e%CC%81", "%C3%A9", "id"]
        let selection = try FieldSelection.parse(Substring(requested.joined(separator: ",")))
        let expected = (0..<1_000).filter { $0.isMultiple(of: 3) }.map { "x\($0)" } + ["e\u{301}"]
        #expect(selection.unknownFields(in: client) == expected)
    }

    @Test func unknownFieldsAreThoseNeitherDocumentedNorPresent() throws {
        let client = try extract(envelope(#"{"id":1,"language_code":"ar","é":2}"#)).get()
        let selection = try FieldSelection.parse("id,phone2,nonexistent,language_code,Email,e%CC%81,%C3%A9,other")
        // phone2 is documented (absent is fine); language_code and é are present;
        // "Email" differs in case and "e\u{301}" in bytes from the present "é".
        #expect(selection.unknownFields(in: client) == ["nonexistent", "Email", "e\u{301}", "other"])
        #expect(try FieldSelection.parse("id,email,branch_id").unknownFields(in: client).isEmpty)
    }

    @Test func disallowedFieldsAreThoseOutsideTheAllowList() throws {
        let selection = try FieldSelection.parse("email,id,notes,e%CC%81")
        #expect(selection.disallowedFields(by: ["id", "email", "é"]) == ["notes", "e\u{301}"])
        #expect(selection.disallowedFields(by: ["id", "email", "notes", "e\u{301}"]).isEmpty)
    }

    @Test func matchingIsByteExact() throws {
        let precomposed = "\u{E9}", decomposed = "e\u{301}"
        #expect(precomposed == decomposed)  // Swift's String equality would conflate them.
        let selection = try FieldSelection(names: [precomposed])
        #expect(selection.contains(precomposed))
        #expect(!selection.contains(decomposed))
        let both = try FieldSelection(names: [precomposed, decomposed])
        #expect(both.names.count == 2)
        // Large selections use a hashed lookup; it must agree.
        let many = try FieldSelection(names: (0..<40).map { "f\($0)" } + [precomposed])
        #expect(many.contains("f39") && many.contains(precomposed))
        #expect(!many.contains(decomposed) && !many.contains("f40"))
    }

    @Test func aSequenceWithoutContiguousStorageParsesAlike() throws {
        let raw = "id,%20email,id"
        let lazy = raw.utf8.lazy.map { $0 }  // no contiguous storage: the copying path
        #expect(try FieldSelection.parse(lazy).names == ["id", "email"])
    }

    /// Past a handful of names, repeats and lookups go through a hash set.
    @Test func longSelectionsKeepOrderDropRepeatsAndLookUp() throws {
        let names = (0..<40).map { "field_\($0)" }
        let raw = (names + names.reversed() + ["field_3", "field_39"]).joined(separator: ",")
        let selection = try FieldSelection.parse(Substring(raw))
        #expect(selection.names == names)
        for name in names { #expect(selection.contains(name)) }
        #expect(!selection.contains("field_40"))
        #expect(!selection.contains("FIELD_1"))
        let short = try FieldSelection.parse("a,b,a")
        #expect(short.names == ["a", "b"])
        #expect(short.contains("b") && !short.contains("c"))
    }

    @Test func initialiserTrimsAndDeduplicates() throws {
        #expect(try FieldSelection(names: [" id", "id ", "", "email"]).names == ["id", "email"])
        #expect(throws: FieldsError.empty) { try FieldSelection(names: ["", "  "]) }
    }

    @Test func documentedFieldsFollowTheUpstreamDocumentation() {
        #expect(ClientFields.documented.count == 47)
        #expect(ClientFields.documented.first == "id" && ClientFields.documented.last == "branch_id")
        #expect(Set(ClientFields.documented).count == ClientFields.documented.count)
        for name in ClientFields.documented {
            #expect(ClientFields.isDocumented(name))
        }
        for name in ["language_code", "photo", "ID", "id ", "", "Client"] {
            #expect(!ClientFields.isDocumented(name))
        }
    }
}

/// The parser decodes only names that hold escapes and checks the others in place;
/// it must agree, names and errors alike, with the plain algorithm: decode the whole
/// value byte by byte, end a name at every decoded comma, check each name as it ends.
@Suite struct FieldSelectionEquivalenceTests {
    /// The plain algorithm, written for clarity.
    static func reference(_ raw: [UInt8]) -> Result<[String], FieldsError> {
        var names: [String] = []
        var name: [UInt8] = []
        func finish() -> FieldsError? {
            defer { name = [] }
            var bytes = name[...]
            while let b = bytes.first, b == 0x20 || b == 0x09 { bytes.removeFirst() }
            while let b = bytes.last, b == 0x20 || b == 0x09 { bytes.removeLast() }
            guard !bytes.isEmpty else { return nil }
            if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .malformed(reason: "control character in a field name") }
            guard let text = String(validating: bytes, as: UTF8.self) else { return .malformed(reason: "field name is not UTF-8") }
            if !names.contains(where: { Array($0.utf8) == Array(text.utf8) }) { names.append(text) }
            return nil
        }
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var i = 0
        while i < raw.count {
            var byte = raw[i]
            i += 1
            if byte == UInt8(ascii: "%") {
                guard i + 1 < raw.count, let high = hex(raw[i]), let low = hex(raw[i + 1]) else {
                    return .failure(.malformed(reason: "invalid percent-escape"))
                }
                byte = high << 4 | low
                i += 2
            } else if byte == UInt8(ascii: "+") {
                byte = UInt8(ascii: " ")
            }
            if byte == UInt8(ascii: ",") {
                if let error = finish() { return .failure(error) }
            } else {
                name.append(byte)
            }
        }
        if let error = finish() { return .failure(error) }
        return names.isEmpty ? .failure(.empty) : .success(names)
    }

    static func parsed(_ raw: [UInt8]) -> Result<[String], FieldsError> {
        Result { () throws(FieldsError) in try FieldSelection.parse(raw).names }
    }

    @Test func generatedValuesParseAsThePlainAlgorithmDoes() {
        // Pieces that exercise every branch: plain names, separators, escapes of
        // commas, spaces, control bytes and UTF-8 (whole and cut), broken escapes.
        let pieces: [String] = [
            "id", "email", "a", "é", ",", ",", " ", "\t", "+", "%2C", "%2c", "%20", "%09", "%00", "%7F",
            "%C3%A9", "%C3", "%A9", "%FF", "%", "%2", "%zz", "%41", "\u{7F}", "\u{01}", "first_name", "id",
        ]
        var generator = SeededGenerator(seed: 0x5EED_F1E1D5)
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 9)
            var raw: [UInt8] = []
            for _ in 0..<count {
                raw.append(contentsOf: pieces[Int(generator.next() % UInt64(pieces.count))].utf8)
            }
            let expected = Self.reference(raw)
            let actual = Self.parsed(raw)
            #expect(actual == expected, "\(String(decoding: raw, as: UTF8.self).debugDescription)")
            if actual != expected { return }
        }
    }

    @Test func theFirstErrorFromTheLeftIsReported() {
        #expect(Self.parsed(Array("a%00,%zz".utf8)) == .failure(.malformed(reason: "control character in a field name")))
        #expect(Self.parsed(Array("%zz,a%00".utf8)) == .failure(.malformed(reason: "invalid percent-escape")))
        #expect(Self.parsed(Array("id%2C%FF,%".utf8)) == .failure(.malformed(reason: "field name is not UTF-8")))
    }
}

extension FieldSelectionEquivalenceTests {
    /// Lookups test a bit per name length first; names of 63 bytes and more share one.
    @Test func namesOfEveryLengthAreFoundExactly() throws {
        let names = (1...80).map { String(repeating: "x", count: $0 - 1) + "y" }
        let picked = [names[0], names[1], names[61], names[62], names[63], names[79]]
        let selection = try FieldSelection(names: picked)
        for name in names {
            #expect(selection.contains(name) == picked.contains(name), "\(name.utf8.count) bytes")
        }
        #expect(!selection.contains(""))
        #expect(!selection.contains(String(repeating: "x", count: 63) + "z"))
    }
}

