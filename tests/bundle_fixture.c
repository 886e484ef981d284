/* bundle_fixture.c - the shared part of the bundle tests: see bundle_fixture.h. */
#include "bundle_fixture.h"

recset recs;  /* the test articles */
size_t iota[N_ALL + 1];

/* Record i's id: "id-i", except that ids repeat: every 50th from 49 has
 * the id of record i - 40, every 50th from 75 that of record i - 70 (in the
 * previous commit in test_append); record 7 has none, record 8 an empty one. */
int id_of(size_t i, char *buf) {
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
void make_records(recset *rs, uint32_t seed) {
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
        a.title = text_str(title, 60 + rng() % 60);
        a.source.ptr = "Wire";
        a.source.len = 4;
        body[0] = text_str(p1, 100 + rng() % 600);
        body[1] = text_str(p2, 100 + rng() % 600);
        a.body = tu_list(body, 2);
        rs->rec[i] = encode_exact(&a, &rs->size[i]);
        if (idn > 0) memcpy(rs->id[i], id, (size_t)idn);
        rs->id_len[i] = idn;
    }
}

/* Records N_RECORDS.. : an empty article; a 200 KB one (bigger than most
 * blocks); 30 KB of random bytes (incompressible); an article with only an id. */
void make_extra_records(recset *rs) {
    static char big[210000], noise[30000];
    artpack_str paras[40];
    artpack_article a;
    size_t i, at = 0;
    rng_state = 31337;
    artpack_article_init(&a);
    rs->rec[300] = encode_exact(&a, &rs->size[300]);
    rs->id_len[300] = -1;
    for (i = 0; i < 40; i++) {
        paras[i] = text_str(big + at, 5000);
        at += paras[i].len + 1;
    }
    artpack_article_init(&a);
    a.id.ptr = "id-301";
    a.id.len = 6;
    a.body = tu_list(paras, 40);
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

void free_records(recset *rs) {
    size_t i;
    for (i = 0; i < N_ALL; i++) {
        free(rs->rec[i]);
        rs->rec[i] = NULL;
    }
}

unsigned char dict_a[16384], dict_b[16384];
size_t dict_a_len, dict_b_len;
artpack_dict da, db;

/* Trains an 8 KB dictionary (level 3) on records of seed. */
int train(unsigned char *dst, size_t cap, size_t *len, uint32_t seed) {
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

int setup(void **state) {
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

int teardown(void **state) {
    (void)state;
    free_records(&recs);
    return 0;
}

/* ---- output and input through the callbacks ---- */


int membuf_write(void *opaque, const void *data, size_t size) {
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
int membuf_read(void *opaque, uint64_t off, void *dst, size_t size) {
    membuf *m = (membuf *)opaque;
    m->reads++;
    if (off > m->len || size > m->len - off) return 1;
    if (size) memcpy(dst, m->p + off, size);
    return 0;
}

const void *membuf_map(void *opaque, uint64_t off, size_t size) {
    const membuf *m = (const membuf *)opaque;
    if (off > m->len || size > m->len - off) return NULL;
    return m->p + off;
}

void membuf_free(membuf *m) {
    free(m->p);
    memset(m, 0, sizeof *m);
}


int memsrc_read(void *opaque, uint64_t off, void *dst, size_t size) {
    memsrc *s = (memsrc *)opaque;
    s->reads++;
    if (off > s->len || size > s->len - off) return 1;
    if (s->fail_hi > s->fail_lo && off < s->fail_hi && off + size > s->fail_lo) return 1;
    if (size) memcpy(dst, s->p + off, size);
    return 0;
}


artpack_error rd_open_src(rd *o, const void *p, size_t len, const artpack_dict *d,
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

artpack_error rd_open(rd *o, const void *p, size_t len, const artpack_dict *d) {
    return rd_open_src(o, p, len, d, 0, 0);
}

artpack_error rd_open_mem(rd *o, membuf *m, const artpack_dict *d, int mapped) {
    artpack_error e, smaller;
    memset(o, 0, sizeof *o);
    ASSERT_ERR(artpack_bundle_info_get(&o->info, membuf_read, m, m->len), ARTPACK_OK);
    o->ws_size = mapped ? artpack_bundle_reader_workspace_size_mapped(&o->info, d == NULL)
                        : artpack_bundle_reader_workspace_size(&o->info, d == NULL);
    assert_true(o->ws_size > 0);
    o->ws = tu_malloc(o->ws_size);
    smaller = mapped ? artpack_bundle_reader_open_mapped(&o->r, o->ws, o->ws_size - 1, &o->info, d,
                                                         membuf_map, m)
                     : artpack_bundle_reader_open(&o->r, o->ws, o->ws_size - 1, &o->info, d,
                                                  membuf_read, m);
    e = mapped ? artpack_bundle_reader_open_mapped(&o->r, o->ws, o->ws_size, &o->info, d,
                                                   membuf_map, m)
               : artpack_bundle_reader_open(&o->r, o->ws, o->ws_size, &o->info, d, membuf_read, m);
    if (e == ARTPACK_OK) ASSERT_ERR(smaller, ARTPACK_E_WORKSPACE_TOO_SMALL);
    return e;
}

void rd_close(rd *o) {
    free(o->ws);
    o->ws = NULL;
    o->r = NULL;
}

/* ---- writing ---- */

/* 1: the tests' bundles are columnar (artpack_bundle_params.columns) */
int columns_mode;

artpack_bundle_params bundle_params(artpack_codec codec, size_t block_size, int columns, int embed,
                                    int words) {
    artpack_bundle_params p;
    memset(&p, 0, sizeof p);
    p.codec = codec;
    p.block_size = block_size;
    p.columns = columns;
    p.embed_dict = embed;
    p.words = words;
    return p;
}

void expect_copy_refused(const artpack_bundle_params *p, const artpack_dict *d, copy_fn copy,
                         artpack_bundle_reader *src, uint64_t b, artpack_error want) {
    artpack_bundle_writer *w = NULL;
    membuf out;
    size_t before;
    memset(&out, 0, sizeof out);
    ASSERT_ERR(artpack_bundle_writer_create(&w, p, d, NULL, membuf_write, &out), ARTPACK_OK);
    before = out.len;
    ASSERT_ERR(copy(w, src, b), want);
    assert_int_equal(out.len, before);
    artpack_bundle_writer_free(w);
    membuf_free(&out);
}

artpack_bundle_params params_of(artpack_codec codec, size_t block_size, int embed) {
    return bundle_params(codec, block_size, columns_mode, embed, 0);
}

void add_all(artpack_bundle_writer *w, const size_t *map, size_t count) {
    size_t i;
    for (i = 0; i < count; i++)
        ASSERT_ERR(artpack_bundle_writer_add(w, recs.rec[map[i]], recs.size[map[i]]), ARTPACK_OK);
}

/* A new bundle of the records map[0..count), one commit. */
void write_bundle(membuf *out, const artpack_bundle_params *p, const artpack_dict *d,
                         const size_t *map, size_t count) {
    artpack_bundle_writer *w = NULL;
    ASSERT_ERR(artpack_bundle_writer_create(&w, p, d, NULL, membuf_write, out), ARTPACK_OK);
    add_all(w, map, count);
    ASSERT_ERR(artpack_bundle_writer_commit(w), ARTPACK_OK);
    artpack_bundle_writer_free(w);
}

/* Appends map[0..count) to the bundle in out, one commit. */
void append_bundle(membuf *out, const artpack_dict *d, const size_t *map, size_t count) {
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
size_t simulate_blocks(const size_t *map, size_t count, size_t block_size, size_t *starts,
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

int same_record(const void *rec, size_t size, size_t want) {
    return size == recs.size[want] && (size == 0 || memcmp(rec, recs.rec[want], size) == 0);
}

/* Article n reads back as record want. */
void expect_article(artpack_bundle_reader *r, uint64_t n, size_t want) {
    const void *rec = NULL;
    size_t size = 0;
    artpack_error e = artpack_bundle_get(r, n, &rec, &size);
    if (e != ARTPACK_OK) fail_msg("artpack_bundle_get(%llu): %s", (ull)n, artpack_error_name(e));
    if (!same_record(rec, size, want))
        fail_msg("article %llu (%zu bytes) is not record %zu (%zu bytes)", (ull)n, size, want,
                 recs.size[want]);
}

/* The first n >= start whose id is id[0..len), or count. */
uint64_t expected_find(const size_t *map, size_t count, const char *id, int len,
                              uint64_t start) {
    uint64_t n;
    for (n = start; n < count; n++) {
        size_t k = map[n];
        if (recs.id_len[k] == len && (len == 0 || memcmp(recs.id[k], id, (size_t)len) == 0))
            return n;
    }
    return count;
}

void check_find(artpack_bundle_reader *r, const size_t *map, size_t count, const char *id,
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
void check_ids(artpack_bundle_reader *r, const size_t *map, size_t count) {
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


const void *memmap_map(void *opaque, uint64_t off, size_t size) {
    const memmap *m = (const memmap *)opaque;
    if (off > m->len || size > m->len - off) return NULL;
    return m->p + off;
}

/* The same through a mapped reader (blocks decompressed where they lie),
 * over an exact-size copy. */
void verify_mapped(const unsigned char *p, size_t len, const artpack_dict *d,
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
void verify_bundle(const unsigned char *p, size_t len, const artpack_dict *d,
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


long which_record(const void *rec, size_t size) {
    long k;
    for (k = 0; k < N_ALL; k++)
        if (same_record(rec, size, (size_t)k)) return k;
    return -1;
}

int salv_cb(void *opaque, const void *rec, size_t size) {
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
const char *salv_seen(const salv *s) {
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

void salv_init(salv *s, const size_t *map, size_t count) {
    memset(s, 0, sizeof *s);
    s->map = map;
    s->count = count;
    s->skip_lo = s->skip_hi = count;
}


int digest_cb(void *opaque, const void *rec, size_t size) {
    digest *d = (digest *)opaque;
    d->n++;
    d->h = XXH32(rec, size, d->h);
    return d->cb ? d->cb(d->opaque, rec, size) : 0;
}

artpack_error salvage_both(const unsigned char *p, size_t len, const artpack_dict *d,
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
void verify_salvage(const unsigned char *p, size_t len, const artpack_dict *d,
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


size_t records_bytes(void) {
    size_t i, n = 0;
    for (i = 0; i < N_RECORDS; i++) n += recs.size[i];
    return n;
}

const char *codec_name(artpack_codec c) {
    return c == ARTPACK_CODEC_ZSTD ? "zstd" : c == ARTPACK_CODEC_LZ4 ? "lz4" : "stored";
}


/* 1 when the last index segment of buf (made by a pack then an append) has
 * absorbed the first commit's segment (docs/FORMAT.md: a commit merges the
 * last live segments into its own while they weigh at most twice its own):
 * the first segment is then dead, read by nobody. */
int first_segment_dead(const unsigned char *buf, size_t len) {
    size_t last = (size_t)(buf[len - 24] | buf[len - 23] << 8 | buf[len - 22] << 16);
    const unsigned char *h = buf + last + 8;
    uint32_t live = (uint32_t)(h[40] | h[41] << 8 | h[42] << 16 | (uint32_t)h[43] << 24);
    return live == 0;
}

/* The offset of the first commit's segment (its footer ends at len_first). */
size_t seg1_of(const unsigned char *buf, size_t len_first) {
    return (size_t)(buf[len_first - 24] | buf[len_first - 23] << 8 | buf[len_first - 22] << 16);
}


uint32_t checksum(const void *p, size_t n) { return XXH32(p, n, 0); }

void put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

artpack_error info_of(const unsigned char *p, size_t len) {
    artpack_bundle_info info;
    memsrc s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.len = len;
    return artpack_bundle_info_get(&info, memsrc_read, &s, len);
}
