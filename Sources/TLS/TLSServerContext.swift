import COpenSSL
import Glibc
import EventLoop

/// Called when a caller's handshake fails (a plain-HTTP client, an unsupported
/// version, a client that rejects the certificate), with the peer's address;
/// on the connection's loop, so it should be cheap (a debug log line, a counter).
public typealias TLSHandshakeFailureObserver = @Sendable (TLSError, SocketAddress?) -> Void

/// The server side's TLS settings (`--tls-cert`, `--tls-key`): the certificate
/// chain and key, TLS 1.2 at least, ALPN `http/1.1`.
///
/// ``reload()`` (on SIGHUP) builds a whole new `SSL_CTX` from the files and swaps
/// it in; connections already open keep the context they started with, new
/// ones get the new one. A pair that fails to load leaves the old one serving.
public final class TLSServerContext: Sendable {
    /// The PEM certificate chain file: the leaf first, then intermediates.
    public let certificateChainPath: String
    /// The PEM private key file of the leaf.
    public let privateKeyPath: String
    /// Handshake counters of every connection served with this context.
    public let metrics: TLSMetrics
    let failureObserver: TLSHandshakeFailureObserver?
    private let current: Locked<SSLContextHandle>

    /// Loads the chain and key.
    /// - Throws: ``TLSConfigurationError`` naming the file and OpenSSL's reason.
    public init(
        certificateChainPath: String, privateKeyPath: String, metrics: TLSMetrics = TLSMetrics(),
        onHandshakeFailure: TLSHandshakeFailureObserver? = nil
    ) throws(TLSConfigurationError) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.metrics = metrics
        self.failureObserver = onHandshakeFailure
        current = Locked(try Self.load(chain: certificateChainPath, key: privateKeyPath))
    }

    /// Loads the files again and, if they are a good pair, serves new
    /// connections with them. On failure the old pair stays in use and the error
    /// says why (for the log).
    public func reload() throws(TLSConfigurationError) {
        let fresh = try Self.load(chain: certificateChainPath, key: privateKeyPath)
        let old = current.withLock { handle in
            defer { handle = fresh }
            return handle
        }
        _ = old  // released outside the lock; open connections hold their own reference
    }

    /// Wraps an accepted socket in a TLS session that handshakes as its first reads arrive.
    public func makeStream(over channel: SocketChannel) -> TLSStream {
        let handle = current.withLock { $0 }
        return TLSStream(server: handle, metrics: metrics, observer: failureObserver, over: channel)
    }

    /// The `streamFactory` for `HTTPServer`: every accepted connection speaks TLS.
    public var streamFactory: @Sendable (SocketChannel) -> any ByteStream {
        { [self] channel in makeStream(over: channel) }
    }

    /// The `SSL_CTX` new connections get now (tests use it to see a reload happen).
    var currentContext: OpaquePointer { current.withLock { $0.raw } }

    /// The TLS 1.2 cipher suites served: ECDHE key exchange with AES-GCM or
    /// ChaCha20-Poly1305, for RSA and ECDSA certificates alike.
    static let tls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20"

    private static func load(chain: String, key: String) throws(TLSConfigurationError) -> SSLContextHandle {
        try checkReadable(chain, kind: .certificate)
        try checkReadable(key, kind: .privateKey)
        let handle = try SSLContextHandle.make(method: TLS_server_method())
        let ctx = handle.raw
        ERR_clear_error()
        // TLS 1.2 clients get forward-secret AEAD suites only, in the server's
        // order; OpenSSL's default also offers CBC with SHA-1 and static RSA key
        // exchange. (TLS 1.3's suites are all of the first kind already.)
        guard SSL_CTX_set_cipher_list(ctx, Self.tls12Ciphers) == 1 else {
            throw TLSConfigurationError(.context, path: nil, reason: OpenSSLErrorQueue.drain())
        }
        SSL_CTX_set_options(ctx, copenssl_op_cipher_server_preference())
        // An encrypted key would make OpenSSL prompt on the terminal, which a
        // server (or its SIGHUP reload) must never wait on: it fails instead.
        SSL_CTX_set_default_passwd_cb(ctx) { _, _, _, _ in 0 }
        guard SSL_CTX_use_certificate_chain_file(ctx, chain) == 1 else {
            throw TLSConfigurationError(.certificate, path: chain, reason: OpenSSLErrorQueue.drain())
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL checks the key against the certificate as it loads it.
            let (reason, codes) = OpenSSLErrorQueue.drainWithReasons()
            let kind: TLSConfigurationError.Kind =
                codes.contains(X509_R_KEY_VALUES_MISMATCH) ? .keyMismatch : .privateKey
            throw TLSConfigurationError(kind, path: key, reason: reason)
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSConfigurationError(.keyMismatch, path: key, reason: OpenSSLErrorQueue.drain())
        }
        // One TLS 1.3 ticket per handshake is enough for a client that keeps the
        // last session per origin; the default two cost a second encryption.
        _ = SSL_CTX_set_num_tickets(ctx, 1)
        SSL_CTX_set_alpn_select_cb(ctx, { _, out, outLength, offered, offeredLength, _ in
            guard let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
            // The client's list is length-prefixed names; pick http/1.1 or refuse
            // with no_application_protocol, as RFC 7301 asks (a client offering
            // only h2 would otherwise speak h2 to an HTTP/1.1 server).
            var index = 0
            let count = Int(offeredLength)
            while index < count {
                let length = Int(offered[index])
                let start = index + 1
                if length == 8, start + length <= count,
                   ALPN.http11.withUnsafeBufferPointer({ memcmp(offered + start, $0.baseAddress! + 1, 8) == 0 }) {
                    out.pointee = offered + start
                    outLength.pointee = 8
                    return SSL_TLSEXT_ERR_OK
                }
                index = start + length
            }
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }, nil)
        ERR_clear_error()
        return handle
    }
}
