import EventLoop
import Foundation
import GatewayTestSupport
import HTTPServer
import Logging
import Testing

@testable import Gateway
@testable import Upstream

@Suite("gzip options and host templates end to end", .serialized)
struct GzipAndTemplateEndToEndTests {
    /// A client object whose JSON text is exactly `size` bytes.
    static func client(id: Int, size: Int) -> String {
        let prefix = #"{"id":\#(id),"pad":""#
        let padding = size - prefix.utf8.count - 2
        precondition(padding >= 0)
        return prefix + String(repeating: "x", count: padding) + #""}"#
    }

    /// `--gzip-min-bytes`: a body one byte short of it goes as it is; one of that
    /// size or larger is gzipped (and decodes to the same bytes).
    @Test func gzipMinBytesIsTheSmallestBodyCompressed() throws {
        let h = try ClientsHarness(["--gzip-min-bytes", "300"]) { request in
            let id = request.clientID ?? 0
            return .json(status: 200, body: FakeDaftra.envelope(client: Self.client(id: id, size: id)))
        }
        defer { h.stop() }
        let gzipAccepted = acmeBearer + [("Accept-Encoding", "gzip")]
        for (size, gzipped) in [(299, false), (300, true), (301, true), (2_000, true)] {
            let expected = Self.client(id: size, size: size)
            let r = try h.get("/clients/\(size)", gzipAccepted)
            #expect(r.status == 200)
            #expect((r.header("Content-Encoding") == "gzip") == gzipped, "\(size) bytes")
            #expect((gzipped ? gunzip(r.body) : r.text) == expected, "\(size) bytes")
        }
        // The default threshold (256) would have compressed the 299-byte body.
        let d = try ClientsHarness { request in
            .json(status: 200, body: FakeDaftra.envelope(client: Self.client(id: 299, size: 299)))
        }
        defer { d.stop() }
        #expect(try d.get("/clients/299", gzipAccepted).header("Content-Encoding") == "gzip")
    }

    /// A body that compresses differently at different levels: words from a
    /// fixed pseudo-random sequence.
    static let compressible: String = {
        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
                     "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"]
        var state: UInt32 = 12_345
        var text = ""
        for _ in 0..<3_000 {
            state = state &* 1_103_515_245 &+ 12_345
            text += words[Int((state >> 16) % UInt32(words.count))]
            text += (state >> 8) % 7 == 0 ? ". " : " "
        }
        return #"{"id":5,"notes":""# + text + #""}"#
    }()

    /// `--gzip-level` reaches zlib: the gzip header's XFL byte says which level
    /// compressed it (RFC 1952: 2 for the slowest, 4 for the fastest, zlib
    /// writes 0 in between), the bytes differ, and every level decodes to the body.
    @Test func gzipLevelChangesTheCompressedBytes() throws {
        var outputs: [Int: [UInt8]] = [:]
        for (level, xfl) in [(1, 4), (5, 0), (9, 2)] {
            let h = try ClientsHarness(["--gzip-level", "\(level)"]) { _ in
                .json(status: 200, body: FakeDaftra.envelope(client: Self.compressible))
            }
            defer { h.stop() }
            let r = try h.get("/clients/5", acmeBearer + [("Accept-Encoding", "gzip")])
            #expect(r.status == 200)
            #expect(r.header("Content-Encoding") == "gzip")
            #expect(r.body.count > 10 && r.body[0] == 0x1F && r.body[1] == 0x8B, "a gzip member")
            #expect(r.body.count > 8 && r.body[8] == UInt8(xfl), "level \(level): XFL \(r.body.count > 8 ? r.body[8] : 0)")
            #expect(gunzip(r.body) == Self.compressible, "level \(level)")
            outputs[level] = r.body
        }
        #expect(outputs[1] != outputs[9])
        #expect((outputs[9]?.count ?? .max) < (outputs[1]?.count ?? 0), "level 9 compresses better than 1 here")
    }

    /// `{subdomain}` in the host: the tenant's name is what is looked up and what
    /// the upstream sees in `Host` (with the port, which is not the default), and
    /// the path is the template's path. The gateway's own wiring (router,
    /// handler, endpoint, upstream client, template) with one change: name
    /// lookups are answered by the test, since `<tenant>.localhost` does not
    /// resolve everywhere.
    @Test func aSubdomainInTheHostIsLookedUpAndSentAsHost() throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        let lookups = Locked<[String]>([])
        let gateway = try HostTemplateGateway(template: "http://{subdomain}.Tenants.Test:\(fake.port)/api2") { host, port in
            lookups.withLock { $0.append("\(host):\(port)") }
            guard host.hasSuffix(".tenants.test") else { return .failure(UpstreamError(.resolution, "unknown name")) }
            return .success([SocketAddress(ip: "127.0.0.1", port: port)!])
        }
        defer { gateway.stop() }
        for tenant in ["acme", "globex"] {
            let r = try RawClient.get("/clients/2", port: gateway.port, headers: [
                ("X-Daftra-Subdomain", tenant.uppercased()), ("Authorization", "Bearer t0k"),
            ])
            #expect(r.status == 200)
            #expect(r.text == FakeDaftra.clients[2])
        }
        let sent = fake.requests
        #expect(sent.map(\.target) == ["/api2/clients/2.json", "/api2/clients/2.json"])
        #expect(sent.map { $0.headers.first("Host") } == ["acme.tenants.test:\(fake.port)", "globex.tenants.test:\(fake.port)"])
        #expect(lookups.withLock { $0 } == ["acme.tenants.test:\(fake.port)", "globex.tenants.test:\(fake.port)"])
        // Different hosts are different origins: one connection each.
        #expect(fake.connectionCount == 2)
    }
}

/// The gateway's routes for `/clients/{id}` on an ephemeral loopback port, with
/// an upstream client whose name lookups `lookup` answers.
final class HostTemplateGateway: Sendable {
    let group: EventLoopGroup
    let server: HTTPServer
    let port: UInt16

    init(template: String, lookup: @escaping @Sendable (String, UInt16) -> Result<[SocketAddress], UpstreamError>) throws {
        let group = EventLoopGroup(loopCount: 2, sweepInterval: .milliseconds(20))
        self.group = group
        let logger = Logger(label: "host-template-test") { _ in SwiftLogNoOpLogHandler() }
        let metrics = GatewayMetrics(version: GatewayVersion.current)
        let resolver = Resolver(
            workerQueue: group.workerQueue, ttl: .seconds(30), maxEntries: 64, now: { MonotonicClock.now() },
            lookup: lookup)
        let client = UpstreamClient(
            group: group, configuration: UpstreamClient.Configuration(connectTimeout: .seconds(2), timeout: .seconds(5)),
            secureTransport: nil, resolver: resolver)
        let clients = ClientsEndpoint(
            settings: ClientsEndpoint.Settings(
                upstream: try UpstreamTemplate(parsing: template), baseDomain: nil,
                gzipLevel: GatewayOptions.defaultGzipLevel, gzipMinBytes: 256),
            client: client, group: group, metrics: metrics, logger: logger)
        var router = Router<Endpoint>()
        router.add("/clients/{id}", methods: ["GET"]) { exchange, parameters in
            clients.handle(exchange, id: parameters[0])
        }
        let handler = GatewayHandler(router: router, requestIDs: RequestIDGenerator(), logger: logger, metrics: metrics)
        server = HTTPServer(group: group, configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: handler)
        port = try server.start().port
    }

    func stop() {
        server.closeListeners()
        server.closeAllConnections()
    }
}
