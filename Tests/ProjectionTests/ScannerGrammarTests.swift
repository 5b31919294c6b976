import Projection
import Testing

/// One grammar case: the document and what the scanner must say about it.
struct GrammarCase: CustomTestStringConvertible, Sendable {
    let bytes: [UInt8]
    /// nil: valid. Otherwise the expected rejection reason.
    let reason: String?
    /// The expected error offset, when the case pins it.
    let offset: Int?

    static func valid(_ text: String) -> GrammarCase {
        GrammarCase(bytes: utf8(text), reason: nil, offset: nil)
    }

    static func valid(bytes: [UInt8]) -> GrammarCase {
        GrammarCase(bytes: bytes, reason: nil, offset: nil)
    }

    static func invalid(_ text: String, _ reason: String, at offset: Int? = nil) -> GrammarCase {
        GrammarCase(bytes: utf8(text), reason: reason, offset: offset)
    }

    static func invalid(bytes: [UInt8], _ reason: String, at offset: Int? = nil) -> GrammarCase {
        GrammarCase(bytes: bytes, reason: reason, offset: offset)
    }

    var testDescription: String {
        String(decoding: bytes, as: UTF8.self).debugDescription + " " + (reason ?? "valid")
    }
}

let quote: UInt8 = 0x22

let grammarCases: [GrammarCase] = [
    // Values of every kind, at the top level too (RFC 8259 allows scalars there).
    .valid("{}"), .valid("[]"), .valid("0"), .valid("-0"), .valid("1.50"), .valid("1e3"),
    .valid("1E+3"), .valid("1e-3"), .valid("-0.0e0"), .valid("0.5"), .valid("-12.034E-005"),
    .valid("123456789012345678901234567890"), .valid("1e400"), .valid("\"\""), .valid("\"a\""),
    .valid("true"), .valid("false"), .valid("null"), .valid(" \t\n\r 1 \t\n\r"),
    .valid(#"[1,[2,{"a":[]}],{"b":{"c":null}}]"#), .valid(#"{ "a" : 1 , "b" : [ true , false ] }"#),
    .valid(#"{"a":1,"a":2}"#),
    // Escapes.
    .valid(#""\"\\\/\b\f\n\r\t""#), .valid(#""\u00e9\u00E9""#), .valid(#""\ud83d\ude00""#),
    .valid(#""\uD83D\uDE00""#), .valid(#""\u0000""#), .valid(#""\uffff""#), .valid(#""\udbff\udfff""#),
    // Raw UTF-8 of every length, the largest scalar, and DEL (allowed unescaped).
    .valid("\"é€😀\""), .valid(bytes: [quote, 0xF4, 0x8F, 0xBF, 0xBF, quote]),
    .valid(bytes: [quote, 0xEE, 0x80, 0x80, quote]), .valid(bytes: [quote, 0xED, 0x9F, 0xBF, quote]),
    .valid(bytes: [quote, 0x7F, quote]),
    // One UTF-8 byte order mark is skipped.
    .valid(bytes: [0xEF, 0xBB, 0xBF] + utf8("{}")),
    // Nesting up to the limit.
    .valid(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)),

    // Empty and truncated documents.
    .invalid("", "unexpected end of input, expected a value", at: 0),
    .invalid("  ", "unexpected end of input, expected a value", at: 2),
    .invalid("{", "unexpected end of input, expected a key", at: 1),
    .invalid("[", "unexpected end of input, expected a value", at: 1),
    .invalid("[1", "unexpected end of input in an array", at: 2),
    .invalid(#"{"a""#, "unexpected end of input, expected ':'", at: 4),
    .invalid(#"{"a":"#, "unexpected end of input, expected a value", at: 5),
    .invalid(#"{"a":1"#, "unexpected end of input in an object", at: 6),
    .invalid("\"abc", "unterminated string", at: 0),
    .invalid(#""ab\"#, "unterminated string", at: 3),
    // Structure.
    .invalid("}", "unexpected byte, expected a value", at: 0),
    .invalid("[1,]", "trailing comma", at: 3),
    .invalid(#"{"a":1,}"#, "trailing comma", at: 7),
    .invalid("[,1]", "unexpected byte, expected a value", at: 1),
    .invalid("{,}", "expected a string key", at: 1),
    .invalid("[1 2]", "expected ',' or ']'", at: 3),
    .invalid(#"{"a":1 "b":2}"#, "expected ',' or '}'", at: 7),
    .invalid(#"{"a" 1}"#, "expected ':'", at: 5),
    .invalid(#"{"a":}"#, "unexpected byte, expected a value", at: 5),
    .invalid("{a:1}", "expected a string key", at: 1),
    .invalid("{'a':1}", "expected a string key", at: 1),
    .invalid("['a']", "unexpected byte, expected a value", at: 1),
    .invalid("1 2", "unexpected data after the top-level value", at: 2),
    .invalid("{}{}", "unexpected data after the top-level value", at: 2),
    .invalid("{} x", "unexpected data after the top-level value", at: 3),
    .invalid("// c\n1", "unexpected byte, expected a value", at: 0),
    .invalid("1 /* c */", "unexpected data after the top-level value", at: 2),
    .invalid("\u{0B}1", "unexpected byte, expected a value", at: 0),
    .invalid("\u{A0}1", "unexpected byte, expected a value", at: 0),
    .invalid(bytes: utf8("{}") + [0], "unexpected data after the top-level value", at: 2),
    .invalid(bytes: [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + utf8("{}"), "unexpected byte, expected a value", at: 3),
    .invalid(bytes: [0xEF, 0xBB] + utf8("{}"), "unexpected byte, expected a value", at: 0),
    // Numbers.
    .invalid("01", "number with a leading zero", at: 0),
    .invalid("-01", "number with a leading zero", at: 1),
    .invalid("[00]", "number with a leading zero", at: 1),
    .invalid("+1", "unexpected byte, expected a value", at: 0),
    .invalid(".5", "unexpected byte, expected a value", at: 0),
    .invalid("1.", "unexpected end of input in a number", at: 2),
    .invalid("1.e3", "expected a digit", at: 2),
    .invalid("[1.]", "expected a digit", at: 3),
    .invalid("1e", "unexpected end of input in a number", at: 2),
    .invalid("1e+", "unexpected end of input in a number", at: 3),
    .invalid("[1e+]", "expected a digit", at: 4),
    .invalid("-", "unexpected end of input in a number", at: 1),
    .invalid("--1", "expected a digit", at: 1),
    .invalid("-a", "expected a digit", at: 1),
    .invalid("0x10", "unexpected data after the top-level value", at: 1),
    .invalid("1_000", "unexpected data after the top-level value", at: 1),
    .invalid("NaN", "unexpected byte, expected a value", at: 0),
    .invalid("Infinity", "unexpected byte, expected a value", at: 0),
    .invalid("-Infinity", "expected a digit", at: 1),
    // Literals.
    .invalid("tru", "unexpected end of input in a literal", at: 3),
    .invalid("True", "unexpected byte, expected a value", at: 0),
    .invalid("nul", "unexpected end of input in a literal", at: 3),
    .invalid("nulx", "invalid literal", at: 0),
    .invalid("nulll", "unexpected data after the top-level value", at: 4),
    .invalid("[fals]", "invalid literal", at: 1),
    // Escapes.
    .invalid(#""\x""#, "invalid escape", at: 1),
    .invalid(#""\U00e9""#, "invalid escape", at: 1),
    .invalid(#""\'""#, "invalid escape", at: 1),
    .invalid(#"["\u12"]"#, #"invalid \u escape"#, at: 2),
    .invalid(#""\u12G4""#, #"invalid \u escape"#, at: 1),
    .invalid(#""\u12"#, #"truncated \u escape"#, at: 1),
    .invalid(#""\ud800""#, "unpaired surrogate escape", at: 1),
    .invalid(#""\udc00""#, "unpaired surrogate escape", at: 1),
    .invalid(#""\ude00\ud83d""#, "unpaired surrogate escape", at: 1),
    .invalid(#""\ud800\u0041""#, "unpaired surrogate escape", at: 1),
    .invalid(#""\ud800\ud800""#, "unpaired surrogate escape", at: 1),
    .invalid(#""\ud800x""#, "unpaired surrogate escape", at: 1),
    .invalid(#""\ud800\n""#, "unpaired surrogate escape", at: 1),
    // Control characters must be escaped.
    .invalid("\"a\tb\"", "unescaped control character in a string", at: 2),
    .invalid("\"a\nb\"", "unescaped control character in a string", at: 2),
    .invalid(bytes: [quote, 0x00, quote], "unescaped control character in a string", at: 1),
    .invalid(bytes: [quote, 0x1F, quote], "unescaped control character in a string", at: 1),
    // UTF-8: overlong forms, encoded surrogates, beyond U+10FFFF, stray or missing continuations.
    .invalid(bytes: [quote, 0xC0, 0x80, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xC1, 0xBF, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xE0, 0x80, 0xAF, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xF0, 0x8F, 0xBF, 0xBF, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xED, 0xA0, 0x80, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xED, 0xBF, 0xBF, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xF4, 0x90, 0x80, 0x80, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xF5, 0x80, 0x80, 0x80, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xFF, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0x80, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xC3, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xE2, 0x82, quote], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0xC3], "invalid UTF-8", at: 1),
    .invalid(bytes: [quote, 0x61, 0xC3, 0xA9, 0xA9, quote], "invalid UTF-8", at: 4),
    .invalid(bytes: [0xC3, 0xA9], "unexpected byte, expected a value", at: 0),
    // Nesting beyond the limit, in arrays and objects.
    .invalid(String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nesting deeper than 64", at: 64),
    .invalid(String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65), "nesting deeper than 64", at: 64 * 5),
    .invalid(String(repeating: "[", count: 100_000), "nesting deeper than 64", at: 64),
]

@Suite struct ScannerGrammarTests {
    @Test(arguments: grammarCases)
    func grammar(_ testCase: GrammarCase) {
        let result = validate(testCase.bytes)
        if let reason = testCase.reason {
            #expect(result.failure?.reason == reason)
            if let offset = testCase.offset {
                #expect(result.failure?.offset == offset)
            }
        } else {
            #expect(result.failure == nil)
        }
    }

    @Test func validateReturnsTheValueWithoutSurroundingWhitespace() throws {
        #expect(try validate(utf8("  [1, 2] \n")).get() == 2..<8)
        #expect(try validate([0xEF, 0xBB, 0xBF] + utf8(" 7")).get() == 4..<5)
    }

    @Test func longStringsCrossingWordBoundariesAreScannedExactly() {
        // The string scanner reads eight bytes at a time; put each kind of
        // special byte at every offset of a word, and near the end of input.
        for length in 0..<24 {
            let plain = String(repeating: "a", count: length)
            #expect(validate(utf8("\"\(plain)\"")).failure == nil)
            #expect(validate(utf8("\"\(plain)\\n\(plain)\"")).failure == nil)
            #expect(validate(utf8("\"\(plain)é\(plain)\"")).failure == nil)
            #expect(validate(utf8("\"\(plain)")).failure?.reason == "unterminated string")
            #expect(validate(utf8("[\"\(plain)\"x]")).failure?.offset == length + 3)
            let control = validate(utf8("\"\(plain)\u{01}\(plain)\""))
            #expect(control.failure == .invalidJSON(offset: length + 1, reason: "unescaped control character in a string"))
            let broken = validate([quote] + utf8(plain) + [0xC3, 0x28] + utf8(plain) + [quote])
            #expect(broken.failure == .invalidJSON(offset: length + 1, reason: "invalid UTF-8"))
        }
    }

    @Test func everyUnicodeScalarRoundTripsAsRawUTF8AndAsEscape() {
        // Walk the scalar space in steps that hit every UTF-8 length boundary.
        let boundaries: [UInt32] = [0x20, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF]
        var scalars = boundaries
        scalars += stride(from: 0x20, through: 0x10FFFF, by: 997).filter { !(0xD800...0xDFFF).contains($0) }
        for value in scalars {
            let scalar = Unicode.Scalar(value)!
            let raw = String(scalar) == "\"" || String(scalar) == "\\" ? "\\" + String(scalar) : String(scalar)
            #expect(validate(utf8("\"\(raw)\"")).failure == nil, "raw U+\(String(value, radix: 16))")
            let escaped = String(scalar).utf16.map { unit in
                let hex = String(unit, radix: 16)
                return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }.joined()
            #expect(validate(utf8("\"\(escaped)\"")).failure == nil, "escaped U+\(String(value, radix: 16))")
        }
    }
}
