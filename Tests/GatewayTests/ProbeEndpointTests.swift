import Foundation
import GatewayTestSupport
import Testing

@testable import Gateway

@Suite("probes, 404 and 405", .serialized)
struct ProbeEndpointTests {
    @Test(arguments: ["/livez", "/healthz"])
    func livenessAnswersOK(path: String) throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let r = try RawClient.get(path, port: g.port)
        #expect(r.status == 200)
        #expect(r.text == #"{"status":"ok"}"#)
        #expect(r.header("Content-Type") == "application/json")
    }

    @Test func readinessFollowsTheServiceState() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        #expect(try RawClient.get("/readyz", port: g.port).status == 200)
        g.app.state.set(.draining)
        let draining = try RawClient.get("/readyz", port: g.port)
        #expect(draining.status == 503)
        #expect(draining.text == #"{"status":"draining"}"#)
        // Liveness does not depend on readiness.
        #expect(try RawClient.get("/livez", port: g.port).status == 200)
        g.app.state.set(.starting)
        #expect(try RawClient.get("/readyz", port: g.port).text == #"{"status":"starting"}"#)
    }

    @Test func headOnAProbeHasNoBody() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let c = try RawClient(port: g.port)
        try c.send("HEAD /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse(head: true)
        #expect(r.status == 200)
        #expect(r.body.isEmpty)
        #expect(r.header("Content-Length") == "15")
    }

    @Test func unknownPathIs404ProblemJSON() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let r = try RawClient.get("/nope", port: g.port, headers: [("X-Request-Id", "abc-123")])
        #expect(r.status == 404)
        #expect(r.header("Content-Type") == "application/problem+json")
        #expect(r.header("X-Request-Id") == "abc-123")
        let problem = try #require(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        #expect(problem["status"] as? Int == 404)
        #expect(problem["request_id"] as? String == "abc-123")
        #expect((problem["type"] as? String)?.hasPrefix("urn:daftra-gateway:problem:") == true)
        #expect(problem["title"] is String)
        #expect(problem["detail"] is String)
    }

    @Test func wrongMethodIs405WithAllow() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let c = try RawClient(port: g.port)
        try c.send("DELETE /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 405)
        #expect(r.header("Allow") == "GET, HEAD")
        #expect(r.header("Content-Type") == "application/problem+json")
    }

    @Test(arguments: ["", "x y", String(repeating: "a", count: 129), "caf\u{e9}"])
    func unacceptableRequestIDsAreReplaced(id: String) throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let c = try RawClient(port: g.port)
        try c.send(Array("GET /livez HTTP/1.1\r\nHost: x\r\nX-Request-Id: \(id)\r\n\r\n".utf8))
        let r = try c.readResponse()
        let echoed = try #require(r.header("X-Request-Id"))
        #expect(echoed != id)
        #expect(echoed.count == 32)
    }

    @Test func codecRejectionsAreProblemJSONAndLogged() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let c = try RawClient(port: g.port)
        try c.send("GET /livez HTTP/1.1\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 400)
        #expect(r.header("Content-Type") == "application/problem+json")
        let lines = try g.logLines()
        #expect(lines.contains { $0["status"] as? Int == 400 && $0["msg"] as? String == "request" })
    }

    @Test func everyRequestLogsOneLineWithTheContractFields() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        _ = try RawClient.get("/livez?x=1", port: g.port, headers: [("X-Request-Id", "req-1")])
        let lines = try g.logLines().filter { $0["msg"] as? String == "request" }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        for key in ["ts", "level", "msg", "request_id", "tenant", "method", "path", "status", "bytes",
                    "duration_ms", "upstream_status", "upstream_ms", "gzip", "remote"] {
            #expect(line[key] != nil, "missing \(key)")
        }
        #expect(line["path"] as? String == "/livez")
        #expect(line["request_id"] as? String == "req-1")
        #expect(line["status"] as? Int == 200)
        #expect(line["bytes"] as? Int == 15)
        #expect(line["remote"] as? String == "127.0.0.1")
        #expect(line["tenant"] is NSNull)
    }
}
