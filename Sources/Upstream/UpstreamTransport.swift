import EventLoop

/// Turns a connected socket into the stream an upstream exchange speaks over:
/// the seam where TLS plugs in without the client knowing.
public protocol UpstreamTransport: Sendable {
    /// Wraps `channel` for `endpoint` and calls `ready` on the channel's loop once
    /// bytes can flow (for TLS: after the handshake), or with the failure.
    func makeStream(
        over channel: SocketChannel,
        endpoint: UpstreamEndpoint,
        ready: @escaping (Result<any ByteStream, UpstreamError>) -> Void
    )
}

/// Plain TCP: the socket is the stream.
public struct PlainTransport: UpstreamTransport {
    public init() {}

    public func makeStream(
        over channel: SocketChannel,
        endpoint: UpstreamEndpoint,
        ready: @escaping (Result<any ByteStream, UpstreamError>) -> Void
    ) {
        ready(.success(channel))
    }
}
