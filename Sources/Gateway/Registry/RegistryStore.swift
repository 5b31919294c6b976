import EventLoop
import Synchronization

/// The registry in force, swapped atomically on reload while requests run.
///
/// A request takes one ``ActiveRegistry`` and uses it to the end, so it sees
/// either the old file or the new one, never a mix. Readers on an event loop
/// use ``current(on:)``: each loop keeps its own reference and only compares an
/// atomic generation number per request, so the hot path shares no written
/// cache line and takes no lock; the lock is taken once per loop per reload.
public final class RegistryStore: Sendable {
    private let published: Locked<ActiveRegistry>
    private let generation: Atomic<UInt64>
    private let loops: [EventLoop]
    private let caches: [LoopRegistryCache]
    /// Serialises swaps, so two of them cannot both build on the same old state
    /// and drop each other's carried-over limiters.
    private let reloading = Locked<Void>(())
    /// Serialises whole reloads, reading included: two SIGHUPs close together
    /// must install the newer file last, not whichever parse finished last.
    private let reloads = Locked<Void>(())
    private let succeeded = Atomic<UInt64>(0)
    private let failed = Atomic<UInt64>(0)

    /// A store serving `registry`, whose concurrency limiters park waiters on
    /// `loops` (``EventLoopGroup/loops``; empty if nothing ever waits, as in tests).
    public init(_ registry: TenantRegistry, loops: [EventLoop]) {
        let initial = ActiveRegistry(registry: registry, generation: 1, previous: nil, loops: loops)
        self.published = Locked(initial)
        self.generation = Atomic(1)
        self.loops = loops
        self.caches = loops.map { _ in LoopRegistryCache(initial) }
    }

    /// The registry in force (takes a lock; on a loop prefer ``current(on:)``).
    public var current: ActiveRegistry {
        published.withLock { $0 }
    }

    /// The registry in force, from `loop`'s cache. Call on `loop`, one of the
    /// loops the store was made with.
    public func current(on loop: EventLoop) -> ActiveRegistry {
        loop.assertInLoop()
        let cache = caches[loop.index]
        if cache.active.generation != generation.load(ordering: .acquiring) {
            cache.active = current
        }
        return cache.active
    }

    /// Re-reads `path` and swaps the new registry in; on any error the registry
    /// in force stays and the failure is counted. Returns the new registry's
    /// tenant count. Blocking file I/O: call it from a worker queue, not a loop.
    public func reload(path: String, environment: [String: String]) -> Result<Int, RegistryError> {
        reload { () throws(RegistryError) in try TenantRegistry.load(path: path, environment: environment) }
    }

    /// A reload whose registry comes from `load`; one at a time, from reading to swap.
    func reload(_ load: () throws(RegistryError) -> TenantRegistry) -> Result<Int, RegistryError> {
        reloads.withLock { _ in
            do throws(RegistryError) {
                let registry = try load()
                replace(with: registry)
                succeeded.add(1, ordering: .relaxed)
                return .success(registry.tenants.count)
            } catch {
                failed.add(1, ordering: .relaxed)
                return .failure(error)
            }
        }
    }

    /// Swaps in `registry`, carrying limiter state over by tenant name (see
    /// ``ActiveRegistry``). Not counted as a reload.
    public func replace(with registry: TenantRegistry) {
        reloading.withLock { _ in
            let old = current
            let next = ActiveRegistry(registry: registry, generation: old.generation + 1, previous: old, loops: loops)
            published.withLock { $0 = next }
            generation.store(next.generation, ordering: .releasing)
        }
    }

    /// Reloads that replaced the registry.
    public var reloadsSucceeded: UInt64 { succeeded.load(ordering: .relaxed) }
    /// Reloads refused because the file was unreadable or invalid.
    public var reloadsFailed: UInt64 { failed.load(ordering: .relaxed) }
}

/// One loop's reference to the registry in force.
// @unchecked Sendable: `active` is read and written only on the loop whose index
// it sits at in `RegistryStore.caches` (`current(on:)` asserts the loop).
private final class LoopRegistryCache: @unchecked Sendable {
    var active: ActiveRegistry

    init(_ active: ActiveRegistry) {
        self.active = active
    }
}
