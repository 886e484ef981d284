/* frame.c - compress / decompress one payload with zstd, LZ4 or stored.
 *
 * Frame: flags byte, varint content size, [dict ID], payload, [checksum]
 * (docs/FORMAT.md). zstd payloads are magicless frames without content size,
 * checksum or dictionary ID: the artpack header carries what is needed. */
#include <string.h>

#ifndef ARTPACK_NO_ALLOC /* the compressor */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
#include <lz4.h>
#include <lz4hc.h>
#endif

#include "backend.h"
#include "cm.h"
#include "words.h"

#define AP_FRAME_CODEC_MASK 0x03u
#define AP_FRAME_DICT 0x04u
#define AP_FRAME_DICT_ID 0x08u
#define AP_FRAME_CHECKSUM 0x10u
#define AP_FRAME_WORDS 0x20u /* word-transformed content: its size follows */
#define AP_FRAME_RESERVED 0xC0u

size_t artpack_frame_bound(size_t content_size) { return ARTPACK_FRAME_BOUND(content_size); }

/* ---- header ---- */

artpack_error artpack_frame_info_get(artpack_frame_info *dst, const void *src,
                                     size_t src_size) {
    const unsigned char *p = (const unsigned char *)src;
    ap_reader r;
    uint64_t size;
    unsigned flags;
    AP_RETURN_IF(dst == NULL || (src == NULL && src_size != 0), ARTPACK_E_NULL_ARG);
    memset(dst, 0, sizeof *dst);
    AP_RETURN_IF(src_size < 1, ARTPACK_E_TRUNCATED);
    flags = p[0];
    AP_RETURN_IF((flags & AP_FRAME_RESERVED) != 0, ARTPACK_E_FRAME);
    dst->codec = (artpack_codec)(flags & AP_FRAME_CODEC_MASK);
    dst->uses_dict = (flags & AP_FRAME_DICT) != 0;
    dst->has_dict_id = (flags & AP_FRAME_DICT_ID) != 0;
    dst->has_checksum = (flags & AP_FRAME_CHECKSUM) != 0;
    dst->words = (flags & AP_FRAME_WORDS) != 0;
    /* a dictionary ID or a word transform without a dictionary, a word
     * transform on a CM frame, or a stored frame "with" a dictionary */
    AP_RETURN_IF((dst->has_dict_id || dst->words) && !dst->uses_dict, ARTPACK_E_FRAME);
    AP_RETURN_IF(dst->words && dst->codec == ARTPACK_CODEC_CM, ARTPACK_E_FRAME);
    AP_RETURN_IF(dst->codec == ARTPACK_CODEC_STORED && dst->uses_dict, ARTPACK_E_FRAME);
    r.base = p;
    r.size = src_size;
    r.pos = 1;
    AP_TRY(ap_read_varint(&r, &size));
    AP_RETURN_IF(size > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_FRAME);
    dst->content_size = (size_t)size;
    if (dst->words) { /* the transformed size: never more than the content's */
        AP_TRY(ap_read_varint(&r, &size));
        AP_RETURN_IF(size > dst->content_size, ARTPACK_E_FRAME);
        dst->transformed_size = (size_t)size;
    }
    if (dst->has_dict_id) {
        AP_RETURN_IF(src_size - r.pos < 4, ARTPACK_E_TRUNCATED);
        dst->dict_id = ap_read_le32(p + r.pos);
        r.pos += 4;
    }
    AP_RETURN_IF(dst->has_checksum && src_size - r.pos < 4, ARTPACK_E_TRUNCATED);
    dst->header_size = r.pos;
    return ARTPACK_OK;
}

#ifndef ARTPACK_NO_ALLOC
/* ---- compression ---- */

struct artpack_compressor {
    artpack_compress_params params;
    artpack_dict dict;
    int has_dict;
    artpack_allocator mem;
    ZSTD_CCtx *cctx;
    const ZSTD_CDict *cdict; /* lives in cdict_mem */
    void *cdict_mem;
    LZ4_streamHC_t *lz4_dict; /* the dictionary loaded once ... */
    LZ4_streamHC_t *lz4_work; /* ... copied here before each frame */
    void *cm_mem;             /* the CM coder's memory (cm.h) */
    ap_cm *cm;
    ap_words_enc *words;      /* the word transform's table (params.words) */
    unsigned char *tbuf;      /* the transformed content, tcap bytes */
    size_t tcap;
};

void artpack_compressor_free(artpack_compressor *c) {
    if (c == NULL) return;
    ZSTD_freeCCtx(c->cctx);
    if (c->cdict_mem) c->mem.free(c->mem.opaque, c->cdict_mem);
    if (c->lz4_dict) c->mem.free(c->mem.opaque, c->lz4_dict);
    if (c->lz4_work) c->mem.free(c->mem.opaque, c->lz4_work);
    if (c->cm_mem) c->mem.free(c->mem.opaque, c->cm_mem);
    if (c->tbuf) c->mem.free(c->mem.opaque, c->tbuf);
    ap_words_enc_free(c->words);
    c->mem.free(c->mem.opaque, c);
}

static artpack_error ap_zstd_setup(artpack_compressor *c) {
    c->cctx = ZSTD_createCCtx_advanced(ap_zstd_mem(&c->mem));
    AP_RETURN_IF(c->cctx == NULL, ARTPACK_E_ALLOC);
    AP_RETURN_IF(ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel,
                                                     c->params.level)) ||
                     ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_format,
                                                         ZSTD_f_zstd1_magicless)) ||
                     ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_contentSizeFlag, 0)) ||
                     ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_checksumFlag, 0)) ||
                     ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_dictIDFlag, 0)),
                 ARTPACK_E_COMPRESS);
    if (c->has_dict) {
        /* tables sized for article-sized inputs (a few KB) */
        AP_TRY(ap_zstd_cdict(&c->mem, &c->dict, c->params.level, 4096, &c->cdict_mem, &c->cdict));
        AP_RETURN_IF(ZSTD_isError(ZSTD_CCtx_refCDict(c->cctx, c->cdict)), ARTPACK_E_COMPRESS);
    }
    return ARTPACK_OK;
}

static artpack_error ap_lz4_setup(artpack_compressor *c) {
    size_t n = sizeof(LZ4_streamHC_t);
    c->lz4_work = (LZ4_streamHC_t *)c->mem.alloc(c->mem.opaque, n);
    AP_RETURN_IF(c->lz4_work == NULL, ARTPACK_E_ALLOC);
    AP_RETURN_IF(LZ4_initStreamHC(c->lz4_work, n) == NULL, ARTPACK_E_COMPRESS);
    if (c->has_dict) {
        const char *p;
        int len;
        c->lz4_dict = (LZ4_streamHC_t *)c->mem.alloc(c->mem.opaque, n);
        AP_RETURN_IF(c->lz4_dict == NULL, ARTPACK_E_ALLOC);
        AP_RETURN_IF(LZ4_initStreamHC(c->lz4_dict, n) == NULL, ARTPACK_E_COMPRESS);
        LZ4_resetStreamHC_fast(c->lz4_dict, c->params.level);
        ap_lz4_prefix(&c->dict, &p, &len);
        LZ4_loadDictHC(c->lz4_dict, p, len);
    }
    return ARTPACK_OK;
}

artpack_error ap_check_level(artpack_codec codec, int level, int *resolved) {
    AP_RETURN_IF(codec != ARTPACK_CODEC_STORED && codec != ARTPACK_CODEC_ZSTD &&
                     codec != ARTPACK_CODEC_LZ4,
                 ARTPACK_E_PARAM);
    if (level == 0) level = codec == ARTPACK_CODEC_LZ4 ? LZ4HC_CLEVEL_MAX : AP_ZSTD_LEVEL_DEFAULT;
    AP_RETURN_IF(level < 1 ||
                     level > (codec == ARTPACK_CODEC_LZ4 ? LZ4HC_CLEVEL_MAX : ZSTD_maxCLevel()),
                 ARTPACK_E_PARAM);
    *resolved = level;
    return ARTPACK_OK;
}

artpack_error artpack_compressor_create(artpack_compressor **out,
                                        const artpack_compress_params *params,
                                        const artpack_dict *dict,
                                        const artpack_allocator *allocator) {
    const artpack_allocator *mem = ap_allocator_or_default(allocator);
    artpack_compress_params p;
    artpack_compressor *c;
    artpack_error err = ARTPACK_OK;
    AP_RETURN_IF(out == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    AP_RETURN_IF(mem == NULL || mem->alloc == NULL || mem->free == NULL, ARTPACK_E_NULL_ARG);
    if (params != NULL) {
        p = *params;
    } else {
        memset(&p, 0, sizeof p);
        p.codec = ARTPACK_CODEC_ZSTD;
        p.checksum = 1;
        p.frame_dict_id = 1;
    }
    if (p.codec != ARTPACK_CODEC_CM) AP_TRY(ap_check_level(p.codec, p.level, &p.level));
    AP_RETURN_IF(dict != NULL && (dict->data == NULL || dict->size == 0), ARTPACK_E_DICT);
    /* the word transform runs before zstd and LZ4 (stored and CM ignore it) */
    AP_RETURN_IF(p.words && (p.codec == ARTPACK_CODEC_ZSTD || p.codec == ARTPACK_CODEC_LZ4) &&
                     (dict == NULL || dict->words == NULL),
                 ARTPACK_E_NO_WORDS);
    c = (artpack_compressor *)mem->alloc(mem->opaque, sizeof *c);
    AP_RETURN_IF(c == NULL, ARTPACK_E_ALLOC);
    memset(c, 0, sizeof *c);
    c->params = p;
    c->mem = *mem;
    if (dict != NULL && p.codec != ARTPACK_CODEC_STORED) {
        c->dict = *dict;
        c->has_dict = 1;
    }
    if (p.codec == ARTPACK_CODEC_ZSTD) err = ap_zstd_setup(c);
    else if (p.codec == ARTPACK_CODEC_LZ4) err = ap_lz4_setup(c);
    else if (p.codec == ARTPACK_CODEC_CM)
        err = ap_cm_create(&c->mem, p.level, dict, &c->cm_mem, &c->cm);
    if (err == ARTPACK_OK && p.words &&
        (p.codec == ARTPACK_CODEC_ZSTD || p.codec == ARTPACK_CODEC_LZ4))
        err = ap_words_enc_create(&c->words, dict->words, mem);
    if (err != ARTPACK_OK) {
        artpack_compressor_free(c);
        return err;
    }
    *out = c;
    return ARTPACK_OK;
}

/* Writes the header for codec/flags; returns its size. dst has room.
 * words: the content was transformed to tsize bytes. */
static size_t ap_put_header(const artpack_compressor *c, unsigned char *dst, artpack_codec codec,
                            size_t content_size, int words, size_t tsize) {
    size_t n = 1;
    unsigned flags = (unsigned)codec;
    int dict = c->has_dict && codec != ARTPACK_CODEC_STORED;
    if (dict) flags |= AP_FRAME_DICT;
    if (dict && c->params.frame_dict_id) flags |= AP_FRAME_DICT_ID;
    if (c->params.checksum) flags |= AP_FRAME_CHECKSUM;
    if (dict && words) flags |= AP_FRAME_WORDS;
    dst[0] = (unsigned char)flags;
    n += artpack_varint_write(dst + 1, ARTPACK_VARINT_MAX, content_size);
    if (flags & AP_FRAME_WORDS) n += artpack_varint_write(dst + n, ARTPACK_VARINT_MAX, tsize);
    if (flags & AP_FRAME_DICT_ID) {
        ap_write_le32(dst + n, c->dict.id);
        n += 4;
    }
    return n;
}

/* The word transform of src into c->tbuf: *words 1 and *size its size when
 * a decoder can undo it in place (else the frame goes without it). */
static artpack_error ap_words_transform(artpack_compressor *c, const void *src, size_t src_size,
                                        int *words, size_t *size) {
    size_t t;
    if (c->tcap < AP_WORDS_BOUND(src_size)) {
        if (c->tbuf) c->mem.free(c->mem.opaque, c->tbuf);
        c->tcap = 0;
        c->tbuf = (unsigned char *)c->mem.alloc(c->mem.opaque, AP_WORDS_BOUND(src_size));
        AP_RETURN_IF(c->tbuf == NULL, ARTPACK_E_ALLOC);
        c->tcap = AP_WORDS_BOUND(src_size);
    }
    t = ap_words_apply(c->words, c->tbuf, (const unsigned char *)src, src_size, words);
    if (*words) *size = t;
    return ARTPACK_OK;
}

artpack_error artpack_frame_compress(artpack_compressor *c, void *dst, size_t dst_capacity,
                                     const void *src, size_t src_size, size_t *written) {
    unsigned char head[1 + 2 * ARTPACK_VARINT_MAX + 4];
    unsigned char *out = (unsigned char *)dst;
    const void *in = src; /* what the codec compresses: src, or its transform */
    size_t hn, payload = 0, tail, in_size = src_size;
    artpack_codec codec;
    int words = 0;
    AP_RETURN_IF(c == NULL || written == NULL || (src == NULL && src_size != 0) ||
                     (dst == NULL && dst_capacity != 0),
                 ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(src_size > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
    codec = c->params.codec;
    tail = c->params.checksum ? 4 : 0;
    if (c->words != NULL && src_size > 0) AP_TRY(ap_words_transform(c, src, src_size, &words, &in_size));
    if (words) in = c->tbuf;
    hn = ap_put_header(c, head, codec, src_size, words, in_size);
    if (codec != ARTPACK_CODEC_STORED && dst_capacity > hn + tail && src_size > 0) {
        size_t room = dst_capacity - hn - tail;
        if (codec == ARTPACK_CODEC_ZSTD) {
            size_t r = ZSTD_compress2(c->cctx, out + hn, room, in, in_size);
            if (!ZSTD_isError(r)) payload = r;
            else if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return ARTPACK_E_ALLOC;
            else if (ZSTD_getErrorCode(r) != ZSTD_error_dstSize_tooSmall) return ARTPACK_E_COMPRESS;
        } else if (codec == ARTPACK_CODEC_CM) { /* the level, then the coded bytes */
            out[hn] = (unsigned char)ap_cm_level(c->cm);
            payload = ap_cm_encode(c->cm, out + hn + 1, room - 1, (const unsigned char *)src,
                                   src_size);
            if (payload) payload++;
        } else {
            int r;
            if (c->has_dict) memcpy(c->lz4_work, c->lz4_dict, sizeof *c->lz4_work);
            else LZ4_resetStreamHC_fast(c->lz4_work, c->params.level);
            r = LZ4_compress_HC_continue(c->lz4_work, (const char *)in, (char *)out + hn,
                                         (int)in_size, room > 0x7FFFFFFF ? 0x7FFFFFFF : (int)room);
            if (r > 0) payload = (size_t)r;
        }
    }
    if (payload == 0 || payload >= src_size) { /* stored is smaller (or room ran out) */
        codec = ARTPACK_CODEC_STORED;
        hn = ap_put_header(c, head, codec, src_size, 0, 0);
        AP_RETURN_IF(dst_capacity < hn + src_size + tail, ARTPACK_E_DST_TOO_SMALL);
        if (src_size) memmove(out + hn, src, src_size);
        payload = src_size;
    }
    memcpy(out, head, hn);
    if (tail) ap_write_le32(out + hn + payload, ap_xxh32(src, src_size));
    *written = hn + payload + tail;
    return ARTPACK_OK;
}

#endif /* ARTPACK_NO_ALLOC */

/* ---- decompression ---- */

struct artpack_decompressor {
    artpack_codec codec;
    ap_dec dec; /* the dictionary and the zstd or CM back-end's state (backend.h) */
    unsigned window_log_max;
    size_t cm_size; /* the CM coder's workspace */
#if AP_WORDS_TABLE
    const unsigned char *words_table; /* the word list's table, or NULL (words.h) */
#endif
};

/* The workspace without the word table: what init requires. */
static size_t ap_decompressor_min_size(artpack_codec codec) {
    return AP_ALIGN16(sizeof(artpack_decompressor)) +
           (codec == ARTPACK_CODEC_ZSTD ? ap_zstd_dec_size()
            : codec == ARTPACK_CODEC_CM && AP_HAS_CM ? ap_cm_workspace_size(0)
                                        : 0);
}

/* The word table (words.h) lies after the rest, 16-aligned, when the
 * workspace holds it: ZSTD and LZ4 decompressors (a CM one's dictionary is a
 * model, without words; STORED stays the bare struct, what cm.c adds to). */
#if AP_WORDS_TABLE /* artpack.h's figure holds the table, 16-aligned */
typedef char ap_words_table_fits[ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE >= AP_WORDS_TABLE_SIZE + 15 ? 1 : -1];
#endif
static int ap_has_words_table(artpack_codec codec) {
    return AP_WORDS_TABLE && (codec == ARTPACK_CODEC_ZSTD || codec == ARTPACK_CODEC_LZ4);
}

size_t artpack_decompressor_workspace_size(artpack_codec codec) {
    return ap_decompressor_min_size(codec) +
           (ap_has_words_table(codec) ? ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE : 0);
}

artpack_error artpack_decompressor_init(artpack_decompressor **out, void *workspace,
                                        size_t workspace_size, artpack_codec codec,
                                        const artpack_dict *dict, unsigned window_log_max) {
    unsigned char *ws = (unsigned char *)workspace;
    artpack_decompressor *d;
    AP_RETURN_IF(out == NULL || workspace == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    AP_RETURN_IF(codec != ARTPACK_CODEC_STORED && codec != ARTPACK_CODEC_ZSTD &&
                     codec != ARTPACK_CODEC_LZ4 && codec != ARTPACK_CODEC_CM,
                 ARTPACK_E_PARAM);
    AP_RETURN_IF(((size_t)ws & 7u) != 0, ARTPACK_E_PARAM);
    if (window_log_max == 0) window_log_max = ARTPACK_WINDOW_LOG_DEFAULT;
    AP_RETURN_IF(window_log_max < 10 || window_log_max > ARTPACK_WINDOW_LOG_MAX, ARTPACK_E_PARAM);
    AP_RETURN_IF(workspace_size < (codec == ARTPACK_CODEC_CM /* ap_cm_dec_init checks */
                                       ? AP_ALIGN16(sizeof *d)
                                       : ap_decompressor_min_size(codec)),
                 ARTPACK_E_WORKSPACE_TOO_SMALL);
    AP_RETURN_IF(dict != NULL && (dict->data == NULL || dict->size == 0), ARTPACK_E_DICT);
    d = (artpack_decompressor *)(void *)ws;
    memset(d, 0, sizeof *d);
    d->codec = codec;
    d->window_log_max = window_log_max;
    if (dict != NULL) {
        d->dec.dict = *dict;
        d->dec.has_dict = 1;
    }
#if AP_WORDS_TABLE
    /* the word table, when there is room for it and the list is one
     * ap_words_find finds in the dictionary (its 16-byte trailer after it) */
    if (dict != NULL && dict->words != NULL && ap_has_words_table(codec) &&
        workspace_size >= artpack_decompressor_workspace_size(codec)) {
        const unsigned char *list;
        size_t list_size;
        if (ap_words_find(dict->data, dict->size, &list, &list_size) == ARTPACK_OK &&
            list == dict->words && list_size == dict->words_size) {
            unsigned char *tab = ws + AP_ALIGN16(ap_decompressor_min_size(codec));
            ap_words_table(list, tab);
            d->words_table = tab;
        }
    }
#endif
    if (codec == ARTPACK_CODEC_ZSTD) { /* its back-end after the decompressor */
        AP_TRY(ap_zstd_dec_init(&d->dec, ws + AP_ALIGN16(sizeof *d), 1, window_log_max));
        if (dict != NULL) AP_TRY(ap_zstd_dec_dict(&d->dec));
    }
    if (AP_HAS_CM && codec == ARTPACK_CODEC_CM) { /* its coder after the decompressor, primed */
        d->cm_size = workspace_size - AP_ALIGN16(sizeof *d);
        AP_TRY(ap_cm_dec_init(&d->dec.cm, ws + AP_ALIGN16(sizeof *d), d->cm_size,
                              dict != NULL ? &d->dec.dict : NULL));
    }
    *out = d;
    return ARTPACK_OK;
}

/* The checks every frame passes before its payload is decoded: *payload gets
 * the payload's size, *p where it starts. */
static artpack_error ap_frame_begin(artpack_frame_info *info, const artpack_dict *dict,
                                    size_t dst_capacity, const void *src, size_t src_size,
                                    const unsigned char **p, size_t *payload) {
    AP_TRY(artpack_frame_info_get(info, src, src_size));
    *payload = src_size - info->header_size - (info->has_checksum ? 4 : 0);
    AP_RETURN_IF(info->uses_dict && dict == NULL, ARTPACK_E_NEED_DICT);
    AP_RETURN_IF(info->has_dict_id && info->dict_id != dict->id, ARTPACK_E_WRONG_DICT);
    AP_RETURN_IF(info->content_size > dst_capacity, ARTPACK_E_DST_TOO_SMALL);
    *p = (const unsigned char *)src + info->header_size;
    return ARTPACK_OK;
}

/* A STORED or LZ4 payload of size bytes through its back-end (zstd:
 * ARTPACK_E_CODEC_UNAVAILABLE). */
static artpack_error ap_frame_plain(const artpack_frame_info *info, const artpack_dict *dict,
                                    void *dst, size_t size, const unsigned char *p,
                                    size_t payload) {
    switch (info->codec) {
    case ARTPACK_CODEC_STORED:
        return ap_stored_decode(dst, size, p, payload);
    case ARTPACK_CODEC_LZ4:
        return ap_lz4_decode(dst, size, p, payload, info->uses_dict ? dict : NULL);
    default:
        return ARTPACK_E_CODEC_UNAVAILABLE;
    }
}

static artpack_error ap_frame_check(const artpack_frame_info *info, const void *dst,
                                    const unsigned char *p, size_t payload, size_t *written) {
    if (info->has_checksum &&
        ap_xxh32(dst, info->content_size) != ap_read_le32(p + payload))
        return ARTPACK_E_CHECKSUM;
    *written = info->content_size;
    return ARTPACK_OK;
}

artpack_error ap_frame_decode_plain(const artpack_dict *dict, void *dst, size_t dst_capacity,
                                    const void *src, size_t src_size, size_t *written) {
    artpack_frame_info info;
    const unsigned char *p;
    size_t payload;
    AP_TRY(ap_frame_begin(&info, dict, dst_capacity, src, src_size, &p, &payload));
    /* bundle blocks have a checksum and no word transform */
    AP_RETURN_IF(!info.has_checksum || info.words, ARTPACK_E_FRAME);
    AP_TRY(ap_frame_plain(&info, dict, dst, info.content_size, p, payload));
    return ap_frame_check(&info, dst, p, payload, written);
}

artpack_error artpack_frame_decompress(artpack_decompressor *d, void *dst, size_t dst_capacity,
                                       const void *src, size_t src_size, size_t *written) {
    const unsigned char *p;
    artpack_frame_info info;
    size_t payload, size, room;
    unsigned char *at;
    AP_RETURN_IF(d == NULL || written == NULL || (dst == NULL && dst_capacity != 0),
                 ARTPACK_E_NULL_ARG);
    AP_TRY(ap_frame_begin(&info, d->dec.has_dict ? &d->dec.dict : NULL, dst_capacity, src,
                          src_size, &p, &payload));
    /* word-transformed content: decoded to the end of the content's room,
     * then expanded in place from the dictionary's list (words.c); with the
     * table, up to AP_WORDS_SLACK bytes of dst after the content (when
     * dst_capacity has them) are room for the expansion too */
    at = (unsigned char *)dst;
    size = info.content_size;
    room = info.content_size;
    if (info.words) {
        AP_RETURN_IF(d->dec.dict.words == NULL, ARTPACK_E_NEED_WORDS);
#if AP_WORDS_TABLE
        if (d->words_table != NULL)
            room += dst_capacity - room < AP_WORDS_SLACK ? dst_capacity - room : AP_WORDS_SLACK;
#endif
        if (room != info.transformed_size) /* dst may be NULL when both are 0 */
            at += room - info.transformed_size;
        size = info.transformed_size;
    }
    if (info.codec == ARTPACK_CODEC_ZSTD)
        AP_TRY(ap_zstd_decode(&d->dec, at, size, p, payload, info.uses_dict, d->window_log_max));
    else if (AP_HAS_CM && info.codec == ARTPACK_CODEC_CM && d->dec.cm != NULL &&
             !info.uses_dict && ap_cm_model_id(d->dec.cm) != 0)
        return ARTPACK_E_WRONG_DICT; /* coded unprimed: not for a primed coder */
    else if (AP_HAS_CM && info.codec == ARTPACK_CODEC_CM) /* never word-transformed */
        AP_TRY(ap_cm_dec_frame(&d->dec.cm, (unsigned char *)d + AP_ALIGN16(sizeof *d),
                               d->cm_size, (unsigned char *)dst, info.content_size, p, payload));
    else
        AP_TRY(ap_frame_plain(&info, &d->dec.dict, at, size, p, payload));
#if AP_WORDS_TABLE
    if (info.words && d->words_table != NULL)
        AP_TRY(ap_words_expand_table(d->dec.dict.words, d->words_table, (unsigned char *)dst,
                                     info.content_size, room, size));
    else
#endif
    if (info.words)
        AP_TRY(ap_words_expand(d->dec.dict.words, (unsigned char *)dst, info.content_size, size));
    return ap_frame_check(&info, dst, p, payload, written);
}
