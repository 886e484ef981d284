/* test_frame.c - dictionaries and frames: round trips for every codec, and
 * every frame error reachable. Uses synthetic articles (no corpus needed). */
#include "test_util.h"

#define N_SAMPLES 300
#include "synthetic.h"

static unsigned char dict_a[16384], dict_b[16384];
static size_t dict_a_len, dict_b_len;

static int setup(void **state) {
    artpack_train_params p;
    (void)state;
    memset(&p, 0, sizeof p);
    p.dict_size = 8192;
    p.level = 3;
    make_samples(12345);
    if (train_samples(dict_a, sizeof dict_a, &p, &dict_a_len)) return -1;
    make_samples(999);
    if (train_samples(dict_b, sizeof dict_b, &p, &dict_b_len)) return -1;
    make_samples(4242); /* the test articles: not the training ones */
    return 0;
}

/* 8-byte aligned workspace */
static uint64_t workspace[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];

static artpack_decompressor *make_decompressor(artpack_codec codec, const artpack_dict *d) {
    artpack_decompressor *dec = NULL;
    ASSERT_ERR(artpack_decompressor_init(&dec, workspace, sizeof workspace, codec, d, 0),
               ARTPACK_OK);
    return dec;
}

static size_t compress_one(const artpack_compress_params *p, const artpack_dict *d,
                           const void *src, size_t n, unsigned char *dst, size_t cap) {
    artpack_compressor *c = NULL;
    size_t w = 0;
    ASSERT_ERR(artpack_compressor_create(&c, p, d, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_frame_compress(c, dst, cap, src, n, &w), ARTPACK_OK);
    artpack_compressor_free(c);
    return w;
}

/* ---- dictionaries ---- */

static void test_dict_load(void **state) {
    artpack_dict d;
    unsigned char bad[8192];
    (void)state;
    ASSERT_ERR(artpack_dict_load(&d, dict_a, dict_a_len), ARTPACK_OK);
    assert_int_equal(d.size, dict_a_len);
    assert_ptr_equal(d.data, dict_a); /* referenced, not copied */
    assert_true(d.id != 0);
    ASSERT_ERR(artpack_dict_load(&d, dict_a, 100), ARTPACK_E_DICT); /* too small */
    memcpy(bad, dict_a, sizeof bad);
    bad[0] ^= 1;
    ASSERT_ERR(artpack_dict_load(&d, bad, sizeof bad), ARTPACK_E_DICT); /* magic */
    memcpy(bad, dict_a, sizeof bad);
    memset(bad + 4, 0, 4);
    ASSERT_ERR(artpack_dict_load(&d, bad, sizeof bad), ARTPACK_E_DICT); /* ID 0 */
    ASSERT_ERR(artpack_dict_load(NULL, dict_a, dict_a_len), ARTPACK_E_NULL_ARG);
}

static void test_dict_train_deterministic_and_errors(void **state) {
    static unsigned char again[16384];
    artpack_train_params p;
    size_t n = 0;
    (void)state;
    memset(&p, 0, sizeof p);
    p.dict_size = 8192;
    p.level = 3;
    make_samples(12345);
    ASSERT_ERR(artpack_dict_train(again, sizeof again, samples, sample_sizes, N_SAMPLES, &p, &n),
               ARTPACK_OK);
    assert_int_equal(n, dict_a_len);
    assert_memory_equal(again, dict_a, n);
    p.dict_size = 1000;
    ASSERT_ERR(artpack_dict_train(again, sizeof again, samples, sample_sizes, N_SAMPLES, &p, &n),
               ARTPACK_E_PARAM);
    p.dict_size = 8192;
    ASSERT_ERR(artpack_dict_train(again, 4096, samples, sample_sizes, N_SAMPLES, &p, &n),
               ARTPACK_E_DST_TOO_SMALL);
    ASSERT_ERR(artpack_dict_train(again, sizeof again, samples, sample_sizes, 3, &p, &n),
               ARTPACK_E_TRAIN);
    p.level = 99;
    ASSERT_ERR(artpack_dict_train(again, sizeof again, samples, sample_sizes, N_SAMPLES, &p, &n),
               ARTPACK_E_PARAM);
    make_samples(4242);
}

/* ---- round trips ---- */

static void test_round_trip_every_codec(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
    artpack_dict d;
    int codec, with_dict, checksum, named;
    (void)state;
    ASSERT_ERR(artpack_dict_load(&d, dict_a, dict_a_len), ARTPACK_OK);
    for (codec = 0; codec <= 2; codec++)
        for (with_dict = 0; with_dict <= 1; with_dict++)
            for (checksum = 0; checksum <= 1; checksum++)
                for (named = 0; named <= 1; named++) {
                    artpack_compress_params p;
                    artpack_compressor *c = NULL;
                    artpack_decompressor *dec;
                    size_t i, total_in = 0, total_out = 0;
                    memset(&p, 0, sizeof p);
                    p.codec = (artpack_codec)codec;
                    p.checksum = checksum;
                    p.frame_dict_id = named;
                    ASSERT_ERR(artpack_compressor_create(&c, &p, with_dict ? &d : NULL, NULL),
                               ARTPACK_OK);
                    dec = make_decompressor(ARTPACK_CODEC_ZSTD, with_dict ? &d : NULL);
                    for (i = 0; i < 40; i++) {
                        size_t n, w, got;
                        const unsigned char *src = sample(i, &n);
                        artpack_frame_info info;
                        ASSERT_ERR(artpack_frame_compress(c, frame, sizeof frame, src, n, &w),
                                   ARTPACK_OK);
                        assert_true(w <= ARTPACK_FRAME_BOUND(n));
                        ASSERT_ERR(artpack_frame_info_get(&info, frame, w), ARTPACK_OK);
                        assert_int_equal(info.content_size, n);
                        assert_int_equal(info.has_checksum, checksum);
                        ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, w, &got),
                                   ARTPACK_OK);
                        assert_int_equal(got, n);
                        assert_memory_equal(out, src, n);
                        total_in += n;
                        total_out += w;
                    }
                    if (codec != ARTPACK_CODEC_STORED) assert_true(total_out < total_in);
                    artpack_compressor_free(c);
                }
}

static void test_dictionary_helps(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
    artpack_dict d;
    artpack_compress_params p;
    size_t i, with = 0, without = 0;
    (void)state;
    ASSERT_ERR(artpack_dict_load(&d, dict_a, dict_a_len), ARTPACK_OK);
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.level = 19;
    for (i = 0; i < 50; i++) {
        size_t n;
        const unsigned char *src = sample(i, &n);
        with += compress_one(&p, &d, src, n, frame, sizeof frame);
        without += compress_one(&p, NULL, src, n, frame, sizeof frame);
    }
    assert_true(with < without);
}

static void test_stored_fallback_and_bound(void **state) {
    static unsigned char src[5000], frame[ARTPACK_FRAME_BOUND(5000)], out[5000];
    artpack_compress_params p;
    artpack_frame_info info;
    artpack_decompressor *dec;
    size_t n, w, got;
    (void)state;
    rng_state = 7;
    for (n = 0; n < sizeof src; n++) src[n] = (unsigned char)rng();
    memset(&p, 0, sizeof p);
    p.checksum = 1;
    dec = make_decompressor(ARTPACK_CODEC_ZSTD, NULL);
    for (p.codec = ARTPACK_CODEC_STORED; p.codec <= ARTPACK_CODEC_LZ4;
         p.codec = (artpack_codec)(p.codec + 1)) {
        for (n = 0; n <= sizeof src; n += n < 300 ? 1 : 1177) {
            w = compress_one(&p, NULL, src, n, frame, sizeof frame);
            assert_true(w <= ARTPACK_FRAME_BOUND(n));
            assert_int_equal(artpack_frame_bound(n), ARTPACK_FRAME_BOUND(n));
            ASSERT_ERR(artpack_frame_info_get(&info, frame, w), ARTPACK_OK);
            assert_int_equal(info.codec, ARTPACK_CODEC_STORED); /* random bytes */
            ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, w, &got), ARTPACK_OK);
            assert_int_equal(got, n);
            if (n) assert_memory_equal(out, src, n);
        }
    }
}

static void test_deterministic_frames(void **state) {
    static unsigned char f1[ARTPACK_FRAME_BOUND(8192)], f2[ARTPACK_FRAME_BOUND(8192)];
    artpack_dict d;
    artpack_compress_params p;
    size_t n, w1, w2;
    const unsigned char *src = sample(3, &n);
    (void)state;
    ASSERT_ERR(artpack_dict_load(&d, dict_a, dict_a_len), ARTPACK_OK);
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    w1 = compress_one(&p, &d, src, n, f1, sizeof f1);
    w2 = compress_one(&p, &d, src, n, f2, sizeof f2);
    assert_int_equal(w1, w2);
    assert_memory_equal(f1, f2, w1);
}

/* ---- errors ---- */

static void test_errors_dictionary(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
    artpack_dict da, db;
    artpack_compress_params p;
    artpack_decompressor *dec;
    size_t n, w, got;
    const unsigned char *src = sample(0, &n);
    (void)state;
    ASSERT_ERR(artpack_dict_load(&da, dict_a, dict_a_len), ARTPACK_OK);
    ASSERT_ERR(artpack_dict_load(&db, dict_b, dict_b_len), ARTPACK_OK);
    assert_true(da.id != db.id);
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.frame_dict_id = 1;
    w = compress_one(&p, &da, src, n, frame, sizeof frame);
    dec = make_decompressor(ARTPACK_CODEC_ZSTD, NULL);
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, w, &got), ARTPACK_E_NEED_DICT);
    dec = make_decompressor(ARTPACK_CODEC_ZSTD, &db);
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, w, &got), ARTPACK_E_WRONG_DICT);
    p.codec = ARTPACK_CODEC_LZ4;
    w = compress_one(&p, &da, src, n, frame, sizeof frame);
    dec = make_decompressor(ARTPACK_CODEC_LZ4, &db);
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, w, &got), ARTPACK_E_WRONG_DICT);
    /* unnamed frame + wrong dictionary: the checksum catches it */
    p.codec = ARTPACK_CODEC_ZSTD;
    p.frame_dict_id = 0;
    p.checksum = 1;
    w = compress_one(&p, &da, src, n, frame, sizeof frame);
    dec = make_decompressor(ARTPACK_CODEC_ZSTD, &db);
    got = 0;
    {
        artpack_error e = artpack_frame_decompress(dec, out, sizeof out, frame, w, &got);
        assert_true(e == ARTPACK_E_CHECKSUM || e == ARTPACK_E_CORRUPT);
    }
    /* a dictionary whose tables are damaged */
    {
        static unsigned char broken[16384];
        artpack_dict bd;
        artpack_decompressor *x = NULL;
        memcpy(broken, dict_a, dict_a_len);
        memset(broken + 8, 0xFF, 64); /* the tables, before a word list */
        ASSERT_ERR(artpack_dict_load(&bd, broken, dict_a_len), ARTPACK_OK);
        ASSERT_ERR(artpack_decompressor_init(&x, workspace, sizeof workspace, ARTPACK_CODEC_ZSTD,
                                             &bd, 0),
                   ARTPACK_E_DICT);
    }
}

static void test_errors_truncation(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
    artpack_dict d;
    artpack_compress_params p;
    artpack_decompressor *dec;
    int codec;
    (void)state;
    ASSERT_ERR(artpack_dict_load(&d, dict_a, dict_a_len), ARTPACK_OK);
    dec = make_decompressor(ARTPACK_CODEC_ZSTD, &d);
    for (codec = 0; codec <= 2; codec++) {
        size_t n, w, cut, got;
        const unsigned char *src = sample(5, &n);
        memset(&p, 0, sizeof p);
        p.codec = (artpack_codec)codec;
        p.checksum = 1;
        w = compress_one(&p, &d, src, n, frame, sizeof frame);
        for (cut = 0; cut < w; cut++) {
            artpack_error e = artpack_frame_decompress(dec, out, sizeof out, frame, cut, &got);
            if (e != ARTPACK_E_TRUNCATED && e != ARTPACK_E_CORRUPT && e != ARTPACK_E_CHECKSUM)
                fail_msg("codec %d cut at %zu of %zu: %s", codec, cut, w, artpack_error_name(e));
        }
    }
}

static void test_errors_frame_header(void **state) {
    unsigned char f[16] = {0}, out[16];
    artpack_frame_info info;
    artpack_decompressor *dec = make_decompressor(ARTPACK_CODEC_ZSTD, NULL);
    size_t got;
    (void)state;
    f[0] = 0x20; /* reserved bit */
    ASSERT_ERR(artpack_frame_info_get(&info, f, 3), ARTPACK_E_FRAME);
    f[0] = 0x03; /* codec 3 is CM (test_cm.c): a CM frame in a zstd decompressor */
    f[1] = 5;
    ASSERT_ERR(artpack_frame_info_get(&info, f, 3), ARTPACK_OK);
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, f, 8, &got),
               ARTPACK_E_CODEC_UNAVAILABLE);
    f[1] = 0;
    f[0] = 0x08 | 0x01; /* dictionary ID without the dictionary flag */
    ASSERT_ERR(artpack_frame_info_get(&info, f, 8), ARTPACK_E_FRAME);
    f[0] = 0x04; /* a stored frame "with a dictionary" */
    ASSERT_ERR(artpack_frame_info_get(&info, f, 3), ARTPACK_E_FRAME);
    ASSERT_ERR(artpack_frame_info_get(&info, f, 0), ARTPACK_E_TRUNCATED);
    f[0] = 0x00; /* stored, size 5, only 2 bytes of payload */
    f[1] = 5;
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, f, 4, &got), ARTPACK_E_CORRUPT);
    f[1] = 0x80; /* non-minimal size varint */
    f[2] = 0x00;
    ASSERT_ERR(artpack_frame_info_get(&info, f, 4), ARTPACK_E_VARINT);
}

static void test_errors_sizes_and_codecs(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
    artpack_compress_params p;
    artpack_decompressor *dec;
    size_t n, w, got;
    const unsigned char *src = sample(1, &n);
    (void)state;
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.checksum = 1;
    w = compress_one(&p, NULL, src, n, frame, sizeof frame);
    dec = make_decompressor(ARTPACK_CODEC_ZSTD, NULL);
    ASSERT_ERR(artpack_frame_decompress(dec, out, n - 1, frame, w, &got), ARTPACK_E_DST_TOO_SMALL);
    frame[w - 1] ^= 0x40; /* the checksum itself */
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, w, &got), ARTPACK_E_CHECKSUM);
    frame[w - 1] ^= 0x40;
    dec = make_decompressor(ARTPACK_CODEC_LZ4, NULL);
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, w, &got),
               ARTPACK_E_CODEC_UNAVAILABLE);
    /* compress into too small a destination */
    {
        artpack_compressor *c = NULL;
        ASSERT_ERR(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_OK);
        ASSERT_ERR(artpack_frame_compress(c, frame, 3, src, n, &w), ARTPACK_E_DST_TOO_SMALL);
        artpack_compressor_free(c);
    }
}

static void test_errors_window(void **state) {
    size_t n = (size_t)1 << 20, w, got, i;
    unsigned char *src = (unsigned char *)malloc(n), *frame = (unsigned char *)malloc(ARTPACK_FRAME_BOUND(n)),
                  *out = (unsigned char *)malloc(n);
    artpack_compress_params p;
    artpack_decompressor *dec = NULL;
    (void)state;
    rng_state = 99;
    for (i = 0; i < n; i++) src[i] = (unsigned char)("abcdefgh"[rng() % 8]);
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.level = 3;
    w = compress_one(&p, NULL, src, n, frame, ARTPACK_FRAME_BOUND(n));
    ASSERT_ERR(artpack_decompressor_init(&dec, workspace, sizeof workspace, ARTPACK_CODEC_ZSTD,
                                         NULL, 12),
               ARTPACK_OK);
    ASSERT_ERR(artpack_frame_decompress(dec, out, n, frame, w, &got), ARTPACK_E_WINDOW_TOO_LARGE);
    ASSERT_ERR(artpack_decompressor_init(&dec, workspace, sizeof workspace, ARTPACK_CODEC_ZSTD,
                                         NULL, 0),
               ARTPACK_OK);
    ASSERT_ERR(artpack_frame_decompress(dec, out, n, frame, w, &got), ARTPACK_OK);
    assert_memory_equal(out, src, n);
    free(src);
    free(frame);
    free(out);
}

static void test_errors_params_and_workspace(void **state) {
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    artpack_decompressor *dec = NULL;
    (void)state;
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.level = 23;
    ASSERT_ERR(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_E_PARAM);
    p.codec = ARTPACK_CODEC_LZ4;
    p.level = 13;
    ASSERT_ERR(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_E_PARAM);
    p.codec = (artpack_codec)7;
    p.level = 1;
    ASSERT_ERR(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_E_PARAM);
    ASSERT_ERR(artpack_compressor_create(NULL, &p, NULL, NULL), ARTPACK_E_NULL_ARG);
    assert_null(c);
    artpack_compressor_free(NULL); /* fine */
    ASSERT_ERR(artpack_decompressor_init(&dec, workspace, sizeof workspace, ARTPACK_CODEC_ZSTD,
                                         NULL, 9),
               ARTPACK_E_PARAM);
    ASSERT_ERR(artpack_decompressor_init(&dec, (char *)workspace + 1, sizeof workspace - 8,
                                         ARTPACK_CODEC_ZSTD, NULL, 0),
               ARTPACK_E_PARAM);
    /* the word table (ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE) is optional */
    ASSERT_ERR(artpack_decompressor_init(&dec, workspace,
                                         artpack_decompressor_workspace_size(ARTPACK_CODEC_ZSTD) -
                                             ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE - 1,
                                         ARTPACK_CODEC_ZSTD, NULL, 0),
               ARTPACK_E_WORKSPACE_TOO_SMALL);
    ASSERT_ERR(artpack_decompressor_init(&dec, workspace,
                                         artpack_decompressor_workspace_size(ARTPACK_CODEC_LZ4),
                                         ARTPACK_CODEC_LZ4, NULL, 0),
               ARTPACK_OK);
    /* the macros bound the functions */
    assert_true(artpack_decompressor_workspace_size(ARTPACK_CODEC_ZSTD) <=
                ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE(ARTPACK_CODEC_ZSTD));
    assert_true(artpack_decompressor_workspace_size(ARTPACK_CODEC_LZ4) <=
                ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE(ARTPACK_CODEC_LZ4));
    assert_true(artpack_decompressor_workspace_size(ARTPACK_CODEC_STORED) <=
                ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE(ARTPACK_CODEC_STORED));
    printf("decoder workspace: zstd %zu B, lz4 %zu B\n",
           artpack_decompressor_workspace_size(ARTPACK_CODEC_ZSTD),
           artpack_decompressor_workspace_size(ARTPACK_CODEC_LZ4));
}

static void test_errors_alloc_every_site(void **state) {
    artpack_allocator mem = {fail_alloc, fail_free, NULL};
    artpack_dict d;
    int codec;
    (void)state;
    ASSERT_ERR(artpack_dict_load(&d, dict_a, dict_a_len), ARTPACK_OK);
    for (codec = 1; codec <= 2; codec++) {
        long n;
        int succeeded = 0;
        for (n = 1; n < 100 && !succeeded; n++) {
            artpack_compress_params p;
            artpack_compressor *c = NULL;
            artpack_error e;
            memset(&p, 0, sizeof p);
            p.codec = (artpack_codec)codec;
            alloc_fail_at = n;
            alloc_calls = alloc_live = 0;
            e = artpack_compressor_create(&c, &p, &d, &mem);
            if (e == ARTPACK_OK) {
                static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
                size_t len, w;
                const unsigned char *src = sample(2, &len);
                e = artpack_frame_compress(c, frame, sizeof frame, src, len, &w);
                if (e != ARTPACK_OK) ASSERT_ERR(e, ARTPACK_E_ALLOC); /* at compress time */
                artpack_compressor_free(c);
                succeeded = e == ARTPACK_OK && alloc_calls < n; /* failure never reached */
            } else {
                ASSERT_ERR(e, ARTPACK_E_ALLOC);
                assert_null(c);
            }
            assert_int_equal(alloc_live, 0); /* nothing leaked on any path */
        }
        assert_true(succeeded);
    }
}

/* Every single-bit flip of a small compressed article (checksum on) is
 * either refused with a named error or decodes to exactly the original. */
static void test_every_bit_flip(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
    artpack_dict d;
    int codec;
    (void)state;
    ASSERT_ERR(artpack_dict_load(&d, dict_a, dict_a_len), ARTPACK_OK);
    for (codec = 0; codec <= 2; codec++) {
        artpack_compress_params p;
        artpack_decompressor *dec = make_decompressor(ARTPACK_CODEC_ZSTD, &d);
        size_t n, w, refused = 0, same = 0;
        const unsigned char *src = sample(7, &n);
        memset(&p, 0, sizeof p);
        p.codec = (artpack_codec)codec;
        p.checksum = 1;
        p.frame_dict_id = 1;
        w = compress_one(&p, &d, src, n, frame, sizeof frame);
        check_every_bit_flip(dec, frame, w, src, n, 8192, &refused, &same);
        printf("codec %d: %zu-byte frame: %zu flips refused, %zu decode to the original\n",
               codec, w, refused, same);
        assert_true(refused > 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dict_load),
        cmocka_unit_test(test_dict_train_deterministic_and_errors),
        cmocka_unit_test(test_round_trip_every_codec),
        cmocka_unit_test(test_dictionary_helps),
        cmocka_unit_test(test_stored_fallback_and_bound),
        cmocka_unit_test(test_deterministic_frames),
        cmocka_unit_test(test_errors_dictionary),
        cmocka_unit_test(test_errors_truncation),
        cmocka_unit_test(test_errors_frame_header),
        cmocka_unit_test(test_errors_sizes_and_codecs),
        cmocka_unit_test(test_errors_window),
        cmocka_unit_test(test_errors_params_and_workspace),
        cmocka_unit_test(test_errors_alloc_every_site),
        cmocka_unit_test(test_every_bit_flip),
    };
    return cmocka_run_group_tests(tests, setup, teardown_samples);
}
