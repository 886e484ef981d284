/* test_zstd_window.c - the window limit of zstd frames (artpack_decompressor_init's
 * window_log_max): a frame whose zstd header asks for a larger window is
 * refused with ARTPACK_E_WINDOW_TOO_LARGE, one whose header is no header
 * with ARTPACK_E_CORRUPT, whichever way the header is laid out (window
 * descriptor or single segment, every content-size and dictionary-ID field
 * size, cut short). The decoder reads common headers itself
 * (codec/backend_zstd.c); zstd's own parser is the oracle here. */
#include "test_util.h"

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

static uint64_t workspace[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];
static uint32_t rng_state = 1;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A zstd frame without checksum (no dictionary) of content_size bytes of
 * text, or of one repeated byte (a payload of a few bytes: an RLE block). */
static size_t make_frame(unsigned char *dst, size_t cap, size_t content_size, int rle) {
    static unsigned char src[4096];
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    artpack_frame_info info;
    size_t i, w = 0;
    for (i = 0; i < content_size; i++)
        src[i] = (unsigned char)(rle ? 'a' : "the quick brown fox "[i % 20]);
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.level = 3;
    ASSERT_ERR(artpack_compressor_create(&c, &p, NULL, NULL), ARTPACK_OK);
    ASSERT_ERR(artpack_frame_compress(c, dst, cap, src, content_size, &w), ARTPACK_OK);
    artpack_compressor_free(c);
    ASSERT_ERR(artpack_frame_info_get(&info, dst, w), ARTPACK_OK);
    assert_int_equal(info.codec, ARTPACK_CODEC_ZSTD); /* not stored */
    return w;
}

/* Writes the zstd header h[0..n) over the payload of frame[0..size) and
 * checks the decoder's verdict with window_log_max against zstd's parser:
 * a header it refuses gives CORRUPT, a window above 2^log
 * WINDOW_TOO_LARGE, anything else not WINDOW_TOO_LARGE. Returns 1 when the
 * window was too large. */
static int check_header(const unsigned char *frame, size_t size, const unsigned char *h,
                        size_t n, unsigned log) {
    static unsigned char copy[8192], out[4096 + 64];
    artpack_frame_info info;
    artpack_decompressor *dec = NULL;
    ZSTD_frameHeader zfh;
    size_t payload, r, got;
    artpack_error err;
    ASSERT_ERR(artpack_frame_info_get(&info, frame, size), ARTPACK_OK);
    payload = size - info.header_size - (info.has_checksum ? 4 : 0);
    memcpy(copy, frame, size);
    memcpy(copy + info.header_size, h, n < payload ? n : payload);
    ASSERT_ERR(artpack_decompressor_init(&dec, workspace, sizeof workspace, ARTPACK_CODEC_ZSTD,
                                         NULL, log),
               ARTPACK_OK);
    err = artpack_frame_decompress(dec, out, sizeof out, copy, size, &got);
    r = ZSTD_getFrameHeader_advanced(&zfh, copy + info.header_size, payload,
                                     ZSTD_f_zstd1_magicless);
    if (r != 0) {
        if (err != ARTPACK_E_CORRUPT)
            fail_msg("header %02x %02x (payload %zu, log %u): got %s, zstd refuses it", h[0],
                     h[1], payload, log, artpack_error_name(err));
        return 0;
    }
    if (zfh.windowSize > ((unsigned long long)1 << log)) {
        if (err != ARTPACK_E_WINDOW_TOO_LARGE)
            fail_msg("header %02x %02x, window %llu > 2^%u: got %s", h[0], h[1],
                     (unsigned long long)zfh.windowSize, log, artpack_error_name(err));
        return 1;
    }
    if (err == ARTPACK_E_WINDOW_TOO_LARGE)
        fail_msg("header %02x %02x, window %llu <= 2^%u: refused as too large", h[0], h[1],
                 (unsigned long long)zfh.windowSize, log);
    return 0;
}

/* Headers at the limit, each layout: the window exactly 2^log passes, one
 * step above is refused. */
static void test_window_at_the_limit(void **state) {
    static unsigned char frame[8192];
    static const unsigned logs[] = {10, 12, 16, 17, 23, 27, 31};
    size_t size = make_frame(frame, sizeof frame, 3000, 0), i;
    (void)state;
    for (i = 0; i < TU_COUNT(logs); i++) {
        unsigned log = logs[i];
        unsigned long long limit = 1ull << log, v;
        unsigned char h[16];
        /* window descriptor: exponent log - 10, mantissa 0 (exactly 2^log) then 1 */
        memset(h, 0, sizeof h);
        h[0] = 0x00; /* no FCS, no dictionary ID, not single segment */
        h[1] = (unsigned char)((log - 10) << 3);
        assert_int_equal(check_header(frame, size, h, 2, log), 0);
        h[1] |= 1;
        assert_int_equal(check_header(frame, size, h, 2, log), 1);
        h[1] = (unsigned char)((log - 9) << 3); /* the next exponent */
        assert_int_equal(check_header(frame, size, h, 2, log), log < 31 ? 1 : 0);
        /* single segment, 4-byte content size: 2^log, then 2^log + 1 */
        for (v = limit; v <= limit + 1 && v <= 0xFFFFFFFFull; v++) {
            h[0] = 0x20 | 0x80;
            h[1] = (unsigned char)v;
            h[2] = (unsigned char)(v >> 8);
            h[3] = (unsigned char)(v >> 16);
            h[4] = (unsigned char)(v >> 24);
            assert_int_equal(check_header(frame, size, h, 5, log), v > limit);
        }
        /* single segment, 2-byte content size (value + 256) */
        if (limit <= 65535 + 256) {
            for (v = limit - 256; v <= limit - 255; v++) {
                h[0] = 0x20 | 0x40;
                h[1] = (unsigned char)v;
                h[2] = (unsigned char)(v >> 8);
                assert_int_equal(check_header(frame, size, h, 3, log), v + 256 > limit);
            }
        }
        /* single segment, 8-byte content size above 4 GB, after a 4-byte dictionary ID */
        h[0] = 0x20 | 0xC0 | 3;
        memset(h + 1, 0x11, 4);
        memset(h + 5, 0, 8);
        h[9] = 1; /* 2^32 */
        assert_int_equal(check_header(frame, size, h, 13, log), 1);
    }
}

/* 1 when the header h fits in n bytes of payload (RFC 8878's layout). */
static int header_fits(const unsigned char *h, size_t n) {
    static const size_t did[4] = {0, 1, 2, 4}, fcs[4] = {0, 2, 4, 8};
    int single = (h[0] >> 5) & 1;
    size_t need = 1 + !single + did[h[0] & 3] + ((h[0] >> 6) == 0 ? (size_t)single : fcs[h[0] >> 6]);
    return need <= n;
}

/* Random headers, biased to the layouts above, on a frame with room for
 * any header and on frames too short to hold one; a reserved bit, a window
 * log above zstd's maximum. */
static void test_window_random_headers(void **state) {
    static unsigned char big[8192], small[256];
    size_t sizes[2], i, refused = 0, cut = 0;
    const unsigned char *frames[2];
    (void)state;
    frames[0] = big;
    sizes[0] = make_frame(big, sizeof big, 3000, 0);
    frames[1] = small;
    sizes[1] = make_frame(small, sizeof small, 100, 1);
    rng_state = 2026;
    for (i = 0; i < 30000; i++) {
        unsigned char h[16];
        unsigned log = 10 + rng() % 22, k = rng() % 2, j;
        size_t size = sizes[k];
        for (j = 0; j < sizeof h; j++) h[j] = (unsigned char)rng();
        if (rng() % 4 != 0) h[0] &= (unsigned char)~0x08u; /* mostly no reserved bit */
        if (rng() % 2 == 0 && !(h[0] & 0x20)) /* a window near the limit */
            h[1] = (unsigned char)(((log - 10 + rng() % 3) << 3) | (rng() % 8));
        if (rng() % 4 == 0) { /* the frame cut within its zstd header */
            artpack_frame_info info;
            ASSERT_ERR(artpack_frame_info_get(&info, frames[k], size), ARTPACK_OK);
            size = info.header_size + 1 + rng() % 14;
            cut += !header_fits(h, size - info.header_size);
        }
        refused += (size_t)check_header(frames[k], size, h, sizeof h, log);
    }
    assert_true(refused > 1000); /* the limit was met often */
    assert_true(cut > 1000);     /* and headers were cut short */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_at_the_limit),
        cmocka_unit_test(test_window_random_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
