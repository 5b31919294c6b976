/// IMF-fixdate (RFC 9110 §5.6.7), the `Date` header's format:
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
public enum HTTPDate {
    private static let days: [StaticString] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Renders the time `epochSeconds` (seconds since 1970-01-01 UTC) as 29 bytes.
    public static func format(epochSeconds: Int64) -> [UInt8] {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondOfDay = Int(epochSeconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        var out: [UInt8] = []
        out.reserveCapacity(29)
        let weekday = Int(((days % 7) + 7) % 7)  // 1970-01-01 was a Thursday
        append(Self.days[weekday], to: &out)
        out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")])
        two(day, &out)
        out.append(UInt8(ascii: " "))
        append(months[month - 1], to: &out)
        out.append(UInt8(ascii: " "))
        four(year, &out)
        out.append(UInt8(ascii: " "))
        two(secondOfDay / 3600, &out)
        out.append(UInt8(ascii: ":"))
        two(secondOfDay / 60 % 60, &out)
        out.append(UInt8(ascii: ":"))
        two(secondOfDay % 60, &out)
        out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "G"), UInt8(ascii: "M"), UInt8(ascii: "T")])
        return out
    }

    /// Year, month (1–12) and day (1–31) of a day count since 1970-01-01, after
    /// Howard Hinnant's `civil_from_days`.
    public static func civil(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    private static func append(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func two(_ v: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "0") + UInt8(v / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(v % 10))
    }

    private static func four(_ v: Int, _ out: inout [UInt8]) {
        two(v / 100, &out)
        two(v % 100, &out)
    }
}
