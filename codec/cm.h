/* cm.h - the context-mixing coder (codec cm, ARTPACK_CODEC_CM). Internal
 * (codec/ only); docs/FORMAT.md "CM payload" and "CM model" specify what it
 * reads and writes.
 *
 * A bitwise context-mixing model (an order-1 table, four hashed tables:
 * orders 2, 3, 4 and the current word; a match model over the
 * priming text and the article so far), two logistic mixers, two adaptive
 * probability maps, and a binary arithmetic coder. Integer arithmetic only:
 * the same bytes on every CPU and compiler.
 *
 * Everything lives in one caller workspace of ap_cm_workspace_size(level)
 * bytes: the model's state, a copy of its small tables as primed, an undo
 * log (room for every 64-byte line of the large tables: the line's primed
 * content, saved when an article first touches it, and its number), and the
 * priming text. Each article is coded from the primed state; afterwards the
 * logged lines are copied back (and the small tables whole), so the next
 * article starts from the primed state again. Decoding
 * allocates nothing, reads nothing outside src (bytes past its end read as
 * 0) and writes exactly size bytes to dst. */
#ifndef ARTPACK_CM_H
#define ARTPACK_CM_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define AP_CM_LEVEL_MIN 1
#define AP_CM_LEVEL_MAX 9
#define AP_CM_LEVEL_DEFAULT 5
/* The largest priming text a model may hold (its decoded size). */
#define AP_CM_PRIME_MAX ((size_t)640 * 1024)

/* ---- the model file (docs/FORMAT.md "CM model") ---- */
#define AP_CM_MODEL_MAGIC 0x4D435041u /* "APCM" */
#define AP_CM_MODEL_VERSION 1u
#define AP_CM_MODEL_HEADER 20u

typedef struct ap_cm_model {
    uint32_t id;
    int level;
    size_t text_size;    /* the priming text, decoded */
    uint32_t text_hash;  /* its XXH32 */
    const unsigned char *blob; /* the priming text as a CM payload (no level byte) */
    size_t blob_size;
} ap_cm_model;

/* Reads a model file's header: ARTPACK_E_MODEL when it is not one. */
artpack_error ap_cm_model_parse(ap_cm_model *dst, const void *src, size_t src_size);
/* 1 when src starts with the model magic. */
int ap_cm_is_model(const void *src, size_t src_size);

typedef struct ap_cm ap_cm;

/* Workspace bytes of a coder at level (0: the default); 0 when the level is
 * out of range. */
size_t ap_cm_workspace_size(int level);
/* Sets up a coder in ws (8-byte aligned), unprimed (the primed state is the
 * initial one). */
artpack_error ap_cm_init(ap_cm **out, void *ws, size_t ws_size, int level);
int ap_cm_level(const ap_cm *m);
/* Primes the coder with a model at its level: decodes the priming text and
 * keeps the state that leaves as the primed state. ARTPACK_E_MODEL when the
 * model is not sound (ARTPACK_E_MODEL: its text's checksum), ARTPACK_E_PARAM when its level
 * is not the coder's. */
artpack_error ap_cm_prime(ap_cm *m, const ap_cm_model *model);
/* The ID of the model the coder is primed with (0: none). */
uint32_t ap_cm_model_id(const ap_cm *m);

/* One payload (the coded bytes after the level byte) of exactly size bytes
 * into dst, from the primed state; the state is primed again afterwards. */
artpack_error ap_cm_decode(ap_cm *m, unsigned char *dst, size_t size, const unsigned char *src,
                           size_t src_size);
/* Codes src[0..n) into dst (at most cap bytes), from the primed state;
 * returns the bytes written, or 0 when they did not fit. */
size_t ap_cm_encode(ap_cm *m, unsigned char *dst, size_t cap, const unsigned char *src, size_t n);

/* Training (host side): codes text[0..n) as priming text from the initial
 * state; ends[i] (k of them, ascending, last == n) are the ends of the
 * records; returns in *fit the number of leading records whose coded size
 * (with the coder's last byte) is at most budget, and writes their coding
 * into dst (cap bytes, at least budget) with *written its size. */
artpack_error ap_cm_train(ap_cm *m, unsigned char *dst, size_t cap, const unsigned char *text,
                          const size_t *ends, size_t k, size_t budget, size_t *fit,
                          size_t *written);

/* ---- the owners' side ---- */
/* A decompressor's coder in ws: primed with model (a CM model loaded by
 * artpack_dict_load) at its level, or unprimed (model NULL) at the default
 * level or the largest below it that ws holds (frames set the level they
 * need). ARTPACK_E_MODEL, ARTPACK_E_WORKSPACE_TOO_SMALL. */
artpack_error ap_cm_dec_init(ap_cm **out, void *ws, size_t ws_size, const artpack_dict *model);
/* One frame's CM payload (its level byte, then the coded bytes) of size
 * bytes into dst. A frame at another level than the coder's: an unprimed
 * coder is set up again at that level in ws (ws_size bytes) when it fits
 * (else ARTPACK_E_WORKSPACE_TOO_SMALL); a primed one gives
 * ARTPACK_E_MODEL_LEVEL. *m NULL: ARTPACK_E_CODEC_UNAVAILABLE. */
artpack_error ap_cm_dec_frame(ap_cm **m, void *ws, size_t ws_size, unsigned char *dst,
                              size_t size, const unsigned char *src, size_t src_size);
#ifndef ARTPACK_NO_ALLOC
/* A compressor's coder in memory from mem (*ws, to free), at level (0: the
 * model's, or the default), primed with model when not NULL
 * (ARTPACK_E_MODEL_LEVEL when level is not the model's). */
artpack_error ap_cm_create(const artpack_allocator *mem, int level, const artpack_dict *model,
                           void **ws, ap_cm **out);
#endif

#endif
