import Foundation
import GatewayTestSupport
import Testing

/// The built `daftra-gateway` executable run as a child process, for what only a
/// real process shows: signals, exit status, the command line.
final class GatewayProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` and the pipes are set up in init; the log
    // buffer is guarded by `lock`.
    let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""
    private let stderrIsLive: Bool

    /// The executable next to the test bundle in the build folder.
    static var executable: URL {
        let me = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        return me.deletingLastPathComponent().appendingPathComponent("daftra-gateway")
    }

    /// - Parameter liveStderr: collect stderr while the process runs (read it
    ///   with ``stderrSoFar``) instead of once it has exited (``stderr()``).
    init(_ arguments: [String], environment: [String: String] = [:], liveStderr: Bool = false) throws {
        stderrIsLive = liveStderr
        process.executableURL = Self.executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GATEWAY_") }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        stdoutPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.stdoutText += String(decoding: data, as: UTF8.self) }
        }
        if liveStderr {
            stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.withLock { self.stderrText += String(decoding: data, as: UTF8.self) }
            }
        }
        try process.run()
    }

    /// What the process wrote to stderr so far (with `liveStderr` only).
    var stderrSoFar: String {
        precondition(stderrIsLive, "stderrSoFar needs liveStderr: true")
        return lock.withLock { stderrText }
    }

    /// Stops reading the process's stdout, as a stalled log collector would: once
    /// the pipe's buffer is full, the gateway's writes to stdout block.
    func stopReadingStdout() {
        stdoutPipe.fileHandleForReading.readabilityHandler = nil
    }

    /// Everything the process wrote to stdout so far.
    var stdout: String { lock.withLock { stdoutText } }

    /// Everything on stderr (read once the process has exited).
    func stderr() -> String {
        String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The JSON log lines so far.
    func logLines() -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Waits for the start-up line and returns the port it names.
    func waitForPort(seconds: Double = 10) throws -> UInt16 {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            for line in logLines() {
                if let listening = line["listening"] as? String,
                   let port = listening.split(separator: ":").last.flatMap({ UInt16($0) }) {
                    return port
                }
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw RawClient.ClientError("the gateway did not start: \(stdout)")
    }

    /// Waits for exit; returns the status, or nil when it did not exit in time.
    func waitForExit(seconds: Double) -> Int32? {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < end { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    /// Whether the process is still running after `seconds`, checked all along
    /// (an exit in between is caught, not only the state at the end).
    func staysRunning(seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            guard process.isRunning else { return false }
            usleep(10_000)
        }
        return process.isRunning
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs blocking test work on its own thread. `DispatchQueue.global()` is not
/// used for that: on Linux its pool has about one thread per core, and blocking
/// work from suites running in parallel can hold all of them for seconds.
func onThread(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
    group.enter()
    let thread = Thread {
        body()
        group.leave()
    }
    thread.start()
}
