import Dispatch
import Synchronization

/// Something with a deadline that the loop's sweep checks: a connection's
/// header or idle timeout, an upstream exchange's timeout.
///
/// Deadlines are swept rather than armed one timer each: a keep-alive
/// connection moves its deadline on every request, and moving a field costs
/// nothing while re-arming a Dispatch timer costs a trip through the manager thread.
public protocol DeadlineWatcher: AnyObject {
    /// Monotonic nanoseconds (``MonotonicClock``) at which the watcher expires;
    /// `UInt64.max` for none.
    var deadline: UInt64 { get }
    /// Called on the loop once `deadline` has passed. The watcher stays
    /// registered until it calls ``EventLoop/unwatch(_:)``.
    func deadlineExpired(now: UInt64)
}

/// One event loop: a serial dispatch queue on which every Dispatch source of the
/// connections it owns delivers its events.
///
/// Everything a connection does runs on its loop's queue, so connection state
/// needs no locks; the only cross-loop state is atomic (heartbeats, counters).
// @unchecked Sendable: `queue`, `index`, `heartbeat` and `readBuffer`'s address are
// immutable or atomic; every `var` below is confined to `queue` (checked in debug
// builds by `assertInLoop`).
public final class EventLoop: @unchecked Sendable {
    /// The serial queue every source of this loop targets.
    public let queue: DispatchQueue
    /// The loop's position in its group, for per-loop resources kept in arrays.
    public let index: Int
    /// A scratch buffer the loop's reads land in before parsing; only used on the
    /// loop, so one per loop serves all of its connections.
    public let readBuffer: UnsafeMutableRawBufferPointer

    /// Monotonic time of the last sweep: the liveness probe's evidence that the
    /// loop still runs.
    private let heartbeat = Atomic<UInt64>(0)
    private let sweepInterval: UInt64
    /// Channels of this loop closing gracefully: write side shut, waiting for the
    /// peer's close. Atomic because shutdown polls it from another queue.
    private let lingering = Atomic<Int>(0)

    // Loop-confined.
    private var watchers: [ObjectIdentifier: any DeadlineWatcher] = [:]
    /// Members waiting for the next batch's phase one, and phase two.
    private var toProcess: [any LoopBatchMember] = []
    private var toFlush: [any LoopBatchMember] = []
    /// The arrays a running batch walks, kept to reuse their storage.
    private var processing: [any LoopBatchMember] = []
    private var flushing: [any LoopBatchMember] = []
    /// A batch is queued and has not begun its phase two.
    private var batchQueued = false
    private var sweepTimer: (any DispatchSourceTimer)?

    /// Creates a loop.
    /// - Parameters:
    ///   - sweepInterval: how often deadlines are checked; a deadline fires at most
    ///     this late.
    ///   - readBufferSize: bytes of the per-loop read buffer.
    public init(index: Int, sweepInterval: Duration = .milliseconds(100), readBufferSize: Int = 64 * 1024) {
        self.index = index
        self.queue = DispatchQueue(label: "daftra-gateway.loop.\(index)", qos: .userInitiated)
        self.sweepInterval = max(sweepInterval.nanoseconds, 1_000_000)
        self.readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
        heartbeat.store(MonotonicClock.now(), ordering: .relaxed)
        queue.async { self.startSweep() }
    }

    deinit {
        // A resumed Dispatch source outlives the last reference to it: stop it, so
        // it does not fire every interval for nothing (its handler holds this loop
        // weakly, so one already on its way finds it gone).
        sweepTimer?.cancel()
        readBuffer.deallocate()
    }

    /// Runs `work` on the loop.
    @inline(__always)
    public func execute(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    /// Traps in debug builds when not called on the loop.
    @inline(__always)
    public func assertInLoop() {
        #if DEBUG
        dispatchPrecondition(condition: .onQueue(queue))
        #endif
    }

    /// Whether the loop swept its deadlines within `tolerance` — the liveness signal.
    public func isResponsive(tolerance: UInt64, now: UInt64 = MonotonicClock.now()) -> Bool {
        let last = heartbeat.load(ordering: .relaxed)
        return now < last || now - last <= tolerance + sweepInterval
    }

    /// Calls `member.processBatch()` in the loop's next batch (see ``LoopBatchMember``).
    public func processSoon(_ member: any LoopBatchMember) {
        assertInLoop()
        queueBatch()
        toProcess.append(member)
    }

    /// Calls `member.flushBatch()` in phase two of the loop's next batch, or of
    /// the batch now in its phase one.
    public func flushSoon(_ member: any LoopBatchMember) {
        assertInLoop()
        queueBatch()
        toFlush.append(member)
    }

    private func queueBatch() {
        guard !batchQueued else { return }
        batchQueued = true
        queue.async { [self] in runBatch() }
    }

    private func runBatch() {
        swap(&processing, &toProcess)
        for index in processing.indices { processing[index].processBatch() }
        processing.removeAll(keepingCapacity: processing.capacity <= 4096)
        // What phase one asked to flush goes out now; anything asked from here
        // on (a member flushing in phase two asks again) goes to the next batch.
        batchQueued = false
        swap(&flushing, &toFlush)
        for index in flushing.indices { flushing[index].flushBatch() }
        flushing.removeAll(keepingCapacity: flushing.capacity <= 4096)
        // Members asked for phase one while phase one ran: the next batch.
        if !toProcess.isEmpty { queueBatch() }
    }

    /// Registers `watcher`; it is swept until ``unwatch(_:)``.
    public func watch(_ watcher: any DeadlineWatcher) {
        assertInLoop()
        watchers[ObjectIdentifier(watcher)] = watcher
    }

    /// Stops sweeping `watcher`.
    public func unwatch(_ watcher: any DeadlineWatcher) {
        assertInLoop()
        watchers.removeValue(forKey: ObjectIdentifier(watcher))
    }

    /// The number of registered watchers (tests and metrics).
    public var watcherCount: Int {
        assertInLoop()
        return watchers.count
    }

    /// Channels of this loop that have shut their write side and wait for the
    /// peer's close (at most ``SocketChannel/lingerTime``). A process that exits
    /// before they finish turns the peer's next request into a reset instead of
    /// a clean end of stream, so shutdown waits for this to reach zero.
    public var lingeringChannels: Int { lingering.load(ordering: .relaxed) }

    func lingerBegan() { lingering.add(1, ordering: .relaxed) }

    func lingerEnded() { lingering.subtract(1, ordering: .relaxed) }

    /// Stops the sweep timer; the loop runs queued work but checks no more deadlines.
    public func stop() {
        assertInLoop()
        sweepTimer?.cancel()
        sweepTimer = nil
    }

    private func startSweep() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(
            deadline: .now() + .nanoseconds(Int(sweepInterval)),
            repeating: .nanoseconds(Int(sweepInterval)),
            leeway: .nanoseconds(Int(sweepInterval / 4))
        )
        // Weak, not unowned: `deinit` cancels the timer, but a handler already on
        // its way runs anyway, on this queue, while the last reference may be
        // dropped on another thread; it must then find the loop gone rather than
        // read a destroyed one (EventLoopLifetimeTests). A sweep every 100 ms
        // makes the weak load's cost nothing.
        timer.setEventHandler { [weak self] in self?.sweep() }
        sweepTimer = timer
        timer.resume()
    }

    private func sweep() {
        let now = MonotonicClock.now()
        heartbeat.store(now, ordering: .relaxed)
        guard !watchers.isEmpty else { return }
        var expired: [any DeadlineWatcher] = []
        for watcher in watchers.values where watcher.deadline <= now {
            expired.append(watcher)
        }
        // Checked again: an earlier watcher's expiry may have moved this one's
        // deadline (a pool reusing an idle connection, say).
        for watcher in expired where watcher.deadline <= now {
            watcher.deadlineExpired(now: now)
        }
    }
}

/// The event loops of a process, handed out round robin.
public final class EventLoopGroup: Sendable {
    /// The loops, indexed by ``EventLoop/index``.
    public let loops: [EventLoop]
    /// A concurrent queue for blocking work (name resolution, file reads) so that
    /// no loop ever blocks.
    public let workerQueue: DispatchQueue
    private let cursor = Atomic<Int>(0)

    public init(loopCount: Int, sweepInterval: Duration = .milliseconds(100)) {
        precondition(loopCount > 0, "an event loop group needs at least one loop")
        loops = (0..<loopCount).map { EventLoop(index: $0, sweepInterval: sweepInterval) }
        workerQueue = DispatchQueue(label: "daftra-gateway.worker", qos: .utility, attributes: .concurrent)
    }

    /// The next loop, round robin.
    public func next() -> EventLoop {
        let n = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        return loops[Int(UInt(bitPattern: n) % UInt(loops.count))]
    }

    /// Whether every loop swept within `tolerance` before `now` (monotonic
    /// nanoseconds; a caller that just read the clock passes its reading).
    public func allResponsive(tolerance: Duration, now: UInt64 = MonotonicClock.now()) -> Bool {
        allResponsive(toleranceNanoseconds: tolerance.nanoseconds, now: now)
    }

    /// ``allResponsive(tolerance:now:)`` with the tolerance in nanoseconds: for
    /// a caller that asks on every request (`/livez`), where converting a
    /// `Duration` each time cost more than the check itself.
    public func allResponsive(toleranceNanoseconds: UInt64, now: UInt64) -> Bool {
        for index in loops.indices where !loops[index].isResponsive(tolerance: toleranceNanoseconds, now: now) {
            return false
        }
        return true
    }
}
