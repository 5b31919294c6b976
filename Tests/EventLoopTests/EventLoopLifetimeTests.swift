import Dispatch
import Glibc
import EventLoop
import Testing

@Suite struct EventLoopLifetimeTests {
    /// A loop's sweep timer fires on the loop's queue while the last reference to
    /// the loop may go on another thread; its `deinit` cancels the timer, but a
    /// handler already on its way still runs. That handler must find the loop
    /// gone, not read a destroyed one (which traps: the whole process dies).
    @Test func loopsReleasedWhileTheirSweepFiresDoNotTrap() {
        var swept = 0
        for _ in 0..<400 {
            var loop: EventLoop? = EventLoop(index: 0, sweepInterval: .milliseconds(1))
            // Let the timer fire (a sweep sets the heartbeat `isResponsive` reads;
            // before the first one it reads 0, far more than 10 s ago), then a
            // little longer, and drop the loop from a thread that is not the
            // loop's, the timer still armed.
            let end = MonotonicClock.now() + 2_000_000_000
            while loop?.isResponsive(tolerance: 10_000_000_000) == false, MonotonicClock.now() < end {
                usleep(200)
            }
            if loop?.isResponsive(tolerance: 10_000_000_000) == true { swept += 1 }
            usleep(UInt32.random(in: 0...2_000))
            loop = nil
        }
        // The race was really run: the timer was firing each time the loop went.
        #expect(swept == 400)
    }
}
