/* test_wire.c - LEB128 varints: artpack_varint_write / artpack_varint_read. */
#include "test_util.h"

/* Number of bytes a minimal varint of v takes, computed independently. */
static size_t ref_varint_size(uint64_t v) {
    size_t bits = 0;
    while (v) {
        bits++;
        v >>= 1;
    }
    return bits == 0 ? 1 : (bits + 6) / 7;
}

static const uint64_t edge_values[] = {
    0,
    1,
    127,
    128,
    255,
    256,
    300,
    16383,
    16384,
    (UINT64_C(1) << 21) - 1,
    UINT64_C(1) << 21,
    (UINT64_C(1) << 28) - 1,
    UINT64_C(1) << 28,
    UINT64_C(1) << 30,
    UINT64_C(0xFFFFFFFF),
    UINT64_C(1) << 32,
    (UINT64_C(1) << 35) - 1,
    UINT64_C(1) << 35,
    (UINT64_C(1) << 56) - 1,
    UINT64_C(1) << 56,
    (UINT64_C(1) << 63) - 1,
    UINT64_C(1) << 63,
    UINT64_MAX - 1,
    UINT64_MAX,
};

/* write then read back, with exactly the bytes and with trailing bytes */
static void check_roundtrip(uint64_t v) {
    unsigned char buf[ARTPACK_VARINT_MAX + 4];
    unsigned char *exact;
    uint64_t got = 0;
    size_t n, want = ref_varint_size(v);

    memset(buf, 0xEE, sizeof buf);
    n = artpack_varint_write(buf, sizeof buf, v);
    assert_int_equal(n, want);
    assert_true(n <= ARTPACK_VARINT_MAX);
    assert_int_equal(buf[n], 0xEE); /* nothing written past the varint */

    exact = tu_dup(buf, n);
    assert_int_equal(artpack_varint_read(&got, exact, n), n);
    assert_true(got == v);
    free(exact);

    got = 0;
    assert_int_equal(artpack_varint_read(&got, buf, sizeof buf), n);
    assert_true(got == v);
}

static void test_varint_edge_values_roundtrip(void **state) {
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(edge_values); i++) check_roundtrip(edge_values[i]);
}

static void test_varint_known_encodings(void **state) {
    static const struct {
        uint64_t v;
        size_t n;
        unsigned char bytes[ARTPACK_VARINT_MAX];
    } cases[] = {
        {0, 1, {0x00}},
        {1, 1, {0x01}},
        {127, 1, {0x7F}},
        {128, 2, {0x80, 0x01}},
        {300, 2, {0xAC, 0x02}},
        {16384, 3, {0x80, 0x80, 0x01}},
        {UINT64_C(1) << 63, 10, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
        {UINT64_MAX, 10, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}},
    };
    size_t i;
    (void)state;
    for (i = 0; i < TU_COUNT(cases); i++) {
        unsigned char buf[ARTPACK_VARINT_MAX];
        uint64_t got;
        assert_int_equal(artpack_varint_write(buf, sizeof buf, cases[i].v), cases[i].n);
        assert_memory_equal(buf, cases[i].bytes, cases[i].n);
        assert_int_equal(artpack_varint_read(&got, cases[i].bytes, cases[i].n), cases[i].n);
        assert_true(got == cases[i].v);
    }
}

static void test_varint_random_roundtrip(void **state) {
    tu_rng rng = {UINT64_C(20240611)};
    int i;
    (void)state;
    for (i = 0; i < 200000; i++) {
        /* shift by a random amount so that every length 1..10 is common */
        uint64_t v = tu_rand64(&rng) >> tu_below(&rng, 64);
        check_roundtrip(v);
    }
}

static void test_varint_every_length_boundary(void **state) {
    unsigned bits;
    (void)state;
    for (bits = 1; bits < 64; bits++) {
        uint64_t p = UINT64_C(1) << bits;
        check_roundtrip(p - 1);
        check_roundtrip(p);
        check_roundtrip(p + 1);
    }
}

static void expect_read_error(const unsigned char *bytes, size_t n) {
    unsigned char *exact = tu_dup(bytes, n);
    uint64_t got = UINT64_C(0x1234);
    assert_int_equal(artpack_varint_read(&got, exact, n), 0);
    free(exact);
}

static void test_varint_non_minimal(void **state) {
    static const unsigned char a[] = {0x80, 0x00};
    static const unsigned char b[] = {0xFF, 0x00};
    static const unsigned char c[] = {0x80, 0x80, 0x00};
    static const unsigned char d[] = {0x81, 0x80, 0x00};
    static const unsigned char e[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    static const unsigned char f[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    (void)state;
    expect_read_error(a, sizeof a);
    expect_read_error(b, sizeof b);
    expect_read_error(c, sizeof c);
    expect_read_error(d, sizeof d);
    expect_read_error(e, sizeof e);
    expect_read_error(f, sizeof f);
}

static void test_varint_over_64_bits(void **state) {
    /* 10th byte above 1: bits 64 and up */
    static const unsigned char a[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02};
    static const unsigned char b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    /* 10th byte with the continuation bit: an 11-byte varint */
    static const unsigned char c[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x01};
    static const unsigned char d[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    (void)state;
    expect_read_error(a, sizeof a);
    expect_read_error(b, sizeof b);
    expect_read_error(c, sizeof c);
    expect_read_error(d, sizeof d);
}

static void test_varint_truncated(void **state) {
    size_t i, k;
    uint64_t got;
    (void)state;
    for (i = 0; i < TU_COUNT(edge_values); i++) {
        unsigned char buf[ARTPACK_VARINT_MAX];
        size_t n = artpack_varint_write(buf, sizeof buf, edge_values[i]);
        assert_true(n > 0);
        for (k = 0; k < n; k++) expect_read_error(buf, k); /* every proper prefix */
    }
    assert_int_equal(artpack_varint_read(&got, "", 0), 0);
}

static void test_varint_read_stops_at_its_last_byte(void **state) {
    static const unsigned char bytes[] = {0xAC, 0x02, 0x80, 0x00, 0xFF};
    uint64_t got = 0;
    (void)state;
    /* the bytes after the varint, even malformed ones, are not looked at */
    assert_int_equal(artpack_varint_read(&got, bytes, sizeof bytes), 2);
    assert_true(got == 300);
}

static void test_varint_write_small_capacity(void **state) {
    size_t i, cap;
    (void)state;
    for (i = 0; i < TU_COUNT(edge_values); i++) {
        size_t n = ref_varint_size(edge_values[i]);
        for (cap = 0; cap < n; cap++) {
            unsigned char buf[ARTPACK_VARINT_MAX + 1];
            size_t j;
            memset(buf, 0xEE, sizeof buf);
            assert_int_equal(artpack_varint_write(buf, cap, edge_values[i]), 0);
            for (j = 0; j < sizeof buf; j++) assert_int_equal(buf[j], 0xEE); /* untouched */
        }
        {
            unsigned char *exact = (unsigned char *)tu_malloc(n);
            assert_int_equal(artpack_varint_write(exact, n, edge_values[i]), n);
            free(exact);
        }
    }
}

static void test_varint_null_args(void **state) {
    unsigned char buf[ARTPACK_VARINT_MAX];
    uint64_t v;
    (void)state;
    assert_int_equal(artpack_varint_write(NULL, 10, 5), 0);
    assert_int_equal(artpack_varint_read(NULL, "\x05", 1), 0);
    assert_int_equal(artpack_varint_read(&v, NULL, 1), 0);
    assert_int_equal(artpack_varint_write(buf, sizeof buf, 5), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_edge_values_roundtrip),
        cmocka_unit_test(test_varint_known_encodings),
        cmocka_unit_test(test_varint_random_roundtrip),
        cmocka_unit_test(test_varint_every_length_boundary),
        cmocka_unit_test(test_varint_non_minimal),
        cmocka_unit_test(test_varint_over_64_bits),
        cmocka_unit_test(test_varint_truncated),
        cmocka_unit_test(test_varint_read_stops_at_its_last_byte),
        cmocka_unit_test(test_varint_write_small_capacity),
        cmocka_unit_test(test_varint_null_args),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
