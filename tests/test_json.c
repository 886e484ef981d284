/* test_json.c - the host-side JSON <-> article view tools (tools/json_in.c,
 * tools/json_out.c) through their API, and JSON -> record -> JSON; and the
 * reader against the jansson reader it replaced (tests/json_ref.h): the same
 * verdicts, records, error positions and messages on the corpus, the data
 * files, JSONTestSuite-like documents and mutations of them. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "json_ref.h"

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

/* ---- \u0000 in object keys (JSONTestSuite y_object_escaped_null_in_key) ---- */

static void test_nul_in_key_roundtrip(void **state) {
    static const char in[] = "{\"foo\\u0000bar\": 42}";
    one o;
    artpack_list_iter it;
    artpack_str k, v;
    (void)state;
    one_read(&o, in, sizeof in - 1);
    artpack_list_begin(&it, &o.a.view.extra);
    assert_true(artpack_list_next(&it, &k) && artpack_list_next(&it, &v));
    assert_int_equal(k.len, 7);
    assert_memory_equal(k.ptr, "foo\0bar", 7);
    assert_bytes_equal_str(v.ptr, v.len, "42");
    one_free(&o);
    expect_json_out(in, "{\"foo\\u0000bar\":42}\n");
    /* nested, in values too, sorted bytewise, schema names untouched */
    expect_json_out("{\"m\":{\"b\\u0000\":[{\"\\u0000\":\"\\u0000\"}],\"a\":1.0},\"id\\u0000\":\"x\","
                    "\"id\":\"i\\u0000\"}\n",
                    "{\"id\":\"i\\u0000\",\"id\\u0000\":\"x\",\"m\":{\"a\":1.0,\"b\\u0000\":[{\"\\u0000\":"
                    "\"\\u0000\"}]}}\n");
    /* the stand-in for U+0000 is one the document does not use */
    expect_json_out("{\"a\\u0000\":1,\"a\\u0001\":2,\"a\\u0002\":\"\\u0003\\u000b\\u0010\"}",
                    "{\"a\\u0000\":1,\"a\\u0001\":2,\"a\\u0002\":\"\\u0003\\u000b\\u0010\"}\n");
    {
        static const char ok[] = "{\"a\\u0000\":[1,{\"\\u0000\":null}]}";
        static const char dup[] = "{\"a\\u0000\":1,\"a\\u0000\":2}";
        assert_ap_ok(artpack_json_check_canonical(ok, sizeof ok - 1));
        assert_ap_error(artpack_json_check_canonical(dup, sizeof dup - 1), ARTPACK_E_NONCANONICAL);
    }
}

typedef struct nul_case {
    const char *line2, *why;
    size_t col;
} nul_case;

/* documents with a NUL key are judged as any other: the verdicts, columns
 * and messages are those of the same document with \u0001 in the key
 * (checked against the reader before the fix), spelling the input as
 * written */
static void test_nul_in_key_verdicts(void **state) {
    static const nul_case cases[] = {
        {"{\"a\\u0000\":1,\"a\\u0000\":2}", "duplicate object key near '\"a\\u0000\"'", 22},
        {"{\"a\\u0000\":1 \"b\":2}", "'}' expected near '\"b\"'", 16},
        {"{\"a\\u0000\":1,\"b\" \"\\u0000\\u0001\"}", "':' expected near '\"\\u0000\\u0001\"'", 31},
        {"{\"a\\u0000\":\"\\ud800\\u0000\"}", "invalid Unicode '\\uD800\\u0000'", 25},
        {"{\"a\\u0000\":\"\\u0000\x01\"}", "control character 0x1 near '\"\\u0000'", 19},
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        char in[256];
        size_t n = (size_t)snprintf(in, sizeof in, "{\"id\":\"a\"}\n%s\n{\"id\":\"c\"}\n", cases[i].line2);
        ap_json_reader r;
        ap_json_article a;
        ap_json_error e;
        assert_int_equal(ap_json_reader_init(&r, in, n), 0);
        assert_int_equal(ap_json_next(&r, &a, &e), 1);
        ap_json_article_free(&a);
        assert_int_equal(ap_json_next(&r, &a, &e), -1);
        if (e.line != 2 || e.column != cases[i].col || strstr(e.text, cases[i].why) == NULL)
            fail_msg("%s: %lu:%lu \"%s\"", cases[i].line2, (unsigned long)e.line,
                     (unsigned long)e.column, e.text);
        assert_int_equal(ap_json_next(&r, &a, &e), 1);
        ap_json_article_free(&a);
        assert_int_equal(ap_json_next(&r, &a, &e), 0);
        ap_json_reader_free(&r);
    }
}

/* The reference reader read \u0000 in keys through a stand-in control
 * character that the document does not write, and so refused a document
 * that writes all 26 of them ("NUL byte in object key not supported"); the
 * reader has no such limit. */
static void test_nul_in_key_every_control_escape(void **state) {
    static const char codes[] = {1, 2, 3, 4, 5, 6, 7, 0x0b, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
                                 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
    char in[512];
    size_t n = 0, i;
    one o;
    artpack_str v;
    (void)state;
    n += (size_t)snprintf(in + n, sizeof in - n, "{\"s\":\"");
    for (i = 0; i < sizeof codes; i++) n += (size_t)snprintf(in + n, sizeof in - n, "\\u%04x", codes[i]);
    n += (size_t)snprintf(in + n, sizeof in - n, "\",\"k\\u0000\":1}\n");
    one_read(&o, in, n);
    v = extra_value(&o.a.view, "s");
    assert_int_equal(v.len, 2 + 26 * 6);
    assert_int_equal(artpack_list_count(&o.a.view.extra), 4);
    one_free(&o);
    free(roundtrip(in, n));
}

static void test_write_article_nul_in_extra_key(void **state) {
    artpack_article v;
    artpack_str pair[2];
    ap_buf out = {NULL, 0, 0};
    char err[256];
    (void)state;
    artpack_article_init(&v);
    pair[0] = tu_strn("k\0", 2);
    pair[1] = tu_str("[1]");
    v.extra = tu_list(pair, 2);
    assert_int_equal(ap_json_write_article(&out, &v, err, sizeof err), 0);
    assert_bytes_equal_str((const char *)out.data, out.len, "{\"k\\u0000\":[1]}\n");
    ap_buf_free(&out);
}

/* ---- streaming: exactly the whole-text reader's articles and verdicts ---- */

/* What one call of ap_json_next / ap_json_stream_next gave. */
typedef struct event {
    int rc;
    size_t start, start_line; /* an article */
    ap_json_error err;        /* a refused document */
    size_t consumed;          /* bytes consumed after the call */
    unsigned char *rec;       /* an article's record */
    size_t rec_len;
} event;

typedef struct events {
    event *v;
    size_t n, cap;
} events;

static void events_add(events *e, int rc, ap_json_article *a, const ap_json_error *err,
                       size_t consumed) {
    event *x;
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 64;
        e->v = (event *)realloc(e->v, e->cap * sizeof *e->v);
        assert_non_null(e->v);
    }
    x = &e->v[e->n++];
    memset(x, 0, sizeof *x);
    x->rc = rc;
    x->consumed = consumed;
    if (rc == 1) {
        x->start = a->start;
        x->start_line = a->start_line;
        x->rec = encode_exact(&a->view, &x->rec_len);
        ap_json_article_free(a);
    } else if (rc < 0) {
        x->err = *err;
    }
}

static void events_free(events *e) {
    size_t i;
    for (i = 0; i < e->n; i++) free(e->v[i].rec);
    free(e->v);
    memset(e, 0, sizeof *e);
}

static events whole_events(const char *text, size_t n) {
    events e = {NULL, 0, 0};
    ap_json_reader r;
    int rc;
    assert_int_equal(ap_json_reader_init(&r, text, n), 0);
    do {
        ap_json_article a;
        ap_json_error err;
        memset(&err, 0, sizeof err);
        rc = ap_json_next(&r, &a, &err);
        events_add(&e, rc, &a, &err, r.pos);
    } while (rc != 0);
    ap_json_reader_free(&r);
    return e;
}

static events stream_events_fd(int fd, size_t chunk) {
    events e = {NULL, 0, 0};
    ap_json_stream *s;
    int rc;
    assert_int_equal(ap_json_stream_open(&s, fd, chunk), 0);
    do {
        ap_json_article a;
        ap_json_error err;
        memset(&err, 0, sizeof err);
        rc = ap_json_stream_next(s, &a, &err);
        events_add(&e, rc, &a, &err, (size_t)ap_json_stream_bytes(s));
    } while (rc != 0 && rc != -2);
    ap_json_stream_close(s);
    return e;
}

/* A descriptor reading text[0..n) from a temporary file. */
static int temp_fd(const char *text, size_t n) {
    char name[] = "/tmp/artpack-test-json-XXXXXX";
    int fd = mkstemp(name);
    assert_true(fd >= 0);
    unlink(name);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static events stream_events(const char *text, size_t n, size_t chunk) {
    int fd = temp_fd(text, n);
    events e = stream_events_fd(fd, chunk);
    close(fd);
    return e;
}

static void assert_same_events(const events *want, const events *got, const char *what,
                               size_t chunk) {
    size_t i;
    for (i = 0; i < want->n && i < got->n; i++) {
        const event *a = &want->v[i], *b = &got->v[i];
        if (a->rc != b->rc || a->consumed != b->consumed || a->start != b->start ||
            a->start_line != b->start_line || a->rec_len != b->rec_len ||
            (a->rec_len && memcmp(a->rec, b->rec, a->rec_len) != 0) ||
            a->err.line != b->err.line || a->err.column != b->err.column ||
            a->err.offset != b->err.offset || strcmp(a->err.text, b->err.text) != 0)
            fail_msg("%.60s (chunk %lu), call %lu: whole text: %d at %lu:%lu (offset %lu) "
                     "\"%s\", consumed %lu; stream: %d at %lu:%lu (offset %lu) \"%s\", "
                     "consumed %lu", what, (unsigned long)chunk, (unsigned long)i, a->rc,
                     (unsigned long)a->err.line, (unsigned long)a->err.column,
                     (unsigned long)a->err.offset, a->err.text, (unsigned long)a->consumed, b->rc,
                     (unsigned long)b->err.line, (unsigned long)b->err.column,
                     (unsigned long)b->err.offset, b->err.text, (unsigned long)b->consumed);
    }
    if (want->n != got->n)
        fail_msg("%.60s (chunk %lu): %lu calls on the whole text, %lu on the stream", what,
                 (unsigned long)chunk, (unsigned long)want->n, (unsigned long)got->n);
}

/* Inputs for the stream tests (lengths by strlen; the ones with NUL bytes
 * are built in stream_inputs). */
static const char *const stream_texts[] = {
    "",
    "\n",
    "  \r\n\t\n\n",
    "{\"id\":\"a\"}",
    "{\"id\":\"a\"}\n{\"id\":\"b\",\"n\":[1.50,-0,1E+5,12345678901234567890]}\n",
    "{\"id\":\"a\"}\r\n{\"id\":\"b\"}\r\n\r\n{\"x\":-0.0e-0}\r\n",
    "{\n  \"id\": \"p\",\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ],\n  \"n\": 1.0\n}\n\n",
    "{\"id\":\"a\"}\n{\n  \"id\": \"p\",\n  \"n\": [1, 22, 333, 4444, 55555]\n}\n{\"id\":\"c\"}",
    "{\"id\":\"a\"}\n{\"id\":\"b\xff\"}\n{\"id\":\"c\xc3\"}\n{\"id\":\"\xc3\xa9\xe2\x82\xac\"}\n",
    "\xEF\xBB\xBF{\"id\":\"bom\"}\n{\"id\":\"after\"}\n",
    "{\"id\":\"a\"}\n\xEF\xBB\xBF{\"id\":\"bom\"}\n\xEF\xBB",
    "{\"id\":\"a\"}\n{\"id\":\"b\"\n{\"id\":\"c\"}\n{\"id\":\"d\",}\n[1]\n\"s\"\n7\n{\"id\":\"e\"} x\n",
    "{\"id\":\"a\"}{\"id\":\"b\"}\n{\"a\":tru}\n{\"a\":1.}\n{\"a\":01}\n{\"a\":-}\n{\"a\":NaN}\n",
    "{\"a\":\"x\ty\"}\n{\"a\":\"x\\u00\"}\n{\"a\":\"\\ud800\"}\n{\"a\":\"\\q\"}\n{\"ok\":1}\n",
    "{\"a\":[[[[\n",
    "{\"id\":\"b\"",
    "{\n\"a\"\n:\n1\n,\n\"b\\u0000\"\n:\n[\n2\n]\n}\n{\"n\\u0000\":1,\"t\":\"\\u0000\\u0001\"}\n",
    "{\"a\\u0000\":1,\"a\\u0000\":2}\n{\"a\\u0000\":\"\\ud800\\u0000\"}\n{}\n",
    "{\"s\":\"\\\\u0000\",\"k\\\\\":\"\\\"1.5\\\"\",\"e\":[true,false,null]}\n",
    "{\"id\":\"a\"}   \t \n   {\"id\":\"indented\"}   \n",
    "{\"a\":\"unterminated\n{\"id\":\"next\"}\n",
};

/* Every input: the texts above, lines with NUL bytes, numbers of every
 * length at every offset, a document larger than any small chunk, and the
 * repository's data files. Returns the count; texts[i] are malloc'ed. */
static size_t stream_inputs(char **texts, size_t *lens, size_t max) {
    static const char *const files[] = {"tests/data/seed.jsonl", "tests/data/golden/edge.jsonl"};
    size_t k = 0, i;
    ap_buf b = {NULL, 0, 0};
    for (i = 0; i < TU_COUNT(stream_texts) && k < max; i++, k++) {
        lens[k] = strlen(stream_texts[i]);
        texts[k] = (char *)tu_dup(stream_texts[i], lens[k]);
    }
    /* NUL bytes: in a string, and outside */
    assert_true(k + 2 <= max);
    lens[k] = 30;
    texts[k++] = (char *)tu_dup("{\"a\":\"x\0y\"}\n\0\n{\"id\":\"after\"}\n", 30);
    lens[k] = 12;
    texts[k++] = (char *)tu_dup("{\"a\":1}\0\n{}\n", 12);
    /* numbers of 1..40 characters at every offset mod 7, across lines */
    for (i = 1; i <= 40; i++) {
        char num[64];
        memset(num, '9', i);
        num[i] = '\0';
        if (i > 2) num[1] = '.';
        if (i > 5) num[i - 3] = 'e', num[i - 2] = '-';
        assert_int_equal(ap_buf_puts(&b, "{\"n\":["), 0);
        assert_int_equal(ap_buf_put(&b, "       ", i % 7), 0);
        assert_int_equal(ap_buf_puts(&b, num), 0);
        assert_int_equal(ap_buf_puts(&b, i % 3 ? "]}\n" : ",\n-0]}\n"), 0);
    }
    /* a number too long, and one at the limit */
    assert_int_equal(ap_buf_puts(&b, "{\"n\":"), 0);
    for (i = 0; i < AP_JSON_NUMBER_MAX + 1; i++) assert_int_equal(ap_buf_putc(&b, '7'), 0);
    assert_int_equal(ap_buf_puts(&b, "}\n{\"n\":-"), 0);
    for (i = 0; i < AP_JSON_NUMBER_MAX - 1; i++) assert_int_equal(ap_buf_putc(&b, '7'), 0);
    assert_int_equal(ap_buf_puts(&b, "}\n"), 0);
    /* a pretty-printed document of ~12 KB, then a bad one as large */
    assert_int_equal(ap_buf_puts(&b, "{\n  \"body\": [\n"), 0);
    for (i = 0; i < 300; i++) {
        char line[64];
        snprintf(line, sizeof line, "    \"paragraph %lu, caf\xc3\xa9\",\n    %lu.%lue%lu,\n",
                 (unsigned long)i, (unsigned long)i, (unsigned long)i * 7, (unsigned long)i % 5);
        assert_int_equal(ap_buf_puts(&b, line), 0);
    }
    assert_int_equal(ap_buf_puts(&b, "    \"end\"\n  ]\n}\n{\"x\":[\n"), 0);
    for (i = 0; i < 1000; i++) assert_int_equal(ap_buf_puts(&b, "  1.25,\n"), 0);
    assert_int_equal(ap_buf_puts(&b, "  \"x\" \"y\"]}\n{\"id\":\"last\"}"), 0);
    assert_true(k < max);
    lens[k] = b.len;
    texts[k++] = (char *)b.data;
    for (i = 0; i < TU_COUNT(files) && k < max; i++) {
        ap_buf in = {NULL, 0, 0};
        if (ap_read_all(files[i], &in) != 0) fail_msg("cannot read %s (run from the top folder)", files[i]);
        lens[k] = in.len;
        texts[k++] = in.data ? (char *)in.data : (char *)tu_malloc(1);
    }
    return k;
}

static void test_stream_same_as_whole_text(void **state) {
    static const size_t chunks[] = {1, 2, 3, 7, 64, 1000, 0};
    char *texts[64];
    size_t lens[64], count = stream_inputs(texts, lens, 64), i, j;
    (void)state;
    for (i = 0; i < count; i++) {
        events want = whole_events(texts[i], lens[i]);
        assert_int_equal(want.v[want.n - 1].consumed, lens[i]); /* all of it */
        for (j = 0; j < TU_COUNT(chunks); j++) {
            events got;
            if (lens[i] > 20000 && chunks[j] < 7 && chunks[j] != 0) continue; /* slow */
            got = stream_events(texts[i], lens[i], chunks[j]);
            assert_same_events(&want, &got, texts[i], chunks[j]);
            events_free(&got);
        }
        events_free(&want);
        free(texts[i]);
    }
}

/* property: however read() splits the input, the same results */
static void test_stream_random_splits(void **state) {
    char *texts[64];
    size_t lens[64], count = stream_inputs(texts, lens, 64), i, round;
    unsigned seed = 12345;
    (void)state;
    for (i = 0; i < count; i++) {
        events want = whole_events(texts[i], lens[i]);
        for (round = 0; round < 8; round++) {
            events got;
            size_t chunk;
            seed = seed * 1103515245u + 12345u;
            chunk = 1 + (seed >> 8) % (lens[i] < 300 ? lens[i] + 2 : 300);
            got = stream_events(texts[i], lens[i], chunk);
            assert_same_events(&want, &got, texts[i], chunk);
            events_free(&got);
        }
        events_free(&want);
        free(texts[i]);
    }
}

/* through a pipe written in random pieces (short reads) */
static void test_stream_pipe(void **state) {
    char *texts[64];
    size_t lens[64], count = stream_inputs(texts, lens, 64), i;
    (void)state;
    for (i = 0; i < count; i++) {
        events want = whole_events(texts[i], lens[i]), got;
        int fds[2], status;
        pid_t pid;
        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) { /* writer */
            size_t at = 0;
            unsigned seed = (unsigned)i * 7919u + 1u;
            close(fds[0]);
            while (at < lens[i]) {
                size_t n;
                seed = seed * 1103515245u + 12345u;
                n = 1 + (seed >> 8) % 97;
                if (n > lens[i] - at) n = lens[i] - at;
                if (write(fds[1], texts[i] + at, n) != (ssize_t)n) _exit(1);
                at += n;
            }
            _exit(0);
        }
        close(fds[1]);
        got = stream_events_fd(fds[0], 4096);
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_same_events(&want, &got, texts[i], 4096);
        events_free(&got);
        events_free(&want);
        free(texts[i]);
    }
}

/* articles do not point into the stream: kept past later calls and close */
static void test_stream_articles_outlive_the_stream(void **state) {
    ap_buf in = {NULL, 0, 0};
    ap_json_article kept[64];
    size_t n = 0, i;
    events want;
    ap_json_stream *s;
    ap_json_error err;
    int fd, rc;
    (void)state;
    if (ap_read_all("tests/data/seed.jsonl", &in) != 0) fail_msg("cannot read tests/data/seed.jsonl");
    for (i = 0; i < 3; i++) assert_int_equal(ap_buf_put(&in, in.data, in.len), 0);
    want = whole_events((const char *)in.data, in.len);
    fd = temp_fd((const char *)in.data, in.len);
    assert_int_equal(ap_json_stream_open(&s, fd, 5), 0);
    while ((rc = ap_json_stream_next(s, &kept[n], &err)) == 1) assert_true(++n < TU_COUNT(kept));
    assert_int_equal(rc, 0);
    assert_int_equal(ap_json_stream_bytes(s), in.len);
    ap_json_stream_close(s);
    close(fd);
    memset(in.data, 'x', in.len); /* nor into the input */
    assert_int_equal(n, want.n - 1);
    for (i = 0; i < n; i++) {
        size_t len;
        unsigned char *rec = encode_exact(&kept[i].view, &len);
        assert_int_equal(len, want.v[i].rec_len);
        assert_memory_equal(rec, want.v[i].rec, len);
        free(rec);
        ap_json_article_free(&kept[i]);
    }
    events_free(&want);
    ap_buf_free(&in);
}

static void test_stream_read_error(void **state) {
    ap_json_stream *s;
    ap_json_article a;
    ap_json_error err;
    int fd = open(".", O_RDONLY); /* read() fails: EISDIR */
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(ap_json_stream_open(&s, fd, 0), 0);
    errno = 0;
    assert_int_equal(ap_json_stream_next(s, &a, &err), -2);
    assert_int_equal(errno, EISDIR);
    assert_non_null(strstr(err.text, "read error"));
    assert_null(a.mem);
    assert_int_equal(ap_json_stream_next(s, &a, &err), -2); /* and stays so */
    ap_json_stream_close(s);
    ap_json_stream_close(NULL);
    close(fd);
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

/* ---- the reader against the reference (tests/json_ref.h) ---- */

static void assert_same_as_reference(const char *text, size_t n, const char *what) {
    char why[1024];
    if (ref_ap_compare(text, n, why, sizeof why, NULL, NULL) != 0)
        fail_msg("%s (%lu bytes: %.80s): %s", what, (unsigned long)n, text, why);
}

/* JSONTestSuite-like documents (y_, n_ and i_ cases, as JSON Lines read
 * them): structure, literals, numbers, strings, escapes, surrogates, UTF-8
 * (overlong, surrogates, past U+10FFFF, cut short), control characters,
 * NUL bytes, byte order marks, schema fields of the wrong type. */
typedef struct doc_case {
    const char *text;
    size_t len;
} doc_case;

static const doc_case suite_cases[] = {
    {"{}", 2},
    {"{\"a\":1}", 7},
    {"[]", 2},
    {"[1]", 3},
    {"{\"a\":[1,2,3]}", 13},
    {"{\"a\":{\"b\":{\"c\":[]}}}", 20},
    {" {\"a\":1} ", 9},
    {"{\"a\":1}\r", 8},
    {"{", 1},
    {"}", 1},
    {"{\"a\"", 4},
    {"{\"a\":", 5},
    {"{\"a\":1", 6},
    {"{\"a\":1,", 7},
    {"{\"a\":1,}", 8},
    {"{,}", 3},
    {"{\"a\" 1}", 7},
    {"{\"a\"::1}", 8},
    {"{\"a\":1 \"b\":2}", 13},
    {"{1:1}", 5},
    {"{null:1}", 8},
    {"{\"a\":1}}", 8},
    {"{\"a\":[}", 7},
    {"{\"a\":[1,]}", 10},
    {"{\"a\":[,1]}", 10},
    {"{\"a\":[1 2]}", 11},
    {"{\"a\":]}", 7},
    {"{\"a\":}", 6},
    {"{\"a\":[1,2", 9},
    {"{\"a\":[1,2,", 10},
    {"{\"a\":{\"b\":}}", 12},
    {"{\"a\":{\"b\"}}", 11},
    {"{\"a\":{,}}", 9},
    {"{\"a\":{\"b\":1,}}", 14},
    {"{\"a\":1}x", 8},
    {"{\"a\":1} x", 9},
    {"{\"a\":1}\t\r", 9},
    {"{\"a\":1}/", 8},
    {"{\"a\":1}{\"b\":2}", 14},
    {"{\"a\":1},", 8},
    {"[1] x", 5},
    {"[1,]", 4},
    {"[", 1},
    {"]", 1},
    {"\"s\"", 3},
    {"1", 1},
    {"-", 1},
    {"true", 4},
    {"null", 4},
    {"x", 1},
    {"\x00", 1},
    {"{\"a\":1}\x00", 8},
    {"\x01{}", 3},
    {"{\"a\":\x00}", 7},
    {"{\x00}", 3},
    {"{\"a\":tru}", 9},
    {"{\"a\":truee}", 11},
    {"{\"a\":True}", 10},
    {"{\"a\":nul}", 9},
    {"{\"a\":nulls}", 11},
    {"{\"a\":fals}", 10},
    {"{\"a\":NaN}", 9},
    {"{\"a\":Infinity}", 14},
    {"{\"a\":-Infinity}", 15},
    {"{\"a\":undefined}", 15},
    {"{\"a\":t}", 7},
    {"{\"a\":tru1}", 10},
    {"{\"a\":true1}", 11},
    {"{\"a\":nullx}", 11},
    {"{\"a\":_}", 7},
    {"{\"a\":01}", 8},
    {"{\"a\":-01}", 9},
    {"{\"a\":00}", 8},
    {"{\"a\":1.}", 8},
    {"{\"a\":.1}", 8},
    {"{\"a\":1.e1}", 10},
    {"{\"a\":1e}", 8},
    {"{\"a\":1e+}", 9},
    {"{\"a\":1E-}", 9},
    {"{\"a\":-}", 7},
    {"{\"a\":--1}", 9},
    {"{\"a\":+1}", 8},
    {"{\"a\":1e5x}", 10},
    {"{\"a\":0x1}", 9},
    {"{\"a\":1.5.3}", 11},
    {"{\"a\":1-2}", 9},
    {"{\"a\":1e999}", 11},
    {"{\"a\":-1e999}", 12},
    {"{\"a\":123456789012345678901234567890}", 36},
    {"{\"a\":[1e999.5]}", 15},
    {"{\"a\":99999999999999999999-}", 27},
    {"{\"a\":1e1.5}", 11},
    {"{\"a\":-0}", 8},
    {"{\"a\":-0.0e-0}", 13},
    {"{\"a\":0e+1}", 10},
    {"{\"a\":1E5}", 9},
    {"{\"a\" 1.5}", 9},
    {"{1.5:1}", 7},
    {"{\"a\":[1.5 2]}", 13},
    {"{\"a\":1.5,\"b\" 2}", 15},
    {"{\"a\":-a}", 8},
    {"{\"a\":1.a}", 9},
    {"{\"a\":1ea}", 9},
    {"{\"a\":\xc3\xa9}", 8},
    {"{\"a\":1\xc3\xa9}", 9},
    {"{\"a\":1\xff}", 8},
    {"{\"a\":-\xff}", 8},
    {"{\"a\":1.\xff}", 9},
    {"{\"a\":1e\xff}", 9},
    {"{\"a\":tr\xff}", 9},
    {"{\"a\":\xff}", 7},
    {"{\xff}", 3},
    {"\xff", 1},
    {"{\"a\":1}\xff", 8},
    {"{\"a\":0\x80}", 8},
    {"{\"a\":1.5e3,\"b\":-0.25E-2,\"c\":[1,2.5,-3e+2]}", 42},
    {"{\"a\":\"x\ty\"}", 11},
    {"{\"a\":\"x\x01y\"}", 11},
    {"{\"a\":\"x\x7fy\"}", 11},
    {"{\"a\":\"x\x00y\"}", 11},
    {"{\"a\":\"abc", 9},
    {"{\"a\":\"abc\n\"}", 12},
    {"{\"a\":\"\\q\"}", 10},
    {"{\"a\":\"\\x41\"}", 12},
    {"{\"a\":\"\\u\"}", 10},
    {"{\"a\":\"\\u12\"}", 12},
    {"{\"a\":\"\\u12g4\"}", 14},
    {"{\"a\":\"\\u00e9\"}", 14},
    {"{\"a\":\"\\uD83D\\uDE00\"}", 20},
    {"{\"a\":\"\\ud800\"}", 14},
    {"{\"a\":\"\\udc00\"}", 14},
    {"{\"a\":\"\\ud800\\u0041\"}", 20},
    {"{\"a\":\"\\ud800\\ud800\"}", 20},
    {"{\"a\":\"\\ud800x\"}", 15},
    {"{\"a\":\"\\ud800\\\"}", 15},
    {"{\"a\":\"\\ud800\\u12\"}", 18},
    {"{\"a\":\"\\ud800\\uzzzz\"}", 20},
    {"{\"a\":\"\\ud800\\n\"}", 16},
    {"{\"a\":\"\\udfff\\ud800\"}", 20},
    {"{\"a\":\"\\ud800\",\"b\":\"\\q\"}", 23},
    {"{\"a\":\"\\ud800\\q\"}", 16},
    {"{\"a\":\"\\ud800\x01\"}", 15},
    {"{\"a\":\"\\ud800", 12},
    {"{\"a\":\"\\", 7},
    {"{\"a\":\"\\\n\"}", 10},
    {"{\"a\":\"\\u12\n\"}", 13},
    {"{\"a\":\"\\\xc3\xa9\"}", 11},
    {"{\"a\":\"\\u12\xc3\xa9\"}", 14},
    {"{\"a\":\"\\\xff\"}", 10},
    {"{\"a\":\"\\u1\xff\"}", 12},
    {"{\"a\":\"\\\x00\"}", 10},
    {"{\"a\":\"\\u12\x00\"}", 13},
    {"{\"a\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}", 24},
    {"{\"a\":\"\\u0000\"}", 14},
    {"{\"a\\u0000\":1}", 13},
    {"{\"a\\u0000\":1,\"a\\u0000\":2}", 25},
    {"{\"a\\u0000\":1,\"a\\u0001\":2}", 25},
    {"{\"\\u0000\":\"\\u0000\"}", 19},
    {"{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", 17},
    {"{\"a\":\"\xc0\xaf\"}", 10},
    {"{\"a\":\"\xc1\xbf\"}", 10},
    {"{\"a\":\"\xe0\x80\xaf\"}", 11},
    {"{\"a\":\"\xe0\x9f\xbf\"}", 11},
    {"{\"a\":\"\xed\xa0\x80\"}", 11},
    {"{\"a\":\"\xed\x9f\xbf\"}", 11},
    {"{\"a\":\"\xf0\x80\x80\xaf\"}", 12},
    {"{\"a\":\"\xf0\x8f\xbf\xbf\"}", 12},
    {"{\"a\":\"\xf4\x90\x80\x80\"}", 12},
    {"{\"a\":\"\xf4\x8f\xbf\xbf\"}", 12},
    {"{\"a\":\"\xf5\x80\x80\x80\"}", 12},
    {"{\"a\":\"\xff\"}", 9},
    {"{\"a\":\"\x80\"}", 9},
    {"{\"a\":\"\xc3\"}", 9},
    {"{\"a\":\"\xc3x\"}", 10},
    {"{\"a\":\"\xe2\x82\"}", 10},
    {"{\"a\":\"\xe2\x82x\"}", 11},
    {"{\"a\":\"\xf0\x9f\x98\"}", 11},
    {"{\"a\":\"abcdefghijklmnopqrstuvwxyz\x01\"}", 35},
    {"{\"a\":\"abcdefghijklmnopqrs\x01\"}", 28},
    {"{\"a\":\"abcdefghijklmnopqr\x01\"}", 27},
    {"{\"abcdefghijklmnopqrstuvwxyz\":1,\"abcdefghijklmnopqrstuvwxyz\":2}", 63},
    {"{\"abcdefghijklmnopq\":1,\"abcdefghijklmnopq\":2}", 45},
    {"{\"abcdefghijklmnopqr\":1,\"abcdefghijklmnopqr\":2}", 47},
    {"{\"a\":\"\xc3\xa9\x01\"}", 11},
    {"{\"\xc3\xa9\":1 x}", 10},
    {"{\"a\":1,\"\xc3\xa9\" 2}", 14},
    {"{'a':1}", 7},
    {"{\"a\":'x'}", 9},
    {"{\"a\":\"x\"\xc3\xa9}", 11},
    {"{\"a\":\"x\" \xe2\x82\xac}", 13},
    {"{\"a\":[\xe2\x82\xac]}", 11},
    {"{\xe2\x82\xac:1}", 7},
    {"{\"id\":\"a\",\"id\":\"b\"}", 19},
    {"{\"id\":\"a\",\"\\u0069d\":\"b\"}", 24},
    {"{\"id\":1,\"id\":2}", 15},
    {"{\"body\":[\"a\",\"b\"],\"body\":[]}", 28},
    {"{\"body\":[\"a\",1]}", 16},
    {"{\"body\":[\"a\",]}", 15},
    {"{\"body\":[\"a\" \"b\"]}", 18},
    {"{\"body\":[\"a\",}", 14},
    {"{\"body\":[", 9},
    {"{\"body\":[\"a\"", 12},
    {"{\"body\":[\"a\",", 13},
    {"{\"body\":[\"\\q\"]}", 15},
    {"{\"body\":[\"a\",{\"x\":1,\"x\":2}]}", 28},
    {"{\"body\":[\"a\",[1e5,\"\\u0000\"]]}", 29},
    {"{\"body\":\"x\"}", 12},
    {"{\"body\":null}", 13},
    {"{\"body\":[]}", 11},
    {"{\"tags\":[[]]}", 13},
    {"{\"title\":[\"x\"]}", 15},
    {"{\"title\":5}", 11},
    {"{\"date\":\"2020-01-02\"}", 21},
    {"{\"date\":5}", 10},
    {"{\"published\":\"2006-10-20T18:15:00-04:00\"}", 41},
    {"{\"x\":{\"b\":1,\"a\":2}}", 19},
    {"{\"x\":{\"b\":1,\"a\":{\"d\":1,\"c\":2}}}", 31},
    {"{\"x\":{\"a\":1,\"a\":2}}", 19},
    {"{\"x\":{\"a\":{\"a\":1},\"b\":{\"a\":1}}}", 31},
    {"{\"x\":[{\"a\":1},{\"a\":1}]}", 23},
    {"{\"x\":{\"a\\\"\":1,\"a#\":2}}", 22},
    {"{\"x\":{\"\\u0001\":1,\"\\t\":2}}", 25},
    {"{\"\":1}", 6},
    {"{\"\":1,\"\":2}", 11},
    {"{\"a\":\"\\u00e9\",\"b\":\"\\u007f\",\"c\":\"\\/\"}", 36},
    {"{\"b\":1,\"a\":2,\"id\":\"x\"}", 22},
    {"\xef\xbb\xbf{}", 5},
    {" \xef\xbb\xbf{}", 6},
    {"\xef\xbb", 2},
    {"\xef\xbb{}", 4},
    {"\xef{}", 3},
    {"{\xef\xbb\xbf}", 5},
    {"\x0c{}", 3},
    {"\x0b{}", 3},
    {"{\"a\":1\x0c}", 8},
    {"{\"a\"\n:\n1\n}", 10},
    {"{\"a\":[\n1,\n2\n]\n}", 15},
    {"{\n\"a\":\n", 7},
    {"{\n\"a\":\n\n", 8},
    {"{\"a\":[[[[\n", 10},
    {"{\"a\":\n\"b\"\n\"c\"}", 14},
};

/* Each case alone, after and before a good line, and all as one file. */
static void test_same_as_reference_suite(void **state) {
    ap_buf all = {NULL, 0, 0};
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(suite_cases); i++) {
        const doc_case *c = &suite_cases[i];
        ap_buf b = {NULL, 0, 0};
        char *alone = (char *)tu_dup(c->text, c->len);
        assert_same_as_reference(alone, c->len, "alone");
        free(alone);
        assert_int_equal(ap_buf_puts(&b, "{\"id\":\"a\"}\n"), 0);
        assert_int_equal(ap_buf_put(&b, c->text, c->len), 0);
        assert_int_equal(ap_buf_puts(&b, "\n{\"id\":\"c\"}\n"), 0);
        assert_same_as_reference((const char *)b.data, b.len, "between good lines");
        ap_buf_free(&b);
        assert_int_equal(ap_buf_put(&all, c->text, c->len), 0);
        assert_int_equal(ap_buf_putc(&all, '\n'), 0);
    }
    assert_same_as_reference((const char *)all.data, all.len, "all cases");
    ap_buf_free(&all);
}

/* Built ones: nesting at and past the depth limit, numbers at and past the
 * length limit, long tokens (no context in messages past 20 bytes). */
static void test_same_as_reference_limits(void **state) {
    static const size_t depths[] = {2045, 2046, 2047, 2048, 2049, 3000};
    size_t i, k;
    (void)state;
    for (i = 0; i < TU_COUNT(depths); i++) {
        for (k = 0; k < 4; k++) {
            ap_buf b = {NULL, 0, 0};
            size_t j;
            if (k < 3) assert_int_equal(ap_buf_puts(&b, "{\"a\":"), 0);
            for (j = 0; j < depths[i]; j++) assert_int_equal(ap_buf_putc(&b, k == 1 ? '{' : '['), 0);
            if (k == 1) { /* objects: {"a":{"a":...{}...}} */
                b.len = 0;
                assert_int_equal(ap_buf_puts(&b, "{\"a\":"), 0);
                for (j = 0; j < depths[i]; j++) assert_int_equal(ap_buf_puts(&b, "{\"a\":"), 0);
                assert_int_equal(ap_buf_puts(&b, "1"), 0);
                for (j = 0; j < depths[i]; j++) assert_int_equal(ap_buf_putc(&b, '}'), 0);
            } else {
                if (k == 2) assert_int_equal(ap_buf_puts(&b, "1"), 0);
                for (j = 0; j < depths[i]; j++) assert_int_equal(ap_buf_putc(&b, ']'), 0);
            }
            if (k < 3) assert_int_equal(ap_buf_putc(&b, '}'), 0);
            assert_int_equal(ap_buf_puts(&b, "\n{\"id\":\"next\"}\n"), 0);
            assert_same_as_reference((const char *)b.data, b.len, "nesting");
            ap_buf_free(&b);
        }
    }
    for (i = 0; i < 4; i++) {
        static const size_t lens[] = {511, 512, 513, 4000};
        ap_buf b = {NULL, 0, 0};
        size_t j;
        assert_int_equal(ap_buf_puts(&b, "{\"n\":[-"), 0);
        for (j = 0; j < lens[i] - 1; j++) assert_int_equal(ap_buf_putc(&b, (int)('0' + j % 9 + 1)), 0);
        assert_int_equal(ap_buf_puts(&b, ",1.5e"), 0);
        for (j = 0; j < lens[i] - 4; j++) assert_int_equal(ap_buf_putc(&b, '7'), 0);
        assert_int_equal(ap_buf_puts(&b, "],\"x\":1}\n{\"n\":1"), 0);
        for (j = 0; j < lens[i]; j++) assert_int_equal(ap_buf_putc(&b, '0'), 0);
        assert_int_equal(ap_buf_puts(&b, "} x\n{\"k\":\"abcdefghijklmnopqrstu\",\"k\":\"abcdefghijklmnopqrstu\"}\n"), 0);
        assert_same_as_reference((const char *)b.data, b.len, "long numbers");
        ap_buf_free(&b);
    }
}

/* The stream tests' inputs (tests/data, NUL bytes, numbers at every offset,
 * large documents) and the refused lines of bad_cases. */
static void test_same_as_reference_inputs(void **state) {
    char *texts[64];
    size_t lens[64], count = stream_inputs(texts, lens, 64), i;
    (void)state;
    for (i = 0; i < count; i++) {
        assert_same_as_reference(texts[i], lens[i], "stream input");
        free(texts[i]);
    }
    for (i = 0; i < TU_COUNT(bad_cases); i++) {
        char in[256];
        size_t n = (size_t)snprintf(in, sizeof in, "{\"id\":\"a\"}\n%s\n{\"id\":\"c\"}\n", bad_cases[i].line2);
        assert_same_as_reference(in, n, "bad case");
    }
}

/* Every *.jsonl file of the corpus ($ARTPACK_CORPUS, default ../shared/corpus):
 * the same articles (records) as the reference. */
static void test_same_as_reference_corpus(void **state) {
    static const char *const names[] = {"bbc.jsonl", "reuters21578.jsonl", "reuters_financial.jsonl",
                                        "saudinewsnet_ar.jsonl", "sogou_zh.jsonl", "seed.jsonl"};
    const char *dir = getenv("ARTPACK_CORPUS");
    size_t i, files = 0;
    (void)state;
    if (dir == NULL || *dir == '\0') dir = "../shared/corpus";
    for (i = 0; i < TU_COUNT(names); i++) {
        char path[4096], why[1024];
        ap_buf in = {NULL, 0, 0};
        size_t articles = 0, refused = 0;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (ap_read_all(path, &in) != 0) continue;
        if (ref_ap_compare((const char *)in.data, in.len, why, sizeof why, &articles, &refused))
            fail_msg("%s: %s", path, why);
        printf("    %s: %lu articles, %lu refused: the same as the reference\n", path,
               (unsigned long)articles, (unsigned long)refused);
        ap_buf_free(&in);
        files++;
    }
    if (files == 0)
        printf("    SKIPPED: no corpus in %s (set ARTPACK_CORPUS); the reader is compared with the "
               "reference on tests/data and the built inputs only\n", dir);
}

/* Random edits of real articles and of the suite's cases (a byte changed,
 * removed, the text cut, a token inserted): deterministic, 30,000 texts. */
static void test_same_as_reference_mutations(void **state) {
    static const char *const tokens[] = {
        "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "{", "}", "[", "]", ":", ",", " ",
        "\n", "\r", "\t", "0", "1", "-", ".", "e", "E", "+", "true", "null", "x", "\xc3\xa9",
        "\xff", "\x80", "\xe2\x82", "\xef\xbb\xbf", "1e999", "99999999999999999999", "\"id\"",
        "\"body\"", "\"title\"", "\"date\"", "\"tags\"", "[\"a\",\"b\"]", "{\"a\":1}"};
    ap_buf src = {NULL, 0, 0};
    const char *lines[4096];
    size_t lens[4096], nl = 0, off = 0, i;
    uint64_t x = 88172645463325252u;
    (void)state;
    if (ap_read_all("tests/data/golden/edge.jsonl", &src) != 0) fail_msg("cannot read tests/data");
    {
        ap_buf more = {NULL, 0, 0};
        if (ap_read_all("tests/data/seed.jsonl", &more) != 0) fail_msg("cannot read tests/data");
        assert_int_equal(ap_buf_put(&src, more.data, more.len), 0);
        ap_buf_free(&more);
    }
    for (i = 0; i < TU_COUNT(suite_cases); i++) {
        assert_int_equal(ap_buf_put(&src, suite_cases[i].text, suite_cases[i].len), 0);
        assert_int_equal(ap_buf_putc(&src, '\n'), 0);
    }
    while (off < src.len && nl < TU_COUNT(lines)) {
        const char *p = (const char *)src.data + off, *q = memchr(p, '\n', src.len - off);
        size_t len = q ? (size_t)(q - p) + 1 : src.len - off;
        if (len > 1) {
            lines[nl] = p;
            lens[nl++] = len;
        }
        off += len;
    }
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, (size_t)(x >> 11))
    for (i = 0; i < 30000; i++) {
        char buf[8192];
        size_t n = 0, k, edits = 1 + RND() % 4, count = 1 + RND() % 3;
        for (k = 0; k < count; k++) {
            size_t j = RND() % nl, l = lens[j] > 2000 ? 2000 : lens[j];
            if (n + l >= sizeof buf - 200) break;
            memcpy(buf + n, lines[j], l);
            n += l;
        }
        for (k = 0; k < edits && n > 0; k++) {
            size_t at = RND() % n, op = RND() % 4;
            if (op == 0) {
                buf[at] = (char)RND();
            } else if (op == 1) {
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
            } else if (op == 2) {
                n = at + 1;
            } else {
                const char *t = tokens[RND() % TU_COUNT(tokens)];
                size_t tl = strlen(t);
                memmove(buf + at + tl, buf + at, n - at);
                memcpy(buf + at, t, tl);
                n += tl;
            }
        }
        assert_same_as_reference(buf, n, "mutation");
    }
#undef RND
    ap_buf_free(&src);
}

/* What the reader tells more precisely than the reference did. */
static void test_errors_name_the_token(void **state) {
    static const struct {
        const char *in;
        const char *text;
        size_t line, column, offset;
    } cases[] = {
        /* a number as written (the reference: near '0', at its start) */
        {"{\"a\" 1.5}\n", "':' expected near '1.5'", 1, 8, 7},
        {"{\"a\":[1e5 2]}\n", "']' expected near '2'", 1, 11, 10},
        /* a bad first byte: that byte (the reference: the one after it) */
        {"\xff{}\n", "invalid UTF-8: unable to decode byte 0xff", 1, 1, 0},
        {"{}\n\x80{}\n", "invalid UTF-8: unable to decode byte 0x80", 2, 1, 3},
        /* numbers are texts: no overflow, the real error */
        {"{\"a\":[1e999.5]}\n", "']' expected near '.'", 1, 12, 11},
        {"{\"a\":1}\n{\"n\":99999999999999999999-}\n", "'}' expected near '-'", 2, 26, 33},
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        ap_json_reader r;
        ap_json_article a;
        ap_json_error e;
        size_t n = strlen(cases[i].in);
        int rc;
        assert_int_equal(ap_json_reader_init(&r, cases[i].in, n), 0);
        while ((rc = ap_json_next(&r, &a, &e)) == 1) ap_json_article_free(&a);
        if (rc != -1 || strcmp(e.text, cases[i].text) != 0 || e.line != cases[i].line ||
            e.column != cases[i].column || e.offset != cases[i].offset)
            fail_msg("%s: %d at %lu:%lu (offset %lu) \"%s\"", cases[i].in, rc, (unsigned long)e.line,
                     (unsigned long)e.column, (unsigned long)e.offset, e.text);
        ap_json_reader_free(&r);
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
        cmocka_unit_test(test_nul_in_key_roundtrip),
        cmocka_unit_test(test_nul_in_key_verdicts),
        cmocka_unit_test(test_nul_in_key_every_control_escape),
        cmocka_unit_test(test_write_article_nul_in_extra_key),
        cmocka_unit_test(test_stream_same_as_whole_text),
        cmocka_unit_test(test_stream_random_splits),
        cmocka_unit_test(test_stream_pipe),
        cmocka_unit_test(test_stream_articles_outlive_the_stream),
        cmocka_unit_test(test_stream_read_error),
        cmocka_unit_test(test_same_as_reference_suite),
        cmocka_unit_test(test_same_as_reference_limits),
        cmocka_unit_test(test_same_as_reference_inputs),
        cmocka_unit_test(test_same_as_reference_mutations),
        cmocka_unit_test(test_same_as_reference_corpus),
        cmocka_unit_test(test_errors_name_the_token),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
