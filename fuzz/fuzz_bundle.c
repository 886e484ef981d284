/* fuzz_bundle.c - libFuzzer target: bundles from outside. The input is a
 * bundle file read through the read callback: open it (info, reader in an
 * exactly sized workspace), get every article (in order and backwards), find
 * ids (its first articles' too), check every block and the index, copy its
 * blocks undecoded into a new bundle (merge's way), and salvage it. Whatever a get
 * returns must be a valid record; nothing may crash, leak or read outside.
 * Byte 0 of the input chooses whether the reader gets the test dictionary
 * (bit 0; the test CM model, fuzz_dictgen.h's, when the header says CM); the
 * rest is the bundle.
 * With bit 1 set, the rest is instead JSON Lines: pack it into a bundle
 * (zstd or LZ4 by bit 2, block size from byte 1) and read every article back
 * (round trip of bundles built from fuzzer-made articles); bit 3 there
 * makes the blocks columnar, bit 4 word envelopes (the test dictionary's
 * word list), bit 5 assigns articles to blocks by similarity (windows of 8
 * blocks: a block map).
 * With bit 1 clear and bit 3 set, the rest is a columnar block's content
 * (codec/bundle_format.c, past the checksums a bundle puts around it): its
 * rows rebuilt must be a block of valid structure, or refused; with bit 4
 * too, word columns (the test dictionary's list), rebuilt whole with and
 * without the list's table (the same result), and record by record as gets
 * do (backwards, then in order: each record as the whole rebuild gave it
 * when that succeeded). With bits 1 and 3 clear and bit 4 set, the rest is a
 * word envelope, expanded in place with the test dictionary's list: within
 * its buffer, or refused. */
#include "fuzz_dictgen.h"
#include "../codec/bundle_format.h"
#include "../codec/words.h"

typedef struct fz_file {
    const uint8_t *p;
    size_t n;
} fz_file;

static int fz_read(void *opaque, uint64_t off, void *dst, size_t size) {
    const fz_file *f = (const fz_file *)opaque;
    if (off > f->n || size > f->n - off) return -1;
    if (size) memcpy(dst, f->p + off, size);
    return 0;
}

static const void *fz_map(void *opaque, uint64_t off, size_t size) {
    const fz_file *f = (const fz_file *)opaque;
    if (off > f->n || size > f->n - off) return NULL;
    return f->p + off;
}

static int fz_write(void *opaque, const void *data, size_t size) {
    return ap_buf_put((ap_buf *)opaque, data, size) ? -1 : 0;
}

static int fz_count(void *opaque, const void *record, size_t size) {
    CHECK(artpack_record_validate(record, size, NULL) == ARTPACK_OK);
    ++*(size_t *)opaque;
    return 0;
}

/* The ids of the first articles found by id: what a find returns is an
 * article with that id (the columnar check of a hash's match from the start
 * of a block must agree with the get that follows it). */
static void find_ids(artpack_bundle_reader *r, const artpack_bundle_info *info) {
    uint64_t n;
    for (n = 0; n < info->article_count && n < 16; n++) {
        char id[64];
        const void *rec;
        size_t len, idlen;
        artpack_article a;
        uint64_t at = 0;
        if (artpack_bundle_get(r, n, &rec, &len) != ARTPACK_OK ||
            artpack_record_decode(&a, rec, len, NULL) != ARTPACK_OK || a.id.ptr == NULL ||
            a.id.len > sizeof id)
            continue;
        idlen = a.id.len;
        memcpy(id, a.id.ptr, idlen);
        if (artpack_bundle_find_id(r, id, idlen, &at) == ARTPACK_OK) {
            CHECK(artpack_bundle_get(r, at, &rec, &len) == ARTPACK_OK);
            CHECK(artpack_record_decode(&a, rec, len, NULL) == ARTPACK_OK && a.id.ptr != NULL &&
                  a.id.len == idlen && memcmp(a.id.ptr, id, idlen) == 0);
        }
    }
}

/* Copies the blocks of the bundle r reads undecoded (as merge does) into a
 * new bundle of the same settings: when every copy and the commit succeed,
 * the copy opens and holds as many articles. */
static void copy_undecoded(artpack_bundle_reader *r, const artpack_bundle_info *info) {
    artpack_bundle_params p;
    artpack_bundle_writer *w = NULL;
    artpack_dict d;
    ap_buf out = {NULL, 0, 0};
    artpack_error e = ARTPACK_OK;
    uint64_t b;
    memset(&p, 0, sizeof p);
    p.codec = info->codec;
    p.level = info->level;
    p.block_size = info->block_size;
    p.columns = info->columns;
    if (info->block_count > 4096 ||
        artpack_bundle_writer_create(&w, &p,
                                     artpack_bundle_reader_dict(r, &d) == ARTPACK_OK ? &d : NULL,
                                     NULL, fz_write, &out) != ARTPACK_OK)
        return;
    for (b = 0; b < info->block_count && e == ARTPACK_OK; b++)
        e = artpack_bundle_writer_copy_block_undecoded(w, r, b);
    if (e == ARTPACK_OK && artpack_bundle_writer_commit(w) == ARTPACK_OK) {
        fz_file f;
        artpack_bundle_info got;
        f.p = out.data;
        f.n = out.len;
        CHECK(artpack_bundle_info_get(&got, fz_read, &f, out.len) == ARTPACK_OK);
        CHECK(got.article_count == info->article_count && got.block_count == info->block_count);
    }
    artpack_bundle_writer_free(w);
    ap_buf_free(&out);
}

/* Reads everything a bundle holds; returns the article count (or 0). */
static uint64_t read_bundle(const uint8_t *data, size_t size, const artpack_dict *dict) {
    fz_file f;
    artpack_bundle_info info;
    artpack_bundle_reader *r = NULL;
    artpack_salvage_stats st;
    size_t ws, salvaged = 0;
    void *mem;
    uint64_t n, b;
    f.p = data;
    f.n = size;
    /* a CM header above level 2 (a sound header: its checksum holds) would
     * make salvage and the reader set up a CM coder of up to 193 MB: skipped,
     * to keep runs short (the seeds' CM bundles are level 1) */
    if (size >= 32 && data[13] == ARTPACK_CODEC_CM && data[15] > 2) return 0;
    CHECK(artpack_bundle_salvage(data, size, dict, NULL, fz_count, &salvaged, &st) == ARTPACK_OK);
    { /* through reads: the same */
        artpack_salvage_stats st2;
        size_t salvaged2 = 0;
        f.p = data;
        f.n = size;
        CHECK(artpack_bundle_salvage_read(fz_read, &f, size, dict, NULL, fz_count, &salvaged2,
                                          &st2) == ARTPACK_OK);
        CHECK(salvaged2 == salvaged && memcmp(&st, &st2, sizeof st) == 0);
    }
    if (artpack_bundle_info_get(&info, fz_read, &f, size) != ARTPACK_OK) return 0;
    CHECK(info.end_offset <= size);
    if (info.max_block_content > ((size_t)64 << 20) || info.dict_size > ((size_t)8 << 20))
        return 0; /* declared sizes a caller would refuse */
    ws = artpack_bundle_reader_workspace_size(&info, dict == NULL);
    mem = malloc(ws ? ws : 1);
    CHECK(mem != NULL);
    if (artpack_bundle_reader_open(&r, mem, ws, &info, info.dict_id ? dict : NULL, fz_read, &f) ==
        ARTPACK_OK) {
        artpack_dict used;
        /* the dictionary the reader decodes with is the bundle's */
        if (artpack_bundle_reader_dict(r, &used) == ARTPACK_OK) CHECK(used.id == info.dict_id);
        else CHECK(info.dict_id == 0);
        (void)artpack_bundle_check_index(r);
        for (b = 0; b < info.block_count && b < 4096; b++) (void)artpack_bundle_check_block(r, b, NULL, NULL);
        for (n = 0; n < info.article_count && n < 4096; n++) {
            const void *rec;
            size_t len;
            artpack_bundle_location where;
            if (artpack_bundle_get(r, n, &rec, &len) == ARTPACK_OK) {
                CHECK((const unsigned char *)rec >= (const unsigned char *)mem &&
                      (const unsigned char *)rec + len <= (const unsigned char *)mem + ws);
                (void)artpack_record_validate(rec, len, NULL);
            }
            if (artpack_bundle_locate(r, n, &where) == ARTPACK_OK) {
                uint64_t slot = 0;
                CHECK(where.slot >= where.block_first &&
                      where.slot - where.block_first < where.block_articles);
                CHECK(info.similar || where.slot == n);
                CHECK(artpack_bundle_slot(r, n, &slot) == ARTPACK_OK && slot == where.slot);
            }
        }
        for (n = info.article_count; n-- > 0 && info.article_count - n < 64;) {
            const void *rec;
            size_t len;
            (void)artpack_bundle_get(r, n, &rec, &len);
        }
        for (n = 0; n < info.article_count && n < 4096; n++) { /* storage order */
            const void *rec;
            size_t len;
            if (artpack_bundle_get_slot(r, n, &rec, &len) == ARTPACK_OK)
                CHECK((const unsigned char *)rec >= (const unsigned char *)mem &&
                      (const unsigned char *)rec + len <= (const unsigned char *)mem + ws);
        }
        {
            uint64_t at = 0;
            (void)artpack_bundle_find_id(r, "id-1", 4, &at);
        }
        find_ids(r, &info);
        copy_undecoded(r, &info);
    }
    free(mem);
    /* the same through the map: blocks decompressed from where they lie */
    ws = artpack_bundle_reader_workspace_size_mapped(&info, dict == NULL);
    mem = malloc(ws ? ws : 1);
    CHECK(mem != NULL);
    if (artpack_bundle_reader_open_mapped(&r, mem, ws, &info, info.dict_id ? dict : NULL, fz_map,
                                          &f) == ARTPACK_OK) {
        for (n = 0; n < info.article_count && n < 4096; n++) {
            const void *rec;
            size_t len;
            if (artpack_bundle_get(r, n, &rec, &len) == ARTPACK_OK) {
                CHECK((const unsigned char *)rec >= (const unsigned char *)mem &&
                      (const unsigned char *)rec + len <= (const unsigned char *)mem + ws);
                (void)artpack_record_validate(rec, len, NULL);
            }
        }
    }
    free(mem);
    return info.article_count;
}

static void pack_and_read(const uint8_t *data, size_t size, unsigned mode, unsigned bs) {
    ap_json_reader jr;
    ap_json_article a;
    ap_json_error err;
    ap_buf out = {NULL, 0, 0}, recs = {NULL, 0, 0};
    artpack_bundle_params p;
    artpack_bundle_writer *w = NULL;
    size_t count = 0;
    int got;
    if (ap_json_reader_init(&jr, (const char *)data, size)) return;
    memset(&p, 0, sizeof p);
    p.codec = (mode & 4) ? ARTPACK_CODEC_LZ4 : ARTPACK_CODEC_ZSTD;
    p.level = 1;
    p.block_size = 1 + bs * 64;
    p.embed_dict = 1;
    p.columns = (mode & 8) != 0;
    p.words = (mode & 16) != 0;
    p.similar = (mode & 32) != 0;
    p.similar_window = 8 * p.block_size;
    CHECK(artpack_bundle_writer_create(&w, &p, fz_dict(), NULL, fz_write, &out) == ARTPACK_OK);
    while ((got = ap_json_next(&jr, &a, &err)) != 0) {
        size_t n;
        unsigned char *rec;
        if (got < 0) continue;
        rec = fz_encode_exact(&a.view, &n);
        CHECK(artpack_bundle_writer_add(w, rec, n) == ARTPACK_OK);
        CHECK(ap_buf_put_varint(&recs, n) == 0 && ap_buf_put(&recs, rec, n) == 0);
        free(rec);
        ap_json_article_free(&a);
        count++;
    }
    CHECK(artpack_bundle_writer_commit(w) == ARTPACK_OK);
    artpack_bundle_writer_free(w);
    ap_json_reader_free(&jr);
    CHECK(read_bundle(out.data, out.len, NULL) == count);
    { /* and every article is the one packed */
        fz_file f;
        artpack_bundle_info info;
        artpack_bundle_reader *r = NULL;
        size_t ws, pos = 0;
        void *mem;
        uint64_t k;
        f.p = out.data;
        f.n = out.len;
        CHECK(artpack_bundle_info_get(&info, fz_read, &f, out.len) == ARTPACK_OK);
        ws = artpack_bundle_reader_workspace_size(&info, 1);
        mem = malloc(ws);
        CHECK(artpack_bundle_reader_open(&r, mem, ws, &info, NULL, fz_read, &f) == ARTPACK_OK);
        for (k = 0; k < count; k++) {
            const void *rec;
            size_t len;
            uint64_t want;
            pos += artpack_varint_read(&want, recs.data + pos, recs.len - pos);
            CHECK(artpack_bundle_get(r, k, &rec, &len) == ARTPACK_OK);
            CHECK(len == want && memcmp(rec, recs.data + pos, len) == 0);
            pos += len;
        }
        free(mem);
    }
    ap_buf_free(&out);
    ap_buf_free(&recs);
}

/* Word columns src[0..n): rebuilt whole (with the table and without: the
 * same), then each record alone, as a reader's gets rebuild them. */
static void word_columns(const uint8_t *src, size_t n) {
    static unsigned char tab[AP_WORDS_TABLE_SIZE];
    const unsigned char *list = fz_dict()->words;
    size_t cap = ap_columns_rows_room(32 * n + AP_BLOCK_ARTICLES_MAX, AP_BLOCK_ARTICLES_MAX);
    size_t got = 0, at = 0, got2 = 0, at2 = 0;
    unsigned char *rows = (unsigned char *)malloc(cap), *rows2 = (unsigned char *)malloc(cap);
    artpack_error e, e2;
    ap_block b;
    CHECK(rows != NULL && rows2 != NULL && list != NULL);
    ap_words_table(list, tab);
    e = ap_columns_decode_words(rows, cap, src, n, list, NULL, &at, &got);
    e2 = ap_columns_decode_words(rows2, cap, src, n, list, tab, &at2, &got2);
    CHECK(e == e2 && (e == ARTPACK_OK || e == ARTPACK_E_BLOCK));
    if (e == ARTPACK_OK) {
        CHECK(at == at2 && got == got2 && memcmp(rows + at, rows2 + at, got) == 0);
        CHECK(at + got <= cap && ap_block_parse(&b, rows + at, got, NULL) == ARTPACK_OK);
    }
    {
        ap_colstate st;
        uint32_t *snaps, k, count;
        uint64_t c;
        ap_reader rd;
        rd.base = src;
        rd.size = n;
        rd.pos = 0;
        if (ap_read_varint(&rd, &c) != ARTPACK_OK || c == 0 || c > AP_BLOCK_ARTICLES_MAX) {
            free(rows);
            free(rows2);
            return;
        }
        count = (uint32_t)c;
        snaps = (uint32_t *)malloc(ap_columns_snaps(count) * sizeof *snaps);
        CHECK(snaps != NULL);
        if (ap_columns_walk_start(&st, src, n, count, list, tab) == ARTPACK_OK) {
            ap_block_iter it;
            int ok = 1;
            for (k = count; ok && k-- > 0;) { /* backwards: from the snapshots */
                size_t len = 0;
                ok = ap_columns_one(&st, k, snaps, rows2, cap, &len) == ARTPACK_OK;
                if (e == ARTPACK_OK) CHECK(ok);
            }
            if (e == ARTPACK_OK) ap_block_iter_init(&it, &b);
            for (k = 0; ok && k < count; k++) { /* in order: each as the whole rebuild gave it */
                const unsigned char *rec;
                size_t len = 0, want;
                ok = ap_columns_one(&st, k, snaps, rows2, cap, &len) == ARTPACK_OK;
                if (e != ARTPACK_OK) continue;
                CHECK(ok && ap_block_iter_next(&it, &rec, &want) && want == len &&
                      memcmp(rec, rows2, len) == 0);
            }
        }
        free(snaps);
    }
    free(rows);
    free(rows2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode;
    if (size < 2) return 0;
    mode = data[0];
    if (mode & 2) {
        pack_and_read(data + 2, size - 2, mode, data[1]);
        return 0;
    }
    if ((mode & 24) == 24) { /* word columns */
        word_columns(data + 1, size - 1);
        return 0;
    }
    if (mode & 8) { /* columnar content: rebuilt rows parse, or it is refused */
        size_t cap = ap_columns_rows_room(size - 1 + AP_BLOCK_ARTICLES_MAX, AP_BLOCK_ARTICLES_MAX);
        size_t got = 0, at = 0;
        unsigned char *rows = (unsigned char *)malloc(cap);
        artpack_error e;
        CHECK(rows != NULL);
        e = ap_columns_decode(rows, cap, data + 1, size - 1, &at, &got);
        CHECK(e == ARTPACK_OK || e == ARTPACK_E_BLOCK);
        if (e == ARTPACK_OK) {
            ap_block b;
            CHECK(at + got <= cap && ap_block_parse(&b, rows + at, got, NULL) == ARTPACK_OK);
        }
        free(rows);
        return 0;
    }
    if (mode & 16) { /* a word envelope, at the end of a buffer of twice its size */
        size_t end = 2 * (size - 1), got = 0;
        unsigned char *buf = (unsigned char *)malloc(end), *content = NULL;
        artpack_error e;
        CHECK(buf != NULL);
        memcpy(buf + end - (size - 1), data + 1, size - 1);
        e = ap_words_unwrap(fz_dict()->words, NULL, buf, end, size - 1, &content, &got);
        CHECK(e == ARTPACK_OK || e == ARTPACK_E_BLOCK || e == ARTPACK_E_WORDS);
        if (e == ARTPACK_OK) CHECK(content >= buf && content + got == buf + end);
        free(buf);
        return 0;
    }
    /* the test dictionary, or for a CM bundle the test model */
    (void)read_bundle(data + 1, size - 1,
                      !(mode & 1) ? NULL : size > 14 && data[14] == ARTPACK_CODEC_CM ? fz_cm_model()
                                                                                   : fz_dict());
    return 0;
}
