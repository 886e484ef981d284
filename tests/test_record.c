/* test_record.c - article view <-> record bytes: round trips, the canonical
 * form, every error code, forward compatibility, lists, schema, and a
 * property test over random articles. */
#include <stddef.h>

#include "test_util.h"

#define KEY(tag, wt) ((unsigned char)((tag) << 2 | (wt)))
enum { WT_VARINT = 0, WT_BYTES = 1, WT_LIST = 2, WT_PACKED = 3 };
#define DAYS_MIN (-719528)
#define DAYS_MAX 2932896
#define SECONDS_MAX INT64_C(253402300799)
#define NO_OFFSET ((size_t)-1)

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0); }

/* ---- a tiny record builder for hand-made (often broken) records ---- */

typedef struct rb {
    unsigned char b[512];
    size_t n;
} rb;

static void rb_byte(rb *r, unsigned v) { r->b[r->n++] = (unsigned char)v; }
static void rb_varint(rb *r, uint64_t v) {
    r->n += artpack_varint_write(r->b + r->n, sizeof r->b - r->n, v);
}
static void rb_bytes(rb *r, const void *p, size_t n) {
    memcpy(r->b + r->n, p, n);
    r->n += n;
}
/* key, varint length, bytes */
static void rb_block(rb *r, unsigned tag, unsigned wt, const void *p, size_t n) {
    rb_varint(r, KEY(tag, wt));
    rb_varint(r, n);
    rb_bytes(r, p, n);
}
/* a LIST field of C strings */
static void rb_list(rb *r, unsigned tag, const char *const *items, size_t count) {
    rb body = {{0}, 0};
    size_t i;
    for (i = 0; i < count; i++) {
        rb_varint(&body, strlen(items[i]));
        rb_bytes(&body, items[i], strlen(items[i]));
    }
    rb_block(r, tag, WT_LIST, body.b, body.n);
}

/* ---- fixtures: realistic articles written as views ---- */

typedef struct fixture {
    artpack_article a;
    artpack_str authors[4], body[4], tags[4], extra[8];
} fixture;

/* tests/data/seed.jsonl's article, with the optional fields filled in */
static void fixture_seed(fixture *f) {
    artpack_article *a = &f->a;
    artpack_article_init(a);
    a->id = tu_str("000_a7d884038355ccb7");
    a->url = tu_str("https://www.urdupoint.com/en/world/japanese-south-korean-diplomats-discuss.html");
    a->source = tu_str("UrduPoint.com");
    assert_ap_ok(artpack_date_parse(&a->date, "2019-08-29", 10));
    assert_ap_ok(artpack_timestamp_parse(&a->published, "2019-08-29T18:47:00", 19));
    a->title = tu_str("Japanese, South Korean Diplomats Discuss Trade Tensions - Reports");
    a->author = tu_str("Faizan Hashmi");
    f->authors[0] = tu_str("Faizan Hashmi");
    f->authors[1] = tu_str("Sputnik");
    a->authors = tu_list(f->authors, 2);
    a->summary = tu_str("Director-General of the Japanese Foreign Ministry's Asian and Oceanian "
                        "Affairs Bureau Kenji Kanasugi and his South Korean counterpart, Kim "
                        "Jung-han, discussed in Seoul on Thursday bilateral trade tensions");
    a->dateline = tu_str("MOSCOW (UrduPoint News / Sputnik - 29th August, 2019)");
    f->body[0] = tu_str("Director-General of the Japanese Foreign Ministry's Asian and Oceanian "
                        "Affairs Bureau Kenji Kanasugi and his South Korean counterpart, Kim "
                        "Jung-han, discussed in Seoul on Thursday bilateral trade tensions over "
                        "the South Korean stance on compensations for World War II forced labor "
                        "used by Japanese companies, Japanese media reported.");
    f->body[1] = tu_str("According to the NHK broadcaster, Kanasugi pointed out that South Korea "
                        "should make the first step toward reconciliation.");
    f->body[2] = tu_str("");
    f->body[3] = tu_str("He added that Japan and South Korea would continue to hold consultations.");
    a->body = tu_list(f->body, 4);
    a->language = tu_str("en");
    f->tags[0] = tu_str("japan");
    f->tags[1] = tu_str("south korea");
    f->tags[2] = tu_str("trade");
    a->tags = tu_list(f->tags, 3);
    f->extra[0] = tu_str("category");
    f->extra[1] = tu_str("\"world\"");
    f->extra[2] = tu_str("meta");
    f->extra[3] = tu_str("{\"a\":[1,2.50],\"b\":null}");
    f->extra[4] = tu_str("wordcount");
    f->extra[5] = tu_str("412");
    a->extra = tu_list(f->extra, 6);
}

/* like reuters21578.jsonl: numeric id (an extra in the id's place), list extras */
static void fixture_reuters(fixture *f) {
    artpack_article *a = &f->a;
    artpack_article_init(a);
    a->source = tu_str("Reuters");
    assert_ap_ok(artpack_date_parse(&a->date, "1987-02-26", 10));
    assert_ap_ok(artpack_timestamp_parse(&a->published, "1987-02-26T15:01:01.79", 22));
    a->title = tu_str("BAHIA COCOA REVIEW");
    a->dateline = tu_str("SALVADOR, Feb 26");
    f->body[0] = tu_str("Showers continued throughout the week in the Bahia cocoa zone.");
    f->body[1] = tu_str("The dry period means the temporao will be late this year.");
    a->body = tu_list(f->body, 2);
    a->language = tu_str("en");
    f->extra[0] = tu_str("id");
    f->extra[1] = tu_str("1");
    f->extra[2] = tu_str("oldid");
    f->extra[3] = tu_str("5544");
    f->extra[4] = tu_str("places");
    f->extra[5] = tu_str("[\"el-salvador\",\"usa\",\"uruguay\"]");
    a->extra = tu_list(f->extra, 6);
}

/* odd corners: TEXT date, zoned fractional timestamp, empty strings and lists */
static void fixture_odd(fixture *f) {
    artpack_article *a = &f->a;
    artpack_article_init(a);
    a->id = tu_str("");
    assert_ap_ok(artpack_date_parse(&a->date, "29 Aug 2019", 11));
    assert_ap_ok(artpack_timestamp_parse(&a->published, "2006-10-20T18:15:00.790-04:00", 29));
    a->title = tu_strn("nul\0inside \xc3\xa9\xe6\x97\xa5\xff", 19);
    a->authors = tu_list(NULL, 0);
    f->body[0] = tu_str("");
    f->body[1] = tu_strn(NULL, 0); /* a NULL item of length 0 is "" */
    f->body[2] = tu_str("x");
    a->body = tu_list(f->body, 3);
    f->extra[0] = tu_str("");
    f->extra[1] = tu_str("0");
    f->extra[2] = tu_str("tags");
    f->extra[3] = tu_str("\"x\"");
    f->extra[4] = tu_str("title2");
    f->extra[5] = tu_str("[]");
    a->extra = tu_list(f->extra, 6);
}

typedef void (*fixture_fn)(fixture *);
static const fixture_fn fixtures[] = {fixture_seed, fixture_reuters, fixture_odd};

/* ---- helpers ---- */

static unsigned char *encode_exact(const artpack_article *a, size_t *size) {
    size_t n = 0, w = 0;
    unsigned char *buf;
    assert_ap_ok(artpack_record_size(a, &n));
    buf = (unsigned char *)tu_malloc(n);
    assert_ap_ok(artpack_record_encode(buf, n, a, &w));
    assert_int_equal(w, n);
    *size = n;
    return buf;
}

static int article_is_absent(const artpack_article *a) {
    artpack_article empty;
    artpack_article_init(&empty);
    return memcmp(a, &empty, sizeof empty) == 0;
}

static void assert_list_equal(const artpack_list *want, const artpack_list *got) {
    artpack_list_iter a, b;
    artpack_str x, y;
    assert_int_equal(want->present != 0, got->present != 0);
    assert_int_equal(artpack_list_count(want), artpack_list_count(got));
    artpack_list_begin(&a, want);
    artpack_list_begin(&b, got);
    while (artpack_list_next(&a, &x)) {
        assert_true(artpack_list_next(&b, &y));
        assert_str_view_equal(x, y);
    }
    assert_false(artpack_list_next(&b, &y));
}

/* Decoded *got must hold what *want encodes to (TEXT dates and timestamps
 * that are canonical come back as NUMBER). */
static void assert_article_equal(const artpack_article *want, const artpack_article *got) {
    size_t i;
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        const void *w = (const char *)want + f->offset, *g = (const char *)got + f->offset;
        switch (f->kind) {
        case ARTPACK_KIND_STRING:
            assert_str_view_equal(*(const artpack_str *)w, *(const artpack_str *)g);
            break;
        case ARTPACK_KIND_DATE: {
            artpack_date x = *(const artpack_date *)w, y = *(const artpack_date *)g;
            if (x.kind == ARTPACK_TEXT) assert_ap_ok(artpack_date_parse(&x, x.text.ptr, x.text.len));
            assert_int_equal(x.kind, y.kind);
            if (x.kind == ARTPACK_NUMBER) assert_int_equal(x.days, y.days);
            if (x.kind == ARTPACK_TEXT) assert_str_view_equal(x.text, y.text);
            break;
        }
        case ARTPACK_KIND_TIMESTAMP: {
            artpack_timestamp x = *(const artpack_timestamp *)w, y = *(const artpack_timestamp *)g;
            if (x.kind == ARTPACK_TEXT)
                assert_ap_ok(artpack_timestamp_parse(&x, x.text.ptr, x.text.len));
            assert_int_equal(x.kind, y.kind);
            if (x.kind == ARTPACK_NUMBER) {
                assert_true(x.seconds == y.seconds);
                assert_int_equal(x.fraction, y.fraction);
                assert_int_equal(x.fraction_digits, y.fraction_digits);
                assert_int_equal(x.zone, y.zone);
                assert_int_equal(x.offset_minutes, y.offset_minutes);
            }
            if (x.kind == ARTPACK_TEXT) assert_str_view_equal(x.text, y.text);
            break;
        }
        case ARTPACK_KIND_LIST:
        case ARTPACK_KIND_EXTRA:
            assert_list_equal((const artpack_list *)w, (const artpack_list *)g);
            break;
        }
    }
}

/* encode, size, decode, compare, re-encode from the decoded view: same bytes */
static void check_roundtrip(const artpack_article *a) {
    size_t n, n2, n3 = 0;
    unsigned char *rec = encode_exact(a, &n), *again = encode_exact(a, &n2), *re;
    artpack_article back;
    size_t off = 0;
    assert_int_equal(n, n2);
    assert_memory_equal(rec, again, n); /* deterministic */
    assert_int_equal(rec[n - 1], 0x00);
    assert_ap_ok(artpack_record_decode(&back, rec, n, &off));
    assert_ap_ok(artpack_record_validate(rec, n, NULL));
    assert_article_equal(a, &back);
    assert_ap_ok(artpack_record_size(&back, &n3));
    assert_int_equal(n3, n);
    re = encode_exact(&back, &n3);
    assert_int_equal(n3, n);
    assert_memory_equal(re, rec, n);
    free(rec);
    free(again);
    free(re);
}

/* Decodes a heap copy of exactly n bytes; expects err at offset (unless NO_OFFSET). */
static void expect_decode(const unsigned char *bytes, size_t n, artpack_error want,
                          size_t want_offset, int line) {
    unsigned char *copy = tu_dup(bytes, n);
    artpack_article a;
    size_t off = 12345, off2 = 54321;
    artpack_error got = artpack_record_decode(&a, copy, n, &off);
    artpack_error got2 = artpack_record_validate(copy, n, &off2);
    free(copy);
    if (got != want || got2 != want || (want != ARTPACK_OK && want_offset != NO_OFFSET &&
                                        (off != want_offset || off2 != want_offset))) {
        print_error("line %d: decode gave %s at %lu (validate %s at %lu), expected %s at %ld\n",
                    line, artpack_error_name(got), (unsigned long)off, artpack_error_name(got2),
                    (unsigned long)off2, artpack_error_name(want), (long)want_offset);
        fail();
    }
    if (want != ARTPACK_OK) assert_true(article_is_absent(&a)); /* left absent-initialised */
}
#define EXPECT_DECODE(want, offset, ...)                                       \
    expect_decode((const unsigned char[]){__VA_ARGS__},                        \
                  sizeof((const unsigned char[]){__VA_ARGS__}), want, offset, __LINE__)
#define EXPECT_DECODE_RB(want, offset, r) expect_decode((r)->b, (r)->n, want, offset, __LINE__)

static void expect_encode_error(const artpack_article *a, artpack_error want, int line) {
    unsigned char buf[256];
    size_t n = 0, w = 0;
    artpack_error e1 = artpack_record_size(a, &n), e2 = artpack_record_encode(buf, sizeof buf, a, &w);
    if (e1 != want || e2 != want) {
        print_error("line %d: size gave %s, encode gave %s, expected %s\n", line,
                    artpack_error_name(e1), artpack_error_name(e2), artpack_error_name(want));
        fail();
    }
}
#define EXPECT_ENCODE(want, a) expect_encode_error((a), want, __LINE__)

/* ---- round trips of each field kind ---- */

static void test_empty_article(void **state) {
    artpack_article a, back;
    unsigned char buf[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    size_t n = 0, w = 0;
    (void)state;
    artpack_article_init(&a);
    artpack_article_init(NULL); /* harmless */
    assert_true(article_is_absent(&a));
    assert_ap_ok(artpack_record_size(&a, &n));
    assert_int_equal(n, 1);
    assert_ap_ok(artpack_record_encode(buf, sizeof buf, &a, &w));
    assert_int_equal(w, 1);
    assert_int_equal(buf[0], 0x00);
    assert_int_equal(buf[1], 0xEE);
    memset(&back, 0x5A, sizeof back);
    assert_ap_ok(artpack_record_decode(&back, buf, 1, NULL));
    assert_true(article_is_absent(&back));
}

/* docs/FORMAT.md's example, byte for byte */
static void test_spec_example_golden(void **state) {
    static const unsigned char golden[] = {0x05, 0x02, 0x61, 0x31, 0x10, 0xae, 0x9d, 0x02, 0x2e,
                                           0x04, 0x03, 0x48, 0x69, 0x2e, 0x7e, 0x04, 0x01, 0x6e,
                                           0x01, 0x37, 0x00};
    artpack_article a;
    artpack_str body[1], extra[2];
    unsigned char *rec;
    size_t n;
    (void)state;
    artpack_article_init(&a);
    a.id = tu_str("a1");
    assert_ap_ok(artpack_date_parse(&a.date, "2020-01-02", 10));
    body[0] = tu_str("Hi.");
    a.body = tu_list(body, 1);
    extra[0] = tu_str("n");
    extra[1] = tu_str("7");
    a.extra = tu_list(extra, 2);
    rec = encode_exact(&a, &n);
    assert_int_equal(n, sizeof golden);
    assert_memory_equal(rec, golden, n);
    free(rec);
    check_roundtrip(&a);
}

static void test_string_fields_roundtrip(void **state) {
    char longer[300];
    const artpack_str values[] = {tu_str("hello"), tu_str(""), tu_strn("a\0\xff\x80", 4),
                                  tu_strn(longer, sizeof longer)};
    size_t i, v;
    (void)state;
    memset(longer, 'L', sizeof longer);
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        if (f->kind != ARTPACK_KIND_STRING) continue;
        for (v = 0; v < TU_COUNT(values); v++) {
            artpack_article a;
            rb want = {{0}, 0};
            unsigned char *rec;
            size_t n;
            artpack_article_init(&a);
            *(artpack_str *)((char *)&a + f->offset) = values[v];
            rb_block(&want, f->tag, WT_BYTES, values[v].ptr, values[v].len);
            rb_byte(&want, 0);
            rec = encode_exact(&a, &n);
            assert_int_equal(n, want.n);
            assert_memory_equal(rec, want.b, n);
            free(rec);
            check_roundtrip(&a);
        }
    }
}

static void test_date_number_roundtrip(void **state) {
    static const int32_t days[] = {0, -1, 1, 18263, DAYS_MIN, DAYS_MAX, -63, 64};
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(days); i++) {
        artpack_article a, t;
        rb want = {{0}, 0};
        char text[ARTPACK_DATE_TEXT_MAX];
        unsigned char *rec, *rec2;
        size_t n, n2;
        artpack_article_init(&a);
        a.date.kind = ARTPACK_NUMBER;
        a.date.days = days[i];
        rb_byte(&want, KEY(4, WT_VARINT));
        rb_varint(&want, zigzag(days[i]));
        rb_byte(&want, 0);
        rec = encode_exact(&a, &n);
        assert_int_equal(n, want.n);
        assert_memory_equal(rec, want.b, n);
        check_roundtrip(&a);
        /* a canonical TEXT date is written as the same number */
        assert_ap_ok(artpack_date_format(text, sizeof text, &a.date, NULL));
        artpack_article_init(&t);
        t.date.kind = ARTPACK_TEXT;
        t.date.text = tu_str(text);
        rec2 = encode_exact(&t, &n2);
        assert_int_equal(n2, n);
        assert_memory_equal(rec2, rec, n);
        free(rec);
        free(rec2);
    }
}

static void test_date_text_roundtrip(void **state) {
    static const char *const texts[] = {"29 Aug 2019", "", "2001-02-29", "2020-01-01T00:00:00"};
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(texts); i++) {
        artpack_article a, back;
        rb want = {{0}, 0};
        unsigned char *rec;
        size_t n;
        artpack_article_init(&a);
        assert_ap_ok(artpack_date_parse(&a.date, texts[i], strlen(texts[i])));
        assert_int_equal(a.date.kind, ARTPACK_TEXT);
        rb_block(&want, 4, WT_BYTES, texts[i], strlen(texts[i]));
        rb_byte(&want, 0);
        rec = encode_exact(&a, &n);
        assert_int_equal(n, want.n);
        assert_memory_equal(rec, want.b, n);
        assert_ap_ok(artpack_record_decode(&back, rec, n, NULL));
        assert_int_equal(back.date.kind, ARTPACK_TEXT);
        assert_ptr_equal(back.date.text.ptr, rec + 2); /* points into the record */
        free(rec);
        check_roundtrip(&a);
    }
}

static void test_timestamp_number_roundtrip(void **state) {
    static const char *const texts[] = {
        "2006-10-20T18:15:00-04:00", "1987-02-26T15:01:01.79", "1987-02-26T15:01:01.790",
        "2006-10-20T18:15:00Z",      "2006-10-20T18:15:00-00:00", "2006-10-20T18:15:00+23:59",
        "0000-01-01T00:00:00",       "9999-12-31T23:59:59.999999999+00:00",
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(texts); i++) {
        artpack_article a, t;
        rb want = {{0}, 0}, payload = {{0}, 0};
        unsigned char *rec, *rec2;
        size_t n, n2;
        artpack_article_init(&a);
        assert_ap_ok(artpack_timestamp_parse(&a.published, texts[i], strlen(texts[i])));
        assert_int_equal(a.published.kind, ARTPACK_NUMBER);
        /* PACKED: head, zigzag seconds, [fraction], [offset] */
        rb_varint(&payload, a.published.fraction_digits | (unsigned)a.published.zone << 4);
        rb_varint(&payload, zigzag(a.published.seconds));
        if (a.published.fraction_digits) rb_varint(&payload, a.published.fraction);
        if (a.published.zone >= ARTPACK_ZONE_PLUS) rb_varint(&payload, a.published.offset_minutes);
        rb_block(&want, 5, WT_PACKED, payload.b, payload.n);
        rb_byte(&want, 0);
        rec = encode_exact(&a, &n);
        assert_int_equal(n, want.n);
        assert_memory_equal(rec, want.b, n);
        check_roundtrip(&a);
        /* the same timestamp given as TEXT is written as the same number */
        artpack_article_init(&t);
        t.published.kind = ARTPACK_TEXT;
        t.published.text = tu_str(texts[i]);
        rec2 = encode_exact(&t, &n2);
        assert_int_equal(n2, n);
        assert_memory_equal(rec2, rec, n);
        free(rec);
        free(rec2);
    }
    { /* one spelled out: -04:00 is zone 3 (head 0x30), offset 240 = F0 01 */
        artpack_article a;
        unsigned char *rec;
        size_t n;
        artpack_article_init(&a);
        assert_ap_ok(artpack_timestamp_parse(&a.published, texts[0], strlen(texts[0])));
        rec = encode_exact(&a, &n);
        assert_int_equal(rec[0], KEY(5, WT_PACKED));
        assert_int_equal(rec[1], n - 3);
        assert_int_equal(rec[2], 0x30);
        assert_int_equal(rec[n - 3], 0xF0);
        assert_int_equal(rec[n - 2], 0x01);
        assert_int_equal(rec[n - 1], 0x00);
        free(rec);
    }
}

static void test_timestamp_text_roundtrip(void **state) {
    static const char *const texts[] = {"yesterday", "", "2020-01-01T24:00:00",
                                        "2020-01-01T00:00:00+0400"};
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(texts); i++) {
        artpack_article a;
        rb want = {{0}, 0};
        unsigned char *rec;
        size_t n;
        artpack_article_init(&a);
        assert_ap_ok(artpack_timestamp_parse(&a.published, texts[i], strlen(texts[i])));
        assert_int_equal(a.published.kind, ARTPACK_TEXT);
        rb_block(&want, 5, WT_BYTES, texts[i], strlen(texts[i]));
        rb_byte(&want, 0);
        rec = encode_exact(&a, &n);
        assert_int_equal(n, want.n);
        assert_memory_equal(rec, want.b, n);
        free(rec);
        check_roundtrip(&a);
    }
}

static void test_list_fields_roundtrip(void **state) {
    const artpack_str items[] = {tu_str(""), tu_str("a"), tu_strn(NULL, 0), tu_str("bc"),
                                 tu_str("\xe6\x97\xa5")};
    static const size_t counts[] = {0, 1, 3, 5};
    size_t i, c;
    (void)state;
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        if (f->kind != ARTPACK_KIND_LIST) continue;
        for (c = 0; c < TU_COUNT(counts); c++) {
            artpack_article a, back;
            artpack_list *l = (artpack_list *)((char *)&a + f->offset), *bl;
            rb payload = {{0}, 0}, want = {{0}, 0};
            unsigned char *rec;
            size_t n, k;
            artpack_article_init(&a);
            *l = tu_list(counts[c] ? items : NULL, counts[c]);
            for (k = 0; k < counts[c]; k++) {
                rb_varint(&payload, items[k].len);
                if (items[k].len) rb_bytes(&payload, items[k].ptr, items[k].len);
            }
            rb_block(&want, f->tag, WT_LIST, payload.b, payload.n);
            rb_byte(&want, 0);
            rec = encode_exact(&a, &n);
            assert_int_equal(n, want.n);
            assert_memory_equal(rec, want.b, n);
            assert_ap_ok(artpack_record_decode(&back, rec, n, NULL));
            bl = (artpack_list *)((char *)&back + f->offset);
            assert_true(bl->present); /* an empty list is present */
            assert_null(bl->items);  /* decoded lists are in wire form */
            assert_non_null(bl->wire);
            assert_int_equal(bl->wire_size, payload.n);
            assert_int_equal(artpack_list_count(bl), counts[c]);
            free(rec);
            check_roundtrip(&a);
        }
    }
}

static void test_extra_roundtrip(void **state) {
    /* keys sorted bytewise, a prefix first; the empty key; typed names whose
     * field is absent, with a value of another type */
    const artpack_str pairs[] = {
        tu_str(""),      tu_str("null"),  tu_str("a"),       tu_str("{\"k\":[1,2]}"),
        tu_str("ab"),    tu_str("-0"),    tu_str("b"),       tu_str("\"s\""),
        tu_str("tags"),  tu_str("\"x\""), tu_str("title"),   tu_str("5"),
        tu_str("\xc3\xa9"), tu_str("true"),
    };
    size_t npairs;
    (void)state;
    for (npairs = 0; npairs <= TU_COUNT(pairs) / 2; npairs++) {
        artpack_article a;
        artpack_article_init(&a);
        a.extra = tu_list(npairs ? pairs : NULL, 2 * npairs);
        check_roundtrip(&a);
    }
}

static void test_full_articles_roundtrip(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        fixture f;
        unsigned char *rec, big[4096];
        size_t n, w = 0, size = 0;
        artpack_article back;
        fixtures[i](&f);
        check_roundtrip(&f.a);
        rec = encode_exact(&f.a, &n);
        assert_ap_ok(artpack_record_size(&f.a, &size));
        assert_int_equal(size, n);
        /* a larger buffer gives the same bytes */
        assert_ap_ok(artpack_record_encode(big, sizeof big, &f.a, &w));
        assert_int_equal(w, n);
        assert_memory_equal(big, rec, n);
        /* every decoded string points into the record */
        assert_ap_ok(artpack_record_decode(&back, rec, n, NULL));
        if (back.title.ptr != NULL)
            assert_true((const unsigned char *)back.title.ptr >= rec &&
                        (const unsigned char *)back.title.ptr + back.title.len <= rec + n);
        assert_true(back.extra.wire >= rec && back.extra.wire + back.extra.wire_size <= rec + n);
        free(rec);
    }
}

/* ---- every error code ---- */

static void test_error_null_arg(void **state) {
    artpack_article a, out;
    unsigned char buf[8];
    size_t n;
    (void)state;
    artpack_article_init(&a);
    assert_ap_error(artpack_record_size(NULL, &n), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_record_size(&a, NULL), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_record_encode(NULL, 8, &a, &n), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_record_encode(buf, 8, NULL, &n), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_record_encode(buf, 8, &a, NULL), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_record_decode(NULL, "\0", 1, NULL), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_record_decode(&out, NULL, 1, NULL), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_record_validate(NULL, 1, NULL), ARTPACK_E_NULL_ARG);
    /* NULL with size 0 is an empty buffer, not a NULL argument */
    assert_ap_error(artpack_record_encode(NULL, 0, &a, &n), ARTPACK_E_DST_TOO_SMALL);
    assert_ap_error(artpack_record_decode(&out, NULL, 0, NULL), ARTPACK_E_TRUNCATED);
}

static void test_error_dst_too_small_every_capacity(void **state) {
    size_t i, cap;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        fixture f;
        size_t size = 0;
        fixtures[i](&f);
        assert_ap_ok(artpack_record_size(&f.a, &size));
        for (cap = 0; cap < size; cap++) {
            unsigned char *buf = (unsigned char *)tu_malloc(cap + 16);
            size_t w = 777, k;
            memset(buf, 0xA5, cap + 16);
            assert_ap_error(artpack_record_encode(buf, cap, &f.a, &w), ARTPACK_E_DST_TOO_SMALL);
            for (k = cap; k < cap + 16; k++) assert_int_equal(buf[k], 0xA5); /* no overrun */
            free(buf);
        }
    }
}

static void test_error_truncated(void **state) {
    artpack_article a;
    unsigned char *none = tu_dup("", 0);
    size_t off = 99;
    (void)state;
    assert_ap_error(artpack_record_decode(&a, none, 0, &off), ARTPACK_E_TRUNCATED);
    assert_int_equal(off, 0);
    free(none);
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x05, 0x03, 'a', 'b');     /* block past the end */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 3, 0x05, 0x01, 'a');          /* no end byte */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 3, 0x05, 0x01, 'a', 0x80);    /* key cut */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x05, 0x80);               /* length cut */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, KEY(4, WT_VARINT), 0xAE);  /* value cut */
    /* a length of exactly ARTPACK_MAX_FIELD_SIZE is allowed, but not there */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x05, 0x80, 0x80, 0x80, 0x80, 0x04, 'a', 0x00);
}

/* every proper prefix of real records is an error, never a shorter article */
static void test_error_every_truncation_of_real_records(void **state) {
    size_t i, k;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        fixture f;
        size_t n;
        unsigned char *rec;
        fixtures[i](&f);
        rec = encode_exact(&f.a, &n);
        for (k = 0; k < n; k++) {
            unsigned char *cut = tu_dup(rec, k);
            artpack_article a;
            size_t off = 99999;
            assert_ap_error(artpack_record_decode(&a, cut, k, &off), ARTPACK_E_TRUNCATED);
            assert_true(off <= k);
            assert_true(article_is_absent(&a));
            free(cut);
        }
        free(rec);
    }
}

static void test_error_varint(void **state) {
    (void)state;
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x80, 0x00);                  /* key */
    EXPECT_DECODE(ARTPACK_E_VARINT, 3, 0x05, 0x01, 'a', 0x85, 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x05, 0x81, 0x00, 'a', 0x00); /* length */
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, KEY(4, WT_VARINT), 0x80, 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00);
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x00);
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, KEY(13, WT_LIST), 0x03, 0x81, 0x00, 0x00, 0x00);
}

static void test_error_wire_type(void **state) {
    size_t i;
    unsigned wt;
    (void)state;
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        for (wt = 0; wt < 4; wt++) {
            int ok = (f->kind == ARTPACK_KIND_STRING && wt == WT_BYTES) ||
                     (f->kind == ARTPACK_KIND_DATE && (wt == WT_VARINT || wt == WT_BYTES)) ||
                     (f->kind == ARTPACK_KIND_TIMESTAMP && (wt == WT_BYTES || wt == WT_PACKED)) ||
                     (f->kind >= ARTPACK_KIND_LIST && wt == WT_LIST);
            rb r = {{0}, 0};
            rb_block(&r, 1, WT_BYTES, "x", 1); /* a field before it */
            if (f->tag == 1) r.n = 0;
            if (f->kind == ARTPACK_KIND_TIMESTAMP && wt == WT_PACKED)
                rb_block(&r, f->tag, wt, "\0\0", 2); /* head 0, seconds 0 */
            else
                rb_block(&r, f->tag, wt, "", 0); /* varint 0, or length 0 */
            rb_byte(&r, 0x00);
            EXPECT_DECODE_RB(ok ? ARTPACK_OK : ARTPACK_E_WIRE_TYPE, f->tag == 1 ? 0 : 3, &r);
        }
    }
}

static void test_error_field_order(void **state) {
    (void)state;
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 3, 0x05, 0x01, 'a', 0x05, 0x01, 'b', 0x00);
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 3, KEY(6, 1), 0x01, 'a', 0x05, 0x01, 'b', 0x00);
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 2, KEY(20, 0), 0x00, KEY(20, 0), 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 2, KEY(31, 2), 0x00, KEY(1, 1), 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 2, KEY(4, 0), 0x00, KEY(4, 1), 0x00, 0x00);
}

static void test_error_length(void **state) {
    artpack_article a;
    size_t off = 99;
    (void)state;
    /* 2^30 + 1 */
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, 0x05, 0x81, 0x80, 0x80, 0x80, 0x04, 'a', 0x00);
    /* a list element running past its list (not past the record) */
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, KEY(13, 2), 0x02, 0x05, 'a', 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, KEY(8, 2), 0x02, 0x02, 'a', 'b', 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, KEY(31, 2), 0x03, 0x01, 'k', 0x01, 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, KEY(11, 2), 0x05, 0x81, 0x80, 0x80, 0x80, 0x04, 0x00);
    /* the record size itself is checked before any byte is read */
    assert_ap_error(artpack_record_decode(&a, "\0", ARTPACK_MAX_FIELD_SIZE + 1, &off),
                    ARTPACK_E_LENGTH);
    assert_int_equal(off, 0);
}

static void test_error_date(void **state) {
    static const uint64_t bad[] = {(uint64_t)(DAYS_MAX + 1) * 2, (uint64_t)(-(DAYS_MIN - 1)) * 2 - 1,
                                   UINT64_MAX, UINT64_MAX - 1};
    size_t i;
    artpack_article a;
    (void)state;
    for (i = 0; i < TU_COUNT(bad); i++) {
        rb r = {{0}, 0};
        rb_byte(&r, KEY(4, WT_VARINT));
        rb_varint(&r, bad[i]);
        rb_byte(&r, 0);
        EXPECT_DECODE_RB(ARTPACK_E_DATE, 0, &r);
    }
    artpack_article_init(&a);
    a.date.kind = ARTPACK_NUMBER;
    a.date.days = DAYS_MAX + 1;
    EXPECT_ENCODE(ARTPACK_E_DATE, &a);
    a.date.days = DAYS_MIN - 1;
    EXPECT_ENCODE(ARTPACK_E_DATE, &a);
}

static void test_error_timestamp(void **state) {
    static const unsigned char payloads[][8] = {
        /* n, bytes... */
        {0},                         /* empty */
        {2, 0x0A, 0x00},             /* 10 fraction digits */
        {2, 0x40, 0x00},             /* head bits above the zone */
        {3, 0x80, 0x00, 0x00},       /* head not minimal */
        {1, 0x00},                   /* no seconds */
        {2, 0x01, 0x00},             /* fraction missing */
        {3, 0x02, 0x00, 0x64},       /* fraction 100 with 2 digits */
        {2, 0x20, 0x00},             /* offset missing */
        {4, 0x20, 0x00, 0xA0, 0x0B}, /* offset 1440 */
        {3, 0x00, 0x00, 0x00},       /* a varint too many */
        {3, 0x10, 0x00, 0x00},       /* offset with zone Z */
        {2, 0x00, 0x80},             /* seconds cut */
    };
    size_t i;
    artpack_article a;
    (void)state;
    for (i = 0; i < TU_COUNT(payloads); i++) {
        rb r = {{0}, 0};
        rb_block(&r, 5, WT_PACKED, payloads[i] + 1, payloads[i][0]);
        rb_byte(&r, 0);
        EXPECT_DECODE_RB(ARTPACK_E_TIMESTAMP, 0, &r);
    }
    { /* seconds past 9999-12-31T23:59:59 */
        rb r = {{0}, 0}, p = {{0}, 0};
        rb_byte(&p, 0);
        rb_varint(&p, zigzag(SECONDS_MAX + 1));
        rb_block(&r, 5, WT_PACKED, p.b, p.n);
        rb_byte(&r, 0);
        EXPECT_DECODE_RB(ARTPACK_E_TIMESTAMP, 0, &r);
    }
    artpack_article_init(&a);
    assert_ap_ok(artpack_timestamp_parse(&a.published, "2006-10-20T18:15:00Z", 20));
    a.published.offset_minutes = 5;
    EXPECT_ENCODE(ARTPACK_E_TIMESTAMP, &a);
    a.published.offset_minutes = 0;
    a.published.seconds = SECONDS_MAX + 1;
    EXPECT_ENCODE(ARTPACK_E_TIMESTAMP, &a);
    a.published.seconds = 0;
    a.published.fraction_digits = 10;
    EXPECT_ENCODE(ARTPACK_E_TIMESTAMP, &a);
}

static void test_error_noncanonical(void **state) {
    const artpack_str typed[] = {tu_str("title"), tu_str("date"), tu_str("published"), tu_str("id")};
    size_t i;
    rb r = {{0}, 0};
    (void)state;
    rb_block(&r, 4, WT_BYTES, "2020-01-01", 10); /* should have been a number */
    rb_byte(&r, 0);
    EXPECT_DECODE_RB(ARTPACK_E_NONCANONICAL, 0, &r);
    r.n = 0;
    rb_block(&r, 1, WT_BYTES, "a", 1);
    rb_block(&r, 5, WT_BYTES, "2020-01-01T00:00:00Z", 20);
    rb_byte(&r, 0);
    EXPECT_DECODE_RB(ARTPACK_E_NONCANONICAL, 3, &r);
    for (i = 0; i < TU_COUNT(typed); i++) { /* a string value belongs in the typed field */
        artpack_article a;
        artpack_str pair[2];
        const char *items[2];
        char key[16];
        memcpy(key, typed[i].ptr, typed[i].len + 1);
        pair[0] = typed[i];
        pair[1] = tu_str("\"x\"");
        artpack_article_init(&a);
        a.extra = tu_list(pair, 2);
        EXPECT_ENCODE(ARTPACK_E_NONCANONICAL, &a);
        items[0] = key;
        items[1] = "\"x\"";
        r.n = 0;
        rb_list(&r, 31, items, 2);
        rb_byte(&r, 0);
        EXPECT_DECODE_RB(ARTPACK_E_NONCANONICAL, 0, &r);
    }
}

static void test_error_extra(void **state) {
    static const char *const cases[][5] = {
        {"k"},                           /* odd count */
        {"a", "1", "k"},                 /* odd count */
        {"b", "1", "a", "2"},            /* unsorted */
        {"a", "1", "a", "2"},            /* repeated key */
        {"ab", "1", "a", "2"},           /* a prefix sorts first */
        {"a", ""},                       /* empty value */
        {"a", "1", "b", ""},
    };
    static const size_t counts[] = {1, 3, 4, 4, 4, 2, 4};
    size_t i, k;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        artpack_article a;
        artpack_str items[5];
        rb r = {{0}, 0};
        for (k = 0; k < counts[i]; k++) items[k] = tu_str(cases[i][k]);
        artpack_article_init(&a);
        a.extra = tu_list(items, counts[i]);
        EXPECT_ENCODE(ARTPACK_E_EXTRA, &a);
        rb_block(&r, 2, WT_BYTES, "u", 1);
        rb_list(&r, 31, cases[i], counts[i]);
        rb_byte(&r, 0);
        EXPECT_DECODE_RB(ARTPACK_E_EXTRA, 3, &r);
    }
}

static void test_error_duplicate_key(void **state) {
    artpack_article a;
    artpack_str pair[2];
    static const char *const title_pair[] = {"title", "5"}, *const tags_pair[] = {"tags", "\"x\""};
    rb r = {{0}, 0};
    (void)state;
    artpack_article_init(&a);
    a.title = tu_str("t");
    pair[0] = tu_str("title");
    pair[1] = tu_str("5");
    a.extra = tu_list(pair, 2);
    EXPECT_ENCODE(ARTPACK_E_DUPLICATE_KEY, &a);
    artpack_article_init(&a);
    a.tags = tu_list(NULL, 0); /* present, even if empty */
    pair[0] = tu_str("tags");
    pair[1] = tu_str("\"x\"");
    a.extra = tu_list(pair, 2);
    EXPECT_ENCODE(ARTPACK_E_DUPLICATE_KEY, &a);
    rb_block(&r, 6, WT_BYTES, "t", 1);
    rb_list(&r, 31, title_pair, 2);
    rb_byte(&r, 0);
    EXPECT_DECODE_RB(ARTPACK_E_DUPLICATE_KEY, 3, &r);
    r.n = 0;
    rb_list(&r, 13, NULL, 0);
    rb_list(&r, 31, tags_pair, 2);
    rb_byte(&r, 0);
    EXPECT_DECODE_RB(ARTPACK_E_DUPLICATE_KEY, 2, &r);
}

static void test_error_tag(void **state) {
    (void)state;
    EXPECT_DECODE(ARTPACK_E_TAG, 0, 0x00, 0x00);                 /* bytes after the end */
    EXPECT_DECODE(ARTPACK_E_TAG, 3, 0x05, 0x01, 'a', 0x00, 0x05); /* bytes after the end */
    EXPECT_DECODE(ARTPACK_E_TAG, 0, 0x01, 0x00, 0x00);           /* tag 0, BYTES */
    EXPECT_DECODE(ARTPACK_E_TAG, 0, 0x02, 0x00, 0x00);           /* tag 0, LIST */
    EXPECT_DECODE(ARTPACK_E_TAG, 3, 0x05, 0x01, 'a', 0x03, 0x00, 0x00); /* tag 0, PACKED */
}

static void test_error_bad_view(void **state) {
    static const unsigned char bad_wire[] = {0x01, 'a', 0x05, 'b'};
    artpack_article a;
    artpack_str items[2] = {{NULL, 1}, {"x", 1}};
    (void)state;
#define BAD(stmt)                                                              \
    do {                                                                       \
        artpack_article_init(&a);                                              \
        stmt;                                                                  \
        EXPECT_ENCODE(ARTPACK_E_BAD_VIEW, &a);                                 \
    } while (0)
    BAD(a.title = tu_strn(NULL, 3));
    BAD(a.body = tu_list(NULL, 2));
    BAD(a.tags = tu_list(items, 2)); /* NULL item with a length */
    BAD(a.extra = tu_list(items, 2));
    BAD(a.extra = tu_list(NULL, 2));
    BAD(a.date.kind = (artpack_value_kind)7);
    BAD(a.date.kind = ARTPACK_TEXT);     /* TEXT with a NULL text */
    BAD(a.published.kind = (artpack_value_kind)9);
    BAD(a.published.kind = ARTPACK_TEXT);
    BAD((a.authors.present = 1, a.authors.wire = bad_wire, a.authors.wire_size = sizeof bad_wire));
    BAD((a.extra.present = 1, a.extra.wire = bad_wire, a.extra.wire_size = sizeof bad_wire));
#undef BAD
}

/* Lengths over ARTPACK_MAX_FIELD_SIZE are refused before anything is read
 * or copied (record.c checks them first), so the views below may claim far
 * more bytes than they point at. */
static void test_error_too_large(void **state) {
    static const char ts_text[] = "not a timestamp at all, not at all";
    const size_t huge = ARTPACK_MAX_FIELD_SIZE + 1, half = ARTPACK_MAX_FIELD_SIZE / 2 + 1;
    artpack_article a;
    artpack_str items[2];
    (void)state;
#define LARGE(stmt)                                                            \
    do {                                                                       \
        artpack_article_init(&a);                                              \
        stmt;                                                                  \
        EXPECT_ENCODE(ARTPACK_E_TOO_LARGE, &a);                                \
    } while (0)
    LARGE(a.title = tu_strn("x", huge));
    LARGE(a.id = tu_strn("x", huge));
    LARGE((a.date.kind = ARTPACK_TEXT, a.date.text = tu_strn("x", huge)));
    LARGE((a.published.kind = ARTPACK_TEXT, a.published.text = tu_strn(ts_text, huge)));
    items[0] = tu_strn("x", huge);
    LARGE(a.body = tu_list(items, 1));
    items[0] = tu_strn("x", half); /* each fits, not both */
    items[1] = tu_strn("y", half);
    LARGE(a.tags = tu_list(items, 2));
    LARGE((a.title = tu_strn("x", half), a.summary = tu_strn("y", half))); /* the record */
    items[0] = tu_str("k");
    items[1] = tu_strn("v", huge);
    LARGE(a.extra = tu_list(items, 2));
    LARGE((a.authors.present = 1, a.authors.wire = (const unsigned char *)"\0",
           a.authors.wire_size = huge));
#undef LARGE
}

/* ---- forward compatibility: unknown tags are skipped ---- */

static void test_unknown_tags_are_skipped(void **state) {
    static const char *const tags[] = {"t"}, *const extra[] = {"k", "1"};
    static const unsigned char payloads[4][3] = {{0xAC, 0x02}, {'h', 'i'}, {0x02, 'h', 'i'}, {0x01, 0x02}};
    static const size_t sizes[4] = {2, 2, 3, 2};
    static const unsigned later_tags[] = {14, 20, 30};
    unsigned wt;
    size_t t;
    (void)state;
    for (t = 0; t < TU_COUNT(later_tags); t++)
        for (wt = 0; wt < 4; wt++) {
            rb with = {{0}, 0}, without = {{0}, 0};
            artpack_article a;
            unsigned char *re;
            size_t n;
            rb_block(&with, 1, WT_BYTES, "a", 1);
            rb_list(&with, 13, tags, 1);
            without = with;
            rb_varint(&with, KEY(later_tags[t], wt)); /* the unknown field */
            if (wt != WT_VARINT) rb_varint(&with, sizes[wt]); /* varint 300, or a block */
            rb_bytes(&with, payloads[wt], sizes[wt]);
            rb_list(&with, 31, extra, 2);
            rb_list(&without, 31, extra, 2);
            if (wt == WT_PACKED) { /* and more after the extra field */
                rb_block(&with, 32, WT_BYTES, "zz", 2);
                rb_varint(&with, KEY(1000, WT_VARINT));
                rb_varint(&with, 5);
            }
            rb_byte(&with, 0);
            rb_byte(&without, 0);
            EXPECT_DECODE_RB(ARTPACK_OK, 0, &with);
            assert_ap_ok(artpack_record_decode(&a, with.b, with.n, NULL));
            assert_bytes_equal_str(a.id.ptr, a.id.len, "a");
            assert_int_equal(artpack_list_count(&a.tags), 1);
            assert_int_equal(artpack_list_count(&a.extra), 2);
            re = encode_exact(&a, &n); /* unknown fields are not kept */
            assert_int_equal(n, without.n);
            assert_memory_equal(re, without.b, n);
            free(re);
        }
    /* an unknown field is still bounds- and varint-checked */
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, KEY(20, WT_VARINT), 0x80, 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, KEY(20, WT_BYTES), 0x05, 'a', 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, KEY(20, WT_LIST), 0x81, 0x80, 0x80, 0x80, 0x04, 0x00);
}

/* ---- errors: names, messages; version ---- */

#define CODE(c) {c, #c}
static const struct {
    artpack_error code;
    const char *name;
} all_codes[] = {
    CODE(ARTPACK_OK),          CODE(ARTPACK_E_NULL_ARG),      CODE(ARTPACK_E_DST_TOO_SMALL),
    CODE(ARTPACK_E_TRUNCATED), CODE(ARTPACK_E_VARINT),        CODE(ARTPACK_E_WIRE_TYPE),
    CODE(ARTPACK_E_FIELD_ORDER), CODE(ARTPACK_E_LENGTH),      CODE(ARTPACK_E_DATE),
    CODE(ARTPACK_E_TIMESTAMP), CODE(ARTPACK_E_NONCANONICAL),  CODE(ARTPACK_E_EXTRA),
    CODE(ARTPACK_E_DUPLICATE_KEY), CODE(ARTPACK_E_TAG),       CODE(ARTPACK_E_BAD_VIEW),
    CODE(ARTPACK_E_TOO_LARGE),
};
#undef CODE

static void test_error_names_and_messages(void **state) {
    static const int unknown[] = {-1, 3, 63, 75, 127, 130, 999};
    size_t i, j;
    (void)state;
    for (i = 0; i < TU_COUNT(all_codes); i++) {
        const char *name = artpack_error_name(all_codes[i].code);
        const char *msg = artpack_error_message(all_codes[i].code);
        assert_non_null(name);
        assert_non_null(msg);
        assert_string_equal(name, all_codes[i].name);
        assert_true(strlen(msg) > 0);
        for (j = 0; j < i; j++) {
            assert_string_not_equal(name, artpack_error_name(all_codes[j].code));
            assert_string_not_equal(msg, artpack_error_message(all_codes[j].code));
        }
    }
    for (i = 0; i < TU_COUNT(unknown); i++) {
        const char *name = artpack_error_name((artpack_error)unknown[i]);
        assert_non_null(name);
        assert_string_equal(name, "ARTPACK_E_UNKNOWN");
        assert_non_null(artpack_error_message((artpack_error)unknown[i]));
        for (j = 0; j < TU_COUNT(all_codes); j++) assert_string_not_equal(name, all_codes[j].name);
    }
}

static void test_version(void **state) {
    char want[32];
    (void)state;
    assert_int_equal(artpack_version_number(), ARTPACK_VERSION_NUMBER);
    assert_int_equal(ARTPACK_VERSION_NUMBER, ARTPACK_VERSION_MAJOR * 10000 +
                                                 ARTPACK_VERSION_MINOR * 100 + ARTPACK_VERSION_RELEASE);
    assert_string_equal(artpack_version_string(), ARTPACK_VERSION_STRING);
    snprintf(want, sizeof want, "%d.%d.%d", ARTPACK_VERSION_MAJOR, ARTPACK_VERSION_MINOR,
             ARTPACK_VERSION_RELEASE);
    assert_string_equal(artpack_version_string(), want);
    assert_int_equal(ARTPACK_WIRE_VERSION, 1);
}

/* ---- lists ---- */

static void test_list_iteration(void **state) {
    static const unsigned char wire[] = {0x01, 'a', 0x00, 0x02, 'b', 'c'};
    static const unsigned char broken[] = {0x01, 'a', 0x05, 'b'};
    const artpack_str items[] = {tu_str("x"), tu_strn(NULL, 0), tu_str("yz")};
    artpack_list l, w;
    artpack_list_iter it, it2;
    artpack_str s;
    (void)state;
    l = tu_list(items, 3); /* items form */
    assert_int_equal(artpack_list_count(&l), 3);
    artpack_list_begin(&it, &l);
    artpack_list_begin(&it2, &l);
    assert_true(artpack_list_next(&it, &s));
    assert_bytes_equal_str(s.ptr, s.len, "x");
    assert_true(artpack_list_next(&it, &s));
    assert_non_null(s.ptr); /* an item is always present */
    assert_int_equal(s.len, 0);
    assert_true(artpack_list_next(&it, &s));
    assert_bytes_equal_str(s.ptr, s.len, "yz");
    assert_false(artpack_list_next(&it, &s));
    assert_false(artpack_list_next(&it, &s)); /* stays at the end */
    assert_true(artpack_list_next(&it2, &s)); /* iterators are independent */
    assert_bytes_equal_str(s.ptr, s.len, "x");
    l.present = 0; /* absent */
    assert_int_equal(artpack_list_count(&l), 0);
    artpack_list_begin(&it, &l);
    assert_false(artpack_list_next(&it, &s));
    l = tu_list(NULL, 0);
    assert_int_equal(artpack_list_count(&l), 0);
    artpack_list_begin(&it, &l);
    assert_false(artpack_list_next(&it, &s));
    /* wire form */
    memset(&w, 0, sizeof w);
    w.present = 1;
    w.wire = wire;
    w.wire_size = sizeof wire;
    assert_int_equal(artpack_list_count(&w), 3);
    artpack_list_begin(&it, &w);
    assert_true(artpack_list_next(&it, &s));
    assert_ptr_equal(s.ptr, wire + 1);
    assert_int_equal(s.len, 1);
    assert_true(artpack_list_next(&it, &s));
    assert_int_equal(s.len, 0);
    assert_true(artpack_list_next(&it, &s));
    assert_bytes_equal_str(s.ptr, s.len, "bc");
    assert_false(artpack_list_next(&it, &s));
    w.wire_size = 0; /* empty, but present */
    assert_int_equal(artpack_list_count(&w), 0);
    w.wire = broken; /* malformed: stops after the good prefix, for good */
    w.wire_size = sizeof broken;
    assert_int_equal(artpack_list_count(&w), 1);
    artpack_list_begin(&it, &w);
    assert_true(artpack_list_next(&it, &s));
    assert_false(artpack_list_next(&it, &s));
    assert_false(artpack_list_next(&it, &s));
    /* NULL arguments */
    assert_int_equal(artpack_list_count(NULL), 0);
    artpack_list_begin(NULL, &l);
    artpack_list_begin(&it, NULL);
    assert_false(artpack_list_next(&it, &s));
    assert_false(artpack_list_next(NULL, &s));
    artpack_list_begin(&it, &w);
    assert_false(artpack_list_next(&it, NULL));
}

/* ---- schema, bound ---- */

static void test_schema_table(void **state) {
    static const struct {
        const char *name;
        unsigned tag;
        artpack_field_kind kind;
        size_t offset;
    } want[] = {
        {"id", 1, ARTPACK_KIND_STRING, offsetof(artpack_article, id)},
        {"url", 2, ARTPACK_KIND_STRING, offsetof(artpack_article, url)},
        {"source", 3, ARTPACK_KIND_STRING, offsetof(artpack_article, source)},
        {"date", 4, ARTPACK_KIND_DATE, offsetof(artpack_article, date)},
        {"published", 5, ARTPACK_KIND_TIMESTAMP, offsetof(artpack_article, published)},
        {"title", 6, ARTPACK_KIND_STRING, offsetof(artpack_article, title)},
        {"author", 7, ARTPACK_KIND_STRING, offsetof(artpack_article, author)},
        {"authors", 8, ARTPACK_KIND_LIST, offsetof(artpack_article, authors)},
        {"summary", 9, ARTPACK_KIND_STRING, offsetof(artpack_article, summary)},
        {"dateline", 10, ARTPACK_KIND_STRING, offsetof(artpack_article, dateline)},
        {"body", 11, ARTPACK_KIND_LIST, offsetof(artpack_article, body)},
        {"language", 12, ARTPACK_KIND_STRING, offsetof(artpack_article, language)},
        {"tags", 13, ARTPACK_KIND_LIST, offsetof(artpack_article, tags)},
        {"", 31, ARTPACK_KIND_EXTRA, offsetof(artpack_article, extra)},
    };
    static const char *const not_names[] = {"Title", "titl", "titles", "extra", "ID", " id", "tag"};
    size_t i;
    (void)state;
    assert_int_equal(artpack_schema_count(), TU_COUNT(want));
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        assert_non_null(f);
        assert_non_null(f->name);
        assert_string_equal(f->name, want[i].name);
        assert_int_equal(f->tag, want[i].tag);
        assert_int_equal(f->kind, want[i].kind);
        assert_int_equal(f->offset, want[i].offset);
        assert_true(f->tag >= 1 && f->tag <= 31);
        if (i > 0) assert_true(f->tag > artpack_schema_field(i - 1)->tag); /* ascending */
        if (f->kind == ARTPACK_KIND_EXTRA)
            assert_null(artpack_schema_find(f->name, strlen(f->name)));
        else
            assert_ptr_equal(artpack_schema_find(f->name, strlen(f->name)), f);
    }
    assert_null(artpack_schema_field(artpack_schema_count()));
    assert_null(artpack_schema_field((size_t)-1));
    assert_null(artpack_schema_find("", 0));
    assert_null(artpack_schema_find(NULL, 0));
    assert_null(artpack_schema_find(NULL, 5));
    assert_null(artpack_schema_find("id\0", 3));
    for (i = 0; i < TU_COUNT(not_names); i++)
        assert_null(artpack_schema_find(not_names[i], strlen(not_names[i])));
    assert_ptr_equal(artpack_schema_find("titles", 5), artpack_schema_field(5)); /* len counts */
}

static void test_record_bound(void **state) {
    static const size_t sizes[] = {0, 1, 2, 100, (1u << 18) - 1, 1u << 18, 1000000, 1u << 30};
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(sizes); i++) {
        assert_int_equal(ARTPACK_RECORD_BOUND(sizes[i]), artpack_record_bound(sizes[i]));
        assert_true(artpack_record_bound(sizes[i]) >= sizes[i] + 16);
    }
}

/* ---- property tests ---- */

typedef struct gen {
    tu_rng rng;
    char arena[32768];
    size_t used;
    fixture f;
} gen;

static artpack_str gen_bytes(gen *g, size_t n, const char *alphabet) {
    char *p = g->arena + g->used;
    size_t i, na = alphabet ? strlen(alphabet) : 0;
    assert_true(g->used + n <= sizeof g->arena);
    for (i = 0; i < n; i++)
        p[i] = na ? alphabet[tu_below(&g->rng, na)] : (char)tu_below(&g->rng, 256);
    g->used += n;
    return tu_strn(p, n);
}

static artpack_str gen_string(gen *g) {
    size_t n = tu_below(&g->rng, 8) == 0 ? (size_t)tu_below(&g->rng, 400) : (size_t)tu_below(&g->rng, 24);
    return gen_bytes(g, n, NULL);
}

static void gen_list(gen *g, artpack_list *l, artpack_str *items) {
    size_t i, n = tu_below(&g->rng, 6);
    if (tu_below(&g->rng, 2) == 0) return; /* absent */
    for (i = 0; i < n; i++) items[i] = tu_below(&g->rng, 10) == 0 ? tu_strn(NULL, 0) : gen_string(g);
    *l = tu_list(n ? items : NULL, n);
}

/* A TEXT value: canonical (the encoder must turn it into a number), almost
 * canonical, or random bytes. */
static artpack_str gen_date_like_text(gen *g, int timestamp) {
    char buf[ARTPACK_TIMESTAMP_TEXT_MAX];
    size_t n = 0;
    if (tu_below(&g->rng, 3) == 0) return gen_bytes(g, tu_below(&g->rng, 30), "0123456789-:TZ+. ");
    if (timestamp) {
        artpack_timestamp t;
        memset(&t, 0, sizeof t);
        t.kind = ARTPACK_NUMBER;
        t.seconds = tu_range(&g->rng, INT64_C(-62167219200), SECONDS_MAX);
        t.zone = (uint8_t)tu_below(&g->rng, 4);
        if (t.zone >= ARTPACK_ZONE_PLUS) t.offset_minutes = (uint16_t)tu_below(&g->rng, 1440);
        t.fraction_digits = (uint8_t)tu_below(&g->rng, 4);
        t.fraction = t.fraction_digits ? (uint32_t)tu_below(&g->rng, 10) : 0;
        assert_ap_ok(artpack_timestamp_format(buf, sizeof buf, &t, &n));
    } else {
        artpack_date d;
        d.kind = ARTPACK_NUMBER;
        d.days = (int32_t)tu_range(&g->rng, DAYS_MIN, DAYS_MAX);
        assert_ap_ok(artpack_date_format(buf, sizeof buf, &d, &n));
    }
    if (tu_below(&g->rng, 2) == 0) buf[tu_below(&g->rng, n)] = (char)('0' + tu_below(&g->rng, 10));
    memcpy(g->arena + g->used, buf, n);
    g->used += n;
    return tu_strn(g->arena + g->used - n, n);
}

static int key_cmp(const void *x, const void *y) {
    const artpack_str *a = (const artpack_str *)x, *b = (const artpack_str *)y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->ptr, b->ptr, n) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void gen_article(gen *g) {
    artpack_article *a = &g->f.a;
    size_t i;
    g->used = 0;
    artpack_article_init(a);
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        if (f->kind == ARTPACK_KIND_STRING && tu_below(&g->rng, 2))
            *(artpack_str *)((char *)a + f->offset) = gen_string(g);
    }
    switch (tu_below(&g->rng, 3)) {
    case 1: a->date.kind = ARTPACK_NUMBER, a->date.days = (int32_t)tu_range(&g->rng, DAYS_MIN, DAYS_MAX); break;
    case 2: a->date.kind = ARTPACK_TEXT, a->date.text = gen_date_like_text(g, 0); break;
    }
    if (tu_below(&g->rng, 3) == 0) {
        a->published.kind = ARTPACK_TEXT;
        a->published.text = gen_date_like_text(g, 1);
    } else if (tu_below(&g->rng, 2) == 0) {
        assert_ap_ok(artpack_timestamp_parse(&a->published, "", 0));
        a->published.kind = ARTPACK_NUMBER;
        a->published.text.ptr = NULL;
        a->published.seconds = tu_range(&g->rng, INT64_C(-62167219200), SECONDS_MAX);
        a->published.fraction_digits = 9;
        a->published.fraction = (uint32_t)tu_below(&g->rng, 1000000000);
        a->published.zone = ARTPACK_ZONE_MINUS;
        a->published.offset_minutes = (uint16_t)tu_below(&g->rng, 1440);
    }
    gen_list(g, &a->authors, g->f.authors);
    gen_list(g, &a->body, g->f.body);
    gen_list(g, &a->tags, g->f.tags);
    if (tu_below(&g->rng, 3) == 0) { /* sorted unique keys, none a schema name */
        artpack_str keys[4];
        size_t n = 0, want = tu_below(&g->rng, 5), k;
        while (n < want) {
            artpack_str key = gen_bytes(g, tu_below(&g->rng, 5), tu_below(&g->rng, 2) ? "abit" : NULL);
            if (artpack_schema_find(key.ptr, key.len) == NULL) keys[n++] = key;
        }
        qsort(keys, n, sizeof keys[0], key_cmp);
        for (i = k = 0; i < n; i++)
            if (k == 0 || key_cmp(&keys[i], &keys[k - 1]) != 0) keys[k++] = keys[i];
        for (i = 0; i < k; i++) {
            g->f.extra[2 * i] = keys[i];
            g->f.extra[2 * i + 1] = gen_bytes(g, 1 + tu_below(&g->rng, 20), NULL);
        }
        a->extra = tu_list(k ? g->f.extra : NULL, 2 * k);
    }
}

static void test_random_articles_roundtrip(void **state) {
    static gen g;
    int i;
    (void)state;
    g.rng.state = UINT64_C(0xA57C1E5);
    for (i = 0; i < 2000; i++) {
        gen_article(&g);
        check_roundtrip(&g.f.a);
    }
}

/* Walks the keys of a valid record: 1 if it has a tag the schema lacks. */
static int has_unknown_tag(const unsigned char *p, size_t n) {
    size_t pos = 0;
    for (;;) {
        uint64_t key, len;
        pos += artpack_varint_read(&key, p + pos, n - pos);
        if (key == 0) return 0;
        if ((key >> 2) > 13 && (key >> 2) != 31) return 1;
        pos += artpack_varint_read(&len, p + pos, n - pos);
        if ((key & 3) != WT_VARINT) pos += (size_t)len;
    }
}

/* Damaged records: never a crash; whatever decodes re-encodes to itself. */
static void test_mutated_records(void **state) {
    tu_rng rng = {UINT64_C(77)};
    size_t i, m;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        fixture f;
        size_t n;
        unsigned char *rec;
        fixtures[i](&f);
        rec = encode_exact(&f.a, &n);
        for (m = 0; m < 3000; m++) {
            unsigned char *bad = tu_dup(rec, n);
            artpack_article a;
            size_t off = 0, flips = 1 + tu_below(&rng, 3), k;
            artpack_error e;
            for (k = 0; k < flips; k++) bad[tu_below(&rng, n)] = (unsigned char)tu_rand64(&rng);
            e = artpack_record_decode(&a, bad, n, &off);
            if (e != ARTPACK_OK) {
                assert_true(off <= n);
                assert_true(article_is_absent(&a));
            } else if (!has_unknown_tag(bad, n)) {
                size_t n2;
                unsigned char *re = encode_exact(&a, &n2);
                assert_int_equal(n2, n); /* canonical: the one encoding */
                assert_memory_equal(re, bad, n);
                free(re);
            }
            free(bad);
        }
        free(rec);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_article),
        cmocka_unit_test(test_spec_example_golden),
        cmocka_unit_test(test_string_fields_roundtrip),
        cmocka_unit_test(test_date_number_roundtrip),
        cmocka_unit_test(test_date_text_roundtrip),
        cmocka_unit_test(test_timestamp_number_roundtrip),
        cmocka_unit_test(test_timestamp_text_roundtrip),
        cmocka_unit_test(test_list_fields_roundtrip),
        cmocka_unit_test(test_extra_roundtrip),
        cmocka_unit_test(test_full_articles_roundtrip),
        cmocka_unit_test(test_error_null_arg),
        cmocka_unit_test(test_error_dst_too_small_every_capacity),
        cmocka_unit_test(test_error_truncated),
        cmocka_unit_test(test_error_every_truncation_of_real_records),
        cmocka_unit_test(test_error_varint),
        cmocka_unit_test(test_error_wire_type),
        cmocka_unit_test(test_error_field_order),
        cmocka_unit_test(test_error_length),
        cmocka_unit_test(test_error_date),
        cmocka_unit_test(test_error_timestamp),
        cmocka_unit_test(test_error_noncanonical),
        cmocka_unit_test(test_error_extra),
        cmocka_unit_test(test_error_duplicate_key),
        cmocka_unit_test(test_error_tag),
        cmocka_unit_test(test_error_bad_view),
        cmocka_unit_test(test_error_too_large),
        cmocka_unit_test(test_unknown_tags_are_skipped),
        cmocka_unit_test(test_error_names_and_messages),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_list_iteration),
        cmocka_unit_test(test_schema_table),
        cmocka_unit_test(test_record_bound),
        cmocka_unit_test(test_random_articles_roundtrip),
        cmocka_unit_test(test_mutated_records),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
