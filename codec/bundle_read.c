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

uint32_t ap_bundle_checksum(const void *p, size_t n) { return ap_xxh32(p, n); }

unsigned ap_bundle_id_hash(const char *id, size_t len) {
    return (unsigned)(ap_xxh32(id, len) & 0xFFFFu);
}

static artpack_error ap_rd(artpack_read_fn read, void *opaque, uint64_t off, void *dst, size_t n) {
    AP_RETURN_IF(n != 0 && read(opaque, off, dst, n) != 0, ARTPACK_E_READ);
    return ARTPACK_OK;
}

/* ---- segments ---- */

typedef struct ap_segment {
    uint64_t offset;      /* of the chunk */
    uint64_t prev;
    uint64_t first;       /* first article */
    uint32_t count;       /* articles */
    uint32_t blocks;
    uint32_t max_content, max_frame;
    uint64_t end;         /* offset just past the chunk */
} ap_segment;

/* Reads and checks the fixed part of the segment chunk at off (not its
 * checksum: verify does that). limit: where the segment must end by. */
static artpack_error ap_read_segment(artpack_read_fn read, void *opaque, uint64_t off,
                                     uint64_t limit, ap_segment *s) {
    unsigned char h[8 + AP_SEGMENT_HEAD];
    uint64_t size;
    AP_RETURN_IF(off < AP_HEADER_CHUNK || off > limit || limit - off < sizeof h, ARTPACK_E_INDEX);
    AP_TRY(ap_rd(read, opaque, off, h, sizeof h));
    AP_RETURN_IF(ap_read_le32(h) != AP_CHUNK_INDEX, ARTPACK_E_INDEX);
    size = ap_read_le32(h + 4);
    s->offset = off;
    s->prev = ap_read_le64(h + 8);
    s->first = ap_read_le64(h + 16);
    s->count = ap_read_le32(h + 24);
    s->blocks = ap_read_le32(h + 28);
    s->max_content = ap_read_le32(h + 32);
    s->max_frame = ap_read_le32(h + 36);
    s->end = off + 8 + size;
    AP_RETURN_IF(size != (uint64_t)AP_SEGMENT_HEAD + (uint64_t)s->blocks * AP_BLOCK_ENTRY +
                             (uint64_t)s->count * 2 + 4,
                 ARTPACK_E_INDEX);
    AP_RETURN_IF(s->end > limit || s->prev >= off || (s->blocks == 0) != (s->count == 0) ||
                     s->blocks > s->count,
                 ARTPACK_E_INDEX);
    return ARTPACK_OK;
}

/* The footer chunk at off, if valid, with the segment right before it. */
static artpack_error ap_read_footer(artpack_read_fn read, void *opaque, uint64_t off,
                                    artpack_bundle_info *info) {
    unsigned char f[ARTPACK_BUNDLE_FOOTER_SIZE];
    ap_segment s;
    AP_TRY(ap_rd(read, opaque, off, f, sizeof f));
    AP_RETURN_IF(ap_read_le32(f) != AP_CHUNK_FOOTER || ap_read_le32(f + 4) != AP_FOOTER_PAYLOAD ||
                     ap_read_le32(f + 28) != ap_bundle_checksum(f + 8, 20),
                 ARTPACK_E_INDEX);
    info->last_segment = ap_read_le64(f + 8);
    info->article_count = ap_read_le32(f + 16);
    info->max_block_content = ap_read_le32(f + 20);
    info->max_block_frame = ap_read_le32(f + 24);
    info->end_offset = off + sizeof f;
    AP_TRY(ap_read_segment(read, opaque, info->last_segment, off, &s));
    AP_RETURN_IF(s.end != off || s.first + s.count != info->article_count ||
                     s.max_content != info->max_block_content || s.max_frame != info->max_block_frame,
                 ARTPACK_E_INDEX);
    return ARTPACK_OK;
}

artpack_error artpack_bundle_info_get(artpack_bundle_info *dst, artpack_read_fn read,
                                      void *opaque, uint64_t file_size) {
    unsigned char h[AP_HEADER_CHUNK];
    uint64_t seg, expect_first, blocks = 0, steps = 0;
    artpack_error err;
    AP_RETURN_IF(dst == NULL || read == NULL, ARTPACK_E_NULL_ARG);
    memset(dst, 0, sizeof *dst);
    AP_RETURN_IF(file_size < AP_HEADER_CHUNK + ARTPACK_BUNDLE_FOOTER_SIZE, ARTPACK_E_BUNDLE);
    AP_TRY(ap_rd(read, opaque, 0, h, sizeof h));
    AP_RETURN_IF(ap_read_le32(h) != AP_CHUNK_HEADER || ap_read_le32(h + 4) != AP_HEADER_PAYLOAD ||
                     ap_read_le32(h + 8) != 0x424B5041u /* "APKB" */ ||
                     ap_read_le32(h + 28) != ap_bundle_checksum(h + 8, 20),
                 ARTPACK_E_BUNDLE);
    AP_RETURN_IF(h[12] != 1 || h[13] > ARTPACK_CODEC_LZ4 || (h[14] & ~1u) != 0 ||
                     ap_read_le32(h + 24) != 0,
                 ARTPACK_E_BUNDLE);
    dst->codec = (artpack_codec)h[13];
    dst->dict_embedded = h[14] & 1;
    dst->level = h[15];
    dst->dict_id = ap_read_le32(h + 16);
    dst->block_size = ap_read_le32(h + 20);
    AP_RETURN_IF(dst->dict_embedded && dst->dict_id == 0, ARTPACK_E_BUNDLE);
    AP_RETURN_IF(dst->block_size == 0 || dst->block_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX,
                 ARTPACK_E_BUNDLE);
    if (dst->dict_embedded) {
        unsigned char d[12];
        AP_RETURN_IF(file_size < AP_HEADER_CHUNK + sizeof d, ARTPACK_E_BUNDLE);
        AP_TRY(ap_rd(read, opaque, AP_HEADER_CHUNK, d, sizeof d));
        dst->dict_offset = AP_HEADER_CHUNK;
        dst->dict_chunk_size = (size_t)ap_read_le32(d + 4) + 8;
        dst->dict_size = ap_read_le32(d + 8);
        AP_RETURN_IF(ap_read_le32(d) != AP_CHUNK_DICT || dst->dict_chunk_size < 12 + 9 ||
                         dst->dict_size < ARTPACK_DICT_SIZE_MIN ||
                         dst->dict_size > ARTPACK_DICT_SIZE_MAX ||
                         dst->dict_chunk_size > file_size - AP_HEADER_CHUNK,
                     ARTPACK_E_BUNDLE);
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
    /* walk the chain of segments back to the first */
    seg = dst->last_segment;
    expect_first = dst->article_count;
    while (seg != 0) {
        ap_segment s;
        AP_TRY(ap_read_segment(read, opaque, seg, dst->end_offset, &s));
        AP_RETURN_IF(s.first + s.count != expect_first || ++steps > dst->end_offset / 64,
                     ARTPACK_E_INDEX);
        AP_RETURN_IF(s.max_content > dst->max_block_content || s.max_frame > dst->max_block_frame,
                     ARTPACK_E_INDEX);
        blocks += s.blocks;
        expect_first = s.first;
        seg = s.prev;
    }
    AP_RETURN_IF(expect_first != 0, ARTPACK_E_INDEX);
    dst->block_count = blocks;
    AP_RETURN_IF(dst->article_count != 0 && dst->max_block_content == 0, ARTPACK_E_INDEX);
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
#ifndef ARTPACK_NO_ZSTD
    ZSTD_DCtx *dctx;         /* zstd blocks (and the embedded dictionary) */
    const ZSTD_DDict *ddict;
#endif
    ap_segment seg;          /* the segment last used */
    int have_seg;
    int have_block;
    uint64_t blk_seg;        /* the cached block: its segment, entry, articles */
    uint32_t blk_index;
    uint64_t blk_first;
    uint32_t blk_count;
    size_t blk_content;      /* bytes of content in buf */
    size_t blk_records;      /* where the records start in buf */
};

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
    n = AP_ALIGN16(sizeof(artpack_bundle_reader)) + AP_ALIGN16(ap_buf_size(info, load, mapped));
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
                          AP_ALIGN16(ZSTD_estimateDCtxSize());
        r->ddict = ZSTD_initStaticDDict(ws + ddict_at, AP_DDICT_SIZE(), r->dict.data, r->dict.size,
                                        ZSTD_dlm_byRef, ZSTD_dct_fullDict);
        AP_RETURN_IF(r->ddict == NULL, ARTPACK_E_DICT);
        AP_RETURN_IF(ZSTD_isError(ZSTD_DCtx_refDDict(r->dctx, r->ddict)), ARTPACK_E_DICT);
    }
#endif
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

/* Makes r->seg the segment holding article n. */
static artpack_error ap_find_segment(artpack_bundle_reader *r, uint64_t n) {
    uint64_t off;
    AP_RETURN_IF(n >= r->info.article_count, ARTPACK_E_NOT_FOUND);
    if (r->have_seg && n >= r->seg.first && n - r->seg.first < r->seg.count) return ARTPACK_OK;
    off = r->have_seg && n < r->seg.first ? r->seg.prev : r->info.last_segment;
    r->have_seg = 0;
    while (off != 0) {
        AP_TRY(ap_read_segment(r->read, r->opaque, off, r->info.end_offset, &r->seg));
        if (n >= r->seg.first) {
            AP_RETURN_IF(n - r->seg.first >= r->seg.count, ARTPACK_E_INDEX);
            r->have_seg = 1;
            return ARTPACK_OK;
        }
        off = r->seg.prev;
    }
    return ARTPACK_E_INDEX;
}

typedef struct ap_entry {
    uint64_t offset;
    uint32_t frame;
    uint32_t first; /* relative to the segment */
} ap_entry;

static artpack_error ap_read_entry(artpack_bundle_reader *r, uint32_t i, ap_entry *e) {
    unsigned char b[AP_BLOCK_ENTRY];
    AP_TRY(ap_rd(r->read, r->opaque, r->seg.offset + 8 + AP_SEGMENT_HEAD + (uint64_t)i * AP_BLOCK_ENTRY,
                 b, sizeof b));
    e->offset = ap_read_le64(b);
    e->frame = ap_read_le32(b + 8);
    e->first = ap_read_le32(b + 12);
    return ARTPACK_OK;
}

/* Loads block i of r->seg into the block buffer (unless it is there). */
static artpack_error ap_load_block(artpack_bundle_reader *r, uint32_t i) {
    ap_entry e, next;
    uint32_t count;
    const unsigned char *src;
    size_t content = 0;
    ap_reader rd;
    uint64_t n, k, total = 0;
    if (r->have_block && r->blk_seg == r->seg.offset && r->blk_index == i) return ARTPACK_OK;
    r->have_block = 0;
    AP_RETURN_IF(i >= r->seg.blocks, ARTPACK_E_INDEX);
    AP_TRY(ap_read_entry(r, i, &e));
    if (i + 1 < r->seg.blocks) {
        AP_TRY(ap_read_entry(r, i + 1, &next));
    } else {
        next.first = r->seg.count;
    }
    AP_RETURN_IF(e.first >= next.first || next.first > r->seg.count || (i == 0 && e.first != 0),
                 ARTPACK_E_INDEX);
    count = next.first - e.first;
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
#ifndef ARTPACK_NO_ZSTD
    if (r->info.codec == ARTPACK_CODEC_ZSTD) {
        ZSTD_frameHeader zfh;
        unsigned long long size;
        size_t got;
        AP_RETURN_IF(ap_read_le32(src) != AP_ZSTD_MAGIC, ARTPACK_E_BLOCK);
        AP_RETURN_IF(ZSTD_getFrameHeader(&zfh, src, e.frame) != 0 || !zfh.checksumFlag ||
                         zfh.frameType != ZSTD_frame,
                     ARTPACK_E_BLOCK);
        size = zfh.frameContentSize;
        AP_RETURN_IF(size == ZSTD_CONTENTSIZE_UNKNOWN || size > r->info.max_block_content,
                     ARTPACK_E_BLOCK);
        AP_RETURN_IF(zfh.dictID != (r->has_dict ? r->info.dict_id : 0), ARTPACK_E_BLOCK);
#ifdef ARTPACK_ZSTD_NO_DDICT
        got = r->has_dict ? ZSTD_decompress_usingDict(r->dctx, r->buf, (size_t)size, src, e.frame,
                                                      r->dict.data, r->dict.size)
                          : ZSTD_decompressDCtx(r->dctx, r->buf, (size_t)size, src, e.frame);
#else
        got = ZSTD_decompressDCtx(r->dctx, r->buf, (size_t)size, src, e.frame);
#endif
        AP_RETURN_IF(ZSTD_isError(got) || got != size, ARTPACK_E_BLOCK);
        content = got;
    } else
#endif
    {
        artpack_error err;
        AP_RETURN_IF(ap_read_le32(src) != AP_CHUNK_BLOCK || ap_read_le32(src + 4) != e.frame - 8,
                     ARTPACK_E_BLOCK);
        /* a block's frame has a checksum; content over the maximum: DST_TOO_SMALL */
        err = ap_frame_decode_plain(r->has_dict ? &r->dict : NULL, r->buf,
                                    r->info.max_block_content, src + 8, e.frame - 8, &content);
        AP_RETURN_IF(err == ARTPACK_E_WRONG_DICT || err == ARTPACK_E_NEED_DICT, err);
        AP_RETURN_IF(err != ARTPACK_OK, ARTPACK_E_BLOCK);
    }
    /* content: varint count, varint sizes, records filling the rest exactly */
    rd.base = r->buf;
    rd.size = content;
    rd.pos = 0;
    AP_RETURN_IF(ap_read_varint(&rd, &n) != ARTPACK_OK || n != count, ARTPACK_E_BLOCK);
    for (k = 0; k < n; k++) {
        uint64_t len;
        AP_RETURN_IF(ap_read_varint(&rd, &len) != ARTPACK_OK || len > content, ARTPACK_E_BLOCK);
        total += len;
    }
    AP_RETURN_IF(total != content - rd.pos, ARTPACK_E_BLOCK);
    r->have_block = 1;
    r->blk_seg = r->seg.offset;
    r->blk_index = i;
    r->blk_first = r->seg.first + e.first;
    r->blk_count = count;
    r->blk_content = content;
    r->blk_records = rd.pos;
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
    ap_reader rd;
    uint64_t k, len = 0, skip = 0;
    AP_RETURN_IF(r == NULL || record == NULL || size == NULL, ARTPACK_E_NULL_ARG);
    AP_TRY(ap_find_segment(r, n));
    AP_TRY(ap_find_block(r, n, &index));
    AP_TRY(ap_load_block(r, index));
    AP_RETURN_IF(n < r->blk_first || n - r->blk_first >= r->blk_count, ARTPACK_E_INDEX);
    rd.base = r->buf;
    rd.size = r->blk_records;
    rd.pos = 0;
    (void)ap_read_varint(&rd, &k); /* the count, checked when loaded */
    for (k = 0; k <= n - r->blk_first; k++) {
        skip += len;
        (void)ap_read_varint(&rd, &len);
    }
    *record = r->buf + r->blk_records + skip;
    *size = (size_t)len;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_locate(artpack_bundle_reader *r, uint64_t n,
                                    artpack_bundle_location *where) {
    uint32_t index;
    ap_entry e;
    const void *rec;
    size_t size;
    uint64_t before = 0, off;
    AP_RETURN_IF(r == NULL || where == NULL, ARTPACK_E_NULL_ARG);
    AP_TRY(artpack_bundle_get(r, n, &rec, &size));
    index = r->blk_index;
    AP_TRY(ap_read_entry(r, index, &e));
    /* blocks of the earlier segments */
    for (off = r->seg.prev; off != 0;) {
        ap_segment s;
        AP_TRY(ap_read_segment(r->read, r->opaque, off, r->info.end_offset, &s));
        before += s.blocks;
        off = s.prev;
    }
    where->block = before + index;
    where->block_offset = e.offset;
    where->block_frame_size = e.frame;
    where->block_first = r->blk_first;
    where->block_articles = r->blk_count;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_find_id(artpack_bundle_reader *r, const char *id, size_t len,
                                     uint64_t *n) {
    unsigned want;
    uint64_t off, best = 0, start;
    int found = 0;
    AP_RETURN_IF(r == NULL || n == NULL || (id == NULL && len != 0), ARTPACK_E_NULL_ARG);
    start = *n;
    want = ap_bundle_id_hash(id ? id : "", len);
    for (off = r->info.last_segment; off != 0;) {
        ap_segment s;
        uint32_t j = 0;
        AP_TRY(ap_read_segment(r->read, r->opaque, off, r->info.end_offset, &s));
        off = s.prev;
        if (s.first + s.count <= start || (found && s.first >= best)) continue;
        while (j < s.count) {
            unsigned char h[512];
            uint32_t m = s.count - j > 256 ? 256 : s.count - j, i;
            AP_TRY(ap_rd(r->read, r->opaque,
                         s.offset + 8 + AP_SEGMENT_HEAD + (uint64_t)s.blocks * AP_BLOCK_ENTRY +
                             (uint64_t)j * 2,
                         h, (size_t)m * 2));
            for (i = 0; i < m; i++) {
                uint64_t a = s.first + j + i;
                const void *rec;
                size_t size;
                artpack_article view;
                if ((unsigned)(h[2 * i] | h[2 * i + 1] << 8) != want || a < start) continue;
                if (found && a >= best) break;
                AP_TRY(artpack_bundle_get(r, a, &rec, &size));
                if (artpack_record_decode(&view, rec, size, NULL) != ARTPACK_OK) continue;
                if (view.id.ptr != NULL && view.id.len == len &&
                    (len == 0 || memcmp(view.id.ptr, id, len) == 0)) {
                    best = a;
                    found = 1;
                    break;
                }
            }
            if (i < m) break; /* found in this segment: nothing later in it is better */
            j += m;
        }
    }
    AP_RETURN_IF(!found, ARTPACK_E_NOT_FOUND);
    *n = best;
    return ARTPACK_OK;
}

artpack_error artpack_bundle_check_block(artpack_bundle_reader *r, uint64_t b, uint64_t *first,
                                         uint32_t *count) {
    uint64_t off, end;
    AP_RETURN_IF(r == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(b >= r->info.block_count, ARTPACK_E_NOT_FOUND);
    end = r->info.block_count;
    for (off = r->info.last_segment; off != 0;) {
        AP_TRY(ap_read_segment(r->read, r->opaque, off, r->info.end_offset, &r->seg));
        r->have_seg = 1;
        AP_RETURN_IF(r->seg.blocks > end, ARTPACK_E_INDEX);
        if (b >= end - r->seg.blocks) {
            uint32_t i = (uint32_t)(b - (end - r->seg.blocks));
            ap_entry e;
            AP_TRY(ap_read_entry(r, i, &e));
            /* report the block's articles even when it is damaged */
            if (first) *first = r->seg.first + e.first;
            if (count) {
                ap_entry next;
                uint32_t nf = r->seg.count;
                if (i + 1 < r->seg.blocks && ap_read_entry(r, i + 1, &next) == ARTPACK_OK)
                    nf = next.first;
                *count = nf > e.first ? nf - e.first : 0;
            }
            r->have_block = 0;
            return ap_load_block(r, i);
        }
        end -= r->seg.blocks;
        off = r->seg.prev;
    }
    return ARTPACK_E_INDEX;
}

artpack_error artpack_bundle_check_index(artpack_bundle_reader *r) {
    uint64_t off;
    AP_RETURN_IF(r == NULL, ARTPACK_E_NULL_ARG);
    for (off = r->info.last_segment; off != 0;) {
        ap_segment s;
        ap_xxh32_state st;
        unsigned char buf[1024], sum[4];
        uint64_t pos, stop;
        AP_TRY(ap_read_segment(r->read, r->opaque, off, r->info.end_offset, &s));
        ap_xxh32_reset(&st);
        stop = s.end - 4;
        for (pos = s.offset + 8; pos < stop;) {
            size_t m = stop - pos > sizeof buf ? sizeof buf : (size_t)(stop - pos);
            AP_TRY(ap_rd(r->read, r->opaque, pos, buf, m));
            ap_xxh32_update(&st, buf, m);
            pos += m;
        }
        AP_TRY(ap_rd(r->read, r->opaque, stop, sum, 4));
        AP_RETURN_IF(ap_read_le32(sum) != ap_xxh32_digest(&st), ARTPACK_E_INDEX);
        off = s.prev;
    }
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
    *content_size = r->blk_content;
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
