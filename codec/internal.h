/* internal.h - shared by the codec modules only; not installed. */
#ifndef ARTPACK_INTERNAL_H
#define ARTPACK_INTERNAL_H

#include "artpack.h"

/* Wire types: the low 3 bits of a field key (docs/FORMAT.md). */
enum {
    AP_WT_VARINT = 0,   /* one varint */
    AP_WT_BYTES = 1,    /* varint length, bytes (used when the bytes hold 0xFE) */
    AP_WT_LIST = 2,     /* varint length, then elements (varint length, bytes) */
    AP_WT_PACKED = 3,   /* varint length, then varints */
    AP_WT_TEXT = 4,     /* bytes, then 0xFE (the bytes hold no 0xFE) */
    AP_WT_TEXTLIST = 5  /* elements separated by 0xFF, then 0xFE (no 0xFE/0xFF inside) */
};
#define AP_WT_BITS 3u
#define AP_TEXT_END 0xFEu  /* never in UTF-8 */
#define AP_TEXT_SEP 0xFFu  /* never in UTF-8 */

#define AP_KEY_END 0u      /* the byte that ends every record */

/* One-line checks, zstd style. */
#define AP_RETURN_IF(cond, err)                                                \
    do {                                                                       \
        if (cond) return (err);                                                \
    } while (0)
#define AP_TRY(expr)                                                           \
    do {                                                                       \
        artpack_error ap_try_err_ = (expr);                                    \
        if (ap_try_err_ != ARTPACK_OK) return ap_try_err_;                     \
    } while (0)

/* ---- wire.c: bounds-checked reader and a counting writer ---- */
typedef struct ap_reader {
    const unsigned char *base;
    size_t size;
    size_t pos;
} ap_reader;

typedef struct ap_writer {
    unsigned char *dst;
    size_t cap;
    size_t pos; /* advances even past cap, so one pass also measures */
} ap_writer;

artpack_error ap_read_varint(ap_reader *r, uint64_t *v);
/* Reads a varint length and checks that many bytes remain; *out points at them. */
artpack_error ap_read_block(ap_reader *r, const unsigned char **out, size_t *len);
void ap_write_bytes(ap_writer *w, const void *src, size_t n);
void ap_write_varint(ap_writer *w, uint64_t v);
size_t ap_varint_size(uint64_t v);

static inline uint64_t ap_zigzag(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0);
}
static inline int64_t ap_unzigzag(uint64_t v) {
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* XXH32 (seed 0), compiled once (checksum.c, in one of its three variants):
 * the checksums of LZ4 and stored frames, bundle headers, footers and index
 * segments, and the bundle index's id hashes (docs/FORMAT.md). */
typedef union ap_xxh32_state {
    unsigned char state[64]; /* room for XXH32_state_t (48 bytes) */
    uint64_t align;
} ap_xxh32_state;
uint32_t ap_xxh32(const void *p, size_t n);
void ap_xxh32_reset(ap_xxh32_state *s);
void ap_xxh32_update(ap_xxh32_state *s, const void *p, size_t n);
uint32_t ap_xxh32_digest(const ap_xxh32_state *s);

/* ---- schema.c ---- */
/* The decoder's view of a field: where it sits in artpack_article, its kind. */
typedef struct ap_tag_field {
    unsigned short offset;
    unsigned char kind; /* artpack_field_kind */
} ap_tag_field;
const ap_tag_field *ap_schema_by_tag(uint64_t tag);

/* ---- datetime.c ---- */
#define AP_DAYS_MIN (-719528)   /* 0000-01-01 */
#define AP_DAYS_MAX 2932896     /* 9999-12-31 */
#define AP_SECONDS_MIN (-62167219200LL)
#define AP_SECONDS_MAX 253402300799LL
int ap_timestamp_numeric_ok(const artpack_timestamp *ts);

/* ---- build options ---- */
/* The codec options (ARTPACK_NO_ZSTD, ARTPACK_NO_LZ4, ARTPACK_ZSTD_NO_DDICT,
 * ARTPACK_LZ4_ONE_DECODER) are read by the decoder back-ends only: backend.h. */
/* ARTPACK_NO_CANONICAL_CHECKS: the record decoder checks structure only */
#ifdef ARTPACK_NO_CANONICAL_CHECKS
#define AP_CANONICAL 0
#else
#define AP_CANONICAL 1
#endif
/* AP_FAST: 0 when the compiler optimises for size (-Os, -Oz: the device
 * images of make footprint), else 1. The decoder's shortcuts that buy speed
 * with code bytes (record.c, backend_zstd.c) are compiled only with it: the
 * same checks, the same results, fewer calls per field and frame. */
#ifdef __OPTIMIZE_SIZE__
#define AP_FAST 0
#else
#define AP_FAST 1
#endif
/* AP_NOINLINE: with AP_FAST, a function kept out of its callers (GCC,
 * clang), so that its large stack frame is set up only when it is called;
 * without, the compiler decides (one call fewer). */
#if AP_FAST && defined(__GNUC__)
#define AP_NOINLINE __attribute__((noinline))
#else
#define AP_NOINLINE
#endif
#define AP_ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

/* ---- frame.c ---- */
/* artpack_frame_decompress without a decompressor, for STORED and LZ4 frames
 * with a checksum (zstd frames: ARTPACK_E_CODEC_UNAVAILABLE; no checksum:
 * ARTPACK_E_FRAME); dict NULL when there is none. The bundle reader's LZ4 and
 * stored blocks go this way. */
artpack_error ap_frame_decode_plain(const artpack_dict *dict, void *dst, size_t dst_capacity,
                                    const void *src, size_t src_size, size_t *written);

/* ---- alloc.c ---- */
/* a itself, or malloc/free when a is NULL (NULL under ARTPACK_NO_ALLOC). */
const artpack_allocator *ap_allocator_or_default(const artpack_allocator *a);

/* Little-endian 32-bit load/store. */
static inline uint32_t ap_read_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void ap_write_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* ---- compression levels (frame.c) ---- */
/* zstd's default level: the compressor, the bundle writer (blocks and the
 * embedded dictionary) and dictionary training. LZ4's is LZ4HC_CLEVEL_MAX. */
#define AP_ZSTD_LEVEL_DEFAULT 19

#ifndef ARTPACK_NO_ALLOC
/* The codec and level check of the compressor, the bundle writer and
 * training: codec STORED, ZSTD or LZ4; level 0 is the codec's default, else
 * 1 .. LZ4HC_CLEVEL_MAX for LZ4, 1 .. ZSTD_maxCLevel() for zstd and stored.
 * Sets *resolved to the level to use; ARTPACK_E_PARAM when out of range. */
artpack_error ap_check_level(artpack_codec codec, int level, int *resolved);

/* zstd helpers shared by the compressor and the bundle writer (backend_zstd.c).
 * Callers include <zstd.h> with ZSTD_STATIC_LINKING_ONLY first. */
#ifdef ZSTD_STATIC_LINKING_ONLY
ZSTD_customMem ap_zstd_mem(const artpack_allocator *mem);
artpack_error ap_zstd_cdict(const artpack_allocator *mem, const artpack_dict *dict, int level,
                            size_t src_hint, void **memory, const ZSTD_CDict **cdict);
#endif
#endif

/* Compare two byte strings: memcmp order, a prefix sorts first. */
int ap_str_compare(const char *a, size_t alen, const char *b, size_t blen);

#endif
