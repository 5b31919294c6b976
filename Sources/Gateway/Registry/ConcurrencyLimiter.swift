import EventLoop
import Synchronization

/// A tenant's `max_concurrent_upstream`: at most `limit` upstream requests in
/// flight over all loops; further requests wait, each until its own deadline,
/// and are served oldest first over all loops.
///
/// Design:
/// - `available` (atomic) counts free permits (negative after a reload lowered
///   the limit below what is in use). When nobody waits, acquiring is one
///   compare-and-swap on it — the fast path, no lock, no hop.
/// - A request that finds no permit parks on *its own loop*: every loop has a
///   ``LimiterWaiters`` FIFO touched only on that loop, plus atomics readable
///   from anywhere: its waiter count and the ticket of its oldest waiter.
///   Tickets come from one counter, so they order waiters over all loops.
/// - Only the oldest waiter (the smallest published head ticket) may take a
///   free permit while anyone waits. ``release()`` (any thread) puts the permit
///   back into `available` and schedules a drain on the loop holding the oldest
///   waiter. Without this, a request arriving on the releasing loop (which runs
///   next there, before another loop's drain) would overtake waiters elsewhere
///   every time, and those would starve until their deadlines.
/// - A drain that cannot use a free permit (its head expired or is not the
///   oldest) passes the wake-up on to the loop of the oldest, so a permit never
///   stays unused while someone waits.
/// - No lost wake-up: a waiter publishes itself (ticket, then count) *before*
///   re-checking `available`; a releaser adds to `available` *before* reading
///   the tickets. With sequentially consistent atomics either the waiter sees
///   the permit or the releaser sees the waiter.
/// - While anyone waits, newcomers do not take the fast path but queue too.
/// - Deadlines are checked by the loop's deadline sweep (so they fire up to one
///   sweep interval late) and when a drain reaches an expired waiter.
/// - ``setLimit(_:)`` changes the limit in place (a registry reload), counting
///   the permits already held against the new limit.
public final class ConcurrencyLimiter: Sendable {
    /// The number of permits.
    public var limit: Int { currentLimit.load(ordering: .sequentiallyConsistent) }
    private let currentLimit: Atomic<Int>
    private let available: Atomic<Int>
    /// Permits held, counted apart from `available`: `limit - available` is no
    /// snapshot while ``setLimit(_:)`` moves both, and the release check needs one.
    private let held = Atomic<Int>(0)
    private let waiting = Atomic<Int>(0)
    private let nextTicket = Atomic<UInt64>(0)
    private let loops: [EventLoop]
    private let slots: [LimiterWaiters]

    /// A limiter with `limit` permits whose waiters may park on `loops`
    /// (indexed by ``EventLoop/index``, as in ``EventLoopGroup/loops``).
    public init(limit: Int, loops: [EventLoop]) {
        precondition(limit >= 1, "a concurrency limit needs at least one permit")
        for (index, loop) in loops.enumerated() {
            precondition(loop.index == index, "loops must be indexed by their position")
        }
        self.currentLimit = Atomic(limit)
        self.available = Atomic(limit)
        self.loops = loops
        self.slots = loops.map { LimiterWaiters(loop: $0) }
    }

    /// Permits currently held (a snapshot, for metrics).
    public var inUse: Int { held.load(ordering: .relaxed) }

    /// Requests currently waiting over all loops (a snapshot, for metrics).
    public var waiters: Int { waiting.load(ordering: .relaxed) }

    /// Changes the number of permits. Permits held stay held: after lowering
    /// the limit below them, nobody gets one until enough are released; after
    /// raising it, waiters are served at once. Callable from any thread, by one
    /// caller at a time (registry reloads are serialised).
    public func setLimit(_ newLimit: Int) {
        precondition(newLimit >= 1, "a concurrency limit needs at least one permit")
        let old = currentLimit.exchange(newLimit, ordering: .sequentiallyConsistent)
        available.add(newLimit - old, ordering: .sequentiallyConsistent)
        if newLimit > old { wakeOldest() }
    }

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
        let ticket = nextTicket.wrappingAdd(1, ordering: .sequentiallyConsistent).oldValue
        slot.append(LimiterWaiters.Waiter(ticket: ticket, deadline: deadline, granted: granted), owner: self)
        waiting.add(1, ordering: .sequentiallyConsistent)
        // Re-check now that the waiter is visible: a release between the failed
        // fast path and the increments above did not see it.
        drain(slot)
    }

    /// Gives a permit back. Callable from any thread, once per `granted(true)`
    /// or successful ``tryAcquire()``.
    public func release() {
        // Every holder counted itself in `held` before it could release.
        let before = held.subtract(1, ordering: .relaxed).oldValue
        assert(before > 0, "release without a matching acquire")
        available.add(1, ordering: .sequentiallyConsistent)
        wakeOldest()
    }

    // MARK: - Hand-over

    private func takePermit() -> Bool {
        var current = available.load(ordering: .sequentiallyConsistent)
        while current > 0 {
            let (exchanged, original) = available.compareExchange(
                expected: current, desired: current - 1, ordering: .sequentiallyConsistent)
            if exchanged {
                held.add(1, ordering: .relaxed)
                return true
            }
            current = original
        }
        return false
    }

    /// The slot whose head waiter has the smallest ticket, if anyone waits.
    private func oldestSlot() -> LimiterWaiters? {
        var oldest: LimiterWaiters?
        var smallest = UInt64.max
        for slot in slots {
            let ticket = slot.headTicket
            if ticket < smallest {
                smallest = ticket
                oldest = slot
            }
        }
        return oldest
    }

    /// Schedules a drain on the loop of the oldest waiter, if anyone waits.
    private func wakeOldest() {
        guard waiting.load(ordering: .sequentiallyConsistent) > 0, let slot = oldestSlot() else { return }
        slot.loop.execute { self.drain(slot) }
    }

    /// On the slot's loop: grants free permits to its waiters, oldest first,
    /// while its head is the oldest waiter of all loops.
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
            guard oldestSlot() === slot, takePermit() else { break }
            slot.removeFirst()
            waiting.subtract(1, ordering: .sequentiallyConsistent)
            head.granted(true)
        }
        slot.updateRegistration()
        // A free permit this loop could not use (its waiters expired, or an older
        // one waits elsewhere): hand the wake-up to the oldest.
        if available.load(ordering: .sequentiallyConsistent) > 0, oldestSlot() !== slot {
            wakeOldest()
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
        // The oldest waiter may have been here; the next one may be elsewhere.
        if !expired.isEmpty, available.load(ordering: .sequentiallyConsistent) > 0 {
            wakeOldest()
        }
    }
}
