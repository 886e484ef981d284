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

#include "bundle_format.h"

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

struct artpack_bundle_writer {
    artpack_bundle_params params;
    artpack_dict dict;
    int has_dict;
    artpack_allocator mem;
    artpack_write_fn write;
    void *opaque;
    uint64_t offset;          /* bytes in the output so far */
    /* compression */
    ZSTD_CCtx *cctx;          /* zstd blocks: standard frames */
    void *cdict_mem;
    const ZSTD_CDict *cdict;
    artpack_compressor *comp; /* LZ4 and stored blocks: artpack frames */
    /* the block being filled */
    ap_vec records;           /* concatenated */
    ap_vec sizes;             /* varints */
    uint32_t block_records;
    ap_vec content, frame;    /* scratch for a block */
    /* since the last commit */
    ap_vec entries;           /* AP_BLOCK_ENTRY each */
    ap_vec hashes;            /* u16 per article */
    uint64_t segment_first;   /* the first article of the coming segment */
    uint64_t articles;        /* all articles, committed or not */
    uint64_t prev_segment;    /* 0: none yet */
    uint32_t max_content, max_frame;
    int failed;               /* a write failed: the writer is unusable */
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

static artpack_error ap_zstd_setup(artpack_bundle_writer *w) {
    w->cctx = ZSTD_createCCtx_advanced(ap_zstd_mem(&w->mem));
    AP_RETURN_IF(w->cctx == NULL, ARTPACK_E_ALLOC);
    AP_RETURN_IF(ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
                                                     w->params.level)) ||
                     ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)) ||
                     ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1)),
                 ARTPACK_E_COMPRESS);
    if (w->has_dict) {
        AP_TRY(ap_zstd_cdict(&w->mem, &w->dict, w->params.level, w->params.block_size,
                             &w->cdict_mem, &w->cdict));
        AP_RETURN_IF(ZSTD_isError(ZSTD_CCtx_refCDict(w->cctx, w->cdict)), ARTPACK_E_COMPRESS);
    }
    return ARTPACK_OK;
}

static artpack_error ap_write_header(artpack_bundle_writer *w) {
    unsigned char p[AP_HEADER_PAYLOAD];
    memset(p, 0, sizeof p);
    memcpy(p, "APKB", 4);
    p[4] = 1; /* version */
    p[5] = (unsigned char)w->params.codec;
    p[6] = (unsigned char)(w->params.embed_dict && w->has_dict ? 1 : 0);
    p[7] = (unsigned char)w->params.level;
    ap_write_le32(p + 8, w->has_dict ? w->dict.id : 0);
    ap_write_le32(p + 12, (uint32_t)w->params.block_size);
    ap_write_le32(p + 20, ap_bundle_checksum(p, 20));
    AP_TRY(ap_emit_chunk_head(w, AP_CHUNK_HEADER, sizeof p));
    return ap_emit(w, p, sizeof p);
}

/* The dictionary chunk: u32 size, then the dictionary as a zstd frame. */
static artpack_error ap_write_dict(artpack_bundle_writer *w) {
    ZSTD_CCtx *c;
    size_t bound = ZSTD_compressBound(w->dict.size), n;
    unsigned char head[4];
    artpack_error err;
    AP_TRY(ap_vec_reserve(&w->mem, &w->frame, bound));
    c = ZSTD_createCCtx_advanced(ap_zstd_mem(&w->mem));
    AP_RETURN_IF(c == NULL, ARTPACK_E_ALLOC);
    n = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, AP_ZSTD_LEVEL_DEFAULT);
    if (!ZSTD_isError(n)) n = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(n)) n = ZSTD_compress2(c, w->frame.p, bound, w->dict.data, w->dict.size);
    ZSTD_freeCCtx(c);
    if (ZSTD_isError(n)) return ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation
                                   ? ARTPACK_E_ALLOC : ARTPACK_E_COMPRESS;
    ap_write_le32(head, (uint32_t)w->dict.size);
    err = ap_emit_chunk_head(w, AP_CHUNK_DICT, 4 + n);
    if (err == ARTPACK_OK) err = ap_emit(w, head, 4);
    if (err == ARTPACK_OK) err = ap_emit(w, w->frame.p, n);
    return err;
}

artpack_error artpack_bundle_writer_create(artpack_bundle_writer **out,
                                           const artpack_bundle_params *params,
                                           const artpack_dict *dict,
                                           const artpack_allocator *allocator,
                                           artpack_write_fn write, void *opaque);

static void ap_writer_destroy(artpack_bundle_writer *w) {
    artpack_allocator m;
    if (w == NULL) return;
    m = w->mem;
    ZSTD_freeCCtx(w->cctx);
    if (w->cdict_mem) m.free(m.opaque, w->cdict_mem);
    artpack_compressor_free(w->comp);
    ap_vec_free(&m, &w->records);
    ap_vec_free(&m, &w->sizes);
    ap_vec_free(&m, &w->content);
    ap_vec_free(&m, &w->frame);
    ap_vec_free(&m, &w->entries);
    ap_vec_free(&m, &w->hashes);
    m.free(m.opaque, w);
}

void artpack_bundle_writer_free(artpack_bundle_writer *w) { ap_writer_destroy(w); }

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
    if (p.block_size == 0) p.block_size = ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT;
    AP_TRY(ap_check_level(p.codec, p.level, &p.level));
    AP_RETURN_IF(p.block_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX, ARTPACK_E_PARAM);
    AP_RETURN_IF(dict != NULL && (dict->data == NULL || dict->size == 0 || dict->id == 0),
                 ARTPACK_E_DICT);
    AP_RETURN_IF(p.embed_dict && dict == NULL, ARTPACK_E_NEED_DICT);
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
    if (p.codec == ARTPACK_CODEC_ZSTD) {
        err = ap_zstd_setup(w);
    } else {
        artpack_compress_params cp;
        memset(&cp, 0, sizeof cp);
        cp.codec = p.codec;
        cp.level = p.codec == ARTPACK_CODEC_LZ4 ? p.level : 0;
        cp.checksum = 1;
        cp.frame_dict_id = 0; /* the header names the dictionary */
        err = artpack_compressor_create(&w->comp, &cp, w->has_dict ? &w->dict : NULL, &w->mem);
    }
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

artpack_error artpack_bundle_appender_open(artpack_bundle_writer **out,
                                           const artpack_bundle_info *info,
                                           const artpack_dict *dict,
                                           const artpack_allocator *allocator,
                                           artpack_write_fn write, void *opaque) {
    artpack_bundle_params p;
    artpack_bundle_writer *w;
    AP_RETURN_IF(out == NULL || info == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    AP_RETURN_IF(info->dict_id != 0 && dict == NULL, ARTPACK_E_NEED_DICT);
    AP_RETURN_IF(info->dict_id != 0 && dict->id != info->dict_id, ARTPACK_E_WRONG_DICT);
    memset(&p, 0, sizeof p);
    p.codec = info->codec;
    p.level = info->level;
    p.block_size = info->block_size;
    AP_TRY(ap_writer_new(&w, &p, info->dict_id != 0 ? dict : NULL, allocator, write, opaque));
    w->offset = info->end_offset;
    w->articles = info->article_count;
    w->segment_first = info->article_count;
    w->prev_segment = info->last_segment;
    w->max_content = (uint32_t)info->max_block_content;
    w->max_frame = (uint32_t)info->max_block_frame;
    *out = w;
    return ARTPACK_OK;
}

/* Compresses and writes the block being filled. */
static artpack_error ap_flush_block(artpack_bundle_writer *w) {
    unsigned char head[ARTPACK_VARINT_MAX], entry[AP_BLOCK_ENTRY];
    size_t hn, content, frame;
    uint64_t at = w->offset;
    if (w->block_records == 0) return ARTPACK_OK;
    /* content: varint count, varint sizes, records */
    hn = artpack_varint_write(head, sizeof head, w->block_records);
    w->content.len = 0;
    AP_TRY(ap_vec_put(&w->mem, &w->content, head, hn));
    AP_TRY(ap_vec_put(&w->mem, &w->content, w->sizes.p, w->sizes.len));
    AP_TRY(ap_vec_put(&w->mem, &w->content, w->records.p, w->records.len));
    content = w->content.len;
    AP_RETURN_IF(content > 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    if (w->params.codec == ARTPACK_CODEC_ZSTD) {
        size_t bound = ZSTD_compressBound(content), r;
        AP_TRY(ap_vec_reserve(&w->mem, &w->frame, bound));
        r = ZSTD_compress2(w->cctx, w->frame.p, bound, w->content.p, content);
        if (ZSTD_isError(r))
            return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? ARTPACK_E_ALLOC
                                                                         : ARTPACK_E_COMPRESS;
        frame = r;
        AP_TRY(ap_emit(w, w->frame.p, frame));
    } else {
        size_t bound = ARTPACK_FRAME_BOUND(content);
        AP_TRY(ap_vec_reserve(&w->mem, &w->frame, bound));
        AP_TRY(artpack_frame_compress(w->comp, w->frame.p, bound, w->content.p, content, &frame));
        AP_TRY(ap_emit_chunk_head(w, AP_CHUNK_BLOCK, frame));
        AP_TRY(ap_emit(w, w->frame.p, frame));
        frame += 8;
    }
    AP_RETURN_IF(frame > 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    ap_write_le64(entry, at);
    ap_write_le32(entry + 8, (uint32_t)frame);
    ap_write_le32(entry + 12, (uint32_t)(w->articles - w->block_records - w->segment_first));
    AP_TRY(ap_vec_put(&w->mem, &w->entries, entry, sizeof entry));
    if (content > w->max_content) w->max_content = (uint32_t)content;
    if (frame > w->max_frame) w->max_frame = (uint32_t)frame;
    w->records.len = 0;
    w->sizes.len = 0;
    w->block_records = 0;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_add(artpack_bundle_writer *w, const void *record, size_t size) {
    artpack_article a;
    unsigned char v[ARTPACK_VARINT_MAX], h[2];
    unsigned hash;
    size_t vn;
    AP_RETURN_IF(w == NULL || (record == NULL && size != 0), ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    AP_TRY(artpack_record_decode(&a, record, size, NULL));
    AP_RETURN_IF(w->articles >= 0xFFFFFFFFu, ARTPACK_E_TOO_LARGE);
    if (w->block_records > 0 && w->records.len + size > w->params.block_size)
        AP_TRY(ap_flush_block(w));
    hash = ap_bundle_id_hash(a.id.ptr ? a.id.ptr : "", a.id.len);
    h[0] = (unsigned char)hash;
    h[1] = (unsigned char)(hash >> 8);
    vn = artpack_varint_write(v, sizeof v, size);
    AP_TRY(ap_vec_reserve(&w->mem, &w->hashes, 2));
    AP_TRY(ap_vec_reserve(&w->mem, &w->sizes, vn));
    AP_TRY(ap_vec_put(&w->mem, &w->records, record, size));
    (void)ap_vec_put(&w->mem, &w->sizes, v, vn);   /* reserved above: cannot fail */
    (void)ap_vec_put(&w->mem, &w->hashes, h, 2);
    w->block_records++;
    w->articles++;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_commit(artpack_bundle_writer *w) {
    unsigned char head[AP_SEGMENT_HEAD], foot[AP_FOOTER_PAYLOAD], sum[4];
    uint64_t segment_at;
    size_t nblocks, payload;
    ap_xxh32_state st;
    AP_RETURN_IF(w == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    AP_TRY(ap_flush_block(w));
    if (w->entries.len == 0 && w->prev_segment != 0) return ARTPACK_OK; /* nothing new */
    nblocks = w->entries.len / AP_BLOCK_ENTRY;
    memset(head, 0, sizeof head);
    ap_write_le64(head, w->prev_segment);
    ap_write_le64(head + 8, w->segment_first);
    ap_write_le32(head + 16, (uint32_t)(w->articles - w->segment_first));
    ap_write_le32(head + 20, (uint32_t)nblocks);
    ap_write_le32(head + 24, w->max_content);
    ap_write_le32(head + 28, w->max_frame);
    payload = sizeof head + w->entries.len + w->hashes.len + 4;
    ap_xxh32_reset(&st);
    ap_xxh32_update(&st, head, sizeof head);
    ap_xxh32_update(&st, w->entries.p, w->entries.len);
    ap_xxh32_update(&st, w->hashes.p, w->hashes.len);
    ap_write_le32(sum, ap_xxh32_digest(&st));
    segment_at = w->offset;
    AP_TRY(ap_emit_chunk_head(w, AP_CHUNK_INDEX, payload));
    AP_TRY(ap_emit(w, head, sizeof head));
    AP_TRY(ap_emit(w, w->entries.p, w->entries.len));
    AP_TRY(ap_emit(w, w->hashes.p, w->hashes.len));
    AP_TRY(ap_emit(w, sum, 4));
    /* the footer last: until it is written, the previous one stands */
    ap_write_le64(foot, segment_at);
    ap_write_le32(foot + 8, (uint32_t)w->articles);
    ap_write_le32(foot + 12, w->max_content);
    ap_write_le32(foot + 16, w->max_frame);
    ap_write_le32(foot + 20, ap_bundle_checksum(foot, 20));
    AP_TRY(ap_emit_chunk_head(w, AP_CHUNK_FOOTER, sizeof foot));
    AP_TRY(ap_emit(w, foot, sizeof foot));
    w->prev_segment = segment_at;
    w->segment_first = w->articles;
    w->entries.len = 0;
    w->hashes.len = 0;
    return ARTPACK_OK;
}

/* Hashes of the ids of the records in a block's content (as ap_load_block
 * checked it). */
static artpack_error ap_hash_block(artpack_bundle_writer *w, const unsigned char *content,
                                   size_t size, uint32_t *count) {
    ap_reader rd;
    uint64_t n, k, len, pos;
    rd.base = content;
    rd.size = size;
    rd.pos = 0;
    AP_RETURN_IF(ap_read_varint(&rd, &n) != ARTPACK_OK || n == 0 || n > 0xFFFFFFFFu,
                 ARTPACK_E_BLOCK);
    pos = 0;
    {
        ap_reader sizes = rd;
        for (k = 0; k < n; k++) AP_RETURN_IF(ap_read_varint(&sizes, &len), ARTPACK_E_BLOCK);
        pos = sizes.pos;
    }
    for (k = 0; k < n; k++) {
        artpack_article a;
        unsigned h;
        unsigned char hb[2];
        (void)ap_read_varint(&rd, &len);
        AP_RETURN_IF(len > size - pos, ARTPACK_E_BLOCK);
        AP_RETURN_IF(artpack_record_decode(&a, content + pos, (size_t)len, NULL) != ARTPACK_OK,
                     ARTPACK_E_BLOCK);
        h = ap_bundle_id_hash(a.id.ptr ? a.id.ptr : "", a.id.len);
        hb[0] = (unsigned char)h;
        hb[1] = (unsigned char)(h >> 8);
        AP_TRY(ap_vec_put(&w->mem, &w->hashes, hb, 2));
        pos += len;
    }
    *count = (uint32_t)n;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_writer_copy_block(artpack_bundle_writer *w, artpack_bundle_reader *src,
                                               uint64_t b) {
    const artpack_bundle_info *si;
    const unsigned char *frame = NULL, *content = NULL;
    size_t frame_size = 0, content_size = 0, mark;
    uint64_t frame_offset = 0;
    unsigned char entry[AP_BLOCK_ENTRY];
    uint32_t count = 0;
    artpack_error err;
    AP_RETURN_IF(w == NULL || src == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(w->failed, ARTPACK_E_WRITE);
    si = ap_bundle_reader_info(src);
    AP_RETURN_IF(si->codec != w->params.codec, ARTPACK_E_PARAM);
    AP_RETURN_IF(si->dict_id != (w->has_dict ? w->dict.id : 0), ARTPACK_E_WRONG_DICT);
    AP_TRY(ap_flush_block(w));
    AP_TRY(ap_bundle_reader_content(src, b, &content, &content_size, &frame_offset, &frame_size));
    mark = w->hashes.len;
    err = ap_hash_block(w, content, content_size, &count);
    if (err == ARTPACK_OK && w->articles + count >= 0xFFFFFFFFu) err = ARTPACK_E_TOO_LARGE;
    if (err == ARTPACK_OK) err = ap_bundle_reader_raw(src, frame_offset, frame_size, &frame);
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
        return err;
    }
    w->articles += count;
    if (content_size > w->max_content) w->max_content = (uint32_t)content_size;
    if (frame_size > w->max_frame) w->max_frame = (uint32_t)frame_size;
    return ARTPACK_OK;
}

#endif /* ARTPACK_NO_ALLOC */
