import Synchronization

/// Request ids: the caller's `X-Request-Id` when it is 1–128 visible ASCII
/// characters, otherwise a new one that is unique within the process and, by
/// its random prefix, across replicas.
public final class RequestIDGenerator: Sendable {
    private let prefix: UInt64
    private let counter = Atomic<UInt64>(0)

    public init() {
        var rng = SystemRandomNumberGenerator()
        prefix = rng.next() as UInt64
    }

    /// A fresh id: 32 hex digits, the process's random prefix then a counter.
    public func next() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        // Written in place: one allocation per id, none for digits or concatenation.
        return String(unsafeUninitializedCapacity: 32) { buffer in
            Self.writeHex(prefix, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<16]))
            Self.writeHex(n, into: UnsafeMutableBufferPointer(rebasing: buffer[16..<32]))
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
            writeHex(value, into: buffer)
            return 16
        }
    }

    private static func writeHex(_ value: UInt64, into out: UnsafeMutableBufferPointer<UInt8>) {
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: v & 0xF)
            out[out.startIndex + i] = digit < 10 ? UInt8(ascii: "0") &+ digit : UInt8(ascii: "a") &+ digit &- 10
            v >>= 4
        }
    }
}
