/* bundle_read.c - read bundles through a read callback, in a workspace the
 * caller gives (docs/FORMAT.md "Bundle"). Every size read from the file is
 * checked against what the header and footer declared, and those against the
 * workspace, before it is used. */
#include <string.h>

#ifndef ARTPACK_NO_ZSTD
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#endif

#include "bundle_format.h"

static artpack_error ap_rd(artpack_read_fn read, void *opaque, uint64_t off, void *dst, size_t n) {
    AP_RETURN_IF(n != 0 && read(opaque, off, dst, n) != 0, ARTPACK_E_READ);
    return ARTPACK_OK;
}

/* ---- segments ---- */

/* Reads and checks the fixed part of the segment chunk at off (not its
 * checksum: verify does that). limit: where the segment must end by. */
static artpack_error ap_read_segment(artpack_read_fn read, void *opaque, uint64_t off,
                                     uint64_t limit, ap_segment *s) {
    unsigned char h[8 + AP_SEGMENT_HEAD];
    AP_RETURN_IF(off < AP_HEADER_CHUNK || off > limit || limit - off < sizeof h, ARTPACK_E_INDEX);
    AP_TRY(ap_rd(read, opaque, off, h, sizeof h));
    return ap_segment_head_read(h, off, limit, s);
}

/* The footer chunk at off, if valid, with the segment right before it. */
static artpack_error ap_read_footer(artpack_read_fn read, void *opaque, uint64_t off,
                                    artpack_bundle_info *info) {
    unsigned char f[ARTPACK_BUNDLE_FOOTER_SIZE];
    ap_footer ft;
    ap_segment s;
    AP_TRY(ap_rd(read, opaque, off, f, sizeof f));
    AP_TRY(ap_footer_read(f, &ft));
    info->last_segment = ft.last_segment;
    info->article_count = ft.articles;
    info->max_block_content = ft.max_content;
    info->max_block_frame = ft.max_frame;
    info->end_offset = off + sizeof f;
    AP_TRY(ap_read_segment(read, opaque, info->last_segment, off, &s));
    AP_RETURN_IF(s.end != off || s.first + s.count != info->article_count ||
                     s.max_content != info->max_block_content || s.max_frame != info->max_block_frame,
                 ARTPACK_E_INDEX);
    info->block_count = s.first_block + s.blocks;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_info_get(artpack_bundle_info *dst, artpack_read_fn read,
                                      void *opaque, uint64_t file_size) {
    unsigned char h[AP_HEADER_CHUNK];
    ap_bundle_header hd;
    artpack_error err;
    AP_RETURN_IF(dst == NULL || read == NULL, ARTPACK_E_NULL_ARG);
    memset(dst, 0, sizeof *dst);
    AP_RETURN_IF(file_size < AP_HEADER_CHUNK + ARTPACK_BUNDLE_FOOTER_SIZE, ARTPACK_E_BUNDLE);
    AP_TRY(ap_rd(read, opaque, 0, h, sizeof h));
    AP_TRY(ap_header_read(h, &hd));
    dst->codec = hd.codec;
    dst->dict_embedded = hd.dict_embedded;
    dst->level = hd.level;
    dst->dict_id = hd.dict_id;
    dst->block_size = hd.block_size;
    if (dst->dict_embedded) {
        unsigned char d[AP_DICT_CHUNK_HEAD];
        size_t frame;
        AP_RETURN_IF(file_size < AP_HEADER_CHUNK + sizeof d, ARTPACK_E_BUNDLE);
        AP_TRY(ap_rd(read, opaque, AP_HEADER_CHUNK, d, sizeof d));
        AP_TRY(ap_dict_chunk_read(d, file_size - AP_HEADER_CHUNK, &dst->dict_size, &frame));
        dst->dict_offset = AP_HEADER_CHUNK;
        dst->dict_chunk_size = frame + AP_DICT_CHUNK_HEAD;
    }
    /* the footer: at the end, or, after an interrupted append, the last valid
     * one before it (a footer is only valid with its segment right before) */
    err = ap_read_footer(read, opaque, file_size - ARTPACK_BUNDLE_FOOTER_SIZE, dst);
    if (err == ARTPACK_E_READ) return err;
    if (err != ARTPACK_OK) {
        unsigned char win[248 + 8]; /* small: readers run on small stacks */
        uint64_t hi = file_size - ARTPACK_BUNDLE_FOOTER_SIZE; /* candidates below hi */
        err = ARTPACK_E_INDEX;
        while (err != ARTPACK_OK && hi > AP_HEADER_CHUNK) {
            uint64_t lo = hi > AP_HEADER_CHUNK + 248 ? hi - 248 : AP_HEADER_CHUNK;
            size_t n = (size_t)(hi - lo) + 8, i;
            AP_TRY(ap_rd(read, opaque, lo, win, n));
            for (i = n - 8 + 1; i-- > 0 && err != ARTPACK_OK;) {
                if (ap_read_le32(win + i) != AP_CHUNK_FOOTER ||
                    ap_read_le32(win + i + 4) != AP_FOOTER_PAYLOAD ||
                    lo + i + ARTPACK_BUNDLE_FOOTER_SIZE > file_size)
                    continue;
                err = ap_read_footer(read, opaque, lo + i, dst);
                if (err == ARTPACK_E_READ) return err;
            }
            hi = lo;
        }
        AP_RETURN_IF(err != ARTPACK_OK, ARTPACK_E_INDEX);
        dst->recovered_footer = 1;
    }
    AP_RETURN_IF(dst->article_count != 0 && dst->max_block_content == 0, ARTPACK_E_INDEX);
    AP_RETURN_IF(dst->dict_embedded && dst->dict_offset + dst->dict_chunk_size > dst->last_segment,
                 ARTPACK_E_INDEX);
    return ARTPACK_OK;
}

/* ---- the reader ---- */

struct artpack_bundle_reader {
    artpack_bundle_info info;
    artpack_read_fn read;    /* one of read and map */
    artpack_map_fn map;
    void *opaque;            /* read's */
    void *map_opaque;
    artpack_dict dict;
    int has_dict;
    unsigned char *buf;      /* the block buffer */
    size_t buf_size;
    uint32_t *marks;         /* the loaded block's record positions */
    size_t marks_size;       /* entries */
#ifndef ARTPACK_NO_ZSTD
    ZSTD_DCtx *dctx;         /* zstd blocks (and the embedded dictionary) */
    const ZSTD_DDict *ddict;
#endif
    /* the live segments in article order, the last one included; an entry
     * past the last tells where the bundle ends */
    ap_live live[AP_LIVE_MAX + 2];
    uint32_t nlive;
    ap_segment seg;          /* the segment last used: live[seg_i] */
    uint32_t seg_i;
    int have_seg;
    int have_block;
    uint64_t blk_seg;        /* the cached block: its segment, entry, articles */
    uint32_t blk_index, blk_seg_i;
    uint64_t blk_first;
    uint32_t blk_count;
    ap_block blk;            /* its content, parsed */
};

/* Entries of the marks table for any block of this bundle. */
static size_t ap_marks_size(const artpack_bundle_info *info) {
    size_t most = info->max_block_content / 2; /* a record and its size: 2 bytes or more */
    if (most > AP_BLOCK_ARTICLES_MAX) most = AP_BLOCK_ARTICLES_MAX;
    return ap_block_marks(most ? most : 1);
}

static size_t ap_buf_size(const artpack_bundle_info *info, int load_dict, int mapped) {
    size_t content = info->max_block_content, frame = info->max_block_frame, n;
    if (mapped) return content ? content : 1; /* blocks are decompressed from the map */
#ifndef ARTPACK_NO_ZSTD
    if (info->codec == ARTPACK_CODEC_ZSTD)
        n = content + ZSTD_DECOMPRESSION_MARGIN(content, ZSTD_BLOCKSIZE_MAX);
    else
#endif
        n = content + (frame >> 8) + 64; /* LZ4 in place, the frame's header and checksum */
    if (n < frame) n = frame;
    if (load_dict && info->dict_embedded && n < info->dict_chunk_size) n = info->dict_chunk_size;
    return n;
}

static size_t ap_workspace_size(const artpack_bundle_info *info, int load_embedded_dict,
                                int mapped) {
    size_t n;
    int zstd, load;
    if (info == NULL) return 0;
    load = load_embedded_dict && info->dict_embedded;
    zstd = info->codec == ARTPACK_CODEC_ZSTD || load;
    n = AP_ALIGN16(sizeof(artpack_bundle_reader)) + AP_ALIGN16(ap_buf_size(info, load, mapped)) +
        AP_ALIGN16(ap_marks_size(info) * sizeof(uint32_t));
#ifndef ARTPACK_NO_ZSTD
    if (zstd) n += AP_ALIGN16(ZSTD_estimateDCtxSize()) + AP_DDICT_SIZE();
#else
    (void)zstd;
#endif
    if (load) n += AP_ALIGN16(info->dict_size);
    return n;
}

size_t artpack_bundle_reader_workspace_size(const artpack_bundle_info *info, int load_embedded_dict) {
    return ap_workspace_size(info, load_embedded_dict, 0);
}

size_t artpack_bundle_reader_workspace_size_mapped(const artpack_bundle_info *info,
                                                   int load_embedded_dict) {
    return ap_workspace_size(info, load_embedded_dict, 1);
}

static int ap_map_read(void *opaque, uint64_t off, void *dst, size_t n);

/* Reads the last segment's table of live segments into r->live and checks
 * that they cover the articles and blocks in order. */
static artpack_error ap_read_live(artpack_bundle_reader *r) {
    ap_segment last;
    uint32_t i;
    r->nlive = 0;
    if (r->info.last_segment == 0) return ARTPACK_E_INDEX;
    AP_TRY(ap_read_segment(r->read, r->opaque, r->info.last_segment, r->info.end_offset, &last));
    AP_RETURN_IF(last.first + last.count != r->info.article_count ||
                     last.first_block + last.blocks != r->info.block_count,
                 ARTPACK_E_INDEX);
    for (i = 0; i < last.live; i++) {
        unsigned char e[AP_LIVE_ENTRY];
        AP_TRY(ap_rd(r->read, r->opaque, ap_segment_live_at(&last) + (uint64_t)i * AP_LIVE_ENTRY, e,
                     sizeof e));
        ap_live_read(e, &r->live[i]);
        /* strictly after the previous one, in file order and in articles;
         * the first starts the bundle */
        AP_RETURN_IF(i == 0 ? r->live[0].first != 0 || r->live[0].first_block != 0
                            : r->live[i].offset <= r->live[i - 1].offset ||
                                  r->live[i].first <= r->live[i - 1].first ||
                                  r->live[i].first_block <= r->live[i - 1].first_block,
                     ARTPACK_E_INDEX);
        AP_RETURN_IF(r->live[i].offset < AP_HEADER_CHUNK || r->live[i].offset >= last.offset,
                     ARTPACK_E_INDEX);
    }
    AP_RETURN_IF(last.live > 0 && (r->live[last.live - 1].first >= last.first ||
                                   r->live[last.live - 1].first_block >= last.first_block),
                 ARTPACK_E_INDEX);
    r->live[last.live].offset = last.offset;
    r->live[last.live].first = last.first;
    r->live[last.live].first_block = last.first_block;
    r->live[last.live + 1].offset = r->info.end_offset;
    r->live[last.live + 1].first = r->info.article_count;
    r->live[last.live + 1].first_block = r->info.block_count;
    r->nlive = last.live + 1;
    r->seg = last;
    r->seg_i = last.live;
    r->have_seg = 1;
    return ARTPACK_OK;
}

/* Makes r->seg live segment i, checked against the live table. */
static artpack_error ap_use_segment(artpack_bundle_reader *r, uint32_t i) {
    const ap_live *l = &r->live[i];
    if (r->have_seg && r->seg_i == i) return ARTPACK_OK;
    r->have_seg = 0;
    AP_TRY(ap_read_segment(r->read, r->opaque, l->offset, r->info.end_offset, &r->seg));
    AP_RETURN_IF(r->seg.first != l->first || r->seg.first_block != l->first_block ||
                     r->seg.first + r->seg.count != l[1].first ||
                     r->seg.first_block + r->seg.blocks != l[1].first_block ||
                     (i + 1 < r->nlive && r->seg.end > r->live[r->nlive - 1].offset) ||
                     r->seg.max_content > r->info.max_block_content ||
                     r->seg.max_frame > r->info.max_block_frame,
                 ARTPACK_E_INDEX);
    r->seg_i = i;
    r->have_seg = 1;
    return ARTPACK_OK;
}

/* The live segment holding article n (by_block 0) or block n (by_block 1). */
static artpack_error ap_find_live(artpack_bundle_reader *r, uint64_t n, int by_block) {
    uint32_t lo = 0, hi = r->nlive;
    while (hi - lo > 1) { /* the last one that starts at or before n */
        uint32_t mid = lo + (hi - lo) / 2;
        if ((by_block ? r->live[mid].first_block : r->live[mid].first) <= n) lo = mid;
        else hi = mid;
    }
    return ap_use_segment(r, lo);
}

static artpack_error ap_reader_open(artpack_bundle_reader **out, void *workspace,
                                    size_t workspace_size, const artpack_bundle_info *info,
                                    const artpack_dict *dict, artpack_read_fn read,
                                    artpack_map_fn map, void *opaque) {
    unsigned char *ws = (unsigned char *)workspace;
    artpack_bundle_reader *r;
    size_t at, need;
    int load;
    AP_RETURN_IF(out == NULL || workspace == NULL || info == NULL || (read == NULL && map == NULL),
                 ARTPACK_E_NULL_ARG);
    *out = NULL;
    AP_RETURN_IF(((size_t)ws & 7u) != 0, ARTPACK_E_PARAM);
    load = dict == NULL && info->dict_embedded;
    AP_RETURN_IF(dict == NULL && info->dict_id != 0 && !info->dict_embedded, ARTPACK_E_NEED_DICT);
    AP_RETURN_IF(dict != NULL && info->dict_id != 0 && dict->id != info->dict_id,
                 ARTPACK_E_WRONG_DICT);
    AP_RETURN_IF(dict != NULL && info->dict_id != 0 && (dict->data == NULL || dict->size == 0),
                 ARTPACK_E_DICT);
    need = ap_workspace_size(info, load, map != NULL);
    AP_RETURN_IF(workspace_size < need, ARTPACK_E_WORKSPACE_TOO_SMALL);
    r = (artpack_bundle_reader *)(void *)ws;
    memset(r, 0, sizeof *r);
    r->info = *info;
    r->map = map;
    r->read = map != NULL ? ap_map_read : read;
    r->opaque = map != NULL ? (void *)r : opaque;
    r->map_opaque = opaque;
    at = AP_ALIGN16(sizeof *r);
    r->buf = ws + at;
    r->buf_size = ap_buf_size(info, load, map != NULL);
    at += AP_ALIGN16(r->buf_size);
    r->marks = (uint32_t *)(void *)(ws + at);
    r->marks_size = ap_marks_size(info);
    at += AP_ALIGN16(r->marks_size * sizeof(uint32_t));
#ifdef ARTPACK_NO_ZSTD
    AP_RETURN_IF(info->codec == ARTPACK_CODEC_ZSTD || load, ARTPACK_E_CODEC_UNAVAILABLE);
#else
    if (info->codec == ARTPACK_CODEC_ZSTD || load) {
        size_t dsize = AP_ALIGN16(ZSTD_estimateDCtxSize());
        r->dctx = ZSTD_initStaticDCtx(ws + at, dsize);
        AP_RETURN_IF(r->dctx == NULL, ARTPACK_E_WORKSPACE_TOO_SMALL);
        at += dsize;
        at += AP_DDICT_SIZE(); /* the DDict, below */
    }
#endif
#ifdef ARTPACK_NO_LZ4
    AP_RETURN_IF(info->codec == ARTPACK_CODEC_LZ4, ARTPACK_E_CODEC_UNAVAILABLE);
#endif
#ifndef ARTPACK_NO_ZSTD
    if (load) {
        /* the embedded dictionary: read its zstd frame into the block buffer,
         * decompress it behind everything else */
        unsigned char *d = ws + at;
        size_t frame = info->dict_chunk_size - 12, got;
        const void *src = r->buf;
        if (map != NULL) {
            src = map(opaque, info->dict_offset + 12, frame);
            AP_RETURN_IF(src == NULL, ARTPACK_E_READ);
        } else {
            AP_TRY(ap_rd(read, opaque, info->dict_offset + 12, r->buf, frame));
        }
        got = ZSTD_decompressDCtx(r->dctx, d, info->dict_size, src, frame);
        AP_RETURN_IF(ZSTD_isError(got) || got != info->dict_size, ARTPACK_E_DICT);
        AP_TRY(artpack_dict_load(&r->dict, d, got));
        AP_RETURN_IF(r->dict.id != info->dict_id, ARTPACK_E_DICT);
        r->has_dict = 1;
    } else
#endif
    if (dict != NULL && info->dict_id != 0) {
        r->dict = *dict;
        r->has_dict = 1;
    }
#if !defined(ARTPACK_NO_ZSTD) && defined(ARTPACK_ZSTD_NO_DDICT)
    AP_RETURN_IF(r->dctx != NULL && r->has_dict && info->codec == ARTPACK_CODEC_ZSTD &&
                     ZSTD_isError(ZSTD_decompressBegin_usingDict(r->dctx, r->dict.data,
                                                                 r->dict.size)),
                 ARTPACK_E_DICT);
#endif
#if !defined(ARTPACK_NO_ZSTD) && !defined(ARTPACK_ZSTD_NO_DDICT)
    if (r->dctx != NULL && r->has_dict && info->codec == ARTPACK_CODEC_ZSTD) {
        size_t ddict_at = AP_ALIGN16(sizeof *r) + AP_ALIGN16(r->buf_size) +
                          AP_ALIGN16(r->marks_size * sizeof(uint32_t)) +
                          AP_ALIGN16(ZSTD_estimateDCtxSize());
        r->ddict = ZSTD_initStaticDDict(ws + ddict_at, AP_DDICT_SIZE(), r->dict.data, r->dict.size,
                                        ZSTD_dlm_byRef, ZSTD_dct_fullDict);
        AP_RETURN_IF(r->ddict == NULL, ARTPACK_E_DICT);
        AP_RETURN_IF(ZSTD_isError(ZSTD_DCtx_refDDict(r->dctx, r->ddict)), ARTPACK_E_DICT);
    }
#endif
    AP_TRY(ap_read_live(r));
    *out = r;
    return ARTPACK_OK;
}

static int ap_map_read(void *opaque, uint64_t off, void *dst, size_t n) {
    const artpack_bundle_reader *r = (const artpack_bundle_reader *)opaque;
    const void *p = r->map(r->map_opaque, off, n);
    if (p == NULL) return -1;
    if (n) memcpy(dst, p, n);
    return 0;
}

artpack_error artpack_bundle_reader_open(artpack_bundle_reader **out, void *workspace,
                                         size_t workspace_size, const artpack_bundle_info *info,
                                         const artpack_dict *dict, artpack_read_fn read,
                                         void *opaque) {
    AP_RETURN_IF(read == NULL, ARTPACK_E_NULL_ARG);
    return ap_reader_open(out, workspace, workspace_size, info, dict, read, NULL, opaque);
}

artpack_error artpack_bundle_reader_open_mapped(artpack_bundle_reader **out, void *workspace,
                                                size_t workspace_size,
                                                const artpack_bundle_info *info,
                                                const artpack_dict *dict, artpack_map_fn map,
                                                void *opaque) {
    AP_RETURN_IF(map == NULL, ARTPACK_E_NULL_ARG);
    return ap_reader_open(out, workspace, workspace_size, info, dict, NULL, map, opaque);
}

typedef struct ap_entry {
    uint64_t offset;
    uint32_t frame;
    uint32_t first; /* relative to the segment */
} ap_entry;

static artpack_error ap_read_entry(artpack_bundle_reader *r, uint32_t i, ap_entry *e) {
    unsigned char b[AP_BLOCK_ENTRY];
    AP_TRY(ap_rd(r->read, r->opaque, ap_segment_entries_at(&r->seg) + (uint64_t)i * AP_BLOCK_ENTRY,
                 b, sizeof b));
    e->offset = ap_read_le64(b);
    e->frame = ap_read_le32(b + 8);
    e->first = ap_read_le32(b + 12);
    return ARTPACK_OK;
}

/* Block i of r->seg: its entry and its article count. */
static artpack_error ap_block_entry(artpack_bundle_reader *r, uint32_t i, ap_entry *e,
                                    uint32_t *count) {
    ap_entry next;
    AP_RETURN_IF(i >= r->seg.blocks, ARTPACK_E_INDEX);
    AP_TRY(ap_read_entry(r, i, e));
    if (i + 1 < r->seg.blocks) {
        AP_TRY(ap_read_entry(r, i + 1, &next));
    } else {
        next.first = r->seg.count;
    }
    AP_RETURN_IF(e->first >= next.first || next.first > r->seg.count || (i == 0 && e->first != 0) ||
                     next.first - e->first > AP_BLOCK_ARTICLES_MAX,
                 ARTPACK_E_INDEX);
    *count = next.first - e->first;
    return ARTPACK_OK;
}

/* Decompresses the stored block frame src[0..frame) into the block buffer. */
static artpack_error ap_decode_block(artpack_bundle_reader *r, const unsigned char *src,
                                     size_t frame, size_t *content) {
#ifndef ARTPACK_NO_ZSTD
    if (r->info.codec == ARTPACK_CODEC_ZSTD) {
        ZSTD_frameHeader zfh;
        unsigned long long size;
        size_t got;
        AP_RETURN_IF(ap_read_le32(src) != AP_ZSTD_MAGIC, ARTPACK_E_BLOCK);
        AP_RETURN_IF(ZSTD_getFrameHeader(&zfh, src, frame) != 0 || !zfh.checksumFlag ||
                         zfh.frameType != ZSTD_frame,
                     ARTPACK_E_BLOCK);
        size = zfh.frameContentSize;
        AP_RETURN_IF(size == ZSTD_CONTENTSIZE_UNKNOWN || size > r->info.max_block_content,
                     ARTPACK_E_BLOCK);
        AP_RETURN_IF(zfh.dictID != (r->has_dict ? r->info.dict_id : 0), ARTPACK_E_BLOCK);
#ifdef ARTPACK_ZSTD_NO_DDICT
        got = r->has_dict ? ZSTD_decompress_usingDict(r->dctx, r->buf, (size_t)size, src, frame,
                                                      r->dict.data, r->dict.size)
                          : ZSTD_decompressDCtx(r->dctx, r->buf, (size_t)size, src, frame);
#else
        got = ZSTD_decompressDCtx(r->dctx, r->buf, (size_t)size, src, frame);
#endif
        AP_RETURN_IF(ZSTD_isError(got) || got != size, ARTPACK_E_BLOCK);
        *content = got;
        return ARTPACK_OK;
    }
#endif
    {
        artpack_error err;
        AP_RETURN_IF(ap_read_le32(src) != AP_CHUNK_BLOCK || ap_read_le32(src + 4) != frame - 8,
                     ARTPACK_E_BLOCK);
        /* a block's frame has a checksum; content over the maximum: DST_TOO_SMALL */
        err = ap_frame_decode_plain(r->has_dict ? &r->dict : NULL, r->buf,
                                    r->info.max_block_content, src + 8, frame - 8, content);
        AP_RETURN_IF(err == ARTPACK_E_WRONG_DICT || err == ARTPACK_E_NEED_DICT, err);
        AP_RETURN_IF(err != ARTPACK_OK, ARTPACK_E_BLOCK);
        return ARTPACK_OK;
    }
}

/* Loads block i of r->seg into the block buffer (unless it is there): read,
 * decompress, parse its content once (record positions into r->marks). */
static artpack_error ap_load_block(artpack_bundle_reader *r, uint32_t i) {
    ap_entry e;
    uint32_t count;
    const unsigned char *src;
    size_t content = 0;
    if (r->have_block && r->blk_seg == r->seg.offset && r->blk_index == i) return ARTPACK_OK;
    r->have_block = 0;
    AP_TRY(ap_block_entry(r, i, &e, &count));
    AP_RETURN_IF(e.frame < 8 || e.frame > r->info.max_block_frame ||
                     (r->map == NULL && e.frame > r->buf_size) ||
                     e.offset < AP_HEADER_CHUNK || e.offset > r->seg.offset ||
                     r->seg.offset - e.offset < e.frame,
                 ARTPACK_E_INDEX);
    if (r->map != NULL) { /* decompress from where it lies */
        src = (const unsigned char *)r->map(r->map_opaque, e.offset, e.frame);
        AP_RETURN_IF(src == NULL, ARTPACK_E_READ);
    } else { /* in place: the frame at the end of the buffer */
        unsigned char *at = r->buf + r->buf_size - e.frame;
        AP_TRY(ap_rd(r->read, r->opaque, e.offset, at, e.frame));
        src = at;
    }
    AP_TRY(ap_decode_block(r, src, e.frame, &content));
    AP_RETURN_IF(ap_block_marks(count) > r->marks_size, ARTPACK_E_BLOCK);
    AP_TRY(ap_block_parse(&r->blk, r->buf, content, r->marks));
    AP_RETURN_IF(r->blk.count != count, ARTPACK_E_BLOCK);
    r->have_block = 1;
    r->blk_seg = r->seg.offset;
    r->blk_index = i;
    r->blk_seg_i = r->seg_i;
    r->blk_first = r->seg.first + e.first;
    r->blk_count = count;
    return ARTPACK_OK;
}

/* The block of r->seg holding article n (binary search of the entries). */
static artpack_error ap_find_block(artpack_bundle_reader *r, uint64_t n, uint32_t *index) {
    uint32_t lo = 0, hi = r->seg.blocks, rel = (uint32_t)(n - r->seg.first);
    if (r->have_block && r->blk_seg == r->seg.offset && n >= r->blk_first &&
        n - r->blk_first < r->blk_count) {
        *index = r->blk_index;
        return ARTPACK_OK;
    }
    while (hi - lo > 1) { /* the last entry whose first <= rel */
        uint32_t mid = lo + (hi - lo) / 2;
        ap_entry e;
        AP_TRY(ap_read_entry(r, mid, &e));
        if (e.first <= rel) lo = mid;
        else hi = mid;
    }
    *index = lo;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_get(artpack_bundle_reader *r, uint64_t n, const void **record,
                                 size_t *size) {
    uint32_t index;
    const unsigned char *rec;
    AP_RETURN_IF(r == NULL || record == NULL || size == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(n >= r->info.article_count, ARTPACK_E_NOT_FOUND);
    if (!(r->have_block && n >= r->blk_first && n - r->blk_first < r->blk_count)) {
        AP_TRY(ap_find_live(r, n, 0));
        AP_TRY(ap_find_block(r, n, &index));
        AP_TRY(ap_load_block(r, index));
        AP_RETURN_IF(n < r->blk_first || n - r->blk_first >= r->blk_count, ARTPACK_E_INDEX);
    }
    ap_block_record(&r->blk, r->marks, (uint32_t)(n - r->blk_first), &rec, size);
    *record = rec;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_locate(artpack_bundle_reader *r, uint64_t n,
                                    artpack_bundle_location *where) {
    ap_entry e;
    const void *rec;
    size_t size;
    AP_RETURN_IF(r == NULL || where == NULL, ARTPACK_E_NULL_ARG);
    AP_TRY(artpack_bundle_get(r, n, &rec, &size));
    AP_TRY(ap_use_segment(r, r->blk_seg_i));
    AP_TRY(ap_read_entry(r, r->blk_index, &e));
    where->block = r->seg.first_block + r->blk_index;
    where->block_offset = e.offset;
    where->block_frame_size = e.frame;
    where->block_first = r->blk_first;
    where->block_articles = r->blk_count;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_find_id(artpack_bundle_reader *r, const char *id, size_t len,
                                     uint64_t *n) {
    unsigned want;
    uint64_t start;
    uint32_t i;
    AP_RETURN_IF(r == NULL || n == NULL || (id == NULL && len != 0), ARTPACK_E_NULL_ARG);
    start = *n;
    want = ap_bundle_id_hash(id ? id : "", len);
    for (i = 0; i < r->nlive; i++) { /* in article order: the first match is the answer */
        uint32_t j;
        if (r->live[i + 1].first <= start) continue;
        AP_TRY(ap_use_segment(r, i));
        j = start > r->seg.first ? (uint32_t)(start - r->seg.first) : 0;
        while (j < r->seg.count) {
            unsigned char h[512];
            uint32_t m = r->seg.count - j > 256 ? 256 : r->seg.count - j, k;
            uint64_t at = ap_segment_hashes_at(&r->seg) + (uint64_t)j * 2;
            AP_TRY(ap_rd(r->read, r->opaque, at, h, (size_t)m * 2));
            for (k = 0; k < m; k++) {
                uint64_t a = r->seg.first + j + k;
                const void *rec;
                size_t size;
                artpack_article view;
                if ((unsigned)(h[2 * k] | h[2 * k + 1] << 8) != want) continue;
                AP_TRY(artpack_bundle_get(r, a, &rec, &size));
                if (artpack_record_decode(&view, rec, size, NULL) != ARTPACK_OK) continue;
                if (view.id.ptr != NULL && view.id.len == len &&
                    (len == 0 || memcmp(view.id.ptr, id, len) == 0)) {
                    *n = a;
                    return ARTPACK_OK;
                }
                AP_TRY(ap_use_segment(r, i)); /* get may have moved to another */
            }
            j += m;
        }
    }
    return ARTPACK_E_NOT_FOUND;
}

artpack_error artpack_bundle_check_block(artpack_bundle_reader *r, uint64_t b, uint64_t *first,
                                         uint32_t *count) {
    uint32_t i, c = 0;
    ap_entry e;
    artpack_error err;
    AP_RETURN_IF(r == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(b >= r->info.block_count, ARTPACK_E_NOT_FOUND);
    AP_TRY(ap_find_live(r, b, 1));
    i = (uint32_t)(b - r->seg.first_block);
    /* report the block's articles even when it is damaged */
    memset(&e, 0, sizeof e);
    err = ap_block_entry(r, i, &e, &c);
    if (err != ARTPACK_OK) c = 0;
    if (first) *first = r->seg.first + e.first;
    if (count) *count = c;
    AP_TRY(err);
    r->have_block = 0;
    return ap_load_block(r, i);
}

artpack_error artpack_bundle_check_index(artpack_bundle_reader *r) {
    uint32_t i;
    AP_RETURN_IF(r == NULL, ARTPACK_E_NULL_ARG);
    for (i = 0; i < r->nlive; i++) {
        ap_xxh32_state st;
        unsigned char buf[1024], sum[4];
        uint64_t pos, stop;
        AP_TRY(ap_use_segment(r, i));
        ap_xxh32_reset(&st);
        stop = r->seg.end - 4;
        for (pos = r->seg.offset + 8; pos < stop;) {
            size_t m = stop - pos > sizeof buf ? sizeof buf : (size_t)(stop - pos);
            AP_TRY(ap_rd(r->read, r->opaque, pos, buf, m));
            ap_xxh32_update(&st, buf, m);
            pos += m;
        }
        AP_TRY(ap_rd(r->read, r->opaque, stop, sum, 4));
        AP_RETURN_IF(ap_read_le32(sum) != ap_xxh32_digest(&st), ARTPACK_E_INDEX);
    }
    return ARTPACK_OK;
}

artpack_error artpack_bundle_reader_dict(const artpack_bundle_reader *r, artpack_dict *dict) {
    AP_RETURN_IF(r == NULL || dict == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(!r->has_dict, ARTPACK_E_NOT_FOUND);
    *dict = r->dict;
    return ARTPACK_OK;
}

const artpack_bundle_info *ap_bundle_reader_info(const artpack_bundle_reader *r) { return &r->info; }

artpack_error ap_bundle_reader_content(artpack_bundle_reader *r, uint64_t b,
                                       const unsigned char **content, size_t *content_size,
                                       uint64_t *frame_offset, size_t *frame_size) {
    ap_entry e;
    AP_TRY(artpack_bundle_check_block(r, b, NULL, NULL));
    AP_TRY(ap_read_entry(r, r->blk_index, &e));
    *content = r->buf;
    *content_size = r->blk.size;
    *frame_offset = e.offset;
    *frame_size = e.frame;
    return ARTPACK_OK;
}

artpack_error ap_bundle_reader_raw(artpack_bundle_reader *r, uint64_t offset, size_t size,
                                   const unsigned char **data) {
    if (r->map != NULL) {
        *data = (const unsigned char *)r->map(r->map_opaque, offset, size);
        return *data != NULL ? ARTPACK_OK : ARTPACK_E_READ;
    }
    AP_RETURN_IF(size > r->buf_size, ARTPACK_E_INDEX);
    r->have_block = 0; /* the buffer no longer holds a decoded block */
    AP_TRY(ap_rd(r->read, r->opaque, offset, r->buf, size));
    *data = r->buf;
    return ARTPACK_OK;
}
