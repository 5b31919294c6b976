import COpenSSL
import EventLoop
import Glibc
import Upstream

/// The upstream client's `https` transport: each connected socket handshakes
/// as a verifying TLS client before the client gets it.
///
/// `ready` runs exactly once: with the stream when the handshake completes; with
/// `UpstreamError(.tls, …, tlsClass:)` when it fails (the class names why); with
/// `UpstreamError(.connectTimeout, …)` when it has not finished within
/// `handshakeTimeout`. The upstream client also bounds TCP connect plus
/// handshake by its connect deadline and answers the call when that passes;
/// the transport's own timeout then only frees the socket of a peer that never
/// answers.
public struct TLSClientTransport: UpstreamTransport {
    /// The trust settings, session cache and counters every connection uses.
    public let context: TLSClientContext
    /// Nanoseconds the handshake may take (`--upstream-connect-timeout`).
    public let handshakeTimeout: UInt64

    /// - Parameters:
    ///   - context: shared by all loops and origins.
    ///   - handshakeTimeout: the `--upstream-connect-timeout`.
    public init(context: TLSClientContext, handshakeTimeout: Duration) {
        self.context = context
        self.handshakeTimeout = handshakeTimeout.nanoseconds
    }

    /// Handshakes over `channel` as a client of `endpoint` (SNI and verification
    /// for its host) and calls `ready` once, on the channel's loop.
    public func makeStream(
        over channel: SocketChannel,
        endpoint: UpstreamEndpoint,
        ready: @escaping (Result<any ByteStream, UpstreamError>) -> Void
    ) {
        let stream = TLSStream(client: context, host: endpoint.host, port: endpoint.port, over: channel)
        // The completion holds the stream until it runs, which it always does
        // (success, failure, timeout or close), and is dropped then.
        stream.beginClientHandshake(timeout: handshakeTimeout) { result in
            switch result {
            case .success:
                ready(.success(stream))
            case .failure(.timedOut):
                ready(.failure(UpstreamError(.connectTimeout, "TLS handshake with \(endpoint) timed out")))
            case .failure(.failed(let error)):
                ready(.failure(UpstreamError(
                    .tls, "TLS handshake with \(endpoint) failed: \(error.reason)",
                    tlsClass: error.failureClass.rawValue)))
            }
        }
    }
}

extension TLSStream {
    /// A client session to `host:port` over a connected socket: SNI and host-name
    /// verification for a name, IP-address verification (and no SNI) for an
    /// address literal, and the endpoint's last session offered for resumption.
    convenience init(client context: TLSClientContext, host: String, port: UInt16, over channel: SocketChannel) {
        let side = ClientSide(host: host, port: port, sessions: context.sessions)
        ERR_clear_error()
        var ssl = SSL_new(context.handle.raw)
        if let s = ssl, !Self.configureClient(s, host: host, session: context.sessions.session(for: side.sessionKey)) {
            SSL_free(s)
            ssl = nil
        }
        self.init(ssl: ssl, role: .client(side), metrics: context.metrics, over: channel)
    }

    private static func configureClient(_ ssl: OpaquePointer, host: String, session: SessionHandle?) -> Bool {
        SSL_set_connect_state(ssl)
        SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        if let address = ipLiteral(host) {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), address) == 1 else { return false }
        } else {
            guard SSL_set1_host(ssl, host) == 1, copenssl_set_tlsext_host_name(ssl, host) == 1 else { return false }
        }
        if let session, SSL_SESSION_is_resumable(session.raw) == 1 {
            _ = SSL_set_session(ssl, session.raw)  // takes its own reference
        }
        return true
    }

    /// `host` without brackets if it is an IPv4 or IPv6 literal, else nil.
    static func ipLiteral(_ host: String) -> String? {
        var bare = Substring(host)
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        let text = String(bare)
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1 { return text }
        return nil
    }
}
