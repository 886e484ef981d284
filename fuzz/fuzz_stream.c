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

#define FZ_MAX_ITEMS 4096

typedef struct fz_trace {
    artpack_error header_error, error;
    artpack_stream_info info;
    size_t count, end;        /* items read; the offset after the last one */
    uint64_t offset[FZ_MAX_ITEMS];
    size_t size[FZ_MAX_ITEMS], head[FZ_MAX_ITEMS];
    artpack_stream_item last; /* the final call's item */
    int ended;
} fz_trace;

static fz_trace g_whole, g_piece;

enum { FZ_PIECES, FZ_PIECES_KNOWN, FZ_NEED };

/* Reads s[0..n) in pieces of piece bytes (n: whole) as mode says. */
static void fz_read(const uint8_t *s, size_t n, size_t piece, int mode, fz_trace *t) {
    size_t fed, pos = 0;
    int ends, in_header = 1;
    unsigned calls = 0;
    artpack_stream_reader r;
    memset(t, 0, sizeof *t);
    t->header_error = t->error = ARTPACK_E_PARAM;
    fed = mode == FZ_NEED ? 0 : (piece < n ? piece : n);
    ends = mode == FZ_PIECES_KNOWN && fed == n;
    for (;;) {
        size_t avail = fed - pos, need = 777;
        uint8_t *w = (uint8_t *)malloc(avail ? avail : 1);
        artpack_error e;
        CHECK(w != NULL);
        CHECK(++calls < 10 * (n + 10));
        if (avail) memcpy(w, s + pos, avail);
        if (in_header) {
            e = artpack_stream_header_read(&t->info, avail ? w : NULL, avail, ends, &need);
            if (e != ARTPACK_OK) {
                CHECK(avail <= ARTPACK_STREAM_HEADER_SIZE_MAX || e == ARTPACK_E_STREAM);
                t->header_error = e;
                free(w);
                return;
            }
            if (need == 0) {
                CHECK(t->info.header_size == ARTPACK_STREAM_HEADER_SIZE(t->info.kind));
                CHECK(t->info.header_size <= avail);
                CHECK(t->info.version == (unsigned)ARTPACK_STREAM_VERSION(t->info.kind));
                CHECK(artpack_stream_reader_init(&r, &t->info) == ARTPACK_OK);
                t->header_error = ARTPACK_OK;
                pos = t->end = t->info.header_size;
                in_header = 0;
                free(w);
                continue;
            }
        } else {
            artpack_stream_item it;
            uint64_t before = r.offset, index = r.index;
            CHECK(before == pos);
            e = artpack_stream_next(&r, avail ? w : NULL, avail, ends, &it, &need);
            t->last = it;
            CHECK(it.offset == before && it.index == index);
            if (e != ARTPACK_OK) {
                CHECK(it.data == NULL && it.consumed == 0 && r.offset == before && r.index == index);
                CHECK(artpack_error_name(e)[0] == 'A');
                t->error = e;
                free(w);
                return;
            }
            if (it.data != NULL) {
                CHECK(need == 0);
                CHECK(it.head_size >= 1 && it.head_size <= ARTPACK_STREAM_ITEM_HEAD_MAX);
                CHECK(it.size <= ARTPACK_STREAM_ITEM_SIZE_MAX);
                CHECK(it.consumed == it.head_size + it.size && it.consumed <= avail);
                CHECK(it.data == w + it.head_size);
                CHECK(r.offset == before + it.consumed && r.index == index + 1);
                CHECK(it.size == 0 || memcmp(it.data, s + pos + it.head_size, it.size) == 0);
                CHECK(t->count < FZ_MAX_ITEMS);
                t->offset[t->count] = it.offset;
                t->size[t->count] = it.size;
                t->head[t->count] = it.head_size;
                t->count++;
                pos += it.consumed;
                t->end = pos;
                free(w);
                continue;
            }
            CHECK(it.consumed == 0 && r.offset == before);
            if (need == 0) {
                CHECK(ends && pos == n);
                t->error = ARTPACK_OK;
                t->ended = 1;
                free(w);
                return;
            }
        }
        free(w);
        CHECK(!ends && need > avail && need != 777);
        if (mode == FZ_NEED) {
            if (n - pos < need) {
                fed = n;
                ends = 1;
            } else {
                fed = pos + need;
            }
        } else if (fed < n) {
            fed = fed + piece < n ? fed + piece : n;
            ends = mode == FZ_PIECES_KNOWN && fed == n;
        } else {
            ends = 1;
        }
    }
}

static void fz_same(const fz_trace *a, const fz_trace *b) {
    size_t i;
    CHECK(a->header_error == b->header_error);
    CHECK(a->info.kind == b->info.kind && a->info.version == b->info.version);
    CHECK(a->info.dict_id == b->info.dict_id && a->info.header_size == b->info.header_size);
    if (a->header_error != ARTPACK_OK) return;
    CHECK(a->error == b->error && a->ended == b->ended && a->count == b->count);
    CHECK(a->end == b->end);
    for (i = 0; i < a->count; i++)
        CHECK(a->offset[i] == b->offset[i] && a->size[i] == b->size[i] &&
              a->head[i] == b->head[i]);
    if (a->error != ARTPACK_OK)
        CHECK(a->last.offset == b->last.offset && a->last.index == b->last.index &&
              a->last.head_size == b->last.head_size && a->last.size == b->last.size);
}

/* The header and items read, written again: the input up to t->end. */
static void fz_rewrite(const uint8_t *s, const fz_trace *t) {
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
    fz_read(data, size, size, FZ_PIECES_KNOWN, &g_whole);
    fz_read(data, size, piece, (data[-1] & 32) ? FZ_PIECES_KNOWN : FZ_PIECES, &g_piece);
    fz_same(&g_whole, &g_piece);
    fz_read(data, size, 0, FZ_NEED, &g_piece);
    fz_same(&g_whole, &g_piece);
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
