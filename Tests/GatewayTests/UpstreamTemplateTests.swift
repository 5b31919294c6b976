import Testing
@testable import Gateway

@Suite("--upstream URL templates")
struct UpstreamTemplateTests {
    /// One accepted template, the subdomain it is resolved for, and what must come out.
    struct Resolution: Sendable, CustomTestStringConvertible {
        let template: String
        let subdomain: String
        let scheme: UpstreamScheme
        let host: String
        let port: Int
        let pathPrefix: String
        let hostHeader: String
        let serverName: String?
        var testDescription: String { template }
    }

    static let resolutions: [Resolution] = [
        .init(template: "https://{subdomain}.daftra.com/api2", subdomain: "acme",
              scheme: .https, host: "acme.daftra.com", port: 443, pathPrefix: "/api2",
              hostHeader: "acme.daftra.com", serverName: "acme.daftra.com"),
        .init(template: "http://127.0.0.1:9000/{subdomain}/api2", subdomain: "demo",
              scheme: .http, host: "127.0.0.1", port: 9000, pathPrefix: "/demo/api2",
              hostHeader: "127.0.0.1:9000", serverName: nil),
        .init(template: "HTTPS://{subdomain}.Daftra.COM/api2/", subdomain: "acme",
              scheme: .https, host: "acme.daftra.com", port: 443, pathPrefix: "/api2",
              hostHeader: "acme.daftra.com", serverName: "acme.daftra.com"),
        .init(template: "https://{subdomain}.daftra.com:443/api2", subdomain: "a1",
              scheme: .https, host: "a1.daftra.com", port: 443, pathPrefix: "/api2",
              hostHeader: "a1.daftra.com", serverName: "a1.daftra.com"),
        .init(template: "https://{subdomain}.daftra.com:8443/api2", subdomain: "a-b",
              scheme: .https, host: "a-b.daftra.com", port: 8443, pathPrefix: "/api2",
              hostHeader: "a-b.daftra.com:8443", serverName: "a-b.daftra.com"),
        .init(template: "http://{subdomain}.localhost:80", subdomain: "acme",
              scheme: .http, host: "acme.localhost", port: 80, pathPrefix: "",
              hostHeader: "acme.localhost", serverName: "acme.localhost"),
        .init(template: "http://{subdomain}.daftra.com/", subdomain: "x",
              scheme: .http, host: "x.daftra.com", port: 80, pathPrefix: "",
              hostHeader: "x.daftra.com", serverName: "x.daftra.com"),
        .init(template: "https://eu.{subdomain}.daftra.com/v2", subdomain: "acme",
              scheme: .https, host: "eu.acme.daftra.com", port: 443, pathPrefix: "/v2",
              hostHeader: "eu.acme.daftra.com", serverName: "eu.acme.daftra.com"),
        .init(template: "http://[::1]:8080/{subdomain}", subdomain: "demo",
              scheme: .http, host: "::1", port: 8080, pathPrefix: "/demo",
              hostHeader: "[::1]:8080", serverName: nil),
        .init(template: "https://[2001:DB8::1]/t/{subdomain}/v2", subdomain: "acme",
              scheme: .https, host: "2001:db8::1", port: 443, pathPrefix: "/t/acme/v2",
              hostHeader: "[2001:db8::1]", serverName: nil),
        .init(template: "https://api.example.com/tenants/{subdomain}//", subdomain: "acme",
              scheme: .https, host: "api.example.com", port: 443, pathPrefix: "/tenants/acme",
              hostHeader: "api.example.com", serverName: "api.example.com"),
        .init(template: "https://api.example.com/t-{subdomain}~x/api%2Fv2", subdomain: "acme",
              scheme: .https, host: "api.example.com", port: 443, pathPrefix: "/t-acme~x/api%2Fv2",
              hostHeader: "api.example.com", serverName: "api.example.com"),
    ]

    @Test("accepted templates resolve per tenant", arguments: resolutions)
    func resolves(_ expected: Resolution) throws {
        let template = try UpstreamTemplate(parsing: expected.template)
        let origin = template.resolve(subdomain: expected.subdomain)
        #expect(origin.scheme == expected.scheme)
        #expect(origin.host == expected.host)
        #expect(origin.port == expected.port)
        #expect(origin.pathPrefix == expected.pathPrefix)
        #expect(origin.hostHeader == expected.hostHeader)
        #expect(origin.tlsServerName == expected.serverName)
        #expect(origin.clientPath(id: "42") == "\(expected.pathPrefix)/clients/42.json")
        #expect(!origin.pathPrefix.hasSuffix("/"))
    }

    @Test("refused templates say why", arguments: [
        ("https://daftra.com/api2", UpstreamTemplateError.missingPlaceholder),
        ("https://{SUBDOMAIN}.daftra.com/api2", .missingPlaceholder),
        ("https://{subdomain}.daftra.com/{subdomain}", .duplicatePlaceholder),
        ("https://{subdomain}.{subdomain}.com", .duplicatePlaceholder),
        ("ftp://{subdomain}.daftra.com", .unsupportedScheme),
        ("{subdomain}.daftra.com/api2", .unsupportedScheme),
        ("https:/{subdomain}.daftra.com", .unsupportedScheme),
        ("https://{subdomain}.daftra.com/api2?x=1", .queryOrFragment),
        ("https://{subdomain}.daftra.com/api2#top", .queryOrFragment),
        ("https://user:pw@{subdomain}.daftra.com", .userInfo),
        ("https://{sub}.daftra.com/{subdomain}", .strayBrace),
        ("https://{subdomain}.daftra.com/{id}", .strayBrace),
        ("https://api-{subdomain}.daftra.com", .placeholderNotALabel),
        ("https://{subdomain}x.daftra.com", .placeholderNotALabel),
        ("https://{subdomain}/api2", .placeholderNotALabel),
        ("https://daftra.{subdomain}", .placeholderNotALabel),
        ("https://{subdomain}.daftra.com:0/api2", .invalidPort),
        ("https://{subdomain}.daftra.com:65536/api2", .invalidPort),
        ("https://{subdomain}.daftra.com:/api2", .invalidPort),
        ("https://{subdomain}.daftra.com:https/api2", .invalidPort),
        ("http://127.0.0.1:{subdomain}/x", .invalidPort),
        ("http://::1/{subdomain}", .invalidHost),
        ("http://[::1/{subdomain}", .invalidHost),
        ("http://[::1]x/{subdomain}", .invalidHost),
        ("http://[{subdomain}]/x", .invalidHost),
        ("http://[127.0.0.1]/{subdomain}", .invalidHost),
        ("http://999.1.1.1/{subdomain}", .invalidHost),
        ("http://10.1/{subdomain}", .invalidHost),
        ("http://exa_mple.com/{subdomain}", .invalidHost),
        ("http://-x.com/{subdomain}", .invalidHost),
        ("http:///{subdomain}", .invalidHost),
        ("https://{subdomain}.daftra.com/a b", .invalidCharacter),
        ("https://{subdomain}.daftra.com/é", .invalidCharacter),
        ("https://{subdomain}.daftra.com/a\tb", .invalidCharacter),
        ("https://{subdomain}.daftra.com/a/../b", .invalidPath),
        ("https://{subdomain}.daftra.com/./b", .invalidPath),
        ("https://{subdomain}.daftra.com/100%", .invalidPath),
        ("https://{subdomain}.daftra.com/%zz", .invalidPath),
        ("https://{subdomain}.daftra.com/a\"b", .invalidPath),
        ("https://{subdomain}.daftra.com/a<b>", .invalidPath),
    ])
    func refused(text: String, expected: UpstreamTemplateError) {
        #expect(throws: expected) { try UpstreamTemplate(parsing: text) }
    }

    @Test("a host that the longest tenant label would push over 253 characters is refused")
    func hostLength() throws {
        let label = String(repeating: "a", count: 60)
        let fits = "https://{subdomain}." + Array(repeating: label, count: 3).joined(separator: ".") + "/x"
        _ = try UpstreamTemplate(parsing: fits)
        let tooLong = "https://{subdomain}." + Array(repeating: label, count: 4).joined(separator: ".") + "/x"
        #expect(throws: UpstreamTemplateError.invalidHost) { try UpstreamTemplate(parsing: tooLong) }
    }

    @Test("description is the normalised template")
    func description() throws {
        #expect(try UpstreamTemplate(parsing: "HTTPS://{subdomain}.Daftra.com:443/api2/").description
            == "https://{subdomain}.daftra.com/api2")
        #expect(try UpstreamTemplate(parsing: "http://[::1]:9000/{subdomain}").description
            == "http://[::1]:9000/{subdomain}")
        #expect(try UpstreamTemplate(parsing: "http://127.0.0.1:80/{subdomain}/api2").description
            == "http://127.0.0.1/{subdomain}/api2")
    }

    @Test("equal texts give equal templates; different ones differ")
    func equality() throws {
        #expect(try UpstreamTemplate(parsing: "https://{subdomain}.daftra.com/api2")
            == UpstreamTemplate(parsing: "HTTPS://{subdomain}.DAFTRA.com:443/api2/"))
        #expect(try UpstreamTemplate(parsing: "https://{subdomain}.daftra.com/api2")
            != UpstreamTemplate(parsing: "https://{subdomain}.daftra.com/api3"))
    }

    @Test("tenants that differ only in the path share one connection endpoint")
    func endpoints() throws {
        let byPath = try UpstreamTemplate(parsing: "http://127.0.0.1:9000/{subdomain}/api2")
        let a = byPath.resolve(subdomain: "a")
        let b = byPath.resolve(subdomain: "b")
        #expect(a != b)
        #expect(a.endpoint == b.endpoint)
        #expect(Set([a.endpoint, b.endpoint]).count == 1)

        let byHost = try UpstreamTemplate(parsing: "https://{subdomain}.daftra.com/api2")
        #expect(byHost.resolve(subdomain: "a").endpoint != byHost.resolve(subdomain: "b").endpoint)
        #expect(byHost.resolve(subdomain: "a") == byHost.resolve(subdomain: "a"))
    }

    @Test("every error reason is one distinct line")
    func reasons() {
        let all: [UpstreamTemplateError] = [
            .invalidCharacter, .queryOrFragment, .unsupportedScheme, .missingPlaceholder, .duplicatePlaceholder,
            .strayBrace, .userInfo, .invalidHost, .placeholderNotALabel, .invalidPort, .invalidPath,
        ]
        #expect(Set(all.map(\.description)).count == all.count)
        #expect(all.allSatisfy { !$0.description.contains("\n") })
    }
}
