/* test_bundle_damage.c - bundles under damage: power loss at every cut, bit flips
 * everywhere, salvage, and the bugs these tests found.
 * Synthetic articles and dictionaries trained here (no corpus needed): see
 * bundle_fixture.h.
 *
 * Tests named test_regression_* pin down bugs found by these tests. */
#include "bundle_fixture.h"

/* ---- 3. power loss ---- */

typedef struct blockpos {
    uint64_t offset, first;
    size_t frame;
    uint32_t count;
} blockpos;

/* Where every block of p[0..len) is, from its index. */
static size_t block_layout(const unsigned char *p, size_t len, const artpack_dict *d,
                           blockpos *out, size_t max) {
    rd o;
    uint64_t b;
    ASSERT_ERR(rd_open(&o, p, len, d), ARTPACK_OK);
    assert_true(o.info.block_count <= max);
    for (b = 0; b < o.info.block_count; b++) {
        artpack_bundle_location where;
        ASSERT_ERR(artpack_bundle_check_block(o.r, b, &out[b].first, &out[b].count), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_locate(o.r, out[b].first, &where), ARTPACK_OK);
        assert_int_equal(where.block, b);
        out[b].offset = where.block_offset;
        out[b].frame = where.block_frame_size;
    }
    rd_close(&o);
    return (size_t)b;
}

static void power_loss(artpack_codec codec, size_t block_size, size_t n0, size_t n1) {
    static blockpos blocks[256];
    artpack_bundle_params p = params_of(codec, block_size, 1);
    membuf b;
    size_t len0, len1, nb0, nb, L, k, recovered = 0, reappends = 0;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, n0);
    len0 = b.len;
    nb0 = block_layout(b.p, len0, NULL, blocks, 256);
    append_bundle(&b, &da, iota + n0, n1);
    len1 = b.len;
    nb = block_layout(b.p, len1, NULL, blocks, 256);
    assert_true(nb - nb0 >= 3); /* the append writes several blocks */
    for (L = len0; L <= len1; L++) {
        artpack_bundle_info info;
        artpack_salvage_stats st;
        memsrc s;
        salv sv;
        rd o;
        size_t want = n0;
        unsigned char *cut;
        uint64_t n;
        memset(&s, 0, sizeof s);
        s.p = b.p;
        s.len = L;
        ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, L), ARTPACK_OK);
        if (L < len1) {
            if (info.article_count != n0 || info.recovered_footer != (L > len0) ||
                info.end_offset != len0)
                fail_msg("cut at %zu: %llu articles, recovered %d, end %llu", L,
                         (ull)info.article_count, info.recovered_footer, (ull)info.end_offset);
        } else {
            assert_int_equal(info.article_count, n0 + n1);
            assert_int_equal(info.recovered_footer, 0);
        }
        recovered += info.recovered_footer;
        ASSERT_ERR(rd_open(&o, b.p, L, NULL), ARTPACK_OK);
        for (n = 0; n < info.article_count; n++) expect_article(o.r, n, n);
        rd_close(&o);
        /* salvage: B0's articles, then those of every whole new block */
        for (k = nb0; k < nb; k++)
            if (blocks[k].offset + blocks[k].frame <= L) want += blocks[k].count;
        cut = tu_dup(b.p, L);
        salv_init(&sv, iota, n0 + n1);
        ASSERT_ERR(salvage_both(cut, L, NULL, NULL, salv_cb, &sv, &st), ARTPACK_OK);
        free(cut);
        if (sv.bad || sv.got != want || st.articles != want || st.blocks_bad != 0 ||
            !st.header_ok || st.dict_id_used != da.id)
            fail_msg("salvage of the cut at %zu: %zu articles (%s: %s), wanted %zu; %llu blocks bad",
                     L, sv.got, sv.bad ? "some wrong" : "in order", salv_seen(&sv), want,
                     (ull)st.blocks_bad);
        /* cut where the reader says, append again: the same bytes as B1 */
        if (L < len1 && ((L - len0) % 97 == 0 || L == len1 - 1)) {
            membuf again;
            memset(&again, 0, sizeof again);
            assert_int_equal(membuf_write(&again, b.p, (size_t)info.end_offset), 0);
            append_bundle(&again, &da, iota + n0, n1);
            assert_int_equal(again.len, len1);
            assert_memory_equal(again.p, b.p, len1);
            membuf_free(&again);
            reappends++;
        }
    }
    printf("power loss, %s, %zu-byte blocks: B0 %zu bytes (%zu articles, %zu blocks), B1 %zu bytes "
           "(+%zu articles, %zu blocks): %zu cuts, %zu with a recovered footer, %zu re-appends\n",
           codec_name(codec), block_size, len0, n0, nb0, len1, n1, nb - nb0, len1 - len0 + 1,
           recovered, reappends);
    membuf_free(&b);
}

static void test_power_loss(void **state) {
    (void)state;
    power_loss(ARTPACK_CODEC_ZSTD, 1024, 16, 10);
    power_loss(ARTPACK_CODEC_LZ4, 1024, 16, 10);
    columns_mode = 1;
    power_loss(ARTPACK_CODEC_ZSTD, 1024, 16, 10);
    columns_mode = 0;
}

/* ---- 4. bit flips ---- */

typedef struct flipstats {
    size_t flips, open_refused, detected, benign, index_refused, recovered, harmless;
    size_t last_segment_fallback; /* a flip in the last segment: the earlier footer is used */
} flipstats;

/* The bundle buf[0..len) holds articles 0..count-1 except that the byte of
 * block bad was flipped: either it is refused with a named error, or exactly
 * block bad fails its check and everything else reads back the same. */
static void check_block_flip(const unsigned char *buf, size_t len, const blockpos *blocks,
                             size_t nb, size_t bad, size_t count, size_t pos, flipstats *fs) {
    rd o;
    size_t b;
    int bad_failed = 0;
    artpack_error e = rd_open(&o, buf, len, &da);
    fs->flips++;
    if (e != ARTPACK_OK) {
        ASSERT_NAMED(e);
        fs->open_refused++;
        rd_close(&o);
        return;
    }
    assert_int_equal(o.info.article_count, count);
    for (b = 0; b < nb; b++) {
        uint64_t first = 0, n;
        uint32_t cnt = 0;
        e = artpack_bundle_check_block(o.r, b, &first, &cnt);
        if (b != bad && e != ARTPACK_OK)
            fail_msg("flip at %zu (block %zu): check_block(%zu) gave %s", pos, bad, b,
                     artpack_error_name(e));
        assert_int_equal(first, blocks[b].first);
        assert_int_equal(cnt, blocks[b].count);
        if (e == ARTPACK_OK) {
            for (n = first; n < first + cnt; n++) expect_article(o.r, n, (size_t)n);
        } else {
            ASSERT_NAMED(e);
            bad_failed = 1;
            for (n = first; n < first + cnt; n++) {
                const void *rec;
                size_t size;
                artpack_error ge = artpack_bundle_get(o.r, n, &rec, &size);
                if (ge == ARTPACK_OK)
                    fail_msg("flip at %zu: block %zu fails (%s) but article %llu reads", pos, b,
                             artpack_error_name(e), (ull)n);
                ASSERT_NAMED(ge);
            }
        }
    }
    if (bad_failed) fs->detected++;
    else fs->benign++; /* the block still decodes to exactly the original */
    rd_close(&o);
}

/* A flip outside the blocks: refused by info_get/reader_open or check_index
 * with a named error, or every article reads back the same. Never other
 * data as if correct. kind: 'h' header, 's' an earlier index segment, 'S'
 * the last one, 'f' the last footer, 'o' an older footer. A damaged last
 * segment invalidates the last footer, so (like a damaged footer) it makes
 * info_get fall back to the earlier footer (recovered_footer = 1). */
static void check_meta_flip(const unsigned char *buf, size_t len, size_t nb, size_t count,
                            size_t count_before, size_t pos, char kind, flipstats *fs) {
    rd o;
    artpack_error e, ie;
    uint64_t n, b;
    int all_ok = 1;
    fs->flips++;
    e = rd_open(&o, buf, len, &da);
    if (e != ARTPACK_OK) {
        if (kind == 'h') ASSERT_ERR(e, ARTPACK_E_BUNDLE);
        else if (kind == 's' || kind == 'S') ASSERT_ERR(e, ARTPACK_E_INDEX);
        else fail_msg("flip at %zu (%c): refused with %s", pos, kind, artpack_error_name(e));
        fs->open_refused++;
        rd_close(&o);
        return;
    }
    if (kind == 'h') fail_msg("flip at %zu in the header: not detected", pos);
    ie = artpack_bundle_check_index(o.r);
    if (ie != ARTPACK_OK) ASSERT_ERR(ie, ARTPACK_E_INDEX);
    assert_true(o.info.article_count <= count);
    for (n = 0; n < o.info.article_count; n++) {
        const void *rec;
        size_t size;
        e = artpack_bundle_get(o.r, n, &rec, &size);
        if (e == ARTPACK_OK) {
            if (!same_record(rec, size, (size_t)n))
                fail_msg("flip at %zu (%c): article %llu reads as OK but differs", pos, kind, (ull)n);
        } else {
            ASSERT_NAMED(e);
            all_ok = 0;
        }
    }
    for (b = 0; b < o.info.block_count; b++) {
        e = artpack_bundle_check_block(o.r, b, NULL, NULL);
        if (e != ARTPACK_OK) {
            ASSERT_NAMED(e);
            all_ok = 0;
        }
    }
    if (ie != ARTPACK_OK) {
        fs->index_refused++;
    } else {
        if (!all_ok) fail_msg("flip at %zu (%c): check_index passes, yet articles fail", pos, kind);
        if (o.info.recovered_footer) {
            assert_int_equal(o.info.article_count, count_before);
            fs->recovered++;
        } else {
            assert_int_equal(o.info.article_count, count);
            assert_int_equal(o.info.block_count, nb);
            fs->harmless++;
        }
    }
    if (kind == 'S' && ie == ARTPACK_OK && o.info.recovered_footer) fs->last_segment_fallback++;
    else if ((kind == 's' || kind == 'S') && ie == ARTPACK_OK)
        fail_msg("flip at %zu in an index segment (bundle %zu bytes): not detected; %llu articles, "
                 "%llu blocks, recovered %d, last segment %llu, end %llu",
                 pos, len, (ull)o.info.article_count, (ull)o.info.block_count,
                 o.info.recovered_footer, (ull)o.info.last_segment, (ull)o.info.end_offset);
    if (kind == 'f' && !(ie == ARTPACK_OK && o.info.recovered_footer))
        fail_msg("flip at %zu in the last footer: the earlier footer is not used", pos);
    rd_close(&o);
}

/* stride: flip every stride-th byte of the block frames. */
static void bit_flips(artpack_codec codec, size_t stride) {
    static blockpos blocks[64];
    artpack_bundle_params p = params_of(codec, 4096, 0);
    membuf b;
    size_t nb, len, len_first, pos, seg1, seg2, bit, k;
    unsigned char *work;
    flipstats blk, meta;
    int dead;
    const size_t n0 = 25, count = 40;
    memset(&b, 0, sizeof b);
    memset(&blk, 0, sizeof blk);
    memset(&meta, 0, sizeof meta);
    write_bundle(&b, &p, &da, iota, n0);
    len_first = b.len;
    append_bundle(&b, &da, iota + n0, count - n0);
    len = b.len;
    nb = block_layout(b.p, len, &da, blocks, 64);
    work = tu_dup(b.p, len);
    /* the segments: the last one's offset is in the footer, it names the first */
    seg2 = (size_t)(work[len - 24] | work[len - 23] << 8 | work[len - 22] << 16);
    seg1 = (size_t)(work[seg2 + 8] | work[seg2 + 9] << 8 | work[seg2 + 10] << 16);
    assert_true(seg1 > 32 && seg1 < len_first - 32 && seg2 > len_first && seg2 < len - 32);
    dead = first_segment_dead(b.p, len);
    printf("bit flips: the second commit's segment %s the first\n", dead ? "absorbed" : "links to");
    /* every byte of every block frame */
    for (k = 0; k < nb; k++)
        for (pos = blocks[k].offset; pos < blocks[k].offset + blocks[k].frame; pos += stride) {
            work[pos] ^= (unsigned char)(1u << (pos % 8));
            check_block_flip(work, len, blocks, nb, k, count, pos, &blk);
            work[pos] ^= (unsigned char)(1u << (pos % 8));
        }
    /* every bit of the header, the index segments and the footers */
    for (pos = 0; pos < len; pos++) {
        char kind = 0;
        if (pos < 32) kind = 'h';
        else if (pos >= seg1 && pos < len_first - 32) kind = dead ? 'o' : 's';
        else if (pos >= seg2 && pos < len - 32) kind = 'S';
        else if (pos >= len - 32) kind = 'f';
        else if (pos >= len_first - 32 && pos < len_first) kind = 'o';
        if (!kind) continue;
        for (bit = 0; bit < 8; bit++) {
            work[pos] ^= (unsigned char)(1u << bit);
            check_meta_flip(work, len, nb, count, n0, pos, kind, &meta);
            work[pos] ^= (unsigned char)(1u << bit);
        }
    }
    assert_memory_equal(work, b.p, len);
    printf("bit flips, %s + dictionary, 4 KB blocks, %zu articles in %zu blocks, %zu bytes:\n"
           "  block bytes: %zu flips: %zu refused at open, %zu caught by check_block (that block "
           "only), %zu decode to the original\n"
           "  header/index/footer bits: %zu flips: %zu refused by info_get, %zu by check_index, "
           "%zu fall back to the earlier footer (%zu of them in the last index segment), %zu "
           "harmless (an older footer)\n",
           codec_name(codec), count, nb, len, blk.flips, blk.open_refused, blk.detected, blk.benign, meta.flips,
           meta.open_refused, meta.index_refused, meta.recovered, meta.last_segment_fallback,
           meta.harmless);
    assert_true(blk.detected > 0);
    free(work);
    membuf_free(&b);
}

static void test_bit_flips(void **state) {
    (void)state;
    bit_flips(ARTPACK_CODEC_ZSTD, 1);
    bit_flips(ARTPACK_CODEC_LZ4, 3); /* every third byte: the same checks, a third of the time */
    columns_mode = 1;
    bit_flips(ARTPACK_CODEC_ZSTD, 2);
    bit_flips(ARTPACK_CODEC_STORED, 3);
    columns_mode = 0;
}

/* The embedded dictionary's chunk: a flip there is refused when the reader
 * opens, or makes blocks fail, but never returns other data as correct. */
static void test_bit_flips_embedded_dict(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 1);
    membuf b;
    size_t pos, dict_end, refused = 0, blocks_fail = 0, same = 0, count = 12;
    unsigned char *work;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, count);
    work = tu_dup(b.p, b.len);
    dict_end = 32 + 8 + (size_t)(work[36] | work[37] << 8 | work[38] << 16);
    for (pos = 32; pos < dict_end; pos++) {
        rd o;
        artpack_error e;
        uint64_t n;
        int fails = 0;
        work[pos] ^= (unsigned char)(1u << (pos % 8));
        e = rd_open(&o, work, b.len, NULL);
        if (e != ARTPACK_OK) {
            ASSERT_NAMED(e);
            refused++;
        } else {
            for (n = 0; n < count; n++) {
                const void *rec;
                size_t size;
                e = artpack_bundle_get(o.r, n, &rec, &size);
                if (e == ARTPACK_OK) {
                    if (!same_record(rec, size, (size_t)n))
                        fail_msg("flip at %zu in the dictionary: article %llu differs", pos, (ull)n);
                } else {
                    ASSERT_NAMED(e);
                    fails = 1;
                }
            }
            if (fails) blocks_fail++;
            else same++;
        }
        rd_close(&o);
        work[pos] ^= (unsigned char)(1u << (pos % 8));
    }
    printf("bit flips in the embedded dictionary chunk (%zu bytes): %zu refused at open, %zu open "
           "but blocks fail, %zu read back the same\n",
           dict_end - 32, refused, blocks_fail, same);
    free(work);
    membuf_free(&b);
}

/* ---- bugs these tests found (fixed) ---- */

/* Salvage: a callback that returns nonzero ("returns 0 to go on") should stop
 * the walk. */
static void test_regression_salvage_callback_stop(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 1024, 0);
    artpack_salvage_stats st;
    membuf b;
    salv sv;
    artpack_error e;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, NULL, iota, 10);
    salv_init(&sv, iota, 10);
    sv.stop_after = 1;
    e = salvage_both(b.p, b.len, NULL, NULL, salv_cb, &sv, &st);
    printf("salvage, callback returning 1 at the first record: %s, %ld calls, stats: %llu articles, "
           "%llu blocks ok, %llu bad\n",
           artpack_error_name(e), sv.calls, (ull)st.articles, (ull)st.blocks_ok, (ull)st.blocks_bad);
    membuf_free(&b);
    assert_int_equal(sv.calls, 1);
    assert_int_not_equal(e, ARTPACK_OK);
}

/* Salvage: a failed allocation of the block buffer drops the block silently
 * (counted bad) and salvage returns ARTPACK_OK with articles missing. */
static void test_regression_salvage_alloc(void **state) {
    artpack_allocator mem = {fail_alloc, fail_free, NULL};
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 1024, 1);
    membuf b;
    long n, silent = 0, first_silent = 0;
    int succeeded = 0;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 10);
    for (n = 1; n < 1000 && !succeeded; n++) {
        artpack_salvage_stats st;
        salv sv;
        artpack_error e;
        salv_init(&sv, iota, 10);
        sv.any_skip = 1;
        alloc_fail_at = n;
        alloc_calls = alloc_live = 0;
        e = salvage_both(b.p, b.len, NULL, &mem, salv_cb, &sv, &st);
        assert_int_equal(alloc_live, 0);
        assert_false(sv.bad);
        if (e == ARTPACK_OK && sv.got != 10) {
            printf("  allocation %ld fails: ARTPACK_OK, %zu of 10 articles, %llu blocks bad, "
                   "dictionary %s\n", n, sv.got, (ull)st.blocks_bad,
                   st.dict_id_used ? "used" : "dropped");
            silent++;
            if (!first_silent) first_silent = n;
        } else if (e != ARTPACK_OK) {
            ASSERT_ERR(e, ARTPACK_E_ALLOC);
        }
        succeeded = e == ARTPACK_OK && alloc_calls < n;
    }
    printf("salvage with allocation N failing: %ld of %ld runs return ARTPACK_OK with articles "
           "missing (first at N=%ld)\n", silent, n - 1, first_silent);
    membuf_free(&b);
    assert_int_equal(silent, 0);
}

/* Salvage after one flipped bit in a block: every other block should come
 * back. A block whose length field is damaged is skipped by the length it
 * claims (zstd: the frame's block sizes; LZ4/stored: the chunk size), which
 * can swallow the intact blocks after it instead of resyncing on their magic. */
static void test_salvage_resync(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    static blockpos blocks[64];
    size_t lost_total = 0;
    int c;
    (void)state;
    /* ~35,000 salvages: skipped up front (too slow for every run under valgrind) */
    /* (~35,000 salvages: a few seconds, more under valgrind) */
    for (c = 0; c < 3; c++) {
        artpack_bundle_params p = params_of(codecs[c], 4096, 0);
        membuf b;
        size_t nb, k, pos, flips = 0, lost = 0, first_pos = 0, first_block = 0, count = 25;
        unsigned char *work;
        salv first_sv;
        memset(&b, 0, sizeof b);
        memset(&first_sv, 0, sizeof first_sv);
        write_bundle(&b, &p, &da, iota, count);
        nb = block_layout(b.p, b.len, &da, blocks, 64);
        for (k = 0; k < nb; k++)
            for (pos = blocks[k].offset; pos < blocks[k].offset + blocks[k].frame; pos++) {
                artpack_salvage_stats st;
                salv sv;
                work = tu_dup(b.p, b.len);
                work[pos] ^= (unsigned char)(1u << (pos % 8));
                salv_init(&sv, iota, count);
                sv.skip_lo = blocks[k].first;
                sv.skip_hi = blocks[k].first + blocks[k].count;
                ASSERT_ERR(salvage_both(work, b.len, &da, NULL, salv_cb, &sv, &st),
                           ARTPACK_OK);
                free(work);
                flips++;
                /* complete: up to the damaged block, or past it (when it is the
                 * last, nothing after it moves next past the skip) */
                if (sv.bad || (sv.next != count && !(sv.next == sv.skip_lo && sv.skip_hi == count))) {
                    if (lost++ == 0) {
                        first_pos = pos;
                        first_block = k;
                        first_sv = sv;
                    }
                }
            }
        printf("salvage after one flip in a block, %s: %zu flips, %zu lose intact blocks",
               codec_name(codecs[c]), flips, lost);
        if (lost)
            printf(" (e.g. bit %zu of byte %zu = block %zu + %zu: back %s)", first_pos % 8, first_pos,
                   first_block, first_pos - (size_t)blocks[first_block].offset,
                   salv_seen(&first_sv));
        printf("\n");
        lost_total += lost;
        membuf_free(&b);
    }
    assert_int_equal(lost_total, 0);
}

/* A writer whose write failed (in copy_block) then commits with nothing
 * pending: commit should keep returning ARTPACK_E_WRITE. */
static void test_regression_commit_after_failed_copy(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_bundle_writer *w = NULL;
    membuf x, z;
    rd ox;
    artpack_error e1, e2, e3;
    (void)state;
    memset(&x, 0, sizeof x);
    memset(&z, 0, sizeof z);
    write_bundle(&x, &p, NULL, iota, 20);
    ASSERT_ERR(rd_open(&ox, x.p, x.len, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &z), ARTPACK_OK);
    add_all(w, iota, 3);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    z.fail_at = z.calls + 1; /* the next write fails */
    e1 = artpack_bundle_writer_copy_block(w, ox.r, 0);
    e2 = artpack_bundle_writer_commit(w);
    e3 = artpack_bundle_writer_add(w, recs.rec[0], recs.size[0]);
    printf("after a failed write in copy_block: copy_block %s, commit %s, add %s\n",
           artpack_error_name(e1), artpack_error_name(e2), artpack_error_name(e3));
    artpack_bundle_writer_free(w);
    rd_close(&ox);
    membuf_free(&x);
    membuf_free(&z);
    ASSERT_ERR(e1, ARTPACK_E_WRITE);
    ASSERT_ERR(e3, ARTPACK_E_WRITE);

    ASSERT_ERR(e2, ARTPACK_E_WRITE);
}

/* writer_create and appender_open leave *out as it was when they refuse
 * (reader_open, compressor_create and decompressor_init set it to NULL). */
static void test_regression_writer_out_on_failure(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_bundle_info info;
    artpack_bundle_writer *w;
    membuf b;
    memsrc s;
    int sentinel;
    artpack_error e1, e2, e3;
    void *after1, *after2, *after3;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 3);
    memset(&s, 0, sizeof s);
    s.p = b.p;
    s.len = b.len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
    w = (artpack_bundle_writer *)(void *)&sentinel;
    e1 = artpack_bundle_appender_open(&w, &info, NULL, NULL, membuf_write, &b, membuf_read, &b);
    after1 = (void *)w;
    w = (artpack_bundle_writer *)(void *)&sentinel;
    e2 = artpack_bundle_appender_open(&w, &info, &db, NULL, membuf_write, &b, membuf_read, &b);
    after2 = (void *)w;
    p.level = 23;
    w = (artpack_bundle_writer *)(void *)&sentinel;
    e3 = artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &b);
    after3 = (void *)w;
    membuf_free(&b);
    ASSERT_ERR(e1, ARTPACK_E_NEED_DICT);
    ASSERT_ERR(e2, ARTPACK_E_WRONG_DICT);
    ASSERT_ERR(e3, ARTPACK_E_PARAM);
    printf("*out after a refusal: appender_open %s, %s; writer_create %s\n",
           after1 ? "unchanged" : "NULL", after2 ? "unchanged" : "NULL", after3 ? "unchanged" : "NULL");
    assert_null(after1);
    assert_null(after2);
    assert_null(after3);
}

/* writer_create and appender_open with out == NULL: the check is made on
 * the internal writer's local pointer, so they write the header (create),
 * then store through NULL (a crash). Run alone: it crashes the process. */
static void test_regression_writer_null_out(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_bundle_info info;
    membuf m, b;
    memsrc s;
    (void)state;
    memset(&m, 0, sizeof m);
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, NULL, iota, 3);
    memset(&s, 0, sizeof s);
    s.p = b.p;
    s.len = b.len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
    membuf_free(&b);

    ASSERT_ERR(artpack_bundle_writer_create(NULL, &p, NULL, NULL, membuf_write, &m),
               ARTPACK_E_NULL_ARG);
    assert_int_equal(m.calls, 0);
    ASSERT_ERR(artpack_bundle_appender_open(NULL, &info, NULL, NULL, membuf_write, &m, membuf_read, &m),
               ARTPACK_E_NULL_ARG);
    membuf_free(&m);
}


int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_loss),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_bit_flips_embedded_dict),
        cmocka_unit_test(test_regression_salvage_callback_stop),
        cmocka_unit_test(test_regression_salvage_alloc),
        cmocka_unit_test(test_salvage_resync),
        cmocka_unit_test(test_regression_commit_after_failed_copy),
        cmocka_unit_test(test_regression_writer_out_on_failure),
        cmocka_unit_test(test_regression_writer_null_out),
    };
    if (getenv("ARTPACK_TEST_FILTER")) cmocka_set_test_filter(getenv("ARTPACK_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
