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

/* s reads the bytes of m; *info (when not NULL) gets the bundle's info. */
static void src_of(memsrc *s, const membuf *m, artpack_bundle_info *info) {
    memset(s, 0, sizeof *s);
    s->p = m->p;
    s->len = m->len;
    if (info != NULL) ASSERT_ERR(artpack_bundle_info_get(info, memsrc_read, s, m->len), ARTPACK_OK);
}

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
    src_of(&s, &b, &info);
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
        {
            uint64_t n = 0;
            ASSERT_ERR(artpack_bundle_find_id(o.r, recs.id[0], (size_t)recs.id_len[0], &n), want);
        }
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

/* artpack_bundle_writer_add refuses a record with artpack_record_validate's
 * error, whatever it is: every single-bit flip of a few records (each error
 * class of the record decoder that a flip reaches), and the writer goes on
 * (the bundle holds exactly the records it took). */
static void test_writer_add_refuses_as_validate(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_LZ4, 4096, 0);
    artpack_bundle_writer *w = NULL;
    membuf m;
    size_t taken = 0, r, bit;
    unsigned seen = 0; /* which errors, by bit of their number - 64 */
    (void)state;
    memset(&m, 0, sizeof m);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m), ARTPACK_OK);
    for (r = 0; r < 6; r++) {
        size_t n = recs.size[r];
        unsigned char *bad = tu_dup(recs.rec[r], n);
        for (bit = 0; bit < 8 * n && bit < 8 * 400; bit++) {
            artpack_error want, got;
            bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            want = artpack_record_validate(bad, n, NULL);
            got = artpack_bundle_writer_add(w, bad, n);
            if (got != want)
                fail_msg("record %zu, bit %zu: add gave %s, validate %s", r, bit,
                         artpack_error_name(got), artpack_error_name(want));
            if (want == ARTPACK_OK) taken++; /* a flip that is still a record */
            else if (want >= 64 && want < 96) seen |= 1u << (want - 64);
            bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        }
        free(bad);
        ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[r], n), ARTPACK_OK);
        taken++;
    }
    /* the classes a flip does not reach, one crafted record each (the
     * encodings of test_record.c's decoder tests) */
    {
        static const struct {
            artpack_error want;
            unsigned char b[16];
            size_t n;
        } crafted[] = {
            {ARTPACK_E_TRUNCATED, {0x0C, 'a', 0xFE}, 3},            /* no end byte */
            {ARTPACK_E_VARINT, {0x80, 0x00}, 2},                     /* a non-minimal key */
            {ARTPACK_E_LENGTH, {0x09, 0x81, 0x80, 0x80, 0x80, 0x04, 0xFE, 0x00}, 8}, /* 2^30+1 */
            {ARTPACK_E_DATE, {0x20, 0xC2, 0x82, 0xE6, 0x02, 0x00}, 6}, /* 10000-01-01 */
            {ARTPACK_E_TIMESTAMP, {0x2B, 0x02, 0x40, 0x00, 0x00}, 5}, /* head 64 */
            {ARTPACK_E_EXTRA, {0x7D, 'k', 0xFE, 0x00}, 4},           /* a key alone */
            {ARTPACK_E_DUPLICATE_KEY,
             {0x34, 't', 0xFE, 0x7D, 't', 'i', 't', 'l', 'e', 0xFF, '1', 0xFE, 0x00}, 13},
        };
        size_t i;
        for (i = 0; i < sizeof crafted / sizeof crafted[0]; i++) {
            ASSERT_ERR(artpack_record_validate(crafted[i].b, crafted[i].n, NULL), crafted[i].want);
            ASSERT_ERR(artpack_bundle_writer_add(w, crafted[i].b, crafted[i].n), crafted[i].want);
        }
    }
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    {
        artpack_bundle_info info;
        memsrc s;
        src_of(&s, &m, &info);
        assert_int_equal(info.article_count, taken);
    }
    printf("bit flips refused by add as by validate:");
    for (bit = 0; bit < 32; bit++)
        if (seen & (1u << bit)) printf(" %s", artpack_error_name((artpack_error)(64 + bit)));
    printf("\n");
    /* the decoder's classes a bit flip reaches */
    assert_true(seen & (1u << (ARTPACK_E_WIRE_TYPE - 64)));
    assert_true(seen & (1u << (ARTPACK_E_FIELD_ORDER - 64)));
    assert_true(seen & (1u << (ARTPACK_E_NONCANONICAL - 64)));
    assert_true(seen & (1u << (ARTPACK_E_TAG - 64)));
    membuf_free(&m);
}

/* An appender's commit merges an older index segment whose checksum is
 * wrong: ARTPACK_E_INDEX, and the file keeps its last committed footer. */
static void test_commit_merges_damaged_segment(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_bundle_info info;
    artpack_bundle_writer *w = NULL;
    membuf b;
    memsrc s;
    size_t len1, len2, i;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, NULL, iota, 100);
    len1 = b.len;
    append_bundle(&b, NULL, iota + 100, 2); /* too light to merge the first */
    assert_false(first_segment_dead(b.p, b.len));
    len2 = b.len;
    b.p[len1 - ARTPACK_BUNDLE_FOOTER_SIZE - 5] ^= 0x01; /* the first segment's last id hash */
    src_of(&s, &b, &info);
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, NULL, NULL, membuf_write, &b, membuf_read,
                                            &b),
               ARTPACK_OK);
    for (i = 0; i < 300; i++)
        ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[i], recs.size[i]), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_INDEX); /* it merges both */
    artpack_bundle_writer_free(w);
    /* the footer that stands is the second commit's (blocks were written
     * after it: the reader scans back to it) */
    assert_true(b.len > len2);
    s.p = b.p;
    s.len = b.len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
    assert_int_equal(info.article_count, 102);
    assert_int_equal(info.end_offset, len2);
    assert_true(info.recovered_footer);
    membuf_free(&b);
}

/* Counting allocator that fails every call once armed. */
static int armed;
static void *armed_alloc(void *opaque, size_t size) {
    (void)opaque;
    return armed ? NULL : malloc(size);
}
static void armed_free(void *opaque, void *address) {
    (void)opaque;
    free(address);
}
static void run_inline(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    size_t i;
    (void)opaque;
    for (i = 0; i < n; i++) task(args[i]);
}
static void start_inline(void *opaque, artpack_worker_task_fn task, void *arg) {
    (void)opaque;
    task(arg, 0);
}
static void wait_none(void *opaque, void *arg) {
    (void)opaque;
    (void)arg;
}

/* A damaged block, its index entry, a failed read: through locate and
 * copy_block (which writes nothing of it); the allocator failing in
 * copy_block, set_parallel and set_pipeline (the writer still usable
 * after). */
static void test_block_errors_through_locate_and_copy(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_allocator mem = {armed_alloc, armed_free, NULL};
    artpack_bundle_location where;
    artpack_bundle_writer *w = NULL;
    membuf b, out;
    unsigned char *x;
    rd o;
    size_t entry, seg, flip;
    int k;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 40);
    assert_true(recs.id_len[0] > 0); /* find_id looks for it */
    seg = seg1_of(b.p, b.len);
    entry = seg + 8 + AP_SEGMENT_HEAD; /* block 0's entry (no live table) */
    for (k = 0; k < 3; k++) {
        artpack_error want = k == 0 ? ARTPACK_E_BLOCK : k == 1 ? ARTPACK_E_INDEX : ARTPACK_E_READ;
        x = tu_dup(b.p, b.len);
        /* inside block 0's frame: 8 bytes, not one (one bit of a zstd
         * table description may change nothing decoded: +20 alone did not
         * with the fixture's dictionary once it held spaced word tokens) */
        if (k == 0)
            for (flip = 20; flip < 28; flip++) x[AP_HEADER_CHUNK + flip] ^= 0x10;
        if (k == 1) put_le32(x + entry + 8, 0xFFFFFFF0u); /* its frame size */
        if (k == 2) ASSERT_ERR(rd_open_src(&o, x, b.len, &da, AP_HEADER_CHUNK, AP_HEADER_CHUNK + 1),
                               ARTPACK_OK);
        else ASSERT_ERR(rd_open(&o, x, b.len, &da), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_locate(o.r, 0, &where), want);
        {
            uint64_t n = 0;
            ASSERT_ERR(artpack_bundle_find_id(o.r, recs.id[0], (size_t)recs.id_len[0], &n), want);
        }
        memset(&out, 0, sizeof out);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &out), ARTPACK_OK);
        {
            size_t before = out.len;
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, o.r, 0), want);
            assert_int_equal(out.len, before);
            /* undecoded: the entry and the reads are checked, the frame's
             * content is not (a damaged one is copied as it is) */
            if (k == 0) {
                ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, o.r, 0), ARTPACK_OK);
                assert_true(out.len > before);
            } else {
                ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, o.r, 0), want);
                assert_int_equal(out.len, before);
            }
        }
        artpack_bundle_writer_free(w);
        membuf_free(&out);
        rd_close(&o);
        free(x);
    }
    /* the write of a copied frame fails: ARTPACK_E_WRITE, and the writer
     * writes no more */
    ASSERT_ERR(rd_open(&o, b.p, b.len, &da), ARTPACK_OK);
    memset(&out, 0, sizeof out);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &out), ARTPACK_OK);
    out.fail_at = out.calls + 1;
    ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, o.r, 0), ARTPACK_E_WRITE);
    ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, o.r, 1), ARTPACK_E_WRITE);
    ASSERT_ERR(artpack_bundle_writer_copy_block(w, o.r, 1), ARTPACK_E_WRITE);
    assert_int_equal(out.calls_after_fail, 0);
    artpack_bundle_writer_free(w);
    membuf_free(&out);
    rd_close(&o);
    /* the allocator fails: copy_block (the ids' hashes), set_parallel and
     * set_pipeline (the compressors of the new slots) */
    ASSERT_ERR(rd_open(&o, b.p, b.len, &da), ARTPACK_OK);
    memset(&out, 0, sizeof out);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, &mem, membuf_write, &out), ARTPACK_OK);
    armed = 1;
    ASSERT_ERR(artpack_bundle_writer_copy_block(w, o.r, 0), ARTPACK_E_ALLOC);
    ASSERT_ERR(artpack_bundle_writer_set_parallel(w, 2, run_inline, NULL), ARTPACK_E_ALLOC);
    ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 2, start_inline, wait_none, NULL),
               ARTPACK_E_ALLOC);
    armed = 0;
    ASSERT_ERR(artpack_bundle_writer_copy_block(w, o.r, 0), ARTPACK_OK);
    add_all(w, iota, 5);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    {
        artpack_bundle_info info;
        memsrc s;
        uint64_t first;
        uint32_t count;
        src_of(&s, &out, &info);
        rd_close(&o);
        ASSERT_ERR(rd_open(&o, b.p, b.len, &da), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_check_block(o.r, 0, &first, &count), ARTPACK_OK);
        assert_int_equal(info.article_count, count + 5);
    }
    membuf_free(&out);
    rd_close(&o);
    membuf_free(&b);
}

/* The reader opened with an info that no longer matches the file (the last
 * segment's head changed since artpack_bundle_info_get); the dictionary of
 * a bundle without one. */
static void test_reader_open_stale_info(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_bundle_info info;
    artpack_bundle_reader *r = NULL;
    artpack_dict d;
    membuf b;
    memsrc s;
    unsigned char *x;
    void *ws;
    size_t ws_size;
    rd o;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 20);
    src_of(&s, &b, &info);
    x = tu_dup(b.p, b.len);
    put_le32(x + info.last_segment, 0); /* its chunk magic */
    s.p = x;
    ws_size = artpack_bundle_reader_workspace_size(&info, 0);
    ws = tu_malloc(ws_size);
    ASSERT_ERR(artpack_bundle_reader_open(&r, ws, ws_size, &info, &da, memsrc_read, &s),
               ARTPACK_E_INDEX);
    assert_null(r);
    free(ws);
    free(x);
    membuf_free(&b);
    /* no dictionary to hand out */
    p = params_of(ARTPACK_CODEC_LZ4, 4096, 0);
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, NULL, iota, 5);
    ASSERT_ERR(rd_open(&o, b.p, b.len, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_reader_dict(o.r, &d), ARTPACK_E_NOT_FOUND);
    ASSERT_ERR(artpack_bundle_reader_dict(o.r, NULL), ARTPACK_E_NULL_ARG);
    rd_close(&o);
    membuf_free(&b);
}

/* Salvage and the embedded dictionary through read: a failing read, a
 * destination too small; salvage's NULL arguments. */
static void test_read_variants(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 1);
    artpack_salvage_stats st;
    membuf b;
    memsrc s;
    long calls = 0;
    size_t got;
    static unsigned char dst[2 * ARTPACK_DICT_SIZE_MAX];
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 20);
    src_of(&s, &b, NULL);
    ASSERT_ERR(artpack_bundle_embedded_dict_read(memsrc_read, &s, b.len, dst, sizeof dst, &got),
               ARTPACK_OK);
    assert_int_equal(got, da.size);
    assert_memory_equal(dst, da.data, got);
    ASSERT_ERR(artpack_bundle_embedded_dict_read(memsrc_read, &s, b.len, dst, da.size, &got),
               ARTPACK_E_DST_TOO_SMALL); /* the dictionary fits, its frame beside it not */
    s.fail_lo = AP_HEADER_CHUNK + AP_DICT_CHUNK_HEAD;
    s.fail_hi = s.fail_lo + 1;
    ASSERT_ERR(artpack_bundle_embedded_dict_read(memsrc_read, &s, b.len, dst, sizeof dst, &got),
               ARTPACK_E_READ);
    s.fail_lo = 0;
    s.fail_hi = 1;
    ASSERT_ERR(artpack_bundle_embedded_dict_read(memsrc_read, &s, b.len, dst, sizeof dst, &got),
               ARTPACK_E_READ);
    ASSERT_ERR(artpack_bundle_salvage_read(memsrc_read, &s, b.len, NULL, NULL, stop_at_once,
                                           &calls, &st),
               ARTPACK_E_READ);
    assert_int_equal(calls, 0);
    ASSERT_ERR(artpack_bundle_salvage(NULL, b.len, NULL, NULL, stop_at_once, &calls, &st),
               ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_salvage(b.p, b.len, NULL, NULL, NULL, &calls, &st),
               ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_salvage(b.p, b.len, NULL, NULL, stop_at_once, &calls, NULL),
               ARTPACK_E_NULL_ARG);
    assert_int_equal(calls, 0);
    membuf_free(&b);
}

/* The appender: a read that fails, a last segment that no longer matches
 * info, an info out of range, the allocator failing; the writer's setters
 * once a write failed. */
static void test_appender_and_setters(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_allocator mem = {armed_alloc, armed_free, NULL};
    artpack_bundle_info info, bad;
    artpack_bundle_writer *w = NULL;
    membuf b, out;
    memsrc s;
    unsigned char *x;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 30);
    src_of(&s, &b, &info);
    memset(&out, 0, sizeof out);
    s.fail_lo = info.last_segment;
    s.fail_hi = info.last_segment + 1;
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, &da, NULL, membuf_write, &out, memsrc_read,
                                            &s),
               ARTPACK_E_READ);
    assert_null(w);
    s.fail_lo = s.fail_hi = 0;
    x = tu_dup(b.p, b.len);
    put_le32(x + info.last_segment, 0); /* the segment changed since info_get */
    s.p = x;
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, &da, NULL, membuf_write, &out, memsrc_read,
                                            &s),
               ARTPACK_E_INDEX);
    s.p = b.p;
    free(x);
    bad = info;
    bad.level = 99;
    ASSERT_ERR(artpack_bundle_appender_open(&w, &bad, &da, NULL, membuf_write, &out, memsrc_read,
                                            &s),
               ARTPACK_E_PARAM);
    armed = 1;
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, &da, &mem, membuf_write, &out, memsrc_read,
                                            &s),
               ARTPACK_E_ALLOC);
    armed = 0;
    /* a writer whose write failed: the setters say so */
    out.fail_at = 1;
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, &da, NULL, membuf_write, &out, memsrc_read,
                                            &s),
               ARTPACK_OK);
    add_all(w, iota, 1); /* less than a block: nothing written yet */
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_WRITE);
    ASSERT_ERR(artpack_bundle_writer_set_parallel(w, 2, run_inline, NULL), ARTPACK_E_WRITE);
    ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 2, start_inline, wait_none, NULL),
               ARTPACK_E_WRITE);
    ASSERT_ERR(artpack_bundle_writer_set_spill(w, membuf_write, membuf_read, &out),
               ARTPACK_E_WRITE);
    artpack_bundle_writer_free(w);
    membuf_free(&out);
    membuf_free(&b);
}

/* NULL arguments no other test passes to these. */
static void test_null_arguments(void **state) {
    artpack_decompressor *dec = NULL;
    static unsigned char ws[ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_LZ4 + 64];
    unsigned char out[16], frame[4] = {0x00, 0x80, 0x00, 0x00}; /* a non-minimal size */
    size_t got;
    (void)state;
    ASSERT_ERR(artpack_decompressor_init(NULL, ws, sizeof ws, ARTPACK_CODEC_LZ4, NULL, 0),
               ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_decompressor_init(&dec, NULL, sizeof ws, ARTPACK_CODEC_LZ4, NULL, 0),
               ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_decompressor_init(&dec, ws, sizeof ws, ARTPACK_CODEC_LZ4, NULL, 0),
               ARTPACK_OK);
    ASSERT_ERR(artpack_frame_decompress(NULL, out, sizeof out, frame, sizeof frame, &got),
               ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, sizeof frame, NULL),
               ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_frame_decompress(dec, out, sizeof out, frame, sizeof frame, &got),
               ARTPACK_E_VARINT);
    ASSERT_ERR(artpack_dict_train(NULL, 0, recs.rec[0], recs.size, 8, NULL, &got),
               ARTPACK_E_NULL_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compressor_errors),
        cmocka_unit_test(test_frame_header_cut),
        cmocka_unit_test(test_embedded_not_a_dictionary),
        cmocka_unit_test(test_mapped_errors),
        cmocka_unit_test(test_block_frame_dictionary),
        cmocka_unit_test(test_salvage_errors),
        cmocka_unit_test(test_writer_add_refuses_as_validate),
        cmocka_unit_test(test_commit_merges_damaged_segment),
        cmocka_unit_test(test_block_errors_through_locate_and_copy),
        cmocka_unit_test(test_reader_open_stale_info),
        cmocka_unit_test(test_read_variants),
        cmocka_unit_test(test_appender_and_setters),
        cmocka_unit_test(test_null_arguments),
    };
    if (getenv("ARTPACK_TEST_FILTER")) cmocka_set_test_filter(getenv("ARTPACK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
