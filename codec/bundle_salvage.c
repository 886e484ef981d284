/* bundle_salvage.c - recover every intact article of a damaged bundle: walk
 * its chunks from the start without trusting the index, decode each block
 * that is whole and passes its checksum, and skip what is not (resyncing on
 * the next chunk magic). Host side: allocates through the allocator. */
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "bundle_format.h"

#ifndef ARTPACK_NO_ALLOC

typedef struct ap_salvager {
    const unsigned char *src;
    size_t size;
    artpack_allocator mem;
    ZSTD_DCtx *dctx;
    ZSTD_DDict *ddict;
    void *dict_copy;          /* the embedded dictionary, decompressed */
    artpack_dict dict;
    int has_dict;
    void *lz4_ws;
    artpack_decompressor *dec;
    unsigned char *content;   /* scratch for one block */
    size_t content_cap;
    artpack_record_fn cb;
    void *opaque;
    artpack_salvage_stats *stats;
} ap_salvager;

static int ap_is_chunk_magic(uint32_t m) {
    return m == AP_ZSTD_MAGIC || m == AP_CHUNK_HEADER || m == AP_CHUNK_DICT ||
           m == AP_CHUNK_BLOCK || m == AP_CHUNK_INDEX || m == AP_CHUNK_FOOTER;
}

static artpack_error ap_content_room(ap_salvager *s, size_t n) {
    if (n <= s->content_cap) return ARTPACK_OK;
    if (s->content) s->mem.free(s->mem.opaque, s->content);
    s->content = (unsigned char *)s->mem.alloc(s->mem.opaque, n);
    s->content_cap = s->content ? n : 0;
    return s->content ? ARTPACK_OK : ARTPACK_E_ALLOC;
}

/* Hands every record of a block's content to the callback, if all are valid
 * (a block is kept or dropped whole). */
static artpack_error ap_emit_records(ap_salvager *s, size_t size) {
    ap_block blk;
    ap_block_iter it;
    const unsigned char *rec;
    size_t len;
    AP_TRY(ap_block_parse(&blk, s->content, size, NULL));
    ap_block_iter_init(&it, &blk); /* check all, then hand them over */
    while (ap_block_iter_next(&it, &rec, &len))
        if (artpack_record_validate(rec, len, NULL) != ARTPACK_OK) return ARTPACK_E_BLOCK;
    ap_block_iter_init(&it, &blk);
    while (ap_block_iter_next(&it, &rec, &len)) {
        if (s->cb(s->opaque, rec, len) != 0) return ARTPACK_E_WRITE;
        s->stats->articles++;
    }
    return ARTPACK_OK;
}

/* A zstd block at pos: ARTPACK_OK (*size = its bytes) when it decoded and
 * its records were handed over, ARTPACK_E_BLOCK when it is damaged; any other
 * error stops the salvage (allocation, the callback). */
static artpack_error ap_try_zstd(ap_salvager *s, size_t pos, size_t *step) {
    size_t n = ZSTD_findFrameCompressedSize(s->src + pos, s->size - pos), got;
    unsigned long long size;
    if (ZSTD_isError(n))
        return ZSTD_getErrorCode(n) == ZSTD_error_srcSize_wrong ? ARTPACK_E_TRUNCATED
                                                               : ARTPACK_E_BLOCK;
    size = ZSTD_getFrameContentSize(s->src + pos, n);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
        size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX * 2)
        return ARTPACK_E_BLOCK;
    AP_TRY(ap_content_room(s, (size_t)size + 1));
    got = ZSTD_decompressDCtx(s->dctx, s->content, (size_t)size, s->src + pos, n);
    if (ZSTD_isError(got)) {
        if (ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation) return ARTPACK_E_ALLOC;
        return ARTPACK_E_BLOCK;
    }
    AP_RETURN_IF(got != size, ARTPACK_E_BLOCK);
    AP_TRY(ap_emit_records(s, got));
    *step = n;
    return ARTPACK_OK;
}

/* An LZ4 or stored block chunk of chunk payload bytes at pos (as above). */
static artpack_error ap_try_block_chunk(ap_salvager *s, size_t pos, size_t chunk) {
    artpack_frame_info fi;
    size_t got;
    const unsigned char *f = s->src + pos + 8;
    if (artpack_frame_info_get(&fi, f, chunk) != ARTPACK_OK || !fi.has_checksum ||
        fi.content_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX * 2)
        return ARTPACK_E_BLOCK;
    AP_TRY(ap_content_room(s, fi.content_size + 1));
    if (artpack_frame_decompress(s->dec, s->content, fi.content_size, f, chunk, &got) != ARTPACK_OK)
        return ARTPACK_E_BLOCK;
    return ap_emit_records(s, got);
}

static void ap_salvager_free(ap_salvager *s) {
    ZSTD_freeDCtx(s->dctx);
    ZSTD_freeDDict(s->ddict);
    if (s->dict_copy) s->mem.free(s->mem.opaque, s->dict_copy);
    if (s->lz4_ws) s->mem.free(s->mem.opaque, s->lz4_ws);
    if (s->content) s->mem.free(s->mem.opaque, s->content);
}

artpack_error artpack_bundle_salvage(const void *src, size_t src_size, const artpack_dict *dict,
                                     const artpack_allocator *allocator, artpack_record_fn cb,
                                     void *opaque, artpack_salvage_stats *stats) {
    const artpack_allocator *mem = ap_allocator_or_default(allocator);
    ap_salvager s;
    ZSTD_customMem cmem = ap_zstd_mem(mem);
    const unsigned char *p = (const unsigned char *)src;
    size_t pos = 0, ws;
    artpack_error err = ARTPACK_OK;
    AP_RETURN_IF(src == NULL || cb == NULL || stats == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(mem == NULL || mem->alloc == NULL || mem->free == NULL, ARTPACK_E_NULL_ARG);
    memset(stats, 0, sizeof *stats);
    memset(&s, 0, sizeof s);
    s.src = p;
    s.size = src_size;
    s.mem = *mem;
    s.cb = cb;
    s.opaque = opaque;
    s.stats = stats;
    s.dctx = ZSTD_createDCtx_advanced(cmem);
    if (s.dctx == NULL) return ARTPACK_E_ALLOC;
    /* the header, when it is intact, says whether a dictionary is embedded */
    {
        ap_bundle_header h;
        if (src_size >= AP_HEADER_CHUNK && ap_header_read(p, &h) == ARTPACK_OK) {
            stats->header_ok = 1;
            stats->codec = (int)h.codec;
            stats->level = h.level;
            stats->dict_id = h.dict_id;
            stats->block_size = h.block_size;
            stats->dict_embedded = h.dict_embedded;
        }
    }
    if (dict != NULL) {
        s.dict = *dict;
        s.has_dict = 1;
    } else if (stats->dict_embedded && src_size >= AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD) {
        size_t frame, dsize;
        if (ap_dict_chunk_read(p + AP_HEADER_CHUNK, src_size - AP_HEADER_CHUNK, &dsize, &frame) ==
            ARTPACK_OK) {
            s.dict_copy = mem->alloc(mem->opaque, dsize);
            if (s.dict_copy == NULL) err = ARTPACK_E_ALLOC;
            if (err == ARTPACK_OK) {
                size_t got = ZSTD_decompressDCtx(s.dctx, s.dict_copy, dsize,
                                                 p + AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD, frame);
                if (ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
                    err = ARTPACK_E_ALLOC;
                else if (!ZSTD_isError(got) && got == dsize &&
                         artpack_dict_load(&s.dict, s.dict_copy, dsize) == ARTPACK_OK)
                    s.has_dict = 1;
            }
        }
    }
    if (err == ARTPACK_OK && s.has_dict) {
        /* are its tables sound? (loading them allocates nothing) */
        if (ZSTD_isError(ZSTD_decompressBegin_usingDict(s.dctx, s.dict.data, s.dict.size))) {
            /* the caller's dictionary must work; a damaged embedded one only
             * costs the blocks that need it */
            if (dict != NULL) err = ARTPACK_E_DICT;
            s.has_dict = 0;
        } else {
            s.ddict = ZSTD_createDDict_advanced(s.dict.data, s.dict.size, ZSTD_dlm_byRef,
                                                ZSTD_dct_fullDict, cmem);
            if (s.ddict == NULL) err = ARTPACK_E_ALLOC;
            else if (ZSTD_isError(ZSTD_DCtx_refDDict(s.dctx, s.ddict))) err = ARTPACK_E_DICT;
        }
    }
    stats->dict_id_used = s.has_dict ? s.dict.id : 0;
    ws = artpack_decompressor_workspace_size(ARTPACK_CODEC_LZ4);
    if (err == ARTPACK_OK) {
        s.lz4_ws = mem->alloc(mem->opaque, ws);
        if (s.lz4_ws == NULL) err = ARTPACK_E_ALLOC;
    }
    if (err == ARTPACK_OK)
        err = artpack_decompressor_init(&s.dec, s.lz4_ws, ws, ARTPACK_CODEC_LZ4,
                                        s.has_dict ? &s.dict : NULL, 0);
    /* Walk the chunks. A block that fails is counted once, where a chunk was
     * expected; then the walk resyncs on the next chunk magic from the next
     * byte, since a damaged block's own length cannot be trusted. */
    {
        int resync = 0;
        while (err == ARTPACK_OK && pos + 8 <= src_size) {
            uint32_t magic = ap_read_le32(p + pos);
            size_t step = 0;
            artpack_error e = ARTPACK_E_BLOCK;
            if (magic == AP_ZSTD_MAGIC) {
                e = ap_try_zstd(&s, pos, &step);
            } else if (magic >= AP_SKIP_MAGIC_FIRST && magic <= AP_SKIP_MAGIC_FIRST + 15) {
                size_t chunk = ap_read_le32(p + pos + 4);
                if (chunk <= src_size - pos - 8) {
                    if (magic == AP_CHUNK_BLOCK) e = ap_try_block_chunk(&s, pos, chunk);
                    else e = ARTPACK_OK; /* header, dictionary, index, footer */
                    step = 8 + chunk;
                } else {
                    e = ARTPACK_E_TRUNCATED; /* runs past the end */
                }
            }
            if (e == ARTPACK_OK) {
                if (magic == AP_ZSTD_MAGIC || magic == AP_CHUNK_BLOCK) stats->blocks_ok++;
                resync = 0;
                pos += step;
                continue;
            }
            if (e != ARTPACK_E_BLOCK && e != ARTPACK_E_TRUNCATED) {
                err = e; /* out of memory, or the callback asked to stop */
                break;
            }
            /* a block cut off by the end of the file (an interrupted append)
             * is not counted as damaged: its bytes are skipped */
            if (!resync && e == ARTPACK_E_BLOCK && (magic == AP_ZSTD_MAGIC || magic == AP_CHUNK_BLOCK))
                stats->blocks_bad++;
            resync = 1;
            { /* the next chunk magic, from the next byte on */
                size_t q = pos + 1;
                while (q + 4 <= src_size && !ap_is_chunk_magic(ap_read_le32(p + q))) q++;
                if (q + 4 > src_size) q = src_size;
                stats->bytes_skipped += q - pos;
                pos = q;
            }
        }
    }
    if (err == ARTPACK_OK && pos < src_size) stats->bytes_skipped += src_size - pos;
    ap_salvager_free(&s);
    return err;
}

artpack_error artpack_bundle_embedded_dict(const void *src, size_t src_size, void *dst,
                                           size_t dst_capacity, size_t *written) {
    const unsigned char *p = (const unsigned char *)src;
    size_t frame, dsize, got;
    ap_bundle_header h;
    AP_RETURN_IF(src == NULL || dst == NULL || written == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(src_size < AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD, ARTPACK_E_BUNDLE);
    AP_TRY(ap_header_read(p, &h));
    AP_RETURN_IF(!h.dict_embedded, ARTPACK_E_BUNDLE);
    AP_TRY(ap_dict_chunk_read(p + AP_HEADER_CHUNK, src_size - AP_HEADER_CHUNK, &dsize, &frame));
    AP_RETURN_IF(dsize > dst_capacity, ARTPACK_E_DST_TOO_SMALL);
    got = ZSTD_decompress(dst, dsize, p + AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD, frame);
    AP_RETURN_IF(ZSTD_isError(got) || got != dsize, ARTPACK_E_DICT);
    *written = got;
    return ARTPACK_OK;
}

#endif /* ARTPACK_NO_ALLOC */
