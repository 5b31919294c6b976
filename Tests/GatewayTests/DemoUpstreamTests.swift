import EventLoop
import Foundation
import GatewayTestSupport
import HTTP1
import Testing

@testable import Gateway

/// The `--demo` upstream, called over a socket as the gateway calls it.
@Suite("demo upstream")
struct DemoUpstreamTests {
    /// The documented Client keys, in documented order (daftra-api.md).
    static let documentedKeys = [
        "id", "is_offline", "client_number", "staff_id", "business_name", "first_name", "last_name", "email",
        "address1", "address2", "city", "state", "postal_code", "phone1", "phone2", "country_code", "notes",
        "active_secondary_address", "secondary_name", "secondary_address1", "secondary_address2",
        "secondary_city", "secondary_state", "secondary_postal_code", "secondary_country_code",
        "default_currency_code", "last_login", "suspend", "last_ip", "created", "modified",
        "follow_up_status", "category", "group_price_id", "timezone", "bn1", "bn1_label", "bn2_label", "bn2",
        "starting_balance", "type", "birth_date", "gender", "map_location", "credit_limit", "credit_period",
        "branch_id",
    ]

    /// A demo on its own single loop, stopped by `body`'s end.
    private func withDemo(_ body: (DemoUpstream) throws -> Void) throws {
        let demo = try DemoUpstream.start(group: EventLoopGroup(loopCount: 1))
        defer { demo.stop() }
        try body(demo)
    }

    private static func get(_ path: String, _ headers: [(String, String)] = []) -> String {
        var text = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    private static func object(_ bytes: some Sequence<UInt8>) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
    }

    @Test func everySampleClientComesBackInTheEnvelopeByteForByte() throws {
        try withDemo { demo in
            let client = try RawClient(port: demo.port)
            for (id, fixture) in DemoClients.clients.sorted(by: { $0.key < $1.key }) {
                // Both credential forms, on one keep-alive connection.
                let credential = id % 2 == 0 ? ("apikey", "demo-token") : ("Authorization", "Bearer demo-token")
                try client.send(Self.get("/demo/api2/clients/\(id).json", [credential]))
                let answer = try client.readResponse()
                #expect(answer.status == 200, "client \(id)")
                #expect(answer.header("Content-Type") == "application/json; charset=UTF-8")
                let prefix = Array(#"{"code":200,"result":"successful","data":{"Client":"#.utf8)
                #expect(answer.body == prefix + Array(fixture.utf8) + Array("}}".utf8), "client \(id)")

                let envelope = try Self.object(answer.body)
                #expect(envelope["code"] as? Int == 200)
                #expect(envelope["result"] as? String == "successful")
                let parsed = try #require((envelope["data"] as? NSDictionary)?["Client"] as? NSDictionary)
                #expect(parsed == (try Self.object(Array(fixture.utf8))), "client \(id)")
            }
        }
    }

    @Test func fixturesFollowTheDocumentedKeyOrderAndCarryTheirIds() throws {
        #expect(Set(DemoClients.clients.keys) == [1, 2, 715, 1024])
        for (id, fixture) in DemoClients.clients {
            let object = try Self.object(Array(fixture.utf8))
            #expect("\(object["id"]!)" == "\(id)")
            let positions = Self.documentedKeys.compactMap { fixture.range(of: "\"\($0)\":")?.lowerBound }
            #expect(positions.count == Self.documentedKeys.count, "client \(id) lacks a documented key")
            #expect(positions == positions.sorted(), "client \(id) is out of documented order")
        }
        let all = DemoClients.clients.values.joined()
        for quirk in [#""starting_balance":1.50,"#, #""starting_balance":"1.50","#, #""follow_up_status":null"#,
                      #""is_offline":0"#, #""language_code""#, #""national_id""#, #""category_id""#, #""photo""#,
                      #"\u0645"#, "شركة", #"\/"#, #"{"sector""#] {
            #expect(all.contains(quirk), "no fixture shows \(quirk)")
        }
    }

    @Test func credentialsFollowDaftraRules() throws {
        try withDemo { demo in
            let path = "/demo/api2/clients/715.json"
            let refused: [[(String, String)]] = [
                [],
                [("Authorization", "Bearer demo-token"), ("apikey", "demo-token")],
                [("Authorization", "Bearer wrong-token")],
                [("apikey", "wrong-token")],
                [("Authorization", "Basic demo-token")],
                [("Authorization", "Bearer")],
                [("apikey", "demo-token"), ("apikey", "demo-token")],
            ]
            for headers in refused {
                let answer = try RawClient.get(path, port: demo.port, headers: headers)
                #expect(answer.status == 401, "\(headers)")
                #expect(answer.text == #"{"result":"failed","code":401,"message":"Unauthorized"}"#)
            }
            let lowerCaseScheme = try RawClient.get(path, port: demo.port, headers: [("Authorization", "bearer demo-token")])
            #expect(lowerCaseScheme.status == 200)
        }
    }

    @Test func unknownIdsSubdomainsAndPathsAre404() throws {
        try withDemo { demo in
            let bearer = [("Authorization", "Bearer demo-token")]
            let cases: [(String, String)] = [
                ("/demo/api2/clients/999.json", "Item not found"),
                ("/acme/api2/clients/1.json", "Invalid Endpoint"),
                ("/demo/api2/clients/abc.json", "Invalid Endpoint"),
                ("/demo/api2/clients/.json", "Invalid Endpoint"),
                ("/demo/api2/invoices/1.json", "Invalid Endpoint"),
                ("/api2/clients/1.json", "Invalid Endpoint"),
            ]
            for (path, message) in cases {
                let answer = try RawClient.get(path, port: demo.port, headers: bearer)
                #expect(answer.status == 404, "\(path)")
                #expect(answer.text == #"{"result":"failed","code":404,"message":"\#(message)"}"#, "\(path)")
            }
            // The suffix and a query are optional, as with Daftra.
            #expect(try RawClient.get("/demo/api2/clients/2", port: demo.port, headers: bearer).status == 200)
            #expect(try RawClient.get("/demo/api2/clients/2.json?x=1", port: demo.port, headers: bearer).status == 200)
        }
    }

    @Test func headAndOtherMethods() throws {
        try withDemo { demo in
            let client = try RawClient(port: demo.port)
            try client.send("HEAD /demo/api2/clients/1.json HTTP/1.1\r\nHost: x\r\napikey: demo-token\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.header("Content-Length") == "\(DemoHandler.envelope(client: DemoClients.clients[1]!).count)")
            try client.send("DELETE /demo/api2/clients/1.json HTTP/1.1\r\nHost: x\r\napikey: demo-token\r\n\r\n")
            let delete = try client.readResponse()
            #expect(delete.status == 405 && delete.header("Allow") == "GET, HEAD")
        }
    }

    @Test func templateCurlCommandsAndStop() throws {
        let demo = try DemoUpstream.start(group: EventLoopGroup(loopCount: 1))
        #expect(demo.upstreamTemplate == "http://127.0.0.1:\(demo.port)/{subdomain}/api2")
        #expect(demo.address.ipString == "127.0.0.1" && demo.port != 0)
        demo.stop()
        // The listener closes on its loop, so the refusal comes a moment later.
        var refused = false
        for _ in 0..<200 where !refused {
            refused = (try? RawClient(port: demo.port)) == nil
            if !refused { usleep(10_000) }
        }
        #expect(refused, "the demo still accepts connections after stop")

        let text = DemoUpstream.curlCommands(base: "http://localhost:18081")
        let lines = text.split(separator: "\n")
        let curls = lines.filter { $0.hasPrefix("curl ") }
        #expect(lines.allSatisfy { $0.hasPrefix("curl ") || $0.hasPrefix("# ") })
        #expect(curls.count >= 6)
        #expect(curls.allSatisfy { $0.contains("http://localhost:18081/") })
        #expect(curls.contains { $0.contains("Authorization: Bearer demo-token") && $0.contains("X-Daftra-Subdomain: demo") })
        #expect(curls.contains { $0.contains("apikey: demo-token") && $0.contains("?fields=id,email,business_name'") })
        #expect(curls.contains { $0.contains("--compressed") })
        #expect(curls.contains { $0.hasSuffix("/clients/999") })
        #expect(curls.contains { !$0.contains("demo-token") && $0.contains("/clients/") })
        #expect(curls.contains { $0.hasSuffix("/livez") } && curls.contains { $0.hasSuffix("/readyz") })
    }

    @Test func theCommandsUseTheAddressAndSchemeTheGatewayServes() throws {
        let wildcard4 = try #require(SocketAddress(ip: "0.0.0.0", port: 8080))
        let wildcard6 = try #require(SocketAddress(ip: "::", port: 8080))
        let loopback6 = try #require(SocketAddress(ip: "::1", port: 8080))
        let specific = try #require(SocketAddress(ip: "10.0.0.5", port: 8443))
        #expect(DemoUpstream.baseURL(listening: wildcard4, tls: false) == "http://localhost:8080")
        #expect(DemoUpstream.baseURL(listening: wildcard6, tls: false) == "http://localhost:8080")
        #expect(DemoUpstream.baseURL(listening: loopback6, tls: false) == "http://[::1]:8080")
        #expect(DemoUpstream.baseURL(listening: specific, tls: true) == "https://10.0.0.5:8443")
        let text = DemoUpstream.curlCommands(base: "https://10.0.0.5:8443")
        let curls = text.split(separator: "\n").filter { $0.hasPrefix("curl ") }
        #expect(curls.allSatisfy { $0.contains("https://10.0.0.5:8443/") })
        #expect(text.hasPrefix("# TLS: add --cacert"))
    }
}
