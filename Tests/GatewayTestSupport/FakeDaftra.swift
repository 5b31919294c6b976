import Dispatch
import EventLoop
import Foundation
import Glibc
import HTTP1

/// A Daftra upstream that misbehaves on demand, for end-to-end tests of the
/// gateway's upstream client.
///
/// A blocking loopback server (IPv4, ephemeral port): one thread accepts, one
/// thread per connection reads request heads with the project's own
/// ``HTTPRequestDecoder`` and serves many requests per connection (keep-alive).
/// Each request is answered as the closure in ``behaviour`` says; by default
/// ``daftra(_:)``, which mimics the real API. Plain threads and blocking calls
/// keep the fake independent of the event loop it is used to test.
///
/// ```swift
/// let upstream = try FakeDaftra { request in
///     request.index == 0 ? .closeWithoutAnswer : FakeDaftra.daftra(request)
/// }
/// defer { upstream.stop() }
/// // point the gateway at upstream.upstreamTemplate ...
/// #expect(upstream.connectionCount == 2)
/// ```
public final class FakeDaftra: Sendable {
    /// A request as the fake received it.
    public struct Request: Sendable {
        /// The method token as sent.
        public var method: String
        /// The request-target as sent, query included.
        public var target: String
        /// The header fields in arrival order.
        public var headers: HTTPHeaders
        /// The connection it came on: 1 for the first accepted, 2 for the next, ...
        public var connection: Int
        /// Its position on that connection: 0 for the first request, 1 for the next, ...
        public var index: Int

        /// Creates a request record (tests of behaviour closures build their own).
        public init(method: String, target: String, headers: HTTPHeaders, connection: Int, index: Int) {
            self.method = method
            self.target = target
            self.headers = headers
            self.connection = connection
            self.index = index
        }

        /// The target without its query.
        public var path: Substring {
            target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        }

        /// The tenant named by a `/{subdomain}/api2/...` path; nil for `/api2/...`.
        public var subdomain: String? {
            let segments = path.split(separator: "/", omittingEmptySubsequences: false)
            guard segments.count == 5, segments[2] == "api2" else { return nil }
            return String(segments[1])
        }

        /// The `{id}` of `[/{subdomain}]/api2/clients/{id}[.json]`, if the path has that shape.
        public var clientID: Int? {
            var segments = path.split(separator: "/", omittingEmptySubsequences: false)
            if segments.count == 5, segments[1] != "api2", !segments[1].isEmpty {
                segments.remove(at: 1)
            }
            guard segments.count == 4, segments[0].isEmpty, segments[1] == "api2", segments[2] == "clients"
            else { return nil }
            var id = segments[3]
            if id.hasSuffix(".json") { id = id.dropLast(5) }
            guard (1...18).contains(id.utf8.count), id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return nil
            }
            return Int(id)
        }
    }

    /// Chooses the answer to each request; runs on the connection's thread.
    public typealias Responder = @Sendable (Request) -> Behaviour

    /// The loopback port the fake listens on.
    public let port: UInt16
    private let core: FakeDaftraCore

    /// Starts listening on `127.0.0.1` on an ephemeral port.
    /// - Parameter behaviour: answers each request; ``daftra(_:)`` unless given.
    public init(_ behaviour: @escaping Responder = FakeDaftra.daftra) throws {
        core = try FakeDaftraCore(responder: behaviour)
        port = core.port
        core.start()
    }

    deinit {
        core.stop()
    }

    /// The gateway's `--upstream` for this fake: the subdomain goes in the path.
    public var upstreamTemplate: String { "http://127.0.0.1:\(port)/{subdomain}/api2" }

    /// The closure that answers the next requests (a request already being
    /// answered keeps the behaviour it got).
    public var behaviour: Responder {
        get { core.state.withLock { $0.responder } }
        set { core.state.withLock { $0.responder = newValue } }
    }

    /// Every request received so far, in arrival order.
    public var requests: [Request] { core.state.withLock { $0.requests } }

    /// Connections accepted so far.
    public var connectionCount: Int { core.state.withLock { $0.accepted } }

    /// Connections open now.
    public var openConnectionCount: Int { core.state.withLock { $0.open.count } }

    /// Requests the decoder rejected (answered 400 and closed): nothing the
    /// gateway sends should ever count here.
    public var malformedRequestCount: Int { core.state.withLock { $0.malformed } }

    /// The fake's threads still running (accept and connections): 0 after ``stop()``.
    public var runningThreadCount: Int { core.state.withLock { $0.threads } }

    /// Waits until at least `count` requests have arrived; returns whether they did
    /// within `seconds`.
    public func waitForRequests(_ count: Int, seconds: Double = 5) -> Bool {
        let end = DispatchTime.now() + .milliseconds(Int(seconds * 1000))
        while DispatchTime.now() < end {
            if core.state.withLock({ $0.requests.count }) >= count { return true }
            usleep(2_000)
        }
        return core.state.withLock { $0.requests.count } >= count
    }

    /// Stops listening, closes every connection (hanging ones included) and
    /// waits for the fake's threads to end. Idempotent. Not for behaviour
    /// closures: they run on a connection's thread, which `stop` waits for.
    public func stop() {
        core.stop()
    }
}

/// The fake's threads and shared state; separate from ``FakeDaftra`` so that the
/// threads do not keep the facade alive and its `deinit` can stop them.
final class FakeDaftraCore: Sendable {
    struct State {
        var responder: FakeDaftra.Responder
        var requests: [FakeDaftra.Request] = []
        var accepted = 0
        var malformed = 0
        /// Connection fds owned by a live thread; an fd leaves the set before it
        /// is closed (under the lock), so `stop` never shuts down a reused number.
        var open: Set<Int32> = []
        var listenerClosed = false
        var stopped = false
        var threads = 0
    }

    let state: Locked<State>
    let port: UInt16
    private let listener: Int32
    private let threads = DispatchGroup()

    init(responder: @escaping FakeDaftra.Responder) throws {
        state = Locked(State(responder: responder))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(call: "socket", errno: errno) }
        do {
            try Socket.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            let address = SocketAddress(ip: "127.0.0.1", port: 0)!
            _ = try address.withSockAddr { (sa, len) throws(SystemError) in
                try blockingSyscall("bind") { bind(fd, sa, len) }
            }
            try blockingSyscall("listen") { Glibc.listen(fd, 128) }
            port = try Socket.localAddress(fd).port
        } catch {
            Socket.close(fd)
            throw error
        }
        listener = fd
    }

    func start() {
        enterThread()
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "FakeDaftra.accept"
        thread.start()
    }

    func stop() {
        let first = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.stopped = true
            // Drops whatever the test's closure captured (the fake itself, often).
            s.responder = { _ in .closeWithoutAnswer }
            // Shutting down wakes the blocked accept and every blocked recv/send.
            if !s.listenerClosed { _ = shutdown(listener, Int32(SHUT_RDWR)) }
            for fd in s.open { _ = shutdown(fd, Int32(SHUT_RDWR)) }
            return true
        }
        if first { _ = threads.wait(timeout: .now() + .seconds(10)) }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    private func enterThread() {
        state.withLock { $0.threads += 1 }
        threads.enter()
    }

    private func leaveThread() {
        state.withLock { $0.threads -= 1 }
        threads.leave()
    }

    private func acceptLoop() {
        defer {
            state.withLock { s in
                s.listenerClosed = true
                Socket.close(listener)
            }
            leaveThread()
        }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // EINVAL after `stop` shut the listener down
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let number = state.withLock { s -> Int? in
                guard !s.stopped else { return nil }
                s.accepted += 1
                s.open.insert(fd)
                return s.accepted
            }
            guard let number else {
                Socket.close(fd)
                return
            }
            enterThread()
            let thread = Thread { [self] in serve(fd, connection: number) }
            thread.name = "FakeDaftra.connection.\(number)"
            thread.start()
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        var resetOnClose = false
        defer {
            state.withLock { s in
                s.open.remove(fd)
                if resetOnClose { Socket.setResetOnClose(fd) }
                Socket.close(fd)
            }
            leaveThread()
        }
        var reader = FakeRequestReader(fd: fd)
        var index = 0
        while true {
            let head: HTTPRequestHead
            switch reader.next() {
            case .head(let h): head = h
            case .closed: return
            case .malformed(let error):
                state.withLock { $0.malformed += 1 }
                let body = FakeDaftra.errorBody(status: error.status, message: error.reason)
                _ = FakeWire.write(fd, FakeWire.head(
                    status: error.status,
                    headers: [("Content-Length", "\(body.count)"), ("Connection", "close")]) + body)
                return
            }
            let request = FakeDaftra.Request(
                method: head.method, target: head.target, headers: head.headers,
                connection: connection, index: index)
            let responder = state.withLock { s in
                s.requests.append(request)
                return s.responder
            }
            let outcome = FakeWire.perform(responder(request), fd: fd, keepAlive: head.keepAlive, core: self)
            switch outcome {
            case .keepOpen:
                guard head.keepAlive else {
                    FakeWire.closeGracefully(fd)
                    return
                }
            case .close:
                FakeWire.closeGracefully(fd)
                return
            case .reset:
                resetOnClose = true
                return
            case .hang:
                reader.drainUntilClosed()
                return
            }
            index += 1
        }
    }

    /// Sleeps `seconds` unless the fake stops first; returns whether it slept it all.
    func sleep(seconds: Double) -> Bool {
        let end = DispatchTime.now() + .nanoseconds(Int(seconds * 1e9))
        while DispatchTime.now() < end {
            if isStopped { return false }
            usleep(UInt32(min(5_000, max(1, (end.uptimeNanoseconds &- DispatchTime.now().uptimeNanoseconds) / 1_000))))
        }
        return !isStopped
    }
}

/// Reads requests off a blocking socket: heads are kept, bodies skipped.
struct FakeRequestReader {
    enum Next {
        case head(HTTPRequestHead)
        case closed
        case malformed(HTTPParseError)
    }

    let fd: Int32
    private var buffer: [UInt8] = []
    private var decoder = HTTPRequestDecoder()

    init(fd: Int32) {
        self.fd = fd
    }

    /// The next complete request's head, once its body (if any) has been read.
    mutating func next() -> Next {
        var head: HTTPRequestHead?
        while true {
            do {
                while true {
                    let step = try buffer.withUnsafeBytes { try decoder.decode($0) }
                    buffer.removeFirst(step.consumed)
                    switch step.event {
                    case .head(let h): head = h
                    case .body: continue
                    case .end: if let head { return .head(head) }
                    case nil: break
                    }
                    if step.event == nil { break }
                }
            } catch let error as HTTPParseError {
                return .malformed(error)
            } catch {
                return .malformed(HTTPParseError(status: 400, reason: "\(error)"))
            }
            guard fill() else { return .closed }
        }
    }

    /// Reads and discards until the peer closes or the fake stops.
    mutating func drainUntilClosed() {
        while fill() { buffer.removeAll(keepingCapacity: true) }
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
                return true
            }
            if n < 0, errno == EINTR { continue }
            return false
        }
    }
}
