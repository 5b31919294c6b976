/// Gzip for answers of any size on one event loop: a reusable deflate stream per
/// window size, the window fitted to the body as nginx does.
///
/// Why several streams: `deflateReset` zeroes the stream's whole hash table before
/// every member, 64 KB with zlib's defaults, which for a 300-byte answer costs more
/// than compressing it (perf showed the memset at 2 % of the gateway's CPU on
/// `/clients`). A body needs no window larger than itself, so it goes to a stream
/// whose window and hash are sized to it: a 264-byte answer resets 2 KB. The output
/// is the same gzip format; only matches farther back than the body could reach
/// are given up, and there are none.
///
/// Confinement: not `Sendable`, like ``GzipDeflater``; one per event loop.
public final class GzipEncoder {
    /// The zlib level of every stream.
    public let level: Int32
    /// Streams by window bits (index 0 is 9 bits), made on first use.
    private var deflaters: [GzipDeflater?] = Array(repeating: nil, count: 7)

    /// - Throws: `CompressionError.invalidLevel` outside 1–9.
    public init(level: Int32) throws(CompressionError) {
        guard (1...9).contains(level) else { throw .invalidLevel }
        self.level = level
    }

    /// The window for a body of `length` bytes, by nginx's rule
    /// (`ngx_http_gzip_filter_module`): halve the 32 KB window while the body
    /// still fits the smaller one with the 262 bytes of lookahead zlib keeps;
    /// the memory level shrinks with it (see ``memoryLevel(forWindowBits:)``).
    public static func windowBits(forLength length: Int) -> Int32 {
        var bits: Int32 = 15
        while bits > 9, length < (1 << (bits - 1)) - 262 {
            bits -= 1
        }
        return bits
    }

    /// zlib's default memory level (8) at the full window, one less per halving.
    public static func memoryLevel(forWindowBits bits: Int32) -> Int32 {
        max(1, bits - 7)
    }

    /// Appends one complete gzip member holding `input` (see ``GzipDeflater/compress(_:into:)``).
    /// - Throws: `.outOfMemory` when zlib cannot make the stream this size needs.
    public func compress(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(CompressionError) {
        let bits = Self.windowBits(forLength: input.count)
        let index = Int(bits - 9)
        let deflater: GzipDeflater
        if let existing = deflaters[index] {
            deflater = existing
        } else {
            deflater = try GzipDeflater(level: level, windowBits: bits, memoryLevel: Self.memoryLevel(forWindowBits: bits))
            deflaters[index] = deflater
        }
        deflater.compress(input, into: &out)
    }
}

/// Not `Sendable`: see the confinement note on `GzipEncoder`.
@available(*, unavailable)
extension GzipEncoder: Sendable {}
