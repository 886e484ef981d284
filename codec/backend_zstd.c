/* backend_zstd.c - the zstd decoder back-end (backend.h): a static DCtx in
 * the owner's workspace, the dictionary referenced in place. Without
 * ARTPACK_ZSTD_NO_DDICT the dictionary's tables are built once into a DDict
 * after the DCtx; with it they are loaded into the DCtx for each frame (27 KB
 * less RAM, some speed). ARTPACK_NO_ZSTD leaves the back-end out: its
 * functions say ARTPACK_E_CODEC_UNAVAILABLE and need no workspace.
 * Also the compressor's zstd helpers (not in the decode-only build). */
#include "backend.h"

#if AP_HAS_ZSTD || !defined(ARTPACK_NO_ALLOC)
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
#endif

#if AP_HAS_ZSTD

#if AP_ZSTD_DDICT
#define AP_DDICT_SIZE() AP_ALIGN16(ZSTD_estimateDDictSize(0, ZSTD_dlm_byRef))
#else
#define AP_DDICT_SIZE() ((size_t)0)
#endif
#define AP_DCTX_SIZE() AP_ALIGN16(ZSTD_estimateDCtxSize())

size_t ap_zstd_dec_size(void) { return AP_DCTX_SIZE() + AP_DDICT_SIZE(); }

artpack_error ap_zstd_dec_init(ap_dec *dec, void *ws, int magicless, unsigned window_log_max) {
    dec->dctx = ZSTD_initStaticDCtx(ws, AP_DCTX_SIZE());
    AP_RETURN_IF(dec->dctx == NULL, ARTPACK_E_WORKSPACE_TOO_SMALL);
    AP_RETURN_IF(magicless && (ZSTD_isError(ZSTD_DCtx_setParameter(dec->dctx, ZSTD_d_format,
                                                                   ZSTD_f_zstd1_magicless)) ||
                               ZSTD_isError(ZSTD_DCtx_setParameter(
                                   dec->dctx, ZSTD_d_windowLogMax, (int)window_log_max))),
                 ARTPACK_E_PARAM);
    return ARTPACK_OK;
}

artpack_error ap_zstd_dec_dict(ap_dec *dec) {
#if AP_ZSTD_DDICT
    /* the DDict lies after the DCtx (ap_zstd_dec_size) */
    dec->ddict = ZSTD_initStaticDDict((unsigned char *)dec->dctx + AP_DCTX_SIZE(), AP_DDICT_SIZE(),
                                      dec->dict.data, dec->dict.size, ZSTD_dlm_byRef,
                                      ZSTD_dct_fullDict);
    AP_RETURN_IF(dec->ddict == NULL, ARTPACK_E_DICT);
#else
    /* no DDict: check the dictionary's tables once by loading them */
    AP_RETURN_IF(ZSTD_isError(ZSTD_decompressBegin_usingDict(dec->dctx, dec->dict.data,
                                                             dec->dict.size)),
                 ARTPACK_E_DICT);
#endif
    return ARTPACK_OK;
}

/* The window the header of the magicless frame p[0..n) asks for, read as
 * RFC 8878 (3.1.1.1) lays it out, into *window; 1 when it did, 0 when the
 * header is one that zstd's own parser must judge (cut short, a reserved bit
 * set, a window log above ZSTD_WINDOWLOG_MAX). Saves ap_zstd_decode a call
 * into zstd per frame; what it accepts, ZSTD_getFrameHeader_advanced accepts
 * with the same windowSize. */
static int ap_zstd_window(const unsigned char *p, size_t n, unsigned long long *window) {
    static const unsigned char did_bytes[4] = {0, 1, 2, 4};
    unsigned fhd, single, fcs_bytes, log, i;
    unsigned long long v = 0;
    if (n == 0) return 0;
    fhd = p[0];
    single = (fhd >> 5) & 1u;
    fcs_bytes = (fhd >> 6) == 0 ? single : 1u << (fhd >> 6);
    if ((fhd & 0x08u) != 0 || n < 1u + !single + did_bytes[fhd & 3u] + fcs_bytes) return 0;
    if (!single) { /* the window descriptor: exponent and mantissa */
        log = 10u + (p[1] >> 3);
        if (log > ZSTD_WINDOWLOG_MAX) return 0;
        *window = (1ull << log) + ((1ull << log) >> 3) * (p[1] & 7u);
        return 1;
    }
    /* single segment: the window is the content size, after the dictionary ID */
    p += 1 + did_bytes[fhd & 3u];
    for (i = 0; i < fcs_bytes; i++) v |= (unsigned long long)p[i] << (8 * i);
    *window = fcs_bytes == 2 ? v + 256 : v;
    return 1;
}

artpack_error ap_zstd_decode(ap_dec *dec, void *dst, size_t size, const void *src,
                             size_t src_size, int use_dict, unsigned window_log_max) {
    size_t r;
    unsigned long long window;
    AP_RETURN_IF(dec->dctx == NULL, ARTPACK_E_CODEC_UNAVAILABLE);
    /* one-shot decoding ignores ZSTD_d_windowLogMax: the window is checked
     * here, by zstd's parser when ap_zstd_window does not read the header */
    if (window_log_max != 0 &&
        !(AP_FAST && ap_zstd_window((const unsigned char *)src, src_size, &window) &&
          window <= (1ull << window_log_max))) {
        ZSTD_frameHeader zfh;
        r = ZSTD_getFrameHeader_advanced(&zfh, src, src_size, ZSTD_f_zstd1_magicless);
        AP_RETURN_IF(r != 0, ARTPACK_E_CORRUPT);
        AP_RETURN_IF(zfh.windowSize > ((unsigned long long)1 << window_log_max),
                     ARTPACK_E_WINDOW_TOO_LARGE);
    }
#if AP_ZSTD_DDICT
    /* what ZSTD_decompressDCtx does after ZSTD_DCtx_refDDict, in one call */
    r = ZSTD_decompress_usingDDict(dec->dctx, dst, size, src, src_size,
                                   use_dict ? dec->ddict : NULL);
#else
    /* no dictionary: usingDict with none, which is what ZSTD_decompressDCtx
     * does without a DDict (one entry point less to link) */
    r = ZSTD_decompress_usingDict(dec->dctx, dst, size, src, src_size,
                                  use_dict ? dec->dict.data : NULL, use_dict ? dec->dict.size : 0);
#endif
    if (ZSTD_isError(r))
        return ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge
                   ? ARTPACK_E_WINDOW_TOO_LARGE
                   : ARTPACK_E_CORRUPT;
    AP_RETURN_IF(r != size, ARTPACK_E_CORRUPT);
    return ARTPACK_OK;
}

artpack_error ap_zstd_unpack(ap_dec *dec, void *dst, size_t size, const void *src,
                             size_t src_size) {
    /* usingDict with none: whatever DDict the DCtx references is not used */
    size_t r = ZSTD_decompress_usingDict(dec->dctx, dst, size, src, src_size, NULL, 0);
    AP_RETURN_IF(ZSTD_isError(r) || r != size, ARTPACK_E_CORRUPT);
    return ARTPACK_OK;
}

artpack_error ap_zstd_frame_head(const void *src, size_t src_size, uint64_t *size,
                                 uint32_t *dict_id) {
    ZSTD_frameHeader zfh;
    AP_RETURN_IF(ZSTD_getFrameHeader(&zfh, src, src_size) != 0 || !zfh.checksumFlag ||
                     zfh.frameType != ZSTD_frame || zfh.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN,
                 ARTPACK_E_CORRUPT);
    *size = zfh.frameContentSize;
    *dict_id = zfh.dictID;
    return ARTPACK_OK;
}

size_t ap_zstd_inplace_size(size_t size) {
    return size + ZSTD_DECOMPRESSION_MARGIN(size, ZSTD_BLOCKSIZE_MAX);
}

#ifndef ARTPACK_NO_ALLOC
artpack_error ap_zstd_prefix(ap_dec *dec, int use_dict, void *dst, size_t size, const void *src,
                             size_t src_size, size_t *pos, size_t *got, size_t want) {
    size_t r;
    AP_RETURN_IF(dec->dctx == NULL, ARTPACK_E_CODEC_UNAVAILABLE);
    if (*pos == 0) {
#if AP_ZSTD_DDICT
        r = ZSTD_decompressBegin_usingDDict(dec->dctx, use_dict ? dec->ddict : NULL);
#else
        r = use_dict ? ZSTD_decompressBegin_usingDict(dec->dctx, dec->dict.data, dec->dict.size)
                     : ZSTD_decompressBegin(dec->dctx);
#endif
        AP_RETURN_IF(ZSTD_isError(r), ARTPACK_E_CORRUPT);
    }
    while (*got < want) {
        size_t n = ZSTD_nextSrcSizeToDecompress(dec->dctx);
        if (n == 0) break; /* the frame's end */
        AP_RETURN_IF(n > src_size - *pos || *got > size, ARTPACK_E_CORRUPT);
        r = ZSTD_decompressContinue(dec->dctx, (unsigned char *)dst + *got, size - *got,
                                    (const unsigned char *)src + *pos, n);
        AP_RETURN_IF(ZSTD_isError(r), ARTPACK_E_CORRUPT);
        *pos += n;
        *got += r;
    }
    return ARTPACK_OK;
}
#endif

#else /* no zstd: nothing to set up, nothing decodes */

size_t ap_zstd_dec_size(void) { return 0; }
artpack_error ap_zstd_dec_init(ap_dec *dec, void *ws, int magicless, unsigned window_log_max) {
    (void)dec, (void)ws, (void)magicless, (void)window_log_max;
    return ARTPACK_E_CODEC_UNAVAILABLE;
}
artpack_error ap_zstd_dec_dict(ap_dec *dec) {
    (void)dec;
    return ARTPACK_E_CODEC_UNAVAILABLE;
}
artpack_error ap_zstd_decode(ap_dec *dec, void *dst, size_t size, const void *src,
                             size_t src_size, int use_dict, unsigned window_log_max) {
    (void)dec, (void)dst, (void)size, (void)src, (void)src_size, (void)use_dict,
        (void)window_log_max;
    return ARTPACK_E_CODEC_UNAVAILABLE;
}
artpack_error ap_zstd_unpack(ap_dec *dec, void *dst, size_t size, const void *src,
                             size_t src_size) {
    (void)dec, (void)dst, (void)size, (void)src, (void)src_size;
    return ARTPACK_E_CODEC_UNAVAILABLE;
}
artpack_error ap_zstd_frame_head(const void *src, size_t src_size, uint64_t *size,
                                 uint32_t *dict_id) {
    (void)src, (void)src_size, (void)size, (void)dict_id;
    return ARTPACK_E_CODEC_UNAVAILABLE;
}
size_t ap_zstd_inplace_size(size_t size) { return size; }

#endif /* AP_HAS_ZSTD */

#ifndef ARTPACK_NO_ALLOC
/* ---- salvage's helpers ---- */

artpack_error ap_zstd_frame_size(const void *src, size_t src_size, size_t *frame_size,
                                 uint64_t *size) {
    size_t n = ZSTD_findFrameCompressedSize(src, src_size);
    unsigned long long content;
    if (ZSTD_isError(n))
        return ZSTD_getErrorCode(n) == ZSTD_error_srcSize_wrong ? ARTPACK_E_TRUNCATED
                                                               : ARTPACK_E_CORRUPT;
    content = ZSTD_getFrameContentSize(src, n);
    AP_RETURN_IF(content == ZSTD_CONTENTSIZE_UNKNOWN || content == ZSTD_CONTENTSIZE_ERROR,
                 ARTPACK_E_CORRUPT);
    *frame_size = n;
    *size = content;
    return ARTPACK_OK;
}

artpack_error ap_zstd_decompress(void *dst, size_t size, const void *src, size_t src_size) {
    size_t r = ZSTD_decompress(dst, size, src, src_size);
    AP_RETURN_IF(ZSTD_isError(r) || r != size, ARTPACK_E_CORRUPT);
    return ARTPACK_OK;
}

/* ---- the compressor's helpers (frame.c, bundle_write.c) ---- */

ZSTD_customMem ap_zstd_mem(const artpack_allocator *mem) {
    ZSTD_customMem cmem;
    cmem.customAlloc = mem->alloc;
    cmem.customFree = mem->free;
    cmem.opaque = mem->opaque;
    return cmem;
}

artpack_error ap_zstd_cdict(const artpack_allocator *mem, const artpack_dict *dict, int level,
                            size_t src_hint, void **memory, const ZSTD_CDict **cdict) {
    /* A static CDict in memory from our allocator: zstd 1.5.4's
     * ZSTD_createCDict_advanced2 dereferences NULL when an allocation fails
     * (fixed upstream in facebook/zstd#3847). Zeroed: zstd leaves parts of a
     * static CDict unset, which valgrind reports when they are read. */
    ZSTD_compressionParameters cp = ZSTD_getCParams(level, src_hint, dict->size);
    size_t size = ZSTD_estimateCDictSize_advanced(dict->size, cp, ZSTD_dlm_byRef);
    *memory = mem->alloc(mem->opaque, size);
    AP_RETURN_IF(*memory == NULL, ARTPACK_E_ALLOC);
    memset(*memory, 0, size);
    *cdict = ZSTD_initStaticCDict(*memory, size, dict->data, dict->size, ZSTD_dlm_byRef,
                                  ZSTD_dct_fullDict, cp);
    AP_RETURN_IF(*cdict == NULL, ARTPACK_E_DICT);
    return ARTPACK_OK;
}
#endif
