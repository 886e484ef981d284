/* bundle_mem.h - bundles in memory, for every bundle test (test_bundle*.c):
 * a growable output buffer with write, read and map callbacks over it, a
 * read callback that can fail over a range, readers in a workspace of
 * exactly the size they ask for, bundle parameters. Defined in
 * bundle_fixture.c: a test that includes this header goes in BUNDLE_TESTS
 * (Makefile). bundle_fixture.h includes it, with the shared articles and
 * dictionaries; a test with articles of its own includes only this. */
#ifndef ARTPACK_BUNDLE_MEM_H
#define ARTPACK_BUNDLE_MEM_H

#include "test_util.h"

/* A growable output buffer; the write fails from call fail_at on (0: never).
 * reads counts the calls of membuf_read. */
typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
    long calls, fail_at, calls_after_fail;
    long reads;
} membuf;

/* A read callback over p[0..len); reads touching [fail_lo, fail_hi) fail. */
typedef struct memsrc {
    const unsigned char *p;
    uint64_t len;
    uint64_t fail_lo, fail_hi;
    long reads;
} memsrc;

/* A reader in a workspace of exactly the size it asks for (ASan sees any
 * byte past it): over a memsrc (rd_open, rd_open_src) or a membuf
 * (rd_open_mem). */
typedef struct rd {
    memsrc src;
    artpack_bundle_info info;
    void *ws;
    size_t ws_size;
    artpack_bundle_reader *r;
} rd;

/* A map callback over p[0..len): NULL past the end. */
typedef struct memmap {
    const unsigned char *p;
    uint64_t len;
} memmap;

/* Write, read (what was written so far) and map callbacks over a membuf. */
int membuf_write(void *opaque, const void *data, size_t size);
int membuf_read(void *opaque, uint64_t off, void *dst, size_t size);
const void *membuf_map(void *opaque, uint64_t off, size_t size);
void membuf_free(membuf *m);
int memsrc_read(void *opaque, uint64_t off, void *dst, size_t size);
const void *memmap_map(void *opaque, uint64_t off, size_t size);

/* A reader of p[0..len) through a memsrc (reads touching [fail_lo, fail_hi)
 * fail): the error of artpack_bundle_info_get, else of the open. */
artpack_error rd_open_src(rd *o, const void *p, size_t len, const artpack_dict *d,
                          uint64_t fail_lo, uint64_t fail_hi);
artpack_error rd_open(rd *o, const void *p, size_t len, const artpack_dict *d);
/* A reader of the bundle in m, mapped (membuf_map) or through membuf_read
 * (counted in m->reads); artpack_bundle_info_get must succeed. When the open
 * does, the same open in one byte less of workspace has been refused
 * (ARTPACK_E_WORKSPACE_TOO_SMALL): the size is exact. */
artpack_error rd_open_mem(rd *o, membuf *m, const artpack_dict *d, int mapped);
void rd_close(rd *o);

/* Bundle parameters: codec, block_size, columns, embed_dict, words; the
 * rest 0 (the defaults). */
artpack_bundle_params bundle_params(artpack_codec codec, size_t block_size, int columns, int embed,
                                    int words);

/* artpack_bundle_writer_copy_block or artpack_bundle_writer_copy_block_undecoded. */
typedef artpack_error (*copy_fn)(artpack_bundle_writer *, artpack_bundle_reader *, uint64_t);

/* A new writer of p and d refuses to copy block b of src with want, and
 * writes nothing of it. */
void expect_copy_refused(const artpack_bundle_params *p, const artpack_dict *d, copy_fn copy,
                         artpack_bundle_reader *src, uint64_t b, artpack_error want);

#endif
