/* test_bundle_scale.c - bundles at archive scale (issue 10): copying blocks
 * undecoded (merge) gives the bytes of the decoded copy for every codec and
 * layout; reads counted through the read callback stay few whatever the
 * number of appends and articles. Synthetic articles (no corpus needed). */
#include "bundle_mem.h"

#include "synthetic.h"
#include "../codec/bundle_format.h" /* ap_bundle_id_hash: ids whose hashes collide */

#define N_ARTICLES 3000

static unsigned char *rec[N_ARTICLES];
static size_t rec_size[N_ARTICLES];
static unsigned char dict_bytes[16384];
static artpack_dict dict;

/* Article i: id "s-i" (article 17 has none, and every 500th from 250 has
 * the id of the article 100 before it), a title and a paragraph. */
static int id_of(size_t i, char *buf) {
    if (i == 17) return -1;
    if (i % 500 == 250) i -= 100;
    return sprintf(buf, "s-%zu", i);
}

static int setup(void **state) {
    char title[128], para[1024], id[24];
    size_t i, total = 0, len = 0;
    unsigned char *all;
    artpack_train_params tp;
    (void)state;
    rng_state = 2026;
    for (i = 0; i < N_ARTICLES; i++) {
        artpack_article a;
        artpack_str body;
        int n = id_of(i, id);
        artpack_article_init(&a);
        if (n >= 0) a.id = tu_strn(id, (size_t)n);
        a.title = text_str(title, 40 + rng() % 60);
        body = text_str(para, 80 + rng() % 400);
        a.body = tu_list(&body, 1);
        rec[i] = encode_exact(&a, &rec_size[i]);
        total += rec_size[i];
    }
    all = (unsigned char *)tu_malloc(total);
    for (i = 0, total = 0; i < N_ARTICLES; i++) {
        memcpy(all + total, rec[i], rec_size[i]);
        total += rec_size[i];
    }
    memset(&tp, 0, sizeof tp);
    tp.dict_size = 8192;
    tp.level = 3;
    if (artpack_dict_train(dict_bytes, sizeof dict_bytes, all, rec_size, 1000, &tp, &len) !=
            ARTPACK_OK ||
        artpack_dict_load(&dict, dict_bytes, len) != ARTPACK_OK)
        return -1;
    free(all);
    return 0;
}

static int teardown(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < N_ARTICLES; i++) free(rec[i]);
    return 0;
}

/* zstd bundle parameters: level 0 (the default), blocks of block_size,
 * columnar or rows. */
static artpack_bundle_params zstd_params(size_t block_size, int columns) {
    return bundle_params(ARTPACK_CODEC_ZSTD, block_size, columns, 0, 0);
}

/* ---- a bundle in memory (bundle_mem.h: readers of a membuf count its reads) ---- */

/* Articles [from, to) into w. */
static void add_range(artpack_bundle_writer *w, size_t from, size_t to) {
    size_t i;
    for (i = from; i < to; i++)
        assert_ap_error(artpack_bundle_writer_add(w, rec[i], rec_size[i]), ARTPACK_OK);
}

/* A new bundle of [from, to), one commit, or appends [from, to) to m. */
static void write_range(membuf *m, const artpack_bundle_params *p, const artpack_dict *d,
                        size_t from, size_t to) {
    artpack_bundle_writer *w = NULL;
    assert_ap_error(artpack_bundle_writer_create(&w, p, d, NULL, membuf_write, m), ARTPACK_OK);
    add_range(w, from, to);
    assert_ap_error(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
}

static void append_range(membuf *m, const artpack_dict *d, size_t from, size_t to) {
    artpack_bundle_info info;
    artpack_bundle_writer *w = NULL;
    assert_ap_error(artpack_bundle_info_get(&info, membuf_read, m, m->len), ARTPACK_OK);
    assert_ap_error(artpack_bundle_appender_open(&w, &info, d, NULL, membuf_write, m, membuf_read, m), ARTPACK_OK);
    add_range(w, from, to);
    assert_ap_error(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
}

/* ---- copying blocks undecoded ---- */

/* A bundle with p's settings: every block of x, articles [2000, 2003), every
 * block of y, one commit; copied with copy. */
static void merge_with(membuf *out, const artpack_bundle_params *p, const artpack_dict *d,
                       membuf *x, membuf *y, copy_fn copy) {
    const artpack_dict *rdict = p->embed_dict ? NULL : d;
    artpack_bundle_writer *w = NULL;
    rd ox, oy;
    uint64_t b;
    assert_ap_ok(rd_open_mem(&ox, x, rdict, 0));
    assert_ap_ok(rd_open_mem(&oy, y, rdict, 0));
    assert_ap_error(artpack_bundle_writer_create(&w, p, d, NULL, membuf_write, out), ARTPACK_OK);
    for (b = 0; b < ox.info.block_count; b++) assert_ap_error(copy(w, ox.r, b), ARTPACK_OK);
    add_range(w, 2000, 2003);
    for (b = 0; b < oy.info.block_count; b++) assert_ap_error(copy(w, oy.r, b), ARTPACK_OK);
    assert_ap_error(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    rd_close(&ox);
    rd_close(&oy);
}

/* Article n of the bundle read by r is article want, and its id is found
 * there (the first article with that id). */
static void expect_at(artpack_bundle_reader *r, uint64_t n, size_t want) {
    const void *got;
    size_t size;
    char id[24];
    int idn = id_of(want, id);
    uint64_t at = 0;
    assert_ap_error(artpack_bundle_get(r, n, &got, &size), ARTPACK_OK);
    assert_int_equal(size, rec_size[want]);
    assert_memory_equal(got, rec[want], size);
    if (idn < 0) return;
    assert_ap_error(artpack_bundle_find_id(r, id, (size_t)idn, &at), ARTPACK_OK);
    assert_true(at <= n);
    if (want % 500 != 250) assert_int_equal(at, n); /* not a repeated id */
}

/* For every codec and layout, with and without a dictionary: copying every
 * block undecoded (ids from the source's index) writes the bytes of the
 * decoded copy, sources with several live segments included, and the
 * merged bundle reads back, every id found. */
static void test_copy_undecoded_same_bytes(void **state) {
    static const struct {
        artpack_codec codec;
        int dict, embed, columns;
    } cfg[] = {{ARTPACK_CODEC_ZSTD, 1, 0, 1}, {ARTPACK_CODEC_ZSTD, 1, 0, 0},
               {ARTPACK_CODEC_ZSTD, 1, 1, 1}, {ARTPACK_CODEC_ZSTD, 0, 0, 1},
               {ARTPACK_CODEC_LZ4, 1, 0, 0},  {ARTPACK_CODEC_STORED, 0, 0, 0}};
    size_t c;
    (void)state;
    for (c = 0; c < TU_COUNT(cfg); c++) {
        artpack_bundle_params p;
        const artpack_dict *d = cfg[c].dict ? &dict : NULL;
        membuf x, y, a, b;
        rd o;
        uint64_t n;
        memset(&p, 0, sizeof p);
        p.codec = cfg[c].codec;
        p.block_size = 8192;
        p.embed_dict = cfg[c].embed;
        p.columns = cfg[c].columns;
        memset(&x, 0, sizeof x);
        memset(&y, 0, sizeof y);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        /* x: a pack and appends (live segments of different sizes) */
        write_range(&x, &p, d, 0, 700);
        append_range(&x, d, 700, 900);
        append_range(&x, d, 900, 905);
        p.block_size = 3000; /* y: another block size */
        write_range(&y, &p, d, 1000, 1600);
        p.block_size = 8192;
        merge_with(&a, &p, d, &x, &y, artpack_bundle_writer_copy_block);
        merge_with(&b, &p, d, &x, &y, artpack_bundle_writer_copy_block_undecoded);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.p, b.p, a.len);
        assert_ap_ok(rd_open_mem(&o, &b, p.embed_dict ? NULL : d, 0));
        assert_int_equal(o.info.article_count, 905 + 3 + 600);
        for (n = 0; n < o.info.article_count; n++)
            expect_at(o.r, n, n < 905 ? n : n < 908 ? 2000 + (n - 905) : 1000 + (n - 908));
        rd_close(&o);
        membuf_free(&x);
        membuf_free(&y);
        membuf_free(&a);
        membuf_free(&b);
    }
}

/* Damaged blocks: one whose content is damaged is copied as it is (found
 * by the reader's check of the copy, the others read back); one whose
 * frame head is damaged is refused with nothing written. Refusals: another
 * codec or dictionary, no such block, NULL. */
static void test_copy_undecoded_damaged(void **state) {
    artpack_bundle_params p;
    membuf x, out;
    rd o, oc;
    artpack_bundle_location where;
    artpack_bundle_writer *w = NULL;
    unsigned char *saved;
    size_t before;
    uint64_t first = 0, b;
    uint32_t count = 0;
    (void)state;
    p = zstd_params(8192, 1);
    memset(&x, 0, sizeof x);
    memset(&out, 0, sizeof out);
    write_range(&x, &p, &dict, 0, 400);
    assert_ap_ok(rd_open_mem(&o, &x, &dict, 0));
    assert_ap_error(artpack_bundle_locate(o.r, 100, &where), ARTPACK_OK);
    saved = tu_dup(x.p, x.len);
    x.p[where.block_offset + where.block_frame_size / 2] ^= 0x20; /* its content */
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &dict, NULL, membuf_write, &out), ARTPACK_OK);
    for (b = 0; b < o.info.block_count; b++)
        assert_ap_error(artpack_bundle_writer_copy_block_undecoded(w, o.r, b), ARTPACK_OK);
    assert_ap_error(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    assert_ap_ok(rd_open_mem(&oc, &out, &dict, 0));
    for (b = 0; b < oc.info.block_count; b++) {
        artpack_error e = artpack_bundle_check_block(oc.r, b, &first, &count);
        if (b == where.block) {
            assert_ap_error(e, ARTPACK_E_BLOCK);
            assert_int_equal(first, where.block_first);
        } else {
            assert_ap_error(e, ARTPACK_OK);
        }
    }
    rd_close(&oc);
    /* the frame's head: refused, nothing written, the writer goes on */
    memcpy(x.p, saved, x.len);
    x.p[where.block_offset] ^= 0x01; /* the zstd magic */
    membuf_free(&out);
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &dict, NULL, membuf_write, &out), ARTPACK_OK);
    before = out.len;
    assert_ap_error(artpack_bundle_writer_copy_block_undecoded(w, o.r, where.block), ARTPACK_E_BLOCK);
    assert_int_equal(out.len, before);
    assert_ap_error(artpack_bundle_writer_copy_block_undecoded(w, o.r, o.info.block_count),
               ARTPACK_E_NOT_FOUND);
    assert_ap_error(artpack_bundle_writer_copy_block_undecoded(NULL, o.r, 0), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_bundle_writer_copy_block_undecoded(w, NULL, 0), ARTPACK_E_NULL_ARG);
    assert_int_equal(out.len, before);
    assert_ap_error(artpack_bundle_writer_copy_block_undecoded(w, o.r, where.block + 1), ARTPACK_OK);
    assert_ap_error(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    assert_ap_ok(rd_open_mem(&oc, &out, &dict, 0));
    assert_ap_error(artpack_bundle_check_block(o.r, where.block + 1, &first, &count), ARTPACK_OK);
    assert_int_equal(oc.info.article_count, count);
    expect_at(oc.r, 0, (size_t)first);
    expect_at(oc.r, count - 1, (size_t)first + count - 1);
    rd_close(&oc);
    membuf_free(&out);
    /* another dictionary (none), another codec: refused, nothing written */
    p.columns = 1;
    expect_copy_refused(&p, NULL, artpack_bundle_writer_copy_block_undecoded, o.r, 0,
                        ARTPACK_E_WRONG_DICT);
    p.codec = ARTPACK_CODEC_LZ4;
    p.columns = 0;
    expect_copy_refused(&p, &dict, artpack_bundle_writer_copy_block_undecoded, o.r, 0,
                        ARTPACK_E_PARAM);
    rd_close(&o);
    free(saved);
    membuf_free(&x);
}

/* Every allocation of a merge by undecoded copies failing in turn: the
 * failing call says ARTPACK_E_ALLOC, nothing leaks, and once none fails the
 * bytes are those of the decoded copy. */
static void test_copy_undecoded_alloc_failures(void **state) {
    artpack_bundle_params p;
    artpack_allocator fail = {fail_alloc, fail_free, NULL};
    membuf x, want;
    rd o;
    long k;
    int done = 0;
    (void)state;
    p = zstd_params(2048, 1);
    memset(&x, 0, sizeof x);
    memset(&want, 0, sizeof want);
    write_range(&x, &p, &dict, 0, 300);
    merge_with(&want, &p, &dict, &x, &x, artpack_bundle_writer_copy_block);
    assert_ap_ok(rd_open_mem(&o, &x, &dict, 0));
    for (k = 1; !done && k < 10000; k++) {
        artpack_bundle_writer *w = NULL;
        membuf out;
        artpack_error e;
        uint64_t b, round;
        memset(&out, 0, sizeof out);
        alloc_calls = 0;
        alloc_live = 0;
        alloc_fail_at = k;
        e = artpack_bundle_writer_create(&w, &p, &dict, &fail, membuf_write, &out);
        for (round = 0; round < 2 && e == ARTPACK_OK; round++) {
            for (b = 0; b < o.info.block_count && e == ARTPACK_OK; b++)
                e = artpack_bundle_writer_copy_block_undecoded(w, o.r, b);
            if (round == 0 && e == ARTPACK_OK) {
                size_t i;
                for (i = 2000; i < 2003 && e == ARTPACK_OK; i++)
                    e = artpack_bundle_writer_add(w, rec[i], rec_size[i]);
            }
        }
        if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
        artpack_bundle_writer_free(w);
        assert_int_equal(alloc_live, 0);
        if (e == ARTPACK_OK) {
            assert_true(alloc_calls < k); /* none failed */
            assert_int_equal(out.len, want.len);
            assert_memory_equal(out.p, want.p, want.len);
            done = 1;
        } else {
            assert_ap_error(e, ARTPACK_E_ALLOC);
        }
        membuf_free(&out);
    }
    assert_true(done);
    printf("undecoded copies: each of %ld allocations failed in turn, cleanly\n", k - 2);
    rd_close(&o);
    membuf_free(&x);
    membuf_free(&want);
}

/* ---- finding by id ---- */

static const void *mb_map(void *opaque, uint64_t off, size_t size) {
    const membuf *m = (const membuf *)opaque;
    if (off > m->len || size > m->len - off) return NULL;
    return m->p + off;
}

/* The first of articles [0, N_ARTICLES) with the id id[0..len), or
 * N_ARTICLES. */
static size_t first_with_id(const char *id, size_t len) {
    size_t i;
    for (i = 0; i < N_ARTICLES; i++) {
        char b[24];
        int n = id_of(i, b);
        if (n >= 0 && (size_t)n == len && memcmp(b, id, len) == 0) return i;
    }
    return N_ARTICLES;
}

/* Find by id gives the first article with the id, or ARTPACK_E_NOT_FOUND,
 * for every id of the bundle and 3,000 absent ones, whatever the layout,
 * through reads and through a map: columnar zstd blocks check a hash's
 * match from the id column of the first part of the block alone (absent
 * ids whose hash is an article's are screened so). */
static void test_find_id_every_layout(void **state) {
    static const struct {
        artpack_codec codec;
        int columns;
    } cfg[] = {{ARTPACK_CODEC_ZSTD, 1}, {ARTPACK_CODEC_ZSTD, 0}, {ARTPACK_CODEC_LZ4, 0}};
    static unsigned char taken[65536];
    size_t c, i, colliding = 0;
    (void)state;
    memset(taken, 0, sizeof taken);
    for (i = 0; i < N_ARTICLES; i++) {
        char b[24];
        int n = id_of(i, b);
        taken[ap_bundle_id_hash(n >= 0 ? b : "", n >= 0 ? (size_t)n : 0)] = 1;
    }
    for (c = 0; c < TU_COUNT(cfg); c++) {
        artpack_bundle_params p;
        membuf m;
        size_t ws;
        artpack_bundle_info info;
        void *mem;
        int mapped;
        memset(&p, 0, sizeof p);
        p.codec = cfg[c].codec;
        p.level = 1;
        p.block_size = 65536;
        p.columns = cfg[c].columns;
        memset(&m, 0, sizeof m);
        write_range(&m, &p, &dict, 0, N_ARTICLES);
        assert_ap_error(artpack_bundle_info_get(&info, membuf_read, &m, m.len), ARTPACK_OK);
        for (mapped = 0; mapped < 2; mapped++) {
            artpack_bundle_reader *r = NULL;
            ws = mapped ? artpack_bundle_reader_workspace_size_mapped(&info, 0)
                        : artpack_bundle_reader_workspace_size(&info, 0);
            mem = tu_malloc(ws);
            if (mapped)
                assert_ap_error(artpack_bundle_reader_open_mapped(&r, mem, ws, &info, &dict, mb_map, &m),
                           ARTPACK_OK);
            else
                assert_ap_error(artpack_bundle_reader_open(&r, mem, ws, &info, &dict, membuf_read, &m),
                           ARTPACK_OK);
            for (i = 0; i < N_ARTICLES; i++) {
                char b[24];
                int n = id_of(i, b);
                uint64_t at = 0;
                if (n < 0) continue;
                assert_ap_error(artpack_bundle_find_id(r, b, (size_t)n, &at), ARTPACK_OK);
                assert_int_equal(at, first_with_id(b, (size_t)n));
                at = i + 1; /* from the next one on: the next article with it, if any */
                if (artpack_bundle_find_id(r, b, (size_t)n, &at) == ARTPACK_OK) {
                    char b2[24];
                    assert_true(at > i && id_of((size_t)at, b2) == n && memcmp(b, b2, (size_t)n) == 0);
                }
            }
            for (i = 0; i < 3000; i++) {
                char b[24];
                int n = sprintf(b, "absent-%zu", i);
                uint64_t at = 0;
                if (c == 0 && mapped == 0) colliding += taken[ap_bundle_id_hash(b, (size_t)n)];
                assert_ap_error(artpack_bundle_find_id(r, b, (size_t)n, &at), ARTPACK_E_NOT_FOUND);
            }
            free(mem);
        }
        membuf_free(&m);
    }
    printf("find by id: every id of 3,000 articles and 3,000 absent ones (%zu with an article's "
           "hash) right in 3 layouts, read and mapped\n", colliding);
    assert_true(colliding > 0);
}

/* ---- reads ---- */

/* Articles [from, to) of the cycle of all N_ARTICLES into w. */
static void add_cycle(artpack_bundle_writer *w, size_t from, size_t to) {
    size_t i;
    for (i = from; i < to; i++)
        assert_ap_error(artpack_bundle_writer_add(w, rec[i % N_ARTICLES], rec_size[i % N_ARTICLES]),
                   ARTPACK_OK);
}

/* Opening a bundle, getting an article and finding one by id (present or
 * absent) take a small number of reads through the read callback after 1
 * pack of packed articles and 999 one-article appends, counted with a fresh
 * reader each time; a find reads the id hashes of each live segment in
 * pieces as large as the reader's block buffer (v2's find read 512 bytes at
 * a time: a read per 256 articles). */
static void reads_after_999_appends(size_t packed, long *worst) {
    artpack_bundle_params p;
    artpack_bundle_writer *w = NULL;
    membuf m;
    size_t k, count = packed;
    tu_rng g;
    p = zstd_params(16384, 1);
    p.level = 1;
    memset(&m, 0, sizeof m);
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &dict, NULL, membuf_write, &m), ARTPACK_OK);
    add_cycle(w, 0, packed);
    assert_ap_error(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    for (k = 0; k < 999; k++, count++) {
        artpack_bundle_info info;
        assert_ap_error(artpack_bundle_info_get(&info, membuf_read, &m, m.len), ARTPACK_OK);
        assert_ap_error(artpack_bundle_appender_open(&w, &info, &dict, NULL, membuf_write, &m, membuf_read, &m),
                   ARTPACK_OK);
        add_cycle(w, count, count + 1);
        assert_ap_error(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
    }
    memset(worst, 0, 4 * sizeof *worst);
    g.state = 99 + packed;
    for (k = 0; k < 200; k++) {
        rd o;
        uint64_t n = tu_below(&g, count), at = 0;
        const void *rec_got;
        size_t size;
        char id[24];
        int idn = id_of((size_t)(n % N_ARTICLES), id);
        long before = m.reads;
        assert_ap_ok(rd_open_mem(&o, &m, &dict, 0));
        if (m.reads - before > worst[0]) worst[0] = m.reads - before;
        before = m.reads;
        assert_ap_error(artpack_bundle_get(o.r, n, &rec_got, &size), ARTPACK_OK);
        assert_memory_equal(rec_got, rec[n % N_ARTICLES], size);
        if (m.reads - before > worst[1]) worst[1] = m.reads - before;
        rd_close(&o);
        assert_ap_ok(rd_open_mem(&o, &m, &dict, 0));
        before = m.reads;
        if (idn >= 0) {
            assert_ap_error(artpack_bundle_find_id(o.r, id, (size_t)idn, &at), ARTPACK_OK);
            assert_true(at <= n);
            if (m.reads - before > worst[2]) worst[2] = m.reads - before;
        }
        rd_close(&o);
    }
    { /* an id that is not there: every hash read */
        rd o;
        uint64_t at = 0;
        long before;
        assert_ap_ok(rd_open_mem(&o, &m, &dict, 0));
        before = m.reads;
        assert_ap_error(artpack_bundle_find_id(o.r, "absent", 6, &at), ARTPACK_E_NOT_FOUND);
        worst[3] = m.reads - before;
        rd_close(&o);
    }
    printf("1 pack of %zu articles and 999 appends (%zu bytes): at most %ld reads to open, %ld "
           "to get an article, %ld to find one by id, %ld to find an absent id\n",
           packed, m.len, worst[0], worst[1], worst[2], worst[3]);
    membuf_free(&m);
}

static void test_reads_after_999_appends(void **state) {
    long small[4], large[4];
    (void)state;
    reads_after_999_appends(2001, small);
    reads_after_999_appends(40000, large);
    assert_true(small[0] <= 4 && large[0] <= 4);    /* open */
    assert_true(small[1] <= 16 && large[1] <= 20);  /* get */
    assert_true(small[2] <= 40 && large[2] <= 44);  /* find */
    assert_true(small[3] <= 24 && large[3] <= 24);  /* find an absent id */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_undecoded_same_bytes),
        cmocka_unit_test(test_copy_undecoded_damaged),
        cmocka_unit_test(test_copy_undecoded_alloc_failures),
        cmocka_unit_test(test_find_id_every_layout),
        cmocka_unit_test(test_reads_after_999_appends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
