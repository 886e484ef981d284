/* json.h - JSON <-> article view, for the artpack tools (uses jansson). */
#ifndef ARTPACK_TOOLS_JSON_H
#define ARTPACK_TOOLS_JSON_H

#include <jansson.h>

#include "artpack.h"
#include "util.h"

/* Longest number text accepted (characters). */
#define AP_JSON_NUMBER_MAX 512

/* Where and why a JSON document was refused. */
typedef struct ap_json_error {
    size_t line;    /* 1-based line in the input */
    size_t column;  /* 1-based column (characters, as jansson counts) */
    size_t offset;  /* byte offset in the input */
    char text[256];
} ap_json_error;

/* A number lexeme in the input (offset, length), in input order. */
typedef struct ap_num_span {
    size_t offset;
    size_t len;
} ap_num_span;

/* Reads a stream of JSON objects: a single object (over any number of lines)
 * or JSON Lines. Each object must end its line. */
typedef struct ap_json_reader {
    const char *text;     /* the input as given */
    char *masked;         /* a copy in which every number reads "0   " */
    size_t size;
    size_t pos;           /* next unread byte */
    size_t line;          /* line of pos */
    size_t line_start;    /* offset of the start of that line */
    ap_num_span *nums;    /* every valid number lexeme, in order */
    size_t num_count;
    size_t num_next;      /* first span at or after pos */
} ap_json_reader;

/* One parsed article: the jansson tree, its view, and what the view points at. */
typedef struct ap_json_article {
    json_t *root;
    artpack_article view;
    artpack_str *lists;   /* storage of every list's items */
    ap_buf extra_json;    /* compact JSON text of the extra values */
    size_t start;         /* byte offset of the object in the input */
    size_t start_line;
} ap_json_article;

/* Returns 0 on success, -1 out of memory. */
int ap_json_reader_init(ap_json_reader *r, const char *text, size_t size);
void ap_json_reader_free(ap_json_reader *r);

/* Next article: 1 = *out filled (free it with ap_json_article_free), 0 = end
 * of input, -1 = a bad document (*err says where and why; the reader then
 * skips to the line after the one where that document started). */
int ap_json_next(ap_json_reader *r, ap_json_article *out, ap_json_error *err);
void ap_json_article_free(ap_json_article *a);

/* Appends the article as one line of compact JSON (keys in schema order,
 * extra keys after, sorted). Returns 0, or -1 with a message in err (invalid
 * UTF-8 or malformed extra JSON in a decoded record, or out of memory). */
int ap_json_write_article(ap_buf *out, const artpack_article *a, char *err,
                          size_t err_size);

/* Appends s as a JSON string literal (canonical escapes). */
int ap_json_put_string(ap_buf *out, const char *s, size_t n);

/* 1 if text[0..n) is one JSON value written exactly as the encoder writes
 * it (compact, object keys sorted, canonical escapes, numbers of at most
 * AP_JSON_NUMBER_MAX characters, no duplicate keys, no NUL in keys). */
int ap_json_fragment_canonical(const char *text, size_t n);

#endif
