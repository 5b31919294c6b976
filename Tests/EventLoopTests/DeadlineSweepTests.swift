import Dispatch
import Glibc
import Testing

@testable import EventLoop

/// A watcher that, when it expires, moves its partner's deadline away: as a pool
/// taking an idle connection does within one sweep.
final class PartnerWatcher: DeadlineWatcher, @unchecked Sendable {
    // @unchecked Sendable: touched only on the loop, read by the test after a
    // barrier on it.
    var deadline: UInt64
    weak var partner: PartnerWatcher?
    var fired = 0
    let loop: EventLoop

    init(loop: EventLoop, deadline: UInt64) {
        self.loop = loop
        self.deadline = deadline
    }

    func deadlineExpired(now: UInt64) {
        fired += 1
        deadline = .max
        loop.unwatch(self)
        if let partner {
            partner.deadline = .max
            loop.unwatch(partner)
        }
    }
}

@Suite struct DeadlineSweepTests {
    @Test func aDeadlineMovedDuringTheSweepIsNotActedOn() {
        let loop = EventLoop(index: 0, sweepInterval: .milliseconds(5))
        let past = MonotonicClock.now()
        let a = PartnerWatcher(loop: loop, deadline: past)
        let b = PartnerWatcher(loop: loop, deadline: past)
        a.partner = b
        b.partner = a
        loop.queue.sync {
            loop.watch(a)
            loop.watch(b)
        }
        var settled = false
        for _ in 0..<200 where !settled {
            usleep(5_000)
            settled = loop.queue.sync { loop.watcherCount == 0 }
        }
        #expect(settled)
        // Both were due when the sweep began; whichever went first moved the other.
        let fired = loop.queue.sync { a.fired + b.fired }
        #expect(fired == 1)
        withExtendedLifetime((a, b)) {}
    }
}
