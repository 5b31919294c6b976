import Projection
import Testing

@Suite struct ClientProjectionTests {
    let document = envelope(
        #"{"id":"512","business_name":"Acme","email":"a@acme.eg","notes":"x","language_code":"ar","starting_balance":1.50}"#
    )

    @Test func fieldsKeepUpstreamOrderNotRequestOrder() throws {
        #expect(try project(document, fields: "email,id") == #"{"id":"512","email":"a@acme.eg"}"#)
        #expect(try project(document, fields: "starting_balance,id,id") == #"{"id":"512","starting_balance":1.50}"#)
    }

    @Test func documentedFieldsAbsentUpstreamAreOmitted() throws {
        #expect(try project(document, fields: "id,phone2,birth_date") == #"{"id":"512"}"#)
        #expect(try project(document, fields: "phone2") == "{}")
    }

    @Test func unknownUpstreamMembersCanBeSelected() throws {
        #expect(try project(document, fields: "language_code") == #"{"language_code":"ar"}"#)
    }

    @Test func percentEncodedListsSelectTheSameMembers() throws {
        let expected = #"{"id":"512","email":"a@acme.eg"}"#
        for raw in ["id%2Cemail", "id%2C%20email", "+id+,+email+", "%69d,%65mail", "id,,email,"] {
            #expect(try project(document, fields: raw) == expected)
        }
    }

    @Test func allowListLimitsEveryAnswer() throws {
        let allowed: Set<String> = ["id", "email", "phone2"]
        #expect(try project(document, allowed: allowed) == #"{"id":"512","email":"a@acme.eg"}"#)
        #expect(try project(document, fields: "notes,id", allowed: allowed) == #"{"id":"512"}"#)
        #expect(try project(document, fields: "notes", allowed: allowed) == "{}")
        #expect(try project(document, allowed: []) == "{}")
    }

    @Test func allowListMatchesBytesExactly() throws {
        let client = envelope("{\"e\u{301}\":1,\"\u{E9}\":2}")
        #expect(try project(client, allowed: ["\u{E9}"]) == "{\"\u{E9}\":2}")
        #expect(try project(client, fields: "e%CC%81") == "{\"e\u{301}\":1}")
    }

    /// Unescaped keys are matched where they lie in the document, escaped ones
    /// through their decoded name: both ways select the same members.
    @Test func escapedAndPlainKeysAreSelectedAlike() throws {
        let client = envelope(#"{"\u0069d":1,"id":2,"na\u006de":3,"name":4,"\u00e9":5,"other":6}"#)
        #expect(try project(client, fields: "id,name") == #"{"\u0069d":1,"id":2,"na\u006de":3,"name":4}"#)
        #expect(try project(client, fields: "%C3%A9") == #"{"\u00e9":5}"#)
        #expect(try project(client, fields: "nam,ids,i") == "{}")
        // Past the linear limit, selections are hashed: the same members.
        let many = (0..<20).map { "f\($0)" }.joined(separator: ",")
        #expect(try project(client, fields: many + ",id,%C3%A9") == #"{"\u0069d":1,"id":2,"\u00e9":5}"#)
    }

    @Test func renderAppendsToExistingBytes() throws {
        let bytes = utf8(document)
        try bytes.withUnsafeBytes { buffer in
            let client = try ClientExtractor.extract(buffer)
            var out = utf8("prefix:")
            ClientProjection.render(client, from: buffer, selecting: try FieldSelection.parse("id"), into: &out)
            ClientProjection.render(client, from: buffer, selecting: try FieldSelection.parse("notes"), into: &out)
            #expect(String(decoding: out, as: UTF8.self) == #"prefix:{"id":"512"}{"notes":"x"}"#)
        }
    }

    @Test func renderingIsRepeatable() throws {
        // The client can be rendered many times from the same document.
        let bytes = utf8(document)
        try bytes.withUnsafeBytes { buffer in
            let client = try ClientExtractor.extract(buffer)
            var first: [UInt8] = [], second: [UInt8] = []
            ClientProjection.render(client, from: buffer, selecting: nil, into: &first)
            ClientProjection.render(client, from: buffer, selecting: nil, into: &second)
            #expect(first == second)
            #expect(first.count < client.range.count || first.count == client.range.count)
        }
    }
}
