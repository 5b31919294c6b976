import EventLoop

extension EventLoop {
    /// Runs `body` on the loop and returns its value: how tests read state that
    /// only the loop may touch.
    public func value<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            execute { continuation.resume(returning: body()) }
        }
    }
}
