/// The scheme of the upstream: plain HTTP (tests, the demo) or HTTPS (Daftra).
public enum UpstreamScheme: String, Sendable, Hashable {
    case http
    case https

    /// 80 or 443: the port a URL may leave out, and the `Host` header then omits.
    public var defaultPort: Int { self == .http ? 80 : 443 }
}

/// The `--upstream` URL template, e.g. `https://{subdomain}.daftra.com/api2`
/// or `http://127.0.0.1:9000/{subdomain}/api2`, parsed once at start-up so that
/// each request only concatenates strings.
///
/// Rules: scheme `http` or `https`; host a DNS name, an IPv4 literal or a
/// bracketed IPv6 literal; optional port 1–65535; optional path prefix; no
/// user info, query or fragment. `{subdomain}` appears exactly once, either as
/// one whole label of the host that has a domain after it (`{subdomain}.daftra.com`,
/// never `api-{subdomain}.x` or a bare `{subdomain}`, so a tenant can never
/// turn the host into an IP address or another domain) or anywhere in the path.
/// Host names are lower-cased; trailing slashes of the path are dropped.
public struct UpstreamTemplate: Sendable, Equatable, CustomStringConvertible {
    /// The text that the tenant's subdomain replaces.
    public static let placeholder = "{subdomain}"

    /// `http` or `https`.
    public let scheme: UpstreamScheme
    /// The TCP port, explicit or the scheme's default.
    public let port: Int
    let host: TemplatePart
    let path: TemplatePart
    /// The host is a literal IPv6 address: bracketed in `Host` and in URLs.
    let hostIsIPv6: Bool
    /// The host is a literal IPv4 or IPv6 address: TLS sends no SNI for it.
    let hostIsIPLiteral: Bool

    /// Parses `text`, or throws an ``UpstreamTemplateError`` saying what is wrong.
    public init(parsing text: String) throws(UpstreamTemplateError) {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidCharacter }
        guard !bytes.contains(UInt8(ascii: "?")), !bytes.contains(UInt8(ascii: "#")) else {
            throw .queryOrFragment
        }
        let marker = Array("://".utf8)
        guard let separator = Self.firstRange(of: marker, in: bytes[...]),
              let scheme = UpstreamScheme(
                  rawValue: AddressSyntax.asciiLowercased(String(decoding: bytes[..<separator], as: UTF8.self)))
        else { throw .unsupportedScheme }
        let placeholder = Array(Self.placeholder.utf8)
        let rest = bytes[(separator + marker.count)...]
        switch Self.occurrences(of: placeholder, in: rest) {
        case 0: throw .missingPlaceholder
        case 1: break
        default: throw .duplicatePlaceholder
        }
        let withoutPlaceholder = Self.replacing(placeholder, in: rest, with: Array("x".utf8))
        guard !withoutPlaceholder.contains(UInt8(ascii: "{")), !withoutPlaceholder.contains(UInt8(ascii: "}")) else {
            throw .strayBrace
        }

        let slash = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let authority = rest[..<slash]
        guard !authority.contains(UInt8(ascii: "@")) else { throw .userInfo }

        // Split the authority into host and port; IPv6 literals carry colons inside brackets.
        var hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>? = nil
        let isIPv6 = authority.first == UInt8(ascii: "[")
        if isIPv6 {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw .invalidHost }
            hostBytes = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if let colon = after.first {
                guard colon == UInt8(ascii: ":") else { throw .invalidHost }
                portBytes = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            hostBytes = authority[..<colon]
            portBytes = authority[(colon + 1)...]
            // A second colon means an IPv6 address written without brackets.
            guard portBytes?.contains(UInt8(ascii: ":")) == false else { throw .invalidHost }
        } else {
            hostBytes = authority
        }

        if let portBytes {
            guard let port = AddressSyntax.decimal(String(decoding: portBytes, as: UTF8.self)),
                  (1...65_535).contains(port)
            else { throw .invalidPort }
            self.port = port
        } else {
            self.port = scheme.defaultPort
        }
        self.scheme = scheme
        self.hostIsIPv6 = isIPv6

        let hostText = AddressSyntax.asciiLowercased(String(decoding: hostBytes, as: UTF8.self))
        if isIPv6 {
            guard AddressSyntax.isIPv6Literal(hostText) else { throw .invalidHost }
            host = TemplatePart(head: hostText, tail: nil)
            hostIsIPLiteral = true
        } else if hostText.utf8.contains(UInt8(ascii: "{")) {
            host = try Self.hostTemplate(hostText)
            hostIsIPLiteral = false
        } else if AddressSyntax.isDNSName(hostText) {
            host = TemplatePart(head: hostText, tail: nil)
            hostIsIPLiteral = false
        } else if AddressSyntax.isIPv4Literal(hostText) {
            host = TemplatePart(head: hostText, tail: nil)
            hostIsIPLiteral = true
        } else {
            throw .invalidHost
        }

        path = try Self.pathTemplate(rest[slash...], placeholder: placeholder)
    }

    /// The origin and path prefix for one tenant. `subdomain` must already be a
    /// valid DNS label (the router checks that before anything goes upstream).
    public func resolve(subdomain: String) -> UpstreamOrigin {
        assert(AddressSyntax.isLabel(subdomain.utf8), "resolve(subdomain:) needs a validated label")
        let hostName = host.filled(with: subdomain)
        let bracketed = hostIsIPv6 ? "[\(hostName)]" : hostName
        return UpstreamOrigin(
            scheme: scheme,
            host: hostName,
            port: port,
            pathPrefix: path.filled(with: subdomain),
            hostHeader: port == scheme.defaultPort ? bracketed : "\(bracketed):\(port)",
            isIPLiteral: hostIsIPLiteral
        )
    }

    /// The normalised template (lower-case scheme and host, default port
    /// omitted, no trailing slash), as the start-up log shows it.
    public var description: String {
        let hostText = host.filled(with: Self.placeholder)
        let bracketed = hostIsIPv6 ? "[\(hostText)]" : hostText
        let portText = port == scheme.defaultPort ? "" : ":\(port)"
        return "\(scheme.rawValue)://\(bracketed)\(portText)\(path.filled(with: Self.placeholder))"
    }

    // MARK: Parsing helpers

    /// Splits a host such as `{subdomain}.daftra.com` around its placeholder label.
    private static func hostTemplate(_ hostText: String) throws(UpstreamTemplateError) -> TemplatePart {
        let labels = hostText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let index = labels.firstIndex(of: placeholder), index < labels.count - 1 else {
            throw .placeholderNotALabel
        }
        let head = labels[..<index].map { $0 + "." }.joined()
        let tail = labels[(index + 1)...].map { "." + $0 }.joined()
        // The longest label a tenant can have must still give a valid name.
        guard AddressSyntax.isDNSName(head + "x" + tail), head.utf8.count + 63 + tail.utf8.count <= 253 else {
            throw .invalidHost
        }
        return TemplatePart(head: head, tail: tail)
    }

    /// Checks the path's characters (RFC 3986 `pchar`s, `/` and `%XX`), refuses
    /// dot segments, drops trailing slashes and splits around the placeholder.
    private static func pathTemplate(
        _ bytes: ArraySlice<UInt8>, placeholder: [UInt8]
    ) throws(UpstreamTemplateError) -> TemplatePart {
        var trimmed = bytes
        while trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        let checked = replacing(placeholder, in: trimmed, with: Array("x".utf8))
        var index = 0
        while index < checked.count {
            let byte = checked[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < checked.count, isHexDigit(checked[index + 1]), isHexDigit(checked[index + 2]) else {
                    throw .invalidPath
                }
                index += 3
                continue
            }
            guard isPathCharacter(byte) else { throw .invalidPath }
            index += 1
        }
        for segment in trimmed.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) { throw .invalidPath }
        }
        if let start = firstRange(of: placeholder, in: trimmed) {
            return TemplatePart(
                head: String(decoding: trimmed[..<start], as: UTF8.self),
                tail: String(decoding: trimmed[(start + placeholder.count)...], as: UTF8.self)
            )
        }
        return TemplatePart(head: String(decoding: trimmed, as: UTF8.self), tail: nil)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// RFC 3986 unreserved, sub-delims, `:` and `@`, plus `/` between segments.
    private static func isPathCharacter(_ byte: UInt8) -> Bool {
        if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            return true
        }
        return "-._~!$&'()*+,;=:@/".utf8.contains(byte)
    }

    private static func firstRange(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    private static func occurrences(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int {
        var count = 0
        var rest = haystack
        while let start = firstRange(of: needle, in: rest) {
            count += 1
            rest = rest[(start + needle.count)...]
        }
        return count
    }

    private static func replacing(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, with replacement: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var rest = haystack
        while let start = firstRange(of: needle, in: rest) {
            out += rest[..<start]
            out += replacement
            rest = rest[(start + needle.count)...]
        }
        out += rest
        return out
    }
}

/// A piece of the template: literal text, or text around the one placeholder.
struct TemplatePart: Sendable, Equatable {
    let head: String
    /// Nil when this part has no placeholder.
    let tail: String?

    func filled(with subdomain: String) -> String {
        guard let tail else { return head }
        return head + subdomain + tail
    }
}
