import Synchronization

/// Request ids: the caller's `X-Request-Id` when it is 1–128 visible ASCII
/// characters, otherwise a new one that is unique within the process and, by
/// its random prefix, across replicas.
public final class RequestIDGenerator: Sendable {
    /// The random prefix's 16 hex digits, as the bytes of two words: written
    /// once, copied into every id.
    private let prefixDigits: (UInt64, UInt64)
    private let counter = Atomic<UInt64>(0)

    public init() {
        var rng = SystemRandomNumberGenerator()
        var digits: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &digits) { Self.writeHex(rng.next() as UInt64, into: $0) }
        prefixDigits = digits
    }

    /// A fresh id: 32 hex digits, the process's random prefix then a counter.
    public func next() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        // Written in place: one allocation per id, none for digits or concatenation.
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let out = UnsafeMutableRawBufferPointer(buffer)
            withUnsafeBytes(of: prefixDigits) { out.copyMemory(from: $0) }
            Self.writeHex(n, into: UnsafeMutableRawBufferPointer(rebasing: out[16..<32]))
            return 32
        }
    }

    /// The caller's id if acceptable, else a fresh one.
    public func id(fromCaller value: String?) -> String {
        if let value, Self.isAcceptable(value) { return value }
        return next()
    }

    /// 1–128 visible ASCII characters (0x21–0x7E): safe to echo in a header and a log.
    public static func isAcceptable(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        return utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    /// `value` as 16 lowercase hex digits, zero-padded.
    static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            writeHex(value, into: UnsafeMutableRawBufferPointer(buffer))
            return 16
        }
    }

    /// Writes `value` as 16 lowercase hex digits, zero-padded, into the first 16 bytes of `out`.
    private static func writeHex(_ value: UInt64, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 16)
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { digit in
            var rest = value
            for position in (0..<16).reversed() {
                out[position] = digit[Int(truncatingIfNeeded: rest & 0xF)]
                rest >>= 4
            }
        }
    }
}
