/// An HTTP protocol version as carried on the start line (`HTTP/1.1`).
///
/// Only the 1.x family reaches the rest of the gateway: the decoders answer
/// 505 (requests) or fail the exchange (responses) for any other major version.
public struct HTTPVersion: Hashable, Sendable {
    /// The major version digit.
    public var major: UInt8
    /// The minor version digit.
    public var minor: UInt8

    /// Creates a version from its two digits.
    public init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0, whose connections close after each message unless asked otherwise.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1, whose connections persist unless asked otherwise.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
}

extension HTTPVersion: CustomStringConvertible {
    /// The wire form, e.g. `HTTP/1.1`.
    public var description: String { "HTTP/\(major).\(minor)" }
}
