/* bundle_format.c - parse and build the bundle's chunks (docs/FORMAT.md
 * "Bundle"); bundle_format.h says what each function checks. No I/O: the
 * readers, the writer and salvage bring the bytes. What only the writer and
 * salvage use is left out of the decode-only build (ARTPACK_NO_ALLOC). */
#include <string.h>

#include "backend.h" /* AP_HAS_CM */
#include "bundle_format.h"
#include "words.h"

#define AP_BUNDLE_MAGIC 0x424B5041u /* "APKB" */

uint32_t ap_bundle_checksum(const void *p, size_t n) { return ap_xxh32(p, n); }

unsigned ap_bundle_id_hash(const char *id, size_t len) {
    return (unsigned)(ap_xxh32(id, len) & 0xFFFFu);
}

/* ---- header ---- */

#ifndef ARTPACK_NO_ALLOC
void ap_header_write(unsigned char chunk[AP_HEADER_CHUNK], const ap_bundle_header *h) {
    unsigned char *p = chunk + 8;
    memset(chunk, 0, AP_HEADER_CHUNK);
    ap_write_le32(chunk, AP_CHUNK_HEADER);
    ap_write_le32(chunk + 4, AP_HEADER_PAYLOAD);
    ap_write_le32(p, AP_BUNDLE_MAGIC);
    p[4] = AP_BUNDLE_VERSION;
    p[5] = (unsigned char)h->codec;
    p[6] = (unsigned char)((h->dict_embedded ? AP_FLAG_EMBEDDED : 0) |
                           (h->columns ? AP_FLAG_COLUMNS : 0) | (h->words ? AP_FLAG_WORDS : 0) |
                           (h->similar ? AP_FLAG_SIMILAR : 0));
    p[7] = (unsigned char)h->level;
    ap_write_le32(p + 8, h->dict_id);
    ap_write_le32(p + 12, (uint32_t)h->block_size);
    ap_write_le32(p + 20, ap_bundle_checksum(p, 20));
}
#endif

artpack_error ap_header_read(const unsigned char chunk[AP_HEADER_CHUNK], ap_bundle_header *h) {
    const unsigned char *p = chunk + 8;
    AP_RETURN_IF(ap_le32(chunk) != AP_CHUNK_HEADER || ap_le32(chunk + 4) != AP_HEADER_PAYLOAD ||
                     ap_le32(p) != AP_BUNDLE_MAGIC ||
                     ap_le32(p + 20) != ap_bundle_checksum(p, 20),
                 ARTPACK_E_BUNDLE);
    AP_RETURN_IF((p[4] != AP_BUNDLE_VERSION && p[4] != 2) || p[5] > (AP_HAS_CM ? ARTPACK_CODEC_CM : ARTPACK_CODEC_LZ4) ||
                     (p[6] & ~(AP_FLAG_EMBEDDED | AP_FLAGS_COLUMNS_READ | AP_FLAGS_WORDS_READ |
                               AP_FLAGS_SIMILAR_READ)) != 0 ||
                     (p[4] == 2 &&
                      (p[6] & (AP_FLAGS_COLUMNS_READ | AP_FLAGS_WORDS_READ | AP_FLAGS_SIMILAR_READ)) != 0) ||
                     ap_le32(p + 16) != 0,
                 ARTPACK_E_BUNDLE);
    h->codec = (artpack_codec)p[5];
    h->dict_embedded = (p[6] & AP_FLAG_EMBEDDED) != 0;
    h->columns = AP_HAS_COLUMNS && (p[6] & AP_FLAG_COLUMNS) != 0;
    h->words = AP_HAS_BUNDLE_WORDS && (p[6] & AP_FLAG_WORDS) != 0;
    h->similar = 0;
    if (AP_HAS_SIMILAR) h->similar = (p[6] & AP_FLAG_SIMILAR) != 0;
    h->level = p[7];
    h->dict_id = ap_le32(p + 8);
    h->block_size = ap_le32(p + 12);
    /* an embedded dictionary or word envelopes without a dictionary, word
     * envelopes on stored blocks */
    AP_RETURN_IF((h->dict_embedded || h->words) && h->dict_id == 0, ARTPACK_E_BUNDLE);
    AP_RETURN_IF(h->words && (h->codec == ARTPACK_CODEC_STORED || h->codec == ARTPACK_CODEC_CM),
                 ARTPACK_E_BUNDLE);
    AP_RETURN_IF(h->block_size == 0 || h->block_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX,
                 ARTPACK_E_BUNDLE);
    /* CM: rows only, at the model's level (what sizes the reader's coder) */
    AP_RETURN_IF(AP_HAS_CM && h->codec == ARTPACK_CODEC_CM &&
                     ((p[6] & AP_FLAG_COLUMNS) != 0 || h->level < 1 ||
                      h->level > ARTPACK_CM_LEVEL_MAX),
                 ARTPACK_E_BUNDLE);
    return ARTPACK_OK;
}

/* ---- dictionary chunk ---- */

artpack_error ap_dict_chunk_read(const unsigned char head[AP_DICT_CHUNK_HEAD], uint64_t room,
                                 size_t *dict_size, size_t *frame_size) {
    uint64_t payload = ap_le32(head + 4);
    /* the payload: u32 size, then a zstd frame (at least its 9-byte minimum) */
    AP_RETURN_IF(ap_le32(head) != AP_CHUNK_DICT || payload < 4 + 9 || room < 8 ||
                     payload > room - 8,
                 ARTPACK_E_BUNDLE);
    *dict_size = ap_le32(head + 8);
    *frame_size = (size_t)(payload - 4);
    /* a zstd dictionary is 4 KB or more; a CM model may be smaller (its
     * header: 20 bytes). What it holds is artpack_dict_load's to check. */
    AP_RETURN_IF(*dict_size < AP_DICT_CHUNK_MIN || *dict_size > ARTPACK_DICT_SIZE_MAX,
                 ARTPACK_E_BUNDLE);
    return ARTPACK_OK;
}

/* ---- word envelopes ---- */

artpack_error ap_words_unwrap(const unsigned char *list, const unsigned char *tab, unsigned char *buf,
                              size_t end, size_t size, unsigned char **content,
                              size_t *content_size) {
    unsigned char *at = buf + (end - size);
    uint64_t f;
    ap_reader r;
    r.base = at;
    r.size = size;
    r.pos = 0;
    AP_RETURN_IF(ap_read_varint(&r, &f) != ARTPACK_OK, ARTPACK_E_BLOCK);
    if (f == 0) { /* the content as it is */
        *content = at + r.pos;
        *content_size = size - r.pos;
        return ARTPACK_OK;
    }
    /* expanded in place: F bytes ending at end, the transform at their end */
    AP_RETURN_IF(f > end || f < size - r.pos, ARTPACK_E_BLOCK);
    *content = buf + (end - (size_t)f);
    *content_size = (size_t)f;
#if AP_WORDS_TABLE
    if (tab != NULL) return ap_words_expand_table(list, tab, *content, (size_t)f, (size_t)f,
                                                     size - r.pos);
#else
    (void)tab;
#endif
    return ap_words_expand(list, *content, (size_t)f, size - r.pos);
}


/* ---- block content ---- */

#ifndef ARTPACK_NO_ALLOC
size_t ap_block_head(unsigned char head[ARTPACK_VARINT_MAX], uint32_t count) {
    return artpack_varint_write(head, ARTPACK_VARINT_MAX, count);
}
#endif

artpack_error ap_block_parse_marks(ap_block *b, const unsigned char *content, size_t size,
                                   uint32_t count, uint32_t *marks) {
    ap_reader rd;
    uint64_t n, k, len, total = 0;
    rd.base = content;
    rd.size = size;
    rd.pos = 0;
    AP_RETURN_IF(ap_read_varint(&rd, &n) != ARTPACK_OK || n == 0 || n > AP_BLOCK_ARTICLES_MAX ||
                     (count != 0 && n != count),
                 ARTPACK_E_BLOCK);
    b->sizes_pos = rd.pos;
    for (k = 0; k < n; k++) {
        if (marks != NULL && k % AP_OFFSET_STRIDE == 0) {
            *marks++ = (uint32_t)rd.pos;
            *marks++ = (uint32_t)total; /* from the first record */
        }
        AP_RETURN_IF(ap_read_varint(&rd, &len) != ARTPACK_OK || len > size, ARTPACK_E_BLOCK);
        total += len;
    }
    AP_RETURN_IF(total != size - rd.pos, ARTPACK_E_BLOCK);
    b->base = content;
    b->size = size;
    b->count = (uint32_t)n;
    b->records_pos = rd.pos;
    return ARTPACK_OK;
}

#ifndef ARTPACK_NO_ALLOC
artpack_error ap_block_parse(ap_block *b, const unsigned char *content, size_t size,
                             uint32_t *marks) {
    return ap_block_parse_marks(b, content, size, 0, marks);
}
#endif

void ap_block_record(const ap_block *b, const uint32_t *marks, uint32_t k,
                     const unsigned char **record, size_t *size) {
    ap_reader rd;
    uint64_t len = 0;
    uint32_t skip = k % AP_OFFSET_STRIDE;
    size_t at;
    marks += 2 * (k / AP_OFFSET_STRIDE);
    rd.base = b->base;
    rd.size = b->records_pos; /* the sizes end where the records start */
    rd.pos = marks[0];
    at = b->records_pos + marks[1];
    for (;;) {
        (void)ap_read_varint(&rd, &len); /* checked by ap_block_parse_marks */
        if (skip-- == 0) break;
        at += (size_t)len;
    }
    *record = b->base + at;
    *size = (size_t)len;
}

#ifndef ARTPACK_NO_ALLOC
void ap_block_iter_init(ap_block_iter *it, const ap_block *b) {
    it->base = b->base;
    it->size_pos = b->sizes_pos;
    it->record_pos = b->records_pos;
    it->left = b->count;
    it->end = b->records_pos;
}

int ap_block_iter_next(ap_block_iter *it, const unsigned char **record, size_t *size) {
    ap_reader rd;
    uint64_t len = 0;
    if (it->left == 0) return 0;
    rd.base = it->base;
    rd.size = it->end; /* the sizes end where the records start */
    rd.pos = it->size_pos;
    (void)ap_read_varint(&rd, &len); /* checked by ap_block_parse */
    it->size_pos = rd.pos;
    *record = it->base + it->record_pos;
    *size = (size_t)len;
    it->record_pos += (size_t)len;
    it->left--;
    return 1;
}
#endif

/* ---- columnar block content ---- */

#if AP_HAS_BUNDLE_WORDS
/* A TEXT or TEXTLIST field of word columns at p[0..n) (its key at p[0]):
 * its length up to the first FE that starts a code (docs/FORMAT.md "Word
 * columns"); 0 when there is none. A run of prefix bytes F6..FD before an FE
 * starts on a code (the byte before it ends one, or it is the key): the FE
 * is the second byte of a code when the run is odd. Each byte is looked at
 * at most twice. */
static size_t ap_wtext_len(const unsigned char *p, size_t n) {
    size_t from = 1;
    for (;;) {
        const unsigned char *fe = from < n ? (const unsigned char *)memchr(p + from, 0xFE, n - from)
                                           : NULL;
        size_t j, k;
        if (fe == NULL) return 0;
        j = (size_t)(fe - p);
        /* from starts a code: the payload's start, or after an FE that
         * ended a code */
        for (k = j; k > from && p[k - 1] >= 0xF6 && p[k - 1] <= 0xFD; k--) continue;
        if (((j - k) & 1u) == 0) return j + 1;
        from = j + 1;
    }
}
#endif

/* The length of the field at p[0..n) whose key is one byte of tag 1..15
 * (*tag); 0 when it is not such a field or does not fit. words: a field of
 * word columns (its TEXT and TEXTLIST payloads transformed). */
static size_t ap_field_len(const unsigned char *p, size_t n, unsigned *tag, int words) {
    ap_reader rd;
    uint64_t len;
    const unsigned char *fe;
    if (n < 2 || p[0] >= 0x80 || (p[0] >> 3) == 0) return 0;
    *tag = p[0] >> 3;
    rd.base = p;
    rd.size = n;
    rd.pos = 1;
    switch (p[0] & 7u) {
    case 0: /* VARINT */
        return ap_read_varint(&rd, &len) == ARTPACK_OK ? rd.pos : 0;
    case 1: case 2: case 3: /* BYTES, LIST, PACKED: a length, then the bytes */
        if (ap_read_varint(&rd, &len) != ARTPACK_OK || len > n - rd.pos) return 0;
        return rd.pos + (size_t)len;
    case 4: case 5: /* TEXT, TEXTLIST: up to the first FE */
#if AP_HAS_BUNDLE_WORDS
        if (words) return ap_wtext_len(p, n);
#else
        (void)words;
#endif
        fe = (const unsigned char *)memchr(p + 1, 0xFE, n - 1);
        return fe != NULL ? (size_t)(fe - p) + 1 : 0;
    default:
        return 0;
    }
}

/* The record whose mask is given, its fields copied from the columns
 * (advancing them) to dst[*out..cap), then its end byte; dst NULL: the
 * columns advanced past them only (nothing written, *out untouched). Word
 * columns (s->words): TEXT and TEXTLIST payloads expanded. 0 when a column
 * does not hold what the mask says or dst is too small. */
static int ap_cols_record(const ap_colstate *s, ap_cols *c, uint64_t mask, unsigned char *dst,
                          size_t cap, size_t *out) {
    const unsigned char *src = s->src;
    size_t at = dst != NULL ? *out : 0;
    unsigned col;
    for (col = 1; col < AP_BLOCK_COLUMNS; col++) {
        const unsigned char *f = src + c->at[col];
        unsigned tag = 0;
        size_t len, wrote;
        if (!(mask >> col & 1u)) continue;
        len = ap_field_len(f, c->end[col] - c->at[col], &tag, AP_COLS_WORDS(s) != NULL);
        if (len == 0 || tag != col) return 0;
        c->at[col] += len;
        if (dst == NULL) continue;
        wrote = len;
#if AP_HAS_BUNDLE_WORDS
        if (s->words != NULL && (f[0] & 7u) >= 4) { /* the key, the payload expanded, FE */
            if (cap - at < 2 || ap_words_expand_to(s->words, s->tab, dst + at + 1, cap - at - 2,
                                                   f + 1, len - 2, &wrote) != ARTPACK_OK)
                return 0;
            dst[at] = f[0];
            dst[at + 1 + wrote] = 0xFE;
            wrote += 2;
        } else
#endif
        {
            if (len > cap - at) return 0;
            memcpy(dst + at, f, len);
        }
        at += wrote;
    }
    if (mask & 1u) { /* fields of tags 16 and up: a length, then them */
        ap_reader rd;
        uint64_t len;
        rd.base = src;
        rd.size = c->end[0];
        rd.pos = c->at[0];
        if (ap_read_varint(&rd, &len) != ARTPACK_OK || len == 0 || len > rd.size - rd.pos)
            return 0;
        c->at[0] = rd.pos + (size_t)len;
        if (dst != NULL) {
            if (len > cap - at) return 0;
            memcpy(dst + at, src + rd.pos, (size_t)len);
            at += (size_t)len;
        }
    }
    if (dst == NULL) return 1;
    if (at == cap) return 0;
    dst[at++] = 0x00;
    *out = at;
    return 1;
}

/* The header of columnar content: its count, where its masks start, and the
 * columns' bounds (their sizes add up to exactly the rest). */
static artpack_error ap_cols_open(ap_colstate *s, const unsigned char *src, size_t src_size) {
    ap_reader rd;
    uint64_t n, k, v;
    unsigned col;
    AP_RETURN_IF(src_size > 0xFFFFFFFFu, ARTPACK_E_BLOCK); /* a record size: 5 varint bytes */
    rd.base = src;
    rd.size = src_size;
    rd.pos = 0;
    AP_RETURN_IF(ap_read_varint(&rd, &n) != ARTPACK_OK || n == 0 || n > AP_BLOCK_ARTICLES_MAX,
                 ARTPACK_E_BLOCK);
    s->masks = rd.pos;
    for (k = 0; k < n; k++)
        AP_RETURN_IF(ap_read_varint(&rd, &v) != ARTPACK_OK || v >> AP_BLOCK_COLUMNS != 0,
                     ARTPACK_E_BLOCK);
    for (col = 0; col < AP_BLOCK_COLUMNS; col++) {
        AP_RETURN_IF(ap_read_varint(&rd, &v) != ARTPACK_OK, ARTPACK_E_BLOCK);
        s->c.at[col] = (size_t)v; /* sizes for now */
    }
    for (col = 0; col < AP_BLOCK_COLUMNS; col++) {
        size_t len = s->c.at[col];
        AP_RETURN_IF(len > src_size - rd.pos, ARTPACK_E_BLOCK);
        s->c.at[col] = rd.pos;
        s->c.end[col] = rd.pos + len;
        rd.pos += len;
    }
    AP_RETURN_IF(rd.pos != src_size, ARTPACK_E_BLOCK);
    s->src = src;
    s->src_size = src_size;
    s->n = (uint32_t)n;
    s->done = 0;
    return ARTPACK_OK;
}

/* Once the last record is rebuilt: every column used up exactly. */
static artpack_error ap_cols_used_up(const ap_colstate *s) {
    unsigned col;
    if (s->done == s->n)
        for (col = 0; col < AP_BLOCK_COLUMNS; col++)
            AP_RETURN_IF(s->c.at[col] != s->c.end[col], ARTPACK_E_BLOCK);
    return ARTPACK_OK;
}

artpack_error ap_columns_start(ap_colstate *s, const unsigned char *src, size_t src_size,
                               uint32_t count, const unsigned char *words, const unsigned char *tab,
                               unsigned char *dst, size_t dst_capacity, ap_block *b) {
#if AP_HAS_BUNDLE_WORDS
    s->words = words;
    s->tab = tab;
#else
    (void)words;
    (void)tab;
#endif
    AP_TRY(ap_cols_open(s, src, src_size));
    AP_RETURN_IF(count != 0 && s->n != count, ARTPACK_E_BLOCK);
    s->head = artpack_varint_write(dst, dst_capacity, s->n);
    AP_RETURN_IF(s->head == 0 || 5 * (size_t)s->n > dst_capacity - s->head, ARTPACK_E_BLOCK);
    s->room = s->head + 5 * (size_t)s->n;
    s->out = s->room;
    s->sizes = s->head;
    if (b != NULL) {
        b->base = dst;
        b->size = s->room; /* grows as records are rebuilt */
        b->count = s->n;
        b->sizes_pos = s->head;
        b->records_pos = s->room;
    }
    return ARTPACK_OK;
}

artpack_error ap_columns_upto(ap_colstate *s, unsigned char *dst, size_t dst_capacity, uint32_t k,
                              uint32_t *marks) {
    ap_reader rd;
    uint64_t v;
    if (k >= s->n) k = s->n - 1;
    if (s->done > k) return ARTPACK_OK;
    rd.base = s->src;
    rd.size = s->src_size;
    rd.pos = s->masks;
    while (s->done <= k) {
        size_t from = s->out;
        (void)ap_read_varint(&rd, &v); /* checked by ap_cols_open */
        if (marks != NULL && s->done % AP_OFFSET_STRIDE == 0) {
            marks[2 * (s->done / AP_OFFSET_STRIDE)] = (uint32_t)s->sizes;
            marks[2 * (s->done / AP_OFFSET_STRIDE) + 1] = (uint32_t)(s->out - s->room);
        }
        AP_RETURN_IF(!ap_cols_record(s, &s->c, v, dst, dst_capacity, &s->out),
                     ARTPACK_E_BLOCK);
        s->sizes += artpack_varint_write(dst + s->sizes, 5, (uint64_t)(s->out - from));
        s->done++;
    }
    s->masks = rd.pos;
    return ap_cols_used_up(s);
}

size_t ap_columns_finish(ap_colstate *s, unsigned char *dst, size_t *written) {
    size_t nsizes = s->sizes - s->head, start;
    memmove(dst + s->room - nsizes, dst + s->head, nsizes);
    start = s->room - nsizes - s->head;
    (void)artpack_varint_write(dst + start, s->head, s->n);
    *written = s->out - start;
    return start;
}

artpack_error ap_columns_decode_words(unsigned char *dst, size_t dst_capacity,
                                      const unsigned char *src, size_t src_size,
                                      const unsigned char *words, const unsigned char *tab,
                                      size_t *start, size_t *written) {
    ap_colstate s;
    AP_TRY(ap_columns_start(&s, src, src_size, 0, words, tab, dst, dst_capacity, NULL));
    AP_TRY(ap_columns_upto(&s, dst, dst_capacity, s.n - 1, NULL));
    *start = ap_columns_finish(&s, dst, written);
    return ARTPACK_OK;
}

artpack_error ap_columns_decode(unsigned char *dst, size_t dst_capacity, const unsigned char *src,
                                size_t src_size, size_t *start, size_t *written) {
    return ap_columns_decode_words(dst, dst_capacity, src, src_size, NULL, NULL, start, written);
}

#if AP_HAS_BUNDLE_WORDS
artpack_error ap_columns_walk_start(ap_colstate *s, const unsigned char *src, size_t src_size,
                                    uint32_t count, const unsigned char *words,
                                    const unsigned char *tab) {
    s->words = words;
    s->tab = tab;
    AP_TRY(ap_cols_open(s, src, src_size));
    AP_RETURN_IF(s->n != count, ARTPACK_E_BLOCK);
    return ARTPACK_OK;
}

artpack_error ap_columns_one(ap_colstate *s, uint32_t k, uint32_t *snaps, unsigned char *dst,
                             size_t dst_capacity, size_t *size) {
    ap_reader rd;
    uint64_t v;
    unsigned col;
    size_t out = 0;
    AP_RETURN_IF(k >= s->n, ARTPACK_E_BLOCK);
    if (k < s->done) { /* back to the snapshot at or before k (walked through) */
        const uint32_t *p = snaps + AP_COLS_SNAP * (k / AP_OFFSET_STRIDE);
        s->masks = p[0];
        for (col = 0; col < AP_BLOCK_COLUMNS; col++) s->c.at[col] = p[1 + col];
        s->done = k - k % AP_OFFSET_STRIDE;
    }
    rd.base = s->src;
    rd.size = s->src_size;
    rd.pos = s->masks;
    for (;;) {
        if (s->done % AP_OFFSET_STRIDE == 0) {
            uint32_t *p = snaps + AP_COLS_SNAP * (s->done / AP_OFFSET_STRIDE);
            p[0] = (uint32_t)rd.pos;
            for (col = 0; col < AP_BLOCK_COLUMNS; col++) p[1 + col] = (uint32_t)s->c.at[col];
        }
        (void)ap_read_varint(&rd, &v); /* checked by ap_cols_open */
        if (s->done == k) break;
        AP_RETURN_IF(!ap_cols_record(s, &s->c, v, NULL, 0, NULL), ARTPACK_E_BLOCK);
        s->done++;
    }
    AP_RETURN_IF(!ap_cols_record(s, &s->c, v, dst, dst_capacity, &out), ARTPACK_E_BLOCK);
    s->done++;
    s->masks = rd.pos;
    *size = out;
    return ap_cols_used_up(s);
}
#endif

#ifndef ARTPACK_NO_ALLOC
artpack_error ap_columns_field(const unsigned char *src, size_t avail, size_t size, uint32_t k,
                               unsigned col, const unsigned char **field, size_t *len) {
    /* running out of the prefix: more is needed, unless it is all there */
    const artpack_error more = avail < size ? ARTPACK_E_TRUNCATED : ARTPACK_E_BLOCK;
    ap_reader rd;
    uint64_t n, v, mask = 0, sizes[AP_BLOCK_COLUMNS];
    uint32_t i, before = 0;
    size_t at, end;
    unsigned c;
    AP_RETURN_IF(avail > size || col == 0 || col >= AP_BLOCK_COLUMNS, ARTPACK_E_BLOCK);
    rd.base = src;
    rd.size = avail;
    rd.pos = 0;
    if (ap_read_varint(&rd, &n) != ARTPACK_OK) return more;
    AP_RETURN_IF(n == 0 || n > AP_BLOCK_ARTICLES_MAX || k >= n, ARTPACK_E_BLOCK);
    for (i = 0; i < (uint32_t)n; i++) { /* the masks: record k's, and how many before it have col */
        if (ap_read_varint(&rd, &v) != ARTPACK_OK) return more;
        AP_RETURN_IF(v >> AP_BLOCK_COLUMNS != 0, ARTPACK_E_BLOCK);
        if (i < k) before += (uint32_t)(v >> col & 1u);
        if (i == k) mask = v;
    }
    for (c = 0; c < AP_BLOCK_COLUMNS; c++)
        if (ap_read_varint(&rd, &sizes[c]) != ARTPACK_OK) return more;
    at = rd.pos;
    for (c = 0; c < col; c++) { /* where column col starts and ends */
        AP_RETURN_IF(sizes[c] > size - at, ARTPACK_E_BLOCK);
        at += (size_t)sizes[c];
    }
    AP_RETURN_IF(sizes[col] > size - at, ARTPACK_E_BLOCK);
    end = at + (size_t)sizes[col];
    if (!(mask >> col & 1u)) return ARTPACK_E_NOT_FOUND;
    for (i = 0;; i++) { /* the column's fields, up to record k's */
        size_t lim = end < avail ? end : avail, flen;
        unsigned tag = 0;
        flen = at < lim ? ap_field_len(src + at, lim - at, &tag, 0) : 0;
        if (flen == 0) return end <= avail ? ARTPACK_E_BLOCK : more;
        AP_RETURN_IF(tag != col, ARTPACK_E_BLOCK);
        if (i == before) {
            *field = src + at;
            *len = flen;
            return ARTPACK_OK;
        }
        at += flen;
    }
}
#endif

#ifndef ARTPACK_NO_ALLOC
size_t ap_columns_bound(size_t rows_size, uint32_t count) {
    return rows_size + 8 * (size_t)count + AP_BLOCK_COLUMNS * ARTPACK_VARINT_MAX;
}

/* Splits a record (valid: the writer decoded it) at its fields: each field
 * of tag 1..15 to its column, the rest (tags 16 and up) to column 0. */
static uint64_t ap_record_split(const unsigned char *rec, size_t size, size_t colsize[],
                                unsigned char *dst, size_t at[]) {
    size_t pos = 0, end = size - 1; /* the end byte 0x00 is left out */
    uint64_t mask = 0;
    while (pos < end) {
        unsigned tag = 0;
        size_t len = ap_field_len(rec + pos, end - pos, &tag, 0);
        if (len == 0) { /* a key of two bytes or more: tags 16 and up, to the end */
            unsigned char v[ARTPACK_VARINT_MAX];
            size_t vn = artpack_varint_write(v, sizeof v, end - pos);
            mask |= 1u;
            if (dst != NULL) {
                memcpy(dst + at[0], v, vn);
                memcpy(dst + at[0] + vn, rec + pos, end - pos);
                at[0] += vn + (end - pos);
            }
            colsize[0] += vn + (end - pos);
            break;
        }
        mask |= (uint64_t)1 << tag;
        if (dst != NULL) {
            memcpy(dst + at[tag], rec + pos, len);
            at[tag] += len;
        }
        colsize[tag] += len;
        pos += len;
    }
    return mask;
}

artpack_error ap_columns_encode(unsigned char *dst, size_t dst_capacity, const unsigned char *rows,
                                size_t rows_size, size_t *written) {
    ap_block b;
    ap_block_iter it;
    const unsigned char *rec;
    size_t len, colsize[AP_BLOCK_COLUMNS], at[AP_BLOCK_COLUMNS], pos;
    unsigned col;
    AP_TRY(ap_block_parse(&b, rows, rows_size, NULL));
    AP_RETURN_IF(dst_capacity < ap_columns_bound(rows_size, b.count), ARTPACK_E_DST_TOO_SMALL);
    memset(colsize, 0, sizeof colsize);
    pos = ap_block_head(dst, b.count);
    ap_block_iter_init(&it, &b);
    while (ap_block_iter_next(&it, &rec, &len)) {
        AP_RETURN_IF(len == 0 || rec[len - 1] != 0x00, ARTPACK_E_BLOCK);
        pos += artpack_varint_write(dst + pos, ARTPACK_VARINT_MAX,
                                    ap_record_split(rec, len, colsize, NULL, NULL));
    }
    for (col = 0; col < AP_BLOCK_COLUMNS; col++)
        pos += artpack_varint_write(dst + pos, ARTPACK_VARINT_MAX, colsize[col]);
    for (col = 0; col < AP_BLOCK_COLUMNS; col++) {
        at[col] = pos;
        pos += colsize[col];
    }
    memset(colsize, 0, sizeof colsize);
    ap_block_iter_init(&it, &b);
    while (ap_block_iter_next(&it, &rec, &len)) (void)ap_record_split(rec, len, colsize, dst, at);
    *written = pos;
    return ARTPACK_OK;
}
#endif

#if !defined(ARTPACK_NO_ALLOC) && AP_HAS_BUNDLE_WORDS
size_t ap_columns_words(ap_text_fn apply, const void *opaque, unsigned char *dst,
                        const unsigned char *src, size_t size) {
    ap_colstate s;
    ap_reader rd;
    uint64_t v;
    size_t head, pos, at[AP_BLOCK_COLUMNS], i;
    unsigned col;
    if (ap_cols_open(&s, src, size) != ARTPACK_OK) return 0;
    rd.base = src;
    rd.size = size;
    rd.pos = s.masks;
    for (i = 0; i < s.n; i++) (void)ap_read_varint(&rd, &v);
    head = rd.pos; /* count and masks, as they are */
    memcpy(dst, src, head);
    /* the columns after room for the largest sizes, moved up against them after */
    pos = head + AP_BLOCK_COLUMNS * ARTPACK_VARINT_MAX;
    for (col = 0; col < AP_BLOCK_COLUMNS; col++) {
        size_t f = s.c.at[col];
        at[col] = pos;
        while (col != 0 && f < s.c.end[col]) {
            unsigned tag = 0;
            size_t len = ap_field_len(src + f, s.c.end[col] - f, &tag, 0);
            if (len == 0) return 0; /* (the writer's own columns: not reached) */
            dst[pos] = src[f];
            if ((src[f] & 7u) >= 4) /* TEXT, TEXTLIST: the payload and its FE transformed */
                pos += 1 + apply(opaque, dst + pos + 1, src + f + 1, len - 1);
            else {
                memcpy(dst + pos, src + f, len);
                pos += len;
            }
            f += len;
        }
        if (col == 0) { /* fields of tags 16 and up: as they are */
            memcpy(dst + pos, src + f, s.c.end[0] - f);
            pos += s.c.end[0] - f;
        }
    }
    { /* the sizes, then the columns moved up against them */
        size_t from = head + AP_BLOCK_COLUMNS * ARTPACK_VARINT_MAX;
        i = head;
        for (col = 0; col < AP_BLOCK_COLUMNS; col++)
            i += artpack_varint_write(dst + i, ARTPACK_VARINT_MAX,
                                      (col + 1 < AP_BLOCK_COLUMNS ? at[col + 1] : pos) - at[col]);
        memmove(dst + i, dst + from, pos - from);
        return i + (pos - from);
    }
}
#endif

/* ---- index segments ---- */

uint64_t ap_segment_live_at(const ap_segment *s) { return s->offset + 8 + AP_SEGMENT_HEAD; }

uint64_t ap_segment_entries_at(const ap_segment *s) {
    return ap_segment_live_at(s) + (uint64_t)s->live * AP_LIVE_ENTRY;
}

uint64_t ap_segment_hashes_at(const ap_segment *s) {
    return ap_segment_entries_at(s) + (uint64_t)s->blocks * AP_BLOCK_ENTRY;
}

uint64_t ap_segment_map_at(const ap_segment *s) {
    return ap_segment_hashes_at(s) + (uint64_t)s->count * 2;
}

uint64_t ap_segment_payload(uint32_t live, uint32_t blocks, uint32_t count, int map) {
    return (uint64_t)AP_SEGMENT_HEAD + (uint64_t)live * AP_LIVE_ENTRY +
           (uint64_t)blocks * AP_BLOCK_ENTRY + (uint64_t)count * 2 +
           (map ? (uint64_t)count * AP_MAP_ENTRY : 0) + 4;
}

#ifndef ARTPACK_NO_ALLOC
void ap_segment_head_write(unsigned char head[AP_SEGMENT_HEAD], const ap_segment *s) {
    memset(head, 0, AP_SEGMENT_HEAD);
    ap_write_le64(head, s->prev);
    ap_write_le64(head + 8, s->first);
    ap_write_le32(head + 16, s->count);
    ap_write_le32(head + 20, s->blocks);
    ap_write_le32(head + 24, s->max_content);
    ap_write_le32(head + 28, s->max_frame);
    ap_write_le64(head + 32, s->first_block);
    ap_write_le32(head + 40, s->live);
    ap_write_le32(head + 44, s->flags);
}
#endif

artpack_error ap_segment_head_read(const unsigned char h[8 + AP_SEGMENT_HEAD], uint64_t off,
                                   uint64_t limit, ap_segment *s) {
    uint64_t size;
    AP_RETURN_IF(ap_le32(h) != AP_CHUNK_INDEX, ARTPACK_E_INDEX);
    size = ap_le32(h + 4);
    s->offset = off;
    s->prev = ap_read_le64(h + 8);
    s->first = ap_read_le64(h + 16);
    s->count = ap_le32(h + 24);
    s->blocks = ap_le32(h + 28);
    s->max_content = ap_le32(h + 32);
    s->max_frame = ap_le32(h + 36);
    s->first_block = ap_read_le64(h + 40);
    s->live = ap_le32(h + 48);
    s->end = off + 8 + size;
#if AP_HAS_SIMILAR
    s->flags = ap_le32(h + 52);
#else /* no block map reader: no header lets one in; flags not set (smaller) */
#define AP_SEG_FLAGS_OF(s, h) ap_le32((h) + 52)
#endif
#ifndef AP_SEG_FLAGS_OF
#define AP_SEG_FLAGS_OF(s, h) ((s)->flags)
#endif
    AP_RETURN_IF((AP_SEG_FLAGS_OF(s, h) & ~(AP_HAS_SIMILAR ? AP_SEG_MAP : 0u)) != 0 ||
                     s->live > AP_LIVE_MAX ||
                     size != ap_segment_payload(s->live, s->blocks, s->count,
                                                AP_HAS_SIMILAR &&
                                                    (AP_SEG_FLAGS_OF(s, h) & AP_SEG_MAP) != 0),
                 ARTPACK_E_INDEX);
    AP_RETURN_IF(s->end > limit || s->prev >= off || (s->blocks == 0) != (s->count == 0) ||
                     s->blocks > s->count || s->first > 0xFFFFFFFFu ||
                     s->first_block > s->first || (s->live == 0) != (s->first == 0),
                 ARTPACK_E_INDEX);
    return ARTPACK_OK;
}

#ifndef ARTPACK_NO_ALLOC
void ap_live_write(unsigned char p[AP_LIVE_ENTRY], const ap_live *l) {
    ap_write_le64(p, l->offset);
    ap_write_le64(p + 8, l->first);
    ap_write_le64(p + 16, l->first_block);
}
#endif

void ap_live_read(const unsigned char p[AP_LIVE_ENTRY], ap_live *l) {
    l->offset = ap_read_le64(p);
    l->first = ap_read_le64(p + 8);
    l->first_block = ap_read_le64(p + 16);
}

/* ---- footer ---- */

#ifndef ARTPACK_NO_ALLOC
void ap_footer_write(unsigned char chunk[ARTPACK_BUNDLE_FOOTER_SIZE], const ap_footer *f) {
    unsigned char *p = chunk + 8;
    ap_write_le32(chunk, AP_CHUNK_FOOTER);
    ap_write_le32(chunk + 4, AP_FOOTER_PAYLOAD);
    ap_write_le64(p, f->last_segment);
    ap_write_le32(p + 8, f->articles);
    ap_write_le32(p + 12, f->max_content);
    ap_write_le32(p + 16, f->max_frame);
    ap_write_le32(p + 20, ap_bundle_checksum(p, 20));
}
#endif

artpack_error ap_footer_read(const unsigned char chunk[ARTPACK_BUNDLE_FOOTER_SIZE], ap_footer *f) {
    const unsigned char *p = chunk + 8;
    AP_RETURN_IF(ap_le32(chunk) != AP_CHUNK_FOOTER || ap_le32(chunk + 4) != AP_FOOTER_PAYLOAD ||
                     ap_le32(p + 20) != ap_bundle_checksum(p, 20),
                 ARTPACK_E_INDEX);
    f->last_segment = ap_read_le64(p);
    f->articles = ap_le32(p + 8);
    f->max_content = ap_le32(p + 12);
    f->max_frame = ap_le32(p + 16);
    return ARTPACK_OK;
}
