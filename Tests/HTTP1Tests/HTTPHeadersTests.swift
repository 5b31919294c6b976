import HTTP1
import Testing

@Suite struct HTTPHeadersTests {
    @Test func lookupIgnoresASCIICase() {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "X-Multi", value: "1")
        headers.add(name: "x-multi", value: "2")
        #expect(headers.first("content-type") == "application/json")
        #expect(headers[first: "CONTENT-TYPE"] == "application/json")
        #expect(headers.values("X-MULTI") == ["1", "2"])
        #expect(headers.contains("x-Multi"))
        #expect(!headers.contains("X-Multi2"))
        #expect(headers.first("missing") == nil)
        #expect(headers.count == 3)
    }

    @Test func caseFoldingIsASCIIOnly() {
        let headers = HTTPHeaders([("X-\u{C4}", "v")])
        #expect(headers.first("x-\u{E4}") == nil, "non-ASCII letters are not folded")
        #expect(headers.first("X-\u{C4}") == "v")
    }

    @Test func iterationKeepsArrivalOrder() {
        let pairs = [("B", "2"), ("A", "1"), ("b", "3")]
        let headers = HTTPHeaders(pairs)
        #expect(headers.map(\.name) == ["B", "A", "b"])
        #expect(headers.map(\.value) == ["2", "1", "3"])
    }

    @Test func equalityComparesNamesWithoutCaseAndValuesExactly() {
        #expect(HTTPHeaders([("Host", "h")]) == HTTPHeaders([("host", "h")]))
        #expect(HTTPHeaders([("Host", "h")]) != HTTPHeaders([("Host", "H")]))
        #expect(HTTPHeaders([("A", "1"), ("B", "2")]) != HTTPHeaders([("B", "2"), ("A", "1")]))
        #expect(HTTPHeaders([("A", "1")]) != HTTPHeaders([("A", "1"), ("A", "1")]))
    }
}
