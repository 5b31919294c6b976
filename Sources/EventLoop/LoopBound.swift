/// One value per loop of a group, each used only on its own loop: per-loop
/// resources (a reusable deflate stream, caches) without locks.
// @unchecked Sendable: element `i` is read and written only on loop `i`'s queue
// (asserted in debug builds); the array itself never changes size after init.
public final class LoopBound<Value>: @unchecked Sendable {
    private var values: [Value]

    /// Makes one value per loop of `group`.
    public init(group: EventLoopGroup, make: (EventLoop) -> Value) {
        values = group.loops.map(make)
    }

    /// The value of `loop`; call only on `loop`.
    @inline(__always)
    public subscript(loop: EventLoop) -> Value {
        get {
            loop.assertInLoop()
            return values[loop.index]
        }
        set {
            loop.assertInLoop()
            values[loop.index] = newValue
        }
    }
}
