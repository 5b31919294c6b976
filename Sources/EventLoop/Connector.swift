import Dispatch
import Glibc

/// A non-blocking TCP connect on a loop: the socket's write source fires when
/// the handshake finishes, and `SO_ERROR` says how.
///
/// The attempt owns the fd until it succeeds (then the new ``SocketChannel``
/// does) or is cancelled (then the cancel handler closes it, after the source
/// is gone, so the fd number is never reused under a live registration).
// @unchecked Sendable: every property is confined to `loop.queue`.
public final class ConnectAttempt: @unchecked Sendable {
    public typealias Completion = (Result<SocketChannel, SystemError>) -> Void

    public let loop: EventLoop
    public let address: SocketAddress
    private var fd: Int32 = -1
    private var source: (any DispatchSourceWrite)?
    private var completion: Completion?
    /// Whether the fd passed to a channel (and so must not be closed here).
    private var handedOver = false
    /// The completion of a connect that succeeded, waiting for the write
    /// source's cancel handler: only then does the fd go to its channel.
    private var handoff: Completion?

    private init(loop: EventLoop, address: SocketAddress, completion: @escaping Completion) {
        self.loop = loop
        self.address = address
        self.completion = completion
    }

    /// Starts connecting to `address`; `completion` runs on `loop`, once, unless
    /// the attempt is cancelled first.
    @discardableResult
    public static func start(to address: SocketAddress, on loop: EventLoop,
                             completion: @escaping Completion) -> ConnectAttempt {
        loop.assertInLoop()
        let attempt = ConnectAttempt(loop: loop, address: address, completion: completion)
        attempt.begin()
        return attempt
    }

    private func begin() {
        do {
            fd = try Socket.makeTCP(family: address.family)
            try Socket.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            switch try Socket.connect(fd, to: address) {
            case .value:
                // Connected at once (loopback may); answer on a later turn of the loop
                // so the caller's bookkeeping is in place first.
                loop.execute { [self] in succeed() }
            case .wouldBlock:
                let s = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: loop.queue)
                s.setEventHandler { [unowned self] in writable() }
                s.setCancelHandler { [self] in
                    source = nil
                    if !handedOver {
                        Socket.close(fd)
                    } else if let done = handoff {
                        handoff = nil
                        done(.success(SocketChannel(fd: fd, loop: loop, peer: address)))
                    }
                }
                source = s
                s.resume()
            }
        } catch {
            if fd >= 0 { Socket.close(fd) }
            fd = -1
            // Fail on a later turn, like success, so the caller's bookkeeping is in place.
            loop.execute { [self] in
                guard let done = completion else { return }
                completion = nil
                done(.failure(error))
            }
        }
    }

    private func writable() {
        guard completion != nil else { return }
        do {
            let pending = try Socket.pendingError(fd)
            if pending != 0 {
                fail(SystemError(call: "connect(\(address))", errno: pending))
                return
            }
        } catch {
            fail(error)
            return
        }
        succeed()
    }

    /// Hands the fd to a new channel once this attempt's write source is gone,
    /// so that the channel, which may close the fd at once, never closes it
    /// under a registration libdispatch still holds.
    private func succeed() {
        guard let done = completion else { return }
        completion = nil
        handedOver = true
        guard let s = source else {
            done(.success(SocketChannel(fd: fd, loop: loop, peer: address)))
            return
        }
        handoff = done
        s.cancel()
    }

    private func fail(_ error: SystemError) {
        guard let done = completion else { return }
        completion = nil
        closeSocket()
        done(.failure(error))
    }

    /// Abandons the attempt (a timeout): the completion never runs, the fd closes.
    public func cancel() {
        loop.assertInLoop()
        guard completion != nil else { return }
        completion = nil
        closeSocket()
    }

    private func closeSocket() {
        if let s = source {
            s.cancel()  // the cancel handler closes the fd
        } else if fd >= 0, !handedOver {
            Socket.close(fd)
        }
    }
}
