/* json.h - JSON <-> article view, for the artpack tools. */
#ifndef ARTPACK_TOOLS_JSON_H
#define ARTPACK_TOOLS_JSON_H

/* The reader is a parser of its own (tools/json_in.c); jansson is no longer
 * called by it. jansson.h stays included here only for tools/artpack.c's
 * json_set_alloc_funcs() call: drop both together. */
#include <jansson.h>

#include "artpack.h"
#include "util.h"

/* Longest number text accepted (characters), and the deepest nesting (the
 * article object is depth 1, its values 2): the library's limits for an
 * extra field's canonical JSON (artpack_json_check_canonical). */
#define AP_JSON_NUMBER_MAX ARTPACK_JSON_NUMBER_MAX
#define AP_JSON_DEPTH_MAX ARTPACK_JSON_DEPTH_MAX

/* Where and why a JSON document was refused. */
typedef struct ap_json_error {
    size_t line;    /* 1-based line in the input */
    size_t column;  /* 1-based column (characters, as jansson counts) */
    size_t offset;  /* byte offset in the input */
    char text[256];
} ap_json_error;

/* Bytes read at a time by a stream. */
#define AP_JSON_CHUNK ((size_t)1 << 20)

/* Reads a stream of JSON objects: a single object (over any number of lines)
 * or JSON Lines. Each object must end its line. One reader serves both a
 * text in memory (ap_json_reader_init) and a file descriptor
 * (ap_json_stream_open, below): it holds a window of the input, bytes
 * [base, base + len), and reads more when the parser needs a byte past it.
 * The fields are private: use the functions. Offsets are in the whole input. */
typedef struct ap_json_reader {
    const char *text;     /* the window (the caller's text, or owned) */
    char *owned;          /* the window's storage when reading a descriptor */
    size_t base, len, cap;
    size_t keep;          /* the window keeps the bytes from here on */
    size_t pos;           /* next unread byte */
    size_t lines_at;      /* lines are counted up to here: */
    size_t line;          /*   its line (1-based) */
    size_t line_start;    /*   and where that line starts */
    int fd;               /* -1: the whole input is in text */
    int eof;              /* nothing follows the window */
    int fail;             /* errno of a read error or of ENOMEM; 0 = none */
    size_t chunk;         /* bytes per read() */
    /* the current document's scratch, reused by the next one */
    ap_buf sb;            /* string contents (unescaped) and number texts */
    ap_buf xb;            /* canonical JSON of the extra values */
    struct ap_json_node *nodes;    /* an extra value's tree */
    size_t nnodes, nodes_cap;
    struct ap_json_slot *keys;     /* object keys seen (duplicates) */
    size_t keys_cap, keys_used;
    unsigned long keys_gen;
    struct ap_json_item *items;    /* list items */
    size_t nitems, items_cap;
    struct ap_json_extra *extras;  /* extra pairs */
    size_t nextras, extras_cap;
    struct ap_json_member *ms;     /* members of objects being written */
    size_t nms, ms_cap;
} ap_json_reader;

/* One parsed article: its view and one block of memory that holds all the
 * view points at. It does not point into the input or the reader, and stays
 * valid until ap_json_article_free, whatever the reader does after. */
typedef struct ap_json_article {
    artpack_article view;
    void *mem;            /* the block (lists, strings, extra JSON) */
    size_t start;         /* byte offset of the object in the input */
    size_t start_line;
} ap_json_article;

/* Reads the whole input text[0..size), which must stay unchanged until
 * ap_json_reader_free. Returns 0 (it allocates nothing; -1 is kept for out
 * of memory). */
int ap_json_reader_init(ap_json_reader *r, const char *text, size_t size);
void ap_json_reader_free(ap_json_reader *r);

/* Next article: 1 = *out filled (free it with ap_json_article_free), 0 = end
 * of input, -1 = a bad document (*err says where and why; the reader then
 * skips to the line after the one where that document started), -2 = out of
 * memory (errno ENOMEM; as ap_json_stream_next: every later call returns -2).
 *
 * What is refused, and how it is told: exactly as jansson 2.14 judges JSON
 * (strict RFC 8259: UTF-8 only, no overlong forms or surrogates, escapes and
 * surrogate pairs checked, no control characters in strings, no leading
 * zeros, duplicate keys refused, nesting up to AP_JSON_DEPTH_MAX), with its
 * messages ("'}' expected near 'x'") at the last byte read, or at the bad
 * byte for invalid UTF-8 and control characters; and, from this reader: the
 * top level must be an object, nothing but white space may follow it on its
 * line, no byte order mark, numbers of at most AP_JSON_NUMBER_MAX
 * characters. Numbers keep their text; \u0000 is fine in keys and strings. */
int ap_json_next(ap_json_reader *r, ap_json_article *out, ap_json_error *err);
void ap_json_article_free(ap_json_article *a);

/* ---- streaming: the same reader over a file descriptor ----
 *
 * Gives exactly the articles, verdicts and error positions (line, column,
 * byte offset in the whole input) and messages that ap_json_reader_init +
 * ap_json_next give for the whole input, whatever the chunk size or the way
 * read() splits the input (pipes, terminals). Memory: the window holds the
 * current document's lines plus up to a chunk, and grows to at most about
 * 2 x (largest document or line + chunk); it never depends on the input's
 * size. Time is linear in the input size.
 *
 *   ap_json_stream *s;
 *   if (ap_json_stream_open(&s, fd, 0)) -> out of memory
 *   while ((got = ap_json_stream_next(s, &a, &err)) != 0) {
 *       if (got == -2) -> stop: errno (ENOMEM, or read()'s errno), err.text
 *       if (got == -1) -> bad document at err.line:err.column; continue or stop
 *       use a.view (e.g. artpack_record_encode), then ap_json_article_free(&a)
 *   }
 *   ap_json_stream_close(s);
 *
 * An article returned is independent of the stream (see ap_json_article):
 * it may be kept across later calls, and after ap_json_stream_close. */
typedef struct ap_json_stream ap_json_stream;

/* Makes *s read fd from its current position with read() (the caller keeps
 * fd open until ap_json_stream_close, and closes it). chunk: bytes per
 * read(), 0 for AP_JSON_CHUNK (1 MiB). Returns 0, or -1 out of memory
 * (*s = NULL). */
int ap_json_stream_open(ap_json_stream **s, int fd, size_t chunk);

/* As ap_json_next: 1 = article, 0 = end of input, -1 = bad document (the
 * stream goes on at the next line), and -2 = the stream cannot go on: a
 * read() error or out of memory; errno is set (ENOMEM for memory) and err
 * gives the position reached and a message; every later call returns -2.
 * Unless 1 is returned, *out holds nothing to free. */
int ap_json_stream_next(ap_json_stream *s, ap_json_article *out, ap_json_error *err);

/* Bytes of the input consumed so far: up to the end of the last document
 * returned or skipped (after the end: the input's size). */
uint64_t ap_json_stream_bytes(const ap_json_stream *s);

/* Frees the stream (NULL is fine); does not close its descriptor. */
void ap_json_stream_close(ap_json_stream *s);

/* Appends the article as one line of compact JSON (keys in schema order,
 * extra keys after, sorted). Returns 0, or -1 with a message in err (invalid
 * UTF-8 or malformed extra JSON in a decoded record, or out of memory). */
int ap_json_write_article(ap_buf *out, const artpack_article *a, char *err,
                          size_t err_size);

/* Appends s as a JSON string literal (canonical escapes). */
int ap_json_put_string(ap_buf *out, const char *s, size_t n);

#endif
