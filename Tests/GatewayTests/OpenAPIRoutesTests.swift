import Foundation
import Testing

@testable import Gateway

/// `openapi.yaml` documents exactly the routes the server answers: a route added
/// without its documentation, or a documented path the server lost, fails here
/// (schemathesis in `.ci/contract-checks.sh` then checks the answers themselves).
@Suite("openapi.yaml paths")
struct OpenAPIRoutesTests {
    @Test("the spec's paths are the server's route templates")
    func pathsMatchRouteTemplates() throws {
        let spec = try String(contentsOf: Self.specURL, encoding: .utf8)
        let documented = OpenAPIPathReader.paths(in: spec)
        #expect(!documented.isEmpty, "no keys found under `paths:` in \(Self.specURL.path)")
        #expect(documented.count == Set(documented).count, "a path is documented twice: \(documented)")

        let fixture = try GatewayFixture()
        defer { fixture.stop() }
        let registered = fixture.app.routeTemplates

        let undocumented = Set(registered).subtracting(documented).sorted()
        let unserved = Set(documented).subtracting(registered).sorted()
        #expect(undocumented.isEmpty, "routes missing from openapi.yaml: \(undocumented)")
        #expect(unserved.isEmpty, "paths in openapi.yaml the server does not route: \(unserved)")
    }

    @Test("the path reader takes only the keys directly under `paths:`")
    func readerTakesDirectKeysOnly() {
        let yaml = """
            ---
            openapi: 3.1.0
            info:
              title: x
              paths: not-this-one
            paths:
              # a comment
              /livez:
                get:
                  responses: {}

              '/clients/{id}':
                parameters: []
              "/quoted": # trailing comment
                get: {}
              /inline: {get: {}}
            components:
              schemas:
                /not-a-path:
                  type: object
            """
        #expect(OpenAPIPathReader.paths(in: yaml) == ["/livez", "/clients/{id}", "/quoted", "/inline"])
    }

    @Test("no `paths:` section reads as no paths")
    func readerWithoutPaths() {
        #expect(OpenAPIPathReader.paths(in: "openapi: 3.1.0\ninfo:\n  title: x\n").isEmpty)
    }

    /// `openapi.yaml` at the package root, found from this file's real location
    /// (resolving symlinks, so a scratch package that links `Tests/` still reads
    /// the repository's spec).
    static var specURL: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()  // GatewayTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("openapi.yaml")
    }
}

/// The keys of the top-level `paths:` mapping of an OpenAPI document in block
/// YAML, read line by line: enough for a spec written as block mappings, without
/// a YAML library.
enum OpenAPIPathReader {
    static func paths(in yaml: String) -> [String] {
        var keys: [String] = []
        var inPaths = false
        var keyIndent: Int?
        for rawLine in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let content = line.drop(while: { $0 == " " })
            if content.isEmpty || content.hasPrefix("#") { continue }
            let indent = line.count - content.count
            if indent == 0 {
                if inPaths { break }
                inPaths = content.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            // The first key fixes the indentation of the mapping's keys.
            if keyIndent == nil { keyIndent = indent }
            guard indent == keyIndent, let key = mappingKey(content) else { continue }
            keys.append(key)
        }
        return keys
    }

    /// The key of a `key:` or `key: value` line, unquoted.
    private static func mappingKey(_ content: Substring) -> String? {
        var key: Substring
        if let quote = content.first, quote == "'" || quote == "\"" {
            guard let close = content.dropFirst().firstIndex(of: quote) else { return nil }
            key = content[content.index(after: content.startIndex)..<close]
            guard content[content.index(after: close)...].hasPrefix(":") else { return nil }
        } else {
            guard let colon = content.firstRange(of: ": ")?.lowerBound
                ?? (content.hasSuffix(":") ? content.index(before: content.endIndex) : nil)
            else { return nil }
            key = content[..<colon]
        }
        key = key.drop(while: { $0 == " " })
        while key.last == " " { key = key.dropLast() }
        return key.isEmpty ? nil : String(key)
    }
}
