#ifndef DAFTRA_GATEWAY_COPENSSL_SHIM_H
#define DAFTRA_GATEWAY_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>

/* Function-like macros Swift cannot import, wrapped as functions. */
static inline long copenssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

static inline long copenssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long copenssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

/* For the TLS module: memory-BIO plumbing and options that are macros. */
static inline long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline uint64_t copenssl_op_no_renegotiation(void) {
    return SSL_OP_NO_RENEGOTIATION;
}

static inline uint64_t copenssl_op_cipher_server_preference(void) {
    return SSL_OP_CIPHER_SERVER_PREFERENCE;
}

/* The unread bytes of a memory BIO, without copying them. */
static inline long copenssl_bio_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/* Marks `count` unread bytes of a memory BIO as read, without copying them out
   (BIO_reset would memset the whole buffer). Returns 1 on success. */
static inline int copenssl_bio_mem_consume(BIO *bio, long count) {
    long offset = BIO_tell(bio);
    if (offset < 0) return 0;
    return BIO_seek(bio, offset + count) >= 0;
}

/* The bytes a memory BIO's buffer can hold without growing (it never shrinks). */
static inline size_t copenssl_bio_mem_capacity(BIO *bio) {
    BUF_MEM *memory = NULL;
    BIO_get_mem_ptr(bio, &memory);
    return memory ? memory->max : 0;
}

static inline int copenssl_set_app_data(SSL *ssl, void *data) {
    return SSL_set_app_data(ssl, data);
}

static inline void *copenssl_get_app_data(const SSL *ssl) {
    return SSL_get_app_data(ssl);
}

#endif
