#ifndef DAFTRA_GATEWAY_CZLIB_SHIM_H
#define DAFTRA_GATEWAY_CZLIB_SHIM_H

#include <zlib.h>

/* deflateInit2 and inflateInit2 are function-like macros, which Swift cannot import. */
static inline int czlib_deflate_init_gzip(z_streamp stream, int level, int window_bits, int mem_level) {
    /* windowBits + 16 asks zlib for a gzip wrapper (window_bits 9-15, mem_level 1-9). */
    return deflateInit2(stream, level, Z_DEFLATED, window_bits + 16, mem_level, Z_DEFAULT_STRATEGY);
}

static inline int czlib_inflate_init_gzip(z_streamp stream) {
    /* windowBits 15 + 32: accept a gzip or zlib header, detected automatically. */
    return inflateInit2(stream, 15 + 32);
}

#endif
