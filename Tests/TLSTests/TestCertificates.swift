import COpenSSL
import Foundation

/// Certificates made when the tests run, so nothing committed ever expires: a
/// CA, and P-256 leaves signed by it (or by themselves), written as PEM files to
/// a fresh temporary directory.
struct TestCertificates: Sendable {
    /// A certificate file and its key file.
    struct Pair: Sendable {
        let certificate: String
        let key: String
    }

    let directory: String
    /// The CA (trust it with `caFile`).
    let ca: Pair
    /// Signed by the CA for `localhost` and `127.0.0.1`.
    let localhost: Pair
    /// Signed by the CA for `other.example` only.
    let otherName: Pair
    /// Signed by the CA for `localhost`, expired yesterday.
    let expired: Pair
    /// For `localhost`, signed by its own key.
    let selfSigned: Pair
    /// A second, different leaf for `localhost` (for reload tests).
    let localhostRenewed: Pair
    /// `localhost`'s certificate with `otherName`'s key: not a pair.
    let mismatched: Pair

    /// Made once per test process: key generation is the slow part.
    static let shared: TestCertificates = {
        do {
            return try TestCertificates()
        } catch {
            fatalError("cannot make test certificates: \(error)")
        }
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private init() throws {
        directory = NSTemporaryDirectory() + "tls-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let day: Int = 86_400

        let caKey = try Self.makeKey()
        defer { EVP_PKEY_free(caKey) }
        let caCert = try Self.makeCertificate(
            commonName: "daftra-gateway test CA", serial: 1, key: caKey, issuer: nil, issuerKey: caKey,
            notBefore: -day, notAfter: 30 * day, extensions: [
                (NID_basic_constraints, "critical,CA:TRUE"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ])
        defer { X509_free(caCert) }
        ca = try Self.write(caCert, caKey, name: "ca", in: directory)

        let dir = directory
        func leaf(_ name: String, serial: Int, san: String, notBefore: Int = -day, notAfter: Int = 30 * day,
                  selfSigned: Bool = false) throws -> Pair {
            try Self.makeLeaf(name, serial: serial, san: san, notBefore: notBefore, notAfter: notAfter,
                              signer: selfSigned ? nil : (caCert, caKey), directory: dir)
        }
        localhost = try leaf("localhost", serial: 2, san: "DNS:localhost,IP:127.0.0.1")
        otherName = try leaf("other.example", serial: 3, san: "DNS:other.example")
        expired = try leaf("localhost", serial: 4, san: "DNS:localhost,IP:127.0.0.1", notBefore: -30 * day,
                           notAfter: -day)
        selfSigned = try leaf("localhost", serial: 5, san: "DNS:localhost,IP:127.0.0.1", selfSigned: true)
        localhostRenewed = try leaf("localhost", serial: 6, san: "DNS:localhost,IP:127.0.0.1")
        mismatched = Pair(certificate: localhost.certificate, key: otherName.key)
    }

    /// A leaf signed by `signer` (the CA), or by its own key when nil.
    private static func makeLeaf(
        _ name: String, serial: Int, san: String, notBefore: Int, notAfter: Int,
        signer: (cert: OpaquePointer, key: OpaquePointer)?, directory: String
    ) throws -> Pair {
        let key = try makeKey()
        defer { EVP_PKEY_free(key) }
        let cert = try makeCertificate(
            commonName: name, serial: serial, key: key, issuer: signer?.cert,
            issuerKey: signer?.key ?? key, notBefore: notBefore, notAfter: notAfter, extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, "serverAuth"),
                (NID_subject_alt_name, san),
            ])
        defer { X509_free(cert) }
        return try write(cert, key, name: "\(name)-\(serial)", in: directory)
    }

    private static func makeKey() throws -> OpaquePointer {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw Failure(description: "EVP_PKEY_CTX") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1,
              EVP_PKEY_generate(ctx, &key) == 1, let key else {
            throw Failure(description: "EC key generation failed")
        }
        return key
    }

    private static func makeCertificate(
        commonName: String, serial: Int, key: OpaquePointer, issuer: OpaquePointer?, issuerKey: OpaquePointer,
        notBefore: Int, notAfter: Int, extensions: [(Int32, String)]
    ) throws -> OpaquePointer {
        guard let cert = X509_new() else { throw Failure(description: "X509_new") }
        var ok = X509_set_version(cert, 2) == 1
        ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(cert), serial) == 1
        ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), notBefore) != nil
        ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert), notAfter) != nil
        ok = ok && X509_set_pubkey(cert, key) == 1
        let name = X509_get_subject_name(cert)
        ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1
        ok = ok && X509_set_issuer_name(cert, issuer.map { X509_get_subject_name($0) } ?? name) == 1
        var v3 = X509V3_CTX()
        X509V3_set_ctx(&v3, issuer ?? cert, cert, nil, nil, 0)
        for (nid, value) in extensions where ok {
            guard let ext = X509V3_EXT_nconf_nid(nil, &v3, nid, value) else {
                ok = false
                break
            }
            ok = X509_add_ext(cert, ext, -1) == 1
            X509_EXTENSION_free(ext)
        }
        if ok, issuer != nil {
            if let aki = X509V3_EXT_nconf_nid(nil, &v3, NID_authority_key_identifier, "keyid:always") {
                ok = X509_add_ext(cert, aki, -1) == 1
                X509_EXTENSION_free(aki)
            }
        }
        ok = ok && X509_sign(cert, issuerKey, EVP_sha256()) > 0
        guard ok else {
            X509_free(cert)
            throw Failure(description: "cannot build certificate \(commonName): \(ERR_get_error())")
        }
        return cert
    }

    private static func write(_ cert: OpaquePointer, _ key: OpaquePointer, name: String, in directory: String) throws -> Pair {
        let pair = Pair(certificate: "\(directory)/\(name).crt", key: "\(directory)/\(name).key")
        guard let certBIO = BIO_new_file(pair.certificate, "w") else { throw Failure(description: "open \(pair.certificate)") }
        defer { BIO_free(certBIO) }
        guard let keyBIO = BIO_new_file(pair.key, "w") else { throw Failure(description: "open \(pair.key)") }
        defer { BIO_free(keyBIO) }
        guard PEM_write_bio_X509(certBIO, cert) == 1,
              PEM_write_bio_PrivateKey(keyBIO, key, nil, nil, 0, nil, nil) == 1 else {
            throw Failure(description: "PEM write for \(name)")
        }
        return pair
    }

    /// Writes `text` to a new file in the directory and returns its path.
    func file(named name: String, contents text: String) -> String {
        let path = "\(directory)/\(name)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}
