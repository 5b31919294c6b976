import HTTP1
import Testing

/// Every byte value against the RFC grammar of each place it can appear,
/// through the public decoder, so the bit masks inside are checked too.
@Suite struct CharacterClassTests {
    static let tchars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    static let unreserved = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)
    static let subDelims = Set("!$&'()*+,;=".utf8)

    static func accepted(_ prefix: String, _ byte: UInt8, _ suffix: String) -> Bool {
        decodeRequests([prefix.bytes + [byte] + suffix.bytes]).error == nil
    }

    @Test func methodBytesAreTchars() {
        for b in UInt8.min...UInt8.max {
            #expect(Self.accepted("G", b, "T / HTTP/1.1\r\nHost: h\r\n\r\n") == Self.tchars.contains(b), "byte \(b)")
        }
    }

    @Test func fieldNameBytesAreTchars() {
        for b in UInt8.min...UInt8.max where b != 0x3A {
            #expect(Self.accepted("GET / HTTP/1.1\r\nHost: h\r\nX", b, "Y: v\r\n\r\n") == Self.tchars.contains(b), "byte \(b)")
        }
    }

    @Test func fieldValueBytesAreVisibleASCIISpaceAndTab() {
        for b in UInt8.min...UInt8.max {
            // Lone bytes >= 0x80 are not UTF-8, so they are refused too.
            let expected = (0x20...0x7E).contains(b) || b == 0x09
            #expect(Self.accepted("GET / HTTP/1.1\r\nHost: h\r\nX: a", b, "b\r\n\r\n") == expected, "byte \(b)")
        }
    }

    @Test func targetBytesAreURICharacters() {
        let refused = Set("\"<>\\^`{|}#%".utf8)
        for b in UInt8.min...UInt8.max {
            let expected = (0x21...0x7E).contains(b) && !refused.contains(b)
            #expect(Self.accepted("GET /a", b, "b HTTP/1.1\r\nHost: h\r\n\r\n") == expected, "byte \(b)")
        }
    }

    @Test func hostBytesAreRegNameCharacters() {
        for b in UInt8.min...UInt8.max where b != 0x3A && b != 0x20 && b != 0x09 {
            let expected = Self.unreserved.contains(b) || Self.subDelims.contains(b)
            #expect(Self.accepted("GET / HTTP/1.1\r\nHost: a", b, "b\r\n\r\n") == expected, "byte \(b)")
        }
    }

    @Test func schemeBytes() {
        let scheme = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.".utf8)
        for b in UInt8.min...UInt8.max {
            let expected = scheme.contains(b)
            #expect(Self.accepted("GET h", b, "p://h/ HTTP/1.1\r\nHost: h\r\n\r\n") == expected, "byte \(b)")
        }
    }
}
