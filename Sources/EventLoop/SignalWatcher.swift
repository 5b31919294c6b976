import Dispatch
import Glibc

/// Delivers process signals (SIGTERM, SIGINT, SIGHUP) on a queue through
/// `DispatchSource.makeSignalSource`, the Dispatch way to catch them.
// @unchecked Sendable: `sources` is written once in init and only read after;
// the handlers run on `queue`.
public final class SignalWatcher: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    /// Watches `signals`; their default action is disabled so the process is not
    /// killed before the handler runs.
    public init(signals: [Int32], queue: DispatchQueue, handler: @escaping @Sendable (Int32) -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Blocks `signals` in the calling thread and every thread it starts from
    /// now on. Call it first thing in `main`, before any thread exists: a blocked
    /// signal stays pending until a watcher's `signalfd` (libdispatch's way on
    /// Linux) takes it, instead of running its default action while the process
    /// is still starting.
    public static func block(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Stops watching.
    public func cancel() {
        for source in sources { source.cancel() }
        sources = []
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
