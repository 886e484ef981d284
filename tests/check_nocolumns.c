/* check_nocolumns.c - the ARTPACK_NO_COLUMNS build option (the Cortex-M4
 * images): built twice by `make nocolumns-check`, with and without the option,
 * from the same source. Every header the writer can produce is read back:
 * row headers read the same in both builds; a columnar header reads as
 * columnar in the full build and is refused (ARTPACK_E_BUNDLE) by the
 * build without the columnar reader, never taken for rows. */
#include <stdio.h>
#include <string.h>

#include "../codec/bundle_format.h"

int main(void) {
    static const artpack_codec codecs[] = {ARTPACK_CODEC_STORED, ARTPACK_CODEC_ZSTD,
                                           ARTPACK_CODEC_LZ4};
    unsigned char chunk[AP_HEADER_CHUNK];
    int fails = 0, checked = 0, c, emb, col;
    for (c = 0; c < 3; c++)
        for (emb = 0; emb < 2; emb++)
            for (col = 0; col < 2; col++) {
                ap_bundle_header h, back;
                artpack_error e;
                memset(&h, 0, sizeof h);
                h.codec = codecs[c];
                h.level = codecs[c] == ARTPACK_CODEC_STORED ? 0 : 3;
                h.dict_id = emb ? 0x1234u : 0;
                h.dict_embedded = emb;
                h.columns = col;
                h.block_size = (size_t)1 << 16;
                ap_header_write(chunk, &h);
                memset(&back, 0x55, sizeof back);
                e = ap_header_read(chunk, &back);
                checked++;
                if (col && !AP_HAS_COLUMNS) {
                    if (e != ARTPACK_E_BUNDLE) {
                        printf("nocolumns-check: a columnar header (codec %d) gave %s, not "
                               "ARTPACK_E_BUNDLE\n", (int)h.codec, artpack_error_name(e));
                        fails++;
                    }
                } else if (e != ARTPACK_OK || back.codec != h.codec ||
                           back.dict_embedded != emb || back.columns != col ||
                           back.block_size != h.block_size) {
                    printf("nocolumns-check: header (codec %d, embedded %d, columns %d) read "
                           "back wrong: %s\n", (int)h.codec, emb, col, artpack_error_name(e));
                    fails++;
                }
            }
    printf("nocolumns-check (%s): %d headers, %d wrong\n",
           AP_HAS_COLUMNS ? "full build" : "ARTPACK_NO_COLUMNS", checked, fails);
    return fails != 0;
}
