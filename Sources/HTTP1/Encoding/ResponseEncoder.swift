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
        out.reserveCapacity(out.count + 160 + headers.count * 48 + (omitBody ? 0 : body.count))
        appendStatic("HTTP/1.1 ", &out)
        appendDecimal(status, &out)
        out.append(UInt8(ascii: " "))
        HTTPStatus.reason(status).withUTF8Buffer { out.append(contentsOf: $0) }
        appendStatic("\r\nDate: ", &out)
        out.append(contentsOf: date)
        appendStatic("\r\nContent-Length: ", &out)
        appendDecimal(body.count, &out)
        if close {
            appendStatic("\r\nConnection: close", &out)
        } else if http10 {
            appendStatic("\r\nConnection: keep-alive", &out)
        }
        for (name, value) in headers {
            appendStatic("\r\n", &out)
            out.append(contentsOf: name.utf8)
            appendStatic(": ", &out)
            out.append(contentsOf: value.utf8)
        }
        appendStatic("\r\n\r\n", &out)
        if !omitBody {
            out.append(contentsOf: body)
        }
    }

    @inline(__always)
    static func appendStatic(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// Appends a non-negative integer in decimal.
    @inline(__always)
    public static func appendDecimal(_ value: Int, _ out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[n] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) {
                out.append(d[i])
            }
        }
    }
}
