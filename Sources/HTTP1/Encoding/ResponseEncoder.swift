/// Serialises response heads into the bytes sent on the wire.
///
/// The server always frames answers with `Content-Length` (the gateway knows
/// every body in full before it answers), adds `Date`, and says
/// `Connection: close` when the connection ends after this answer.
public enum ResponseEncoder {
    /// Appends a complete response to `out`.
    /// - Parameters:
    ///   - headers: the handler's fields; must not contain `Content-Length`,
    ///     `Date`, `Connection` or `Transfer-Encoding`, which the encoder owns.
    ///   - body: sent unless `omitBody` (an answer to HEAD).
    ///   - date: the pre-rendered IMF-fixdate (see ``HTTPDate``).
    public static func encode(
        status: Int,
        headers: HTTPHeaders,
        body: UnsafeRawBufferPointer,
        omitBody: Bool,
        close: Bool,
        http10: Bool,
        date: [UInt8],
        into out: inout [UInt8]
    ) {
        // The head is measured exactly, then written in one pass through a
        // buffer of that size: appending piece by piece cost a capacity check
        // and a call per piece, several times the cost of the bytes themselves.
        let reason = HTTPStatus.reason(status)
        let connection: StaticString = close ? "\r\nConnection: close" : http10 ? "\r\nConnection: keep-alive" : ""
        var headLength = statusPrefix.utf8CodeUnitCount &+ decimalLength(status) &+ 1 &+ reason.utf8CodeUnitCount
            &+ datePrefix.utf8CodeUnitCount &+ date.count
            &+ lengthPrefix.utf8CodeUnitCount &+ decimalLength(body.count)
            &+ connection.utf8CodeUnitCount &+ 4
        // Fields are reached by index: the array's iterator hands out a copy
        // (retains and releases) of each one.
        let fields = headers.storage
        for i in fields.indices {
            headLength &+= 4 &+ fields[i].name.utf8.count &+ fields[i].value.utf8.count
        }
        out.reserveCapacity(out.count &+ headLength &+ (omitBody ? 0 : body.count))

        withUnsafeTemporaryAllocation(byteCount: headLength, alignment: 1) { buffer in
            var writer = HeadWriter(buffer)
            writer.write(statusPrefix)
            writer.writeDecimal(status)
            writer.write(byte: UInt8(ascii: " "))
            writer.write(reason)
            writer.write(datePrefix)
            date.withUnsafeBytes { writer.write($0) }
            writer.write(lengthPrefix)
            writer.writeDecimal(body.count)
            writer.write(connection)
            for i in fields.indices {
                writer.write(crlf)
                writer.write(fields[i].name)
                writer.write(colonSpace)
                writer.write(fields[i].value)
            }
            writer.write(crlf)
            writer.write(crlf)
            // The measured length and the bytes written must agree, or the
            // head on the wire would be cut short or carry stale bytes.
            precondition(writer.position == headLength, "response head length miscounted")
            out.append(contentsOf: UnsafeRawBufferPointer(buffer))
        }
        if !omitBody {
            out.append(contentsOf: body)
        }
    }

    private static let statusPrefix: StaticString = "HTTP/1.1 "
    private static let datePrefix: StaticString = "\r\nDate: "
    private static let lengthPrefix: StaticString = "\r\nContent-Length: "
    private static let crlf: StaticString = "\r\n"
    private static let colonSpace: StaticString = ": "

    /// How many decimal digits a non-negative `value` has.
    @inline(__always)
    static func decimalLength(_ value: Int) -> Int {
        var n = 1
        var v = value
        while v >= 10 {
            v /= 10
            n &+= 1
        }
        return n
    }
}

/// Writes a head into a buffer whose size was measured beforehand. Every write
/// checks that it fits (in release builds too: the raw buffer's own subscript
/// checks only in debug builds), so a miscounted length traps instead of
/// writing past the buffer.
private struct HeadWriter {
    let buffer: UnsafeMutableRawBufferPointer
    private(set) var position = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    @inline(__always)
    mutating func write(byte: UInt8) {
        precondition(position < buffer.count, "response head overflows its measured length")
        buffer[position] = byte
        position &+= 1
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        precondition(bytes.count <= buffer.count &- position, "response head overflows its measured length")
        (buffer.baseAddress! + position).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        position &+= bytes.count
    }

    @inline(__always)
    mutating func write(_ s: StaticString) {
        write(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func write(_ s: String) {
        if let done: Void = s.utf8.withContiguousStorageIfAvailable({ write(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        for b in s.utf8 { write(byte: b) }
    }

    /// A non-negative `value` in decimal.
    @inline(__always)
    mutating func writeDecimal(_ value: Int) {
        let n = ResponseEncoder.decimalLength(value)
        precondition(n <= buffer.count &- position, "response head overflows its measured length")
        if value < 10 {
            buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
        } else {
            var v = value
            var i = position &+ n
            while v > 0 {
                i &-= 1
                buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
        }
        position &+= n
    }
}
