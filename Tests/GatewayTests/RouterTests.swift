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
        #expect(segments(of: "/a/b") == ["a", "b"])
        #expect(segments(of: "/") == [""])
        #expect(segments(of: "/a//b/") == ["a", "", "b", ""])
        #expect(segments(of: "a/b").isEmpty)
        #expect(segments(of: "").isEmpty)
    }

    /// The reference's splitter (the router matched on these segments before it
    /// worked on bytes in place): the segments after the leading `/` (`/a//b`
    /// has an empty middle one); none when the path does not start with `/`.
    private func segments(of path: Substring) -> [Substring] {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { return [] }
        var parts: [Substring] = []
        var start = bytes.index(after: bytes.startIndex)
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            parts.append(Substring(bytes[start..<end]))
            guard end < bytes.endIndex else { return parts }
            start = bytes.index(after: end)
        }
    }

    /// The matcher before it worked on bytes in place: split the template and
    /// the path into segments, then compare them.
    private func referenceMatch(_ router: Router<String>, method: String, path: Substring)
        -> (kind: String, endpoint: String?, parameters: [Substring]) {
        let parts = segments(of: path)
        guard !parts.isEmpty else { return ("404", nil, []) }
        var pathMatch: String?
        for route in router.routes {
            let segments = route.template.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard segments.count == parts.count else { continue }
            var parameters: [Substring] = []
            var matched = true
            for (segment, part) in zip(segments, parts) {
                if !(segment.hasPrefix("{") && segment.hasSuffix("}")) {
                    matched = matched && part.utf8.elementsEqual(segment.utf8)
                } else if part.isEmpty {
                    matched = false
                } else {
                    parameters.append(part)
                }
            }
            guard matched else { continue }
            if route.methods.contains(method) { return ("found", route.endpoint, parameters) }
            pathMatch = pathMatch ?? route.endpoint
        }
        return pathMatch.map { ("405", $0, []) } ?? ("404", nil, [])
    }

    @Test func matchingAgreesWithSplittingOnManyPaths() {
        var r = Router<String>()
        for template in ["/livez", "/healthz", "/readyz", "/metrics", "/clients/{id}", "/clients/{id}/notes",
                         "/tenants/{t}/clients/{id}", "/a/{x}/{y}", "/", "/a//b", "/{any}", "", "relative"] {
            r.add(template, methods: template.hasPrefix("/clients") ? ["GET", "POST"] : ["GET"], endpoint: template)
        }
        let pieces = ["", "livez", "healthz", "readyz", "metrics", "clients", "tenants", "notes", "a", "b", "x",
                      "42", "caf\u{00E9}", "cafe\u{0301}", "%2F", "LIVEZ", "livez2", "livе"]
        var paths: [String] = ["", "/", "//", "///", "livez", "a/b", "?"]
        for first in pieces {
            paths.append("/" + first)
            for second in pieces {
                paths.append("/\(first)/\(second)")
                for third in ["", "notes", "7", "clients"] { paths.append("/\(first)/\(second)/\(third)") }
            }
        }
        paths += paths.map { $0 + "/" }
        var disagreements: [String] = []
        for path in paths {
            // A slice of a longer string too, as the gateway passes the target's path.
            let target = "GET " + path + "?q=1"
            let slice = target.dropFirst(4).prefix(path.count)
            for method in ["GET", "HEAD", "POST", "DELETE"] {
                let expected = referenceMatch(r, method: method, path: slice)
                let actual: (String, String?, [Substring])
                switch r.match(method: method, path: slice) {
                case .found(let route, let parameters): actual = ("found", route.endpoint, parameters)
                case .methodNotAllowed(let route): actual = ("405", route.endpoint, [])
                case .notFound: actual = ("404", nil, [])
                }
                if actual.0 != expected.kind || actual.1 != expected.endpoint || actual.2 != expected.parameters {
                    disagreements.append("\(method) \(path): \(actual) vs \(expected)")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(3))")
    }
}

