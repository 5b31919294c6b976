import Compression
import Testing

@Suite("AcceptEncoding")
struct AcceptEncodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let value: String
        let expected: ContentCodingChoice
        let why: String
        var testDescription: String { "\"\(value)\" → \(expected) (\(why))" }
        init(_ value: String, _ expected: ContentCodingChoice, _ why: String) {
            self.value = value
            self.expected = expected
            self.why = why
        }
    }

    static let table: [Case] = [
        // Plain listings.
        Case("gzip", .gzip, "listed, default weight 1"),
        Case("GZIP", .gzip, "coding names are case-insensitive"),
        Case("x-gzip", .gzip, "x-gzip is gzip"),
        Case("X-GZip", .gzip, "x-gzip, mixed case"),
        Case("gzip, deflate, br, zstd", .gzip, "what browsers send"),
        Case("compress, gzip", .gzip, "gzip among others"),
        Case("br, deflate", .identity, "gzip neither listed nor covered by *"),
        Case("identity", .identity, "only identity listed"),
        Case("gzips", .identity, "a different coding"),
        Case("", .identity, "empty value: no coding wanted"),
        Case("   ", .identity, "only whitespace"),
        Case(",, gzip ,,", .gzip, "empty list elements are skipped"),
        Case("\tgzip\t", .gzip, "tabs are whitespace"),
        // Weights.
        Case("gzip;q=0", .identity, "gzip refused"),
        Case("gzip; q=0", .identity, "whitespace after the semicolon"),
        Case("gzip ; q=0.5", .gzip, "whitespace before the semicolon"),
        Case("gzip;Q=0.5", .gzip, "the q is case-insensitive"),
        Case("gzip;q=0.5", .gzip, "identity not listed states no preference"),
        Case("gzip;q=0.001", .gzip, "smallest positive weight"),
        Case("gzip;q=0.000", .identity, "zero with three decimals"),
        Case("gzip;q=0.", .identity, "zero with a bare point"),
        Case("gzip;q=1.", .gzip, "one with a bare point"),
        Case("gzip;q=1.000", .gzip, "one with three zeros"),
        Case("gzip;q=0.5, identity;q=0.6", .identity, "identity preferred"),
        Case("gzip;q=0.6, identity;q=0.6", .gzip, "a tie goes to gzip"),
        Case("gzip;q=1, identity;q=0.999", .gzip, "gzip preferred by a thousandth"),
        Case("gzip;q=0.999, identity", .identity, "identity listed at weight 1"),
        // Invalid elements are ignored as if absent.
        Case("gzip;q=1.5", .identity, "q above 1"),
        Case("gzip;q=1.001", .identity, "1 with a non-zero fraction"),
        Case("gzip;q=0.1234", .identity, "four decimals"),
        Case("gzip;q=.5", .identity, "no leading digit"),
        Case("gzip;q=-0.5", .identity, "negative"),
        Case("gzip;q=abc", .identity, "not a number"),
        Case("gzip;q = 0.5", .identity, "spaces around = are not in the grammar"),
        Case("gzip;q=\"0.5\"", .identity, "a quoted weight is not a qvalue"),
        Case("gzip;level=9", .identity, "a parameter other than q"),
        Case("gzip;", .identity, "a semicolon without a weight"),
        Case("g zip", .identity, "whitespace inside the name"),
        Case("gz\u{EF}p", .identity, "non-ASCII in the name"),
        Case("identity;q=0, gzip;q=bad", .notAcceptable, "the bad gzip element is ignored"),
        Case("gzip;q=bad, gzip;q=0.3", .gzip, "only the valid element counts"),
        // The asterisk.
        Case("*", .gzip, "* covers gzip and identity equally; tie goes to gzip"),
        Case("*;q=0.5", .gzip, "* at 0.5 for both"),
        Case("*;q=0", .notAcceptable, "everything refused, identity included"),
        Case("*;q=0, identity", .identity, "identity listed overrides *"),
        Case("*;q=0, identity;q=0.5", .identity, "identity listed with a weight"),
        Case("*;q=0, gzip", .gzip, "gzip listed overrides *"),
        Case("gzip;q=0, *", .identity, "an explicit gzip;q=0 beats *"),
        Case("gzip;q=0.5, *;q=0.8", .identity, "* gives identity 0.8, above gzip"),
        Case("br;q=1.0, gzip;q=0.8, *;q=0.1", .gzip, "identity only 0.1 through *"),
        Case("identity;q=0, *;q=0.3", .gzip, "gzip through *, identity refused"),
        // Refusals and repeats.
        Case("identity;q=0", .notAcceptable, "identity refused, gzip not listed"),
        Case("identity;q=0, gzip", .gzip, "identity refused, gzip fine"),
        Case("gzip;q=0, identity;q=0", .notAcceptable, "both refused"),
        Case("gzip, gzip;q=0", .identity, "a repeated coding takes its lowest weight"),
        Case("x-gzip;q=0, gzip", .identity, "x-gzip and gzip are one coding"),
        Case("identity, identity;q=0", .notAcceptable, "identity's lowest weight counts too"),
    ]

    @Test("choice for one field value", arguments: table)
    func choice(_ row: Case) {
        #expect(AcceptEncoding.choose(row.value) == row.expected)
        #expect(AcceptEncoding.prefersGzip(row.value) == (row.expected == .gzip))
    }

    @Test("bytes, one field line and one line per element agree with the combined value", arguments: table)
    func overloadsAgree(_ row: Case) {
        let bytes = Array(row.value.utf8)
        #expect(bytes.withUnsafeBytes { AcceptEncoding.choose($0) } == row.expected)
        #expect(AcceptEncoding.choose([row.value]) == row.expected)
        // RFC 9110 §5.3: several field lines mean the same as one comma-joined value.
        let lines = row.value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(AcceptEncoding.choose(lines) == row.expected)
        #expect(AcceptEncoding.prefersGzip(lines) == (row.expected == .gzip))
    }

    @Test("several field lines combine")
    func multipleFieldLines() {
        #expect(AcceptEncoding.choose([]) == .identity, "no header at all")
        #expect(AcceptEncoding.choose(["identity;q=0", "gzip"]) == .gzip)
        #expect(AcceptEncoding.choose(["gzip", "gzip;q=0"]) == .identity)
        #expect(AcceptEncoding.choose(["br", ""]) == .identity)
        #expect(AcceptEncoding.choose(["*;q=0", "br"]) == .notAcceptable)
        #expect(AcceptEncoding.choose(["br", "x-gzip;q=0.2"]) == .gzip)
    }
}
