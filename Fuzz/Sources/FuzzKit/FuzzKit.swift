/// Helpers shared by the fuzz targets: deterministic choices derived from the
/// input, exact-size copies (so AddressSanitizer sees any read past the bytes a
/// parser was given), and a check that stops the run with a message.
///
/// Nothing here may use randomness: libFuzzer must be able to replay a crash
/// from its input alone.

/// Stops the fuzzer with `message` when `condition` is false. A trap, unlike
/// `assert`, survives `-c release`; libFuzzer records the input as a crash.
@inline(never)
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("fuzz invariant violated: \(message())")
    }
}

/// A 64-bit FNV-1a hash of the input: a stable source of "random" choices
/// (split points, limits) that is a pure function of the bytes.
public func fuzzHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes {
        h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3
    }
    return h
}

/// A SplitMix64 stream seeded from the input, for several independent choices.
public struct FuzzChoices {
    private var state: UInt64

    /// Seeds the stream with `fuzzHash(bytes)`.
    public init(_ bytes: UnsafeRawBufferPointer) {
        state = fuzzHash(bytes)
    }

    /// The next 64 pseudo-random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0...upper` (inclusive).
    public mutating func upTo(_ upper: Int) -> Int {
        upper <= 0 ? 0 : Int(next() % UInt64(upper + 1))
    }

    /// A coin flip.
    public mutating func flip() -> Bool {
        next() & 1 == 1
    }
}

/// Runs `body` on a fresh heap allocation holding exactly `bytes`, so any read
/// past its end or before its start is a heap overflow AddressSanitizer reports
/// (an `[UInt8]` usually has spare capacity that would hide it).
@inline(never)
public func withExactCopy<R>(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let count = bytes.count
    // Zero-byte allocations still get a unique address, which keeps
    // baseAddress non-nil, as a socket read buffer would be.
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 1)
    defer { storage.deallocate() }
    bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
    return try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
}

/// How an input is cut into the reads a parser sees.
public enum Feeding: CustomStringConvertible {
    /// One read.
    case whole
    /// Two reads, cut at this offset.
    case split(Int)
    /// One read per byte.
    case bytewise
    /// Reads of these lengths, in order.
    case pieces([Int])

    /// The pieces' boundaries for `count` bytes, as lengths.
    public func lengths(count: Int) -> [Int] {
        switch self {
        case .whole:
            return [count]
        case .split(let cut):
            let c = min(max(cut, 0), count)
            return [c, count - c]
        case .bytewise:
            return Array(repeating: 1, count: count)
        case .pieces(let lengths):
            return lengths
        }
    }

    /// Random piece lengths summing to `count`, about `pieces` of them.
    public static func random(count: Int, pieces: Int, _ choices: inout FuzzChoices) -> Feeding {
        var lengths: [Int] = []
        var left = count
        while left > 0 {
            let n = lengths.count + 1 >= pieces ? left : 1 + choices.upTo(max(0, min(left, 2 * count / max(pieces, 1)) - 1))
            lengths.append(min(n, left))
            left -= min(n, left)
        }
        return .pieces(lengths)
    }

    /// How the feeding is named in a failure message.
    public var description: String {
        switch self {
        case .whole: "whole"
        case .split(let cut): "split at \(cut)"
        case .bytewise: "byte by byte"
        case .pieces(let l): "pieces \(l)"
        }
    }
}

/// The input as an array (libFuzzer's pointer is only valid during the call).
public func fuzzInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: start, count: count))
}

/// The input as text for targets that read header-like values: the whole of it,
/// and its lines (cut at LF, kept when empty), each decoded as UTF-8 with
/// invalid bytes replaced, as a header value reaching a `String` would be.
public func fuzzText(_ input: [UInt8]) -> (whole: String, lines: [String]) {
    let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    return (String(decoding: input, as: UTF8.self), lines)
}
