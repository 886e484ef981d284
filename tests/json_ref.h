/* json_ref.h - the JSON reader as it was before tools/json_in.c got a parser
 * of its own: jansson parses and checks each document (numbers masked so
 * that their texts survive, \u0000 in keys through a stand-in), whole text
 * only. Kept, unchanged but for its names (ref_ap_...), as the reference
 * that tests/test_json.c and fuzz/fuzz_json.c compare the reader with: the
 * same verdict, the same article record, the same error position and
 * message (see ref_ap_same_error for the known, deliberate differences).
 * Test code only: it is not part of the artpack tools. */
#ifndef ARTPACK_TESTS_JSON_REF_H
#define ARTPACK_TESTS_JSON_REF_H

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

/* A span of the input (offset in the whole input, length): a number lexeme,
 * or a \u0000 escape in a string. */
typedef struct ref_ap_num_span {
    size_t offset;
    size_t len;
} ref_ap_num_span;

/* Spans in input order; next: the first one at or after the reader's pos. */
typedef struct ref_ap_span_list {
    ref_ap_num_span *v;
    size_t count, cap, next;
} ref_ap_span_list;


/* Reads a stream of JSON objects: a single object (over any number of lines)
 * or JSON Lines. Each object must end its line. One reader serves both a
 * text in memory (ref_ap_json_reader_init) and a file descriptor
 * (ref_ap_json_stream_open, below): it holds a window of the input, bytes
 * [base, base + len), and only complete lines of it are handed to the parser.
 * The fields are private: use the functions. Offsets are in the whole input. */
typedef struct ref_ap_json_reader {
    const char *text;     /* the window (the caller's text, or owned) */
    char *owned;          /* the window's storage when reading a descriptor */
    size_t base, len, cap;
    size_t ready;         /* lines before this offset are complete and scanned */
    size_t scanned;       /* no line break in [ready, scanned) */
    size_t pos;           /* next unread byte */
    size_t line;          /* line of pos (1-based) */
    size_t column;        /* characters from the start of that line to pos */
    ref_ap_span_list nums;    /* every valid number lexeme before ready, in order */
    ref_ap_span_list nuls;    /* every \u0000 escape in a string before ready */
    size_t feed;          /* next byte handed to jansson */
    size_t feed_num, feed_nul;
    int nul_sub;          /* 0, or the code point that stands in for U+0000 */
    int fd;               /* -1: the whole input is in text */
    int eof;              /* nothing follows the window */
    int fail;             /* errno of a read error or of ENOMEM; 0 = none */
    size_t chunk;         /* bytes per read(); lines scanned per batch */
} ref_ap_json_reader;

/* One parsed article: the jansson tree, its view, and what the view points at.
 * It owns all of that: it does not point into the input or the reader, and
 * stays valid until ref_ap_json_article_free, whatever the reader does after. */
typedef struct ref_ap_json_article {
    json_t *root;
    artpack_article view;
    artpack_str *lists;   /* storage of every list's items */
    ap_buf extra_json;    /* compact JSON text of the extra values */
    size_t start;         /* byte offset of the object in the input */
    size_t start_line;
} ref_ap_json_article;

static inline void ref_ap_json_reader_free(ref_ap_json_reader *r);

#define REF_AP_JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL)

static inline int ref_ap_is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int ref_ap_is_alnum(char c) {
    return ref_ap_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static inline int ref_ap_is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The window's byte at input offset off (base <= off < base + len). */
static const char *ref_ap_at(const ref_ap_json_reader *r, size_t off) { return r->text + (off - r->base); }

/* Length of the JSON number at s[0..n) if the whole run is one, else 0. */
static inline size_t ref_ap_number_lexeme(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && ref_ap_is_digit(s[i])) while (i < n && ref_ap_is_digit(s[i])) i++;
    else return 0;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && ref_ap_is_digit(s[i])) i++;
        if (i == start) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t start;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        start = i;
        while (i < n && ref_ap_is_digit(s[i])) i++;
        if (i == start) return 0;
    }
    return i == n ? n : 0;
}

/* ---- spans ---- */

static inline int ref_ap_span_push(ref_ap_span_list *l, size_t offset, size_t len) {
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        ref_ap_num_span *p = (ref_ap_num_span *)ap_realloc(l->v, ncap * sizeof *p);
        if (p == NULL) return -1;
        l->v = p;
        l->cap = ncap;
    }
    l->v[l->count].offset = offset;
    l->v[l->count].len = len;
    l->count++;
    return 0;
}

/* Moves next to the first span at or after pos, and forgets the spans
 * before it once they are half of the list (amortised linear). */
static inline void ref_ap_span_forget(ref_ap_span_list *l, size_t pos) {
    while (l->next < l->count && l->v[l->next].offset < pos) l->next++;
    if (l->next > 0 && l->next >= l->count / 2) {
        memmove(l->v, l->v + l->next, (l->count - l->next) * sizeof *l->v);
        l->count -= l->next;
        l->next = 0;
    }
}

/* Writes what jansson is to read instead of the spans of l that overlap
 * [from, to), into out (the bytes of [from, to)): rep(span, i) for each byte
 * i of a span. *k: the first span that does not end before from. */
static inline void ref_ap_span_overlay(const ref_ap_span_list *l, size_t *k, size_t from, size_t to, char *out,
                            const char *rep) {
    while (*k < l->count && l->v[*k].offset < to) {
        const ref_ap_num_span *s = &l->v[*k];
        size_t end = s->offset + s->len, a = s->offset > from ? s->offset : from;
        size_t b = end < to ? end : to;
        for (; a < b; a++) out[a - from] = rep ? rep[a - s->offset] : a == s->offset ? '0' : ' ';
        if (end > to) break; /* goes on in the next piece */
        (*k)++;
    }
}

/* Scans the complete lines [from, to) of the window (from starts a line):
 * records every number lexeme outside strings, and every \u0000 escape in a
 * string. A line break ends a string (a valid string never holds one), so
 * damage on one line cannot shift what later lines mean, and each line is
 * scanned alone. */
static inline int ref_ap_scan_lines(ref_ap_json_reader *r, size_t from, size_t to) {
    const char *text = ref_ap_at(r, from);
    size_t i = 0, size = to - from;
    int in_str = 0;
    while (i < size) {
        char c = text[i];
        if (in_str) {
            if (c == '\\' && i + 1 < size && text[i + 1] != '\n') {
                if (i + 6 <= size && memcmp(text + i + 1, "u0000", 5) == 0 &&
                    ref_ap_span_push(&r->nuls, from + i, 6))
                    return -1;
                i++;
            } else if (c == '"' || c == '\n') {
                in_str = 0;
            }
            i++;
        } else if (c == '"') {
            in_str = 1;
            i++;
        } else if (c == '-' || ref_ap_is_digit(c)) {
            size_t j = i;
            while (j < size && (ref_ap_is_digit(text[j]) || text[j] == '-' || text[j] == '+' ||
                                text[j] == '.' || text[j] == 'e' || text[j] == 'E'))
                j++;
            if (ref_ap_number_lexeme(text + i, j - i) != 0 && ref_ap_span_push(&r->nums, from + i, j - i))
                return -1;
            i = j;
        } else if (ref_ap_is_alnum(c)) {
            while (i < size && ref_ap_is_alnum(text[i])) i++; /* true, null, junk */
        } else {
            i++;
        }
    }
    return 0;
}

/* ---- the window ---- */

/* Reads up to a chunk more input into the window, first dropping the bytes
 * before pos or growing it when less than a chunk is free: after either, at
 * least the kept bytes plus a chunk are free, so the bytes moved are paid
 * for by as many bytes read since. Returns 0 (at the end: r->eof) or -1 with
 * r->fail set. */
static inline int ref_ap_read_more(ref_ap_json_reader *r) {
    ssize_t n;
    if (r->cap - r->len < r->chunk) {
        size_t dead = r->pos - r->base;
        if (dead > 0) {
            memmove(r->owned, r->owned + dead, r->len - dead);
            r->base += dead;
            r->len -= dead;
        }
        if (r->cap - r->len < r->chunk + r->len) {
            size_t ncap = 2 * (r->len + r->chunk);
            char *p = r->len <= SIZE_MAX / 4 ? (char *)ap_realloc(r->owned, ncap) : NULL;
            if (p == NULL) {
                r->fail = ENOMEM;
                return -1;
            }
            r->owned = p;
            r->cap = ncap;
        }
        r->text = r->owned;
    }
    do
        n = read(r->fd, r->owned + r->len, r->chunk);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        r->fail = errno ? errno : EIO;
        return -1;
    }
    if (n == 0) r->eof = 1;
    r->len += (size_t)n;
    return 0;
}

/* Makes at least one more line ready (complete and scanned), reading input
 * when the window holds no complete line past ready; scans up to a chunk of
 * lines at a time. Returns 1, 0 at the end of the input, or -1 (r->fail). */
static inline int ref_ap_more_lines(ref_ap_json_reader *r) {
    for (;;) {
        size_t end = r->base + r->len;
        if (r->fail) return -1;
        if (r->ready < end) {
            size_t from = r->scanned > r->ready ? r->scanned : r->ready, stop;
            const char *nl = (const char *)memchr(ref_ap_at(r, from), '\n', end - from);
            if (nl != NULL || r->eof) {
                stop = nl ? from + (size_t)(nl - ref_ap_at(r, from)) + 1 : end;
                while (nl != NULL && stop < end && stop - r->ready < r->chunk) {
                    nl = (const char *)memchr(ref_ap_at(r, stop), '\n', end - stop);
                    if (nl != NULL) stop += (size_t)(nl - ref_ap_at(r, stop)) + 1;
                    else if (r->eof) stop = end;
                    else r->scanned = end;
                }
                if (ref_ap_scan_lines(r, r->ready, stop)) {
                    r->fail = ENOMEM;
                    return -1;
                }
                r->ready = stop;
                return 1;
            }
            r->scanned = end;
        } else if (r->eof) {
            return 0;
        }
        if (ref_ap_read_more(r)) return -1;
    }
}

static inline int ref_ap_json_reader_init(ref_ap_json_reader *r, const char *text, size_t size) {
    memset(r, 0, sizeof *r);
    r->text = size ? text : "";
    r->len = r->cap = size;
    r->line = 1;
    r->fd = -1;
    r->eof = 1;
    r->chunk = AP_JSON_CHUNK;
    /* all at once: out of memory is told here, never by ref_ap_json_next */
    if (ref_ap_scan_lines(r, 0, size)) {
        ref_ap_json_reader_free(r);
        return -1;
    }
    r->ready = r->scanned = size;
    return 0;
}

static inline void ref_ap_json_reader_free(ref_ap_json_reader *r) {
    free(r->owned);
    free(r->nums.v);
    free(r->nuls.v);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

/* Moves pos to target (<= ready), counting lines and characters. */
static inline void ref_ap_advance(ref_ap_json_reader *r, size_t target) {
    const char *p = ref_ap_at(r, r->pos);
    size_t n = target - r->pos, i;
    for (i = 0; i < n; i++) {
        if (p[i] == '\n') {
            r->line++;
            r->column = 0;
        } else if (((unsigned char)p[i] & 0xC0) != 0x80) {
            r->column++;
        }
    }
    r->pos = target;
}

/* Where offset (pos <= offset <= ready) is: line, and column in characters
 * (bytes that do not continue a UTF-8 sequence) as jansson counts. */
static inline void ref_ap_set_error(const ref_ap_json_reader *r, size_t offset, ap_json_error *err,
                         const char *fmt, const char *detail) {
    size_t i, line = r->line, column = r->column + 1, to = offset < r->ready ? offset : r->ready;
    for (i = r->pos; i < to; i++) {
        unsigned char c = (unsigned char)*ref_ap_at(r, i);
        if (c == '\n') {
            line++;
            column = 1;
        } else if ((c & 0xC0) != 0x80) {
            column++;
        }
    }
    err->offset = offset;
    err->line = line;
    err->column = column;
    snprintf(err->text, sizeof err->text, fmt, detail);
}

/* The stream cannot go on: -2, errno set, err at pos. */
static inline int ref_ap_fail(const ref_ap_json_reader *r, ap_json_error *err) {
    ref_ap_set_error(r, r->pos, err, r->fail == ENOMEM ? "%s" : "read error: %s",
                 r->fail == ENOMEM ? "out of memory" : strerror(r->fail));
    errno = r->fail;
    return -2;
}

static inline void ref_ap_skip_line(ref_ap_json_reader *r, size_t from) {
    const char *nl = (const char *)memchr(ref_ap_at(r, from), '\n', r->ready - from);
    ref_ap_advance(r, nl ? from + (size_t)(nl - ref_ap_at(r, from)) + 1 : r->ready);
}

/* ---- feeding jansson ---- */

/* json_load_callback's source: the window from r->feed on, masked. */
static inline size_t ref_ap_feed(void *buffer, size_t buflen, void *data) {
    ref_ap_json_reader *r = (ref_ap_json_reader *)data;
    char *out = (char *)buffer;
    size_t n;
    if (r->feed >= r->ready && ref_ap_more_lines(r) <= 0) return 0; /* end, or r->fail */
    n = r->ready - r->feed < buflen ? r->ready - r->feed : buflen;
    memcpy(out, ref_ap_at(r, r->feed), n);
    ref_ap_span_overlay(&r->nums, &r->feed_num, r->feed, r->feed + n, out, NULL);
    if (r->nul_sub) {
        char rep[6] = {'\\', 'u', '0', '0', 0, 0};
        rep[4] = "0123456789ABCDEF"[r->nul_sub >> 4];
        rep[5] = "0123456789ABCDEF"[r->nul_sub & 15]; /* as jansson's messages spell it */
        ref_ap_span_overlay(&r->nuls, &r->feed_nul, r->feed, r->feed + n, out, rep);
    }
    r->feed += n;
    return n;
}

static inline json_t *ref_ap_load_once(ref_ap_json_reader *r, size_t start, size_t flags, int nul_sub,
                            json_error_t *jerr) {
    r->feed = start;
    r->feed_num = r->nums.next;
    r->feed_nul = r->nuls.next;
    r->nul_sub = nul_sub;
    return json_load_callback(ref_ap_feed, r, flags, jerr);
}

/* Stand-ins for U+0000: the control characters that only an escape \u00XY
 * can write (not \b, \t, \n, \f or \r; a raw one is refused anyway). */
static const int ref_ap_nul_subs[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11,
                                  0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x0B,
                                  0x0E, 0x0F, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F};

static inline int ref_ap_hex(char c) {
    return ref_ap_is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Bit c set for every \u00XY in [from, to) that writes a code point c < 32. */
static inline unsigned long ref_ap_escapes_in(const ref_ap_json_reader *r, size_t from, size_t to) {
    unsigned long seen = 0;
    const char *p = ref_ap_at(r, from);
    size_t i, n = to - from;
    for (i = 0; i + 6 <= n; i++)
        if (p[i] == '\\' && p[i + 1] == 'u' && p[i + 2] == '0' && p[i + 3] == '0' &&
            (p[i + 4] == '0' || p[i + 4] == '1') && ref_ap_hex(p[i + 5]) >= 0)
            seen |= 1ul << ((p[i + 4] - '0') * 16 + ref_ap_hex(p[i + 5]));
    return seen;
}

/* The stand-in's escape back to \u0000 in jansson's message. */
static inline void ref_ap_unsub_text(char *text, int c) {
    char esc[7];
    char *p = text;
    snprintf(esc, sizeof esc, "\\u%04X", (unsigned)c);
    while ((p = strstr(p, esc)) != NULL) {
        memcpy(p, "\\u0000", 6);
        p += 6;
    }
}

/* v with every byte c of its strings and keys turned into NUL: v itself, or
 * a new object in its place (with the same members, in the same order); NULL
 * when out of memory. */
static inline json_t *ref_ap_unsub(json_t *v, char c) {
    if (json_is_string(v)) {
        size_t n = json_string_length(v), i;
        char *s;
        int rc;
        if (n == 0 || memchr(json_string_value(v), c, n) == NULL) return v;
        if ((s = (char *)ap_malloc(n)) == NULL) return NULL;
        memcpy(s, json_string_value(v), n);
        for (i = 0; i < n; i++)
            if (s[i] == c) s[i] = '\0';
        rc = json_string_setn_nocheck(v, s, n);
        free(s);
        return rc == 0 ? v : NULL;
    } else if (json_is_array(v)) {
        size_t i;
        for (i = 0; i < json_array_size(v); i++) {
            json_t *x = json_array_get(v, i), *y = ref_ap_unsub(x, c);
            if (y == NULL || (y != x && json_array_set_new(v, i, y))) return NULL;
        }
    } else if (json_is_object(v)) {
        void *it;
        const char *k;
        size_t kl;
        json_t *x, *copy;
        int keys = 0;
        for (it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it)) {
            json_t *y;
            x = json_object_iter_value(it);
            if ((y = ref_ap_unsub(x, c)) == NULL || (y != x && json_object_iter_set_new(v, it, y)))
                return NULL;
            if (memchr(json_object_iter_key(it), c, json_object_iter_key_len(it))) keys = 1;
        }
        if (!keys) return v;
        if ((copy = json_object()) == NULL) return NULL;
        json_object_keylen_foreach(v, k, kl, x) {
            char *key = (char *)ap_malloc(kl);
            size_t i;
            int rc;
            if (key == NULL) {
                json_decref(copy);
                return NULL;
            }
            memcpy(key, k, kl);
            for (i = 0; i < kl; i++)
                if (key[i] == c) key[i] = '\0';
            rc = json_object_setn_nocheck(copy, key, kl, x);
            free(key);
            if (rc) {
                json_decref(copy);
                return NULL;
            }
        }
        return copy;
    }
    return v;
}

/* End of what jansson read of the document at start (plus a margin). */
static inline size_t ref_ap_read_end(const ref_ap_json_reader *r, size_t start, const json_error_t *jerr) {
    size_t end = start + (jerr->position > 0 ? (size_t)jerr->position : 0) + 6;
    return end < r->feed ? end : r->feed;
}

/* Parses the document at start (pos <= start < ready). */
static inline json_t *ref_ap_load(ref_ap_json_reader *r, size_t start, size_t flags, json_error_t *jerr) {
    json_error_t first;
    unsigned long seen;
    size_t i;
    json_t *root = ref_ap_load_once(r, start, flags, 0, jerr);
    if (root != NULL || r->fail || json_error_code(jerr) != json_error_null_byte_in_key)
        return root;
    first = *jerr;
    seen = ref_ap_escapes_in(r, start, ref_ap_read_end(r, start, jerr));
    for (i = 0; i < sizeof ref_ap_nul_subs / sizeof ref_ap_nul_subs[0]; i++) {
        int c = ref_ap_nul_subs[i];
        json_t *back;
        if (seen & (1ul << c)) continue;
        root = ref_ap_load_once(r, start, flags, c, jerr);
        if (r->fail) return root;
        seen |= ref_ap_escapes_in(r, start, ref_ap_read_end(r, start, jerr));
        if (seen & (1ul << c)) { /* it occurs after all: take another one */
            if (root != NULL) json_decref(root);
            continue;
        }
        if (root == NULL) {
            ref_ap_unsub_text(jerr->text, c);
            return NULL;
        }
        back = ref_ap_unsub(root, (char)c);
        if (back != root) json_decref(root);
        if (back == NULL) {
            jerr->line = jerr->column = -1;
            jerr->position = 0;
            snprintf(jerr->text, sizeof jerr->text, "out of memory");
        }
        return back;
    }
    *jerr = first; /* every stand-in occurs in the document: refused as before */
    return NULL;
}

/* ---- number texts: jansson node -> lexeme ---- */

typedef struct ref_ap_num_ref {
    const json_t *node;
    const char *text; /* the lexeme (NULL: not matched yet) */
    size_t len;
} ref_ap_num_ref;

typedef struct ref_ap_num_map {
    ref_ap_num_ref *refs;
    size_t count, cap;
} ref_ap_num_map;

static inline int ref_ap_collect_numbers(const json_t *v, ref_ap_num_map *m) {
    if (json_is_number(v)) {
        if (m->count == m->cap) {
            size_t ncap = m->cap ? m->cap * 2 : 16;
            ref_ap_num_ref *p = (ref_ap_num_ref *)ap_realloc(m->refs, ncap * sizeof *p);
            if (p == NULL) return -1;
            m->refs = p;
            m->cap = ncap;
        }
        m->refs[m->count].node = v;
        m->refs[m->count].text = NULL;
        m->refs[m->count].len = 0;
        m->count++;
    } else if (json_is_array(v)) {
        size_t i;
        for (i = 0; i < json_array_size(v); i++)
            if (ref_ap_collect_numbers(json_array_get(v, i), m)) return -1;
    } else if (json_is_object(v)) {
        void *it;
        for (it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it))
            if (ref_ap_collect_numbers(json_object_iter_value(it), m)) return -1;
    }
    return 0;
}

static inline int ref_ap_ref_cmp(const void *a, const void *b) {
    const json_t *x = ((const ref_ap_num_ref *)a)->node, *y = ((const ref_ap_num_ref *)b)->node;
    return x < y ? -1 : x > y;
}

static const ref_ap_num_ref *ref_ap_num_lookup(const ref_ap_num_map *m, const json_t *node) {
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->refs[mid].node == node) return &m->refs[mid];
        if (m->refs[mid].node < node) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* ---- canonical compact JSON of a value (extra fields) ---- */

typedef struct ref_ap_kv {
    const char *key;
    size_t len;
    json_t *value;
} ref_ap_kv;

static inline int ref_ap_kv_cmp(const void *a, const void *b) {
    const ref_ap_kv *x = (const ref_ap_kv *)a, *y = (const ref_ap_kv *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static inline int ref_ap_put_value(ap_buf *out, const json_t *v, const ref_ap_num_map *m) {
    switch (json_typeof(v)) {
    case JSON_NULL: return ap_buf_puts(out, "null");
    case JSON_TRUE: return ap_buf_puts(out, "true");
    case JSON_FALSE: return ap_buf_puts(out, "false");
    case JSON_STRING: return ap_json_put_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
    case JSON_REAL: {
        const ref_ap_num_ref *s = ref_ap_num_lookup(m, v);
        return s && s->text ? ap_buf_put(out, s->text, s->len) : -1;
    }
    case JSON_ARRAY: {
        size_t i;
        if (ap_buf_putc(out, '[')) return -1;
        for (i = 0; i < json_array_size(v); i++) {
            if (i && ap_buf_putc(out, ',')) return -1;
            if (ref_ap_put_value(out, json_array_get(v, i), m)) return -1;
        }
        return ap_buf_putc(out, ']');
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        ref_ap_kv *kv = (ref_ap_kv *)ap_malloc(n * sizeof *kv);
        const char *k;
        size_t kl;
        json_t *x;
        int rc = 0;
        if (kv == NULL) return -1;
        json_object_keylen_foreach((json_t *)v, k, kl, x) {
            kv[i].key = k;
            kv[i].len = kl;
            kv[i].value = x;
            i++;
        }
        qsort(kv, n, sizeof *kv, ref_ap_kv_cmp); /* canonical: sorted keys */
        rc = ap_buf_putc(out, '{');
        for (i = 0; i < n && rc == 0; i++) {
            if (i) rc = ap_buf_putc(out, ',');
            if (!rc) rc = ap_json_put_string(out, kv[i].key, kv[i].len);
            if (!rc) rc = ap_buf_putc(out, ':');
            if (!rc) rc = ref_ap_put_value(out, kv[i].value, m);
        }
        if (!rc) rc = ap_buf_putc(out, '}');
        free(kv);
        return rc;
    }
    }
    return -1;
}

/* ---- article building ---- */

static inline int ref_ap_list_of_strings(const json_t *v) {
    size_t i;
    if (!json_is_array(v)) return 0;
    for (i = 0; i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i))) return 0;
    return 1;
}

static inline artpack_str ref_ap_str_of(const json_t *v) {
    artpack_str s;
    s.ptr = json_string_value(v);
    s.len = json_string_length(v);
    return s;
}

/* Fills a->view from a->root. Returns 0 or -1 (out of memory). */
static inline int ref_ap_build_view(ref_ap_json_article *a, const ref_ap_num_map *m) {
    artpack_article *view = &a->view;
    size_t nitems = 0, nextra = 0, used = 0, i;
    const char *k;
    size_t kl;
    json_t *v;
    ref_ap_kv *extra;
    size_t *extra_end;
    int rc = -1;

    artpack_article_init(view);
    /* count list items and extra pairs first: one allocation for all */
    json_object_keylen_foreach(a->root, k, kl, v) {
        const artpack_field_info *f = artpack_schema_find(k, kl);
        if (f && f->kind == ARTPACK_KIND_LIST && ref_ap_list_of_strings(v))
            nitems += json_array_size(v);
        else if (!(f && f->kind != ARTPACK_KIND_LIST && json_is_string(v)))
            nextra++;
    }
    a->lists = (artpack_str *)ap_malloc((nitems + 2 * nextra) * sizeof *a->lists);
    extra = (ref_ap_kv *)ap_malloc(nextra * sizeof *extra);
    extra_end = (size_t *)ap_malloc(nextra * sizeof *extra_end);
    if (a->lists == NULL || extra == NULL || extra_end == NULL) goto done;

    nextra = 0;
    json_object_keylen_foreach(a->root, k, kl, v) {
        const artpack_field_info *f = artpack_schema_find(k, kl);
        void *member = f ? (char *)view + f->offset : NULL;
        if (f && f->kind == ARTPACK_KIND_LIST && ref_ap_list_of_strings(v)) {
            artpack_list *l = (artpack_list *)member;
            l->present = 1;
            l->items = a->lists + used;
            l->count = json_array_size(v);
            for (i = 0; i < l->count; i++) a->lists[used++] = ref_ap_str_of(json_array_get(v, i));
        } else if (f && f->kind == ARTPACK_KIND_STRING && json_is_string(v)) {
            *(artpack_str *)member = ref_ap_str_of(v);
        } else if (f && f->kind == ARTPACK_KIND_DATE && json_is_string(v)) {
            artpack_date_parse((artpack_date *)member, json_string_value(v), json_string_length(v));
        } else if (f && f->kind == ARTPACK_KIND_TIMESTAMP && json_is_string(v)) {
            artpack_timestamp_parse((artpack_timestamp *)member, json_string_value(v),
                                    json_string_length(v));
        } else {
            extra[nextra].key = k;
            extra[nextra].len = kl;
            extra[nextra].value = v;
            nextra++;
        }
    }
    qsort(extra, nextra, sizeof *extra, ref_ap_kv_cmp);
    for (i = 0; i < nextra; i++) {
        if (ref_ap_put_value(&a->extra_json, extra[i].value, m)) goto done;
        extra_end[i] = a->extra_json.len;
    }
    /* the buffer may have moved while growing: point into it only now */
    for (i = 0; i < nextra; i++) {
        size_t start = i ? extra_end[i - 1] : 0;
        a->lists[used].ptr = extra[i].key;
        a->lists[used++].len = extra[i].len;
        a->lists[used].ptr = (const char *)a->extra_json.data + start;
        a->lists[used++].len = extra_end[i] - start;
    }
    if (nextra) {
        view->extra.present = 1;
        view->extra.items = a->lists + used - 2 * nextra;
        view->extra.count = 2 * nextra;
    }
    rc = 0;
done:
    free(extra);
    free(extra_end);
    return rc;
}

static inline void ref_ap_json_article_free(ref_ap_json_article *a) {
    if (a->root) json_decref(a->root);
    free(a->lists);
    ap_buf_free(&a->extra_json);
    memset(a, 0, sizeof *a);
}

static inline int ref_ap_json_next(ref_ap_json_reader *r, ref_ap_json_article *out, ap_json_error *err) {
    json_error_t jerr;
    size_t start, end, i, first_num;
    ref_ap_num_map map = {NULL, 0, 0};
    json_t *root;

    memset(out, 0, sizeof *out);
    if (r->fail) return ref_ap_fail(r, err);
    for (;;) {
        int more;
        while (r->pos < r->ready && ref_ap_is_space(*ref_ap_at(r, r->pos))) ref_ap_advance(r, r->pos + 1);
        if (r->pos < r->ready) break;
        more = ref_ap_more_lines(r);
        if (more < 0) return ref_ap_fail(r, err);
        if (more == 0) return 0;
    }
    start = r->pos;
    out->start = start;
    out->start_line = r->line;
    ref_ap_span_forget(&r->nums, start);
    ref_ap_span_forget(&r->nuls, start);

    /* the line is complete: its first 3 bytes, if it has them, are ready */
    if (r->ready - start >= 3 && memcmp(ref_ap_at(r, start), "\xEF\xBB\xBF", 3) == 0) {
        ref_ap_set_error(r, start, err, "%s", "byte order mark (U+FEFF): JSON text must not start with one");
        ref_ap_skip_line(r, start);
        return -1;
    }
    root = ref_ap_load(r, start, REF_AP_JSON_FLAGS, &jerr);
    if (r->fail) {
        if (root != NULL) json_decref(root);
        return ref_ap_fail(r, err);
    }
    if (root == NULL) {
        /* jansson's line and column count from the start of this document;
         * for a byte that is not UTF-8 it names the character before it, so
         * point at the byte itself (the last one jansson read) */
        int utf8 = strncmp(jerr.text, "unable to decode byte", 21) == 0;
        int at_byte = utf8 || strncmp(jerr.text, "control character", 17) == 0 ||
                      strncmp(jerr.text, "unexpected newline", 18) == 0;
        size_t at = start + (jerr.position > 0 ? (size_t)jerr.position - 1 : 0);
        if (at_byte) at++;
        if (at > r->ready) at = r->ready;
        ref_ap_set_error(r, at_byte ? at : start, err, utf8 ? "invalid UTF-8: %s" : "%s",
                     ap_alloc_failed() ? "out of memory" : jerr.text);
        if (!at_byte && jerr.line >= 1 && jerr.column >= 1) {
            err->column = jerr.line == 1 ? err->column - 1 + (size_t)jerr.column
                                         : (size_t)jerr.column;
            err->line += (size_t)jerr.line - 1;
        }
        err->offset = at;
        ref_ap_skip_line(r, start);
        return -1;
    }
    end = start + (size_t)jerr.position;
    if (ap_alloc_failed()) {
        /* jansson 2.14 can drop characters of a string when its buffer
         * cannot grow and still succeed: never trust a parse after a failed
         * allocation */
        json_decref(root);
        ref_ap_set_error(r, start, err, "%s", "out of memory");
        ref_ap_skip_line(r, start);
        return -1;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        ref_ap_set_error(r, start, err, "%s",
                     "top-level value is an array; each article must be a JSON object");
        ref_ap_skip_line(r, start);
        return -1;
    }
    /* the object's last line is ready, up to its line break or the end */
    for (i = end; i < r->ready && *ref_ap_at(r, i) != '\n'; i++) {
        char c = *ref_ap_at(r, i);
        if (c != ' ' && c != '\t' && c != '\r') {
            json_decref(root);
            ref_ap_set_error(r, i, err, "%s",
                         "unexpected data after the object (one object per line)");
            ref_ap_skip_line(r, start);
            return -1;
        }
    }
    /* numbers: the spans inside [start, end) belong to this object, in order */
    first_num = r->nums.next;
    out->root = root;
    if (ref_ap_collect_numbers(root, &map)) goto oom;
    for (i = 0; i < map.count; i++) {
        const ref_ap_num_span *s = first_num + i < r->nums.count ? &r->nums.v[first_num + i] : NULL;
        if (s == NULL || s->offset >= end) {
            ref_ap_set_error(r, start, err, "%s", "internal error: number texts out of step");
            goto fail;
        }
        if (s->len > AP_JSON_NUMBER_MAX) {
            char detail[64];
            snprintf(detail, sizeof detail, "%zu characters; the limit is %d", s->len,
                     AP_JSON_NUMBER_MAX);
            ref_ap_set_error(r, s->offset, err, "number too long (%s)", detail);
            goto fail;
        }
        map.refs[i].text = ref_ap_at(r, s->offset);
        map.refs[i].len = s->len;
    }
    if (map.count) qsort(map.refs, map.count, sizeof *map.refs, ref_ap_ref_cmp);
    if (ref_ap_build_view(out, &map)) goto oom;
    free(map.refs);
    r->nums.next = first_num + map.count;
    ref_ap_advance(r, end);
    return 1;
oom:
    ref_ap_set_error(r, start, err, "%s", "out of memory");
fail:
    free(map.refs);
    ref_ap_json_article_free(out);
    ref_ap_skip_line(r, start);
    return -1;
}

static inline int ref_ap_json_fragment_canonical(const char *text, size_t n) {
    ref_ap_json_reader r;
    json_error_t jerr;
    json_t *v = NULL;
    ref_ap_num_map map = {NULL, 0, 0};
    ap_buf out = {NULL, 0, 0};
    size_t i;
    int ok = 0;
    if (ref_ap_json_reader_init(&r, text, n)) return 0;
    for (i = 0; i < r.nums.count; i++)
        if (r.nums.v[i].len > AP_JSON_NUMBER_MAX) goto done;
    v = ref_ap_load(&r, 0, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (v == NULL || ref_ap_collect_numbers(v, &map) || map.count != r.nums.count) goto done;
    for (i = 0; i < map.count; i++) {
        map.refs[i].text = text + r.nums.v[i].offset;
        map.refs[i].len = r.nums.v[i].len;
    }
    if (map.count) qsort(map.refs, map.count, sizeof *map.refs, ref_ap_ref_cmp);
    /* the text must be exactly what the encoder writes for this value */
    ok = ref_ap_put_value(&out, v, &map) == 0 && out.len == n &&
         (n == 0 || memcmp(out.data, text, n) == 0);
done:
    if (v) json_decref(v);
    free(map.refs);
    ap_buf_free(&out);
    ref_ap_json_reader_free(&r);
    return ok;
}


/* ---- the reader against the reference ---- */

/* The record of a view (malloc'ed, *n bytes), or NULL if it does not encode. */
static inline unsigned char *ref_ap_record(const artpack_article *v, size_t *n) {
    size_t size = 0, written = 0;
    unsigned char *rec;
    *n = 0;
    if (artpack_record_size(v, &size) != ARTPACK_OK) return NULL;
    rec = (unsigned char *)malloc(size ? size : 1);
    if (rec == NULL) return NULL;
    if (artpack_record_encode(rec, size, v, &written) != ARTPACK_OK || written != size) {
        free(rec);
        return NULL;
    }
    *n = size;
    return rec;
}

/* 1 if the reader's error b is what the reference's error a says, or one of
 * the deliberate differences:
 *  - the reference masked every valid number as "0" before jansson saw it,
 *    so when that number is the token an error names, it said "near '0'"
 *    (at its first character; or "near '11.0'" for "null11.5", whose "5"
 *    alone it took for a number); the reader names the number as written (or,
 *    as jansson does for a token over 20 bytes, nothing), at its end, or
 *    the byte after it when that one is not UTF-8 (jansson reads it with
 *    the number, and then names the number);
 *  - jansson turned numbers into C numbers, and refused ones that overflow
 *    ("too big integer", "real number overflow") when they were not masked
 *    (in a run of number characters that is not one number, e.g. 1e999.5):
 *    the reader keeps every number's text, and tells the error that follows;
 *  - the last stand-in for \u0000 in a key (NUL byte in object key): the
 *    reader has none, and judges the document as any other;
 *  - a document whose first byte is not UTF-8: the reference named the byte
 *    after it (jansson's position 0 taken as 1), the reader names that byte.
 * (And see ref_ap_compare for NUL bytes.) */
static inline int ref_ap_same_error(const ap_json_error *a, const ap_json_error *b) {
    size_t n = strlen(a->text), m = strlen(b->text);
    const char *near;
    if (a->line == b->line && a->column == b->column && a->offset == b->offset &&
        strcmp(a->text, b->text) == 0)
        return 1;
    if (strstr(a->text, "too big integer") || strstr(a->text, "too big negative integer") ||
        strstr(a->text, "real number overflow") || strstr(a->text, "NUL byte in object key"))
        return 1;
    if (strncmp(a->text, "invalid UTF-8", 13) == 0 && strcmp(a->text, b->text) == 0 &&
        a->line == b->line && a->offset == b->offset + 1 &&
        (a->column == b->column + 1 || a->column == b->column))
        return 1;
    near = strstr(a->text, " near '");
    if (near && a->text[n - 1] == '\'' && a->line == b->line) {
        const char *c = near + 7, *e = a->text + n - 1;
        int zero = 0;
        while (c < e && strchr("0123456789+-.eE", *c) != NULL) zero |= *c++ == '0';
        if (c == e && zero) return 1;
    }
    if (strncmp(a->text, "invalid UTF-8", 13) == 0 && strstr(a->text, " near ") == NULL &&
        m > n && strncmp(a->text, b->text, n) == 0 && strncmp(b->text + n, " near '", 7) == 0 &&
        a->line == b->line && a->column == b->column && a->offset == b->offset)
        return 1;
    return 0;
}

/* Reads text[0..n) with the reader and with the reference, call by call,
 * and compares what each call gives: the verdict, the bytes consumed, an
 * article's start, line and record, an error's position and message
 * (ref_ap_same_error). Also the library's canonical-JSON check
 * (artpack_json_check_canonical) on the whole text.
 * Returns 0 if they agree, else -1 with the first difference in why.
 * *articles, *refused (may be NULL) count the documents. */
static inline int ref_ap_compare(const char *text, size_t n, char *why, size_t why_size,
                                 size_t *articles, size_t *refused) {
    ap_json_reader r;
    ref_ap_json_reader ref;
    size_t call = 0;
    int rc = 0;
    if (ap_json_reader_init(&r, text, n) != 0) {
        snprintf(why, why_size, "ap_json_reader_init failed");
        return -1;
    }
    if (ref_ap_json_reader_init(&ref, text, n) != 0) {
        ap_json_reader_free(&r);
        snprintf(why, why_size, "ref_ap_json_reader_init failed");
        return -1;
    }
    for (;; call++) {
        ap_json_article a;
        ref_ap_json_article b;
        ap_json_error ea, eb;
        size_t before = r.pos;
        int ga, gb;
        memset(&ea, 0, sizeof ea);
        memset(&eb, 0, sizeof eb);
        ga = ap_json_next(&r, &a, &ea);
        gb = ref_ap_json_next(&ref, &b, &eb);
        if (gb == -1 && strstr(eb.text, "NUL byte in object key")) { /* see above */
            if (ga == 1) ap_json_article_free(&a);
            break;
        }
        if (ga != gb || r.pos != ref.pos) {
            snprintf(why, why_size,
                     "call %zu: reader %d (consumed %zu, %zu:%zu \"%s\"), reference %d "
                     "(consumed %zu, %zu:%zu \"%s\")",
                     call, ga, r.pos, ea.line, ea.column, ga < 0 ? ea.text : "", gb, ref.pos,
                     eb.line, eb.column, gb < 0 ? eb.text : "");
            rc = -1;
        } else if (ga == 1) {
            size_t na, nb;
            unsigned char *ra = ref_ap_record(&a.view, &na), *rb = ref_ap_record(&b.view, &nb);
            if (a.start != b.start || a.start_line != b.start_line || ra == NULL || rb == NULL ||
                na != nb || memcmp(ra, rb, na) != 0) {
                snprintf(why, why_size,
                         "call %zu: article at %zu (line %zu) vs %zu (line %zu): records %s",
                         call, a.start, a.start_line, b.start, b.start_line,
                         ra && rb ? "differ" : "do not encode");
                rc = -1;
            }
            free(ra);
            free(rb);
            if (articles) (*articles)++;
        } else if (ga == -1) {
            /* jansson drops a NUL byte it looked at after a number or a
             * literal and put back, and counts every position after it one
             * short: the reference refused such a document (it always does,
             * the object's end then looks like data after it) with a message
             * about that; the reader tells the NUL byte itself */
            size_t read_to = ref.pos > ea.offset ? ref.pos : ea.offset + 1;
            if (read_to > n) read_to = n;
            if (memchr(text + before, '\0', read_to - before) == NULL &&
                !ref_ap_same_error(&eb, &ea)) {
                snprintf(why, why_size,
                         "call %zu: reader %zu:%zu (offset %zu) \"%s\", reference %zu:%zu "
                         "(offset %zu) \"%s\"",
                         call, ea.line, ea.column, ea.offset, ea.text, eb.line, eb.column,
                         eb.offset, eb.text);
                rc = -1;
            }
            if (refused) (*refused)++;
        }
        if (ga == 1) ap_json_article_free(&a);
        if (gb == 1) ref_ap_json_article_free(&b);
        if (rc || ga == 0 || ga == -2 || gb == -2) break;
    }
    ap_json_reader_free(&r);
    ref_ap_json_reader_free(&ref);
    if (rc == 0) {
        int lib = artpack_json_check_canonical(text, n) == ARTPACK_OK;
        int ref = ref_ap_json_fragment_canonical(text, n);
        if (lib != ref) {
            snprintf(why, why_size, "artpack_json_check_canonical: library %d, reference %d",
                     lib, ref);
            rc = -1;
        }
    }
    return rc;
}

#endif
