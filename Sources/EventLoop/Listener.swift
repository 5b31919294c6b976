import Dispatch
import Glibc
import Synchronization

/// Counts open connections against `--max-connections`, across all loops.
public final class ConnectionGate: Sendable {
    /// The most connections open at once.
    public let limit: Int
    private let active = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Connections open now.
    public var count: Int { active.load(ordering: .relaxed) }

    /// Takes a slot, or returns false when all are taken.
    public func tryAcquire() -> Bool {
        var current = active.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = active.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives a slot back.
    public func release() {
        active.subtract(1, ordering: .relaxed)
    }
}

/// A listening socket whose accept source runs on one loop.
///
/// Accepts in batches; when `--max-connections` are open or the process is out
/// of descriptors it suspends its source and tries again shortly, so further
/// connections wait in the kernel's backlog instead of the loop spinning.
// @unchecked Sendable: mutable state is confined to `loop.queue` (the accept
// source's queue); `close()` hops there.
public final class Listener: @unchecked Sendable {
    /// A newly accepted connection: its fd (non-blocking, owned by the callee), the
    /// peer, and the loop it should live on.
    public typealias AcceptHandler = @Sendable (_ fd: Int32, _ peer: SocketAddress, _ loop: EventLoop) -> Void

    public let loop: EventLoop
    public let fd: Int32
    /// The bound address (with the real port when 0 was asked for).
    public let address: SocketAddress

    private let gate: ConnectionGate
    private let pickLoop: @Sendable () -> EventLoop
    private let onAccept: AcceptHandler
    private var source: (any DispatchSourceRead)?
    private var suspended = true
    private var closed = false
    /// Accepts per readiness event: drains bursts without starving the loop.
    private let batch = 64
    private let retryDelay: DispatchTimeInterval = .milliseconds(20)

    /// - Parameters:
    ///   - pickLoop: the loop each accepted connection goes to (the listener's own
    ///     for one listener per loop; the next of the group for a shared one).
    public init(
        fd: Int32,
        loop: EventLoop,
        gate: ConnectionGate,
        pickLoop: @escaping @Sendable () -> EventLoop,
        onAccept: @escaping AcceptHandler
    ) throws(SystemError) {
        self.fd = fd
        self.loop = loop
        self.gate = gate
        self.pickLoop = pickLoop
        self.onAccept = onAccept
        self.address = try Socket.localAddress(fd)
    }

    /// Starts accepting.
    public func start() {
        loop.execute { [self] in
            guard !closed, source == nil else { return }
            let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
            s.setEventHandler { [unowned self] in self.acceptBatch() }
            s.setCancelHandler { [self] in
                Socket.close(fd)
                source = nil
            }
            source = s
            suspended = false
            s.resume()
        }
    }

    /// Stops accepting and closes the socket (after the source's cancel handler).
    ///
    /// Connections that completed their handshake but wait in the backlog are
    /// accepted first and handed over like any other: closing a listening
    /// socket resets them, and a client that connected should see its
    /// connection end (the server, shutting down, closes it gracefully), not a
    /// reset. A handshake still under way when the socket closes, or completing
    /// after this drain, is reset by the kernel: the client sees its connection
    /// refused or reset before any request was taken.
    public func close() {
        loop.execute { [self] in
            guard !closed else { return }
            drainBacklog()
            closed = true
            guard let s = source else {
                Socket.close(fd)
                return
            }
            s.cancel()
            if suspended {
                suspended = false
                s.resume()
            }
        }
    }

    /// Accepts until the backlog is empty, the gate is full or accepting fails.
    private func drainBacklog() {
        while acceptBatch() > 0 {}
    }

    /// Accepts up to `batch` connections; returns how many it accepted and handed
    /// over (none once the backlog is empty or accepting paused).
    @discardableResult
    private func acceptBatch() -> Int {
        var accepted = 0
        for _ in 0..<batch {
            guard !closed else { return accepted }
            guard gate.tryAcquire() else {
                pause()
                return accepted
            }
            let result: IOResult<(Int32, SocketAddress)>
            do {
                result = try Socket.accept(fd)
            } catch {
                gate.release()
                if error.isOutOfDescriptors {
                    pause()
                    return accepted
                }
                // ECONNABORTED and the like cost one connection, not the listener.
                continue
            }
            switch result {
            case .wouldBlock:
                gate.release()
                return accepted
            case .value(let (cfd, peer)):
                accepted += 1
                let target = pickLoop()
                if target === loop {
                    onAccept(cfd, peer, target)
                } else {
                    // The fd moves to another loop; nothing here touches it again.
                    let handler = onAccept
                    target.execute { handler(cfd, peer, target) }
                }
            }
        }
        return accepted
    }

    private func pause() {
        guard let s = source, !suspended else { return }
        s.suspend()
        suspended = true
        loop.queue.asyncAfter(deadline: .now() + retryDelay) { [self] in
            guard !closed, suspended, let s = source else { return }
            suspended = false
            s.resume()
        }
    }
}
