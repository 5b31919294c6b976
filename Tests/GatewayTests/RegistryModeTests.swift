import EventLoop
import Foundation
import GatewayTestSupport
import Synchronization
import Testing

@testable import Gateway

/// A tenants file in a temporary folder, with helpers to hash consumer keys.
struct TenantsFile {
    let path: String

    init(_ json: String) throws {
        path = NSTemporaryDirectory() + "tenants-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func replace(with json: String) throws {
        try json.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func digest(_ key: String) -> String { SHA256Digest(hashing: key).hex }

    static func standard(allowPassthrough: Bool = false, acmeRate: String = "", acmeConcurrency: String = "") -> String {
        """
        {
          "allow_passthrough": \(allowPassthrough),
          "tenants": [
            {
              "name": "acme-co",
              "subdomain": "acme",
              "upstream": { "bearer_token": "ACME-UPSTREAM-SECRET" },
              "consumer_keys_sha256": ["\(digest("acme-consumer-key"))"],
              "fields": ["id", "email", "business_name"]\(acmeRate)\(acmeConcurrency)
            },
            {
              "name": "globex",
              "subdomain": "globex",
              "upstream": { "apikey": "GLOBEX-UPSTREAM-KEY" },
              "consumer_keys_sha256": ["\(digest("globex-consumer-key"))"]
            }
          ]
        }
        """
    }
}

final class RegistryHarness: Sendable {
    let fake: FakeDaftra
    let gateway: GatewayFixture
    let file: TenantsFile

    init(_ json: String = TenantsFile.standard(), behaviour: @escaping FakeDaftra.Responder = FakeDaftra.daftra) throws {
        fake = try FakeDaftra(behaviour)
        file = try TenantsFile(json)
        gateway = try GatewayFixture([
            "--upstream", fake.upstreamTemplate, "--tenants", file.path, "--upstream-timeout", "1s",
        ])
    }

    var port: UInt16 { gateway.port }

    func get(_ path: String, key: String?, extra: [(String, String)] = []) throws -> RawClient.Response {
        var headers = extra
        if let key { headers.append(("Authorization", "Bearer \(key)")) }
        return try RawClient.get(path, port: port, headers: headers)
    }

    func stop() {
        gateway.stop()
        fake.stop()
        unlink(file.path)
    }
}

@Suite("registry mode", .serialized)
struct RegistryModeTests {
    @Test func theConsumerKeyAloneDecidesTheTenant() throws {
        let h = try RegistryHarness()
        defer { h.stop() }
        // The subdomain header and Host cannot move a consumer to another tenant.
        let r = try h.get("/clients/1", key: "acme-consumer-key", extra: [("X-Daftra-Subdomain", "globex")])
        #expect(r.status == 200)
        let g = try h.get("/clients/1", key: "globex-consumer-key", extra: [("X-Daftra-Subdomain", "acme")])
        #expect(g.status == 200)
        let sent = h.fake.requests
        #expect(sent.count == 2)
        #expect(sent[0].target == "/acme/api2/clients/1.json")
        #expect(sent[0].headers.first("Authorization") == "Bearer ACME-UPSTREAM-SECRET")
        #expect(sent[0].headers.first("apikey") == nil)
        #expect(sent[1].target == "/globex/api2/clients/1.json")
        #expect(sent[1].headers.first("apikey") == "GLOBEX-UPSTREAM-KEY")
        #expect(sent[1].headers.first("Authorization") == nil)
    }

    @Test func unknownOrMissingKeysAre401AndNeverReachTheUpstream() throws {
        let h = try RegistryHarness()
        defer { h.stop() }
        let unknown = try h.get("/clients/1", key: "nobody", extra: [("X-Daftra-Subdomain", "acme")])
        #expect(unknown.status == 401)
        #expect(unknown.header("WWW-Authenticate") == "Bearer")
        #expect(try problem(unknown)["type"] as? String == "urn:daftra-gateway:problem:unknown-consumer-key")
        let missing = try h.get("/clients/1", key: nil, extra: [("X-Daftra-Subdomain", "acme"), ("apikey", "x")])
        #expect(missing.status == 401)
        #expect(h.fake.requests.isEmpty)
    }

    @Test func passThroughFallbackWhenAllowed() throws {
        let h = try RegistryHarness(TenantsFile.standard(allowPassthrough: true))
        defer { h.stop() }
        let r = try h.get("/clients/1", key: "caller-own-token", extra: [("X-Daftra-Subdomain", "initech")])
        #expect(r.status == 200)
        #expect(h.fake.requests.first?.target == "/initech/api2/clients/1.json")
        #expect(h.fake.requests.first?.headers.first("Authorization") == "Bearer caller-own-token")
    }

    @Test func theAllowListNarrowsEveryAnswerAndRefusesOtherFields() throws {
        let h = try RegistryHarness()
        defer { h.stop() }
        let r = try h.get("/clients/1", key: "acme-consumer-key")
        #expect(r.status == 200)
        let object = try #require(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        #expect(Set(object.keys).isSubset(of: ["id", "email", "business_name"]))
        #expect(object["id"] != nil)
        let narrowed = try h.get("/clients/1?fields=email", key: "acme-consumer-key")
        #expect(narrowed.status == 200)
        let refused = try h.get("/clients/1?fields=email,phone1,notes", key: "acme-consumer-key")
        #expect(refused.status == 403)
        let detail = try problem(refused)["detail"] as? String ?? ""
        #expect(detail.contains("phone1") && detail.contains("notes"))
        // The other tenant has no allow-list.
        let all = try h.get("/clients/1?fields=phone1", key: "globex-consumer-key")
        #expect(all.status == 200)
    }

    @Test func rateLimitIs429WithHeadersAndDoesNotTouchOtherTenants() throws {
        let h = try RegistryHarness(TenantsFile.standard(acmeRate: #", "rate_limit": {"per_second": 0.5, "burst": 3}"#))
        defer { h.stop() }
        let start = Date()
        for expectedRemaining in [2, 1, 0] {
            let r = try h.get("/clients/1", key: "acme-consumer-key")
            #expect(r.status == 200)
            #expect(r.header("RateLimit-Remaining") == "\(expectedRemaining)")
        }
        let limited = try h.get("/clients/1", key: "acme-consumer-key")
        let elapsed = Date().timeIntervalSince(start)
        #expect(limited.status == 429)
        #expect(limited.header("RateLimit-Limit") == "3")
        #expect(limited.header("RateLimit-Remaining") == "0")
        // 3 tokens refilled at 0.5/s: the three taken refill 6 s after the first
        // was taken, and the next token 2 s after it; `elapsed` has passed since.
        let reset = try #require(Int(limited.header("RateLimit-Reset") ?? ""))
        #expect(reset <= 6 && Double(reset) >= 6 - elapsed, "RateLimit-Reset \(reset) after \(elapsed)s")
        let retryAfter = try #require(Int(limited.header("Retry-After") ?? ""))
        #expect(retryAfter <= 2 && Double(retryAfter) >= max(1, 2 - elapsed), "Retry-After \(retryAfter) after \(elapsed)s")
        // Another tenant is not slowed by acme's limit.
        for _ in 0..<10 {
            #expect(try h.get("/clients/1", key: "globex-consumer-key").status == 200)
        }
        let m = try PrometheusExposition(try RawClient.get("/metrics", port: h.port).text)
        #expect(m.value("gateway_rate_limited_requests_total", ["tenant": "acme-co"]) == 1)
        #expect(h.fake.requests.count == 13)
    }

    /// Every answer that spent a token says how many are left, errors from the
    /// upstream included.
    @Test func upstreamErrorsOfALimitedTenantCarryTheLimitFields() throws {
        let h = try RegistryHarness(TenantsFile.standard(acmeRate: #", "rate_limit": {"per_second": 0.5, "burst": 3}"#))
        defer { h.stop() }
        let missing = try h.get("/clients/404404", key: "acme-consumer-key")
        #expect(missing.status == 404)
        #expect(missing.header("RateLimit-Limit") == "3")
        #expect(missing.header("RateLimit-Remaining") == "2")
        // One token of a full bucket taken, refilled at 0.5/s: full again in 2 s.
        #expect(missing.header("RateLimit-Reset") == "2")
        #expect(missing.header("Retry-After") == nil)
    }

    @Test func concurrencyLimitMakesRequestsWaitThen503() throws {
        let h = try RegistryHarness(
            TenantsFile.standard(acmeConcurrency: #", "max_concurrent_upstream": 1"#),
            behaviour: { request in request.clientID == 2 ? .hang : .delay(0.3, then: FakeDaftra.daftra(request)) })
        defer { h.stop() }
        // One slow call holds the only permit; a second waits and then goes through.
        let results = Locked<[Int]>([])
        let group = DispatchGroup()
        for _ in 0..<2 {
            onThread(group) {
                let status = (try? h.get("/clients/1", key: "acme-consumer-key").status) ?? -1
                results.withLock { $0.append(status) }
            }
        }
        group.wait()
        #expect(results.withLock { $0 } == [200, 200])
        // Calls that hang hold the only permit for the whole upstream timeout each.
        // Of three sent 100 ms apart, the first holds it to the timeout, the older
        // of the two waiting gets it next, and the other waits past its bound: 503.
        let statuses = Locked<[Int]>([])
        for _ in 0..<3 {
            onThread(group) {
                let status = (try? h.get("/clients/2", key: "acme-consumer-key").status) ?? -1
                statuses.withLock { $0.append(status) }
            }
            usleep(100_000)
        }
        // While acme's permit is held and two of its calls wait, globex (no
        // limit) is answered at once.
        let start = Date()
        #expect(try h.get("/clients/1", key: "globex-consumer-key").status == 200)
        #expect(Date().timeIntervalSince(start) < 0.9)
        group.wait()
        #expect(statuses.withLock { $0.sorted() } == [503, 504, 504])
    }

    @Test func aWaitingRequestWhoseCallerHungUpNeverGoesUpstream() async throws {
        // Client 2 holds acme's only permit for half a second; client 1 answers at once.
        let h = try RegistryHarness(
            TenantsFile.standard(acmeConcurrency: #", "max_concurrent_upstream": 1"#),
            behaviour: { request in request.clientID == 2 ? .delay(0.5, then: FakeDaftra.daftra(request)) : FakeDaftra.daftra(request) })
        defer { h.stop() }
        let group = DispatchGroup()
        let holder = Locked(-1)
        onThread(group) {
            let status = (try? h.get("/clients/2", key: "acme-consumer-key").status) ?? -1
            holder.withLock { $0 = status }
        }
        #expect(await eventually { h.fake.requests.count == 1 })
        // A second caller asks while the permit is held, so it waits; then it
        // closes its side, as a client that gives up does.
        let quitter = try RawClient(port: h.port)
        try quitter.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer acme-consumer-key\r\nX-Request-Id: quitter-1\r\n\r\n")
        #expect(shutdown(quitter.fd, Int32(SHUT_WR)) == 0)
        // When its turn comes it is dropped: no answer, the connection closed.
        #expect(try quitter.readToEnd().isEmpty)
        group.wait()
        #expect(holder.withLock { $0 } == 200)
        // Its permit went on: the next call gets it (a permit kept by the dropped
        // request would make this one wait out its deadline: 503).
        #expect(try h.get("/clients/1", key: "acme-consumer-key").status == 200)
        // Only the holder's call and the last one reached the upstream.
        #expect(h.fake.requests.compactMap(\.clientID) == [2, 1])
        // The dropped request has its access line, with nginx's 499 and no upstream call.
        let line = try #require(try h.gateway.logLines().first { $0["request_id"] as? String == "quitter-1" })
        #expect(line["status"] as? Int == RequestExchange.callerClosedStatus)
        #expect(line["bytes"] as? Int == 0)
        #expect(line["upstream_status"] is NSNull)
        #expect(line["tenant"] as? String == "acme-co")
    }

    @Test func reloadSwapsUnderLoadWithoutFailingARequestAndBadFilesKeepTheOld() throws {
        let h = try RegistryHarness()
        defer { h.stop() }
        let failures = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let successes = Locked<[Int]>([0, 0, 0, 0])
        let group = DispatchGroup()
        for worker in 0..<4 {
            onThread(group) {
                guard let c = try? RawClient(port: h.port) else {
                    failures.add(1, ordering: .relaxed)
                    return
                }
                while !done.load(ordering: .relaxed) {
                    do {
                        try c.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer acme-consumer-key\r\n\r\n")
                        if try c.readResponse().status == 200 {
                            successes.withLock { $0[worker] += 1 }
                        } else {
                            failures.add(1, ordering: .relaxed)
                        }
                    } catch {
                        failures.add(1, ordering: .relaxed)
                        return
                    }
                }
            }
        }
        // Every worker is sending before the first reload.
        #expect(RawClientWait.until { successes.withLock { $0.allSatisfy { $0 > 0 } } })
        let beforeReload = successes.withLock { $0 }
        // A new key for acme, then an invalid file, while requests run.
        let rotated = TenantsFile.standard().replacingOccurrences(
            of: TenantsFile.digest("globex-consumer-key"), with: TenantsFile.digest("globex-new-key"))
        try h.file.replace(with: rotated)
        h.gateway.app.reloadRegistry(environment: [:])
        #expect(RawClientWait.until { (try? h.get("/clients/1", key: "globex-new-key").status) == 200 })
        try h.file.replace(with: "{ not json")
        h.gateway.app.reloadRegistry(environment: [:])
        // The reload runs on the worker queue: wait for its verdict, not a fixed time.
        #expect(RawClientWait.until {
            let text = (try? RawClient.get("/metrics", port: h.port).text) ?? ""
            return (try? PrometheusExposition(text))?.value("gateway_config_reloads_total", ["result": "failure"]) == 1
        })
        usleep(100_000)
        done.store(true, ordering: .relaxed)
        group.wait()
        #expect(failures.load(ordering: .relaxed) == 0)
        // Requests really ran across both reloads, on every connection.
        let afterReload = successes.withLock { $0 }
        #expect(zip(beforeReload, afterReload).allSatisfy { $0 < $1 }, "before \(beforeReload), after \(afterReload)")
        // The invalid file kept the previous registry.
        #expect(try h.get("/clients/1", key: "globex-new-key").status == 200)
        #expect(try h.get("/clients/1", key: "globex-consumer-key").status == 401)
        let m = try PrometheusExposition(try RawClient.get("/metrics", port: h.port).text)
        #expect(m.value("gateway_config_reloads_total", ["result": "success"]) == 1)
        #expect(m.value("gateway_config_reloads_total", ["result": "failure"]) == 1)
        let lines = try h.gateway.logLines()
        #expect(lines.contains { ($0["msg"] as? String)?.contains("reload failed") == true && $0["reason"] is String })
    }

    @Test func logsNameTheTenantAndNeverAKeyOrCredential() throws {
        let h = try RegistryHarness()
        defer { h.stop() }
        #expect(try h.get("/clients/1", key: "acme-consumer-key").status == 200)
        #expect(try h.get("/clients/1", key: "globex-consumer-key").status == 200)
        let last = try h.get("/clients/1", key: "wrong-consumer-key")
        #expect(last.status == 401)
        // logLines() flushes the sink first, so the file holds every line written.
        let lines = try h.gateway.logLines().filter { $0["msg"] as? String == "request" }
        let text = try String(contentsOfFile: h.gateway.logPath, encoding: .utf8)
        for secret in ["acme-consumer-key", "globex-consumer-key", "wrong-consumer-key", "ACME-UPSTREAM-SECRET",
                       "GLOBEX-UPSTREAM-KEY"] {
            #expect(!text.contains(secret), "\(secret) leaked into the logs")
        }
        // The check covered the last request, the refused key's: its line is there.
        #expect(lines.count == 3)
        let lastLine = lines.first { $0["request_id"] as? String == last.header("X-Request-Id") }
        #expect(lastLine?["status"] as? Int == 401)
        let tenants = lines.map { $0["tenant"] as? String }
        #expect(tenants.contains("acme-co") && tenants.contains("globex"))
    }

    @Test func anInvalidTenantsFileStopsStartUpWithStatus78NamingTheField() throws {
        let file = try TenantsFile(#"{"tenants": [{"name": "a", "subdomain": "a", "upstream": {"bearer_token_env": "NOPE_NOT_SET"}, "consumer_keys_sha256": ["\#(TenantsFile.digest("k"))"]}]}"#)
        defer { unlink(file.path) }
        let gateway = try GatewayProcess(["--port", "0", "--tenants", file.path])
        #expect(gateway.waitForExit(seconds: 10) == 78)
        let err = gateway.stderr()
        #expect(err.contains("NOPE_NOT_SET"))
        #expect(err.contains("tenants[0].upstream"))
    }
}

enum RawClientWait {
    static func until(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(20_000)
        }
        return false
    }
}
