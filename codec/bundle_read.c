/* bundle_read.c - read bundles through a read callback, in a workspace the
 * caller gives (docs/FORMAT.md "Bundle"). Every size read from the file is
 * checked against what the header and footer declared, and those against the
 * workspace, before it is used. */
#include <string.h>

#include "backend.h"
#include "bundle_format.h"
#include "words.h"

#define AP_NONE 0xFFFFFFFFu
#define AP_MAP_CACHE 64 /* block map entries read at once */

/* Word columns: columnar blocks with word envelopes (bundle_format.h): a get
 * expands its record alone. */
#define AP_WCOLS(info) (AP_HAS_COLUMNS && AP_HAS_BUNDLE_WORDS && (info)->columns && (info)->words)
/* The reader's table of the word list (the table-driven inverse): host builds */
#define AP_WTAB(info) (AP_HAS_BUNDLE_WORDS && AP_WORDS_TABLE && (info)->words)

static artpack_error ap_rd(artpack_read_fn read, void *opaque, uint64_t off, void *dst, size_t n) {
    AP_RETURN_IF(read(opaque, off, dst, n) != 0, ARTPACK_E_READ);
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
    { /* scopes apart: their locals share the stack (readers run on small stacks) */
        unsigned char f[ARTPACK_BUNDLE_FOOTER_SIZE];
        ap_footer ft;
        AP_TRY(ap_rd(read, opaque, off, f, sizeof f));
        AP_TRY(ap_footer_read(f, &ft));
        info->last_segment = ft.last_segment;
        info->article_count = ft.articles;
        info->max_block_content = ft.max_content;
        info->max_block_frame = ft.max_frame;
        info->end_offset = off + sizeof f;
    }
    {
        ap_segment s;
        AP_TRY(ap_read_segment(read, opaque, info->last_segment, off, &s));
        AP_RETURN_IF(s.end != off || s.first + s.count != info->article_count ||
                         s.max_content != info->max_block_content ||
                         s.max_frame != info->max_block_frame,
                     ARTPACK_E_INDEX);
        info->block_count = s.first_block + s.blocks;
    }
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
    dst->columns = hd.columns;
#if AP_HAS_BUNDLE_WORDS /* (dst is zeroed above: devices without it save the store) */
    dst->words = hd.words;
#endif
    if (AP_HAS_SIMILAR) dst->similar = hd.similar;
    dst->level = hd.level;
    dst->dict_id = hd.dict_id;
    dst->block_size = hd.block_size;
    if (dst->dict_embedded) { /* the file is larger than a header and its head */
        unsigned char d[AP_DICT_CHUNK_HEAD];
        size_t frame;
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
                /* lo + i <= hi: the footer lies within the file */
                if (ap_le32(win + i) != AP_CHUNK_FOOTER || ap_le32(win + i + 4) != AP_FOOTER_PAYLOAD)
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
    ap_dec dec;              /* the dictionary; zstd's state (blocks, embedded dictionary) */
    artpack_decompressor *cm; /* CM blocks: a CM decompressor, primed with the model */
    unsigned char *buf;      /* the block buffer */
    size_t buf_size;
    unsigned char *rows;     /* columnar blocks: the records rebuilt (else buf) */
    size_t rows_size;
    ap_colstate cols;        /* the loaded columnar block: its records rebuilt so far
                                (word columns: walked so far) */
    uint32_t *marks;         /* the loaded block's record positions (word columns:
                                the walk's snapshots) */
    uint32_t most;           /* records per block the marks have room for */
    /* The live table's last entry: the last segment. The nlive - 1 entries
     * before it are read from its table when needed. */
    ap_live last;
    uint32_t nlive;          /* live segments, the last one included */
    uint32_t seg_i;          /* seg is live segment seg_i (AP_NONE: none) */
    ap_segment seg;
    uint32_t blk_seg_i;      /* the loaded block: its segment, entry, first article */
    uint32_t blk_index;
    uint64_t blk_first;
    ap_block blk;            /* its content, parsed (count 0: none loaded) */
    size_t blk_decoded;      /* its content as decompressed (columnar: before rebuilding;
                                word envelopes: the larger of envelope and content) */
#if AP_HAS_SIMILAR
    /* bundles with a block map: the slots of articles map_first .. + map_n
     * (deltas from the map, 0 in a segment without one), and the bounds of
     * their segment, which every slot must lie in */
    uint64_t map_first, map_seg_first;
    uint32_t map_n, map_seg_count;
    int16_t slots[AP_MAP_CACHE];
#endif
#if AP_HAS_BUNDLE_WORDS      /* (last: devices without it keep the offsets above) */
    const unsigned char *wtab; /* word envelopes: the word list's table, or NULL */
    size_t wrows_at, wrows_size; /* word columns: the rows check_block rebuilt */
#endif
};

/* The most records a block of this bundle holds: one per 2 bytes of content
 * (a size and a record, at least 1 byte each), no more than the bundle has,
 * at most AP_BLOCK_ARTICLES_MAX. The marks table has room for them; a block
 * that claims more is refused. */
static size_t ap_block_most(const artpack_bundle_info *info) {
    size_t most = info->max_block_content / 2;
    if (info->article_count < most) most = (size_t)info->article_count;
    if (most > AP_BLOCK_ARTICLES_MAX) most = AP_BLOCK_ARTICLES_MAX;
    return most;
}

static size_t ap_buf_size(const artpack_bundle_info *info, int load_dict, int mapped) {
    size_t content = info->max_block_content, frame = info->max_block_frame, n;
    if (mapped) return content; /* blocks are decompressed from the map */
    if (AP_HAS_ZSTD && info->codec == ARTPACK_CODEC_ZSTD)
        n = ap_zstd_inplace_size(content);
    else if (AP_HAS_CM && info->codec == ARTPACK_CODEC_CM)
        n = content + frame; /* not in place: CM may read slower than it writes */
    else
        n = content + (frame >> 8) + 64; /* LZ4 in place, the frame's header and checksum */
    if (n < frame) n = frame;
    if (load_dict && n < info->dict_chunk_size) n = info->dict_chunk_size;
    return n;
}

/* The workspace's layout, in one place: the reader, the block buffer
 * (buf_size bytes), for columnar blocks the rows rebuilt from them (the
 * largest block content), the marks (for most records; word columns: the
 * walk's snapshots), with word envelopes on host builds the word list's
 * table (ap_words_table), the zstd back-end (for
 * zstd blocks and to unpack an embedded dictionary), the embedded dictionary
 * (load: loaded from the bundle; never without zstd, which compresses it),
 * for CM blocks a CM decompressor at the bundle's level. */
typedef struct ap_layout {
    size_t buf, rows, marks, zstd, dict, cm, end; /* offsets */
#if AP_HAS_BUNDLE_WORDS
    size_t wtab;
#endif
    size_t buf_size, rows_size, most, cm_size;
    int load;
} ap_layout;

static size_t ap_layout_of(const artpack_bundle_info *info, int load_embedded_dict, int mapped,
                           ap_layout *l) {
    if (info == NULL) return 0;
    l->load = AP_HAS_ZSTD && load_embedded_dict && info->dict_embedded;
    l->buf_size = ap_buf_size(info, l->load, mapped);
    l->most = ap_block_most(info);
    l->buf = AP_ALIGN16(sizeof(artpack_bundle_reader));
    l->rows = l->buf + AP_ALIGN16(l->buf_size);
    l->rows_size = AP_HAS_COLUMNS && info->columns
                       ? ap_columns_rows_room(info->max_block_content, l->most)
                       : 0;
    l->marks = l->rows + AP_ALIGN16(l->rows_size);
    l->zstd = l->marks + AP_ALIGN16((AP_WCOLS(info) && ap_columns_snaps(l->most) > ap_block_marks(l->most)
                                         ? ap_columns_snaps(l->most)
                                         : ap_block_marks(l->most)) *
                                    sizeof(uint32_t));
#if AP_HAS_BUNDLE_WORDS
    l->wtab = l->zstd;
    if (AP_WTAB(info)) l->zstd += AP_ALIGN16(AP_WORDS_TABLE_SIZE);
#endif
    l->dict = l->zstd + (info->codec == ARTPACK_CODEC_ZSTD || l->load ? ap_zstd_dec_size() : 0);
    l->cm = l->dict + (l->load ? AP_ALIGN16(info->dict_size) : 0);
    l->cm_size = 0;
    if (AP_HAS_CM && info->codec == ARTPACK_CODEC_CM) { /* at the bundle's level (the model's) */
        l->cm = AP_ALIGN16(l->cm);
        l->cm_size = AP_ALIGN16(artpack_cm_workspace_size(info->level));
    }
    l->end = l->cm + l->cm_size;
    return l->end;
}

size_t artpack_bundle_reader_workspace_size(const artpack_bundle_info *info, int load_embedded_dict) {
    ap_layout l;
    return ap_layout_of(info, load_embedded_dict, 0, &l);
}

size_t artpack_bundle_reader_workspace_size_mapped(const artpack_bundle_info *info,
                                                   int load_embedded_dict) {
    ap_layout l;
    return ap_layout_of(info, load_embedded_dict, 1, &l);
}

/* Entry i (< nlive) of the live table: read from the last segment's table
 * (one read of 24 bytes), or, for the last segment itself, kept. */
static artpack_error ap_live_get(artpack_bundle_reader *r, uint32_t i, ap_live *l) {
    unsigned char e[AP_LIVE_ENTRY];
    if (i + 1 == r->nlive) {
        *l = r->last;
        return ARTPACK_OK;
    }
    AP_TRY(ap_rd(r->read, r->opaque,
                 r->last.offset + 8 + AP_SEGMENT_HEAD + (uint64_t)i * AP_LIVE_ENTRY, e, sizeof e));
    ap_live_read(e, l);
    return ARTPACK_OK;
}

/* Makes r->seg live segment i (i < nlive): its head, checked against its
 * entry (it starts at the articles and blocks the entry says; a segment
 * before the last ends before the last starts). That it covers the articles
 * up to the next one is checked where it matters: an article found through
 * it must lie in the block found. */
static artpack_error ap_use_segment(artpack_bundle_reader *r, uint32_t i) {
    ap_live l;
    if (r->seg_i == i) return ARTPACK_OK;
    r->seg_i = AP_NONE;
    AP_TRY(ap_live_get(r, i, &l));
    AP_TRY(ap_read_segment(r->read, r->opaque, l.offset,
                           i + 1 < r->nlive ? r->last.offset : r->info.end_offset, &r->seg));
    AP_RETURN_IF(r->seg.first != l.first || r->seg.first_block != l.first_block, ARTPACK_E_INDEX);
    r->seg_i = i;
    return ARTPACK_OK;
}

/* The live segment holding article n (by_block 0) or block n (by_block 1). */
static artpack_error ap_find_live(artpack_bundle_reader *r, uint64_t n, int by_block) {
    uint32_t lo = 0, hi = r->nlive;
    while (hi - lo > 1) { /* the last one that starts at or before n */
        uint32_t mid = lo + (hi - lo) / 2;
        ap_live l;
        AP_TRY(ap_live_get(r, mid, &l));
        if ((by_block ? l.first_block : l.first) <= n) lo = mid;
        else hi = mid;
    }
    return ap_use_segment(r, lo);
}

/* The embedded dictionary: its zstd frame read into the block buffer (or
 * mapped: in place), unpacked to d by the zstd back-end, loaded. */
static artpack_error ap_load_embedded_dict(artpack_bundle_reader *r, unsigned char *d) {
    const artpack_bundle_info *info = &r->info;
    uint64_t at = info->dict_offset + AP_DICT_CHUNK_HEAD;
    size_t frame = info->dict_chunk_size - AP_DICT_CHUNK_HEAD;
    const void *src = r->buf;
    if (r->map != NULL) { /* the mapped reader's buffer holds a block only */
        src = r->map(r->map_opaque, at, frame);
        AP_RETURN_IF(src == NULL, ARTPACK_E_READ);
    } else {
        AP_TRY(ap_rd(r->read, r->opaque, at, r->buf, frame));
    }
    AP_RETURN_IF(ap_zstd_unpack(&r->dec, d, info->dict_size, src, frame) != ARTPACK_OK,
                 ARTPACK_E_DICT);
    AP_TRY(artpack_dict_load(&r->dec.dict, d, info->dict_size));
    AP_RETURN_IF(r->dec.dict.id != info->dict_id, ARTPACK_E_DICT);
    r->dec.has_dict = 1;
    return ARTPACK_OK;
}

/* The decoding set-up: the zstd back-end, the dictionary (given, or the
 * embedded one) and its tables. */
static artpack_error ap_reader_decoder(artpack_bundle_reader *r, unsigned char *ws,
                                       const ap_layout *l, const artpack_dict *dict) {
    artpack_codec codec = r->info.codec;
    /* without zstd: unavailable (an embedded dictionary is zstd-compressed) */
    if (codec == ARTPACK_CODEC_ZSTD || (dict == NULL && r->info.dict_embedded))
        AP_TRY(ap_zstd_dec_init(&r->dec, ws + l->zstd, 0, 0));
    AP_RETURN_IF(!AP_HAS_LZ4 && codec == ARTPACK_CODEC_LZ4, ARTPACK_E_CODEC_UNAVAILABLE);
    if (AP_HAS_ZSTD && l->load) { /* AP_HAS_ZSTD: without zstd, no code at all */
        AP_TRY(ap_load_embedded_dict(r, ws + l->dict));
    } else if (dict != NULL && r->info.dict_id != 0) {
        r->dec.dict = *dict;
        r->dec.has_dict = 1;
    }
    if (r->dec.has_dict && codec == ARTPACK_CODEC_ZSTD) AP_TRY(ap_zstd_dec_dict(&r->dec));
    /* word envelopes: expanded from the dictionary's word list */
    AP_RETURN_IF(AP_HAS_BUNDLE_WORDS && r->info.words && r->dec.dict.words == NULL,
                 ARTPACK_E_NEED_WORDS);
#if AP_HAS_BUNDLE_WORDS && AP_WORDS_TABLE
    if (AP_WTAB(&r->info)) { /* built once: a few microseconds */
        unsigned char *tab = ws + l->wtab;
        ap_words_table(r->dec.dict.words, tab);
        r->wtab = tab;
    }
#endif
    /* CM: primed here, once (a fraction of a second); each block is then
     * decoded from that state (without CM, the header check refused it) */
    if (AP_HAS_CM && codec == ARTPACK_CODEC_CM)
        AP_TRY(artpack_decompressor_init(&r->cm, ws + l->cm, l->cm_size, ARTPACK_CODEC_CM,
                                         r->dec.has_dict ? &r->dec.dict : NULL, 0));
    return ARTPACK_OK;
}

static int ap_map_read(void *opaque, uint64_t off, void *dst, size_t n);

static artpack_error ap_reader_open(artpack_bundle_reader **out, void *workspace,
                                    size_t workspace_size, const artpack_bundle_info *info,
                                    const artpack_dict *dict, artpack_read_fn read,
                                    artpack_map_fn map, void *opaque) {
    unsigned char *ws = (unsigned char *)workspace;
    artpack_bundle_reader *r;
    ap_layout l;
    AP_RETURN_IF(out == NULL || workspace == NULL || info == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    AP_RETURN_IF(((size_t)ws & 7u) != 0, ARTPACK_E_PARAM);
    AP_RETURN_IF(dict == NULL && info->dict_id != 0 && !info->dict_embedded, ARTPACK_E_NEED_DICT);
    AP_RETURN_IF(dict != NULL && info->dict_id != 0 && dict->id != info->dict_id,
                 ARTPACK_E_WRONG_DICT);
    AP_RETURN_IF(dict != NULL && info->dict_id != 0 && (dict->data == NULL || dict->size == 0),
                 ARTPACK_E_DICT);
    AP_RETURN_IF(workspace_size < ap_layout_of(info, dict == NULL, map != NULL, &l),
                 ARTPACK_E_WORKSPACE_TOO_SMALL);
    r = (artpack_bundle_reader *)(void *)ws;
    memset(r, 0, sizeof *r);
    r->info = *info;
    r->map = map;
    r->read = map != NULL ? ap_map_read : read;
    r->opaque = map != NULL ? (void *)r : opaque;
    r->map_opaque = opaque;
    r->buf = ws + l.buf;
    r->buf_size = l.buf_size;
    r->rows = AP_HAS_COLUMNS && info->columns ? ws + l.rows : r->buf;
    r->rows_size = l.rows_size;
    r->marks = (uint32_t *)(void *)(ws + l.marks);
    r->most = (uint32_t)l.most;
    AP_TRY(ap_reader_decoder(r, ws, &l, dict));
    /* the last segment's head: the live table's size and last entry (the
     * footer's checks, info_get's, tie it to the end of the bundle) */
    AP_TRY(ap_read_segment(r->read, r->opaque, info->last_segment, info->end_offset, &r->seg));
    r->last.offset = r->seg.offset;
    r->last.first = r->seg.first;
    r->last.first_block = r->seg.first_block;
    r->nlive = r->seg.live + 1;
    r->seg_i = r->seg.live;
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

/* Block i of r->seg: its entry (one read with the next one's), and its
 * article count: to the next one's first, or to the segment's end. */
static artpack_error ap_block_entry(artpack_bundle_reader *r, uint32_t i, ap_entry *e,
                                    uint32_t *count) {
    unsigned char b[2 * AP_BLOCK_ENTRY];
    uint32_t next = r->seg.count;
    AP_RETURN_IF(i >= r->seg.blocks, ARTPACK_E_INDEX);
    /* the next entry, or what follows the last one (the id hashes, the
     * checksum and a footer or later chunks: more than 16 bytes) */
    AP_TRY(ap_rd(r->read, r->opaque, ap_segment_entries_at(&r->seg) + (uint64_t)i * AP_BLOCK_ENTRY,
                 b, sizeof b));
    e->offset = ap_read_le64(b);
    e->frame = ap_le32(b + 8);
    e->first = ap_le32(b + 12);
    if (i + 1 < r->seg.blocks) next = ap_le32(b + AP_BLOCK_ENTRY + 12);
    AP_RETURN_IF(e->first >= next || next > r->seg.count || (i == 0 && e->first != 0),
                 ARTPACK_E_INDEX);
    *count = next - e->first;
    return ARTPACK_OK;
}

/* Decompresses the stored block frame src[0..frame) into the block buffer:
 * zstd blocks are zstd frames (the zstd back-end), CM, LZ4 and stored blocks
 * artpack frames in a chunk (frame.c: CM through the reader's primed CM
 * decompressor, the others through their back-ends). Word envelopes (zstd,
 * LZ4 row blocks) are decompressed to the end of the largest block content's
 * room and the content expanded in place there (ap_words_unwrap): *content;
 * word columns stay as they are (a get expands its record). */
static artpack_error ap_decode_block(artpack_bundle_reader *r, const unsigned char *src,
                                     size_t frame, unsigned char **content, size_t *size) {
    artpack_error err;
    size_t end = r->info.max_block_content;
    /* word columns are read where they lie, as columnar blocks */
    int words = AP_HAS_BUNDLE_WORDS && r->info.words && !AP_WCOLS(&r->info);
    unsigned char *at = r->buf;
    if (AP_HAS_ZSTD && r->info.codec == ARTPACK_CODEC_ZSTD) {
        uint64_t n;
        uint32_t dict_id;
        AP_RETURN_IF(ap_zstd_frame_head(src, frame, &n, &dict_id) != ARTPACK_OK || n > end ||
                         dict_id != (r->dec.has_dict ? r->info.dict_id : 0),
                     ARTPACK_E_BLOCK);
        if (words) at += end - (size_t)n;
        AP_RETURN_IF(ap_zstd_decode(&r->dec, at, (size_t)n, src, frame, r->dec.has_dict, 0) !=
                         ARTPACK_OK,
                     ARTPACK_E_BLOCK);
        *size = (size_t)n;
    } else {
        AP_RETURN_IF(ap_le32(src) != AP_CHUNK_BLOCK || ap_le32(src + 4) != frame - 8,
                     ARTPACK_E_BLOCK);
        /* a block's frame has a checksum; content over the maximum: DST_TOO_SMALL */
        if (AP_HAS_CM && r->cm != NULL) { /* CM, LZ4 or stored frames, with a checksum */
            artpack_frame_info fi;
            AP_RETURN_IF(artpack_frame_info_get(&fi, src + 8, frame - 8) != ARTPACK_OK ||
                             !fi.has_checksum,
                         ARTPACK_E_BLOCK);
            err = artpack_frame_decompress(r->cm, r->buf, end, src + 8, frame - 8, size);
            /* the model was checked at open: a frame that disagrees is damaged */
            AP_RETURN_IF(err != ARTPACK_OK, ARTPACK_E_BLOCK);
            *content = r->buf;
            r->blk_decoded = *size;
            return ARTPACK_OK; /* (CM bundles take no word envelopes) */
        }
        if (words) { /* to the end of the room: its content size first */
            artpack_frame_info fi;
            AP_RETURN_IF(artpack_frame_info_get(&fi, src + 8, frame - 8) != ARTPACK_OK ||
                             fi.content_size > end,
                         ARTPACK_E_BLOCK);
            at += end - fi.content_size;
        }
        err = ap_frame_decode_plain(r->dec.has_dict ? &r->dec.dict : NULL, at,
                                    end - (size_t)(at - r->buf), src + 8, frame - 8, size);
        AP_RETURN_IF(err == ARTPACK_E_WRONG_DICT || err == ARTPACK_E_NEED_DICT, err);
        AP_RETURN_IF(err != ARTPACK_OK, ARTPACK_E_BLOCK);
    }
    *content = at;
    r->blk_decoded = *size;
#if AP_HAS_BUNDLE_WORDS
    if (words)
        AP_RETURN_IF(ap_words_unwrap(r->dec.dict.words, r->wtab, r->buf, end, *size, content,
                                     size) != ARTPACK_OK,
                     ARTPACK_E_BLOCK);
    if (*size > r->blk_decoded) r->blk_decoded = *size; /* the larger of the two */
#endif
    return ARTPACK_OK;
}

/* A block's entry as loading it needs: a frame that fits the buffer
 * (max_block_frame does: ap_buf_size) and lies before its segment, no more
 * records than the marks have room for. */
static artpack_error ap_entry_check(const artpack_bundle_reader *r, const ap_entry *e,
                                    uint32_t count) {
    AP_RETURN_IF(e->frame < 8 || e->frame > r->info.max_block_frame ||
                     e->offset < AP_HEADER_CHUNK || e->offset > r->seg.offset ||
                     r->seg.offset - e->offset < e->frame || count > r->most,
                 ARTPACK_E_INDEX);
    return ARTPACK_OK;
}

/* Loads block i of r->seg into the block buffer: read, decompress, parse
 * its content once (record positions into r->marks). */
static artpack_error ap_load_block(artpack_bundle_reader *r, uint32_t i) {
    ap_entry e;
    uint32_t count;
    const unsigned char *src;
    unsigned char *at = r->buf;
    size_t content = 0;
    r->blk.count = 0;
    AP_TRY(ap_block_entry(r, i, &e, &count));
    AP_TRY(ap_entry_check(r, &e, count));
    if (r->map != NULL) { /* decompress from where it lies */
        src = (const unsigned char *)r->map(r->map_opaque, e.offset, e.frame);
        AP_RETURN_IF(src == NULL, ARTPACK_E_READ);
    } else { /* in place: the frame at the end of the buffer */
        unsigned char *at = r->buf + r->buf_size - e.frame;
        AP_TRY(ap_rd(r->read, r->opaque, e.offset, at, e.frame));
        src = at;
    }
    AP_TRY(ap_decode_block(r, src, e.frame, &at, &content));
    /* records are rebuilt from the columns as gets need them (word columns:
     * each expanded alone) */
#if AP_HAS_COLUMNS && AP_HAS_BUNDLE_WORDS
    if (AP_WCOLS(&r->info)) {
        AP_TRY(ap_columns_walk_start(&r->cols, at, content, count, r->dec.dict.words, r->wtab));
        r->blk.base = at;
        r->blk.size = content;
        r->blk.count = count;
    } else
#endif
    if (AP_HAS_COLUMNS && r->info.columns) {
        AP_TRY(ap_columns_start(&r->cols, at, content, count, NULL, NULL, r->rows, r->rows_size,
                                &r->blk));
    } else {
        AP_TRY(ap_block_parse_marks(&r->blk, at, content, count, r->marks));
    }
    r->blk_seg_i = r->seg_i;
    r->blk_index = i;
    r->blk_first = r->seg.first + e.first;
    return ARTPACK_OK;
}

/* A columnar block's records rebuilt up to k (a failure unloads it). */
static artpack_error ap_rebuild_upto(artpack_bundle_reader *r, uint32_t k) {
    artpack_error err;
    if (!AP_HAS_COLUMNS || !r->info.columns || AP_WCOLS(&r->info) || k < r->cols.done)
        return ARTPACK_OK;
    err = ap_columns_upto(&r->cols, r->rows, r->rows_size, k, r->marks);
    if (err != ARTPACK_OK) r->blk.count = 0;
    return err;
}

/* The block holding article n (< article_count): its live segment made
 * current, and *i, its entry there (the last whose first is at or before n). */
static artpack_error ap_seek_block(artpack_bundle_reader *r, uint64_t n, uint32_t *i) {
    uint32_t lo = 0, hi, rel;
    AP_TRY(ap_find_live(r, n, 0));
    rel = (uint32_t)(n - r->seg.first);
    hi = r->seg.blocks;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        unsigned char f[4];
        AP_TRY(ap_rd(r->read, r->opaque,
                     ap_segment_entries_at(&r->seg) + (uint64_t)mid * AP_BLOCK_ENTRY + 12, f, 4));
        if (ap_le32(f) <= rel) lo = mid;
        else hi = mid;
    }
    *i = lo;
    return ARTPACK_OK;
}

/* Article n's slot (n < article_count): n itself without a block map; else
 * from the map's entries, read AP_MAP_CACHE at a time. */
static artpack_error ap_slot_of(artpack_bundle_reader *r, uint64_t n, uint64_t *slot) {
#if AP_HAS_SIMILAR
    int64_t s;
#endif
    if (!AP_HAS_SIMILAR || !r->info.similar) {
        *slot = n;
        return ARTPACK_OK;
    }
#if AP_HAS_SIMILAR
    if (!(n >= r->map_first && n - r->map_first < r->map_n)) {
        uint32_t rel, m, k;
        r->map_n = 0;
        AP_TRY(ap_find_live(r, n, 0));
        AP_RETURN_IF(n - r->seg.first >= r->seg.count, ARTPACK_E_INDEX);
        rel = (uint32_t)(n - r->seg.first);
        m = r->seg.count - rel > AP_MAP_CACHE ? AP_MAP_CACHE : r->seg.count - rel;
        if (r->seg.flags & AP_SEG_MAP) {
            unsigned char e[AP_MAP_CACHE * AP_MAP_ENTRY];
            AP_TRY(ap_rd(r->read, r->opaque, ap_segment_map_at(&r->seg) + (uint64_t)rel * AP_MAP_ENTRY,
                         e, (size_t)m * AP_MAP_ENTRY));
            for (k = 0; k < m; k++) {
                unsigned v = (unsigned)e[2 * k] | (unsigned)e[2 * k + 1] << 8;
                r->slots[k] = (int16_t)(v >= 0x8000u ? (int)v - 0x10000 : (int)v);
            }
        } else {
            memset(r->slots, 0, sizeof r->slots);
        }
        r->map_first = n;
        r->map_n = m;
        r->map_seg_first = r->seg.first;
        r->map_seg_count = r->seg.count;
    }
    s = (int64_t)n + r->slots[n - r->map_first];
    AP_RETURN_IF(s < (int64_t)r->map_seg_first ||
                     (uint64_t)s - r->map_seg_first >= r->map_seg_count,
                 ARTPACK_E_INDEX);
    *slot = (uint64_t)s;
#endif
    return ARTPACK_OK;
}

artpack_error artpack_bundle_slot(artpack_bundle_reader *r, uint64_t n, uint64_t *slot) {
    AP_RETURN_IF(r == NULL || slot == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(n >= r->info.article_count, ARTPACK_E_NOT_FOUND);
    return ap_slot_of(r, n, slot);
}

static artpack_error ap_get(artpack_bundle_reader *r, uint64_t n, const void **record,
                            size_t *size, int by_slot);

artpack_error artpack_bundle_get(artpack_bundle_reader *r, uint64_t n, const void **record,
                                 size_t *size) {
    return ap_get(r, n, record, size, 0);
}

artpack_error artpack_bundle_get_slot(artpack_bundle_reader *r, uint64_t s, const void **record,
                                      size_t *size) {
    return ap_get(r, s, record, size, 1);
}

/* Article n, or (by_slot) the record in slot n. */
static artpack_error ap_get(artpack_bundle_reader *r, uint64_t n, const void **record,
                            size_t *size, int by_slot) {
    const unsigned char *rec;
    AP_RETURN_IF(r == NULL || record == NULL || size == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(n >= r->info.article_count, ARTPACK_E_NOT_FOUND);
    if (AP_HAS_SIMILAR && !by_slot) AP_TRY(ap_slot_of(r, n, &n));
    if (!(n >= r->blk_first && n - r->blk_first < r->blk.count)) {
        uint32_t i;
        AP_TRY(ap_seek_block(r, n, &i));
        AP_TRY(ap_load_block(r, i));
        AP_RETURN_IF(n < r->blk_first || n - r->blk_first >= r->blk.count, ARTPACK_E_INDEX);
    }
#if AP_HAS_COLUMNS && AP_HAS_BUNDLE_WORDS
    if (AP_WCOLS(&r->info)) { /* the record alone, expanded into the rows' buffer */
        artpack_error err = ap_columns_one(&r->cols, (uint32_t)(n - r->blk_first), r->marks,
                                           r->rows, r->rows_size, size);
        if (err != ARTPACK_OK) r->blk.count = 0; /* the walk is unusable: load it again */
        AP_TRY(err);
        *record = r->rows;
        return ARTPACK_OK;
    }
#endif
    AP_TRY(ap_rebuild_upto(r, (uint32_t)(n - r->blk_first)));
    ap_block_record(&r->blk, r->marks, (uint32_t)(n - r->blk_first), &rec, size);
    *record = rec;
    return ARTPACK_OK;
}

/* The loaded block's entry, its segment made current again. */
static artpack_error ap_loaded_entry(artpack_bundle_reader *r, ap_entry *e) {
    uint32_t count;
    AP_TRY(ap_use_segment(r, r->blk_seg_i));
    return ap_block_entry(r, r->blk_index, e, &count);
}

artpack_error artpack_bundle_locate(artpack_bundle_reader *r, uint64_t n,
                                    artpack_bundle_location *where) {
    ap_entry e;
    const void *rec;
    size_t size;
    uint64_t s;
    AP_RETURN_IF(r == NULL || where == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(n >= r->info.article_count, ARTPACK_E_NOT_FOUND);
    AP_TRY(ap_slot_of(r, n, &s));
    AP_TRY(artpack_bundle_get_slot(r, s, &rec, &size));
    AP_TRY(ap_loaded_entry(r, &e));
    where->slot = s;
    where->block = r->seg.first_block + r->blk_index;
    where->block_offset = e.offset;
    where->block_frame_size = e.frame;
    where->block_first = r->blk_first;
    where->block_articles = r->blk.count;
    return ARTPACK_OK;
}

#if AP_HAS_ZSTD && AP_HAS_COLUMNS && !defined(ARTPACK_NO_ALLOC)
/* 1 when article a (< article_count) certainly does not have the id
 * id[0..len), found without decoding its whole block: for columnar zstd
 * blocks, the block's frame is decompressed only as far as the id column
 * holds a's id (a 16-bit hash's false match in a 1 MB block costs its first
 * zstd blocks instead of all of them and the rows' rebuild). 0 when it may
 * (a's block is loaded, another layout, anything unexpected): a get decides,
 * checking the whole block (loaded here when the id is the one). Uses the
 * block buffer. */
static int ap_id_differs(artpack_bundle_reader *r, uint64_t a, const char *id, size_t len) {
    unsigned char one[256]; /* a record of the id field alone */
    const unsigned char *src, *field;
    ap_entry e;
    artpack_article view;
    uint64_t size;
    uint32_t i, count, dict_id;
    size_t pos = 0, got = 0, want = (size_t)1 << 16, flen;
    artpack_error err;
    if (AP_HAS_SIMILAR && r->info.similar && ap_slot_of(r, a, &a) != ARTPACK_OK) return 0;
    /* (word envelopes: the frame's prefix is transformed content; a get
     * expands the whole block) */
    if (!r->info.columns || r->info.words || r->info.codec != ARTPACK_CODEC_ZSTD ||
        (a >= r->blk_first && a - r->blk_first < r->blk.count))
        return 0; /* from here a is the article's slot */
    if (ap_seek_block(r, a, &i) != ARTPACK_OK || ap_block_entry(r, i, &e, &count) != ARTPACK_OK ||
        ap_entry_check(r, &e, count) != ARTPACK_OK || a < r->seg.first + e.first ||
        a - (r->seg.first + e.first) >= count)
        return 0;
    r->blk.count = 0; /* the buffer is written below */
    if (r->map != NULL) {
        src = (const unsigned char *)r->map(r->map_opaque, e.offset, e.frame);
        if (src == NULL) return 0;
    } else {
        unsigned char *at = r->buf + r->buf_size - e.frame;
        if (ap_rd(r->read, r->opaque, e.offset, at, e.frame) != ARTPACK_OK) return 0;
        src = at;
    }
    if (ap_zstd_frame_head(src, e.frame, &size, &dict_id) != ARTPACK_OK ||
        size > r->info.max_block_content || dict_id != (r->dec.has_dict ? r->info.dict_id : 0))
        return 0;
    for (;;) { /* 64 KB of content, then twice as much, until the field is there */
        if (ap_zstd_prefix(&r->dec, r->dec.has_dict, r->buf, (size_t)size, src, e.frame, &pos,
                           &got, want) != ARTPACK_OK)
            return 0;
        err = ap_columns_field(r->buf, got < size ? got : (size_t)size, (size_t)size,
                               (uint32_t)(a - (r->seg.first + e.first)), 1, &field, &flen);
        if (err == ARTPACK_E_NOT_FOUND) return 1; /* no id field: never the one */
        if (err == ARTPACK_OK) break;
        if (err != ARTPACK_E_TRUNCATED || got >= size) return 0;
        want = 2 * got;
    }
    if (flen >= sizeof one) return 0;
    memcpy(one, field, flen);
    one[flen] = 0x00; /* the end byte */
    if (artpack_record_decode(&view, one, flen + 1, NULL) != ARTPACK_OK) return 0;
    if (view.id.ptr == NULL || view.id.len != len || (len != 0 && memcmp(view.id.ptr, id, len) != 0))
        return 1;
    (void)ap_load_block(r, i); /* the one: loaded whole for the get (which reports a failure) */
    return 0;
}
#else
#define ap_id_differs(r, a, id, len) 0
#endif

artpack_error artpack_bundle_find_id(artpack_bundle_reader *r, const char *id, size_t len,
                                     uint64_t *n) {
    unsigned want;
    uint64_t start;
    uint32_t i, most;
    unsigned char *h;
    AP_RETURN_IF(r == NULL || n == NULL || (id == NULL && len != 0), ARTPACK_E_NULL_ARG);
    /* the hashes are read as many at a time as the rows' buffer of a
     * columnar bundle holds (the block buffer otherwise; 524,288 hashes in
     * 1 MB), and read again after a get there: a match that ap_id_differs
     * rules out leaves them (it uses the block buffer) */
    h = r->rows;
    {
        size_t room = (r->rows != r->buf ? r->rows_size : r->buf_size) / 2;
        most = room < 0x7FFFFFFFu ? (uint32_t)room : 0x7FFFFFFFu;
    }
    start = *n;
    want = ap_bundle_id_hash(id ? id : "", len);
    AP_TRY(ap_find_live(r, start, 0));
    for (i = r->seg_i; i < r->nlive; i++) { /* in article order: the first match is the answer */
        uint32_t j;
        AP_TRY(ap_use_segment(r, i));
        if (r->seg.first + r->seg.count <= start) continue;
        j = start > r->seg.first ? (uint32_t)(start - r->seg.first) : 0;
        while (j < r->seg.count) {
            uint32_t m = r->seg.count - j > most ? most : r->seg.count - j, k = 0;
            AP_RETURN_IF(m == 0, ARTPACK_E_INDEX); /* no room: not a buffer of a block */
            r->blk.count = 0; /* the buffer no longer holds a block */
            AP_TRY(ap_rd(r->read, r->opaque, ap_segment_hashes_at(&r->seg) + (uint64_t)j * 2, h,
                         (size_t)m * 2));
            for (;;) {
                uint64_t a;
                const void *rec;
                size_t size;
                artpack_article view;
                while (k < m && (unsigned)(h[2 * k] | h[2 * k + 1] << 8) != want) k++;
                if (k == m) break;
                a = r->seg.first + j + k; /* a match: is it the id? */
                k++;
                if (ap_id_differs(r, a, id, len)) {
                    AP_TRY(ap_use_segment(r, i)); /* it may have moved to another */
                    continue;
                }
                AP_TRY(artpack_bundle_get(r, a, &rec, &size));
                if (artpack_record_decode(&view, rec, size, NULL) == ARTPACK_OK &&
                    view.id.ptr != NULL && view.id.len == len &&
                    (len == 0 || memcmp(view.id.ptr, id, len) == 0)) {
                    *n = a;
                    return ARTPACK_OK;
                }
                AP_TRY(ap_use_segment(r, i));
                break; /* the get overwrote the hashes: read them again from the next */
            }
            j += k;
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
    AP_TRY(ap_load_block(r, i));
#if AP_HAS_COLUMNS && AP_HAS_BUNDLE_WORDS
    if (AP_WCOLS(&r->info)) { /* every record expanded into the rows' buffer, checked; the
                                 gets' walk is left as it was */
        err = ap_columns_decode_words(r->rows, r->rows_size, r->blk.base, r->blk.size,
                                      r->dec.dict.words, r->wtab, &r->wrows_at, &r->wrows_size);
        if (err != ARTPACK_OK) r->blk.count = 0;
        return err;
    }
#endif
    return ap_rebuild_upto(r, r->blk.count); /* all of a columnar block: its checks too */
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
        AP_RETURN_IF(ap_le32(sum) != ap_xxh32_digest(&st), ARTPACK_E_INDEX);
    }
    return ARTPACK_OK;
}

artpack_error artpack_bundle_reader_dict(const artpack_bundle_reader *r, artpack_dict *dict) {
    AP_RETURN_IF(r == NULL || dict == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(!r->dec.has_dict, ARTPACK_E_NOT_FOUND);
    *dict = r->dec.dict;
    return ARTPACK_OK;
}

const artpack_bundle_info *ap_bundle_reader_info(const artpack_bundle_reader *r) { return &r->info; }

size_t ap_bundle_reader_decoded(const artpack_bundle_reader *r) { return r->blk_decoded; }

uint64_t ap_bundle_reader_first(const artpack_bundle_reader *r) { return r->blk_first; }

artpack_error ap_bundle_reader_id_hash(artpack_bundle_reader *r, uint64_t n, unsigned char h[2]) {
    AP_RETURN_IF(n >= r->info.article_count, ARTPACK_E_NOT_FOUND);
    AP_TRY(ap_find_live(r, n, 0));
    AP_RETURN_IF(n - r->seg.first >= r->seg.count, ARTPACK_E_INDEX);
    return ap_rd(r->read, r->opaque, ap_segment_hashes_at(&r->seg) + (n - r->seg.first) * 2, h, 2);
}

artpack_error ap_bundle_reader_content(artpack_bundle_reader *r, uint64_t b,
                                       const unsigned char **content, size_t *content_size,
                                       uint64_t *frame_offset, size_t *frame_size) {
    ap_entry e;
    AP_TRY(artpack_bundle_check_block(r, b, NULL, NULL));
    AP_TRY(ap_loaded_entry(r, &e));
    /* the rows made whole: the block is no longer loaded */
#if AP_HAS_BUNDLE_WORDS
    if (AP_WCOLS(&r->info)) { /* rebuilt by check_block */
        *content = r->rows + r->wrows_at;
        *content_size = r->wrows_size;
    } else
#endif
    if (AP_HAS_COLUMNS && r->info.columns) {
        size_t at = ap_columns_finish(&r->cols, r->rows, content_size);
        *content = r->rows + at;
        r->blk.count = 0;
    } else {
        *content = r->blk.base;
        *content_size = r->blk.size;
    }
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
    r->blk.count = 0; /* the buffer no longer holds a decoded block */
    AP_TRY(ap_rd(r->read, r->opaque, offset, r->buf, size));
    *data = r->buf;
    return ARTPACK_OK;
}

#ifndef ARTPACK_NO_ALLOC
artpack_error ap_bundle_reader_stored(artpack_bundle_reader *r, uint64_t b, ap_stored *st,
                                      const unsigned char **frame) {
    ap_entry e;
    uint32_t count;
    const unsigned char *src;
    AP_RETURN_IF(b >= r->info.block_count, ARTPACK_E_NOT_FOUND);
    AP_TRY(ap_find_live(r, b, 1));
    /* its segment covers the articles and blocks from where the one before
     * ends to where the next starts (the last: the footer's), so that the
     * copies of every block hold every article once */
    AP_RETURN_IF(r->seg_i == 0 && (r->seg.first != 0 || r->seg.first_block != 0), ARTPACK_E_INDEX);
    if (r->seg_i + 1 < r->nlive) {
        ap_live next;
        AP_TRY(ap_live_get(r, r->seg_i + 1, &next));
        AP_RETURN_IF(r->seg.first + r->seg.count != next.first ||
                         r->seg.first_block + r->seg.blocks != next.first_block,
                     ARTPACK_E_INDEX);
    }
    AP_TRY(ap_block_entry(r, (uint32_t)(b - r->seg.first_block), &e, &count));
    AP_TRY(ap_entry_check(r, &e, count));
    st->frame_offset = e.offset;
    st->frame_size = e.frame;
    st->first = r->seg.first + e.first;
    st->count = count;
    st->hashes_at = ap_segment_hashes_at(&r->seg) + (uint64_t)e.first * 2;
    AP_TRY(ap_bundle_reader_raw(r, e.offset, e.frame, &src));
    if (AP_HAS_ZSTD && r->info.codec == ARTPACK_CODEC_ZSTD) {
        uint64_t size;
        uint32_t dict_id;
        AP_RETURN_IF(ap_zstd_frame_head(src, e.frame, &size, &dict_id) != ARTPACK_OK ||
                         size > r->info.max_block_content || dict_id != r->info.dict_id,
                     ARTPACK_E_BLOCK);
    } else {
        AP_RETURN_IF(ap_le32(src) != AP_CHUNK_BLOCK || ap_le32(src + 4) != e.frame - 8,
                     ARTPACK_E_BLOCK);
    }
    *frame = src;
    return ARTPACK_OK;
}

artpack_error ap_bundle_reader_read(artpack_bundle_reader *r, uint64_t offset, void *dst,
                                    size_t size) {
    return ap_rd(r->read, r->opaque, offset, dst, size);
}
#endif
