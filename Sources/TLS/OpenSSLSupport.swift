import COpenSSL
import Glibc

/// OpenSSL's thread-local error queue, read and emptied in one go.
///
/// Every SSL call on a connection is preceded by `ERR_clear_error()` and every
/// failure drains the queue here, so an error left by one connection can never
/// be reported for another that runs next on the same thread.
enum OpenSSLErrorQueue {
    /// The queued errors as text (oldest first, at most three), then an empty queue.
    static func drain(or fallback: String = "no reason given") -> String {
        drainWithReasons(or: fallback).text
    }

    /// The queued errors as text, and the reason code of each, then an empty queue.
    static func drainWithReasons(or fallback: String = "no reason given") -> (text: String, reasons: [Int32]) {
        var parts: [String] = []
        var reasons: [Int32] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            reasons.append(ERR_GET_REASON(code))
            guard parts.count < 3 else { continue }
            buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !parts.contains(text) { parts.append(text) }
        }
        return (parts.isEmpty ? fallback : parts.joined(separator: "; "), reasons)
    }
}

/// How a failed handshake is classified: by the certificate verification result
/// when verification failed, else as a protocol error.
enum VerifyClassifier {
    static func failureClass(forVerifyResult code: Int) -> TLSFailureClass {
        switch Int32(truncatingIfNeeded: code) {
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            return .expiredCertificate
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH, X509_V_ERR_EMAIL_MISMATCH:
            return .nameMismatch
        default:
            // Unknown issuer, self-signed, untrusted, rejected, bad signature, weak
            // key, wrong purpose: in every case the certificate was not accepted.
            return .untrustedCertificate
        }
    }

    /// The classified failure of `ssl`'s handshake; drains the error queue.
    static func handshakeFailure(_ ssl: OpaquePointer, sslError: Int32) -> TLSError {
        let queued = OpenSSLErrorQueue.drain(or: sslErrorName(sslError))
        let verify = SSL_get_verify_result(ssl)
        guard verify != Int(X509_V_OK) else { return TLSError(.protocolError, queued) }
        let detail = String(cString: X509_verify_cert_error_string(verify))
        return TLSError(failureClass(forVerifyResult: verify), "\(queued) (\(detail))")
    }

    /// A failure after the handshake; drains the error queue.
    static func sessionFailure(sslError: Int32) -> TLSError {
        TLSError(.protocolError, OpenSSLErrorQueue.drain(or: sslErrorName(sslError)))
    }

    static func sslErrorName(_ code: Int32) -> String {
        switch code {
        case SSL_ERROR_SSL: return "TLS protocol failure"
        case SSL_ERROR_SYSCALL: return "unexpected end of the TLS stream"
        case SSL_ERROR_ZERO_RETURN: return "the peer closed the TLS session"
        default: return "SSL_get_error \(code)"
        }
    }
}

/// An `SSL_CTX` with its configuration done; freed once, when the last holder
/// goes. Connections take their own reference in `SSL_new`, so a context
/// replaced by a reload lives on exactly as long as its connections.
// @unchecked Sendable: the context is only read after configuration, and
// OpenSSL documents `SSL_new` on a configured `SSL_CTX` as safe from any thread
// (its session cache and reference count are locked internally).
final class SSLContextHandle: @unchecked Sendable {
    let raw: OpaquePointer

    init(_ raw: OpaquePointer) {
        self.raw = raw
    }

    deinit {
        SSL_CTX_free(raw)
    }

    /// A context for `method` with what client and server share: TLS 1.2 at
    /// least, no renegotiation (it could make `SSL_write` wait for a read), and
    /// buffers released while a connection is idle (thousands of keep-alive
    /// connections would otherwise hold ~34 KB each).
    static func make(method: OpaquePointer?) throws(TLSConfigurationError) -> SSLContextHandle {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(method) else {
            throw TLSConfigurationError(.context, path: nil, reason: OpenSSLErrorQueue.drain())
        }
        let handle = SSLContextHandle(ctx)
        guard copenssl_ctx_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw TLSConfigurationError(.context, path: nil, reason: OpenSSLErrorQueue.drain())
        }
        SSL_CTX_set_options(ctx, copenssl_op_no_renegotiation())
        _ = copenssl_ctx_set_mode(ctx, Int(SSL_MODE_RELEASE_BUFFERS))
        return handle
    }
}

/// ALPN: the one protocol the gateway speaks, in wire format (length-prefixed).
enum ALPN {
    static let http11: [UInt8] = [8] + Array("http/1.1".utf8)
}

/// Checks that `path` names a readable file before OpenSSL tries, because
/// OpenSSL's own message for a missing file ("system lib") says less.
func checkReadable(_ path: String, kind: TLSConfigurationError.Kind) throws(TLSConfigurationError) {
    if access(path, R_OK) != 0 {
        let reason = String(cString: strerror(errno))
        throw TLSConfigurationError(kind, path: path, reason: reason)
    }
}
