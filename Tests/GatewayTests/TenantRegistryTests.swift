import EventLoop
import Foundation
import Testing

@testable import Gateway

/// Digests (by `sha256sum`) of the plaintext consumer keys the tests present.
enum RegistryKeys {
    static let acme1 = ("acme-key-1", "904fc520be4ca9db80d0ffcc6bf7e01b4148e33d45bb6b422ad2e607815fb508")
    static let acme2 = ("acme-key-2", "be7df782af8078ebf81424068223c4993133431d522b67c61168fd9152097eb7")
    static let globex = ("globex-key-1", "4b6a03e748e1d6f1cff27279c6e8b65d522432122cf1faf2654f25bcfd9cfa54")
}

/// A valid one-tenant file, one field per line, so a test replaces line N and
/// knows which line the error must name.
private let baseLines = [
    "{",  // 1
    "  \"tenants\": [",  // 2
    "    {",  // 3
    "      \"name\": \"acme\",",  // 4
    "      \"subdomain\": \"acme\",",  // 5
    "      \"upstream\": { \"bearer_token\": \"tok-123\" },",  // 6
    "      \"consumer_keys_sha256\": [\"\(RegistryKeys.acme1.1)\"],",  // 7
    "      \"fields\": [\"id\", \"email\"],",  // 8
    "      \"rate_limit\": { \"per_second\": 5, \"burst\": 10 },",  // 9
    "      \"max_concurrent_upstream\": 4",  // 10
    "    }",  // 11
    "  ]",  // 12
    "}",  // 13
]

private func document(replacing line: Int? = nil, with text: String = "") -> [UInt8] {
    var lines = baseLines
    if let line { lines[line - 1] = text }
    return Array(lines.joined(separator: "\n").utf8)
}

private func parse(_ text: String, environment: [String: String] = [:]) throws(RegistryError) -> TenantRegistry {
    try TenantRegistry.parse(bytes: Array(text.utf8), environment: environment)
}

struct TenantRegistryTests {
    @Test func baseDocumentIsValid() throws {
        let registry = try TenantRegistry.parse(bytes: document(), environment: [:])
        #expect(!registry.allowPassthrough)
        let tenant = try #require(registry.tenants.first)
        #expect(tenant.name == "acme" && tenant.subdomain == "acme")
        #expect(tenant.credential == .bearer("tok-123"))
        #expect(tenant.credential.headerName == "Authorization")
        #expect(tenant.credential.headerValue == "Bearer tok-123")
        #expect(tenant.fields == ["id", "email"])
        #expect(tenant.rateLimit == RateLimit(perSecond: 5, burst: 10))
        #expect(tenant.maxConcurrentUpstream == 4)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let line: Int
        let text: String
        let path: String
        let errorLine: Int
        let message: String
        var environment: [String: String] = [:]
        var testDescription: String { text.isEmpty ? "line \(line) removed" : text }
    }

    static let cases: [Case] = [
        Case(line: 4, text: "\"name\": \"Acme\",", path: "tenants[0].name", errorLine: 4, message: "must be 1-63 characters"),
        Case(line: 4, text: "\"name\": \"-acme\",", path: "tenants[0].name", errorLine: 4, message: "starting with a letter or digit"),
        Case(line: 4, text: "\"name\": 5,", path: "tenants[0].name", errorLine: 4, message: "must be a string, not a number"),
        Case(line: 4, text: "", path: "tenants[0].name", errorLine: 3, message: "is required"),
        Case(line: 4, text: "\"name\": \"a\", \"name\": \"b\",", path: "tenants[0].name", errorLine: 4,
             message: "invalid JSON: duplicate key \"name\""),
        Case(line: 5, text: "\"subdomain\": \"-acme\",", path: "tenants[0].subdomain", errorLine: 5, message: "DNS label"),
        Case(line: 5, text: "\"subdomain\": \"ACME\",", path: "tenants[0].subdomain", errorLine: 5, message: "lower-case DNS label"),
        Case(line: 5, text: "\"subdomain\": \"\(String(repeating: "a", count: 64))\",", path: "tenants[0].subdomain",
             errorLine: 5, message: "1-63 characters"),
        Case(line: 6, text: "\"upstream\": {},", path: "tenants[0].upstream", errorLine: 6,
             message: "needs exactly one of bearer_token, bearer_token_env, apikey, apikey_env"),
        Case(line: 6, text: "\"upstream\": \"tok\",", path: "tenants[0].upstream", errorLine: 6, message: "must be an object, not a string"),
        Case(line: 6, text: "\"upstream\": { \"bearer_token\": \"a\",\n \"apikey\": \"b\" },", path: "tenants[0].upstream.apikey",
             errorLine: 7, message: "only one credential may be given (bearer_token is already set at line 6)"),
        Case(line: 6, text: "\"upstream\": { \"token\": \"a\" },", path: "tenants[0].upstream.token", errorLine: 6,
             message: "unknown key (expected bearer_token, bearer_token_env, apikey, apikey_env)"),
        Case(line: 6, text: "\"upstream\": { \"bearer_token\": \"\" },", path: "tenants[0].upstream.bearer_token", errorLine: 6,
             message: "is empty"),
        Case(line: 6, text: "\"upstream\": { \"bearer_token\": \"Bearer abc\" },", path: "tenants[0].upstream.bearer_token",
             errorLine: 6, message: "without the 'Bearer ' prefix"),
        Case(line: 6, text: "\"upstream\": { \"apikey\": \"a b\" },", path: "tenants[0].upstream.apikey", errorLine: 6,
             message: "visible ASCII without spaces"),
        Case(line: 6, text: "\"upstream\": { \"apikey\": \"a\\r\\nX-Evil: 1\" },", path: "tenants[0].upstream.apikey",
             errorLine: 6, message: "visible ASCII without spaces"),
        Case(line: 6, text: "\"upstream\": { \"bearer_token_env\": \"ACME_TOKEN\" },", path: "tenants[0].upstream.bearer_token_env",
             errorLine: 6, message: "environment variable ACME_TOKEN is not set"),
        Case(line: 6, text: "\"upstream\": { \"apikey_env\": \"ACME_KEY\" },", path: "tenants[0].upstream.apikey_env",
             errorLine: 6, message: "environment variable ACME_KEY is empty", environment: ["ACME_KEY": ""]),
        Case(line: 6, text: "\"upstream\": { \"apikey_env\": \"ACME_KEY\" },", path: "tenants[0].upstream.apikey_env",
             errorLine: 6, message: "environment variable ACME_KEY ends with a line break", environment: ["ACME_KEY": "k\n"]),
        Case(line: 6, text: "\"upstream\": { \"apikey_env\": \"1BAD\" },", path: "tenants[0].upstream.apikey_env", errorLine: 6,
             message: "is not an environment variable name"),
        Case(line: 7, text: "\"consumer_keys_sha256\": [],", path: "tenants[0].consumer_keys_sha256", errorLine: 7,
             message: "must list at least one SHA-256 digest"),
        Case(line: 7, text: "\"consumer_keys_sha256\": [\"acme-key-1\"],", path: "tenants[0].consumer_keys_sha256[0]",
             errorLine: 7, message: "64 hex digits"),
        Case(line: 7, text: "\"consumer_keys_sha256\": [\"\(RegistryKeys.acme1.1.dropLast())g\"],",
             path: "tenants[0].consumer_keys_sha256[0]", errorLine: 7, message: "64 hex digits"),
        Case(line: 7, text: "\"consumer_keys_sha256\": [\"\(RegistryKeys.acme1.1)\",\n\"\(RegistryKeys.acme1.1.uppercased())\"],",
             path: "tenants[0].consumer_keys_sha256[1]", errorLine: 8,
             message: "repeats the digest at tenants[0].consumer_keys_sha256[0], line 7"),
        Case(line: 7, text: "\"consumer_keys_sha256\": [\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"],",
             path: "tenants[0].consumer_keys_sha256[0]", errorLine: 7, message: "SHA-256 of an empty key"),
        Case(line: 7, text: "\"consumer_keys_sha256\": [\"\(RegistryKeys.acme1.1)\",\n\"\(RegistryKeys.acme1.1)\"],",
             path: "tenants[0].consumer_keys_sha256[1]", errorLine: 8,
             message: "repeats the digest at tenants[0].consumer_keys_sha256[0], line 7"),
        Case(line: 8, text: "\"fields\": [],", path: "tenants[0].fields", errorLine: 8, message: "must list at least one field"),
        Case(line: 8, text: "\"fields\": [\"id\", \"\"],", path: "tenants[0].fields[1]", errorLine: 8, message: "must be a field name"),
        Case(line: 8, text: "\"fields\": [\"id,email\"],", path: "tenants[0].fields[0]", errorLine: 8, message: "no spaces or commas"),
        Case(line: 8, text: "\"fields\": [\"id\", 7],", path: "tenants[0].fields[1]", errorLine: 8, message: "must be a string"),
        Case(line: 9, text: "\"rate_limit\": { \"per_second\": 0, \"burst\": 10 },", path: "tenants[0].rate_limit.per_second",
             errorLine: 9, message: "must be a number from 0.001 to 1000000, not 0"),
        Case(line: 9, text: "\"rate_limit\": { \"per_second\": \"5\", \"burst\": 10 },", path: "tenants[0].rate_limit.per_second",
             errorLine: 9, message: "must be a number, not a string"),
        Case(line: 9, text: "\"rate_limit\": { \"per_second\": 5, \"burst\": 1.5 },", path: "tenants[0].rate_limit.burst",
             errorLine: 9, message: "must be an integer from 1 to 1000000, not 1.5"),
        Case(line: 9, text: "\"rate_limit\": { \"per_second\": 5 },", path: "tenants[0].rate_limit.burst", errorLine: 9,
             message: "is required"),
        Case(line: 9, text: "\"rate_limt\": { \"per_second\": 5, \"burst\": 1 },", path: "tenants[0].rate_limt", errorLine: 9,
             message: "unknown key (expected name, subdomain, upstream"),
        Case(line: 10, text: "\"max_concurrent_upstream\": 0", path: "tenants[0].max_concurrent_upstream", errorLine: 10,
             message: "must be an integer from 1 to 100000, not 0"),
        Case(line: 10, text: "\"max_concurrent_upstream\": \"4\"", path: "tenants[0].max_concurrent_upstream", errorLine: 10,
             message: "must be an integer, not a string"),
        Case(line: 10, text: "\"max_concurrent_upstream\": 4,", path: "tenants[0]", errorLine: 11, message: "invalid JSON: trailing comma"),
        Case(line: 2, text: "\"allow_passthrough\": \"yes\", \"tenants\": [", path: "allow_passthrough", errorLine: 2,
             message: "must be a boolean, not a string"),
    ]

    @Test(arguments: cases)
    func validationErrorsNameThePathAndLine(_ example: Case) {
        #expect {
            try TenantRegistry.parse(bytes: document(replacing: example.line, with: example.text), environment: example.environment)
        } throws: { error in
            guard let error = error as? RegistryError else { return false }
            #expect(error.path == example.path, "\(error)")
            #expect(error.line == example.errorLine, "\(error)")
            #expect(error.message.contains(example.message), "\(error)")
            return true
        }
    }

    @Test func upperCaseDigestsFindTheirKeys() throws {
        let registry = try TenantRegistry.parse(
            bytes: document(replacing: 7, with: "\"consumer_keys_sha256\": [\"\(RegistryKeys.acme1.1.uppercased())\"],"),
            environment: [:])
        #expect(registry.lookup(consumerKey: RegistryKeys.acme1.0)?.name == "acme")
        #expect(registry.lookup(consumerKey: RegistryKeys.acme2.0) == nil)
    }

    @Test func topLevelErrors() {
        #expect(throws: RegistryError(path: "", message: "must be an object, not an array", line: 1)) { try parse("[]") }
        #expect(throws: RegistryError(path: "tenants", message: "is required", line: 1)) { try parse("{}") }
        #expect(throws: RegistryError(path: "tenants", message: "must list at least one tenant", line: 1)) {
            try parse("{\"tenants\": []}")
        }
        #expect(throws: RegistryError(path: "tenant", message: "unknown key (expected allow_passthrough, tenants)", line: 2)) {
            try parse("{\n\"tenant\": []}")
        }
        #expect(throws: RegistryError(path: "tenants[0]", message: "must be an object, not a string", line: 1)) {
            try parse("{\"tenants\": [\"acme\"]}")
        }
        #expect(throws: RegistryError(path: "", message: "invalid JSON: unexpected 'x' after the end of the JSON value",
                                      line: 1, column: 4)) { try parse("{} x") }
    }

    @Test func duplicatesAcrossTenantsAreErrors() {
        func two(name2: String, digest2: String) -> String {
            """
            {"tenants": [
              {"name": "acme", "subdomain": "acme", "upstream": {"apikey": "k1"},
               "consumer_keys_sha256": ["\(RegistryKeys.acme1.1)"]},
              {"name": "\(name2)", "subdomain": "acme", "upstream": {"apikey": "k2"},
               "consumer_keys_sha256": ["\(digest2)"]}
            ]}
            """
        }
        #expect(throws: RegistryError(path: "tenants[1].name",
                                      message: "duplicate tenant name \"acme\" (also tenants[0].name, line 2)", line: 4)) {
            try parse(two(name2: "acme", digest2: RegistryKeys.globex.1))
        }
        #expect(throws: RegistryError(path: "tenants[1].consumer_keys_sha256[0]",
                                      message: "repeats the digest at tenants[0].consumer_keys_sha256[0], line 3", line: 5)) {
            try parse(two(name2: "acme-2", digest2: RegistryKeys.acme1.1))
        }
        // Two tenants may share a subdomain (different credentials, different allow-lists).
        #expect(throws: Never.self) { try parse(two(name2: "acme-2", digest2: RegistryKeys.globex.1)) }
    }

    @Test func descriptionIsTheOneLineTheGatewayPrints() {
        #expect {
            try TenantRegistry.parse(
                bytes: document(replacing: 6, with: "\"upstream\": { \"bearer_token_env\": \"ACME_TOKEN\" },"), environment: [:])
        } throws: { error in
            "\(error)" == "tenants[0].upstream.bearer_token_env: environment variable ACME_TOKEN is not set (line 6)"
        }
        #expect(RegistryError(path: "", message: "cannot open /x: No such file or directory", line: nil).description
            == "cannot open /x: No such file or directory")
    }

    /// A token pasted where its variable's name belongs never reaches stderr or
    /// the log, whether or not it happens to be a valid variable name.
    @Test(arguments: ["a1b2c3d4e5f60718293a4b5c6d7e8f90", "A1B2C3D4E5F60718293A4B5C6D7E8F90",
                      "eyJhbGciOiJIUzI1NiJ9_sig", "1f2e3d4c5b6a", "sk-live-12345"])
    func pastedTokensAreNotEchoed(token: String) {
        #expect {
            try TenantRegistry.parse(
                bytes: document(replacing: 6, with: "\"upstream\": { \"apikey_env\": \"\(token)\" },"), environment: [:])
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("tenants[0].upstream.apikey_env: ") && !text.contains(token)
                && !text.contains(String(token.prefix(8)))
        }
        #expect(RegistryValidator.displayedName("ACME_TOKEN") == "ACME_TOKEN")
        #expect(RegistryValidator.displayedName("GLOBEX_API_KEY2") == "GLOBEX_API_KEY2")
    }

    @Test func credentialsFromTheEnvironment() throws {
        let registry = try TenantRegistry.parse(
            bytes: document(replacing: 6, with: "\"upstream\": { \"apikey_env\": \"ACME_KEY\" },"),
            environment: ["ACME_KEY": "secret-key-9"])
        let credential = try #require(registry.tenants.first?.credential)
        #expect(credential == .apikey("secret-key-9"))
        #expect(credential.kind == .apikey)
        #expect(credential.headerName == "apikey" && credential.headerValue == "secret-key-9")
    }

    @Test func optionalMembersMayBeLeftOut() throws {
        let registry = try parse("""
            {"allow_passthrough": true, "tenants": [{"name": "a", "subdomain": "a", "upstream": {"apikey": "k"},
             "consumer_keys_sha256": ["\(RegistryKeys.acme1.1)"]}]}
            """)
        #expect(registry.allowPassthrough)
        let tenant = try #require(registry.tenants.first)
        #expect(tenant.fields == nil && tenant.rateLimit == nil && tenant.maxConcurrentUpstream == nil)
    }

    @Test func theExampleFileLoads() throws {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let example = here.deletingLastPathComponent().appendingPathComponent("../../deploy/tenants.example.json").standardized
        #expect(throws: RegistryError.self) { try TenantRegistry.load(path: example.path, environment: [:]) }
        let registry = try TenantRegistry.load(path: example.path, environment: ["GLOBEX_APIKEY": "fake-globex-key"])
        #expect(registry.tenants.map(\.name) == ["acme", "globex"])
        #expect(registry.lookup(consumerKey: "acme-demo-consumer-key-1")?.name == "acme")
        #expect(registry.lookup(consumerKey: "acme-demo-consumer-key-2")?.name == "acme")
        #expect(registry.lookup(consumerKey: "globex-demo-consumer-key-1")?.credential == .apikey("fake-globex-key"))
        #expect(registry.lookup(consumerKey: "FAKE-acme-token-replace-me") == nil)
    }

    /// A FIFO is refused at once: opening it must not wait for a writer (which
    /// would hang start-up, or a reload while it holds the reload lock).
    @Test(.timeLimit(.minutes(1))) func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString).fifo").path
        try #require(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        #expect(throws: RegistryError(path: "", message: "\(path) is not a regular file", line: nil)) {
            try TenantRegistry.load(path: path, environment: [:])
        }
    }

    @Test func loadReportsFileProblems() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/tenants.json"
        #expect(throws: RegistryError(path: "", message: "cannot open \(missing): No such file or directory", line: nil)) {
            try TenantRegistry.load(path: missing, environment: [:])
        }
        #expect(throws: RegistryError(path: "", message: "/tmp is not a regular file", line: nil)) {
            try TenantRegistry.load(path: "/tmp", environment: [:])
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(document()).write(to: file)
        #expect(try TenantRegistry.load(path: file.path, environment: [:]).tenants.count == 1)
        #expect(throws: RegistryError(path: "", message: "\(file.path) is larger than 100 bytes", line: nil)) {
            try TenantRegistry.load(path: file.path, environment: [:], maxBytes: 100)
        }
    }
}

struct ConsumerKeyLookupTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256Digest(hashing: "abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest(hashing: "").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Digest(hashing: String(repeating: "a", count: 1_000_000)).hex
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(SHA256Digest(hashing: RegistryKeys.acme1.0).hex == RegistryKeys.acme1.1)
        #expect(SHA256Digest(hex: RegistryKeys.globex.1)?.hex == RegistryKeys.globex.1)
        #expect(SHA256Digest(hex: String(RegistryKeys.globex.1.dropLast())) == nil)
        #expect(SHA256Digest(hex: String(RegistryKeys.globex.1.dropLast()) + "g") == nil)
    }

    @Test func equalityMaskLooksAtEveryWord() throws {
        let digest = try #require(SHA256Digest(hex: RegistryKeys.acme1.1))
        #expect(digest.equalityMask(digest) == .max)
        let others = [
            SHA256Digest(w0: digest.w0 ^ 1, w1: digest.w1, w2: digest.w2, w3: digest.w3),
            SHA256Digest(w0: digest.w0, w1: digest.w1 ^ (1 << 63), w2: digest.w2, w3: digest.w3),
            SHA256Digest(w0: digest.w0, w1: digest.w1, w2: digest.w2 ^ 0x100, w3: digest.w3),
            SHA256Digest(w0: digest.w0, w1: digest.w1, w2: digest.w2, w3: digest.w3 ^ (1 << 63)),
        ]
        for other in others {
            #expect(digest.equalityMask(other) == 0)
        }
    }

    static func twoTenants() throws -> TenantRegistry {
        try TenantRegistry.parse(bytes: Array("""
            {"tenants": [
              {"name": "acme", "subdomain": "acme", "upstream": {"bearer_token": "acme-upstream"},
               "consumer_keys_sha256": ["\(RegistryKeys.acme1.1)", "\(RegistryKeys.acme2.1)"]},
              {"name": "globex", "subdomain": "globex", "upstream": {"apikey": "globex-upstream"},
               "consumer_keys_sha256": ["\(RegistryKeys.globex.1)"]}
            ]}
            """.utf8), environment: [:])
    }

    @Test func findsTheTenantOfEachKeyAndNothingElse() throws {
        let registry = try Self.twoTenants()
        #expect(registry.consumerKeyCount == 3)
        #expect(registry.lookup(consumerKey: RegistryKeys.acme1.0)?.name == "acme")
        #expect(registry.lookup(consumerKey: RegistryKeys.acme2.0)?.name == "acme")
        #expect(registry.lookup(consumerKey: RegistryKeys.globex.0)?.name == "globex")
        #expect(registry.tenantIndex(consumerKey: RegistryKeys.globex.0) == 1)
        for wrong in ["", "acme-key-3", "acme-key-1 ", "Acme-key-1", "acme-upstream", RegistryKeys.acme1.1] {
            #expect(registry.lookup(consumerKey: wrong) == nil, "\(wrong)")
        }
        let bytes = Array(RegistryKeys.globex.0.utf8)
        #expect(bytes.withUnsafeBytes { registry.tenantIndex(consumerKey: $0) } == 1)
    }

    @Test func printingNeverShowsACredential() throws {
        let secrets = ["acme-upstream", "globex-upstream"]
        let registry = try Self.twoTenants()
        let store = RegistryStore(registry, loops: [])
        let resolved = try #require(store.current.lookup(consumerKey: RegistryKeys.acme1.0))
        var dumped = ""
        dump(registry, to: &dumped)
        dump(resolved, to: &dumped)
        dump(registry.tenants, to: &dumped)
        let renderings = [
            "\(registry)", String(reflecting: registry), "\(registry.tenants)", String(reflecting: registry.tenants),
            "\(registry.tenants[0])", String(reflecting: registry.tenants[1]), "\(registry.tenants[0].credential)",
            String(reflecting: registry.tenants[1].credential), "\(store.current)", "\(resolved)", dumped,
            Mirror(reflecting: registry.tenants[0]).children.map { "\($0.label ?? ""): \($0.value)" }.joined(),
        ]
        for rendering in renderings {
            for secret in secrets {
                #expect(!rendering.contains(secret), "\(rendering)")
            }
        }
        #expect("\(registry.tenants[0])".contains("name: acme"))
        #expect("\(registry.tenants[0].credential)" == "bearer(redacted)")
        #expect(dumped.contains("globex"))
    }
}

struct RegistryStoreTests {
    private let now: UInt64 = 1_000_000_000_000

    private func registryText(acmeRate: Int = 1, acmeConcurrency: Int = 3, withGlobex: Bool = true,
                              acmeKeys: [String] = [RegistryKeys.acme1.1]) -> String {
        let acme = """
            {"name": "acme", "subdomain": "acme", "upstream": {"bearer_token": "t"},
             "consumer_keys_sha256": [\(acmeKeys.map { "\"\($0)\"" }.joined(separator: ","))],
             "rate_limit": {"per_second": \(acmeRate), "burst": 2}, "max_concurrent_upstream": \(acmeConcurrency)}
            """
        let globex = """
            {"name": "globex", "subdomain": "globex", "upstream": {"apikey": "k"},
             "consumer_keys_sha256": ["\(RegistryKeys.globex.1)"], "rate_limit": {"per_second": 1, "burst": 1}}
            """
        return "{\"tenants\": [\(acme)\(withGlobex ? ", " + globex : "")]}"
    }

    private func writeFile(_ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: file)
        return file.path
    }

    /// Tightening `max_concurrent_upstream` during an incident must hold at once:
    /// the calls already in flight count against the new limit.
    @Test func aChangedConcurrencyLimitCountsTheCallsInFlight() throws {
        let store = RegistryStore(try TenantRegistry.parse(bytes: Array(registryText().utf8), environment: [:]), loops: [])
        let limiter = try #require(store.current.resolved(named: "acme")?.concurrencyLimiter)
        #expect(limiter.tryAcquire() && limiter.tryAcquire())
        store.replace(with: try TenantRegistry.parse(bytes: Array(registryText(acmeConcurrency: 1).utf8), environment: [:]))
        let tightened = try #require(store.current.resolved(named: "acme")?.concurrencyLimiter)
        #expect(tightened.limit == 1 && tightened.inUse == 2)
        #expect(!tightened.tryAcquire())
        limiter.release()
        #expect(!tightened.tryAcquire())
        limiter.release()
        #expect(tightened.tryAcquire())
        store.replace(with: try TenantRegistry.parse(bytes: Array(registryText(acmeConcurrency: 2).utf8), environment: [:]))
        #expect(store.current.resolved(named: "acme")?.concurrencyLimiter?.tryAcquire() == true)
        #expect(store.current.resolved(named: "acme")?.concurrencyLimiter?.tryAcquire() == false)
    }

    @Test func reloadKeepsTheStateOfTenantsThatStay() throws {
        let store = RegistryStore(try TenantRegistry.parse(bytes: Array(registryText().utf8), environment: [:]), loops: [])
        let acme = try #require(store.current.resolved(named: "acme"))
        let bucket = try #require(acme.rateLimiter)
        let limiter = try #require(acme.concurrencyLimiter)
        #expect(bucket.tryTake(now: now).allowed && bucket.tryTake(now: now).allowed)
        #expect(!bucket.tryTake(now: now).allowed)
        #expect(limiter.tryAcquire())
        #expect(store.current.lookup(consumerKey: RegistryKeys.acme2.0) == nil)

        let path = try writeFile(registryText(withGlobex: false, acmeKeys: [RegistryKeys.acme1.1, RegistryKeys.acme2.1]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: Never.self) { try store.reload(path: path, environment: [:]).get() }
        #expect(store.reloadsSucceeded == 1 && store.reloadsFailed == 0)
        #expect(store.current.generation == 2)

        let after = try #require(store.current.lookup(consumerKey: RegistryKeys.acme2.0))
        #expect(after.tenant.name == "acme")
        #expect(after.rateLimiter === bucket)
        #expect(after.rateLimiter?.tryTake(now: now).allowed == false)
        #expect(after.concurrencyLimiter === limiter)
        #expect(after.concurrencyLimiter?.inUse == 1)
        #expect(store.current.lookup(consumerKey: RegistryKeys.globex.0) == nil)
        #expect(store.current.resolved(named: "globex") == nil)

        // A changed limit starts a fresh bucket; the unchanged concurrency limit keeps its permits.
        store.replace(with: try TenantRegistry.parse(bytes: Array(registryText(acmeRate: 2).utf8), environment: [:]))
        let changed = try #require(store.current.resolved(named: "acme"))
        #expect(changed.rateLimiter !== bucket)
        #expect(changed.rateLimiter?.tryTake(now: now).remaining == 1)
        #expect(changed.concurrencyLimiter === limiter)
        // A tenant that comes back is new: its old state went with it.
        let globex = try #require(store.current.resolved(named: "globex"))
        #expect(globex.rateLimiter?.tryTake(now: now).allowed == true)
        #expect(store.reloadsSucceeded == 1)
    }

    @Test func failedReloadKeepsTheRegistryInForce() throws {
        let store = RegistryStore(try TenantRegistry.parse(bytes: Array(registryText().utf8), environment: [:]), loops: [])
        let before = store.current
        let path = try writeFile(registryText().replacingOccurrences(of: "\"apikey\": \"k\"", with: "\"apikey_env\": \"GLOBEX_KEY\""))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = store.reload(path: path, environment: [:])
        guard case .failure(let error) = result else {
            Issue.record("reload of an invalid file succeeded")
            return
        }
        #expect(error.description == "tenants[1].upstream.apikey_env: environment variable GLOBEX_KEY is not set (line 3)")
        #expect(store.reloadsFailed == 1 && store.reloadsSucceeded == 0)
        #expect(store.current === before)
        #expect(store.current.lookup(consumerKey: RegistryKeys.globex.0)?.tenant.name == "globex")

        if case .success = store.reload(path: path + ".missing", environment: [:]) {
            Issue.record("reload of a missing file succeeded")
        }
        #expect(store.reloadsFailed == 2)
        #expect(throws: Never.self) { try store.reload(path: path, environment: ["GLOBEX_KEY": "k2"]).get() }
        #expect(store.current.lookup(consumerKey: RegistryKeys.globex.0)?.tenant.credential == .apikey("k2"))
        #expect(store.reloadsSucceeded == 1 && store.reloadsFailed == 2)
    }

    @Test func loopCachesFollowTheSwap() throws {
        let loops = SharedTestLoops.group.loops
        let store = RegistryStore(try TenantRegistry.parse(bytes: Array(registryText().utf8), environment: [:]), loops: loops)
        let loop = loops[1]
        let first = loop.queue.sync { store.current(on: loop) }
        #expect(first === store.current)
        #expect(loop.queue.sync { store.current(on: loop) } === first)
        store.replace(with: try TenantRegistry.parse(bytes: Array(registryText(withGlobex: false).utf8), environment: [:]))
        let second = loop.queue.sync { store.current(on: loop) }
        #expect(second.generation == 2)
        #expect(second.lookup(consumerKey: RegistryKeys.globex.0) == nil)
        #expect(second.lookup(consumerKey: RegistryKeys.acme1.0)?.tenant.name == "acme")
    }
}

/// Two SIGHUPs close together read the file twice; the newer read must be the
/// one left in force, whichever parse happens to finish first.
@Suite struct RegistryReloadOrderTests {
    @Test func aReloadStartedLaterIsInstalledLater() throws {
        let older = try TenantRegistry.parse(bytes: document(), environment: [:])
        let newer = try ConsumerKeyLookupTests.twoTenants()
        let store = RegistryStore(older, loops: [])
        let laterDone = DispatchSemaphore(value: 0)
        let firstStarted = DispatchSemaphore(value: 0)
        let group = DispatchGroup()

        // The first reload reads the older file, then waits (up to 300 ms) for the
        // second to finish before it swaps: unserialised, it would install the
        // older file over the newer one.
        onThread(group) {
            _ = store.reload { () throws(RegistryError) in
                firstStarted.signal()
                _ = laterDone.wait(timeout: .now() + .milliseconds(300))
                return older
            }
        }
        firstStarted.wait()
        onThread(group) {
            _ = store.reload { () throws(RegistryError) in newer }
            laterDone.signal()
        }
        group.wait()
        #expect(store.current.registry.tenants.count == newer.tenants.count)
        #expect(store.reloadsSucceeded == 2)
    }
}
