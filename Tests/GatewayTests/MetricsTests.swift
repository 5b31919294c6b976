import Foundation
import GatewayTestSupport
import Testing

@testable import Gateway

@Suite("metrics and tracing", .serialized)
struct MetricsTests {
    func scrape(_ port: UInt16) throws -> PrometheusExposition {
        let r = try RawClient.get("/metrics", port: port)
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        return try PrometheusExposition(r.text)
    }

    /// A 200 without a client is an upstream failure, and statuses are counted
    /// by class whatever the class.
    @Test func upstreamOutcomesSayWhatTheUpstreamDid() throws {
        let h = try ClientsHarness(behaviour: { request in
            switch request.clientID {
            case 1: return .json(status: 200, body: Array("not json".utf8))
            case 2: return .json(status: 200, body: Array(#"{"code":200,"data":{}}"#.utf8))
            case 3: return .json(status: 204, body: [])
            default: return FakeDaftra.daftra(request)
            }
        })
        defer { h.stop() }
        #expect(try h.get("/clients/1").status == 502)
        #expect(try h.get("/clients/2").status == 502)
        #expect(try h.get("/clients/3").status == 502)
        #expect(try h.get("/clients/715?fields=no_such_member").status == 400)
        let m = try scrape(h.port)
        let count = "gateway_upstream_request_duration_seconds_count"
        #expect(m.value(count, ["outcome": "invalidResponse"]) == 2)
        #expect(m.value(count, ["outcome": "http_2xx"]) == 1)
        #expect(m.value(count, ["outcome": "ok"]) == 1, "an unknown field is the caller's mistake")
    }

    @Test func theWholeExpositionParsesAndCountsWhatHappened() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        for _ in 0..<3 { _ = try h.get("/clients/715", acmeBearer + [("Accept-Encoding", "gzip")]) }
        _ = try h.get("/clients/404404")
        _ = try RawClient.get("/no/such/path/12345", port: h.port)
        let c = try RawClient(port: h.port)
        try c.send("FOO /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try c.readResponse()
        let bad = try RawClient(port: h.port)
        try bad.send("GET / HTTP/1.1\r\n\r\n")
        _ = try bad.readResponse()

        let m = try scrape(h.port)
        #expect(m.types["http_server_request_duration_seconds"] == "histogram")
        #expect(m.help["http_server_request_duration_seconds"]?.hasPrefix("Time from a request's head") == true)
        #expect(m.help["gateway_upstream_request_duration_seconds"]?.hasPrefix("Time of each upstream exchange") == true)
        let count = "http_server_request_duration_seconds_count"
        #expect(m.value(count, ["http_route": "/clients/{id}", "http_response_status_code": "200",
                                "http_request_method": "GET"]) == 3)
        #expect(m.value(count, ["http_route": "/clients/{id}", "http_response_status_code": "404"]) == 1)
        #expect(m.value(count, ["http_route": "unmatched", "http_response_status_code": "404"]) == 1)
        #expect(m.value(count, ["http_route": "/livez", "http_request_method": "_OTHER",
                                "http_response_status_code": "405"]) == 1)
        #expect(m.value(count, ["http_route": "rejected", "http_response_status_code": "400"]) == 1)
        // Label values are bounded: no raw path ever becomes one.
        #expect(!m.samples.contains { $0.labels.values.contains { $0.contains("12345") || $0.contains("404404") } })
        #expect(m.value("gateway_upstream_request_duration_seconds_count", ["outcome": "ok"]) == 3)
        #expect(m.value("gateway_upstream_request_duration_seconds_count", ["outcome": "http_4xx"]) == 1)
        #expect((m.value("gateway_gzip_bytes_in_total") ?? 0) > (m.value("gateway_gzip_bytes_out_total") ?? 0))
        #expect((m.value("gateway_gzip_bytes_out_total") ?? 0) > 0)
        // One pooled connection per loop that served a client (the fixture has two loops),
        // all idle between requests.
        let open = m.value("gateway_upstream_connections", ["state": "open"]) ?? 0
        #expect(open >= 1 && open <= 2)
        #expect(m.value("gateway_upstream_connections", ["state": "idle"]) == open)
        #expect(Double(h.fake.connectionCount) == open)
        #expect(m.value("gateway_build_info", ["version": GatewayVersion.current]) == 1)
        // The scrape itself is the one active request.
        #expect(m.value("http_server_active_requests") == 1)
        // Buckets are cumulative and end at the count.
        let buckets = m.samples.filter {
            $0.name == "http_server_request_duration_seconds_bucket" && $0.labels["http_route"] == "/clients/{id}"
                && $0.labels["http_response_status_code"] == "200"
        }
        #expect(buckets.count == GatewayMetrics.durationBuckets.count + 1)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value })
        #expect(buckets.last?.labels["le"] == "+Inf" && buckets.last?.value == 3)
        // OpenTelemetry's bounds, in seconds, as Prometheus clients write them.
        #expect(buckets.map { $0.labels["le"] ?? "" } == [
            "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0",
            "+Inf",
        ])
        // The sum is in seconds: three local requests take well under a second.
        let sum = try #require(m.value("http_server_request_duration_seconds_sum", [
            "http_route": "/clients/{id}", "http_response_status_code": "200", "http_request_method": "GET",
        ]))
        #expect(sum > 0 && sum < 1)
    }

    @Test func aValidTraceparentGoesUpstreamAndIntoTheLog() throws {
        let h = try ClientsHarness()
        defer { h.stop() }
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        _ = try h.get("/clients/1", acmeBearer + [("traceparent", tp)])
        _ = try h.get("/clients/1", acmeBearer + [("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")])
        let sent = h.fake.requests
        #expect(sent[0].headers.first("traceparent") == tp)
        #expect(sent[1].headers.first("traceparent") == nil)
        let lines = try h.gateway.logLines().filter { $0["msg"] as? String == "request" }
        #expect(lines[0]["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(lines[1]["trace_id"] is NSNull)
    }

    @Test(arguments: [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", false),
        ("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),
        ("", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab", false),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab", true),
        ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", true),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.ab", false),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab", false),
        // HEXDIGLC: an uppercase digit anywhere makes the value invalid.
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", false),
        ("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),
    ])
    func traceparentValidation(value: String, valid: Bool) {
        let parsed = TraceParent(header: value)
        #expect((parsed != nil) == valid)
        if let parsed {
            // What goes upstream is always the version 00 form of the first four fields.
            #expect(parsed.header == "00" + value.dropFirst(2).prefix(53))
            #expect(parsed.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        }
    }
}

extension MetricsTests {
    /// Log lines the sink could not take show up at the next scrape, so a log
    /// outage is visible where the logs are not.
    @Test func lostLogLinesAreCounted() throws {
        let g = try GatewayFixture()
        defer { g.stop() }
        let before = try scrape(g.port)
        #expect(before.value("gateway_log_lines_dropped_total") == 0)
        #expect(before.value("gateway_log_write_failures_total") == 0)
        // A closed sink drops every line: here, those of the next three requests.
        g.sink.close()
        for _ in 0..<3 { _ = try RawClient.get("/livez", port: g.port) }
        // A request's line is written before its answer leaves, so the three are
        // counted by now; the scrape's own line is lost after its body is rendered.
        let after = try scrape(g.port)
        #expect(after.value("gateway_log_lines_dropped_total") == 3)
        // The next scrape counts exactly one more: the previous scrape's line.
        let again = try scrape(g.port)
        #expect(again.value("gateway_log_lines_dropped_total") == 4)
        // Dropped lines are not write failures: nothing reached write(2).
        #expect(again.value("gateway_log_write_failures_total") == 0)
    }
}
