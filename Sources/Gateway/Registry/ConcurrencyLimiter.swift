import EventLoop
import Synchronization

/// A tenant's `max_concurrent_upstream`: at most `limit` upstream requests in
/// flight over all loops; further requests wait, each until its own deadline.
///
/// Design:
/// - `available` (atomic) counts free permits. When nobody waits, acquiring is
///   one compare-and-swap on it — the fast path, no lock, no hop.
/// - A request that finds no permit parks on *its own loop*: every loop has a
///   ``LimiterWaiters`` FIFO touched only on that loop, plus an atomic count of
///   its waiters readable from anywhere.
/// - ``release()`` (any thread) puts the permit back into `available` and then
///   wakes one loop that has waiters (round robin); that loop's drain hands free
///   permits to its waiters in FIFO order. A drain that finds its queue empty
///   while a permit is still free passes the wake-up on, so a permit never
///   stays unused while someone waits on another loop.
/// - No lost wake-up: a waiter publishes itself (count increments) *before*
///   re-checking `available`; a releaser adds to `available` *before* reading
///   the counts. With sequentially consistent atomics either the waiter sees
///   the permit or the releaser sees the waiter.
/// - While anyone waits, newcomers do not take the fast path but queue too, so
///   waiters are not starved by a stream of new requests.
/// - Deadlines are checked by the loop's deadline sweep (so they fire up to one
///   sweep interval late) and when a drain reaches an expired waiter.
///
/// Order is FIFO per loop. Between loops it is best effort: wake-ups go round
/// robin, and a request parking on another loop at the moment of a release may
/// take that permit first (its re-check is what prevents lost wake-ups).
public final class ConcurrencyLimiter: Sendable {
    /// The number of permits.
    public let limit: Int
    private let available: Atomic<Int>
    private let waiting = Atomic<Int>(0)
    private let wakeCursor = Atomic<Int>(0)
    private let loops: [EventLoop]
    private let slots: [LimiterWaiters]

    /// A limiter with `limit` permits whose waiters may park on `loops`
    /// (indexed by ``EventLoop/index``, as in ``EventLoopGroup/loops``).
    public init(limit: Int, loops: [EventLoop]) {
        precondition(limit >= 1, "a concurrency limit needs at least one permit")
        for (index, loop) in loops.enumerated() {
            precondition(loop.index == index, "loops must be indexed by their position")
        }
        self.limit = limit
        self.available = Atomic(limit)
        self.loops = loops
        self.slots = loops.map { LimiterWaiters(loop: $0) }
    }

    /// Permits currently held (a snapshot, for metrics).
    public var inUse: Int { limit - available.load(ordering: .relaxed) }

    /// Requests currently waiting over all loops (a snapshot, for metrics).
    public var waiters: Int { waiting.load(ordering: .relaxed) }

    /// Takes a permit if one is free and nobody is waiting; never waits.
    /// Callable from any thread.
    public func tryAcquire() -> Bool {
        guard waiting.load(ordering: .sequentiallyConsistent) == 0 else { return false }
        return takePermit()
    }

    /// Gets a permit for a request running on `loop`, waiting until `deadline`
    /// (monotonic nanoseconds) at most. Call on `loop`.
    ///
    /// `granted` runs on `loop`, exactly once: `true` with a permit the caller must
    /// give back with ``release()`` (even if the request was abandoned while it
    /// waited), `false` when the deadline passed first. When a permit is free it
    /// runs before `acquire` returns.
    public func acquire(on loop: EventLoop, deadline: UInt64, _ granted: @escaping (Bool) -> Void) {
        loop.assertInLoop()
        if tryAcquire() {
            granted(true)
            return
        }
        precondition(loop.index < slots.count && loops[loop.index] === loop, "acquire on a loop the limiter does not know")
        if deadline <= MonotonicClock.now() {
            granted(false)
            return
        }
        let slot = slots[loop.index]
        slot.append(LimiterWaiters.Waiter(deadline: deadline, granted: granted), owner: self)
        waiting.add(1, ordering: .sequentiallyConsistent)
        // Re-check now that the waiter is visible: a release between the failed
        // fast path and the increments above did not see it.
        drain(slot)
    }

    /// Gives a permit back. Callable from any thread, once per `granted(true)`
    /// or successful ``tryAcquire()``.
    public func release() {
        let before = available.add(1, ordering: .sequentiallyConsistent).oldValue
        assert(before < limit, "release without a matching acquire")
        wakeOne()
    }

    // MARK: - Hand-over

    private func takePermit() -> Bool {
        var current = available.load(ordering: .sequentiallyConsistent)
        while current > 0 {
            let (exchanged, original) = available.compareExchange(
                expected: current, desired: current - 1, ordering: .sequentiallyConsistent)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Schedules a drain on the next loop (round robin) that has waiters.
    private func wakeOne() {
        guard waiting.load(ordering: .sequentiallyConsistent) > 0, !slots.isEmpty else { return }
        let start = wakeCursor.wrappingAdd(1, ordering: .relaxed).oldValue
        for offset in 0..<slots.count {
            let index = Int(UInt(bitPattern: start &+ offset) % UInt(slots.count))
            let slot = slots[index]
            if slot.count > 0 {
                loops[index].execute { self.drain(slot) }
                return
            }
        }
    }

    /// On the slot's loop: grants free permits to its waiters, oldest first.
    private func drain(_ slot: LimiterWaiters) {
        slot.loop.assertInLoop()
        let now = MonotonicClock.now()
        while let head = slot.first {
            if head.deadline <= now {
                slot.removeFirst()
                waiting.subtract(1, ordering: .sequentiallyConsistent)
                head.granted(false)
                continue
            }
            guard takePermit() else { break }
            slot.removeFirst()
            waiting.subtract(1, ordering: .sequentiallyConsistent)
            head.granted(true)
        }
        slot.updateRegistration()
        // Woken for a permit nobody here wanted any more (they expired): pass it on.
        if slot.first == nil && available.load(ordering: .sequentiallyConsistent) > 0 {
            wakeOne()
        }
    }

    /// On the slot's loop, from the deadline sweep: fails every expired waiter.
    func expire(_ slot: LimiterWaiters, now: UInt64) {
        let expired = slot.removeExpired(now: now)
        waiting.subtract(expired.count, ordering: .sequentiallyConsistent)
        slot.updateRegistration()
        for waiter in expired {
            waiter.granted(false)
        }
    }
}
