/* test_util.h - small helpers shared by the cmocka unit tests. */
#ifndef ARTPACK_TEST_UTIL_H
#define ARTPACK_TEST_UTIL_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artpack.h"

#define TU_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Asserts that an artpack_error equals the expected code, naming both. */
#define assert_ap_error(actual, expected)                                      \
    do {                                                                       \
        artpack_error tu_got_ = (actual), tu_want_ = (expected);               \
        if (tu_got_ != tu_want_) {                                             \
            print_error("%s\n  returned %s (%d), expected %s (%d)\n", #actual,  \
                        artpack_error_name(tu_got_), (int)tu_got_,             \
                        artpack_error_name(tu_want_), (int)tu_want_);          \
            fail();                                                            \
        }                                                                      \
    } while (0)
#define assert_ap_ok(expr) assert_ap_error((expr), ARTPACK_OK)

/* The same as assert_ap_error, with cmocka's fail_msg (the bundle and frame
 * tests' spelling). */
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

/* Tests that pin down a bug that is reported but not fixed yet: skipped
 * unless ARTPACK_TEST_KNOWN_BUGS is set in the environment. */
#define TU_KNOWN_BUG(why)                                                      \
    do {                                                                       \
        if (getenv("ARTPACK_TEST_KNOWN_BUGS") == NULL) {                       \
            print_message("known bug, skipped (set ARTPACK_TEST_KNOWN_BUGS=1 to run): %s\n", why); \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* A present string view of a C string (NULL gives the absent view). */
static inline artpack_str tu_str(const char *s) {
    artpack_str v;
    v.ptr = s;
    v.len = s != NULL ? strlen(s) : 0;
    return v;
}

static inline artpack_str tu_strn(const char *p, size_t n) {
    artpack_str v;
    v.ptr = p;
    v.len = n;
    return v;
}

/* A present list view over items[0..count). */
static inline artpack_list tu_list(const artpack_str *items, size_t count) {
    artpack_list l;
    memset(&l, 0, sizeof l);
    l.present = 1;
    l.items = items;
    l.count = count;
    return l;
}

/* A present list view of the C strings s[0..count): their views go to
 * items[0..count). */
static inline artpack_list tu_str_list(artpack_str *items, const char *const *s, size_t count) {
    size_t i;
    for (i = 0; i < count; i++) items[i] = tu_str(s[i]);
    return tu_list(items, count);
}

/* Asserts two string views are equal: both absent, or same bytes. */
#define assert_str_view_equal(a, b) tu_assert_str_view_equal((a), (b), __FILE__, __LINE__)
static inline void tu_assert_str_view_equal(artpack_str a, artpack_str b, const char *file,
                                            int line) {
    if ((a.ptr == NULL) != (b.ptr == NULL) || a.len != b.len ||
        (a.len != 0 && memcmp(a.ptr, b.ptr, a.len) != 0)) {
        print_error("%s:%d: string views differ: %s%.*s%s (%lu bytes) vs %s%.*s%s (%lu bytes)\n",
                    file, line, a.ptr ? "\"" : "", a.ptr ? (int)(a.len > 60 ? 60 : a.len) : 6,
                    a.ptr ? a.ptr : "absent", a.ptr ? "\"" : "", (unsigned long)a.len,
                    b.ptr ? "\"" : "", b.ptr ? (int)(b.len > 60 ? 60 : b.len) : 6,
                    b.ptr ? b.ptr : "absent", b.ptr ? "\"" : "", (unsigned long)b.len);
        fail();
    }
}

/* Asserts that s[0..n) equals the C string want. */
#define assert_bytes_equal_str(s, n, want)                                     \
    do {                                                                       \
        size_t tu_n_ = (n);                                                    \
        const char *tu_w_ = (want);                                            \
        if (tu_n_ != strlen(tu_w_) || memcmp((s), tu_w_, tu_n_) != 0) {        \
            print_error("got \"%.*s\" (%lu bytes), expected \"%s\"\n",         \
                        (int)tu_n_, (const char *)(s), (unsigned long)tu_n_, tu_w_); \
            fail();                                                            \
        }                                                                      \
    } while (0)

/* A small deterministic PRNG (splitmix64): the same runs everywhere. */
typedef struct tu_rng {
    uint64_t state;
} tu_rng;

static inline uint64_t tu_rand64(tu_rng *r) {
    uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform-enough integer in [0, n), n > 0. */
static inline uint64_t tu_below(tu_rng *r, uint64_t n) { return tu_rand64(r) % n; }

/* Integer in [lo, hi]. */
static inline int64_t tu_range(tu_rng *r, int64_t lo, int64_t hi) {
    return lo + (int64_t)tu_below(r, (uint64_t)(hi - lo) + 1);
}

/* malloc that fails the test instead of returning NULL. */
static inline void *tu_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

/* A heap copy of exactly n bytes, so ASan sees any read past the end. */
static inline unsigned char *tu_dup(const void *src, size_t n) {
    unsigned char *p = (unsigned char *)tu_malloc(n);
    if (n) memcpy(p, src, n);
    return p;
}

/* Every single-bit flip of the frame[0..w) that dec decodes (into out_cap
 * bytes) is refused with a named error or decodes to exactly src[0..n):
 * never other data as if correct. The flips refused and those that decode
 * to the original are added to *refused and *same. */
static inline void check_every_bit_flip(artpack_decompressor *dec, const unsigned char *frame,
                                        size_t w, const void *src, size_t n, size_t out_cap,
                                        size_t *refused, size_t *same) {
    unsigned char *bad = (unsigned char *)tu_malloc(w), *out = (unsigned char *)tu_malloc(out_cap);
    size_t bit;
    for (bit = 0; bit < w * 8; bit++) {
        size_t got = 0;
        artpack_error e;
        memcpy(bad, frame, w);
        bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        e = artpack_frame_decompress(dec, out, out_cap, bad, w, &got);
        if (e == ARTPACK_OK) {
            assert_int_equal(got, n);
            assert_memory_equal(out, src, n);
            ++*same;
        } else {
            assert_string_not_equal(artpack_error_name(e), "ARTPACK_E_UNKNOWN");
            ++*refused;
        }
    }
    free(bad);
    free(out);
}

/* ---- article views ---- */

/* A heap buffer of exactly the record's size holding *a's record. */
static inline unsigned char *encode_exact(const artpack_article *a, size_t *size) {
    size_t w = 0;
    unsigned char *buf;
    assert_ap_ok(artpack_record_size(a, size));
    buf = (unsigned char *)tu_malloc(*size);
    assert_ap_ok(artpack_record_encode(buf, *size, a, &w));
    assert_int_equal(w, *size);
    return buf;
}

static inline int article_is_absent(const artpack_article *a) {
    artpack_article empty;
    artpack_article_init(&empty);
    return memcmp(a, &empty, sizeof empty) == 0;
}

static inline void assert_list_equal(const artpack_list *want, const artpack_list *got) {
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

/* *got (decoded) holds what *want (a view) encodes: every field, with TEXT
 * dates and timestamps that are canonical turned into numbers. */
static inline void assert_article_equal(const artpack_article *want, const artpack_article *got) {
    size_t i;
    for (i = 0; i < artpack_schema_count(); i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        const void *w = (const char *)want + f->offset, *g = (const char *)got + f->offset;
        if (f->kind == ARTPACK_KIND_STRING) {
            assert_str_view_equal(*(const artpack_str *)w, *(const artpack_str *)g);
        } else if (f->kind == ARTPACK_KIND_DATE) {
            artpack_date x = *(const artpack_date *)w, y = *(const artpack_date *)g;
            if (x.kind == ARTPACK_TEXT) assert_ap_ok(artpack_date_parse(&x, x.text.ptr, x.text.len));
            assert_int_equal(x.kind, y.kind);
            if (x.kind == ARTPACK_NUMBER) assert_int_equal(x.days, y.days);
            if (x.kind == ARTPACK_TEXT) assert_str_view_equal(x.text, y.text);
        } else if (f->kind == ARTPACK_KIND_TIMESTAMP) {
            artpack_timestamp x = *(const artpack_timestamp *)w, y = *(const artpack_timestamp *)g;
            if (x.kind == ARTPACK_TEXT) assert_ap_ok(artpack_timestamp_parse(&x, x.text.ptr, x.text.len));
            assert_int_equal(x.kind, y.kind);
            if (x.kind == ARTPACK_TEXT) assert_str_view_equal(x.text, y.text);
            if (x.kind == ARTPACK_NUMBER)
                assert_true(x.seconds == y.seconds && x.fraction == y.fraction &&
                            x.fraction_digits == y.fraction_digits && x.zone == y.zone &&
                            x.offset_minutes == y.offset_minutes);
        } else {
            assert_list_equal((const artpack_list *)w, (const artpack_list *)g);
        }
    }
}

/* The checks the tests share with the fuzz targets, asserting with cmocka. */
#define SC_CHECK(cond) assert_true(cond)
#include "shared_checks.h"

#endif
