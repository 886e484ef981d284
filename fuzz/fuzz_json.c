/* fuzz_json.c - libFuzzer target: JSON text -> record -> JSON -> record
 * through the tools' reader (tools/json_in.c) and writer (tools/json_out.c).
 *
 * The input is a JSON document stream as `artpack encode` reads it (one
 * object, or JSON Lines). For every article the reader accepts (abort() when
 * a property fails):
 *  - the view encodes (artpack_record_size == what artpack_record_encode
 *    writes into a buffer of exactly that size), within
 *    artpack_record_bound() of the article's JSON text;
 *  - the record decodes, and re-encodes to the same bytes;
 *  - ap_json_write_article writes the decoded record, and the same line from
 *    the reader's own view; the reader accepts that line as one article;
 *  - the record encoded from that line is byte-identical to the first one,
 *    and writing it again gives the same line.
 * Refused documents are fine: the error must point inside the input and the
 * reader must move on. Leaks are caught by LeakSanitizer.
 *
 * Then the same input through the jansson reader the parser replaced
 * (tests/json_ref.h, ref_ap_compare): the same verdict, bytes consumed,
 * record, error position and message for every document (but the known,
 * listed differences); and through a stream (ap_json_stream over a pipe, a
 * chunk size taken from the input): the same calls as the whole text. */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "fuzz_common.h"
#include "../tests/json_ref.h"

static void check_article(ap_json_article *a, size_t json_size) {
    unsigned char *rec1, *rec_again, *rec2;
    size_t n1, n_again, n2;
    ap_buf j0 = {NULL, 0, 0}, j1 = {NULL, 0, 0}, j2 = {NULL, 0, 0};
    artpack_article v;
    char err[256];

    rec1 = fz_encode_exact(&a->view, &n1);
    CHECK(n1 <= artpack_record_bound(json_size));
    CHECK(n1 <= ARTPACK_RECORD_BOUND(json_size));

    CHECK(artpack_record_decode(&v, rec1, n1, NULL) == ARTPACK_OK);
    rec_again = fz_encode_exact(&v, &n_again);
    CHECK(n_again == n1 && memcmp(rec_again, rec1, n1) == 0);
    free(rec_again);

    /* JSON from the record, and from the reader's view: the same line */
    fz_record_to_json(rec1, n1, &j1);
    if (ap_json_write_article(&j0, &a->view, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: ap_json_write_article (reader's view): %s\n", err);
        abort();
    }
    CHECK(j0.len == j1.len && memcmp(j0.data, j1.data, j1.len) == 0);
    CHECK(j1.len >= 3 && j1.data[0] == '{' && j1.data[j1.len - 1] == '\n');
    CHECK(memchr(j1.data, '\n', j1.len) == j1.data + j1.len - 1);

    /* ... which reads back to the same record, and writes the same line */
    rec2 = fz_json_to_record(j1.data, j1.len, &n2);
    if (n2 != n1 || memcmp(rec2, rec1, n1) != 0) {
        fprintf(stderr, "fuzz: JSON round trip changed the record\nJSON out: %.*s",
                (int)j1.len, (const char *)j1.data);
        abort();
    }
    fz_record_to_json(rec2, n2, &j2);
    CHECK(j2.len == j1.len && memcmp(j2.data, j1.data, j1.len) == 0);

    free(rec1);
    free(rec2);
    ap_buf_free(&j0);
    ap_buf_free(&j1);
    ap_buf_free(&j2);
}

/* The input through a pipe, read chunk bytes at a time: every call gives
 * what the whole-text reader gives (verdict, consumed, record, error). */
static void check_stream(const uint8_t *data, size_t size, size_t chunk) {
    ap_json_reader r;
    ap_json_stream *s;
    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK(write(fds[1], data, size) == (ssize_t)size); /* fits a pipe's buffer */
    close(fds[1]);
    CHECK(ap_json_reader_init(&r, (const char *)data, size) == 0);
    CHECK(ap_json_stream_open(&s, fds[0], chunk) == 0);
    for (;;) {
        ap_json_article a, b;
        ap_json_error ea, eb;
        int ga, gb;
        memset(&ea, 0, sizeof ea);
        memset(&eb, 0, sizeof eb);
        ga = ap_json_next(&r, &a, &ea);
        gb = ap_json_stream_next(s, &b, &eb);
        CHECK(ga == gb && (uint64_t)r.pos == ap_json_stream_bytes(s));
        if (ga == 1) {
            size_t na, nb;
            unsigned char *ra = fz_encode_exact(&a.view, &na), *rb = fz_encode_exact(&b.view, &nb);
            CHECK(a.start == b.start && a.start_line == b.start_line);
            CHECK(na == nb && memcmp(ra, rb, na) == 0);
            free(ra);
            free(rb);
            ap_json_article_free(&a);
            ap_json_article_free(&b);
        } else if (ga == -1) {
            CHECK(ea.line == eb.line && ea.column == eb.column && ea.offset == eb.offset);
            CHECK(strcmp(ea.text, eb.text) == 0);
        } else {
            break;
        }
    }
    ap_json_stream_close(s);
    close(fds[0]);
    ap_json_reader_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ap_json_reader r;
    size_t articles = 0;

    if (ap_json_reader_init(&r, (const char *)data, size) != 0) return 0; /* OOM */
    for (;;) {
        ap_json_article a;
        ap_json_error err;
        size_t before = r.pos;
        int rc;
        memset(&err, 0, sizeof err);
        rc = ap_json_next(&r, &a, &err);
        CHECK(rc >= -1 && rc <= 1);
        CHECK(r.pos <= size);
        if (rc == 0) {
            size_t i;
            CHECK(a.mem == NULL);
            for (i = before; i < size; i++) /* only white space was left */
                CHECK(data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                      data[i] == '\n');
            break;
        }
        CHECK(r.pos > before); /* always makes progress */
        if (rc < 0) {
            CHECK(a.mem == NULL);
            CHECK(err.offset <= size);
            CHECK(err.line >= 1 && err.column >= 1 && err.column <= err.offset + 1);
            CHECK(memchr(err.text, '\0', sizeof err.text) != NULL && err.text[0] != '\0');
            continue;
        }
        CHECK(a.mem != NULL && a.start < r.pos);
        CHECK(data[a.start] == '{' && data[r.pos - 1] == '}');
        check_article(&a, r.pos - a.start);
        ap_json_article_free(&a);
        articles++;
    }
    ap_json_reader_free(&r);

    (void)articles;

    {
        char why[1024];
        if (ref_ap_compare((const char *)data, size, why, sizeof why, NULL, NULL) != 0) {
            fprintf(stderr, "fuzz: the reader and the reference differ: %s\n", why);
            abort();
        }
    }
    if (size > 0 && size <= 32768) check_stream(data, size, 1 + data[size - 1] % 23);
    return 0;
}
