import Dispatch
import EventLoop
import Synchronization
import Testing

@testable import Gateway

struct TokenBucketTests {
    private let second: UInt64 = 1_000_000_000
    private let start: UInt64 = 5_000_000_000_000

    @Test func fullBucketAllowsBurstThenRefuses() {
        let bucket = TokenBucket(RateLimit(perSecond: 10, burst: 5))
        let remaining = (0..<5).map { _ in bucket.tryTake(now: start) }
        #expect(remaining.allSatisfy { $0.allowed })
        #expect(remaining.map(\.remaining) == [4, 3, 2, 1, 0])
        #expect(remaining.map(\.limit) == [5, 5, 5, 5, 5])
        #expect(remaining.allSatisfy { $0.retryAfterSeconds == 0 })

        let refused = bucket.tryTake(now: start)
        #expect(!refused.allowed)
        #expect(refused.remaining == 0)
        // One token takes 0.1 s: rounded up to a whole second, never 0.
        #expect(refused.retryAfterSeconds == 1)
        // Full again after 5 × 0.1 s.
        #expect(refused.resetSeconds == 1)
        // A refusal takes nothing: still refused, same numbers.
        #expect(bucket.tryTake(now: start) == refused)
    }

    @Test func refillsAtTheRateAndNeverAboveBurst() {
        let bucket = TokenBucket(RateLimit(perSecond: 10, burst: 5))
        for _ in 0..<5 { _ = bucket.tryTake(now: start) }
        #expect(bucket.available(now: start) == 0)
        #expect(!bucket.tryTake(now: start + second / 10 - 1).allowed)
        let afterOneInterval = bucket.tryTake(now: start + second / 10)
        #expect(afterOneInterval.allowed)
        #expect(afterOneInterval.remaining == 0)
        #expect(bucket.available(now: start + second / 10 + 3 * second / 10) == 3)
        // A long pause fills the bucket to `burst`, not beyond.
        let later = start + 60 * second
        #expect(bucket.available(now: later) == 5)
        let taken = (0..<7).map { _ in bucket.tryTake(now: later).allowed }
        #expect(taken == [true, true, true, true, true, false, false])
    }

    @Test func retryAfterAndResetForSlowRates() {
        let bucket = TokenBucket(RateLimit(perSecond: 0.5, burst: 1))
        let first = bucket.tryTake(now: start)
        #expect(first.allowed)
        #expect(first.remaining == 0)
        #expect(first.resetSeconds == 2)
        let immediately = bucket.tryTake(now: start)
        #expect(!immediately.allowed)
        #expect(immediately.retryAfterSeconds == 2)
        let halfway = bucket.tryTake(now: start + 3 * second / 2)
        #expect(!halfway.allowed)
        #expect(halfway.retryAfterSeconds == 1)
        #expect(bucket.tryTake(now: start + 2 * second).allowed)

        let verySlow = TokenBucket(RateLimit(perSecond: 0.001, burst: 1))
        #expect(verySlow.tryTake(now: start).allowed)
        #expect(verySlow.tryTake(now: start).retryAfterSeconds == 1000)
    }

    @Test func resetCountsTimeUntilFull() {
        let bucket = TokenBucket(RateLimit(perSecond: 1, burst: 3))
        #expect(bucket.tryTake(now: start).resetSeconds == 1)
        #expect(bucket.tryTake(now: start).resetSeconds == 2)
        #expect(bucket.tryTake(now: start).resetSeconds == 3)
        let refused = bucket.tryTake(now: start + second / 2)
        #expect(!refused.allowed)
        #expect(refused.resetSeconds == 3)  // 2.5 s rounded up
        #expect(refused.retryAfterSeconds == 1)  // 0.5 s rounded up
    }

    @Test func clocksBehindTheStateAreConservative() {
        // Loops read the clock independently, so a take may be stamped earlier than
        // one already applied. It sees the bucket as it was then: possibly refused,
        // never an extra token, never an underflow.
        let bucket = TokenBucket(RateLimit(perSecond: 1, burst: 2))
        #expect(bucket.tryTake(now: start + second).remaining == 1)
        let behind = bucket.tryTake(now: start)
        #expect(!behind.allowed)
        #expect(behind.retryAfterSeconds == 1)
        #expect(behind.resetSeconds == 2)
        #expect(bucket.tryTake(now: start + second).remaining == 0)
        #expect(!bucket.tryTake(now: start + second).allowed)
    }

    @Test func headersCarryTheDecision() {
        let bucket = TokenBucket(RateLimit(perSecond: 2, burst: 2))
        let allowed = bucket.tryTake(now: start)
        #expect(allowed.headers.map(\.name) == ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"])
        #expect(allowed.headers.map(\.value) == ["2", "1", "1"])
        _ = bucket.tryTake(now: start)
        let refused = bucket.tryTake(now: start)
        #expect(refused.headers.map(\.name) == ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"])
        #expect(refused.headers.map(\.value) == ["2", "0", "1", "1"])
    }

    @Test func manyThreadsAtOneInstantGetExactlyTheBurst() {
        // No time passes, so no refill: the threads race for exactly `burst` tokens,
        // and a lost update would show up as extra grants.
        let burst = 1_000_000
        let bucket = TokenBucket(RateLimit(perSecond: 1, burst: burst))
        let granted = Atomic<Int>(0)
        let ready = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            ready.add(1, ordering: .relaxed)
            while ready.load(ordering: .relaxed) < 2 {}  // start together (2 cores here)
            var mine = 0
            for _ in 0..<(burst / 2) where bucket.tryTake(now: start).allowed {
                mine += 1
            }
            granted.add(mine, ordering: .relaxed)
        }
        #expect(granted.load(ordering: .relaxed) == burst)
        #expect(bucket.available(now: start) == 0)
    }

    @Test func manyThreadsNeverExceedBurstPlusRate() {
        let rate = 20_000.0
        let burst = 200
        let bucket = TokenBucket(RateLimit(perSecond: rate, burst: burst))
        let granted = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        let began = MonotonicClock.now()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            while MonotonicClock.now() - began < 100_000_000 {
                if bucket.tryTake(now: MonotonicClock.now()).allowed {
                    granted.add(1, ordering: .relaxed)
                } else {
                    refused.add(1, ordering: .relaxed)
                }
            }
        }
        let elapsed = Double(MonotonicClock.now() - began) / 1e9
        let total = granted.load(ordering: .relaxed)
        #expect(Double(total) <= Double(burst) + rate * elapsed)
        // The threads were busy enough to hit the limit, so the bound was tested.
        #expect(refused.load(ordering: .relaxed) > 0)
        #expect(total >= burst)
    }
}
