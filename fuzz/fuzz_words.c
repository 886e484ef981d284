/* fuzz_words.c - libFuzzer target: the word transform (codec/words.c,
 * words_enc.c). The inverse never writes outside its buffer (exactly the
 * content size, so ASan sees any overrun), never reads a transformed byte it
 * has overwritten, and fails with ARTPACK_E_WORDS on what is no transform;
 * the forward transform round-trips whatever it is given, alone and through
 * zstd and LZ4 frames with fz_dict()'s word list.
 *
 * The table-driven inverse (ap_words_expand_table) gives what ap_words_expand
 * gives on every input: the same bytes, or the same error.
 *
 * Input: byte 0 chooses the mode, the rest is data.
 *   bit 0    0: data is transformed bytes: expanded in place into a buffer of
 *            (data size + byte 1) bytes; 1: data is content: transformed,
 *            undone (in place when the encoder says so), and framed
 *   bit 1    the list: 0 fz_dict()'s (trained, a few dozen words, some
 *            with a leading space), 1 one of 2,035 words ("aaa", " aab",
 *            "aac", ...: every code is a word, every other one with a
 *            leading space)
 *   bits 2-7 (bit 0 clear) the table-driven inverse once more with that many
 *            bytes of room after the content (0..63; 32 and more: every code
 *            of a sound transform on its fast path) */
#include "fuzz_dictgen.h"
#include "../codec/words.h"

static uint64_t fz_workspace[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];

static const unsigned char *fz_big_list(void) {
    /* 16 bytes after the list, as a dictionary's trailer gives */
    static unsigned char list[4 + 2 * 128 + AP_WORDS_MAX * 5 + 16];
    static int ready;
    if (!ready) {
        size_t area = 4 + 2 * ((AP_WORDS_MAX + 15) / 16), pos = 0, i;
        list[0] = AP_WORDS_VERSION;
        list[1] = 0;
        list[2] = (unsigned char)AP_WORDS_MAX;
        list[3] = (unsigned char)(AP_WORDS_MAX >> 8);
        for (i = 0; i < AP_WORDS_MAX; i++) {
            if (i % 16 == 0) {
                list[4 + 2 * (i / 16)] = (unsigned char)pos;
                list[5 + 2 * (i / 16)] = (unsigned char)(pos >> 8);
            }
            /* every odd word with a leading space (list version 2) */
            list[area + pos] = (unsigned char)(3 + i % 2);
            if (i % 2) list[area + pos + 1] = ' ';
            list[area + pos + 1 + i % 2] = (unsigned char)('a' + i / 676);
            list[area + pos + 2 + i % 2] = (unsigned char)('a' + i / 26 % 26);
            list[area + pos + 3 + i % 2] = (unsigned char)('a' + i % 26);
            pos += 4 + i % 2;
        }
        ready = 1;
    }
    return list;
}

/* Transforms src and undoes it; returns the transformed size (0 when it
 * cannot be undone in place, and then checks nothing more). */
static size_t fz_round_trip(const unsigned char *list, const unsigned char *src, size_t n) {
    ap_words_enc *e = NULL;
    unsigned char *t = (unsigned char *)malloc(AP_WORDS_BOUND(n) + 1);
    unsigned char *buf = (unsigned char *)malloc(n ? n : 1);
    size_t tn;
    int in_place = 0;
    CHECK(t != NULL && buf != NULL);
    CHECK(ap_words_enc_create(&e, list, ap_allocator_or_default(NULL)) == ARTPACK_OK);
    tn = ap_words_apply(e, t, src, n, &in_place);
    ap_words_enc_free(e);
    CHECK(tn <= AP_WORDS_BOUND(n));
    if (in_place) {
        CHECK(tn <= n && n <= tn * AP_WORD_LEN_MAX);
        memcpy(buf + (n - tn), t, tn);
        CHECK(ap_words_expand(list, buf, n, tn) == ARTPACK_OK);
        CHECK(n == 0 || memcmp(buf, src, n) == 0);
    } else {
        tn = 0;
    }
    free(t);
    free(buf);
    return tn;
}

/* Through frames with fz_dict()'s list: zstd and LZ4, decoded by both. */
static void fz_frames(const unsigned char *src, size_t n) {
    int codec;
    for (codec = ARTPACK_CODEC_ZSTD; codec <= ARTPACK_CODEC_LZ4; codec++) {
        artpack_compress_params p;
        artpack_compressor *c = NULL;
        artpack_decompressor *d = NULL;
        artpack_frame_info info;
        size_t cap = ARTPACK_FRAME_BOUND(n), w = 0, got = 0;
        unsigned char *frame = (unsigned char *)malloc(cap);
        unsigned char *out = (unsigned char *)malloc(n ? n : 1);
        memset(&p, 0, sizeof p);
        p.codec = (artpack_codec)codec;
        p.level = codec == ARTPACK_CODEC_LZ4 ? 9 : 3;
        p.checksum = 1;
        p.words = 1;
        CHECK(artpack_compressor_create(&c, &p, fz_dict(), NULL) == ARTPACK_OK);
        CHECK(artpack_frame_compress(c, frame, cap, src, n, &w) == ARTPACK_OK);
        artpack_compressor_free(c);
        CHECK(artpack_frame_info_get(&info, frame, w) == ARTPACK_OK);
        CHECK(!info.words || info.transformed_size <= n);
        CHECK(artpack_decompressor_init(&d, fz_workspace, sizeof fz_workspace,
                                        (artpack_codec)codec, fz_dict(), 0) == ARTPACK_OK);
        CHECK(artpack_frame_decompress(d, out, n, frame, w, &got) == ARTPACK_OK);
        CHECK(got == n && (n == 0 || memcmp(out, src, n) == 0));
        free(frame);
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const unsigned char *list;
    unsigned mode;
    if (size < 1) return 0;
    mode = data[0];
    data++;
    size--;
    list = (mode & 2) ? fz_big_list() : fz_dict()->words;
    if (mode & 1) {
        if (size > 8192) return 0;
        fz_round_trip(list, data, size);
        if (!(mode & 2)) fz_frames(data, size);
    } else {
        size_t slack, n;
        unsigned char *buf;
        artpack_error e;
        if (size < 1) return 0;
        slack = data[0];
        data++;
        size--;
        n = size + slack;
        buf = (unsigned char *)malloc(n ? n : 1);
        if (size) memcpy(buf + slack, data, size);
#if AP_WORDS_TABLE
        {
            static unsigned char tables[2][AP_WORDS_TABLE_SIZE];
            static const unsigned char *made[2];
            unsigned char *copy = (unsigned char *)malloc(n ? n : 1);
            unsigned char *tab = tables[(mode >> 1) & 1];
            if (made[(mode >> 1) & 1] != list) {
                ap_words_table(list, tab);
                made[(mode >> 1) & 1] = list;
            }
            if (size) memcpy(copy + slack, data, size);
            e = ap_words_expand_table(list, tab, copy, n, n, size);
            CHECK(e == ap_words_expand(list, buf, n, size));
            CHECK(e != ARTPACK_OK || n == 0 || memcmp(copy, buf, n) == 0);
            free(copy);
            /* with room after the content (mode bits 2-7: 0..63 bytes; 32
             * puts every code of a sound transform on the fast path): the
             * same result, the same bytes */
            {
                size_t room = n + (mode >> 2);
                unsigned char *roomy = (unsigned char *)malloc(room ? room : 1);
                if (size) memcpy(roomy + (room - size), data, size);
                CHECK(e == ap_words_expand_table(list, tab, roomy, n, room, size));
                CHECK(e != ARTPACK_OK || n == 0 || memcmp(roomy, buf, n) == 0);
                free(roomy);
            }
        }
#else
        e = ap_words_expand(list, buf, n, size);
#endif
        CHECK(e == ARTPACK_OK || e == ARTPACK_E_WORDS);
        if (e == ARTPACK_OK && n <= 8192) {
            /* what came out goes back in: it must round-trip too */
            fz_round_trip(list, buf, n);
        }
        free(buf);
    }
    return 0;
}
