#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Syntax checks for addresses and names given on the command line. They run
/// once at start-up, so they favour clarity over speed.
enum AddressSyntax {
    /// Whether `text` is a dotted-quad IPv4 literal, as `inet_pton` reads it
    /// (four decimal parts, no shorthand such as `127.1`).
    static func isIPv4Literal(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    /// Whether `text` is an IPv6 literal without brackets or zone (`::1`, `2001:db8::5`).
    static func isIPv6Literal(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    /// Whether `bytes` is one DNS label: 1–63 of `a-z`, `0-9`, `-`, not starting
    /// or ending with `-`. Callers lower-case first.
    static func isLabel(_ bytes: some Collection<UInt8>) -> Bool {
        guard (1...63).contains(bytes.count),
              bytes.first != UInt8(ascii: "-"), bytes.reversed().first != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    /// Whether `name` (lower-cased, no trailing dot) is a host name of
    /// dot-separated labels, at most 253 characters. A single label
    /// (`localhost`) is a name too. A name whose last label is all digits is
    /// refused: it would be an IPv4 address written wrong, not a name.
    static func isDNSName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...253).contains(bytes.count) else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.allSatisfy(isLabel), let last = labels.last else { return false }
        return !last.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Parses a decimal number made only of ASCII digits (no sign, no spaces),
    /// or nil when `text` is not one or has more than 18 digits.
    static func decimal(_ text: String) -> Int? {
        let bytes = text.utf8
        guard (1...18).contains(bytes.count) else { return nil }
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Lower-cases ASCII letters only; host names are ASCII by the time they get here.
    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        }, as: UTF8.self)
    }
}
