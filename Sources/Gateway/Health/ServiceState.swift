import Synchronization

/// Whether the gateway takes traffic: what `/readyz` reports.
public final class ServiceState: Sendable {
    /// The phases of the process's life.
    public enum Phase: UInt8, Sendable {
        case starting = 0
        case serving = 1
        case draining = 2
    }

    private let value = Atomic<UInt8>(Phase.starting.rawValue)

    public init() {}

    public var phase: Phase { Phase(rawValue: value.load(ordering: .relaxed)) ?? .starting }

    public func set(_ phase: Phase) {
        value.store(phase.rawValue, ordering: .relaxed)
    }
}
