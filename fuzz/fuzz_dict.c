/* fuzz_dict.c - libFuzzer target: dictionary loading. Whatever bytes come in,
 * artpack_dict_load either refuses them or references them; a decompressor
 * and a compressor set up with an accepted dictionary either refuse it
 * (ARTPACK_E_DICT) or round-trip content through it, with the word transform
 * when the dictionary holds a word list. */
#include "fuzz_dictgen.h"

static uint64_t fz_workspace[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char content[] =
        "\x0cid-1\xfe\x1aWire\xfe\x5dthe minister said on Tuesday that prices of oil rose\xfe\x00";
    artpack_dict dict;
    artpack_decompressor *d = NULL;
    artpack_compressor *c = NULL;
    artpack_compress_params p;
    unsigned char *copy, frame[ARTPACK_FRAME_BOUND(sizeof content)], out[sizeof content];
    size_t w = 0, got = 0;
    artpack_error e;
    int codec, is_model;
    (void)fz_dict;
    copy = (unsigned char *)calloc(size ? size : 1, 1); /* exact size: ASan sees overreads */
    if (size) memcpy(copy, data, size);
    e = artpack_dict_load(&dict, copy, size);
    /* bytes with a CM model's magic are a model to artpack_dict_load: refused
     * as one (ARTPACK_E_MODEL), or accepted and left to fuzz_cm */
    is_model = size >= 4 && memcmp(data, "APCM", 4) == 0;
    if (e != ARTPACK_OK || is_model) {
        CHECK(e == ARTPACK_OK || e == (is_model ? ARTPACK_E_MODEL : ARTPACK_E_DICT));
        free(copy);
        return 0;
    }
    CHECK(dict.data == copy && dict.size == size && dict.id != 0);
    e = artpack_decompressor_init(&d, fz_workspace, sizeof fz_workspace, ARTPACK_CODEC_ZSTD,
                                  &dict, 0);
    CHECK(e == ARTPACK_OK || e == ARTPACK_E_DICT);
    for (codec = ARTPACK_CODEC_ZSTD; e == ARTPACK_OK && codec <= ARTPACK_CODEC_LZ4; codec++) {
        artpack_error ce;
        memset(&p, 0, sizeof p);
        p.codec = (artpack_codec)codec;
        p.level = 3;
        p.checksum = 1;
        p.frame_dict_id = 1;
        p.words = dict.words != NULL;
        ce = artpack_compressor_create(&c, &p, &dict, NULL);
        if (ce != ARTPACK_OK) {
            CHECK(ce == ARTPACK_E_DICT);
            continue;
        }
        CHECK(artpack_frame_compress(c, frame, sizeof frame, content, sizeof content, &w) ==
              ARTPACK_OK);
        CHECK(artpack_frame_decompress(d, out, sizeof out, frame, w, &got) == ARTPACK_OK);
        CHECK(got == sizeof content && memcmp(out, content, got) == 0);
        artpack_compressor_free(c);
        c = NULL;
    }
    free(copy);
    return 0;
}
