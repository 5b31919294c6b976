import EventLoop
import Foundation
import Glibc
import HTTP1

extension FakeDaftra {
    /// How the fake answers one request.
    public indirect enum Behaviour: Sendable {
        /// A `Content-Length` framed answer (`Content-Type: application/json`
        /// unless `headers` name one).
        case json(status: Int, body: [UInt8], headers: [(String, String)] = [])
        /// A chunked answer, one `send` per chunk of `chunkSize` bytes. With
        /// `extensionsAndTrailers`, chunk lines carry extensions and upper-case hex
        /// and the message ends with a trailer field.
        case chunked(
            status: Int, body: [UInt8], chunkSize: Int = 16, headers: [(String, String)] = [],
            extensionsAndTrailers: Bool = false)
        /// `body` gzip-compressed (`Content-Encoding: gzip`), length-framed or chunked.
        case gzip(status: Int, body: [UInt8], chunked: Bool = false)
        /// No length: the body ends when the fake closes the connection.
        case closeDelimited(status: Int, body: [UInt8])
        /// Reads the request and never answers; the socket stays open until the
        /// peer closes it or the fake stops.
        case hang
        /// Declares `Content-Length: declaredLength`, sends `sendBytes` of the body,
        /// then resets the connection (`SO_LINGER` 0).
        case resetMidBody(status: Int, declaredLength: Int, sendBytes: [UInt8])
        /// Sends `bytes` and resets the connection (`SO_LINGER` 0) at once, with no
        /// pause between: on loopback the bytes and the reset reach the peer
        /// together, usually before it is scheduled to read the bytes.
        case resetRightAfter([UInt8])
        /// Exactly these bytes (garbage, bad framing, ...); closes afterwards if asked,
        /// else reads the next request.
        case raw([UInt8], thenClose: Bool)
        /// Closes right after reading the request: a keep-alive connection the
        /// server dropped while the client thought it reusable.
        case closeWithoutAnswer
        /// Waits `seconds` (less if the fake stops), then behaves as `then`.
        case delay(Double, then: Behaviour)
        /// Sends `HTTP/1.1 100 Continue` first, then behaves as `then`.
        case interim100(then: Behaviour)
    }

    /// The success envelope around a Client object's exact JSON text.
    public static func envelope(client: String) -> [UInt8] {
        Array(#"{"code":200,"result":"successful","data":{"Client":"#.utf8) + Array(client.utf8) + Array("}}".utf8)
    }

    /// Daftra's error body: `{"result":"failed","code":<status>,"message":"<message>"}`.
    public static func errorBody(status: Int, message: String) -> [UInt8] {
        Array(#"{"result":"failed","code":\#(status),"message":"\#(message)"}"#.utf8)
    }

    /// A credential ``daftra(_:)`` rejects with 401 although it is well formed.
    public static let rejectedCredential = "wrong-token"

    /// What Daftra answers: `GET [/{subdomain}]/api2/clients/{id}[.json]` with
    /// exactly one non-empty credential (`Authorization: Bearer <token>` or
    /// `apikey`) gets the envelope of ``clients``[id], or 404 "Item not found".
    /// Both credentials together, neither, or ``rejectedCredential`` → 401; any
    /// other path or method → 404 "Invalid Endpoint".
    @Sendable
    public static func daftra(_ request: Request) -> Behaviour {
        guard request.method == "GET" || request.method == "HEAD", let id = request.clientID else {
            return .json(status: 404, body: errorBody(status: 404, message: "Invalid Endpoint"))
        }
        let unauthorized = Behaviour.json(status: 401, body: errorBody(status: 401, message: "Unauthorized"))
        let authorization = request.headers.first("Authorization")
        let apikey = request.headers.first("apikey")
        let credential: Substring
        switch (authorization, apikey) {
        case (let auth?, nil):
            guard auth.count > 7, auth.prefix(7).lowercased() == "bearer " else { return unauthorized }
            credential = auth.dropFirst(7)
        case (nil, let key?):
            credential = Substring(key)
        default:
            return unauthorized
        }
        guard !credential.isEmpty, credential != rejectedCredential else { return unauthorized }
        guard let client = clients[id] else {
            return .json(status: 404, body: errorBody(status: 404, message: "Item not found"))
        }
        return .json(status: 200, body: envelope(client: client))
    }

    /// `bytes` compressed by the system's `gzip -n` (memoised: tests reuse bodies).
    public static func gzipped(_ bytes: [UInt8]) -> [UInt8] {
        if let known = gzipCache.withLock({ $0[bytes] }) { return known }
        let input = FileManager.default.temporaryDirectory
            .appendingPathComponent("fake-daftra-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: input) }
        do {
            try Data(bytes).write(to: input)
            let process = Process()
            let gzip = ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) }
            process.executableURL = URL(fileURLWithPath: gzip ?? "/usr/bin/gzip")
            process.arguments = ["-c", "-n", input.path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0, !data.isEmpty else {
                fatalError("FakeDaftra: gzip exited with \(process.terminationStatus)")
            }
            let compressed = [UInt8](data)
            gzipCache.withLock { $0[bytes] = compressed }
            return compressed
        } catch {
            fatalError("FakeDaftra: cannot run gzip: \(error)")
        }
    }

    private static let gzipCache = Locked<[[UInt8]: [UInt8]]>([:])
}

/// Writing answers on a blocking socket.
enum FakeWire {
    /// What the connection does after an answer.
    enum Outcome {
        case keepOpen, close, reset, hang
    }

    static func perform(
        _ behaviour: FakeDaftra.Behaviour, fd: Int32, keepAlive: Bool, core: FakeDaftraCore
    ) -> Outcome {
        let closing: [(String, String)] = keepAlive ? [] : [("Connection", "close")]
        switch behaviour {
        case .json(let status, let body, let headers):
            let fields = withContentType(headers) + [("Content-Length", "\(body.count)")] + closing
            return write(fd, head(status: status, headers: fields) + body) ? .keepOpen : .close

        case .chunked(let status, let body, let chunkSize, let headers, let extras):
            return writeChunked(
                fd, status: status, body: body, chunkSize: chunkSize,
                headers: withContentType(headers) + closing, extras: extras)

        case .gzip(let status, let body, let chunked):
            let compressed = FakeDaftra.gzipped(body)
            let headers = withContentType([("Content-Encoding", "gzip")])
            if chunked {
                return writeChunked(
                    fd, status: status, body: compressed, chunkSize: 64, headers: headers + closing, extras: false)
            }
            let fields = headers + [("Content-Length", "\(compressed.count)")] + closing
            return write(fd, head(status: status, headers: fields) + compressed) ? .keepOpen : .close

        case .closeDelimited(let status, let body):
            _ = write(fd, head(status: status, headers: withContentType([]) + [("Connection", "close")]) + body)
            return .close

        case .hang:
            return .hang

        case .resetMidBody(let status, let declaredLength, let sendBytes):
            let fields = withContentType([]) + [("Content-Length", "\(declaredLength)")]
            _ = write(fd, head(status: status, headers: fields) + sendBytes)
            // Let the bytes leave before the reset discards whatever is still queued.
            _ = core.sleep(seconds: 0.02)
            return .reset

        case .resetRightAfter(let bytes):
            _ = write(fd, bytes)
            return .reset

        case .raw(let bytes, let thenClose):
            return write(fd, bytes) && !thenClose ? .keepOpen : .close

        case .closeWithoutAnswer:
            return .close

        case .delay(let seconds, let then):
            guard core.sleep(seconds: seconds) else { return .close }
            return perform(then, fd: fd, keepAlive: keepAlive, core: core)

        case .interim100(let then):
            guard write(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return .close }
            return perform(then, fd: fd, keepAlive: keepAlive, core: core)
        }
    }

    private static func writeChunked(
        _ fd: Int32, status: Int, body: [UInt8], chunkSize: Int, headers: [(String, String)], extras: Bool
    ) -> Outcome {
        let fields = headers + [("Transfer-Encoding", "chunked")] + (extras ? [("Trailer", "X-Checksum")] : [])
        guard write(fd, head(status: status, headers: fields)) else { return .close }
        let size = max(1, chunkSize)
        var offset = 0
        while offset < body.count {
            let end = min(offset + size, body.count)
            let hex = String(end - offset, radix: 16, uppercase: extras)
            let line = extras ? "\(hex);name=\"chunk \(offset / size)\";x=1\r\n" : "\(hex)\r\n"
            guard write(fd, Array(line.utf8) + body[offset..<end] + [13, 10]) else { return .close }
            offset = end
        }
        let last = extras ? "0;done\r\nX-Checksum: \(body.count)\r\n\r\n" : "0\r\n\r\n"
        return write(fd, Array(last.utf8)) ? .keepOpen : .close
    }

    private static func withContentType(_ headers: [(String, String)]) -> [(String, String)] {
        let named = headers.contains { $0.0.lowercased() == "content-type" }
        return named ? headers : [("Content-Type", "application/json")] + headers
    }

    /// A status line and header section (through the blank line).
    static func head(status: Int, headers: [(String, String)]) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Sends all of `bytes`; false once the peer is gone or the fake stopped.
    static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            sent += n
        }
        return true
    }

    /// Sends a FIN now (the fd itself is closed by the connection's thread).
    static func closeGracefully(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_WR))
    }
}
