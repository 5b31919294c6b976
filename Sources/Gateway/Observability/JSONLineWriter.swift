#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cursor that writes one JSON log line into memory sized beforehand.
///
/// Why: the access line is written thousands of times a second, and
/// `Array.append` checks capacity and uniqueness on every call; with a few
/// dozen appends per line that was most of the line's cost when profiled.
/// Here each write is a bounds check and a store. The bound is checked on
/// every write, so a wrong size estimate traps instead of writing past the end.
struct JSONLineWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    private init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        // `line(maxBytes:)` never makes an empty buffer, so there is an address.
        base = buffer.baseAddress!
        capacity = buffer.count
    }

    /// The bytes `body` writes, in an array of capacity `maxBytes`: what `body`
    /// leaves unused is room for later appends.
    static func line(maxBytes: Int, _ body: (inout JSONLineWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: max(maxBytes, 1)) { buffer, initialized in
            var writer = JSONLineWriter(buffer)
            body(&writer)
            initialized = writer.count
        }
    }

    /// Lends `use` the bytes `body` writes into temporary memory of `maxBytes`:
    /// for a line that is copied on at once (into a ``LogSink``), so it needs no
    /// array of its own. Up to a kilobyte the memory is on the stack.
    static func withLine<Result>(maxBytes: Int, _ body: (inout JSONLineWriter) -> Void,
                                 use: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(maxBytes, 1)) { buffer in
            var writer = JSONLineWriter(buffer)
            body(&writer)
            return use(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[..<writer.count]))
        }
    }

    /// The most bytes ``string(_:)-(String)`` writes for a string of `utf8Count`
    /// bytes: two quotes, and every byte as `\u00XX` at worst.
    @inline(__always)
    static func maxStringBytes(_ utf8Count: Int) -> Int { 2 + 6 * utf8Count }

    /// The most bytes an integer or a ``milliseconds(_:)`` value takes.
    static let maxNumberBytes = 32

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        precondition(n <= capacity - count, "a JSON log line outgrew its size estimate")
    }

    /// One byte, as is.
    @inline(__always)
    mutating func byte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count += 1
    }

    /// Bytes of JSON syntax (keys, punctuation, literals), as is.
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { raw(UnsafeRawBufferPointer($0)) }
    }

    /// Bytes known to need no escaping, as is.
    @inline(__always)
    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        let target = UnsafeMutableRawPointer(base + count)
        let n = bytes.count
        // Most pieces of a line (keys, short values) are at most 16 bytes:
        // copied as two overlapping words, not through a call to memcpy, which
        // was a good part of a line's cost at some thirty calls a line.
        if n >= 8 && n <= 16 {
            target.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
            (target + (n - 8)).storeBytes(of: source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self),
                                           as: UInt64.self)
        } else if n >= 4 && n < 8 {
            target.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            (target + (n - 4)).storeBytes(of: source.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self),
                                           as: UInt32.self)
        } else {
            memcpy(target, source, n)
        }
        count += n
    }

    /// `text` as a JSON string: quotes and backslashes escaped, control
    /// characters (and DEL) as `\n`, `\t`, … or `\u00XX`, all other UTF-8 as is.
    /// Swift strings are valid UTF-8, so the output is too.
    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { escaped(UnsafeRawBufferPointer($0)) }
    }

    /// `text` as a JSON string (see ``string(_:)-(String)``).
    mutating func string(_ text: Substring) {
        var text = text
        text.withUTF8 { escaped(UnsafeRawBufferPointer($0)) }
    }

    /// `bytes` (valid UTF-8) as a JSON string.
    mutating func escaped(_ bytes: UnsafeRawBufferPointer) {
        byte(UInt8(ascii: "\""))
        // Almost every string logged has nothing to escape: one test of the
        // whole string, then one copy. Escaping a byte at a time was most of
        // the access line's cost when profiled.
        if Self.anyNeedsEscaping(bytes) { escapeEach(bytes) } else { raw(bytes) }
        byte(UInt8(ascii: "\""))
    }

    /// `bytes` escaped one by one, runs of plain bytes copied at once.
    private mutating func escapeEach(_ bytes: UnsafeRawBufferPointer) {
        var runStart = 0
        for index in 0..<bytes.count {
            let value = bytes[index]
            guard Self.needsEscaping(value) else { continue }
            raw(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            switch value {
            case UInt8(ascii: "\""): raw(#"\""#)
            case UInt8(ascii: "\\"): raw(#"\\"#)
            case 0x0A: raw(#"\n"#)
            case 0x0D: raw(#"\r"#)
            case 0x09: raw(#"\t"#)
            case 0x08: raw(#"\b"#)
            case 0x0C: raw(#"\f"#)
            default:
                raw(#"\u00"#)
                byte(Self.hexDigit(value >> 4))
                byte(Self.hexDigit(value & 0x0F))
            }
        }
        raw(UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
    }

    /// Whether `value` needs escaping in a JSON string: a control character
    /// (below 0x20), `"`, `\` or DEL. Bytes of multi-byte UTF-8 (0x80 and up) never do.
    @inline(__always)
    static func needsEscaping(_ value: UInt8) -> Bool {
        value < 0x20 || value == UInt8(ascii: "\"") || value == UInt8(ascii: "\\") || value == 0x7F
    }

    /// Whether any byte of `bytes` needs escaping, tested eight at a time.
    static func anyNeedsEscaping(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard count >= 8 else {
            guard count >= 4 else {
                for index in 0..<count where needsEscaping(bytes[index]) { return true }
                return false
            }
            // Four to seven bytes: the first four and the last four, overlapping, as one word.
            let first = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            let last = bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            return anyNeedsEscaping(UInt64(first) | UInt64(last) &<< 32)
        }
        var offset = 0
        while offset < count - 8 {
            if anyNeedsEscaping(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) { return true }
            offset += 8
        }
        // The last eight bytes, overlapping some already tested.
        return anyNeedsEscaping(bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }

    /// Whether any of the eight bytes in `word` needs escaping (``needsEscaping(_:)``).
    ///
    /// The bit tricks are the classic ones for "a byte below n" and "a zero
    /// byte" (equality is a zero byte of `word ^ c`): subtracting borrows into a
    /// byte's high bit only when that byte was below the subtrahend, and `& ~x`
    /// drops bytes whose own high bit was set. A borrow can also mark a byte
    /// above one that truly matched, so the result is exact as a yes/no answer,
    /// which is all this asks.
    @inline(__always)
    static func anyNeedsEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        @inline(__always)
        func anyZeroByte(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highBits }
        let control = (word &- ones &* 0x20) & ~word & highBits
        let quote = anyZeroByte(word ^ (ones &* UInt64(UInt8(ascii: "\""))))
        let backslash = anyZeroByte(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
        let delete = anyZeroByte(word ^ (ones &* 0x7F))
        return (control | quote | backslash | delete) != 0
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ (nibble &- 10)
    }

    /// Decimal digits of `value`: `String(value)` would build and free a string
    /// for every status and byte count of every request.
    mutating func integer<T: BinaryInteger>(_ value: T) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        // magnitude covers Int.min, whose negation does not fit.
        digits(UInt64(value.magnitude))
    }

    /// Decimal digits of `value`, no sign, no padding.
    private mutating func digits(_ value: UInt64) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var rest = value
            var start = buffer.count
            repeat {
                let (quotient, digit) = rest.quotientAndRemainder(dividingBy: 10)
                start -= 1
                buffer[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digit)
                rest = quotient
            } while rest != 0
            raw(UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// `value` zero-padded to `width` digits (0 ≤ value < 10^width).
    mutating func padded(_ value: Int64, width: Int) {
        reserve(width)
        var rest = value
        for position in stride(from: width - 1, through: 0, by: -1) {
            base[count + position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        count += width
    }

    /// Lets `body` write exactly `byteCount` bytes at once, for fixed-width
    /// text such as a timestamp: the bound is checked once for all of them.
    @inline(__always)
    mutating func fixedWidth(_ byteCount: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        reserve(byteCount)
        body(UnsafeMutableBufferPointer(start: base + count, count: byteCount))
        count += byteCount
    }

    /// Milliseconds rounded to microseconds, written as `Double.description`
    /// writes that rounded value (`1.235`, `0.5`, `12.0`), but from integers:
    /// formatting a `Double` is a costly shortest-round-trip search.
    /// Values that are not finite once scaled become `null`.
    mutating func milliseconds(_ value: Double) {
        let micros = (value * 1000).rounded()
        // Non-finite, or too large to scale: JSON has no infinity.
        guard micros.isFinite else {
            raw("null")
            return
        }
        // Beyond 2^53 µs (285 years) or negative, leave the exact form to Double.
        guard micros.sign == .plus, micros < 9_007_199_254_740_992 else {
            var text = (micros / 1000).description
            text.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
            return
        }
        let whole = UInt64(micros)
        digits(whole / 1000)
        byte(UInt8(ascii: "."))
        var fraction = whole % 1000
        guard fraction != 0 else {
            byte(UInt8(ascii: "0"))
            return
        }
        // Three digits without the trailing zeros, as the shortest form has them.
        var width = 3
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        padded(Int64(fraction), width: width)
    }

    // Members: `key` is the member's name with its quotes, colon and leading
    // comma as JSON syntax; an absent value is written `null`.

    /// A string member.
    mutating func member(_ key: StaticString, _ value: String?) { member(key, value) { $0.string($1) } }

    /// A string member.
    mutating func member(_ key: StaticString, _ value: Substring?) { member(key, value) { $0.string($1) } }

    /// An integer member.
    mutating func member(_ key: StaticString, _ value: Int?) { member(key, value) { $0.integer($1) } }

    /// A milliseconds member (see ``milliseconds(_:)``).
    mutating func member(_ key: StaticString, milliseconds value: Double?) {
        member(key, value) { $0.milliseconds($1) }
    }

    @inline(__always)
    private mutating func member<Value>(_ key: StaticString, _ value: Value?,
                                        _ write: (inout JSONLineWriter, Value) -> Void) {
        raw(key)
        if let value { write(&self, value) } else { raw("null") }
    }
}
