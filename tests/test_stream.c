/* test_stream.c - the record and compressed streams (codec/stream.c): round
 * trips of both kinds with random items, the same items and errors however
 * a stream is cut into pieces, every error reachable with its offset, and
 * the golden streams the CLI wrote. */
#include "test_util.h"

/* ---- building streams ---- */

typedef struct sbuf {
    unsigned char *data;
    size_t len, cap;
} sbuf;

static void sb_reserve(sbuf *b, size_t n) {
    if (b->cap - b->len >= n) return;
    b->cap = (b->len + n) * 2;
    b->data = (unsigned char *)realloc(b->data, b->cap);
    assert_non_null(b->data);
}

static void sb_put(sbuf *b, const void *p, size_t n) {
    sb_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void sb_header(sbuf *b, artpack_stream_kind kind, uint32_t dict_id) {
    size_t w = 0;
    sb_reserve(b, ARTPACK_STREAM_HEADER_SIZE_MAX);
    assert_ap_ok(artpack_stream_header_write(b->data + b->len, ARTPACK_STREAM_HEADER_SIZE(kind),
                                             kind, dict_id, &w));
    assert_int_equal(w, ARTPACK_STREAM_HEADER_SIZE(kind));
    b->len += w;
}

/* The length prefix (exactly its size of room) and the item. */
static void sb_item(sbuf *b, const void *item, size_t size) {
    size_t w = 0;
    sb_reserve(b, ARTPACK_STREAM_ITEM_HEAD_MAX + size);
    assert_ap_ok(artpack_stream_item_head_write(b->data + b->len, sc_varint_size(size), size, &w));
    assert_int_equal(w, sc_varint_size(size));
    assert_true(w <= ARTPACK_STREAM_ITEM_HEAD_MAX);
    b->len += w;
    sb_put(b, item, size);
}

/* A stream of count random items; sizes[] and offsets[] (of each length
 * prefix) get the layout. Sizes mix the varint boundaries with small ones. */
static void make_stream(sbuf *b, tu_rng *rng, artpack_stream_kind kind, uint32_t dict_id,
                        size_t count, size_t max_size, size_t *sizes, uint64_t *offsets) {
    static const size_t edges[] = {0, 1, 2, 127, 128, 129, 255, 16383, 16384, 16385};
    unsigned char *item = (unsigned char *)tu_malloc(max_size + 1);
    size_t i, j;
    b->len = 0;
    sb_header(b, kind, dict_id);
    for (i = 0; i < count; i++) {
        size_t size = tu_below(rng, 3) == 0 ? edges[tu_below(rng, TU_COUNT(edges))]
                                            : (size_t)tu_below(rng, 300);
        if (size > max_size) size = (size_t)tu_below(rng, max_size + 1);
        for (j = 0; j < size; j++) item[j] = (unsigned char)tu_rand64(rng);
        sizes[i] = size;
        offsets[i] = b->len;
        sb_item(b, item, size);
    }
    free(item);
}

/* ---- reading: a trace of what a reader saw (tests/shared_checks.h) ---- */

/* Every way of reading stream[0..n) gives the trace of reading it whole:
 * every cut into two pieces (with the end known or learnt), pieces of every
 * size up to max_piece, exact requests, and random cuts. */
static void check_every_split(const unsigned char *stream, size_t n, size_t max_piece,
                              tu_rng *rng, sc_trace *whole) {
    sc_trace t;
    size_t k, *cuts = (size_t *)tu_malloc((n + 1) * sizeof *cuts);
    sc_read_whole(stream, n, whole);
    for (k = 0; k <= n; k++) {
        size_t nc = k > 0 && k < n ? 1 : 0;
        cuts[0] = k;
        sc_read(stream, n, cuts, nc, SC_CUTS, &t);
        sc_same(whole, &t);
        sc_read(stream, n, cuts, nc, SC_CUTS_KNOWN, &t);
        sc_same(whole, &t);
    }
    for (k = 1; k <= max_piece && k < n; k++) {
        size_t nc = 0, c;
        for (c = k; c < n; c += k) cuts[nc++] = c;
        sc_read(stream, n, cuts, nc, SC_CUTS, &t);
        sc_same(whole, &t);
    }
    sc_read(stream, n, NULL, 0, SC_NEED, &t);
    sc_same(whole, &t);
    for (k = 0; k < 50 && n > 1; k++) {
        size_t nc = 0, c = 0;
        for (;;) {
            c += 1 + (size_t)tu_below(rng, tu_below(rng, 2) ? 8 : n);
            if (c >= n) break;
            cuts[nc++] = c;
        }
        sc_read(stream, n, cuts, nc, tu_below(rng, 2) ? SC_CUTS : SC_CUTS_KNOWN, &t);
        sc_same(whole, &t);
    }
    free(cuts);
}

/* ---- round trips ---- */

static void test_round_trip_random(void **state) {
    tu_rng rng = {20261130};
    sbuf b = {NULL, 0, 0};
    size_t sizes[SC_MAX_ITEMS], round, i;
    uint64_t offsets[SC_MAX_ITEMS];
    (void)state;
    for (round = 0; round < 60; round++) {
        artpack_stream_kind kind = round % 2 ? ARTPACK_STREAM_COMPRESSED : ARTPACK_STREAM_RECORDS;
        uint32_t dict_id = kind == ARTPACK_STREAM_COMPRESSED && round % 4 == 1
                               ? (uint32_t)tu_rand64(&rng) | 1u : 0;
        size_t count = (size_t)tu_below(&rng, SC_MAX_ITEMS);
        sc_trace t;
        make_stream(&b, &rng, kind, dict_id, count, 17000, sizes, offsets);
        sc_read_whole(b.data, b.len, &t);
        assert_ap_ok(t.header_error);
        assert_ap_ok(t.error);
        assert_true(t.ended);
        assert_int_equal(t.info.kind, kind);
        assert_int_equal(t.info.version, ARTPACK_STREAM_VERSION(kind));
        assert_int_equal(t.info.dict_id, dict_id);
        assert_int_equal(t.count, count);
        for (i = 0; i < count; i++) { /* offsets: where each length prefix was written */
            assert_int_equal(t.offset[i], offsets[i]);
            assert_int_equal(t.size[i], sizes[i]);
            assert_int_equal(t.head[i], sc_varint_size(sizes[i]));
        }
        /* and the same in pieces: random cuts and exact requests */
        {
            sc_trace p;
            size_t cuts[8], nc = 0, c = 0;
            for (;;) {
                c += 1 + (size_t)tu_below(&rng, b.len / 4 + 1);
                if (c >= b.len || nc == TU_COUNT(cuts)) break;
                cuts[nc++] = c;
            }
            sc_read(b.data, b.len, cuts, nc, SC_CUTS, &p);
            sc_same(&t, &p);
            sc_read(b.data, b.len, NULL, 0, SC_NEED, &p);
            sc_same(&t, &p);
        }
    }
    free(b.data);
}

/* The layout of FORMAT.md, byte for byte. */
static void test_header_bytes(void **state) {
    unsigned char buf[16];
    size_t w = 0;
    (void)state;
    assert_ap_ok(artpack_stream_header_write(buf, sizeof buf, ARTPACK_STREAM_RECORDS, 0, &w));
    assert_int_equal(w, 5);
    assert_memory_equal(buf, "APKR\x01", 5);
    assert_ap_ok(
        artpack_stream_header_write(buf, 9, ARTPACK_STREAM_COMPRESSED, 0x12345678u, &w));
    assert_int_equal(w, 9);
    assert_memory_equal(buf, "APKZ\x01\x78\x56\x34\x12", 9);
    assert_int_equal(ARTPACK_STREAM_HEADER_SIZE(ARTPACK_STREAM_RECORDS), 5);
    assert_int_equal(ARTPACK_STREAM_HEADER_SIZE(ARTPACK_STREAM_COMPRESSED), 9);
    assert_int_equal(ARTPACK_STREAM_RECORDS_VERSION, ARTPACK_WIRE_VERSION);
    /* item prefixes: the varint of the size, exactly as long as needed */
    assert_ap_ok(artpack_stream_item_head_write(buf, 1, 127, &w));
    assert_int_equal(w, 1);
    assert_int_equal(buf[0], 0x7f);
    assert_ap_ok(artpack_stream_item_head_write(buf, 2, 128, &w));
    assert_int_equal(w, 2);
    assert_memory_equal(buf, "\x80\x01", 2);
    assert_ap_ok(artpack_stream_item_head_write(buf, ARTPACK_STREAM_ITEM_HEAD_MAX,
                                                ARTPACK_STREAM_ITEM_SIZE_MAX, &w));
    assert_int_equal(w, ARTPACK_STREAM_ITEM_HEAD_MAX);
    assert_int_equal(w, sc_varint_size(ARTPACK_STREAM_ITEM_SIZE_MAX));
}

static void test_write_errors(void **state) {
    unsigned char buf[16];
    size_t w = 777;
    (void)state;
    memset(buf, 0xAA, sizeof buf);
    assert_ap_error(artpack_stream_header_write(NULL, 9, ARTPACK_STREAM_RECORDS, 0, &w),
                    ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_header_write(buf, 9, ARTPACK_STREAM_RECORDS, 0, NULL),
                    ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_header_write(buf, 9, ARTPACK_STREAM_UNKNOWN, 0, &w),
                    ARTPACK_E_PARAM);
    assert_ap_error(artpack_stream_header_write(buf, 9, (artpack_stream_kind)3, 0, &w),
                    ARTPACK_E_PARAM);
    assert_ap_error(artpack_stream_header_write(buf, 9, ARTPACK_STREAM_RECORDS, 7, &w),
                    ARTPACK_E_PARAM);
    assert_ap_error(artpack_stream_header_write(buf, 4, ARTPACK_STREAM_RECORDS, 0, &w),
                    ARTPACK_E_DST_TOO_SMALL);
    assert_ap_error(artpack_stream_header_write(buf, 8, ARTPACK_STREAM_COMPRESSED, 1, &w),
                    ARTPACK_E_DST_TOO_SMALL);
    assert_int_equal(buf[0], 0xAA); /* nothing written */
    assert_int_equal(w, 777);
    assert_ap_error(artpack_stream_item_head_write(NULL, 5, 1, &w), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_item_head_write(buf, 5, 1, NULL), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_item_head_write(buf, 16, ARTPACK_STREAM_ITEM_SIZE_MAX + 1, &w),
                    ARTPACK_E_TOO_LARGE);
    assert_ap_error(artpack_stream_item_head_write(buf, 1, 128, &w), ARTPACK_E_DST_TOO_SMALL);
    assert_ap_error(artpack_stream_item_head_write(buf, 0, 0, &w), ARTPACK_E_DST_TOO_SMALL);
    assert_int_equal(buf[0], 0xAA);
    assert_int_equal(w, 777);
}

/* ---- header errors ---- */

static artpack_error header(const char *bytes, size_t n, int ends, artpack_stream_info *info,
                            size_t *need) {
    unsigned char *copy = tu_dup(bytes, n);
    artpack_error e = artpack_stream_header_read(info, copy, n, ends, need);
    free(copy);
    return e;
}

static void test_header_errors(void **state) {
    artpack_stream_info info;
    size_t need = 99;
    (void)state;
    /* bad magic: named as soon as a byte differs, even without the end */
    assert_ap_error(header("not a stream", 12, 1, &info, &need), ARTPACK_E_STREAM);
    assert_int_equal(info.kind, ARTPACK_STREAM_UNKNOWN);
    assert_ap_error(header("X", 1, 0, &info, &need), ARTPACK_E_STREAM);
    assert_ap_error(header("APKX\x01", 5, 0, &info, &need), ARTPACK_E_STREAM);
    assert_ap_error(header("APKr\x01", 5, 1, &info, &need), ARTPACK_E_STREAM);
    assert_ap_error(header("APKB\x02", 5, 1, &info, &need), ARTPACK_E_STREAM); /* a bundle's */
    /* fewer than 4 bytes at the end: no magic */
    assert_ap_error(header("", 0, 1, &info, NULL), ARTPACK_E_STREAM);
    assert_ap_error(artpack_stream_header_read(&info, NULL, 0, 1, NULL), ARTPACK_E_STREAM);
    assert_ap_error(header("APK", 3, 1, &info, &need), ARTPACK_E_STREAM);
    assert_int_equal(info.kind, ARTPACK_STREAM_UNKNOWN);
    /* cut after the magic: truncated, the kind known */
    assert_ap_error(header("APKR", 4, 1, &info, &need), ARTPACK_E_TRUNCATED);
    assert_int_equal(info.kind, ARTPACK_STREAM_RECORDS);
    assert_ap_error(header("APKZ\x01\x00\x00", 7, 1, &info, &need), ARTPACK_E_TRUNCATED);
    assert_int_equal(info.kind, ARTPACK_STREAM_COMPRESSED);
    assert_int_equal(info.version, 1);
    /* versions */
    assert_ap_error(header("APKR\x09", 5, 1, &info, &need), ARTPACK_E_STREAM);
    assert_int_equal(info.kind, ARTPACK_STREAM_RECORDS);
    assert_int_equal(info.version, 9);
    assert_ap_error(header("APKR\x00", 5, 0, &info, &need), ARTPACK_E_STREAM);
    assert_int_equal(info.version, 0);
    assert_ap_error(header("APKZ\x02", 5, 0, &info, &need), ARTPACK_E_STREAM); /* before the ID */
    assert_int_equal(info.kind, ARTPACK_STREAM_COMPRESSED);
    assert_int_equal(info.version, 2);
    /* more input */
    need = 0;
    assert_ap_ok(header("", 0, 0, &info, &need));
    assert_int_equal(need, 5);
    assert_ap_ok(header("APK", 3, 0, &info, &need));
    assert_int_equal(need, 5);
    assert_ap_ok(header("APKR", 4, 0, &info, &need));
    assert_int_equal(need, 5);
    assert_ap_ok(header("APKZ\x01", 5, 0, &info, &need));
    assert_int_equal(need, 9);
    /* whole: what follows the header is not read */
    assert_ap_ok(header("APKR\x01\xff\xff", 7, 0, &info, &need));
    assert_int_equal(need, 0);
    assert_int_equal(info.header_size, 5);
    assert_int_equal(info.dict_id, 0);
    assert_ap_ok(header("APKZ\x01\x01\x00\x00\x80", 9, 1, &info, NULL));
    assert_int_equal(info.dict_id, 0x80000001u);
    assert_int_equal(info.header_size, 9);
    /* arguments */
    assert_ap_error(artpack_stream_header_read(NULL, "APKR\x01", 5, 1, &need), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_header_read(&info, NULL, 5, 1, &need), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_header_read(&info, "APKR\x01", 5, 0, NULL), ARTPACK_E_NULL_ARG);
    assert_int_equal(artpack_error_name(ARTPACK_E_STREAM)[0], 'A');
    assert_string_equal(artpack_error_name(ARTPACK_E_STREAM), "ARTPACK_E_STREAM");
}

static void test_reader_init_and_dict(void **state) {
    artpack_stream_info info;
    artpack_stream_reader r;
    artpack_dict d;
    (void)state;
    memset(&info, 0, sizeof info);
    memset(&d, 0, sizeof d);
    assert_ap_error(artpack_stream_reader_init(NULL, &info), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_reader_init(&r, NULL), ARTPACK_E_NULL_ARG);
    assert_ap_error(artpack_stream_reader_init(&r, &info), ARTPACK_E_PARAM); /* kind 0 */
    info.kind = ARTPACK_STREAM_COMPRESSED;
    info.header_size = 5;
    assert_ap_error(artpack_stream_reader_init(&r, &info), ARTPACK_E_PARAM);
    info.header_size = 9;
    assert_ap_ok(artpack_stream_reader_init(&r, &info));
    assert_int_equal(r.offset, 9);
    assert_int_equal(r.index, 0);
    /* the dictionary checks */
    assert_ap_error(artpack_stream_check_dict(NULL, &d), ARTPACK_E_NULL_ARG);
    info.dict_id = 0;
    assert_ap_ok(artpack_stream_check_dict(&info, NULL));
    d.id = 5;
    assert_ap_ok(artpack_stream_check_dict(&info, &d)); /* a dictionary not needed */
    info.dict_id = 7;
    assert_ap_error(artpack_stream_check_dict(&info, NULL), ARTPACK_E_NEED_DICT);
    assert_ap_error(artpack_stream_check_dict(&info, &d), ARTPACK_E_WRONG_DICT);
    d.id = 7;
    assert_ap_ok(artpack_stream_check_dict(&info, &d));
    info.kind = ARTPACK_STREAM_RECORDS;
    info.dict_id = 0;
    assert_ap_ok(artpack_stream_check_dict(&info, NULL));
}

/* ---- item errors, with their offsets ---- */

/* "APKR\x01" and then body: the trace of reading it whole. */
static void read_records_body(const char *body, size_t n, sc_trace *t) {
    sbuf b = {NULL, 0, 0};
    sb_put(&b, "APKR\x01", 5);
    sb_put(&b, body, n);
    sc_read_whole(b.data, b.len, t);
    assert_ap_ok(t->header_error);
    free(b.data);
}

static void test_item_errors(void **state) {
    sc_trace t;
    unsigned char big[ARTPACK_VARINT_MAX];
    size_t n;
    (void)state;
    /* the empty stream */
    read_records_body("", 0, &t);
    assert_ap_ok(t.error);
    assert_true(t.ended);
    assert_int_equal(t.count, 0);
    assert_int_equal(t.last.offset, 5);
    /* non-minimal prefix after a good item: offset of the bad prefix */
    read_records_body("\x02hi\x80\x00", 5, &t);
    assert_ap_error(t.error, ARTPACK_E_VARINT);
    assert_int_equal(t.count, 1);
    assert_int_equal(t.offset[0], 5);
    assert_int_equal(t.last.offset, 8);
    assert_int_equal(t.last.index, 1);
    assert_int_equal(t.last.head_size, 0);
    /* a varint over 64 bits */
    read_records_body("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, &t);
    assert_ap_error(t.error, ARTPACK_E_VARINT);
    assert_int_equal(t.last.offset, 5);
    /* over-long: one past the bound, found with the prefix alone */
    n = artpack_varint_write(big, sizeof big, (uint64_t)ARTPACK_STREAM_ITEM_SIZE_MAX + 1);
    read_records_body((const char *)big, n, &t);
    assert_ap_error(t.error, ARTPACK_E_LENGTH);
    assert_int_equal(t.last.head_size, n);
    assert_int_equal(t.last.offset, 5);
    {
        artpack_stream_reader r;
        artpack_stream_info info;
        artpack_stream_item it;
        size_t need = 0;
        memset(&info, 0, sizeof info);
        info.kind = ARTPACK_STREAM_RECORDS;
        info.header_size = 5;
        assert_ap_ok(artpack_stream_reader_init(&r, &info));
        assert_ap_error(artpack_stream_next(&r, big, n, 0, &it, &need), ARTPACK_E_LENGTH);
        assert_int_equal(need, 0);
        n = artpack_varint_write(big, sizeof big, (uint64_t)1 << 63);
        assert_ap_error(artpack_stream_next(&r, big, n, 0, &it, &need), ARTPACK_E_LENGTH);
        /* the bound itself: the item's bytes are asked for */
        n = artpack_varint_write(big, sizeof big, ARTPACK_STREAM_ITEM_SIZE_MAX);
        assert_ap_ok(artpack_stream_next(&r, big, n, 0, &it, &need));
        assert_null(it.data);
        assert_int_equal(need, n + ARTPACK_STREAM_ITEM_SIZE_MAX);
        assert_ap_error(artpack_stream_next(&r, big, n, 1, &it, &need), ARTPACK_E_TRUNCATED);
        assert_int_equal(it.head_size, n);
        assert_int_equal(it.size, ARTPACK_STREAM_ITEM_SIZE_MAX);
        /* while the prefix is incomplete: one more byte at least */
        assert_ap_ok(artpack_stream_next(&r, big, 2, 0, &it, &need));
        assert_int_equal(need, 3);
        assert_ap_ok(artpack_stream_next(&r, NULL, 0, 0, &it, &need));
        assert_int_equal(need, 1);
        /* a bad prefix is named without waiting for the end */
        assert_ap_error(artpack_stream_next(&r, "\x80\x00", 2, 0, &it, &need), ARTPACK_E_VARINT);
        assert_int_equal(need, 0);
        assert_ap_error(artpack_stream_next(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
                                            10, 0, &it, &need),
                        ARTPACK_E_VARINT);
        assert_ap_error(artpack_stream_next(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
                                            10, 0, &it, &need),
                        ARTPACK_E_VARINT);
        /* arguments */
        assert_ap_error(artpack_stream_next(NULL, big, 1, 1, &it, &need), ARTPACK_E_NULL_ARG);
        assert_ap_error(artpack_stream_next(&r, big, 1, 1, NULL, &need), ARTPACK_E_NULL_ARG);
        assert_ap_error(artpack_stream_next(&r, big, 1, 1, &it, NULL), ARTPACK_E_NULL_ARG);
        assert_ap_error(artpack_stream_next(&r, NULL, 1, 1, &it, &need), ARTPACK_E_NULL_ARG);
        assert_int_equal(r.offset, 5);
        assert_int_equal(r.index, 0);
    }
    /* cut inside the prefix: truncated, no prefix read */
    read_records_body("\x01x\x80", 3, &t);
    assert_ap_error(t.error, ARTPACK_E_TRUNCATED);
    assert_int_equal(t.count, 1);
    assert_int_equal(t.last.offset, 7);
    assert_int_equal(t.last.head_size, 0);
    /* cut inside the item: the prefix and the declared size are known */
    read_records_body("\x01x\x05" "abc", 6, &t);
    assert_ap_error(t.error, ARTPACK_E_TRUNCATED);
    assert_int_equal(t.last.offset, 7);
    assert_int_equal(t.last.head_size, 1);
    assert_int_equal(t.last.size, 5);
    assert_int_equal(t.last.index, 1);
    /* zero-length items are framing-valid (the record decoder refuses them) */
    read_records_body("\x00\x00\x01z", 4, &t);
    assert_ap_ok(t.error);
    assert_int_equal(t.count, 3);
    assert_int_equal(t.offset[2], 7);
}

/* Every cut of a valid stream: the items before it, then the end (at an
 * item boundary) or ARTPACK_E_TRUNCATED at the item cut (head_size 0 inside
 * its prefix); and the same in pieces. */
static void test_every_truncation(void **state) {
    tu_rng rng = {77};
    sbuf b = {NULL, 0, 0};
    size_t sizes[SC_MAX_ITEMS];
    uint64_t offsets[SC_MAX_ITEMS];
    size_t cut, k;
    (void)state;
    for (k = 0; k < 2; k++) {
        artpack_stream_kind kind = k ? ARTPACK_STREAM_COMPRESSED : ARTPACK_STREAM_RECORDS;
        size_t count = 9, hs = ARTPACK_STREAM_HEADER_SIZE(kind);
        make_stream(&b, &rng, kind, k ? 42u : 0u, count, 300, sizes, offsets);
        for (cut = 0; cut <= b.len; cut++) {
            sc_trace t, p;
            size_t i, whole_items = 0;
            sc_read_whole(b.data, cut, &t);
            sc_read(b.data, cut, NULL, 0, SC_NEED, &p);
            sc_same(&t, &p);
            if (cut < 4) {
                assert_ap_error(t.header_error, ARTPACK_E_STREAM);
                continue;
            }
            if (cut < hs) {
                assert_ap_error(t.header_error, ARTPACK_E_TRUNCATED);
                continue;
            }
            assert_ap_ok(t.header_error);
            for (i = 0; i < count; i++)
                if (offsets[i] + sc_varint_size(sizes[i]) + sizes[i] <= cut) whole_items++;
            assert_int_equal(t.count, whole_items);
            if (whole_items == count ? cut == b.len : cut == offsets[whole_items]) {
                assert_ap_ok(t.error);
                assert_true(t.ended);
            } else {
                assert_ap_error(t.error, ARTPACK_E_TRUNCATED);
                assert_int_equal(t.last.offset, offsets[whole_items]);
                assert_int_equal(t.last.index, whole_items);
                if (cut < offsets[whole_items] + sc_varint_size(sizes[whole_items])) {
                    assert_int_equal(t.last.head_size, 0);
                } else {
                    assert_int_equal(t.last.head_size, sc_varint_size(sizes[whole_items]));
                    assert_int_equal(t.last.size, sizes[whole_items]);
                }
            }
        }
    }
    free(b.data);
}

/* The property: however a stream is cut into pieces, the same items and the
 * same error at the same place; for valid streams, damaged ones and
 * junk. */
static void test_every_split_same_items(void **state) {
    tu_rng rng = {4242};
    sbuf b = {NULL, 0, 0};
    size_t sizes[SC_MAX_ITEMS], round;
    uint64_t offsets[SC_MAX_ITEMS];
    sc_trace whole;
    (void)state;
    for (round = 0; round < 16; round++) {
        artpack_stream_kind kind = round % 2 ? ARTPACK_STREAM_COMPRESSED : ARTPACK_STREAM_RECORDS;
        make_stream(&b, &rng, kind, round % 2 ? 9u : 0u, 12, 160, sizes, offsets);
        if (round >= 4) { /* damage: a few bytes changed, or cut */
            size_t flips = 1 + (size_t)tu_below(&rng, 3), f;
            for (f = 0; f < flips; f++) {
                size_t at = (size_t)tu_below(&rng, b.len);
                b.data[at] = round % 3 ? (unsigned char)tu_rand64(&rng) : (unsigned char)0xFF;
            }
            if (round % 5 == 0) b.len = (size_t)tu_below(&rng, b.len + 1);
        }
        check_every_split(b.data, b.len, 24, &rng, &whole);
        if (round < 4) {
            assert_ap_ok(whole.error);
            assert_int_equal(whole.count, 12);
        }
    }
    /* a stream with items across every prefix size up to 3 bytes */
    {
        static const size_t big_sizes[] = {0, 127, 128, 16383, 16384, 70000, 1, 200};
        unsigned char *item = (unsigned char *)tu_malloc(70000);
        size_t i;
        memset(item, 0x5A, 70000);
        b.len = 0;
        sb_header(&b, ARTPACK_STREAM_RECORDS, 0);
        for (i = 0; i < TU_COUNT(big_sizes); i++) sb_item(&b, item, big_sizes[i]);
        sc_read_whole(b.data, b.len, &whole);
        assert_ap_ok(whole.error);
        assert_int_equal(whole.count, TU_COUNT(big_sizes));
        for (i = 0; i < 300; i++) { /* random cuts, many near item boundaries */
            sc_trace t;
            size_t cuts[4], nc = 0, c = 0;
            while (nc < TU_COUNT(cuts)) {
                c += 1 + (size_t)tu_below(&rng, i % 2 ? 20 : b.len / 3);
                if (c >= b.len) break;
                cuts[nc++] = c;
            }
            sc_read(b.data, b.len, cuts, nc, i % 3 ? SC_CUTS : SC_CUTS_KNOWN, &t);
            sc_same(&whole, &t);
        }
        free(item);
    }
    free(b.data);
}

/* A caller with the whole stream in memory (Python) iterates without copies:
 * the items point into its buffer. */
static void test_in_place(void **state) {
    static const unsigned char s[] = "APKZ\x01\x07\x00\x00\x00\x03one\x00\x02hi";
    artpack_stream_info info;
    artpack_stream_reader r;
    artpack_stream_item it;
    size_t pos, need = 1;
    const size_t n = sizeof s - 1;
    (void)state;
    assert_ap_ok(artpack_stream_header_read(&info, s, n, 1, NULL));
    assert_int_equal(info.dict_id, 7);
    assert_ap_ok(artpack_stream_reader_init(&r, &info));
    pos = info.header_size;
    assert_ap_ok(artpack_stream_next(&r, s + pos, n - pos, 1, &it, &need));
    assert_ptr_equal(it.data, s + 10);
    assert_int_equal(it.size, 3);
    assert_int_equal(it.offset, 9);
    pos += it.consumed;
    assert_ap_ok(artpack_stream_next(&r, s + pos, n - pos, 1, &it, &need));
    assert_non_null(it.data);
    assert_int_equal(it.size, 0);
    assert_int_equal(it.offset, 13);
    pos += it.consumed;
    assert_ap_ok(artpack_stream_next(&r, s + pos, n - pos, 1, &it, &need));
    assert_ptr_equal(it.data, s + 15);
    assert_int_equal(it.index, 2);
    pos += it.consumed;
    assert_ap_ok(artpack_stream_next(&r, s + pos, n - pos, 1, &it, &need));
    assert_null(it.data);
    assert_int_equal(need, 0);
    assert_int_equal(it.offset, n);
    assert_int_equal(r.index, 3);
}

/* ---- with the rest of the library ---- */

static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    unsigned char *p;
    long size;
    if (f == NULL) fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    p = (unsigned char *)tu_malloc((size_t)size);
    assert_int_equal(fread(p, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return p;
}

static size_t count_lines(const char *path) {
    size_t n, i, lines = 0;
    unsigned char *p = read_file(path, &n);
    for (i = 0; i < n; i++)
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\n')) lines++;
    free(p);
    return lines;
}

/* The CLI's golden record streams: one valid record per article, then the
 * end; and compressed back into a compressed stream and out again. */
static void test_golden_streams(void **state) {
    static const char *const names[] = {"example", "seed", "edge"};
    size_t k;
    (void)state;
    for (k = 0; k < TU_COUNT(names); k++) {
        char apr[128], jsonl[128];
        size_t n, pos, need, articles = 0;
        unsigned char *s;
        artpack_stream_info info;
        artpack_stream_reader r;
        artpack_stream_item it;
        artpack_compressor *c = NULL;
        artpack_compress_params p;
        artpack_decompressor *d = NULL;
        static uint64_t ws[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];
        sbuf z = {NULL, 0, 0};
        sc_trace t;
        snprintf(apr, sizeof apr, "tests/data/golden/%s.apr", names[k]);
        snprintf(jsonl, sizeof jsonl, "tests/data/golden/%s.out.jsonl", names[k]);
        s = read_file(apr, &n);
        memset(&p, 0, sizeof p);
        p.codec = ARTPACK_CODEC_ZSTD;
        p.level = 3;
        p.checksum = 1;
        assert_ap_ok(artpack_compressor_create(&c, &p, NULL, NULL));
        assert_ap_ok(artpack_stream_header_read(&info, s, n, 1, NULL));
        assert_int_equal(info.kind, ARTPACK_STREAM_RECORDS);
        assert_ap_ok(artpack_stream_reader_init(&r, &info));
        sb_header(&z, ARTPACK_STREAM_COMPRESSED, 0);
        for (pos = info.header_size;; pos += it.consumed) {
            unsigned char *frame;
            size_t w = 0;
            assert_ap_ok(artpack_stream_next(&r, s + pos, n - pos, 1, &it, &need));
            if (it.data == NULL) break;
            assert_ap_ok(artpack_record_validate(it.data, it.size, NULL));
            frame = (unsigned char *)tu_malloc(ARTPACK_FRAME_BOUND(it.size));
            assert_ap_ok(artpack_frame_compress(c, frame, ARTPACK_FRAME_BOUND(it.size), it.data,
                                                it.size, &w));
            sb_item(&z, frame, w);
            free(frame);
            articles++;
        }
        assert_int_equal(pos, n);
        assert_int_equal(articles, count_lines(jsonl));
        /* the compressed stream: its frames give back the records, in order */
        sc_read_whole(z.data, z.len, &t);
        assert_ap_ok(t.error);
        assert_int_equal(t.count, articles);
        assert_ap_ok(artpack_stream_header_read(&info, z.data, z.len, 1, NULL));
        assert_ap_ok(artpack_stream_check_dict(&info, NULL));
        assert_ap_ok(artpack_decompressor_init(&d, ws, sizeof ws, ARTPACK_CODEC_ZSTD, NULL, 0));
        {
            artpack_stream_reader rr, rz;
            artpack_stream_item ir, iz;
            size_t pr = 5, pz = 9;
            artpack_stream_info ri;
            assert_ap_ok(artpack_stream_header_read(&ri, s, n, 1, NULL));
            assert_ap_ok(artpack_stream_reader_init(&rr, &ri));
            assert_ap_ok(artpack_stream_reader_init(&rz, &info));
            for (;;) {
                unsigned char *rec;
                size_t got = 0;
                assert_ap_ok(artpack_stream_next(&rr, s + pr, n - pr, 1, &ir, &need));
                assert_ap_ok(artpack_stream_next(&rz, z.data + pz, z.len - pz, 1, &iz, &need));
                assert_true((ir.data == NULL) == (iz.data == NULL));
                if (ir.data == NULL) break;
                rec = (unsigned char *)tu_malloc(ir.size);
                assert_ap_ok(artpack_frame_decompress(d, rec, ir.size, iz.data, iz.size, &got));
                assert_int_equal(got, ir.size);
                assert_memory_equal(rec, ir.data, got);
                free(rec);
                pr += ir.consumed;
                pz += iz.consumed;
            }
        }
        artpack_compressor_free(c);
        free(z.data);
        free(s);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_reader_init_and_dict),
        cmocka_unit_test(test_item_errors),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_split_same_items),
        cmocka_unit_test(test_golden_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
