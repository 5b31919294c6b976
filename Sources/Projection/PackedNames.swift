#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A short list of names kept as UTF-8 bytes back to back, compared byte-exactly.
///
/// Why not `Set<String>`: the lists here are a request's `?fields=` (a handful of
/// names) and the documented Client fields, looked up once per upstream member,
/// about fifty times per answer. Hashing a `String` costs more than comparing a few
/// short byte runs, and `String` equality follows canonical equivalence, which
/// JSON keys must not. A bit per name length turns most misses into one test.
/// Lookups are linear in the names of the same length: keep lists short (see
/// ``FieldSelection`` for how long selections are looked up instead).
struct PackedNames: Sendable {
    /// Every name's bytes, in insertion order.
    private var storage: [UInt8] = []
    /// Where each name lies in `storage`.
    private var spans: [Range<Int>] = []
    /// Bit `min(n, 63)` is set when a name is `n` bytes long.
    private var lengths: UInt64 = 0

    init() {}

    init(_ names: some Sequence<String>) {
        for name in names {
            var name = name
            name.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        }
    }

    /// The number of names.
    var count: Int { spans.count }

    /// Makes room for `names` names of `bytes` bytes in all.
    mutating func reserveCapacity(names: Int, bytes: Int) {
        spans.reserveCapacity(names)
        storage.reserveCapacity(bytes)
    }

    /// Adds `name` (repeats are kept; see ``contains(_:)-(UnsafeRawBufferPointer)``).
    mutating func append(_ name: UnsafeRawBufferPointer) {
        let start = storage.count
        storage.append(contentsOf: name)
        spans.append(start..<storage.count)
        lengths |= Self.lengthBit(name.count)
    }

    /// Whether a name has exactly the bytes of `name`.
    func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        guard lengths & Self.lengthBit(name.count) != 0 else { return false }
        return storage.withUnsafeBytes { stored in
            for span in spans where span.count == name.count {
                // Equal lengths of zero need no pointer.
                guard let a = stored.baseAddress, let b = name.baseAddress else { return true }
                if memcmp(a + span.lowerBound, b, span.count) == 0 { return true }
            }
            return false
        }
    }

    /// Whether a name has exactly the UTF-8 bytes of `name`.
    func contains(_ name: String) -> Bool {
        var name = name
        // `withUTF8` hands out a native or small string's bytes without copying them to the heap.
        return name.withUTF8 { contains(UnsafeRawBufferPointer($0)) }
    }

    private static func lengthBit(_ count: Int) -> UInt64 {
        1 << UInt64(min(count, 63))
    }
}
