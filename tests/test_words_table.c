/* test_words_table.c - the table-driven inverse of the word transform
 * (codec/words.c: ap_words_table, ap_words_expand_table) against the
 * byte-at-a-time one (ap_words_expand) it must equal: for every input the
 * same bytes, or ARTPACK_E_WORDS where that one fails. Every one- and
 * two-byte code at every size around it; random transformed bytes (plain,
 * UTF-8, code bytes, runs of prefix bytes, escapes) at random sizes;
 * mutated transforms of text; round trips of text, in buffers of exactly
 * the content size (ASan sees any overrun). Then the decompressor's
 * workspace: with the table, without it, too small. */
#include "test_util.h"

#include "../codec/words.h"
#include "synthetic.h"

#if AP_WORDS_TABLE

/* A word list (synthetic.h), with the 16 bytes after it that a
 * dictionary's trailer gives (ap_words_expand_table may read them). */
static size_t make_list(unsigned char *dst, const char *const *w, unsigned n) {
    size_t len = make_word_list(dst, w, n);
    memset(dst + len, 0xAA, 16);
    return len;
}

/* lists: 0 a few words (most codes name none), 1 all 2,035 (lengths 2 to
 * 32, so every copy length is met) */
static unsigned char lists[2][AP_WORDS_MAX * 34 + 512];
static unsigned char tables[2][AP_WORDS_TABLE_SIZE];
static const unsigned n_lists = 2;

static int setup(void **state) {
    static const char *const few[] = {"the", "of", "and", "market", "said", "Tuesday", "percent",
                                      "internationalisation", "ab"};
    static char names[AP_WORDS_MAX][AP_WORD_LEN_MAX + 1];
    static const char *ptr[AP_WORDS_MAX];
    unsigned i, k;
    (void)state;
    make_list(lists[0], few, TU_COUNT(few));
    for (i = 0; i < AP_WORDS_MAX; i++) {
        unsigned len = AP_WORD_LEN_MIN + i % (AP_WORD_LEN_MAX - AP_WORD_LEN_MIN + 1);
        for (k = 0; k < len; k++) names[i][k] = (char)((k < 3 ? "abc"[k] : 'a') + (i >> (3 * k % 11)) % 20);
        names[i][len] = 0;
        ptr[i] = names[i];
    }
    make_list(lists[1], ptr, AP_WORDS_MAX);
    for (i = 0; i < n_lists; i++) ap_words_table(lists[i], tables[i]);
    return 0;
}

/* Both inverses on t[0..tn) at the end of a buffer of exactly n bytes: the
 * same result, and on success the same bytes; the table's also with the
 * transform slack bytes further on (room n + slack: 1, 16, 31, 32 = every
 * code on the fast path, 40), in a buffer of exactly that room. Returns the
 * result. */
static artpack_error both(unsigned li, const unsigned char *t, size_t tn, size_t n) {
    static const size_t slacks[] = {0, 1, 16, 31, AP_WORDS_SLACK, 40};
    unsigned char *a = (unsigned char *)malloc(n ? n : 1);
    artpack_error ea;
    unsigned si;
    assert_non_null(a);
    if (tn <= n && tn) memcpy(a + (n - tn), t, tn);
    ea = ap_words_expand(lists[li], a, n, tn);
    assert_true(ea == ARTPACK_OK || ea == ARTPACK_E_WORDS);
    for (si = 0; si < TU_COUNT(slacks); si++) {
        size_t room = n + slacks[si];
        unsigned char *b = (unsigned char *)malloc(room ? room : 1);
        assert_non_null(b);
        if (tn <= room && tn) memcpy(b + (room - tn), t, tn);
        assert_int_equal(ea, ap_words_expand_table(lists[li], tables[li], b, n, room, tn));
        if (ea == ARTPACK_OK && n) assert_memory_equal(a, b, n);
        free(b);
    }
    free(a);
    return ea;
}

/* Every code alone, and after 90 plain bytes (in place, not the copy of
 * the last bytes), at every size from the code's own to 40 bytes more. */
static void test_every_code(void **state) {
    unsigned li, b, x, extra, pad;
    long ok = 0;
    (void)state;
    for (li = 0; li < n_lists; li++)
        for (b = 0; b < 256; b++)
            for (x = 0; x < 256; x++) {
                unsigned char t[100];
                size_t tn;
                if ((b < 0xF6 || b > 0xFD) && x > 0) break; /* one-byte: x unused */
                for (pad = 0; pad <= 90; pad += 90) {
                    memset(t, 'q', pad);
                    t[pad] = (unsigned char)b;
                    t[pad + 1] = (unsigned char)x;
                    tn = pad + (b >= 0xF6 && b <= 0xFD ? 2 : 1);
                    /* an escape gives one byte for two: from tn - 1 */
                    for (extra = 0; extra <= 41; extra++) ok += both(li, t, tn, tn + extra - 1) == ARTPACK_OK;
                }
            }
    /* every plain byte (245) and word of each list decodes, at one size,
     * after each pad; an escape alone never (two bytes for one) */
    assert_int_equal(ok, 2 * ((245 + 9) + (245 + AP_WORDS_MAX)));
}

/* Random transformed bytes: plain ASCII, UTF-8, every code byte, runs of
 * prefix bytes, escapes; at random sizes (most fail, some decode). */
static void test_random_bytes(void **state) {
    static const unsigned char special[] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
                                            0xFB, 0xFC, 0xFD, 0xFE, 0xFF, 0xC2, 0xA9, 0xE2};
    unsigned char t[700];
    unsigned i;
    long ok = 0, tried = 0;
    (void)state;
    rng_state = 2025;
    for (i = 0; i < 30000; i++) {
        size_t tn = rng() % (i % 3 == 0 ? 40 : sizeof t), k, n;
        unsigned li = rng() % n_lists, mix = rng() % 4;
        for (k = 0; k < tn; k++) {
            unsigned r = rng() % 16;
            if (mix == 3 && r < 6) t[k] = (unsigned char)(0xF6 + rng() % 8); /* prefix runs */
            else if (r < 5 + mix) t[k] = special[rng() % TU_COUNT(special)];
            else if (r < 7 + mix) t[k] = (unsigned char)(rng() % 256);
            else t[k] = (unsigned char)('a' + rng() % 26);
        }
        /* sizes near what the codes give, where success is possible */
        n = tn + (rng() % 2 ? rng() % (tn * 4 + 8) : rng() % 64);
        ok += both(li, t, tn, n) == ARTPACK_OK;
        tried++;
    }
    assert_int_equal(tried, 30000);
    assert_true(ok > 0); /* some decoded: the comparison saw successes too */
}

/* Text transformed and undone; then one to three bytes of the transform
 * changed (or it cut short), at the original size and around it. */
static void test_text_and_mutations(void **state) {
    static char text[6000];
    unsigned li, i;
    long ok = 0, mutants = 0;
    (void)state;
    rng_state = 99;
    for (li = 0; li < n_lists; li++) {
        ap_words_enc *e = NULL;
        assert_ap_ok(ap_words_enc_create(&e, lists[li], ap_allocator_or_default(NULL)));
        for (i = 0; i < 300; i++) {
            size_t n = make_text(text, 1 + rng() % (sizeof text - 1)), tn, k;
            unsigned char *t = (unsigned char *)malloc(AP_WORDS_BOUND(n) + 1);
            int in_place = 0, m;
            if (i % 5 == 0) text[rng() % (n + 1)] = (char)0xF7; /* escaped bytes */
            if (i % 7 == 0) text[rng() % (n + 1)] = (char)0xC3;
            tn = ap_words_apply(e, t, (const unsigned char *)text, n, &in_place);
            if (in_place) {
                unsigned char *buf = (unsigned char *)malloc(n ? n : 1);
                if (tn) memcpy(buf + (n - tn), t, tn);
                assert_ap_ok(ap_words_expand_table(lists[li], tables[li], buf, n, n, tn));
                if (n) assert_memory_equal(buf, text, n);
                free(buf);
                ok += both(li, t, tn, n) == ARTPACK_OK;
            }
            for (m = 0; m < 6 && tn; m++) {
                unsigned char *u = (unsigned char *)malloc(tn);
                size_t un = m == 5 ? rng() % tn : tn, n2 = n + rng() % 5;
                memcpy(u, t, tn);
                for (k = 0; k < 1 + (size_t)m % 3; k++) u[rng() % tn] = (unsigned char)rng();
                both(li, u, un, n2 >= 2 ? n2 - 2 : 0);
                mutants++;
                free(u);
            }
            free(t);
        }
        ap_words_enc_free(e);
    }
    assert_true(ok > 500);
    assert_true(mutants > 3000);
}

/* ---- the decompressor's workspace ---- */

static void test_workspace(void **state) {
    static unsigned char samples[300 * 1400];
    static unsigned char dict[16384];
    static char title[128], body_text[1100];
    size_t sizes[300], used = 0, dict_len, i;
    artpack_train_params p;
    artpack_dict d;
    int codec;
    (void)state;
    rng_state = 7;
    for (i = 0; i < 300; i++) { /* records of synthetic text */
        artpack_article a;
        artpack_str body;
        artpack_article_init(&a);
        a.title = text_str(title, 60 + rng() % 60);
        body = text_str(body_text, 200 + rng() % 800);
        a.body = tu_list(&body, 1);
        assert_ap_ok(artpack_record_encode(samples + used, sizeof samples - used, &a, &sizes[i]));
        used += sizes[i];
    }
    memset(&p, 0, sizeof p);
    p.dict_size = sizeof dict;
    p.level = 3;
    p.words = ARTPACK_DICT_WORDS_MAX;
    assert_ap_ok(artpack_dict_train(dict, sizeof dict, samples, sizes, 300, &p, &dict_len));
    assert_ap_ok(artpack_dict_load(&d, dict, dict_len));
    assert_non_null(d.words);
    /* STORED and CM hold no table */
    assert_int_equal(artpack_decompressor_workspace_size(ARTPACK_CODEC_LZ4),
                     artpack_decompressor_workspace_size(ARTPACK_CODEC_STORED) +
                         ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE);
    for (codec = ARTPACK_CODEC_ZSTD; codec <= ARTPACK_CODEC_LZ4; codec++) {
        size_t full = artpack_decompressor_workspace_size((artpack_codec)codec);
        size_t bare = full - ARTPACK_DECOMPRESSOR_WORDS_TABLE_SIZE;
        size_t ws_sizes[3];
        artpack_compress_params cp;
        artpack_compressor *c = NULL;
        unsigned char frame[ARTPACK_FRAME_BOUND(1400)], out[1400];
        size_t fn, got, k, src_n = sizes[0];
        void *ws = malloc(full);
        artpack_decompressor *dec = NULL;
        artpack_allocator mem = {fail_alloc, fail_free, NULL};
        assert_true(full <= ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE(codec));
        assert_ap_error(artpack_decompressor_init(&dec, ws, bare - 1, (artpack_codec)codec, &d, 0),
                        ARTPACK_E_WORKSPACE_TOO_SMALL);
        memset(&cp, 0, sizeof cp);
        cp.codec = (artpack_codec)codec;
        cp.checksum = 1;
        cp.words = 1;
        alloc_fail_at = 0; /* synthetic.h's allocator, counting (never failing) */
        assert_ap_ok(artpack_compressor_create(&c, &cp, &d, &mem));
        assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, samples, src_n, &fn));
        artpack_compressor_free(c);
        assert_int_equal(alloc_live, 0);
        /* with the table, one byte short of it, and none: the same article */
        ws_sizes[0] = full;
        ws_sizes[1] = full - 1;
        ws_sizes[2] = bare;
        for (k = 0; k < 3; k++) {
            artpack_frame_info info;
            assert_ap_ok(artpack_decompressor_init(&dec, ws, ws_sizes[k], (artpack_codec)codec, &d, 0));
            assert_ap_ok(artpack_frame_info_get(&info, frame, fn));
            assert_true(info.words);
            memset(out, 0, sizeof out);
            assert_ap_ok(artpack_frame_decompress(dec, out, src_n, frame, fn, &got));
            assert_int_equal(got, src_n);
            assert_memory_equal(out, samples, src_n);
            /* a damaged frame fails alike with and without the table */
            frame[fn / 2] ^= 0x40;
            assert_true(artpack_frame_decompress(dec, out, src_n, frame, fn, &got) != ARTPACK_OK);
            frame[fn / 2] ^= 0x40;
        }
        free(ws);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_text_and_mutations),
        cmocka_unit_test(test_workspace),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

#else /* ARTPACK_WORDS_NO_TABLE: nothing to compare */
int main(void) { return 0; }
#endif
