import Dispatch
import Glibc

/// A connected non-blocking TCP socket driven by Dispatch sources on one loop.
///
/// - A read source is active while reading is wanted; at EOF it is suspended,
///   since a read source at EOF fires again and again.
/// - A write source exists only once a send would block, and is resumed only
///   while output is pending.
/// - Teardown cancels the sources (resuming a suspended one first: a suspended
///   source never runs its cancel handler) and closes the fd exactly once, after
///   every cancel handler ran, so the kernel cannot reuse the fd number while
///   epoll still holds the old registration.
// @unchecked Sendable: every mutable property is confined to `loop.queue`: the
// sources deliver on that queue, and the public methods are called only from it
// (asserted in debug builds).
public final class SocketChannel: ByteStream, DeadlineWatcher, @unchecked Sendable {
    public let loop: EventLoop
    /// The socket; closed exactly once, by the last cancel handler.
    public let fd: Int32
    /// The peer's address, when known.
    public let peer: SocketAddress?

    public var delegate: (any ByteStreamDelegate)?

    private enum State {
        case open
        /// Output queued; close once it has left, or reset once the peer has
        /// taken none of it for ``flushTimeout``.
        case flushing
        /// Write side shut down; discarding input until EOF or the linger deadline.
        case lingering
        case closed
    }

    private var state = State.open
    private var readSource: (any DispatchSourceRead)?
    private var readSuspended = true
    private var readWanted = false
    private var writeSource: (any DispatchSourceWrite)?
    private var writeSuspended = true
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var outstandingCancels = 0
    private var closeError: (any Error)?
    #if DEBUG
    /// `read(2)` calls made so far: lets tests check that an event costs one read.
    private(set) var readCalls = 0
    #endif
    /// The flush deadline while `.flushing`, the linger deadline while
    /// `.lingering`; `.max` (and not watched) otherwise.
    public private(set) var deadline: UInt64 = .max

    /// How long a lingering close waits for the peer's EOF.
    public static let lingerTime: UInt64 = 2_000_000_000

    /// How long a closing channel waits for the peer to take any of its queued
    /// output before it gives up and resets. The connection has already left its
    /// server's books (and `--max-connections`) by then, so without this a peer
    /// that stops reading would hold the socket and its output for ever.
    public var flushTimeout: UInt64 = 10_000_000_000

    /// Output already sent at the front of `pending` is dropped once it is at
    /// least this large and half the array, so a connection whose queue never
    /// quite empties does not keep every byte it ever sent.
    static let compactionThreshold = 64 * 1024

    /// Wraps an fd that is already connected and non-blocking. The channel owns it.
    public init(fd: Int32, loop: EventLoop, peer: SocketAddress?) {
        self.fd = fd
        self.loop = loop
        self.peer = peer
    }

    public var pendingWriteBytes: Int { pending.count - pendingOffset }

    /// The queue's storage, sent bytes included (tests check compaction).
    var pendingStorageBytes: Int { pending.count }

    public var isOpen: Bool { state == .open }

    public func start() {
        loop.assertInLoop()
        guard state == .open else { return }
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
        source.setEventHandler { [unowned self] in self.readable(estimate: self.readSource?.data ?? 0) }
        source.setCancelHandler { [self] in self.sourceCancelled() }
        readSource = source
        readWanted = true
        readSuspended = false
        source.resume()
    }

    public func pauseReading() {
        loop.assertInLoop()
        readWanted = false
        if let source = readSource, !readSuspended {
            source.suspend()
            readSuspended = true
        }
    }

    public func resumeReading() {
        loop.assertInLoop()
        guard state == .open || state == .lingering else { return }
        readWanted = true
        if let source = readSource, readSuspended {
            readSuspended = false
            source.resume()
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        loop.assertInLoop()
        guard state == .open, bytes.count > 0 else { return }
        if pendingWriteBytes > 0 {
            if pendingOffset >= Self.compactionThreshold, pendingOffset >= pending.count / 2 {
                pending.removeFirst(pendingOffset)
                pendingOffset = 0
            }
            pending.append(contentsOf: bytes)
            return
        }
        var sent = 0
        while sent < bytes.count {
            do {
                switch try Socket.send(fd, UnsafeRawBufferPointer(rebasing: bytes[sent...])) {
                case .value(let n):
                    sent += n
                case .wouldBlock:
                    pending.append(contentsOf: bytes[sent...])
                    armWrite()
                    return
                }
            } catch {
                teardown(error: error)
                return
            }
        }
    }

    public func close(_ mode: CloseMode) {
        loop.assertInLoop()
        switch state {
        case .closed, .lingering:
            if mode == .immediately { teardown(error: nil) }
            return
        case .flushing:
            if mode == .immediately { teardown(error: nil) }
            return
        case .open:
            break
        }
        guard mode == .afterFlush else {
            teardown(error: nil)
            return
        }
        if pendingWriteBytes > 0 {
            state = .flushing
            deadline = MonotonicClock.now() &+ flushTimeout
            loop.watch(self)
        } else {
            beginLinger()
        }
    }

    /// Closes with a TCP reset instead of a FIN (used by tests that model abrupt peers,
    /// and for connections cut off at shutdown).
    public func reset() {
        loop.assertInLoop()
        guard state != .closed else { return }
        Socket.setResetOnClose(fd)
        teardown(error: nil)
    }

    public func deadlineExpired(now: UInt64) {
        if state == .flushing {
            // The peer took nothing for `flushTimeout`: a reset drops the queued
            // output here and in the kernel, where a close would keep retrying it.
            Socket.setResetOnClose(fd)
        }
        // Lingering: the peer never closed.
        teardown(error: nil)
    }

    // MARK: - Source events

    /// Reads what the event announced. `estimate` is the source's data: the bytes
    /// the socket held when libdispatch took the event, or 0 when it merged a
    /// hang-up (see `ReadDrain`), or 0 when called to continue a long burst.
    private func readable(estimate: UInt) {
        let buffer = loop.readBuffer
        // A burst larger than a few buffers continues on a later turn of the
        // loop, so one connection cannot starve the others.
        for _ in 0..<8 {
            guard state != .closed, readWanted else { return }
            let result: IOResult<Int>
            do {
                #if DEBUG
                readCalls += 1
                #endif
                result = try Socket.read(fd, into: buffer)
            } catch {
                teardown(error: error.isConnectionReset ? nil : error)
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .value(0):
                if state == .lingering {
                    teardown(error: nil)
                } else {
                    pauseReading()
                    delegate?.streamDidReadEOF()
                }
                return
            case .value(let n):
                if state != .lingering {
                    delegate?.streamDidRead(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                }
                guard ReadDrain.mustReadAgain(after: n, capacity: buffer.count, estimate: estimate) else { return }
            }
        }
        loop.execute { [self] in readable(estimate: 0) }
    }

    private func armWrite() {
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: loop.queue)
            source.setEventHandler { [unowned self] in self.writable() }
            source.setCancelHandler { [self] in self.sourceCancelled() }
            writeSource = source
        }
        if writeSuspended {
            writeSuspended = false
            writeSource!.resume()
        }
    }

    private func writable() {
        guard state == .open || state == .flushing else { return }
        while pendingWriteBytes > 0 {
            let offset = pendingOffset
            let outcome = pending.withUnsafeBytes { raw in
                Result { () throws(SystemError) in
                    try Socket.send(fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
                }
            }
            let result: IOResult<Int>
            switch outcome {
            case .success(let r):
                result = r
            case .failure(let error):
                teardown(error: error.isConnectionReset ? nil : error)
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .value(let n):
                pendingOffset += n
                if state == .flushing { deadline = MonotonicClock.now() &+ flushTimeout }
            }
        }
        pending.removeAll(keepingCapacity: pending.capacity <= 64 * 1024)
        pendingOffset = 0
        if let source = writeSource, !writeSuspended {
            source.suspend()
            writeSuspended = true
        }
        if state == .flushing {
            beginLinger()
        } else {
            delegate?.streamDidDrain()
        }
    }

    // MARK: - Teardown

    private func beginLinger() {
        state = .lingering
        loop.lingerBegan()
        Socket.shutdownWrite(fd)
        deadline = MonotonicClock.now() &+ Self.lingerTime
        loop.watch(self)
        // The delegate is done with this connection: tell it now, keep discarding.
        let d = delegate
        delegate = nil
        d?.streamDidClose(error: nil)
        if readSource == nil {
            teardown(error: nil)
        } else {
            resumeReading()
        }
    }

    private func teardown(error: (any Error)?) {
        guard state != .closed else { return }
        let wasLingering = state == .lingering
        state = .closed
        if deadline != .max {
            loop.unwatch(self)
            deadline = .max
        }
        if wasLingering { loop.lingerEnded() }
        closeError = error
        if let source = readSource {
            outstandingCancels += 1
            source.cancel()
            if readSuspended {
                readSuspended = false
                source.resume()
            }
        }
        if let source = writeSource {
            outstandingCancels += 1
            source.cancel()
            if writeSuspended {
                writeSuspended = false
                source.resume()
            }
        }
        if outstandingCancels == 0 {
            Socket.close(fd)
        }
        pending = []
        pendingOffset = 0
        let d = delegate
        delegate = nil
        d?.streamDidClose(error: error)
    }

    private func sourceCancelled() {
        outstandingCancels -= 1
        if outstandingCancels == 0 {
            Socket.close(fd)
            // Dropping the sources releases their handlers, which hold this
            // channel: the cycle ends here.
            readSource = nil
            writeSource = nil
        }
    }
}
