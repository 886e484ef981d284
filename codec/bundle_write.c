/* bundle_write.c - write and append bundles (docs/FORMAT.md "Bundle").
 *
 * A writer collects records into a block; when the next record would make
 * the block larger than the target it compresses the block and writes it. A
 * commit writes the last block, an index segment (the blocks and id hashes
 * since the previous commit, linked to the previous segment) and a footer.
 * Nothing written before is ever rewritten: an append that stops half way
 * leaves the last committed footer intact. */
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "backend.h"
#include "bundle_format.h"
#include "words.h"
#include "bundle_similar.h"

#ifndef ARTPACK_NO_ALLOC


/* A growable byte array through the caller's allocator. */
typedef struct ap_vec {
    unsigned char *p;
    size_t len, cap;
} ap_vec;

static artpack_error ap_vec_reserve(const artpack_allocator *m, ap_vec *v, size_t extra) {
    size_t cap;
    unsigned char *p;
    if (extra <= v->cap - v->len) return ARTPACK_OK;
    AP_RETURN_IF(extra > ((size_t)1 << 40) - v->len, ARTPACK_E_TOO_LARGE);
    cap = v->cap ? v->cap : 4096;
    while (cap - v->len < extra) cap *= 2;
    p = (unsigned char *)m->alloc(m->opaque, cap);
    AP_RETURN_IF(p == NULL, ARTPACK_E_ALLOC);
    if (v->len) memcpy(p, v->p, v->len);
    if (v->p) m->free(m->opaque, v->p);
    v->p = p;
    v->cap = cap;
    return ARTPACK_OK;
}

static artpack_error ap_vec_put(const artpack_allocator *m, ap_vec *v, const void *src, size_t n) {
    AP_TRY(ap_vec_reserve(m, v, n));
    if (n) memcpy(v->p + v->len, src, n);
    v->len += n;
    return ARTPACK_OK;
}

static void ap_vec_free(const artpack_allocator *m, ap_vec *v) {
    if (v->p) m->free(m->opaque, v->p);
    memset(v, 0, sizeof *v);
}

/* A live segment as the writer knows it; its block entries (first articles
 * relative to the segment) and id hashes once loaded or written here (or,
 * spilled: its entries here, its hashes in the spill at spill_at). */
typedef struct ap_wlive {
    ap_live at;
    uint32_t count, blocks;
    int loaded, spilled;
    int paired;               /* spilled with its block map (ap_spill_pairs' pieces) */
    uint64_t spill_at;
    ap_vec entries, hashes;
    ap_vec map;               /* its block map (AP_MAP_ENTRY each), empty: none */
} ap_wlive;

/* With a spill, the pending id hashes go to it in pieces of this size (a
 * similar writer: pieces of this many bytes of hashes, each followed by as
 * many bytes of map entries, the same articles'; the last piece of a
 * segment shorter). */
#define AP_SPILL_CHUNK ((size_t)1 << 16)

/* A block staged for compression, and what compresses it. */
typedef struct ap_slot {
    ZSTD_CCtx *cctx;          /* zstd blocks: standard frames */
    artpack_compressor *comp; /* LZ4 and stored blocks: artpack frames */
    ap_vec content, frame;
    ap_vec cols;              /* columnar blocks: the content's columns (swapped in) */
    ap_vec env;               /* word envelopes: the content's envelope */
    const ap_words_enc *words; /* the writer's, or NULL: no envelope */
    int columns;              /* with words: word columns instead of an envelope */
    size_t rows_size;         /* the content as rows (its size in the reader) */
    size_t frame_size;
    uint32_t first_rel;       /* its first article, relative to the segment */
    artpack_error err;
    int zstd;
    const struct ap_slot *owners; /* pipelined: the compressor of worker i is owners[i]'s */
} ap_slot;

/* Pipelined: slots per job (the blocks in flight: compressing, queued in the
 * runner, or done and waiting for the blocks before them to be written). */
#define AP_PIPE_DEPTH ARTPACK_BUNDLE_PIPELINE_DEPTH
#define AP_SLOTS_MAX (AP_PIPE_DEPTH * ARTPACK_BUNDLE_JOBS_MAX)

struct artpack_bundle_writer {
    artpack_bundle_params params;
    artpack_dict dict;
    int has_dict;
    void *dict_owned;         /* the embedded dictionary an appender loaded */
    artpack_allocator mem;
    artpack_write_fn write;
    void *opaque;
    uint64_t offset;          /* bytes in the output so far */
    /* compression: full blocks are staged into slots and compressed
     * together (in parallel through run, when set), then written in order.
     * Pipelined (start, wait): each full block is staged into the next slot
     * of a ring of nslots (AP_PIPE_DEPTH x jobs) and started at once; the
     * slots in flight are ring[head .. head + inflight), written in that
     * order, each once wait says it is done; a block finds its slot free
     * once the block nslots before it is written. Only slot[0..jobs) have
     * compressors: a task uses its worker's */
    void *cdict_mem;
    const ZSTD_CDict *cdict;  /* shared by the slots' CCtxs (read-only) */
    ap_words_enc *words;      /* word envelopes: the transform's table (read-only) */
    ap_slot slot[AP_SLOTS_MAX];
    void *args[ARTPACK_BUNDLE_JOBS_MAX];
    unsigned jobs, staged, nslots, head, inflight;
    artpack_parallel_fn run;
    artpack_parallel_start_fn start;
    artpack_parallel_wait_fn wait;
    void *run_opaque;
    /* the block being filled */
    ap_vec records;           /* concatenated */
    ap_vec sizes;             /* varints */
    uint32_t block_records;
    /* since the last commit */
    ap_vec entries;           /* AP_BLOCK_ENTRY each */
    ap_vec hashes;            /* u16 per article */
    ap_vec map;               /* similar: the block map, AP_MAP_ENTRY per article */
    /* similar: the window of records being collected (win: concatenated;
     * win_at: where each starts, and the end) */
    ap_vec win, win_at;
    ap_vec win_hash;          /* the window's id hashes: they go to hashes with its map */
    uint32_t win_n;
    size_t window;            /* bytes of records per window */
    uint64_t placed;          /* records put into blocks (the next slot) */
    int map_copied;           /* blocks of a bundle with a map copied since the last commit */
    uint64_t segment_first;   /* the first article of the coming segment */
    uint64_t segment_first_block;
    uint64_t articles;        /* all articles, committed or not */
    uint64_t blocks;          /* all blocks written */
    uint64_t prev_segment;    /* 0: none yet */
    uint32_t max_content, max_frame;
    int failed;               /* a write failed: the writer is unusable */
    /* the live index segments (docs/FORMAT.md "Index segment"): each commit
     * merges the last ones into its own while they are not more than twice
     * its weight, so there are at most AP_LIVE_MAX + 1 */
    ap_wlive live[AP_LIVE_MAX + 1];
    uint32_t nlive;
    artpack_read_fn read;     /* appenders: to load older segments to merge */
    void *read_opaque;
    artpack_barrier_fn barrier;
    void *barrier_opaque;
    /* the spill (artpack_bundle_writer_set_spill): the pending hashes are
     * spill[spill_pending, spill_end) then hashes */
    artpack_write_fn spill_write;
    artpack_read_fn spill_read;
    void *spill_opaque;
    uint64_t spill_pending, spill_end;
};

static artpack_error ap_emit(artpack_bundle_writer *w, const void *p, size_t n) {
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    if (n && w->write(w->opaque, p, n) != 0) {
        w->failed = 1;
        return ARTPACK_E_WRITE;
    }
    w->offset += n;
    return ARTPACK_OK;
}

static artpack_error ap_emit_chunk_head(artpack_bundle_writer *w, uint32_t magic, size_t size) {
    unsigned char h[8];
    AP_RETURN_IF(size > 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    ap_write_le32(h, magic);
    ap_write_le32(h + 4, (uint32_t)size);
    return ap_emit(w, h, 8);
}

/* Moves the pending hashes held in memory to the spill. */
static artpack_error ap_spill_flush(artpack_bundle_writer *w) {
    if (w->hashes.len == 0) return ARTPACK_OK;
    if (w->spill_write(w->spill_opaque, w->hashes.p, w->hashes.len) != 0) {
        w->failed = 1; /* the spill's end is unknown */
        return ARTPACK_E_WRITE;
    }
    w->spill_end += w->hashes.len;
    w->hashes.len = 0;
    return ARTPACK_OK;
}

/* Similar: the pending hashes and map entries (as many of each: the same
 * articles') go to the spill in pieces of AP_SPILL_CHUNK bytes of hashes,
 * then as many of map entries; with last, the rest too (a shorter piece). */
static artpack_error ap_spill_pairs(artpack_bundle_writer *w, int last) {
    size_t done = 0;
    AP_RETURN_IF(w->map.len != w->hashes.len, ARTPACK_E_INDEX); /* (cannot happen) */
    while (w->hashes.len - done >= AP_SPILL_CHUNK || (last && done < w->hashes.len)) {
        size_t n = w->hashes.len - done < AP_SPILL_CHUNK ? w->hashes.len - done : AP_SPILL_CHUNK;
        if (w->spill_write(w->spill_opaque, w->hashes.p + done, n) != 0 ||
            w->spill_write(w->spill_opaque, w->map.p + done, n) != 0) {
            w->failed = 1; /* the spill's end is unknown */
            return ARTPACK_E_WRITE;
        }
        w->spill_end += 2 * (uint64_t)n;
        done += n;
    }
    if (done > 0) {
        memmove(w->hashes.p, w->hashes.p + done, w->hashes.len - done);
        memmove(w->map.p, w->map.p + done, w->map.len - done);
        w->hashes.len -= done;
        w->map.len -= done;
    }
    return ARTPACK_OK;
}

/* Before hashes are added: full pieces go to the spill, if any. */
static artpack_error ap_spill_maybe(artpack_bundle_writer *w) {
    if (w->spill_write == NULL) return ARTPACK_OK;
    if (w->params.similar) return ap_spill_pairs(w, 0);
    return w->hashes.len >= AP_SPILL_CHUNK ? ap_spill_flush(w) : ARTPACK_OK;
}

/* Everything pending to the spill (a commit's segment keeps it there). */
static artpack_error ap_spill_all(artpack_bundle_writer *w) {
    return w->params.similar ? ap_spill_pairs(w, 1) : ap_spill_flush(w);
}

static artpack_error ap_spill_get(artpack_bundle_writer *w, uint64_t at, void *dst, size_t n) {
    AP_RETURN_IF(n != 0 && w->spill_read(w->spill_opaque, at, dst, n) != 0, ARTPACK_E_READ);
    return ARTPACK_OK;
}

/* Emits p[0..n) and adds it to the checksum. */
static artpack_error ap_emit_summed(artpack_bundle_writer *w, ap_xxh32_state *st, const void *p,
                                    size_t n) {
    ap_xxh32_update(st, p, n);
    return ap_emit(w, p, n);
}

/* The id hashes (map 0) or block map entries (map 1), total bytes, of the
 * spilled stretch at `at`: paired (ap_spill_pairs' pieces) or hashes alone.
 * Appended to v; or, v NULL, emitted (through the memory of the pending
 * hashes, empty then) and added to st. */
static artpack_error ap_spill_stream(artpack_bundle_writer *w, uint64_t at, uint64_t total,
                                     int paired, int map, ap_vec *v, ap_xxh32_state *st) {
    uint64_t j = 0;
    if (v != NULL) {
        AP_RETURN_IF(total > ((size_t)1 << 40), ARTPACK_E_TOO_LARGE);
        AP_TRY(ap_vec_reserve(&w->mem, v, (size_t)total));
    } else {
        AP_TRY(ap_vec_reserve(&w->mem, &w->hashes, AP_SPILL_CHUNK));
    }
    while (j < total) {
        uint64_t piece = paired && total - j > AP_SPILL_CHUNK ? AP_SPILL_CHUNK : total - j;
        uint64_t off = paired ? at + 2 * j + (map ? piece : 0) : at + j;
        size_t n = (size_t)piece; /* paired: piece <= AP_SPILL_CHUNK, all of it read at once */
        if (v != NULL) {
            AP_TRY(ap_spill_get(w, off, v->p + v->len, n));
            v->len += n;
        } else {
            if (n > w->hashes.cap) n = w->hashes.cap;
            AP_TRY(ap_spill_get(w, off, w->hashes.p, n));
            AP_TRY(ap_emit_summed(w, st, w->hashes.p, n));
        }
        j += n;
    }
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_set_spill(artpack_bundle_writer *w, artpack_write_fn write,
                                              artpack_read_fn read, void *opaque) {
    AP_RETURN_IF(w == NULL || write == NULL || read == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    AP_RETURN_IF(w->spill_write != NULL || w->articles != w->segment_first, ARTPACK_E_PARAM);
    w->spill_write = write;
    w->spill_read = read;
    w->spill_opaque = opaque;
    return ARTPACK_OK;
}

/* Sets up slot i's compressor (the CDict, shared, is made for slot 0). */
static artpack_error ap_slot_setup(artpack_bundle_writer *w, unsigned i) {
    ap_slot *sl = &w->slot[i];
    sl->zstd = w->params.codec == ARTPACK_CODEC_ZSTD;
    if (sl->zstd) {
        sl->cctx = ZSTD_createCCtx_advanced(ap_zstd_mem(&w->mem));
        AP_RETURN_IF(sl->cctx == NULL, ARTPACK_E_ALLOC);
        AP_RETURN_IF(ZSTD_isError(ZSTD_CCtx_setParameter(sl->cctx, ZSTD_c_compressionLevel,
                                                         w->params.level)) ||
                         ZSTD_isError(ZSTD_CCtx_setParameter(sl->cctx, ZSTD_c_checksumFlag, 1)) ||
                         ZSTD_isError(ZSTD_CCtx_setParameter(sl->cctx, ZSTD_c_contentSizeFlag, 1)),
                     ARTPACK_E_COMPRESS);
        if (w->has_dict) {
            if (w->cdict == NULL)
                AP_TRY(ap_zstd_cdict(&w->mem, &w->dict, w->params.level, w->params.block_size,
                                     &w->cdict_mem, &w->cdict));
            AP_RETURN_IF(ZSTD_isError(ZSTD_CCtx_refCDict(sl->cctx, w->cdict)), ARTPACK_E_COMPRESS);
        }
    } else {
        artpack_compress_params cp;
        memset(&cp, 0, sizeof cp);
        cp.codec = w->params.codec;
        cp.level = w->params.codec == ARTPACK_CODEC_LZ4 || w->params.codec == ARTPACK_CODEC_CM
                       ? w->params.level
                       : 0;
        cp.checksum = 1;
        cp.frame_dict_id = 0; /* the header names the dictionary */
        AP_TRY(artpack_compressor_create(&sl->comp, &cp, w->has_dict ? &w->dict : NULL, &w->mem));
    }
    return ARTPACK_OK;
}

static artpack_error ap_write_header(artpack_bundle_writer *w) {
    unsigned char chunk[AP_HEADER_CHUNK];
    ap_bundle_header h;
    h.codec = w->params.codec;
    h.level = w->params.level;
    h.dict_id = w->has_dict ? w->dict.id : 0;
    h.dict_embedded = w->params.embed_dict && w->has_dict;
    h.columns = w->params.columns != 0;
    h.words = w->words != NULL;
    h.similar = w->params.similar != 0;
    h.block_size = w->params.block_size;
    ap_header_write(chunk, &h);
    return ap_emit(w, chunk, sizeof chunk);
}

/* The dictionary chunk: u32 size, then the dictionary as a zstd frame. */
static artpack_error ap_write_dict(artpack_bundle_writer *w) {
    ZSTD_CCtx *c;
    size_t bound = ZSTD_compressBound(w->dict.size), n;
    unsigned char head[4];
    artpack_error err;
    ap_vec *frame = &w->slot[0].frame;
    AP_TRY(ap_vec_reserve(&w->mem, frame, bound));
    c = ZSTD_createCCtx_advanced(ap_zstd_mem(&w->mem));
    AP_RETURN_IF(c == NULL, ARTPACK_E_ALLOC);
    n = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, AP_ZSTD_LEVEL_DEFAULT);
    if (!ZSTD_isError(n)) n = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(n)) n = ZSTD_compress2(c, frame->p, bound, w->dict.data, w->dict.size);
    ZSTD_freeCCtx(c);
    if (ZSTD_isError(n)) return ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation
                                   ? ARTPACK_E_ALLOC : ARTPACK_E_COMPRESS;
    ap_write_le32(head, (uint32_t)w->dict.size);
    err = ap_emit_chunk_head(w, AP_CHUNK_DICT, 4 + n);
    if (err == ARTPACK_OK) err = ap_emit(w, head, 4);
    if (err == ARTPACK_OK) err = ap_emit(w, frame->p, n);
    return err;
}

artpack_error artpack_bundle_writer_create(artpack_bundle_writer **out,
                                           const artpack_bundle_params *params,
                                           const artpack_dict *dict,
                                           const artpack_allocator *allocator,
                                           artpack_write_fn write, void *opaque);

static ap_slot *ap_wait_oldest(artpack_bundle_writer *w);

static void ap_writer_destroy(artpack_bundle_writer *w) {
    artpack_allocator m;
    if (w == NULL) return;
    m = w->mem;
    while (w->inflight) (void)ap_wait_oldest(w); /* the tasks use the slots */
    {
        unsigned i;
        for (i = 0; i < AP_SLOTS_MAX; i++) {
            ZSTD_freeCCtx(w->slot[i].cctx);
            artpack_compressor_free(w->slot[i].comp);
            ap_vec_free(&m, &w->slot[i].content);
            ap_vec_free(&m, &w->slot[i].cols);
            ap_vec_free(&m, &w->slot[i].env);
            ap_vec_free(&m, &w->slot[i].frame);
        }
    }
    if (w->cdict_mem) m.free(m.opaque, w->cdict_mem);
    ap_words_enc_free(w->words);
    ap_vec_free(&m, &w->records);
    ap_vec_free(&m, &w->sizes);
    ap_vec_free(&m, &w->entries);
    ap_vec_free(&m, &w->hashes);
    ap_vec_free(&m, &w->map);
    ap_vec_free(&m, &w->win);
    ap_vec_free(&m, &w->win_at);
    ap_vec_free(&m, &w->win_hash);
    {
        uint32_t i;
        for (i = 0; i <= AP_LIVE_MAX; i++) {
            ap_vec_free(&m, &w->live[i].entries);
            ap_vec_free(&m, &w->live[i].hashes);
            ap_vec_free(&m, &w->live[i].map);
        }
    }
    if (w->dict_owned) m.free(m.opaque, w->dict_owned);
    m.free(m.opaque, w);
}

void artpack_bundle_writer_free(artpack_bundle_writer *w) { ap_writer_destroy(w); }

artpack_error artpack_bundle_writer_set_barrier(artpack_bundle_writer *w,
                                                artpack_barrier_fn barrier, void *opaque) {
    AP_RETURN_IF(w == NULL, ARTPACK_E_NULL_ARG);
    w->barrier = barrier;
    w->barrier_opaque = opaque;
    return ARTPACK_OK;
}

/* Checks the parameters and sets up the compressor; writes nothing. */
static artpack_error ap_writer_new(artpack_bundle_writer **out, const artpack_bundle_params *params,
                                   const artpack_dict *dict, const artpack_allocator *allocator,
                                   artpack_write_fn write, void *opaque) {
    const artpack_allocator *mem = ap_allocator_or_default(allocator);
    artpack_bundle_params p;
    artpack_bundle_writer *w;
    artpack_error err = ARTPACK_OK;
    AP_RETURN_IF(out == NULL || params == NULL || write == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    AP_RETURN_IF(mem == NULL || mem->alloc == NULL || mem->free == NULL, ARTPACK_E_NULL_ARG);
    p = *params;
    if (p.block_size == 0)
        p.block_size = p.codec == ARTPACK_CODEC_CM ? ARTPACK_BUNDLE_BLOCK_SIZE_CM
                                                   : ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT;
    if (p.codec == ARTPACK_CODEC_CM) { /* the model's level; rows only */
        int model = dict != NULL ? artpack_cm_model_level(dict) : 0;
        AP_RETURN_IF(dict != NULL && model == 0, ARTPACK_E_MODEL);
        AP_RETURN_IF(model != 0 && p.level != 0 && p.level != model, ARTPACK_E_MODEL_LEVEL);
        if (p.level == 0) p.level = model != 0 ? model : ARTPACK_CM_LEVEL_DEFAULT;
        AP_RETURN_IF(p.level < 1 || p.level > ARTPACK_CM_LEVEL_MAX || p.columns, ARTPACK_E_PARAM);
    } else {
        AP_TRY(ap_check_level(p.codec, p.level, &p.level));
        /* a CM model is no dictionary for zstd or LZ4 */
        AP_RETURN_IF(p.codec != ARTPACK_CODEC_STORED && dict != NULL &&
                         artpack_cm_model_level(dict) != 0,
                     ARTPACK_E_DICT);
    }
    AP_RETURN_IF(p.block_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX, ARTPACK_E_PARAM);
    p.similar = p.similar != 0;
    if (p.similar && p.similar_window == 0) {
        p.similar_window = ARTPACK_BUNDLE_SIMILAR_WINDOW_BLOCKS * p.block_size;
        if (p.similar_window > ((size_t)1 << 30)) p.similar_window = (size_t)1 << 30;
    }
    AP_RETURN_IF(p.similar_window > ((size_t)1 << 30), ARTPACK_E_PARAM);
    AP_RETURN_IF(dict != NULL && (dict->data == NULL || dict->size == 0 || dict->id == 0),
                 ARTPACK_E_DICT);
    AP_RETURN_IF(p.embed_dict && dict == NULL, ARTPACK_E_NEED_DICT);
    /* word envelopes need the dictionary's list (stored blocks take none) */
    if (p.codec == ARTPACK_CODEC_STORED || p.codec == ARTPACK_CODEC_CM) p.words = 0;
    AP_RETURN_IF(p.words && (dict == NULL || dict->words == NULL), ARTPACK_E_NO_WORDS);
    w = (artpack_bundle_writer *)mem->alloc(mem->opaque, sizeof *w);
    AP_RETURN_IF(w == NULL, ARTPACK_E_ALLOC);
    memset(w, 0, sizeof *w);
    w->params = p;
    w->mem = *mem;
    w->write = write;
    w->opaque = opaque;
    if (dict != NULL && p.codec != ARTPACK_CODEC_STORED) {
        w->dict = *dict;
        w->has_dict = 1;
    }
    w->jobs = 1;
    if (p.words) err = ap_words_enc_create(&w->words, dict->words, mem);
    if (err == ARTPACK_OK) err = ap_slot_setup(w, 0);
    if (err != ARTPACK_OK) {
        ap_writer_destroy(w);
        return err;
    }
    *out = w;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_create(artpack_bundle_writer **out,
                                           const artpack_bundle_params *params,
                                           const artpack_dict *dict,
                                           const artpack_allocator *allocator,
                                           artpack_write_fn write, void *opaque) {
    artpack_bundle_writer *w;
    artpack_error err;
    AP_RETURN_IF(out == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    AP_TRY(ap_writer_new(&w, params, dict, allocator, write, opaque));
    err = ap_write_header(w);
    if (err == ARTPACK_OK && w->params.embed_dict && w->has_dict) err = ap_write_dict(w);
    if (err != ARTPACK_OK) {
        ap_writer_destroy(w);
        return err;
    }
    *out = w;
    return ARTPACK_OK;
}

static artpack_error ap_wread(artpack_bundle_writer *w, uint64_t off, void *dst, size_t n) {
    AP_RETURN_IF(n != 0 && w->read(w->read_opaque, off, dst, n) != 0, ARTPACK_E_READ);
    return ARTPACK_OK;
}

static artpack_error ap_wread_segment(artpack_bundle_writer *w, uint64_t off, ap_segment *s) {
    unsigned char h[8 + AP_SEGMENT_HEAD];
    AP_RETURN_IF(off < AP_HEADER_CHUNK || off > w->offset || w->offset - off < sizeof h,
                 ARTPACK_E_INDEX);
    AP_TRY(ap_wread(w, off, h, sizeof h));
    return ap_segment_head_read(h, off, w->offset, s);
}

/* The live table of the bundle an appender continues (its last segment's). */
static artpack_error ap_load_live_table(artpack_bundle_writer *w, uint64_t last_segment) {
    ap_segment last;
    uint32_t i;
    AP_TRY(ap_wread_segment(w, last_segment, &last));
    AP_RETURN_IF(last.first + last.count != w->articles, ARTPACK_E_INDEX);
    for (i = 0; i < last.live; i++) {
        unsigned char e[AP_LIVE_ENTRY];
        AP_TRY(ap_wread(w, ap_segment_live_at(&last) + (uint64_t)i * AP_LIVE_ENTRY, e, sizeof e));
        ap_live_read(e, &w->live[i].at);
    }
    w->live[last.live].at.offset = last.offset;
    w->live[last.live].at.first = last.first;
    w->live[last.live].at.first_block = last.first_block;
    w->nlive = last.live + 1;
    for (i = 0; i < w->nlive; i++) { /* counts from where the next one starts */
        uint64_t next_first = i + 1 < w->nlive ? w->live[i + 1].at.first : w->articles;
        uint64_t next_block = i + 1 < w->nlive ? w->live[i + 1].at.first_block
                                               : last.first_block + last.blocks;
        AP_RETURN_IF(next_first < w->live[i].at.first || next_block < w->live[i].at.first_block ||
                         next_first - w->live[i].at.first > 0xFFFFFFFFu,
                     ARTPACK_E_INDEX);
        w->live[i].count = (uint32_t)(next_first - w->live[i].at.first);
        w->live[i].blocks = (uint32_t)(next_block - w->live[i].at.first_block);
    }
    w->blocks = last.first_block + last.blocks;
    return ARTPACK_OK;
}

/* The bundle's embedded dictionary, read through read and unpacked into
 * *owned (allocated with m; the caller frees it), loaded into *dict. */
static artpack_error ap_read_embedded_dict(const artpack_bundle_info *info,
                                           const artpack_allocator *m, artpack_read_fn read,
                                           void *read_opaque, void **owned, artpack_dict *dict) {
    size_t frame = info->dict_chunk_size - AP_DICT_CHUNK_HEAD;
    unsigned char *d, *z;
    artpack_error err = ARTPACK_OK;
    AP_RETURN_IF(info->dict_chunk_size < AP_DICT_CHUNK_HEAD || info->dict_size == 0,
                 ARTPACK_E_BUNDLE);
    d = (unsigned char *)m->alloc(m->opaque, info->dict_size);
    z = (unsigned char *)m->alloc(m->opaque, frame ? frame : 1);
    if (d == NULL || z == NULL) err = ARTPACK_E_ALLOC;
    if (err == ARTPACK_OK && read(read_opaque, info->dict_offset + AP_DICT_CHUNK_HEAD, z, frame))
        err = ARTPACK_E_READ;
    if (err == ARTPACK_OK && ap_zstd_decompress(d, info->dict_size, z, frame) != ARTPACK_OK)
        err = ARTPACK_E_DICT;
    if (err == ARTPACK_OK) err = artpack_dict_load(dict, d, info->dict_size);
    if (err == ARTPACK_OK && dict->id != info->dict_id) err = ARTPACK_E_DICT;
    if (z != NULL) m->free(m->opaque, z);
    if (err != ARTPACK_OK && d != NULL) m->free(m->opaque, d);
    if (err == ARTPACK_OK) *owned = d;
    return err;
}

/* An appender of a bundle that embeds its dictionary, given none: the
 * dictionary is loaded from the bundle, and the writer owns it. */
static artpack_error ap_appender_open_embedded(artpack_bundle_writer **out,
                                               const artpack_bundle_info *info,
                                               const artpack_allocator *allocator,
                                               artpack_write_fn write, void *opaque,
                                               artpack_read_fn read, void *read_opaque) {
    const artpack_allocator *m = ap_allocator_or_default(allocator);
    artpack_dict dict;
    void *owned = NULL;
    artpack_error err;
    AP_RETURN_IF(m == NULL || m->alloc == NULL || m->free == NULL, ARTPACK_E_NULL_ARG);
    AP_TRY(ap_read_embedded_dict(info, m, read, read_opaque, &owned, &dict));
    err = artpack_bundle_appender_open(out, info, &dict, allocator, write, opaque, read,
                                       read_opaque);
    if (err == ARTPACK_OK) (*out)->dict_owned = owned;
    else m->free(m->opaque, owned);
    return err;
}

artpack_error artpack_bundle_appender_open(artpack_bundle_writer **out,
                                           const artpack_bundle_info *info,
                                           const artpack_dict *dict,
                                           const artpack_allocator *allocator,
                                           artpack_write_fn write, void *opaque,
                                           artpack_read_fn read, void *read_opaque) {
    artpack_bundle_params p;
    artpack_bundle_writer *w;
    artpack_error err;
    AP_RETURN_IF(out == NULL || info == NULL || read == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    if (dict == NULL && info->dict_id != 0 && info->dict_embedded) /* the bundle's own */
        return ap_appender_open_embedded(out, info, allocator, write, opaque, read, read_opaque);
    AP_RETURN_IF(info->dict_id != 0 && dict == NULL, ARTPACK_E_NEED_DICT);
    AP_RETURN_IF(info->dict_id != 0 && dict->id != info->dict_id, ARTPACK_E_WRONG_DICT);
    memset(&p, 0, sizeof p);
    p.codec = info->codec;
    p.level = info->level;
    p.block_size = info->block_size;
    p.columns = info->columns;
    p.words = info->words;
    p.similar = info->similar;
    AP_TRY(ap_writer_new(&w, &p, info->dict_id != 0 ? dict : NULL, allocator, write, opaque));
    w->read = read;
    w->read_opaque = read_opaque;
    w->offset = info->end_offset;
    w->articles = info->article_count;
    w->segment_first = info->article_count;
    w->prev_segment = info->last_segment;
    w->placed = info->article_count;
    w->max_content = (uint32_t)info->max_block_content;
    w->max_frame = (uint32_t)info->max_block_frame;
    err = ap_load_live_table(w, info->last_segment);
    if (err != ARTPACK_OK) {
        ap_writer_destroy(w);
        return err;
    }
    w->segment_first_block = w->blocks;
    *out = w;
    return ARTPACK_OK;
}

/* The word envelope of src[0..n) into dst (ap_words_wrap_bound(n) bytes;
 * bundle_format.h): the transform when ap_words_expand can undo it in place,
 * else F = 0 and src as it is. Returns its size. */
static size_t ap_words_wrap(const ap_words_enc *e, unsigned char *dst, const unsigned char *src,
                            size_t n) {
    size_t h = artpack_varint_write(dst, ARTPACK_VARINT_MAX, n), t;
    int in_place = 0;
    t = ap_words_apply(e, dst + h, src, n, &in_place);
    if (in_place && n > 0) return h + t;
    dst[0] = 0; /* F = 0: the content as it is */
    if (n) memcpy(dst + 1, src, n);
    return 1 + n;
}

/* The word transform of a field's payload (word columns). */
static size_t ap_words_text(const void *e, unsigned char *dst, const unsigned char *src, size_t n) {
    int in_place;
    return ap_words_apply((const ap_words_enc *)e, dst, src, n, &in_place);
}

/* Compresses a staged block with cctx or comp (any thread: touches only its
 * slot and the compressor). */
static void ap_slot_run(ap_slot *sl, ZSTD_CCtx *cctx, artpack_compressor *comp) {
    const unsigned char *in = sl->content.p;
    size_t content = sl->content.len;
    sl->err = ARTPACK_OK;
    if (sl->words != NULL) { /* the envelope (word columns) is what the block holds */
        sl->env.len = sl->columns
                          ? ap_columns_words(ap_words_text, sl->words, sl->env.p, in, content)
                          : ap_words_wrap(sl->words, sl->env.p, in, content);
        if (sl->env.len == 0) { /* (columns the writer made: not reached) */
            sl->err = ARTPACK_E_BLOCK;
            return;
        }
        in = sl->env.p;
        content = sl->env.len;
    }
    if (sl->zstd) {
        size_t r = ZSTD_compress2(cctx, sl->frame.p, sl->frame.cap, in, content);
        if (ZSTD_isError(r))
            sl->err = ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? ARTPACK_E_ALLOC
                                                                            : ARTPACK_E_COMPRESS;
        sl->frame_size = r;
    } else {
        sl->err = artpack_frame_compress(comp, sl->frame.p, sl->frame.cap, in, content,
                                         &sl->frame_size);
    }
}

/* An artpack_task_fn: a slot with its own compressor. */
static void ap_slot_compress(void *arg) {
    ap_slot *sl = (ap_slot *)arg;
    ap_slot_run(sl, sl->cctx, sl->comp);
}

/* An artpack_worker_task_fn: a slot with its worker's compressor (the
 * runner never runs two tasks of one worker at once). */
static void ap_slot_compress_on(void *arg, unsigned worker) {
    ap_slot *sl = (ap_slot *)arg;
    ap_slot_run(sl, sl->owners[worker].cctx, sl->owners[worker].comp);
}

/* Writes a compressed slot and its index entry. */
static artpack_error ap_slot_emit(artpack_bundle_writer *w, ap_slot *sl) {
    unsigned char entry[AP_BLOCK_ENTRY];
    uint64_t at = w->offset;
    size_t frame = sl->frame_size, content = sl->content.len;
    if (sl->rows_size > content) content = sl->rows_size; /* the reader holds both */
    if (sl->words != NULL && sl->env.len > content) content = sl->env.len; /* and this */
    if (!sl->zstd) {
        AP_TRY(ap_emit_chunk_head(w, AP_CHUNK_BLOCK, frame));
        frame += 8;
    }
    AP_RETURN_IF(frame > 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    AP_TRY(ap_emit(w, sl->frame.p, sl->frame_size));
    ap_write_le64(entry, at);
    ap_write_le32(entry + 8, (uint32_t)frame);
    ap_write_le32(entry + 12, sl->first_rel);
    AP_TRY(ap_vec_put(&w->mem, &w->entries, entry, sizeof entry));
    if (content > w->max_content) w->max_content = (uint32_t)content;
    if (frame > w->max_frame) w->max_frame = (uint32_t)frame;
    w->blocks++;
    return ARTPACK_OK;
}

/* Writes a compressed slot (its compression's error, if any). A failure
 * leaves the writer unusable: the articles of the blocks it drops are
 * counted already. */
static artpack_error ap_slot_done(artpack_bundle_writer *w, ap_slot *sl) {
    artpack_error err = sl->err;
    if (err == ARTPACK_OK) err = ap_slot_emit(w, sl);
    if (err != ARTPACK_OK) w->failed = 1;
    return err;
}

/* Pipelined: waits for the oldest block in flight; its slot. */
static ap_slot *ap_wait_oldest(artpack_bundle_writer *w) {
    ap_slot *sl = &w->slot[w->head];
    w->wait(w->run_opaque, sl);
    w->head = (w->head + 1) % w->nslots;
    w->inflight--;
    return sl;
}

/* Pipelined: waits for the oldest block in flight and writes it (after a
 * failure: only waits; the writer is unusable). */
static artpack_error ap_retire(artpack_bundle_writer *w) {
    ap_slot *sl = ap_wait_oldest(w);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    return ap_slot_done(w, sl);
}

/* Pipelined: waits for every block in flight and writes them in order. */
static artpack_error ap_settle(artpack_bundle_writer *w) {
    artpack_error err = ARTPACK_OK, e;
    while (w->inflight) {
        e = ap_retire(w);
        if (err == ARTPACK_OK) err = e;
    }
    return err;
}

/* Compresses the staged blocks (together through run when there are several)
 * and writes them in order (pipelined: nothing is staged, the blocks went
 * to start one by one). */
static artpack_error ap_drain(artpack_bundle_writer *w) {
    unsigned i, n = w->staged;
    artpack_error err = ARTPACK_OK;
    if (n == 0) return ARTPACK_OK;
    for (i = 0; i < n; i++) w->args[i] = &w->slot[i];
    if (n > 1 && w->run != NULL) w->run(w->run_opaque, ap_slot_compress, w->args, n);
    else
        for (i = 0; i < n; i++) ap_slot_compress(&w->slot[i]);
    w->staged = 0;
    for (i = 0; i < n && err == ARTPACK_OK; i++) err = ap_slot_done(w, &w->slot[i]);
    return err;
}

/* Stages the block being filled (with one job and no pipeline: compresses
 * and writes it; on failure its records stay, to be tried again). */
static artpack_error ap_flush_block(artpack_bundle_writer *w) {
    unsigned char head[ARTPACK_VARINT_MAX];
    size_t hn, content, bound;
    ap_slot *sl;
    if (w->block_records == 0) return ARTPACK_OK;
    if (w->start != NULL) { /* pipelined: the next slot of the ring, once free */
        if (w->inflight == w->nslots) AP_TRY(ap_retire(w));
        sl = &w->slot[(w->head + w->inflight) % w->nslots];
        sl->owners = w->slot;
        sl->zstd = w->params.codec == ARTPACK_CODEC_ZSTD;
    } else {
        sl = &w->slot[w->staged];
    }
    /* content: varint count, varint sizes, records */
    hn = ap_block_head(head, w->block_records);
    sl->content.len = 0;
    AP_TRY(ap_vec_put(&w->mem, &sl->content, head, hn));
    AP_TRY(ap_vec_put(&w->mem, &sl->content, w->sizes.p, w->sizes.len));
    AP_TRY(ap_vec_put(&w->mem, &sl->content, w->records.p, w->records.len));
    content = sl->content.len;
    sl->rows_size = content;
    if (w->params.columns) { /* the columns replace the rows */
        ap_vec t;
        AP_TRY(ap_vec_reserve(&w->mem, &sl->cols, ap_columns_bound(content, w->block_records)));
        AP_TRY(ap_columns_encode(sl->cols.p, sl->cols.cap, sl->content.p, content, &sl->cols.len));
        t = sl->content;
        sl->content = sl->cols;
        sl->cols = t;
        content = sl->content.len;
    }
    AP_RETURN_IF(content > 0xFFFFFFFFu || sl->rows_size > 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    sl->words = w->words;
    sl->columns = w->params.columns;
    if (sl->words != NULL) { /* its envelope, made where it is compressed */
        sl->env.len = 0;
        AP_TRY(ap_vec_reserve(&w->mem, &sl->env, ap_words_wrap_bound(content)));
        content = ap_words_wrap_bound(content);
        AP_RETURN_IF(content > 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    }
    bound = sl->zstd ? ZSTD_compressBound(content) : ARTPACK_FRAME_BOUND(content);
    AP_TRY(ap_vec_reserve(&w->mem, &sl->frame, bound));
    sl->first_rel = (uint32_t)(w->placed - w->block_records - w->segment_first);
    if (w->start != NULL) {
        w->inflight++;
        w->records.len = 0;
        w->sizes.len = 0;
        w->block_records = 0;
        w->start(w->run_opaque, ap_slot_compress_on, sl);
        return ARTPACK_OK;
    }
    if (w->jobs == 1) {
        ap_slot_compress(sl);
        AP_TRY(sl->err);
        AP_TRY(ap_slot_emit(w, sl));
    } else if (++w->staged == w->jobs) {
        w->records.len = 0;
        w->sizes.len = 0;
        w->block_records = 0;
        return ap_drain(w);
    }
    w->records.len = 0;
    w->sizes.len = 0;
    w->block_records = 0;
    return ARTPACK_OK;
}

/* Everything added so far written out. */
static artpack_error ap_flush_all(artpack_bundle_writer *w) {
    AP_TRY(ap_flush_block(w));
    AP_TRY(ap_drain(w));
    return ap_settle(w);
}

/* Flushes, then sets up a compressor for each of jobs slots (pipelined, the
 * ring's other slots are compressed with their worker's). */
static artpack_error ap_set_jobs(artpack_bundle_writer *w, unsigned jobs) {
    unsigned i;
    AP_RETURN_IF(w == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(jobs == 0 || jobs > ARTPACK_BUNDLE_JOBS_MAX, ARTPACK_E_PARAM);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    AP_TRY(ap_flush_all(w));
    for (i = 1; i < jobs; i++)
        if (w->slot[i].cctx == NULL && w->slot[i].comp == NULL) AP_TRY(ap_slot_setup(w, i));
    w->jobs = jobs;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_set_parallel(artpack_bundle_writer *w, unsigned jobs,
                                                 artpack_parallel_fn run, void *opaque) {
    AP_TRY(ap_set_jobs(w, jobs));
    w->run = run;
    w->start = NULL;
    w->wait = NULL;
    w->run_opaque = opaque;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_set_pipeline(artpack_bundle_writer *w, unsigned jobs,
                                                 artpack_parallel_start_fn start,
                                                 artpack_parallel_wait_fn wait, void *opaque) {
    AP_RETURN_IF(w == NULL || start == NULL || wait == NULL, ARTPACK_E_NULL_ARG);
    AP_TRY(ap_set_jobs(w, jobs));
    w->nslots = AP_PIPE_DEPTH * jobs;
    w->head = 0;
    w->run = NULL;
    w->start = start;
    w->wait = wait;
    w->run_opaque = opaque;
    return ARTPACK_OK;
}

/* Puts a record into the block being filled (written first when the record
 * would take it past the block size or the record cap). reserve: room to
 * keep in w->hashes, reserved with the record's (so that nothing is added
 * when this fails). */
static artpack_error ap_block_put(artpack_bundle_writer *w, const void *record, size_t size,
                                  size_t reserve) {
    unsigned char v[ARTPACK_VARINT_MAX];
    size_t vn;
    if (w->block_records > 0 && (w->records.len + size > w->params.block_size ||
                                 w->block_records >= AP_BLOCK_ARTICLES_MAX))
        AP_TRY(ap_flush_block(w));
    vn = artpack_varint_write(v, sizeof v, size);
    AP_TRY(ap_vec_reserve(&w->mem, &w->hashes, reserve));
    AP_TRY(ap_vec_reserve(&w->mem, &w->sizes, vn));
    AP_TRY(ap_vec_put(&w->mem, &w->records, record, size));
    (void)ap_vec_put(&w->mem, &w->sizes, v, vn); /* reserved above: cannot fail */
    w->block_records++;
    w->placed++;
    return ARTPACK_OK;
}

/* Similar: the window's records cut into blocks along ap_similar_order's
 * chain (a block takes the next records of the chain while they fit, as a
 * block takes records in order), each block's records in article order; the
 * slots they get go to the block map. A failure leaves the writer unusable. */
static artpack_error ap_window_flush(artpack_bundle_writer *w) {
    const size_t *at = (const size_t *)(void *)w->win_at.p;
    uint32_t n = w->win_n, i, j, k, *chain, *slot;
    artpack_error err;
    if (n == 0) return ARTPACK_OK;
    AP_TRY(ap_flush_block(w));
    chain = (uint32_t *)w->mem.alloc(w->mem.opaque, 2 * (size_t)n * sizeof *chain);
    AP_RETURN_IF(chain == NULL, ARTPACK_E_ALLOC);
    slot = chain + n;
    err = ap_similar_order(&w->mem, w->win.p, at, n, w->params.block_size, chain);
    for (i = 0; err == ARTPACK_OK && i < n; i = j) {
        size_t bytes = at[chain[i] + 1] - at[chain[i]];
        for (j = i + 1; j < n && j - i < AP_BLOCK_ARTICLES_MAX; j++) {
            size_t sz = at[chain[j] + 1] - at[chain[j]];
            if (bytes + sz > w->params.block_size) break;
            bytes += sz;
        }
        for (k = i + 1; k < j; k++) { /* insertion sort: the block's records in order */
            uint32_t x = chain[k], m = k;
            while (m > i && chain[m - 1] > x) {
                chain[m] = chain[m - 1];
                m--;
            }
            chain[m] = x;
        }
        for (k = i; err == ARTPACK_OK && k < j; k++) {
            slot[chain[k]] = k;
            err = ap_block_put(w, w->win.p + at[chain[k]], at[chain[k] + 1] - at[chain[k]], 0);
        }
        if (err == ARTPACK_OK) err = ap_flush_block(w);
    }
    /* the window's map entries and id hashes, in article order */
    if (err == ARTPACK_OK) err = ap_vec_reserve(&w->mem, &w->map, (size_t)n * AP_MAP_ENTRY);
    if (err == ARTPACK_OK) err = ap_vec_reserve(&w->mem, &w->hashes, (size_t)n * 2);
    if (err == ARTPACK_OK) {
        unsigned char *e = w->map.p + w->map.len;
        for (k = 0; k < n; k++) { /* slot less article, both from the window's first */
            unsigned d = (unsigned)((int)slot[k] - (int)k) & 0xFFFFu;
            e[2 * k] = (unsigned char)d;
            e[2 * k + 1] = (unsigned char)(d >> 8);
        }
        w->map.len += (size_t)n * AP_MAP_ENTRY;
        (void)ap_vec_put(&w->mem, &w->hashes, w->win_hash.p, w->win_hash.len); /* reserved */
    }
    w->mem.free(w->mem.opaque, chain);
    w->win.len = 0;
    w->win_at.len = 0;
    w->win_hash.len = 0;
    w->win_n = 0;
    if (err == ARTPACK_OK) err = ap_spill_maybe(w);
    if (err != ARTPACK_OK) w->failed = 1;
    return err;
}

/* Similar: a record and its id hash h join the window (flushed first when
 * full). */
static artpack_error ap_window_put(artpack_bundle_writer *w, const void *record, size_t size,
                                   const unsigned char h[2]) {
    size_t end;
    if (w->win_n > 0 && (w->win.len + size > w->params.similar_window ||
                         w->win_n >= ARTPACK_BUNDLE_SIMILAR_WINDOW_ARTICLES))
        AP_TRY(ap_window_flush(w));
    AP_TRY(ap_vec_reserve(&w->mem, &w->win_hash, 2));
    AP_TRY(ap_vec_reserve(&w->mem, &w->win_at, 2 * sizeof end));
    AP_TRY(ap_vec_put(&w->mem, &w->win, record, size));
    if (w->win_n == 0) {
        end = 0;
        (void)ap_vec_put(&w->mem, &w->win_at, &end, sizeof end); /* reserved above */
    }
    end = w->win.len;
    (void)ap_vec_put(&w->mem, &w->win_at, &end, sizeof end);
    (void)ap_vec_put(&w->mem, &w->win_hash, h, 2);
    w->win_n++;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_add(artpack_bundle_writer *w, const void *record, size_t size) {
    artpack_article a;
    unsigned char h[2];
    unsigned hash;
    AP_RETURN_IF(w == NULL || (record == NULL && size != 0), ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    AP_TRY(artpack_record_decode(&a, record, size, NULL));
    AP_RETURN_IF(w->articles >= 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    hash = ap_bundle_id_hash(a.id.ptr ? a.id.ptr : "", a.id.len);
    h[0] = (unsigned char)hash;
    h[1] = (unsigned char)(hash >> 8);
    if (w->params.similar) { /* the hash joins the pending ones with the window's map */
        AP_TRY(ap_window_put(w, record, size, h));
    } else {
        AP_TRY(ap_spill_maybe(w));
        AP_TRY(ap_block_put(w, record, size, 2));
        (void)ap_vec_put(&w->mem, &w->hashes, h, 2); /* reserved above: cannot fail */
    }
    w->articles++;
    return ARTPACK_OK;
}

/* Reads n bytes at off through the appender's read function to the end of
 * v and adds them to the checksum. */
static artpack_error ap_wread_summed(artpack_bundle_writer *w, ap_xxh32_state *st, uint64_t off,
                                     size_t n, ap_vec *v) {
    AP_TRY(ap_vec_reserve(&w->mem, v, n));
    AP_TRY(ap_wread(w, off, v->p + v->len, n));
    ap_xxh32_update(st, v->p + v->len, n);
    v->len += n;
    return ARTPACK_OK;
}

/* Loads live segment l's entries and hashes from the file (an appender's
 * older segments), checking its checksum: read in its parts, straight
 * into where they are kept (memory: 16 bytes per block and 2 per article,
 * no second copy). to (NULL: l's own): where its hashes go, appended; then
 * l is not loaded, its hashes being elsewhere. */
static artpack_error ap_load_segment(artpack_bundle_writer *w, ap_wlive *l, ap_vec *to) {
    ap_segment s;
    ap_xxh32_state st;
    unsigned char sum[4], head[AP_SEGMENT_HEAD + AP_LIVE_MAX * AP_LIVE_ENTRY];
    size_t head_size;
    artpack_error err;
    if (l->loaded) return ARTPACK_OK;
    if (l->spilled) { /* its entries are here */
        l->hashes.len = 0;
        l->map.len = 0;
        AP_TRY(ap_spill_stream(w, l->spill_at, (uint64_t)l->count * 2, l->paired, 0, &l->hashes,
                               NULL));
        if (l->paired)
            AP_TRY(ap_spill_stream(w, l->spill_at, (uint64_t)l->count * AP_MAP_ENTRY, 1, 1,
                                   &l->map, NULL));
        l->spilled = 0;
        l->paired = 0;
        l->loaded = 1;
        return ARTPACK_OK;
    }
    AP_TRY(ap_wread_segment(w, l->at.offset, &s));
    AP_RETURN_IF(s.first != l->at.first || s.first_block != l->at.first_block ||
                     s.count != l->count || s.blocks != l->blocks,
                 ARTPACK_E_INDEX);
    ap_xxh32_reset(&st);
    head_size = (size_t)(ap_segment_entries_at(&s) - s.offset - 8); /* the head and live table */
    AP_RETURN_IF(head_size > sizeof head, ARTPACK_E_INDEX);
    AP_TRY(ap_wread(w, s.offset + 8, head, head_size));
    ap_xxh32_update(&st, head, head_size);
    l->entries.len = 0;
    if (to == NULL) {
        l->hashes.len = 0;
        to = &l->hashes;
    }
    err = ap_wread_summed(w, &st, ap_segment_entries_at(&s), (size_t)s.blocks * AP_BLOCK_ENTRY,
                          &l->entries);
    if (err == ARTPACK_OK)
        err = ap_wread_summed(w, &st, ap_segment_hashes_at(&s), (size_t)s.count * 2, to);
    l->map.len = 0;
    if (err == ARTPACK_OK && AP_HAS_SIMILAR && (s.flags & AP_SEG_MAP))
        err = ap_wread_summed(w, &st, ap_segment_map_at(&s), (size_t)s.count * AP_MAP_ENTRY,
                              &l->map);
    if (err == ARTPACK_OK) err = ap_wread(w, s.end - 4, sum, 4);
    if (err == ARTPACK_OK && ap_read_le32(sum) != ap_xxh32_digest(&st)) err = ARTPACK_E_INDEX;
    if (err == ARTPACK_OK) l->loaded = to == &l->hashes;
    return err;
}

static uint64_t ap_weight(uint64_t count, uint64_t blocks) { return count + blocks + 1; }

/* The block map of count more articles after the before articles l has so
 * far (map: theirs, empty when they have none; spilled: that many bytes of
 * it first, paired in the spill from spill_pending). l's stays empty while
 * no part has one; then 0s ("slot = article") stand for the parts without. */
static artpack_error ap_merge_map(artpack_bundle_writer *w, ap_wlive *l, const ap_vec *map,
                                  uint64_t spilled, uint64_t before, uint32_t count) {
    if (map->len == 0 && spilled == 0 && l->map.len == 0) return ARTPACK_OK;
    if (l->map.len == 0 && before > 0) { /* the parts before had none */
        AP_TRY(ap_vec_reserve(&w->mem, &l->map, (size_t)before * AP_MAP_ENTRY));
        memset(l->map.p, 0, (size_t)before * AP_MAP_ENTRY);
        l->map.len = (size_t)before * AP_MAP_ENTRY;
    }
    if (spilled) AP_TRY(ap_spill_stream(w, w->spill_pending, spilled, 1, 1, &l->map, NULL));
    if (map->len || spilled) return ap_vec_put(&w->mem, &l->map, map->p, map->len);
    AP_TRY(ap_vec_reserve(&w->mem, &l->map, (size_t)count * AP_MAP_ENTRY));
    memset(l->map.p + l->map.len, 0, (size_t)count * AP_MAP_ENTRY);
    l->map.len += (size_t)count * AP_MAP_ENTRY;
    return ARTPACK_OK;
}

/* The new segment: the last live segments it absorbs, then what was added
 * since the last commit, into l (entries relative to its first article).
 * With a spill and nothing absorbed, its hashes stay in the spill (l->spilled:
 * all of them there, from spill_pending); else they are gathered in l. */
static artpack_error ap_merge_pending(artpack_bundle_writer *w, ap_wlive *l) {
    uint32_t keep = w->nlive, i;
    uint64_t count = w->articles - w->segment_first, blocks = w->entries.len / AP_BLOCK_ENTRY;
    uint64_t pend; /* bytes of the pending hashes (and as many of map entries) in the spill */
    l->at.first = w->segment_first;
    l->at.first_block = w->segment_first_block;
    while (keep > 0 && ap_weight(w->live[keep - 1].count, w->live[keep - 1].blocks) <=
                           2 * ap_weight(count, blocks)) {
        keep--;
        count += w->live[keep].count;
        blocks += w->live[keep].blocks;
        l->at.first = w->live[keep].at.first;
        l->at.first_block = w->live[keep].at.first_block;
    }
    AP_RETURN_IF(count > 0xFFFFFFFFu || blocks > 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    l->count = (uint32_t)count;
    l->blocks = (uint32_t)blocks;
    l->entries.len = 0;
    l->hashes.len = 0;
    l->map.len = 0;
    l->paired = 0;
    if (w->spill_write != NULL && keep == w->nlive) {
        AP_TRY(ap_spill_all(w));
        l->spilled = 1;
        l->spill_at = w->spill_pending;
        l->paired = w->params.similar && w->spill_end > w->spill_pending; /* with its map */
    } else { /* all its hashes in memory: room for them at once (no doubling copies) */
        AP_TRY(ap_vec_reserve(&w->mem, &l->hashes, (size_t)count * 2));
    }
    pend = (w->spill_end - w->spill_pending) / (w->params.similar ? 2 : 1);
    for (i = keep; i <= w->nlive; i++) {
        const ap_vec *e = i < w->nlive ? &w->live[i].entries : &w->entries;
        const ap_vec *h = i < w->nlive ? &w->live[i].hashes : &w->hashes;
        uint64_t shift = (i < w->nlive ? w->live[i].at.first : w->segment_first) - l->at.first;
        size_t k, at = l->entries.len;
        int read = 0; /* its hashes read from the file straight into l's */
        if (i < w->nlive) {
            read = !w->live[i].loaded && !w->live[i].spilled;
            AP_TRY(ap_load_segment(w, &w->live[i], read ? &l->hashes : NULL));
        }
        AP_TRY(ap_vec_put(&w->mem, &l->entries, e->p, e->len));
        /* (spilled and paired: the pending map stays in the spill) */
        if (!l->paired)
            AP_TRY(ap_merge_map(w, l, i < w->nlive ? &w->live[i].map : &w->map,
                                i == w->nlive && w->params.similar ? pend : 0,
                                (i < w->nlive ? w->live[i].at.first : w->segment_first) -
                                    l->at.first,
                                i < w->nlive ? w->live[i].count
                                             : (uint32_t)(w->articles - w->segment_first)));
        if (i == w->nlive && !l->spilled && pend > 0)
            AP_TRY(ap_spill_stream(w, w->spill_pending, pend, w->params.similar, 0, &l->hashes,
                                   NULL));
        if (!l->spilled && !read) AP_TRY(ap_vec_put(&w->mem, &l->hashes, h->p, h->len));
        for (k = at; k < l->entries.len; k += AP_BLOCK_ENTRY)
            ap_write_le32(l->entries.p + k + 12,
                          (uint32_t)(ap_read_le32(l->entries.p + k + 12) + shift));
    }
    l->loaded = !l->spilled;
    return ARTPACK_OK;
}

/* Emits l's hashes (from the spill in pieces, through the memory of the
 * pending hashes, empty then) and adds them to the checksum. */
static artpack_error ap_emit_hashes(artpack_bundle_writer *w, ap_xxh32_state *st,
                                    const ap_wlive *l) {
    if (!l->spilled) return ap_emit_summed(w, st, l->hashes.p, l->hashes.len);
    return ap_spill_stream(w, l->spill_at, (uint64_t)l->count * 2, l->paired, 0, NULL, st);
}

/* Emits l's block map (from the spill when paired there), if any. */
static artpack_error ap_emit_map(artpack_bundle_writer *w, ap_xxh32_state *st, const ap_wlive *l) {
    if (!l->paired) return ap_emit_summed(w, st, l->map.p, l->map.len);
    return ap_spill_stream(w, l->spill_at, (uint64_t)l->count * AP_MAP_ENTRY, 1, 1, NULL, st);
}

/* The head of a commit's segment: it follows the last commit's, holds
 * merged, and lists the first keep live segments as still live. */
static void ap_commit_segment(const artpack_bundle_writer *w, const ap_wlive *merged,
                              uint32_t keep, ap_segment *s) {
    memset(s, 0, sizeof *s);
    s->prev = w->prev_segment;
    s->first = merged->at.first;
    s->count = merged->count;
    s->blocks = merged->blocks;
    s->max_content = w->max_content;
    s->max_frame = w->max_frame;
    s->first_block = merged->at.first_block;
    s->live = keep;
    s->flags = merged->map.len || merged->paired ? AP_SEG_MAP : 0;
}

/* The caller's barrier (an fsync): a failing one fails the writer. */
static artpack_error ap_barrier(artpack_bundle_writer *w) {
    if (w->barrier == NULL || w->barrier(w->barrier_opaque) == 0) return ARTPACK_OK;
    w->failed = 1;
    return ARTPACK_E_WRITE;
}

/* A commit's footer, naming the segment at segment_at, between two
 * barriers: it must not reach the medium before the blocks and the segment
 * it names, and the commit is not reported before it has. */
static artpack_error ap_commit_footer(artpack_bundle_writer *w, uint64_t segment_at) {
    unsigned char foot[ARTPACK_BUNDLE_FOOTER_SIZE];
    ap_footer f;
    f.last_segment = segment_at;
    f.articles = (uint32_t)w->articles;
    f.max_content = w->max_content;
    f.max_frame = w->max_frame;
    ap_footer_write(foot, &f);
    AP_TRY(ap_barrier(w));
    AP_TRY(ap_emit(w, foot, sizeof foot));
    return ap_barrier(w);
}

/* Marks in seen the slots that map entries e[0..n) send articles k.. to
 * (count: the pending articles). ARTPACK_E_INDEX when one is outside or
 * taken. */
static artpack_error ap_map_mark(unsigned char *seen, uint64_t k, const unsigned char *e,
                                 size_t n, uint64_t count) {
    size_t i;
    for (i = 0; i + 1 < n; i += 2, k++) {
        unsigned v = (unsigned)e[i] | (unsigned)e[i + 1] << 8;
        int64_t slot = (int64_t)k + (v >= 0x8000u ? (int)v - 0x10000 : (int)v);
        AP_RETURN_IF(slot < 0 || (uint64_t)slot >= count || (seen[slot >> 3] >> (slot & 7) & 1),
                     ARTPACK_E_INDEX);
        seen[slot >> 3] |= (unsigned char)(1u << (slot & 7));
    }
    return ARTPACK_OK;
}

/* Before a commit: the pending block map (if any; a similar writer's part
 * of it in the spill) covers every pending article; when blocks of a bundle
 * with a map were copied, it sends every article to a slot of its own among
 * the pending ones (copy_block of such a bundle copied only some of its
 * blocks, else; the windows' maps are so as made). ARTPACK_E_INDEX. */
static artpack_error ap_check_map(artpack_bundle_writer *w) {
    uint64_t count = w->articles - w->segment_first, j = 0;
    uint64_t spilled = w->params.similar ? (w->spill_end - w->spill_pending) / 2 : 0;
    unsigned char *seen, *buf = NULL;
    artpack_error err = ARTPACK_OK;
    AP_RETURN_IF(w->placed != w->articles, ARTPACK_E_INDEX);
    if (w->map.len == 0 && spilled == 0) return ARTPACK_OK;
    AP_RETURN_IF(spilled + w->map.len != count * AP_MAP_ENTRY, ARTPACK_E_INDEX);
    if (!w->map_copied) return ARTPACK_OK;
    seen = (unsigned char *)w->mem.alloc(w->mem.opaque, (size_t)(count / 8 + 1));
    AP_RETURN_IF(seen == NULL, ARTPACK_E_ALLOC);
    memset(seen, 0, (size_t)(count / 8 + 1));
    if (spilled > 0) { /* the spilled pieces' map entries */
        buf = (unsigned char *)w->mem.alloc(w->mem.opaque, AP_SPILL_CHUNK);
        if (buf == NULL) err = ARTPACK_E_ALLOC;
    }
    while (err == ARTPACK_OK && j < spilled) {
        size_t n = spilled - j > AP_SPILL_CHUNK ? AP_SPILL_CHUNK : (size_t)(spilled - j);
        err = ap_spill_get(w, w->spill_pending + 2 * j + n, buf, n);
        if (err == ARTPACK_OK) err = ap_map_mark(seen, j / AP_MAP_ENTRY, buf, n, count);
        j += n;
    }
    if (err == ARTPACK_OK)
        err = ap_map_mark(seen, spilled / AP_MAP_ENTRY, w->map.p, w->map.len, count);
    if (buf != NULL) w->mem.free(w->mem.opaque, buf);
    w->mem.free(w->mem.opaque, seen);
    return err;
}

artpack_error artpack_bundle_writer_commit(artpack_bundle_writer *w) {
    unsigned char head[AP_SEGMENT_HEAD], sum[4], chunk[8];
    unsigned char table[AP_LIVE_MAX * AP_LIVE_ENTRY];
    uint64_t segment_at, payload;
    ap_segment s;
    ap_wlive merged;
    ap_xxh32_state st;
    uint32_t keep, i;
    artpack_error err;
    AP_RETURN_IF(w == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    AP_TRY(ap_window_flush(w));
    AP_TRY(ap_flush_all(w));
    AP_TRY(ap_check_map(w));
    if (w->entries.len == 0 && w->prev_segment != 0) return ARTPACK_OK; /* nothing new */
    memset(&merged, 0, sizeof merged);
    err = ap_merge_pending(w, &merged);
    if (err != ARTPACK_OK) goto fail;
    for (keep = 0; keep < w->nlive && w->live[keep].at.first < merged.at.first; keep++) {
    }
    if (keep > AP_LIVE_MAX) { err = ARTPACK_E_TOO_LARGE; goto fail; } /* cannot happen */
    ap_commit_segment(w, &merged, keep, &s);
    ap_segment_head_write(head, &s);
    for (i = 0; i < keep; i++) ap_live_write(table + (size_t)i * AP_LIVE_ENTRY, &w->live[i].at);
    payload = ap_segment_payload(keep, merged.blocks, merged.count,
                                 merged.map.len != 0 || merged.paired);
    if (payload > 0xFFFFFFFFu) { err = ARTPACK_E_TOO_LARGE; goto fail; }
    segment_at = w->offset;
    ap_write_le32(chunk, AP_CHUNK_INDEX);
    ap_write_le32(chunk + 4, (uint32_t)payload);
    ap_xxh32_reset(&st);
    err = ap_emit(w, chunk, 8);
    if (err == ARTPACK_OK) err = ap_emit_summed(w, &st, head, sizeof head);
    if (err == ARTPACK_OK) err = ap_emit_summed(w, &st, table, (size_t)keep * AP_LIVE_ENTRY);
    if (err == ARTPACK_OK) err = ap_emit_summed(w, &st, merged.entries.p, merged.entries.len);
    if (err == ARTPACK_OK) err = ap_emit_hashes(w, &st, &merged);
    if (err == ARTPACK_OK) err = ap_emit_map(w, &st, &merged);
    if (err != ARTPACK_OK) w->failed = 1; /* a segment written in part */
    ap_write_le32(sum, ap_xxh32_digest(&st));
    if (err == ARTPACK_OK) err = ap_emit(w, sum, 4);
    /* the footer last: until it is written, the previous one stands */
    if (err == ARTPACK_OK) err = ap_commit_footer(w, segment_at);
    if (err != ARTPACK_OK) goto fail;
    /* the merged segments are dead: the new one replaces them */
    for (i = keep; i < w->nlive; i++) {
        ap_vec_free(&w->mem, &w->live[i].entries);
        ap_vec_free(&w->mem, &w->live[i].hashes);
        ap_vec_free(&w->mem, &w->live[i].map);
    }
    merged.at.offset = segment_at;
    w->live[keep] = merged;
    w->nlive = keep + 1;
    w->prev_segment = segment_at;
    w->segment_first = w->articles;
    w->segment_first_block = w->blocks;
    w->entries.len = 0;
    w->hashes.len = 0;
    w->map.len = 0;
    w->map_copied = 0;
    w->spill_pending = w->spill_end;
    return ARTPACK_OK;
fail:
    ap_vec_free(&w->mem, &merged.entries);
    ap_vec_free(&w->mem, &merged.hashes);
    ap_vec_free(&w->mem, &merged.map);
    return err;
}

/* Hashes of the ids of the records in a block's content (as ap_load_block
 * checked it). */
static artpack_error ap_hash_block(artpack_bundle_writer *w, const unsigned char *content,
                                   size_t size, uint32_t *count) {
    ap_block blk;
    ap_block_iter it;
    const unsigned char *rec;
    size_t len;
    AP_TRY(ap_block_parse(&blk, content, size, NULL));
    ap_block_iter_init(&it, &blk);
    while (ap_block_iter_next(&it, &rec, &len)) {
        artpack_article a;
        unsigned h;
        unsigned char hb[2];
        AP_RETURN_IF(artpack_record_decode(&a, rec, len, NULL) != ARTPACK_OK, ARTPACK_E_BLOCK);
        h = ap_bundle_id_hash(a.id.ptr ? a.id.ptr : "", a.id.len);
        hb[0] = (unsigned char)h;
        hb[1] = (unsigned char)(h >> 8);
        AP_TRY(ap_vec_put(&w->mem, &w->hashes, hb, 2));
    }
    *count = blk.count;
    return ARTPACK_OK;
}

/* Similar: the block map entries of src's articles first .. first + count
 * (first: the copied block's first slot), and their id hashes from src's
 * index over those of the block's records (from hashes_at in w->hashes):
 * when all of src's blocks are copied in order, src's whole map, which holds
 * as it is (slots and articles move together), and its hashes in article
 * order. 0s when src has no map. */
static artpack_error ap_copy_map(artpack_bundle_writer *w, artpack_bundle_reader *src,
                                 uint64_t first, uint32_t count, size_t hashes_at) {
    uint32_t k;
    unsigned char *e;
    if (ap_bundle_reader_info(src)->similar) { /* the ids of those articles, not of the block's */
        w->map_copied = 1;
        for (k = 0; k < count; k++)
            AP_TRY(ap_bundle_reader_id_hash(src, first + k, w->hashes.p + hashes_at + 2 * (size_t)k));
    }
    AP_TRY(ap_vec_reserve(&w->mem, &w->map, (size_t)count * AP_MAP_ENTRY));
    e = w->map.p + w->map.len;
    for (k = 0; k < count; k++) {
        uint64_t slot = first + k;
        unsigned d;
        if (ap_bundle_reader_info(src)->similar) AP_TRY(artpack_bundle_slot(src, first + k, &slot));
        AP_RETURN_IF(slot - (first + k) + 32768u > 65535u, ARTPACK_E_INDEX);
        d = (unsigned)(slot - (first + k)) & 0xFFFFu;
        e[2 * k] = (unsigned char)d;
        e[2 * k + 1] = (unsigned char)(d >> 8);
    }
    w->map.len += (size_t)count * AP_MAP_ENTRY;
    return ARTPACK_OK;
}

/* What copying a block of src into w needs: the same codec, layout and
 * dictionary (a block map only into a similar writer); what was added
 * before written out. */
static artpack_error ap_copy_check(artpack_bundle_writer *w, artpack_bundle_reader *src) {
    const artpack_bundle_info *si;
    AP_RETURN_IF(w == NULL || src == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    si = ap_bundle_reader_info(src);
    AP_RETURN_IF(si->codec != w->params.codec || si->columns != (w->params.columns != 0) ||
                     si->words != (w->words != NULL),
                 ARTPACK_E_PARAM);
    AP_RETURN_IF(si->dict_id != (w->has_dict ? w->dict.id : 0), ARTPACK_E_WRONG_DICT);
    AP_RETURN_IF(si->similar && !w->params.similar, ARTPACK_E_PARAM);
    AP_TRY(ap_window_flush(w));
    return ap_flush_all(w);
}

/* Writes a copied block's frame and index entry (its count hashes are
 * pending from mark on, its map entries from map_mark: dropped again on
 * failure). content: its content as the reader holds it, for the largest. */
static artpack_error ap_copy_emit(artpack_bundle_writer *w, const unsigned char *frame,
                                  size_t frame_size, uint32_t count, size_t content, size_t mark,
                                  size_t map_mark) {
    unsigned char entry[AP_BLOCK_ENTRY];
    artpack_error err = ARTPACK_OK;
    if (w->articles + count >= 0xFFFFFFFFu) err = ARTPACK_E_TOO_LARGE;
    ap_write_le64(entry, w->offset);
    ap_write_le32(entry + 8, (uint32_t)frame_size);
    ap_write_le32(entry + 12, (uint32_t)(w->articles - w->segment_first));
    if (err == ARTPACK_OK) err = ap_vec_put(&w->mem, &w->entries, entry, sizeof entry);
    if (err == ARTPACK_OK) {
        err = ap_emit(w, frame, frame_size);
        if (err != ARTPACK_OK) w->entries.len -= sizeof entry;
    }
    if (err != ARTPACK_OK) {
        w->hashes.len = mark;
        w->map.len = map_mark;
        return err;
    }
    w->articles += count;
    w->placed += count;
    w->blocks++;
    if (content > w->max_content) w->max_content = (uint32_t)content;
    if (frame_size > w->max_frame) w->max_frame = (uint32_t)frame_size;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_copy_block(artpack_bundle_writer *w, artpack_bundle_reader *src,
                                               uint64_t b) {
    const unsigned char *frame = NULL, *content = NULL;
    size_t frame_size = 0, content_size = 0, mark, map_mark;
    uint64_t frame_offset = 0;
    uint32_t count = 0;
    artpack_error err;
    AP_TRY(ap_copy_check(w, src));
    AP_TRY(ap_bundle_reader_content(src, b, &content, &content_size, &frame_offset, &frame_size));
    AP_TRY(ap_spill_maybe(w));
    mark = w->hashes.len;
    map_mark = w->map.len;
    err = ap_hash_block(w, content, content_size, &count);
    if (err == ARTPACK_OK && w->params.similar)
        err = ap_copy_map(w, src, ap_bundle_reader_first(src), count, mark);
    if (err == ARTPACK_OK) err = ap_bundle_reader_raw(src, frame_offset, frame_size, &frame);
    if (err != ARTPACK_OK) {
        w->hashes.len = mark;
        w->map.len = map_mark;
        return err;
    }
    if (content_size < ap_bundle_reader_decoded(src)) content_size = ap_bundle_reader_decoded(src);
    return ap_copy_emit(w, frame, frame_size, count, content_size, mark, map_mark);
}

artpack_error artpack_bundle_writer_copy_block_undecoded(artpack_bundle_writer *w,
                                                         artpack_bundle_reader *src, uint64_t b) {
    const unsigned char *frame = NULL;
    ap_stored st;
    size_t mark, map_mark;
    artpack_error err;
    AP_TRY(ap_copy_check(w, src));
    /* a block map: copied by the decoded path, which knows the block's slots */
    if (ap_bundle_reader_info(src)->similar) return artpack_bundle_writer_copy_block(w, src, b);
    AP_TRY(ap_bundle_reader_stored(src, b, &st, &frame));
    AP_TRY(ap_spill_maybe(w));
    mark = w->hashes.len;
    map_mark = w->map.len;
    /* the ids' hashes as src's index has them (its count: at most 65,536) */
    AP_TRY(ap_vec_reserve(&w->mem, &w->hashes, (size_t)st.count * 2));
    err = ap_bundle_reader_read(src, st.hashes_at, w->hashes.p + mark, (size_t)st.count * 2);
    if (err != ARTPACK_OK) return err;
    w->hashes.len += (size_t)st.count * 2;
    if (w->params.similar) { /* src has no map: "slot = article" for its articles */
        err = ap_copy_map(w, src, 0, st.count, mark);
        if (err != ARTPACK_OK) {
            w->hashes.len = mark;
            w->map.len = map_mark;
            return err;
        }
    }
    /* its content is not known undecoded: src's largest bounds it */
    return ap_copy_emit(w, frame, st.frame_size, st.count,
                        (size_t)ap_bundle_reader_info(src)->max_block_content, mark, map_mark);
}

#endif /* ARTPACK_NO_ALLOC */
