import Synchronization

/// Request ids: the caller's `X-Request-Id` when it is 1–128 visible ASCII
/// characters, otherwise a new one that is unique within the process and, by
/// its random prefix, across replicas.
public final class RequestIDGenerator: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    public init() {
        var rng = SystemRandomNumberGenerator()
        let random = rng.next() as UInt64
        prefix = Self.hex(random)
    }

    /// A fresh id: 32 hex digits.
    public func next() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return prefix + Self.hex(n)
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

    static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            out[i] = digits[Int(v & 0xF)]
            v >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}
