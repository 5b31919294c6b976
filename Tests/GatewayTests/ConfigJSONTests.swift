import Testing

@testable import Gateway

struct ConfigJSONTests {
    private func parse(_ text: String) throws(ConfigJSON.ParseError) -> ConfigJSON.Node {
        try ConfigJSON.parse(Array(text.utf8))
    }

    @Test func parsesEveryKindOfValueWithPositions() throws {
        let text = """
            {
              "s": "x",
              "n": -12.5e+3,
              "i": 42,
              "b": [true, false, null],
              "o": {}
            }
            """
        let root = try parse(text)
        #expect(root.line == 1 && root.column == 1)
        guard case .object(let members) = root.value else {
            Issue.record("not an object: \(root.value)")
            return
        }
        #expect(members.map(\.key) == ["s", "n", "i", "b", "o"])
        #expect(members.map(\.keyLine) == [2, 3, 4, 5, 6])
        #expect(root["s"] == ConfigJSON.Node(value: .string("x"), line: 2, column: 8))
        #expect(root["n"]?.value == .number(ConfigJSON.Number(text: "-12.5e+3")))
        #expect(root["i"]?.column == 8)
        let b = try #require(root["b"])
        guard case .array(let elements) = b.value else {
            Issue.record("not an array")
            return
        }
        #expect(elements.map(\.value) == [.bool(true), .bool(false), .null])
        #expect(elements.map(\.column) == [9, 15, 22])
        #expect(root["o"]?.value == .object([]))
        #expect(root["missing"] == nil)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let root = try parse("{\"é😀\": \"ü\", \"k\": 1}")
        #expect(root["é😀"]?.column == 8)
        #expect(root["k"]?.column == 18)
    }

    @Test func numbersKeepTheirSpelling() throws {
        let integer = ConfigJSON.Number(text: "100")
        #expect(integer.isInteger && integer.intValue == 100 && integer.doubleValue == 100)
        let fraction = ConfigJSON.Number(text: "100.0")
        #expect(!fraction.isInteger && fraction.intValue == nil && fraction.doubleValue == 100)
        #expect(ConfigJSON.Number(text: "1e2").intValue == nil)
        #expect(ConfigJSON.Number(text: "1e400").doubleValue == nil)
        #expect(ConfigJSON.Number(text: "99999999999999999999").intValue == nil)
        #expect(try parse("-0").value == .number(ConfigJSON.Number(text: "-0")))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let root = try parse(#""a\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r""#)
        #expect(root.value == .string("aé😀\n\t\"\\/\u{08}\u{0C}\r"))
        #expect(try parse(#""\u0000""#).value == .string("\u{0}"))
    }

    @Test func skipsALeadingByteOrderMark() throws {
        let root = try ConfigJSON.parse([0xEF, 0xBB, 0xBF] + Array("{\"a\": 1}".utf8))
        #expect(root["a"]?.column == 7)
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let text: String
        let line: Int
        let column: Int
        let path: String
        let message: String
        var testDescription: String { text }
    }

    static let invalid: [Invalid] = [
        Invalid(text: "", line: 1, column: 1, path: "", message: "found the end of the file"),
        Invalid(text: "  \n ", line: 2, column: 2, path: "", message: "found the end of the file"),
        Invalid(text: "{\"a\": 1,}", line: 1, column: 9, path: "", message: "trailing comma before '}'"),
        Invalid(text: "[1,\n 2,\n]", line: 3, column: 1, path: "", message: "trailing comma before ']'"),
        Invalid(text: "{\"a\": 1,\n \"b\": 2,\n \"a\": 3}", line: 3, column: 2, path: "a",
                message: "duplicate key \"a\" (first at line 1)"),
        Invalid(text: "{\"t\": [{\"x\": 1, \"x\": 2}]}", line: 1, column: 17, path: "t[0].x", message: "duplicate key \"x\""),
        Invalid(text: "{\"a\": 01}", line: 1, column: 8, path: "a", message: "leading zeros"),
        Invalid(text: "{'a': 1}", line: 1, column: 2, path: "", message: "expected a key in double quotes"),
        Invalid(text: "{\"a\" 1}", line: 1, column: 6, path: "", message: "expected ':'"),
        Invalid(text: "{\"a\": 1 \"b\": 2}", line: 1, column: 9, path: "", message: "expected ',' or '}'"),
        Invalid(text: "[1 2]", line: 1, column: 4, path: "", message: "expected ',' or ']'"),
        Invalid(text: "\"a\u{01}b\"", line: 1, column: 3, path: "", message: "control character byte 0x01"),
        Invalid(text: "\"a\tb\"", line: 1, column: 3, path: "", message: "control character byte 0x09"),
        Invalid(text: "{\"k\": \"line\nbreak\"}", line: 1, column: 12, path: "k", message: "unterminated string"),
        Invalid(text: "[\"abc", line: 1, column: 2, path: "[0]", message: "unterminated string"),
        Invalid(text: #"["\ud800"]"#, line: 1, column: 9, path: "[0]", message: "high surrogate"),
        Invalid(text: #"["\ud800\u0041"]"#, line: 1, column: 15, path: "[0]", message: "high surrogate"),
        Invalid(text: #"["\udc00"]"#, line: 1, column: 9, path: "[0]", message: "lone low surrogate"),
        Invalid(text: #"["\q"]"#, line: 1, column: 4, path: "[0]", message: "invalid escape \\q"),
        Invalid(text: #"["\u12G4"]"#, line: 1, column: 7, path: "[0]", message: "four hex digits"),
        Invalid(text: "// comment\n{}", line: 1, column: 1, path: "", message: "unexpected '/'"),
        Invalid(text: "{\"a\": nul}", line: 1, column: 7, path: "a", message: "true, false and null are lower case"),
        Invalid(text: "True", line: 1, column: 1, path: "", message: "unexpected 'T'"),
        Invalid(text: "NaN", line: 1, column: 1, path: "", message: "unexpected 'N'"),
        Invalid(text: "[1.]", line: 1, column: 4, path: "[0]", message: "'.' in a number"),
        Invalid(text: "[-]", line: 1, column: 3, path: "[0]", message: "'-' must be followed by a digit"),
        Invalid(text: "[1e]", line: 1, column: 4, path: "[0]", message: "exponent"),
        Invalid(text: "[+1]", line: 1, column: 2, path: "[0]", message: "unexpected '+'"),
        Invalid(text: "{} x", line: 1, column: 4, path: "", message: "unexpected 'x' after the end"),
        Invalid(text: "{}\u{0C}", line: 1, column: 3, path: "", message: "byte 0x0C after the end"),
        Invalid(text: "{\"a\":", line: 1, column: 6, path: "", message: "found the end of the file"),
        Invalid(text: "[", line: 1, column: 2, path: "", message: "found the end of the file"),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidJSON(_ example: Invalid) {
        #expect {
            try parse(example.text)
        } throws: { error in
            guard let error = error as? ConfigJSON.ParseError else { return false }
            #expect(error.line == example.line, "\(error)")
            #expect(error.column == example.column, "\(error)")
            #expect(error.path == example.path, "\(error)")
            #expect(error.message.contains(example.message), "\(error)")
            return true
        }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: ConfigJSON.ParseError(path: "[0]", message: "string is not valid UTF-8", line: 1, column: 2)) {
            try ConfigJSON.parse([UInt8(ascii: "["), UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\""), UInt8(ascii: "]")])
        }
        // An encoded surrogate (ED A0 80) is not UTF-8 either.
        #expect(throws: ConfigJSON.ParseError.self) {
            try ConfigJSON.parse([UInt8(ascii: "\""), 0xED, 0xA0, 0x80, UInt8(ascii: "\"")])
        }
        // Outside strings, non-ASCII bytes are simply unexpected.
        #expect(throws: ConfigJSON.ParseError(path: "", message: "unexpected byte 0xFF; expected a value", line: 1, column: 1)) {
            try ConfigJSON.parse([0xFF])
        }
    }

    @Test func limitsNesting() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        _ = try parse(ok)
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect {
            try parse(deep)
        } throws: { error in
            (error as? ConfigJSON.ParseError)?.message == "values are nested more than 32 levels deep"
        }
        #expect(throws: ConfigJSON.ParseError.self) {
            try ConfigJSON.parse(Array("{\"a\": {\"b\": {}}}".utf8), maxDepth: 2)
        }
        // A hostile file of a million brackets fails cleanly instead of overflowing the stack.
        #expect(throws: ConfigJSON.ParseError.self) {
            try ConfigJSON.parse([UInt8](repeating: UInt8(ascii: "["), count: 1_000_000))
        }
    }

    @Test func pathsQuoteUnusualKeys() {
        #expect {
            try parse("{\"odd key\": [0, {\"a.b\": tru}]}")
        } throws: { error in
            (error as? ConfigJSON.ParseError)?.path == #"["odd key"][1]["a.b"]"#
        }
    }

    @Test func descriptionIsOneLineWithPosition() {
        let error = ConfigJSON.ParseError(path: "tenants[0]", message: "trailing comma before '}'", line: 4, column: 9)
        #expect(error.description == "tenants[0]: trailing comma before '}' (line 4, column 9)")
    }
}
