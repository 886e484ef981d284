/* test_api_errors.c - errors that include/artpack.h documents for a function
 * and that no other test reached through that function (found when each
 * doc comment got its "Errors:" list, issue 16): the compressor's
 * dictionary and size checks, frame headers cut before their dictionary ID
 * or checksum, a bundle's embedded dictionary that is not one (or is a
 * damaged CM model), a map that fails, block frames that ask for a
 * dictionary the bundle does not name (or name another), salvage stopped
 * by its callback or given a dictionary zstd refuses. Each is asserted
 * exactly; the fixture (bundle_fixture.h) gives the articles and
 * dictionaries. */
#include "bundle_fixture.h"

/* A 4 KB buffer with a zstd dictionary's magic and an ID but random tables:
 * artpack_dict_load takes it (it checks the header), zstd does not. */
static unsigned char bad_tables[4096];

static void make_bad_tables(artpack_dict *d) {
    size_t i;
    rng_state = 16;
    for (i = 0; i < sizeof bad_tables; i++) bad_tables[i] = (unsigned char)rng();
    put_le32(bad_tables, 0xEC30A437u);
    put_le32(bad_tables + 4, 0x1234u);
    ASSERT_ERR(artpack_dict_load(d, bad_tables, sizeof bad_tables), ARTPACK_OK);
}

static void *null_alloc_fn(void *opaque, size_t size) {
    (void)opaque;
    (void)size;
    return NULL;
}

static void test_compressor_errors(void **state) {
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    artpack_dict d, empty;
    artpack_allocator no_free = {null_alloc_fn, NULL, NULL};
    static unsigned char frame[ARTPACK_FRAME_BOUND(64)];
    size_t w;
    (void)state;
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    /* a dictionary without bytes; one whose tables zstd refuses */
    memset(&empty, 0, sizeof empty);
    empty.id = 7;
    ASSERT_ERR(artpack_compressor_create(&c, &p, &empty, NULL), ARTPACK_E_DICT);
    assert_null(c);
    make_bad_tables(&d);
    ASSERT_ERR(artpack_compressor_create(&c, &p, &d, NULL), ARTPACK_E_DICT);
    assert_null(c);
    /* an allocator without its free */
    ASSERT_ERR(artpack_compressor_create(&c, &p, NULL, &no_free), ARTPACK_E_NULL_ARG);
    /* compressing: no compressor; more than ARTPACK_MAX_FIELD_SIZE (refused
     * before a byte of src is read) */
    ASSERT_ERR(artpack_frame_compress(NULL, frame, sizeof frame, "x", 1, &w), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_frame_compress(c, frame, sizeof frame, "x", ARTPACK_MAX_FIELD_SIZE + 1, &w),
               ARTPACK_E_TOO_LARGE);
    ASSERT_ERR(artpack_frame_compress(c, frame, sizeof frame, "x", 1, NULL), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_frame_compress(c, frame, sizeof frame, "x", 1, &w), ARTPACK_OK);
    artpack_compressor_free(c);
}

static void test_frame_header_cut(void **state) {
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    artpack_frame_info info;
    static unsigned char frame[ARTPACK_FRAME_BOUND(8192)];
    size_t w, cut;
    (void)state;
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_LZ4;
    p.checksum = 1;
    p.frame_dict_id = 1;
    ASSERT_ERR(artpack_compressor_create(&c, &p, &da, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_frame_compress(c, frame, sizeof frame, recs.rec[0], recs.size[0], &w),
               ARTPACK_OK);
    artpack_compressor_free(c);
    ASSERT_ERR(artpack_frame_info_get(&info, frame, w), ARTPACK_OK);
    assert_true(info.has_dict_id && info.has_checksum && info.dict_id == da.id);
    ASSERT_ERR(artpack_frame_info_get(NULL, frame, w), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_frame_info_get(&info, NULL, w), ARTPACK_E_NULL_ARG);
    /* every cut inside the header (its size varint, its dictionary ID) and
     * before the 4 checksum bytes is TRUNCATED; the header is then whole */
    for (cut = 1; cut < info.header_size + 4; cut++) {
        artpack_frame_info cut_info;
        ASSERT_ERR(artpack_frame_info_get(&cut_info, frame, cut), ARTPACK_E_TRUNCATED);
    }
    ASSERT_ERR(artpack_frame_info_get(&info, frame, info.header_size + 4), ARTPACK_OK);
}

/* A bundle whose embedded dictionary is the bytes of d as the writer was
 * given them (the writer does not load a dictionary: it takes the caller's
 * artpack_dict), LZ4 blocks. */
static void write_embedding(membuf *out, const artpack_dict *d) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_LZ4, 4096, 1);
    memset(out, 0, sizeof *out);
    write_bundle(out, &p, d, iota, 20);
}

static void test_embedded_not_a_dictionary(void **state) {
    unsigned char bytes[8192], back[8192];
    artpack_dict fake;
    membuf b;
    rd o;
    size_t i, got;
    (void)state;
    /* random bytes: not a dictionary */
    rng_state = 5;
    for (i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)rng();
    memset(&fake, 0, sizeof fake);
    fake.data = bytes;
    fake.size = sizeof bytes;
    fake.id = 99;
    write_embedding(&b, &fake);
    ASSERT_ERR(rd_open(&o, b.p, b.len, NULL), ARTPACK_E_DICT);
    assert_null(o.r);
    rd_close(&o);
    ASSERT_ERR(artpack_bundle_embedded_dict(b.p, b.len, back, sizeof back, &got), ARTPACK_OK);
    assert_int_equal(got, sizeof bytes);
    assert_memory_equal(back, bytes, got);
    ASSERT_ERR(artpack_bundle_embedded_dict(NULL, b.len, back, sizeof back, &got),
               ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_embedded_dict(b.p, b.len, back, sizeof back, NULL),
               ARTPACK_E_NULL_ARG);
    /* its frame damaged (a byte of the zstd frame's content checksum, the
     * frame's last): it no longer decompresses to its size */
    {
        const size_t at = AP_HEADER_CHUNK + 12;
        uint32_t frame = (uint32_t)(b.p[AP_HEADER_CHUNK + 4] | b.p[AP_HEADER_CHUNK + 5] << 8 |
                                    b.p[AP_HEADER_CHUNK + 6] << 16 |
                                    (uint32_t)b.p[AP_HEADER_CHUNK + 7] << 24) - 4;
        b.p[at + frame - 1] ^= 0x01;
        ASSERT_ERR(artpack_bundle_embedded_dict(b.p, b.len, back, sizeof back, &got),
                   ARTPACK_E_DICT);
    }
    membuf_free(&b);
    /* a real dictionary under another ID than the header's */
    fake = da;
    fake.id = da.id + 1;
    write_embedding(&b, &fake);
    ASSERT_ERR(rd_open(&o, b.p, b.len, NULL), ARTPACK_E_DICT);
    rd_close(&o);
    membuf_free(&b);
    /* a CM model's magic with a header that is not sound (version 0) */
    memset(bytes, 0, sizeof bytes);
    memcpy(bytes, "APCM", 4);
    put_le32(bytes + 4, 99);
    fake.data = bytes;
    fake.size = sizeof bytes;
    fake.id = 99;
    fake.words = NULL;
    fake.words_size = 0;
    write_embedding(&b, &fake);
    ASSERT_ERR(rd_open(&o, b.p, b.len, NULL), ARTPACK_E_MODEL);
    rd_close(&o);
    membuf_free(&b);
    /* the caller's dictionary without bytes, under the bundle's ID */
    {
        artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
        memset(&b, 0, sizeof b);
        write_bundle(&b, &p, &da, iota, 20);
        memset(&fake, 0, sizeof fake);
        fake.id = da.id;
        ASSERT_ERR(rd_open(&o, b.p, b.len, &fake), ARTPACK_E_DICT);
        rd_close(&o);
        membuf_free(&b);
    }
}

/* The mapped reader: no map; a map that hands out nothing. */
static const void *map_nothing(void *opaque, uint64_t off, size_t size) {
    (void)opaque;
    (void)off;
    (void)size;
    return NULL;
}

static void test_mapped_errors(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 1);
    artpack_bundle_info info;
    artpack_bundle_reader *r = NULL;
    membuf b;
    memsrc s;
    void *ws;
    size_t ws_size;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 20);
    memset(&s, 0, sizeof s);
    s.p = b.p;
    s.len = b.len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
    ws_size = artpack_bundle_reader_workspace_size_mapped(&info, 1);
    ws = tu_malloc(ws_size);
    ASSERT_ERR(artpack_bundle_reader_open_mapped(&r, ws, ws_size, &info, NULL, NULL, NULL),
               ARTPACK_E_NULL_ARG);
    /* the embedded dictionary cannot be mapped */
    ASSERT_ERR(artpack_bundle_reader_open_mapped(&r, ws, ws_size, &info, NULL, map_nothing, NULL),
               ARTPACK_E_READ);
    assert_null(r);
    /* given the dictionary: the last segment's head cannot be mapped */
    ASSERT_ERR(artpack_bundle_reader_open_mapped(&r, ws, ws_size, &info, &da, map_nothing, NULL),
               ARTPACK_E_READ);
    free(ws);
    membuf_free(&b);
}

/* Block frames that ask for a dictionary: the bundle names none (NEED_DICT),
 * or the frame names another by ID (WRONG_DICT): from get, locate,
 * check_block and copy_block, which report the frame's own error. */
static void test_block_frame_dictionary(void **state) {
    int named;
    (void)state;
    for (named = 0; named <= 1; named++) {
        artpack_bundle_params p = params_of(ARTPACK_CODEC_LZ4, 4096, 0);
        const artpack_dict *d = named ? &da : NULL;
        artpack_error want = named ? ARTPACK_E_WRONG_DICT : ARTPACK_E_NEED_DICT;
        artpack_bundle_location where;
        artpack_bundle_writer *w = NULL;
        membuf b, out;
        rd o;
        const void *rec;
        size_t size;
        uint64_t first = 0;
        uint32_t count = 0;
        unsigned char *flags;
        memset(&b, 0, sizeof b);
        write_bundle(&b, &p, d, iota, 40);
        /* the first block: a chunk (8 bytes) right after the header, then
         * its artpack frame, whose first byte is the flags */
        flags = b.p + AP_HEADER_CHUNK + 8;
        assert_int_equal(*flags & 0x03, ARTPACK_CODEC_LZ4);
        if (named) {
            assert_true((*flags & 0x04) && !(*flags & 0x08));
            *flags |= 0x08; /* it names a dictionary: the 4 bytes after its size */
        } else {
            assert_true(!(*flags & 0x04));
            *flags |= 0x04; /* it uses a dictionary */
        }
        ASSERT_ERR(rd_open(&o, b.p, b.len, d), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_get(o.r, 0, &rec, &size), want);
        ASSERT_ERR(artpack_bundle_locate(o.r, 0, &where), want);
        ASSERT_ERR(artpack_bundle_check_block(o.r, 0, &first, &count), want);
        assert_true(first == 0 && count > 0);
        /* the other blocks are intact */
        ASSERT_ERR(artpack_bundle_check_block(o.r, 1, &first, &count), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_get(o.r, first, &rec, &size), ARTPACK_OK);
        /* copying the block: refused, nothing of it written */
        memset(&out, 0, sizeof out);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, d, NULL, membuf_write, &out), ARTPACK_OK);
        {
            size_t before = out.len;
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, o.r, 0), want);
            assert_int_equal(out.len, before);
        }
        artpack_bundle_writer_free(w);
        membuf_free(&out);
        rd_close(&o);
        membuf_free(&b);
    }
}

static int stop_at_once(void *opaque, const void *rec, size_t size) {
    (void)rec;
    (void)size;
    ++*(long *)opaque;
    return 1;
}

static void test_salvage_errors(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_salvage_stats st;
    artpack_dict d;
    membuf b;
    long calls = 0;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 20);
    /* the callback asks to stop: WRITE, after its one call */
    ASSERT_ERR(artpack_bundle_salvage(b.p, b.len, &da, NULL, stop_at_once, &calls, &st),
               ARTPACK_E_WRITE);
    assert_int_equal(calls, 1);
    /* the caller's dictionary: its tables refused by zstd, or no bytes */
    make_bad_tables(&d);
    ASSERT_ERR(artpack_bundle_salvage(b.p, b.len, &d, NULL, stop_at_once, &calls, &st),
               ARTPACK_E_DICT);
    memset(&d, 0, sizeof d);
    d.id = da.id;
    ASSERT_ERR(artpack_bundle_salvage(b.p, b.len, &d, NULL, stop_at_once, &calls, &st),
               ARTPACK_E_DICT);
    assert_int_equal(calls, 1);
    membuf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compressor_errors),
        cmocka_unit_test(test_frame_header_cut),
        cmocka_unit_test(test_embedded_not_a_dictionary),
        cmocka_unit_test(test_mapped_errors),
        cmocka_unit_test(test_block_frame_dictionary),
        cmocka_unit_test(test_salvage_errors),
    };
    if (getenv("ARTPACK_TEST_FILTER")) cmocka_set_test_filter(getenv("ARTPACK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
