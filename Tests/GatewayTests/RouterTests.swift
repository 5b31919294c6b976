@testable import Gateway
import Testing

@Suite("Router")
struct RouterTests {
    private var router: Router<String> {
        var r = Router<String>()
        r.add("/livez", methods: ["GET"], endpoint: "live")
        r.add("/clients/{id}", methods: ["GET"], endpoint: "client")
        r.add("/tenants/{t}/clients/{id}", methods: ["GET", "DELETE"], endpoint: "nested")
        return r
    }

    private func found(_ method: String, _ path: Substring) -> (String, [Substring])? {
        if case .found(let route, let parameters) = router.match(method: method, path: path) {
            return (route.endpoint, parameters)
        }
        return nil
    }

    @Test func literalAndParameterRoutesMatchWithTheirValues() throws {
        #expect(try #require(found("GET", "/livez")).0 == "live")
        let client = try #require(found("GET", "/clients/42"))
        #expect(client.0 == "client" && client.1 == ["42"])
        let nested = try #require(found("DELETE", "/tenants/acme/clients/7"))
        #expect(nested.0 == "nested" && nested.1 == ["acme", "7"])
        #expect(try #require(found("HEAD", "/clients/1")).0 == "client")  // HEAD comes with GET
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() {
        guard case .methodNotAllowed(let route) = router.match(method: "POST", path: "/clients/1") else {
            Issue.record("expected 405")
            return
        }
        #expect(route.allow == "GET, HEAD")
    }

    @Test(arguments: ["/", "", "livez", "/livez/", "/livez/x", "/clients", "/clients/", "/clients//",
                      "/clients/1/x", "/LIVEZ", "//livez", "/tenants//clients/1"])
    func otherPathsAre404(path: String) {
        guard case .notFound = router.match(method: "GET", path: Substring(path)) else {
            Issue.record("\(path) should be 404")
            return
        }
    }

    @Test func literalsMatchByteForByte() {
        var r = Router<String>()
        r.add("/caf\u{00E9}", methods: ["GET"], endpoint: "precomposed")
        // Canonically equivalent (e + combining acute) but other bytes: not this route.
        guard case .notFound = r.match(method: "GET", path: "/cafe\u{0301}") else {
            Issue.record("matched by Unicode equivalence")
            return
        }
        guard case .found = r.match(method: "GET", path: "/caf\u{00E9}") else {
            Issue.record("the exact bytes did not match")
            return
        }
    }

    @Test func segmentsSplitOnEverySlash() {
        #expect(Router<String>.segments(of: "/a/b") == ["a", "b"])
        #expect(Router<String>.segments(of: "/") == [""])
        #expect(Router<String>.segments(of: "/a//b/") == ["a", "", "b", ""])
        #expect(Router<String>.segments(of: "a/b").isEmpty)
        #expect(Router<String>.segments(of: "").isEmpty)
    }
}
