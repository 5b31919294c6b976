import EventLoop
import GatewayTestSupport
import Testing
import Upstream

/// Bytes an origin sends beyond the end of its answer belong to no request: the
/// connection that got them must never carry another exchange, or they would
/// be read as the start of the next caller's answer.
@Suite struct TrailingBytesTests {
    /// An answer (`Content-Length: 2`) followed, in the same segment, by `extra`.
    private static func answer(followedBy extra: String) -> FakeDaftra.Behaviour {
        .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\(extra)".utf8), thenClose: false)
    }

    @Test func aWaitingCallNeverGetsBytesMeantForNoOne() async throws {
        let smuggled = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"
        let fake = try FakeDaftra { request in
            request.target == "/first" ? Self.answer(followedBy: smuggled) : .json(status: 200, body: Array("good".utf8))
        }
        defer { fake.stop() }
        // One connection per origin: the second call waits for the first's.
        let harness = ClientHarness(maxConnectionsPerOrigin: 1)

        let results = await harness.getAll(["/first", "/second"], port: fake.port)
        let bodies = results.map { (try? $0.get()).map { String(decoding: $0.body, as: UTF8.self) } }
        #expect(bodies == ["ok", "good"])
        #expect(fake.requests.map(\.target) == ["/first", "/second"], "the second call reached the origin")
        #expect(await harness.connectionsOpened == 2, "the connection with trailing bytes was not reused")
    }

    @Test func trailingBytesCloseTheConnectionInsteadOfParkingIt() async throws {
        let fake = try FakeDaftra { request in
            request.target == "/first" ? Self.answer(followedBy: "JUNK") : .json(status: 200, body: Array("good".utf8))
        }
        defer { fake.stop() }
        let harness = ClientHarness()

        let first = await harness.get("/first", port: fake.port)
        #expect((try? first.get()).map { String(decoding: $0.body, as: UTF8.self) } == "ok")
        let second = await harness.get("/second", port: fake.port)
        #expect((try? second.get()).map { String(decoding: $0.body, as: UTF8.self) } == "good")
        #expect(await harness.connectionsOpened == 2)
        #expect(fake.connectionCount == 2)
    }

    /// The other side of the rule: an answer that arrives in many reads, with
    /// nothing after it, leaves the connection reusable.
    @Test func anAnswerSpreadOverManyReadsKeepsTheConnection() async throws {
        let body = Array(String(repeating: "x", count: 4096).utf8)
        let fake = try FakeDaftra { _ in
            .delay(0.001, then: .chunked(status: 200, body: body, chunkSize: 256))
        }
        defer { fake.stop() }
        let harness = ClientHarness()

        for _ in 0..<5 {
            let result = await harness.get("/clients", port: fake.port)
            #expect((try? result.get())?.body == body)
        }
        #expect(await harness.connectionsOpened == 1)
        #expect(fake.connectionCount == 1)
    }

    @Test func anEmptyBodyMarkedGzipIsEmptyNotAFailure() async throws {
        let fake = try FakeDaftra { _ in
            .raw(Array("HTTP/1.1 404 Not Found\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n".utf8), thenClose: false)
        }
        defer { fake.stop() }
        let harness = ClientHarness()

        let result = await harness.get("/clients/1.json", port: fake.port)
        let response = try result.get()
        #expect(response.status == 404)
        #expect(response.body.isEmpty)
        // Nothing was wrong with the connection either.
        _ = await harness.get("/clients/1.json", port: fake.port)
        #expect(await harness.connectionsOpened == 1)
    }
}
