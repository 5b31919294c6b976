@testable import Gateway
import Testing

@Suite("RequestTarget")
struct RequestTargetTests {
    @Test func pathAndQueryAreSplitAtTheFirstQuestionMark() {
        let t = RequestTarget("/clients/7?fields=id,email&x=?")
        #expect(t.path == "/clients/7")
        #expect(t.query == "fields=id,email&x=?")
        #expect(RequestTarget("/livez").query == nil)
        #expect(RequestTarget("/livez?").query == "")
    }

    @Test func absoluteFormDropsSchemeAndAuthority() {
        let t = RequestTarget("http://gw.internal:8080/clients/1?fields=id")
        #expect(t.path == "/clients/1")
        #expect(t.query == "fields=id")
        #expect(RequestTarget("http://gw.internal").path == "/")
    }

    /// Found by FuzzGatewayRequest: the authority of an absolute-form target ends
    /// at "?" too, so a "/" inside the query is not the path.
    @Test func absoluteFormAuthorityEndsAtTheQuery() {
        let t = RequestTarget("http://acme.example.com?fields=/clients/1")
        #expect(t.path == "/")
        #expect(t.query == "fields=/clients/1")
        #expect(RequestTarget.authority(of: "http://acme.example.com?fields=/clients/1") == "acme.example.com")
        let u = RequestTarget("http://gw.internal:8080?x=1&fields=id")
        #expect(u.path == "/")
        #expect(u.queryValue("fields") == "id")
        #expect(RequestTarget("http://gw.internal?").path == "/")
        #expect(RequestTarget("http://gw.internal?").query == "")
    }

    @Test(arguments: [
        ("fields=id,email", "id,email"),
        ("a=1&fields=id&fields=name", "id"),  // the first one wins
        ("&&fields=id&", "id"),  // empty pairs are skipped
        ("fields=", ""),
        ("fields", ""),  // a bare name has an empty value
        ("fields=a=b", "a=b"),  // only the first = separates
        ("fields=%2C", "%2C"),  // still percent-encoded
        ("x=1&fields=last", "last"),
        // RFC 3986 §6.2.2.2: an escaped unreserved character is that character.
        ("f%69elds=id", "id"),
        ("%66%69%65%6C%64%73=a", "a"),
        ("fi%65%6cds=b", "b"),
        ("f%69eld%73", ""),
    ])
    func queryValueFindsTheFirstParameter(query: String, value: String) {
        #expect(RequestTarget("/c?" + query).queryValue("fields") == Substring(value))
    }

    @Test(arguments: [
        ("a=1&fields=id&fields=name", ["id", "name"]),
        ("fields=id&x=fields&fields&fields=a=b&", ["id", "", "a=b"]),
        ("fields=id", ["id"]),
        ("x=1", []),
        ("fields=1&fields=2&fields=3", ["1", "2", "3"]),
    ])
    func queryValuesFindsEveryParameterInOrder(query: String, values: [String]) {
        let target = RequestTarget("/c?" + query)
        #expect(target.queryValues("fields") == values.map { Substring($0) })
        #expect(target.queryValues("fields", limit: 2) == values.prefix(2).map { Substring($0) })
    }

    @Test(arguments: ["", "field=id", "fieldss=id", "Fields=id", "xfields=id", "a=fields", "a=1&b=fields=id",
                      "fie%lds=id", "fields%=id", "f%2569elds=id", "%46ields=id", "fields%3D=id", "f%69eld=id", "f%6"])
    func queryValueIsAbsentWithoutAnExactName(query: String) {
        #expect(RequestTarget("/c?" + query).queryValue("fields") == nil)
        #expect(RequestTarget("/c").queryValue("fields") == nil)
    }

    @Test func namesMatchByteForByteNotByCanonicalEquivalence() {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are equal Characters
        // but different bytes; a parameter name is bytes.
        let target = RequestTarget("/c?caf\u{0065}\u{0301}=1&caf\u{00E9}=2")
        #expect(target.queryValue("caf\u{00E9}") == "2")
        #expect(target.queryValue("caf\u{0065}\u{0301}") == "1")
    }
}
