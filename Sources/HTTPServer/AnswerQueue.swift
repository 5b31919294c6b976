/// The answers a connection owes, in request order (pipelining): each request
/// takes a sequence number, and an answer given out of order waits in its slot
/// until every earlier one has gone.
///
/// A value type, so that each step is one access to the connection's stored
/// property: class properties pay a dynamic exclusivity check per access,
/// and the common case (the oldest request answered at once) needs two.
struct AnswerQueue {
    /// `slots[0]` belongs to request number `firstSequence`; `nil` while its
    /// handler works.
    private var slots: [[UInt8]?] = []
    private var firstSequence = 0
    private var nextSequence = 0

    /// What ``claim(_:)`` found for an answer.
    enum Claim: Equatable {
        /// The oldest answer owed: it goes out now. `laterReady` says whether
        /// the next ones are already waiting in their slots.
        case oldest(laterReady: Bool)
        /// An answer that must wait in slot `index` for earlier ones.
        case later(index: Int)
        /// Not owed (already given, or its connection's answers were dropped).
        case notOwed
    }

    /// The sequence number of the newest request.
    var newestSequence: Int { nextSequence &- 1 }

    /// Takes the sequence number of a new request.
    mutating func open() -> Int {
        slots.append(nil)
        nextSequence &+= 1
        return nextSequence &- 1
    }

    /// Decides where the answer to request `sequence` goes; the oldest one
    /// leaves the queue at once.
    mutating func claim(_ sequence: Int) -> Claim {
        let index = sequence &- firstSequence
        guard index >= 0, index < slots.count, slots[index] == nil else { return .notOwed }
        guard index == 0 else { return .later(index: index) }
        slots.removeFirst()
        firstSequence &+= 1
        return .oldest(laterReady: slots.first.map { $0 != nil } ?? false)
    }

    /// Stores an answer that waits for earlier ones (see ``Claim/later(index:)``).
    mutating func store(_ bytes: [UInt8], at index: Int) {
        slots[index] = bytes
    }

    /// Removes and returns the oldest answer if it is ready.
    mutating func popReady() -> [UInt8]? {
        guard let first = slots.first, let bytes = first else { return nil }
        slots.removeFirst()
        firstSequence &+= 1
        return bytes
    }

    /// Drops every slot (the connection closed): nothing given so far is
    /// owed any more; sequence numbers keep counting.
    mutating func removeAll() {
        slots = []
        firstSequence = nextSequence
    }
}
