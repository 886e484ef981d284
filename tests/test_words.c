/* test_words.c - the word transform (codec/words.c, words_enc.c): round trips
 * of random bytes rich in the code bytes and of synthetic articles, in place
 * and through zstd and LZ4 frames; the dictionary's word list (layout,
 * determinism, damage); every error the transform adds. The corpus articles
 * go through it in tests/corpus-roundtrip.sh (every codec, -D). */
#include "test_util.h"

#include <lz4.h>

#include "../codec/words.h"

#define N_SAMPLES 300
#define SYNTH_PARAGRAPHS 1
#include "synthetic.h"

static unsigned char dict_w[16384], dict_plain[16384];
static size_t dict_w_len, dict_plain_len;
static artpack_dict dw, dp;

static int setup(void **state) {
    artpack_train_params p;
    (void)state;
    memset(&p, 0, sizeof p);
    p.dict_size = 16384;
    p.level = 3;
    p.words = ARTPACK_DICT_WORDS_MAX;
    make_samples(777);
    if (train_samples(dict_w, sizeof dict_w, &p, &dict_w_len)) return -1;
    p.words = -1;
    if (train_samples(dict_plain, sizeof dict_plain, &p, &dict_plain_len)) return -1;
    if (artpack_dict_load(&dw, dict_w, dict_w_len) != ARTPACK_OK ||
        artpack_dict_load(&dp, dict_plain, dict_plain_len) != ARTPACK_OK)
        return -1;
    make_samples(4242); /* the test articles: not the training ones */
    return 0;
}

static const char *const list_words[] = {"the", "of", "and", "market", "said", "Tuesday",
                                         "percent", "company", "shares", "bank", "oil",
                                         "prices", "year", "growth", "to", "in", "a",
                                         "minister", "government", "ab"};
static unsigned char small_list[512];
static size_t small_list_len;
static unsigned char big_list[AP_WORDS_MAX * 8 + 512];
static size_t big_list_len;

/* Every word count a list may hold: 2035 words "aa", "ab", ... */
static void make_lists(void) {
    static char names[AP_WORDS_MAX][4];
    static const char *ptr[AP_WORDS_MAX];
    unsigned i;
    small_list_len = make_word_list(small_list, list_words, TU_COUNT(list_words));
    for (i = 0; i < AP_WORDS_MAX; i++) {
        names[i][0] = (char)('a' + i / (26 * 26));
        names[i][1] = (char)('a' + i / 26 % 26);
        names[i][2] = (char)('a' + i % 26);
        names[i][3] = 0;
        ptr[i] = names[i];
    }
    big_list_len = make_word_list(big_list, ptr, AP_WORDS_MAX);
}

/* apply, then expand in a buffer of exactly n bytes (ASan sees any overrun);
 * returns whether it went in place. */
static int round_trip(const ap_words_enc *e, const unsigned char *list, const unsigned char *src,
                      size_t n) {
    unsigned char *t = (unsigned char *)malloc(AP_WORDS_BOUND(n) + 1);
    unsigned char *buf = (unsigned char *)malloc(n ? n : 1);
    int in_place = -1, again = -1;
    size_t tn = ap_words_apply(e, t, src, n, &in_place), tn2;
    assert_true(tn <= AP_WORDS_BOUND(n));
    assert_true(in_place == 0 || in_place == 1);
    /* determinism */
    {
        unsigned char *t2 = (unsigned char *)malloc(AP_WORDS_BOUND(n) + 1);
        tn2 = ap_words_apply(e, t2, src, n, &again);
        assert_int_equal(tn, tn2);
        assert_int_equal(in_place, again);
        assert_memory_equal(t, t2, tn);
        free(t2);
    }
    {
        unsigned char *ref = (unsigned char *)malloc(n + 1);
        assert_int_equal(ref_expand(list, t, tn, ref), n);
        if (n) assert_memory_equal(ref, src, n);
        free(ref);
    }
    if (in_place) {
        assert_true(tn <= n);
        /* the stated expansion bound: one code byte gives at most 32 bytes */
        assert_true(n <= tn * AP_WORD_LEN_MAX);
        memcpy(buf + (n - tn), t, tn);
        assert_ap_ok(ap_words_expand(list, buf, n, tn));
        if (n) assert_memory_equal(buf, src, n);
    }
    free(t);
    free(buf);
    return in_place;
}

static void test_round_trip_random_bytes(void **state) {
    static const unsigned char codes[] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9,
                                          0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF, 0x00};
    const unsigned char *lists[2];
    ap_words_enc *e[2];
    unsigned round, which, in_place = 0, total = 0;
    (void)state;
    make_lists();
    lists[0] = small_list;
    lists[1] = big_list;
    for (which = 0; which < 2; which++)
        assert_ap_ok(ap_words_enc_create(&e[which], lists[which], ap_allocator_or_default(NULL)));
    rng_state = 99;
    for (round = 0; round < 3000; round++) {
        size_t n = rng() % (round < 100 ? 8 : 3000), i = 0;
        unsigned char *src = (unsigned char *)malloc(n ? n : 1);
        unsigned mix = rng() % 4; /* 0 words, 1 + code bytes, 2 + anything, 3 code bytes late */
        while (i < n) {
            unsigned r = rng() % 16;
            if (r < 8) { /* a word of the lists, or letters */
                const char *w = r < 4 ? list_words[rng() % TU_COUNT(list_words)] : "Xyz";
                size_t k;
                char tmp[4];
                if (r >= 6) {
                    unsigned j = rng() % AP_WORDS_MAX;
                    tmp[0] = (char)('a' + j / 676), tmp[1] = (char)('a' + j / 26 % 26),
                    tmp[2] = (char)('a' + j % 26), tmp[3] = 0;
                    w = tmp;
                }
                for (k = 0; w[k] && i < n; k++) src[i++] = (unsigned char)w[k];
            } else if (r < 12 || mix == 0) {
                src[i++] = (unsigned char)" .,\n\xFF"[rng() % 5];
            } else if (mix == 1 || (mix == 3 && i > n * 3 / 4)) {
                src[i++] = codes[rng() % TU_COUNT(codes)];
            } else if (mix == 2) {
                src[i++] = (unsigned char)rng();
            } else {
                src[i++] = ' ';
            }
        }
        for (which = 0; which < 2; which++) {
            int ip = round_trip(e[which], lists[which], src, n);
            in_place += (unsigned)ip;
            total++;
            if (mix == 0) assert_true(ip); /* text without code bytes: always */
        }
        free(src);
    }
    print_message("words: %u of %u random inputs undone in place (the rest go untransformed)\n",
                  in_place, total);
    assert_true(in_place > total / 4);
    for (which = 0; which < 2; which++) ap_words_enc_free(e[which]);
}

/* The codes of the format, each decoded as FORMAT.md says. */
static void test_codes(void **state) {
    unsigned char buf[64];
    ap_words_enc *e;
    size_t tn;
    int ip;
    const unsigned char in[] = "the of and ab \xC0\xFD";
    (void)state;
    make_lists();
    assert_ap_ok(ap_words_enc_create(&e, small_list, ap_allocator_or_default(NULL)));
    tn = ap_words_apply(e, buf, in, sizeof in - 1, &ip);
    {
        /* the, of, and: C0, C1, F5; "ab" is word 19: F6 10; C0 escaped: F6 FE;
         * FD (escape 10): FB FE */
        static const unsigned char want[] = {0xC0, ' ', 0xC1, ' ', 0xF5, ' ', 0xF6, 16,
                                             ' ', 0xF6, 0xFE, 0xFB, 0xFE};
        assert_int_equal(tn, sizeof want);
        assert_memory_equal(buf, want, sizeof want);
        assert_false(ip); /* escapes at the end: the output would overtake */
    }
    ap_words_enc_free(e);
    make_lists();
    assert_ap_ok(ap_words_enc_create(&e, big_list, ap_allocator_or_default(NULL)));
    /* the last word, 2034 = 3 + 254 * 7 + 253: FD FD; "cab" (2 letters more) */
    {
        const char *last = (const char *)big_list + big_list_len - 3;
        tn = ap_words_apply(e, buf, (const unsigned char *)last, 3, &ip);
        assert_int_equal(tn, 2);
        assert_int_equal(buf[0], 0xFD);
        assert_int_equal(buf[1], 0xFD);
    }
    ap_words_enc_free(e);
}

static void expect_words_error(const unsigned char *list, const unsigned char *t, size_t tn,
                               size_t n) {
    unsigned char *buf = (unsigned char *)malloc(n ? n : 1);
    if (tn <= n) memcpy(buf + (n - tn), t, tn);
    assert_ap_error(ap_words_expand(list, buf, n, tn), ARTPACK_E_WORDS);
    free(buf);
}

static void test_expand_errors(void **state) {
    static const unsigned char past[] = {0xF6, 50};       /* word 53 of 20 */
    static const unsigned char cut[] = {'x', 0xF7};       /* a prefix without its byte */
    static const unsigned char esc[] = {0xFB, 0xFF};      /* escape 11: none */
    static const unsigned char first[] = {0xC0, 'x', 'y', 'z'};
    (void)state;
    make_lists();
    expect_words_error(small_list, past, 2, 10);
    expect_words_error(small_list, cut, 2, 2);
    expect_words_error(small_list, esc, 2, 1);
    expect_words_error(small_list, first, 4, 7); /* "the" + 3: 6 bytes, not 7 */
    expect_words_error(small_list, first, 4, 5); /* "the" overtakes x, y */
    expect_words_error(small_list, first, 4, 3); /* more input than room */
    {
        unsigned char buf[6];
        memcpy(buf + 2, first, 4);
        assert_ap_ok(ap_words_expand(small_list, buf, 6, 4));
        assert_memory_equal(buf, "thexyz", 6);
    }
}

static void test_dictionary_layout(void **state) {
    const unsigned char *t = dict_w + dict_w_len - AP_WORDS_TRAILER;
    (void)state;
    assert_true(dw.words != NULL);
    assert_null(dp.words);
    assert_int_equal(dp.words_size, 0);
    /* one file: a zstd dictionary with its ID, the list inside, the trailer last */
    assert_int_equal(dw.size, dict_w_len);
    assert_true(dict_w_len <= 16384);
    assert_int_equal(ap_read_le32(dict_w), 0xEC30A437u);
    assert_int_equal(ap_read_le32(t + 12), AP_WORDS_MAGIC);
    assert_ptr_equal(dw.words, dict_w + dict_w_len - ap_read_le32(t));
    assert_int_equal(dw.words_size, ap_read_le32(t + 4));
    assert_int_equal(ap_read_le32(t + 8), ap_xxh32(dw.words, dw.words_size));
    assert_int_equal(dw.words[0], AP_WORDS_VERSION);
}

/* A copy of the words dictionary with one change, its checksum redone
 * when fix is set. */
static artpack_error load_damaged(size_t at, unsigned char value, int fix) {
    static unsigned char d[16384];
    artpack_dict x;
    memcpy(d, dict_w, dict_w_len);
    d[at] = value;
    if (fix) {
        size_t dist = ap_read_le32(d + dict_w_len - 16), n = ap_read_le32(d + dict_w_len - 12);
        ap_write_le32(d + dict_w_len - 8, ap_xxh32(d + dict_w_len - dist, n));
    }
    return artpack_dict_load(&x, d, dict_w_len);
}

static void test_dictionary_damage(void **state) {
    size_t list_at = (size_t)(dw.words - dict_w), n = dw.words_size;
    (void)state;
    assert_ap_error(load_damaged(list_at + n - 1, 0x20, 0), ARTPACK_E_DICT); /* checksum */
    assert_ap_error(load_damaged(list_at + n - 1, 0x20, 1), ARTPACK_E_DICT); /* not a letter */
    assert_ap_error(load_damaged(list_at, 3, 1), ARTPACK_E_DICT);            /* version */
    assert_ap_error(load_damaged(list_at, 0, 1), ARTPACK_E_DICT);
    assert_ap_error(load_damaged(list_at + 2, 0, 1), ARTPACK_E_DICT);        /* 0 words */
    assert_ap_error(load_damaged(list_at + 4, 1, 1), ARTPACK_E_DICT);        /* group offset */
    assert_ap_error(load_damaged(dict_w_len - 13, 0x7F, 0), ARTPACK_E_DICT); /* distance */
    assert_ap_error(load_damaged(dict_w_len - 9, 0x7F, 0), ARTPACK_E_DICT);  /* size */
    /* no magic: a plain zstd dictionary, without a list */
    {
        static unsigned char d[16384];
        artpack_dict x;
        memcpy(d, dict_w, dict_w_len);
        d[dict_w_len - 1] ^= 1;
        assert_ap_ok(artpack_dict_load(&x, d, dict_w_len));
        assert_null(x.words);
    }
}

static void test_train_deterministic_and_params(void **state) {
    static unsigned char a[16384], b[16384];
    artpack_train_params p;
    size_t na = 0;
    artpack_dict x;
    (void)state;
    make_samples(777);
    memset(&p, 0, sizeof p);
    p.dict_size = 16384;
    p.level = 3;
    /* 0: the length measured on the held-out eighth */
    na = train_twice_same(a, b, sizeof a, samples, sample_sizes, N_SAMPLES, &p);
    assert_true(na <= 16384);
    assert_ap_ok(artpack_dict_load(&x, a, na));
    p.words = ARTPACK_DICT_WORDS_MAX;
    assert_ap_ok(artpack_dict_train(a, sizeof a, samples, sample_sizes, N_SAMPLES, &p, &na));
    assert_int_equal(na, dict_w_len);
    assert_memory_equal(a, dict_w, na);
    p.words = ARTPACK_DICT_WORDS_MAX + 1;
    assert_ap_error(artpack_dict_train(a, sizeof a, samples, sample_sizes, N_SAMPLES, &p, &na),
                    ARTPACK_E_PARAM);
    p.words = -2;
    assert_ap_error(artpack_dict_train(a, sizeof a, samples, sample_sizes, N_SAMPLES, &p, &na),
                    ARTPACK_E_PARAM);
    make_samples(4242);
}

static uint64_t workspace[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];

/* Through frames: zstd and LZ4, with and without a checksum; the transform
 * is used for articles, left out when it cannot be undone in place. */
static void test_frames(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
    int codec, checksum;
    (void)state;
    for (codec = 1; codec <= 2; codec++)
        for (checksum = 0; checksum <= 1; checksum++) {
            artpack_compress_params p;
            artpack_compressor *c = NULL, *plain = NULL;
            artpack_decompressor *d = NULL;
            size_t i, off = 0, with = 0, without = 0;
            memset(&p, 0, sizeof p);
            p.codec = (artpack_codec)codec;
            p.level = codec == 1 ? 3 : 9;
            p.checksum = checksum;
            p.words = 1;
            assert_ap_ok(artpack_compressor_create(&c, &p, &dw, NULL));
            p.words = 0;
            assert_ap_ok(artpack_compressor_create(&plain, &p, &dw, NULL));
            assert_ap_ok(artpack_decompressor_init(&d, workspace, sizeof workspace,
                                                   (artpack_codec)codec, &dw, 0));
            for (i = 0; i < N_SAMPLES; off += sample_sizes[i], i++) {
                const unsigned char *src = samples + off;
                size_t n = sample_sizes[i], w = 0, got = 0, w2 = 0;
                artpack_frame_info info;
                assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, src, n, &w));
                assert_true(w <= ARTPACK_FRAME_BOUND(n));
                assert_ap_ok(artpack_frame_info_get(&info, frame, w));
                assert_true(info.words);
                assert_true(info.transformed_size < n);
                assert_int_equal(info.content_size, n);
                assert_ap_ok(artpack_frame_decompress(d, out, n, frame, w, &got));
                assert_int_equal(got, n);
                assert_memory_equal(out, src, n);
                with += w;
                assert_ap_ok(artpack_frame_compress(plain, frame, sizeof frame, src, n, &w2));
                without += w2;
            }
            print_message("words: codec %d: %zu B with the transform, %zu B without\n", codec,
                          with, without);
            /* escapes late in the content: no transform, still round trips */
            {
                static unsigned char hostile[600];
                size_t w = 0, got = 0;
                artpack_frame_info info;
                memset(hostile, 'x', sizeof hostile);
                memcpy(hostile, "the market ", 11);
                memset(hostile + 500, 0xF6, 100);
                assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, hostile,
                                                    sizeof hostile, &w));
                assert_ap_ok(artpack_frame_info_get(&info, frame, w));
                assert_false(info.words);
                assert_ap_ok(artpack_frame_decompress(d, out, sizeof out, frame, w, &got));
                assert_int_equal(got, sizeof hostile);
                assert_memory_equal(out, hostile, sizeof hostile);
            }
            artpack_compressor_free(c);
            artpack_compressor_free(plain);
        }
}

static void test_frame_errors(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    artpack_decompressor *d = NULL;
    artpack_frame_info info;
    size_t n = sample_sizes[0], w = 0, got = 0;
    (void)state;
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.level = 3;
    p.words = 1;
    /* a transform needs a dictionary with a list (stored ignores it) */
    assert_ap_error(artpack_compressor_create(&c, &p, &dp, NULL), ARTPACK_E_NO_WORDS);
    assert_ap_error(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_E_NO_WORDS);
    p.codec = ARTPACK_CODEC_STORED;
    assert_ap_ok(artpack_compressor_create(&c, &p, NULL, NULL));
    artpack_compressor_free(c);
    /* a transformed frame and a dictionary without a list (same ID, unnamed) */
    p.codec = ARTPACK_CODEC_ZSTD;
    assert_ap_ok(artpack_compressor_create(&c, &p, &dw, NULL));
    assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, samples, n, &w));
    artpack_compressor_free(c);
    assert_ap_ok(artpack_frame_info_get(&info, frame, w));
    assert_true(info.words);
    {
        artpack_dict nolist = dw;
        nolist.words = NULL;
        nolist.words_size = 0;
        assert_ap_ok(artpack_decompressor_init(&d, workspace, sizeof workspace,
                                               ARTPACK_CODEC_ZSTD, &nolist, 0));
        assert_ap_error(artpack_frame_decompress(d, out, sizeof out, frame, w, &got),
                        ARTPACK_E_NEED_WORDS);
    }
    /* header rules: the flag without a dictionary, on stored, T > F */
    {
        static const unsigned char no_dict[] = {0x22, 3, 2, 0, 0};
        static const unsigned char stored[] = {0x20, 3, 2, 'a', 'b', 'c'};
        static const unsigned char bigger[] = {0x26, 3, 4, 0, 0};
        assert_ap_error(artpack_frame_info_get(&info, no_dict, sizeof no_dict), ARTPACK_E_FRAME);
        assert_ap_error(artpack_frame_info_get(&info, stored, sizeof stored), ARTPACK_E_FRAME);
        assert_ap_error(artpack_frame_info_get(&info, bigger, sizeof bigger), ARTPACK_E_FRAME);
        assert_ap_error(artpack_frame_info_get(&info, bigger, 2), ARTPACK_E_TRUNCATED);
    }
    /* a sound LZ4 payload whose transform is not: ARTPACK_E_WORDS */
    {
        static const unsigned char bad[] = {'a', 'b', 0xFD, 0xFF};
        unsigned char f[64];
        int k;
        f[0] = 0x26; /* LZ4, dictionary, words */
        f[1] = 10;   /* content size */
        f[2] = sizeof bad;
        k = LZ4_compress_default((const char *)bad, (char *)f + 3, sizeof bad, 60);
        assert_true(k > 0);
        assert_ap_ok(artpack_decompressor_init(&d, workspace, sizeof workspace,
                                               ARTPACK_CODEC_LZ4, &dw, 0));
        assert_ap_error(artpack_frame_decompress(d, out, sizeof out, f, 3 + (size_t)k, &got),
                        ARTPACK_E_WORDS);
    }
}

/* Every allocation of a compressor with the transform (its table, the
 * buffer of transformed content) fails cleanly: ARTPACK_E_ALLOC, nothing
 * leaked; past the last one, the frame round trips. */
static void test_alloc_every_site(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
    artpack_allocator mem;
    long at;
    (void)state;
    mem.alloc = fail_alloc;
    mem.free = fail_free;
    mem.opaque = NULL;
    for (at = 1;; at++) {
        artpack_compress_params p;
        artpack_compressor *c = NULL;
        artpack_decompressor *d = NULL;
        artpack_error e;
        size_t w = 0, got = 0;
        memset(&p, 0, sizeof p);
        p.codec = ARTPACK_CODEC_LZ4;
        p.words = 1;
        alloc_fail_at = at;
        alloc_calls = 0;
        alloc_live = 0;
        e = artpack_compressor_create(&c, &p, &dw, &mem);
        if (e == ARTPACK_OK) e = artpack_frame_compress(c, frame, sizeof frame, samples,
                                                        sample_sizes[0], &w);
        artpack_compressor_free(c);
        assert_int_equal(alloc_live, 0);
        if (alloc_calls < at) { /* no failure was injected: done */
            assert_ap_ok(e);
            assert_ap_ok(artpack_decompressor_init(&d, workspace, sizeof workspace,
                                                   ARTPACK_CODEC_LZ4, &dw, 0));
            assert_ap_ok(artpack_frame_decompress(d, out, sizeof out, frame, w, &got));
            assert_memory_equal(out, samples, sample_sizes[0]);
            break;
        }
        assert_ap_error(e, ARTPACK_E_ALLOC);
    }
    assert_true(at >= 4); /* the compressor, LZ4's two states, the table, the buffer */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_random_bytes),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_expand_errors),
        cmocka_unit_test(test_dictionary_layout),
        cmocka_unit_test(test_dictionary_damage),
        cmocka_unit_test(test_train_deterministic_and_params),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_frame_errors),
        cmocka_unit_test(test_alloc_every_site),
    };
    return cmocka_run_group_tests(tests, setup, teardown_samples);
}
