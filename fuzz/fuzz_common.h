/* fuzz_common.h - helpers shared by the fuzz targets (fuzz_*.c). */
#ifndef ARTPACK_FUZZ_COMMON_H
#define ARTPACK_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artpack.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that must hold: abort() (a crash for libFuzzer) when it fails. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz: property failed: %s (%s:%d)\n", #cond,      \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The checks the fuzz targets share with the unit tests, with CHECK; a
 * trace holds as many items as a fuzz input can. */
#define SC_CHECK(cond) CHECK(cond)
#define SC_MAX_ITEMS 4096
#include "../tests/shared_checks.h"

/* Encodes a into a fresh buffer of exactly artpack_record_size() bytes (so
 * that ASan sees any write past it); returns it, *n gets its size. */
static inline unsigned char *fz_encode_exact(const artpack_article *a, size_t *n) {
    size_t size = 0, written = 0;
    unsigned char *buf;
    artpack_error e = artpack_record_size(a, &size);
    if (e != ARTPACK_OK) {
        fprintf(stderr, "fuzz: artpack_record_size: %s\n", artpack_error_name(e));
        abort();
    }
    CHECK(size >= 1 && size <= ARTPACK_MAX_FIELD_SIZE);
    buf = (unsigned char *)malloc(size);
    CHECK(buf != NULL);
    CHECK(artpack_record_encode(buf, size, a, &written) == ARTPACK_OK);
    CHECK(written == size);
    CHECK(buf[size - 1] == 0);
    *n = size;
    return buf;
}

/* JSON text holding exactly one article (as ap_json_write_article writes it)
 * -> its record. The reader must accept it. */
static inline unsigned char *fz_json_to_record(const unsigned char *json, size_t len,
                                               size_t *n) {
    ap_json_reader r;
    ap_json_article a;
    ap_json_error err;
    unsigned char *rec;
    CHECK(ap_json_reader_init(&r, (const char *)json, len) == 0);
    if (ap_json_next(&r, &a, &err) != 1) {
        fprintf(stderr, "fuzz: the JSON writer's output is refused: %zu:%zu: %s\n%.*s",
                err.line, err.column, err.text, (int)len, (const char *)json);
        abort();
    }
    rec = fz_encode_exact(&a.view, n);
    ap_json_article_free(&a);
    CHECK(ap_json_next(&r, &a, &err) == 0); /* exactly one article */
    ap_json_reader_free(&r);
    return rec;
}

/* Record -> JSON line via the decoder and ap_json_write_article, which must
 * succeed. */
static inline void fz_record_to_json(const unsigned char *rec, size_t n, ap_buf *out) {
    artpack_article v;
    char err[256];
    CHECK(artpack_record_decode(&v, rec, n, NULL) == ARTPACK_OK);
    if (ap_json_write_article(out, &v, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: ap_json_write_article: %s\n", err);
        abort();
    }
}

#endif
