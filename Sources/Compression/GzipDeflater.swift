import CZlib

/// One reusable zlib deflate stream that turns a whole body into one gzip member per call.
///
/// Creating a zlib stream maps and unmaps about 256 KB of state, which costs roughly five
/// times the compression of a 1.4 KB answer; one stream reset with `deflateReset` between
/// answers avoids that. The intended use is one deflater per event loop.
///
/// Confinement: the type is deliberately not `Sendable`. zlib's stream state is mutated by
/// every call, so an instance must only be used from one thread (or serial queue) at a time —
/// in the gateway, only on the event loop that owns it.
public final class GzipDeflater {
    /// The zlib level (1 fastest … 9 smallest) every member is compressed with.
    public let level: Int32

    /// Heap-allocated because zlib keeps a back pointer to the `z_stream` in its state
    /// and checks it on every call, so the stream must never move.
    private let stream: UnsafeMutablePointer<z_stream>

    /// `deflateReset` clears the hash table (64 KB at memory level 8); a fresh
    /// stream does not need it.
    private var needsReset = false

    /// Where zlib writes before the member is copied to the caller's array: writing into the
    /// array directly would first need its tail zero-filled, which costs as much as the copy.
    /// It grows to `deflateBound` of the largest body seen, up to `scratchLimit`.
    private var scratch = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    /// Bodies whose bound fits in this many bytes are compressed by one `deflate` call; larger
    /// ones are written in slices of this size, so a rare huge body pins no more memory.
    private static let scratchLimit = 256 * 1024

    /// The LZ77 window is 2^windowBits bytes.
    public let windowBits: Int32

    /// Creates the stream up front so that compressing never fails.
    ///
    /// - Parameters:
    ///   - level: 1 (fastest) to 9 (smallest output).
    ///   - windowBits: 9–15, the LZ77 window (zlib's default 15: 32 KB).
    ///   - memoryLevel: 1–9, the hash table is 2^(memoryLevel+7) entries (zlib's
    ///     default 8). Smaller ones suit small bodies: `deflateReset` clears the
    ///     whole table for every member (see ``GzipEncoder``).
    /// - Throws: `CompressionError.invalidLevel` outside 1–9, `.invalidWindow` for
    ///   the other two; `.outOfMemory` or `.libraryMismatch` if zlib cannot start.
    public init(level: Int32, windowBits: Int32 = 15, memoryLevel: Int32 = 8) throws(CompressionError) {
        guard (1...9).contains(level) else { throw .invalidLevel }
        guard (9...15).contains(windowBits), (1...9).contains(memoryLevel) else { throw .invalidWindow }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = czlib_deflate_init_gzip(stream, level, windowBits, memoryLevel)
        guard status == Z_OK else {
            // No state was allocated by zlib on failure, so there is nothing to deflateEnd.
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw status == Z_MEM_ERROR ? .outOfMemory : .libraryMismatch
        }
        self.level = level
        self.windowBits = windowBits
        self.stream = stream
    }

    deinit {
        // init only completes after deflateInit succeeded, so this pairs with it exactly once.
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Appends one complete gzip member (header, deflate data, CRC-32 and size) holding `input`.
    ///
    /// Bytes already in `out` are kept; the member is appended after them. Output space is
    /// sized with `deflateBound`, so a body up to about 256 KB is compressed by one `deflate`
    /// call and `out` grows at most once for it.
    public func compress(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        if needsReset {
            let status = deflateReset(stream)
            precondition(status == Z_OK, "deflateReset failed on a valid stream: \(status)")
        }
        needsReset = true

        let bound = Int(deflateBound(stream, uLong(input.count)))
        if scratch.count < min(bound, Self.scratchLimit) {
            scratch.deallocate()
            scratch = .allocate(capacity: min(bound, Self.scratchLimit))
        }
        let expected = min(bound, Self.scratchLimit)
        if out.capacity - out.count < expected {
            // Geometric when appending to earlier content, so a caller that gathers many
            // members in one array does not pay a copy of it per member.
            out.reserveCapacity(max(out.count + expected, out.capacity * 2))
        }
        var consumed = 0
        while true {
            // avail_in is 32-bit, so bodies over 4 GiB are fed in slices.
            let inChunk = min(input.count - consumed, Int(UInt32.max))
            let isLast = consumed + inChunk == input.count
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress.map { ($0 + consumed).assumingMemoryBound(to: Bytef.self) }
            )
            stream.pointee.avail_in = uInt(inChunk)
            stream.pointee.next_out = scratch.baseAddress
            stream.pointee.avail_out = uInt(scratch.count)
            let status = deflate(stream, isLast ? Z_FINISH : Z_NO_FLUSH)
            consumed += inChunk - Int(stream.pointee.avail_in)
            let written = scratch.count - Int(stream.pointee.avail_out)
            // zlib must not keep a pointer into the caller's input once this returns.
            stream.pointee.next_in = nil
            out.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<written]))
            if status == Z_STREAM_END { break }
            // Z_BUF_ERROR only means "no progress this call"; the next call has fresh space.
            precondition(status == Z_OK || status == Z_BUF_ERROR, "deflate failed on a valid stream: \(status)")
        }
    }
}

/// Not `Sendable`: see the confinement note on `GzipDeflater`.
@available(*, unavailable)
extension GzipDeflater: Sendable {}
