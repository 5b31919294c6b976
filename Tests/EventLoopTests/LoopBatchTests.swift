import Dispatch
import EventLoop
import Synchronization
import Testing

/// Records the phases it is called in, on its loop.
private final class Member: LoopBatchMember, @unchecked Sendable {
    // @unchecked Sendable: touched only on `loop.queue` and, after the loop's work
    // is over (a barrier through `sync`), by the test.
    let name: String
    /// What to ask for from inside each phase, once.
    var onProcess: (() -> Void)?
    var onFlush: (() -> Void)?
    private let shared: SharedLog

    init(_ name: String, shared: SharedLog) {
        self.name = name
        self.shared = shared
    }

    func processBatch() {
        shared.append("\(name).process")
        let action = onProcess
        onProcess = nil
        action?()
    }

    func flushBatch() {
        shared.append("\(name).flush")
        let action = onFlush
        onFlush = nil
        action?()
    }
}

/// The order of calls across members, across batches (batches are marked).
private final class SharedLog: @unchecked Sendable {
    // @unchecked Sendable: appended to on the loop only; read after a barrier.
    var entries: [String] = []
    func append(_ entry: String) { entries.append(entry) }
}

@Suite("loop batches: every member's phase one, then every member's phase two")
struct LoopBatchTests {
    /// Runs `body` on the loop, then waits until the loop has run the batches it queued.
    private func onLoop(_ loop: EventLoop, _ body: @escaping @Sendable () -> Void) {
        loop.queue.sync(execute: body)
        // Batches queue behind the work that asked for them; three turns cover a
        // batch and the next one it may have queued.
        for _ in 0..<3 { loop.queue.sync {} }
    }

    @Test func phaseOneForAllThenPhaseTwoForAll() {
        let loop = EventLoop(index: 0)
        let log = SharedLog()
        let a = Member("a", shared: log)
        let b = Member("b", shared: log)
        // A member asking for a flush during phase one is flushed in the same batch.
        a.onProcess = { loop.flushSoon(a) }
        b.onProcess = { loop.flushSoon(b) }
        onLoop(loop) {
            loop.processSoon(a)
            loop.processSoon(b)
            log.append("queued")
        }
        #expect(log.entries == ["queued", "a.process", "b.process", "a.flush", "b.flush"])
    }

    @Test func askingAgainFromInsideABatchMeansTheNextBatch() {
        let loop = EventLoop(index: 0)
        let log = SharedLog()
        let a = Member("a", shared: log)
        let b = Member("b", shared: log)
        // Phase one asking for phase one again, and phase two asking for phase two
        // again: each runs once more, in a later batch, never lost.
        a.onProcess = {
            loop.processSoon(a)
            loop.execute { log.append("between") }
        }
        b.onFlush = { loop.flushSoon(b) }
        onLoop(loop) {
            loop.processSoon(a)
            loop.flushSoon(b)
        }
        #expect(log.entries == ["a.process", "b.flush", "between", "a.process", "b.flush"])
    }

    @Test func aBatchRunsAfterWorkQueuedBeforeItWasAskedForAndBeforeWorkQueuedAfter() {
        let loop = EventLoop(index: 0)
        let log = SharedLog()
        let a = Member("a", shared: log)
        let gate = DispatchSemaphore(value: 0)
        // Hold the loop, queue work behind the hold, then the batch, then more work.
        loop.execute { gate.wait() }
        loop.execute { log.append("earlier") }
        loop.execute {
            loop.flushSoon(a)
            loop.execute { log.append("asked after") }
        }
        loop.execute { log.append("queued before asking") }
        gate.signal()
        for _ in 0..<3 { loop.queue.sync {} }
        #expect(log.entries == ["earlier", "queued before asking", "a.flush", "asked after"])
    }
}
