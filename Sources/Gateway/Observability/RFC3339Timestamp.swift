#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 UTC timestamps with milliseconds (`2026-11-29T18:30:04.123Z`),
/// written straight into a byte buffer: no Foundation, no time-zone database,
/// no allocation.
enum RFC3339Timestamp {
    /// The wall clock now (`CLOCK_REALTIME`), as seconds and milliseconds since the Unix epoch.
    static func now() -> (seconds: Int64, milliseconds: Int) {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return (Int64(time.tv_sec), Int(time.tv_nsec / 1_000_000))
    }

    /// Appends the 24 bytes of the timestamp for `seconds` and `milliseconds` since the epoch.
    static func append(seconds: Int64, milliseconds: Int, to out: inout [UInt8]) {
        out.append(contentsOf: JSONLineWriter.line(maxBytes: byteCount) {
            write(seconds: seconds, milliseconds: milliseconds, to: &$0)
        })
    }

    /// The length of every timestamp (years 0–9999).
    static var byteCount: Int { 24 }

    /// Writes the 24 bytes of the timestamp for `seconds` and `milliseconds` since the epoch.
    static func write(seconds: Int64, milliseconds: Int, to out: inout JSONLineWriter) {
        // Floor division so instants before 1970 still land on the right day.
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        let second = Int(secondOfDay)
        // Two digits at a time into room checked once: a digit loop per field,
        // and a bound check per byte, were most of this function's cost.
        out.fixedWidth(byteCount) { text in
            func twoDigits(_ value: Int, at offset: Int) {
                let tens = UInt(bitPattern: value) / 10
                text[offset] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: tens)
                text[offset + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: UInt(bitPattern: value) &- tens &* 10)
            }
            twoDigits(Int(year / 100), at: 0)
            twoDigits(Int(year % 100), at: 2)
            text[4] = UInt8(ascii: "-")
            twoDigits(Int(month), at: 5)
            text[7] = UInt8(ascii: "-")
            twoDigits(Int(day), at: 8)
            text[10] = UInt8(ascii: "T")
            twoDigits(second / 3_600, at: 11)
            text[13] = UInt8(ascii: ":")
            twoDigits(second / 60 % 60, at: 14)
            text[16] = UInt8(ascii: ":")
            twoDigits(second % 60, at: 17)
            text[19] = UInt8(ascii: ".")
            text[20] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: milliseconds / 100)
            twoDigits(milliseconds % 100, at: 21)
            text[23] = UInt8(ascii: "Z")
        }
    }

    /// Year, month (1–12) and day (1–31) of the proleptic Gregorian calendar for
    /// a count of days since 1970-01-01: Howard Hinnant's `civil_from_days`,
    /// which counts in 400-year eras whose years start on 1 March so that the
    /// leap day falls at the end.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0...365, from 1 March
        let monthIndex = (5 * dayOfYear + 2) / 153  // 0...11, March = 0
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
