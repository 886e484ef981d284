/* test_record.c - article view <-> record bytes: round trips, the canonical
 * form, every error code, forward compatibility, lists, schema, and property
 * tests over random and damaged records. */
#include "test_util.h"

#include "json_ref.h" /* ref_ap_json_fragment_canonical: jansson's verdict on canonical JSON */

/* The wire format as the codec writes it (codec/internal.h): a key is
 * tag << 3 | wire type; TEXT is bytes then 0xFE; TEXTLIST is elements
 * separated by 0xFF, then 0xFE. Strings are TEXT unless they hold 0xFE
 * (then BYTES); lists are TEXTLIST unless empty or an element holds 0xFE or
 * 0xFF (then LIST). The extra field is tag 15. */
#define KEY(tag, wt) ((uint64_t)(tag) << 3 | (wt))
enum { WT_VARINT, WT_BYTES, WT_LIST, WT_PACKED, WT_TEXT, WT_TEXTLIST };
#define EXTRA_TAG 15
#define DAYS_MIN (-719528)
#define DAYS_MAX 2932896
#define SECONDS_MIN INT64_C(-62167219200)
#define SECONDS_MAX INT64_C(253402300799)

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0); }

/* ---- a tiny builder for hand-made (often broken) records ---- */

typedef struct rb {
    unsigned char b[512];
    size_t n;
} rb;

static void rb_varint(rb *r, uint64_t v) { r->n += artpack_varint_write(r->b + r->n, sizeof r->b - r->n, v); }
static void rb_bytes(rb *r, const void *p, size_t n) {
    if (n) memcpy(r->b + r->n, p, n);
    r->n += n;
}
static void rb_end(rb *r) { r->b[r->n++] = 0x00; }
static void rb_block(rb *r, unsigned tag, unsigned wt, const void *p, size_t n) { /* key, length, bytes */
    rb_varint(r, KEY(tag, wt));
    rb_varint(r, n);
    rb_bytes(r, p, n);
}
static void rb_text(rb *r, unsigned tag, const void *p, size_t n) { /* key, bytes, FE */
    rb_varint(r, KEY(tag, WT_TEXT));
    rb_bytes(r, p, n);
    r->b[r->n++] = 0xFE;
}
/* a string field, as the encoder must write it */
static void rb_str(rb *r, unsigned tag, const void *p, size_t n) {
    if (n && memchr(p, 0xFE, n)) rb_block(r, tag, WT_BYTES, p, n);
    else rb_text(r, tag, p, n);
}
/* a LIST (length-prefixed elements) or TEXTLIST of C strings */
static void rb_list(rb *r, unsigned tag, const char *const *items, size_t count) {
    rb body = {{0}, 0};
    size_t i;
    for (i = 0; i < count; i++) {
        rb_varint(&body, strlen(items[i]));
        rb_bytes(&body, items[i], strlen(items[i]));
    }
    rb_block(r, tag, WT_LIST, body.b, body.n);
}
static void rb_textlist(rb *r, unsigned tag, const char *const *items, size_t count) {
    size_t i;
    rb_varint(r, KEY(tag, WT_TEXTLIST));
    for (i = 0; i < count; i++) {
        if (i) r->b[r->n++] = 0xFF;
        rb_bytes(r, items[i], strlen(items[i]));
    }
    r->b[r->n++] = 0xFE;
}

/* ---- fixtures: realistic articles, written as views ---- */

typedef struct fixture {
    artpack_article a;
    artpack_str authors[4], body[4], tags[4], extra[8];
} fixture;

/* the article of tests/data/seed.jsonl (shortened), every field filled in */
static void fixture_seed(fixture *f) {
    artpack_article *a = &f->a;
    artpack_article_init(a);
    a->id = tu_str("000_a7d884038355ccb7");
    a->url = tu_str("https://www.urdupoint.com/en/world/japanese-south-korean-diplomats.html");
    a->source = tu_str("UrduPoint.com");
    assert_ap_ok(artpack_date_parse(&a->date, "2019-08-29", 10));
    assert_ap_ok(artpack_timestamp_parse(&a->published, "2019-08-29T18:47:00", 19));
    a->title = tu_str("Japanese, South Korean Diplomats Discuss Trade Tensions - Reports");
    a->author = tu_str("Faizan Hashmi");
    {
        static const char *const authors[] = {"Faizan Hashmi", "Sputnik"};
        a->authors = tu_str_list(f->authors, authors, 2);
    }
    a->summary = tu_str("Director-General of the Japanese Foreign Ministry's Asian and Oceanian "
                        "Affairs Bureau Kenji Kanasugi and his South Korean counterpart, Kim "
                        "Jung-han, discussed in Seoul on Thursday bilateral trade tensions over "
                        "the South Korean stance on compensations for World War II forced labor");
    a->dateline = tu_str("MOSCOW (UrduPoint News / Sputnik - 29th August, 2019)");
    f->body[0] = a->summary;
    f->body[1] = tu_str("According to the NHK broadcaster, Kanasugi pointed out that South Korea "
                        "should make the first step toward reconciliation.");
    f->body[2] = tu_str("");
    f->body[3] = tu_str("He added that Japan and South Korea would continue to hold consultations.");
    a->body = tu_list(f->body, 4);
    a->language = tu_str("en");
    {
        static const char *const tags[] = {"japan", "south korea"};
        static const char *const extra[] = {"category", "\"world\"", "meta",
                                            "{\"a\":[1,2.50],\"b\":null}", "wordcount", "412"};
        a->tags = tu_str_list(f->tags, tags, 2);
        a->extra = tu_str_list(f->extra, extra, 6);
    }
}

/* like reuters21578.jsonl: a numeric id (an extra), unknown keys */
static void fixture_reuters(fixture *f) {
    artpack_article *a = &f->a;
    artpack_article_init(a);
    a->source = tu_str("Reuters");
    assert_ap_ok(artpack_date_parse(&a->date, "1987-02-26", 10));
    assert_ap_ok(artpack_timestamp_parse(&a->published, "1987-02-26T15:01:01.79", 22));
    a->title = tu_str("BAHIA COCOA REVIEW");
    a->dateline = tu_str("SALVADOR, Feb 26");
    {
        static const char *const body[] = {
            "Showers continued throughout the week in the Bahia cocoa zone.",
            "The dry period means the temporao will be late this year."};
        static const char *const extra[] = {"id", "1", "oldid", "5544", "places",
                                            "[\"el-salvador\",\"usa\",\"uruguay\"]"};
        a->body = tu_str_list(f->body, body, 2);
        a->extra = tu_str_list(f->extra, extra, 6);
    }
    a->language = tu_str("en");
}

/* odd corners: TEXT date, zoned fractional timestamp, empty strings and lists */
static void fixture_odd(fixture *f) {
    static const char title[] = "nul\0inside \xc3\xa9\xe6\x97\xa5\xff";
    artpack_article *a = &f->a;
    artpack_article_init(a);
    a->id = tu_str("");
    assert_ap_ok(artpack_date_parse(&a->date, "29 Aug 2019", 11));
    assert_ap_ok(artpack_timestamp_parse(&a->published, "2006-10-20T18:15:00.790-04:00", 29));
    a->title = tu_strn(title, sizeof title - 1);
    a->authors = tu_list(NULL, 0);
    f->body[0] = tu_str("");
    f->body[1] = tu_strn(NULL, 0); /* a NULL item of length 0 is "" */
    f->body[2] = tu_str("x");
    a->body = tu_list(f->body, 3);
    {
        static const char *const extra[] = {"", "0", "tags", "\"x\"", "title2", "[]"};
        a->extra = tu_str_list(f->extra, extra, 6);
    }
}

static void (*const fixtures[])(fixture *) = {fixture_seed, fixture_reuters, fixture_odd};

/* Fixture i's record, in a heap block of exactly its size *n. */
static unsigned char *fixture_record(size_t i, size_t *n) {
    fixture f;
    fixtures[i](&f);
    return encode_exact(&f.a, n);
}

/* ---- helpers ---- */

/* *a encodes to exactly want[0..n). */
static void expect_encodes_as(const artpack_article *a, const void *want, size_t n) {
    size_t got;
    unsigned char *rec = encode_exact(a, &got);
    assert_int_equal(got, n);
    assert_memory_equal(rec, want, n);
    free(rec);
}

/* Encodes twice (same bytes), checks the size, decodes, compares every
 * field, re-encodes the decoded view (lists in wire form): same bytes. */
static void check_roundtrip(const artpack_article *a) {
    size_t n;
    unsigned char *rec = encode_exact(a, &n);
    artpack_article back;
    expect_encodes_as(a, rec, n);
    assert_int_equal(rec[n - 1], 0x00);
    assert_ap_ok(artpack_record_decode(&back, rec, n, NULL));
    assert_ap_ok(artpack_record_validate(rec, n, NULL));
    assert_article_equal(a, &back);
    expect_encodes_as(&back, rec, n);
    free(rec);
}

/* *a encodes to exactly want's bytes (plus the end byte), and round-trips. */
static void expect_encodes_to(const artpack_article *a, rb want) {
    want.b[want.n++] = 0x00;
    expect_encodes_as(a, want.b, want.n);
    check_roundtrip(a);
}

/* Decodes (and validates) a heap copy of exactly n bytes: want at want_offset. */
static void expect_decode(const unsigned char *bytes, size_t n, artpack_error want,
                          size_t want_offset, int line) {
    unsigned char *copy = tu_dup(bytes, n);
    artpack_article a;
    size_t off = 12345, off2 = 54321;
    artpack_error got = artpack_record_decode(&a, copy, n, &off);
    artpack_error got2 = artpack_record_validate(copy, n, &off2);
    free(copy);
    if (got != want || got2 != want ||
        (want != ARTPACK_OK && (off != want_offset || off2 != want_offset))) {
        print_error("line %d: decode gave %s at %lu (validate %s at %lu), expected %s at %lu\n",
                    line, artpack_error_name(got), (unsigned long)off, artpack_error_name(got2),
                    (unsigned long)off2, artpack_error_name(want), (unsigned long)want_offset);
        fail();
    }
    if (want != ARTPACK_OK) assert_true(article_is_absent(&a)); /* left absent-initialised */
}
#define EXPECT_DECODE(want, offset, ...)                                                   \
    expect_decode((const unsigned char[]){__VA_ARGS__},                                    \
                  sizeof((const unsigned char[]){__VA_ARGS__}), want, offset, __LINE__)
#define EXPECT_DECODE_RB(want, offset, r) expect_decode((r)->b, (r)->n, want, offset, __LINE__)

/* artpack_record_size and artpack_record_encode both refuse *a with want. */
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
/* a fresh article, changed by stmt, refused with want */
#define EXPECT_ENCODE_WITH(want, stmt)                                                     \
    do {                                                                                   \
        artpack_article a_;                                                                \
        artpack_article_init(&a_);                                                         \
        stmt;                                                                              \
        expect_encode_error(&a_, want, __LINE__);                                          \
    } while (0)

/* ---- round trips of each field kind ---- */

static void test_empty_article(void **state) {
    artpack_article a, back;
    unsigned char buf[2] = {0xEE, 0xEE};
    size_t n = 0, w = 0;
    (void)state;
    artpack_article_init(&a);
    artpack_article_init(NULL); /* harmless */
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

/* tests/data/golden/example.apr's record, byte for byte */
static void test_golden_example(void **state) {
    static const unsigned char golden[] = {0x0c, 'a', '1', 0xfe, 0x20, 0xae, 0x9d, 0x02, 0x5d, 'H',
                                           'i', '.', 0xfe, 0x7d, 'n', 0xff, '7', 0xfe};
    artpack_article a;
    artpack_str body[1], extra[2];
    rb want = {{0}, 0};
    (void)state;
    artpack_article_init(&a);
    a.id = tu_str("a1");
    assert_ap_ok(artpack_date_parse(&a.date, "2020-01-02", 10));
    body[0] = tu_str("Hi.");
    a.body = tu_list(body, 1);
    extra[0] = tu_str("n");
    extra[1] = tu_str("7");
    a.extra = tu_list(extra, 2);
    rb_bytes(&want, golden, sizeof golden);
    expect_encodes_to(&a, want);
}

static void test_string_fields_roundtrip(void **state) {
    char longer[300];
    const artpack_str values[] = {tu_str("hello"), tu_str(""), tu_strn("a\0\xff\x80", 4), /* TEXT */
                                  tu_strn(longer, sizeof longer), tu_str("\xfe"),
                                  tu_strn("x\xfe\0y", 4)}; /* BYTES: they hold 0xFE */
    size_t i, v;
    (void)state;
    memset(longer, 'L', sizeof longer);
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        for (v = 0; f->kind == ARTPACK_KIND_STRING && v < TU_COUNT(values); v++) {
            artpack_article a;
            rb want = {{0}, 0};
            artpack_article_init(&a);
            *(artpack_str *)((char *)&a + f->offset) = values[v];
            rb_str(&want, f->tag, values[v].ptr, values[v].len);
            assert_int_equal(want.b[0] & 7, v < 4 ? WT_TEXT : WT_BYTES);
            expect_encodes_to(&a, want);
        }
    }
}

static void test_date_roundtrip(void **state) {
    static const int32_t days[] = {0, -1, 1, 18263, DAYS_MIN, DAYS_MAX, -64, 64};
    static const char *const texts[] = {"29 Aug 2019", "", "2001-02-29", "2020-01-01T00:00:00",
                                        ("\xfe" "2020")};
    char text[ARTPACK_DATE_TEXT_MAX];
    artpack_article a, back;
    size_t i, n;
    (void)state;
    for (i = 0; i < TU_COUNT(days); i++) { /* VARINT zigzag days */
        rb want = {{0}, 0};
        artpack_article_init(&a);
        a.date.kind = ARTPACK_NUMBER;
        a.date.days = days[i];
        rb_varint(&want, KEY(4, WT_VARINT));
        rb_varint(&want, zigzag(days[i]));
        expect_encodes_to(&a, want);
        /* the canonical text of that day, as a TEXT view, is the same number */
        assert_ap_ok(artpack_date_format(text, sizeof text, &a.date, NULL));
        a.date.kind = ARTPACK_TEXT;
        a.date.text = tu_str(text);
        expect_encodes_to(&a, want);
    }
    for (i = 0; i < TU_COUNT(texts); i++) { /* text */
        rb want = {{0}, 0};
        unsigned char *rec;
        artpack_article_init(&a);
        assert_ap_ok(artpack_date_parse(&a.date, texts[i], strlen(texts[i])));
        assert_int_equal(a.date.kind, ARTPACK_TEXT);
        rb_str(&want, 4, texts[i], strlen(texts[i]));
        expect_encodes_to(&a, want);
        rec = encode_exact(&a, &n);
        assert_ap_ok(artpack_record_decode(&back, rec, n, NULL));
        assert_ptr_equal(back.date.text.ptr, rec + n - 1 - strlen(texts[i]) - (want.b[0] == 0x24));
        free(rec);
    }
}

static void test_timestamp_roundtrip(void **state) {
    static const char *const texts[] = {
        "2006-10-20T18:15:00-04:00", "1987-02-26T15:01:01.79",    "1987-02-26T15:01:01.790",
        "2006-10-20T18:15:00Z",      "2006-10-20T18:15:00-00:00", "2006-10-20T18:15:00+23:59",
        "0000-01-01T00:00:00",       "9999-12-31T23:59:59.999999999+00:00",
        /* TEXT */
        "yesterday", "", "2020-01-01T24:00:00", "2020-01-01T00:00:00+0400", "\xfe",
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(texts); i++) {
        artpack_article a;
        artpack_timestamp *t = &a.published;
        rb want = {{0}, 0}, p = {{0}, 0};
        artpack_article_init(&a);
        assert_ap_ok(artpack_timestamp_parse(t, texts[i], strlen(texts[i])));
        assert_int_equal(t->kind, i < 8 ? ARTPACK_NUMBER : ARTPACK_TEXT);
        if (t->kind == ARTPACK_NUMBER) { /* PACKED: head, zigzag seconds, [fraction], [offset] */
            rb_varint(&p, t->fraction_digits | (unsigned)t->zone << 4);
            rb_varint(&p, zigzag(t->seconds));
            if (t->fraction_digits) rb_varint(&p, t->fraction);
            if (t->zone >= ARTPACK_ZONE_PLUS) rb_varint(&p, t->offset_minutes);
            rb_block(&want, 5, WT_PACKED, p.b, p.n);
        } else {
            rb_str(&want, 5, texts[i], strlen(texts[i]));
        }
        if (i == 0) { /* spelled out: -04:00 is zone 3 (head 0x30), offset 240 = F0 01 */
            assert_int_equal(want.b[0], 0x2B);
            assert_int_equal(want.b[2], 0x30);
            assert_int_equal(want.b[want.n - 2], 0xF0);
            assert_int_equal(want.b[want.n - 1], 0x01);
        }
        expect_encodes_to(&a, want);
        artpack_article_init(&a); /* any timestamp given as TEXT: the same bytes */
        t->kind = ARTPACK_TEXT;
        t->text = tu_str(texts[i]);
        expect_encodes_to(&a, want);
    }
}

static void test_list_fields_roundtrip(void **state) {
    static const char *const sets[][5] = {
        {""}, {"", "a", ""}, {"a", "bc", "\xe6\x97\xa5", "", "d"}, /* TEXTLIST */
        {"a", "b\xff"}, {"\xfe", ""}, {"x\xff\xfey"},              /* LIST */
    };
    static const size_t counts[] = {1, 3, 5, 2, 2, 1};
    size_t i, c, k;
    (void)state;
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        for (c = 0; f->kind == ARTPACK_KIND_LIST && c <= TU_COUNT(sets); c++) {
            size_t count = c < TU_COUNT(sets) ? counts[c] : 0; /* the last: the empty list */
            artpack_str items[5];
            artpack_article a, back;
            artpack_list *bl = (artpack_list *)((char *)&back + f->offset);
            rb want = {{0}, 0};
            unsigned char *rec;
            size_t n;
            int separated = c < 3;
            for (k = 0; k < count; k++) items[k] = tu_str(sets[c][k]);
            if (c == 1) items[2] = tu_strn(NULL, 0); /* a NULL item of length 0 is "" */
            artpack_article_init(&a);
            *(artpack_list *)((char *)&a + f->offset) = tu_list(count ? items : NULL, count);
            if (separated) rb_textlist(&want, f->tag, sets[c], count);
            else rb_list(&want, f->tag, sets[c], count);
            expect_encodes_to(&a, want);
            rec = encode_exact(&a, &n);
            assert_ap_ok(artpack_record_decode(&back, rec, n, NULL));
            assert_true(bl->present); /* an empty list is present */
            assert_null(bl->items);   /* decoded lists are in wire form */
            assert_int_equal(bl->wire_separated, separated);
            assert_ptr_equal(bl->wire, separated ? rec + 1 : rec + 2);
            assert_int_equal(bl->wire_size, n - (separated ? 3 : 3));
            assert_int_equal(artpack_list_count(bl), count);
            free(rec);
        }
    }
}

static void test_extra_roundtrip(void **state) {
    /* sorted bytewise, a prefix first; the empty key; typed names whose
     * field is absent, with a value of another type; 0xFF forces a LIST */
    const artpack_str pairs[] = {
        tu_str(""),     tu_str("null"),   tu_str("a"),      tu_str("{\"k\":[1,2]}"),
        tu_str("ab"),   tu_str("-0"),     tu_str("b"),      tu_str("\"s\""),
        tu_str("tags"), tu_str("\"x\""),  tu_str("title"),  tu_str("5"),
        tu_str("\xc3\xa9"), tu_str("true"), tu_str("\xff"), tu_str("1"),
    };
    size_t npairs;
    (void)state;
    for (npairs = 1; npairs <= TU_COUNT(pairs) / 2; npairs++) { /* 0 pairs: absent */
        artpack_article a;
        artpack_article_init(&a);
        a.extra = tu_list(pairs, 2 * npairs);
        check_roundtrip(&a);
    }
}

static void test_full_articles_roundtrip(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        fixture f;
        unsigned char *rec, big[4096];
        size_t n, w = 0;
        artpack_article back;
        fixtures[i](&f);
        check_roundtrip(&f.a);
        rec = encode_exact(&f.a, &n);
        assert_ap_ok(artpack_record_encode(big, sizeof big, &f.a, &w)); /* roomier: same bytes */
        assert_int_equal(w, n);
        assert_memory_equal(big, rec, n);
        assert_ap_ok(artpack_record_decode(&back, rec, n, NULL)); /* strings point into rec */
        assert_true((const unsigned char *)back.title.ptr > rec &&
                    (const unsigned char *)back.title.ptr + back.title.len < rec + n);
        assert_true(back.extra.wire > rec && back.extra.wire + back.extra.wire_size < rec + n);
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
    /* NULL with size 0 is an empty buffer, not a missing argument */
    assert_ap_error(artpack_record_encode(NULL, 0, &a, &n), ARTPACK_E_DST_TOO_SMALL);
    assert_ap_error(artpack_record_decode(&out, NULL, 0, NULL), ARTPACK_E_TRUNCATED);
}

static void test_error_dst_too_small_every_capacity(void **state) {
    size_t i, cap, k;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        fixture f;
        size_t size = 0, w;
        fixtures[i](&f);
        assert_ap_ok(artpack_record_size(&f.a, &size));
        for (cap = 0; cap < size; cap++) {
            unsigned char *buf = (unsigned char *)tu_malloc(cap + 16);
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
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x09, 0x03, 0xFE, 'b');    /* BYTES past the end */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 3, 0x0C, 'a', 0xFE);          /* no end byte */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 3, 0x0C, 'a', 0xFE, 0x80);    /* key cut */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x09, 0x80);               /* length cut */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x20, 0xAE);               /* date value cut */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x0C, 'a', 'b', 0x00);     /* TEXT without 0xFE */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x6D, 'a', 0xFF, 'b', 0x00); /* TEXTLIST too */
    /* a length of exactly ARTPACK_MAX_FIELD_SIZE is allowed, but not there */
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0x09, 0x80, 0x80, 0x80, 0x80, 0x04, 0xFE, 0x00);
}

/* every proper prefix of real records is an error, never a shorter article */
static void test_error_every_truncation_of_real_records(void **state) {
    size_t i, k, n;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        unsigned char *rec = fixture_record(i, &n);
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
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x80, 0x00); /* a key */
    EXPECT_DECODE(ARTPACK_E_VARINT, 3, 0x0C, 'a', 0xFE, 0x8C, 0x00, 'b', 0xFE, 0x00);
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x09, 0x81, 0x00, 0xFE, 0x00); /* a length */
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x20, 0x80, 0x00, 0x00);       /* a date */
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00);
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x00);
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0x6A, 0x03, 0x81, 0x00, 0x00, 0x00); /* a list element */
}

static void test_error_wire_type(void **state) {
    size_t i;
    unsigned wt;
    (void)state;
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        for (wt = 0; wt < 8; wt++) {
            artpack_field_kind k = f->kind;
            int text = wt == WT_TEXT || wt == WT_BYTES;
            int ok = (k == ARTPACK_KIND_STRING && text) ||
                     (k == ARTPACK_KIND_DATE && (text || wt == WT_VARINT)) ||
                     (k == ARTPACK_KIND_TIMESTAMP && (text || wt == WT_PACKED)) ||
                     (k >= ARTPACK_KIND_LIST && (wt == WT_LIST || wt == WT_TEXTLIST));
            rb r = {{0}, 0};
            if (f->tag != 1) rb_text(&r, 1, "x", 1); /* a field before it */
            rb_varint(&r, KEY(f->tag, wt));
            switch (wt) { /* a payload that is canonical where the type is allowed */
            case WT_VARINT: rb_varint(&r, 0); break;
            case WT_BYTES: rb_bytes(&r, "\x01\xFE", 2); break;  /* a 0xFE needs BYTES */
            case WT_LIST: /* the empty list; the extra field needs a pair */
                if (f->kind == ARTPACK_KIND_EXTRA) rb_bytes(&r, "\x05\x02k\xFE\x01" "1", 6);
                else rb_varint(&r, 0);
                break;
            case WT_PACKED: rb_bytes(&r, "\x02\0\0", 3); break; /* head 0, seconds 0 */
            case WT_TEXT: r.b[r.n++] = 0xFE; break;
            default: rb_bytes(&r, "k\xFF" "1\xFE", 4); break;   /* TEXTLIST, or reserved */
            }
            rb_end(&r);
            EXPECT_DECODE_RB(ok ? ARTPACK_OK : ARTPACK_E_WIRE_TYPE, f->tag == 1 ? 0 : 3, &r);
        }
    }
    /* reserved wire types 6 and 7 are refused even for an unknown tag */
    EXPECT_DECODE(ARTPACK_E_WIRE_TYPE, 0, 0x76, 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_WIRE_TYPE, 0, 0xA7, 0x01, 0x00, 0x00);
}

static void test_error_field_order(void **state) {
    (void)state;
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 3, 0x0C, 'a', 0xFE, 0x0C, 'b', 0xFE, 0x00); /* 1, 1 */
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 3, 0x34, 'a', 0xFE, 0x0C, 'b', 0xFE, 0x00); /* 6, 1 */
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 2, 0x70, 0x00, 0x70, 0x00, 0x00);           /* 14, 14 */
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 5, 0x7D, 'k', 0xFF, '1', 0xFE, 0x0C, 0xFE, 0x00); /* 15, 1 */
    EXPECT_DECODE(ARTPACK_E_FIELD_ORDER, 2, 0x20, 0x00, 0x24, 0xFE, 0x00);           /* 4, 4 */
}

static void test_error_length(void **state) {
    artpack_article a;
    size_t off = 99;
    (void)state;
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, 0x09, 0x81, 0x80, 0x80, 0x80, 0x04, 0xFE, 0x00); /* 2^30+1 */
    /* a list element running past its list (not past the record) */
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, 0x6A, 0x02, 0x05, 0xFF, 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, 0x42, 0x02, 0x02, 0xFF, 0xFE, 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, 0x7A, 0x03, 0x01, 0xFF, 0x01, 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, 0x5A, 0x05, 0x81, 0x80, 0x80, 0x80, 0x04, 0x00);
    /* the record size itself is checked before any byte is read */
    assert_ap_error(artpack_record_decode(&a, "\0", ARTPACK_MAX_FIELD_SIZE + 1, &off), ARTPACK_E_LENGTH);
    assert_int_equal(off, 0);
}

static void test_error_date(void **state) {
    static const uint64_t bad[] = {(uint64_t)(DAYS_MAX + 1) * 2, (uint64_t)-(DAYS_MIN - 1) * 2 - 1,
                                   UINT64_MAX, UINT64_MAX - 1};
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(bad); i++) {
        rb r = {{0}, 0};
        rb_varint(&r, KEY(4, WT_VARINT));
        rb_varint(&r, bad[i]);
        rb_end(&r);
        EXPECT_DECODE_RB(ARTPACK_E_DATE, 0, &r);
    }
    EXPECT_ENCODE_WITH(ARTPACK_E_DATE, (a_.date.kind = ARTPACK_NUMBER, a_.date.days = DAYS_MAX + 1));
    EXPECT_ENCODE_WITH(ARTPACK_E_DATE, (a_.date.kind = ARTPACK_NUMBER, a_.date.days = DAYS_MIN - 1));
}

static void test_error_timestamp(void **state) {
    static const unsigned char payloads[][6] = {
        /* length, bytes */
        {0},                         /* empty */
        {2, 0x0A, 0x00},             /* 10 fraction digits */
        {2, 0x40, 0x00},             /* head bits above the zone */
        {3, 0x80, 0x00, 0x00},       /* head not minimal */
        {1, 0x00},                   /* no seconds */
        {2, 0x00, 0x80},             /* seconds cut */
        {2, 0x01, 0x00},             /* fraction missing */
        {3, 0x02, 0x00, 0x64},       /* fraction 100 with 2 digits */
        {2, 0x20, 0x00},             /* offset missing */
        {4, 0x20, 0x00, 0xA0, 0x0B}, /* offset 1440 */
        {3, 0x00, 0x00, 0x00},       /* a varint too many */
        {3, 0x10, 0x00, 0x00},       /* an offset with zone Z */
    };
    size_t i;
    artpack_timestamp t;
    (void)state;
    for (i = 0; i < TU_COUNT(payloads); i++) {
        rb r = {{0}, 0};
        rb_block(&r, 5, WT_PACKED, payloads[i] + 1, payloads[i][0]);
        rb_end(&r);
        EXPECT_DECODE_RB(ARTPACK_E_TIMESTAMP, 0, &r);
    }
    { /* seconds past 9999-12-31T23:59:59 */
        rb r = {{0}, 0}, p = {{0}, 0};
        rb_varint(&p, 0);
        rb_varint(&p, zigzag(SECONDS_MAX + 1));
        rb_block(&r, 5, WT_PACKED, p.b, p.n);
        rb_end(&r);
        EXPECT_DECODE_RB(ARTPACK_E_TIMESTAMP, 0, &r);
    }
    assert_ap_ok(artpack_timestamp_parse(&t, "2006-10-20T18:15:00Z", 20));
    EXPECT_ENCODE_WITH(ARTPACK_E_TIMESTAMP, (a_.published = t, a_.published.offset_minutes = 5));
    EXPECT_ENCODE_WITH(ARTPACK_E_TIMESTAMP, (a_.published = t, a_.published.seconds = SECONDS_MAX + 1));
    EXPECT_ENCODE_WITH(ARTPACK_E_TIMESTAMP, (a_.published = t, a_.published.fraction_digits = 10));
    EXPECT_ENCODE_WITH(ARTPACK_E_TIMESTAMP, (a_.published = t, a_.published.zone = 4));
}

static void test_error_noncanonical(void **state) {
    static const char *const typed[] = {"title", "date", "published", "id"};
    size_t i;
    (void)state;
    /* a date or timestamp text that should have been a number */
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 0, 0x24, '2', '0', '2', '0', '-', '0', '1', '-', '0', '1', 0xFE, 0x00);
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 0, 0x21, 0x0A, '2', '0', '2', '0', '-', '0', '1', '-', '0', '1', 0x00);
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 3, 0x0C, 'a', 0xFE, 0x2C, '2', '0', '2', '0', '-', '0', '1', '-',
                  '0', '1', 'T', '0', '0', ':', '0', '0', ':', '0', '0', 'Z', 0xFE, 0x00);
    /* BYTES without a 0xFE (should be TEXT), a LIST that could be a TEXTLIST */
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 0, 0x09, 0x01, 'a', 0x00);
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 0, 0x29, 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 0, 0x6A, 0x02, 0x01, 'a', 0x00);
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 0, 0x6A, 0x01, 0x00, 0x00); /* [""] */
    EXPECT_DECODE(ARTPACK_E_NONCANONICAL, 0, 0x7A, 0x04, 0x01, 'k', 0x01, '1', 0x00);
    for (i = 0; i < TU_COUNT(typed); i++) { /* a string value belongs in the typed field */
        const char *pair[2];
        artpack_str view[2];
        rb r = {{0}, 0};
        pair[0] = typed[i];
        pair[1] = "\"x\"";
        view[0] = tu_str(pair[0]);
        view[1] = tu_str(pair[1]);
        EXPECT_ENCODE_WITH(ARTPACK_E_NONCANONICAL, a_.extra = tu_list(view, 2));
        rb_textlist(&r, EXTRA_TAG, pair, 2);
        rb_end(&r);
        EXPECT_DECODE_RB(ARTPACK_E_NONCANONICAL, 0, &r);
    }
}

static void test_error_extra(void **state) {
    static const char *const cases[][4] = {
        {"k"}, {"a", "1", "k"},                        /* odd count */
        {"b", "1", "a", "2"}, {"a", "1", "a", "2"},    /* unsorted, repeated */
        {"ab", "1", "a", "2"},                         /* a prefix sorts first */
        {"a", ""}, {"a", "1", "b", ""},                /* empty value */
    };
    static const size_t counts[] = {1, 3, 4, 4, 4, 2, 4};
    size_t i, k;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        artpack_str items[4];
        rb r = {{0}, 0};
        for (k = 0; k < counts[i]; k++) items[k] = tu_str(cases[i][k]);
        EXPECT_ENCODE_WITH(ARTPACK_E_EXTRA, a_.extra = tu_list(items, counts[i]));
        rb_text(&r, 2, "u", 1);
        rb_textlist(&r, EXTRA_TAG, cases[i], counts[i]);
        rb_end(&r);
        EXPECT_DECODE_RB(ARTPACK_E_EXTRA, 3, &r);
    }
}

static void test_error_duplicate_key(void **state) {
    static const char *const title_pair[] = {"title", "5"}, *const tags_pair[] = {"tags", "\"x\""};
    const artpack_str title_view[] = {tu_str("title"), tu_str("5")};
    const artpack_str tags_view[] = {tu_str("tags"), tu_str("\"x\"")};
    rb r = {{0}, 0};
    (void)state;
    EXPECT_ENCODE_WITH(ARTPACK_E_DUPLICATE_KEY, (a_.title = tu_str("t"), a_.extra = tu_list(title_view, 2)));
    EXPECT_ENCODE_WITH(ARTPACK_E_DUPLICATE_KEY, (a_.tags = tu_list(NULL, 0), a_.extra = tu_list(tags_view, 2)));
    rb_text(&r, 6, "t", 1);
    rb_textlist(&r, EXTRA_TAG, title_pair, 2);
    rb_end(&r);
    EXPECT_DECODE_RB(ARTPACK_E_DUPLICATE_KEY, 3, &r);
    r.n = 0;
    rb_list(&r, 13, NULL, 0); /* present, even if empty */
    rb_textlist(&r, EXTRA_TAG, tags_pair, 2);
    rb_end(&r);
    EXPECT_DECODE_RB(ARTPACK_E_DUPLICATE_KEY, 2, &r);
}

static void test_error_tag(void **state) {
    (void)state;
    EXPECT_DECODE(ARTPACK_E_TAG, 0, 0x00, 0x00);                    /* bytes after the end */
    EXPECT_DECODE(ARTPACK_E_TAG, 3, 0x0C, 'a', 0xFE, 0x00, 0x0C);   /* bytes after the end */
    EXPECT_DECODE(ARTPACK_E_TAG, 0, 0x01, 0x00, 0x00);              /* tag 0, BYTES */
    EXPECT_DECODE(ARTPACK_E_TAG, 0, 0x04, 0xFE, 0x00);              /* tag 0, TEXT */
    EXPECT_DECODE(ARTPACK_E_TAG, 0, 0x07, 0x00);                    /* tag 0, reserved type */
    EXPECT_DECODE(ARTPACK_E_TAG, 3, 0x0C, 'a', 0xFE, 0x03, 0x00, 0x00); /* tag 0, PACKED */
}

static void test_error_bad_view(void **state) {
    static const unsigned char bad_wire[] = {0x01, 'a', 0x05, 'b'};
    static const unsigned char textlist_like[] = {0x01, 'a'}; /* canonical only as a TEXTLIST */
    const artpack_str items[2] = {{NULL, 1}, {"x", 1}};       /* a NULL item with a length */
    (void)state;
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.title = tu_strn(NULL, 3));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.body = tu_list(NULL, 2));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.tags = tu_list(items, 2));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.extra = tu_list(items, 2));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.extra = tu_list(NULL, 2));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.date.kind = (artpack_value_kind)7);
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.date.kind = ARTPACK_TEXT); /* NULL text */
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.published.kind = (artpack_value_kind)9);
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, a_.published.kind = ARTPACK_TEXT);
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, (a_.authors.present = 1, a_.authors.wire = bad_wire,
                                            a_.authors.wire_size = sizeof bad_wire));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, (a_.extra.present = 1, a_.extra.wire = bad_wire,
                                            a_.extra.wire_size = sizeof bad_wire));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, (a_.tags.present = 1, a_.tags.wire = textlist_like,
                                            a_.tags.wire_size = sizeof textlist_like));
    EXPECT_ENCODE_WITH(ARTPACK_E_BAD_VIEW, (a_.tags.present = 1, a_.tags.wire = (const unsigned char *)"a\xFE",
                                            a_.tags.wire_size = 2, a_.tags.wire_separated = 1));
}

/* Lengths over ARTPACK_MAX_FIELD_SIZE are refused before anything is read or
 * copied (record.c checks each length before it scans a string for 0xFE; a
 * timestamp text is parsed first, which reads at most its first 20 bytes), so
 * these views claim far more bytes than they point at. To pass the limit with
 * lengths that each fit, a list starts with an element holding 0xFE: the
 * encoder then knows it writes a LIST and stops scanning the elements. */
static void test_error_too_large(void **state) {
    static const char ts[] = "not a timestamp, nor anything like one";
    const size_t huge = ARTPACK_MAX_FIELD_SIZE + 1;
    const artpack_str one_huge[] = {{"x", ARTPACK_MAX_FIELD_SIZE + 1}};
    const artpack_str two_halves[] = {{"\xFE", 1}, {"x", ARTPACK_MAX_FIELD_SIZE / 2}, {"y", ARTPACK_MAX_FIELD_SIZE / 2}};
    const artpack_str huge_value[] = {{"k", 1}, {"v", ARTPACK_MAX_FIELD_SIZE + 1}};
    (void)state;
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, a_.title = tu_strn("x", huge));
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, a_.id = tu_strn("x", huge));
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, (a_.date.kind = ARTPACK_TEXT, a_.date.text = tu_strn("x", huge)));
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, (a_.published.kind = ARTPACK_TEXT, a_.published.text = tu_strn(ts, huge)));
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, a_.body = tu_list(one_huge, 1));
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, a_.tags = tu_list(two_halves, 3)); /* each fits, not all */
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, a_.extra = tu_list(huge_value, 2));
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, (a_.authors = tu_list(two_halves, 2), /* the record */
                                             a_.body = tu_list(two_halves, 2)));
    EXPECT_ENCODE_WITH(ARTPACK_E_TOO_LARGE, (a_.authors.present = 1, a_.authors.wire = (const unsigned char *)"",
                                             a_.authors.wire_size = huge));
}

/* Records the tools never write, for articles that have another encoding:
 * decode -> JSON -> encode changes their bytes, so they are not canonical. */
static void test_noncanonical_extra_is_refused(void **state) {
    static const char *const cases[][2] = {
        {"tags", "[\"a\"]"}, /* an array of strings: the typed field's value */
        {"body", "[]"},
        {"title", " \"x\""}, /* a string after a space: still a string */
    };
    size_t i;
    (void)state;
    EXPECT_DECODE(ARTPACK_E_EXTRA, 0, 0x7A, 0x00, 0x00); /* would read as {} */
    for (i = 0; i < TU_COUNT(cases); i++) {
        rb r = {{0}, 0};
        rb_textlist(&r, EXTRA_TAG, cases[i], 2);
        rb_end(&r);
        EXPECT_DECODE_RB(ARTPACK_E_NONCANONICAL, 0, &r);
    }
}

/* ---- extra values must be canonical JSON (issue 11, item 9) ----
 * The encoder refuses (ARTPACK_E_NONCANONICAL) any extra value that
 * artpack_json_check_canonical refuses (the one checker, which the tools
 * also ask before they print a value), so every record the library writes is
 * one `artpack decode` reads; the canonical decoder refuses the same, so
 * decode-then-encode still gives back the same bytes. The checker is held
 * against jansson (tests/json_ref.h: parse, write canonically, compare). */

/* the library's verdict on one extra value: ARTPACK_OK or the error */
static artpack_error extra_value_verdict(const char *v, size_t n) {
    artpack_str pair[2];
    artpack_article a;
    unsigned char buf[8192];
    size_t size = 0, w = 0;
    artpack_error e1, e2;
    artpack_article_init(&a);
    pair[0] = tu_str("zz");
    pair[1] = tu_strn(v, n);
    a.extra = tu_list(pair, 2);
    e1 = artpack_record_size(&a, &size);
    e2 = artpack_record_encode(buf, sizeof buf, &a, &w);
    assert_int_equal(e1, e2);
    /* the encoder's verdict is the exported checker's */
    assert_int_equal(e2, artpack_json_check_canonical(v, n));
    if (e2 == ARTPACK_OK) { /* and what it wrote decodes, then encodes the same */
        artpack_article back;
        unsigned char again[8192];
        size_t w2 = 0;
        assert_ap_ok(artpack_record_decode(&back, buf, w, NULL));
        assert_ap_ok(artpack_record_encode(again, sizeof again, &back, &w2));
        assert_int_equal(w, w2);
        assert_memory_equal(buf, again, w);
    }
    return e2;
}

/* The values the checker's fast path takes (codec/canonical_json.c,
 * ap_json_simple: digits, arrays of plain ASCII strings), each byte replaced
 * by every value, each byte cut out and every byte put in at each place:
 * the checker's verdict is the reference's every time. */
static void test_extra_values_near_simple(void **state) {
    static const char *const base[] = {
        "7", "0", "10", "5544", "[]", "[\"\"]", "[\"usa\"]", "[\"a b\",\"c-d\",\"~\"]",
    };
    char v[64];
    size_t i, k, n;
    unsigned c;
    (void)state;
    for (i = 0; i < TU_COUNT(base); i++) {
        n = strlen(base[i]);
        assert_ap_ok(artpack_json_check_canonical(base[i], n));
        for (k = 0; k <= n; k++)
            for (c = 0; c < 256; c++) {
                int lib, ref;
                memcpy(v, base[i], n);
                if (k < n) { /* replaced */
                    v[k] = (char)c;
                    lib = artpack_json_check_canonical(v, n) == ARTPACK_OK;
                    ref = ref_ap_json_fragment_canonical(v, n);
                    if (lib != ref) fail_msg("%s, byte %zu = 0x%02x: library %d, reference %d", base[i], k, c, lib, ref);
                }
                memcpy(v, base[i], k); /* inserted */
                v[k] = (char)c;
                memcpy(v + k + 1, base[i] + k, n - k);
                lib = artpack_json_check_canonical(v, n + 1) == ARTPACK_OK;
                ref = ref_ap_json_fragment_canonical(v, n + 1);
                if (lib != ref) fail_msg("%s, 0x%02x put in at %zu: library %d, reference %d", base[i], c, k, lib, ref);
            }
        for (k = 0; k < n; k++) { /* cut out */
            memcpy(v, base[i], k);
            memcpy(v + k, base[i] + k + 1, n - k - 1);
            assert_int_equal(artpack_json_check_canonical(v, n - 1) == ARTPACK_OK,
                             ref_ap_json_fragment_canonical(v, n - 1));
        }
    }
}

static void test_extra_values_are_canonical_json(void **state) {
    static const char *const good[] = {
        "0", "-0", "1.50", "1E+400", "-0.000e-5", "123456789012345678901234567890", "2e-3",
        "true", "false", "null", "\"\"", "\"x\"", "\"\\u0000\"", "\"\\u001f\"", "\"\\u000b\"",
        "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\x7f/\"",
        "[]", "{}", "[1,[2,{}],\"s\"]", "{\"a\":1,\"b\":[null]}", "{\"\":0,\"a\":1}",
        "{\"\\\"\":1,\"A\":2}",       /* 0x22 < 0x41 once unescaped ('\\' > 'A' as written) */
        "{\"a\":1,\"a\\u0000\":2}",   /* a prefix first */
        "{\"\\u0001\":1,\"\\t\":2}",  /* 0x01 < 0x09 */
        "{\"b\":{\"a\":1,\"b\":2},\"c\":{\"a\":1}}",
    };
    static const char *const bad[] = {
        " 1", "1 ", "[1, 2]", "{\"a\": 1}", "{ }", "[ ]", "\t1", "1\n",
        "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":2}", "{\"A\":1,\"\\\"\":2}", "{\"\\t\":1,\"\\u0001\":2}",
        "{\"b\":{\"b\":1,\"a\":2}}",
        "01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "0x1", "1.5.", "NaN", "Infinity",
        "tru", "truex", "nul", "False", "\"\\/\"", "\"\\u0041\"", "\"\\u000A\"", "\"\\u000a\"",
        "\"\\u0009\"", "\"\\u007f\"", "\"\\U0001\"", "\"\\x41\"", "\"\\'\"", "\"a\tb\"",
        "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "\"\x80\"",
        "\"abc", "\"abc\\\"", "[1", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{,}", "{\"a\":1,}",
        "{1:2}", "1 2", "[]]", "{}}", "\"a\"\"b\"", "[1]x", "]", "}", ":", ",",
    };
    char big[1100];
    size_t i, n;
    (void)state;
    for (i = 0; i < TU_COUNT(good); i++) {
        if (extra_value_verdict(good[i], strlen(good[i])) != ARTPACK_OK)
            fail_msg("refused, but canonical: %s", good[i]);
        assert_true(ref_ap_json_fragment_canonical(good[i], strlen(good[i])));
    }
    for (i = 0; i < TU_COUNT(bad); i++) {
        if (extra_value_verdict(bad[i], strlen(bad[i])) != ARTPACK_E_NONCANONICAL)
            fail_msg("accepted, but not canonical: %s", bad[i]);
        assert_false(ref_ap_json_fragment_canonical(bad[i], strlen(bad[i])));
    }
    /* the checker's own errors */
    assert_ap_error(artpack_json_check_canonical(NULL, 0), ARTPACK_E_NONCANONICAL);
    assert_ap_error(artpack_json_check_canonical(NULL, 1), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_json_check_canonical("1", ARTPACK_MAX_FIELD_SIZE + 1),
                    ARTPACK_E_TOO_LARGE); /* refused before a byte is read */
    /* a NUL byte inside a string must be escaped */
    assert_ap_error(extra_value_verdict("\"a\0b\"", 5), ARTPACK_E_NONCANONICAL);
    assert_ap_ok(extra_value_verdict("\"a\\u0000b\"", 10));
    /* numbers up to 512 characters, as the tools read them */
    memset(big, '7', sizeof big);
    assert_ap_ok(extra_value_verdict(big, 512));
    assert_ap_error(extra_value_verdict(big, 513), ARTPACK_E_NONCANONICAL);
    /* nesting up to depth 2048 as jansson (the tools' parser) counts it: a
     * number inside 2047 arrays, or 2048 empty arrays */
    for (n = 2046; n <= 2049; n++) {
        char *v = (char *)malloc(2 * n + 1);
        int lib, ref, empty;
        assert_non_null(v);
        for (empty = 0; empty <= 1; empty++) {
            size_t len = 2 * n + (empty ? 0 : 1);
            memset(v, '[', n);
            v[n] = '0';
            memset(v + n + !empty, ']', n);
            lib = extra_value_verdict(v, len) == ARTPACK_OK;
            ref = ref_ap_json_fragment_canonical(v, len);
            if (lib != ref || lib != (n + !empty <= ARTPACK_JSON_DEPTH_MAX))
                fail_msg("%zu arrays%s: library %d, jansson %d", n, empty ? "" : " and a number",
                         lib, ref);
        }
        free(v);
    }
    /* the decoder refuses what the encoder refuses: a TEXTLIST extra field */
    {
        static const char *const pair[2] = {"k", "[1, 2]"};
        rb r = {{0}, 0};
        rb_textlist(&r, EXTRA_TAG, pair, 2);
        rb_end(&r);
        EXPECT_DECODE_RB(ARTPACK_E_NONCANONICAL, 0, &r);
    }
}

/* artpack_utf8_valid_prefix: known cases, then random bytes (a prefix it
 * calls valid is valid on its own; cut anywhere after the first bad byte,
 * the text has the same valid prefix). */
static void test_utf8_valid_prefix(void **state) {
    static const struct { const char *s; size_t n, want; } cases[] = {
        {"", 0, 0}, {"abc", 3, 3}, {"\xc3\xa9", 2, 2}, {"a\xc0\xaf", 3, 1},
        {"\xed\xa0\x80", 3, 0}, {"\xf4\x90\x80\x80", 4, 0}, {"\xe2\x82", 2, 0},
        {"ab\xe2\x82\xac", 5, 5}, {"\xf0\x9f\x98\x80!", 5, 5}, {"x\x80", 2, 1},
        {"\xe0\x9f\xbf", 3, 0}, {"\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7, 7}, {"a\0b", 3, 3},
    };
    unsigned seed = 11, round;
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++)
        if (artpack_utf8_valid_prefix(cases[i].s, cases[i].n) != cases[i].want)
            fail_msg("case %zu: %zu, wanted %zu", i,
                     artpack_utf8_valid_prefix(cases[i].s, cases[i].n), cases[i].want);
    assert_int_equal(artpack_utf8_valid_prefix(NULL, 5), 0);
    for (round = 0; round < 20000; round++) {
        unsigned char b[12];
        size_t n = round % sizeof b, p, k;
        for (k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            b[k] = (unsigned char)((seed >> 16) & 1 ? 0x80 | (seed >> 8) : (seed >> 8) & 0x7f);
        }
        p = artpack_utf8_valid_prefix(b, n);
        assert_true(p <= n);
        assert_int_equal(artpack_utf8_valid_prefix(b, p), p);
        for (k = p + 1; k <= n; k++) assert_int_equal(artpack_utf8_valid_prefix(b, k), p);
    }
}

/* Random values, canonical and then damaged (a byte changed, inserted or
 * deleted): the library and jansson agree on every one. */
static size_t gen_json(char *out, size_t cap, unsigned *seed, int depth) {
    static const char *const atoms[] = {"0", "-1.5e+3", "true", "false", "null", "\"\"", "12",
                                        "\"a\\\"\\\\\\n\\u0001\xc3\xa9\"", "\"z\"", "1E9"};
    unsigned r;
    size_t n = 0, k, count;
    *seed = *seed * 1103515245u + 12345u;
    r = (*seed >> 16) % 10;
    if (depth > 3 || r < 5 || cap < 64) {
        const char *a = atoms[r % TU_COUNT(atoms)];
        n = strlen(a);
        memcpy(out, a, n);
        return n;
    }
    count = r % 4;
    out[n++] = r & 1 ? '[' : '{';
    for (k = 0; k < count && cap - n > 64; k++) {
        if (k) out[n++] = ',';
        if (!(r & 1)) { /* keys in order: "k0", "k1", ... (sorted while k < 10) */
            n += (size_t)sprintf(out + n, "\"k%u\":", (unsigned)k);
        }
        n += gen_json(out + n, (cap - n) / 2, seed, depth + 1);
    }
    out[n++] = r & 1 ? ']' : '}';
    return n;
}

static void test_extra_json_agrees_with_jansson(void **state) {
    unsigned seed = 7, round;
    (void)state;
    for (round = 0; round < 3000; round++) {
        char v[2048], m[2049];
        size_t n = gen_json(v, 1024, &seed, 0), mn, at;
        int lib, ref;
        assert_ap_ok(extra_value_verdict(v, n));
        assert_true(ref_ap_json_fragment_canonical(v, n));
        seed = seed * 1103515245u + 12345u;
        at = (seed >> 8) % n;
        memcpy(m, v, n);
        mn = n;
        switch ((seed >> 4) % 3) {
        case 0: m[at] = "{}[],:\" 0a\\-.eu\x80"[(seed >> 20) % 17]; break;
        case 1: memmove(m + at + 1, m + at, n - at); m[at] = "{}[],:\" 1\\"[(seed >> 20) % 10]; mn++; break;
        default: memmove(m + at, m + at + 1, n - at - 1); mn--; break;
        }
        if (mn == 0) continue;
        lib = extra_value_verdict(m, mn) == ARTPACK_OK;
        ref = ref_ap_json_fragment_canonical(m, mn);
        if (lib != ref) fail_msg("library %d, jansson %d on: %.*s", lib, ref, (int)mn, m);
    }
}

/* ---- forward compatibility: unknown tags are skipped ---- */

static void test_unknown_tags_are_skipped(void **state) {
    static const char *const tags[] = {"t"}, *const extra[] = {"k", "1"};
    static const unsigned char payloads[6][4] = {{0xAC, 0x02}, {0x02, 'h', 'i'}, {0x03, 0x02, 'h', 'i'},
                                                 {0x02, 0x01, 0x02}, {'h', 'i', 0xFE}, {'h', 0xFF, 'i', 0xFE}};
    static const size_t sizes[6] = {2, 3, 4, 3, 3, 4};
    static const unsigned later_tags[] = {14, 16, 20, 31, 1000};
    unsigned wt;
    size_t t;
    (void)state;
    for (t = 0; t < TU_COUNT(later_tags); t++)
        for (wt = 0; wt < 6; wt++) { /* each wire type, before or after the extra field */
            rb with = {{0}, 0}, without;
            artpack_article a;
            rb_text(&with, 1, "a", 1);
            rb_textlist(&with, 13, tags, 1);
            without = with;
            if (later_tags[t] > EXTRA_TAG) rb_textlist(&with, EXTRA_TAG, extra, 2);
            rb_varint(&with, KEY(later_tags[t], wt));
            rb_bytes(&with, payloads[wt], sizes[wt]);
            if (later_tags[t] < EXTRA_TAG) rb_textlist(&with, EXTRA_TAG, extra, 2);
            rb_textlist(&without, EXTRA_TAG, extra, 2);
            rb_end(&with);
            rb_end(&without);
            EXPECT_DECODE_RB(ARTPACK_OK, 0, &with);
            assert_ap_ok(artpack_record_decode(&a, with.b, with.n, NULL));
            assert_bytes_equal_str(a.id.ptr, a.id.len, "a");
            assert_int_equal(artpack_list_count(&a.tags), 1);
            assert_int_equal(artpack_list_count(&a.extra), 2);
            expect_encodes_as(&a, without.b, without.n); /* unknown fields are not kept */
        }
    /* an unknown field is still bounds- and varint-checked (tag 20: A0 01) */
    EXPECT_DECODE(ARTPACK_E_VARINT, 0, 0xA0, 0x01, 0x80, 0x00, 0x00);
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0xA1, 0x01, 0x05, 'a', 0x00);
    EXPECT_DECODE(ARTPACK_E_LENGTH, 0, 0xA2, 0x01, 0x81, 0x80, 0x80, 0x80, 0x04, 0x00);
    EXPECT_DECODE(ARTPACK_E_TRUNCATED, 0, 0xA4, 0x01, 'a', 0x00);
}

/* ---- error names and messages, version ---- */

#define CODE(c, number, message) {c, #c, number, message},
static const struct {
    artpack_error code;
    const char *name;
    int number;
    const char *message;
} all_codes[] = {ARTPACK_ERROR_LIST(CODE)}; /* every code, from artpack.h's one list */
#undef CODE

static void test_error_names_and_messages(void **state) {
    static const int unknown[] = {-1, 6, 63, 120, 127, 200, 999};
    size_t i, j;
    (void)state;
    for (i = 0; i < TU_COUNT(all_codes); i++) {
        const char *name = artpack_error_name(all_codes[i].code);
        const char *msg = artpack_error_message(all_codes[i].code);
        assert_non_null(name);
        assert_non_null(msg);
        assert_string_equal(name, all_codes[i].name);
        assert_string_equal(msg, all_codes[i].message);
        assert_int_equal((int)all_codes[i].code, all_codes[i].number);
        assert_true(strlen(msg) > 0);
        if (i > 0) assert_true(all_codes[i].number > all_codes[i - 1].number); /* in order */
        for (j = 0; j < i; j++) { /* distinct */
            assert_string_not_equal(name, artpack_error_name(all_codes[j].code));
            assert_string_not_equal(msg, artpack_error_message(all_codes[j].code));
        }
    }
    for (i = 0; i < TU_COUNT(unknown); i++) {
        const char *name = artpack_error_name((artpack_error)unknown[i]);
        assert_string_equal(name, "ARTPACK_E_UNKNOWN");
        assert_non_null(artpack_error_message((artpack_error)unknown[i]));
    }
}

static void test_version(void **state) {
    char want[32];
    (void)state;
    assert_int_equal(artpack_version_number(), ARTPACK_VERSION_NUMBER);
    assert_int_equal(ARTPACK_VERSION_NUMBER,
                     ARTPACK_VERSION_MAJOR * 10000 + ARTPACK_VERSION_MINOR * 100 + ARTPACK_VERSION_RELEASE);
    assert_string_equal(artpack_version_string(), ARTPACK_VERSION_STRING);
    snprintf(want, sizeof want, "%d.%d.%d", ARTPACK_VERSION_MAJOR, ARTPACK_VERSION_MINOR,
             ARTPACK_VERSION_RELEASE);
    assert_string_equal(artpack_version_string(), want);
}

/* ---- lists ---- */

static void expect_items(const artpack_list *l, const char *const *want, size_t n) {
    artpack_list_iter it;
    artpack_str s;
    size_t i;
    assert_int_equal(artpack_list_count(l), n);
    artpack_list_begin(&it, l);
    for (i = 0; i < n; i++) {
        assert_true(artpack_list_next(&it, &s));
        assert_non_null(s.ptr); /* an item is always present */
        assert_bytes_equal_str(s.ptr, s.len, want[i]);
    }
    assert_false(artpack_list_next(&it, &s));
    assert_false(artpack_list_next(&it, &s)); /* stays at the end */
}

static void test_list_iteration(void **state) {
    static const unsigned char wire[] = {0x01, 'a', 0x00, 0x02, 'b', 'c'};
    static const unsigned char broken[] = {0x01, 'a', 0x05, 'b'};
    static const char *const abc[] = {"a", "", "bc"};
    const artpack_str items[] = {tu_str("a"), tu_strn(NULL, 0), tu_str("bc")};
    artpack_list l = tu_list(items, 3), w;
    artpack_list_iter it, it2;
    artpack_str s;
    (void)state;
    expect_items(&l, abc, 3); /* items form */
    artpack_list_begin(&it, &l);
    artpack_list_begin(&it2, &l);
    assert_true(artpack_list_next(&it, &s) && artpack_list_next(&it, &s));
    assert_true(artpack_list_next(&it2, &s)); /* iterators are independent */
    assert_bytes_equal_str(s.ptr, s.len, "a");
    l.present = 0; /* absent, whatever it holds */
    expect_items(&l, abc, 0);
    l = tu_list(NULL, 0);
    expect_items(&l, abc, 0);
    memset(&w, 0, sizeof w); /* wire form */
    w.present = 1;
    w.wire = wire;
    w.wire_size = sizeof wire;
    expect_items(&w, abc, 3);
    artpack_list_begin(&it, &w);
    assert_true(artpack_list_next(&it, &s));
    assert_ptr_equal(s.ptr, wire + 1); /* points into the wire */
    w.wire_size = 0; /* empty, but present */
    expect_items(&w, abc, 0);
    w.wire = broken; /* malformed: stops after the good prefix, for good */
    w.wire_size = sizeof broken;
    expect_items(&w, abc, 1);
    w.wire_separated = 1; /* separated by 0xFF: n separators, n + 1 elements */
    w.wire = (const unsigned char *)"a\xFF\xFF" "bc";
    w.wire_size = 5;
    expect_items(&w, abc, 3);
    w.wire_size = 2; /* "a", "" */
    expect_items(&w, abc, 2);
    w.wire_size = 0; /* one empty element */
    expect_items(&w, abc + 1, 1);
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
#define FIELD(name, tag, kind) {#name, tag, ARTPACK_KIND_##kind, offsetof(artpack_article, name)}
    static const struct {
        const char *name;
        unsigned tag;
        artpack_field_kind kind;
        size_t offset;
    } want[] = {
        FIELD(id, 1, STRING),       FIELD(url, 2, STRING),      FIELD(source, 3, STRING),
        FIELD(date, 4, DATE),       FIELD(published, 5, TIMESTAMP), FIELD(title, 6, STRING),
        FIELD(author, 7, STRING),   FIELD(authors, 8, LIST),    FIELD(summary, 9, STRING),
        FIELD(dateline, 10, STRING), FIELD(body, 11, LIST),     FIELD(language, 12, STRING),
        FIELD(tags, 13, LIST),      {"", EXTRA_TAG, ARTPACK_KIND_EXTRA, offsetof(artpack_article, extra)},
    };
#undef FIELD
    static const char *const not_names[] = {"Title", "titl", "titles", "extra", "ID", " id", "tag"};
    size_t i;
    (void)state;
    assert_int_equal(artpack_schema_count(), TU_COUNT(want));
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        assert_non_null(f);
        assert_string_equal(f->name, want[i].name);
        assert_int_equal(f->tag, want[i].tag);
        assert_int_equal(f->kind, want[i].kind);
        assert_int_equal(f->offset, want[i].offset);
        if (i > 0) assert_true(f->tag > artpack_schema_field(i - 1)->tag); /* strictly ascending */
        assert_true(f->tag >= 1 && KEY(f->tag, 7) < 0x80);               /* one-byte keys */
        if (f->kind != ARTPACK_KIND_EXTRA) assert_ptr_equal(artpack_schema_find(f->name, strlen(f->name)), f);
    }
    assert_null(artpack_schema_field(artpack_schema_count()));
    assert_null(artpack_schema_field((size_t)-1));
    assert_null(artpack_schema_find("", 0)); /* not even the extra field */
    assert_null(artpack_schema_find(NULL, 0));
    assert_null(artpack_schema_find(NULL, 5));
    assert_null(artpack_schema_find("id\0", 3));
    for (i = 0; i < TU_COUNT(not_names); i++)
        assert_null(artpack_schema_find(not_names[i], strlen(not_names[i])));
    assert_ptr_equal(artpack_schema_find("titles", 5), artpack_schema_field(5)); /* len counts */
}

/* artpack_schema_find as a scan of the table: what its faster form
 * (codec/schema.c, by length and first byte) must return for any key. */
static const artpack_field_info *schema_scan(const char *name, size_t len) {
    size_t i;
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        if (f->kind != ARTPACK_KIND_EXTRA && strlen(f->name) == len &&
            memcmp(f->name, name, len) == 0)
            return f;
    }
    return NULL;
}

/* Every name, each byte of it replaced by every other value, cut short by
 * one byte and lengthened by one: the same field as the scan, or none. */
static void test_schema_find_near_misses(void **state) {
    size_t i, k, found = 0, letters = 0;
    unsigned c;
    (void)state;
    for (i = 0; i < artpack_schema_count(); i++) {
        const char *name = artpack_schema_field(i)->name;
        size_t len = strlen(name);
        char key[16];
        if (len == 0) continue;
        letters += len;
        memcpy(key, name, len);
        for (k = 0; k < len; k++)
            for (c = 0; c < 256; c++) {
                const artpack_field_info *f;
                key[k] = (char)c;
                f = artpack_schema_find(key, len);
                assert_ptr_equal(f, schema_scan(key, len));
                found += f != NULL;
                key[k] = name[k];
            }
        assert_ptr_equal(artpack_schema_find(key, len - 1), schema_scan(key, len - 1));
        for (c = 0; c < 256; c++) {
            key[len] = (char)c;
            assert_ptr_equal(artpack_schema_find(key, len + 1), schema_scan(key, len + 1));
        }
    }
    /* each name found once per byte position (with its own byte): no two
     * names of one length differ in one byte */
    assert_int_equal(found, letters);
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

/* n random bytes (or letters of alphabet) in the arena */
static artpack_str gen_bytes(gen *g, size_t n, const char *alphabet) {
    char *p = g->arena + g->used;
    size_t i, na = alphabet ? strlen(alphabet) : 0;
    assert_true(g->used + n <= sizeof g->arena);
    for (i = 0; i < n; i++) p[i] = na ? alphabet[tu_below(&g->rng, na)] : (char)tu_below(&g->rng, 256);
    g->used += n;
    return tu_strn(p, n);
}

static artpack_str gen_string(gen *g) {
    return gen_bytes(g, tu_below(&g->rng, 8) ? tu_below(&g->rng, 24) : tu_below(&g->rng, 400), NULL);
}

static void gen_list(gen *g, artpack_list *l, artpack_str *items) {
    size_t i, n = tu_below(&g->rng, 6);
    if (tu_below(&g->rng, 2)) return; /* absent */
    for (i = 0; i < n; i++) items[i] = tu_below(&g->rng, 10) ? gen_string(g) : tu_strn(NULL, 0);
    *l = tu_list(n ? items : NULL, n);
}

/* A TEXT date or timestamp: canonical (the encoder must write a number),
 * canonical with one digit changed, or random bytes. */
static artpack_str gen_date_text(gen *g, int timestamp) {
    char buf[ARTPACK_TIMESTAMP_TEXT_MAX];
    size_t n = 0;
    if (tu_below(&g->rng, 3) == 0) return gen_bytes(g, tu_below(&g->rng, 30), "0123456789-:TZ+. ");
    if (timestamp) {
        artpack_timestamp t;
        memset(&t, 0, sizeof t);
        t.kind = ARTPACK_NUMBER;
        t.seconds = tu_range(&g->rng, SECONDS_MIN, SECONDS_MAX);
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
    if (tu_below(&g->rng, 2)) buf[tu_below(&g->rng, n)] = (char)('0' + tu_below(&g->rng, 10));
    memcpy(g->arena + g->used, buf, n);
    g->used += n;
    return tu_strn(g->arena + g->used - n, n);
}

static int key_cmp(const void *x, const void *y) {
    const artpack_str *a = (const artpack_str *)x, *b = (const artpack_str *)y;
    int c = a->len && b->len ? memcmp(a->ptr, b->ptr, a->len < b->len ? a->len : b->len) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void gen_article(gen *g) {
    artpack_article *a = &g->f.a;
    size_t i, n = 0, k = 0, want = tu_below(&g->rng, 5);
    artpack_str keys[4];
    g->used = 0;
    artpack_article_init(a);
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        if (f->kind == ARTPACK_KIND_STRING && tu_below(&g->rng, 2))
            *(artpack_str *)((char *)a + f->offset) = gen_string(g);
    }
    if (tu_below(&g->rng, 3) == 1) {
        a->date.kind = ARTPACK_NUMBER;
        a->date.days = (int32_t)tu_range(&g->rng, DAYS_MIN, DAYS_MAX);
    } else if (tu_below(&g->rng, 2)) {
        a->date.kind = ARTPACK_TEXT;
        a->date.text = gen_date_text(g, 0);
    }
    if (tu_below(&g->rng, 3) == 1) {
        a->published.kind = ARTPACK_TEXT;
        a->published.text = gen_date_text(g, 1);
    } else if (tu_below(&g->rng, 2)) {
        a->published.kind = ARTPACK_NUMBER;
        a->published.seconds = tu_range(&g->rng, SECONDS_MIN, SECONDS_MAX);
        a->published.fraction_digits = 9;
        a->published.fraction = (uint32_t)tu_below(&g->rng, 1000000000);
        a->published.zone = ARTPACK_ZONE_MINUS;
        a->published.offset_minutes = (uint16_t)tu_below(&g->rng, 1440);
    }
    gen_list(g, &a->authors, g->f.authors);
    gen_list(g, &a->body, g->f.body);
    gen_list(g, &a->tags, g->f.tags);
    if (tu_below(&g->rng, 3)) return;
    while (n < want) { /* extra: sorted unique keys, none a schema name */
        artpack_str key = gen_bytes(g, tu_below(&g->rng, 5), tu_below(&g->rng, 2) ? "abit" : NULL);
        if (artpack_schema_find(key.ptr, key.len) == NULL) keys[n++] = key;
    }
    qsort(keys, n, sizeof keys[0], key_cmp);
    for (i = 0; i < n; i++)
        if (k == 0 || key_cmp(&keys[i], &keys[k - 1]) != 0) keys[k++] = keys[i];
    for (i = 0; i < k; i++) {
        g->f.extra[2 * i] = keys[i];
        artpack_str v = gen_bytes(g, 1 + tu_below(&g->rng, 20), "0123456789");
        if (v.len > 1 && v.ptr[0] == '0') ((char *)v.ptr)[0] = '1'; /* a JSON number */
        g->f.extra[2 * i + 1] = v;
    }
    if (k) a->extra = tu_list(g->f.extra, 2 * k); /* no pairs: absent */
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
        if ((key >> 3) > 13 && (key >> 3) != EXTRA_TAG) return 1;
        if ((key & 7) == WT_TEXT || (key & 7) == WT_TEXTLIST) {
            pos += (size_t)((const unsigned char *)memchr(p + pos, 0xFE, n - pos) - (p + pos)) + 1;
            continue;
        }
        pos += artpack_varint_read(&len, p + pos, n - pos);
        if ((key & 7) != WT_VARINT) pos += (size_t)len;
    }
}

/* Damaged records: never a crash; whatever decodes re-encodes to itself. */
static void test_damaged_records(void **state) {
    tu_rng rng = {UINT64_C(77)};
    size_t i, m, k, n;
    (void)state;
    for (i = 0; i < TU_COUNT(fixtures); i++) {
        unsigned char *rec = fixture_record(i, &n);
        for (m = 0; m < 3000; m++) {
            unsigned char *bad = tu_dup(rec, n);
            artpack_article a;
            size_t off = 0, flips = 1 + tu_below(&rng, 3);
            for (k = 0; k < flips; k++) bad[tu_below(&rng, n)] = (unsigned char)tu_rand64(&rng);
            if (artpack_record_decode(&a, bad, n, &off) != ARTPACK_OK) {
                assert_true(off <= n);
                assert_true(article_is_absent(&a));
            } else if (!has_unknown_tag(bad, n)) { /* canonical: the one encoding */
                expect_encodes_as(&a, bad, n);
            }
            free(bad);
        }
        free(rec);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_article),
        cmocka_unit_test(test_golden_example),
        cmocka_unit_test(test_string_fields_roundtrip),
        cmocka_unit_test(test_date_roundtrip),
        cmocka_unit_test(test_timestamp_roundtrip),
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
        cmocka_unit_test(test_noncanonical_extra_is_refused),
        cmocka_unit_test(test_extra_values_are_canonical_json),
        cmocka_unit_test(test_utf8_valid_prefix),
        cmocka_unit_test(test_extra_json_agrees_with_jansson),
        cmocka_unit_test(test_unknown_tags_are_skipped),
        cmocka_unit_test(test_error_names_and_messages),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_list_iteration),
        cmocka_unit_test(test_schema_table),
        cmocka_unit_test(test_schema_find_near_misses),
        cmocka_unit_test(test_extra_values_near_simple),
        cmocka_unit_test(test_record_bound),
        cmocka_unit_test(test_random_articles_roundtrip),
        cmocka_unit_test(test_damaged_records),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
