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
        for _ in 0..<400 {
            var loop: EventLoop? = EventLoop(index: 0, sweepInterval: .milliseconds(1))
            // Let the timer start and fire a few times, then drop the loop from a
            // thread that is not the loop's, the timer still armed.
            usleep(UInt32.random(in: 1_000...3_000))
            #expect(loop?.index == 0)
            loop = nil
        }
    }
}
