import Glibc

/// A value guarded by a `pthread_mutex_t`: the gateway's one lock type.
///
/// Why not `Synchronization.Mutex`: on Linux it locks with raw futex system
/// calls, which ThreadSanitizer does not intercept, so every access it guards
/// shows up as a data race under `swift test --sanitize=thread` and real races
/// would drown in them. `pthread_mutex_lock` is intercepted, costs the same
/// uncontended (one atomic exchange each way), and keeps the TSan pass honest.
///
/// Hold it briefly: never across I/O or a call back into unknown code.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only read or written inside `withLock`, with
    // `mutex` held; `sending` in `withLock` keeps non-Sendable state from escaping.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// A lock around `initial`.
    public init(_ initial: sending Value) {
        value = initial
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, the lock held.
    @inline(__always)
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
