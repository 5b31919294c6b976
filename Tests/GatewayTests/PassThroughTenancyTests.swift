import Gateway
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
