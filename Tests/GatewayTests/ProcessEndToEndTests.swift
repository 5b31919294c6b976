import Foundation
import GatewayTestSupport
import Testing

@testable import Gateway

/// The built executable end to end: a request in flight at SIGTERM, and the
/// `--demo` start-up instructions actually working.
@Suite("the executable end to end", .serialized)
struct ProcessEndToEndTests {
    /// SIGTERM while the only request waits on a slow upstream: the request still
    /// gets its 200 (told to close the connection), and only then does the process
    /// exit, with status 0.
    @Test func sigtermWhileARequestWaitsOnTheUpstreamAnswersItAndExitsZero() throws {
        let fake = try FakeDaftra { request in .delay(1.0, then: FakeDaftra.daftra(request)) }
        defer { fake.stop() }
        let gateway = try GatewayProcess([
            "--host", "127.0.0.1", "--port", "0", "--upstream", fake.upstreamTemplate,
            "--upstream-timeout", "10s", "--drain-delay", "100ms", "--shutdown-timeout", "10s",
        ])
        let port = try gateway.waitForPort()
        let client = try RawClient(port: port, timeoutSeconds: 10)
        let sent = Date()
        try client.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\nX-Daftra-Subdomain: acme\r\nAuthorization: Bearer t0k\r\n\r\n")
        // The request is at the upstream, which holds it for a second.
        #expect(fake.waitForRequests(1, seconds: 5))
        gateway.signal(SIGTERM)
        let r = try client.readResponse()
        let waited = Date().timeIntervalSince(sent)
        #expect(r.status == 200)
        #expect(r.text == FakeDaftra.clients[1])
        #expect(r.header("Connection") == "close")
        #expect(waited >= 0.9, "the answer came after the upstream's delay, \(waited)s")
        #expect(client.isClosedByPeer())
        #expect(gateway.waitForExit(seconds: 15) == 0)
        let lines = gateway.logLines()
        let signalled = try #require(ShutdownTests.timestamp(of: "signal received", in: lines))
        let completed = try #require(ShutdownTests.timestamp(of: "shutdown complete", in: lines))
        let request = try #require(lines.first { $0["msg"] as? String == "request" })
        #expect(request["status"] as? Int == 200)
        #expect(request["upstream_status"] as? Int == 200)
        // The shutdown waited for the upstream's answer (most of its second).
        #expect(completed.timeIntervalSince(signalled) >= 0.5)
        #expect(fake.requests.count == 1)
    }

    /// `--demo` prints curl commands on stderr; each one, run as printed, gets what
    /// its comment promises: the demo clients byte for byte (or projected, or
    /// gzipped), 404 and 401 problems, and the probes.
    @Test func theDemoCommandsPrintedAtStartWork() throws {
        let gateway = try GatewayProcess(
            ["--demo", "--host", "127.0.0.1", "--port", "0", "--drain-delay", "0s"], liveStderr: true)
        let port = try gateway.waitForPort()
        #expect(RawClientWait.until(seconds: 10) { gateway.stderrSoFar.contains("/metrics\n") },
                "stderr: \(gateway.stderrSoFar)")
        let commands = gateway.stderrSoFar.split(separator: "\n").filter { $0.hasPrefix("curl ") }.map(String.init)
        #expect(commands.count >= 8, "\(commands)")
        let curl = ["/usr/bin/curl", "/bin/curl", "/usr/local/bin/curl"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        var clientsSeen: Set<Int> = []
        for line in commands {
            let command = try DemoCommand(line)
            #expect(command.host == "127.0.0.1" && command.port == port, "\(line)")
            let expected = command.expectation
            // The request the command describes, sent as it says.
            var headers = command.headers
            if command.compressed { headers.append(("Accept-Encoding", "gzip")) }
            let r = try RawClient.get(command.target, port: port, headers: headers)
            #expect(r.status == expected.status, "\(line): \(r.status) \(r.text)")
            var body = r.body
            if r.header("Content-Encoding") == "gzip" {
                #expect(command.compressed, "\(line)")
                body = Array((gunzip(r.body) ?? "").utf8)
            } else {
                #expect(!command.compressed || body.count < 256, "\(line): not gzipped")
            }
            if let client = expected.client {
                clientsSeen.insert(client)
                try Self.expectClient(body, id: client, fields: command.fields, line: line)
            }
            if expected.status >= 400 {
                #expect(r.header("Content-Type") == "application/problem+json", "\(line)")
            }
            // The same line pasted into a shell, where curl is installed.
            if let curl {
                let output = try Self.shell(line.replacingOccurrences(of: "curl ", with: "\(curl) ", options: .anchored))
                if command.includeHeaders {
                    #expect(output.hasPrefix("HTTP/1.1 \(expected.status) "), "\(line): \(output.prefix(80))")
                } else if let client = expected.client {
                    try Self.expectClient(Array(output.utf8), id: client, fields: command.fields, line: line)
                }
            }
        }
        // The commands show at least three sample clients.
        #expect(clientsSeen.count >= 3, "\(clientsSeen)")
        gateway.signal(SIGTERM)
        #expect(gateway.waitForExit(seconds: 15) == 0)
    }

    /// `body` is demo client `id`: byte for byte, or its members named by `fields`.
    static func expectClient(_ body: [UInt8], id: Int, fields: [String]?, line: String) throws {
        let full = try #require(DemoClients.clients[id])
        guard let fields else {
            #expect(String(decoding: body, as: UTF8.self) == full, "\(line)")
            return
        }
        let got = try #require(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], "\(line)")
        let all = try #require(JSONSerialization.jsonObject(with: Data(full.utf8)) as? [String: Any])
        #expect(Set(got.keys) == Set(fields).intersection(all.keys), "\(line)")
        for (key, value) in got {
            #expect("\(value)" == "\(all[key] ?? "missing")", "\(line): \(key)")
        }
    }

    /// Runs `command` with `/bin/sh -c`; returns its stdout.
    static func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(command)")
        return String(decoding: data, as: UTF8.self)
    }
}

/// One `curl` line of the demo's instructions, split as a shell would split it.
struct DemoCommand {
    var headers: [(String, String)] = []
    var compressed = false
    var includeHeaders = false
    var host = ""
    var port: UInt16 = 0
    /// Path and query.
    var target = ""

    init(_ line: String) throws {
        let words = try Self.shellWords(line)
        var i = 1
        var url: String?
        while i < words.count {
            let word = words[i]
            switch word {
            case "-H":
                i += 1
                let header = words[i]
                let colon = try #require(header.firstIndex(of: ":"), "\(line)")
                headers.append((String(header[..<colon]), header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            case "--compressed": compressed = true
            case "-s": break
            case "-si": includeHeaders = true
            default:
                #expect(!word.hasPrefix("-"), "an option the test does not know: \(word)")
                url = word
            }
            i += 1
        }
        let text = try #require(url, "\(line)")
        let components = try #require(URLComponents(string: text))
        #expect(components.scheme == "http")
        host = components.host ?? ""
        port = UInt16(components.port ?? 80)
        target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
    }

    /// The client id of a `/clients/{id}` target.
    var clientID: Int? {
        let path = target.split(separator: "?")[0]
        guard path.hasPrefix("/clients/") else { return nil }
        return Int(path.dropFirst("/clients/".count))
    }

    /// `?fields=` split at commas.
    var fields: [String]? {
        URLComponents(string: target)?.queryItems?.first { $0.name == "fields" }?.value?
            .split(separator: ",").map(String.init)
    }

    /// What the contract says this request gets: the status and, for a 200 of
    /// `/clients/{id}`, which demo client.
    var expectation: (status: Int, client: Int?) {
        guard let id = clientID else { return (200, nil) }
        let credential = headers.contains { ["authorization", "apikey"].contains($0.0.lowercased()) }
        if !credential { return (401, nil) }
        if DemoClients.clients[id] == nil { return (404, nil) }
        return (200, id)
    }

    /// POSIX shell word splitting for what the demo prints: blanks, single quotes.
    static func shellWords(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quoted = false
        for c in line {
            if quoted {
                if c == "'" { quoted = false } else { current.append(c) }
            } else if c == "'" {
                quoted = true
                inWord = true
            } else if c == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                #expect(!"\"\\$`".contains(c), "a shell character the test does not handle: \(c)")
                current.append(c)
                inWord = true
            }
        }
        #expect(!quoted, "unterminated quote: \(line)")
        if inWord { words.append(current) }
        return words
    }
}
