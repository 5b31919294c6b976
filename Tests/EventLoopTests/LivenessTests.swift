import Dispatch
import Glibc
import EventLoop
import Testing

@Suite("liveness: every loop swept recently")
struct LivenessTests {
    /// A loop kept busy misses its sweeps; the group is unresponsive until it runs
    /// again. The clock reading passed in is what the probe compares against.
    @Test func aBlockedLoopMakesTheGroupUnresponsive() {
        let group = EventLoopGroup(loopCount: 2, sweepInterval: .milliseconds(10))
        let tolerance = Duration.milliseconds(400)
        // Both loops have swept once the group answers yes.
        let start = MonotonicClock.now()
        while !group.allResponsive(tolerance: tolerance), MonotonicClock.now() - start < 2_000_000_000 { usleep(1_000) }
        #expect(group.allResponsive(tolerance: tolerance))
        // A reading taken well after the last sweeps is too late for them.
        #expect(!group.allResponsive(tolerance: tolerance, now: MonotonicClock.now() + 2_000_000_000))
        // One loop stuck (up to 1.5 s): the group turns unresponsive, then recovers.
        let released = DispatchSemaphore(value: 0)
        group.loops[1].execute { _ = released.wait(timeout: .now() + .milliseconds(1_500)) }
        usleep(900_000)
        #expect(!group.allResponsive(tolerance: tolerance))
        #expect(group.loops[0].isResponsive(tolerance: tolerance.nanoseconds))
        released.signal()
        let resumed = MonotonicClock.now()
        while !group.allResponsive(tolerance: tolerance), MonotonicClock.now() - resumed < 2_000_000_000 { usleep(1_000) }
        #expect(group.allResponsive(tolerance: tolerance))
    }
}
