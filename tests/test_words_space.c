/* test_words_space.c - word-list tokens with a leading space (list version
 * 2, docs/FORMAT.md "Word transform"): the trainer's list holds " word"
 * beside "word"; random text (spaces, letters, escapes, UTF-8 of Arabic and
 * Chinese, random bytes) round-trips through the transform with spaced
 * lists, in place, out of place and through the table inverse, with tokens
 * up to 32 bytes space included; a dictionary whose list is of version 1
 * (letters only, as written before) still loads and decodes frames of both
 * codecs; lists that break the rules are refused with ARTPACK_E_DICT. */
#include "test_util.h"

#include "../codec/words.h"

#define N_SAMPLES 300
#define SYNTH_PARAGRAPHS 1
#include "synthetic.h"

static unsigned char dict_w[16384], dict_plain[16384];
static size_t dict_w_len, dict_plain_len;
static artpack_dict dw;

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
    p.dict_size = 12288; /* room after it for a hand-made list */
    if (train_samples(dict_plain, sizeof dict_plain, &p, &dict_plain_len)) return -1;
    if (artpack_dict_load(&dw, dict_w, dict_w_len) != ARTPACK_OK) return -1;
    make_samples(4242); /* the test articles: not the training ones */
    return 0;
}

/* dict_plain with list[0..n) and a trailer after it (the list inside the
 * zstd content, as docs/FORMAT.md allows): its size in dst. */
static size_t dict_with_list(unsigned char *dst, const unsigned char *list, size_t n) {
    size_t z = dict_plain_len;
    memcpy(dst, dict_plain, z);
    memcpy(dst + z, list, n);
    z += n;
    ap_write_le32(dst + z, (uint32_t)(n + AP_WORDS_TRAILER));
    ap_write_le32(dst + z + 4, (uint32_t)n);
    ap_write_le32(dst + z + 8, ap_xxh32(list, n));
    ap_write_le32(dst + z + 12, AP_WORDS_MAGIC);
    return z + AP_WORDS_TRAILER;
}

static artpack_error load_list(const char *const *w, unsigned n) {
    static unsigned char list[4096], d[16384 + 4096];
    artpack_dict x;
    size_t len = make_word_list(list, w, n);
    return artpack_dict_load(&x, d, dict_with_list(d, list, len));
}

/* The trainer: " word" tokens beside bare ones, version 2, deterministic. */
static void test_trained_list(void **state) {
    unsigned n = (unsigned)dw.words[2] | (unsigned)dw.words[3] << 8, i, spaced = 0, bare = 0;
    const unsigned char *p = dw.words + 4 + 2 * ((n + 15) / 16);
    int the_spaced = 0;
    (void)state;
    assert_non_null(dw.words);
    assert_int_equal(dw.words[0], AP_WORDS_VERSION);
    for (i = 0; i < n; i++) {
        assert_true(p[0] >= AP_WORD_LEN_MIN && p[0] <= AP_WORD_LEN_MAX);
        if (p[1] == ' ') {
            spaced++;
            assert_true(p[0] > 2 && p[2] != ' '); /* one space, then 2+ letters */
            if (p[0] == 4 && memcmp(p + 1, " the", 4) == 0) the_spaced = 1;
        } else {
            bare++;
        }
        p += 1 + p[0];
    }
    print_message("words: trained list: %u tokens with a leading space, %u without\n", spaced,
                  bare);
    assert_true(spaced > 0 && bare > 0);
    assert_true(the_spaced);
}

/* The list's length in a trained dictionary d[0..n) (0: no list). */
static unsigned trained_words(const unsigned char *d, size_t n) {
    artpack_dict x;
    assert_ap_ok(artpack_dict_load(&x, d, n));
    return x.words == NULL ? 0 : (unsigned)x.words[2] | (unsigned)x.words[3] << 8;
}

/* The trainer's choice of length (p.words 0) on text of a large vocabulary
 * (3,000 words of 4 to 11 letters, the frequent ones much more frequent):
 * at 16 KB a list of 1,024 words takes over a quarter of the budget, so the
 * lengths tried are 0, 256 and 512, and a list pays on such text; at 64 KB
 * 1,024 fit and 256 and 512 are not tried. Deterministic either way. */
static void test_small_budget_lengths(void **state) {
    enum { NREC = 400, NVOC = 3000 };
    static char voc[NVOC][12];
    static unsigned char recs[NREC * 2048], a[65536], b[65536];
    static size_t sizes[NREC];
    static char text[1800];
    artpack_train_params p;
    size_t used = 0, i, na;
    unsigned k, got;
    (void)state;
    rng_state = 31337;
    for (i = 0; i < NVOC; i++) {
        unsigned len = 4 + rng() % 8;
        for (k = 0; k < len; k++) voc[i][k] = (char)('a' + rng() % 26);
        voc[i][len] = 0;
    }
    for (i = 0; i < NREC; i++) {
        artpack_article art;
        artpack_str body;
        size_t len = 0, n;
        while (len + 16 < sizeof text) {
            const char *w = voc[rng() % (rng() % NVOC + 1)]; /* small indexes favoured */
            size_t wl = strlen(w);
            memcpy(text + len, w, wl);
            len += wl;
            text[len++] = ' ';
        }
        artpack_article_init(&art);
        art.title.ptr = text;
        art.title.len = 40;
        body.ptr = text + 40;
        body.len = len - 40;
        art.body = tu_list(&body, 1);
        assert_ap_ok(artpack_record_encode(recs + used, sizeof recs - used, &art, &n));
        sizes[i] = n;
        used += n;
    }
    memset(&p, 0, sizeof p);
    p.level = 3;
    p.dict_size = 16384;
    na = train_twice_same(a, b, sizeof a, recs, sizes, NREC, &p);
    got = trained_words(a, na);
    print_message("words: 16 KB dictionary, large vocabulary: a list of %u words\n", got);
    assert_true(got == 256 || got == 512);
    p.dict_size = 65536;
    assert_ap_ok(artpack_dict_train(a, sizeof a, recs, sizes, NREC, &p, &na));
    got = trained_words(a, na);
    print_message("words: 64 KB dictionary, large vocabulary: a list of %u words\n", got);
    assert_true(got == 0 || got >= 1024);
}

/* lists: 0 a few tokens, spaced and bare, the same word both ways; 1 all
 * 2,035, every other one spaced, lengths 2..32 with the space (so 32-byte
 * spaced and bare tokens, through the table's long rows) */
static unsigned char lists[2][AP_WORDS_MAX * 34 + 512];
static unsigned char tables[2][AP_WORDS_TABLE_SIZE];
static char names[AP_WORDS_MAX][AP_WORD_LEN_MAX + 1];
static const char *const few[] = {" the", "the", " of", "and", " and", " said", "market",
                                  " Tuesday", " internationalisationxxxxxxxxxxx",
                                  "ab", " ab", " zz"};

static void make_lists(void) {
    static const char *ptr[AP_WORDS_MAX];
    unsigned i, k;
    size_t len = make_word_list(lists[0], few, TU_COUNT(few));
    memset(lists[0] + len, 0xAA, 16); /* the trailer's bytes after the list */
    for (i = 0; i < AP_WORDS_MAX; i++) {
        unsigned n = AP_WORD_LEN_MIN + i / 2 % (AP_WORD_LEN_MAX - AP_WORD_LEN_MIN + 1);
        unsigned sp = i % 2 && n > 2;
        if (sp) names[i][0] = ' ';
        for (k = sp; k < n; k++) names[i][k] = (char)('a' + (i >> (3 * k % 11)) % 4);
        names[i][n] = 0;
        ptr[i] = names[i];
    }
    len = make_word_list(lists[1], ptr, AP_WORDS_MAX);
    memset(lists[1] + len, 0xAA, 16);
#if AP_WORDS_TABLE
    for (i = 0; i < 2; i++) ap_words_table(lists[i], tables[i]);
#endif
}

/* Every inverse on the transform of src: the same n bytes. Returns the
 * transformed size, or 0 when it did not go in place. */
static size_t check_round_trip(unsigned li, const ap_words_enc *e, const unsigned char *src,
                               size_t n) {
    unsigned char *t = (unsigned char *)malloc(AP_WORDS_BOUND(n) + 1);
    unsigned char *out = (unsigned char *)malloc(n + 1);
    int in_place = -1;
    size_t tn = ap_words_apply(e, t, src, n, &in_place), got = 0;
    assert_true(tn <= AP_WORDS_BOUND(n));
    assert_int_equal(ref_expand(lists[li], t, tn, out), n);
    if (n) assert_memory_equal(out, src, n);
    assert_ap_ok(ap_words_expand_to(lists[li], NULL, out, n, t, tn, &got));
    assert_int_equal(got, n);
    if (n) assert_memory_equal(out, src, n);
#if AP_WORDS_TABLE
    assert_ap_ok(ap_words_expand_to(lists[li], tables[li], out, n, t, tn, &got));
    assert_int_equal(got, n);
    if (n) assert_memory_equal(out, src, n);
#endif
    if (in_place) {
        static const size_t slacks[] = {0, 1, 31, AP_WORDS_SLACK};
        unsigned si;
        unsigned char *buf = (unsigned char *)malloc(n ? n : 1);
        assert_true(tn <= n && n <= tn * AP_WORD_LEN_MAX);
        memcpy(buf + (n - tn), t, tn);
        assert_ap_ok(ap_words_expand(lists[li], buf, n, tn));
        if (n) assert_memory_equal(buf, src, n);
        free(buf);
        for (si = 0; si < TU_COUNT(slacks); si++) {
#if AP_WORDS_TABLE
            size_t room = n + slacks[si];
            unsigned char *b = (unsigned char *)malloc(room ? room : 1);
            memcpy(b + (room - tn), t, tn);
            assert_ap_ok(ap_words_expand_table(lists[li], tables[li], b, n, room, tn));
            if (n) assert_memory_equal(b, src, n);
            free(b);
#endif
        }
    } else {
        tn = 0;
    }
    free(t);
    free(out);
    return tn;
}

/* Random text: tokens of the lists with and without the space before them,
 * runs of spaces, letters, escapes, UTF-8 (Arabic, Chinese), any byte. */
static void test_round_trip_spaced(void **state) {
    static const char *const utf8[] = {"\xD8\xA7\xD9\x84\xD8\xB1\xD9\x8A\xD8\xA7\xD8\xB6",
                                       "\xE4\xB8\xAD\xE5\x9B\xBD", "\xC3\xA9", "\xE2\x80\x94"};
    static const unsigned char codes[] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9,
                                          0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF, 0x00};
    ap_words_enc *e[2];
    unsigned round, li, in_place = 0, total = 0;
    size_t saved[2] = {0, 0}, plain[2] = {0, 0};
    (void)state;
    make_lists();
    for (li = 0; li < 2; li++)
        assert_ap_ok(ap_words_enc_create(&e[li], lists[li], ap_allocator_or_default(NULL)));
    rng_state = 1212;
    for (round = 0; round < 3000; round++) {
        size_t n = rng() % (round < 200 ? 12 : 2500), i = 0;
        unsigned char *src = (unsigned char *)malloc(n ? n : 1);
        unsigned mix = rng() % 4; /* 0 text only, 1 + code bytes, 2 + any byte, 3 late codes */
        li = rng() % 2;
        while (i < n) {
            unsigned r = rng() % 16;
            const char *w = NULL;
            if (r < 7) { /* a token, with or without its space */
                w = li ? names[rng() % AP_WORDS_MAX] : few[rng() % TU_COUNT(few)];
                if (rng() % 3 == 0 && w[0] == ' ') w++; /* the word without its space */
            } else if (r < 9) {
                w = rng() % 2 ? " " : "  ";
            } else if (r < 10) {
                w = utf8[rng() % TU_COUNT(utf8)];
            } else if (r < 12) {
                w = rng() % 2 ? " Xyzzy" : "ab.";
            } else if (mix == 1 || (mix == 3 && i > n * 3 / 4)) {
                src[i++] = codes[rng() % TU_COUNT(codes)];
            } else if (mix == 2) {
                src[i++] = (unsigned char)rng();
            } else {
                w = ",\n";
            }
            if (w != NULL) {
                size_t k;
                for (k = 0; w[k] && i < n; k++) src[i++] = (unsigned char)w[k];
            }
        }
        {
            size_t tn = check_round_trip(li, e[li], src, n);
            total++;
            if (tn) {
                in_place++;
                saved[li] += n - tn;
                plain[li] += n;
            }
            if (mix == 0) assert_true(tn > 0 || n == 0); /* no code bytes: in place */
        }
        free(src);
    }
    print_message("words: spaced lists, %u of %u inputs in place; saved %zu of %zu B, %zu of "
                  "%zu B\n",
                  in_place, total, saved[0], plain[0], saved[1], plain[1]);
    assert_true(in_place > total / 2);
    assert_true(saved[0] > 0 && saved[1] > 0);
    for (li = 0; li < 2; li++) ap_words_enc_free(e[li]);
}

/* The codes: " the" before "the", the space alone when " word" is not a
 * token, the longest tokens (32 bytes with the space) through one code. */
static void test_spaced_codes(void **state) {
    static const unsigned char in[] = "the the x  of of and market";
    /* " the" 0 = C0, "the" 1 = C1, " of" 2 = F5, " and" 4 = F6 01, "market" 6 =
     * F6 03 (" market" is no token: the space, then "market") */
    static const unsigned char want[] = {0xC1, 0xC0, ' ', 'x', ' ', 0xF5,
                                         0xF5, 0xF6, 0x01, ' ', 0xF6, 0x03};
    unsigned char buf[128];
    ap_words_enc *e;
    size_t tn;
    int ip;
    (void)state;
    make_lists();
    assert_ap_ok(ap_words_enc_create(&e, lists[0], ap_allocator_or_default(NULL)));
    tn = ap_words_apply(e, buf, in, sizeof in - 1, &ip);
    assert_int_equal(tn, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    assert_true(ip);
    /* " the" at the very start, and "the" without a space before it */
    tn = ap_words_apply(e, buf, (const unsigned char *)" the.the", 8, &ip);
    assert_int_equal(tn, 3);
    assert_int_equal(buf[0], 0xC0);
    assert_int_equal(buf[1], '.');
    assert_int_equal(buf[2], 0xC1);
    /* a space and a 31-letter word: one 32-byte token, word 8 (F6 05) */
    tn = ap_words_apply(e, buf, (const unsigned char *)"a internationalisationxxxxxxxxxxx", 33, &ip);
    assert_int_equal(tn, 3);
    assert_int_equal(buf[0], 'a');
    assert_int_equal(buf[1], 0xF6);
    assert_int_equal(buf[2], 5);
    assert_int_equal(check_round_trip(0, e, (const unsigned char *)"a internationalisationxxxxxxxxxxx", 33), 3);
    ap_words_enc_free(e);
}

/* A version 1 list (letters only, what dictionaries held before version
 * 2) loads, and frames of both codecs made with it decode. */
static void test_version1_dictionary(void **state) {
    static const char *const old[] = {"the", "of", "and", "said", "market", "percent", "in"};
    static unsigned char list[512], d[16384 + 512];
    static uint64_t ws[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];
    size_t len = make_word_list(list, old, TU_COUNT(old)), dn;
    artpack_dict x;
    int codec;
    (void)state;
    assert_int_equal(list[0], AP_WORDS_VERSION_LETTERS);
    dn = dict_with_list(d, list, len);
    assert_ap_ok(artpack_dict_load(&x, d, dn));
    assert_non_null(x.words);
    assert_int_equal(x.words[0], 1);
    for (codec = ARTPACK_CODEC_ZSTD; codec <= ARTPACK_CODEC_LZ4; codec++) {
        artpack_compress_params cp;
        artpack_compressor *c = NULL;
        artpack_decompressor *dec = NULL;
        unsigned i, framed = 0;
        memset(&cp, 0, sizeof cp);
        cp.codec = (artpack_codec)codec;
        cp.checksum = 1;
        cp.words = 1;
        assert_ap_ok(artpack_compressor_create(&c, &cp, &x, NULL));
        assert_ap_ok(artpack_decompressor_init(&dec, ws, sizeof ws, (artpack_codec)codec, &x, 0));
        for (i = 0; i < 40; i++) {
            static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], out[8192];
            artpack_frame_info info;
            size_t n, fn, got;
            const unsigned char *src = sample(i, &n);
            assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, src, n, &fn));
            assert_ap_ok(artpack_frame_info_get(&info, frame, fn));
            framed += info.words != 0;
            assert_ap_ok(artpack_frame_decompress(dec, out, sizeof out, frame, fn, &got));
            assert_int_equal(got, n);
            assert_memory_equal(out, src, n);
        }
        assert_true(framed > 0);
        artpack_compressor_free(c);
    }
}

/* Lists that break the rules: ARTPACK_E_DICT at the load. */
static void test_bad_lists(void **state) {
    static const char *const ok2[] = {"the", " the", " ab"};
    static const char *const inside[] = {" the", "a b"};
    static const char *const two[] = {" the", "  ab"};
    static const char *const only[] = {" the", "  "};
    static const char *const space1[] = {" the", " "}; /* space-only, one byte */
    static const char *const one_letter[] = {" the", " a"};
    static const char *const trailing[] = {" the", "ab "};
    static const char *const long33[] = {" the", " abcdefghijklmnopqrstuvwxyzabcdef"};
    static const char *const long32[] = {" the", " abcdefghijklmnopqrstuvwxyzabcde"};
    static unsigned char list[256], d[16384 + 256];
    (void)state;
    assert_ap_ok(load_list(ok2, TU_COUNT(ok2)));
    assert_ap_ok(load_list(long32, TU_COUNT(long32)));
    assert_ap_error(load_list(inside, TU_COUNT(inside)), ARTPACK_E_DICT);
    assert_ap_error(load_list(two, TU_COUNT(two)), ARTPACK_E_DICT);
    assert_ap_error(load_list(only, TU_COUNT(only)), ARTPACK_E_DICT);
    assert_ap_error(load_list(one_letter, TU_COUNT(one_letter)), ARTPACK_E_DICT);
    assert_ap_error(load_list(trailing, TU_COUNT(trailing)), ARTPACK_E_DICT);
    assert_ap_error(load_list(long33, TU_COUNT(long33)), ARTPACK_E_DICT);
    {
        /* a leading space in a version 1 list; an unknown version */
        artpack_dict x;
        size_t len = make_word_list(list, ok2, TU_COUNT(ok2));
        assert_int_equal(list[0], AP_WORDS_VERSION);
        list[0] = AP_WORDS_VERSION_LETTERS;
        assert_ap_error(artpack_dict_load(&x, d, dict_with_list(d, list, len)), ARTPACK_E_DICT);
        list[0] = AP_WORDS_VERSION + 1;
        assert_ap_error(artpack_dict_load(&x, d, dict_with_list(d, list, len)), ARTPACK_E_DICT);
        list[0] = AP_WORDS_VERSION;
        assert_ap_ok(artpack_dict_load(&x, d, dict_with_list(d, list, len)));
    }
    assert_ap_error(load_list(space1, TU_COUNT(space1)), ARTPACK_E_DICT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trained_list),
        cmocka_unit_test(test_small_budget_lengths),
        cmocka_unit_test(test_round_trip_spaced),
        cmocka_unit_test(test_spaced_codes),
        cmocka_unit_test(test_version1_dictionary),
        cmocka_unit_test(test_bad_lists),
    };
    return cmocka_run_group_tests(tests, setup, teardown_samples);
}
