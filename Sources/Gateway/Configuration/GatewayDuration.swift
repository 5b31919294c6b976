/// The duration syntax of the command line: a whole number followed by a unit,
/// `250ms`, `2s`, `1m` or `1h`.
///
/// Whole numbers only (write `1500ms`, not `1.5s`) so that a value always means
/// one exact number of milliseconds; no sign, no spaces, no bare numbers (a
/// bare `10` would leave the unit to guesswork). Values are capped at
/// ``maximum`` (24h) so deadline arithmetic can never overflow.
public enum GatewayDuration {
    /// The longest duration any option accepts: 24 hours.
    public static let maximum: Duration = .seconds(86_400)

    /// Parses `text`, or throws a ``DurationSyntaxError`` saying what is wrong.
    public static func parse(_ text: String) throws(DurationSyntaxError) -> Duration {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw .empty }
        var index = 0
        var value: UInt64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            // 12 digits are far above the cap in any unit and far below UInt64's limit.
            guard index < 12 else { throw .tooLong }
            value = value * 10 + UInt64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index > 0 else { throw .notANumber }
        let unit = bytes[index...]
        let milliseconds: UInt64
        switch String(decoding: unit, as: UTF8.self) {
        case "ms": milliseconds = value
        case "s": milliseconds = value * 1_000
        case "m": milliseconds = value * 60_000
        case "h": milliseconds = value * 3_600_000
        case "": throw .missingUnit
        default:
            throw unit.first == UInt8(ascii: ".") ? .fraction : .unknownUnit
        }
        guard milliseconds <= 86_400_000 else { throw .tooLong }
        return .milliseconds(Int64(milliseconds))
    }

    /// Renders `duration` in the same syntax, in the largest unit that is exact
    /// (`2s`, `1500ms`, `1m`), so the start-up log shows what an operator would type.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0, attoseconds % 1_000_000_000_000_000 == 0 else {
            return duration.description
        }
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1_000 == 0 { return "\(milliseconds / 1_000)s" }
        return "\(milliseconds)ms"
    }
}

/// Why a duration did not parse; ``description`` is the reason for an error line.
public struct DurationSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Kind: Equatable, Sendable {
        case empty, notANumber, missingUnit, unknownUnit, fraction, tooLong
    }

    private let kind: Kind

    /// The value is empty.
    public static let empty = DurationSyntaxError(kind: .empty)
    /// The value does not start with a digit (a sign, a space, a word).
    public static let notANumber = DurationSyntaxError(kind: .notANumber)
    /// A bare number: the unit is required.
    public static let missingUnit = DurationSyntaxError(kind: .missingUnit)
    /// A unit other than ms, s, m, h.
    public static let unknownUnit = DurationSyntaxError(kind: .unknownUnit)
    /// A decimal point: only whole numbers are accepted.
    public static let fraction = DurationSyntaxError(kind: .fraction)
    /// Longer than ``GatewayDuration/maximum``.
    public static let tooLong = DurationSyntaxError(kind: .tooLong)

    /// A reason phrase that ends an error line.
    public var description: String {
        let grammar = "expected a whole number and a unit (ms, s, m, h) such as 250ms, 2s or 1m"
        switch kind {
        case .empty: return "empty duration; \(grammar)"
        case .notANumber: return grammar
        case .missingUnit: return "missing unit; \(grammar)"
        case .unknownUnit: return "unknown unit; \(grammar)"
        case .fraction: return "fractions are not accepted; write 1500ms instead of 1.5s"
        case .tooLong: return "longer than the maximum of 24h"
        }
    }
}
