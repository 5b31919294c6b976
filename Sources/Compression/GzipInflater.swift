import CZlib

/// An incremental gzip decoder for upstream bodies sent with `Content-Encoding: gzip`,
/// with a hard limit on the decoded size.
///
/// Feed the body as it arrives, call `finish()` at its end, then `reset()` before the next
/// body; one inflater can serve every upstream answer of an event loop.
///
/// Decisions worth knowing:
/// - Concatenated gzip members are decoded one after another, as `gzip -d` does: RFC 1952
///   defines a gzip file as a series of members, and RFC 9110 names that format for the
///   `gzip` coding. The output limit counts all members together.
/// - Anything after a member must be another complete member; trailing garbage or padding is
///   `.corrupt` (a partial member at the end is `.truncated`).
/// - A zlib-wrapped (RFC 1950) member is accepted too, because the CZlib shim lets zlib
///   detect the wrapper; that leniency is harmless, as its Adler-32 is checked like gzip's
///   CRC-32.
/// - An empty body is `.truncated`: it holds no member at all.
///
/// Memory: zlib writes into a 32 KB buffer of the inflater; each slice is copied to the
/// caller's array, whose capacity is never grown past its current length plus the bytes the
/// limit still allows, so a decompression bomb is stopped before it is materialised. Beyond
/// that array, an inflater holds about 75 KB: zlib's state and 32 KB window, and the buffer.
///
/// Confinement: not `Sendable`; use an instance from one thread (or serial queue) at a time —
/// in the gateway, only on the event loop that owns it.
public final class GzipInflater {
    /// The most decoded bytes one body (all of its members) may produce.
    public let limit: Int

    /// Decoded bytes produced since the last `reset()`.
    public private(set) var decodedByteCount = 0

    /// Heap-allocated because zlib keeps a back pointer to the `z_stream` and checks it.
    private let stream: UnsafeMutablePointer<z_stream>

    /// True once bytes of a member have been consumed and its trailer has not yet been seen.
    private var inMember = false

    /// Members fully decoded (trailer checked) since the last `reset()`.
    private var completedMembers = 0

    /// The first error; it sticks until `reset()` so a broken body cannot be half-accepted.
    private var failure: CompressionError?

    /// Where zlib writes before bytes are copied to the caller's array; one `inflate` call
    /// produces at most this much. Allocated once, so a pooled inflater allocates nothing per body.
    private let scratch: UnsafeMutableBufferPointer<UInt8>

    private static let scratchSize = 32 * 1024

    /// Creates the stream up front.
    ///
    /// - Parameter limit: the most decoded bytes accepted per body (the gateway uses 8 MiB);
    ///   must not be negative.
    /// - Throws: `CompressionError.outOfMemory` or `.libraryMismatch` if zlib cannot start.
    public init(limit: Int) throws(CompressionError) {
        precondition(limit >= 0, "the output limit must not be negative")
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = czlib_inflate_init_gzip(stream)
        guard status == Z_OK else {
            // No state was allocated by zlib on failure, so there is nothing to inflateEnd.
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw status == Z_MEM_ERROR ? .outOfMemory : .libraryMismatch
        }
        self.limit = limit
        self.stream = stream
        self.scratch = .allocate(capacity: Self.scratchSize)
    }

    deinit {
        // init only completes after inflateInit succeeded, so this pairs with it exactly once.
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Decodes `chunk` and appends the decoded bytes to `out` (bytes already in `out` are kept).
    ///
    /// - Throws: `.tooLarge` as soon as the body decodes past `limit`; `.corrupt` for invalid
    ///   data; `.outOfMemory` if zlib cannot allocate its window. After an error every call
    ///   throws the same error until `reset()`; `out` may then hold part of the body.
    public func feed(_ chunk: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(CompressionError) {
        if let failure { throw failure }
        var consumed = 0
        var outputFull = false
        while consumed < chunk.count || outputFull {
            let inChunk = min(chunk.count - consumed, Int(UInt32.max))
            // One byte past what the limit allows: producing it proves the limit was exceeded
            // without zlib having to say whether more output is pending.
            let remaining = limit - decodedByteCount
            let space = remaining < scratch.count ? remaining + 1 : scratch.count
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: chunk.baseAddress.map { ($0 + consumed).assumingMemoryBound(to: Bytef.self) }
            )
            stream.pointee.avail_in = uInt(inChunk)
            stream.pointee.next_out = scratch.baseAddress
            stream.pointee.avail_out = uInt(space)
            let status = inflate(stream, Z_NO_FLUSH)
            let used = inChunk - Int(stream.pointee.avail_in)
            let produced = space - Int(stream.pointee.avail_out)
            // zlib must not keep a pointer into the caller's memory once this returns.
            stream.pointee.next_in = nil
            consumed += used
            decodedByteCount += produced
            outputFull = produced == space
            if decodedByteCount > limit { try fail(.tooLarge) }
            append(UnsafeBufferPointer(rebasing: scratch[..<produced]), to: &out)

            switch status {
            case Z_STREAM_END:
                // The trailer checked out; whatever follows must be a further member.
                completedMembers += 1
                inMember = false
                let reset = inflateReset(stream)
                precondition(reset == Z_OK, "inflateReset failed on a valid stream: \(reset)")
                outputFull = false
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR only says this call could not progress; more input or space helps.
                if used > 0 { inMember = true }
                if status == Z_BUF_ERROR && used == 0 && !outputFull { return }
            case Z_MEM_ERROR:
                try fail(.outOfMemory)
            default:
                // Z_DATA_ERROR (bad header, data, CRC or length) and Z_NEED_DICT (a zlib
                // preset dictionary, which gzip cannot carry) both mean the body is unusable.
                try fail(.corrupt)
            }
        }
    }

    /// Declares the end of the body.
    ///
    /// - Throws: `.truncated` if no member was completed or the last one is incomplete, or the
    ///   error an earlier `feed` threw.
    public func finish() throws(CompressionError) {
        if let failure { throw failure }
        if inMember || completedMembers == 0 { try fail(.truncated) }
    }

    /// Makes the inflater ready for a new body, keeping zlib's allocated state (`inflateReset`).
    public func reset() {
        let status = inflateReset(stream)
        precondition(status == Z_OK, "inflateReset failed on a valid stream: \(status)")
        decodedByteCount = 0
        inMember = false
        completedMembers = 0
        failure = nil
    }

    private func fail(_ error: CompressionError) throws(CompressionError) -> Never {
        failure = error
        throw error
    }

    /// Appends decoded bytes, growing `out` geometrically for amortised appends but never
    /// beyond what the limit still allows, so a bomb cannot make the array over-allocate.
    private func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if out.capacity - out.count < bytes.count {
            // decodedByteCount already counts `bytes`; written so that a huge limit cannot overflow.
            let grown = max(out.count * 2, out.count + Self.scratchSize)
            let ceiling = out.count + bytes.count + min(limit - decodedByteCount, grown)
            out.reserveCapacity(min(grown, ceiling))
        }
        out.append(contentsOf: bytes)
    }
}

/// Not `Sendable`: see the confinement note on `GzipInflater`.
@available(*, unavailable)
extension GzipInflater: Sendable {}
