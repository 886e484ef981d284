/* test_bundle_cm.c - bundles of CM blocks (ARTPACK_CODEC_CM): every article
 * read back at several block sizes, with the model named or embedded, and
 * without one; gets in any order (each block decoded from the primed
 * state); the same bytes for any number of jobs; append, block copy
 * (merge) and salvage; a damaged block costs only its articles; every bit
 * flip of a block refused or harmless; the CM-specific errors of the writer
 * and the reader; every allocation failure of the writer. Small level-1
 * models on synthetic articles: no corpus needed, fast. */
#include "bundle_mem.h"

#include "synthetic.h"

#define N_ART 48
static unsigned char *arts;            /* records laid end to end */
static size_t art_size[N_ART], art_off[N_ART], arts_len;
static unsigned char model[8192], zdict_buf[16384];
static size_t model_len;
static artpack_dict m1, zdict;         /* a level-1 CM model; a zstd dictionary */

/* Records of synthetic articles (ids "a0", "a1", ...) laid end to end. */
static void make_articles(uint32_t seed) {
    size_t i, cap = (size_t)N_ART * 4096;
    char title[128], p1[2048], p2[1024], id[16];
    rng_state = seed;
    arts = (unsigned char *)realloc(arts, cap);
    assert_non_null(arts);
    arts_len = 0;
    for (i = 0; i < N_ART; i++) {
        artpack_article a;
        artpack_str body[2];
        size_t n;
        artpack_article_init(&a);
        snprintf(id, sizeof id, "a%zu", i);
        a.id = tu_str(id);
        a.title = text_str(title, 40 + rng() % 60);
        a.source = tu_str("Wire");
        body[0] = text_str(p1, 100 + rng() % 1900);
        body[1] = text_str(p2, 50 + rng() % 900);
        a.body = tu_list(body, 2);
        assert_ap_ok(artpack_record_encode(arts + arts_len, cap - arts_len, &a, &n));
        art_off[i] = arts_len;
        art_size[i] = n;
        arts_len += n;
    }
}

static int setup(void **state) {
    artpack_train_params p;
    size_t n;
    (void)state;
    make_articles(99);
    memset(&p, 0, sizeof p);
    p.dict_size = sizeof model;
    p.level = 1;
    if (artpack_cm_train(model, sizeof model, arts, art_size, N_ART, &p, &model_len) !=
        ARTPACK_OK)
        return -1;
    memset(&p, 0, sizeof p);
    p.dict_size = sizeof zdict_buf;
    p.words = -1;
    if (artpack_dict_train(zdict_buf, sizeof zdict_buf, arts, art_size, N_ART, &p, &n) !=
        ARTPACK_OK)
        return -1;
    if (artpack_dict_load(&m1, model, model_len) != ARTPACK_OK ||
        artpack_dict_load(&zdict, zdict_buf, n) != ARTPACK_OK)
        return -1;
    make_articles(4242); /* the bundles' articles: others than the model's */
    return 0;
}

static int teardown(void **state) {
    (void)state;
    free(arts);
    arts = NULL;
    return 0;
}

/* ---- a bundle in memory (bundle_mem.h) ---- */

static artpack_bundle_params cm_params(size_t block, int embed) {
    return bundle_params(ARTPACK_CODEC_CM, block, 0, embed, 0);
}

/* Serial "parallel" runner: the bytes must not depend on it. */
static void run_serial(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    size_t i;
    (void)opaque;
    for (i = n; i-- > 0;) task(args[i]); /* backwards: order must not matter */
}

/* Articles [from, to) into a new bundle in out (jobs > 1: through run_serial). */
static void write_bundle(membuf *out, const artpack_bundle_params *p, const artpack_dict *d,
                         size_t from, size_t to, unsigned jobs) {
    artpack_bundle_writer *w = NULL;
    size_t i;
    memset(out, 0, sizeof *out);
    assert_ap_ok(artpack_bundle_writer_create(&w, p, d, NULL, membuf_write, out));
    if (jobs > 1) assert_ap_ok(artpack_bundle_writer_set_parallel(w, jobs, run_serial, NULL));
    for (i = from; i < to; i++)
        assert_ap_ok(artpack_bundle_writer_add(w, arts + art_off[i], art_size[i]));
    assert_ap_ok(artpack_bundle_writer_commit(w));
    artpack_bundle_writer_free(w);
}

/* Article n of the reader is article k of arts. */
static void assert_article(artpack_bundle_reader *r, uint64_t n, size_t k) {
    const void *rec;
    size_t size;
    assert_ap_ok(artpack_bundle_get(r, n, &rec, &size));
    assert_int_equal(size, art_size[k]);
    assert_memory_equal(rec, arts + art_off[k], size);
}

/* Every article of a bundle of articles [0, count), in order, then in a
 * scrambled order (each get of another block decodes it from the primed
 * state: the same bytes whatever was decoded before), every block checked. */
static void assert_bundle(membuf *b, const artpack_dict *d, size_t count, int mapped) {
    rd x;
    size_t i;
    uint64_t blk;
    assert_ap_ok(rd_open_mem(&x, b, d, mapped));
    assert_int_equal(x.info.codec, ARTPACK_CODEC_CM);
    assert_int_equal(x.info.article_count, count);
    assert_false(x.info.columns);
    for (i = 0; i < count; i++) assert_article(x.r, i, i);
    for (i = 0; i < count; i++) {
        size_t k = (i * 37 + 11) % count;
        assert_article(x.r, k, k);
    }
    for (blk = 0; blk < x.info.block_count; blk++)
        assert_ap_ok(artpack_bundle_check_block(x.r, blk, NULL, NULL));
    assert_ap_ok(artpack_bundle_check_index(x.r));
    if (count > 17) {
        uint64_t n = 0;
        assert_ap_ok(artpack_bundle_find_id(x.r, "a17", 3, &n));
        assert_int_equal(n, 17);
    }
    free(x.ws);
}

/* ---- round trips ---- */

static void test_round_trips(void **state) {
    static const size_t blocks[] = {1, 2048, 8192, 0 /* the CM default */};
    size_t i, prev = 0;
    (void)state;
    for (i = 0; i < TU_COUNT(blocks); i++) {
        membuf b, again;
        artpack_bundle_params p = cm_params(blocks[i], 0);
        artpack_bundle_info info;
        write_bundle(&b, &p, &m1, 0, N_ART, 1);
        assert_ap_ok(artpack_bundle_info_get(&info, membuf_read, &b, b.len));
        assert_int_equal(info.level, 1); /* the model's */
        assert_int_equal(info.dict_id, m1.id);
        assert_int_equal(info.block_size,
                         blocks[i] ? blocks[i] : ARTPACK_BUNDLE_BLOCK_SIZE_CM);
        if (blocks[i] == 1) assert_int_equal(info.block_count, N_ART);
        assert_bundle(&b, &m1, N_ART, blocks[i] == 8192); /* mapped, or through reads */
        /* deterministic, and the same bytes for any number of jobs */
        write_bundle(&again, &p, &m1, 0, N_ART, 3);
        assert_int_equal(again.len, b.len);
        assert_memory_equal(again.p, b.p, b.len);
        /* larger blocks code more articles together: smaller */
        if (i > 0 && blocks[i] != 0) assert_true(b.len < prev);
        prev = b.len;
        free(again.p);
        free(b.p);
    }
}

static void test_embedded_and_unprimed(void **state) {
    membuf b, named, plain;
    artpack_bundle_params p = cm_params(4096, 1);
    rd x;
    artpack_dict got;
    (void)state;
    /* embedded: read with no dictionary, the model loaded from the bundle */
    write_bundle(&b, &p, &m1, 0, N_ART, 1);
    p.embed_dict = 0;
    write_bundle(&named, &p, &m1, 0, N_ART, 1);
    assert_true(b.len > named.len);
    assert_bundle(&b, NULL, N_ART, 0);
    assert_bundle(&b, NULL, N_ART, 1);
    assert_ap_ok(rd_open_mem(&x, &b, NULL, 0));
    assert_ap_ok(artpack_bundle_reader_dict(x.r, &got));
    assert_int_equal(got.size, model_len);
    assert_memory_equal(got.data, model, model_len);
    free(x.ws);
    /* no model: unprimed CM at the default level, larger */
    write_bundle(&plain, &p, NULL, 0, N_ART, 1);
    assert_ap_ok(artpack_bundle_info_get(&x.info, membuf_read, &plain, plain.len));
    assert_int_equal(x.info.level, ARTPACK_CM_LEVEL_DEFAULT);
    assert_int_equal(x.info.dict_id, 0);
    assert_true(plain.len > named.len);
    assert_bundle(&plain, NULL, N_ART, 0);
    free(b.p);
    free(named.p);
    free(plain.p);
}

/* ---- append, copy, salvage ---- */

static void test_append_and_copy(void **state) {
    membuf b, c, merged;
    artpack_bundle_params p = cm_params(4096, 0);
    artpack_bundle_writer *w = NULL;
    rd x, y;
    uint64_t blk;
    size_t i;
    (void)state;
    /* append the second half to a bundle of the first */
    write_bundle(&b, &p, &m1, 0, N_ART / 2, 1);
    assert_ap_ok(artpack_bundle_info_get(&x.info, membuf_read, &b, b.len));
    assert_ap_ok(artpack_bundle_appender_open(&w, &x.info, &m1, NULL, membuf_write, &b, membuf_read, &b));
    for (i = N_ART / 2; i < N_ART; i++)
        assert_ap_ok(artpack_bundle_writer_add(w, arts + art_off[i], art_size[i]));
    assert_ap_ok(artpack_bundle_writer_commit(w));
    artpack_bundle_writer_free(w);
    assert_bundle(&b, &m1, N_ART, 0);
    /* an appender of an embedded model's bundle loads it itself */
    p.embed_dict = 1;
    write_bundle(&c, &p, &m1, 0, N_ART / 2, 1);
    assert_ap_ok(artpack_bundle_info_get(&x.info, membuf_read, &c, c.len));
    assert_ap_ok(artpack_bundle_appender_open(&w, &x.info, NULL, NULL, membuf_write, &c, membuf_read, &c));
    for (i = N_ART / 2; i < N_ART; i++)
        assert_ap_ok(artpack_bundle_writer_add(w, arts + art_off[i], art_size[i]));
    assert_ap_ok(artpack_bundle_writer_commit(w));
    artpack_bundle_writer_free(w);
    assert_bundle(&c, NULL, N_ART, 0);
    /* every block of b copied as stored into a new bundle (merge) */
    p.embed_dict = 0;
    memset(&merged, 0, sizeof merged);
    assert_ap_ok(artpack_bundle_writer_create(&w, &p, &m1, NULL, membuf_write, &merged));
    assert_ap_ok(rd_open_mem(&y, &b, &m1, 0));
    for (blk = 0; blk < y.info.block_count; blk++)
        assert_ap_ok(artpack_bundle_writer_copy_block(w, y.r, blk));
    assert_ap_ok(artpack_bundle_writer_commit(w));
    artpack_bundle_writer_free(w);
    assert_bundle(&merged, &m1, N_ART, 0);
    free(y.ws);
    /* a block of a zstd bundle cannot go into a CM one */
    {
        membuf z;
        artpack_bundle_params zp;
        memset(&zp, 0, sizeof zp);
        zp.codec = ARTPACK_CODEC_ZSTD;
        write_bundle(&z, &zp, &zdict, 0, 4, 1);
        assert_ap_ok(rd_open_mem(&y, &z, &zdict, 0));
        free(merged.p);
        memset(&merged, 0, sizeof merged);
        assert_ap_ok(artpack_bundle_writer_create(&w, &p, &m1, NULL, membuf_write, &merged));
        assert_int_not_equal(artpack_bundle_writer_copy_block(w, y.r, 0), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        free(y.ws);
        free(z.p);
    }
    free(b.p);
    free(c.p);
    free(merged.p);
}

typedef struct seen {
    size_t n;
    size_t idx[N_ART];
} seen;

static int collect(void *opaque, const void *record, size_t size) {
    seen *s = (seen *)opaque;
    size_t k;
    for (k = 0; k < N_ART; k++)
        if (art_size[k] == size && memcmp(arts + art_off[k], record, size) == 0) break;
    assert_true(k < N_ART);
    s->idx[s->n++] = k;
    return 0;
}

static void test_salvage_and_damage(void **state) {
    membuf b;
    artpack_bundle_params p = cm_params(4096, 1);
    artpack_salvage_stats st;
    artpack_bundle_location loc;
    seen s;
    rd x;
    size_t i;
    uint32_t lost;
    (void)state;
    write_bundle(&b, &p, &m1, 0, N_ART, 1);
    /* intact: every article, in order, with the embedded model or the caller's */
    memset(&s, 0, sizeof s);
    assert_ap_ok(artpack_bundle_salvage(b.p, b.len, NULL, NULL, collect, &s, &st));
    assert_int_equal(s.n, N_ART);
    for (i = 0; i < N_ART; i++) assert_int_equal(s.idx[i], i);
    assert_int_equal(st.codec, ARTPACK_CODEC_CM);
    assert_int_equal(st.dict_id_used, m1.id);
    memset(&s, 0, sizeof s);
    assert_ap_ok(artpack_bundle_salvage_read(membuf_read, &b, b.len, &m1, NULL, collect, &s, &st));
    assert_int_equal(s.n, N_ART);
    /* a byte of block 2's coded bytes changed: its articles are lost, the
     * others read (the reader refuses that block, salvage skips it) */
    assert_ap_ok(rd_open_mem(&x, &b, NULL, 0));
    assert_ap_ok(artpack_bundle_locate(x.r, 0, &loc));
    free(x.ws);
    {
        uint64_t first;
        assert_ap_ok(rd_open_mem(&x, &b, NULL, 0));
        assert_ap_ok(artpack_bundle_check_block(x.r, 2, &first, &lost));
        assert_ap_ok(artpack_bundle_locate(x.r, first, &loc));
        free(x.ws);
        b.p[loc.block_offset + loc.block_frame_size / 2] ^= 0x10;
        assert_ap_ok(rd_open_mem(&x, &b, NULL, 0));
        assert_ap_error(artpack_bundle_check_block(x.r, 2, NULL, NULL), ARTPACK_E_BLOCK);
        for (i = 0; i < N_ART; i++) {
            const void *rec;
            size_t size;
            artpack_error e = artpack_bundle_get(x.r, i, &rec, &size);
            if (i >= first && i < first + lost) assert_ap_error(e, ARTPACK_E_BLOCK);
            else assert_article(x.r, i, i);
        }
        free(x.ws);
    }
    memset(&s, 0, sizeof s);
    assert_ap_ok(artpack_bundle_salvage(b.p, b.len, NULL, NULL, collect, &s, &st));
    assert_int_equal(s.n, N_ART - lost);
    assert_int_equal(st.blocks_bad, 1);
    free(b.p);
}

/* Single-bit flips of one block's stored frame (every bit of its chunk
 * head, frame header, first coded bytes and checksum; every 7th bit of the
 * rest: each flip decodes the whole block): the block is refused
 * (ARTPACK_E_BLOCK) or reads back as it was; never anything else. */
static void test_every_bit_flip(void **state) {
    membuf b;
    artpack_bundle_params p = cm_params(2048, 0);
    artpack_bundle_location loc;
    rd x;
    size_t bit, refused = 0;
    uint64_t first;
    uint32_t count, k;
    (void)state;
    write_bundle(&b, &p, &m1, 0, 12, 1);
    assert_ap_ok(rd_open_mem(&x, &b, &m1, 0));
    assert_ap_ok(artpack_bundle_check_block(x.r, 1, &first, &count));
    assert_ap_ok(artpack_bundle_locate(x.r, first, &loc));
    free(x.ws);
    assert_ap_ok(rd_open_mem(&x, &b, &m1, 0));
    for (bit = 0; bit < 8 * (size_t)loc.block_frame_size; bit++) {
        artpack_error e;
        if (bit >= 8 * 24 && bit < 8 * ((size_t)loc.block_frame_size - 8) && bit % 7 != 0)
            continue;
        b.p[loc.block_offset + bit / 8] ^= (unsigned char)(1u << (bit % 8));
        e = artpack_bundle_check_block(x.r, 1, NULL, NULL);
        if (e == ARTPACK_OK) {
            for (k = 0; k < count; k++) assert_article(x.r, first + k, first + k);
        } else {
            assert_ap_error(e, ARTPACK_E_BLOCK);
            refused++;
        }
        b.p[loc.block_offset + bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    assert_true(refused > 0);
    for (k = 0; k < count; k++) assert_article(x.r, first + k, first + k);
    free(x.ws);
    free(b.p);
}

/* ---- errors ---- */

/* XXH32 (seed 0) of p[0..n): the checksum a stored frame ends with. */
static uint32_t xxh32_of(const void *p, size_t n) {
    artpack_compress_params cp;
    artpack_compressor *c = NULL;
    unsigned char frame[64];
    size_t w;
    memset(&cp, 0, sizeof cp);
    cp.codec = ARTPACK_CODEC_STORED;
    cp.checksum = 1;
    assert_true(n <= 32);
    assert_ap_ok(artpack_compressor_create(&c, &cp, NULL, NULL));
    assert_ap_ok(artpack_frame_compress(c, frame, sizeof frame, p, n, &w));
    artpack_compressor_free(c);
    return (uint32_t)frame[w - 4] | (uint32_t)frame[w - 3] << 8 | (uint32_t)frame[w - 2] << 16 |
           (uint32_t)frame[w - 1] << 24;
}

/* The header's payload byte i set to v, its checksum made right again. */
static void set_header_byte(membuf *b, size_t i, unsigned char v) {
    uint32_t h;
    b->p[8 + i] = v;
    h = xxh32_of(b->p + 8, 20);
    b->p[8 + 20] = (unsigned char)h;
    b->p[8 + 21] = (unsigned char)(h >> 8);
    b->p[8 + 22] = (unsigned char)(h >> 16);
    b->p[8 + 23] = (unsigned char)(h >> 24);
}

static void test_errors(void **state) {
    artpack_bundle_writer *w = NULL;
    artpack_bundle_params p = cm_params(4096, 0);
    membuf b, out;
    rd x;
    (void)state;
    memset(&out, 0, sizeof out);
    /* writer: a zstd dictionary is no model; another level than the
     * model's; columns; a CM model for zstd or LZ4 */
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &zdict, NULL, membuf_write, &out),
                    ARTPACK_E_MODEL);
    p.level = 2;
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &m1, NULL, membuf_write, &out),
                    ARTPACK_E_MODEL_LEVEL);
    p.level = 10;
    assert_ap_error(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &out),
                    ARTPACK_E_PARAM);
    p.level = 0;
    p.columns = 1;
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &m1, NULL, membuf_write, &out),
                    ARTPACK_E_PARAM);
    p.columns = 0;
    p.codec = ARTPACK_CODEC_ZSTD;
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &m1, NULL, membuf_write, &out),
                    ARTPACK_E_DICT);
    p.codec = ARTPACK_CODEC_LZ4;
    assert_ap_error(artpack_bundle_writer_create(&w, &p, &m1, NULL, membuf_write, &out),
                    ARTPACK_E_DICT);
    assert_null(w);
    assert_int_equal(out.len, 0);
    /* reader: the model named must be given, and be it; a workspace too
     * small for the CM decompressor */
    p = cm_params(4096, 0);
    write_bundle(&b, &p, &m1, 0, 8, 1);
    assert_ap_error(rd_open_mem(&x, &b, NULL, 0), ARTPACK_E_NEED_DICT);
    free(x.ws);
    assert_ap_error(rd_open_mem(&x, &b, &zdict, 0), ARTPACK_E_WRONG_DICT);
    free(x.ws);
    {
        artpack_dict fake = m1; /* the model's ID on bytes that are no model */
        size_t n;
        fake.data = zdict.data;
        fake.size = zdict.size;
        assert_ap_error(rd_open_mem(&x, &b, &fake, 0), ARTPACK_E_MODEL);
        free(x.ws);
        assert_ap_ok(artpack_bundle_info_get(&x.info, membuf_read, &b, b.len));
        n = artpack_bundle_reader_workspace_size(&x.info, 0);
        assert_true(n > artpack_cm_workspace_size(1));
        x.ws = malloc(n);
        assert_ap_error(artpack_bundle_reader_open(&x.r, x.ws, n - 16, &x.info, &m1, membuf_read, &b),
                        ARTPACK_E_WORKSPACE_TOO_SMALL);
        free(x.ws);
    }
    /* header: CM with the columnar flag, or at level 0 or 10: not a bundle */
    {
        unsigned char keep[32];
        memcpy(keep, b.p, 32);
        set_header_byte(&b, 6, 2); /* columns */
        assert_ap_error(artpack_bundle_info_get(&x.info, membuf_read, &b, b.len), ARTPACK_E_BUNDLE);
        memcpy(b.p, keep, 32);
        set_header_byte(&b, 7, 0);
        assert_ap_error(artpack_bundle_info_get(&x.info, membuf_read, &b, b.len), ARTPACK_E_BUNDLE);
        memcpy(b.p, keep, 32);
        set_header_byte(&b, 7, 10);
        assert_ap_error(artpack_bundle_info_get(&x.info, membuf_read, &b, b.len), ARTPACK_E_BUNDLE);
        memcpy(b.p, keep, 32);
        set_header_byte(&b, 5, 4); /* no codec 4 */
        assert_ap_error(artpack_bundle_info_get(&x.info, membuf_read, &b, b.len), ARTPACK_E_BUNDLE);
        memcpy(b.p, keep, 32);
        set_header_byte(&b, 7, 1); /* the same header rewritten: still reads */
        assert_ap_ok(artpack_bundle_info_get(&x.info, membuf_read, &b, b.len));
    }
    free(b.p);
}

static void test_errors_alloc_every_site(void **state) {
    artpack_allocator al = {fail_alloc, fail_free, NULL};
    artpack_bundle_params p = cm_params(2048, 1);
    long k;
    int succeeded = 0;
    (void)state;
    for (k = 1; k < 200 && !succeeded; k++) {
        artpack_bundle_writer *w = NULL;
        artpack_error e;
        membuf out;
        size_t i;
        memset(&out, 0, sizeof out);
        alloc_fail_at = k;
        alloc_calls = alloc_live = 0;
        e = artpack_bundle_writer_create(&w, &p, &m1, &al, membuf_write, &out);
        for (i = 0; i < 10 && e == ARTPACK_OK; i++)
            e = artpack_bundle_writer_add(w, arts + art_off[i], art_size[i]);
        if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
        artpack_bundle_writer_free(w);
        if (e == ARTPACK_OK) {
            succeeded = alloc_calls < k;
            assert_bundle(&out, NULL, 10, 0);
        } else {
            assert_ap_error(e, ARTPACK_E_ALLOC);
        }
        assert_int_equal(alloc_live, 0);
        free(out.p);
    }
    assert_true(succeeded);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_embedded_and_unprimed),
        cmocka_unit_test(test_append_and_copy),
        cmocka_unit_test(test_salvage_and_damage),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_errors_alloc_every_site),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
