/* test_json.c - the host-side JSON <-> article view tools (tools/json_in.c,
 * tools/json_out.c) through their API, and JSON -> record -> JSON. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include "json.h"

/* ---- helpers ---- */

/* Reads exactly one article from text (a heap copy of exactly n bytes). */
typedef struct one {
    char *text;
    ap_json_reader r;
    ap_json_article a;
} one;

static void one_read(one *o, const char *text, size_t n) {
    ap_json_error e;
    ap_json_article rest;
    o->text = (char *)tu_dup(text, n);
    assert_int_equal(ap_json_reader_init(&o->r, o->text, n), 0);
    if (ap_json_next(&o->r, &o->a, &e) != 1)
        fail_msg("line %lu col %lu: %s", (unsigned long)e.line, (unsigned long)e.column, e.text);
    if (ap_json_next(&o->r, &rest, &e) != 0) fail_msg("more than one article in %.100s", text);
}

static void one_free(one *o) {
    ap_json_article_free(&o->a);
    ap_json_reader_free(&o->r);
    free(o->text);
}

/* view -> one JSON line, NUL-terminated, malloc'ed */
static char *view_to_json(const artpack_article *v) {
    ap_buf out = {NULL, 0, 0};
    char err[256], *s;
    if (ap_json_write_article(&out, v, err, sizeof err) != 0) fail_msg("write: %s", err);
    s = (char *)tu_malloc(out.len + 1);
    memcpy(s, out.data, out.len);
    s[out.len] = '\0';
    ap_buf_free(&out);
    return s;
}

/* JSON -> view -> record; the record decodes to the view */
static unsigned char *json_to_record(const char *json, size_t len, size_t *n) {
    one o;
    unsigned char *rec;
    artpack_article back;
    one_read(&o, json, len);
    rec = encode_exact(&o.a.view, n);
    assert_ap_ok(artpack_record_decode(&back, rec, *n, NULL));
    assert_article_equal(&o.a.view, &back);
    one_free(&o);
    return rec;
}

static char *record_to_json(const unsigned char *rec, size_t n) {
    artpack_article v;
    unsigned char *copy = tu_dup(rec, n);
    char *json;
    assert_ap_ok(artpack_record_decode(&v, copy, n, NULL));
    json = view_to_json(&v);
    free(copy);
    return json;
}

/* JSON -> view -> record -> view -> JSON -> view -> record: same record;
 * returns the canonical JSON line (malloc'ed). */
static char *roundtrip(const char *json, size_t len) {
    size_t n1, n2;
    unsigned char *rec1 = json_to_record(json, len, &n1), *rec2;
    char *out1 = record_to_json(rec1, n1), *out2;
    rec2 = json_to_record(out1, strlen(out1), &n2);
    out2 = record_to_json(rec2, n2);
    if (n1 != n2 || memcmp(rec1, rec2, n1) != 0)
        fail_msg("records differ after a JSON round trip of %.200s", json);
    assert_string_equal(out1, out2); /* the output is a fixed point */
    assert_true(n1 <= ARTPACK_RECORD_BOUND(len));
    free(rec1);
    free(rec2);
    free(out2);
    return out1;
}

static void expect_json_out(const char *in, const char *want) {
    char *out = roundtrip(in, strlen(in));
    assert_string_equal(out, want);
    free(out);
}

/* Value of the extra pair with this key, or a NULL ptr. */
static artpack_str extra_value(const artpack_article *v, const char *key) {
    artpack_list_iter it;
    artpack_str k, val, none = {NULL, 0};
    artpack_list_begin(&it, &v->extra);
    while (artpack_list_next(&it, &k) && artpack_list_next(&it, &val))
        if (k.len == strlen(key) && memcmp(k.ptr, key, k.len) == 0) return val;
    return none;
}

/* ---- numbers ---- */

static void test_number_texts_preserved(void **state) {
    static const char in[] =
        "{\"id\":\"n\",\"x\":[1.50,-0,1E+5,1234567890123456789012345678901234567890,1e400],"
        "\"y\":-0.0e-0,\"z\":{\"w\":0.1E-1}}\n";
    one o;
    artpack_str v;
    (void)state;
    one_read(&o, in, sizeof in - 1);
    v = extra_value(&o.a.view, "x");
    assert_bytes_equal_str(v.ptr, v.len, "[1.50,-0,1E+5,1234567890123456789012345678901234567890,1e400]");
    v = extra_value(&o.a.view, "y");
    assert_bytes_equal_str(v.ptr, v.len, "-0.0e-0");
    v = extra_value(&o.a.view, "z");
    assert_bytes_equal_str(v.ptr, v.len, "{\"w\":0.1E-1}");
    one_free(&o);
    expect_json_out(in, in);
}

/* 100 numeric extras, keys given in reverse: each keeps its own text */
static void test_many_numbers_keep_their_texts(void **state) {
    char in[8192], key[16], want[64];
    size_t n = 0;
    int i;
    one o;
    (void)state;
    n += (size_t)snprintf(in + n, sizeof in - n, "{");
    for (i = 99; i >= 0; i--)
        n += (size_t)snprintf(in + n, sizeof in - n, "\"k%02d\":[%d.%02d0,{\"e\":%dE%d}]%s", i, i, i, i,
                              i, i ? "," : "}\n");
    one_read(&o, in, n);
    for (i = 0; i < 100; i++) {
        artpack_str v;
        snprintf(key, sizeof key, "k%02d", i);
        snprintf(want, sizeof want, "[%d.%02d0,{\"e\":%dE%d}]", i, i, i, i);
        v = extra_value(&o.a.view, key);
        assert_bytes_equal_str(v.ptr, v.len, want);
    }
    one_free(&o);
}

static void test_number_length_limit(void **state) {
    char in[2048];
    size_t n;
    ap_json_reader r;
    ap_json_article a;
    ap_json_error e;
    (void)state;
    /* 512 characters: accepted and kept */
    n = (size_t)snprintf(in, sizeof in, "{\"n\":-1.");
    memset(in + n, '5', 512 - 3);
    n += 512 - 3;
    n += (size_t)snprintf(in + n, sizeof in - n, "}\n");
    {
        one o;
        artpack_str v;
        one_read(&o, in, n);
        v = extra_value(&o.a.view, "n");
        assert_int_equal(v.len, 512);
        assert_memory_equal(v.ptr, in + 5, 512);
        one_free(&o);
    }
    /* 513: refused where the number starts; the next line is still read */
    n = (size_t)snprintf(in, sizeof in, "{\"id\":\"a\"}\n{\"n\":[");
    memset(in + n, '7', 513);
    n += 513;
    n += (size_t)snprintf(in + n, sizeof in - n, "]}\n{\"id\":\"c\"}\n");
    assert_int_equal(ap_json_reader_init(&r, in, n), 0);
    assert_int_equal(ap_json_next(&r, &a, &e), 1);
    ap_json_article_free(&a);
    assert_int_equal(ap_json_next(&r, &a, &e), -1);
    assert_non_null(strstr(e.text, "number too long"));
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 7);
    assert_int_equal(e.offset, 11 + 6);
    assert_int_equal(ap_json_next(&r, &a, &e), 1);
    assert_bytes_equal_str(a.view.id.ptr, a.view.id.len, "c");
    ap_json_article_free(&a);
    assert_int_equal(ap_json_next(&r, &a, &e), 0);
    ap_json_reader_free(&r);
}

/* ---- refused documents: where, why, and the reader goes on ---- */

typedef struct bad_case {
    const char *line2;
    const char *why;   /* a substring of the message */
    size_t line, col;  /* col 0: a jansson token error, see the known-bug test */
} bad_case;

static const bad_case bad_cases[] = {
    {"{\"id\":\"b\",\"id\":\"x\"}", "duplicate", 2, 0},
    {"{\"id\":\"b\xff\"}", "UTF-8", 2, 9},
    {"{\"id\":\"b\xc3\"}", "UTF-8", 2, 9},
    {"{\"id\":\"b\"} x", "unexpected data", 2, 12},
    {"{\"id\":\"b\"}{\"id\":\"x\"}", "unexpected data", 2, 11},
    {"[\"id\",\"b\"]", "array", 2, 1},
    {"{\"id\":\"\\ud800\"}", "Unicode", 2, 0},
    {"{\"id\":\"\\udc00x\"}", "Unicode", 2, 0},
    {"{\"id\":\"a\tb\"}", "control character", 2, 9},
    {"{\"id\":\"b\",}", "expected", 2, 0},
    {"{\"id\":\"b", "newline", 2, 9},
    {"{\"id\":\"b\"", "expected", 3, 0}, /* unterminated object: found on line 3 */
    {"\"x\"", "expected", 2, 0},
    {"5", "expected", 2, 0},
};

static void test_bad_line_reports_position_and_continues(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(bad_cases); i++) {
        const bad_case *c = &bad_cases[i];
        char in[256];
        size_t n = (size_t)snprintf(in, sizeof in, "{\"id\":\"a\"}\n%s\n{\"id\":\"c\"}\n", c->line2);
        char *text = (char *)tu_dup(in, n);
        ap_json_reader r;
        ap_json_article a;
        ap_json_error e;
        assert_int_equal(ap_json_reader_init(&r, text, n), 0);
        assert_int_equal(ap_json_next(&r, &a, &e), 1);
        assert_int_equal(a.start_line, 1);
        ap_json_article_free(&a);
        memset(&e, 0, sizeof e);
        assert_int_equal(ap_json_next(&r, &a, &e), -1);
        if (e.line != c->line || (c->col != 0 && e.column != c->col) ||
            strstr(e.text, c->why) == NULL)
            fail_msg("case %lu (%s): line %lu col %lu \"%s\"; expected line %lu col %lu \"%s\"",
                     (unsigned long)i, c->line2, (unsigned long)e.line, (unsigned long)e.column,
                     e.text, (unsigned long)c->line, (unsigned long)c->col, c->why);
        if (c->col != 0 && e.offset != 11 + c->col - 1)
            fail_msg("case %lu: offset %lu", (unsigned long)i, (unsigned long)e.offset);
        assert_int_equal(ap_json_next(&r, &a, &e), 1); /* line 3 is read */
        assert_int_equal(a.start_line, 3);
        assert_bytes_equal_str(a.view.id.ptr, a.view.id.len, "c");
        ap_json_article_free(&a);
        assert_int_equal(ap_json_next(&r, &a, &e), 0);
        ap_json_reader_free(&r);
        free(text);
    }
}

/* json.h: "column: 1-based column (characters, as jansson counts)". For
 * errors jansson finds at a token, ap_json_error is one column (and one
 * byte) past what jansson reports, i.e. past the offending token. */
static void test_error_column_matches_jansson(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(bad_cases); i++) {
        const bad_case *c = &bad_cases[i];
        char in[256], rest[256];
        size_t n = (size_t)snprintf(in, sizeof in, "{\"id\":\"a\"}\n%s\n{\"id\":\"c\"}\n", c->line2);
        size_t nrest = (size_t)snprintf(rest, sizeof rest, "%s\n{\"id\":\"c\"}\n", c->line2);
        json_error_t je;
        ap_json_reader r;
        ap_json_article a;
        ap_json_error e;
        if (c->col != 0) continue;
        assert_null(json_loadb(rest, nrest, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK |
                                                JSON_ALLOW_NUL, &je));
        assert_int_equal(ap_json_reader_init(&r, in, n), 0);
        assert_int_equal(ap_json_next(&r, &a, &e), 1);
        ap_json_article_free(&a);
        assert_int_equal(ap_json_next(&r, &a, &e), -1);
        if (e.line != (size_t)je.line + 1 || e.column != (size_t)je.column)
            fail_msg("%s: line %lu col %lu, jansson says line %d col %d", c->line2,
                     (unsigned long)e.line, (unsigned long)e.column, je.line + 1, je.column);
        ap_json_reader_free(&r);
    }
}

static void test_unterminated_object_at_end(void **state) {
    static const char in[] = "{\"id\":\"a\"}\n{\"id\":\"b\"";
    ap_json_reader r;
    ap_json_article a;
    ap_json_error e;
    (void)state;
    assert_int_equal(ap_json_reader_init(&r, in, sizeof in - 1), 0);
    assert_int_equal(ap_json_next(&r, &a, &e), 1);
    ap_json_article_free(&a);
    assert_int_equal(ap_json_next(&r, &a, &e), -1);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 9); /* where jansson reports it */
    assert_non_null(strstr(e.text, "end of file"));
    assert_int_equal(ap_json_next(&r, &a, &e), 0);
    ap_json_reader_free(&r);
}

static void test_empty_and_blank_input(void **state) {
    static const char *const inputs[] = {"", "\n", "  \r\n\t\n\n"};
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(inputs); i++) {
        ap_json_reader r;
        ap_json_article a;
        ap_json_error e;
        assert_int_equal(ap_json_reader_init(&r, inputs[i], strlen(inputs[i])), 0);
        assert_int_equal(ap_json_next(&r, &a, &e), 0);
        assert_int_equal(ap_json_next(&r, &a, &e), 0);
        ap_json_reader_free(&r);
    }
}

/* ---- what goes where, and comes back ---- */

static void test_nul_in_string_roundtrip(void **state) {
    static const char in[] = "{\"title\":\"a\\u0000b\",\"body\":[\"\\u0000\"]}\n";
    one o;
    (void)state;
    one_read(&o, in, sizeof in - 1);
    assert_int_equal(o.a.view.title.len, 3);
    assert_memory_equal(o.a.view.title.ptr, "a\0b", 3);
    one_free(&o);
    expect_json_out(in, in);
}

static void test_wrong_types_go_to_extra_in_place(void **state) {
    static const char in[] = "{\"tags\":\"x\",\"title\":\"t\",\"id\":42,\"body\":[\"a\",7],"
                             "\"date\":20200101,\"authors\":null}\n";
    one o;
    artpack_str v;
    (void)state;
    one_read(&o, in, sizeof in - 1);
    assert_null(o.a.view.id.ptr);
    assert_false(o.a.view.tags.present);
    assert_false(o.a.view.body.present);
    assert_int_equal(o.a.view.date.kind, ARTPACK_ABSENT);
    assert_int_equal(artpack_list_count(&o.a.view.extra), 10);
    v = extra_value(&o.a.view, "id");
    assert_bytes_equal_str(v.ptr, v.len, "42");
    v = extra_value(&o.a.view, "tags");
    assert_bytes_equal_str(v.ptr, v.len, "\"x\"");
    v = extra_value(&o.a.view, "body");
    assert_bytes_equal_str(v.ptr, v.len, "[\"a\",7]");
    one_free(&o);
    /* back in the schema's order, each in its field's place */
    expect_json_out(in, "{\"id\":42,\"date\":20200101,\"title\":\"t\",\"authors\":null,"
                        "\"body\":[\"a\",7],\"tags\":\"x\"}\n");
}

static void test_unknown_keys_come_back(void **state) {
    (void)state;
    expect_json_out("{\"zeta\":true,\"alpha\":null,\"id\":\"x\",\"mid\":{\"k\":[1,2]},\"\":\"e\"}\n",
                    "{\"id\":\"x\",\"\":\"e\",\"alpha\":null,\"mid\":{\"k\":[1,2]},\"zeta\":true}\n");
}

static void test_nested_objects_get_sorted_keys(void **state) {
    (void)state;
    expect_json_out("{\"meta\":{\"b\":1,\"a\":{\"d\":2,\"c\":3},\"aa\":[{\"z\":0,\"y\":1}]}}\n",
                    "{\"meta\":{\"a\":{\"c\":3,\"d\":2},\"aa\":[{\"y\":1,\"z\":0}],\"b\":1}}\n");
    expect_json_out("{\"m\": { \"b\" : [ 1 , { \"y\":1, \"x\" : 2 } ] , \"a\" : \"s\" } }\n",
                    "{\"m\":{\"a\":\"s\",\"b\":[1,{\"x\":2,\"y\":1}]}}\n");
}

static void test_pretty_printed_object(void **state) {
    static const char in[] = "{\n  \"id\": \"p\",\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ],\n"
                             "  \"n\": 1.0\n}\n\n";
    one o;
    (void)state;
    one_read(&o, in, sizeof in - 1);
    assert_int_equal(o.a.start_line, 1);
    assert_int_equal(artpack_list_count(&o.a.view.tags), 2);
    one_free(&o);
    expect_json_out(in, "{\"id\":\"p\",\"tags\":[\"a\",\"b\"],\"n\":1.0}\n");
}

static void test_dates_and_timestamps(void **state) {
    static const char in[] = "{\"date\":\"2019-08-29\",\"published\":\"2006-10-20T18:15:00.790-04:00\"}";
    one o;
    (void)state;
    one_read(&o, in, sizeof in - 1);
    assert_int_equal(o.a.view.date.kind, ARTPACK_NUMBER);
    assert_int_equal(o.a.view.published.kind, ARTPACK_NUMBER);
    assert_int_equal(o.a.view.published.fraction_digits, 3);
    one_free(&o);
    expect_json_out("{\"published\":\"2006-10-20T18:15:00.790-04:00\",\"date\":\"2019-08-29\"}\n",
                    "{\"date\":\"2019-08-29\",\"published\":\"2006-10-20T18:15:00.790-04:00\"}\n");
    expect_json_out("{\"date\":\"29 Aug 2019\",\"published\":\"2006-10-20 18:15\"}\n",
                    "{\"date\":\"29 Aug 2019\",\"published\":\"2006-10-20 18:15\"}\n");
}

static void test_string_escapes_are_canonical(void **state) {
    (void)state;
    expect_json_out("{\"title\":\"\\/\\u00e9\\t\\u001f\\\"\\\\\\ud83d\\ude00\\b\\f\\n\\r\\u007f\"}",
                    "{\"title\":\"/\xc3\xa9\\t\\u001f\\\"\\\\\xf0\x9f\x98\x80\\b\\f\\n\\r\x7f\"}\n");
}

static void test_write_article_refuses_bad_views(void **state) {
    artpack_article v;
    artpack_str pair[2];
    ap_buf out = {NULL, 0, 0};
    char err[256];
    (void)state;
    assert_int_equal(ap_buf_puts(&out, "kept"), 0);
    artpack_article_init(&v);
    v.title = tu_str("bad \xff byte");
    assert_int_equal(ap_json_write_article(&out, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "title"));
    assert_int_equal(out.len, 4); /* nothing appended */
    artpack_article_init(&v);
    pair[0] = tu_str("k");
    pair[1] = tu_str("{not json");
    v.extra = tu_list(pair, 2);
    assert_int_equal(ap_json_write_article(&out, &v, err, sizeof err), -1);
    assert_int_equal(out.len, 4);
    ap_buf_free(&out);
}

/* ---- whole articles: the repository's data files and a few more ---- */

static void roundtrip_lines(const char *text, size_t n) {
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (len > 1) free(roundtrip(p, len));
        p += len;
    }
}

static void test_json_record_json_roundtrip(void **state) {
    static const char *const files[] = {"tests/data/seed.jsonl", "tests/data/golden/edge.jsonl"};
    static const char more[] =
        "{\"id\":\"a1\",\"date\":\"2020-01-02\",\"body\":[\"Hi.\"],\"n\":7}\n"
        "{}\n"
        "{\"id\":1,\"oldid\":5544,\"source\":\"Reuters\",\"date\":\"1987-02-26\",\"published\":"
        "\"1987-02-26T15:01:01.79\",\"title\":\"BAHIA COCOA REVIEW\",\"places\":[\"el-salvador\"],"
        "\"body\":[\"Showers continued.\",\"\"]}\n"
        "{\"tags\":[],\"authors\":[\"\"],\"title\":\"\",\"url\":\"\\u00e9\",\"x\":{},\"y\":[]}\n";
    size_t i;
    (void)state;
    roundtrip_lines(more, sizeof more - 1);
    for (i = 0; i < TU_COUNT(files); i++) {
        ap_buf in = {NULL, 0, 0};
        if (ap_read_all(files[i], &in) != 0) fail_msg("cannot read %s (run from the top folder)", files[i]);
        roundtrip_lines((const char *)in.data, in.len);
        ap_buf_free(&in);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_texts_preserved),
        cmocka_unit_test(test_many_numbers_keep_their_texts),
        cmocka_unit_test(test_number_length_limit),
        cmocka_unit_test(test_bad_line_reports_position_and_continues),
        cmocka_unit_test(test_error_column_matches_jansson),
        cmocka_unit_test(test_unterminated_object_at_end),
        cmocka_unit_test(test_empty_and_blank_input),
        cmocka_unit_test(test_nul_in_string_roundtrip),
        cmocka_unit_test(test_wrong_types_go_to_extra_in_place),
        cmocka_unit_test(test_unknown_keys_come_back),
        cmocka_unit_test(test_nested_objects_get_sorted_keys),
        cmocka_unit_test(test_pretty_printed_object),
        cmocka_unit_test(test_dates_and_timestamps),
        cmocka_unit_test(test_string_escapes_are_canonical),
        cmocka_unit_test(test_write_article_refuses_bad_views),
        cmocka_unit_test(test_json_record_json_roundtrip),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
