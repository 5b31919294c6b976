/// Methods and field names that arrive in nearly every message, returned as
/// string literals instead of being decoded: a literal costs nothing to make
/// or release, while decoding validates the bytes and, past 15 bytes,
/// allocates. Matching is exact, case included, so the result is the same
/// String that decoding would give; anything else is decoded as before.
enum CommonStrings {
    /// The methods of RFC 9110 §9 and PATCH.
    static func method(_ bytes: UnsafeRawBufferPointer) -> String? {
        switch bytes.count {
        case 3:
            if ASCII.equals(bytes, "GET") { return "GET" }
            if ASCII.equals(bytes, "PUT") { return "PUT" }
        case 4:
            if ASCII.equals(bytes, "POST") { return "POST" }
            if ASCII.equals(bytes, "HEAD") { return "HEAD" }
        case 5:
            if ASCII.equals(bytes, "PATCH") { return "PATCH" }
        case 6:
            if ASCII.equals(bytes, "DELETE") { return "DELETE" }
        case 7:
            if ASCII.equals(bytes, "OPTIONS") { return "OPTIONS" }
        default:
            break
        }
        return nil
    }

    /// The reason phrase of nearly every upstream answer.
    static func reasonPhrase(_ bytes: UnsafeRawBufferPointer) -> String? {
        ASCII.equals(bytes, "OK") ? "OK" : nil
    }

    /// Field names as common clients and servers (curl, browsers, nginx)
    /// spell them, requests and responses alike.
    static func fieldName(_ bytes: UnsafeRawBufferPointer) -> String? {
        switch bytes.count {
        case 4:
            if ASCII.equals(bytes, "Host") { return "Host" }
            if ASCII.equals(bytes, "Date") { return "Date" }
            if ASCII.equals(bytes, "ETag") { return "ETag" }
            if ASCII.equals(bytes, "Vary") { return "Vary" }
        case 6:
            if ASCII.equals(bytes, "Accept") { return "Accept" }
            if ASCII.equals(bytes, "Server") { return "Server" }
            if ASCII.equals(bytes, "Cookie") { return "Cookie" }
        case 10:
            if ASCII.equals(bytes, "User-Agent") { return "User-Agent" }
            if ASCII.equals(bytes, "Connection") { return "Connection" }
        case 11:
            if ASCII.equals(bytes, "traceparent") { return "traceparent" }
        case 12:
            if ASCII.equals(bytes, "Content-Type") { return "Content-Type" }
            if ASCII.equals(bytes, "X-Request-Id") { return "X-Request-Id" }
        case 13:
            if ASCII.equals(bytes, "Authorization") { return "Authorization" }
            if ASCII.equals(bytes, "Cache-Control") { return "Cache-Control" }
            if ASCII.equals(bytes, "Accept-Ranges") { return "Accept-Ranges" }
            if ASCII.equals(bytes, "Last-Modified") { return "Last-Modified" }
        case 14:
            if ASCII.equals(bytes, "Content-Length") { return "Content-Length" }
        case 15:
            if ASCII.equals(bytes, "Accept-Encoding") { return "Accept-Encoding" }
            if ASCII.equals(bytes, "Accept-Language") { return "Accept-Language" }
        case 16:
            if ASCII.equals(bytes, "Content-Encoding") { return "Content-Encoding" }
        case 17:
            if ASCII.equals(bytes, "Transfer-Encoding") { return "Transfer-Encoding" }
        default:
            break
        }
        return nil
    }
}
