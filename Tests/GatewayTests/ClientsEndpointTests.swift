import Foundation
import GatewayTestSupport
import Testing

@testable import Gateway

/// A gateway in front of a FakeDaftra that can misbehave on demand.
final class ClientsHarness: Sendable {
    let fake: FakeDaftra
    let gateway: GatewayFixture

    init(_ extra: [String] = [], behaviour: @escaping FakeDaftra.Responder = FakeDaftra.daftra) throws {
        fake = try FakeDaftra(behaviour)
        gateway = try GatewayFixture([
            "--upstream", fake.upstreamTemplate, "--upstream-timeout", "1s",
            "--upstream-connect-timeout", "500ms",
        ] + extra)
    }

    var port: UInt16 { gateway.port }

    func get(_ path: String, _ headers: [(String, String)] = [("X-Daftra-Subdomain", "acme"), ("Authorization", "Bearer t0k")])
        throws -> RawClient.Response
    {
        try RawClient.get(path, port: port, headers: headers)
    }

    func stop() {
        gateway.stop()
        fake.stop()
    }
}

let acmeBearer: [(String, String)] = [("X-Daftra-Subdomain", "acme"), ("Authorization", "Bearer t0k")]

func problem(_ r: RawClient.Response) throws -> [String: Any] {
    #expect(r.header("Content-Type") == "application/problem+json")
    return try #require(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
}

@Suite("GET /clients/{id}", .serialized)
struct ClientsEndpointTests {
    @Test func answersTheUnwrappedClientByteExact() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        for id in [1, 2, 715] {
            let r = try h.get("/clients/\(id)")
            #expect(r.status == 200)
            #expect(r.text == FakeDaftra.clients[id], "client \(id)")
            #expect(r.header("Content-Type") == "application/json; charset=utf-8")
            #expect(r.header("Cache-Control") == "no-store")
            #expect(r.header("Vary") == "Accept-Encoding")
            #expect(r.header("X-Request-Id") != nil)
        }
    }

    @Test func upstreamRequestCarriesTheContractHeaders() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let r = try h.get("/clients/1", acmeBearer + [("X-Request-Id", "trace-me-1")])
        #expect(r.status == 200)
        let sent = try #require(h.fake.requests.first)
        #expect(sent.target == "/acme/api2/clients/1.json")
        #expect(sent.headers.first("Accept") == "application/json")
        #expect(sent.headers.first("Accept-Encoding") == "gzip")
        #expect(sent.headers.first("Authorization") == "Bearer t0k")
        #expect(sent.headers.first("apikey") == nil)
        #expect(sent.headers.first("User-Agent")?.hasPrefix("daftra-gateway/") == true)
        #expect(sent.headers.first("X-Request-Id") == "trace-me-1")
        #expect(r.header("X-Request-Id") == "trace-me-1")
    }

    @Test func exactlyOneCredentialGoesUpstream() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        // The fake, like Daftra, rejects requests carrying both.
        let both = try h.get("/clients/1", acmeBearer + [("apikey", "k")])
        #expect(both.status == 200)
        let apikeyOnly = try h.get("/clients/1", [("X-Daftra-Subdomain", "acme"), ("apikey", "k")])
        #expect(apikeyOnly.status == 200)
        let sent = h.fake.requests
        #expect(sent.count == 2)
        #expect(sent[0].headers.first("apikey") == nil)
        #expect(sent[1].headers.first("Authorization") == nil)
        #expect(sent[1].headers.first("apikey") == "k")
    }

    static let invalidRequests: [(String, [(String, String)], Int, String)] = [
        ("/clients/abc", acmeBearer, 400, "invalid-client-id"),
        ("/clients/0", acmeBearer, 400, "invalid-client-id"),
        ("/clients/0123", acmeBearer, 400, "invalid-client-id"),
        ("/clients/1234567890123456789", acmeBearer, 400, "invalid-client-id"),
        ("/clients/-5", acmeBearer, 400, "invalid-client-id"),
        ("/clients/1", [("Authorization", "Bearer t")], 400, "missing-subdomain"),
        ("/clients/1", [("X-Daftra-Subdomain", "a_b"), ("Authorization", "Bearer t")], 400, "invalid-subdomain"),
        ("/clients/1", [("X-Daftra-Subdomain", "-ab"), ("Authorization", "Bearer t")], 400, "invalid-subdomain"),
        ("/clients/1", [("X-Daftra-Subdomain", "a.b"), ("Authorization", "Bearer t")], 400, "invalid-subdomain"),
        ("/clients/1", [("X-Daftra-Subdomain", String(repeating: "a", count: 64)), ("Authorization", "Bearer t")], 400, "invalid-subdomain"),
        ("/clients/1?fields=", acmeBearer, 400, "invalid-fields"),
        ("/clients/1?fields=%C3%28", acmeBearer, 400, "invalid-fields"),
        ("/clients/1", [("X-Daftra-Subdomain", "acme")], 401, "missing-credential"),
        ("/clients/1", [("X-Daftra-Subdomain", "acme"), ("Authorization", "Basic abc")], 401, "missing-credential"),
        ("/clients/1", [("X-Daftra-Subdomain", "acme"), ("Authorization", "Bearer ")], 401, "missing-credential"),
    ]

    @Test(arguments: invalidRequests)
    func invalidRequestsNeverReachTheUpstream(path: String, headers: [(String, String)], status: Int, kind: String) throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let r = try h.get(path, headers)
        #expect(r.status == status)
        let p = try problem(r)
        #expect(p["type"] as? String == "urn:daftra-gateway:problem:\(kind)")
        #expect(p["status"] as? Int == status)
        if status == 401 { #expect(r.header("WWW-Authenticate") == "Bearer") }
        #expect(r.header("Vary") == "Accept-Encoding")
        #expect(h.fake.requests.isEmpty)
    }

    @Test func hostUnderTheBaseDomainNamesTheTenant() throws {
        let h = try ClientsHarness(["--base-domain", "gw.example.com"])
        defer { h.stop() }
        // RawClient.get sends its own Host, so these requests are written out whole.
        let c = try RawClient(port: h.port)
        try c.send("GET /clients/1 HTTP/1.1\r\nHost: Acme.gw.example.com:8080\r\nAuthorization: Bearer t\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        #expect(h.fake.requests.last?.target == "/acme/api2/clients/1.json")
        #expect(h.fake.requests.count == 1)
        // A Host outside the base domain names no tenant: 400, and nothing goes upstream.
        let other = try RawClient(port: h.port)
        try other.send("GET /clients/1 HTTP/1.1\r\nHost: elsewhere.example.org\r\nAuthorization: Bearer t\r\n\r\n")
        let outside = try other.readResponse()
        #expect(outside.status == 400)
        #expect(try problem(outside)["type"] as? String == "urn:daftra-gateway:problem:missing-subdomain")
        // The look-alike suffix without the dot is outside too.
        let lookalike = try RawClient(port: h.port)
        try lookalike.send("GET /clients/1 HTTP/1.1\r\nHost: acmegw.example.com\r\nAuthorization: Bearer t\r\n\r\n")
        let r = try lookalike.readResponse()
        #expect(r.status == 400)
        #expect(try problem(r)["type"] as? String == "urn:daftra-gateway:problem:missing-subdomain")
        #expect(h.fake.requests.count == 1, "\(h.fake.requests.map(\.target))")
    }

    static let upstreamStatuses: [(Int, Int, String)] = [
        (401, 401, "upstream-unauthorized"), (403, 403, "upstream-forbidden"), (404, 404, "client-not-found"),
        (429, 429, "upstream-rate-limited"), (500, 502, "upstream-failed"), (503, 502, "upstream-failed"),
        (400, 502, "upstream-invalid-response"), (302, 502, "upstream-invalid-response"),
    ]

    @Test(arguments: upstreamStatuses)
    func upstreamStatusesMapToTheErrorTable(upstream: Int, status: Int, kind: String) throws {
        let secret = #"{"result":"failed","code":\#(upstream),"message":"SECRET-UPSTREAM-TEXT"}"#
        let h = try ClientsHarness { _ in .json(status: upstream, body: Array(secret.utf8), headers: [("Retry-After", "7")]) }
        defer { h.stop() }
        let r = try h.get("/clients/1")
        #expect(r.status == status)
        let p = try problem(r)
        #expect(p["type"] as? String == "urn:daftra-gateway:problem:\(kind)")
        #expect(!r.text.contains("SECRET-UPSTREAM-TEXT"), "no upstream body reaches the caller")
        if status == 429 { #expect(r.header("Retry-After") == "7") }
        if status == 401 { #expect(r.header("WWW-Authenticate") == "Bearer") }
    }

    /// A refusal's body is never shown, so a broken or unknown coding on it must
    /// not turn the refusal into a 502: the status decides.
    @Test(arguments: [("gzip", 404, 404), ("gzip", 401, 401), ("br", 429, 429), ("gzip", 403, 403)])
    func upstreamRefusalsWithUndecodableBodiesKeepTheirStatus(coding: String, upstream: Int, status: Int) throws {
        let body = "not \(coding) at all"
        let raw = "HTTP/1.1 \(upstream) Refused\r\nContent-Encoding: \(coding)\r\nRetry-After: 3\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let h = try ClientsHarness { _ in .raw(Array(raw.utf8), thenClose: false) }
        defer { h.stop() }
        let r = try h.get("/clients/1")
        #expect(r.status == status)
        #expect(!r.text.contains("at all"))
        if status == 401 { #expect(r.header("WWW-Authenticate") == "Bearer") }
        if status == 429 { #expect(r.header("Retry-After") == "3") }
    }

    @Test func upstream429WithoutRetryAfterStillSaysWhen() throws {
        let h = try ClientsHarness { _ in .json(status: 429, body: Array("{}".utf8)) }
        defer { h.stop() }
        let r = try h.get("/clients/1")
        #expect(r.status == 429)
        #expect(r.header("Retry-After") == "1")
    }

    static let brokenUpstreams: [(String, FakeDaftra.Behaviour)] = [
        ("malformed JSON", .json(status: 200, body: Array(#"{"code":200,"data":{"Client":{"id":1,}}}"#.utf8))),
        ("no data.Client", .json(status: 200, body: Array(#"{"code":200,"result":"successful","data":[]}"#.utf8))),
        ("reset mid-body", .resetMidBody(status: 200, declaredLength: 500, sendBytes: Array(#"{"code":200,"data":{"Cli"#.utf8))),
        ("garbage", .raw(Array("NOT HTTP AT ALL\r\n\r\n".utf8), thenClose: true)),
    ]

    // Not a parameterised case: the testing library would render a 20 MiB argument.
    @Test func bodiesOver8MiBAre502() throws {
        let huge = FakeDaftra.envelope(client: #"{"id":1,"notes":""# + String(repeating: "x", count: 20 << 20) + #""}"#)
        let h = try ClientsHarness { _ in .json(status: 200, body: huge) }
        defer { h.stop() }
        let r = try h.get("/clients/1")
        #expect(r.status == 502)
        #expect(try problem(r)["type"] as? String == "urn:daftra-gateway:problem:upstream-invalid-response")
        #expect(try RawClient.get("/livez", port: h.port).status == 200)
    }

    @Test(arguments: brokenUpstreams)
    func brokenUpstreamsAre502(name: String, behaviour: FakeDaftra.Behaviour) throws {
        let h = try ClientsHarness { _ in behaviour }
        defer { h.stop() }
        let r = try h.get("/clients/1")
        #expect(r.status == 502, "\(name)")
        _ = try problem(r)
        // The gateway stays healthy.
        #expect(try RawClient.get("/livez", port: h.port).status == 200)
    }

    /// A reset arriving with the answer's first bytes must be seen at once (502),
    /// not after the upstream timeout (504): libdispatch may deliver such an
    /// event once and drop the fd, so the channel has to read on to the reset.
    /// The fake sends the bytes and resets with no pause, so on loopback both are
    /// queued at the gateway before it reads (scripts/abuse.py's upstream
    /// scenario, which found the bug, does the same under load).
    @Test func resetsArrivingWithTheAnswerAreSeenAtOnce() throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
        let h = try ClientsHarness { _ in .resetRightAfter(Array((head + #"{"code":200,"data":{"Client":{"id":1"#).utf8)) }
        defer { h.stop() }
        var statuses: [Int] = []
        for _ in 0..<30 { statuses.append(try h.get("/clients/1").status) }
        #expect(statuses.allSatisfy { $0 == 502 }, "\(statuses)")
        #expect(h.fake.requests.count >= 30)
    }

    @Test func anAnswerForACallerThatResetIsLoggedAs499() async throws {
        let h = try ClientsHarness { request in .delay(0.3, then: FakeDaftra.daftra(request)) }
        defer { h.stop() }
        do {
            let client = try RawClient(port: h.port)
            try client.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\nX-Daftra-Subdomain: acme\r\nAuthorization: Bearer t0k\r\nX-Request-Id: reset-1\r\n\r\n")
            #expect(await eventually { h.fake.requests.count == 1 })
            // The caller gives up with a reset while the upstream is still answering.
            var hard = linger(l_onoff: 1, l_linger: 0)
            #expect(setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &hard, socklen_t(MemoryLayout<linger>.size)) == 0)
        }  // closed here
        let logged = { () -> [String: Any]? in
            // Read only once something is written: Foundation's String(contentsOfFile:)
            // leaks its 4 KB buffer on an empty file (LeakSanitizer caught it here).
            var info = stat()
            guard stat(h.gateway.logPath, &info) == 0, info.st_size > 0 else { return nil }
            return (try? h.gateway.logLines())?.first { $0["request_id"] as? String == "reset-1" }
        }
        #expect(await eventually { logged() != nil })
        let line = try #require(logged())
        // The upstream answered (its status is kept), but nobody received the 200.
        #expect(line["upstream_status"] as? Int == 200)
        #expect(line["status"] as? Int == RequestExchange.callerClosedStatus)
        #expect(line["bytes"] as? Int == 0)
        // A caller that stays gets its answer as before.
        #expect(try h.get("/clients/1").status == 200)
    }

    @Test func unreachableUpstreamIs502() throws {
        let h = try ClientsHarness()
        let deadPort = h.fake.port
        h.fake.stop()
        defer { h.gateway.stop() }
        let g = try GatewayFixture(["--upstream", "http://127.0.0.1:\(deadPort)/{subdomain}/api2"])
        defer { g.stop() }
        let r = try RawClient.get("/clients/1", port: g.port, headers: acmeBearer)
        #expect(r.status == 502)
        #expect(try problem(r)["type"] as? String == "urn:daftra-gateway:problem:upstream-unreachable")
    }

    @Test func hangingUpstreamIs504WithinTheTimeout() throws {
        let h = try ClientsHarness { _ in .hang }
        defer { h.stop() }
        let start = Date()
        let r = try h.get("/clients/1")
        let waited = Date().timeIntervalSince(start)
        #expect(r.status == 504)
        #expect(waited >= 0.9 && waited < 5, "waited \(waited)s for a 1s timeout")
    }

    static let framings: [(String, FakeDaftra.Behaviour)] = {
        let body = FakeDaftra.envelope(client: FakeDaftra.clients[715]!)
        return [
            ("chunked", .chunked(status: 200, body: body, chunkSize: 7, extensionsAndTrailers: true)),
            ("gzip", .gzip(status: 200, body: body)),
            ("gzip chunked", .gzip(status: 200, body: body, chunked: true)),
            ("close-delimited", .closeDelimited(status: 200, body: body)),
            ("100 then answer", .interim100(then: .json(status: 200, body: body))),
        ]
    }()

    @Test(arguments: framings)
    func everyUpstreamFramingGivesTheSameBytes(name: String, behaviour: FakeDaftra.Behaviour) throws {
        let h = try ClientsHarness { _ in behaviour }
        defer { h.stop() }
        let r = try h.get("/clients/715")
        #expect(r.status == 200, "\(name)")
        #expect(r.text == FakeDaftra.clients[715], "\(name)")
    }

    @Test func byteExactValues() throws {
        let client = #"{"id":7,"a":1.50,"b":1e3,"c":-0,"d":"\u00e9\ud83d\ude00\"\\\/","e":"é😀","f":{"g":[1,{"h":null}],"i":true},"j":0,"k":"1"}"#
        let h = try ClientsHarness { _ in .json(status: 200, body: FakeDaftra.envelope(client: client)) }
        defer { h.stop() }
        #expect(try h.get("/clients/7").text == client)
        #expect(try h.get("/clients/7?fields=d,a").text == #"{"a":1.50,"d":"\u00e9\ud83d\ude00\"\\\/"}"#)
    }

    @Test func fieldsProjectionRules() throws {
        let client = #"{"id":7,"email":"e@x","business_name":"B","extra_key":{"z":1}}"#
        let h = try ClientsHarness { _ in .json(status: 200, body: FakeDaftra.envelope(client: client)) }
        defer { h.stop() }
        // Upstream order, not request order; names trimmed; duplicates fine.
        #expect(try h.get("/clients/7?fields=email,id").text == #"{"id":7,"email":"e@x"}"#)
        #expect(try h.get("/clients/7?fields=%20email%20,email,id").text == #"{"id":7,"email":"e@x"}"#)
        // Unknown members pass through and can be asked for.
        #expect(try h.get("/clients/7?fields=extra_key").text == #"{"extra_key":{"z":1}}"#)
        // A documented field absent upstream is omitted.
        #expect(try h.get("/clients/7?fields=id,city").text == #"{"id":7}"#)
        // fields given twice names the union, still in upstream order.
        #expect(try h.get("/clients/7?fields=extra_key&fields=id").text == #"{"id":7,"extra_key":{"z":1}}"#)
        // An escaped unreserved character in the parameter's name is that character.
        #expect(try h.get("/clients/7?f%69elds=id").text == #"{"id":7}"#)
        // A name neither documented nor present is a 400 naming it.
        let bad = try h.get("/clients/7?fields=id,nosuch,other")
        #expect(bad.status == 400)
        let detail = try problem(bad)["detail"] as? String ?? ""
        #expect(detail.contains("nosuch") && detail.contains("other"))
    }

    /// Each loop keeps the last `fields` value it parsed: on one loop, a repeated
    /// value must give what parsing it gives, a different one (even one that
    /// decodes to the same names) must be parsed, and checks that depend on the
    /// client, not on the value, must still run for every request.
    @Test func aRepeatedFieldsValueActsAsIfParsedAgain() throws {
        let withExtra = #"{"id":7,"email":"e@x","extra_key":{"z":1}}"#
        let withoutExtra = #"{"id":8,"email":"f@x"}"#
        let h = try ClientsHarness(["--loops", "1"]) { request in
            .json(status: 200, body: FakeDaftra.envelope(client: request.clientID == 7 ? withExtra : withoutExtra))
        }
        defer { h.stop() }
        let steps: [(path: String, status: Int, body: String?)] = [
            ("/clients/7?fields=extra_key", 200, #"{"extra_key":{"z":1}}"#),
            // The same value, but the member is neither documented nor present here.
            ("/clients/8?fields=extra_key", 400, nil),
            ("/clients/7?fields=extra_key", 200, #"{"extra_key":{"z":1}}"#),
            ("/clients/7?fields=id", 200, #"{"id":7}"#),
            ("/clients/7?fields=id%2Cemail", 200, #"{"id":7,"email":"e@x"}"#),
            ("/clients/8?fields=id,email", 200, #"{"id":8,"email":"f@x"}"#),
            ("/clients/8?fields=id,email", 200, #"{"id":8,"email":"f@x"}"#),
            // A bad value after a good one is still refused, and does not replace it.
            ("/clients/8?fields=id,%C3%28", 400, nil),
            ("/clients/8?fields=id,email", 200, #"{"id":8,"email":"f@x"}"#),
            ("/clients/8?fields=id", 200, #"{"id":8}"#),
            ("/clients/8", 200, withoutExtra),
            ("/clients/8?fields=id&fields=email", 200, #"{"id":8,"email":"f@x"}"#),
            ("/clients/8?fields=id", 200, #"{"id":8}"#),
        ]
        for step in steps {
            let r = try h.get(step.path)
            #expect(r.status == step.status, "\(step.path)")
            if let body = step.body {
                #expect(r.text == body, "\(step.path)")
            } else {
                #expect(try problem(r)["type"] as? String == "urn:daftra-gateway:problem:invalid-fields", "\(step.path)")
            }
        }
    }

    static let encodings: [(String?, Bool)] = [
        ("gzip", true), ("GZIP", true), ("x-gzip", true), ("*", true), ("gzip;q=0", false), ("identity", false),
        ("br, deflate", false), ("gzip;q=0.5, identity;q=0.9", false), ("deflate, gzip;q=0.1", true), (nil, false),
    ]

    @Test(arguments: encodings)
    func gzipNegotiation(acceptEncoding: String?, gzipped: Bool) throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        var headers = acmeBearer
        if let acceptEncoding { headers.append(("Accept-Encoding", acceptEncoding)) }
        let r = try h.get("/clients/715", headers)
        #expect(r.status == 200)
        #expect(r.header("Vary") == "Accept-Encoding")
        #expect((r.header("Content-Encoding") == "gzip") == gzipped)
        if gzipped {
            #expect(gunzip(r.body) == FakeDaftra.clients[715])
        } else {
            #expect(r.text == FakeDaftra.clients[715])
        }
    }

    @Test func smallAnswersAreNotCompressed() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let r = try h.get("/clients/1?fields=id", acmeBearer + [("Accept-Encoding", "gzip")])
        #expect(r.header("Content-Encoding") == nil)
        #expect(r.text == #"{"id":1}"#)
    }

    /// Refusing identity makes gzip the only form: even a small answer is compressed.
    @Test func smallAnswersAreCompressedWhenIdentityIsRefused() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let r = try h.get("/clients/1?fields=id", acmeBearer + [("Accept-Encoding", "gzip, identity;q=0")])
        #expect(r.status == 200)
        #expect(r.header("Content-Encoding") == "gzip")
        #expect(gunzip(r.body) == #"{"id":1}"#)
    }

    /// Refusing both codings the endpoint has is a 406, and nothing goes upstream.
    @Test(arguments: ["identity;q=0", "*;q=0", "gzip;q=0, identity;q=0", "br, identity;q=0"])
    func refusingEveryCodingIs406(acceptEncoding: String) throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let r = try h.get("/clients/715", acmeBearer + [("Accept-Encoding", acceptEncoding)])
        #expect(r.status == 406)
        #expect(r.header("Vary") == "Accept-Encoding")
        #expect(try problem(r)["type"] as? String == "urn:daftra-gateway:problem:not-acceptable")
        #expect(h.fake.requests.isEmpty)
    }

    @Test func sequentialRequestsReuseOneUpstreamConnection() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let c = try RawClient(port: h.port)
        for _ in 0..<20 {
            try c.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\nX-Daftra-Subdomain: acme\r\nAuthorization: Bearer t\r\n\r\n")
            #expect(try c.readResponse().status == 200)
        }
        #expect(h.fake.requests.count == 20)
        #expect(h.fake.connectionCount == 1)
    }

    @Test func aReusedConnectionClosedByTheUpstreamIsRetriedOnce() throws {
        let h = try ClientsHarness { request in
            // The second request on the first connection meets a closed keep-alive connection.
            request.connection == 1 && request.index == 1 ? .closeWithoutAnswer : FakeDaftra.daftra(request)
        }
        defer { h.stop() }
        let c = try RawClient(port: h.port)
        for _ in 0..<2 {
            try c.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\nX-Daftra-Subdomain: acme\r\nAuthorization: Bearer t\r\n\r\n")
            #expect(try c.readResponse().status == 200)
        }
        #expect(h.fake.connectionCount == 2)
    }

    @Test func headAnswersWithoutBody() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let c = try RawClient(port: h.port)
        try c.send("HEAD /clients/1 HTTP/1.1\r\nHost: x\r\nX-Daftra-Subdomain: acme\r\nAuthorization: Bearer t\r\n\r\n")
        let r = try c.readResponse(head: true)
        #expect(r.status == 200)
        #expect(r.body.isEmpty)
        #expect(Int(r.header("Content-Length") ?? "") == FakeDaftra.clients[1]!.utf8.count)
    }

    @Test func logsCarryTheRequestAndNeverACredential() throws {
        // The upstream takes at least 200 ms: upstream_ms must show it.
        let h = try ClientsHarness { request in .delay(0.2, then: FakeDaftra.daftra(request)) }
        defer { h.stop() }
        let first = try h.get("/clients/715?fields=id", [
            ("X-Daftra-Subdomain", "acme"), ("Authorization", "Bearer SUPER-SECRET-TOKEN"),
            ("apikey", "ANOTHER-SECRET-KEY"), ("Accept-Encoding", "gzip"),
        ])
        let last = try h.get("/clients/715", [("X-Daftra-Subdomain", "acme"), ("apikey", "ANOTHER-SECRET-KEY"),
                                              ("Accept-Encoding", "gzip")])
        #expect(first.status == 200 && last.status == 200)
        // logLines() flushes the sink first, so the file holds every line written.
        let lines = try h.gateway.logLines().filter { $0["msg"] as? String == "request" }
        let text = try String(contentsOfFile: h.gateway.logPath, encoding: .utf8)
        #expect(!text.contains("SUPER-SECRET-TOKEN"))
        #expect(!text.contains("ANOTHER-SECRET-KEY"))
        // The check above covered the last request: its line is in the file.
        #expect(lines.count == 2)
        #expect(lines.map { $0["request_id"] as? String } == [first.header("X-Request-Id"), last.header("X-Request-Id")])
        #expect(lines[0]["tenant"] as? String == "acme")
        #expect(lines[0]["upstream_status"] as? Int == 200)
        for line in lines {
            let upstreamMS = jsonNumber(line["upstream_ms"]) ?? -1
            let durationMS = jsonNumber(line["duration_ms"]) ?? -1
            #expect(upstreamMS >= 190 && upstreamMS < 5_000, "upstream_ms \(upstreamMS) for a 200 ms upstream")
            #expect(durationMS >= upstreamMS, "duration_ms \(durationMS) includes upstream_ms \(upstreamMS)")
        }
        #expect(lines[0]["gzip"] as? Bool == false)
        #expect(lines[1]["gzip"] as? Bool == true)
        #expect(lines[0]["path"] as? String == "/clients/715")
    }
}

/// A JSON number as JSONSerialization hands it back (an integer or not).
func jsonNumber(_ value: Any?) -> Double? {
    if let d = value as? Double { return d }
    if let i = value as? Int { return Double(i) }
    return nil
}

/// Decompresses a gzip member with the system's gzip.
func gunzip(_ bytes: [UInt8]) -> String? {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID().uuidString).gz")
    defer { try? FileManager.default.removeItem(at: url) }
    guard (try? Data(bytes).write(to: url)) != nil else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc", url.path]
    let out = Pipe()
    process.standardOutput = out
    guard (try? process.run()) != nil else { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}
