/* test_bundle.c - bundles: round trips for every codec, dictionary mode and
 * block size; appends; block copies and columnar blocks; reader memory;
 * parallel compression; bounded reads after many appends; the id spill.
 * Synthetic articles and dictionaries trained here (no corpus needed): see
 * bundle_fixture.h.
 *
 * Tests named test_regression_* pin down bugs found by these tests. */
#include "bundle_fixture.h"

/* ---- 1. round trips ---- */
static void test_round_trip(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    static const size_t blocks[3] = {1, 4096, 0};
    static const char *const modes[3] = {"no dict", "dict given", "dict embedded"};
    int c, dm, bs, col;
    (void)state;
    for (col = 0; col < 2; col++)
    for (c = 0; c < 3; c++)
        for (dm = 0; dm < 3; dm++)
            for (bs = 0; bs < 3; bs++) {
                artpack_codec codec = codecs[c];
                columns_mode = col;
                artpack_bundle_params p = params_of(codec, blocks[bs], dm == 2);
                const artpack_dict *wd = dm ? &da : NULL, *rdict = dm == 1 ? &da : NULL;
                int has_dict = dm != 0 && codec != ARTPACK_CODEC_STORED;
                size_t block_size = blocks[bs] ? blocks[bs] : ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT;
                size_t max_content, nb;
                membuf out, empty;
                rd o;
                memset(&out, 0, sizeof out);
                memset(&empty, 0, sizeof empty);
                write_bundle(&out, &p, wd, iota, N_RECORDS);
                ASSERT_ERR(rd_open(&o, out.p, out.len, rdict), ARTPACK_OK);
                nb = simulate_blocks(iota, N_RECORDS, block_size, NULL, &max_content);
                assert_int_equal(o.info.codec, codec);
                if (codec != ARTPACK_CODEC_STORED)
                    assert_int_equal(o.info.level, codec == ARTPACK_CODEC_LZ4 ? 12 : 19);
                assert_int_equal(o.info.dict_id, has_dict ? da.id : 0);
                assert_int_equal(o.info.dict_embedded, has_dict && dm == 2);
                assert_int_equal(o.info.dict_size, has_dict && dm == 2 ? dict_a_len : 0);
                assert_int_equal(o.info.block_size, block_size);
                assert_int_equal(o.info.article_count, N_RECORDS);
                assert_int_equal(o.info.block_count, nb);
                if (blocks[bs] == 1) assert_int_equal(nb, N_RECORDS);
                assert_int_equal(o.info.columns, col);
                if (col) /* the reader holds a block as columns and as rows */
                    assert_true(o.info.max_block_content >= max_content);
                else
                    assert_int_equal(o.info.max_block_content, max_content);
                assert_int_equal(o.info.end_offset, out.len);
                assert_int_equal(o.info.recovered_footer, 0);
                rd_close(&o);
                verify_bundle(out.p, out.len, rdict, iota, N_RECORDS);
                verify_salvage(out.p, out.len, rdict, iota, N_RECORDS, nb);
                if (dm == 2 && blocks[bs] == 4096) /* embedded, and given as well */
                    verify_bundle(out.p, out.len, &da, iota, N_RECORDS);
                if (has_dict && dm == 2) {
                    static unsigned char back[16384];
                    size_t got = 0;
                    ASSERT_ERR(artpack_bundle_embedded_dict(out.p, out.len, back, sizeof back, &got),
                               ARTPACK_OK);
                    assert_int_equal(got, dict_a_len);
                    assert_memory_equal(back, dict_a, got);
                    ASSERT_ERR(artpack_bundle_embedded_dict(out.p, out.len, back, got - 1, &got),
                               ARTPACK_E_DST_TOO_SMALL);
                } else {
                    static unsigned char back[16384];
                    size_t got = 0;
                    ASSERT_ERR(artpack_bundle_embedded_dict(out.p, out.len, back, sizeof back, &got),
                               ARTPACK_E_BUNDLE);
                }
                /* an empty bundle: a commit with no articles */
                write_bundle(&empty, &p, wd, iota, 0);
                ASSERT_ERR(rd_open(&o, empty.p, empty.len, rdict), ARTPACK_OK);
                assert_int_equal(o.info.article_count, 0);
                assert_int_equal(o.info.block_count, 0);
                {
                    const void *rec;
                    size_t size;
                    uint64_t n = 0;
                    ASSERT_ERR(artpack_bundle_get(o.r, 0, &rec, &size), ARTPACK_E_NOT_FOUND);
                    ASSERT_ERR(artpack_bundle_find_id(o.r, "id-1", 4, &n), ARTPACK_E_NOT_FOUND);
                    ASSERT_ERR(artpack_bundle_check_block(o.r, 0, NULL, NULL), ARTPACK_E_NOT_FOUND);
                    ASSERT_ERR(artpack_bundle_check_index(o.r), ARTPACK_OK);
                }
                rd_close(&o);
                verify_bundle(empty.p, empty.len, rdict, iota, 0);
                if (bs == 1)
                    printf("%s, %s, 4 KB %s blocks: %d articles, %zu bytes of records -> %zu "
                           "bytes, %zu blocks; empty bundle %zu bytes\n",
                           codec_name(codec), modes[dm], col ? "columnar" : "row", N_RECORDS,
                           records_bytes(), out.len, nb, empty.len);
                membuf_free(&out);
                membuf_free(&empty);
            }
    columns_mode = 0;
}

/* Odd records among ordinary ones: empty articles (some in a row), a
 * 200 KB article (bigger than most blocks), 30 KB of incompressible bytes,
 * an article with only an id; then the same appended one commit each. */
static void test_round_trip_odd_records(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    static const size_t blocks[3] = {1, 4096, 0};
    size_t map[64], count = 0, i;
    int c, bs;
    (void)state;
    for (i = 0; i < 12; i++) {
        map[count++] = 300 + i % 4;
        map[count++] = i;
        if (i % 3 == 0) map[count++] = 300; /* empty articles in a row */
    }
    for (c = 0; c < 6; c++)
        for (bs = 0; bs < 3; bs++) {
            artpack_bundle_params p;
            size_t max_content, nb;
            columns_mode = c >= 3;
            p = params_of(codecs[c % 3], blocks[bs], 0);
            membuf out;
            rd o;
            p.level = codecs[c % 3] == ARTPACK_CODEC_ZSTD ? 3 : 1; /* fast: 200 KB records */
            memset(&out, 0, sizeof out);
            write_bundle(&out, &p, &da, map, count);
            nb = simulate_blocks(map, count, blocks[bs] ? blocks[bs] : ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT,
                                 NULL, &max_content);
            ASSERT_ERR(rd_open(&o, out.p, out.len, &da), ARTPACK_OK);
            assert_int_equal(o.info.block_count, nb);
            if (columns_mode) assert_true(o.info.max_block_content >= max_content);
            else assert_int_equal(o.info.max_block_content, max_content);
            assert_true(max_content >= recs.size[301]);
            rd_close(&o);
            verify_bundle(out.p, out.len, &da, map, count);
            verify_salvage(out.p, out.len, &da, map, count, nb);
            /* and appended one by one */
            membuf_free(&out);
            write_bundle(&out, &p, &da, map, 1);
            for (i = 1; i < 8; i++) append_bundle(&out, &da, map + i, 1);
            verify_bundle(out.p, out.len, &da, map, 8);
            membuf_free(&out);
        }
    columns_mode = 0;
}

/* ---- 2. appends ---- */

static void test_append(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    int c, dm;
    (void)state;
    for (c = 0; c < 3; c++)
        for (dm = 0; dm < 3; dm++) {
            artpack_codec codec = codecs[c];
            artpack_bundle_params p = params_of(codec, 4096, dm == 2);
            const artpack_dict *wd = dm ? &da : NULL, *rdict = dm == 1 ? &da : NULL;
            int has_dict = dm != 0 && codec != ARTPACK_CODEC_STORED;
            membuf b;
            unsigned char *first, *second;
            size_t len0, len1, len2, blocks0;
            artpack_bundle_info info;
            artpack_bundle_writer *w;
            membuf embedded_appended;
            memsrc s;
            rd o;
            memset(&b, 0, sizeof b);
            memset(&embedded_appended, 0, sizeof embedded_appended);
            write_bundle(&b, &p, wd, iota, 100);
            len0 = b.len;
            first = tu_dup(b.p, len0);
            /* the appender needs the bundle's dictionary */
            memset(&s, 0, sizeof s);
            s.p = b.p;
            s.len = b.len;
            ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
            blocks0 = info.block_count;
            w = NULL;
            if (has_dict) {
                ASSERT_ERR(artpack_bundle_appender_open(&w, &info, &db, NULL, membuf_write, &b, membuf_read, &b),
                           ARTPACK_E_WRONG_DICT);
                assert_null(w);
                if (dm == 1) { /* named, not embedded: it must be given */
                    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, NULL, NULL, membuf_write, &b, membuf_read, &b),
                               ARTPACK_E_NEED_DICT);
                    assert_null(w);
                } else { /* embedded: the appender loads it itself, and appends the same bytes */
                    membuf e;
                    memset(&e, 0, sizeof e);
                    assert_int_equal(membuf_write(&e, b.p, b.len), 0);
                    /* its zstd frame damaged (the magic, after the chunk's 12-byte head) */
                    e.p[info.dict_offset + 12] ^= 0xFF;
                    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, NULL, NULL, membuf_write, &e, membuf_read, &e),
                               ARTPACK_E_DICT);
                    assert_null(w);
                    e.p[info.dict_offset + 12] ^= 0xFF;
                    append_bundle(&e, NULL, iota + 100, 50);
                    append_bundle(&e, NULL, iota + 150, 50);
                    verify_bundle(e.p, e.len, NULL, iota, 200);
                    assert_true(e.len > len0);
                    embedded_appended = e;
                }
            } else {
                /* a dictionary given for a bundle without one is not used */
                ASSERT_ERR(artpack_bundle_appender_open(&w, &info, &db, NULL, membuf_write, &b, membuf_read, &b),
                           ARTPACK_OK);
                artpack_bundle_writer_free(w);
            }
            assert_int_equal(b.len, len0); /* nothing written */
            /* a commit with nothing new writes nothing */
            ASSERT_ERR(artpack_bundle_appender_open(&w, &info, wd, NULL, membuf_write, &b, membuf_read, &b), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
            artpack_bundle_writer_free(w);
            assert_int_equal(b.len, len0);

            append_bundle(&b, wd, iota + 100, 50);
            len1 = b.len;
            assert_true(len1 > len0);
            assert_memory_equal(b.p, first, len0); /* the prefix property */
            verify_bundle(b.p, b.len, rdict, iota, 150);
            second = tu_dup(b.p, len1);
            append_bundle(&b, wd, iota + 150, 50);
            len2 = b.len;
            assert_memory_equal(b.p, second, len1);
            if (embedded_appended.p != NULL) { /* the dictionary loaded, or given: the same bundle */
                assert_int_equal(embedded_appended.len, len2);
                assert_memory_equal(embedded_appended.p, b.p, len2);
                membuf_free(&embedded_appended);
            }
            verify_bundle(b.p, b.len, rdict, iota, 200);
            /* the first commit still reads as it was */
            verify_bundle(b.p, len0, rdict, iota, 100);
            verify_bundle(b.p, len1, rdict, iota, 150);
            ASSERT_ERR(rd_open(&o, b.p, len2, rdict), ARTPACK_OK);
            assert_int_equal(o.info.block_count,
                             simulate_blocks(iota, 100, 4096, NULL, &len0) +
                                 simulate_blocks(iota + 100, 50, 4096, NULL, &len0) +
                                 simulate_blocks(iota + 150, 50, 4096, NULL, &len0));
            assert_true(o.info.block_count > blocks0);
            assert_int_equal(o.info.block_size, 4096);
            assert_int_equal(o.info.codec, codec);
            assert_int_equal(o.info.dict_id, has_dict ? da.id : 0);
            assert_int_equal(o.info.dict_embedded, has_dict && dm == 2);
            rd_close(&o);
            free(first);
            free(second);
            membuf_free(&b);

            /* appending to an empty bundle */
            write_bundle(&b, &p, wd, iota, 0);
            append_bundle(&b, wd, iota, 30);
            append_bundle(&b, wd, iota + 30, 1);
            verify_bundle(b.p, b.len, rdict, iota, 31);
            membuf_free(&b);
        }
}

/* ---- 6. copying blocks between bundles ---- */

static void copy_all_blocks(artpack_bundle_writer *w, const membuf *src, const artpack_dict *d) {
    rd o;
    uint64_t b;
    ASSERT_ERR(rd_open(&o, src->p, src->len, d), ARTPACK_OK);
    for (b = 0; b < o.info.block_count; b++)
        ASSERT_ERR(artpack_bundle_writer_copy_block(w, o.r, b), ARTPACK_OK);
    rd_close(&o);
}

/* ---- 5b. columnar blocks ---- */

/* Records the schema does not type: an unknown tag 14, tags 16 and up (two-
 * byte keys), an empty record; among ordinary ones, in columnar bundles of
 * every codec: get gives every record back byte for byte. */
static void test_columns_odd_fields(void **state) {
    static const unsigned char odd1[] = {0x0c, 'x', 0xfe, 0x71, 2, 'a', 'b', 0x84, 0x01, 'z', 'z',
                                         0xfe, 0xa0, 0x01, 0x05, 0x00};
    static const unsigned char odd2[] = {0x84, 0x01, 'q', 0xfe, 0x00};
    static const unsigned char odd3[] = {0x00};
    static const unsigned char *const odd[3] = {odd1, odd2, odd3};
    static const size_t odd_size[3] = {sizeof odd1, sizeof odd2, sizeof odd3};
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    int c;
    (void)state;
    for (c = 0; c < 3; c++) {
        artpack_bundle_params p = params_of(codecs[c], 2048, 0);
        artpack_bundle_writer *w = NULL;
        membuf out;
        rd o;
        size_t i;
        uint64_t n;
        p.columns = 1;
        memset(&out, 0, sizeof out);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &out), ARTPACK_OK);
        for (i = 0; i < 40; i++) {
            ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[i], recs.size[i]), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_writer_add(w, odd[i % 3], odd_size[i % 3]), ARTPACK_OK);
        }
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        ASSERT_ERR(rd_open(&o, out.p, out.len, NULL), ARTPACK_OK);
        assert_int_equal(o.info.columns, 1);
        assert_true(o.info.block_count > 1);
        for (n = 0; n < 80; n++) {
            const void *rec;
            size_t size, k = (size_t)n / 2;
            ASSERT_ERR(artpack_bundle_get(o.r, n, &rec, &size), ARTPACK_OK);
            if (n % 2 == 0) {
                assert_int_equal(size, recs.size[k]);
                assert_memory_equal(rec, recs.rec[k], size);
            } else {
                assert_int_equal(size, odd_size[k % 3]);
                assert_memory_equal(rec, odd[k % 3], size);
            }
        }
        rd_close(&o);
        membuf_free(&out);
    }
}

/* Columnar content against ap_columns_decode: a valid block rebuilds to
 * exactly its rows; every cut is refused; every single-byte change is
 * refused or rebuilds rows that parse; each rule has its case. */
static void test_columns_content(void **state) {
    static unsigned char rows[65536], cols[70000], back[70000], work[70000];
    size_t i, n = 30, pos = 0, rows_len, cols_len = 0, got = 0, at = 0, flips = 0, refused = 0;
    size_t need;
    ap_block b;
    (void)state;
    pos = ap_block_head(rows, (uint32_t)n);
    for (i = 0; i < n; i++) pos += artpack_varint_write(rows + pos, 10, recs.size[i]);
    for (i = 0; i < n; i++) {
        memcpy(rows + pos, recs.rec[i], recs.size[i]);
        pos += recs.size[i];
    }
    rows_len = pos;
    assert_true(ap_columns_bound(rows_len, (uint32_t)n) <= sizeof cols);
    ASSERT_ERR(ap_columns_encode(cols, ap_columns_bound(rows_len, (uint32_t)n) - 1, rows, rows_len,
                                 &cols_len),
               ARTPACK_E_DST_TOO_SMALL);
    ASSERT_ERR(ap_columns_encode(cols, sizeof cols, rows, rows_len, &cols_len), ARTPACK_OK);
    ASSERT_ERR(ap_columns_decode(back, sizeof back, cols, cols_len, &at, &got), ARTPACK_OK);
    assert_int_equal(got, rows_len);
    assert_memory_equal(back + at, rows, rows_len);
    /* the room it needs: the rows and 5 bytes per record, less the sizes;
     * one byte less is refused */
    need = at + rows_len;
    assert_true(need <= ap_columns_rows_room(rows_len, n));
    ASSERT_ERR(ap_columns_decode(back, need, cols, cols_len, &at, &got), ARTPACK_OK);
    assert_memory_equal(back + at, rows, rows_len);
    ASSERT_ERR(ap_columns_decode(back, need - 1, cols, cols_len, &at, &got), ARTPACK_E_BLOCK);
    for (i = 0; i < cols_len; i++) /* every cut */
        ASSERT_ERR(ap_columns_decode(back, sizeof back, cols, i, &at, &got), ARTPACK_E_BLOCK);
    for (i = 0; i < cols_len; i += 3) { /* a byte changed */
        artpack_error e;
        memcpy(work, cols, cols_len);
        work[i] ^= (unsigned char)(0x11u << (i % 4));
        e = ap_columns_decode(back, sizeof back, work, cols_len, &at, &got);
        flips++;
        if (e != ARTPACK_OK) {
            ASSERT_ERR(e, ARTPACK_E_BLOCK);
            refused++;
        } else {
            ASSERT_ERR(ap_block_parse(&b, back + at, got, NULL), ARTPACK_OK);
        }
    }
    assert_true(refused > 0);
    printf("columnar content, %zu records: rows %zu B, columns %zu B; %zu byte changes: %zu "
           "refused, the rest rebuild rows that parse\n",
           n, rows_len, cols_len, flips, refused);
    { /* each rule: no records; a mask over 16 bits; a column past the end;
         bytes left over; a field in the wrong column */
        static const unsigned char none[] = {0x00};
        static const unsigned char big_mask[] = {0x01, 0x80, 0x80, 0x04, 0, 0, 0, 0, 0, 0, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 0, 0};
        unsigned char c[40];
        size_t k;
        ASSERT_ERR(ap_columns_decode(back, sizeof back, none, sizeof none, &at, &got), ARTPACK_E_BLOCK);
        ASSERT_ERR(ap_columns_decode(back, sizeof back, big_mask, sizeof big_mask, &at, &got),
                   ARTPACK_E_BLOCK);
        /* one record with a field of tag 1: id "a" (0c 61 fe) in column 1 */
        memset(c, 0, sizeof c);
        c[0] = 1;
        c[1] = 0x02; /* mask: tag 1 */
        for (k = 0; k < 16; k++) c[2 + k] = k == 1 ? 3 : 0;
        c[18] = 0x0c, c[19] = 'a', c[20] = 0xfe;
        ASSERT_ERR(ap_columns_decode(back, sizeof back, c, 21, &at, &got), ARTPACK_OK);
        assert_int_equal(got, 6); /* 01 05 0c 61 fe 00 */
        c[3] = 4; /* column 1 says 4 bytes: past the end */
        ASSERT_ERR(ap_columns_decode(back, sizeof back, c, 21, &at, &got), ARTPACK_E_BLOCK);
        c[3] = 3;
        c[21] = 0x0c; /* a byte after the columns */
        ASSERT_ERR(ap_columns_decode(back, sizeof back, c, 22, &at, &got), ARTPACK_E_BLOCK);
        c[1] = 0x04; /* the mask says tag 2, the column holds tag 1 */
        ASSERT_ERR(ap_columns_decode(back, sizeof back, c, 21, &at, &got), ARTPACK_E_BLOCK);
        c[1] = 0x00; /* no fields: column 1 is left over */
        ASSERT_ERR(ap_columns_decode(back, sizeof back, c, 21, &at, &got), ARTPACK_E_BLOCK);
    }
}

/* Blocks are copied between bundles of the same layout only. */
static void test_columns_copy(void **state) {
    membuf x, y;
    artpack_bundle_params pc = params_of(ARTPACK_CODEC_ZSTD, 2048, 0), pr = pc;
    artpack_bundle_writer *w = NULL;
    rd o;
    (void)state;
    pc.columns = 1;
    pr.columns = 0;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    write_bundle(&x, &pc, &da, iota, 50);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &pc, &da, NULL, membuf_write, &y), ARTPACK_OK);
    copy_all_blocks(w, &x, &da);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    assert_int_equal(y.len, x.len);
    verify_bundle(y.p, y.len, &da, iota, 50);
    membuf_free(&y);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &pr, &da, NULL, membuf_write, &y), ARTPACK_OK);
    ASSERT_ERR(rd_open(&o, x.p, x.len, &da), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_copy_block(w, o.r, 0), ARTPACK_E_PARAM);
    rd_close(&o);
    artpack_bundle_writer_free(w);
    membuf_free(&x);
    membuf_free(&y);
}

static void test_copy_block(void **state) {
    static const struct {
        artpack_codec codec;
        int dict, embed;
    } cfg[] = {{ARTPACK_CODEC_ZSTD, 1, 1}, {ARTPACK_CODEC_ZSTD, 0, 0}, {ARTPACK_CODEC_LZ4, 1, 0},
               {ARTPACK_CODEC_STORED, 0, 0}};
    size_t c, i, map[200];
    (void)state;
    for (i = 0; i < 60; i++) map[i] = i;
    map[60] = 200;
    map[61] = 201;
    for (i = 0; i < 60; i++) map[62 + i] = 60 + i;
    for (i = 0; i < 60; i++) map[122 + i] = i;
    for (c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        artpack_bundle_params p = params_of(cfg[c].codec, 4096, cfg[c].embed),
                              p2 = params_of(cfg[c].codec, 1024, 0);
        const artpack_dict *d = cfg[c].dict ? &da : NULL;
        const artpack_dict *rdict = cfg[c].dict && !cfg[c].embed ? &da : NULL;
        membuf x, y, z;
        artpack_bundle_writer *w = NULL;
        rd ox, oz;
        uint64_t b;
        size_t before;
        int k;
        memset(&x, 0, sizeof x);
        memset(&y, 0, sizeof y);
        memset(&z, 0, sizeof z);
        write_bundle(&x, &p, d, iota, 60);
        write_bundle(&y, &p2, d, iota + 60, 60); /* another block size */
        /* X's blocks, two records, Y's blocks, one commit */
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, d, NULL, membuf_write, &z), ARTPACK_OK);
        copy_all_blocks(w, &x, rdict);
        add_all(w, map + 60, 2);
        copy_all_blocks(w, &y, d); /* Y's dictionary is not embedded */
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        verify_bundle(z.p, z.len, rdict, map, 122);
        /* the blocks are copied as stored */
        ASSERT_ERR(rd_open(&ox, x.p, x.len, rdict), ARTPACK_OK);
        ASSERT_ERR(rd_open(&oz, z.p, z.len, rdict), ARTPACK_OK);
        for (b = 0; b < ox.info.block_count; b++) {
            artpack_bundle_location lx, lz;
            uint64_t first;
            ASSERT_ERR(artpack_bundle_check_block(ox.r, b, &first, NULL), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_locate(ox.r, first, &lx), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_locate(oz.r, first, &lz), ARTPACK_OK);
            assert_int_equal(lz.block, b);
            assert_int_equal(lx.block_frame_size, lz.block_frame_size);
            assert_memory_equal(x.p + lx.block_offset, z.p + lz.block_offset, lx.block_frame_size);
        }
        assert_int_equal(oz.info.block_count,
                         ox.info.block_count + 1 + simulate_blocks(iota + 60, 60, 1024, NULL, &before));
        rd_close(&oz);
        /* into an appender */
        {
            artpack_bundle_info info;
            memsrc s;
            memset(&s, 0, sizeof s);
            s.p = z.p;
            s.len = z.len;
            ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, z.len), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_appender_open(&w, &info, d, NULL, membuf_write, &z, membuf_read, &z), ARTPACK_OK);
            copy_all_blocks(w, &x, rdict);
            ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
            artpack_bundle_writer_free(w);
            verify_bundle(z.p, z.len, rdict, map, 182);
        }
        /* another dictionary, no dictionary, another codec: refused, nothing
         * written (by either copy) */
        membuf_free(&z);
        for (k = 0; k < 2; k++) {
            copy_fn copy = k ? artpack_bundle_writer_copy_block_undecoded
                             : artpack_bundle_writer_copy_block;
            artpack_bundle_params q = params_of(cfg[c].codec == ARTPACK_CODEC_LZ4 ? ARTPACK_CODEC_ZSTD
                                                                                   : ARTPACK_CODEC_LZ4,
                                                4096, 0);
            if (cfg[c].dict) {
                expect_copy_refused(&p, &db, copy, ox.r, 0, ARTPACK_E_WRONG_DICT);
                p.embed_dict = 0;
                expect_copy_refused(&p, NULL, copy, ox.r, 0, ARTPACK_E_WRONG_DICT);
                p.embed_dict = cfg[c].embed;
            } else if (cfg[c].codec == ARTPACK_CODEC_ZSTD) {
                expect_copy_refused(&p, &da, copy, ox.r, 0, ARTPACK_E_WRONG_DICT);
            }
            expect_copy_refused(&q, d, copy, ox.r, 0, ARTPACK_E_PARAM);
        }
        /* no such block, NULL arguments, a damaged block: refused, the writer goes on */
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, d, NULL, membuf_write, &z), ARTPACK_OK);
        before = z.len;
        ASSERT_ERR(artpack_bundle_writer_copy_block(w, ox.r, ox.info.block_count), ARTPACK_E_NOT_FOUND);
        ASSERT_ERR(artpack_bundle_writer_copy_block(NULL, ox.r, 0), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_writer_copy_block(w, NULL, 0), ARTPACK_E_NULL_ARG);
        {
            artpack_bundle_location where;
            rd od;
            unsigned char *dmg = tu_dup(x.p, x.len);
            ASSERT_ERR(artpack_bundle_locate(ox.r, 0, &where), ARTPACK_OK);
            dmg[where.block_offset + where.block_frame_size / 2] ^= 0x20;
            ASSERT_ERR(rd_open(&od, dmg, x.len, rdict), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, od.r, 0), ARTPACK_E_BLOCK);
            assert_int_equal(z.len, before);
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, od.r, 1), ARTPACK_OK);
            rd_close(&od);
            free(dmg);
        }
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        {
            uint64_t first = 0;
            uint32_t cnt = 0;
            ASSERT_ERR(artpack_bundle_check_block(ox.r, 1, &first, &cnt), ARTPACK_OK);
            verify_bundle(z.p, z.len, rdict, iota + first, cnt);
        }
        rd_close(&ox);
        membuf_free(&x);
        membuf_free(&y);
        membuf_free(&z);
    }
}

/* ---- 7. reader memory ---- */

static void test_reader_memory(void **state) {
    static const artpack_codec codecs[2] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4};
    static const size_t blocks[3] = {0, 65536, 4096};
    int c, bs;
    (void)state;
    for (c = 0; c < 2; c++)
        for (bs = 0; bs < 3; bs++) {
            artpack_bundle_params p = params_of(codecs[c], blocks[bs], 1);
            artpack_bundle_info info;
            artpack_bundle_writer *w = NULL;
            membuf b;
            memsrc s;
            size_t given, embedded, mapped, block, count, total = 0, i, *map;
            size_t target = blocks[bs] ? 0 : ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT * 9 / 8;
            memset(&b, 0, sizeof b);
            /* the default block filled: the records over and over */
            for (count = 0; count < N_RECORDS || total < target; count++)
                total += recs.size[count % N_RECORDS];
            map = (size_t *)tu_malloc(count * sizeof *map);
            for (i = 0; i < count; i++) map[i] = i % N_RECORDS;
            ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &b), ARTPACK_OK);
            add_all(w, map, count);
            ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
            artpack_bundle_writer_free(w);
            memset(&s, 0, sizeof s);
            s.p = b.p;
            s.len = b.len;
            ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
            block = info.block_size;
            given = artpack_bundle_reader_workspace_size(&info, 0);
            embedded = artpack_bundle_reader_workspace_size(&info, 1);
            mapped = artpack_bundle_reader_workspace_size_mapped(&info, 0);
            printf("reader workspace, %s, %zu-byte blocks (largest %zu content, %zu stored): "
                   "dictionary given %zu B = block + %ld B (%.1f KB); embedded %zu B; mapped %zu B\n",
                   codec_name(codecs[c]), block, info.max_block_content, info.max_block_frame, given,
                   (long)given - (long)block, ((double)given - (double)block) / 1024, embedded,
                   mapped);
            if (blocks[bs] == 0) {
                assert_int_equal(block, ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT);
                assert_true(info.max_block_content > block - 4096); /* a full block */
                if (codecs[c] == ARTPACK_CODEC_ZSTD) assert_true(given <= block + 300 * 1024);
                else assert_true(given <= block + 16 * 1024);
            }
            verify_bundle(b.p, b.len, &da, map, count); /* in exactly that much */
            free(map);
            membuf_free(&b);
        }
}
/* ---- parallel compression: the same bytes for any number of jobs ---- */

/* A runner that runs the tasks last to first (any order must do). */
static int runner_calls;
static void reverse_runner(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    (void)opaque;
    runner_calls++;
    while (n-- > 0) task(args[n]);
}

/* A pipelined runner that runs nothing at start and, at each wait, every
 * task started and not run yet, last to first (so the tasks finish out of
 * order, the one waited for last), as workers taken in turn below jobs (so
 * a block is compressed by any worker's compressor): a writer that used a
 * block before waiting for it would write garbage. It checks what
 * artpack.h promises: each task waited for once, oldest first, and at most
 * ARTPACK_BUNDLE_PIPELINE_DEPTH x jobs of them pending. */
#define DEFERRED_MAX (ARTPACK_BUNDLE_PIPELINE_DEPTH * ARTPACK_BUNDLE_JOBS_MAX)
typedef struct deferred {
    artpack_worker_task_fn task;
    void *args[DEFERRED_MAX];
    int ran[DEFERRED_MAX];
    size_t n;          /* started, not waited for: args[0 .. n), oldest first */
    unsigned jobs;     /* the writer's (set after set_pipeline) */
    unsigned worker;   /* the next worker */
    size_t most;       /* the most pending at once */
    int starts, waits;
} deferred;

static void deferred_start(void *opaque, artpack_worker_task_fn task, void *arg) {
    deferred *d = (deferred *)opaque;
    assert_true(d->jobs >= 1);
    assert_true(d->n < ARTPACK_BUNDLE_PIPELINE_DEPTH * d->jobs);
    assert_non_null(arg);
    d->task = task;
    d->args[d->n] = arg;
    d->ran[d->n] = 0;
    d->n++;
    if (d->n > d->most) d->most = d->n;
    d->starts++;
}

static void deferred_wait(void *opaque, void *arg) {
    deferred *d = (deferred *)opaque;
    size_t k = d->n;
    assert_true(d->n > 0);
    assert_ptr_equal(arg, d->args[0]); /* the oldest */
    while (k-- > 0)
        if (!d->ran[k]) {
            d->task(d->args[k], d->worker);
            d->worker = (d->worker + 1) % d->jobs;
            d->ran[k] = 1;
        }
    memmove(d->args, d->args + 1, (d->n - 1) * sizeof *d->args);
    memmove(d->ran, d->ran + 1, (d->n - 1) * sizeof *d->ran);
    d->n--;
    d->waits++;
}

static void test_parallel_same_bytes(void **state) {
    static const artpack_codec codecs[] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                           ARTPACK_CODEC_STORED};
    static const unsigned jobs[] = {1, 2, 3, 7, ARTPACK_BUNDLE_JOBS_MAX};
    size_t c, j;
    (void)state;
    for (c = 0; c < 3; c++) {
        artpack_bundle_params p = params_of(codecs[c], 2048, 0);
        for (j = 0; j < sizeof jobs / sizeof jobs[0]; j++) {
            int with_runner;
            for (with_runner = 0; with_runner < 3; with_runner++) { /* 2: pipelined */
                membuf b;
                artpack_bundle_writer *w = NULL;
                deferred d;
                memset(&b, 0, sizeof b);
                memset(&d, 0, sizeof d);
                d.jobs = jobs[j];
                runner_calls = 0;
                ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &b), ARTPACK_OK);
                if (with_runner == 2)
                    ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, jobs[j], deferred_start,
                                                                  deferred_wait, &d),
                               ARTPACK_OK);
                else
                    ASSERT_ERR(artpack_bundle_writer_set_parallel(
                                   w, jobs[j], with_runner ? reverse_runner : NULL, NULL),
                               ARTPACK_OK);
                add_all(w, iota, 70);
                ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK); /* a commit in between */
                add_all(w, iota + 70, 50);
                ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
                artpack_bundle_writer_free(w);
                /* one commit or two give different index bytes: compare the
                 * articles, and the blocks' bytes through a second reference */
                verify_bundle(b.p, b.len, &da, iota, 120);
                if (jobs[j] > 1 && with_runner == 1) assert_true(runner_calls > 0);
                if (with_runner == 2) { /* each block waited for once; the ring used */
                    assert_true(d.starts > 0 && d.waits == d.starts && d.n == 0);
                    if (d.starts > (int)(ARTPACK_BUNDLE_PIPELINE_DEPTH * jobs[j]))
                        assert_int_equal(d.most, ARTPACK_BUNDLE_PIPELINE_DEPTH * jobs[j]);
                }
                {
                    membuf r2;
                    artpack_bundle_writer *w2 = NULL;
                    memset(&r2, 0, sizeof r2);
                    ASSERT_ERR(artpack_bundle_writer_create(&w2, &p, &da, NULL, membuf_write, &r2),
                               ARTPACK_OK);
                    add_all(w2, iota, 70);
                    ASSERT_ERR(artpack_bundle_writer_commit(w2), ARTPACK_OK);
                    add_all(w2, iota + 70, 50);
                    ASSERT_ERR(artpack_bundle_writer_commit(w2), ARTPACK_OK);
                    artpack_bundle_writer_free(w2);
                    assert_int_equal(b.len, r2.len);
                    assert_memory_equal(b.p, r2.p, b.len);
                    membuf_free(&r2);
                }
                membuf_free(&b);
            }
        }
    }
    /* out of range */
    {
        artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 2048, 0);
        membuf b;
        artpack_bundle_writer *w = NULL;
        memset(&b, 0, sizeof b);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &b), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_set_parallel(w, 0, NULL, NULL), ARTPACK_E_PARAM);
        ASSERT_ERR(artpack_bundle_writer_set_parallel(w, ARTPACK_BUNDLE_JOBS_MAX + 1, NULL, NULL),
                   ARTPACK_E_PARAM);
        ASSERT_ERR(artpack_bundle_writer_set_parallel(NULL, 2, NULL, NULL), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 0, deferred_start, deferred_wait, NULL),
                   ARTPACK_E_PARAM);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 2, NULL, deferred_wait, NULL),
                   ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 2, deferred_start, NULL, NULL),
                   ARTPACK_E_NULL_ARG);
        artpack_bundle_writer_free(w);
        membuf_free(&b);
    }
    /* switching between pipelined and parallel (the ring's slots use the
     * workers' compressors, set_parallel each slot's own): the same bytes */
    for (c = 0; c < 3; c++) {
        artpack_bundle_params p = params_of(codecs[c], 2048, 0);
        membuf b, r;
        deferred d;
        size_t k;
        artpack_bundle_writer *w = NULL;
        memset(&b, 0, sizeof b);
        memset(&r, 0, sizeof r);
        memset(&d, 0, sizeof d);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &b), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 2, deferred_start, deferred_wait, &d),
                   ARTPACK_OK); /* (it waits for the blocks of the jobs before) */
        d.jobs = 2;
        add_all(w, iota, 40);
        ASSERT_ERR(artpack_bundle_writer_set_parallel(w, 4, reverse_runner, NULL), ARTPACK_OK);
        assert_int_equal(d.n, 0); /* all waited for */
        add_all(w, iota + 40, 40);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 3, deferred_start, deferred_wait, &d),
                   ARTPACK_OK); /* (it waits for the blocks of the jobs before) */
        d.jobs = 3;
        add_all(w, iota + 80, 40);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 1, deferred_start, deferred_wait, &d),
                   ARTPACK_OK); /* (it waits for the blocks of the jobs before) */
        d.jobs = 1;
        add_all(w, iota + 120, 40);
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        /* the reference flushes where the switches did */
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &r), ARTPACK_OK);
        for (k = 0; k < 4; k++) {
            add_all(w, iota + 40 * k, 40);
            ASSERT_ERR(artpack_bundle_writer_set_parallel(w, 1, NULL, NULL), ARTPACK_OK);
        }
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        assert_int_equal(b.len, r.len);
        assert_memory_equal(b.p, r.p, b.len);
        membuf_free(&b);
        membuf_free(&r);
    }
    /* freed with blocks in flight: it waits for them first */
    {
        artpack_bundle_params p = params_of(ARTPACK_CODEC_LZ4, 2048, 0);
        membuf b;
        deferred d;
        artpack_bundle_writer *w = NULL;
        memset(&b, 0, sizeof b);
        memset(&d, 0, sizeof d);
        d.jobs = 2;
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &b), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 2, deferred_start, deferred_wait, &d),
                   ARTPACK_OK);
        add_all(w, iota, 70);
        assert_true(d.n > 0 && d.starts == d.waits + (int)d.n);
        artpack_bundle_writer_free(w);
        assert_int_equal(d.n, 0);
        assert_int_equal(d.starts, d.waits);
        membuf_free(&b);
    }
    printf("parallel compression: 1, 2, 3, 7 and 64 jobs, with and without a runner, and "
           "pipelined, give the same bytes for zstd, LZ4 and stored\n");
}

/* A block whose content claims more records than its index entry says (its
 * checksum recomputed, so only the count betrays it): the reader's table of
 * record positions is sized for what the index allows, and a block that
 * claims more must be refused before the table is written (found by a
 * review: it was written past the workspace). */
static void test_regression_block_more_records_than_index(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_STORED, 4096, 0);
    artpack_bundle_writer *w = NULL;
    artpack_bundle_info info;
    artpack_bundle_reader *r = NULL;
    membuf b;
    memsrc s;
    unsigned char rec[256], *c;
    size_t len, i, pos, content, n, k, ws;
    void *mem;
    const void *out;
    size_t out_size;
    (void)state;
    memset(&b, 0, sizeof b);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &b), ARTPACK_OK);
    for (i = 0; i < 5; i++) {
        char id[80];
        artpack_article a;
        artpack_article_init(&a);
        snprintf(id, sizeof id, "article-%zu-with-a-long-enough-identifier-to-fill-the-block-up", i);
        a.id.ptr = id;
        a.id.len = strlen(id);
        ASSERT_ERR(artpack_record_encode(rec, sizeof rec, &a, &len), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_add(w, rec, len), ARTPACK_OK);
    }
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    /* the block chunk at 32: magic, size, then the frame: flags (0x10:
     * stored with a checksum), varint content size, content, XXH32 */
    assert_int_equal(b.p[40], 0x10);
    pos = 41;
    content = 0;
    for (k = 0; b.p[pos] & 0x80; k += 7) content |= (size_t)(b.p[pos++] & 0x7F) << k;
    content |= (size_t)b.p[pos++] << k;
    assert_true(content > 140 && content < 16384);
    /* content - 3 records: all empty but the last, which takes the rest */
    c = b.p + pos;
    n = content - 3;
    k = 0;
    c[k++] = (unsigned char)(n | 0x80);
    c[k++] = (unsigned char)(n >> 7);
    for (i = 0; i + 1 < n; i++) c[k++] = 0;
    c[k] = (unsigned char)(content - k - 1);
    assert_true(content - k - 1 < 128);
    put_le32(c + content, checksum(c, content));
    memset(&s, 0, sizeof s);
    s.p = b.p;
    s.len = b.len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
    ws = artpack_bundle_reader_workspace_size(&info, 0);
    mem = tu_malloc(ws);
    ASSERT_ERR(artpack_bundle_reader_open(&r, mem, ws, &info, NULL, memsrc_read, &s), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_get(r, 0, &out, &out_size), ARTPACK_E_BLOCK);
    ASSERT_ERR(artpack_bundle_check_block(r, 0, NULL, NULL), ARTPACK_E_BLOCK);
    printf("a block claiming %zu records where the index says 5: ARTPACK_E_BLOCK, nothing "
           "written past the workspace (ASan checks it)\n", n);
    free(mem);
    membuf_free(&b);
}

/* Opening a bundle, getting an article and finding one by id take a bounded
 * number of reads whatever the number of appends (docs/FORMAT.md
 * "Reading"): counted through the read callback after 1 pack and 600
 * one-article appends (with v1's linked segments, opening alone took one
 * read per commit). */
static void test_reads_bounded_after_many_appends(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    membuf b;
    size_t k, commits = 600, count;
    long worst_open = 0, worst_get = 0, worst_find = 0;
    uint64_t seed = 7;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 50);
    for (k = 0; k < commits; k++) append_bundle(&b, &da, iota + 50 + k % (N_ALL - 50), 1);
    count = 50 + commits;
    for (k = 0; k < 200; k++) {
        rd o;
        uint64_t n, at = 0;
        const void *rec;
        size_t size;
        char id[16];
        long before;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        n = (seed >> 33) % count;
        ASSERT_ERR(rd_open(&o, b.p, b.len, &da), ARTPACK_OK);
        assert_int_equal(o.info.article_count, count);
        if (o.src.reads > worst_open) worst_open = o.src.reads;
        before = o.src.reads;
        ASSERT_ERR(artpack_bundle_get(o.r, n, &rec, &size), ARTPACK_OK);
        if (o.src.reads - before > worst_get) worst_get = o.src.reads - before;
        /* a fresh reader for the id: nothing cached */
        rd_close(&o);
        ASSERT_ERR(rd_open(&o, b.p, b.len, &da), ARTPACK_OK);
        snprintf(id, sizeof id, "id-%u", (unsigned)(k % 40));
        before = o.src.reads;
        (void)artpack_bundle_find_id(o.r, id, strlen(id), &at);
        if (o.src.reads - before > worst_find) worst_find = o.src.reads - before;
        rd_close(&o);
    }
    printf("after 1 pack and %zu appends (%zu articles, %zu bytes): at most %ld reads to open, "
           "%ld to get an article, %ld to find one by id\n",
           commits, count, b.len, worst_open, worst_get, worst_find);
    assert_true(worst_open <= 8);
    assert_true(worst_get <= 40);
    assert_true(worst_find <= 200);
    membuf_free(&b);
}

/* ---- the spill: the pending id hashes in the caller's storage ---- */

typedef struct spillbuf {
    membuf m;
    int fail_read;
    long reads;
} spillbuf;

static int spill_write(void *opaque, const void *data, size_t size) {
    return membuf_write(&((spillbuf *)opaque)->m, data, size);
}

static int spill_read(void *opaque, uint64_t off, void *dst, size_t size) {
    spillbuf *s = (spillbuf *)opaque;
    s->reads++;
    return s->fail_read ? 1 : membuf_read(&s->m, off, dst, size);
}

/* n articles cycling through the test records. */
static void add_cycling(artpack_bundle_writer *w, size_t n, size_t from) {
    size_t i;
    for (i = 0; i < n; i++) {
        size_t k = (from + i) % N_RECORDS;
        ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[k], recs.size[k]), ARTPACK_OK);
    }
}

/* Commits of 34,000, 30, 2,000 and 34,000 articles (the third absorbs the
 * second, the fourth all: the first commit's hashes read back from where
 * they were kept), then an append: with sp, through a spill (a new one for
 * the appender: offsets count from a writer's first byte). */
static void spill_bundle(membuf *out, spillbuf *sp) {
    static const size_t sizes[] = {34000, 30, 2000, 34000};
    artpack_bundle_params p = params_of(ARTPACK_CODEC_STORED, 65536, 0);
    artpack_bundle_writer *w = NULL;
    artpack_bundle_info info;
    memsrc src;
    size_t c, from = 0;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, out), ARTPACK_OK);
    if (sp) ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, sp), ARTPACK_OK);
    for (c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        add_cycling(w, sizes[c], from);
        from += sizes[c];
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    }
    artpack_bundle_writer_free(w);
    if (sp) {
        /* the first commit's hashes went through it (2 B each) and were read
         * back (to write its segment, and when the fourth absorbed it) */
        assert_true(sp->m.len >= (size_t)2 * 34000);
        assert_true(sp->reads > 0);
        membuf_free(&sp->m);
    }
    memset(&src, 0, sizeof src);
    src.p = out->p;
    src.len = out->len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &src, out->len), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, NULL, NULL, membuf_write, out, membuf_read,
                                            out),
               ARTPACK_OK);
    if (sp) ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, sp), ARTPACK_OK);
    add_cycling(w, 1000, from);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
}

static void test_spill_same_bytes(void **state) {
    membuf plain, spilled;
    spillbuf sp;
    rd o;
    uint64_t n, at = 0;
    const void *rec;
    size_t size;
    (void)state;
    memset(&plain, 0, sizeof plain);
    memset(&spilled, 0, sizeof spilled);
    memset(&sp, 0, sizeof sp);
    spill_bundle(&plain, NULL);
    spill_bundle(&spilled, &sp);
    assert_int_equal(spilled.len, plain.len);
    assert_true(memcmp(spilled.p, plain.p, plain.len) == 0);
    ASSERT_ERR(rd_open(&o, spilled.p, spilled.len, NULL), ARTPACK_OK);
    assert_int_equal(o.info.article_count, 71030);
    for (n = 0; n < o.info.article_count; n += 997) {
        ASSERT_ERR(artpack_bundle_get(o.r, n, &rec, &size), ARTPACK_OK);
        assert_true(same_record(rec, size, (size_t)(n % N_RECORDS)));
    }
    /* salvage through reads of 1 MB windows (and blocks larger than one):
     * intact, then with a byte flipped in the middle and the end cut off */
    {
        artpack_salvage_stats st;
        ASSERT_ERR(salvage_both(spilled.p, spilled.len, NULL, NULL, NULL, NULL, &st), ARTPACK_OK);
        assert_int_equal(st.articles, 71030);
        assert_true(st.blocks_bad == 0 && st.bytes_skipped == 0);
        spilled.p[spilled.len / 2] ^= 0x10;
        ASSERT_ERR(salvage_both(spilled.p, spilled.len - 5, NULL, NULL, NULL, NULL, &st),
                   ARTPACK_OK);
        assert_true(st.blocks_bad == 1 && st.articles < 71030 && st.bytes_skipped > 0);
        spilled.p[spilled.len / 2] ^= 0x10;
    }
    /* an id: found at one of its places */
    ASSERT_ERR(artpack_bundle_find_id(o.r, recs.id[12], (size_t)recs.id_len[12], &at), ARTPACK_OK);
    assert_int_equal(at % N_RECORDS, 12);
    rd_close(&o);
    membuf_free(&plain);
    membuf_free(&spilled);
    membuf_free(&sp.m);
}

static void test_spill_errors(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_STORED, 16384, 0);
    artpack_bundle_writer *w = NULL;
    membuf out;
    spillbuf sp;
    (void)state;
    memset(&out, 0, sizeof out);
    memset(&sp, 0, sizeof sp);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &out), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_set_spill(NULL, spill_write, spill_read, &sp), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_writer_set_spill(w, NULL, spill_read, &sp), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, NULL, &sp), ARTPACK_E_NULL_ARG);
    add_cycling(w, 1, 0);
    /* articles pending: too late */
    ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, &sp), ARTPACK_E_PARAM);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, &sp), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, &sp), ARTPACK_E_PARAM);
    /* a failing read fails the commit */
    add_cycling(w, 34000, 1);
    sp.fail_read = 1;
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_READ);
    artpack_bundle_writer_free(w);
    /* a failing write: the writer is unusable */
    membuf_free(&out);
    membuf_free(&sp.m);
    memset(&sp, 0, sizeof sp);
    sp.m.fail_at = 1;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &out), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, &sp), ARTPACK_OK);
    {
        size_t i;
        artpack_error e = ARTPACK_OK;
        for (i = 0; i < 34000 && e == ARTPACK_OK; i++)
            e = artpack_bundle_writer_add(w, recs.rec[i % N_RECORDS], recs.size[i % N_RECORDS]);
        assert_int_equal(e, ARTPACK_E_WRITE);
        assert_true(i > 32768 && i < 34000); /* at the first full piece of 64 KB */
    }
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_WRITE);
    artpack_bundle_writer_free(w);
    membuf_free(&out);
    membuf_free(&sp.m);
}

/* Salvage through reads of blocks larger than its 1 MB window (zstd frames
 * and LZ4 chunks): the same as from memory. */
static void test_salvage_read_large_blocks(void **state) {
    artpack_codec codecs[] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4};
    size_t c;
    (void)state;
    for (c = 0; c < 2; c++) {
        artpack_bundle_params p = params_of(codecs[c], (size_t)8 << 20, 0);
        artpack_bundle_writer *w = NULL;
        artpack_salvage_stats st;
        membuf out;
        rd o;
        memset(&out, 0, sizeof out);
        size_t i;
        p.level = 1;
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &out), ARTPACK_OK);
        rng_state = 99;
        for (i = 0; i < 12000; i++) { /* 13 MB of distinct text: frames over 1 MB */
            static char text[1200];
            artpack_article a;
            artpack_str body;
            size_t size;
            unsigned char *rec;
            artpack_article_init(&a);
            body = text_str(text, 1000 + rng() % 100);
            a.body = tu_list(&body, 1);
            rec = encode_exact(&a, &size);
            ASSERT_ERR(artpack_bundle_writer_add(w, rec, size), ARTPACK_OK);
            free(rec);
        }
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        ASSERT_ERR(rd_open(&o, out.p, out.len, NULL), ARTPACK_OK);
        assert_true(o.info.max_block_frame > ((size_t)1 << 20)); /* larger than the window */
        rd_close(&o);
        ASSERT_ERR(salvage_both(out.p, out.len, NULL, NULL, NULL, NULL, &st), ARTPACK_OK);
        assert_int_equal(st.articles, 12000);
        assert_true(st.blocks_bad == 0 && st.bytes_skipped == 0);
        out.p[out.len / 3] ^= 0x01;
        ASSERT_ERR(salvage_both(out.p, out.len, NULL, NULL, NULL, NULL, &st), ARTPACK_OK);
        assert_true(st.blocks_bad == 1 && st.articles < 12000);
        membuf_free(&out);
    }
}


int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_odd_records),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_columns_odd_fields),
        cmocka_unit_test(test_columns_content),
        cmocka_unit_test(test_columns_copy),
        cmocka_unit_test(test_copy_block),
        cmocka_unit_test(test_reader_memory),
        cmocka_unit_test(test_parallel_same_bytes),
        cmocka_unit_test(test_regression_block_more_records_than_index),
        cmocka_unit_test(test_reads_bounded_after_many_appends),
        cmocka_unit_test(test_spill_same_bytes),
        cmocka_unit_test(test_spill_errors),
        cmocka_unit_test(test_salvage_read_large_blocks),
    };
    if (getenv("ARTPACK_TEST_FILTER")) cmocka_set_test_filter(getenv("ARTPACK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
