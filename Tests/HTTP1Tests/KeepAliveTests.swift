import HTTP1
import Testing

/// RFC 9112 §9.3: whether a connection persists after a message.
@Suite struct KeepAliveTests {
    @Test(arguments: [
        ("HTTP/1.1", "", true),
        ("HTTP/1.1", "Connection: close\r\n", false),
        ("HTTP/1.1", "Connection: CLOSE\r\n", false),
        ("HTTP/1.1", "Connection: keep-alive, Close\r\n", false),
        ("HTTP/1.1", "Connection: upgrade\r\nConnection: close\r\n", false),
        ("HTTP/1.1", "Connection: closed\r\n", true),
        ("HTTP/1.1", "Connection: keep-alive\r\n", true),
        ("HTTP/1.0", "", false),
        ("HTTP/1.0", "Connection: keep-alive\r\n", true),
        ("HTTP/1.0", "Connection: Keep-Alive\r\n", true),
        ("HTTP/1.0", "Connection: te, keep-alive\r\n", true),
        ("HTTP/1.0", "Connection: keep-alive, close\r\n", false),
        ("HTTP/1.0", "Keep-Alive: timeout=5\r\n", false),
    ])
    func request(version: String, fields: String, keepAlive: Bool) {
        let outcome = decodeRequests("GET / \(version)\r\nHost: h\r\n\(fields)\r\n")
        guard case .head(let head) = outcome.items.first else {
            Issue.record("rejected: \(String(describing: outcome.error))")
            return
        }
        #expect(head.keepAlive == keepAlive)
    }

    @Test(arguments: [
        ("HTTP/1.1", "Content-Length: 0\r\n", true),
        ("HTTP/1.1", "Content-Length: 0\r\nConnection: close\r\n", false),
        ("HTTP/1.0", "Content-Length: 0\r\n", false),
        ("HTTP/1.0", "Content-Length: 0\r\nConnection: keep-alive\r\n", true),
        ("HTTP/1.1", "Transfer-Encoding: chunked\r\n", true),
        ("HTTP/1.1", "", false),
        ("HTTP/1.0", "Connection: keep-alive\r\n", false),
    ])
    func response(version: String, fields: String, keepAlive: Bool) {
        let outcome = decodeResponses(["\(version) 200 OK\r\n\(fields)\r\n".bytes])
        guard case .head(let head) = outcome.items.first else {
            Issue.record("rejected: \(String(describing: outcome.error))")
            return
        }
        #expect(head.keepAlive == keepAlive, "a close-delimited body always ends the connection")
    }
}
