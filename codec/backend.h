/* backend.h - the decoder back-ends: one per codec, behind one interface.
 * Internal (codec/ only).
 *
 * A back-end decodes one payload of its codec into exactly size bytes at
 * dst. It is bounds-checked on hostile input (ARTPACK_E_CORRUPT, never a
 * read or write outside src or dst), allocates nothing, and returns
 * ARTPACK_E_CODEC_UNAVAILABLE when its codec is compiled out:
 *
 *   ap_stored_decode(dst, size, src, src_size)            below
 *   ap_lz4_decode(dst, size, src, src_size, dict)         backend_lz4.c
 *   ap_zstd_decode(dec, dst, size, src, src_size, ...)    backend_zstd.c
 *
 * A back-end that keeps state between payloads (zstd: its DCtx and the
 * dictionary's tables) keeps it in an ap_dec inside its owner (a
 * decompressor, a bundle reader), in ap_<codec>_dec_size() bytes of the
 * owner's workspace set up by ap_<codec>_dec_init and ap_<codec>_dec_dict.
 * The owners are frame.c (one artpack frame: header, payload, checksum),
 * bundle_read.c (a bundle's blocks and its embedded dictionary) and
 * bundle_salvage.c (the same in an allocated workspace); they pick a
 * back-end by codec and never include a codec's header. Only frame.c's
 * compressor includes zstd's and LZ4's headers (not in the decode-only
 * build).
 *
 * Each codec's build options are read here and in its back-end's file only:
 * ARTPACK_NO_ZSTD and ARTPACK_ZSTD_NO_DDICT (AP_HAS_ZSTD, AP_ZSTD_DDICT;
 * backend_zstd.c), ARTPACK_NO_LZ4 (AP_HAS_LZ4) and ARTPACK_LZ4_ONE_DECODER
 * (backend_lz4.c).
 *
 * A new codec (a word transform, a CM coder): a backend_<name>.c with
 * ap_<name>_decode (and _dec_size, _dec_init, _dec_dict if it keeps state,
 * its state in ap_dec), its build option read here, a case in frame.c's
 * payload dispatch (ap_frame_plain, or beside the zstd call in
 * artpack_frame_decompress) and, for bundles, in bundle_read.c's
 * ap_decode_block (its workspace in ap_layout_of). docs/ARCHITECTURE.md
 * "Where things go" has the whole list. */
#ifndef ARTPACK_BACKEND_H
#define ARTPACK_BACKEND_H

#include <string.h>

#include "internal.h"

/* ---- which back-ends are compiled in (compile-time; see artpack.h) ---- */
/* ARTPACK_NO_ZSTD / ARTPACK_NO_LZ4 leave a decoder out (its frames and
 * bundles give ARTPACK_E_CODEC_UNAVAILABLE); ARTPACK_ZSTD_NO_DDICT decodes
 * with the dictionary's tables loaded into the DCtx for each frame instead of
 * a prepared DDict (27 KB less RAM, some speed). */
#if (defined(ARTPACK_NO_ZSTD) || defined(ARTPACK_NO_LZ4)) && !defined(ARTPACK_NO_ALLOC)
#error "ARTPACK_NO_ZSTD and ARTPACK_NO_LZ4 are for the decode-only build: define ARTPACK_NO_ALLOC"
#endif
#if defined(ARTPACK_NO_ZSTD) && defined(ARTPACK_NO_LZ4)
#error "leave at least one codec: ARTPACK_NO_ZSTD or ARTPACK_NO_LZ4, not both"
#endif
#ifdef ARTPACK_NO_ZSTD
#define AP_HAS_ZSTD 0
#else
#define AP_HAS_ZSTD 1
#endif
#ifdef ARTPACK_NO_LZ4
#define AP_HAS_LZ4 0
#else
#define AP_HAS_LZ4 1
#endif
/* ARTPACK_NO_CM (decode-only build) leaves the CM decoder out of the frame
 * decoder: CM frames give ARTPACK_E_CODEC_UNAVAILABLE, and a device image
 * that decodes zstd or LZ4 frames does not link it (the Cortex-M4 images of
 * make footprint). */
#if defined(ARTPACK_NO_CM) && !defined(ARTPACK_NO_ALLOC)
#error "ARTPACK_NO_CM is for the decode-only build: define ARTPACK_NO_ALLOC"
#endif
#ifdef ARTPACK_NO_CM
#define AP_HAS_CM 0
#else
#define AP_HAS_CM 1
#endif
#ifdef ARTPACK_ZSTD_NO_DDICT
#define AP_ZSTD_DDICT 0
#else
#define AP_ZSTD_DDICT 1
#endif

/* ---- the decoding state an owner keeps ---- */
struct ZSTD_DCtx_s;
struct ZSTD_DDict_s;
struct ap_cm;
typedef struct ap_dec {
    artpack_dict dict; /* the dictionary, when has_dict */
    int has_dict;
    struct ap_cm *cm;  /* the CM coder (cm.h), in the owner's workspace */
#if AP_HAS_ZSTD
    struct ZSTD_DCtx_s *dctx;         /* in the owner's workspace (NULL: no zstd) */
#if AP_ZSTD_DDICT
    const struct ZSTD_DDict_s *ddict; /* the dictionary's tables, after the DCtx */
#endif
#endif
} ap_dec;

/* ---- stored ---- */
static inline artpack_error ap_stored_decode(void *dst, size_t size, const void *src,
                                             size_t src_size) {
    AP_RETURN_IF(src_size != size, ARTPACK_E_CORRUPT);
    if (size) memmove(dst, src, size); /* may overlap: bundles decode in place */
    return ARTPACK_OK;
}

/* ---- LZ4 (backend_lz4.c) ---- */
/* dict NULL: none; else its last 64 KB are the prefix. */
artpack_error ap_lz4_decode(void *dst, size_t size, const void *src, size_t src_size,
                            const artpack_dict *dict);
/* The LZ4 prefix of a dictionary: its last 64 KB (the compressor's too). */
void ap_lz4_prefix(const artpack_dict *d, const char **p, int *n);

/* ---- zstd (backend_zstd.c) ---- */
/* Workspace bytes of the zstd back-end: its DCtx and DDict (0 without zstd). */
size_t ap_zstd_dec_size(void);
/* Sets up dec->dctx in ws (ap_zstd_dec_size() bytes, 8-byte aligned).
 * magicless: payloads of artpack frames (no magic; windows up to
 * window_log_max), else standard zstd frames. ARTPACK_E_WORKSPACE_TOO_SMALL,
 * ARTPACK_E_PARAM, ARTPACK_E_CODEC_UNAVAILABLE without zstd. */
artpack_error ap_zstd_dec_init(ap_dec *dec, void *ws, int magicless, unsigned window_log_max);
/* Prepares dec->dict (has_dict) for decoding after ap_zstd_dec_init: its
 * tables checked, and built once (a DDict) unless ARTPACK_ZSTD_NO_DDICT.
 * ARTPACK_E_DICT when they are not sound. */
artpack_error ap_zstd_dec_dict(ap_dec *dec);
/* One zstd frame src[0..src_size) of exactly size bytes into dst, with
 * dec->dict when use_dict. window_log_max: refuse a larger window
 * (ARTPACK_E_WINDOW_TOO_LARGE; 0: no check). ARTPACK_E_CODEC_UNAVAILABLE
 * when dec has no DCtx. */
artpack_error ap_zstd_decode(ap_dec *dec, void *dst, size_t size, const void *src,
                             size_t src_size, int use_dict, unsigned window_log_max);
/* One zstd frame without a dictionary (the embedded dictionary's own), as
 * ap_zstd_decode. */
artpack_error ap_zstd_unpack(ap_dec *dec, void *dst, size_t size, const void *src,
                             size_t src_size);
/* A standard zstd frame's header: ARTPACK_OK and its content size and
 * dictionary ID when src holds one frame (not skippable) with a checksum and
 * its content size. */
artpack_error ap_zstd_frame_head(const void *src, size_t src_size, uint64_t *size,
                                 uint32_t *dict_id);
/* The bytes a buffer needs to decode a frame of size bytes of content in
 * place (the frame at the buffer's end). */
size_t ap_zstd_inplace_size(size_t size);
#ifndef ARTPACK_NO_ALLOC
/* The first bytes of the zstd frame src[0..src_size) of size bytes into
 * dst (capacity size; in place like ap_zstd_decode), block by block: call
 * with *pos and *got 0 first, then again with a larger want to go on; stops
 * once *got >= want or the frame ends. Its checksum is not checked (only a
 * whole frame's is). ARTPACK_E_CORRUPT when the frame is not one. */
artpack_error ap_zstd_prefix(ap_dec *dec, int use_dict, void *dst, size_t size, const void *src,
                             size_t src_size, size_t *pos, size_t *got, size_t want);
/* Host side (salvage; an appender loading the embedded dictionary). The
 * zstd frame at the start of src[0..src_size): its bytes and its content
 * size; ARTPACK_E_TRUNCATED when it runs past the end, ARTPACK_E_CORRUPT
 * when it is no frame or does not say its size. */
artpack_error ap_zstd_frame_size(const void *src, size_t src_size, size_t *frame_size,
                                 uint64_t *size);
/* One zstd frame of exactly size bytes, in a DCtx of zstd's own (malloc). */
artpack_error ap_zstd_decompress(void *dst, size_t size, const void *src, size_t src_size);
#endif

#endif
