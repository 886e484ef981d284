/* check_nocolumns.c - the ARTPACK_NO_COLUMNS, ARTPACK_NO_BUNDLE_WORDS and
 * ARTPACK_NO_SIMILAR build options (the Cortex-M4 images): built four times
 * by `make nocolumns-check`, without an option and with each, from the same
 * source. Every header the writer can produce is read back: row headers
 * without word envelopes or a block map read the same in every build; a
 * columnar header (a header with word envelopes, with a block map) reads as
 * such in the full build and is refused (ARTPACK_E_BUNDLE) by the build
 * without the columnar reader (the word envelope, the block map), never
 * taken for rows (plain blocks, blocks in article order). */
#include <stdio.h>
#include <string.h>

#include "../codec/bundle_format.h"

int main(void) {
    static const artpack_codec codecs[] = {ARTPACK_CODEC_STORED, ARTPACK_CODEC_ZSTD,
                                           ARTPACK_CODEC_LZ4};
    unsigned char chunk[AP_HEADER_CHUNK];
    int fails = 0, checked = 0, c, emb, col, wd, sim;
    for (c = 0; c < 3; c++)
        for (emb = 0; emb < 2; emb++)
            for (col = 0; col < 2; col++)
                for (wd = 0; wd < 2; wd++)
                    for (sim = 0; sim < 2; sim++) {
                        ap_bundle_header h, back;
                        artpack_error e;
                        /* word envelopes: zstd and LZ4 blocks with a dictionary */
                        if (wd && codecs[c] == ARTPACK_CODEC_STORED) continue;
                        memset(&h, 0, sizeof h);
                        h.codec = codecs[c];
                        h.level = codecs[c] == ARTPACK_CODEC_STORED ? 0 : 3;
                        h.dict_id = emb || wd ? 0x1234u : 0;
                        h.dict_embedded = emb;
                        h.columns = col;
                        h.words = wd;
                        h.similar = sim;
                        h.block_size = (size_t)1 << 16;
                        ap_header_write(chunk, &h);
                        memset(&back, 0x55, sizeof back);
                        e = ap_header_read(chunk, &back);
                        checked++;
                        if ((col && !AP_HAS_COLUMNS) || (wd && !AP_HAS_BUNDLE_WORDS) ||
                            (sim && !AP_HAS_SIMILAR)) {
                            if (e != ARTPACK_E_BUNDLE) {
                                printf("nocolumns-check: a header (codec %d, columns %d, words %d, "
                                       "similar %d) gave %s, not ARTPACK_E_BUNDLE\n",
                                       (int)h.codec, col, wd, sim, artpack_error_name(e));
                                fails++;
                            }
                        } else if (e != ARTPACK_OK || back.codec != h.codec ||
                                   back.dict_embedded != emb || back.columns != col ||
                                   back.words != wd || back.similar != sim ||
                                   back.block_size != h.block_size) {
                            printf("nocolumns-check: header (codec %d, embedded %d, columns %d, "
                                   "words %d, similar %d) read back wrong: %s\n",
                                   (int)h.codec, emb, col, wd, sim, artpack_error_name(e));
                            fails++;
                        }
                    }
    printf("nocolumns-check (%s): %d headers, %d wrong\n",
           !AP_HAS_COLUMNS        ? "ARTPACK_NO_COLUMNS"
           : !AP_HAS_BUNDLE_WORDS ? "ARTPACK_NO_BUNDLE_WORDS"
           : !AP_HAS_SIMILAR      ? "ARTPACK_NO_SIMILAR"
                                  : "full build",
           checked, fails);
    return fails != 0;
}
