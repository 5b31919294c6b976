/// When a read event's handler may stop reading before the socket says "would block".
///
/// Reading on to would-block costs one more `read(2)` per event, about 3 % of a
/// `/livez` request's CPU here, and it is needed only when libdispatch will not
/// report the socket again. On Linux a read source is a one-shot epoll
/// registration that libdispatch re-arms with `EPOLL_CTL_MOD` after the handler
/// returns, and that re-arm polls the socket: bytes that arrived meanwhile, an
/// end of stream or a reset raise a new event. The exception is a hang-up
/// (`EPOLLHUP`, a reset or both directions shut): libdispatch then removes the fd
/// from epoll and delivers one last event, with the source's data set to 0. A
/// reset that arrived together with bytes would go unseen if the handler stopped
/// at the bytes.
///
/// So one read suffices when it came back short of the buffer (a short read of a
/// stream socket emptied its receive queue) and the event's estimate is not 0 (no
/// hang-up was merged into it). Otherwise the handler reads on.
public enum ReadDrain {
    /// Whether to read again after a read that returned `count` bytes (> 0) into a
    /// buffer of `capacity` bytes, in a handler whose source data was `estimate`.
    @inline(__always)
    public static func mustReadAgain(after count: Int, capacity: Int, estimate: UInt) -> Bool {
        count == capacity || estimate == 0
    }
}
