import HTTP1
import Testing

/// Common methods and field names come back as literals instead of being
/// decoded; the strings must be exactly those decoding would give, case
/// included (``HTTPHeaders`` equality ignores the case of names, so these
/// tests compare the bytes).
@Suite struct CommonStringsTests {
    static func head(_ message: String) -> HTTPRequestHead? {
        var decoder = HTTPRequestDecoder()
        let bytes = message.bytes
        let event = bytes.withUnsafeBytes { try? decoder.decode($0).event }
        guard case .head(let head)? = event else { return nil }
        return head
    }

    @Test(arguments: ["GET", "PUT", "POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "get", "Get", "GETS", "GE",
                      "POSTS", "PURGE", "OPTION", "DELETES", "M-SEARCH", "X"])
    func methodIsKeptAsSent(method: String) {
        let target = method == "OPTIONS" ? "*" : "/"
        let head = Self.head("\(method) \(target) HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(head.map { Array($0.method.utf8) } == Array(method.utf8))
    }

    static let names = [
        "Host", "host", "HOST", "hosT", "Hos", "Hostx", "Date", "ETag", "Etag", "Vary", "Accept", "accept", "Server",
        "Cookie", "User-Agent", "user-agent", "Connection", "connection", "traceparent", "Traceparent",
        "Content-Type", "content-type", "X-Request-Id", "X-Request-ID", "Authorization", "Cache-Control",
        "Accept-Ranges", "Last-Modified", "Content-Length", "Accept-Encoding", "Accept-Language",
        "Content-Encoding", "Transfer-Encoding", "X-Other", "X-Daftra-Subdomain",
    ]

    @Test func fieldNamesAreKeptAsSent() {
        for name in Self.names {
            let value: String
            switch name.lowercased() {
            case "host": value = "h"
            case "content-length": value = "0"
            case "transfer-encoding": value = "chunked"
            case "connection": value = "keep-alive"
            default: value = "v"
            }
            let host = name.lowercased() == "host" ? "" : "Host: h\r\n"
            let head = Self.head("POST / HTTP/1.1\r\n\(host)\(name): \(value)\r\n\r\n")
            let field = head?.headers.first { $0.name.lowercased() == name.lowercased() }
            #expect(field.map { Array($0.name.utf8) } == Array(name.utf8), "\(name)")
            #expect(field?.value == value, "\(name)")
        }
    }

    @Test func valuesWithObsTextDecodeExactly() {
        // UTF-8 beyond ASCII in values of common and uncommon fields alike.
        let head = Self.head(
            "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: caf\u{e9} \u{1F600}\r\nX-Name: \u{c4}pfel\r\n\r\n")
        #expect(head?.headers.first("user-agent").map { Array($0.utf8) } == Array("caf\u{e9} \u{1F600}".utf8))
        #expect(head?.headers.first("x-name").map { Array($0.utf8) } == Array("\u{c4}pfel".utf8))
        // obs-text that is not UTF-8 is still refused.
        var decoder = HTTPRequestDecoder()
        let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a".utf8) + [0xFF] + Array("\r\n\r\n".utf8)
        let status = bytes.withUnsafeBytes { raw -> Int? in
            do {
                _ = try decoder.decode(raw)
                return nil
            } catch {
                return (error as? HTTPParseError)?.status
            }
        }
        #expect(status == 400)
    }
}
