import EventLoop
import Synchronization

/// The requests of one loop waiting for a ``ConcurrencyLimiter`` permit, oldest
/// first, and the loop's deadline watcher for them.
///
/// While it has waiters the slot is registered with its loop and keeps its
/// limiter alive (so parked requests still time out when a reload drops the
/// tenant); when the queue empties both references go, leaving no cycle.
// @unchecked Sendable: `queue`, `head`, `deadline`, `owner` and `registered` are
// read and written only on `loop` (asserted in debug builds); `count` and
// `headTicket` are atomic and are the only members other threads read; `loop`
// is immutable.
final class LimiterWaiters: DeadlineWatcher, @unchecked Sendable {
    struct Waiter {
        /// Its place in the limiter's order over all loops (smaller is older).
        let ticket: UInt64
        let deadline: UInt64
        let granted: (Bool) -> Void
    }

    let loop: EventLoop
    /// Waiters in the queue; written on the loop, read by releasers anywhere.
    private let waiterCount = Atomic<Int>(0)
    /// The oldest waiter's ticket (`.max` when empty); written on the loop, read anywhere.
    private let publishedHead = Atomic<UInt64>(.max)

    // Loop-confined. The queue is an array consumed from `head`, compacted once
    // the consumed prefix dominates, so a burst of waiters costs no per-pop shifting.
    private var queue: [Waiter] = []
    private var head = 0
    private(set) var deadline: UInt64 = .max
    private var owner: ConcurrencyLimiter?
    private var registered = false

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// The number of waiters, readable from any thread.
    var count: Int { waiterCount.load(ordering: .sequentiallyConsistent) }

    /// The oldest waiter's ticket, or `.max` when none waits; readable from any thread.
    var headTicket: UInt64 { publishedHead.load(ordering: .sequentiallyConsistent) }

    private func publishHead() {
        publishedHead.store(head < queue.count ? queue[head].ticket : .max, ordering: .sequentiallyConsistent)
    }

    /// The oldest waiter.
    var first: Waiter? {
        loop.assertInLoop()
        return head < queue.count ? queue[head] : nil
    }

    /// Queues `waiter` and publishes the new count before the caller re-checks
    /// for a free permit (the order the limiter's wake-up argument relies on).
    func append(_ waiter: Waiter, owner: ConcurrencyLimiter) {
        loop.assertInLoop()
        queue.append(waiter)
        if queue.count - head == 1 { publishHead() }
        waiterCount.add(1, ordering: .sequentiallyConsistent)
        self.owner = owner
        deadline = min(deadline, waiter.deadline)
    }

    func removeFirst() {
        loop.assertInLoop()
        head += 1
        waiterCount.subtract(1, ordering: .sequentiallyConsistent)
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 32 && head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        }
        publishHead()
    }

    /// Removes and returns every waiter whose deadline is at or before `now`,
    /// keeping the others in order.
    func removeExpired(now: UInt64) -> [Waiter] {
        loop.assertInLoop()
        var kept: [Waiter] = []
        var expired: [Waiter] = []
        for waiter in queue[head...] {
            if waiter.deadline <= now {
                expired.append(waiter)
            } else {
                kept.append(waiter)
            }
        }
        queue = kept
        head = 0
        publishHead()
        deadline = kept.reduce(UInt64.max) { min($0, $1.deadline) }
        waiterCount.subtract(expired.count, ordering: .sequentiallyConsistent)
        return expired
    }

    /// (Un)registers with the loop's sweep as the queue fills or empties.
    ///
    /// `deadline` is only lowered on append and recomputed by ``removeExpired(now:)``:
    /// after a grant it may be earlier than the true minimum, which costs at most
    /// one early sweep callback and keeps grants O(1).
    func updateRegistration() {
        loop.assertInLoop()
        if head == queue.count {
            deadline = .max
            owner = nil
            if registered {
                registered = false
                loop.unwatch(self)
            }
            return
        }
        if !registered {
            registered = true
            loop.watch(self)
        }
    }

    func deadlineExpired(now: UInt64) {
        owner?.expire(self, now: now)
    }
}
