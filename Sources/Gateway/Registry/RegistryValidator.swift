/// Turns the parsed registry file into a ``TenantRegistry``, checking every
/// field against the contract and naming the field path and line of the first
/// problem. Unknown keys are errors: a misspelt `rate_limt` must not silently
/// leave a tenant unlimited.
///
/// Rules beyond the contract's text, chosen here:
/// - `name`: `[a-z0-9][a-z0-9_-]{0,62}`, unique — it goes into logs and metric
///   labels unescaped and keys rate-limit state across reloads.
/// - `subdomain`: one lower-case DNS label; two tenants may share one (e.g. two
///   credentials with different allow-lists for the same Daftra account).
/// - credentials: non-empty visible ASCII without spaces, since they go into an
///   HTTP header; `bearer_token` is the bare token, without `Bearer `.
/// - `consumer_keys_sha256`: hex in either case, unique (as digests, whatever the
///   spelling) across the whole file; the
///   digest of the empty string is refused (it is what hashing an unset variable gives).
/// - `fields`: visible ASCII names without `,` (a name with a comma could never
///   be asked for in `?fields=`); repeats are harmless and allowed.
/// - `rate_limit.per_second` in 0.001...1_000_000, `burst` an integer in
///   1...1_000_000; `max_concurrent_upstream` an integer in 1...100_000.
struct RegistryValidator {
    private let environment: [String: String]
    private var names: [String: (path: String, line: Int)] = [:]
    private var digests: [SHA256Digest: (path: String, line: Int)] = [:]

    init(environment: [String: String]) {
        self.environment = environment
    }

    static let credentialKeys = ["bearer_token", "bearer_token_env", "apikey", "apikey_env"]
    private static let emptyKeyDigest = SHA256Digest(hashing: "")

    mutating func registry(_ root: ConfigJSON.Node) throws(RegistryError) -> TenantRegistry {
        let object = try ObjectFields(root, path: "")
        try object.rejectUnknown(["allow_passthrough", "tenants"])
        var allowPassthrough = false
        if let node = object["allow_passthrough"] {
            guard case .bool(let value) = node.value else { throw typeError(object.path("allow_passthrough"), node, "a boolean") }
            allowPassthrough = value
        }
        let tenantsNode = try object.required("tenants")
        let elements = try array(tenantsNode, object.path("tenants"), what: "list at least one tenant")
        var tenants: [(tenant: Tenant, consumerKeys: [SHA256Digest])] = []
        for (index, element) in elements.enumerated() {
            tenants.append(try tenant(element, path: "tenants[\(index)]"))
        }
        return TenantRegistry(allowPassthrough: allowPassthrough, tenants: tenants)
    }

    private mutating func tenant(
        _ node: ConfigJSON.Node, path: String
    ) throws(RegistryError) -> (tenant: Tenant, consumerKeys: [SHA256Digest]) {
        let object = try ObjectFields(node, path: path)
        try object.rejectUnknown([
            "name", "subdomain", "upstream", "consumer_keys_sha256", "fields", "rate_limit", "max_concurrent_upstream",
        ])

        let nameNode = try object.required("name")
        let name = try string(nameNode, object.path("name"))
        guard isTenantName(name) else {
            throw RegistryError(object.path("name"), nameNode,
                "\"\(ConfigJSON.escapedForMessage(name))\" must be 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit")
        }
        if let first = names[name] {
            throw RegistryError(object.path("name"), nameNode,
                "duplicate tenant name \"\(name)\" (also \(first.path), line \(first.line))")
        }
        names[name] = (object.path("name"), nameNode.line)

        let subdomainNode = try object.required("subdomain")
        let subdomain = try string(subdomainNode, object.path("subdomain"))
        guard isDNSLabel(subdomain) else {
            throw RegistryError(object.path("subdomain"), subdomainNode,
                "\"\(ConfigJSON.escapedForMessage(subdomain))\" must be one lower-case DNS label: a-z, 0-9 and '-', 1-63 characters, not starting or ending with '-'")
        }

        let credential = try upstream(try object.required("upstream"), path: object.path("upstream"))
        let consumerKeys = try consumerKeys(try object.required("consumer_keys_sha256"), path: object.path("consumer_keys_sha256"))

        var fields: Set<String>?
        if let node = object["fields"] {
            fields = try fieldList(node, path: object.path("fields"))
        }
        var rateLimit: RateLimit?
        if let node = object["rate_limit"] {
            rateLimit = try self.rateLimit(node, path: object.path("rate_limit"))
        }
        var maxConcurrent: Int?
        if let node = object["max_concurrent_upstream"] {
            maxConcurrent = try integer(node, object.path("max_concurrent_upstream"), in: 1...100_000)
        }
        let tenant = Tenant(
            name: name, subdomain: subdomain, credential: credential,
            fields: fields, rateLimit: rateLimit, maxConcurrentUpstream: maxConcurrent)
        return (tenant, consumerKeys)
    }

    private func upstream(_ node: ConfigJSON.Node, path: String) throws(RegistryError) -> TenantCredential {
        let object = try ObjectFields(node, path: path)
        try object.rejectUnknown(Self.credentialKeys)
        let present = object.members
        guard let member = present.first else {
            throw RegistryError(path, node, "needs exactly one of \(Self.credentialKeys.joined(separator: ", "))")
        }
        if present.count > 1 {
            let second = present[1]
            throw RegistryError(path: object.path(second.key),
                message: "only one credential may be given (\(member.key) is already set at line \(member.keyLine))",
                line: second.keyLine)
        }
        let fieldPath = object.path(member.key)
        let value = try string(member.value, fieldPath)
        let secret: String
        if member.key.hasSuffix("_env") {
            // An operator may paste the token itself here; it is echoed only when
            // it reads as a conventional variable name (see `displayedName`).
            let shown = Self.displayedName(value)
            guard isEnvironmentName(value) else {
                throw RegistryError(fieldPath, member.value,
                    "is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*); not shown, as it may be the secret itself")
            }
            guard let fromEnvironment = environment[value] else {
                throw RegistryError(fieldPath, member.value, "environment variable \(shown) is not set")
            }
            if let problem = credentialProblem(fromEnvironment, isBearer: member.key == "bearer_token_env") {
                throw RegistryError(fieldPath, member.value, "environment variable \(shown) \(problem)")
            }
            secret = fromEnvironment
        } else {
            if let problem = credentialProblem(value, isBearer: member.key == "bearer_token") {
                throw RegistryError(fieldPath, member.value, problem)
            }
            secret = value
        }
        return member.key.hasPrefix("bearer") ? .bearer(secret) : .apikey(secret)
    }

    /// Why `value` cannot be sent as a credential header, without quoting it.
    private func credentialProblem(_ value: String, isBearer: Bool) -> String? {
        if value.isEmpty { return "is empty" }
        if isBearer, value.utf8.count > 7, value.prefix(7).lowercased() == "bearer " {
            return "must hold the bare token, without the 'Bearer ' prefix"
        }
        if let last = value.utf8.last, last == 0x0A || last == 0x0D || last == 0x20 {
            return "ends with a line break or space; remove it"
        }
        if !value.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
            return "must be visible ASCII without spaces (it is sent in an HTTP header)"
        }
        return nil
    }

    private mutating func consumerKeys(_ node: ConfigJSON.Node, path: String) throws(RegistryError) -> [SHA256Digest] {
        let elements = try array(node, path, what: "list at least one SHA-256 digest")
        var result: [SHA256Digest] = []
        for (index, element) in elements.enumerated() {
            let elementPath = path + "[\(index)]"
            let hex = try string(element, elementPath)
            guard let digest = SHA256Digest(hex: hex) else {
                throw RegistryError(elementPath, element,
                    "must be 64 hex digits (the SHA-256 of a consumer key), found \(hex.utf8.count) characters")
            }
            if digest == Self.emptyKeyDigest {
                throw RegistryError(elementPath, element, "is the SHA-256 of an empty key")
            }
            if let first = digests[digest] {
                throw RegistryError(elementPath, element, "repeats the digest at \(first.path), line \(first.line)")
            }
            digests[digest] = (elementPath, element.line)
            result.append(digest)
        }
        return result
    }

    private func fieldList(_ node: ConfigJSON.Node, path: String) throws(RegistryError) -> Set<String> {
        let elements = try array(node, path, what: "list at least one field (leave it out to allow every field)")
        var fields = Set<String>()
        for (index, element) in elements.enumerated() {
            let elementPath = path + "[\(index)]"
            let name = try string(element, elementPath)
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E && $0 != UInt8(ascii: ",") }) else {
                throw RegistryError(elementPath, element,
                    "\"\(ConfigJSON.escapedForMessage(name))\" must be a field name: visible ASCII, no spaces or commas")
            }
            fields.insert(name)
        }
        return fields
    }

    private func rateLimit(_ node: ConfigJSON.Node, path: String) throws(RegistryError) -> RateLimit {
        let object = try ObjectFields(node, path: path)
        try object.rejectUnknown(["per_second", "burst"])
        let perSecondNode = try object.required("per_second")
        guard case .number(let number) = perSecondNode.value else {
            throw typeError(object.path("per_second"), perSecondNode, "a number")
        }
        guard let perSecond = number.doubleValue, perSecond >= 0.001, perSecond <= 1_000_000 else {
            throw RegistryError(object.path("per_second"), perSecondNode, "must be a number from 0.001 to 1000000, not \(number)")
        }
        let burst = try integer(try object.required("burst"), object.path("burst"), in: 1...1_000_000)
        return RateLimit(perSecond: perSecond, burst: burst)
    }

    // MARK: - Typed values

    private func string(_ node: ConfigJSON.Node, _ path: String) throws(RegistryError) -> String {
        guard case .string(let value) = node.value else { throw typeError(path, node, "a string") }
        return value
    }

    private func array(_ node: ConfigJSON.Node, _ path: String, what: String) throws(RegistryError) -> [ConfigJSON.Node] {
        guard case .array(let elements) = node.value else { throw typeError(path, node, "an array") }
        guard !elements.isEmpty else { throw RegistryError(path, node, "must \(what)") }
        return elements
    }

    private func integer(_ node: ConfigJSON.Node, _ path: String, in range: ClosedRange<Int>) throws(RegistryError) -> Int {
        guard case .number(let number) = node.value else { throw typeError(path, node, "an integer") }
        guard let value = number.intValue, range.contains(value) else {
            throw RegistryError(path, node, "must be an integer from \(range.lowerBound) to \(range.upperBound), not \(number)")
        }
        return value
    }

    private func typeError(_ path: String, _ node: ConfigJSON.Node, _ expected: String) -> RegistryError {
        RegistryError(path, node, "must be \(expected), not \(node.value.typeName)")
    }

    // MARK: - Syntax of names

    private func isTenantName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63, isLowerAlnum(first) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`, the contract's tenant label.
    private func isDNSLabel(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        guard isLowerAlnum(first), isLowerAlnum(last) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `name` when it reads as a conventional variable name — upper-case words
    /// joined by underscores (`ACME_TOKEN`), at most 64 bytes — which no random
    /// token looks like; otherwise a placeholder, so a token pasted where its
    /// variable's name belongs is never written to stderr or the log.
    static func displayedName(_ name: String) -> String {
        let words = name.split(separator: "_", omittingEmptySubsequences: false)
        let conventional = name.utf8.count <= 64 && words.count >= 2
            && words.allSatisfy { word in
                guard let first = word.utf8.first, first >= 0x41, first <= 0x5A else { return false }
                return word.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }
            }
        return conventional ? name : "(named here; not shown, as it does not look like a variable name and may be a secret)"
    }

    private func isEnvironmentName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") }
        return letter(first) && bytes.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
    }
}

/// An object's members with the helpers validation needs: required and
/// optional lookups and the unknown-key check, all reporting paths and lines.
private struct ObjectFields {
    let members: [ConfigJSON.Member]
    private let node: ConfigJSON.Node
    private let basePath: String

    init(_ node: ConfigJSON.Node, path: String) throws(RegistryError) {
        guard case .object(let members) = node.value else {
            throw RegistryError(path, node, "must be an object, not \(node.value.typeName)")
        }
        self.members = members
        self.node = node
        self.basePath = path
    }

    func path(_ key: String) -> String {
        var out = basePath
        ConfigJSON.appendKey(key, to: &out)
        return out
    }

    subscript(key: String) -> ConfigJSON.Node? {
        members.first(where: { $0.key == key })?.value
    }

    /// A missing member is reported on the line of the object that lacks it.
    func required(_ key: String) throws(RegistryError) -> ConfigJSON.Node {
        guard let value = self[key] else {
            throw RegistryError(path(key), node, "is required")
        }
        return value
    }

    func rejectUnknown(_ allowed: [String]) throws(RegistryError) {
        for member in members where !allowed.contains(member.key) {
            throw RegistryError(path: path(member.key),
                message: "unknown key (expected \(allowed.joined(separator: ", ")))", line: member.keyLine)
        }
    }
}
