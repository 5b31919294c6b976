import Projection

/// SplitMix64: a tiny, fast, deterministic generator, so every failure can be
/// replayed from the seed printed with it.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// How a generated document is meant to be read.
enum DocumentShape: Equatable {
    /// A `data.Client` object with these members.
    case client
    /// Valid JSON with no `data.Client` object.
    case missingClient
    /// `data` or `data.Client` appears twice.
    case duplicate
}

/// One member of a generated Client: its raw key token, its decoded name and its raw value.
struct GeneratedMember {
    let keyToken: [UInt8]
    let name: String
    let value: [UInt8]
}

struct GeneratedDocument {
    var bytes: [UInt8]
    var shape: DocumentShape
    var members: [GeneratedMember]
}

/// Generates random JSON texts shaped like (and unlike) Daftra envelopes.
///
/// Strings mix printable ASCII, every escape, surrogate pairs, raw UTF-8 of all
/// lengths and combining marks; numbers cover signs, zeros, fractions with
/// trailing zeros and exponents (kept within Double range, where Foundation
/// and this scanner agree); whitespace appears between any two tokens.
/// Everything is appended to byte buffers: the tests run unoptimised, where
/// building many small arrays would dominate their time.
struct JSONGenerator {
    var rng: SeededGenerator

    init(seed: UInt64) {
        rng = SeededGenerator(seed: seed)
    }

    // Plain modulo arithmetic: the standard library's generic `random(in:using:)`
    // is slow in unoptimised test builds, and the bias is irrelevant here.
    mutating func chance(_ probability: Double) -> Bool {
        Double(rng.next() >> 11) * 0x1p-53 < probability
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(rng.next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func pick<T>(_ choices: [T]) -> T {
        choices[int(0...choices.count - 1)]
    }

    // MARK: Tokens

    static let keyASCII = Array("abcdefghijklmnopqrstuvwxyzABCZ0123456789_-".utf8)
    static let valueASCII = keyASCII + Array(" ~!@#$%^&*()[]{}:;'<>?,./".utf8)
    static let whitespace: [UInt8] = [0x20, 0x0A, 0x0D, 0x09]
    // Raw multi-byte UTF-8 (precomposed only in keys: Foundation's dictionaries
    // compare keys up to canonical equivalence).
    static let keyScalars = ["é", "ü", "ع", "中", "€", "😀"]
    static let valueScalars = keyScalars + ["م", "\u{10FFFF}", "\u{7F}", "e\u{301}", "\u{FEFF}"]
    // Keys avoid control characters: `?fields=` cannot name them.
    static let keyEscapes = [("\\\"", "\""), ("\\\\", "\\"), ("\\/", "/")]
    static let valueEscapes = keyEscapes + [("\\t", "\t"), ("\\b", "\u{8}"), ("\\f", "\u{C}"), ("\\n", "\n"), ("\\r", "\r"), ("\\u0000", "\u{0}")]
    static let surrogatePairs = ["\\ud83d\\ude00", "\\uD83D\\uDE00", "\\udbff\\udfff", "\\ud800\\udc00"]
    static let words = ["Cairo", "0000715", "2018-05-10 00:42:00", "عميل جديد", "Müller", "30.0444,31.2357,12"]
    static let scalars = ["true", "false", "null", "0", "1", "\"1\"", "\"12.50\"", "\"\"", "[]", "{}", "-0", "1.50", "1e3"]

    mutating func whitespace(_ out: inout [UInt8]) {
        guard chance(0.25) else { return }
        for _ in 0..<int(1...3) { out.append(pick(Self.whitespace)) }
    }

    mutating func number(_ out: inout [UInt8]) {
        if chance(0.3) { out.append(UInt8(ascii: "-")) }
        if chance(0.2) {
            out.append(UInt8(ascii: "0"))
        } else {
            out.append(UInt8(ascii: "1") + UInt8(int(0...8)))
            for _ in 0..<int(0...18) { out.append(UInt8(ascii: "0") + UInt8(int(0...9))) }
        }
        if chance(0.35) {
            out.append(UInt8(ascii: "."))
            for _ in 0..<int(1...6) { out.append(UInt8(ascii: "0") + UInt8(int(0...9))) }
            if chance(0.3) { out.append(UInt8(ascii: "0")) }
        }
        if chance(0.25) {
            out.append(pick([UInt8(ascii: "e"), UInt8(ascii: "E")]))
            if chance(0.5) { out.append(pick([UInt8(ascii: "+"), UInt8(ascii: "-")])) }
            out += Array(String(int(0...99)).utf8)
        }
    }

    /// Appends a string token; returns the text it decodes to.
    @discardableResult
    mutating func string(_ out: inout [UInt8], key: Bool = false) -> String {
        out.append(0x22)
        var text = ""
        for _ in 0..<int(0...(key ? 6 : 12)) {
            switch int(0...(key ? 5 : 8)) {
            case 0...2:
                let ascii = pick(key ? Self.keyASCII : Self.valueASCII)
                out.append(ascii)
                text.unicodeScalars.append(Unicode.Scalar(ascii))
            case 3:
                // A \u escape of a non-surrogate BMP scalar, in either hex case.
                var value = UInt32(int(0x20...0xFFFD))
                if (0xD800...0xDFFF).contains(value) { value = 0xE9 }
                if key, !(0x30...0x7A).contains(value) { value = 0x61 + value % 26 }
                let hex = String(value, radix: 16, uppercase: chance(0.5))
                out += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                text.unicodeScalars.append(Unicode.Scalar(value)!)
            case 4:
                let scalar = pick(key ? Self.keyScalars : Self.valueScalars)
                out += Array(scalar.utf8)
                text += scalar
            case 5:
                let escape = pick(key ? Self.keyEscapes : Self.valueEscapes)
                out += Array(escape.0.utf8)
                text += escape.1
            case 6:
                out += Array(pick(Self.surrogatePairs).utf8)
            default:
                out += Array(pick(Self.words).utf8)
            }
        }
        out.append(0x22)
        return text
    }

    // MARK: Values

    mutating func value(_ out: inout [UInt8], depth: Int, maxDepth: Int) {
        switch int(0...(depth < maxDepth ? 9 : 6)) {
        case 0...2: string(&out)
        case 3...4: number(&out)
        case 5...6: out += Array(pick(Self.scalars).utf8)
        case 7...8: object(&out, depth: depth + 1, maxDepth: maxDepth)
        default: array(&out, depth: depth + 1, maxDepth: maxDepth)
        }
    }

    mutating func object(_ out: inout [UInt8], depth: Int, maxDepth: Int) {
        out.append(0x7B)
        let count = int(0...4)
        if count == 0 { whitespace(&out) }
        for index in 0..<count {
            if index > 0 { out.append(0x2C) }
            whitespace(&out)
            string(&out, key: true)
            whitespace(&out)
            out.append(0x3A)
            whitespace(&out)
            value(&out, depth: depth, maxDepth: maxDepth)
            whitespace(&out)
        }
        out.append(0x7D)
    }

    mutating func array(_ out: inout [UInt8], depth: Int, maxDepth: Int) {
        out.append(0x5B)
        let count = int(0...4)
        if count == 0 { whitespace(&out) }
        for index in 0..<count {
            if index > 0 { out.append(0x2C) }
            whitespace(&out)
            value(&out, depth: depth, maxDepth: maxDepth)
            whitespace(&out)
        }
        out.append(0x5D)
    }

    /// A chain of arrays and objects `levels` deep.
    mutating func deepValue(_ out: inout [UInt8], levels: Int) {
        var closers: [UInt8] = []
        for _ in 0..<levels {
            if chance(0.5) {
                out.append(0x5B)
                closers.append(0x5D)
            } else {
                out += Array(#"{"k":"#.utf8)
                closers.append(0x7D)
            }
        }
        // An object opened last needs a value before it closes.
        if out.last == 0x3A { out.append(UInt8(ascii: "1")) }
        out += closers.reversed()
    }

    // MARK: Documents

    /// Appends `key: value` with whitespace around each token.
    mutating func member(_ out: inout [UInt8], key: [UInt8], value: [UInt8]) {
        whitespace(&out)
        out += key
        whitespace(&out)
        out.append(0x3A)
        whitespace(&out)
        out += value
        whitespace(&out)
    }

    mutating func container(_ parts: [[UInt8]], open: UInt8, close: UInt8) -> [UInt8] {
        var out: [UInt8] = [open]
        if parts.isEmpty { whitespace(&out) }
        for (index, part) in parts.enumerated() {
            if index > 0 { out.append(0x2C) }
            out += part
        }
        out.append(close)
        return out
    }

    /// A Client object: documented and extra keys, escaped keys, repeats.
    mutating func client() -> (bytes: [UInt8], members: [GeneratedMember]) {
        var members: [GeneratedMember] = []
        var out: [UInt8] = [0x7B]
        let count = chance(0.1) ? int(20...60) : int(0...12)
        if count == 0 { whitespace(&out) }
        for index in 0..<count {
            let keyToken: [UInt8], name: String
            switch int(0...9) {
            case 0...4:
                name = pick(ClientFields.documented)
                keyToken = Array("\"\(name)\"".utf8)
            case 5:
                // A documented name with its first letter escaped.
                name = pick(ClientFields.documented)
                keyToken = Array(("\"\\u00" + String(name.unicodeScalars.first!.value, radix: 16) + name.dropFirst() + "\"").utf8)
            case 6 where !members.isEmpty:
                let repeated = pick(members)
                (keyToken, name) = (repeated.keyToken, repeated.name)
            default:
                var token: [UInt8] = []
                name = string(&token, key: true)
                keyToken = token
            }
            var value: [UInt8] = []
            if chance(0.02) {
                deepValue(&value, levels: int(58...63))
            } else {
                self.value(&value, depth: 3, maxDepth: 3 + int(0...3))
            }
            if index > 0 { out.append(0x2C) }
            member(&out, key: keyToken, value: value)
            members.append(GeneratedMember(keyToken: keyToken, name: name, value: value))
        }
        out.append(0x7D)
        return (out, members)
    }

    /// A document: usually a Daftra envelope around a Client, sometimes one of
    /// the shapes that must be refused.
    mutating func document() -> GeneratedDocument {
        var shape = DocumentShape.client
        var members: [GeneratedMember] = []
        let dataKey = Array((chance(0.05) ? #""d\u0061ta""# : #""data""#).utf8)
        let clientKey = Array((chance(0.05) ? #""\u0043lient""# : #""Client""#).utf8)

        // The data object's members.
        var dataMembers: [[UInt8]] = []
        var clientValue: [UInt8] = []
        if chance(0.05) {
            shape = .missingClient
            switch int(0...3) {
            case 0: clientValue = Array("null".utf8)
            case 1: string(&clientValue)
            case 2: number(&clientValue)
            default: array(&clientValue, depth: 3, maxDepth: 4)
            }
        } else {
            (clientValue, members) = client()
        }
        if chance(0.3) {
            var part: [UInt8] = [], key: [UInt8] = [], value: [UInt8] = []
            string(&key, key: true)
            self.value(&value, depth: 2, maxDepth: 4)
            member(&part, key: key, value: value)
            dataMembers.append(part)
        }
        let hasClient = chance(0.95)
        if hasClient {
            var part: [UInt8] = []
            member(&part, key: clientKey, value: clientValue)
            dataMembers.append(part)
        } else {
            shape = .missingClient
            members = []
        }
        if chance(0.2) {
            var part: [UInt8] = [], value: [UInt8] = []
            object(&value, depth: 3, maxDepth: 4)
            member(&part, key: Array(#""client""#.utf8), value: value)
            dataMembers.append(part)
        }
        if hasClient, chance(0.02) {
            var part: [UInt8] = [], value: [UInt8] = []
            object(&value, depth: 3, maxDepth: 4)
            member(&part, key: clientKey, value: value)
            dataMembers.append(part)
            shape = .duplicate
        }

        // The envelope's members, shuffled.
        var top: [[UInt8]] = []
        var part: [UInt8] = []
        member(&part, key: Array(#""code""#.utf8), value: Array("200".utf8))
        top.append(part)
        part = []
        member(&part, key: Array(#""result""#.utf8), value: Array(#""successful""#.utf8))
        top.append(part)
        if chance(0.3) {
            part = []
            member(&part, key: Array(#""pagination""#.utf8), value: Array(#"{"prev":null,"next":null,"page":1,"page_count":1,"total_results":1}"#.utf8))
            top.append(part)
        }
        if chance(0.2) {
            var key: [UInt8] = [], value: [UInt8] = []
            string(&key, key: true)
            self.value(&value, depth: 1, maxDepth: 3)
            part = []
            member(&part, key: key, value: value)
            top.append(part)
        }
        var hasData = true
        if chance(0.04) {
            shape = .missingClient
            members = []
            var value: [UInt8] = []
            switch int(0...2) {
            case 0: value = Array("null".utf8)
            case 1: number(&value)
            default: array(&value, depth: 2, maxDepth: 3)
            }
            part = []
            member(&part, key: dataKey, value: value)
            top.append(part)
        } else if chance(0.97) {
            part = []
            member(&part, key: dataKey, value: container(dataMembers, open: 0x7B, close: 0x7D))
            top.append(part)
        } else {
            shape = .missingClient
            members = []
            hasData = false
        }
        if hasData, chance(0.02) {
            part = []
            member(&part, key: dataKey, value: Array(#"{"Client":{}}"#.utf8))
            top.append(part)
            shape = .duplicate
        }
        for index in top.indices.reversed() { top.swapAt(index, int(0...index)) }

        var bytes: [UInt8] = []
        whitespace(&bytes)
        if chance(0.03) {
            // Not an object at the top level: valid JSON, no client.
            if chance(0.5) { array(&bytes, depth: 1, maxDepth: 3) } else { string(&bytes) }
            shape = .missingClient
            members = []
        } else {
            bytes += container(top, open: 0x7B, close: 0x7D)
        }
        whitespace(&bytes)
        if chance(0.02) { bytes = [0xEF, 0xBB, 0xBF] + bytes }
        return GeneratedDocument(bytes: bytes, shape: shape, members: members)
    }
}
