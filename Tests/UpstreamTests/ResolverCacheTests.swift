import EventLoop
import Synchronization
import Testing
@testable import Upstream

/// The resolver's cache is keyed by what callers send (host and port), so it
/// must stay bounded however many names it is asked for.
@Suite struct ResolverCacheTests {
    let group = EventLoopGroup(loopCount: 1)

    private func resolve(_ resolver: Resolver, host: String, port: UInt16) async -> Result<[SocketAddress], UpstreamError> {
        let loop = group.loops[0]
        return await withCheckedContinuation { continuation in
            loop.execute {
                resolver.resolve(host: host, port: port, on: loop) { continuation.resume(returning: $0) }
            }
        }
    }

    @Test func theCacheNeverHoldsMoreThanItsBound() async {
        let resolver = Resolver(workerQueue: group.workerQueue, ttl: .seconds(60), maxEntries: 8)
        var counts: [Int] = []
        for port in UInt16(1)...40 {
            let result = await resolve(resolver, host: "localhost", port: port)
            guard case .success(let addresses) = result else {
                Issue.record("localhost:\(port) did not resolve: \(result)")
                return
            }
            #expect(addresses.allSatisfy { $0.port == port })
            counts.append(resolver.cachedCount)
        }
        #expect(counts.allSatisfy { $0 <= 8 }, "\(counts)")
        // It filled up to its bound, so names are cached (not dropped on every insert).
        #expect(counts.contains(8), "\(counts)")
    }

    @Test func freshEntriesAreKeptWhileExpiredOnesGo() async {
        let clock = TestClock()
        let resolver = Resolver(
            workerQueue: group.workerQueue, ttl: .seconds(30), maxEntries: 4, now: { clock.now })
        for port in UInt16(1)...3 {
            _ = await resolve(resolver, host: "localhost", port: port)
        }
        #expect(resolver.cachedCount == 3)
        clock.advance(seconds: 31)
        // 3 expired + 1 fresh: full, and the next insert sweeps the expired ones.
        _ = await resolve(resolver, host: "localhost", port: 4)
        #expect(resolver.cachedCount == 4)
        _ = await resolve(resolver, host: "localhost", port: 5)
        #expect(resolver.cachedCount == 2, "ports 4 and 5 are fresh, 1–3 expired and swept")
        // A fresh entry answers from the cache: it stays, and nothing is added.
        _ = await resolve(resolver, host: "localhost", port: 4)
        #expect(resolver.cachedCount == 2)
    }

    @Test func addressLiteralsAreNotCached() async {
        let resolver = Resolver(workerQueue: group.workerQueue, maxEntries: 4)
        let result = await resolve(resolver, host: "127.0.0.1", port: 80)
        #expect((try? result.get())?.count == 1)
        #expect(resolver.cachedCount == 0)
    }
}

/// A monotonic clock the test moves by hand.
final class TestClock: Sendable {
    private let nanoseconds = Atomic<UInt64>(1_000_000_000)
    var now: UInt64 { nanoseconds.load(ordering: .relaxed) }
    func advance(seconds: UInt64) { nanoseconds.add(seconds * 1_000_000_000, ordering: .relaxed) }
}
