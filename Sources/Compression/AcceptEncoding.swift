/// `Accept-Encoding` negotiation between gzip and identity (RFC 9110 §12.5.3), on bytes.
///
/// The rules, precisely:
/// - The value is a comma-separated list of `coding [ OWS ";" OWS "q=" qvalue ]`; empty list
///   elements are skipped. Coding names and the `q` are case-insensitive; `x-gzip` is gzip.
/// - A qvalue is `0`, `0.` + up to 3 digits, `1`, or `1.` + up to 3 zeros. An element that
///   does not match this grammar — a bad or out-of-range q, a parameter other than q, a
///   character outside a token — is ignored as if it were absent. Ignoring, rather than
///   reading it as q=0, means garbage can never turn a normal answer into a refusal.
/// - A coding listed more than once takes its lowest weight (gzip and x-gzip together):
///   a client that says q=0 anywhere for a coding is never sent it.
/// - gzip's weight is its own, else that of `*`, else 0 (not listed: not acceptable).
/// - identity's weight is its own, else that of `*`; if neither is listed, identity is
///   acceptable but states no preference.
/// - The answer is gzip when gzip's weight is above 0 and not below identity's stated
///   weight — a tie goes to gzip, since the client rated both equally and gzip saves bytes.
///   So `gzip;q=0.5` alone selects gzip, while `gzip;q=0.5, identity;q=0.6` does not.
/// - Otherwise identity, unless it was refused (`identity;q=0`, or `*;q=0` without an
///   identity entry): then `.notAcceptable`.
/// - No header at all, or an empty value, means identity.
public enum AcceptEncoding {
    /// Chooses the coding for one combined `Accept-Encoding` field value.
    public static func choose(_ fieldValue: String) -> ContentCodingChoice {
        var weights = Weights()
        weights.add(fieldValue)
        return weights.choice
    }

    /// Chooses the coding for every `Accept-Encoding` field line of a request, in order;
    /// an empty array means the header was absent.
    public static func choose(_ fieldValues: [String]) -> ContentCodingChoice {
        var weights = Weights()
        for value in fieldValues { weights.add(value) }
        return weights.choice
    }

    /// Chooses the coding for one field value given as raw bytes (no String needed).
    public static func choose(_ fieldValue: UnsafeRawBufferPointer) -> ContentCodingChoice {
        var weights = Weights()
        weights.add(fieldValue)
        return weights.choice
    }

    /// Whether the field lines refuse an uncompressed answer (`identity;q=0`, or
    /// `*;q=0` without an identity entry): then gzip is the only acceptable form
    /// even for a body too small to be worth compressing.
    public static func refusesIdentity(_ fieldValues: [String]) -> Bool {
        negotiate(fieldValues).refusesIdentity
    }

    /// ``choose(_:)-([String])`` and ``refusesIdentity(_:)`` from one reading of the field lines.
    public static func negotiate(_ fieldValues: [String]) -> (choice: ContentCodingChoice, refusesIdentity: Bool) {
        var weights = Weights()
        for value in fieldValues { weights.add(value) }
        return (weights.choice, (weights.identity ?? weights.star) == 0)
    }

    /// Whether the answer should be gzip-compressed, for one combined field value.
    public static func prefersGzip(_ fieldValue: String) -> Bool {
        choose(fieldValue) == .gzip
    }

    /// Whether the answer should be gzip-compressed, for every field line of a request.
    public static func prefersGzip(_ fieldValues: [String]) -> Bool {
        choose(fieldValues) == .gzip
    }
}

/// Weights in thousandths (0...1000), so comparisons are exact integer comparisons.
private struct Weights {
    var gzip: Int?
    var identity: Int?
    var star: Int?

    var choice: ContentCodingChoice {
        let gzipWeight = gzip ?? star ?? 0
        let identityWeight = identity ?? star
        if gzipWeight > 0, gzipWeight >= (identityWeight ?? 0) { return .gzip }
        if let identityWeight, identityWeight == 0 { return .notAcceptable }
        return .identity
    }

    mutating func add(_ value: String) {
        var value = value
        value.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var elementStart = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: ",") {
            addElement(bytes, from: elementStart, to: index)
            elementStart = index + 1
        }
    }

    private mutating func addElement(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) {
        var lower = start
        var upper = end
        while lower < upper, isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower, isWhitespace(bytes[upper - 1]) { upper -= 1 }
        guard lower < upper else { return }

        var cursor = lower
        while cursor < upper, isTokenCharacter(bytes[cursor]) { cursor += 1 }
        guard cursor > lower else { return }
        let name = UnsafeRawBufferPointer(rebasing: bytes[lower..<cursor])

        var weight = 1000
        if cursor < upper {
            while cursor < upper, isWhitespace(bytes[cursor]) { cursor += 1 }
            guard cursor < upper, bytes[cursor] == UInt8(ascii: ";") else { return }
            cursor += 1
            while cursor < upper, isWhitespace(bytes[cursor]) { cursor += 1 }
            guard cursor + 2 <= upper,
                  bytes[cursor] | 0x20 == UInt8(ascii: "q"),
                  bytes[cursor + 1] == UInt8(ascii: "=")
            else { return }
            guard let parsed = parseQValue(UnsafeRawBufferPointer(rebasing: bytes[(cursor + 2)..<upper])) else {
                return
            }
            weight = parsed
        }

        if equalsIgnoringCase(name, "gzip") || equalsIgnoringCase(name, "x-gzip") {
            gzip = min(gzip ?? weight, weight)
        } else if equalsIgnoringCase(name, "identity") {
            identity = min(identity ?? weight, weight)
        } else if name.count == 1, name[0] == UInt8(ascii: "*") {
            star = min(star ?? weight, weight)
        }
    }
}

/// Parses an RFC 9110 §12.4.2 qvalue into thousandths; nil if it does not match the grammar.
private func parseQValue(_ bytes: UnsafeRawBufferPointer) -> Int? {
    guard let first = bytes.first else { return nil }
    let fraction = bytes.dropFirst()
    if !fraction.isEmpty {
        guard fraction.first == UInt8(ascii: "."), fraction.count <= 4 else { return nil }
    }
    var thousandths = 0
    var scale = 100
    for digit in fraction.dropFirst() {
        guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
        thousandths += Int(digit - UInt8(ascii: "0")) * scale
        scale /= 10
    }
    switch first {
    case UInt8(ascii: "0"): return thousandths
    case UInt8(ascii: "1"): return thousandths == 0 ? 1000 : nil
    default: return nil
    }
}

private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
}

/// RFC 9110 §5.6.2 tchar.
private func isTokenCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
         UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
         UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
         UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
         UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}

/// ASCII case-insensitive comparison against a lowercase literal.
private func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    let expected = lowercase.utf8Start
    for index in 0..<bytes.count {
        let byte = bytes[index]
        let folded = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
        if folded != expected[index] { return false }
    }
    return true
}
