/* test_bundle_errors.c - bundles: every error the bundle API returns.
 * Synthetic articles and dictionaries trained here (no corpus needed): see
 * bundle_fixture.h.
 *
 * Tests named test_regression_* pin down bugs found by these tests. */
#include "bundle_fixture.h"

/* ---- 5. errors ---- */


static void test_errors_bundle_and_index(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 1);
    membuf b;
    unsigned char *x, garbage[4096];
    size_t i, len;
    artpack_bundle_info info;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 10);
    len = b.len;
    ASSERT_ERR(info_of(b.p, len), ARTPACK_OK);
    /* not a bundle */
    rng_state = 77;
    for (i = 0; i < sizeof garbage; i++) garbage[i] = (unsigned char)rng();
    ASSERT_ERR(info_of(garbage, sizeof garbage), ARTPACK_E_BUNDLE);
    memset(garbage, 0, sizeof garbage);
    ASSERT_ERR(info_of(garbage, sizeof garbage), ARTPACK_E_BUNDLE);
    /* truncated: in the header, or shorter than a header and a footer */
    for (i = 0; i < 64; i++) ASSERT_ERR(info_of(b.p, i), ARTPACK_E_BUNDLE);
    x = tu_dup(b.p, len);
    /* every cut of a bundle with one commit: no footer before its end */
    for (i = 64; i < len; i++) {
        artpack_error e = info_of(b.p, i);
        if (e != ARTPACK_E_INDEX && e != ARTPACK_E_BUNDLE)
            fail_msg("cut at %zu of %zu: %s", i, len, artpack_error_name(e));
    }
    /* a file size past the data: the footer read fails */
    {
        memsrc s;
        memset(&s, 0, sizeof s);
        s.p = b.p;
        s.len = len;
        ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, len + 10), ARTPACK_E_READ);
    }
    /* bad header checksum, and every header byte */
    for (i = 0; i < 32; i++) {
        x[i] ^= 0x10;
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        x[i] ^= 0x10;
    }
    /* header fields out of range, with a valid checksum */
    {
        static const struct {
            size_t at;
            unsigned char v;
        } bad[] = {{8, 'X'},  {12, 1},    {12, 4},    {13, 3},    {14, 0x10}, {14, 0x82}, {24, 1},  {27, 0x80},
                   {20, 0},   {21, 0},    {22, 0},    {23, 0}};
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            unsigned char h[32];
            memcpy(h, b.p, 32);
            if (bad[i].at >= 20 && bad[i].at < 24) memset(h + 20, 0, 4); /* block size 0 */
            else h[bad[i].at] = bad[i].v;
            put_le32(h + 28, checksum(h + 8, 20));
            memcpy(x, h, 32);
            ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        }
        /* version 2 (no columnar blocks) is read; with the columnar flag it is refused */
        memcpy(x, b.p, 32);
        assert_int_equal(x[12], 3);
        x[12] = 2;
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_OK);
        x[14] |= 2;
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        /* block size over the maximum; embedded flag without a dictionary id */
        memcpy(x, b.p, 32);
        put_le32(x + 20, (uint32_t)ARTPACK_BUNDLE_BLOCK_SIZE_MAX + 1);
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        memcpy(x, b.p, 32);
        put_le32(x + 16, 0);
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        memcpy(x, b.p, 32);
        ASSERT_ERR(info_of(x, len), ARTPACK_OK);
    }
    /* the dictionary chunk's head */
    x[32] ^= 1;
    ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
    x[32] ^= 1;
    /* no footer: the footer destroyed, then the tail too */
    memset(x + len - 32, 0, 32);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    memset(x + len - 300, 0xAA, 300);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* a footer with a valid checksum that contradicts its segment */
    memcpy(x, b.p, len);
    put_le32(x + len - 24 + 8, 11); /* 11 articles */
    put_le32(x + len - 4, checksum(x + len - 24, 20));
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* a footer pointing at something that is not a segment */
    memcpy(x, b.p, len);
    put_le32(x + len - 24, 32);
    put_le32(x + len - 4, checksum(x + len - 24, 20));
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* only a header and garbage */
    memset(x + 32, 0x55, len - 32);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE); /* the dictionary chunk is gone */
    memcpy(x, b.p, len);
    x[14] = 0; /* not embedded */
    put_le32(x + 28, checksum(x + 8, 20));
    memset(x + 32, 0x55, len - 32);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* NULL arguments */
    {
        memsrc s;
        memset(&s, 0, sizeof s);
        ASSERT_ERR(artpack_bundle_info_get(NULL, memsrc_read, &s, len), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_info_get(&info, NULL, &s, len), ARTPACK_E_NULL_ARG);
    }
    free(x);
    membuf_free(&b);
}

/* A read that fails anywhere: every call either works (and gives the right
 * answer) or returns ARTPACK_E_READ, and a failure at any byte the reader
 * needs is reported. */
static void test_errors_read(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 1024, 1);
    membuf b;
    size_t x, len, len_first, count = 8, reported = 0;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 5);
    len_first = b.len;
    append_bundle(&b, &da, iota + 5, count - 5);
    len = b.len;
    for (x = 0; x < len; x++) {
        rd o;
        artpack_error e;
        int saw = 0;
        uint64_t n;
        e = rd_open_src(&o, b.p, len, NULL, x, x + 1);
        if (e != ARTPACK_OK) {
            if (e != ARTPACK_E_READ)
                fail_msg("read failing at %zu: open gave %s", x, artpack_error_name(e));
            saw = 1;
        } else {
            for (n = 0; n < count; n++) {
                const void *rec;
                size_t size;
                e = artpack_bundle_get(o.r, n, &rec, &size);
                if (e == ARTPACK_OK) assert_true(same_record(rec, size, (size_t)n));
                else if (e != ARTPACK_E_READ)
                    fail_msg("read failing at %zu: get(%llu) gave %s", x, (ull)n,
                             artpack_error_name(e));
                else saw = 1;
            }
            for (n = 0; n < o.info.block_count; n++) {
                e = artpack_bundle_check_block(o.r, n, NULL, NULL);
                if (e != ARTPACK_OK && e != ARTPACK_E_READ)
                    fail_msg("read failing at %zu: check_block gave %s", x, artpack_error_name(e));
                saw |= e == ARTPACK_E_READ;
            }
            e = artpack_bundle_check_index(o.r);
            if (e != ARTPACK_OK && e != ARTPACK_E_READ)
                fail_msg("read failing at %zu: check_index gave %s", x, artpack_error_name(e));
            saw |= e == ARTPACK_E_READ;
            n = 0;
            e = artpack_bundle_find_id(o.r, "id-6", 4, &n);
            if (e == ARTPACK_OK) assert_int_equal(n, 6);
            else if (e != ARTPACK_E_READ)
                fail_msg("read failing at %zu: find_id gave %s", x, artpack_error_name(e));
            saw |= e == ARTPACK_E_READ;
        }
        rd_close(&o);
        /* the old footer is the only part nobody needs to read, with the
         * first commit's segment once the second absorbed it */
        if (!saw && !(x >= len_first - 32 && x < len_first) &&
            !(first_segment_dead(b.p, len) && x >= seg1_of(b.p, len_first) && x < len_first))
            fail_msg("read failing at %zu of %zu: not reported", x, len);
        reported += saw;
    }
    /* and when the tail is damaged, the scan's reads fail too */
    {
        unsigned char *y = tu_dup(b.p, len);
        rd o;
        memset(y + len - 32, 0, 32);
        ASSERT_ERR(rd_open_src(&o, y, len, NULL, len - 100, len - 99), ARTPACK_E_READ);
        rd_close(&o);
        ASSERT_ERR(rd_open_src(&o, y, len, NULL, 0, 0), ARTPACK_OK); /* the first footer */
        assert_int_equal(o.info.recovered_footer, 1);
        assert_int_equal(o.info.article_count, 5);
        rd_close(&o);
        free(y);
    }
    printf("read failures: %zu of %zu byte offsets reported as ARTPACK_E_READ\n", reported, len);
    membuf_free(&b);
}

/* The write callback fails at its Nth call: the call that hits it returns
 * ARTPACK_E_WRITE, so do all later ones, and the writer writes no more. */
static void test_errors_write(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    int c;
    (void)state;
    for (c = 0; c < 3; c++) {
        artpack_bundle_params p = params_of(codecs[c], 2048, codecs[c] != ARTPACK_CODEC_STORED);
        long total = 0, n;
        size_t len_c1 = 0, len_c2 = 0;
        membuf other; /* a bundle to copy a block from */
        rd src;
        memset(&other, 0, sizeof other);
        write_bundle(&other, &p, &da, iota, 5);
        ASSERT_ERR(rd_open(&src, other.p, other.len, NULL), ARTPACK_OK);
        for (n = 0; n <= total + 1; n++) {
            membuf m;
            artpack_bundle_writer *w = NULL;
            artpack_error e;
            int failed = 0, step;
            memset(&m, 0, sizeof m);
            m.fail_at = n;
            e = artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &m);
            if (e != ARTPACK_OK) {
                ASSERT_ERR(e, ARTPACK_E_WRITE);
                assert_null(w);
                failed = 1;
            } else {
                for (step = 0; step < 27; step++) {
                    /* records 0..19, commit, records 20..24, commit */
                    if (step == 20 || step == 26) e = artpack_bundle_writer_commit(w);
                    else {
                        size_t k = (size_t)(step < 20 ? step : step - 1);
                        e = artpack_bundle_writer_add(w, recs.rec[k], recs.size[k]);
                    }
                    if (failed) {
                        if (e != ARTPACK_E_WRITE)
                            fail_msg("%s, write %ld fails: step %d after the failure gave %s",
                                     codec_name(codecs[c]), n, step, artpack_error_name(e));
                    } else if (e != ARTPACK_OK) {
                        if (e != ARTPACK_E_WRITE)
                            fail_msg("%s, write %ld fails: step %d gave %s", codec_name(codecs[c]),
                                     n, step, artpack_error_name(e));
                        failed = 1;
                    }
                    if (n == 0 && step == 20) len_c1 = m.len;
                }
                /* and still after that */
                if (failed) {
                    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[0], recs.size[0]), ARTPACK_E_WRITE);
                    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_WRITE);
                    ASSERT_ERR(artpack_bundle_writer_copy_block(w, src.r, 0), ARTPACK_E_WRITE);
                    ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, src.r, 0),
                               ARTPACK_E_WRITE);
                }
                artpack_bundle_writer_free(w);
            }
            if (n == 0) {
                total = m.calls;
                len_c2 = m.len;
                assert_false(failed);
            } else {
                assert_int_equal(failed, n <= total);
            }
            assert_int_equal(m.calls_after_fail, 0);
            /* what reached the output is the bundle of its last whole commit */
            e = info_of(m.p, m.len);
            if (m.len >= len_c1) {
                artpack_bundle_info info;
                memsrc s;
                memset(&s, 0, sizeof s);
                s.p = m.p;
                s.len = m.len;
                ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, m.len), ARTPACK_OK);
                assert_int_equal(info.article_count, m.len == len_c2 ? 25 : 20);
                verify_bundle(m.p, (size_t)info.end_offset, NULL, iota, m.len == len_c2 ? 25 : 20);
            } else if (e != ARTPACK_E_BUNDLE && e != ARTPACK_E_INDEX) {
                fail_msg("%zu bytes written before the failure: %s", m.len, artpack_error_name(e));
            }
            membuf_free(&m);
        }
        printf("write failures, %s: each of %ld write calls failed in turn\n", codec_name(codecs[c]),
               total);
        rd_close(&src);
        membuf_free(&other);
    }
}

static void test_errors_reader_open(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    int c, embed;
    (void)state;
    for (c = 0; c < 3; c++)
        for (embed = 0; embed <= 1; embed++) {
            artpack_bundle_params p = params_of(codecs[c], 4096, embed);
            int has_dict = codecs[c] != ARTPACK_CODEC_STORED;
            membuf b;
            artpack_bundle_info info;
            artpack_bundle_reader *r;
            unsigned char *ws;
            size_t need_given, need_embedded;
            memsrc s;
            memset(&b, 0, sizeof b);
            write_bundle(&b, &p, &da, iota, 20);
            memset(&s, 0, sizeof s);
            s.p = b.p;
            s.len = b.len;
            ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
            need_given = artpack_bundle_reader_workspace_size(&info, 0);
            need_embedded = artpack_bundle_reader_workspace_size(&info, 1);
            assert_true(need_embedded >= need_given);
            assert_int_equal(need_embedded > need_given, has_dict && embed);
            ws = (unsigned char *)tu_malloc(need_embedded + 16);
            /* one byte short */
            r = (artpack_bundle_reader *)(void *)ws;
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_given - 1, &info, &da, memsrc_read, &s),
                       ARTPACK_E_WORKSPACE_TOO_SMALL);
            assert_null(r);
            if (has_dict && embed)
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded - 1, &info, NULL,
                                                      memsrc_read, &s),
                           ARTPACK_E_WORKSPACE_TOO_SMALL);
            /* misaligned */
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws + 4, need_embedded, &info, &da, memsrc_read,
                                                  &s),
                       ARTPACK_E_PARAM);
            /* dictionaries */
            if (has_dict) {
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, &db, memsrc_read, &s),
                           ARTPACK_E_WRONG_DICT);
                assert_null(r);
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, NULL, memsrc_read, &s),
                           embed ? ARTPACK_OK : ARTPACK_E_NEED_DICT);
            } else {
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, &db, memsrc_read, &s),
                           ARTPACK_OK); /* no dictionary: the one given is not used */
            }
            /* NULL arguments */
            ASSERT_ERR(artpack_bundle_reader_open(NULL, ws, need_embedded, &info, &da, memsrc_read, &s),
                       ARTPACK_E_NULL_ARG);
            ASSERT_ERR(artpack_bundle_reader_open(&r, NULL, need_embedded, &info, &da, memsrc_read, &s),
                       ARTPACK_E_NULL_ARG);
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, NULL, &da, memsrc_read, &s),
                       ARTPACK_E_NULL_ARG);
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, &da, NULL, &s),
                       ARTPACK_E_NULL_ARG);
            assert_int_equal(artpack_bundle_reader_workspace_size(NULL, 0), 0);
            /* and exactly enough works */
            free(ws);
            verify_bundle(b.p, b.len, &da, iota, 20);
            if (!has_dict || embed) verify_bundle(b.p, b.len, NULL, iota, 20);
            membuf_free(&b);
        }
    {
        const void *rec;
        size_t size;
        uint64_t n = 0;
        uint32_t cnt;
        artpack_bundle_location where;
        ASSERT_ERR(artpack_bundle_get(NULL, 0, &rec, &size), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_find_id(NULL, "x", 1, &n), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_locate(NULL, 0, &where), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_check_block(NULL, 0, &n, &cnt), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_check_index(NULL), ARTPACK_E_NULL_ARG);
    }
}

static void test_errors_params(void **state) {
    artpack_bundle_writer *w;
    artpack_bundle_params p;
    artpack_dict bad;
    membuf m;
    (void)state;
    memset(&m, 0, sizeof m);
#define CREATE_ERR(params, dict, want)                                                       \
    do {                                                                                     \
        w = NULL;                                                                            \
        ASSERT_ERR(artpack_bundle_writer_create(&w, params, dict, NULL, membuf_write, &m), want); \
        assert_null(w);                                                                      \
        assert_int_equal(m.calls, 0); /* nothing written */                                  \
    } while (0)
    p = params_of((artpack_codec)4, 0, 0); /* 3 is CM (test_bundle_cm.c) */
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of((artpack_codec)-1, 0, 0);
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_ZSTD, ARTPACK_BUNDLE_BLOCK_SIZE_MAX + 1, 0);
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_ZSTD, 0, 0);
    p.level = 23;
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p.level = -1;
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_LZ4, 0, 0);
    p.level = 13;
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_ZSTD, 0, 1); /* embed without a dictionary */
    CREATE_ERR(&p, NULL, ARTPACK_E_NEED_DICT);
    bad = da;
    bad.id = 0;
    p = params_of(ARTPACK_CODEC_ZSTD, 0, 0);
    CREATE_ERR(&p, &bad, ARTPACK_E_DICT);
    ASSERT_ERR(artpack_bundle_writer_create(&w, NULL, NULL, NULL, membuf_write, &m),
               ARTPACK_E_NULL_ARG);
    w = NULL;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, NULL, &m), ARTPACK_E_NULL_ARG);
    assert_null(w);
    /* the edges work */
    p = params_of(ARTPACK_CODEC_ZSTD, ARTPACK_BUNDLE_BLOCK_SIZE_MAX, 0);
    p.level = 22;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    p = params_of(ARTPACK_CODEC_LZ4, 0, 0);
    p.level = 12;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    artpack_bundle_writer_free(NULL);
    ASSERT_ERR(artpack_bundle_writer_add(NULL, recs.rec[0], recs.size[0]), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_writer_commit(NULL), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_appender_open(&w, NULL, NULL, NULL, membuf_write, &m, membuf_read, &m),
               ARTPACK_E_NULL_ARG);
#undef CREATE_ERR
    membuf_free(&m);
}

/* A record that is not valid: writer_add returns what validation says, and
 * the writer goes on without it. */
static void test_errors_bad_record(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_bundle_writer *w = NULL;
    membuf m;
    size_t n = recs.size[3], cut;
    unsigned char *bad = tu_dup(recs.rec[3], n), garbage[3] = {0xFF, 0xFF, 0xFF};
    size_t map[3] = {0, 1, 2};
    int checked = 0;
    (void)state;
    memset(&m, 0, sizeof m);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[0], recs.size[0]), ARTPACK_OK);
    for (cut = 0; cut < n; cut += cut < 40 ? 1 : 97) { /* truncated */
        unsigned char *t = tu_dup(recs.rec[3], cut);
        artpack_error want = artpack_record_validate(t, cut, NULL);
        assert_int_not_equal(want, ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_add(w, t, cut), want);
        free(t);
        checked++;
    }
    ASSERT_ERR(artpack_bundle_writer_add(w, garbage, sizeof garbage),
               artpack_record_validate(garbage, sizeof garbage, NULL));
    bad[n - 1] = 0x33; /* the end byte */
    ASSERT_ERR(artpack_bundle_writer_add(w, bad, n), artpack_record_validate(bad, n, NULL));
    assert_int_not_equal(artpack_record_validate(bad, n, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_add(w, NULL, 5), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[1], recs.size[1]), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[2], recs.size[2]), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    verify_bundle(m.p, m.len, NULL, map, 3);
    assert_true(checked > 10);
    free(bad);
    membuf_free(&m);
}

static void test_errors_alloc_every_site(void **state) {
    static const struct {
        artpack_codec codec;
        size_t block;
        int dict, embed;
    } cfg[] = {{ARTPACK_CODEC_ZSTD, 4096, 1, 1},
               {ARTPACK_CODEC_ZSTD, 0, 0, 0},
               {ARTPACK_CODEC_LZ4, 4096, 1, 0},
               {ARTPACK_CODEC_STORED, 4096, 0, 0}};
    artpack_allocator mem = {fail_alloc, fail_free, NULL};
    size_t c;
    (void)state;
    for (c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        artpack_bundle_params p = params_of(cfg[c].codec, cfg[c].block, cfg[c].embed);
        const artpack_dict *d = cfg[c].dict ? &da : NULL;
        long n, absorbed = 0;
        int succeeded = 0;
        for (n = 1; n < 1000 && !succeeded; n++) {
            artpack_bundle_writer *w = NULL;
            artpack_error e;
            membuf m;
            size_t i;
            memset(&m, 0, sizeof m);
            alloc_fail_at = n;
            alloc_calls = alloc_live = 0;
            e = artpack_bundle_writer_create(&w, &p, d, &mem, membuf_write, &m);
            if (e == ARTPACK_OK) {
                for (i = 0; i < 30 && e == ARTPACK_OK; i++)
                    e = artpack_bundle_writer_add(w, recs.rec[i], recs.size[i]);
                if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
            } else {
                assert_null(w);
            }
            if (e != ARTPACK_OK && e != ARTPACK_E_ALLOC)
                fail_msg("%s, allocation %ld fails: got %s, wanted ARTPACK_E_ALLOC",
                         codec_name(cfg[c].codec), n, artpack_error_name(e));
            artpack_bundle_writer_free(w);
            if (alloc_live != 0) fail_msg("%s, allocation %ld fails: %ld blocks leaked",
                                          codec_name(cfg[c].codec), n, alloc_live);
            if (e == ARTPACK_OK) {
                succeeded = alloc_calls < n; /* the failure was never reached */
                absorbed += !succeeded;      /* or it was, and the writer coped */
                verify_bundle(m.p, m.len, d, iota, 30);
            }
            membuf_free(&m);
        }
        assert_true(succeeded);
        printf("allocation failures, %s%s: each of %ld allocations failed in turn (%ld coped "
               "with)\n", codec_name(cfg[c].codec), cfg[c].dict ? " + dictionary" : "", n - 2,
               absorbed);
    }
}


int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_bundle_and_index),
        cmocka_unit_test(test_errors_read),
        cmocka_unit_test(test_errors_write),
        cmocka_unit_test(test_errors_reader_open),
        cmocka_unit_test(test_errors_params),
        cmocka_unit_test(test_errors_bad_record),
        cmocka_unit_test(test_errors_alloc_every_site),
    };
    if (getenv("ARTPACK_TEST_FILTER")) cmocka_set_test_filter(getenv("ARTPACK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
