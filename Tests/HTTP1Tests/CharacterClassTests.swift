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

    /// Field values are skipped eight bytes at a time up to the first byte
    /// needing a closer look; that byte must be found at every offset in a
    /// word, and the value must come back intact.
    @Test func fieldValueBytesAtEveryWordOffset() {
        let probes: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x41, 0x7E, 0x7F, 0x80, 0xC3, 0xFF]
        for length in [1, 7, 8, 9, 15, 16, 17, 31] {
            for position in 0..<length {
                for b in probes {
                    var value = Array(repeating: UInt8(ascii: "v"), count: length)
                    value[position] = b
                    let message = "GET / HTTP/1.1\r\nHost: h\r\nX: ".bytes + value + "\r\nY: w\r\n\r\n".bytes
                    let outcome = decodeRequests([message])
                    let expected = (0x20...0x7E).contains(b) || b == 0x09
                    #expect((outcome.error == nil) == expected, "byte \(b) at \(position) of \(length)")
                    guard expected, case .head(let head)? = outcome.items.first else { continue }
                    // OWS at either end is not part of the value.
                    var trimmed = value[...]
                    while let first = trimmed.first, first == 0x20 || first == 0x09 { trimmed.removeFirst() }
                    while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed.removeLast() }
                    #expect(head.headers.first("x").map { Array($0.utf8) } == Array(trimmed), "byte \(b) at \(position)")
                    #expect(head.headers.first("y") == "w")
                }
            }
        }
        // Valid UTF-8 beyond ASCII, at every offset.
        for position in 0..<17 {
            let value = String(repeating: "v", count: position) + "\u{e9}\u{1F600}" + String(repeating: "w", count: 16 - position)
            let outcome = decodeRequests(["GET / HTTP/1.1\r\nHost: h\r\nX: \(value)\r\n\r\n".bytes])
            guard case .head(let head)? = outcome.items.first else {
                Issue.record("no head at \(position): \(outcome)")
                continue
            }
            #expect(head.headers.first("x").map { Array($0.utf8) } == Array(value.utf8))
        }
    }

    /// `%` is looked for eight bytes at a time; a triplet, good or bad, must
    /// be judged at every offset, including at the very end of the target
    /// (the filler letters are not hex digits).
    @Test func percentEncodingsAtEveryOffset() {
        for length in [1, 8, 9, 16, 23] {
            for position in 0..<length {
                let before = String(repeating: "x", count: position)
                let after = String(repeating: "y", count: length - position - 1)
                for (triplet, valid) in [("%2F", true), ("%aF", true), ("%zz", false), ("%2", false), ("%", false),
                                         ("%2F%", false), ("%%41", false), ("%41%42", true)] {
                    let target = "/" + before + triplet + after
                    let outcome = decodeRequests("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n")
                    #expect((outcome.error == nil) == valid, "\(target)")
                    if !valid { #expect(outcome.error?.status == 400, "\(target)") }
                }
            }
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
