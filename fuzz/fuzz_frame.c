/* fuzz_frame.c - libFuzzer target: frame decompression (zstd, LZ4, stored;
 * with and without a dictionary; destinations too small; window limits), and
 * compress -> decompress round trips of arbitrary content.
 *
 * Input: byte 0 chooses the mode, the rest is a frame (or content).
 *   bit 0    decompressor codec: 0 zstd (decodes all), 1 LZ4 (no zstd)
 *   bit 1    the decompressor has the dictionary
 *   bits 2-3 destination: 0 exact content size, 1 one byte short, 2 64 B, 3 1 MB
 *   bits 4-5 window_log_max: 10, 16, 23, 27
 *   bit 6    the rest is content: compress it with every codec, with and
 *            without the dictionary (and its word transform), and
 *            decompress it back */
#include "fuzz_dictgen.h"

static uint64_t fz_workspace[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];

static void round_trips(const uint8_t *data, size_t size) {
    int codec, with_dict, checksum;
    for (codec = 0; codec <= 2; codec++)
        for (with_dict = 0; with_dict <= 2; with_dict++) /* 2: and the transform */
            for (checksum = 0; checksum <= 1; checksum++) {
                artpack_compress_params p;
                artpack_compressor *c = NULL;
                artpack_decompressor *d = NULL;
                const artpack_dict *dict = with_dict ? fz_dict() : NULL;
                size_t cap = ARTPACK_FRAME_BOUND(size), w = 0, got = 0;
                unsigned char *frame = (unsigned char *)malloc(cap);
                unsigned char *out = (unsigned char *)malloc(size ? size : 1);
                memset(&p, 0, sizeof p);
                p.codec = (artpack_codec)codec;
                p.level = codec == ARTPACK_CODEC_LZ4 ? 9 : 3;
                p.checksum = checksum;
                p.frame_dict_id = 1;
                p.words = with_dict == 2;
                CHECK(artpack_compressor_create(&c, &p, dict, NULL) == ARTPACK_OK);
                CHECK(artpack_frame_compress(c, frame, cap, data, size, &w) == ARTPACK_OK);
                CHECK(w <= cap);
                {
                    artpack_frame_info fi;
                    CHECK(artpack_frame_info_get(&fi, frame, w) == ARTPACK_OK);
                    CHECK(!fi.words || (with_dict == 2 && fi.transformed_size <= size));
                }
                CHECK(artpack_decompressor_init(&d, fz_workspace, sizeof fz_workspace,
                                                ARTPACK_CODEC_ZSTD, dict, 0) == ARTPACK_OK);
                CHECK(artpack_frame_decompress(d, out, size, frame, w, &got) == ARTPACK_OK);
                CHECK(got == size && (size == 0 || memcmp(out, data, size) == 0));
                artpack_compressor_free(c);
                free(frame);
                free(out);
            }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const unsigned windows[4] = {10, 16, 23, 27};
    artpack_frame_info info;
    artpack_decompressor *d = NULL;
    artpack_codec codec;
    const artpack_dict *dict;
    unsigned mode;
    size_t cap, got = 12345;
    unsigned char *dst;
    artpack_error e, e_info;
    if (size < 1) return 0;
    mode = data[0];
    data++;
    size--;
    if (mode & 64) {
        if (size <= 4096) round_trips(data, size);
        return 0;
    }
    codec = (mode & 1) ? ARTPACK_CODEC_LZ4 : ARTPACK_CODEC_ZSTD;
    dict = (mode & 2) ? fz_dict() : NULL;
    CHECK(artpack_decompressor_init(&d, fz_workspace, sizeof fz_workspace, codec, dict,
                                    windows[(mode >> 4) & 3]) == ARTPACK_OK);
    e_info = artpack_frame_info_get(&info, data, size);
    switch ((mode >> 2) & 3) {
    case 0: cap = e_info == ARTPACK_OK ? info.content_size : 0; break;
    case 1: cap = e_info == ARTPACK_OK && info.content_size ? info.content_size - 1 : 0; break;
    case 2: cap = 64; break;
    default: cap = (size_t)1 << 20; break;
    }
    if (cap > ((size_t)1 << 20)) cap = (size_t)1 << 20; /* keep allocations small */
    dst = (unsigned char *)malloc(cap ? cap : 1);
    e = artpack_frame_decompress(d, cap ? dst : NULL, cap, data, size, &got);
    if (e_info != ARTPACK_OK) CHECK(e == e_info); /* the header error comes first */
    if (e == ARTPACK_OK) {
        CHECK(e_info == ARTPACK_OK);
        CHECK(got == info.content_size && got <= cap);
        CHECK(!info.uses_dict || dict != NULL);
        CHECK(info.codec != ARTPACK_CODEC_ZSTD || codec == ARTPACK_CODEC_ZSTD);
        if (got <= 4096) round_trips(dst, got); /* what came out goes back in */
    } else {
        CHECK(got == 12345); /* nothing reported written on failure */
        CHECK(artpack_error_name(e)[0] == 'A');
    }
    free(dst);
    return 0;
}
