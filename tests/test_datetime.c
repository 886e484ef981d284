/* test_datetime.c - dates and timestamps: parse (text -> NUMBER or TEXT) and
 * format (NUMBER -> canonical text). */
#include "test_util.h"

#define DAYS_MIN (-719528)  /* 0000-01-01 */
#define DAYS_MAX 2932896    /* 9999-12-31 */
#define SECONDS_MIN (INT64_C(-62167219200))
#define SECONDS_MAX INT64_C(253402300799)

/* ---- an independent calendar (simple counting, no clever formulas) ---- */

static int ref_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int ref_month_days(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + ref_leap(y) : days[m - 1];
}

/* Days since 1970-01-01 by counting whole years and months. */
static int32_t ref_days(int y, int m, int d) {
    int32_t n = 0;
    int i;
    if (y >= 1970)
        for (i = 1970; i < y; i++) n += 365 + ref_leap(i);
    else
        for (i = y; i < 1970; i++) n -= 365 + ref_leap(i);
    for (i = 1; i < m; i++) n += ref_month_days(y, i);
    return n + d - 1;
}

static int64_t ref_seconds(int y, int mo, int d, int h, int mi, int s) {
    return (int64_t)ref_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* ---- helpers ---- */

/* Parses a heap copy of exactly strlen(text) bytes (ASan sees over-reads). */
static artpack_date parse_date(const char *text) {
    size_t n = strlen(text);
    unsigned char *copy = tu_dup(text, n);
    artpack_date d;
    assert_ap_ok(artpack_date_parse(&d, (const char *)copy, n));
    if (d.kind == ARTPACK_TEXT) { /* points at the input, byte for byte */
        assert_ptr_equal(d.text.ptr, copy);
        assert_int_equal(d.text.len, n);
        d.text.ptr = text;
    }
    free(copy);
    return d;
}

static artpack_timestamp parse_ts(const char *text) {
    size_t n = strlen(text);
    unsigned char *copy = tu_dup(text, n);
    artpack_timestamp t;
    assert_ap_ok(artpack_timestamp_parse(&t, (const char *)copy, n));
    if (t.kind == ARTPACK_TEXT) {
        assert_ptr_equal(t.text.ptr, copy);
        assert_int_equal(t.text.len, n);
        t.text.ptr = text;
    }
    free(copy);
    return t;
}

static void assert_date_formats_as(const artpack_date *d, const char *want) {
    char buf[64];
    size_t written = 999;
    assert_ap_ok(artpack_date_format(buf, sizeof buf, d, &written));
    assert_bytes_equal_str(buf, written, want);
    assert_int_equal(buf[written], '\0');
}

static void assert_ts_formats_as(const artpack_timestamp *t, const char *want) {
    char buf[ARTPACK_TIMESTAMP_TEXT_MAX];
    size_t written = 999;
    assert_ap_ok(artpack_timestamp_format(buf, sizeof buf, t, &written));
    assert_bytes_equal_str(buf, written, want);
    assert_int_equal(buf[written], '\0');
}

/* ---- dates ---- */

static void test_date_canonical_texts(void **state) {
    static const struct {
        const char *text;
        int y, m, d;
    } cases[] = {
        {"0000-01-01", 0, 1, 1},     {"0000-02-29", 0, 2, 29},   {"0001-01-01", 1, 1, 1},
        {"1582-10-10", 1582, 10, 10}, {"1900-02-28", 1900, 2, 28}, {"1969-12-31", 1969, 12, 31},
        {"1970-01-01", 1970, 1, 1},  {"2000-02-29", 2000, 2, 29}, {"2019-08-29", 2019, 8, 29},
        {"2020-01-02", 2020, 1, 2},  {"2400-02-29", 2400, 2, 29}, {"9999-12-31", 9999, 12, 31},
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        artpack_date d = parse_date(cases[i].text);
        assert_int_equal(d.kind, ARTPACK_NUMBER);
        assert_int_equal(d.days, ref_days(cases[i].y, cases[i].m, cases[i].d));
        assert_date_formats_as(&d, cases[i].text);
    }
    /* the documented anchors */
    assert_int_equal(parse_date("1970-01-01").days, 0);
    assert_int_equal(parse_date("0000-01-01").days, DAYS_MIN);
    assert_int_equal(parse_date("9999-12-31").days, DAYS_MAX);
    assert_int_equal(parse_date("2020-01-02").days, 18263);
}

static void test_date_noncanonical_texts_stay_text(void **state) {
    static const char *const texts[] = {
        "2001-02-29", "1900-02-29", "2020-13-01", "2020-00-10", "2020-01-00",
        "2020-01-32", "2020-04-31", "2020-1-01",  "2020-01-1",  "2020/01/01",
        "20200101",   "2020-01-01 ", " 2020-01-01", "",          "-001-01-01",
        "+2020-01-01", "10000-01-01", "2020-01-1a", "2020-01-01T00:00:00", "2020-0a-01",
        "Aug 29, 2019", ("\xef\xbc\x92" "020-01-01"),
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(texts); i++) {
        artpack_date d = parse_date(texts[i]);
        assert_int_equal(d.kind, ARTPACK_TEXT);
        assert_date_formats_as(&d, texts[i]); /* copied back byte for byte */
    }
}

/* Every day of 0000..9999 against the reference calendar. */
static void test_date_every_day_roundtrip(void **state) {
    int y, m, d;
    int32_t days = DAYS_MIN;
    (void)state;
    for (y = 0; y <= 9999; y++)
        for (m = 1; m <= 12; m++)
            for (d = 1; d <= ref_month_days(y, m); d++, days++) {
                char want[32], buf[ARTPACK_DATE_TEXT_MAX];
                artpack_date num, back;
                size_t written = 0;
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                memset(&num, 0, sizeof num);
                num.kind = ARTPACK_NUMBER;
                num.days = days;
                assert_ap_ok(artpack_date_format(buf, sizeof buf, &num, &written));
                if (written != 10 || memcmp(buf, want, 11) != 0)
                    fail_msg("days %ld formats as %s, expected %s", (long)days, buf, want);
                assert_ap_ok(artpack_date_parse(&back, want, 10));
                if (back.kind != ARTPACK_NUMBER || back.days != days)
                    fail_msg("%s parses as kind %d days %ld, expected %ld", want,
                             (int)back.kind, (long)back.days, (long)days);
            }
    assert_int_equal(days - 1, DAYS_MAX);
}

/* artpack_date_format and artpack_timestamp_format through one type. */
typedef artpack_error (*format_fn)(char *dst, size_t cap, const void *v);
static artpack_error format_date(char *dst, size_t cap, const void *v) {
    return artpack_date_format(dst, cap, (const artpack_date *)v, NULL);
}
static artpack_error format_ts(char *dst, size_t cap, const void *v) {
    return artpack_timestamp_format(dst, cap, (const artpack_timestamp *)v, NULL);
}

/* format refuses v in every capacity under need (exact-size heap buffers:
 * nothing is written past them) and writes fits as want in exactly need. */
static void check_capacity(format_fn format, const void *v, const void *fits, size_t need,
                           const char *want) {
    size_t cap;
    char *dst;
    for (cap = 0; cap < need; cap++) {
        dst = (char *)tu_malloc(cap);
        assert_ap_error(format(dst, cap, v), ARTPACK_E_DST_TOO_SMALL);
        free(dst);
    }
    dst = (char *)tu_malloc(need);
    assert_ap_ok(format(dst, need, fits));
    assert_string_equal(dst, want);
    free(dst);
}

/* NULL dst or value: ARTPACK_E_NULL_ARG. */
static void check_null_args(format_fn format, const void *v) {
    char buf[64];
    assert_ap_error(format(NULL, sizeof buf, v), ARTPACK_E_NULL_ARG);
    assert_ap_error(format(buf, sizeof buf, NULL), ARTPACK_E_NULL_ARG);
}

static void test_date_format_errors(void **state) {
    artpack_date num, text;
    char buf[32];
    static const int32_t bad_days[] = {DAYS_MIN - 1, DAYS_MAX + 1, INT32_MIN, INT32_MAX};
    size_t i;
    (void)state;
    memset(&num, 0, sizeof num);
    num.kind = ARTPACK_NUMBER;
    num.days = 18263;
    check_null_args(format_date, &num);
    check_capacity(format_date, &num, &num, ARTPACK_DATE_TEXT_MAX, "2020-01-02");
    for (i = 0; i < TU_COUNT(bad_days); i++) {
        num.days = bad_days[i];
        assert_ap_error(artpack_date_format(buf, sizeof buf, &num, NULL), ARTPACK_E_DATE);
    }
    /* TEXT: needs len + 1 bytes */
    text = parse_date("yesterday");
    check_capacity(format_date, &text, &text, 10, "yesterday");
    text.text.ptr = NULL; /* NULL text with a length */
    assert_ap_error(artpack_date_format(buf, sizeof buf, &text, NULL), ARTPACK_E_BAD_VIEW);
}

/* parse (artpack_date_parse or artpack_timestamp_parse) into v: NULL out
 * or NULL text with a length are refused; NULL text of length 0 is the
 * empty TEXT. */
#define CHECK_PARSE_NULL_ARGS(parse, v, good, some)                           \
    do {                                                                       \
        assert_ap_error(parse(NULL, good, strlen(good)), ARTPACK_E_NULL_ARG);  \
        assert_ap_error(parse(&v, NULL, some), ARTPACK_E_NULL_ARG);            \
        assert_ap_ok(parse(&v, NULL, 0));                                      \
        assert_int_equal(v.kind, ARTPACK_TEXT);                                \
        assert_non_null(v.text.ptr);                                           \
        assert_int_equal(v.text.len, 0);                                       \
    } while (0)

static void test_date_parse_null_args(void **state) {
    artpack_date d;
    (void)state;
    CHECK_PARSE_NULL_ARGS(artpack_date_parse, d, "2020-01-01", 3);
}

/* ---- timestamps ---- */

typedef struct ts_case {
    const char *text;
    int64_t seconds;
    uint32_t fraction;
    unsigned digits, zone, offset;
} ts_case;

static void test_timestamp_canonical_texts(void **state) {
    const ts_case cases[] = {
        {"1970-01-01T00:00:00", 0, 0, 0, ARTPACK_ZONE_NONE, 0},
        {"1969-12-31T23:59:59", -1, 0, 0, ARTPACK_ZONE_NONE, 0},
        {"1987-02-26T15:01:01.79", ref_seconds(1987, 2, 26, 15, 1, 1), 79, 2, ARTPACK_ZONE_NONE, 0},
        {"1987-02-26T15:01:01.790", ref_seconds(1987, 2, 26, 15, 1, 1), 790, 3, ARTPACK_ZONE_NONE, 0},
        {"1987-02-26T15:01:01.7", ref_seconds(1987, 2, 26, 15, 1, 1), 7, 1, ARTPACK_ZONE_NONE, 0},
        {"2006-10-20T18:15:00-04:00", ref_seconds(2006, 10, 20, 18, 15, 0), 0, 0, ARTPACK_ZONE_MINUS, 240},
        {"2006-10-20T18:15:00Z", ref_seconds(2006, 10, 20, 18, 15, 0), 0, 0, ARTPACK_ZONE_UTC, 0},
        {"2006-10-20T18:15:00-00:00", ref_seconds(2006, 10, 20, 18, 15, 0), 0, 0, ARTPACK_ZONE_MINUS, 0},
        {"2006-10-20T18:15:00+00:00", ref_seconds(2006, 10, 20, 18, 15, 0), 0, 0, ARTPACK_ZONE_PLUS, 0},
        {"2006-10-20T18:15:00+23:59", ref_seconds(2006, 10, 20, 18, 15, 0), 0, 0, ARTPACK_ZONE_PLUS, 1439},
        {"2000-02-29T12:30:45.123456789Z", ref_seconds(2000, 2, 29, 12, 30, 45), 123456789, 9, ARTPACK_ZONE_UTC, 0},
        {"2000-02-29T12:30:45.000000000", ref_seconds(2000, 2, 29, 12, 30, 45), 0, 9, ARTPACK_ZONE_NONE, 0},
        {"2019-08-29T18:47:00", ref_seconds(2019, 8, 29, 18, 47, 0), 0, 0, ARTPACK_ZONE_NONE, 0},
        {"2019-08-29T18:47:00.5+05:30", ref_seconds(2019, 8, 29, 18, 47, 0), 5, 1, ARTPACK_ZONE_PLUS, 330},
        {"0000-01-01T00:00:00", SECONDS_MIN, 0, 0, ARTPACK_ZONE_NONE, 0},
        {"9999-12-31T23:59:59.999999999-23:59", SECONDS_MAX, 999999999, 9, ARTPACK_ZONE_MINUS, 1439},
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        artpack_timestamp t = parse_ts(cases[i].text);
        if (t.kind != ARTPACK_NUMBER) fail_msg("%s did not parse as NUMBER", cases[i].text);
        assert_true(t.seconds == cases[i].seconds);
        assert_int_equal(t.fraction, cases[i].fraction);
        assert_int_equal(t.fraction_digits, cases[i].digits);
        assert_int_equal(t.zone, cases[i].zone);
        assert_int_equal(t.offset_minutes, cases[i].offset);
        assert_null(t.text.ptr);
        assert_ts_formats_as(&t, cases[i].text);
    }
}

static void test_timestamp_fraction_digits_are_kept(void **state) {
    artpack_timestamp a = parse_ts("1987-02-26T15:01:01.79");
    artpack_timestamp b = parse_ts("1987-02-26T15:01:01.790");
    artpack_timestamp c = parse_ts("1987-02-26T15:01:01.079");
    (void)state;
    assert_true(a.fraction_digits != b.fraction_digits || a.fraction != b.fraction);
    assert_int_equal(c.fraction, 79);
    assert_int_equal(c.fraction_digits, 3);
    assert_ts_formats_as(&a, "1987-02-26T15:01:01.79");
    assert_ts_formats_as(&b, "1987-02-26T15:01:01.790");
    assert_ts_formats_as(&c, "1987-02-26T15:01:01.079");
}

static void test_timestamp_noncanonical_texts_stay_text(void **state) {
    static const char *const texts[] = {
        "2001-02-29T00:00:00",         "2020-13-01T00:00:00",       "2020-01-01t00:00:00",
        "2020-01-01T00:00:00z",        "2020-01-01T00:00",          "2020-01-01T00:00Z",
        "2020-01-01T24:00:00",         "2016-12-31T23:59:60Z",      "2020-01-01T00:60:00",
        "2020-01-01T00:00:00+0400",    "2020-01-01T00:00:00+04",    "2020-01-01T00:00:00.1234567890",
        "2020-01-01T00:00:00 ",        "",                          "2020-01-01 00:00:00",
        "2020-01-01T00:00:00.",        "2020-01-01T00:00:00.Z",     "2020-01-01T00:00:00.5+04",
        "2020-01-01T00:00:00+24:00",   "2020-01-01T00:00:00+04:60", "2020-01-01T00:00:00+04:00 ",
        "2020-01-01T00:00:00ZZ",       "2020-01-01",                "2020-01-01T00:00:00+04:00Z",
        " 2020-01-01T00:00:00",        "2020-01-01T00:00:00,5",     "2020-01-01T0:00:00Z",
        "20200101T000000Z",            "2020-01-01T00:00:00.5.5",   "2020-01-01T00:00:00+4:00",
        "2020-01-01T00:00:00-04:00:00", "2020-01-01T00:0a:00",      "Thu, 29 Aug 2019 18:47:00 GMT",
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(texts); i++) {
        artpack_timestamp t = parse_ts(texts[i]);
        if (t.kind != ARTPACK_TEXT) fail_msg("\"%s\" parsed as kind %d", texts[i], (int)t.kind);
        assert_ts_formats_as(&t, texts[i]);
    }
}

/* A TEXT timestamp carries only its text (all numeric members zero). */
static void test_timestamp_text_has_no_numeric_leftovers(void **state) {
    static const char *const texts[] = {
        "2020-01-01T00:00:00.5+04", "2020-01-01T00:00:00.25+24:00", "2020-01-01T00:00:00.5 ",
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(texts); i++) {
        artpack_timestamp t = parse_ts(texts[i]);
        assert_int_equal(t.kind, ARTPACK_TEXT);
        assert_int_equal(t.fraction, 0);
        assert_int_equal(t.fraction_digits, 0);
        assert_int_equal(t.zone, 0);
        assert_int_equal(t.offset_minutes, 0);
    }
}

static void test_timestamp_random_roundtrip(void **state) {
    static const uint32_t pow10[10] = {1,      10,      100,      1000,      10000,
                                       100000, 1000000, 10000000, 100000000, 1000000000};
    tu_rng rng = {UINT64_C(8601)};
    int i;
    (void)state;
    for (i = 0; i < 200000; i++) {
        artpack_timestamp t, back;
        char buf[ARTPACK_TIMESTAMP_TEXT_MAX];
        size_t written = 0, want_len;
        memset(&t, 0, sizeof t);
        t.kind = ARTPACK_NUMBER;
        t.seconds = tu_range(&rng, SECONDS_MIN, SECONDS_MAX);
        t.fraction_digits = (uint8_t)tu_below(&rng, 10);
        t.fraction = (uint32_t)tu_below(&rng, pow10[t.fraction_digits]);
        t.zone = (uint8_t)tu_below(&rng, 4);
        if (t.zone >= ARTPACK_ZONE_PLUS) t.offset_minutes = (uint16_t)tu_below(&rng, 1440);
        assert_ap_ok(artpack_timestamp_format(buf, sizeof buf, &t, &written));
        want_len = 19 + (t.fraction_digits ? 1u + t.fraction_digits : 0u) +
                   (t.zone == ARTPACK_ZONE_UTC ? 1u : t.zone != ARTPACK_ZONE_NONE ? 6u : 0u);
        assert_int_equal(written, want_len);
        assert_int_equal(strlen(buf), written);
        assert_ap_ok(artpack_timestamp_parse(&back, buf, written));
        if (back.kind != ARTPACK_NUMBER || back.seconds != t.seconds ||
            back.fraction != t.fraction || back.fraction_digits != t.fraction_digits ||
            back.zone != t.zone || back.offset_minutes != t.offset_minutes)
            fail_msg("%s does not parse back to what it was formatted from", buf);
    }
}

static void test_timestamp_format_errors(void **state) {
    artpack_timestamp t = parse_ts("1970-01-01T00:00:00"), bad, text, longest;
    char buf[64];
    (void)state;
    check_null_args(format_ts, &t);
    /* a NUMBER always needs ARTPACK_TIMESTAMP_TEXT_MAX, even when shorter */
    longest = parse_ts("9999-12-31T23:59:59.999999999-23:59");
    check_capacity(format_ts, &t, &longest, ARTPACK_TIMESTAMP_TEXT_MAX,
                   "9999-12-31T23:59:59.999999999-23:59");
    /* malformed NUMBER values */
#define EXPECT_BAD(field, value)                                                \
    do {                                                                       \
        bad = t;                                                               \
        bad.field = value;                                                     \
        assert_ap_error(artpack_timestamp_format(buf, sizeof buf, &bad, NULL), \
                        ARTPACK_E_TIMESTAMP);                                  \
    } while (0)
    EXPECT_BAD(seconds, SECONDS_MIN - 1);
    EXPECT_BAD(seconds, SECONDS_MAX + 1);
    EXPECT_BAD(seconds, INT64_MIN);
    EXPECT_BAD(fraction_digits, 10);
    EXPECT_BAD(fraction, 1); /* with 0 digits */
    EXPECT_BAD(zone, 4);
    EXPECT_BAD(offset_minutes, 1); /* zone NONE */
    bad = t;
    bad.fraction_digits = 2;
    bad.fraction = 100;
    assert_ap_error(artpack_timestamp_format(buf, sizeof buf, &bad, NULL), ARTPACK_E_TIMESTAMP);
    bad = t;
    bad.zone = ARTPACK_ZONE_UTC;
    bad.offset_minutes = 60;
    assert_ap_error(artpack_timestamp_format(buf, sizeof buf, &bad, NULL), ARTPACK_E_TIMESTAMP);
    bad.zone = ARTPACK_ZONE_PLUS;
    bad.offset_minutes = 1440;
    assert_ap_error(artpack_timestamp_format(buf, sizeof buf, &bad, NULL), ARTPACK_E_TIMESTAMP);
#undef EXPECT_BAD
    /* TEXT: needs len + 1 bytes */
    text = parse_ts("noon");
    check_capacity(format_ts, &text, &text, 5, "noon");
    text.text.ptr = NULL;
    assert_ap_error(artpack_timestamp_format(buf, sizeof buf, &text, NULL), ARTPACK_E_BAD_VIEW);
}

static void test_timestamp_parse_null_args(void **state) {
    artpack_timestamp t;
    (void)state;
    CHECK_PARSE_NULL_ARGS(artpack_timestamp_parse, t, "1970-01-01T00:00:00", 19);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_canonical_texts),
        cmocka_unit_test(test_date_noncanonical_texts_stay_text),
        cmocka_unit_test(test_date_every_day_roundtrip),
        cmocka_unit_test(test_date_format_errors),
        cmocka_unit_test(test_date_parse_null_args),
        cmocka_unit_test(test_timestamp_canonical_texts),
        cmocka_unit_test(test_timestamp_fraction_digits_are_kept),
        cmocka_unit_test(test_timestamp_noncanonical_texts_stay_text),
        cmocka_unit_test(test_timestamp_text_has_no_numeric_leftovers),
        cmocka_unit_test(test_timestamp_random_roundtrip),
        cmocka_unit_test(test_timestamp_format_errors),
        cmocka_unit_test(test_timestamp_parse_null_args),
    };
    return cmocka_run_group_tests_name("datetime", tests, NULL, NULL);
}
