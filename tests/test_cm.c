/* test_cm.c - the CM codec (ARTPACK_CODEC_CM): model training, round trips
 * with and without a model at several levels, each frame decoding alone from
 * the primed state (in any order, after any other), hostile payloads and
 * models, every CM error reachable, every bit flip, every allocation
 * failure, and a digest of models and frames that freezes the bytes across
 * compilers and optimisation levels (make test, make CC=clang test, make
 * asan all check the same figure). Synthetic articles: no corpus needed. */
#include "test_util.h"

#define N_SAMPLES 120
#include "synthetic.h"

/* models at levels 1 and 2, 8 KB each, trained on one set of samples; the
 * test articles are another */
static unsigned char model1[8192], model2[8192];
static size_t model1_len, model2_len;
static artpack_dict m1, m2;

static size_t train(int level, size_t size, unsigned char *dst, size_t cap) {
    artpack_train_params p;
    size_t n = 0;
    memset(&p, 0, sizeof p);
    p.dict_size = size;
    p.level = level;
    assert_ap_ok(artpack_cm_train(dst, cap, samples, sample_sizes, N_SAMPLES, &p, &n));
    return n;
}

static int setup(void **state) {
    (void)state;
    make_samples(777);
    model1_len = train(1, sizeof model1, model1, sizeof model1);
    model2_len = train(2, sizeof model2, model2, sizeof model2);
    if (artpack_dict_load(&m1, model1, model1_len) != ARTPACK_OK ||
        artpack_dict_load(&m2, model2, model2_len) != ARTPACK_OK)
        return -1;
    make_samples(4242);
    return 0;
}

/* a decompressor in a malloc'd workspace of the model's level (level when
 * there is no model); free(*ws) after */
static artpack_decompressor *make_dec(const artpack_dict *d, int level, void **ws) {
    artpack_decompressor *dec = NULL;
    size_t n = artpack_cm_workspace_size(d ? artpack_cm_model_level(d) : level);
    assert_true(n > 0);
    *ws = malloc(n);
    assert_non_null(*ws);
    assert_ap_ok(artpack_decompressor_init(&dec, *ws, n, ARTPACK_CODEC_CM, d, 0));
    return dec;
}

static artpack_compressor *make_comp(const artpack_dict *d, int level, int checksum) {
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_CM;
    p.level = level;
    p.checksum = checksum;
    p.frame_dict_id = 1;
    assert_ap_ok(artpack_compressor_create(&c, &p, d, NULL));
    return c;
}

/* ---- models ---- */

static void test_train_deterministic_and_errors(void **state) {
    static unsigned char again[8192], small[64];
    artpack_train_params p;
    size_t n;
    (void)state;
    make_samples(777);
    assert_int_equal(train(1, sizeof again, again, sizeof again), model1_len);
    assert_memory_equal(again, model1, model1_len); /* deterministic */
    assert_true(model1_len <= sizeof model1 && model1_len > sizeof model1 - 512); /* filled */
    assert_int_equal(artpack_cm_model_level(&m1), 1);
    assert_int_equal(artpack_cm_model_level(&m2), 2);
    assert_true(m1.id != 0 && m1.id != m2.id);
    assert_int_equal(artpack_cm_model_level(NULL), 0);
    memset(&p, 0, sizeof p);
    p.dict_size = 64; /* not even the first record fits */
    assert_ap_error(artpack_cm_train(small, sizeof small, samples, sample_sizes, N_SAMPLES, &p, &n),
                    ARTPACK_E_MODEL_TRAIN);
    assert_ap_error(artpack_cm_train(small, sizeof small, samples, sample_sizes, 0, &p, &n),
                    ARTPACK_E_MODEL_TRAIN);
    p.dict_size = 63;
    assert_ap_error(artpack_cm_train(small, sizeof small, samples, sample_sizes, N_SAMPLES, &p, &n),
                    ARTPACK_E_PARAM);
    p.dict_size = 8192;
    assert_ap_error(artpack_cm_train(small, sizeof small, samples, sample_sizes, N_SAMPLES, &p, &n),
                    ARTPACK_E_DST_TOO_SMALL);
    p.level = 10;
    assert_ap_error(artpack_cm_train(again, sizeof again, samples, sample_sizes, N_SAMPLES, &p, &n),
                    ARTPACK_E_PARAM);
    p.level = -1;
    assert_ap_error(artpack_cm_train(again, sizeof again, samples, sample_sizes, N_SAMPLES, &p, &n),
                    ARTPACK_E_PARAM);
    assert_ap_error(artpack_cm_train(NULL, 0, samples, sample_sizes, N_SAMPLES, &p, &n),
                    ARTPACK_E_NULL_ARG);
    make_samples(4242);
}

static void test_workspace_sizes(void **state) {
    int level;
    (void)state;
    assert_int_equal(artpack_decompressor_workspace_size(ARTPACK_CODEC_CM),
                     artpack_cm_workspace_size(0));
    assert_int_equal(artpack_cm_workspace_size(0),
                     artpack_cm_workspace_size(ARTPACK_CM_LEVEL_DEFAULT));
    /* the default level within the stated bound (16 MiB) */
    assert_true(artpack_cm_workspace_size(0) <= ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_CM);
    assert_true(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE(ARTPACK_CODEC_CM) ==
                ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_CM);
    for (level = 2; level <= ARTPACK_CM_LEVEL_MAX; level++)
        assert_true(artpack_cm_workspace_size(level) > artpack_cm_workspace_size(level - 1));
    assert_int_equal(artpack_cm_workspace_size(10), 0);
    assert_int_equal(artpack_cm_workspace_size(-1), 0);
    for (level = 1; level <= ARTPACK_CM_LEVEL_MAX; level++)
        printf("CM level %d: decoder workspace %zu B\n", level, artpack_cm_workspace_size(level));
}

/* ---- round trips ---- */

/* contents of every kind: empty, one byte, articles, random bytes, every
 * byte value, long repeats (long matches) */
static unsigned char *content(int kind, size_t *n) {
    unsigned char *b;
    size_t i, len;
    switch (kind) {
    case 0: len = 0; break;
    case 1: len = 1; break;
    case 2: len = 20000; break;
    case 3: len = 512; break;
    default: len = 70000; break;
    }
    b = (unsigned char *)malloc(len ? len : 1);
    rng_state = 99u + (uint32_t)kind;
    for (i = 0; i < len; i++)
        b[i] = kind == 1   ? 'x'
               : kind == 2 ? (unsigned char)rng()
               : kind == 3 ? (unsigned char)(i * 7)
                           : (unsigned char)"The minister said on Tuesday. "[i % 30];
    *n = len;
    return b;
}

static void round_trip(artpack_compressor *c, artpack_decompressor *d, const unsigned char *src,
                       size_t n, unsigned char *frame, size_t *w) {
    unsigned char *out = (unsigned char *)malloc(n ? n : 1);
    size_t got = 0;
    assert_ap_ok(artpack_frame_compress(c, frame, ARTPACK_FRAME_BOUND(n), src, n, w));
    assert_true(*w <= ARTPACK_FRAME_BOUND(n));
    assert_ap_ok(artpack_frame_decompress(d, out, n, frame, *w, &got));
    assert_int_equal(got, n);
    if (n) assert_memory_equal(out, src, n);
    free(out);
}

static void test_round_trips(void **state) {
    int level, with_model, kind, checksum;
    (void)state;
    for (level = 1; level <= 2; level++)
        for (with_model = 0; with_model <= 1; with_model++)
            for (checksum = 0; checksum <= 1; checksum++) {
                const artpack_dict *d = with_model ? (level == 1 ? &m1 : &m2) : NULL;
                artpack_compressor *c = make_comp(d, with_model ? 0 : level, checksum);
                void *ws;
                artpack_decompressor *dec = make_dec(d, level, &ws);
                size_t i, n, w, raw = 0, packed = 0;
                static unsigned char frame[ARTPACK_FRAME_BOUND(70000)];
                for (kind = 0; kind < 5; kind++) {
                    unsigned char *src = content(kind, &n);
                    round_trip(c, dec, src, n, frame, &w);
                    free(src);
                }
                for (i = 0; i < N_SAMPLES; i += 7) {
                    const unsigned char *src = sample(i, &n);
                    round_trip(c, dec, src, n, frame, &w);
                    raw += n;
                    packed += w;
                }
                printf("level %d, %s model: synthetic articles %zu -> %zu B\n", level,
                       with_model ? "with a" : "no", raw, packed);
                artpack_compressor_free(c);
                free(ws);
            }
}

/* The model pays: articles like the training ones come out smaller with it. */
static void test_model_helps(void **state) {
    artpack_compressor *with = make_comp(&m1, 0, 1), *without = make_comp(NULL, 1, 1);
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
    size_t i, n, w, a = 0, b = 0;
    (void)state;
    for (i = 0; i < N_SAMPLES; i++) {
        const unsigned char *src = sample(i, &n);
        assert_ap_ok(artpack_frame_compress(with, frame, sizeof frame, src, n, &w));
        a += w;
        assert_ap_ok(artpack_frame_compress(without, frame, sizeof frame, src, n, &w));
        b += w;
    }
    printf("level 1: %zu B with the model, %zu B without\n", a, b);
    assert_true(a * 10 < b * 9); /* at least 10 % smaller */
    artpack_compressor_free(with);
    artpack_compressor_free(without);
}

/* Each frame is coded from the primed state: the same article gives the same
 * frame whatever came before (here a large random one that touches most of
 * the state's lines, all logged and restored, at the default level), and
 * frames decode in any order. */
static void test_each_frame_alone(void **state) {
    static unsigned char f1[ARTPACK_FRAME_BOUND(8192)], f2[ARTPACK_FRAME_BOUND(8192)],
        fr[ARTPACK_FRAME_BOUND(8192)], out[8192];
    size_t big_n = 300000, n, w1, w2, wr, got, i;
    unsigned char *big = (unsigned char *)malloc(big_n), *bigf = (unsigned char *)malloc(ARTPACK_FRAME_BOUND(big_n)), *bigo = (unsigned char *)malloc(big_n);
    artpack_compressor *c = make_comp(NULL, 0, 1);
    void *ws;
    artpack_decompressor *dec = make_dec(NULL, 0, &ws);
    const unsigned char *src = sample(3, &n);
    (void)state;
    rng_state = 5;
    for (i = 0; i < big_n; i++) big[i] = (unsigned char)(rng() >> 7);
    assert_ap_ok(artpack_frame_compress(c, f1, sizeof f1, src, n, &w1));
    assert_ap_ok(artpack_frame_compress(c, bigf, ARTPACK_FRAME_BOUND(big_n), big, big_n, &wr));
    assert_ap_ok(artpack_frame_compress(c, f2, sizeof f2, src, n, &w2));
    assert_int_equal(w1, w2);
    assert_memory_equal(f1, f2, w1);
    /* decode: the article, the large one, the article again */
    assert_ap_ok(artpack_frame_decompress(dec, out, sizeof out, f2, w2, &got));
    assert_memory_equal(out, src, n);
    assert_ap_ok(artpack_frame_decompress(dec, bigo, big_n, bigf, wr, &got));
    assert_memory_equal(bigo, big, big_n);
    assert_ap_ok(artpack_frame_decompress(dec, out, sizeof out, f1, w1, &got));
    assert_memory_equal(out, src, n);
    /* with a model: in reverse order */
    artpack_compressor_free(c);
    free(ws);
    c = make_comp(&m2, 0, 1);
    dec = make_dec(&m2, 0, &ws);
    {
        static unsigned char frames[10][ARTPACK_FRAME_BOUND(4096)];
        size_t sizes[10];
        int k;
        for (k = 0; k < 10; k++) {
            src = sample((size_t)k, &n);
            assert_ap_ok(artpack_frame_compress(c, frames[k], sizeof frames[k], src, n, &sizes[k]));
        }
        for (k = 9; k >= 0; k--) {
            src = sample((size_t)k, &n);
            assert_ap_ok(artpack_frame_decompress(dec, out, sizeof out, frames[k], sizes[k], &got));
            assert_int_equal(got, n);
            assert_memory_equal(out, src, n);
        }
    }
    (void)fr;
    artpack_compressor_free(c);
    free(ws);
    free(big);
    free(bigf);
    free(bigo);
}

/* ---- errors ---- */

static void test_errors_model(void **state) {
    static unsigned char bad[8192 + 1];
    artpack_dict d;
    artpack_decompressor *dec = NULL;
    artpack_compressor *c = NULL;
    artpack_compress_params p;
    void *ws = malloc(artpack_cm_workspace_size(2));
    size_t wsn = artpack_cm_workspace_size(2);
    (void)state;
#define WITH(byte, value, want)                                                     \
    do {                                                                            \
        memcpy(bad, model1, model1_len);                                            \
        bad[byte] = (unsigned char)(value);                                         \
        assert_ap_error(artpack_dict_load(&d, bad, model1_len), want);              \
    } while (0)
    WITH(0, 'X', ARTPACK_E_DICT); /* neither magic */
    WITH(8, 2, ARTPACK_E_MODEL);  /* version */
    WITH(9, 0, ARTPACK_E_MODEL);  /* level */
    WITH(9, 10, ARTPACK_E_MODEL);
    WITH(10, 1, ARTPACK_E_MODEL); /* reserved */
    WITH(15, 1, ARTPACK_E_MODEL); /* priming text over 640 KB */
    memcpy(bad, model1, model1_len);
    memset(bad + 4, 0, 4); /* ID 0 */
    assert_ap_error(artpack_dict_load(&d, bad, model1_len), ARTPACK_E_MODEL);
    assert_ap_error(artpack_dict_load(&d, model1, 19), ARTPACK_E_MODEL); /* short header */
    /* a sound header, a damaged text: refused when primed, by its checksum */
    memcpy(bad, model1, model1_len);
    bad[model1_len / 2] ^= 0x10;
    assert_ap_ok(artpack_dict_load(&d, bad, model1_len));
    assert_ap_error(artpack_decompressor_init(&dec, ws, wsn, ARTPACK_CODEC_CM, &d, 0),
                    ARTPACK_E_MODEL);
    assert_null(dec);
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_CM;
    assert_ap_error(artpack_compressor_create(&c, &p, &d, NULL), ARTPACK_E_MODEL);
    assert_null(c);
    /* a byte after the text */
    memcpy(bad, model1, model1_len);
    bad[model1_len] = 0x55;
    assert_ap_ok(artpack_dict_load(&d, bad, model1_len + 1));
    assert_ap_error(artpack_decompressor_init(&dec, ws, wsn, ARTPACK_CODEC_CM, &d, 0),
                    ARTPACK_E_MODEL);
    /* a zstd dictionary is no CM model */
    {
        static unsigned char zd[16384];
        size_t zn;
        artpack_train_params tp;
        memset(&tp, 0, sizeof tp);
        tp.dict_size = 8192;
        tp.level = 3;
        assert_ap_ok(artpack_dict_train(zd, sizeof zd, samples, sample_sizes, N_SAMPLES, &tp, &zn));
        assert_ap_ok(artpack_dict_load(&d, zd, zn));
        assert_int_equal(artpack_cm_model_level(&d), 0);
        assert_ap_error(artpack_decompressor_init(&dec, ws, wsn, ARTPACK_CODEC_CM, &d, 0),
                        ARTPACK_E_MODEL);
        assert_ap_error(artpack_compressor_create(&c, &p, &d, NULL), ARTPACK_E_MODEL);
    }
    /* levels */
    p.level = 2;
    assert_ap_error(artpack_compressor_create(&c, &p, &m1, NULL), ARTPACK_E_MODEL_LEVEL);
    p.level = 10;
    assert_ap_error(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_E_PARAM);
    p.level = -1;
    assert_ap_error(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_E_PARAM);
    /* workspace */
    assert_ap_error(artpack_decompressor_init(&dec, ws, artpack_cm_workspace_size(1) - 1,
                                              ARTPACK_CODEC_CM, &m1, 0),
                    ARTPACK_E_WORKSPACE_TOO_SMALL);
    assert_ap_error(artpack_decompressor_init(&dec, ws, 64, ARTPACK_CODEC_CM, NULL, 0),
                    ARTPACK_E_WORKSPACE_TOO_SMALL);
    assert_ap_ok(artpack_decompressor_init(&dec, ws, artpack_cm_workspace_size(1),
                                           ARTPACK_CODEC_CM, &m1, 0));
#undef WITH
    free(ws);
}

static void test_errors_frames(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)], bad[ARTPACK_FRAME_BOUND(8192) + 1],
        out[8192];
    static uint64_t zws[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];
    artpack_compressor *c = make_comp(&m1, 0, 1), *plain = make_comp(NULL, 1, 1),
                       *nine = make_comp(NULL, 9, 1);
    void *ws1, *ws0, *ws2;
    artpack_decompressor *primed = make_dec(&m1, 1, &ws1), *unprimed = make_dec(NULL, 2, &ws0),
                         *other = make_dec(&m2, 2, &ws2), *z = NULL;
    artpack_frame_info info;
    size_t n, w, got, hn;
    const unsigned char *src = sample(5, &n);
    (void)state;
    assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, src, n, &w));
    assert_ap_ok(artpack_frame_info_get(&info, frame, w));
    assert_int_equal(info.codec, ARTPACK_CODEC_CM);
    assert_true(info.uses_dict && info.has_dict_id && info.dict_id == m1.id);
    hn = info.header_size;
    assert_int_equal(frame[hn], 1); /* the level byte */
    /* the model's frame without it, with another */
    assert_ap_error(artpack_frame_decompress(unprimed, out, sizeof out, frame, w, &got),
                    ARTPACK_E_NEED_DICT);
    assert_ap_error(artpack_frame_decompress(other, out, sizeof out, frame, w, &got),
                    ARTPACK_E_WRONG_DICT);
    /* a zstd decompressor takes no CM model, and has no CM coder */
    assert_ap_error(artpack_decompressor_init(&z, zws, sizeof zws, ARTPACK_CODEC_ZSTD, &m1, 0),
                    ARTPACK_E_DICT);
    assert_ap_ok(artpack_decompressor_init(&z, zws, sizeof zws, ARTPACK_CODEC_ZSTD, NULL, 0));
    {
        size_t wp;
        assert_ap_ok(artpack_frame_compress(plain, bad, sizeof bad, src, n, &wp));
        assert_ap_error(artpack_frame_decompress(z, out, sizeof out, bad, wp, &got),
                        ARTPACK_E_CODEC_UNAVAILABLE);
    }
    /* the level byte: another level, out of range */
    memcpy(bad, frame, w);
    bad[hn] = 2;
    assert_ap_error(artpack_frame_decompress(primed, out, sizeof out, bad, w, &got),
                    ARTPACK_E_MODEL_LEVEL);
    bad[hn] = 0;
    assert_ap_error(artpack_frame_decompress(primed, out, sizeof out, bad, w, &got),
                    ARTPACK_E_CORRUPT);
    bad[hn] = 10;
    assert_ap_error(artpack_frame_decompress(primed, out, sizeof out, bad, w, &got),
                    ARTPACK_E_CORRUPT);
    /* a byte more in the payload (before the checksum) */
    memcpy(bad, frame, w - 4);
    bad[w - 4] = 0;
    memcpy(bad + w - 3, frame + w - 4, 4);
    assert_ap_error(artpack_frame_decompress(primed, out, sizeof out, bad, w + 1, &got),
                    ARTPACK_E_CORRUPT);
    /* no payload at all */
    memcpy(bad, frame, hn);
    memcpy(bad + hn, frame + w - 4, 4);
    assert_ap_error(artpack_frame_decompress(primed, out, sizeof out, bad, hn + 4, &got),
                    ARTPACK_E_CORRUPT);
    /* a damaged coded byte: the decoder's reads no longer end 3 bytes past
     * the payload (CORRUPT), or else the checksum differs */
    memcpy(bad, frame, w);
    bad[hn + 3] ^= 0x01;
    {
        artpack_error e = artpack_frame_decompress(primed, out, sizeof out, bad, w, &got);
        assert_true(e == ARTPACK_E_CORRUPT || e == ARTPACK_E_CHECKSUM);
    }
    /* the checksum alone */
    memcpy(bad, frame, w);
    bad[w - 1] ^= 0x01;
    assert_ap_error(artpack_frame_decompress(primed, out, sizeof out, bad, w, &got),
                    ARTPACK_E_CHECKSUM);
    assert_ap_ok(artpack_frame_decompress(primed, out, sizeof out, frame, w, &got));
    assert_memory_equal(out, src, n);
    /* an unprimed frame: not for a primed decompressor; an unprimed one
     * follows the frame's level when its workspace holds it */
    assert_ap_ok(artpack_frame_compress(plain, frame, sizeof frame, src, n, &w));
    assert_ap_error(artpack_frame_decompress(primed, out, sizeof out, frame, w, &got),
                    ARTPACK_E_WRONG_DICT);
    assert_ap_ok(artpack_frame_decompress(unprimed, out, sizeof out, frame, w, &got));
    assert_memory_equal(out, src, n);
    assert_ap_ok(artpack_frame_compress(nine, frame, sizeof frame, src, n, &w));
    assert_ap_error(artpack_frame_decompress(unprimed, out, sizeof out, frame, w, &got),
                    ARTPACK_E_WORKSPACE_TOO_SMALL);
    artpack_compressor_free(c);
    artpack_compressor_free(plain);
    artpack_compressor_free(nine);
    free(ws0);
    free(ws1);
    free(ws2);
}

/* Hostile payloads with a valid model: any bytes decode to exactly the
 * content size or are refused, never out of bounds (ASan, valgrind). */
static void test_hostile_payloads(void **state) {
    static unsigned char frame[600], out[4096];
    void *ws;
    artpack_decompressor *dec = make_dec(&m1, 1, &ws);
    int k, ok = 0, refused = 0;
    (void)state;
    rng_state = 31337;
    for (k = 0; k < 300; k++) {
        size_t len = 3 + rng() % 500, i, got = 0, size = rng() % 4096;
        artpack_error e;
        frame[0] = 0x03 | 0x04; /* CM, with the model, no checksum */
        frame[1] = (unsigned char)(0x80 | (size & 0x7F));
        frame[2] = (unsigned char)(size >> 7);
        frame[3] = 1;
        for (i = 4; i < len + 4; i++) frame[i] = (unsigned char)rng();
        if (size < 128) { /* a minimal varint */
            frame[1] = (unsigned char)size;
            memmove(frame + 2, frame + 3, len + 1);
        }
        e = artpack_frame_decompress(dec, out, sizeof out, frame, len + 4, &got);
        if (e == ARTPACK_OK) {
            assert_int_equal(got, size);
            ok++;
        } else {
            assert_string_not_equal(artpack_error_name(e), "ARTPACK_E_UNKNOWN");
            refused++;
        }
    }
    printf("300 random payloads: %d decoded (no checksum), %d refused\n", ok, refused);
    assert_true(refused > 0);
    free(ws);
}

/* Every single-bit flip of a CM frame (checksum on) is refused with a named
 * error or decodes to exactly the original. */
static void test_every_bit_flip(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
    artpack_compressor *c = make_comp(&m1, 0, 1);
    void *ws;
    artpack_decompressor *dec = make_dec(&m1, 1, &ws);
    size_t n, w, refused = 0, same = 0;
    const unsigned char *src = sample(7, &n);
    (void)state;
    assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, src, n, &w));
    check_every_bit_flip(dec, frame, w, src, n, 8192, &refused, &same);
    printf("CM: %zu-byte frame of %zu B: %zu flips refused, %zu decode to the original\n", w, n,
           refused, same);
    assert_true(refused > 0);
    artpack_compressor_free(c);
    free(ws);
}

static void test_errors_alloc_every_site(void **state) {
    artpack_allocator mem = {fail_alloc, fail_free, NULL};
    long k;
    int succeeded = 0;
    (void)state;
    for (k = 1; k < 20 && !succeeded; k++) {
        artpack_compress_params p;
        artpack_compressor *c = NULL;
        artpack_error e;
        memset(&p, 0, sizeof p);
        p.codec = ARTPACK_CODEC_CM;
        alloc_fail_at = k;
        alloc_calls = alloc_live = 0;
        e = artpack_compressor_create(&c, &p, &m1, &mem);
        if (e == ARTPACK_OK) {
            static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
            size_t n, w;
            const unsigned char *src = sample(2, &n);
            assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, src, n, &w));
            artpack_compressor_free(c);
            succeeded = alloc_calls < k;
        } else {
            assert_ap_error(e, ARTPACK_E_ALLOC);
            assert_null(c);
        }
        assert_int_equal(alloc_live, 0);
    }
    assert_true(succeeded);
}

/* ---- the bytes themselves ---- */

/* XXH32-like digest without the library: FNV-1a, 32 bits */
static uint32_t fnv(uint32_t h, const unsigned char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* The models and the frames of a fixed set of articles at levels 1 and 2:
 * the digest is frozen, so a compiler, an optimisation level or a CPU that
 * gave other bytes fails here (CI runs this with gcc -O2, clang -O2 and
 * gcc -O1 under ASan). */
static void test_golden_digest(void **state) {
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
    uint32_t h = 2166136261u;
    int level;
    (void)state;
    h = fnv(h, model1, model1_len);
    h = fnv(h, model2, model2_len);
    for (level = 1; level <= 2; level++) {
        artpack_compressor *c = make_comp(level == 1 ? &m1 : &m2, 0, 1);
        size_t i, n, w;
        for (i = 0; i < N_SAMPLES; i += 11) {
            const unsigned char *src = sample(i, &n);
            assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, src, n, &w));
            h = fnv(h, frame, w);
        }
        artpack_compressor_free(c);
    }
    printf("CM golden digest: 0x%08X\n", (unsigned)h);
    assert_int_equal(h, 0x38D2A930u);
}

int main(void) {
    const struct CMUnitTest golden[] = {cmocka_unit_test(test_golden_digest)};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_deterministic_and_errors),
        cmocka_unit_test(test_workspace_sizes),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_model_helps),
        cmocka_unit_test(test_each_frame_alone),
        cmocka_unit_test(test_errors_model),
        cmocka_unit_test(test_errors_frames),
        cmocka_unit_test(test_hostile_payloads),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_errors_alloc_every_site),
        cmocka_unit_test(test_golden_digest),
    };
    if (getenv("ARTPACK_CM_GOLDEN_ONLY") != NULL) /* make cm-determinism */
        return cmocka_run_group_tests(golden, setup, teardown_samples);
    return cmocka_run_group_tests(tests, setup, teardown_samples);
}
