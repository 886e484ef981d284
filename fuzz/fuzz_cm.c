/* fuzz_cm.c - libFuzzer target: the CM codec (ARTPACK_CODEC_CM).
 *
 * Input: byte 0 chooses the mode, the rest is its data.
 *   mode % 4 == 0  the rest is a frame for a decompressor primed with a valid
 *                  model (fuzz_dictgen.h's fz_cm_model: level 1, trained on
 *                  the synthetic articles); bits 2-3 of the mode: the destination (exact
 *                  content size, one byte short, 64 B, 16 KB; at most 16 KB)
 *   mode % 4 == 1  the rest is a CM payload (level byte, coded bytes): a frame
 *                  of it is made here (bits 2-7 of the mode and the first two
 *                  data bytes: content size 0..16K, with the model or not,
 *                  with a checksum or not) and decoded
 *   mode % 4 == 2  the rest is a CM model: loaded, and when its header is
 *                  sound (level 1 or 2, priming text up to 4 KB, to keep each
 *                  run short), primed; when that succeeds, an article is
 *                  compressed with it and decoded back
 *   mode % 4 == 3  the rest is content: compressed with CM (level 1, with and
 *                  without the model, checksum on and off) and decoded back
 * Properties: no crash or out-of-bounds access (ASan, UBSan); a decode that
 * succeeds wrote exactly the content size; round trips give the input. The
 * decompressors and the compressors of modes 0, 1 and 3 are made once and
 * kept across inputs: each frame must leave them in their primed state
 * (what a bundle reader relies on), or later round trips fail. */
#include "fuzz_dictgen.h"

#define fz_model fz_cm_model

/* workspaces for level 2: [0] primed with fz_model, [1] unprimed, [2] for
 * the models of mode 2; made once */
static void *fz_ws(int k, size_t *n) {
    static void *ws[3];
    *n = artpack_cm_workspace_size(2);
    if (ws[k] == NULL) ws[k] = malloc(*n);
    CHECK(ws[k] != NULL);
    return ws[k];
}

/* the decompressor primed with fz_model (model != NULL) or unprimed, made
 * once and kept */
static artpack_decompressor *fz_dec(const artpack_dict *model) {
    static artpack_decompressor *d[2];
    int k = model == NULL;
    if (d[k] == NULL) {
        size_t n;
        void *ws = fz_ws(k, &n);
        CHECK(artpack_decompressor_init(&d[k], ws, n, ARTPACK_CODEC_CM, model, 0) == ARTPACK_OK);
    }
    return d[k];
}

/* the compressor with fz_model (model != NULL) or without, made once */
static artpack_compressor *fz_comp(const artpack_dict *model, int checksum) {
    static artpack_compressor *c[2][2];
    int k = model == NULL;
    if (c[k][checksum] == NULL) {
        artpack_compress_params p;
        memset(&p, 0, sizeof p);
        p.codec = ARTPACK_CODEC_CM;
        p.level = model ? 0 : 1;
        p.checksum = checksum;
        p.frame_dict_id = 1;
        CHECK(artpack_compressor_create(&c[k][checksum], &p, model, NULL) == ARTPACK_OK);
    }
    return c[k][checksum];
}

/* decodes frame[0..size) into a destination of cap bytes */
static void decode_frame(artpack_decompressor *d, const uint8_t *frame, size_t size, size_t cap) {
    unsigned char *dst = (unsigned char *)malloc(cap ? cap : 1);
    size_t got = 12345;
    artpack_error e = artpack_frame_decompress(d, cap ? dst : NULL, cap, frame, size, &got);
    if (e == ARTPACK_OK) {
        artpack_frame_info info;
        CHECK(artpack_frame_info_get(&info, frame, size) == ARTPACK_OK);
        CHECK(got == info.content_size && got <= cap);
    } else {
        CHECK(strcmp(artpack_error_name(e), "ARTPACK_E_UNKNOWN") != 0);
    }
    free(dst);
}

/* c's frame of data decoded by d gives data */
static void round_trip(artpack_compressor *c, artpack_decompressor *d, const uint8_t *data,
                       size_t size) {
    size_t cap = ARTPACK_FRAME_BOUND(size), w = 0, got = 0;
    unsigned char *frame = (unsigned char *)malloc(cap);
    unsigned char *out = (unsigned char *)malloc(size ? size : 1);
    CHECK(artpack_frame_compress(c, frame, cap, data, size, &w) == ARTPACK_OK);
    CHECK(w <= cap);
    CHECK(artpack_frame_decompress(d, out, size, frame, w, &got) == ARTPACK_OK);
    CHECK(got == size && (size == 0 || memcmp(out, data, size) == 0));
    free(frame);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode;
    if (size < 1) return 0;
    mode = data[0];
    data++;
    size--;
    switch (mode & 3) {
    case 0: { /* a whole frame, primed decompressor */
        static const size_t caps[4] = {0, 0, 64, 16384};
        artpack_frame_info info;
        size_t cap = caps[(mode >> 2) & 3];
        if ((mode & 12) == 0 || (mode & 12) == 4) {
            if (artpack_frame_info_get(&info, data, size) != ARTPACK_OK) return 0;
            cap = info.content_size - ((mode & 12) == 4 && info.content_size ? 1 : 0);
            if (cap > 16384) cap = 16384;
        }
        decode_frame(fz_dec(fz_model()), data, size, cap);
        break;
    }
    case 1: { /* a payload in a frame made here */
        unsigned char *frame;
        size_t content, n = 0, k;
        int with_model = (mode >> 2) & 1, checksum = (mode >> 3) & 1;
        if (size < 2) return 0;
        content = ((size_t)data[0] | (size_t)data[1] << 8) & 0x3FFF; /* up to 16 KB: fast runs */
        data += 2;
        size -= 2;
        frame = (unsigned char *)malloc(size + 16);
        frame[n++] = (unsigned char)(3 | (with_model ? 0x04 : 0) | (checksum ? 0x10 : 0));
        n += artpack_varint_write(frame + n, ARTPACK_VARINT_MAX, content);
        for (k = 0; k < size; k++) frame[n++] = data[k];
        if (checksum) { /* any 4 bytes: a mismatch is refused */
            for (k = 0; k < 4; k++) frame[n++] = (unsigned char)(mode >> 4);
        }
        decode_frame(fz_dec(with_model ? fz_model() : NULL), frame, n, content);
        free(frame);
        break;
    }
    case 2: { /* a model */
        artpack_dict d;
        artpack_decompressor *dec = NULL;
        size_t n;
        void *ws;
        int level;
        if (artpack_dict_load(&d, data, size) != ARTPACK_OK) return 0;
        level = artpack_cm_model_level(&d);
        if (level < 1 || level > 2 || size < 16 ||
            ((size_t)data[12] | (size_t)data[13] << 8 | (size_t)data[14] << 16 |
             (size_t)data[15] << 24) > 4096)
            return 0;
        ws = fz_ws(2, &n);
        if (artpack_decompressor_init(&dec, ws, n, ARTPACK_CODEC_CM, &d, 0) == ARTPACK_OK) {
            static const char text[] = "\x0a\x04Wire\xfe the minister said prices rose\xfe";
            artpack_compress_params p;
            artpack_compressor *c = NULL;
            memset(&p, 0, sizeof p);
            p.codec = ARTPACK_CODEC_CM;
            p.checksum = 1;
            CHECK(artpack_compressor_create(&c, &p, &d, NULL) == ARTPACK_OK);
            round_trip(c, dec, (const uint8_t *)text, sizeof text - 1);
            artpack_compressor_free(c);
        }
        break;
    }
    default: /* content */
        if (size > 4096) return 0;
        round_trip(fz_comp(fz_model(), 1), fz_dec(fz_model()), data, size);
        round_trip(fz_comp(NULL, 0), fz_dec(NULL), data, size);
        break;
    }
    return 0;
}
