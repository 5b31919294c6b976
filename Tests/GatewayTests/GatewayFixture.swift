import EventLoop
import Foundation
import GatewayTestSupport
import Logging

@testable import Gateway

/// A gateway running in-process on an ephemeral loopback port, logging JSON
/// lines to a temporary file the test can read.
final class GatewayFixture: Sendable {
    let app: GatewayApp
    let sink: LogSink
    let logPath: String
    var port: UInt16 { app.address.port }

    init(_ arguments: [String] = []) throws {
        let configuration = try GatewayOptions.load(
            commandLine: ["--host", "127.0.0.1", "--port", "0", "--loops", "2"] + arguments,
            environment: [:])
        logPath = NSTemporaryDirectory() + "gateway-test-\(UUID().uuidString).log"
        let fd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        sink = LogSink(fileDescriptor: fd)
        let sink = self.sink
        let logger = Logger(label: "test") { label in
            JSONLogHandler(label: label, sink: sink, logLevel: configuration.logLevel)
        }
        let registry = try GatewayApp.loadRegistry(configuration: configuration, environment: [:])
        app = try GatewayApp(configuration: configuration, logger: logger, registry: registry, logSink: sink)
    }

    /// The JSON objects logged so far.
    func logLines() throws -> [[String: Any]] {
        sink.flush()
        let text = try String(contentsOfFile: logPath, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func stop() {
        app.server.closeListeners()
        app.server.closeAllConnections()
        sink.flush()
        sink.close()
        unlink(logPath)
    }
}

import Testing
