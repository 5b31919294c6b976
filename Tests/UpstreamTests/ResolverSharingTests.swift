import EventLoop
import Glibc
import Synchronization
import Testing
@testable import Upstream

/// One lookup per name however many connections wait for it, and the last good
/// answer through a DNS outage.
@Suite(.timeLimit(.minutes(1))) struct ResolverSharingTests {
    let group = EventLoopGroup(loopCount: 1)

    /// Starts `count` resolutions of one name in one turn of the loop and waits for all.
    private func resolveAll(
        _ resolver: Resolver, count: Int, host: String = "origin.example", port: UInt16 = 443
    ) async -> [Result<[SocketAddress], UpstreamError>] {
        let loop = group.loops[0]
        let results = Locked<[Result<[SocketAddress], UpstreamError>]>([])
        return await withCheckedContinuation { continuation in
            loop.execute {
                for _ in 0..<count {
                    resolver.resolve(host: host, port: port, on: loop) { result in
                        let all = results.withLock { done -> [Result<[SocketAddress], UpstreamError>]? in
                            done.append(result)
                            return done.count == count ? done : nil
                        }
                        if let all { continuation.resume(returning: all) }
                    }
                }
            }
        }
    }

    /// A lookup that counts its calls and answers what `answer` says.
    final class FakeDNS: Sendable {
        let calls = Atomic<Int>(0)
        let failing = Atomic<Bool>(false)
        let delayMicroseconds: UInt32

        init(delayMicroseconds: UInt32 = 0) { self.delayMicroseconds = delayMicroseconds }

        func lookup(_ host: String, _ port: UInt16) -> Result<[SocketAddress], UpstreamError> {
            calls.add(1, ordering: .relaxed)
            if delayMicroseconds > 0 { usleep(delayMicroseconds) }
            if failing.load(ordering: .relaxed) {
                return .failure(UpstreamError(.resolution, "cannot resolve \(host): temporary failure"))
            }
            return .success([SocketAddress(ip: "192.0.2.7", port: port)!])
        }
    }

    @Test func concurrentRequestsForOneNameShareOneLookup() async {
        let dns = FakeDNS(delayMicroseconds: 100_000)
        let resolver = Resolver(
            workerQueue: group.workerQueue, ttl: .seconds(30), maxEntries: 16, now: { MonotonicClock.now() },
            lookup: dns.lookup)
        let results = await resolveAll(resolver, count: 10)
        #expect(results.count == 10)
        #expect(results.allSatisfy { (try? $0.get())?.first?.ipString == "192.0.2.7" })
        #expect(dns.calls.load(ordering: .relaxed) == 1)
        // And the answer is cached for the next one.
        _ = await resolveAll(resolver, count: 1)
        #expect(dns.calls.load(ordering: .relaxed) == 1)
    }

    @Test func aFailedLookupFailsEveryoneWaitingForIt() async {
        let dns = FakeDNS(delayMicroseconds: 50_000)
        dns.failing.store(true, ordering: .relaxed)
        let resolver = Resolver(
            workerQueue: group.workerQueue, ttl: .seconds(30), maxEntries: 16, now: { MonotonicClock.now() },
            lookup: dns.lookup)
        let results = await resolveAll(resolver, count: 5)
        #expect(results.allSatisfy { if case .failure(let e) = $0 { e.kind == .resolution } else { false } })
        #expect(dns.calls.load(ordering: .relaxed) == 1)
        #expect(resolver.cachedCount == 0, "failures are not cached")
    }

    @Test func theLastGoodAnswerOutlivesAnOutageForAWhile() async {
        let clock = TestClock()
        let dns = FakeDNS()
        let resolver = Resolver(
            workerQueue: group.workerQueue, ttl: .seconds(30), maxEntries: 16, now: { clock.now },
            lookup: dns.lookup)
        #expect((try? await resolveAll(resolver, count: 1)[0].get()) != nil)

        // The answer expires and the DNS is down: the old addresses are served.
        dns.failing.store(true, ordering: .relaxed)
        clock.advance(seconds: 31)
        #expect((try? await resolveAll(resolver, count: 1)[0].get())?.first?.ipString == "192.0.2.7")
        #expect(dns.calls.load(ordering: .relaxed) == 2)
        // Not every connection retries the DNS: the stale answer is reused for a while.
        _ = await resolveAll(resolver, count: 3)
        #expect(dns.calls.load(ordering: .relaxed) == 2)
        clock.advance(seconds: 6)
        #expect((try? await resolveAll(resolver, count: 1)[0].get()) != nil)
        #expect(dns.calls.load(ordering: .relaxed) == 3)

        // Ten minutes past its time to live, an answer is too old to trust.
        clock.advance(seconds: 600)
        let late = await resolveAll(resolver, count: 1)[0]
        #expect((try? late.get()) == nil)

        // The DNS comes back: a fresh answer.
        dns.failing.store(false, ordering: .relaxed)
        #expect((try? await resolveAll(resolver, count: 1)[0].get()) != nil)
    }

    @Test func lookupsOfNewNamesAreBoundedWhileTheDNSHangs() async {
        let dns = FakeDNS(delayMicroseconds: 300_000)
        let resolver = Resolver(
            workerQueue: group.workerQueue, ttl: .seconds(30), maxEntries: 16, maxLookups: 2,
            now: { MonotonicClock.now() }, lookup: dns.lookup)
        let loop = group.loops[0]
        let names = ["a.example", "b.example", "c.example", "d.example"]
        let results = Locked<[String: Result<[SocketAddress], UpstreamError>]>([:])
        let all: [String: Result<[SocketAddress], UpstreamError>] = await withCheckedContinuation { continuation in
            loop.execute {
                for name in names {
                    resolver.resolve(host: name, port: 443, on: loop) { result in
                        let done = results.withLock { done -> [String: Result<[SocketAddress], UpstreamError>]? in
                            done[name] = result
                            return done.count == names.count ? done : nil
                        }
                        if let done { continuation.resume(returning: done) }
                    }
                }
            }
        }
        let refused = names.filter {
            if case .failure(let error) = all[$0]!, error.reason.contains("being looked up") { return true }
            return false
        }
        #expect(refused == ["c.example", "d.example"])
        #expect(names.filter { (try? all[$0]!.get()) != nil } == ["a.example", "b.example"])
        #expect(dns.calls.load(ordering: .relaxed) == 2)
    }
}
