import EventLoop
import COpenSSL

/// The client side's TLS settings, shared by every upstream connection on every
/// loop: verification always on (system trust store plus an optional CA file),
/// TLS 1.2 at least, ALPN `http/1.1`, and a session cache keyed by `host:port` so
/// that a new connection to an origin resumes the last session instead of a full
/// handshake.
///
/// There is deliberately no way to turn verification off.
public final class TLSClientContext: Sendable {
    /// Handshake counters of every connection made with this context.
    public let metrics: TLSMetrics
    let handle: SSLContextHandle
    let sessions = SessionCache()

    /// - Parameters:
    ///   - caFile: PEM trust anchors added to the system's (`--ca-file`).
    ///   - metrics: where handshakes are counted.
    /// - Throws: ``TLSConfigurationError`` when the CA file cannot be used.
    public init(caFile: String? = nil, metrics: TLSMetrics = TLSMetrics()) throws(TLSConfigurationError) {
        self.metrics = metrics
        let handle = try SSLContextHandle.make(method: TLS_client_method())
        let ctx = handle.raw
        ERR_clear_error()
        if SSL_CTX_set_default_verify_paths(ctx) != 1 {
            throw TLSConfigurationError(.trustStore, path: nil, reason: OpenSSLErrorQueue.drain())
        }
        if let caFile {
            try checkReadable(caFile, kind: .trustStore)
            if SSL_CTX_load_verify_file(ctx, caFile) != 1 {
                throw TLSConfigurationError(.trustStore, path: caFile, reason: OpenSSLErrorQueue.drain())
            }
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        let alpnSet = ALPN.http11.withUnsafeBufferPointer {
            SSL_CTX_set_alpn_protos(ctx, $0.baseAddress, UInt32($0.count))
        }
        guard alpnSet == 0 else {  // 0 is success for this one
            throw TLSConfigurationError(.context, path: nil, reason: OpenSSLErrorQueue.drain())
        }
        // Sessions are kept by us, per endpoint, not in OpenSSL's cache (which a
        // client never looks up by itself); the callback hands each one over,
        // including TLS 1.3 tickets that arrive after the handshake.
        _ = copenssl_ctx_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        SSL_CTX_sess_set_new_cb(ctx) { ssl, session in
            guard let ssl, let session, let owner = copenssl_get_app_data(ssl) else { return 0 }
            let stream = Unmanaged<TLSStream>.fromOpaque(owner).takeUnretainedValue()
            // 1: the reference is ours now; 0: OpenSSL keeps it.
            return stream.sessionIssued(session) ? 1 : 0
        }
        ERR_clear_error()
        self.handle = handle
    }

    /// Endpoints with a session ready to resume (for tests and metrics).
    public var cachedSessionCount: Int { sessions.count }

    /// Forgets every cached session (the next connection to each origin does a
    /// full handshake).
    public func clearSessions() {
        sessions.removeAll()
    }
}

/// One `SSL_SESSION` reference, released exactly once.
// @unchecked Sendable: an SSL_SESSION is immutable once issued and reference
// counted with atomics, and OpenSSL allows handing one to `SSL_set_session` on
// any thread.
final class SessionHandle: @unchecked Sendable {
    let raw: OpaquePointer

    /// Adopts a reference the caller owns.
    init(adopting raw: OpaquePointer) {
        self.raw = raw
    }

    deinit {
        SSL_SESSION_free(raw)
    }
}

/// The last resumable session of each endpoint (`host:port`), shared by all loops.
/// Looked up once per new connection, so a lock costs nothing that matters.
final class SessionCache: Sendable {
    private let sessions = Locked<[String: SessionHandle]>([:])
    /// Bounds memory when tenants have their own upstream hosts.
    private let limit = 4096

    var count: Int { sessions.withLock { $0.count } }

    func session(for key: String) -> SessionHandle? {
        sessions.withLock { $0[key] }
    }

    func store(_ session: SessionHandle, for key: String) {
        let replaced = sessions.withLock { map -> SessionHandle? in
            if map.count >= limit, map[key] == nil, let victim = map.keys.first {
                map.removeValue(forKey: victim)
            }
            return map.updateValue(session, forKey: key)
        }
        // Released outside the lock.
        _ = replaced
    }

    /// Forgets `key`'s session (after a failure on a connection to it).
    func evict(_ key: String) {
        let removed = sessions.withLock { $0.removeValue(forKey: key) }
        _ = removed  // released outside the lock
    }

    func removeAll() {
        let old = sessions.withLock { map -> [String: SessionHandle] in
            defer { map = [:] }
            return map
        }
        _ = old
    }
}
