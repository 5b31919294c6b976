import EventLoop
import HTTP1
import HTTPServer

/// Answers as Daftra would for the one demo account: `GET
/// /demo/api2/clients/{id}.json` with exactly one valid credential.
///
/// Checks go in Daftra's order: the endpoint (404 "Invalid Endpoint"), then the
/// credential (401 "Unauthorized", also when both `Authorization` and `apikey`
/// are sent), then the record (404 "Item not found"). Answers are identity
/// encoded; every body is built once.
struct DemoHandler: HTTPHandler {
    /// The path prefix of the demo account's clients.
    private static let clientsPrefix: [UInt8] = Array("/\(DemoUpstream.subdomain)/api2/clients/".utf8)
    private static let jsonSuffix: [UInt8] = Array(".json".utf8)

    /// The success envelope of each sample client, built once.
    private static let envelopes: [Int: [UInt8]] = DemoClients.clients.mapValues(envelope(client:))

    private static let invalidEndpoint = failure(404, "Invalid Endpoint")
    private static let itemNotFound = failure(404, "Item not found")
    private static let unauthorized = failure(401, "Unauthorized")
    private static let methodNotAllowed: HTTPResponse = {
        var response = failure(405, "Method Not Allowed")
        response.headers.add(name: "Allow", value: "GET, HEAD")
        return response
    }()

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        responder.respond(Self.answer(to: request.head))
    }

    func rejection(for error: HTTPParseError, remote: SocketAddress?, receivedAt: UInt64) -> HTTPResponse {
        Self.failure(error.status, error.reason)
    }

    /// The answer to `head`; pure, so tests can call it without a socket.
    static func answer(to head: HTTPRequestHead) -> HTTPResponse {
        guard let id = clientID(in: head.target) else { return invalidEndpoint }
        guard head.method == "GET" || head.method == "HEAD" else { return methodNotAllowed }
        guard isAuthorized(head.headers) else { return unauthorized }
        guard let body = envelopes[id] else { return itemNotFound }
        return json(200, body)
    }

    /// The `{id}` of `/demo/api2/clients/{id}[.json][?query]`: 1 to 18 digits.
    static func clientID(in target: String) -> Int? {
        var target = target
        return target.withUTF8 { bytes -> Int? in
            var end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
            guard end > clientsPrefix.count, bytes.starts(with: clientsPrefix) else { return nil }
            if end - clientsPrefix.count > jsonSuffix.count,
               bytes[(end - jsonSuffix.count)..<end].elementsEqual(jsonSuffix) {
                end -= jsonSuffix.count
            }
            let digits = bytes[clientsPrefix.count..<end]
            guard (1...18).contains(digits.count) else { return nil }
            var id = 0
            for byte in digits {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                id = id * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return id
        }
    }

    /// Exactly one credential, and it is the demo token. Daftra refuses a
    /// request that carries both kinds even when either alone would pass.
    static func isAuthorized(_ headers: HTTPHeaders) -> Bool {
        let bearers = headers.values("Authorization")
        let keys = headers.values("apikey")
        guard bearers.count + keys.count == 1 else { return false }
        if let key = keys.first { return key == DemoUpstream.token }
        let value = bearers[0]
        guard let space = value.firstIndex(of: " ") else { return false }
        let scheme = value[..<space]
        let token = value[space...].drop { $0 == " " }
        return scheme.lowercased() == "bearer" && token == DemoUpstream.token
    }

    /// `{"code":200,"result":"successful","data":{"Client":<client>}}`.
    static func envelope(client: String) -> [UInt8] {
        Array(#"{"code":200,"result":"successful","data":{"Client":"#.utf8) + Array(client.utf8) + Array("}}".utf8)
    }

    /// Daftra's error body, `{"result":"failed","code":<status>,"message":"..."}`.
    static func failure(_ status: Int, _ message: String) -> HTTPResponse {
        json(status, Array(#"{"result":"failed","code":\#(status),"message":"\#(message)"}"#.utf8))
    }

    private static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=UTF-8")
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
