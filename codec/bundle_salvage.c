/* bundle_salvage.c - recover every intact article of a damaged bundle: walk
 * its chunks from the start without trusting the index, decode each block
 * that is whole and passes its checksum, and skip what is not (resyncing on
 * the next chunk magic). Host side: allocates through the allocator. zstd
 * blocks go through the zstd back-end (backend.h) in an allocated workspace,
 * CM, LZ4 and stored blocks through a decompressor. */
#include <string.h>

#include "backend.h"
#include "bundle_format.h"

#ifndef ARTPACK_NO_ALLOC

/* Reading through read: a window of at least AP_WINDOW bytes, grown to hold
 * a whole block chunk (at most AP_WINDOW_MAX: a frame of the largest block
 * content a bundle may hold). */
#define AP_WINDOW ((size_t)1 << 20)
#define AP_WINDOW_MAX (ARTPACK_FRAME_BOUND(ARTPACK_BUNDLE_BLOCK_SIZE_MAX * 2) + 64)

typedef struct ap_salvager {
    const unsigned char *src; /* the bundle in memory, or NULL: read through read */
    uint64_t size;
    artpack_read_fn read;
    void *read_opaque;
    unsigned char *win;       /* bytes [win_off, win_off + win_len) of the file */
    size_t win_cap, win_len;
    uint64_t win_off;
    artpack_allocator mem;
    void *zstd_ws;            /* the zstd back-end's workspace */
    ap_dec zstd;              /* its state, and the dictionary (has_dict) */
    void *dict_copy;          /* the embedded dictionary, decompressed */
    void *lz4_ws;
    artpack_decompressor *dec;
    unsigned char *content;   /* scratch for one block */
    size_t content_cap;
    unsigned char *rows;      /* a columnar block's rows, rebuilt */
    size_t rows_cap;
    unsigned char *expanded;  /* a word envelope's content, expanded */
    size_t expanded_cap;
    int columns;              /* 1: the header says columnar blocks, 0 rows, 2 no header: either */
    int words;                /* 1: the header says word envelopes, 0 none, 2 no header: either */
    artpack_record_fn cb;
    void *opaque;
    artpack_salvage_stats *stats;
} ap_salvager;

/* *p: n bytes at pos (pos + n <= s->size), valid until the next call. */
static artpack_error ap_at(ap_salvager *s, uint64_t pos, size_t n, const unsigned char **p) {
    size_t want;
    if (s->src != NULL) {
        *p = s->src + pos;
        return ARTPACK_OK;
    }
    if (pos >= s->win_off && pos - s->win_off <= s->win_len &&
        n <= s->win_len - (size_t)(pos - s->win_off)) {
        *p = s->win + (pos - s->win_off);
        return ARTPACK_OK;
    }
    want = n > AP_WINDOW ? n : AP_WINDOW;
    if (want > s->size - pos) want = (size_t)(s->size - pos);
    if (want > s->win_cap) {
        if (s->win) s->mem.free(s->mem.opaque, s->win);
        s->win_len = 0;
        s->win = (unsigned char *)s->mem.alloc(s->mem.opaque, want);
        s->win_cap = s->win ? want : 0;
        AP_RETURN_IF(s->win == NULL, ARTPACK_E_ALLOC);
    }
    s->win_len = 0;
    AP_RETURN_IF(want != 0 && s->read(s->read_opaque, pos, s->win, want) != 0, ARTPACK_E_READ);
    s->win_off = pos;
    s->win_len = want;
    *p = s->win;
    return ARTPACK_OK;
}

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

/* A columnar block's rows at s->rows + *at (ARTPACK_E_BLOCK when it is not
 * one): its fields, an end byte per record, ap_columns_decode's room. Word
 * columns (words: the word list) expand: room for 4 times their size, then
 * for 32 (the most a code expands to) when that was too little. */
static artpack_error ap_rebuild_rows(ap_salvager *s, const unsigned char *content, size_t size,
                                     const unsigned char *words, size_t *at, size_t *rows) {
    size_t times = words != NULL ? 4 : 1;
    for (;;) {
        size_t n = ap_columns_rows_room(times * size + AP_BLOCK_ARTICLES_MAX, AP_BLOCK_ARTICLES_MAX);
        artpack_error e;
        if (n > s->rows_cap) {
            if (s->rows) s->mem.free(s->mem.opaque, s->rows);
            s->rows = (unsigned char *)s->mem.alloc(s->mem.opaque, n);
            s->rows_cap = s->rows ? n : 0;
            AP_RETURN_IF(s->rows == NULL, ARTPACK_E_ALLOC);
        }
        e = ap_columns_decode_words(s->rows, s->rows_cap, content, size, words, NULL, at, rows);
        if (e != ARTPACK_E_BLOCK || times >= 32) return e;
        times *= 8;
    }
}

/* The block content of the word envelope in s->content[0..size): copied to
 * the end of s->expanded and expanded there (ARTPACK_E_BLOCK when it is
 * none, or the dictionary has no word list). */
static artpack_error ap_salvage_unwrap(ap_salvager *s, size_t size, unsigned char **content,
                                       size_t *content_size) {
    uint64_t f;
    ap_reader r;
    size_t room;
    AP_RETURN_IF(!s->zstd.has_dict || s->zstd.dict.words == NULL, ARTPACK_E_BLOCK);
    r.base = s->content;
    r.size = size;
    r.pos = 0;
    AP_RETURN_IF(ap_read_varint(&r, &f) != ARTPACK_OK || f > ARTPACK_BUNDLE_BLOCK_SIZE_MAX * 2,
                 ARTPACK_E_BLOCK);
    room = (size_t)f > size ? (size_t)f : size;
    if (room > s->expanded_cap) {
        if (s->expanded) s->mem.free(s->mem.opaque, s->expanded);
        s->expanded = (unsigned char *)s->mem.alloc(s->mem.opaque, room);
        s->expanded_cap = s->expanded ? room : 0;
        AP_RETURN_IF(s->expanded == NULL, ARTPACK_E_ALLOC);
    }
    memcpy(s->expanded + (room - size), s->content, size);
    AP_RETURN_IF(ap_words_unwrap(s->zstd.dict.words, NULL, s->expanded, room, size, content,
                                 content_size) != ARTPACK_OK,
                 ARTPACK_E_BLOCK);
    return ARTPACK_OK;
}

/* The records of block content c[0..size), all checked, then handed over:
 * a columnar block's rows are rebuilt first; without a header, a block that
 * is not rows is tried as columns. */
static artpack_error ap_emit_content(ap_salvager *s, const unsigned char *c, size_t size,
                                     const unsigned char *words) {
    ap_block blk;
    ap_block_iter it;
    const unsigned char *rec;
    size_t len;
    artpack_error e = s->columns == 1 || words != NULL ? ARTPACK_E_BLOCK
                                                       : ap_block_parse(&blk, c, size, NULL);
    if (e == ARTPACK_E_BLOCK && s->columns != 0) {
        size_t at = 0;
        AP_TRY(ap_rebuild_rows(s, c, size, words, &at, &len));
        e = ap_block_parse(&blk, s->rows + at, len, NULL);
    }
    AP_TRY(e);
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

/* Hands every record of the block in s->content[0..size) to the callback, if
 * all are valid (a block is kept or dropped whole). Word columns are
 * expanded as their rows are rebuilt, a word envelope (rows) first; without
 * a header, a block that is none of the layouts is tried as one. */
static artpack_error ap_emit_records(ap_salvager *s, size_t size) {
    unsigned char *c = s->content;
    artpack_error e = ARTPACK_E_BLOCK;
    int words = s->zstd.has_dict && s->zstd.dict.words != NULL;
    if (s->words != 1) e = ap_emit_content(s, c, size, NULL);
    if (e == ARTPACK_E_BLOCK && s->words != 0 && s->columns != 0 && words)
        e = ap_emit_content(s, c, size, s->zstd.dict.words);
    if (e == ARTPACK_E_BLOCK && s->words != 0 && s->columns != 1) {
        AP_TRY(ap_salvage_unwrap(s, size, &c, &size));
        e = ap_emit_content(s, c, size, NULL);
    }
    return e;
}

/* A zstd block at pos: ARTPACK_OK (*size = its bytes) when it decoded and
 * its records were handed over, ARTPACK_E_BLOCK when it is damaged; any other
 * error stops the salvage (allocation, the callback). */
static artpack_error ap_try_zstd(ap_salvager *s, uint64_t pos, uint64_t *step) {
    size_t n, have = s->src != NULL || s->size - pos < AP_WINDOW ? (size_t)(s->size - pos)
                                                                 : AP_WINDOW;
    uint64_t size;
    const unsigned char *p;
    artpack_error e;
    for (;;) { /* through read: a window that grows until it holds the frame */
        AP_TRY(ap_at(s, pos, have, &p));
        e = ap_zstd_frame_size(p, have, &n, &size);
        if (e != ARTPACK_E_TRUNCATED || have == s->size - pos) break;
        if (have >= AP_WINDOW_MAX) return ARTPACK_E_BLOCK; /* larger than any block */
        have = s->size - pos < (uint64_t)2 * have ? (size_t)(s->size - pos) : 2 * have;
    }
    if (e != ARTPACK_OK) return e == ARTPACK_E_TRUNCATED ? e : ARTPACK_E_BLOCK;
    AP_RETURN_IF(size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX * 2, ARTPACK_E_BLOCK);
    AP_TRY(ap_content_room(s, (size_t)size + 1));
    /* in the back-end's workspace: decoding allocates nothing */
    AP_RETURN_IF(ap_zstd_decode(&s->zstd, s->content, (size_t)size, p, n,
                                s->zstd.has_dict, 0) != ARTPACK_OK,
                 ARTPACK_E_BLOCK);
    AP_TRY(ap_emit_records(s, (size_t)size));
    *step = n;
    return ARTPACK_OK;
}

/* A CM, LZ4 or stored block chunk of chunk payload bytes at pos (as above). */
static artpack_error ap_try_block_chunk(ap_salvager *s, uint64_t pos, size_t chunk) {
    artpack_frame_info fi;
    size_t got;
    const unsigned char *f;
    if (chunk > AP_WINDOW_MAX) return ARTPACK_E_BLOCK; /* larger than any block */
    AP_TRY(ap_at(s, pos + 8, chunk, &f));
    if (artpack_frame_info_get(&fi, f, chunk) != ARTPACK_OK || !fi.has_checksum ||
        fi.content_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX * 2)
        return ARTPACK_E_BLOCK;
    AP_TRY(ap_content_room(s, fi.content_size + 1));
    if (artpack_frame_decompress(s->dec, s->content, fi.content_size, f, chunk, &got) != ARTPACK_OK)
        return ARTPACK_E_BLOCK;
    return ap_emit_records(s, got);
}

static void ap_salvager_free(ap_salvager *s) {
    void *p[7];
    size_t i;
    p[0] = s->zstd_ws, p[1] = s->dict_copy, p[2] = s->lz4_ws, p[3] = s->content, p[4] = s->win;
    p[5] = s->rows, p[6] = s->expanded;
    for (i = 0; i < 7; i++)
        if (p[i]) s->mem.free(s->mem.opaque, p[i]);
}

/* The header's fields, when it is intact: they say whether a dictionary is
 * embedded. */
static artpack_error ap_salvage_header(ap_salvager *s, artpack_salvage_stats *stats) {
    ap_bundle_header h;
    const unsigned char *p;
    if (s->size < AP_HEADER_CHUNK) return ARTPACK_OK;
    AP_TRY(ap_at(s, 0, AP_HEADER_CHUNK, &p));
    if (ap_header_read(p, &h) == ARTPACK_OK) {
        stats->header_ok = 1;
        stats->codec = (int)h.codec;
        stats->level = h.level;
        stats->dict_id = h.dict_id;
        stats->block_size = h.block_size;
        stats->dict_embedded = h.dict_embedded;
        stats->columns = h.columns;
        stats->words = h.words;
        stats->similar = h.similar;
    }
    return ARTPACK_OK;
}

/* The embedded dictionary into s->zstd.dict, when its chunk is intact
 * (ARTPACK_OK without it: only the blocks that need it are lost). */
static artpack_error ap_salvage_embedded_dict(ap_salvager *s) {
    size_t frame, dsize;
    const unsigned char *p;
    if (s->size < AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD) return ARTPACK_OK;
    AP_TRY(ap_at(s, AP_HEADER_CHUNK, AP_DICT_CHUNK_HEAD, &p));
    if (ap_dict_chunk_read(p, s->size - AP_HEADER_CHUNK, &dsize, &frame) != ARTPACK_OK)
        return ARTPACK_OK;
    s->dict_copy = s->mem.alloc(s->mem.opaque, dsize);
    AP_RETURN_IF(s->dict_copy == NULL, ARTPACK_E_ALLOC);
    AP_TRY(ap_at(s, AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD, frame, &p));
    if (ap_zstd_unpack(&s->zstd, s->dict_copy, dsize, p, frame) ==
            ARTPACK_OK &&
        artpack_dict_load(&s->zstd.dict, s->dict_copy, dsize) == ARTPACK_OK)
        s->zstd.has_dict = 1;
    return ARTPACK_OK;
}

/* The decoders: zstd's (in an allocated workspace), the dictionary (the
 * caller's, or the embedded one) with its tables, and a decompressor for LZ4
 * and stored blocks (CM too, primed, when the dictionary is a CM model or
 * the header says CM). */
static artpack_error ap_salvager_open(ap_salvager *s, const artpack_dict *dict) {
    size_t ws = ap_zstd_dec_size();
    int cm = 0;
    artpack_codec codec;
    artpack_error e;
    s->zstd_ws = s->mem.alloc(s->mem.opaque, ws);
    AP_RETURN_IF(s->zstd_ws == NULL, ARTPACK_E_ALLOC);
    AP_TRY(ap_zstd_dec_init(&s->zstd, s->zstd_ws, 0, 0));
    AP_TRY(ap_salvage_header(s, s->stats));
    s->columns = !s->stats->header_ok ? 2 : s->stats->columns; /* 2: either */
    s->words = !s->stats->header_ok ? 2 : s->stats->words;
    if (dict != NULL) {
        s->zstd.dict = *dict;
        s->zstd.has_dict = 1;
    } else if (s->stats->dict_embedded) {
        AP_TRY(ap_salvage_embedded_dict(s));
    }
    /* a CM model: CM blocks (the header's level when it has none) */
    if (s->zstd.has_dict) cm = artpack_cm_model_level(&s->zstd.dict);
    else if (s->stats->header_ok && s->stats->codec == ARTPACK_CODEC_CM) cm = s->stats->level;
    /* are its tables sound? The caller's dictionary must work; a damaged
     * embedded one only costs the blocks that need it */
    if (s->zstd.has_dict && cm == 0 && ap_zstd_dec_dict(&s->zstd) != ARTPACK_OK) {
        AP_RETURN_IF(dict != NULL, ARTPACK_E_DICT);
        s->zstd.has_dict = 0;
    }
    /* LZ4 and stored blocks through an LZ4 decompressor; CM, LZ4 and
     * stored ones through a CM decompressor (primed with the model) */
    codec = cm != 0 ? ARTPACK_CODEC_CM : ARTPACK_CODEC_LZ4;
    ws = cm != 0 ? artpack_cm_workspace_size(cm) : artpack_decompressor_workspace_size(codec);
    s->lz4_ws = s->mem.alloc(s->mem.opaque, ws);
    AP_RETURN_IF(s->lz4_ws == NULL, ARTPACK_E_ALLOC);
    e = artpack_decompressor_init(&s->dec, s->lz4_ws, ws, codec,
                                  s->zstd.has_dict ? &s->zstd.dict : NULL, 0);
    if (e == ARTPACK_E_MODEL && dict == NULL) { /* a damaged embedded model: its blocks lost */
        s->zstd.has_dict = 0;
        e = artpack_decompressor_init(&s->dec, s->lz4_ws, ws, codec, NULL, 0);
    }
    s->stats->dict_id_used = s->zstd.has_dict ? s->zstd.dict.id : 0;
    return e;
}

/* The chunk at pos: ARTPACK_OK and *step its size when it is whole (a block
 * whose records were handed over, or another chunk), ARTPACK_E_BLOCK when it
 * is damaged or no chunk, ARTPACK_E_TRUNCATED when it runs past the end; any
 * other error stops the salvage. */
static artpack_error ap_salvage_chunk(ap_salvager *s, uint64_t pos, const unsigned char head[8],
                                      uint64_t *step) {
    uint32_t magic = ap_read_le32(head);
    size_t chunk;
    if (magic == AP_ZSTD_MAGIC) return ap_try_zstd(s, pos, step);
    if (magic < AP_SKIP_MAGIC_FIRST || magic > AP_SKIP_MAGIC_FIRST + 15) return ARTPACK_E_BLOCK;
    chunk = ap_read_le32(head + 4);
    AP_RETURN_IF(chunk > s->size - pos - 8, ARTPACK_E_TRUNCATED); /* runs past the end */
    *step = 8 + chunk;
    /* header, dictionary, index, footer: skipped */
    return magic == AP_CHUNK_BLOCK ? ap_try_block_chunk(s, pos, chunk) : ARTPACK_OK;
}

/* Walk the chunks. A block that fails is counted once, where a chunk was
 * expected; then the walk resyncs on the next chunk magic from the next
 * byte, since a damaged block's own length cannot be trusted. */
static artpack_error ap_salvage_walk(ap_salvager *s) {
    artpack_salvage_stats *stats = s->stats;
    uint64_t pos = 0, q;
    int resync = 0;
    while (pos + 8 <= s->size) {
        const unsigned char *p;
        unsigned char head[8];
        uint64_t step = 0;
        artpack_error e;
        int block;
        AP_TRY(ap_at(s, pos, 8, &p));
        memcpy(head, p, 8);
        e = ap_salvage_chunk(s, pos, head, &step);
        block = ap_read_le32(head) == AP_ZSTD_MAGIC || ap_read_le32(head) == AP_CHUNK_BLOCK;
        if (e == ARTPACK_OK) {
            if (block) stats->blocks_ok++;
            resync = 0;
            pos += step;
            continue;
        }
        /* out of memory, a failed read, or the callback asked to stop */
        if (e != ARTPACK_E_BLOCK && e != ARTPACK_E_TRUNCATED) return e;
        /* a block cut off by the end of the file (an interrupted append)
         * is not counted as damaged: its bytes are skipped */
        if (!resync && e == ARTPACK_E_BLOCK && block) stats->blocks_bad++;
        resync = 1;
        /* the next chunk magic, from the next byte on, a window at a time */
        for (q = pos + 1; q + 4 <= s->size;) {
            size_t n = s->size - q < AP_WINDOW ? (size_t)(s->size - q) : AP_WINDOW, i;
            AP_TRY(ap_at(s, q, n, &p));
            for (i = 0; i + 4 <= n && !ap_is_chunk_magic(ap_read_le32(p + i)); i++) {
            }
            q += i;
            if (i + 4 <= n) break; /* found */
        }
        if (q + 4 > s->size) q = s->size;
        stats->bytes_skipped += q - pos;
        pos = q;
    }
    if (pos < s->size) stats->bytes_skipped += s->size - pos;
    return ARTPACK_OK;
}

/* Both entry points: src in memory, or read. */
static artpack_error ap_salvage(const unsigned char *src, artpack_read_fn read, void *read_opaque,
                                uint64_t size, const artpack_dict *dict,
                                const artpack_allocator *allocator, artpack_record_fn cb,
                                void *opaque, artpack_salvage_stats *stats) {
    const artpack_allocator *mem = ap_allocator_or_default(allocator);
    ap_salvager s;
    artpack_error err;
    AP_RETURN_IF((src == NULL && read == NULL) || cb == NULL || stats == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(mem == NULL || mem->alloc == NULL || mem->free == NULL, ARTPACK_E_NULL_ARG);
    memset(stats, 0, sizeof *stats);
    memset(&s, 0, sizeof s);
    s.src = src;
    s.read = read;
    s.read_opaque = read_opaque;
    s.size = size;
    s.mem = *mem;
    s.cb = cb;
    s.opaque = opaque;
    s.stats = stats;
    err = ap_salvager_open(&s, dict);
    if (err == ARTPACK_OK) err = ap_salvage_walk(&s);
    ap_salvager_free(&s);
    return err;
}

artpack_error artpack_bundle_salvage(const void *src, size_t src_size, const artpack_dict *dict,
                                     const artpack_allocator *allocator, artpack_record_fn cb,
                                     void *opaque, artpack_salvage_stats *stats) {
    AP_RETURN_IF(src == NULL, ARTPACK_E_NULL_ARG);
    return ap_salvage((const unsigned char *)src, NULL, NULL, src_size, dict, allocator, cb,
                      opaque, stats);
}

artpack_error artpack_bundle_salvage_read(artpack_read_fn read, void *read_opaque, uint64_t size,
                                          const artpack_dict *dict,
                                          const artpack_allocator *allocator,
                                          artpack_record_fn cb, void *opaque,
                                          artpack_salvage_stats *stats) {
    AP_RETURN_IF(read == NULL, ARTPACK_E_NULL_ARG);
    return ap_salvage(NULL, read, read_opaque, size, dict, allocator, cb, opaque, stats);
}

artpack_error artpack_bundle_embedded_dict(const void *src, size_t src_size, void *dst,
                                           size_t dst_capacity, size_t *written) {
    const unsigned char *p = (const unsigned char *)src;
    size_t frame, dsize;
    ap_bundle_header h;
    AP_RETURN_IF(src == NULL || dst == NULL || written == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(src_size < AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD, ARTPACK_E_BUNDLE);
    AP_TRY(ap_header_read(p, &h));
    AP_RETURN_IF(!h.dict_embedded, ARTPACK_E_BUNDLE);
    AP_TRY(ap_dict_chunk_read(p + AP_HEADER_CHUNK, src_size - AP_HEADER_CHUNK, &dsize, &frame));
    AP_RETURN_IF(dsize > dst_capacity, ARTPACK_E_DST_TOO_SMALL);
    AP_RETURN_IF(ap_zstd_decompress(dst, dsize, p + AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD, frame) !=
                     ARTPACK_OK,
                 ARTPACK_E_DICT);
    *written = dsize;
    return ARTPACK_OK;
}


artpack_error artpack_bundle_embedded_dict_read(artpack_read_fn read, void *read_opaque,
                                                uint64_t size, void *dst, size_t dst_capacity,
                                                size_t *written) {
    unsigned char head[AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD];
    unsigned char *d = (unsigned char *)dst;
    size_t frame, dsize;
    ap_bundle_header h;
    AP_RETURN_IF(read == NULL || dst == NULL || written == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(size < sizeof head, ARTPACK_E_BUNDLE);
    AP_RETURN_IF(read(read_opaque, 0, head, sizeof head) != 0, ARTPACK_E_READ);
    AP_TRY(ap_header_read(head, &h));
    AP_RETURN_IF(!h.dict_embedded, ARTPACK_E_BUNDLE);
    AP_TRY(ap_dict_chunk_read(head + AP_HEADER_CHUNK, size - AP_HEADER_CHUNK, &dsize, &frame));
    AP_RETURN_IF(dsize > dst_capacity || frame > dst_capacity - dsize, ARTPACK_E_DST_TOO_SMALL);
    /* the frame after where the dictionary goes */
    AP_RETURN_IF(read(read_opaque, sizeof head, d + dsize, frame) != 0, ARTPACK_E_READ);
    AP_RETURN_IF(ap_zstd_decompress(d, dsize, d + dsize, frame) != ARTPACK_OK, ARTPACK_E_DICT);
    *written = dsize;
    return ARTPACK_OK;
}

#endif /* ARTPACK_NO_ALLOC */
