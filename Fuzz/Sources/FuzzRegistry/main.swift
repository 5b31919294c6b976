import FuzzKit
import FuzzMain
import Projection
import Registry

/// A JSON text for `value`, compact; keys and strings escaped minimally.
func write(_ value: ConfigJSON.Value, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n): out += n.text
    case .string(let s): writeString(s, into: &out)
    case .array(let nodes):
        out += "["
        for (i, node) in nodes.enumerated() {
            if i > 0 { out += "," }
            write(node.value, into: &out)
        }
        out += "]"
    case .object(let members):
        out += "{"
        for (i, member) in members.enumerated() {
            if i > 0 { out += "," }
            writeString(member.key, into: &out)
            out += ":"
            write(member.value.value, into: &out)
        }
        out += "}"
    }
}

func writeString(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}

/// Structural equality that ignores where values were in the text.
func sameValue(_ a: ConfigJSON.Value, _ b: ConfigJSON.Value) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x.text == y.text
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { sameValue($0.value, $1.value) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && sameValue($0.value.value, $1.value.value) }
    default: return false
    }
}

/// Every way a tenant can end up in a log line or crash report.
func printed(_ tenant: Tenant) -> [String] {
    var dumped = ""
    dump(tenant, to: &dumped)
    return [tenant.description, String(reflecting: tenant), "\([tenant])", dumped]
}

/// Secrets the environment holds; no error message or description may show them.
let environment = [
    "ACME_TOKEN": "env-secret-token-4f9a1c",
    "ACME_KEY": "env-secret-apikey-77d2e0",
    "EMPTY": "",
    "SPACED": "has space",
]

/// The tenants-file loader: ConfigJSON.parse and TenantRegistry.parse must not
/// crash, are deterministic, agree with JSONScanner (whatever ConfigJSON accepts
/// is JSON), round-trip (a parsed tree written back parses to the same tree),
/// and never show a credential in an error or a description.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegistry(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)

    let tree = Result { () throws(ConfigJSON.ParseError) in try ConfigJSON.parse(input) }
    let again = Result { () throws(ConfigJSON.ParseError) in try ConfigJSON.parse(input) }
    fuzzCheck(tree == again, "ConfigJSON.parse is not deterministic")
    let scanned = withExactCopy(of: input) { bytes in Result { () throws(ProjectionError) in try JSONScanner.validate(bytes) } }
    switch tree {
    case .success(let root):
        if case .failure(let error) = scanned {
            fatalError("ConfigJSON accepts what JSONScanner rejects: \(error)")
        }
        var text = ""
        write(root.value, into: &text)
        let reparsed = Result { () throws(ConfigJSON.ParseError) in try ConfigJSON.parse(Array(text.utf8)) }
        guard case .success(let second) = reparsed else { fatalError("written back, the tree does not parse: \(reparsed) \(text)") }
        fuzzCheck(sameValue(root.value, second.value), "round trip changed the tree: \(text)")
        fuzzCheck(root.line >= 1 && root.column >= 1, "position \(root.line):\(root.column)")
    case .failure(let error):
        fuzzCheck(error.line >= 1 && error.column >= 1 && !error.message.isEmpty, "error \(error)")
    }

    let registry = Result { () throws(RegistryError) in try TenantRegistry.parse(bytes: input, environment: environment) }
    let registryAgain = Result { () throws(RegistryError) in try TenantRegistry.parse(bytes: input, environment: environment) }
    fuzzCheck(registry == registryAgain, "TenantRegistry.parse is not deterministic")
    switch registry {
    case .success(let r):
        if case .failure = tree { fatalError("a registry from a file ConfigJSON rejects") }
        // Printing a tenant must not depend on its credential at all.
        for tenant in r.tenants {
            let decoy = Tenant(
                name: tenant.name, subdomain: tenant.subdomain,
                credential: tenant.credential.kind == .bearer ? .bearer("decoy") : .apikey("decoy"),
                fields: tenant.fields, rateLimit: tenant.rateLimit, maxConcurrentUpstream: tenant.maxConcurrentUpstream)
            fuzzCheck(printed(tenant) == printed(decoy), "the credential changes how a tenant prints: \(printed(tenant))")
        }
        fuzzCheck(r.tenants.allSatisfy { r.tenant(named: $0.name) != nil }, "a tenant cannot be found by name")
    case .failure(let error):
        fuzzCheck(!error.message.isEmpty, "empty error message")
        let text = String(decoding: input, as: UTF8.self)
        for secret in environment.values where secret.utf8.count >= 8 && !text.contains(secret) {
            fuzzCheck(!error.description.contains(secret), "an environment secret shows in \(error.description)")
        }
    }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzRegistry_main")
public func fuzzRegistryMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzRegistry)
}
