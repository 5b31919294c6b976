import EventLoop
import FuzzKit
import FuzzMain
@testable import GatewayParsers
import Logging

#if canImport(Glibc)
import Glibc
#endif

// The command-line and environment parsers: GatewayDuration.parse/format,
// AddressSyntax, the option checkers of GatewayOptions+Validation (listen
// address, integers, durations, base domain, log level), UpstreamTemplate and
// EventLoop's SocketAddress(ip:port:). Each line of the input (cut at LF) and
// the whole input go to every parser.
//
// argv and the environment cannot carry NUL, and inet_pton would stop at one,
// so values with a NUL are only checked not to crash.

func bytes(_ s: some StringProtocol) -> [UInt8] { Array(s.utf8) }
func text(_ b: some Sequence<UInt8>) -> String { String(decoding: Array(b), as: UTF8.self) }
func isDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
func asciiLower(_ b: [UInt8]) -> [UInt8] { b.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 } }

// MARK: References

/// 1–63 of a-z 0-9 -, not starting or ending with -.
func refLabel(_ b: some Collection<UInt8>) -> Bool {
    (1...63).contains(b.count) && b.first != 0x2D && Array(b).last != 0x2D
        && b.allSatisfy { (0x61...0x7A).contains($0) || isDigit($0) || $0 == 0x2D }
}

/// Dot-separated labels, 1–253 bytes, the last label not all digits.
func refDNSName(_ b: [UInt8]) -> Bool {
    let labels = b.split(separator: 0x2E, omittingEmptySubsequences: false)
    return (1...253).contains(b.count) && labels.allSatisfy(refLabel) && !labels.last!.allSatisfy(isDigit)
}

/// 1–18 ASCII digits.
func refDecimal(_ b: [UInt8]) -> Int? {
    guard (1...18).contains(b.count), b.allSatisfy(isDigit) else { return nil }
    return b.reduce(0) { $0 * 10 + Int($1 - 0x30) }
}

/// Dotted quad as inet_pton reads it: four decimal parts 0–255, no leading zeros.
func refIPv4(_ b: [UInt8]) -> Bool {
    let parts = b.split(separator: 0x2E, omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { p in
        (1...3).contains(p.count) && p.allSatisfy(isDigit) && (p.count == 1 || p.first != 0x30)
            && Int(text(p))! <= 255
    }
}

/// The duration grammar of GatewayDuration's documentation: 1–12 digits then
/// ms, s, m or h; at most 24 h. Returns milliseconds, or the error it must give.
func refDuration(_ b: [UInt8]) -> Result<Int64, DurationSyntaxError> {
    guard !b.isEmpty else { return .failure(.empty) }
    let count = b.prefix(while: isDigit).count
    guard count > 0 else { return .failure(.notANumber) }
    guard count <= 12 else { return .failure(.tooLong) }
    let value = Int64(text(b[..<count]))!
    let unit = text(b[count...])
    let scale: Int64
    switch unit {
    case "ms": scale = 1
    case "s": scale = 1_000
    case "m": scale = 60_000
    case "h": scale = 3_600_000
    case "": return .failure(.missingUnit)
    default: return .failure(b[count] == 0x2E ? .fraction : .unknownUnit)
    }
    return value * scale <= 86_400_000 ? .success(value * scale) : .failure(.tooLong)
}

func milliseconds(_ d: Duration) -> Int64 {
    let (s, atto) = d.components
    return s * 1_000 + atto / 1_000_000_000_000_000
}

/// A one-line message that names `option`.
func checkMessage(_ error: ConfigurationError, _ option: String) {
    fuzzCheck(error.names == [option], "error names \(error.names), not \(option)")
    fuzzCheck(error.message.contains(option), "message does not name \(option)")
    fuzzCheck(!error.message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
              "control character in \(error.message.debugDescription)")
}

// MARK: Checks

func checkDuration(_ value: String) {
    let got = Result { () throws(DurationSyntaxError) in try GatewayDuration.parse(value) }
    let expected = refDuration(bytes(value))
    switch (got, expected) {
    case (.success(let d), .success(let ms)):
        fuzzCheck(milliseconds(d) == ms && d.components.attoseconds % 1_000_000_000_000_000 == 0, "\(value) is \(d), expected \(ms) ms")
        fuzzCheck(d >= .zero && d <= GatewayDuration.maximum, "\(value) is \(d)")
        let formatted = GatewayDuration.format(d)
        fuzzCheck((try? GatewayDuration.parse(formatted)) == d, "\(formatted) (format of \(value)) does not parse back")
        fuzzCheck(formatted.utf8.count <= value.utf8.count, "\(formatted) is longer than \(value)")
    case (.failure(let e), .failure(let f)):
        fuzzCheck(e == f, "\(bytes(value)): \(e), expected \(f)")
        fuzzCheck(!e.description.isEmpty, "empty reason")
    default:
        fuzzCheck(false, "\(bytes(value)): \(got), expected \(expected)")
    }
    for allowZero in [false, true] {
        switch Result(catching: { () throws(ConfigurationError) in
            try GatewayOptions.duration(value, for: "--idle-timeout", allowZero: allowZero)
        }) {
        case .success(let d):
            fuzzCheck(d == (try? got.get()) && (allowZero || d > .zero), "duration(\(value), allowZero: \(allowZero)) = \(d)")
        case .failure(let error):
            checkMessage(error, "--idle-timeout")
            if case .success(let d) = got { fuzzCheck(!allowZero && d == .zero, "\(value) refused") }
        }
    }
}

/// Every duration the options can hold formats to text that parses back.
func checkDurationRoundTrip(_ ms: Int64) {
    let d = Duration.milliseconds(ms)
    let formatted = GatewayDuration.format(d)
    fuzzCheck((try? GatewayDuration.parse(formatted)) == d, "format(\(ms) ms) = \(formatted) does not parse back")
}

func checkAddressSyntax(_ value: String) {
    let b = bytes(value)
    fuzzCheck(AddressSyntax.isLabel(b) == refLabel(b), "isLabel(\(b))")
    fuzzCheck(AddressSyntax.isDNSName(value) == refDNSName(b), "isDNSName(\(b))")
    fuzzCheck(AddressSyntax.decimal(value) == refDecimal(b), "decimal(\(b))")
    let lower = AddressSyntax.asciiLowercased(value)
    fuzzCheck(bytes(lower) == asciiLower(b), "asciiLowercased(\(b)) = \(bytes(lower))")
    guard !b.contains(0) else {
        _ = AddressSyntax.isIPv4Literal(value)
        _ = AddressSyntax.isIPv6Literal(value)
        return
    }
    let v4 = AddressSyntax.isIPv4Literal(value), v6 = AddressSyntax.isIPv6Literal(value)
    fuzzCheck(v4 == refIPv4(b), "isIPv4Literal(\(value)) = \(v4)")
    fuzzCheck(!(v4 && v6), "\(value) is both IPv4 and IPv6")
    fuzzCheck(!(v4 || v6) || !refDNSName(b), "\(value) is both an address and a name")
}

func checkSocketAddress(_ value: String, port: UInt16) {
    let address = SocketAddress(ip: value, port: port)
    guard !value.utf8.contains(0) else { return }
    var literal = Substring(value)
    if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
    let v4 = AddressSyntax.isIPv4Literal(String(literal)), v6 = AddressSyntax.isIPv6Literal(String(literal))
    fuzzCheck((address != nil) == (v4 || v6), "SocketAddress(ip: \(value)) = \(String(describing: address))")
    guard let address else { return }
    fuzzCheck(address.family == (v4 ? AF_INET : AF_INET6) && address.port == port, "\(value) gives \(address)")
    // Rendered and parsed again: the same address and port.
    let again = SocketAddress(ip: address.ipString, port: port)
    fuzzCheck(again.map { $0.description == address.description && $0.length == address.length } == true,
              "\(value) renders as \(address.ipString), which parses as \(String(describing: again))")
    let fromDescription = SocketAddress(ip: String(address.description[..<address.description.lastIndex(of: ":")!]), port: port)
    fuzzCheck(fromDescription?.description == address.description, "\(address) does not parse back")
    if v4 { fuzzCheck(address.ipString == String(literal), "IPv4 \(literal) renders as \(address.ipString)") }
}

func checkListenAddress(_ value: String) {
    let result = Result(catching: { () throws(ConfigurationError) in try GatewayOptions.listenAddress(value) })
    guard !value.utf8.contains(0) else { return }
    switch result {
    case .success(let (literal, family)):
        fuzzCheck(value == literal || (family == .ipv6 && value == "[\(literal)]"), "--host \(value) gives \(literal)")
        let address = SocketAddress(ip: literal, port: 8080)
        fuzzCheck(address?.family == (family == .ipv4 ? AF_INET : AF_INET6), "\(literal) does not bind as \(family)")
        let again = try? GatewayOptions.listenAddress(literal)
        fuzzCheck(again?.0 == literal && again?.1 == family, "\(literal) does not check again")
    case .failure(let error):
        checkMessage(error, "--host")
        fuzzCheck(!refIPv4(bytes(value)) && !AddressSyntax.isIPv6Literal(value), "--host \(value) refused")
    }
}

let integerOptions: [(String, ClosedRange<Int>)] = [
    ("--port", 0...65_535), ("--loops", 1...256), ("--max-connections", 1...1_000_000), ("--gzip-level", 1...9),
    ("--gzip-min-bytes", 0...Int(Int32.max)),
]

func checkInteger(_ value: String) {
    for (option, range) in integerOptions {
        let expected = refDecimal(bytes(value)).flatMap { range.contains($0) ? $0 : nil }
        switch Result(catching: { () throws(ConfigurationError) in try GatewayOptions.integer(value, for: option, in: range) }) {
        case .success(let n):
            fuzzCheck(n == expected && Int(value) == n, "\(option) \(value) = \(n)")
        case .failure(let error):
            fuzzCheck(expected == nil, "\(option) \(value) refused")
            checkMessage(error, option)
        }
    }
}

func checkDomain(_ value: String) {
    var name = asciiLower(bytes(value))
    if name.last == 0x2E { name.removeLast() }
    let expected = refDNSName(name) ? name : nil
    switch Result(catching: { () throws(ConfigurationError) in try GatewayOptions.domain(value) }) {
    case .success(let domain):
        fuzzCheck(bytes(domain) == expected, "--base-domain \(value) = \(domain)")
        fuzzCheck((try? GatewayOptions.domain(domain)) == domain, "\(domain) does not check again")
    case .failure(let error):
        fuzzCheck(expected == nil, "--base-domain \(value) refused")
        checkMessage(error, "--base-domain")
    }
}

let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

func checkLevel(_ value: String) {
    let lower = text(asciiLower(bytes(value)))
    switch Result(catching: { () throws(ConfigurationError) in try GatewayOptions.level(value) }) {
    case .success(let level):
        fuzzCheck(levels.contains(lower) && level.rawValue == lower, "--log-level \(value) = \(level)")
    case .failure(let error):
        fuzzCheck(!levels.contains(lower), "--log-level \(value) refused")
        checkMessage(error, "--log-level")
    }
}

/// Labels a tenant may have: the longest one included.
let subdomains = ["a", "acme", "x-1", String(repeating: "z", count: 63), "0"]

func checkTemplate(_ value: String) {
    let b = bytes(value)
    let parsed = Result { () throws(UpstreamTemplateError) in try UpstreamTemplate(parsing: value) }
    guard case .success(let template) = parsed else {
        if case .failure(let error) = parsed { fuzzCheck(!error.description.isEmpty, "empty reason") }
        return
    }
    // What the documentation says every template has.
    fuzzCheck(b.allSatisfy { (0x21...0x7E).contains($0) } && !b.contains(0x3F) && !b.contains(0x23), "accepted \(value)")
    let lower = asciiLower(b)
    fuzzCheck(lower.starts(with: bytes("http://")) || lower.starts(with: bytes("https://")), "scheme of \(value)")
    fuzzCheck((1...65_535).contains(template.port), "port \(template.port)")
    let description = template.description
    fuzzCheck(description.split(separator: "{subdomain}", omittingEmptySubsequences: false).count == 2, "\(description) has not one placeholder")
    // Written back, it parses to the same template, and writes the same.
    let again = try? UpstreamTemplate(parsing: description)
    fuzzCheck(again == template, "\(description) (from \(value)) parses as \(String(describing: again))")
    fuzzCheck(again?.description == description, "description is not stable: \(description)")

    var origins: [UpstreamOrigin] = []
    for subdomain in subdomains {
        let origin = template.resolve(subdomain: subdomain)
        origins.append(origin)
        fuzzCheck(origin.port == template.port && origin.scheme == template.scheme, "origin \(origin)")
        _ = origin.endpoint
        let ipv4 = AddressSyntax.isIPv4Literal(origin.host), ipv6 = AddressSyntax.isIPv6Literal(origin.host)
        fuzzCheck(origin.isIPLiteral == (ipv4 || ipv6), "\(origin.host): isIPLiteral \(origin.isIPLiteral)")
        fuzzCheck(origin.isIPLiteral || AddressSyntax.isDNSName(origin.host), "host \(origin.host) of \(description) for \(subdomain)")
        fuzzCheck(origin.tlsServerName == (origin.isIPLiteral ? nil : origin.host), "SNI \(String(describing: origin.tlsServerName))")
        let bracketed = ipv6 ? "[\(origin.host)]" : origin.host
        let expectedHeader = origin.port == origin.scheme.defaultPort ? bracketed : "\(bracketed):\(origin.port)"
        fuzzCheck(origin.hostHeader == expectedHeader, "Host \(origin.hostHeader), expected \(expectedHeader)")
        let prefix = bytes(origin.pathPrefix)
        fuzzCheck(prefix.isEmpty || (prefix.first == 0x2F && prefix.last != 0x2F), "path prefix \(origin.pathPrefix)")
        fuzzCheck(origin.host.contains(subdomain) || origin.pathPrefix.contains(subdomain), "\(subdomain) is not in \(origin)")
        let path = origin.clientPath(id: "42")
        fuzzCheck(path.hasPrefix("/") && path.hasSuffix("/clients/42.json"), "client path \(path)")
    }
    // Different tenants, different origins: a tenant never reaches another's.
    fuzzCheck(Set(origins).count == origins.count, "two subdomains share an origin in \(description)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let input = fuzzInput(start, count)
    var choices = input.withUnsafeBytes { FuzzChoices($0) }
    let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map { text($0) }
    let values = lines.count > 1 ? lines + [text(input)] : lines
    for value in values {
        checkDuration(value)
        checkAddressSyntax(value)
        checkSocketAddress(value, port: UInt16(truncatingIfNeeded: choices.next()))
        checkListenAddress(value)
        checkInteger(value)
        checkDomain(value)
        checkLevel(value)
        checkTemplate(value)
    }
    checkDurationRoundTrip(Int64(choices.upTo(86_400_000)))
    checkDurationRoundTrip(Int64(choices.upTo(86_400)) * 1_000)
    return 0
}

/// The entry point SwiftPM's linker flags name `main`; see ``runFuzzer(_:_:_:)``.
@_cdecl("FuzzConfiguration_main")
public func fuzzConfigurationMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzConfiguration)
}
