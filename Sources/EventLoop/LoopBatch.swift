/// Something that takes part in its loop's batches of events (see
/// ``EventLoop/processSoon(_:)`` and ``EventLoop/flushSoon(_:)``).
///
/// Why batches: under load a loop's queue holds the read events of many
/// connections at once, each a request. Parsing, answering and sending each
/// within its own event handler interleaves the gateway's code with a `send`
/// whose kernel path (on loopback, delivery to the peer and its wake-up)
/// evicts that code from the caches, so every request ran cold. A batch runs
/// the queued connections' requests one after another, then sends all their
/// answers one after another. Measured here on `/livez` (interleaved rounds,
/// wrk on the same two cores): about 16 % fewer CPU microseconds per request
/// at 64 connections and 13 % at 256, and 15 % and 7 % more throughput.
///
/// A batch is queued work: it runs after the events already queued on the
/// loop and before those that fire later, so a request waits at most one
/// turn of the queue.
public protocol LoopBatchMember: AnyObject {
    /// Phase one of a batch: handles what arrived. Called once per
    /// ``EventLoop/processSoon(_:)``.
    func processBatch()
    /// Phase two of a batch, after every member's phase one: sends what was
    /// gathered. Called once per ``EventLoop/flushSoon(_:)``.
    func flushBatch()
}
