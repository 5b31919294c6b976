import Glibc

/// A failed system call: the call's name and the `errno` it left.
///
/// Every socket call of the gateway goes through ``syscall(_:_:)`` so that errors
/// reach callers typed, with the call that failed, instead of as bare integers.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The name of the failed call, such as `"accept"`.
    public let call: String
    /// The `errno` value the call left.
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// Whether the failure means the peer went away (reset or broken pipe), which
    /// is routine for a server and is not worth a warning.
    public var isConnectionReset: Bool {
        errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN || errno == ECONNABORTED
    }

    /// Whether the process or system ran out of file descriptors.
    public var isOutOfDescriptors: Bool {
        errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM
    }

    public var description: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call: a value, or "try again when the fd is ready".
public enum IOResult<Value> {
    case value(Value)
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}

/// Runs a system call that returns -1 and sets `errno` on failure.
///
/// This is the one place that retries `EINTR` and turns `EAGAIN`/`EWOULDBLOCK`
/// (and `EINPROGRESS` for `connect`) into ``IOResult/wouldBlock``; every other
/// failure becomes a typed ``SystemError`` naming the call.
@inline(__always)
public func syscall<T: FixedWidthInteger>(
    _ name: @autoclosure () -> String,
    _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result != -1 {
            return .value(result)
        }
        let code = errno
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK, EINPROGRESS:
            return .wouldBlock
        default:
            throw SystemError(call: name(), errno: code)
        }
    }
}

/// Runs a system call that must not block (setup calls such as `bind` or
/// `setsockopt`): `EAGAIN` there is an error like any other.
@inline(__always)
@discardableResult
public func blockingSyscall<T: FixedWidthInteger>(
    _ name: @autoclosure () -> String,
    _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 {
            return result
        }
        let code = errno
        if code == EINTR {
            continue
        }
        throw SystemError(call: name(), errno: code)
    }
}
