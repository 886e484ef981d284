/* test_bundle_sim.c - bundles whose articles are assigned to blocks by
 * similarity (artpack_bundle_params.similar, docs/FORMAT.md "Block map"):
 * round trips in article order for every codec and layout, get N on every
 * N, find by id, the map a permutation with the order inside each block
 * kept, determinism (twice, any thread count), appends (windows in each
 * commit, index segments merged with their maps), block copies (merge),
 * salvage, bit flips, and every error the map brings. Synthetic articles of
 * four topics, interleaved, so that the assignment has something to do. */
#include "bundle_mem.h" /* membuf, rd (articles of its own) */

#include "synthetic.h"
#include "../codec/bundle_format.h"

#define N_ART 400
#define BLOCK 6000   /* bytes of records per block: about 12 articles */
#define WINDOW 40000 /* bytes per similarity window: about 7 blocks */

static void *tu_zalloc(size_t n) {
    void *p = tu_malloc(n);
    memset(p, 0, n);
    return p;
}

static unsigned char *rec[N_ART];
static size_t rec_size[N_ART];
static char rec_id[N_ART][16];

/* Four topics, each with words of its own; article i is of topic
 * (i * 7 / 3) % 4, so consecutive articles mostly differ. */
static const char *const topic_words[4][8] = {
    {"football", "goal", "striker", "league", "match", "coach", "season", "referee"},
    {"inflation", "bond", "yield", "central", "rates", "currency", "deficit", "treasury"},
    {"software", "chip", "network", "startup", "browser", "server", "laptop", "broadband"},
    {"film", "actor", "festival", "album", "singer", "director", "award", "theatre"}};

static size_t topic_text(char *buf, size_t n, int topic) {
    size_t len = 0;
    while (len + 24 < n) {
        const char *w = rng() % 3 ? topic_words[topic][rng() % 8]
                                  : words[rng() % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        memcpy(buf + len, w, wl);
        len += wl;
        buf[len++] = ' ';
    }
    buf[len] = '\0';
    return len;
}

static int sim_setup(void **state) {
    char title[128], body[1200], summary[64];
    size_t i;
    (void)state;
    rng_state = 777;
    for (i = 0; i < N_ART; i++) {
        artpack_article a;
        artpack_str para;
        size_t need = 0;
        int topic = (int)((i * 7 / 3) % 4);
        artpack_article_init(&a);
        sprintf(rec_id[i], "art-%zu", i);
        a.id = tu_str(rec_id[i]);
        a.title.len = topic_text(title, 40 + rng() % 60, topic);
        a.title.ptr = title;
        a.summary.len = make_text(summary, 30 + rng() % 30); /* words of no topic */
        a.summary.ptr = summary;
        para.len = topic_text(body, 150 + rng() % 700, topic);
        para.ptr = body;
        a.body.present = 1;
        a.body.items = &para;
        a.body.count = 1;
        (void)need;
        rec[i] = encode_exact(&a, &rec_size[i]);
    }
    return 0;
}

static int sim_teardown(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < N_ART; i++) free(rec[i]);
    return 0;
}

/* ---- input ---- */

static const artpack_dict *rd_dict; /* the dictionary rd_of gives the reader */

/* A reader over what m holds (the fixture's rd, exactly sized workspace). */
static artpack_error rd_of(rd *o, const membuf *m) { return rd_open(o, m->p, m->len, rd_dict); }

static artpack_bundle_params sim_params(artpack_codec codec, int columns) {
    artpack_bundle_params p;
    memset(&p, 0, sizeof p);
    p.codec = codec;
    p.level = codec == ARTPACK_CODEC_ZSTD ? 3 : 0;
    p.block_size = BLOCK;
    p.columns = columns;
    p.similar = 1;
    p.similar_window = WINDOW;
    return p;
}

/* Articles from..to-1 added; a commit every `every` articles (0: one at the end). */
static void add_range(artpack_bundle_writer *w, size_t from, size_t to, size_t every) {
    size_t i;
    for (i = from; i < to; i++) {
        ASSERT_ERR(artpack_bundle_writer_add(w, rec[i], rec_size[i]), ARTPACK_OK);
        if (every && (i + 1 - from) % every == 0)
            ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    }
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
}

static void write_sim(membuf *out, const artpack_bundle_params *p, size_t count, size_t every) {
    artpack_bundle_writer *w = NULL;
    memset(out, 0, sizeof *out);
    ASSERT_ERR(artpack_bundle_writer_create(&w, p, rd_dict, NULL, membuf_write, out), ARTPACK_OK);
    add_range(w, 0, count, every);
    artpack_bundle_writer_free(w);
}

/* Everything a reader of a bundle of articles 0..count-1 promises: get N
 * is article N for every N (in order, backwards, and strided), the map is a
 * permutation of the slots, each block holds its articles in article order,
 * reading slots in order gives every block's records, find by id finds each
 * article. Returns how many articles are not in their own slot. */
static size_t check_bundle(const membuf *m, size_t count) {
    rd o;
    uint64_t n, s, moved = 0, blk;
    unsigned char *seen = (unsigned char *)tu_zalloc(count + 1);
    uint64_t *article_of = (uint64_t *)tu_zalloc((count + 1) * sizeof(uint64_t));
    ASSERT_ERR(rd_of(&o, m), ARTPACK_OK);
    assert_int_equal(o.info.article_count, count);
    ASSERT_ERR(artpack_bundle_check_index(o.r), ARTPACK_OK);
    for (n = 0; n < count; n++) {
        const void *r;
        size_t size;
        ASSERT_ERR(artpack_bundle_slot(o.r, n, &s), ARTPACK_OK);
        assert_true(s < count);
        assert_false(seen[s]);
        seen[s] = 1;
        article_of[s] = n;
        if (s != n) moved++;
        ASSERT_ERR(artpack_bundle_get(o.r, n, &r, &size), ARTPACK_OK);
        assert_int_equal(size, rec_size[n]);
        assert_memory_equal(r, rec[n], size);
    }
    for (n = count; n-- > 0;) { /* backwards, and every 7th */
        const void *r;
        size_t size;
        ASSERT_ERR(artpack_bundle_get(o.r, (n * 7) % count, &r, &size), ARTPACK_OK);
        assert_memory_equal(r, rec[(n * 7) % count], size);
    }
    for (blk = 0; blk < o.info.block_count; blk++) {
        uint64_t first = 0;
        uint32_t c = 0, k;
        ASSERT_ERR(artpack_bundle_check_block(o.r, blk, &first, &c), ARTPACK_OK);
        for (k = 0; k < c; k++) {
            const void *r;
            size_t size;
            uint64_t a = article_of[first + k];
            artpack_bundle_location loc;
            ASSERT_ERR(artpack_bundle_get_slot(o.r, first + k, &r, &size), ARTPACK_OK);
            assert_memory_equal(r, rec[a], size);
            if (k > 0) assert_true(article_of[first + k - 1] < a); /* order kept inside */
            ASSERT_ERR(artpack_bundle_locate(o.r, a, &loc), ARTPACK_OK);
            assert_int_equal(loc.block, blk);
            assert_int_equal(loc.slot, first + k);
            assert_int_equal(loc.block_first, first);
        }
    }
    for (n = 0; n < count; n += 13) {
        uint64_t at = 0;
        ASSERT_ERR(artpack_bundle_find_id(o.r, rec_id[n], strlen(rec_id[n]), &at), ARTPACK_OK);
        assert_int_equal(at, n);
    }
    ASSERT_ERR(artpack_bundle_slot(o.r, count, &s), ARTPACK_E_NOT_FOUND);
    ASSERT_ERR(artpack_bundle_slot(NULL, 0, &s), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_slot(o.r, 0, NULL), ARTPACK_E_NULL_ARG);
    {
        const void *r;
        size_t size;
        ASSERT_ERR(artpack_bundle_get_slot(o.r, count, &r, &size), ARTPACK_E_NOT_FOUND);
        ASSERT_ERR(artpack_bundle_get_slot(NULL, 0, &r, &size), ARTPACK_E_NULL_ARG);
    }
    rd_close(&o);
    free(seen);
    free(article_of);
    return (size_t)moved;
}

/* ---- tests ---- */

static void test_round_trip(void **state) {
    static const artpack_codec codecs[] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                           ARTPACK_CODEC_STORED};
    size_t c, col;
    (void)state;
    for (c = 0; c < TU_COUNT(codecs); c++)
        for (col = 0; col < 2; col++) {
            artpack_bundle_params p = sim_params(codecs[c], (int)col);
            membuf m;
            rd o;
            write_sim(&m, &p, N_ART, 0);
            assert_true(check_bundle(&m, N_ART) > N_ART / 4); /* the assignment moved them */
            ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
            assert_true(o.info.similar);
            assert_true(o.info.block_count > WINDOW / BLOCK); /* several windows */
            rd_close(&o);
            free(m.p);
        }
}

/* Similar articles share blocks: fewer topics per block than in order. */
static void test_blocks_by_topic(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_STORED, 0);
    membuf m;
    rd o;
    uint64_t blk, mixed_sim = 0, mixed_order = 0;
    (void)state;
    write_sim(&m, &p, N_ART, 0);
    ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
    for (blk = 0; blk < o.info.block_count; blk++) {
        uint64_t first = 0, n;
        uint32_t c = 0, k;
        int topics = 0, seen[4] = {0, 0, 0, 0};
        ASSERT_ERR(artpack_bundle_check_block(o.r, blk, &first, &c), ARTPACK_OK);
        for (n = 0; n < o.info.article_count; n++) { /* the block's articles */
            uint64_t s;
            ASSERT_ERR(artpack_bundle_slot(o.r, n, &s), ARTPACK_OK);
            if (s >= first && s < first + c && !seen[(n * 7 / 3) % 4]++) topics++;
        }
        mixed_sim += (uint64_t)topics;
        memset(seen, 0, sizeof seen);
        topics = 0;
        for (k = 0; k < c; k++) /* the same slots in article order */
            if (!seen[((first + k) * 7 / 3) % 4]++) topics++;
        mixed_order += (uint64_t)topics;
    }
    assert_true(2 * mixed_sim < mixed_order);
    rd_close(&o);
    free(m.p);
}

static void run_serial(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    size_t i;
    (void)opaque;
    for (i = n; i-- > 0;) task(args[i]); /* any order: the bytes must not depend on it */
}

static void test_determinism(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_ZSTD, 1);
    membuf a, b, c;
    artpack_bundle_writer *w = NULL;
    (void)state;
    write_sim(&a, &p, N_ART, 0);
    write_sim(&b, &p, N_ART, 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    memset(&c, 0, sizeof c);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &c), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_set_parallel(w, 3, run_serial, NULL), ARTPACK_OK);
    add_range(w, 0, N_ART, 0);
    artpack_bundle_writer_free(w);
    assert_int_equal(a.len, c.len);
    assert_memory_equal(a.p, c.p, a.len);
    free(a.p);
    free(b.p);
    free(c.p);
}

/* Many commits (segments merged with their maps, partly without a map when
 * a part had none to merge), then appends through the appender. */
static void test_commits_and_append(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_ZSTD, 1);
    membuf m;
    size_t step;
    (void)state;
    write_sim(&m, &p, 150, 37);
    assert_true(check_bundle(&m, 150) > 0);
    for (step = 150; step < N_ART; step += 50) {
        artpack_bundle_info info;
        artpack_bundle_writer *w = NULL;
        ASSERT_ERR(artpack_bundle_info_get(&info, membuf_read, &m, m.len), ARTPACK_OK);
        assert_true(info.similar);
        ASSERT_ERR(artpack_bundle_appender_open(&w, &info, NULL, NULL, membuf_write, &m,
                                                membuf_read, &m),
                   ARTPACK_OK);
        add_range(w, step, step + 50 < N_ART ? step + 50 : N_ART, step == 200 ? 1 : 0);
        artpack_bundle_writer_free(w);
        check_bundle(&m, step + 50 < N_ART ? step + 50 : N_ART);
    }
    free(m.p);
}

/* merge: every block of a bundle with a map copied (with a bundle without
 * one before it) reads back in order; a writer that is not similar refuses
 * such blocks; copying only some blocks fails the commit. */
static void test_copy_blocks(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_ZSTD, 1), q = p;
    membuf a, b, out;
    rd ra, rb;
    artpack_bundle_writer *w = NULL;
    uint64_t blk;
    (void)state;
    q.similar = 0;
    write_sim(&a, &q, 100, 0); /* articles 0..99, no map */
    {
        artpack_bundle_writer *wb = NULL;
        memset(&b, 0, sizeof b);
        ASSERT_ERR(artpack_bundle_writer_create(&wb, &p, NULL, NULL, membuf_write, &b),
                   ARTPACK_OK);
        add_range(wb, 100, N_ART, 0); /* articles 100..399, with a map */
        artpack_bundle_writer_free(wb);
    }
    ASSERT_ERR(rd_of(&ra, &a), ARTPACK_OK);
    ASSERT_ERR(rd_of(&rb, &b), ARTPACK_OK);
    memset(&out, 0, sizeof out);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &out), ARTPACK_OK);
    for (blk = 0; blk < ra.info.block_count; blk++)
        ASSERT_ERR(artpack_bundle_writer_copy_block(w, ra.r, blk), ARTPACK_OK);
    for (blk = 0; blk < rb.info.block_count; blk++)
        ASSERT_ERR(artpack_bundle_writer_copy_block(w, rb.r, blk), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    assert_true(check_bundle(&out, N_ART) > 0);
    /* merge's way, undecoded (a source with a map goes through the decoded
     * copy, which knows the block's slots): the same bytes */
    {
        membuf x;
        memset(&x, 0, sizeof x);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &x), ARTPACK_OK);
        for (blk = 0; blk < ra.info.block_count; blk++)
            ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, ra.r, blk), ARTPACK_OK);
        for (blk = 0; blk < rb.info.block_count; blk++)
            ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, rb.r, blk), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
        artpack_bundle_writer_free(w);
        assert_int_equal(x.len, out.len);
        assert_memory_equal(x.p, out.p, x.len);
        /* and into a writer without similar: refused, as the decoded copy */
        free(x.p);
        memset(&x, 0, sizeof x);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &q, NULL, NULL, membuf_write, &x), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, rb.r, 0), ARTPACK_E_PARAM);
        artpack_bundle_writer_free(w);
        free(x.p);
        /* only some blocks undecoded: the commit refuses the map */
        memset(&x, 0, sizeof x);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &x), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_copy_block_undecoded(w, rb.r, 1), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_INDEX);
        artpack_bundle_writer_free(w);
        free(x.p);
    }
    /* a writer without similar: refused */
    {
        membuf x;
        memset(&x, 0, sizeof x);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &q, NULL, NULL, membuf_write, &x), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_copy_block(w, rb.r, 0), ARTPACK_E_PARAM);
        artpack_bundle_writer_free(w);
        free(x.p);
    }
    /* some blocks only: the map is not a permutation */
    {
        membuf x;
        memset(&x, 0, sizeof x);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &x), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_copy_block(w, rb.r, 1), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_INDEX);
        artpack_bundle_writer_free(w);
        free(x.p);
    }
    rd_close(&ra);
    rd_close(&rb);
    free(a.p);
    free(b.p);
    free(out.p);
}

/* Word envelopes (the dictionary's word transform on each block) and the
 * block map together, as `artpack pack` writes by default: every codec
 * that takes envelopes, rows and columns, in one commit and appended. */
/* A 16 KB dictionary with a word list, trained on the articles, into buf
 * (64 KB). */
static artpack_dict train_dict(unsigned char *buf) {
    unsigned char *all;
    size_t dict_len = 0, total = 0, i;
    artpack_train_params tp;
    artpack_dict d;
    for (i = 0; i < N_ART; i++) total += rec_size[i];
    all = (unsigned char *)tu_malloc(total);
    for (total = 0, i = 0; i < N_ART; i++) {
        memcpy(all + total, rec[i], rec_size[i]);
        total += rec_size[i];
    }
    memset(&tp, 0, sizeof tp);
    tp.dict_size = 16384;
    tp.level = 3;
    tp.words = 200;
    assert_ap_ok(artpack_dict_train(buf, 65536, all, rec_size, N_ART, &tp, &dict_len));
    assert_ap_ok(artpack_dict_load(&d, buf, dict_len));
    assert_non_null(d.words);
    free(all);
    return d;
}

static void test_words_and_map(void **state) {
    static const artpack_codec codecs[] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4};
    unsigned char *dict_buf = (unsigned char *)tu_malloc(65536);
    artpack_dict d = train_dict(dict_buf);
    size_t c, col;
    (void)state;
    rd_dict = &d;
    for (c = 0; c < TU_COUNT(codecs); c++)
        for (col = 0; col < (codecs[c] == ARTPACK_CODEC_ZSTD ? 2u : 1u); col++) {
            artpack_bundle_params p = sim_params(codecs[c], (int)col);
            membuf m;
            rd o;
            p.words = 1;
            write_sim(&m, &p, 250, 0);
            ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
            assert_true(o.info.similar && o.info.words);
            rd_close(&o);
            assert_true(check_bundle(&m, 250) > 250 / 4);
            { /* appended: the new articles assigned by similarity too */
                artpack_bundle_info info;
                artpack_bundle_writer *w = NULL;
                ASSERT_ERR(artpack_bundle_info_get(&info, membuf_read, &m, m.len), ARTPACK_OK);
                ASSERT_ERR(artpack_bundle_appender_open(&w, &info, &d, NULL, membuf_write, &m,
                                                        membuf_read, &m),
                           ARTPACK_OK);
                add_range(w, 250, N_ART, 0);
                artpack_bundle_writer_free(w);
            }
            check_bundle(&m, N_ART);
            free(m.p);
        }
    rd_dict = NULL;
    free(dict_buf);
}

/* Salvage does not trust the index: it hands out every record, in storage
 * order (slots), and says the bundle had a map. */
typedef struct got {
    unsigned char seen[N_ART];
    size_t n;
} got;

static int salvage_cb(void *opaque, const void *r, size_t size) {
    got *g = (got *)opaque;
    artpack_article a;
    size_t k;
    assert_ap_ok(artpack_record_decode(&a, r, size, NULL));
    assert_true(a.id.len > 4);
    k = (size_t)atoi(a.id.ptr + 4);
    assert_true(k < N_ART);
    assert_int_equal(size, rec_size[k]);
    assert_memory_equal(r, rec[k], size);
    g->seen[k]++;
    g->n++;
    return 0;
}

static void test_salvage(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_ZSTD, 1);
    artpack_salvage_stats st;
    membuf m;
    got *g = (got *)tu_zalloc(sizeof(got));
    size_t k;
    (void)state;
    write_sim(&m, &p, N_ART, 0);
    ASSERT_ERR(artpack_bundle_salvage(m.p, m.len, NULL, NULL, salvage_cb, g, &st), ARTPACK_OK);
    assert_true(st.similar);
    assert_int_equal(g->n, N_ART);
    for (k = 0; k < N_ART; k++) assert_int_equal(g->seen[k], 1);
    free(g);
    free(m.p);
}

/* The segment of a one-commit bundle: where its map lies. */
static ap_segment last_segment(const membuf *m) {
    artpack_bundle_info info;
    ap_segment s;
    ASSERT_ERR(artpack_bundle_info_get(&info, membuf_read, (void *)m, m->len), ARTPACK_OK);
    ASSERT_ERR(ap_segment_head_read(m->p + info.last_segment, info.last_segment, m->len, &s),
               ARTPACK_OK);
    return s;
}

static void test_errors(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_STORED, 0);
    membuf m;
    ap_segment s;
    rd o;
    uint64_t slot;
    size_t at;
    (void)state;
    write_sim(&m, &p, 60, 0);
    s = last_segment(&m);
    assert_true((s.flags & AP_SEG_MAP) != 0);
    /* a map entry that leaves the segment: get and slot say ARTPACK_E_INDEX;
     * the segment's checksum (check_index) too */
    at = (size_t)ap_segment_map_at(&s) + 2 * 5;
    m.p[at] = 0x00;
    m.p[at + 1] = 0x40; /* +16384 */
    ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_slot(o.r, 5, &slot), ARTPACK_E_INDEX);
    {
        const void *r;
        size_t size;
        ASSERT_ERR(artpack_bundle_get(o.r, 5, &r, &size), ARTPACK_E_INDEX);
        m.p[at + 1] = 0xC0; /* -16384 */
        rd_close(&o);
        ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_get(o.r, 5, &r, &size), ARTPACK_E_INDEX);
    }
    ASSERT_ERR(artpack_bundle_check_index(o.r), ARTPACK_E_INDEX);
    rd_close(&o);
    /* unknown segment flags: ARTPACK_E_INDEX */
    {
        unsigned char h[8 + AP_SEGMENT_HEAD];
        ap_segment t;
        memcpy(h, m.p + s.offset, sizeof h);
        h[8 + 44] |= 2;
        ASSERT_ERR(ap_segment_head_read(h, s.offset, m.len, &t), ARTPACK_E_INDEX);
    }
    /* the header's similar flag on a version 2 header: ARTPACK_E_BUNDLE */
    {
        ap_bundle_header h, back;
        unsigned char chunk[AP_HEADER_CHUNK];
        memset(&h, 0, sizeof h);
        h.codec = ARTPACK_CODEC_STORED;
        h.similar = 1;
        h.block_size = BLOCK;
        ap_header_write(chunk, &h);
        ASSERT_ERR(ap_header_read(chunk, &back), ARTPACK_OK);
        assert_true(back.similar);
        chunk[8 + 4] = 2;
        ap_write_le32(chunk + 8 + 20, ap_bundle_checksum(chunk + 8, 20));
        ASSERT_ERR(ap_header_read(chunk, &back), ARTPACK_E_BUNDLE);
    }
    /* a window over 1 GB: ARTPACK_E_PARAM */
    {
        artpack_bundle_writer *w = NULL;
        membuf x;
        memset(&x, 0, sizeof x);
        p.similar_window = ((size_t)1 << 30) + 1;
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &x),
                   ARTPACK_E_PARAM);
        assert_null(w);
        free(x.p);
    }
    free(m.p);
}

/* ---- the spill: the pending id hashes and block map outside memory ---- */

#define N_SMALL 512
static unsigned char *small_rec[N_SMALL];
static size_t small_size[N_SMALL];

typedef struct spillbuf {
    membuf m;
    long reads;
} spillbuf;

static int spill_write(void *opaque, const void *data, size_t size) {
    return membuf_write(&((spillbuf *)opaque)->m, data, size);
}

static int spill_read(void *opaque, uint64_t off, void *dst, size_t size) {
    spillbuf *sp = (spillbuf *)opaque;
    sp->reads++;
    return membuf_read(&sp->m, off, dst, size);
}

/* Small articles of the four topics (a title of a few words): many of them
 * fill the spill's pieces (32,768 articles each) quickly. */
static void make_small(void) {
    size_t i;
    for (i = 0; i < N_SMALL; i++) {
        artpack_article a;
        char id[16], title[64];
        artpack_article_init(&a);
        sprintf(id, "s-%zu", i);
        a.id = tu_str(id);
        a.title.len = topic_text(title, 30 + rng() % 30, (int)((i * 7 / 3) % 4));
        a.title.ptr = title;
        small_rec[i] = encode_exact(&a, &small_size[i]);
    }
}

/* Commits of 34,000, 30, 2,000 and 34,000 articles (the third absorbs the
 * second, the fourth all: the first commit's hashes and map read back from
 * the spill), then an append of 1,000: with sp, through a spill (a new one
 * for the appender). */
static void spill_sim_bundle(membuf *out, spillbuf *sp) {
    static const size_t sizes[] = {34000, 30, 2000, 34000};
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_STORED, 0);
    artpack_bundle_writer *w = NULL;
    artpack_bundle_info info;
    size_t c, i, from = 0;
    p.block_size = 2048;
    p.similar_window = 16 * 2048;
    memset(out, 0, sizeof *out);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, out), ARTPACK_OK);
    if (sp) ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, sp), ARTPACK_OK);
    for (c = 0; c < TU_COUNT(sizes); c++) {
        for (i = 0; i < sizes[c]; i++, from++)
            ASSERT_ERR(artpack_bundle_writer_add(w, small_rec[from % N_SMALL],
                                                 small_size[from % N_SMALL]),
                       ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    }
    artpack_bundle_writer_free(w);
    if (sp) {
        /* the first commit's hashes and map went through it, 2 + 2 B each,
         * and were read back (to write its segment, and when absorbed) */
        assert_true(sp->m.len >= (size_t)4 * 34000);
        assert_true(sp->reads > 0);
        free(sp->m.p);
        memset(&sp->m, 0, sizeof sp->m);
    }
    ASSERT_ERR(artpack_bundle_info_get(&info, membuf_read, out, out->len), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, NULL, NULL, membuf_write, out, membuf_read,
                                            out),
               ARTPACK_OK);
    if (sp) ASSERT_ERR(artpack_bundle_writer_set_spill(w, spill_write, spill_read, sp), ARTPACK_OK);
    for (i = 0; i < 1000; i++, from++)
        ASSERT_ERR(artpack_bundle_writer_add(w, small_rec[from % N_SMALL], small_size[from % N_SMALL]),
                   ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    if (sp) free(sp->m.p);
}

/* With a spill, the same bytes as without (the map's pieces go through it
 * with the hashes'); the map a permutation, every article in its place. */
static void test_spill_same_bytes(void **state) {
    membuf plain, spilled;
    spillbuf sp;
    rd o;
    uint64_t n, s, moved = 0;
    unsigned char *seen;
    (void)state;
    make_small();
    memset(&sp, 0, sizeof sp);
    spill_sim_bundle(&plain, NULL);
    spill_sim_bundle(&spilled, &sp);
    assert_int_equal(spilled.len, plain.len);
    assert_memory_equal(spilled.p, plain.p, plain.len);
    ASSERT_ERR(rd_of(&o, &spilled), ARTPACK_OK);
    assert_true(o.info.similar);
    assert_int_equal(o.info.article_count, 71030);
    ASSERT_ERR(artpack_bundle_check_index(o.r), ARTPACK_OK);
    seen = (unsigned char *)tu_zalloc((size_t)o.info.article_count);
    for (n = 0; n < o.info.article_count; n++) {
        ASSERT_ERR(artpack_bundle_slot(o.r, n, &s), ARTPACK_OK);
        assert_true(s < o.info.article_count && !seen[s]);
        seen[s] = 1;
        if (s != n) moved++;
        if (n % 97 == 0) {
            const void *r;
            size_t size;
            ASSERT_ERR(artpack_bundle_get(o.r, n, &r, &size), ARTPACK_OK);
            assert_int_equal(size, small_size[n % N_SMALL]);
            assert_memory_equal(r, small_rec[n % N_SMALL], size);
        }
    }
    assert_true(moved > o.info.article_count / 4);
    {
        uint64_t at = 0;
        ASSERT_ERR(artpack_bundle_find_id(o.r, "s-77", 4, &at), ARTPACK_OK);
        assert_int_equal(at % N_SMALL, 77);
    }
    rd_close(&o);
    free(seen);
    free(plain.p);
    free(spilled.p);
    for (n = 0; n < N_SMALL; n++) free(small_rec[n]);
}

/* The errors artpack_bundle_slot and artpack_bundle_get_slot (those of
 * artpack_bundle_get) document: a failed read (of the map; of a block), a
 * damaged block, a block entry that leaves the segment, a block frame that
 * asks for a dictionary the bundle does not name, or names another. */
static void test_slot_errors(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_STORED, 0);
    unsigned char *dict_buf = (unsigned char *)tu_malloc(65536);
    artpack_dict d = train_dict(dict_buf);
    membuf m;
    ap_segment s;
    rd o;
    uint64_t slot, at, named;
    const void *r;
    size_t size;
    (void)state;
    write_sim(&m, &p, 60, 0);
    s = last_segment(&m);
    at = ap_segment_map_at(&s);
    ASSERT_ERR(rd_open_src(&o, m.p, m.len, NULL, at, at + 2), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_slot(o.r, 0, &slot), ARTPACK_E_READ);
    rd_close(&o);
    /* the first block's chunk follows the header (no dictionary) */
    ASSERT_ERR(rd_open_src(&o, m.p, m.len, NULL, AP_HEADER_CHUNK, AP_HEADER_CHUNK + 16),
               ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_get_slot(o.r, 0, &r, &size), ARTPACK_E_READ);
    rd_close(&o);
    m.p[AP_HEADER_CHUNK + 40] ^= 0x55; /* inside its records: the frame's checksum fails */
    ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_get_slot(o.r, 0, &r, &size), ARTPACK_E_BLOCK);
    rd_close(&o);
    m.p[AP_HEADER_CHUNK + 40] ^= 0x55;
    at = ap_segment_entries_at(&s); /* the first block entry's offset: past its segment */
    ap_write_le32(m.p + at, (uint32_t)m.len);
    ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_get_slot(o.r, 0, &r, &size), ARTPACK_E_INDEX);
    rd_close(&o);
    free(m.p);
    /* LZ4 frames that ask for a dictionary: none named (NEED_DICT), or
     * another (WRONG_DICT); the artpack frame's first byte is its flags */
    for (named = 0; named <= 1; named++) {
        artpack_bundle_params q = sim_params(ARTPACK_CODEC_LZ4, 0);
        unsigned char *flags;
        rd_dict = named ? &d : NULL;
        write_sim(&m, &q, 60, 0);
        flags = m.p + AP_HEADER_CHUNK + 8; /* the first block's (no dictionary chunk) */
        if (named) {
            assert_true((*flags & 0x04) && !(*flags & 0x08));
            *flags |= 0x08; /* it names a dictionary: the 4 bytes after its size */
        } else {
            assert_true(!(*flags & 0x04));
            *flags |= 0x04; /* it uses a dictionary */
        }
        ASSERT_ERR(rd_of(&o, &m), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_check_block(o.r, 0, NULL, NULL),
                   named ? ARTPACK_E_WRONG_DICT : ARTPACK_E_NEED_DICT);
        ASSERT_ERR(artpack_bundle_get_slot(o.r, 0, &r, &size),
                   named ? ARTPACK_E_WRONG_DICT : ARTPACK_E_NEED_DICT);
        rd_close(&o);
        free(m.p);
    }
    rd_dict = NULL;
    free(dict_buf);
}

/* Every allocation of a similar writer can fail: ARTPACK_E_ALLOC, nothing
 * leaked; and with none failing, the bytes of the plain allocator. */
static void test_alloc_failures(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_STORED, 0);
    artpack_allocator fa;
    membuf want;
    long at;
    (void)state;
    fa.alloc = fail_alloc;
    fa.free = fail_free;
    fa.opaque = NULL;
    write_sim(&want, &p, 80, 0);
    for (at = 1;; at++) {
        artpack_bundle_writer *w = NULL;
        membuf x;
        artpack_error e;
        size_t i;
        memset(&x, 0, sizeof x);
        alloc_calls = 0;
        alloc_live = 0;
        alloc_fail_at = at;
        e = artpack_bundle_writer_create(&w, &p, NULL, &fa, membuf_write, &x);
        for (i = 0; e == ARTPACK_OK && i < 80; i++) e = artpack_bundle_writer_add(w, rec[i], rec_size[i]);
        if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
        artpack_bundle_writer_free(w);
        assert_int_equal(alloc_live, 0);
        if (e == ARTPACK_OK) {
            assert_int_equal(x.len, want.len);
            assert_memory_equal(x.p, want.p, x.len);
            free(x.p);
            break;
        }
        ASSERT_ERR(e, ARTPACK_E_ALLOC);
        free(x.p);
    }
    assert_true(at > 10); /* the similarity order's allocations were among them */
    alloc_fail_at = 0;
    free(want.p);
}

/* Every byte of a similar bundle flipped: the reader refuses or reads,
 * never out of bounds (ASan), every error named. */
static void test_bit_flips(void **state) {
    artpack_bundle_params p = sim_params(ARTPACK_CODEC_STORED, 0);
    membuf m;
    size_t i;
    (void)state;
    write_sim(&m, &p, 40, 0);
    for (i = 0; i < m.len; i++) {
        rd o;
        uint64_t n;
        m.p[i] ^= 0x21;
        if (rd_of(&o, &m) == ARTPACK_OK) {
            for (n = 0; n < o.info.article_count; n++) {
                const void *r;
                size_t size;
                artpack_error e = artpack_bundle_get(o.r, n, &r, &size);
                assert_true(e == ARTPACK_OK || strcmp(artpack_error_name(e), "ARTPACK_E_UNKNOWN") != 0);
            }
        }
        rd_close(&o);
        m.p[i] ^= 0x21;
    }
    free(m.p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_blocks_by_topic),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_commits_and_append),
        cmocka_unit_test(test_copy_blocks),
        cmocka_unit_test(test_words_and_map),
        cmocka_unit_test(test_salvage),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_spill_same_bytes),
        cmocka_unit_test(test_slot_errors),
        cmocka_unit_test(test_bit_flips),
    };
    return cmocka_run_group_tests(tests, sim_setup, sim_teardown);
}
