/* fuzz_stream.c - libFuzzer target: the record and compressed streams
 * (codec/stream.c).
 *
 * Input: byte 0 chooses how the rest, a stream, is handed to the reader;
 *   bits 0-4 piece size - 1 (1..32 bytes a piece)
 *   bit 5    the end is known with the last piece (else learnt one call
 *            later, as read(2) tells it)
 * Properties checked (abort() when one fails):
 *  - read whole, in pieces, and asking for exactly *need bytes each time
 *    (a device reading flash): the same header, the same items at the same
 *    offsets, the same error at the same place;
 *  - every call reads only the bytes it is given (each gets an exact heap
 *    copy), an item lies inside them, *need asks for more than was given and
 *    only before the end, the reader moves by exactly what it consumed and
 *    not at all on an error;
 *  - writing the header and the items read back with
 *    artpack_stream_header_write / artpack_stream_item_head_write gives the
 *    input's bytes up to the last item read (one encoding per stream);
 *  - the items of a record stream go through artpack_record_validate (its
 *    error or OK; no crash).
 * Linked with fuzz/replay.c instead of libFuzzer, it replays a corpus. */
#include "fuzz_common.h"

static sc_trace g_whole, g_piece;

/* Reads s[0..n) in pieces of piece bytes, the end known with the last one
 * or learnt one call later. */
static void fz_read_pieces(const uint8_t *s, size_t n, size_t piece, int known, sc_trace *t) {
    size_t *cuts = (size_t *)malloc((n / piece + 1) * sizeof *cuts), nc = 0, c;
    CHECK(cuts != NULL);
    for (c = piece; c < n; c += piece) cuts[nc++] = c;
    sc_read(s, n, cuts, nc, known ? SC_CUTS_KNOWN : SC_CUTS, t);
    free(cuts);
}

/* The header and items read, written again: the input up to t->end. */
static void fz_rewrite(const uint8_t *s, const sc_trace *t) {
    uint8_t *out = (uint8_t *)malloc(t->end ? t->end : 1);
    size_t len = 0, w = 0, i;
    CHECK(out != NULL);
    CHECK(artpack_stream_header_write(out, t->end, t->info.kind, t->info.dict_id, &w) ==
          ARTPACK_OK);
    len = w;
    for (i = 0; i < t->count; i++) {
        CHECK(artpack_stream_item_head_write(out + len, t->end - len, t->size[i], &w) ==
              ARTPACK_OK);
        CHECK(w == t->head[i] && len + w + t->size[i] <= t->end);
        len += w;
        memcpy(out + len, s + len, t->size[i]); /* the item: the input's bytes */
        len += t->size[i];
    }
    CHECK(len == t->end);
    CHECK(memcmp(out, s, len) == 0);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t piece, i;
    if (size < 1) return 0;
    piece = (size_t)(data[0] & 31) + 1;
    data++;
    size--;
    sc_read_whole(data, size, &g_whole);
    fz_read_pieces(data, size, piece, data[-1] & 32, &g_piece);
    sc_same(&g_whole, &g_piece);
    sc_read(data, size, NULL, 0, SC_NEED, &g_piece);
    sc_same(&g_whole, &g_piece);
    if (g_whole.header_error != ARTPACK_OK) return 0;
    fz_rewrite(data, &g_whole);
    if (g_whole.info.kind == ARTPACK_STREAM_RECORDS)
        for (i = 0; i < g_whole.count; i++) {
            size_t where = 0;
            if (artpack_record_validate(data + g_whole.offset[i] + g_whole.head[i],
                                        g_whole.size[i], &where) != ARTPACK_OK)
                CHECK(where <= g_whole.size[i]);
        }
    return 0;
}
