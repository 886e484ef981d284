/* test_bundle.c - bundles: round trips for every codec, dictionary mode and
 * block size; appends; power loss at every cut; bit flips everywhere; every
 * error the bundle API returns; block copies; reader memory. Synthetic
 * articles and dictionaries trained here (no corpus needed).
 *
 * Tests named test_regression_* pin down bugs that are reported but not
 * fixed: they are skipped unless ARTPACK_TEST_KNOWN_BUGS is set. */
#include "test_util.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define ASSERT_ERR(expr, want)                                                       \
    do {                                                                             \
        artpack_error got_ = (expr);                                                 \
        if (got_ != (want))                                                          \
            fail_msg("%s: got %s, wanted %s", #expr, artpack_error_name(got_),       \
                     artpack_error_name(want));                                      \
    } while (0)

/* An error with a name (not OK, not an unknown number). */
#define ASSERT_NAMED(expr)                                                           \
    do {                                                                             \
        artpack_error named_ = (expr);                                               \
        if (named_ == ARTPACK_OK ||                                                  \
            strcmp(artpack_error_name(named_), "ARTPACK_E_UNKNOWN") == 0)            \
            fail_msg("%s: got %s (%d), wanted a named error", #expr,                 \
                     artpack_error_name(named_), (int)named_);                       \
    } while (0)

typedef unsigned long long ull;

#include "synthetic.h"
#include "../codec/bundle_format.h" /* the columnar layout, tested directly */

#define N_RECORDS 300
#define N_EXTRA 4    /* odd records after the N_RECORDS synthetic ones */
#define N_ALL (N_RECORDS + N_EXTRA)

typedef struct recset {
    unsigned char *rec[N_ALL];
    size_t size[N_ALL];
    char id[N_ALL][16];
    int id_len[N_ALL]; /* -1: the article has no id */
} recset;

static recset recs;  /* the test articles */
static size_t iota[N_ALL + 1];

/* Record i's id: "id-i", except that ids repeat: every 50th from 49 has
 * the id of record i - 40, every 50th from 75 that of record i - 70 (in the
 * previous commit in test_append); record 7 has none, record 8 an empty one. */
static int id_of(size_t i, char *buf) {
    if (i == 7) return -1;
    if (i == 8) {
        buf[0] = '\0';
        return 0;
    }
    if (i % 50 == 49) i -= 40;
    else if (i % 50 == 25 && i >= 75) i -= 70;
    return sprintf(buf, "id-%zu", i);
}

/* N_RECORDS records of synthetic articles, each in its own exact-size heap
 * block (so ASan sees any read past one). */
static void make_records(recset *rs, uint32_t seed) {
    char title[128], p1[1024], p2[1024], id[16];
    size_t i;
    rng_state = seed;
    for (i = 0; i < N_RECORDS; i++) {
        artpack_article a;
        artpack_str body[2];
        int idn = id_of(i, id);
        artpack_article_init(&a);
        if (idn >= 0) {
            a.id.ptr = id;
            a.id.len = (size_t)idn;
        }
        a.title.len = make_text(title, 60 + rng() % 60);
        a.title.ptr = title;
        a.source.ptr = "Wire";
        a.source.len = 4;
        body[0].len = make_text(p1, 100 + rng() % 600);
        body[0].ptr = p1;
        body[1].len = make_text(p2, 100 + rng() % 600);
        body[1].ptr = p2;
        a.body.present = 1;
        a.body.items = body;
        a.body.count = 2;
        rs->rec[i] = encode_exact(&a, &rs->size[i]);
        if (idn > 0) memcpy(rs->id[i], id, (size_t)idn);
        rs->id_len[i] = idn;
    }
}

/* Records N_RECORDS.. : an empty article; a 200 KB one (bigger than most
 * blocks); 30 KB of random bytes (incompressible); an article with only an id. */
static void make_extra_records(recset *rs) {
    static char big[210000], noise[30000];
    artpack_str paras[40];
    artpack_article a;
    size_t i, at = 0;
    rng_state = 31337;
    artpack_article_init(&a);
    rs->rec[300] = encode_exact(&a, &rs->size[300]);
    rs->id_len[300] = -1;
    for (i = 0; i < 40; i++) {
        paras[i].len = make_text(big + at, 5000);
        paras[i].ptr = big + at;
        at += paras[i].len + 1;
    }
    artpack_article_init(&a);
    a.id.ptr = "id-301";
    a.id.len = 6;
    a.body.present = 1;
    a.body.items = paras;
    a.body.count = 40;
    rs->rec[301] = encode_exact(&a, &rs->size[301]);
    for (i = 0; i < sizeof noise; i++) noise[i] = (char)rng();
    artpack_article_init(&a);
    a.id.ptr = "id-302";
    a.id.len = 6;
    a.title.ptr = noise;
    a.title.len = sizeof noise;
    rs->rec[302] = encode_exact(&a, &rs->size[302]);
    artpack_article_init(&a);
    a.id.ptr = "id-303";
    a.id.len = 6;
    rs->rec[303] = encode_exact(&a, &rs->size[303]);
    for (i = 301; i <= 303; i++) {
        rs->id_len[i] = sprintf(rs->id[i], "id-%zu", i);
    }
}

static void free_records(recset *rs) {
    size_t i;
    for (i = 0; i < N_ALL; i++) {
        free(rs->rec[i]);
        rs->rec[i] = NULL;
    }
}

static unsigned char dict_a[16384], dict_b[16384];
static size_t dict_a_len, dict_b_len;
static artpack_dict da, db;

/* Trains an 8 KB dictionary (level 3) on records of seed. */
static int train(unsigned char *dst, size_t cap, size_t *len, uint32_t seed) {
    static recset t;
    size_t sizes[N_RECORDS], total = 0, i;
    unsigned char *all;
    artpack_train_params p;
    artpack_error e;
    make_records(&t, seed);
    for (i = 0; i < N_RECORDS; i++) total += t.size[i];
    all = (unsigned char *)tu_malloc(total);
    for (i = 0, total = 0; i < N_RECORDS; i++) {
        memcpy(all + total, t.rec[i], t.size[i]);
        sizes[i] = t.size[i];
        total += t.size[i];
    }
    memset(&p, 0, sizeof p);
    p.dict_size = 8192;
    p.level = 3;
    e = artpack_dict_train(dst, cap, all, sizes, N_RECORDS, &p, len);
    free(all);
    free_records(&t);
    return e == ARTPACK_OK ? 0 : -1;
}

static int setup(void **state) {
    size_t i;
    (void)state;
    if (train(dict_a, sizeof dict_a, &dict_a_len, 12345) != 0 ||
        train(dict_b, sizeof dict_b, &dict_b_len, 999) != 0)
        return -1;
    if (artpack_dict_load(&da, dict_a, dict_a_len) != ARTPACK_OK ||
        artpack_dict_load(&db, dict_b, dict_b_len) != ARTPACK_OK || da.id == db.id)
        return -1;
    make_records(&recs, 4242); /* the test articles: not the training ones */
    make_extra_records(&recs);
    for (i = 0; i <= N_ALL; i++) iota[i] = i;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    free_records(&recs);
    return 0;
}

/* ---- output and input through the callbacks ---- */

/* A growable output buffer; the write fails from call fail_at on (0: never). */
typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
    long calls, fail_at, calls_after_fail;
} membuf;

static int membuf_write(void *opaque, const void *data, size_t size) {
    membuf *m = (membuf *)opaque;
    m->calls++;
    if (m->fail_at != 0 && m->calls >= m->fail_at) {
        if (m->calls > m->fail_at) m->calls_after_fail++;
        return -1;
    }
    if (size > m->cap - m->len) {
        size_t cap = m->cap ? m->cap : 4096;
        unsigned char *p;
        while (cap - m->len < size) cap *= 2;
        p = (unsigned char *)realloc(m->p, cap);
        if (p == NULL) return -1;
        m->p = p;
        m->cap = cap;
    }
    if (size) memcpy(m->p + m->len, data, size);
    m->len += size;
    return 0;
}

/* Reads what was written so far (the appender reads older index segments). */
static int membuf_read(void *opaque, uint64_t off, void *dst, size_t size) {
    const membuf *m = (const membuf *)opaque;
    if (off > m->len || size > m->len - off) return 1;
    if (size) memcpy(dst, m->p + off, size);
    return 0;
}

static void membuf_free(membuf *m) {
    free(m->p);
    memset(m, 0, sizeof *m);
}

/* A read callback over p[0..len); reads touching [fail_lo, fail_hi) fail. */
typedef struct memsrc {
    const unsigned char *p;
    uint64_t len;
    uint64_t fail_lo, fail_hi;
    long reads;
} memsrc;

static int memsrc_read(void *opaque, uint64_t off, void *dst, size_t size) {
    memsrc *s = (memsrc *)opaque;
    s->reads++;
    if (off > s->len || size > s->len - off) return 1;
    if (s->fail_hi > s->fail_lo && off < s->fail_hi && off + size > s->fail_lo) return 1;
    if (size) memcpy(dst, s->p + off, size);
    return 0;
}

/* A reader over p[0..len) in a workspace of exactly the size it asks for. */
typedef struct rd {
    memsrc src;
    artpack_bundle_info info;
    void *ws;
    size_t ws_size;
    artpack_bundle_reader *r;
} rd;

static artpack_error rd_open_src(rd *o, const void *p, size_t len, const artpack_dict *d,
                                 uint64_t fail_lo, uint64_t fail_hi) {
    artpack_error e;
    memset(o, 0, sizeof *o);
    o->src.p = (const unsigned char *)p;
    o->src.len = len;
    o->src.fail_lo = fail_lo;
    o->src.fail_hi = fail_hi;
    e = artpack_bundle_info_get(&o->info, memsrc_read, &o->src, len);
    if (e != ARTPACK_OK) return e;
    o->ws_size = artpack_bundle_reader_workspace_size(&o->info, d == NULL);
    assert_true(o->ws_size > 0);
    o->ws = tu_malloc(o->ws_size);
    return artpack_bundle_reader_open(&o->r, o->ws, o->ws_size, &o->info, d, memsrc_read,
                                      &o->src);
}

static artpack_error rd_open(rd *o, const void *p, size_t len, const artpack_dict *d) {
    return rd_open_src(o, p, len, d, 0, 0);
}

static void rd_close(rd *o) {
    free(o->ws);
    o->ws = NULL;
    o->r = NULL;
}

/* ---- writing ---- */

/* 1: the tests' bundles are columnar (artpack_bundle_params.columns) */
static int columns_mode;

static artpack_bundle_params params_of(artpack_codec codec, size_t block_size, int embed) {
    artpack_bundle_params p;
    memset(&p, 0, sizeof p);
    p.codec = codec;
    p.block_size = block_size;
    p.embed_dict = embed;
    p.columns = columns_mode;
    return p;
}

static void add_all(artpack_bundle_writer *w, const size_t *map, size_t count) {
    size_t i;
    for (i = 0; i < count; i++)
        ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[map[i]], recs.size[map[i]]), ARTPACK_OK);
}

/* A new bundle of the records map[0..count), one commit. */
static void write_bundle(membuf *out, const artpack_bundle_params *p, const artpack_dict *d,
                         const size_t *map, size_t count) {
    artpack_bundle_writer *w = NULL;
    ASSERT_ERR(artpack_bundle_writer_create(&w, p, d, NULL, membuf_write, out), ARTPACK_OK);
    add_all(w, map, count);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
}

/* Appends map[0..count) to the bundle in out, one commit. */
static void append_bundle(membuf *out, const artpack_dict *d, const size_t *map, size_t count) {
    artpack_bundle_info info;
    artpack_bundle_writer *w = NULL;
    memsrc s;
    memset(&s, 0, sizeof s);
    s.p = out->p;
    s.len = out->len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, out->len), ARTPACK_OK);
    assert_int_equal(info.end_offset, out->len);
    ASSERT_ERR(artpack_bundle_appender_open(&w, &info, d, NULL, membuf_write, out, membuf_read, out), ARTPACK_OK);
    add_all(w, map, count);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
}

/* The writer's rule: a block closes when the next record would take its
 * records past block_size. Returns the block count; starts[] gets each
 * block's first article, *max_content the largest block content. */
static size_t simulate_blocks(const size_t *map, size_t count, size_t block_size, size_t *starts,
                              size_t *max_content) {
    size_t nb = 0, rec_len = 0, sizes_len = 0, in_block = 0, i;
    *max_content = 0;
    for (i = 0; i <= count; i++) {
        size_t sz = i < count ? recs.size[map[i]] : 0;
        if (in_block > 0 && (i == count || rec_len + sz > block_size)) {
            size_t content = sc_varint_size(in_block) + sizes_len + rec_len;
            if (content > *max_content) *max_content = content;
            nb++;
            rec_len = sizes_len = in_block = 0;
        }
        if (i == count) break;
        if (in_block == 0 && starts != NULL) starts[nb] = i;
        rec_len += sz;
        sizes_len += sc_varint_size(sz);
        in_block++;
    }
    return nb;
}

/* ---- reading ---- */

static int same_record(const void *rec, size_t size, size_t want) {
    return size == recs.size[want] && (size == 0 || memcmp(rec, recs.rec[want], size) == 0);
}

/* Article n reads back as record want. */
static void expect_article(artpack_bundle_reader *r, uint64_t n, size_t want) {
    const void *rec = NULL;
    size_t size = 0;
    artpack_error e = artpack_bundle_get(r, n, &rec, &size);
    if (e != ARTPACK_OK) fail_msg("artpack_bundle_get(%llu): %s", (ull)n, artpack_error_name(e));
    if (!same_record(rec, size, want))
        fail_msg("article %llu (%zu bytes) is not record %zu (%zu bytes)", (ull)n, size, want,
                 recs.size[want]);
}

/* The first n >= start whose id is id[0..len), or count. */
static uint64_t expected_find(const size_t *map, size_t count, const char *id, int len,
                              uint64_t start) {
    uint64_t n;
    for (n = start; n < count; n++) {
        size_t k = map[n];
        if (recs.id_len[k] == len && (len == 0 || memcmp(recs.id[k], id, (size_t)len) == 0))
            return n;
    }
    return count;
}

static void check_find(artpack_bundle_reader *r, const size_t *map, size_t count, const char *id,
                       int len) {
    uint64_t start = 0;
    int hops = 0;
    for (;;) {
        uint64_t want = expected_find(map, count, id, len, start), n = start;
        artpack_error e = artpack_bundle_find_id(r, id, (size_t)len, &n);
        if (want == count) {
            if (e != ARTPACK_E_NOT_FOUND)
                fail_msg("find_id(\"%.*s\") from %llu: %s (n=%llu), wanted ARTPACK_E_NOT_FOUND",
                         len, id, (ull)start, artpack_error_name(e), (ull)n);
            break;
        }
        if (e != ARTPACK_OK || n != want)
            fail_msg("find_id(\"%.*s\") from %llu: %s, n=%llu, wanted %llu", len, id, (ull)start,
                     artpack_error_name(e), (ull)n, (ull)want);
        start = n + 1;
        if (++hops > 10) break;
    }
}

/* ~20 ids spread over the bundle, a repeated one, the empty one, a missing one. */
static void check_ids(artpack_bundle_reader *r, const size_t *map, size_t count) {
    size_t j;
    for (j = 0; j < 20 && count > 0; j++) {
        size_t k = map[count * j / 20];
        if (recs.id_len[k] > 0) check_find(r, map, count, recs.id[k], recs.id_len[k]);
    }
    check_find(r, map, count, "id-9", 4);   /* also record 49's id */
    check_find(r, map, count, "id-59", 5);  /* also record 99's id */
    check_find(r, map, count, "id-55", 5);  /* also record 125's id */
    check_find(r, map, count, "id-105", 6); /* also record 175's id */
    check_find(r, map, count, "", 0);       /* record 8 (record 7 has no id) */
    check_find(r, map, count, "id-missing", 10);
    check_find(r, map, count, "id-1", 3);   /* a prefix of many ids */
}

/* A map callback over p[0..len): NULL past the end. */
typedef struct memmap {
    const unsigned char *p;
    uint64_t len;
} memmap;

static const void *memmap_map(void *opaque, uint64_t off, size_t size) {
    const memmap *m = (const memmap *)opaque;
    if (off > m->len || size > m->len - off) return NULL;
    return m->p + off;
}

/* The same through a mapped reader (blocks decompressed where they lie),
 * over an exact-size copy. */
static void verify_mapped(const unsigned char *p, size_t len, const artpack_dict *d,
                          const size_t *map, size_t count) {
    artpack_bundle_info info;
    artpack_bundle_reader *r = NULL;
    memmap m;
    memsrc s;
    size_t ws_size;
    void *ws;
    uint64_t n, b;
    const void *rec;
    size_t size;
    unsigned char *copy = tu_dup(p, len);
    memset(&s, 0, sizeof s);
    s.p = copy;
    s.len = len;
    m.p = copy;
    m.len = len;
    ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, len), ARTPACK_OK);
    ws_size = artpack_bundle_reader_workspace_size_mapped(&info, d == NULL);
    assert_true(ws_size <= artpack_bundle_reader_workspace_size(&info, d == NULL));
    ws = tu_malloc(ws_size);
    ASSERT_ERR(artpack_bundle_reader_open_mapped(&r, ws, ws_size - 1, &info, d, memmap_map, &m),
               ARTPACK_E_WORKSPACE_TOO_SMALL);
    ASSERT_ERR(artpack_bundle_reader_open_mapped(&r, ws, ws_size, &info, d, memmap_map, &m),
               ARTPACK_OK);
    for (n = 0; n < count; n++) expect_article(r, n, map[n]);
    for (n = count; n-- > 0;) expect_article(r, n, map[n]);
    ASSERT_ERR(artpack_bundle_get(r, count, &rec, &size), ARTPACK_E_NOT_FOUND);
    for (b = 0; b < info.block_count; b++)
        ASSERT_ERR(artpack_bundle_check_block(r, b, NULL, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_check_index(r), ARTPACK_OK);
    check_ids(r, map, count);
    free(ws);
    free(copy);
}

/* Everything a reader offers, on the bundle p[0..len) holding map[0..count). */
static void verify_bundle(const unsigned char *p, size_t len, const artpack_dict *d,
                          const size_t *map, size_t count) {
    rd o;
    uint64_t n, b, next_first = 0, prev_offset = 0;
    const void *rec;
    size_t size;
    tu_rng g;
    ASSERT_ERR(rd_open(&o, p, len, d), ARTPACK_OK);
    assert_int_equal(o.info.article_count, count);
    assert_int_equal(o.info.end_offset, len);
    assert_int_equal(o.info.recovered_footer, 0);
    for (n = 0; n < count; n++) expect_article(o.r, n, map[n]);
    ASSERT_ERR(artpack_bundle_get(o.r, count, &rec, &size), ARTPACK_E_NOT_FOUND);
    ASSERT_ERR(artpack_bundle_get(o.r, (uint64_t)-1, &rec, &size), ARTPACK_E_NOT_FOUND);
    g.state = count;
    for (n = 0; n < count; n++) {
        uint64_t k = tu_below(&g, count);
        expect_article(o.r, k, map[k]);
    }
    for (n = count; n-- > 0;) expect_article(o.r, n, map[n]); /* backwards */
    for (b = 0; b < o.info.block_count; b++) {
        uint64_t first = 12345;
        uint32_t cnt = 0;
        ASSERT_ERR(artpack_bundle_check_block(o.r, b, &first, &cnt), ARTPACK_OK);
        assert_int_equal(first, next_first);
        assert_true(cnt > 0);
        for (n = first; n < first + cnt; n++) {
            artpack_bundle_location where;
            ASSERT_ERR(artpack_bundle_locate(o.r, n, &where), ARTPACK_OK);
            assert_int_equal(where.block, b);
            assert_int_equal(where.block_first, first);
            assert_int_equal(where.block_articles, cnt);
            assert_true(where.block_first <= n && n < where.block_first + where.block_articles);
            assert_true(where.block_frame_size <= o.info.max_block_frame);
            assert_true(where.block_offset + where.block_frame_size <= len);
            if (n == first) { /* blocks follow each other in the file */
                assert_true(where.block_offset >= prev_offset);
                prev_offset = where.block_offset + where.block_frame_size;
            }
        }
        next_first += cnt;
    }
    assert_int_equal(next_first, count);
    ASSERT_ERR(artpack_bundle_check_block(o.r, o.info.block_count, NULL, NULL), ARTPACK_E_NOT_FOUND);
    {
        artpack_bundle_location where;
        ASSERT_ERR(artpack_bundle_locate(o.r, count, &where), ARTPACK_E_NOT_FOUND);
    }
    ASSERT_ERR(artpack_bundle_check_index(o.r), ARTPACK_OK);
    check_ids(o.r, map, count);
    rd_close(&o);
    verify_mapped(p, len, d, map, count);
}

/* ---- salvage: what came back, compared with what was written ---- */

typedef struct salv {
    const size_t *map;      /* the articles in order */
    size_t count;
    size_t skip_lo, skip_hi; /* articles that may be missing as a whole (a damaged block) */
    int any_skip;           /* 1: any articles may be missing (still in order) */
    size_t next;            /* the next article expected */
    size_t got;
    long calls, stop_after;
    int bad;
    long seen[512];         /* which record each one was (-1: none), for messages */
} salv;

static long which_record(const void *rec, size_t size) {
    long k;
    for (k = 0; k < N_ALL; k++)
        if (same_record(rec, size, (size_t)k)) return k;
    return -1;
}

static int salv_cb(void *opaque, const void *rec, size_t size) {
    salv *s = (salv *)opaque;
    if (s->got < sizeof s->seen / sizeof s->seen[0]) s->seen[s->got] = which_record(rec, size);
    s->calls++;
    if (s->next == s->skip_lo && s->skip_hi > s->skip_lo &&
        (s->next >= s->count || !same_record(rec, size, s->map[s->next])))
        s->next = s->skip_hi;
    if (s->any_skip)
        while (s->next < s->count && !same_record(rec, size, s->map[s->next])) s->next++;
    if (s->next >= s->count || !same_record(rec, size, s->map[s->next]))
        s->bad = 1;
    else
        s->next++;
    s->got++;
    return s->stop_after != 0 && s->calls >= s->stop_after;
}

/* "0..19 23..39": the records salvage handed over, for failure messages. */
static const char *salv_seen(const salv *s) {
    static char buf[2048];
    size_t i, n = s->got < 512 ? s->got : 512, at = 0;
    buf[0] = '\0';
    for (i = 0; i < n && at + 24 < sizeof buf; i++) {
        long k = s->seen[i];
        int run_start = i == 0 || k < 0 || s->seen[i - 1] != k - 1;
        int run_end = i + 1 == n || k < 0 || s->seen[i + 1] != k + 1;
        if (run_start) at += (size_t)sprintf(buf + at, "%s%ld", i ? " " : "", k);
        else if (run_end) at += (size_t)sprintf(buf + at, "..%ld", k);
    }
    return buf;
}

static void salv_init(salv *s, const size_t *map, size_t count) {
    memset(s, 0, sizeof *s);
    s->map = map;
    s->count = count;
    s->skip_lo = s->skip_hi = count;
}

/* artpack_bundle_salvage, then artpack_bundle_salvage_read over the same
 * bytes (through a memsrc, so a window at a time): the same records in the
 * same order and the same stats, whenever the first ran to its end. */
typedef struct digest {
    uint64_t n;
    uint32_t h;
    artpack_record_fn cb; /* the caller's, after the digest (NULL: none) */
    void *opaque;
} digest;

static int digest_cb(void *opaque, const void *rec, size_t size) {
    digest *d = (digest *)opaque;
    d->n++;
    d->h = XXH32(rec, size, d->h);
    return d->cb ? d->cb(d->opaque, rec, size) : 0;
}

static artpack_error salvage_both(const unsigned char *p, size_t len, const artpack_dict *d,
                                  const artpack_allocator *mem, artpack_record_fn cb,
                                  void *opaque, artpack_salvage_stats *st) {
    digest a, b;
    memsrc src;
    artpack_salvage_stats st2;
    artpack_error e;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.cb = cb;
    a.opaque = opaque;
    e = artpack_bundle_salvage(p, len, d, mem, digest_cb, &a, st);
    if (e != ARTPACK_OK) return e; /* stopped by the callback or the allocator */
    memset(&src, 0, sizeof src);
    src.p = p;
    src.len = len;
    ASSERT_ERR(artpack_bundle_salvage_read(memsrc_read, &src, len, d, NULL, digest_cb, &b, &st2),
               ARTPACK_OK);
    assert_int_equal(b.n, a.n);
    assert_int_equal(b.h, a.h);
    assert_true(memcmp(st, &st2, sizeof st2) == 0);
    return e;
}

/* Salvage of an intact bundle: every article, in order, every block whole. */
static void verify_salvage(const unsigned char *p, size_t len, const artpack_dict *d,
                           const size_t *map, size_t count, uint64_t blocks) {
    artpack_salvage_stats st;
    salv sv;
    unsigned char *copy = tu_dup(p, len);
    salv_init(&sv, map, count);
    ASSERT_ERR(salvage_both(copy, len, d, NULL, salv_cb, &sv, &st), ARTPACK_OK);
    free(copy);
    if (sv.bad || sv.got != count || st.articles != count || st.blocks_ok != blocks ||
        st.blocks_bad != 0 || st.bytes_skipped != 0 || !st.header_ok)
        fail_msg("salvage of an intact bundle: %zu of %zu articles (%s), %llu blocks ok of %llu, "
                 "%llu bad, %llu bytes skipped",
                 sv.got, count, salv_seen(&sv), (ull)st.blocks_ok, (ull)blocks,
                 (ull)st.blocks_bad, (ull)st.bytes_skipped);
}

/* ---- 1. round trips ---- */

static size_t records_bytes(void) {
    size_t i, n = 0;
    for (i = 0; i < N_RECORDS; i++) n += recs.size[i];
    return n;
}

static const char *codec_name(artpack_codec c) {
    return c == ARTPACK_CODEC_ZSTD ? "zstd" : c == ARTPACK_CODEC_LZ4 ? "lz4" : "stored";
}

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

/* 1 when the last index segment of buf (made by a pack then an append) has
 * absorbed the first commit's segment (docs/FORMAT.md: a commit merges the
 * last live segments into its own while they weigh at most twice its own):
 * the first segment is then dead, read by nobody. */
static int first_segment_dead(const unsigned char *buf, size_t len) {
    size_t last = (size_t)(buf[len - 24] | buf[len - 23] << 8 | buf[len - 22] << 16);
    const unsigned char *h = buf + last + 8;
    uint32_t live = (uint32_t)(h[40] | h[41] << 8 | h[42] << 16 | (uint32_t)h[43] << 24);
    return live == 0;
}

/* The offset of the first commit's segment (its footer ends at len_first). */
static size_t seg1_of(const unsigned char *buf, size_t len_first) {
    return (size_t)(buf[len_first - 24] | buf[len_first - 23] << 8 | buf[len_first - 22] << 16);
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

/* ---- 5. errors ---- */

static uint32_t checksum(const void *p, size_t n) { return XXH32(p, n, 0); }

static void put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static artpack_error info_of(const unsigned char *p, size_t len) {
    artpack_bundle_info info;
    memsrc s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.len = len;
    return artpack_bundle_info_get(&info, memsrc_read, &s, len);
}

static void test_errors_bundle_and_index(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 1);
    membuf b;
    unsigned char *x, garbage[4096];
    size_t i, len;
    artpack_bundle_info info;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 10);
    len = b.len;
    ASSERT_ERR(info_of(b.p, len), ARTPACK_OK);
    /* not a bundle */
    rng_state = 77;
    for (i = 0; i < sizeof garbage; i++) garbage[i] = (unsigned char)rng();
    ASSERT_ERR(info_of(garbage, sizeof garbage), ARTPACK_E_BUNDLE);
    memset(garbage, 0, sizeof garbage);
    ASSERT_ERR(info_of(garbage, sizeof garbage), ARTPACK_E_BUNDLE);
    /* truncated: in the header, or shorter than a header and a footer */
    for (i = 0; i < 64; i++) ASSERT_ERR(info_of(b.p, i), ARTPACK_E_BUNDLE);
    x = tu_dup(b.p, len);
    /* every cut of a bundle with one commit: no footer before its end */
    for (i = 64; i < len; i++) {
        artpack_error e = info_of(b.p, i);
        if (e != ARTPACK_E_INDEX && e != ARTPACK_E_BUNDLE)
            fail_msg("cut at %zu of %zu: %s", i, len, artpack_error_name(e));
    }
    /* a file size past the data: the footer read fails */
    {
        memsrc s;
        memset(&s, 0, sizeof s);
        s.p = b.p;
        s.len = len;
        ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, len + 10), ARTPACK_E_READ);
    }
    /* bad header checksum, and every header byte */
    for (i = 0; i < 32; i++) {
        x[i] ^= 0x10;
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        x[i] ^= 0x10;
    }
    /* header fields out of range, with a valid checksum */
    {
        static const struct {
            size_t at;
            unsigned char v;
        } bad[] = {{8, 'X'},  {12, 1},    {12, 4},    {13, 3},    {14, 4},    {14, 0x82}, {24, 1},  {27, 0x80},
                   {20, 0},   {21, 0},    {22, 0},    {23, 0}};
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            unsigned char h[32];
            memcpy(h, b.p, 32);
            if (bad[i].at >= 20 && bad[i].at < 24) memset(h + 20, 0, 4); /* block size 0 */
            else h[bad[i].at] = bad[i].v;
            put_le32(h + 28, checksum(h + 8, 20));
            memcpy(x, h, 32);
            ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        }
        /* version 2 (no columnar blocks) is read; with the columnar flag it is refused */
        memcpy(x, b.p, 32);
        assert_int_equal(x[12], 3);
        x[12] = 2;
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_OK);
        x[14] |= 2;
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        /* block size over the maximum; embedded flag without a dictionary id */
        memcpy(x, b.p, 32);
        put_le32(x + 20, (uint32_t)ARTPACK_BUNDLE_BLOCK_SIZE_MAX + 1);
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        memcpy(x, b.p, 32);
        put_le32(x + 16, 0);
        put_le32(x + 28, checksum(x + 8, 20));
        ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
        memcpy(x, b.p, 32);
        ASSERT_ERR(info_of(x, len), ARTPACK_OK);
    }
    /* the dictionary chunk's head */
    x[32] ^= 1;
    ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE);
    x[32] ^= 1;
    /* no footer: the footer destroyed, then the tail too */
    memset(x + len - 32, 0, 32);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    memset(x + len - 300, 0xAA, 300);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* a footer with a valid checksum that contradicts its segment */
    memcpy(x, b.p, len);
    put_le32(x + len - 24 + 8, 11); /* 11 articles */
    put_le32(x + len - 4, checksum(x + len - 24, 20));
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* a footer pointing at something that is not a segment */
    memcpy(x, b.p, len);
    put_le32(x + len - 24, 32);
    put_le32(x + len - 4, checksum(x + len - 24, 20));
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* only a header and garbage */
    memset(x + 32, 0x55, len - 32);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_BUNDLE); /* the dictionary chunk is gone */
    memcpy(x, b.p, len);
    x[14] = 0; /* not embedded */
    put_le32(x + 28, checksum(x + 8, 20));
    memset(x + 32, 0x55, len - 32);
    ASSERT_ERR(info_of(x, len), ARTPACK_E_INDEX);
    /* NULL arguments */
    {
        memsrc s;
        memset(&s, 0, sizeof s);
        ASSERT_ERR(artpack_bundle_info_get(NULL, memsrc_read, &s, len), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_info_get(&info, NULL, &s, len), ARTPACK_E_NULL_ARG);
    }
    free(x);
    membuf_free(&b);
}

/* A read that fails anywhere: every call either works (and gives the right
 * answer) or returns ARTPACK_E_READ, and a failure at any byte the reader
 * needs is reported. */
static void test_errors_read(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 1024, 1);
    membuf b;
    size_t x, len, len_first, count = 8, reported = 0;
    (void)state;
    memset(&b, 0, sizeof b);
    write_bundle(&b, &p, &da, iota, 5);
    len_first = b.len;
    append_bundle(&b, &da, iota + 5, count - 5);
    len = b.len;
    for (x = 0; x < len; x++) {
        rd o;
        artpack_error e;
        int saw = 0;
        uint64_t n;
        e = rd_open_src(&o, b.p, len, NULL, x, x + 1);
        if (e != ARTPACK_OK) {
            if (e != ARTPACK_E_READ)
                fail_msg("read failing at %zu: open gave %s", x, artpack_error_name(e));
            saw = 1;
        } else {
            for (n = 0; n < count; n++) {
                const void *rec;
                size_t size;
                e = artpack_bundle_get(o.r, n, &rec, &size);
                if (e == ARTPACK_OK) assert_true(same_record(rec, size, (size_t)n));
                else if (e != ARTPACK_E_READ)
                    fail_msg("read failing at %zu: get(%llu) gave %s", x, (ull)n,
                             artpack_error_name(e));
                else saw = 1;
            }
            for (n = 0; n < o.info.block_count; n++) {
                e = artpack_bundle_check_block(o.r, n, NULL, NULL);
                if (e != ARTPACK_OK && e != ARTPACK_E_READ)
                    fail_msg("read failing at %zu: check_block gave %s", x, artpack_error_name(e));
                saw |= e == ARTPACK_E_READ;
            }
            e = artpack_bundle_check_index(o.r);
            if (e != ARTPACK_OK && e != ARTPACK_E_READ)
                fail_msg("read failing at %zu: check_index gave %s", x, artpack_error_name(e));
            saw |= e == ARTPACK_E_READ;
            n = 0;
            e = artpack_bundle_find_id(o.r, "id-6", 4, &n);
            if (e == ARTPACK_OK) assert_int_equal(n, 6);
            else if (e != ARTPACK_E_READ)
                fail_msg("read failing at %zu: find_id gave %s", x, artpack_error_name(e));
            saw |= e == ARTPACK_E_READ;
        }
        rd_close(&o);
        /* the old footer is the only part nobody needs to read, with the
         * first commit's segment once the second absorbed it */
        if (!saw && !(x >= len_first - 32 && x < len_first) &&
            !(first_segment_dead(b.p, len) && x >= seg1_of(b.p, len_first) && x < len_first))
            fail_msg("read failing at %zu of %zu: not reported", x, len);
        reported += saw;
    }
    /* and when the tail is damaged, the scan's reads fail too */
    {
        unsigned char *y = tu_dup(b.p, len);
        rd o;
        memset(y + len - 32, 0, 32);
        ASSERT_ERR(rd_open_src(&o, y, len, NULL, len - 100, len - 99), ARTPACK_E_READ);
        rd_close(&o);
        ASSERT_ERR(rd_open_src(&o, y, len, NULL, 0, 0), ARTPACK_OK); /* the first footer */
        assert_int_equal(o.info.recovered_footer, 1);
        assert_int_equal(o.info.article_count, 5);
        rd_close(&o);
        free(y);
    }
    printf("read failures: %zu of %zu byte offsets reported as ARTPACK_E_READ\n", reported, len);
    membuf_free(&b);
}

/* The write callback fails at its Nth call: the call that hits it returns
 * ARTPACK_E_WRITE, so do all later ones, and the writer writes no more. */
static void test_errors_write(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    int c;
    (void)state;
    for (c = 0; c < 3; c++) {
        artpack_bundle_params p = params_of(codecs[c], 2048, codecs[c] != ARTPACK_CODEC_STORED);
        long total = 0, n;
        size_t len_c1 = 0, len_c2 = 0;
        membuf other; /* a bundle to copy a block from */
        rd src;
        memset(&other, 0, sizeof other);
        write_bundle(&other, &p, &da, iota, 5);
        ASSERT_ERR(rd_open(&src, other.p, other.len, NULL), ARTPACK_OK);
        for (n = 0; n <= total + 1; n++) {
            membuf m;
            artpack_bundle_writer *w = NULL;
            artpack_error e;
            int failed = 0, step;
            memset(&m, 0, sizeof m);
            m.fail_at = n;
            e = artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &m);
            if (e != ARTPACK_OK) {
                ASSERT_ERR(e, ARTPACK_E_WRITE);
                assert_null(w);
                failed = 1;
            } else {
                for (step = 0; step < 27; step++) {
                    /* records 0..19, commit, records 20..24, commit */
                    if (step == 20 || step == 26) e = artpack_bundle_writer_commit(w);
                    else {
                        size_t k = (size_t)(step < 20 ? step : step - 1);
                        e = artpack_bundle_writer_add(w, recs.rec[k], recs.size[k]);
                    }
                    if (failed) {
                        if (e != ARTPACK_E_WRITE)
                            fail_msg("%s, write %ld fails: step %d after the failure gave %s",
                                     codec_name(codecs[c]), n, step, artpack_error_name(e));
                    } else if (e != ARTPACK_OK) {
                        if (e != ARTPACK_E_WRITE)
                            fail_msg("%s, write %ld fails: step %d gave %s", codec_name(codecs[c]),
                                     n, step, artpack_error_name(e));
                        failed = 1;
                    }
                    if (n == 0 && step == 20) len_c1 = m.len;
                }
                /* and still after that */
                if (failed) {
                    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[0], recs.size[0]), ARTPACK_E_WRITE);
                    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_E_WRITE);
                    ASSERT_ERR(artpack_bundle_writer_copy_block(w, src.r, 0), ARTPACK_E_WRITE);
                }
                artpack_bundle_writer_free(w);
            }
            if (n == 0) {
                total = m.calls;
                len_c2 = m.len;
                assert_false(failed);
            } else {
                assert_int_equal(failed, n <= total);
            }
            assert_int_equal(m.calls_after_fail, 0);
            /* what reached the output is the bundle of its last whole commit */
            e = info_of(m.p, m.len);
            if (m.len >= len_c1) {
                artpack_bundle_info info;
                memsrc s;
                memset(&s, 0, sizeof s);
                s.p = m.p;
                s.len = m.len;
                ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, m.len), ARTPACK_OK);
                assert_int_equal(info.article_count, m.len == len_c2 ? 25 : 20);
                verify_bundle(m.p, (size_t)info.end_offset, NULL, iota, m.len == len_c2 ? 25 : 20);
            } else if (e != ARTPACK_E_BUNDLE && e != ARTPACK_E_INDEX) {
                fail_msg("%zu bytes written before the failure: %s", m.len, artpack_error_name(e));
            }
            membuf_free(&m);
        }
        printf("write failures, %s: each of %ld write calls failed in turn\n", codec_name(codecs[c]),
               total);
        rd_close(&src);
        membuf_free(&other);
    }
}

static void test_errors_reader_open(void **state) {
    static const artpack_codec codecs[3] = {ARTPACK_CODEC_ZSTD, ARTPACK_CODEC_LZ4,
                                            ARTPACK_CODEC_STORED};
    int c, embed;
    (void)state;
    for (c = 0; c < 3; c++)
        for (embed = 0; embed <= 1; embed++) {
            artpack_bundle_params p = params_of(codecs[c], 4096, embed);
            int has_dict = codecs[c] != ARTPACK_CODEC_STORED;
            membuf b;
            artpack_bundle_info info;
            artpack_bundle_reader *r;
            unsigned char *ws;
            size_t need_given, need_embedded;
            memsrc s;
            memset(&b, 0, sizeof b);
            write_bundle(&b, &p, &da, iota, 20);
            memset(&s, 0, sizeof s);
            s.p = b.p;
            s.len = b.len;
            ASSERT_ERR(artpack_bundle_info_get(&info, memsrc_read, &s, b.len), ARTPACK_OK);
            need_given = artpack_bundle_reader_workspace_size(&info, 0);
            need_embedded = artpack_bundle_reader_workspace_size(&info, 1);
            assert_true(need_embedded >= need_given);
            assert_int_equal(need_embedded > need_given, has_dict && embed);
            ws = (unsigned char *)tu_malloc(need_embedded + 16);
            /* one byte short */
            r = (artpack_bundle_reader *)(void *)ws;
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_given - 1, &info, &da, memsrc_read, &s),
                       ARTPACK_E_WORKSPACE_TOO_SMALL);
            assert_null(r);
            if (has_dict && embed)
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded - 1, &info, NULL,
                                                      memsrc_read, &s),
                           ARTPACK_E_WORKSPACE_TOO_SMALL);
            /* misaligned */
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws + 4, need_embedded, &info, &da, memsrc_read,
                                                  &s),
                       ARTPACK_E_PARAM);
            /* dictionaries */
            if (has_dict) {
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, &db, memsrc_read, &s),
                           ARTPACK_E_WRONG_DICT);
                assert_null(r);
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, NULL, memsrc_read, &s),
                           embed ? ARTPACK_OK : ARTPACK_E_NEED_DICT);
            } else {
                ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, &db, memsrc_read, &s),
                           ARTPACK_OK); /* no dictionary: the one given is not used */
            }
            /* NULL arguments */
            ASSERT_ERR(artpack_bundle_reader_open(NULL, ws, need_embedded, &info, &da, memsrc_read, &s),
                       ARTPACK_E_NULL_ARG);
            ASSERT_ERR(artpack_bundle_reader_open(&r, NULL, need_embedded, &info, &da, memsrc_read, &s),
                       ARTPACK_E_NULL_ARG);
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, NULL, &da, memsrc_read, &s),
                       ARTPACK_E_NULL_ARG);
            ASSERT_ERR(artpack_bundle_reader_open(&r, ws, need_embedded, &info, &da, NULL, &s),
                       ARTPACK_E_NULL_ARG);
            assert_int_equal(artpack_bundle_reader_workspace_size(NULL, 0), 0);
            /* and exactly enough works */
            free(ws);
            verify_bundle(b.p, b.len, &da, iota, 20);
            if (!has_dict || embed) verify_bundle(b.p, b.len, NULL, iota, 20);
            membuf_free(&b);
        }
    {
        const void *rec;
        size_t size;
        uint64_t n = 0;
        uint32_t cnt;
        artpack_bundle_location where;
        ASSERT_ERR(artpack_bundle_get(NULL, 0, &rec, &size), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_find_id(NULL, "x", 1, &n), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_locate(NULL, 0, &where), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_check_block(NULL, 0, &n, &cnt), ARTPACK_E_NULL_ARG);
        ASSERT_ERR(artpack_bundle_check_index(NULL), ARTPACK_E_NULL_ARG);
    }
}

static void test_errors_params(void **state) {
    artpack_bundle_writer *w;
    artpack_bundle_params p;
    artpack_dict bad;
    membuf m;
    (void)state;
    memset(&m, 0, sizeof m);
#define CREATE_ERR(params, dict, want)                                                       \
    do {                                                                                     \
        w = NULL;                                                                            \
        ASSERT_ERR(artpack_bundle_writer_create(&w, params, dict, NULL, membuf_write, &m), want); \
        assert_null(w);                                                                      \
        assert_int_equal(m.calls, 0); /* nothing written */                                  \
    } while (0)
    p = params_of((artpack_codec)3, 0, 0);
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of((artpack_codec)-1, 0, 0);
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_ZSTD, ARTPACK_BUNDLE_BLOCK_SIZE_MAX + 1, 0);
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_ZSTD, 0, 0);
    p.level = 23;
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p.level = -1;
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_LZ4, 0, 0);
    p.level = 13;
    CREATE_ERR(&p, NULL, ARTPACK_E_PARAM);
    p = params_of(ARTPACK_CODEC_ZSTD, 0, 1); /* embed without a dictionary */
    CREATE_ERR(&p, NULL, ARTPACK_E_NEED_DICT);
    bad = da;
    bad.id = 0;
    p = params_of(ARTPACK_CODEC_ZSTD, 0, 0);
    CREATE_ERR(&p, &bad, ARTPACK_E_DICT);
    ASSERT_ERR(artpack_bundle_writer_create(&w, NULL, NULL, NULL, membuf_write, &m),
               ARTPACK_E_NULL_ARG);
    w = NULL;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, NULL, &m), ARTPACK_E_NULL_ARG);
    assert_null(w);
    /* the edges work */
    p = params_of(ARTPACK_CODEC_ZSTD, ARTPACK_BUNDLE_BLOCK_SIZE_MAX, 0);
    p.level = 22;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    p = params_of(ARTPACK_CODEC_LZ4, 0, 0);
    p.level = 12;
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    artpack_bundle_writer_free(NULL);
    ASSERT_ERR(artpack_bundle_writer_add(NULL, recs.rec[0], recs.size[0]), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_writer_commit(NULL), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_appender_open(&w, NULL, NULL, NULL, membuf_write, &m, membuf_read, &m),
               ARTPACK_E_NULL_ARG);
#undef CREATE_ERR
    membuf_free(&m);
}

/* A record that is not valid: writer_add returns what validation says, and
 * the writer goes on without it. */
static void test_errors_bad_record(void **state) {
    artpack_bundle_params p = params_of(ARTPACK_CODEC_ZSTD, 4096, 0);
    artpack_bundle_writer *w = NULL;
    membuf m;
    size_t n = recs.size[3], cut;
    unsigned char *bad = tu_dup(recs.rec[3], n), garbage[3] = {0xFF, 0xFF, 0xFF};
    size_t map[3] = {0, 1, 2};
    int checked = 0;
    (void)state;
    memset(&m, 0, sizeof m);
    ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &m), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[0], recs.size[0]), ARTPACK_OK);
    for (cut = 0; cut < n; cut += cut < 40 ? 1 : 97) { /* truncated */
        unsigned char *t = tu_dup(recs.rec[3], cut);
        artpack_error want = artpack_record_validate(t, cut, NULL);
        assert_int_not_equal(want, ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_add(w, t, cut), want);
        free(t);
        checked++;
    }
    ASSERT_ERR(artpack_bundle_writer_add(w, garbage, sizeof garbage),
               artpack_record_validate(garbage, sizeof garbage, NULL));
    bad[n - 1] = 0x33; /* the end byte */
    ASSERT_ERR(artpack_bundle_writer_add(w, bad, n), artpack_record_validate(bad, n, NULL));
    assert_int_not_equal(artpack_record_validate(bad, n, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_add(w, NULL, 5), ARTPACK_E_NULL_ARG);
    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[1], recs.size[1]), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[2], recs.size[2]), ARTPACK_OK);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
    verify_bundle(m.p, m.len, NULL, map, 3);
    assert_true(checked > 10);
    free(bad);
    membuf_free(&m);
}

static void test_errors_alloc_every_site(void **state) {
    static const struct {
        artpack_codec codec;
        size_t block;
        int dict, embed;
    } cfg[] = {{ARTPACK_CODEC_ZSTD, 4096, 1, 1},
               {ARTPACK_CODEC_ZSTD, 0, 0, 0},
               {ARTPACK_CODEC_LZ4, 4096, 1, 0},
               {ARTPACK_CODEC_STORED, 4096, 0, 0}};
    artpack_allocator mem = {fail_alloc, fail_free, NULL};
    size_t c;
    (void)state;
    for (c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        artpack_bundle_params p = params_of(cfg[c].codec, cfg[c].block, cfg[c].embed);
        const artpack_dict *d = cfg[c].dict ? &da : NULL;
        long n, absorbed = 0;
        int succeeded = 0;
        for (n = 1; n < 1000 && !succeeded; n++) {
            artpack_bundle_writer *w = NULL;
            artpack_error e;
            membuf m;
            size_t i;
            memset(&m, 0, sizeof m);
            alloc_fail_at = n;
            alloc_calls = alloc_live = 0;
            e = artpack_bundle_writer_create(&w, &p, d, &mem, membuf_write, &m);
            if (e == ARTPACK_OK) {
                for (i = 0; i < 30 && e == ARTPACK_OK; i++)
                    e = artpack_bundle_writer_add(w, recs.rec[i], recs.size[i]);
                if (e == ARTPACK_OK) e = artpack_bundle_writer_commit(w);
            } else {
                assert_null(w);
            }
            if (e != ARTPACK_OK && e != ARTPACK_E_ALLOC)
                fail_msg("%s, allocation %ld fails: got %s, wanted ARTPACK_E_ALLOC",
                         codec_name(cfg[c].codec), n, artpack_error_name(e));
            artpack_bundle_writer_free(w);
            if (alloc_live != 0) fail_msg("%s, allocation %ld fails: %ld blocks leaked",
                                          codec_name(cfg[c].codec), n, alloc_live);
            if (e == ARTPACK_OK) {
                succeeded = alloc_calls < n; /* the failure was never reached */
                absorbed += !succeeded;      /* or it was, and the writer coped */
                verify_bundle(m.p, m.len, d, iota, 30);
            }
            membuf_free(&m);
        }
        assert_true(succeeded);
        printf("allocation failures, %s%s: each of %ld allocations failed in turn (%ld coped "
               "with)\n", codec_name(cfg[c].codec), cfg[c].dict ? " + dictionary" : "", n - 2,
               absorbed);
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
        /* another dictionary, no dictionary, another codec: refused, nothing written */
        membuf_free(&z);
        if (cfg[c].dict) {
            ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &db, NULL, membuf_write, &z), ARTPACK_OK);
            before = z.len;
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, ox.r, 0), ARTPACK_E_WRONG_DICT);
            assert_int_equal(z.len, before);
            artpack_bundle_writer_free(w);
            membuf_free(&z);
            p.embed_dict = 0;
            ASSERT_ERR(artpack_bundle_writer_create(&w, &p, NULL, NULL, membuf_write, &z), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, ox.r, 0), ARTPACK_E_WRONG_DICT);
            artpack_bundle_writer_free(w);
            membuf_free(&z);
            p.embed_dict = cfg[c].embed;
        } else if (cfg[c].codec == ARTPACK_CODEC_ZSTD) {
            ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &z), ARTPACK_OK);
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, ox.r, 0), ARTPACK_E_WRONG_DICT);
            artpack_bundle_writer_free(w);
            membuf_free(&z);
        }
        {
            artpack_bundle_params q = params_of(cfg[c].codec == ARTPACK_CODEC_LZ4 ? ARTPACK_CODEC_ZSTD
                                                                                   : ARTPACK_CODEC_LZ4,
                                                4096, 0);
            ASSERT_ERR(artpack_bundle_writer_create(&w, &q, d, NULL, membuf_write, &z), ARTPACK_OK);
            before = z.len;
            ASSERT_ERR(artpack_bundle_writer_copy_block(w, ox.r, 0), ARTPACK_E_PARAM);
            assert_int_equal(z.len, before);
            artpack_bundle_writer_free(w);
            membuf_free(&z);
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

/* ---- parallel compression: the same bytes for any number of jobs ---- */

/* A runner that runs the tasks last to first (any order must do). */
static int runner_calls;
static void reverse_runner(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    (void)opaque;
    runner_calls++;
    while (n-- > 0) task(args[n]);
}

/* A pipelined runner that runs nothing at start and the tasks, last to
 * first, at wait: a writer that used a block before waiting would write
 * garbage. */
typedef struct deferred {
    artpack_task_fn task;
    void *args[ARTPACK_BUNDLE_JOBS_MAX];
    size_t n;
    int starts, waits;
} deferred;

static void deferred_start(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    deferred *d = (deferred *)opaque;
    assert_int_equal(d->n, 0); /* one batch in flight at most */
    assert_true(n >= 1 && n <= ARTPACK_BUNDLE_JOBS_MAX);
    d->task = task;
    memcpy(d->args, args, n * sizeof *args);
    d->n = n;
    d->starts++;
}

static void deferred_wait(void *opaque) {
    deferred *d = (deferred *)opaque;
    while (d->n > 0) d->task(d->args[--d->n]);
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
                if (with_runner == 2) assert_true(d.starts > 0 && d.waits >= d.starts && d.n == 0);
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
    /* switching between pipelined and parallel (the second bank borrows the
     * first's compressors; set_parallel gives them back): the same bytes */
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
                   ARTPACK_OK);
        add_all(w, iota, 40);
        ASSERT_ERR(artpack_bundle_writer_set_parallel(w, 4, reverse_runner, NULL), ARTPACK_OK);
        add_all(w, iota + 40, 40);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 3, deferred_start, deferred_wait, &d),
                   ARTPACK_OK);
        add_all(w, iota + 80, 40);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 1, deferred_start, deferred_wait, &d),
                   ARTPACK_OK);
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
    /* freed with a batch in flight: it waits for it first */
    {
        artpack_bundle_params p = params_of(ARTPACK_CODEC_LZ4, 2048, 0);
        membuf b;
        deferred d;
        artpack_bundle_writer *w = NULL;
        memset(&b, 0, sizeof b);
        memset(&d, 0, sizeof d);
        ASSERT_ERR(artpack_bundle_writer_create(&w, &p, &da, NULL, membuf_write, &b), ARTPACK_OK);
        ASSERT_ERR(artpack_bundle_writer_set_pipeline(w, 2, deferred_start, deferred_wait, &d),
                   ARTPACK_OK);
        add_all(w, iota, 70);
        assert_int_equal(d.starts, d.waits + 1);
        artpack_bundle_writer_free(w);
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
            body.len = make_text(text, 1000 + rng() % 100);
            body.ptr = text;
            a.body.present = 1;
            a.body.items = &body;
            a.body.count = 1;
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
        cmocka_unit_test(test_power_loss),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_columns_odd_fields),
        cmocka_unit_test(test_columns_content),
        cmocka_unit_test(test_columns_copy),
        cmocka_unit_test(test_bit_flips_embedded_dict),
        cmocka_unit_test(test_errors_bundle_and_index),
        cmocka_unit_test(test_errors_read),
        cmocka_unit_test(test_errors_write),
        cmocka_unit_test(test_errors_reader_open),
        cmocka_unit_test(test_errors_params),
        cmocka_unit_test(test_errors_bad_record),
        cmocka_unit_test(test_errors_alloc_every_site),
        cmocka_unit_test(test_copy_block),
        cmocka_unit_test(test_reader_memory),
        cmocka_unit_test(test_regression_salvage_callback_stop),
        cmocka_unit_test(test_regression_salvage_alloc),
        cmocka_unit_test(test_salvage_resync),
        cmocka_unit_test(test_regression_commit_after_failed_copy),
        cmocka_unit_test(test_regression_writer_out_on_failure),
        cmocka_unit_test(test_regression_writer_null_out),
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
