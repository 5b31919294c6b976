import Projection
import Testing

@Suite struct ClientExtractorTests {
    @Test func membersKeepTheirExactUpstreamBytes() throws {
        let client = #"""
        {"id":512,"price":1.50,"thousand":1e3,"zero":-0,"big":123456789012345678901234567890,"e":"\u00e9","emoji":"\ud83d\ude00","raw":"é€😀مرحبا","nested":{"a":[1, 2 ,{"b" : null}],"c":{}},"nothing":null,"is_offline":0,"suspend":true,"staff_id":"3","credit_limit":"12.50","notes":"line\nbreak \"quoted\" \/ slash"}
        """#
        let expected = client
        #expect(try project(envelope(expected)) == expected)
    }

    /// A client of at most `maxClientMembers` members is fine; one more is refused
    /// (a body of tiny repeated members would otherwise cost ~11x its size).
    @Test func clientMembersAreBounded() throws {
        let limit = ClientExtractor.maxClientMembers
        let atLimit = "{" + Array(repeating: #""":0"#, count: limit).joined(separator: ",") + "}"
        #expect(try extract(envelope(atLimit)).get().members.count == limit)
        let over = "{" + Array(repeating: #""":0"#, count: limit + 1).joined(separator: ",") + "}"
        guard case .failure(.invalidJSON(_, let reason)) = extract(envelope(over)) else {
            Issue.record("a client of \(limit + 1) members was accepted")
            return
        }
        #expect(reason.contains("members"))
    }

    @Test func keyOrderIsUpstreamOrderAndUnknownMembersPassThrough() throws {
        let client = #"{"zeta":1,"email":"a@b.c","id":7,"language_code":"ar","photo":null,"alpha":[],"national_id":"29001011234567"}"#
        #expect(try project(envelope(client)) == client)
        let names = try extract(envelope(client)).get().members.map(\.name)
        #expect(names == ["zeta", "email", "id", "language_code", "photo", "alpha", "national_id"])
    }

    @Test func rangesPointAtTheKeyTokenAndTheValue() throws {
        let document = utf8(#"{"data":{"Client":{ "na\u006de" : [1, 2] , "id":1 }}}"#)
        let client = try extract(document).get()
        #expect(client.members.count == 2)
        let first = client.members[0]
        #expect(first.name == "name")
        #expect(String(decoding: document[first.nameRange], as: UTF8.self) == #""na\u006de""#)
        #expect(String(decoding: document[first.valueRange], as: UTF8.self) == "[1, 2]")
        #expect(String(decoding: document[client.range], as: UTF8.self) == #"{ "na\u006de" : [1, 2] , "id":1 }"#)
        // The raw key bytes, escapes included, are what the answer carries.
        #expect(try project(document) == #"{"na\u006de":[1, 2],"id":1}"#)
    }

    @Test func namesAreRightForDocumentedOrderNearMissesAndExtras() throws {
        // Documented names in documented order are matched against the list as
        // the scan goes; near misses and extras in between must keep their own names.
        let keys: [(raw: String, name: String)] = [
            ("id", "id"), ("i", "i"), ("idx", "idx"), ("is_offlinf", "is_offlinf"), ("is_offline", "is_offline"),
            ("client_numbe", "client_numbe"), ("client_number", "client_number"), ("language_code", "language_code"),
            ("staff_id", "staff_id"), ("staff_id", "staff_id"), ("business_name", "business_name"), ("id", "id"),
            (#"first_nam\u0065"#, "first_name"), ("first_name", "first_name"),
        ]
        let client = "{" + keys.enumerated().map { #""\#($1.raw)":\#($0)"# }.joined(separator: ",") + "}"
        #expect(try extract(envelope(client)).get().members.map(\.name) == keys.map(\.name))
        #expect(try project(envelope(client)) == client)

        let everything = "{" + ClientFields.documented.map { #""\#($0)":null"# }.joined(separator: ",") + "}"
        #expect(try extract(envelope(everything)).get().members.map(\.name) == ClientFields.documented)
    }

    @Test func escapedKeysDecodeToTheirText() throws {
        let client = #"{"\u0041\u00e9\ud83d\ude00":1,"tab\tkey\\\"\/":2,"é":3}"#
        let names = try extract(envelope(client)).get().members.map(\.name)
        #expect(names == ["Aé😀", "tab\tkey\\\"/", "é"])
    }

    @Test func emptyClientRendersAsEmptyObject() throws {
        #expect(try extract(envelope("{}")).get().members.isEmpty)
        #expect(try project(envelope("{ \n }")) == "{}")
    }

    @Test(arguments: [
        #"{"code":200,"result":"successful"}"#,
        #"{"data":[{"Client":{"id":1}}]}"#,
        #"{"data":null}"#,
        #"{"data":"Client"}"#,
        #"{"data":{}}"#,
        #"{"data":{"client":{"id":1}}}"#,
        #"{"data":{"Clients":{"id":1}}}"#,
        #"{"data":{"Client":null}}"#,
        #"{"data":{"Client":[{"id":1}]}}"#,
        #"{"data":{"Client":"{\"id\":1}"}}"#,
        #"{"data":{"Client":1}}"#,
        #"{"Client":{"id":1}}"#,
        #"{"data":{"x":{"Client":{"id":1}}}}"#,
        #"{"Data":{"Client":{"id":1}}}"#,
        #"{}"#,
        #"[]"#,
        #"[{"data":{"Client":{"id":1}}}]"#,
        #""data""#,
        "null",
        "200",
    ])
    func documentsWithoutAClientObjectAreMissingClient(_ document: String) {
        #expect(extract(document).failure == .missingClient)
    }

    @Test func invalidJSONWinsOverMissingClient() {
        #expect(extract(#"{"data":1} x"#).failure?.reason == "unexpected data after the top-level value")
        #expect(extract(#"[1,]"#).failure?.reason == "trailing comma")
    }

    @Test func bytesAfterTheClientAreStillValidated() {
        let broken = #"{"data":{"Client":{"id":1}},"pagination":{"page":01}}"#
        #expect(extract(broken).failure?.reason == "number with a leading zero")
        let truncated = #"{"data":{"Client":{"id":1}}"#
        #expect(extract(truncated).failure?.reason == "unexpected end of input in an object")
        let badTail = #"{"data":{"Client":{"id":1},"more":"\ud800"}}"#
        #expect(extract(badTail).failure?.reason == "unpaired surrogate escape")
    }

    @Test(arguments: [
        #"{"data":{"Client":{"id":1}},"code":200,"result":"successful"}"#,
        #"{"pagination":{"page":1,"next":null},"result":"successful","data":{"Client":{"id":1}},"code":200}"#,
        #"{"code":200,"data":{"meta":[1,{"Client":2}],"Client":{"id":1},"after":{"Client":{"id":2}}},"x":{"data":3}}"#,
        #"{"d\u0061ta":{"\u0043lient":{"id":1}}}"#,
        "\u{FEFF}{\"data\":{\"Client\":{\"id\":1}}}",
        " \n\t\r{ \"data\" \n:\t{\r\"Client\"  :  {  \"id\"\n:\n1\t}\r}\n}\n\t ",
    ])
    func envelopeKeysInAnyOrderAndWhitespaceAnywhere(_ document: String) throws {
        #expect(try project(document) == #"{"id":1}"#)
    }

    @Test func whitespaceInsideValuesIsKeptAndBetweenMembersDropped() throws {
        let document = "{\"data\":{\"Client\":{\n  \"id\" : 1 ,\n  \"a\" : [ 1 ,\n 2 ] ,\n  \"o\" : { \"k\" : \"v w\" }\n}}}"
        #expect(try project(document) == "{\"id\":1,\"a\":[ 1 ,\n 2 ],\"o\":{ \"k\" : \"v w\" }}")
    }

    @Test func duplicateEnvelopeKeysAreAmbiguous() {
        let twoData = #"{"data":{"Client":{"id":1}},"data":{"Client":{"id":2}}}"#
        #expect(extract(twoData).failure == .invalidJSON(offset: 28, reason: #"duplicate "data" key"#))
        let escapedTwin = #"{"data":1,"d\u0061ta":{"Client":{"id":2}}}"#
        #expect(extract(escapedTwin).failure?.reason == #"duplicate "data" key"#)
        let twoClients = #"{"data":{"Client":null,"Client":{"id":2}}}"#
        #expect(extract(twoClients).failure?.reason == #"duplicate "Client" key"#)
        // Only the envelope path is checked: repeats elsewhere are left alone.
        #expect(extract(#"{"code":1,"code":2,"data":{"x":1,"x":2,"Client":{"id":1}}}"#).failure == nil)
        #expect(extract(#"{"data":{"Client":{"id":1}},"pagination":{"data":1,"data":2}}"#).failure == nil)
    }

    @Test func duplicateClientMembersBothPassThrough() throws {
        let client = #"{"id":1,"email":"a@x","id":2}"#
        #expect(try project(envelope(client)) == client)
        #expect(try project(envelope(client), fields: "id") == #"{"id":1,"id":2}"#)
        #expect(try extract(envelope(client)).get().members.map(\.name) == ["id", "email", "id"])
    }

    @Test func nestingLimitCountsTheEnvelope() throws {
        // Root, data and Client are three levels; a value may add 61 more.
        let deepest = String(repeating: "[", count: 61) + String(repeating: "]", count: 61)
        #expect(try project(envelope(#"{"deep":\#(deepest)}"#)) == #"{"deep":\#(deepest)}"#)
        let tooDeep = "[" + deepest + "]"
        #expect(extract(envelope(#"{"deep":\#(tooDeep)}"#)).failure?.reason == "nesting deeper than 64")
    }

    @Test func documentsOfEverySizeUpTo30KBRoundTrip() throws {
        // Long string values cross the scanner's eight-byte steps at every alignment.
        for size in [0, 1, 7, 8, 9, 255, 4096, 30_000] {
            let notes = String(repeating: "Lorem ipsum é€😀 \\\" ", count: size / 20 + 1)
            let client = #"{"id":1,"notes":"\#(notes)","n":-1.5e-7}"#
            #expect(try project(envelope(client)) == client)
        }
    }
}
