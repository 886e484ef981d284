/* shared_checks.h - checks the cmocka tests and the fuzz targets share
 * (included by tests/test_util.h and fuzz/fuzz_common.h): a varint's size
 * worked out on its own (an oracle for the library's writers), and a trace of
 * what the stream reader (codec/stream.c) saw, read whole or in pieces.
 * The includer defines SC_CHECK(cond), its assertion, first; SC_MAX_ITEMS
 * (items a trace holds) may be set too. */
#ifndef ARTPACK_TESTS_SHARED_CHECKS_H
#define ARTPACK_TESTS_SHARED_CHECKS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "artpack.h"

#ifndef SC_CHECK
#error "define SC_CHECK(cond) before including shared_checks.h"
#endif
#ifndef SC_MAX_ITEMS
#define SC_MAX_ITEMS 64
#endif

/* Bytes of the varint of v (7 bits a byte). */
static inline size_t sc_varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* ---- a trace of what a stream reader saw ---- */

typedef struct sc_trace {
    artpack_error header_error, error;
    artpack_stream_info info;
    size_t count, end;        /* items read; the offset after the last one */
    uint64_t offset[SC_MAX_ITEMS];
    size_t size[SC_MAX_ITEMS], head[SC_MAX_ITEMS];
    artpack_stream_item last; /* the item struct of the final call */
    int ended;                /* the end was reported */
} sc_trace;

/* How a caller feeds the bytes. */
typedef enum sc_feed {
    SC_CUTS,       /* pieces between the given cut positions; the end is known
                      only when a read past the last piece gets nothing (as
                      read(2) tells it) */
    SC_CUTS_KNOWN, /* the same, but the end is known with the last piece */
    SC_NEED        /* exactly what *need asks for (a device reading flash) */
} sc_feed;

/* One item read: its checks, then into the trace. */
static inline void sc_trace_item(sc_trace *t, const artpack_stream_item *it,
                                 const unsigned char *window, size_t avail,
                                 const unsigned char *stream, size_t n) {
    SC_CHECK(t->count < SC_MAX_ITEMS);
    SC_CHECK(it->index == t->count);
    SC_CHECK(it->head_size >= 1 && it->head_size <= ARTPACK_STREAM_ITEM_HEAD_MAX);
    SC_CHECK(it->size <= ARTPACK_STREAM_ITEM_SIZE_MAX);
    SC_CHECK(it->consumed == it->head_size + it->size && it->consumed <= avail);
    SC_CHECK(it->data == window + it->head_size);
    SC_CHECK(it->offset + it->consumed <= n);
    /* the item's bytes are the stream's bytes at its offset */
    SC_CHECK(it->size == 0 || memcmp(it->data, stream + it->offset + it->head_size, it->size) == 0);
    t->offset[t->count] = it->offset;
    t->size[t->count] = it->size;
    t->head[t->count] = it->head_size;
    t->count++;
}

/* Reads stream[0..n) given in pieces (cuts: ascending positions inside
 * (0, n), ncuts of them; none for SC_NEED) through an exact heap copy of the
 * unconsumed bytes at each call (so ASan sees any read past what was given),
 * checking each call: the reader moves by exactly what it consumed and not
 * at all on an error or a request for more; *need asks for more than was
 * given, and only before the end. */
static inline void sc_read(const unsigned char *stream, size_t n, const size_t *cuts,
                           size_t ncuts, sc_feed mode, sc_trace *t) {
    size_t fed = 0, next_cut = 0, pos = 0, calls = 0;
    int ends = 0, in_header = 1;
    artpack_stream_reader r;
    memset(t, 0, sizeof *t);
    memset(&r, 0, sizeof r);
    t->header_error = t->error = ARTPACK_E_PARAM; /* not reached */
    if (mode != SC_NEED) { /* the first piece */
        fed = next_cut < ncuts ? cuts[next_cut++] : n;
        ends = mode == SC_CUTS_KNOWN && fed == n;
    }
    for (;;) {
        size_t avail = fed - pos, need = 12345;
        unsigned char *window = (unsigned char *)malloc(avail ? avail : 1);
        artpack_error e;
        SC_CHECK(window != NULL);
        SC_CHECK(++calls < 10 * (n + 10));
        if (avail) memcpy(window, stream + pos, avail);
        if (in_header) {
            e = artpack_stream_header_read(&t->info, avail ? window : NULL, avail, ends, &need);
            free(window);
            if (e != ARTPACK_OK) {
                SC_CHECK(avail <= ARTPACK_STREAM_HEADER_SIZE_MAX || e == ARTPACK_E_STREAM);
                t->header_error = e;
                return;
            }
            if (need == 0) {
                SC_CHECK(t->info.header_size == ARTPACK_STREAM_HEADER_SIZE(t->info.kind));
                SC_CHECK(t->info.header_size <= avail);
                SC_CHECK(t->info.version == (unsigned)ARTPACK_STREAM_VERSION(t->info.kind));
                SC_CHECK(artpack_stream_reader_init(&r, &t->info) == ARTPACK_OK);
                SC_CHECK(r.offset == t->info.header_size);
                t->header_error = ARTPACK_OK;
                pos = t->end = t->info.header_size;
                in_header = 0;
                continue;
            }
        } else {
            artpack_stream_item it;
            uint64_t before = r.offset, index = r.index;
            SC_CHECK(before == pos);
            e = artpack_stream_next(&r, avail ? window : NULL, avail, ends, &it, &need);
            t->last = it;
            SC_CHECK(it.offset == before && it.index == index);
            if (e != ARTPACK_OK) { /* no move on an error */
                SC_CHECK(it.data == NULL && it.consumed == 0);
                SC_CHECK(r.offset == before && r.index == index);
                SC_CHECK(artpack_error_name(e)[0] == 'A');
                t->error = e;
                free(window);
                return;
            }
            if (it.data != NULL) {
                SC_CHECK(need == 0);
                sc_trace_item(t, &it, window, avail, stream, n);
                SC_CHECK(r.offset == before + it.consumed && r.index == index + 1);
                pos += it.consumed;
                t->end = pos;
                free(window);
                continue;
            }
            free(window);
            SC_CHECK(it.consumed == 0 && r.offset == before);
            if (need == 0) { /* the end */
                SC_CHECK(ends && pos == n);
                t->error = ARTPACK_OK;
                t->ended = 1;
                return;
            }
        }
        /* more input is asked for */
        SC_CHECK(!ends && need > avail && need != 12345);
        if (mode == SC_NEED) { /* a short read tells the end; an exact one does not */
            if (n - pos < need) {
                fed = n;
                ends = 1;
            } else {
                fed = pos + need;
            }
        } else if (fed < n) {
            fed = next_cut < ncuts ? cuts[next_cut++] : n;
            ends = mode == SC_CUTS_KNOWN && fed == n;
        } else {
            ends = 1; /* a read past the end got nothing */
        }
    }
}

static inline void sc_read_whole(const unsigned char *stream, size_t n, sc_trace *t) {
    sc_read(stream, n, NULL, 0, SC_CUTS_KNOWN, t);
}

/* Two traces of one stream are the same: header, items, end, and where and
 * what the error was. */
static inline void sc_same(const sc_trace *a, const sc_trace *b) {
    size_t i;
    SC_CHECK(a->header_error == b->header_error);
    SC_CHECK(a->info.kind == b->info.kind && a->info.version == b->info.version);
    SC_CHECK(a->info.dict_id == b->info.dict_id && a->info.header_size == b->info.header_size);
    if (a->header_error != ARTPACK_OK) return;
    SC_CHECK(a->error == b->error && a->ended == b->ended && a->count == b->count);
    SC_CHECK(a->end == b->end);
    for (i = 0; i < a->count; i++)
        SC_CHECK(a->offset[i] == b->offset[i] && a->size[i] == b->size[i] &&
                 a->head[i] == b->head[i]);
    if (a->error != ARTPACK_OK)
        SC_CHECK(a->last.offset == b->last.offset && a->last.index == b->last.index &&
                 a->last.head_size == b->last.head_size && a->last.size == b->last.size);
}

#endif
