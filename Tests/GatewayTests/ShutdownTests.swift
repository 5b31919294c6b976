import Foundation
import GatewayTestSupport
import Synchronization
import Testing

@Suite("shutdown and the command line", .serialized)
struct ShutdownTests {
    @Test func sigtermWhileClientsSendRequestsLosesNoneAndExitsZero() throws {
        let gateway = try GatewayProcess([
            "--host", "127.0.0.1", "--port", "0", "--drain-delay", "300ms", "--shutdown-timeout", "5s",
        ])
        let port = try gateway.waitForPort()
        let answered = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        for worker in 0..<8 {
            onThread(group) {
                // Each worker keeps one keep-alive connection and reconnects when the
                // server closes it between requests, like a real client; it stops once
                // connections are refused (listeners closed).
                var client: RawClient? = nil
                var sent = 0
                // Whether `client` has carried no request yet.
                var fresh = false
                while !stop.load(ordering: .relaxed) {
                    if client == nil {
                        client = try? RawClient(port: port)
                        if client == nil { return }
                        fresh = true
                    }
                    do {
                        do {
                            try client!.send("GET /livez?w=\(worker)&n=\(sent) HTTP/1.1\r\nHost: x\r\n\r\n")
                        } catch where fresh && "\(error)".contains("errno \(ECONNRESET)") {
                            // The handshake finished as the listener closed: the
                            // kernel resets a connection no listener will accept
                            // (the client's connect had already returned). That is
                            // a refused connection, which ends this worker too.
                            return
                        }
                        let firstOnConnection = fresh
                        fresh = false
                        sent += 1
                        let r: RawClient.Response
                        do {
                            r = try client!.readResponse()
                        } catch where firstOnConnection && "\(error)".contains("reset before any answer byte") {
                            // The same race seen later: the request went out on a
                            // connection no listener took, and the kernel's reset
                            // is how that refusal arrives. Nothing was taken.
                            return
                        }
                        if r.status == 200 {
                            answered.add(1, ordering: .relaxed)
                        } else {
                            failed.add(1, ordering: .relaxed)
                            Issue.record("worker \(worker), request \(sent): status \(r.status) \(r.text)")
                        }
                        if r.header("Connection") == "close" { client = nil }
                    } catch {
                        // Closed (a FIN, not a reset) between requests before any
                        // byte of an answer: the keep-alive race every HTTP client
                        // retries; any other loss counts, a reset included.
                        if "\(error)".contains("closed before any answer byte") {
                            client = nil
                        } else {
                            failed.add(1, ordering: .relaxed)
                            Issue.record("worker \(worker), request \(sent)\(fresh ? "" : " (keep-alive)"): \(error)")
                            client = nil
                        }
                    }
                }
            }
        }
        usleep(300_000)
        let before = answered.load(ordering: .relaxed)
        let start = Date()
        gateway.signal(SIGTERM)
        // During the drain delay readiness fails while requests are still served.
        usleep(100_000)
        let ready = try RawClient.get("/readyz", port: port)
        #expect(ready.status == 503)
        let status = gateway.waitForExit(seconds: 10)
        stop.store(true, ordering: .relaxed)
        group.wait()
        #expect(status == 0)
        #expect(failed.load(ordering: .relaxed) == 0)
        #expect(answered.load(ordering: .relaxed) > before)
        // The promise is "done within --shutdown-timeout (5s)", timed by the
        // gateway's own log from the signal to "shutdown complete". The wall clock
        // here also holds the process's exit (LeakSanitizer scans memory at exit
        // under `sanitizers.sh address`) and this test's polling on a loaded
        // machine, so it only bounds a hang.
        let lines = gateway.logLines()
        let signalled = try #require(Self.timestamp(of: "signal received", in: lines))
        let completed = try #require(Self.timestamp(of: "shutdown complete", in: lines))
        #expect(completed.timeIntervalSince(signalled) < 5)
        #expect(Date().timeIntervalSince(start) < 10)
    }

    /// The `ts` of the first log line with message `msg`.
    static func timestamp(of msg: String, in lines: [[String: Any]]) -> Date? {
        guard let line = lines.first(where: { $0["msg"] as? String == msg }), let ts = line["ts"] as? String else {
            return nil
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: ts)
    }

    /// In a child process, so the descriptor count is the server's alone (other
    /// suites run in parallel in this process).
    /// A keep-alive client may send its next request just as shutdown closes its
    /// idle connection. The gateway half-closes and keeps the socket, discarding
    /// input, until the client closes too: the client sees an end of stream (safe
    /// to retry elsewhere), never a reset, and the process exits after it.
    @Test func aRequestSentIntoTheIdleCloseAtShutdownMeetsEndOfStreamNotAReset() throws {
        let gateway = try GatewayProcess([
            "--host", "127.0.0.1", "--port", "0", "--drain-delay", "0s", "--shutdown-timeout", "5s",
        ])
        let port = try gateway.waitForPort()
        let client = try RawClient(port: port)
        try client.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        gateway.signal(SIGTERM)
        // The idle connection is closed: its end of stream makes the socket readable.
        var ready = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 3_000) == 1)
        usleep(100_000)
        // Had the process gone, this request would meet a closed socket and a reset.
        try client.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        // The linger lasts up to 2 s from the close; for most of that the process
        // must stay, and must not have finished its shutdown.
        #expect(gateway.staysRunning(seconds: 0.8), "the gateway waits while the socket lingers")
        #expect(!gateway.logLines().contains { $0["msg"] as? String == "shutdown complete" })
        var byte: UInt8 = 0
        let n = recv(client.fd, &byte, 1, 0)
        #expect(n == 0, "end of stream, not errno \(errno) (\(ECONNRESET) is a reset)")
        // The client's close ends the linger; then the gateway exits.
        shutdown(client.fd, Int32(SHUT_WR))
        #expect(gateway.waitForExit(seconds: 3) == 0)
    }

    @Test func tenThousandConnectionsOpenedAndResetLeaveNoDescriptorBehind() throws {
        let gateway = try GatewayProcess(["--host", "127.0.0.1", "--port", "0", "--log-level", "notice"])
        let port = try gateway.waitForPort()
        func fds() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(gateway.process.processIdentifier)/fd").count) ?? -1
        }
        _ = try RawClient.get("/livez", port: port)
        usleep(200_000)  // that connection's close reaches the server
        let baseline = fds()
        var opened = 0
        var peak = 0
        while opened < 10_000 {
            var batch: [RawClient] = []
            for _ in 0..<250 { batch.append(try RawClient(port: port)) }
            // Half ask something first, so both idle and used connections are reset.
            for (i, c) in batch.enumerated() where i % 2 == 0 {
                try c.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try c.readResponse()
            }
            peak = max(peak, fds())
            for c in batch {
                var l = linger(l_onoff: 1, l_linger: 0)
                setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
            }
            opened += batch.count
            batch.removeAll()
        }
        let deadline = Date().addingTimeInterval(10)
        while fds() > baseline, Date() < deadline { usleep(20_000) }
        #expect(fds() == baseline, "fds: baseline \(baseline), peak \(peak), now \(fds())")
        #expect(peak > baseline + 100, "the connections were really open at the server")
        #expect(try RawClient.get("/livez", port: port).status == 200)
        gateway.signal(SIGKILL)
    }

    /// A log collector that stops reading must not keep the process from exiting:
    /// the lines it never took are lost, as at a SIGKILL, but the exit is clean
    /// and on time.
    @Test func aStalledStdoutDoesNotHoldTheExit() throws {
        let gateway = try GatewayProcess([
            "--host", "127.0.0.1", "--port", "0", "--drain-delay", "0s", "--shutdown-timeout", "2s",
        ])
        let port = try gateway.waitForPort()
        gateway.stopReadingStdout()
        // About 300 bytes of access log each: far more than a pipe holds.
        let client = try RawClient(port: port)
        for _ in 0..<2_000 {
            try client.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
        usleep(200_000)
        gateway.signal(SIGTERM)
        #expect(gateway.waitForExit(seconds: 4) == 0)
    }

    @Test func secondSignalExitsAtOnce() throws {
        let gateway = try GatewayProcess(["--host", "127.0.0.1", "--port", "0", "--drain-delay", "10s"])
        _ = try gateway.waitForPort()
        gateway.signal(SIGTERM)
        usleep(100_000)
        gateway.signal(SIGINT)
        // Well inside the 10 s drain delay: only the second signal explains the exit.
        let status = gateway.waitForExit(seconds: 5)
        #expect(status != nil && status != 0)
    }

    @Test(arguments: [
        (["--port", "99999"], "--port"),
        (["--upstream-timeout", "soon"], "--upstream-timeout"),
        (["--gzip-level", "12"], "--gzip-level"),
        (["--no-such-option"], "no-such-option"),
    ])
    func badOptionsExit64WithOneLineNamingTheOption(arguments: [String], named: String) throws {
        let gateway = try GatewayProcess(arguments)
        #expect(gateway.waitForExit(seconds: 10) == 64)
        let err = gateway.stderr().trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(err.contains(named), "stderr: \(err)")
        #expect(!err.contains("\n"), "one line: \(err)")
    }

    @Test func environmentVariablesConfigureAndFlagsWin() throws {
        let bad = try GatewayProcess([], environment: ["GATEWAY_IDLE_TIMEOUT": "nope"])
        #expect(bad.waitForExit(seconds: 10) == 64)
        #expect(bad.stderr().contains("GATEWAY_IDLE_TIMEOUT"))
        let good = try GatewayProcess(["--port", "0", "--host", "127.0.0.1", "--drain-delay", "50ms"],
                                      environment: ["GATEWAY_PORT": "1", "GATEWAY_LOG_LEVEL": "notice"])
        let port = try good.waitForPort()
        #expect(port != 1)
        _ = try RawClient.get("/livez", port: port)
        good.signal(SIGTERM)
        #expect(good.waitForExit(seconds: 10) == 0)
        // notice level: no per-request info line.
        #expect(!good.logLines().contains { $0["msg"] as? String == "request" })
    }
}
