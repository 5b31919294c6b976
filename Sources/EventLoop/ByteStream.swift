/// How a stream ends.
public enum CloseMode: Sendable, Equatable {
    /// Drop unsent output and close now.
    case immediately
    /// Send what is queued, shut down the write side, then read and discard until
    /// the peer closes (bounded in time) so that a reset does not destroy the
    /// last answer at the peer (a "lingering close").
    case afterFlush
}

/// Receives a byte stream's events, always on the stream's loop.
public protocol ByteStreamDelegate: AnyObject {
    /// Bytes arrived. They are valid only during the call.
    func streamDidRead(_ bytes: UnsafeRawBufferPointer)
    /// The peer closed its sending side; reading has stopped.
    func streamDidReadEOF()
    /// Everything written so far has left; writers that paused can go on.
    func streamDidDrain()
    /// The stream is closed; no further events follow. `error` is nil for an
    /// orderly close.
    func streamDidClose(error: (any Error)?)
}

/// A bidirectional byte stream confined to one event loop: a plain socket
/// (``SocketChannel``) or a TLS session over one.
///
/// The HTTP layers speak only to this protocol, which is the seam where TLS
/// plugs in without them knowing.
public protocol ByteStream: AnyObject {
    /// The loop every call and event of this stream belongs to.
    var loop: EventLoop { get }
    /// The receiver of events; the stream holds it strongly until it closes.
    var delegate: (any ByteStreamDelegate)? { get set }
    /// Bytes queued but not yet handed to the kernel.
    var pendingWriteBytes: Int { get }
    /// Whether the stream is still open (not closing, not closed).
    var isOpen: Bool { get }
    /// Starts delivering reads to the delegate.
    func start()
    /// Queues bytes for sending; sends at once what the kernel takes.
    func write(_ bytes: UnsafeRawBufferPointer)
    /// Stops delivering reads until ``resumeReading()`` (back-pressure).
    func pauseReading()
    /// Resumes delivering reads.
    func resumeReading()
    /// Closes the stream; ``ByteStreamDelegate/streamDidClose(error:)`` follows.
    func close(_ mode: CloseMode)
    /// After ``ByteStreamDelegate/streamDidReadEOF()``: whether the end is known
    /// to be the peer's own. A TLS stream says so only after `close_notify`; a
    /// plain socket's FIN is all TCP has to say, so it is taken as confirmed.
    var endIsConfirmed: Bool { get }
}

extension ByteStream {
    /// A plain byte stream's end is its FIN.
    public var endIsConfirmed: Bool { true }

    /// Queues the bytes of an array.
    @inline(__always)
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }
}
