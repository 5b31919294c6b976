import FuzzKit
import FuzzMain
@testable import GatewayParsers
import HTTP1

// The gateway's request-side helpers, each against a byte-level reference
// written from its documentation (not from its code):
//
// - RequestTarget.init / authority(of:) / queryValue on request-targets;
// - Router.match, against a split-on-"/" reference, for the gateway's own
//   table and for tables made from the input;
// - PassThroughTenancy.subdomain / bearerToken / credential / isClientID;
// - TraceParent(header:) against W3C Trace Context (version 00, and later versions' first fields);
// - RequestIDGenerator.isAcceptable and id(fromCaller:).
//
// The input is cut at LF into lines: line 0 is the request-target, line 1 the
// Host value, line 2 X-Daftra-Subdomain, line 3 a query name, the rest route
// templates; and every helper that takes one string also gets every line and
// the whole input.

// MARK: Byte helpers

let slash = UInt8(ascii: "/"), question = UInt8(ascii: "?"), colon = UInt8(ascii: ":")

func bytes(_ s: some StringProtocol) -> [UInt8] { Array(s.utf8) }

func asciiLower(_ b: [UInt8]) -> [UInt8] { b.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 } }

func firstRange(of needle: [UInt8], in hay: [UInt8]) -> Int? {
    guard hay.count >= needle.count else { return nil }
    for i in 0...(hay.count - needle.count) where Array(hay[i..<(i + needle.count)]) == needle { return i }
    return nil
}

/// RFC 1035 label as the gateway states it: `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`.
func isLabel(_ b: some Collection<UInt8>) -> Bool {
    let alnum = { (c: UInt8) in (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) }
    guard (1...63).contains(b.count), alnum(b.first!), alnum(Array(b).last!) else { return false }
    return b.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
}

/// What a request line can carry as a target: visible ASCII (the decoder's
/// target class is a subset).
func isTargetText(_ b: [UInt8]) -> Bool { !b.isEmpty && b.allSatisfy { (0x21...0x7E).contains($0) } }

/// What a field value can be once decoded: UTF-8 without CR, LF or NUL.
func isFieldText(_ b: [UInt8]) -> Bool { !b.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }

// MARK: Request-target

/// RFC 3986 / RFC 9112 §3.2: origin-form is path ["?" query]; absolute-form
/// is scheme "://" authority path-abempty ["?" query], the authority ending at
/// the first "/" or "?", an empty path standing for "/".
func referenceTarget(_ t: [UInt8]) -> (path: [UInt8], query: [UInt8]?, authority: [UInt8]?) {
    var rest = t
    var authority: [UInt8]?
    if t.first != slash, let scheme = firstRange(of: bytes("://"), in: t) {
        let after = Array(t[(scheme + 3)...])
        let end = after.firstIndex { $0 == slash || $0 == question } ?? after.count
        authority = Array(after[..<end])
        rest = Array(after[end...])
        if rest.first != slash { rest = [slash] + rest }
    }
    if let q = rest.firstIndex(of: question) {
        return (Array(rest[..<q]), Array(rest[(q + 1)...]), authority)
    }
    return (rest, nil, authority)
}

/// The first `name=value` (or bare `name`) among the non-empty `&`-separated pairs.
/// A pair's name with every escape of an unreserved character (RFC 3986 §2.3)
/// decoded; other bytes, other escapes included, as they are.
func normalisedName(_ raw: ArraySlice<UInt8>) -> [UInt8] {
    let unreserved = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))
    var out: [UInt8] = []
    var i = raw.startIndex
    while i < raw.endIndex {
        if raw[i] == UInt8(ascii: "%"), raw.endIndex - i >= 3,
           let decoded = UInt8(String(decoding: raw[(i + 1)...(i + 2)], as: UTF8.self), radix: 16),
           raw[(i + 1)...(i + 2)].allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }),
           unreserved.contains(decoded) {
            out.append(decoded)
            i += 3
        } else {
            out.append(raw[i])
            i += 1
        }
    }
    return out
}

func referenceQueryValue(_ query: [UInt8]?, _ name: [UInt8]) -> [UInt8]? {
    guard let query else { return nil }
    for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
        let equals = pair.firstIndex(of: UInt8(ascii: "="))
        guard normalisedName(pair[..<(equals ?? pair.endIndex)]) == name else { continue }
        return equals.map { Array(pair[($0 + 1)...]) } ?? []
    }
    return nil
}

func checkTarget(_ text: String, names: [String]) -> RequestTarget {
    let target = RequestTarget(text)
    let authority = RequestTarget.authority(of: text)
    let t = bytes(text)
    guard isTargetText(t) else { return target }
    let ref = referenceTarget(t)
    fuzzCheck(bytes(target.path) == ref.path, "path of \(text): \(target.path), expected \(String(decoding: ref.path, as: UTF8.self))")
    fuzzCheck(target.query.map(bytes) == ref.query, "query of \(text): \(String(describing: target.query))")
    fuzzCheck(authority.map(bytes) == ref.authority, "authority of \(text): \(String(describing: authority))")
    // Written back in origin-form, the target parses to the same path and query.
    let origin = String(target.path) + (target.query.map { "?" + $0 } ?? "")
    fuzzCheck(RequestTarget(origin) == target, "\(origin) (from \(text)) parses differently")
    for name in names {
        let value = target.queryValue(name)
        let expected = referenceQueryValue(ref.query, bytes(name))
        fuzzCheck(value.map(bytes) == expected, "queryValue(\(name)) of \(text): \(String(describing: value))")
    }
    return target
}

// MARK: Router

struct ReferenceRoute {
    let template: [UInt8]
    let methods: [String]
}

enum ReferenceMatch: Equatable {
    case found(Int, [[UInt8]])
    case methodNotAllowed(Int)
    case notFound
}

func referenceMatch(_ routes: [ReferenceRoute], method: String, path: [UInt8]) -> ReferenceMatch {
    guard path.first == slash else { return .notFound }
    let pathSegments = path.dropFirst().split(separator: slash, omittingEmptySubsequences: false)
    var pathMatch: Int?
    for (index, route) in routes.enumerated() {
        let segments = route.template.split(separator: slash, omittingEmptySubsequences: false).dropFirst()
        guard !segments.isEmpty, segments.count == pathSegments.count else { continue }
        var parameters: [[UInt8]] = []
        var matched = true
        for (segment, piece) in zip(segments, pathSegments) {
            if segment.first == UInt8(ascii: "{") && segment.last == UInt8(ascii: "}") {
                guard !piece.isEmpty else { matched = false; break }
                parameters.append(Array(piece))
            } else if !segment.elementsEqual(piece) {
                matched = false
                break
            }
        }
        guard matched else { continue }
        if route.methods.contains(method) || (method == "HEAD" && route.methods.contains("GET")) {
            return .found(index, parameters)
        }
        if pathMatch == nil { pathMatch = index }
    }
    return pathMatch.map { .methodNotAllowed($0) } ?? .notFound
}

func checkRouter(_ routes: [ReferenceRoute], method: String, path: Substring) {
    var router = Router<Int>()
    for (index, route) in routes.enumerated() {
        router.add(String(decoding: route.template, as: UTF8.self), methods: route.methods, endpoint: index)
    }
    let got: ReferenceMatch
    switch router.match(method: method, path: path) {
    case .found(let route, let parameters):
        got = .found(route.endpoint, parameters.map(bytes))
        fuzzCheck(route.methods.contains(method), "found a route without \(method)")
        for parameter in parameters {
            fuzzCheck(!parameter.isEmpty && !parameter.utf8.contains(slash), "parameter \(parameter)")
        }
    case .methodNotAllowed(let route):
        got = .methodNotAllowed(route.endpoint)
        fuzzCheck(!route.methods.contains(method), "405 for a route that takes \(method)")
        fuzzCheck(route.allow.contains("HEAD") == route.allow.contains("GET"), "Allow: \(route.allow)")
    case .notFound:
        got = .notFound
    }
    let expected = referenceMatch(routes, method: method, path: bytes(path))
    fuzzCheck(got == expected, "\(method) \(path): \(got), expected \(expected)")
}

/// The gateway's own table (GatewayApp).
let gatewayRoutes = ["/livez", "/healthz", "/readyz", "/clients/{id}", "/metrics"].map {
    ReferenceRoute(template: bytes($0), methods: ["GET"])
}
let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get"]

// MARK: Tenancy

enum SubdomainOutcome: Equatable {
    case label([UInt8])
    case failure(GatewayError.Kind)
}

/// The tenant rules of the README: X-Daftra-Subdomain if present (ASCII
/// lower-cased, one DNS label), else with a base domain the authority of an
/// absolute-form target or else Host, less its port and a trailing dot, must
/// be one DNS label followed by "." and the base domain.
func referenceSubdomain(named: [UInt8]?, host: [UInt8]?, target: [UInt8], base: String?) -> SubdomainOutcome {
    if let named {
        let label = asciiLower(named)
        return isLabel(label) ? .label(label) : .failure(.invalidSubdomain)
    }
    guard let base, let host = referenceTarget(target).authority ?? host else { return .failure(.missingSubdomain) }
    var name = asciiLower(host)
    if name.last != UInt8(ascii: "]"), let c = name.lastIndex(of: colon) { name = Array(name[..<c]) }
    if name.last == UInt8(ascii: ".") { name.removeLast() }
    let suffix = bytes("." + base)
    guard name.count >= suffix.count, Array(name.suffix(suffix.count)) == suffix else {
        return .failure(.missingSubdomain)
    }
    let label = Array(name.dropLast(suffix.count))
    return isLabel(label) ? .label(label) : .failure(.invalidSubdomain)
}

func outcome(_ result: Result<String, GatewayError>) -> SubdomainOutcome {
    switch result {
    case .success(let label):
        fuzzCheck(isLabel(bytes(label)), "accepted subdomain \(bytes(label)) is not one DNS label")
        return .label(bytes(label))
    case .failure(let error): return .failure(error.kind)
    }
}

func checkSubdomain(named: String?, host: String?, target: String, base: String?) {
    var fields: [(String, String)] = []
    if let host { fields.append(("Host", host)) }
    if let named { fields.append(("X-Daftra-Subdomain", named)) }
    let got = outcome(PassThroughTenancy.subdomain(headers: HTTPHeaders(fields), baseDomain: base, target: target))
    let reachable = [named, host].allSatisfy { $0.map { isFieldText(bytes($0)) } ?? true } && isTargetText(bytes(target))
    if reachable {
        let expected = referenceSubdomain(named: named.map(bytes), host: host.map(bytes), target: bytes(target), base: base)
        fuzzCheck(got == expected, "subdomain(named: \(String(describing: named)), host: \(String(describing: host)), target: \(target), base: \(String(describing: base))): \(got), expected \(expected)")
    }
    guard case .label(let label) = got else { return }
    let text = String(decoding: label, as: UTF8.self)
    // An accepted label names the same tenant however it is sent again.
    let again = outcome(PassThroughTenancy.subdomain(
        headers: HTTPHeaders([("x-daftra-subdomain", text.uppercased())]), baseDomain: nil))
    fuzzCheck(again == got, "\(text) as X-Daftra-Subdomain gives \(again)")
    if let base {
        for host in ["\(text).\(base)", "\(text.uppercased()).\(base).:8443"] {
            let viaHost = outcome(PassThroughTenancy.subdomain(headers: HTTPHeaders([("Host", host)]), baseDomain: base))
            fuzzCheck(viaHost == got, "Host \(host) gives \(viaHost)")
        }
    }
}

/// `Bearer` (any case), one space, optional more spaces, the rest.
func referenceBearer(_ v: [UInt8]) -> [UInt8]? {
    guard v.count > 7, asciiLower(Array(v[..<6])) == bytes("bearer"), v[6] == 0x20 else { return nil }
    return Array(v[7...].drop { $0 == 0x20 })
}

func checkCredential(authorization: String?, apikey: String?) {
    var fields: [(String, String)] = []
    if let authorization { fields.append(("Authorization", authorization)) }
    if let apikey { fields.append(("apikey", apikey)) }
    let token = authorization.flatMap { PassThroughTenancy.bearerToken($0) }
    if let authorization {
        fuzzCheck(token.map(bytes) == referenceBearer(bytes(authorization)), "bearerToken(\(bytes(authorization))): \(String(describing: token))")
    }
    let expected: UpstreamCredential?
    if let authorization, let token, !token.isEmpty {
        expected = .bearer(authorization)
    } else if let apikey, !apikey.isEmpty {
        expected = .apikey(apikey)
    } else {
        expected = nil
    }
    switch PassThroughTenancy.credential(headers: HTTPHeaders(fields)) {
    case .success(let credential): fuzzCheck(credential == expected, "credential \(credential), expected \(String(describing: expected))")
    case .failure(let error):
        fuzzCheck(expected == nil && error.kind == .missingCredential, "no credential, expected \(String(describing: expected))")
    }
}

/// 1–18 ASCII digits, the first not 0; then it is its own canonical decimal spelling.
func checkClientID(_ text: Substring) {
    let b = bytes(text)
    let expected = (1...18).contains(b.count) && b.allSatisfy { (0x30...0x39).contains($0) } && b.first != 0x30
    let got = PassThroughTenancy.isClientID(text)
    fuzzCheck(got == expected, "isClientID(\(b)): \(got)")
    if got {
        fuzzCheck(Int(text).map { String($0) } == String(text), "client id \(text) is not canonical")
    }
}

// MARK: Trace context and request ids

func isLowerHex(_ b: ArraySlice<UInt8>) -> Bool {
    b.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
}

/// W3C Trace Context §3.2.2: version "-" trace-id "-" parent-id "-" flags, all
/// HEXDIGLC (lowercase hex; anything else is invalid and MUST be ignored),
/// version ff invalid, an all-zero trace-id or parent-id invalid. 55 bytes for
/// version 00; a later version may go on after a "-" (§3.2.4).
func referenceTraceParent(_ v: [UInt8]) -> Bool {
    guard v.count >= 55 else { return false }
    let fields = v[0..<55].split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
    guard fields.map(\.count) == [2, 32, 16, 2], fields.allSatisfy(isLowerHex) else { return false }
    let version = Array(fields[0])
    guard v.count == 55 || (version != bytes("00") && v[55] == UInt8(ascii: "-")) else { return false }
    return version != bytes("ff") && fields[1].contains { $0 != 0x30 } && fields[2].contains { $0 != 0x30 }
}

func checkTraceParent(_ text: String) {
    let parsed = TraceParent(header: text)
    let b = bytes(text)
    fuzzCheck((parsed != nil) == referenceTraceParent(b), "TraceParent(\(b)): \(String(describing: parsed))")
    guard let parsed else { return }
    // Sent on as version 00: the first four fields, the version replaced.
    fuzzCheck(bytes(parsed.header) == bytes("00") + b[2..<55], "header \(parsed.header) is not \(text) as version 00")
    fuzzCheck(bytes(parsed.traceID) == Array(b[3..<35]), "traceID \(parsed.traceID)")
    fuzzCheck(TraceParent(header: parsed.header) == parsed, "\(parsed.header) does not parse to itself")
}

let generator = RequestIDGenerator()
nonisolated(unsafe) var lastGenerated = ""

func checkRequestID(_ text: String) {
    let b = bytes(text)
    let expected = (1...128).contains(b.count) && b.allSatisfy { (0x21...0x7E).contains($0) }
    fuzzCheck(RequestIDGenerator.isAcceptable(text) == expected, "isAcceptable(\(b))")
    let id = generator.id(fromCaller: text)
    if expected {
        fuzzCheck(id == text, "an acceptable id was replaced")
    } else {
        let g = bytes(id)
        fuzzCheck(g.count == 32 && isLowerHex(g[...]) && RequestIDGenerator.isAcceptable(id), "generated id \(id)")
        fuzzCheck(id != lastGenerated, "the same id twice: \(id)")
        lastGenerated = id
    }
}

// MARK: Entry

/// The request-side helpers against their references; see the top of the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGatewayRequest(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let (whole, lines) = fuzzText(input)
    func line(_ i: Int) -> String? { i < lines.count ? lines[i] : nil }

    let names = ["fields", "id", "", "a"] + [line(3)].compactMap { $0 }
    let target = checkTarget(lines[0], names: names)
    for text in lines.dropFirst() + [whole] { _ = checkTarget(text, names: ["fields"]) }

    // The gateway's table, then one made of the remaining lines (plus its own).
    let method = choices.upTo(methods.count) == methods.count ? (line(2) ?? "GET") : methods[choices.upTo(methods.count - 1)]
    checkRouter(gatewayRoutes, method: method, path: target.path)
    let extra = lines.dropFirst(4).filter { $0.utf8.first == slash && $0.utf8.allSatisfy { (0x21...0x7E).contains($0) } }
    if !extra.isEmpty {
        let routes = extra.map { template in
            ReferenceRoute(template: bytes(template), methods: choices.flip() ? ["GET"] : ["POST", "DELETE"])
        } + gatewayRoutes
        checkRouter(routes, method: method, path: target.path)
        for template in extra { checkRouter(routes, method: method, path: Substring(template)) }
    }

    let bases: [String?] = [nil, "example.com", "gw.example.co.uk", "localhost"]
    let base = bases[choices.upTo(bases.count - 1)]
    checkSubdomain(named: choices.flip() ? line(2) : nil, host: line(1), target: lines[0], base: base)
    checkSubdomain(named: nil, host: whole, target: "/", base: "example.com")

    for text in lines + [whole] {
        checkCredential(authorization: text, apikey: choices.flip() ? line(1) : nil)
        checkClientID(Substring(text))
        checkTraceParent(text)
        checkRequestID(text)
    }
    if let id = target.path.split(separator: "/").last { checkClientID(id) }
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzGatewayRequest_main")
public func fuzzGatewayRequestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzGatewayRequest)
}
