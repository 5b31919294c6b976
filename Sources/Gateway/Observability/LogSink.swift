#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded, non-blocking byte queue in front of a file descriptor (stdout by
/// default), drained by one dedicated writer thread.
///
/// Why: log lines are written from the event loops, and stdout may be a pipe
/// to a slow or stalled log collector. A `write(2)` from a loop would then
/// stall every connection on that loop. Here a loop only takes a lock and
/// copies a line into memory; the writer thread does the blocking writes.
/// When the queue is full (the consumer is that far behind) the line is
/// dropped and counted instead of waiting: losing log lines under a log
/// outage is better than losing requests.
///
/// The bound counts queued bytes plus the batch being written, so the memory
/// held is about `capacity` (up to twice after a burst, for reused buffers).
/// The sink never closes its descriptor. Its writer thread keeps it alive
/// until ``close()``: make one per process (or per test) and close it on exit.
// Invariant: every mutable stored property is read and written only while
// `mutex` is held, except `batch`, which only the writer thread touches. The
// mutex and conditions are allocated in init and never freed before the writer
// thread has exited, because the writer retains the sink until it returns.
public final class LogSink: @unchecked Sendable {
    /// The default bound on queued bytes: 4 MiB.
    public static let defaultCapacity = 4 << 20

    /// The most bytes queued and in flight; a line that does not fit is dropped.
    public let capacity: Int
    /// The descriptor written to.
    public let fileDescriptor: Int32

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when bytes arrive in an empty queue, and on close.
    private let bytesQueued: UnsafeMutablePointer<pthread_cond_t>
    /// Broadcast after every batch, for `flush()`.
    private let batchWritten: UnsafeMutablePointer<pthread_cond_t>

    /// What the loops and the writer share, guarded by `mutex`: one stored
    /// property, so that ``append(_:)-(UnsafeRawBufferPointer)``, called for
    /// every line, pays one dynamic exclusivity check rather than one per field.
    private struct Shared {
        var pending: [UInt8] = []
        var inFlight = 0
        var acceptedBytes: UInt64 = 0
        var finishedBytes: UInt64 = 0
        var dropped = 0
        var failedWrites = 0
        var closing = false
        var writerRunning = false
        /// Whether the writer sleeps on `bytesQueued` (and so needs a signal).
        var writerWaiting = false

        /// Queues `line` unless closing or over `capacity`; whether it was
        /// queued, and whether the writer must be woken for it.
        mutating func enqueue(_ line: UnsafeRawBufferPointer, capacity: Int) -> (queued: Bool, wake: Bool) {
            guard !closing, pending.count + inFlight + line.count <= capacity else {
                dropped += 1
                return (false, false)
            }
            pending.append(contentsOf: line)
            acceptedBytes += UInt64(line.count)
            // Only a writer asleep on the condition needs a signal, and only once: a
            // signal per line would cost every request a futex call and a wake-up.
            let wake = writerWaiting
            writerWaiting = false
            return (true, wake)
        }
    }
    private var shared = Shared()
    /// How long the writer lets lines gather after each write.
    static let coalescingMicroseconds: UInt32 = 2_000
    private var thread = pthread_t()
    /// The writer thread's buffer, swapped with `pending`: no allocation in steady state.
    private var batch: [UInt8] = []

    /// Starts a writer thread for `fileDescriptor` (1, stdout, by default) that
    /// holds at most `capacity` bytes before dropping lines.
    public init(fileDescriptor: Int32 = 1, capacity: Int = LogSink.defaultCapacity) {
        self.fileDescriptor = fileDescriptor
        self.capacity = max(capacity, 0)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        bytesQueued = .allocate(capacity: 1)
        pthread_cond_init(bytesQueued, nil)
        batchWritten = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed flushes measure against the monotonic clock: a wall-clock jump must not stretch them.
        pthread_condattr_setclock(&attributes, Self.waitClock)
        pthread_cond_init(batchWritten, &attributes)
        pthread_condattr_destroy(&attributes)
        shared.pending.reserveCapacity(min(self.capacity, 64 << 10))
        startWriter()
    }

    deinit {
        // Only reached after the writer has exited (it holds a reference while it runs).
        pthread_cond_destroy(batchWritten)
        batchWritten.deallocate()
        pthread_cond_destroy(bytesQueued)
        bytesQueued.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Queues `line` (which should end with a newline) to be written whole, or
    /// drops it and counts it when it does not fit or the sink is closed.
    /// Never waits for I/O: only for the lock, which is held for a copy.
    /// - Returns: whether the line was queued.
    @discardableResult
    public func append(_ line: UnsafeRawBufferPointer) -> Bool {
        pthread_mutex_lock(mutex)
        let (queued, wake) = shared.enqueue(line, capacity: capacity)
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(bytesQueued) }
        return queued
    }

    /// Queues `line`; see ``append(_:)-(UnsafeRawBufferPointer)``.
    @discardableResult
    public func append(_ line: [UInt8]) -> Bool {
        line.withUnsafeBytes { append($0) }
    }

    /// Lines dropped so far because the queue was full or the sink closed.
    public var droppedLineCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return shared.dropped
    }

    /// Batches whose `write(2)` failed (other than `EINTR`/`EAGAIN`), e.g. a closed pipe; their bytes are lost.
    public var failedWriteCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return shared.failedWrites
    }

    /// Blocks until every line queued before the call has been written (or
    /// failed to write). For shutdown and tests; never call it on an event loop.
    public func flush() {
        pthread_mutex_lock(mutex)
        let target = shared.acceptedBytes
        while shared.finishedBytes < target && shared.writerRunning {
            pthread_cond_wait(batchWritten, mutex)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Like ``flush()``, but gives up after `timeout`, for paths that must not
    /// hang on a stalled consumer (a second SIGTERM, a crash report).
    /// - Returns: whether everything queued before the call was written in time.
    @discardableResult
    public func flush(timeout: Duration) -> Bool {
        var deadline = timespec()
        clock_gettime(Self.waitClock, &deadline)
        let (seconds, attoseconds) = max(timeout, .zero).components
        let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let target = shared.acceptedBytes
        while shared.finishedBytes < target && shared.writerRunning {
            if pthread_cond_timedwait(batchWritten, mutex, &deadline) == ETIMEDOUT {
                return shared.finishedBytes >= target || !shared.writerRunning
            }
        }
        return true
    }

    /// Writes what is queued, then stops the writer thread; later lines are
    /// dropped. Blocks like ``flush()``. Calling it again only waits.
    public func close() {
        pthread_mutex_lock(mutex)
        let first = !shared.closing
        shared.closing = true
        pthread_mutex_unlock(mutex)
        guard first else {
            flush()
            return
        }
        pthread_cond_signal(bytesQueued)
        pthread_join(thread, nil)
    }

    /// The clock of `batchWritten`'s timed waits.
    private static let waitClock = CLOCK_MONOTONIC

    // MARK: The writer thread

    private func startWriter() {
        shared.writerRunning = true
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            // Balances passRetained: the sink lives until the writer returns.
            // swift-format-ignore: NeverForceUnwrap
            let sink = Unmanaged<LogSink>.fromOpaque(context!).takeRetainedValue()
            sink.runWriter()
            return nil
        }, context)
        precondition(result == 0, "LogSink could not start its writer thread (pthread_create: \(result))")
    }

    private func runWriter() {
        pthread_mutex_lock(mutex)
        while true {
            while shared.pending.isEmpty && !shared.closing {
                shared.writerWaiting = true
                pthread_cond_wait(bytesQueued, mutex)
                shared.writerWaiting = false
            }
            if shared.pending.isEmpty { break }  // closing, and everything written
            swap(&batch, &shared.pending)
            shared.inFlight = batch.count
            let stopping = shared.closing
            pthread_mutex_unlock(mutex)

            let written = writeAll(batch)

            // A burst can leave a big buffer behind; do not keep it for ever.
            if batch.capacity > 1 << 20 { batch = [] } else { batch.removeAll(keepingCapacity: true) }
            // Let lines gather for a moment: under load this turns one write(2)
            // and one wake-up per line into one per few hundred lines. Shutdown
            // and flushes wait at most this much longer.
            if !stopping { usleep(Self.coalescingMicroseconds) }
            pthread_mutex_lock(mutex)
            if !written { shared.failedWrites += 1 }
            shared.finishedBytes += UInt64(shared.inFlight)
            shared.inFlight = 0
            pthread_cond_broadcast(batchWritten)
        }
        shared.writerRunning = false
        pthread_cond_broadcast(batchWritten)
        pthread_mutex_unlock(mutex)
    }

    /// Writes every byte, retrying `EINTR` and partial writes and waiting with
    /// `poll` on `EAGAIN` (a descriptor someone made non-blocking).
    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let result = write(fileDescriptor, base + offset, buffer.count - offset)
                if result > 0 {
                    offset += result
                    continue
                }
                let error = errno
                if result < 0 && error == EINTR { continue }
                if result < 0 && (error == EAGAIN || error == EWOULDBLOCK) {
                    var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&descriptor, 1, 1_000)
                    continue
                }
                return false
            }
            return true
        }
    }
}
