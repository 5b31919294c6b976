@testable import HTTPServer
import Testing

@Suite struct AnswerQueueTests {
    @Test func oldestAnswerLeavesAtOnce() {
        var queue = AnswerQueue()
        let a = queue.open()
        #expect(queue.claim(a) == .oldest(laterReady: false))
        #expect(queue.claim(a) == .notOwed, "an answer is taken once")
        #expect(queue.popReady() == nil)
    }

    @Test func laterAnswersWaitForEarlierOnes() {
        var queue = AnswerQueue()
        let a = queue.open()
        let b = queue.open()
        let c = queue.open()
        #expect(queue.claim(c) == .later(index: 2))
        queue.store([3], at: 2)
        #expect(queue.claim(c) == .notOwed, "a stored answer is not taken again")
        #expect(queue.claim(b) == .later(index: 1))
        queue.store([2], at: 1)
        #expect(queue.popReady() == nil, "the oldest is still being worked on")
        #expect(queue.claim(a) == .oldest(laterReady: true))
        #expect(queue.popReady() == [2])
        #expect(queue.popReady() == [3])
        #expect(queue.popReady() == nil)
        let d = queue.open()
        #expect(d == 3)
        #expect(queue.claim(d) == .oldest(laterReady: false))
    }

    @Test func laterReadyOnlyWhenTheNextIsStored() {
        var queue = AnswerQueue()
        let a = queue.open()
        _ = queue.open()
        let c = queue.open()
        #expect(queue.claim(c) == .later(index: 2))
        queue.store([3], at: 2)
        #expect(queue.claim(a) == .oldest(laterReady: false), "the next one is still owed")
    }

    @Test func droppedAnswersAreNotOwed() {
        var queue = AnswerQueue()
        let a = queue.open()
        queue.removeAll()
        #expect(queue.claim(a) == .notOwed)
        #expect(queue.claim(a + 1) == .notOwed)
        #expect(queue.claim(-1) == .notOwed)
    }
}
