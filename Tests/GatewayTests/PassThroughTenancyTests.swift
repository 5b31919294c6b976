import Gateway
import HTTP1
import Testing

@Suite struct PassThroughTenancyTests {
    @Test(arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("bEaReR   abc", "abc"),
        ("Bearer  ", ""),
    ])
    func bearerTokensAreFoundWhateverTheSchemeCase(_ value: String, _ token: String) {
        #expect(PassThroughTenancy.bearerToken(value) == Substring(token))
    }

    @Test(arguments: [
        "Bearer", "Bearer ", "Basic abcdef", "Bearerabc", "Bearer\tabc", "Bearer\u{0}abc", "Béarer abc",
        "B\u{E9}arer abc", "Bearer\u{301} abc", "Dearer abc", "Bearer:abc", "bearex abc",
    ])
    func otherValuesHaveNoBearerToken(_ value: String) {
        #expect(PassThroughTenancy.bearerToken(value) == nil)
    }

    @Test(arguments: ["a", "acme", "a-b", "0", "x1-2-3y", String(repeating: "a", count: 63)])
    func dnsLabelsAreAccepted(_ label: String) {
        #expect(PassThroughTenancy.isDNSLabel(label))
    }

    @Test(arguments: [
        "", "-a", "a-", "A", "a.b", "a_b", "é", "a b", String(repeating: "a", count: 64), "acme\u{0}",
    ])
    func otherNamesAreNotDNSLabels(_ label: String) {
        #expect(!PassThroughTenancy.isDNSLabel(label))
    }
}

extension PassThroughTenancyTests {
    private static func subdomain(_ name: String, _ value: String, baseDomain: String? = nil) -> Result<String, GatewayError> {
        var headers = HTTPHeaders()
        headers.add(name: name, value: value)
        return PassThroughTenancy.subdomain(headers: headers, baseDomain: baseDomain)
    }

    @Test func asciiNamesAreLowerCased() {
        #expect((try? Self.subdomain("X-Daftra-Subdomain", "AcMe").get()) == "acme")
        #expect((try? Self.subdomain("Host", "AcMe.Example.COM:8080", baseDomain: "example.com").get()) == "acme")
    }

    /// Unicode case mapping would make these DNS labels: U+212A KELVIN SIGN
    /// lower-cases to `k`, U+0130 (İ) to `i` and a combining dot.
    @Test(arguments: ["\u{212A}acme", "acme\u{212A}", "\u{130}acme"])
    func nonASCIINamesAreNeverMappedOntoLabels(_ name: String) {
        #expect(throws: GatewayError.self) { try Self.subdomain("X-Daftra-Subdomain", name).get() }
        #expect(throws: GatewayError.self) {
            try Self.subdomain("Host", "\(name).example.com", baseDomain: "example.com").get()
        }
    }

    /// RFC 9112 §3.2.2: with an absolute-form target the Host field is ignored.
    @Test func anAbsoluteFormTargetNamesTheTenantInsteadOfTheHost() {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "other.example.com")
        let tenant = PassThroughTenancy.subdomain(
            headers: headers, baseDomain: "example.com", target: "http://acme.example.com:8080/clients/1?fields=id")
        #expect((try? tenant.get()) == "acme")
        let originForm = PassThroughTenancy.subdomain(headers: headers, baseDomain: "example.com", target: "/clients/1")
        #expect((try? originForm.get()) == "other")
        #expect(RequestTarget.authority(of: "http://a.example/x") == "a.example")
        #expect(RequestTarget.authority(of: "https://a.example?q") == "a.example")
        #expect(RequestTarget.authority(of: "/x") == nil)
    }
}
