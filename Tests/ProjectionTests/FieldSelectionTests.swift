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
