/* test_bundle_words.c - bundles with word envelopes (docs/FORMAT.md "Word
 * envelopes"): every article back through get, the mapped reader, verify's
 * block check and salvage, for zstd and LZ4, rows and columns, named and
 * embedded dictionaries, several block sizes; the writer's fallback when
 * the transform cannot be undone in place; appends and block copies; the
 * reader's workspace (nothing beyond the block buffer); every error the
 * envelope adds. Synthetic articles (no corpus needed), with code bytes and
 * non-Latin text among them. */
#include "bundle_mem.h"

#define XXH_INLINE_ALL
#include <xxhash.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "../codec/bundle_format.h" /* the envelope, tested directly */
#include "../codec/words.h"
#define N_SAMPLES 240 /* the dictionaries' training records */
#define SYNTH_PARAGRAPHS 1
#include "synthetic.h"

#define N_TEXT 240   /* synthetic news articles */
#define N_ODD 4      /* then: code bytes, Arabic, Chinese, an empty article */
#define N_ALL (N_TEXT + N_ODD)

static unsigned char *rec[N_ALL];
static size_t rec_size[N_ALL];

static unsigned char dict_w[32768], dict_p[32768];
static size_t dict_w_len, dict_p_len;
static artpack_dict dw, dp; /* with a word list; plain (no list) */

static void make_records(void) {
    static char raw[600];
    static const char arabic[] = "\xd9\x82\xd8\xa7\xd9\x84 \xd8\xa7\xd9\x84\xd9\x88\xd8\xb2\xd9\x8a"
                                 "\xd8\xb1 \xd8\xa5\xd9\x86 \xd8\xa7\xd9\x84\xd8\xa3\xd8\xb3\xd8\xb9"
                                 "\xd8\xa7\xd8\xb1 the market said";
    static const char chinese[] = "\xe6\x96\xb0\xe5\x8d\x8e\xe7\xa4\xbe\xe5\x8c\x97\xe4\xba\xac "
                                  "\xe7\x94\xb5 prices of oil rose";
    artpack_article a;
    artpack_str para;
    size_t i;
    rng_state = 777;
    for (i = 0; i < N_TEXT; i++) {
        char t[512], b[8192], id[32];
        artpack_article_init(&a);
        a.id = tu_strn(id, (size_t)sprintf(id, "w-%u", (unsigned)rng()));
        a.title = text_str(t, 40 + rng() % 80);
        para = text_str(b, 200 + rng() % 1500);
        a.body = tu_list(&para, 1);
        rec[i] = encode_exact(&a, &rec_size[i]);
    }
    /* every byte value, the code bytes C0 C1 F5..FD among them, between words */
    for (i = 0; i < sizeof raw; i++) raw[i] = i % 3 == 0 ? (char)(i / 3) : "said"[i % 4];
    artpack_article_init(&a);
    a.id = tu_str("codes");
    a.title = tu_strn(raw, sizeof raw);
    rec[N_TEXT] = encode_exact(&a, &rec_size[N_TEXT]);
    artpack_article_init(&a);
    a.id = tu_str("ar");
    a.title = tu_str(arabic);
    para = tu_str(arabic);
    a.body = tu_list(&para, 1);
    rec[N_TEXT + 1] = encode_exact(&a, &rec_size[N_TEXT + 1]);
    artpack_article_init(&a);
    a.id = tu_str("zh");
    a.title = tu_str(chinese);
    rec[N_TEXT + 2] = encode_exact(&a, &rec_size[N_TEXT + 2]);
    artpack_article_init(&a);
    rec[N_TEXT + 3] = encode_exact(&a, &rec_size[N_TEXT + 3]);
}

/* A dictionary trained on the sample records: 200 words (1), none (0). */
static void train(unsigned char *dst, size_t *len, int words) {
    artpack_train_params p;
    memset(&p, 0, sizeof p);
    p.dict_size = 16384;
    p.level = 3;
    p.words = words ? 200 : -1;
    assert_ap_ok(artpack_dict_train(dst, 32768, samples, sample_sizes, N_SAMPLES, &p, len));
}

static int setup(void **state) {
    (void)state;
    make_records();
    make_samples(4242);
    train(dict_w, &dict_w_len, 1);
    train(dict_p, &dict_p_len, 0);
    free_samples();
    if (artpack_dict_load(&dw, dict_w, dict_w_len) != ARTPACK_OK ||
        artpack_dict_load(&dp, dict_p, dict_p_len) != ARTPACK_OK || dw.words == NULL ||
        dp.words != NULL)
        return -1;
    return 0;
}

static int teardown(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < N_ALL; i++) free(rec[i]);
    return 0;
}

/* ---- bundles in memory (bundle_mem.h) ---- */

/* Records from..to of the test set into a new bundle (or an appender's). */
static void add_range(artpack_bundle_writer *w, size_t from, size_t to) {
    size_t i;
    for (i = from; i < to; i++) assert_ap_ok(artpack_bundle_writer_add(w, rec[i], rec_size[i]));
    assert_ap_ok(artpack_bundle_writer_commit(w));
}

static void write_bundle(membuf *out, const artpack_bundle_params *p, const artpack_dict *d) {
    artpack_bundle_writer *w;
    memset(out, 0, sizeof *out);
    assert_ap_ok(artpack_bundle_writer_create(&w, p, d, NULL, membuf_write, out));
    add_range(w, 0, N_ALL);
    artpack_bundle_writer_free(w);
}

/* Every article of m is record first + n (in order, then backwards, so
 * that blocks are loaded anew), every block checks. */
static void check_all(membuf *m, const artpack_dict *d, int mapped, size_t count) {
    rd o;
    uint64_t i, b;
    assert_ap_ok(rd_open_mem(&o, m, d, mapped));
    assert_int_equal(o.info.article_count, count);
    for (i = 0; i < 2 * count; i++) {
        uint64_t n = i < count ? i : 2 * count - 1 - i;
        const void *p;
        size_t size;
        assert_ap_ok(artpack_bundle_get(o.r, n, &p, &size));
        assert_int_equal(size, rec_size[n]);
        assert_memory_equal(p, rec[n], size);
    }
    for (b = 0; b < o.info.block_count; b++) assert_ap_ok(artpack_bundle_check_block(o.r, b, NULL, NULL));
    for (i = 0; i < count; i += 37) { /* find by id (the ids are unique) */
        artpack_article view;
        uint64_t at = 0;
        assert_ap_ok(artpack_record_decode(&view, rec[i], rec_size[i], NULL));
        if (view.id.ptr == NULL) continue;
        assert_ap_ok(artpack_bundle_find_id(o.r, view.id.ptr, view.id.len, &at));
        assert_int_equal(at, i);
    }
    assert_ap_ok(artpack_bundle_check_index(o.r));
    rd_close(&o);
}

typedef struct salv {
    size_t next;
    int bad;
} salv;

static int salv_cb(void *opaque, const void *record, size_t size) {
    salv *s = (salv *)opaque;
    if (s->next >= N_ALL || size != rec_size[s->next] || memcmp(record, rec[s->next], size) != 0)
        s->bad = 1;
    s->next++;
    return 0;
}

/* Salvage hands over every record in order. */
static void check_salvage(const membuf *m, const artpack_dict *d, int want_words) {
    artpack_salvage_stats st;
    salv s = {0, 0};
    assert_ap_ok(artpack_bundle_salvage(m->p, m->len, d, NULL, salv_cb, &s, &st));
    assert_false(s.bad);
    assert_int_equal(s.next, N_ALL);
    assert_int_equal(st.blocks_bad, 0);
    if (want_words >= 0) assert_int_equal(st.words, want_words);
}

/* ---- round trips ---- */

static void test_round_trip(void **state) {
    static const artpack_codec codecs[] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4};
    static const size_t blocks[] = {4096, 65536, 1u << 20};
    size_t c, b;
    int columns, embed;
    (void)state;
    for (c = 0; c < 2; c++)
        for (b = 0; b < 3; b++)
            for (columns = 0; columns < 2; columns++)
                for (embed = 0; embed < 2; embed++) {
                    artpack_bundle_params pw =
                        bundle_params(codecs[c], blocks[b], columns, embed, 1);
                    artpack_bundle_params pp =
                        bundle_params(codecs[c], blocks[b], columns, embed, 0);
                    const artpack_dict *rd_dict = embed ? NULL : &dw;
                    membuf mw, mp, again;
                    rd o;
                    write_bundle(&mw, &pw, &dw);
                    write_bundle(&mp, &pp, &dw);
                    write_bundle(&again, &pw, &dw); /* deterministic */
                    assert_int_equal(mw.len, again.len);
                    assert_memory_equal(mw.p, again.p, mw.len);
                    assert_ap_ok(rd_open_mem(&o, &mw, rd_dict, 0));
                    assert_int_equal(o.info.words, 1);
                    rd_close(&o);
                    assert_ap_ok(rd_open_mem(&o, &mp, rd_dict, 0));
                    assert_int_equal(o.info.words, 0);
                    rd_close(&o);
                    check_all(&mw, rd_dict, 0, N_ALL);
                    check_all(&mw, rd_dict, 1, N_ALL);
                    check_all(&mp, rd_dict, 0, N_ALL);
                    check_salvage(&mw, &dw, 1);
                    /* the transform pays on text like the dictionary's */
                    if (b > 0) assert_true(mw.len < mp.len);
                    free(mw.p);
                    free(mp.p);
                    free(again.p);
                }
}

/* Stored blocks take no envelope: words is ignored, as the compressor does. */
static void test_stored_ignores_words(void **state) {
    artpack_bundle_params p = bundle_params(ARTPACK_CODEC_STORED, 65536, 0, 0, 1);
    membuf m;
    rd o;
    (void)state;
    write_bundle(&m, &p, &dw);
    assert_ap_ok(rd_open_mem(&o, &m, NULL, 0));
    assert_int_equal(o.info.words, 0);
    rd_close(&o);
    check_all(&m, NULL, 0, N_ALL);
    free(m.p);
}

/* A block whose transform runs ahead of its input (words saved early, code
 * bytes escaped late) goes as it is (F = 0), and reads back. */
static void test_fallback_not_in_place(void **state) {
    unsigned char *late;
    size_t late_size, words_size, fs;
    char b[4000], codes[1200];
    artpack_article a;
    artpack_str para;
    artpack_bundle_params p = bundle_params(ARTPACK_CODEC_ZSTD, 1u << 20, 0, 0, 1);
    artpack_bundle_writer *w;
    membuf m;
    unsigned char *words_rec, env[64];
    rd o;
    const void *got;
    size_t size, i;
    (void)state;
    rng_state = 99;
    artpack_article_init(&a);
    para = text_str(b, 3900);
    a.body = tu_list(&para, 1);
    words_rec = encode_exact(&a, &words_size);
    for (i = 0; i < sizeof codes; i++) codes[i] = (char)(0xC0 + i % 2);
    artpack_article_init(&a);
    a.title = tu_strn(codes, sizeof codes);
    late = encode_exact(&a, &late_size);
    memset(&m, 0, sizeof m);
    assert_ap_ok(artpack_bundle_writer_create(&w, &p, &dw, NULL, membuf_write, &m));
    assert_ap_ok(artpack_bundle_writer_add(w, words_rec, words_size));
    assert_ap_ok(artpack_bundle_writer_add(w, late, late_size));
    assert_ap_ok(artpack_bundle_writer_commit(w));
    artpack_bundle_writer_free(w);
    /* the one block is a zstd frame right after the header: its envelope
     * starts with F = 0 */
    fs = ZSTD_findFrameCompressedSize(m.p + 32, m.len - 32);
    assert_false(ZSTD_isError(fs));
    {
        ZSTD_DCtx *dc = ZSTD_createDCtx();
        unsigned char *whole = (unsigned char *)tu_malloc(words_size + late_size + 64);
        size_t n = ZSTD_decompress_usingDict(dc, whole, words_size + late_size + 64, m.p + 32, fs,
                                             dw.data, dw.size);
        assert_false(ZSTD_isError(n));
        memcpy(env, whole, sizeof env);
        assert_int_equal(env[0], 0);
        free(whole);
        ZSTD_freeDCtx(dc);
    }
    assert_ap_ok(rd_open_mem(&o, &m, &dw, 0));
    assert_ap_ok(artpack_bundle_get(o.r, 1, &got, &size));
    assert_int_equal(size, late_size);
    assert_memory_equal(got, late, size);
    assert_ap_ok(artpack_bundle_get(o.r, 0, &got, &size));
    assert_int_equal(size, words_size);
    assert_memory_equal(got, words_rec, size);
    rd_close(&o);
    free(m.p);
    free(late);
    free(words_rec);
}

/* An appender continues with word envelopes (its dictionary's list); block
 * copies keep them, and are refused between bundles with and without. */
static void test_append_and_copy(void **state) {
    artpack_bundle_params p = bundle_params(ARTPACK_CODEC_ZSTD, 8192, 1, 0, 1);
    artpack_bundle_params q = bundle_params(ARTPACK_CODEC_ZSTD, 8192, 1, 0, 0);
    artpack_bundle_writer *w;
    artpack_bundle_info info;
    membuf m, copy;
    rd src;
    uint64_t b;
    (void)state;
    memset(&m, 0, sizeof m);
    assert_ap_ok(artpack_bundle_writer_create(&w, &p, &dw, NULL, membuf_write, &m));
    add_range(w, 0, 100);
    artpack_bundle_writer_free(w);
    assert_ap_ok(artpack_bundle_info_get(&info, membuf_read, &m, m.len));
    assert_ap_ok(artpack_bundle_appender_open(&w, &info, &dw, NULL, membuf_write, &m, membuf_read,
                                              &m));
    add_range(w, 100, N_ALL);
    artpack_bundle_writer_free(w);
    check_all(&m, &dw, 0, N_ALL);
    /* the copy: the same blocks, read back the same */
    memset(&copy, 0, sizeof copy);
    assert_ap_ok(rd_open_mem(&src, &m, &dw, 0));
    assert_ap_ok(artpack_bundle_writer_create(&w, &p, &dw, NULL, membuf_write, &copy));
    for (b = 0; b < src.info.block_count; b++)
        assert_ap_ok(artpack_bundle_writer_copy_block(w, src.r, b));
    assert_ap_ok(artpack_bundle_writer_commit(w));
    artpack_bundle_writer_free(w);
    check_all(&copy, &dw, 0, N_ALL);
    check_all(&copy, &dw, 1, N_ALL);
    /* into a bundle without envelopes: refused, nothing written */
    expect_copy_refused(&q, &dw, artpack_bundle_writer_copy_block, src.r, 0, ARTPACK_E_PARAM);
    rd_close(&src);
    free(m.p);
    free(copy.p);
}

/* Salvage without a header tries the envelope; with a plain dictionary of
 * another ID the blocks are lost, not misread. */
static void test_salvage_without_header(void **state) {
    artpack_bundle_params p = bundle_params(ARTPACK_CODEC_LZ4, 16384, 0, 0, 1);
    artpack_salvage_stats st;
    membuf m;
    salv s = {0, 0};
    (void)state;
    write_bundle(&m, &p, &dw);
    memset(m.p, 0, 32); /* the header */
    check_salvage(&m, &dw, -1);
    assert_ap_ok(artpack_bundle_salvage(m.p, m.len, &dp, NULL, salv_cb, &s, &st));
    assert_int_equal(s.next, 0);
    assert_int_equal(st.blocks_ok, 0);
    free(m.p);
}

/* ---- word columns (columnar blocks with bit 2) ---- */

/* Gets in a random order (each expands its record alone, walking from the
 * snapshot before it), with block checks between them (which rebuild every
 * record into the same buffer): every article back. */
static void test_word_columns_random_gets(void **state) {
    static const size_t blocks[] = {4096, 1u << 20};
    size_t b, i;
    (void)state;
    for (b = 0; b < 2; b++) {
        artpack_bundle_params p = bundle_params(ARTPACK_CODEC_ZSTD, blocks[b], 1, 0, 1);
        size_t order[N_ALL];
        membuf m;
        rd o;
        write_bundle(&m, &p, &dw);
        assert_ap_ok(rd_open_mem(&o, &m, &dw, 0));
        assert_int_equal(o.info.columns, 1);
        assert_int_equal(o.info.words, 1);
        for (i = 0; i < N_ALL; i++) order[i] = i;
        rng_state = 5150 + b;
        for (i = N_ALL; i > 1; i--) { /* a permutation */
            size_t j = rng() % i, t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (i = 0; i < N_ALL; i++) {
            const void *got;
            size_t size;
            assert_ap_ok(artpack_bundle_get(o.r, order[i], &got, &size));
            assert_int_equal(size, rec_size[order[i]]);
            assert_memory_equal(got, rec[order[i]], size);
            if (i % 50 == 0) {
                artpack_bundle_location where;
                assert_ap_ok(artpack_bundle_locate(o.r, order[i], &where));
                assert_ap_ok(artpack_bundle_check_block(o.r, where.block, NULL, NULL));
            }
        }
        rd_close(&o);
        free(m.p);
    }
}

/* ap_columns_words' transform: the writer's (bundle_write.c). */
static size_t words_text(const void *e, unsigned char *dst, const unsigned char *src, size_t n) {
    int in_place;
    return ap_words_apply((const ap_words_enc *)e, dst, src, n, &in_place);
}

/* Rows of records first .. first + n - 1, as block content. */
static size_t rows_of(unsigned char *dst, size_t first, size_t n) {
    size_t at = ap_block_head(dst, (uint32_t)n), i;
    for (i = 0; i < n; i++) at += artpack_varint_write(dst + at, 10, rec_size[first + i]);
    for (i = 0; i < n; i++) {
        memcpy(dst + at, rec[first + i], rec_size[first + i]);
        at += rec_size[first + i];
    }
    return at;
}

/* Word columns made by the writer's encoder from columnar content (the
 * code bytes, Arabic and Chinese articles among them) rebuild to the rows
 * they came from, whole and one record at a time in any order; every
 * truncation and every byte changed is refused or rebuilds to rows of
 * valid structure, record by record as whole. */
static void test_word_columns_content(void **state) {
    static unsigned char rows[200000], cols[260000], wc[600000], back[900000], one[900000];
    static uint32_t snaps[ap_columns_snaps(64)];
    const size_t first = N_TEXT - 60, n = 64;
    size_t rows_len = rows_of(rows, first, n), cols_len = 0, wc_len, at = 0, got = 0, i, k;
    ap_words_enc *e = NULL;
    static unsigned char tab[AP_WORDS_TABLE_SIZE];
    ap_colstate st;
    (void)state;
    assert_ap_ok(ap_columns_encode(cols, sizeof cols, rows, rows_len, &cols_len));
    assert_ap_ok(ap_words_enc_create(&e, dw.words, ap_allocator_or_default(NULL)));
    assert_true(ap_words_wrap_bound(cols_len) <= sizeof wc);
    wc_len = ap_columns_words(words_text, e, wc, cols, cols_len);
    ap_words_enc_free(e);
    assert_true(wc_len > 0 && wc_len < cols_len); /* the words pay */
    ap_words_table(dw.words, tab);
    assert_ap_ok(ap_columns_decode_words(back, sizeof back, wc, wc_len, dw.words, NULL, &at, &got));
    assert_int_equal(got, rows_len);
    assert_memory_equal(back + at, rows, rows_len);
    assert_ap_ok(ap_columns_decode_words(back, sizeof back, wc, wc_len, dw.words, tab, &at, &got));
    assert_memory_equal(back + at, rows, rows_len);
    /* one at a time: backwards, then every third, then in order */
    assert_ap_ok(ap_columns_walk_start(&st, wc, wc_len, (uint32_t)n, dw.words, tab));
    for (i = 0; i < 3 * n; i++) {
        size_t len = 0;
        k = i < n ? n - 1 - i : i < 2 * n ? (3 * (i - n)) % n : i - 2 * n;
        assert_ap_ok(ap_columns_one(&st, (uint32_t)k, snaps, one, sizeof one, &len));
        assert_int_equal(len, rec_size[first + k]);
        assert_memory_equal(one, rec[first + k], len);
    }
    /* the count must be the index's; a record past it is refused */
    assert_ap_error(ap_columns_walk_start(&st, wc, wc_len, (uint32_t)n + 1, dw.words, tab),
                    ARTPACK_E_BLOCK);
    assert_ap_ok(ap_columns_walk_start(&st, wc, wc_len, (uint32_t)n, dw.words, tab));
    {
        size_t len;
        assert_ap_error(ap_columns_one(&st, (uint32_t)n, snaps, one, sizeof one, &len),
                        ARTPACK_E_BLOCK);
        /* a record that does not fit the buffer */
        assert_ap_error(ap_columns_one(&st, 0, snaps, one, rec_size[first] - 1, &len),
                        ARTPACK_E_BLOCK);
    }
    /* damage: refused, or rows of valid structure, one by one the same */
    for (i = 0; i < wc_len; i += 1 + i / 64) {
        size_t j;
        for (j = 0; j < 2; j++) {
            unsigned char saved = wc[i];
            size_t len = j == 0 ? i : wc_len;
            artpack_error whole;
            if (j == 1) wc[i] ^= (unsigned char)(1u << (i % 8));
            whole = ap_columns_decode_words(back, sizeof back, wc, len, dw.words, tab, &at, &got);
            assert_true(whole == ARTPACK_OK || whole == ARTPACK_E_BLOCK);
            if (whole == ARTPACK_OK) {
                ap_block blk;
                ap_block_iter it;
                const unsigned char *r;
                size_t want, rl;
                assert_ap_ok(ap_block_parse(&blk, back + at, got, NULL));
                assert_ap_ok(ap_columns_walk_start(&st, wc, len, blk.count, dw.words, NULL));
                ap_block_iter_init(&it, &blk);
                for (k = 0; ap_block_iter_next(&it, &r, &want); k++) {
                    assert_ap_ok(ap_columns_one(&st, (uint32_t)k, snaps, one, sizeof one, &rl));
                    assert_int_equal(rl, want);
                    assert_memory_equal(one, r, rl);
                }
            }
            wc[i] = saved;
        }
    }
}

/* The rules of word columns on hand-made content: a field's end is the
 * first FE that starts a code (not an escape's second byte), a payload's
 * codes must exist, VARINT fields are as they are. */
static void test_word_columns_errors(void **state) {
    /* 1 record, mask: columns 1 (id, TEXT) and 4 (date, VARINT); the 16
     * sizes; column 1: key 0C, payload; column 4: key 20, varint 05 */
    unsigned char c[64], out[256];
    uint32_t snaps[AP_COLS_SNAP];
    size_t at, got, len, i, n;
    ap_colstate st;
    (void)state;
    for (i = 0; i < 3; i++) {
        /* payloads: "a", the escape F6 FE (C0) then "b", a bad escape FC FE */
        static const unsigned char *const pay[3] = {(const unsigned char *)"a\xFE",
                                                    (const unsigned char *)"\xF6\xFE" "b\xFE",
                                                    (const unsigned char *)"\xFC\xFE\xFE"};
        static const size_t pay_len[3] = {2, 4, 3};
        n = 0;
        c[n++] = 1;    /* count */
        c[n++] = 0x12; /* mask: bits 1, 4 */
        for (at = 0; at < 16; at++) c[n++] = at == 1 ? (unsigned char)(1 + pay_len[i]) : at == 4 ? 2 : 0;
        c[n++] = 0x0C;
        memcpy(c + n, pay[i], pay_len[i]);
        n += pay_len[i];
        c[n++] = 0x20;
        c[n++] = 0x05;
        at = got = 0;
        if (i < 2) {
            static const unsigned char want0[] = {0x0C, 'a', 0xFE, 0x20, 0x05, 0x00};
            static const unsigned char want1[] = {0x0C, 0xC0, 'b', 0xFE, 0x20, 0x05, 0x00};
            assert_ap_ok(ap_columns_decode_words(out, sizeof out, c, n, dw.words, NULL, &at, &got));
            /* rows: count 1, size, the record */
            assert_int_equal(out[at], 1);
            assert_int_equal(out[at + 1], i == 0 ? sizeof want0 : sizeof want1);
            assert_memory_equal(out + at + 2, i == 0 ? want0 : want1,
                                i == 0 ? sizeof want0 : sizeof want1);
            assert_ap_ok(ap_columns_walk_start(&st, c, n, 1, dw.words, NULL));
            assert_ap_ok(ap_columns_one(&st, 0, snaps, out, sizeof out, &len));
            assert_int_equal(len, got - 2);
        } else { /* the escape FC FE is none (11 escapes): found, refused when expanded */
            assert_ap_error(ap_columns_decode_words(out, sizeof out, c, n, dw.words, NULL, &at, &got),
                            ARTPACK_E_BLOCK);
            assert_ap_ok(ap_columns_walk_start(&st, c, n, 1, dw.words, NULL));
            assert_ap_error(ap_columns_one(&st, 0, snaps, out, sizeof out, &len), ARTPACK_E_BLOCK);
        }
    }
    /* a TEXT field whose only FE is an escape's second byte: no end */
    n = 0;
    c[n++] = 1;
    c[n++] = 0x02;
    for (at = 0; at < 16; at++) c[n++] = at == 1 ? 3 : 0;
    memcpy(c + n, "\x0C\xF6\xFE", 3);
    n += 3;
    assert_ap_error(ap_columns_decode_words(out, sizeof out, c, n, dw.words, NULL, &at, &got),
                    ARTPACK_E_BLOCK);
    /* the same bytes are a whole field of plain columns ("F6" then its FE) */
    assert_ap_ok(ap_columns_decode(out, sizeof out, c, n, &at, &got));
    /* F6 F6 FE: the second F6 is the code's second byte, the FE ends it */
    c[3] = 4;
    memcpy(c + 18, "\x0C\xF6\xF6\xFE", 4);
    n = 22;
    assert_ap_error(ap_columns_decode_words(out, sizeof out, c, n, dw.words, NULL, &at, &got),
                    ARTPACK_E_BLOCK); /* F6 F6: word 3 + 246 is past this list */
    assert_ap_ok(ap_columns_walk_start(&st, c, n, 1, dw.words, NULL));
    assert_ap_error(ap_columns_one(&st, 0, snaps, out, sizeof out, &len), ARTPACK_E_BLOCK);
}

/* ---- errors ---- */

static void fix_header(unsigned char *p) { /* the checksum of the header's payload */
    uint32_t h = XXH32(p + 8, 20, 0);
    p[28] = (unsigned char)h;
    p[29] = (unsigned char)(h >> 8);
    p[30] = (unsigned char)(h >> 16);
    p[31] = (unsigned char)(h >> 24);
}

static void test_errors_writer(void **state) {
    artpack_bundle_params p = bundle_params(ARTPACK_CODEC_ZSTD, 8192, 1, 0, 1);
    artpack_bundle_writer *w = NULL;
    membuf m;
    (void)state;
    memset(&m, 0, sizeof m);
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &dp, NULL, membuf_write, &m),
                    ARTPACK_E_NO_WORDS);
    assert_null(w);
    assert_ap_error(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m),
                    ARTPACK_E_NO_WORDS);
    p.codec = ARTPACK_CODEC_LZ4;
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &dp, NULL, membuf_write, &m),
                    ARTPACK_E_NO_WORDS);
    assert_int_equal(m.len, 0); /* nothing written */
    free(m.p);
}

static void test_errors_header(void **state) {
    artpack_bundle_params p = bundle_params(ARTPACK_CODEC_ZSTD, 8192, 1, 0, 0);
    artpack_bundle_info info;
    membuf none, stored, plain, rows;
    rd o;
    const void *got;
    size_t size;
    (void)state;
    /* bit 2 without a dictionary */
    write_bundle(&none, &p, NULL);
    none.p[8 + 6] |= 4;
    fix_header(none.p);
    assert_ap_error(artpack_bundle_info_get(&info, membuf_read, &none, none.len), ARTPACK_E_BUNDLE);
    /* on stored blocks */
    p.codec = ARTPACK_CODEC_STORED;
    write_bundle(&stored, &p, &dw);
    stored.p[8 + 6] |= 4;
    stored.p[8 + 8] = 1; /* a dictionary ID, so that only the codec is wrong */
    fix_header(stored.p);
    assert_ap_error(artpack_bundle_info_get(&info, membuf_read, &stored, stored.len),
                    ARTPACK_E_BUNDLE);
    /* in a version 2 header */
    p.codec = ARTPACK_CODEC_ZSTD;
    p.columns = 0;
    write_bundle(&plain, &p, &dp);
    plain.p[8 + 6] |= 4;
    plain.p[8 + 4] = 2;
    fix_header(plain.p);
    assert_ap_error(artpack_bundle_info_get(&info, membuf_read, &plain, plain.len),
                    ARTPACK_E_BUNDLE);
    /* version 3, with a dictionary that holds no word list: refused at open */
    plain.p[8 + 4] = 3;
    fix_header(plain.p);
    assert_ap_ok(artpack_bundle_info_get(&info, membuf_read, &plain, plain.len));
    assert_int_equal(info.words, 1);
    assert_ap_error(rd_open_mem(&o, &plain, &dp, 0), ARTPACK_E_NEED_WORDS);
    assert_ap_error(artpack_bundle_reader_open(&o.r, o.ws, o.ws_size - 1, &o.info, &dp, membuf_read,
                                               &plain),
                    ARTPACK_E_WORKSPACE_TOO_SMALL); /* the size is checked first */
    rd_close(&o);
    { /* an appender needs the list too */
        artpack_bundle_writer *w = NULL;
        assert_ap_error(artpack_bundle_appender_open(&w, &info, &dp, NULL, membuf_write, &plain,
                                                     membuf_read, &plain),
                        ARTPACK_E_NO_WORDS);
        assert_null(w);
    }
    /* row blocks taken for envelopes: F (the record count) under the size
     * that follows it: a damaged block */
    write_bundle(&rows, &p, &dw);
    rows.p[8 + 6] |= 4;
    fix_header(rows.p);
    assert_ap_ok(rd_open_mem(&o, &rows, &dw, 0));
    assert_ap_error(artpack_bundle_get(o.r, 0, &got, &size), ARTPACK_E_BLOCK);
    assert_ap_error(artpack_bundle_check_block(o.r, 0, NULL, NULL), ARTPACK_E_BLOCK);
    rd_close(&o);
    free(none.p);
    free(stored.p);
    free(plain.p);
    free(rows.p);
}

/* The envelope's rules, on ap_words_unwrap itself. */
static void test_errors_envelope(void **state) {
    unsigned char buf[64], *content = NULL;
    size_t size = 0;
    (void)state;
    /* F = 0: the content where it lies */
    memcpy(buf + 60, "\x00" "abc", 4);
    assert_ap_ok(ap_words_unwrap(dw.words, NULL, buf, 64, 4, &content, &size));
    assert_ptr_equal(content, buf + 61);
    assert_int_equal(size, 3);
    /* "x" then word 0 of the list: expanded to end at 64 */
    {
        const unsigned char *w0 = dw.words + 4 + 2 * ((dw.words[2] + 15u) / 16u);
        size_t n = (size_t)w0[0];
        unsigned char env[3] = {(unsigned char)(1 + n), 'x', 0xC0};
        memcpy(buf + 64 - 3, env, 3);
        assert_ap_ok(ap_words_unwrap(dw.words, NULL, buf, 64, 3, &content, &size));
        assert_int_equal(size, 1 + n);
        assert_ptr_equal(content, buf + 64 - size);
        assert_int_equal(content[0], 'x');
        assert_memory_equal(content + 1, w0 + 1, n);
    }
    /* no varint: truncated */
    buf[63] = 0x80;
    assert_ap_error(ap_words_unwrap(dw.words, NULL, buf, 64, 1, &content, &size), ARTPACK_E_BLOCK);
    /* F over the room */
    memcpy(buf + 62, "\x41" "a", 2);
    assert_ap_error(ap_words_unwrap(dw.words, NULL, buf, 64, 2, &content, &size), ARTPACK_E_BLOCK);
    /* F under the transformed size */
    memcpy(buf + 60, "\x02" "abc", 4);
    assert_ap_error(ap_words_unwrap(dw.words, NULL, buf, 64, 4, &content, &size), ARTPACK_E_BLOCK);
    /* a prefix byte at the end; a word past the list; the wrong size */
    memcpy(buf + 61, "\x02" "a\xF6", 3);
    assert_ap_error(ap_words_unwrap(dw.words, NULL, buf, 64, 3, &content, &size), ARTPACK_E_WORDS);
    memcpy(buf + 61, "\x09" "\xFD\x00", 3);
    assert_ap_error(ap_words_unwrap(dw.words, NULL, buf, 64, 3, &content, &size), ARTPACK_E_WORDS);
    memcpy(buf + 60, "\x04" "abc", 4);
    assert_ap_error(ap_words_unwrap(dw.words, NULL, buf, 64, 4, &content, &size), ARTPACK_E_WORDS);
}

/* Every allocation of a writer with word envelopes may fail: a named error,
 * nothing leaked. */
static void test_errors_alloc_every_site(void **state) {
    artpack_bundle_params p = bundle_params(ARTPACK_CODEC_ZSTD, 8192, 1, 0, 1);
    artpack_allocator fa = {fail_alloc, fail_free, NULL};
    long n;
    int done = 0;
    (void)state;
    for (n = 1; !done && n < 2000; n++) {
        artpack_bundle_writer *w = NULL;
        membuf m;
        artpack_error e;
        size_t i;
        memset(&m, 0, sizeof m);
        alloc_calls = 0;
        alloc_live = 0;
        alloc_fail_at = n;
        e = artpack_bundle_writer_create(&w, &p, &dw, &fa, membuf_write, &m);
        for (i = 0; e == ARTPACK_OK && i < 60; i++) e = artpack_bundle_writer_add(w, rec[i], rec_size[i]);
        if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
        if (e == ARTPACK_OK) done = 1;
        else assert_ap_error(e, ARTPACK_E_ALLOC);
        artpack_bundle_writer_free(w);
        assert_int_equal(alloc_live, 0);
        free(m.p);
    }
    assert_true(done);
    alloc_fail_at = 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_stored_ignores_words),
        cmocka_unit_test(test_fallback_not_in_place),
        cmocka_unit_test(test_append_and_copy),
        cmocka_unit_test(test_salvage_without_header),
        cmocka_unit_test(test_word_columns_random_gets),
        cmocka_unit_test(test_word_columns_content),
        cmocka_unit_test(test_word_columns_errors),
        cmocka_unit_test(test_errors_writer),
        cmocka_unit_test(test_errors_header),
        cmocka_unit_test(test_errors_envelope),
        cmocka_unit_test(test_errors_alloc_every_site),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
