import EventLoop
import GatewayTestSupport
import Testing
import Upstream

/// In pass-through mode the caller names the origin, so the pools a loop keeps
/// must go once their origins fall quiet: otherwise every subdomain ever asked
/// for costs memory for the life of the process.
@Suite struct OriginPoolPruneTests {
    @Test func poolsWithNoConnectionGoAndAPoolInUseStays() async throws {
        let fake = try FakeDaftra()
        let harness = ClientHarness(idleTimeout: .seconds(30), poolPruneInterval: .milliseconds(30))

        // Twenty origins that refuse the connection (the fake listens on 127.0.0.1
        // only; the rest of 127/8 is loopback with no listener), then one that answers
        // and keeps its connection idle in its pool.
        for i in 2...21 {
            let refused = await harness.get("/demo/api2/clients/1.json", host: "127.0.0.\(i)", port: fake.port)
            #expect(!refused.isSuccess, "127.0.0.\(i) has no listener")
        }
        let answered = await harness.get("/demo/api2/clients/1.json", port: fake.port)
        #expect(answered.isSuccess)
        #expect(await harness.poolCount >= 1)
        #expect(await eventually { await harness.poolCount == 1 }, "the twenty refused pools are dropped")

        // The upstream closes the idle connection: its pool has nothing left either.
        fake.stop()
        #expect(await eventually { await harness.poolCount == 0 })
    }

    @Test func aPoolGoesWithItsLastIdleConnectionAndComesBack() async throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        let harness = ClientHarness(idleTimeout: .milliseconds(200), poolPruneInterval: .milliseconds(30))

        #expect(await harness.get("/demo/api2/clients/1.json", port: fake.port).isSuccess)
        #expect(await eventually { await harness.poolCount == 0 })
        #expect(await eventually { fake.openConnectionCount == 0 }, "the idle connection expired and closed")

        // The origin is asked for again: a new pool, a new connection, an answer.
        // (Not checked: that the new pool is still there, as a slow machine may
        // already have let its connection idle out again.)
        #expect(await harness.get("/demo/api2/clients/1.json", port: fake.port).isSuccess)
        #expect(await harness.connectionsOpened == 2)
    }

    @Test("a burst's connections all stay for the next burst: none is closed only to be opened again")
    func burstsReuseEveryConnection() async throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        let harness = ClientHarness()
        // 100 calls in one turn of the loop: no idle connection yet, so 100 opened,
        // more than the 64 idle connections the pool used to keep.
        let targets = Array(repeating: "/demo/api2/clients/1.json", count: 100)
        let first = await harness.getAll(targets, port: fake.port)
        #expect(first.allSatisfy { $0.isSuccess })
        #expect(await harness.connectionsOpened == 100)
        let second = await harness.getAll(targets, port: fake.port)
        #expect(second.allSatisfy { $0.isSuccess })
        #expect(await harness.connectionsOpened == 100, "the second burst reused the first burst's connections")
        #expect(fake.connectionCount == 100)
    }

    @Test func aPoolWithAnIdleConnectionSurvivesPrunes() async throws {
        let fake = try FakeDaftra()
        defer { fake.stop() }
        let harness = ClientHarness(idleTimeout: .seconds(30), poolPruneInterval: .milliseconds(10))

        for _ in 0..<5 {
            let result = await harness.get("/demo/api2/clients/1.json", port: fake.port)
            #expect(result.isSuccess)
            // Several prunes run in each pause.
            try await Task.sleep(for: .milliseconds(60))
        }
        #expect(await harness.connectionsOpened == 1, "every call reused the one connection")
        #expect(fake.connectionCount == 1)
        #expect(await harness.poolCount == 1)
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
