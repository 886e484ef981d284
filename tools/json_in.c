/* json_in.c - JSON text -> article view, strictly, keeping number texts,
 * from a text in memory or streamed from a file descriptor.
 *
 * A parser of its own, built for this job: it reads the text once, checks it
 * as strictly as jansson 2.14 does (which it replaces: the same verdict for
 * every document, the same messages, line, column and byte offset), and
 * builds the article view as it goes:
 *  - the schema's string fields and lists of strings are unescaped into one
 *    scratch buffer (strings are scanned 8 bytes at a time while they hold
 *    nothing but printable ASCII; other bytes are checked as UTF-8 one
 *    sequence at a time);
 *  - every other value (unknown keys, known keys with a value of another
 *    type) is read into a small tree and written back as canonical compact
 *    JSON (object keys sorted, canonical escapes, numbers as written);
 *  - at the end one block is allocated for the article: the view's lists,
 *    the strings, the extra JSON.
 * Nothing is allocated per value: the scratch buffers live in the reader and
 * serve the next document.
 *
 * How jansson judges a document, which this parser follows step by step (the
 * messages and positions tests/test_json.c compares against the previous
 * reader, a jansson one, kept in tests/json_ref.h):
 *  - tokens: white space is " \t\r\n"; a string runs to its closing quote
 *    (raw bytes below 0x20 refused, escapes \" \\ \/ \b \f \n \r \t \uXXXX,
 *    surrogates in pairs, checked after the whole string is read); a number
 *    is -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, read greedily: what
 *    breaks the pattern ends the token as an invalid one; a word is a run of
 *    ASCII letters (true, false, null, or invalid); any other byte is an
 *    invalid token of one character. Every byte read must be valid UTF-8
 *    (no overlong forms, surrogates, or code points past U+10FFFF), also the
 *    one looked at after a number or a word.
 *  - an error is told at the first bad token, as "<what> near '<token>'":
 *    the token's text as read so far when it is 1 to 20 bytes, "near end of
 *    file" when there is none, nothing when it is longer.
 *  - the document's position is that of the last byte read (a bad byte or a
 *    control character in a string: that byte).
 * What this reader adds: each object must end its line (only " \t\r" may
 * follow it), the top level must be an object, no byte order mark, numbers
 * of at most AP_JSON_NUMBER_MAX characters, and \u0000 is fine in keys too.
 *
 * The reader holds a window of the input and reads more (a chunk at a time)
 * only when the parser needs a byte past it, so a stream gives what the
 * whole text gives, whatever the chunk size or the way read() splits it. The
 * window keeps the bytes from the start of the current document's first
 * line (error columns count from there). Lines are counted lazily (memchr
 * from the last count), only for article starts and errors. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

/* ---- private scratch types (declared in json.h as incomplete) ---- */

enum { AP_N_STR, AP_N_NUM, AP_N_TRUE, AP_N_FALSE, AP_N_NULL, AP_N_ARR, AP_N_OBJ };

/* A node of an extra value's tree, in document order. STR and NUM: bytes
 * [a, a + b) of sb. ARR and OBJ: a = elements (members), b = the index of
 * the node after the subtree. An object's members: key (a STR node), value. */
struct ap_json_node {
    int type;
    size_t a, b;
};

/* A key of an open object (duplicates): bytes [off, off + len) of sb. */
struct ap_json_slot {
    unsigned long gen; /* the document it belongs to */
    size_t obj, off, len;
    uint32_t hash;
};

/* A list item: bytes [off, off + len) of sb. */
struct ap_json_item {
    size_t off, len;
};

/* An extra pair: the key (a schema name, or bytes of sb), its value (bytes of
 * xb). */
struct ap_json_extra {
    const char *key; /* set once the block is built */
    const char *name;
    size_t koff, klen, voff, vlen;
};

/* An object member to write, for sorting. */
struct ap_json_member {
    const char *key;
    size_t len, value;
};

/* ---- tokens ---- */

enum {
    AP_T_EOF = 0,
    AP_T_INVALID = -1,
    AP_T_STRING = 256,
    AP_T_NUMBER,
    AP_T_TRUE,
    AP_T_FALSE,
    AP_T_NULL
    /* and the characters { } [ ] : , themselves */
};

/* Return codes of the parser's functions. */
#define AP_OK 0
#define AP_ERR (-1)  /* the document is refused: ps->e says why */
#define AP_FAIL (-2) /* the reader cannot go on: r->fail */

typedef struct ap_tok {
    int type;
    size_t start, end; /* the token's text as jansson keeps it (input offsets) */
    size_t off, len;   /* STRING: its contents in sb */
} ap_tok;

/* One document being parsed. */
typedef struct ap_ps {
    ap_json_reader *r;
    const unsigned char *p, *end; /* next byte; end of the window */
    size_t start;                 /* the document's first byte */
    size_t doc_end;               /* just past its last byte, once read */
    size_t objects;               /* objects opened so far (their ids) */
    size_t long_at, long_len;     /* the first number over the limit (long_len 0: none) */
    /* the first error */
    int e_byte;                   /* 1: at a byte; 0: at the last byte read */
    size_t e_at;
    char e_text[256];
} ap_ps;

/* ---- the window ---- */

static const char *ap_at(const ap_json_reader *r, size_t off) { return r->text + (off - r->base); }

#define AP_OFF(ps, q) ((ps)->r->base + (size_t)((const char *)(q) - (ps)->r->text))
#define AP_PTR(ps, off) ((const unsigned char *)(ps)->r->text + ((off) - (ps)->r->base))

/* Reads up to a chunk more input into the window, first dropping the bytes
 * before keep or growing it when less than a chunk is free: after either, at
 * least the kept bytes plus a chunk are free, so the bytes moved are paid for
 * by as many bytes read since. Returns 0 (at the end: r->eof) or -1 with
 * r->fail set. */
static int ap_read_more(ap_json_reader *r) {
    ssize_t n;
    if (r->fail) return -1;
    if (r->cap - r->len < r->chunk) {
        size_t dead = r->keep - r->base;
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

/* Makes at least n bytes readable at ps->p, or all there is up to the end
 * of the input. ps->p and ps->end follow the window. 0, or AP_FAIL. */
static int ap_fill(ap_ps *ps, size_t n) {
    while ((size_t)(ps->end - ps->p) < n && !ps->r->eof) {
        size_t at = AP_OFF(ps, ps->p);
        if (ap_read_more(ps->r)) return AP_FAIL;
        ps->p = AP_PTR(ps, at);
        ps->end = (const unsigned char *)ps->r->text + ps->r->len;
    }
    return AP_OK;
}

/* The byte at input offset off (>= the window's start): 0..255, -1 after
 * the end of the input, AP_FAIL - 1 (-3) when the reader fails. */
#define AP_BYTE_FAIL (-3)
static int ap_byte(ap_ps *ps, size_t off) {
    size_t have = ps->r->base + ps->r->len;
    if (off >= have) {
        size_t at = AP_OFF(ps, ps->p);
        while (off >= ps->r->base + ps->r->len && !ps->r->eof)
            if (ap_read_more(ps->r)) return AP_BYTE_FAIL;
        ps->p = AP_PTR(ps, at);
        ps->end = (const unsigned char *)ps->r->text + ps->r->len;
        if (off >= ps->r->base + ps->r->len) return -1;
    }
    return (unsigned char)*ap_at(ps->r, off);
}

/* Counts lines up to off (lines_at <= off <= the window's end). */
static void ap_lines_to(ap_json_reader *r, size_t off) {
    const char *p = ap_at(r, r->lines_at), *e = ap_at(r, off), *nl;
    while (p < e && (nl = (const char *)memchr(p, '\n', (size_t)(e - p))) != NULL) {
        r->line++;
        p = nl + 1;
        r->line_start = r->base + (size_t)(p - r->text);
    }
    r->lines_at = off;
}

/* Line and column of the byte at off (lines_at <= off < the window's end):
 * the column counts the characters (bytes that do not continue a UTF-8
 * sequence) before it on its line, plus one. */
static void ap_where(const ap_json_reader *r, size_t off, size_t *line, size_t *column) {
    const unsigned char *p = (const unsigned char *)ap_at(r, r->lines_at);
    const unsigned char *e = (const unsigned char *)ap_at(r, off), *ls;
    size_t n = r->line, col = 1;
    ls = (const unsigned char *)ap_at(r, r->line_start);
    for (; p < e; p++)
        if (*p == '\n') {
            n++;
            ls = p + 1;
        }
    for (; ls < e; ls++) col += (*ls & 0xC0) != 0x80;
    *line = n;
    *column = col;
}

/* ---- errors ---- */

/* err from the parse's first error (lines counted up to the document's
 * start). A byte error names the byte's line and column; an error at the
 * last byte read names that byte's line and the column of the character it
 * ends or starts, as jansson does, or the document's start when that byte
 * is a line break (jansson's column 0). */
static void ap_json_error_fill(const ap_ps *ps, ap_json_error *err) {
    const ap_json_reader *r = ps->r;
    size_t at = ps->e_at;
    if (ps->e_byte) {
        ap_where(r, at, &err->line, &err->column);
    } else if ((unsigned char)*ap_at(r, at) == '\n') {
        ap_where(r, ps->start, &err->line, &err->column);
    } else {
        ap_where(r, at, &err->line, &err->column);
        if ((*(const unsigned char *)ap_at(r, at) & 0xC0) == 0x80) err->column--;
    }
    err->offset = at;
    memcpy(err->text, ps->e_text, sizeof err->text);
}

/* Appends jansson's context for the token text [cs, ce) to msg. */
static void ap_context(const ap_ps *ps, char *msg, size_t size, size_t cs, size_t ce,
                       int utf8) {
    const char *s = ce > cs ? ap_at(ps->r, cs) : "";
    size_t n = ce - cs, used = strlen(msg);
    if (n > 0 && s[0] != '\0') {
        if (n <= 20) {
            const char *z = (const char *)memchr(s, '\0', n);
            snprintf(msg + used, size - used, " near '%.*s'", (int)(z ? (size_t)(z - s) : n), s);
        }
    } else if (!utf8) {
        snprintf(msg + used, size - used, " near end of file");
    }
}

/* A jansson error: msg, then the context of the token text [cs, ce); at the
 * last byte read (pos: just past it), or at_byte >= 0: at that byte. */
static int ap_jerr(ap_ps *ps, const char *msg, size_t cs, size_t ce, size_t pos, int at_byte,
                   size_t at) {
    snprintf(ps->e_text, sizeof ps->e_text, "%s", msg);
    ap_context(ps, ps->e_text, sizeof ps->e_text, cs, ce, 0);
    ps->e_byte = at_byte;
    ps->e_at = at_byte ? at : pos - 1;
    return AP_ERR;
}

/* A parser error at the token t (jansson's error_set after lex_scan). */
static int ap_terr(ap_ps *ps, const char *msg, const ap_tok *t) {
    return ap_jerr(ps, msg, t->start, t->end, t->end, 0, 0);
}

/* Invalid UTF-8 at the byte at (lead byte c), the token read so far [cs, at). */
static int ap_utf8_err(ap_ps *ps, size_t at, int c, size_t cs) {
    snprintf(ps->e_text, sizeof ps->e_text, "invalid UTF-8: unable to decode byte 0x%x", c);
    ap_context(ps, ps->e_text, sizeof ps->e_text, cs, at, 1);
    ps->e_byte = 1;
    ps->e_at = at;
    return AP_ERR;
}

/* An error of this reader's own at the byte at. */
static int ap_own_err(ap_ps *ps, size_t at, const char *msg) {
    snprintf(ps->e_text, sizeof ps->e_text, "%s", msg);
    ps->e_byte = 1;
    ps->e_at = at;
    return AP_ERR;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s[0..n) (s[0] >= 0x80), or 0: a
 * continuation byte, C0/C1, F5..FF, a missing or bad continuation byte, an
 * overlong form, a surrogate, or past U+10FFFF (jansson's utf8_check_*). */
static size_t ap_utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* past U+10FFFF */
        return 4;
    }
    return 0;
}

/* The UTF-8 sequence at input offset off (its first byte >= 0x80): its
 * length, 0 if invalid, or AP_FAIL. */
static int ap_utf8_at(ap_ps *ps, size_t off) {
    const unsigned char *p;
    size_t have;
    int i;
    for (i = 1; i < 4; i++)
        if (ap_byte(ps, off + (size_t)i) == AP_BYTE_FAIL) return AP_FAIL;
    p = AP_PTR(ps, off);
    have = (size_t)(ps->end - p);
    return (int)ap_utf8_len(p, have < 4 ? have : 4);
}

/* ---- the lexer ---- */

/* Bit 7 of each byte of v that a string scan must stop at: '"', '\\',
 * below 0x20, 0x80 and above. Bits above the lowest one may be false, so
 * only the lowest one is trusted. */
static uint64_t ap_special8(uint64_t v) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return (v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AP_FIRST_SPECIAL(m) ((size_t)__builtin_ctzll(m) >> 3)
#else
#define AP_FIRST_SPECIAL(m) ((size_t)0 * (m)) /* the byte loop finds it */
#endif

static int ap_hex(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static size_t ap_utf8_put(unsigned char *out, unsigned long v) {
    if (v < 0x80) {
        out[0] = (unsigned char)v;
        return 1;
    }
    if (v < 0x800) {
        out[0] = (unsigned char)(0xC0 | (v >> 6));
        out[1] = (unsigned char)(0x80 | (v & 0x3F));
        return 2;
    }
    if (v < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (v >> 12));
        out[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (v & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (v >> 18));
    out[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (v & 0x3F));
    return 4;
}

static int ap_oom(ap_ps *ps) {
    ps->r->fail = ENOMEM;
    return AP_FAIL;
}

/* An escape that breaks jansson's rule: the character after the backslash
 * (or after \u and i hex digits) at offset at. */
static int ap_bad_escape(ap_ps *ps, const ap_tok *t, size_t at) {
    int c = ap_byte(ps, at);
    if (c == AP_BYTE_FAIL) return AP_FAIL;
    if (c < 0) /* the input ends: the text read so far */
        return ap_jerr(ps, "invalid escape", t->start, at, at, 0, 0);
    if (c >= 0x80) {
        int n = ap_utf8_at(ps, at);
        if (n == AP_FAIL) return AP_FAIL;
        if (n == 0) return ap_utf8_err(ps, at, c, t->start);
    }
    return ap_jerr(ps, "invalid escape", t->start, at + 1, at + 1, 0, 0);
}

/* The string whose opening quote is at t->start (ps->p just past it); its
 * contents are appended to sb. */
static int ap_lex_string(ap_ps *ps, ap_tok *t) {
    ap_buf *dst = &ps->r->sb;
    const unsigned char *p = ps->p, *run = p;
    size_t out0 = dst->len;
    char umsg[64];
    int pending = 0;
    umsg[0] = '\0';
#define AP_FLUSH()                                                                         \
    do {                                                                                   \
        if (p > run && ap_buf_put(dst, run, (size_t)(p - run))) return ap_oom(ps);         \
        run = p;                                                                           \
    } while (0)
    for (;;) {
        int c;
        while (ps->end - p >= 8) {
            uint64_t v, m;
            memcpy(&v, p, 8);
            m = ap_special8(v);
            if (m == 0) {
                p += 8;
                continue;
            }
            p += AP_FIRST_SPECIAL(m);
            break;
        }
        if (p == ps->end) {
            AP_FLUSH();
            ps->p = p;
            if (ap_fill(ps, 1)) return AP_FAIL;
            run = p = ps->p;
            if (p == ps->end) {
                size_t at = AP_OFF(ps, p);
                return ap_jerr(ps, "premature end of input", t->start, at, at, 0, 0);
            }
            continue;
        }
        c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        if (c == '"') break;
        if (c >= 0x80) {
            size_t n;
            if (ps->end - p < 4 && !ps->r->eof) {
                AP_FLUSH();
                ps->p = p;
                if (ap_fill(ps, 4)) return AP_FAIL;
                run = p = ps->p;
            }
            n = ap_utf8_len(p, (size_t)(ps->end - p) < 4 ? (size_t)(ps->end - p) : 4);
            if (n == 0) return ap_utf8_err(ps, AP_OFF(ps, p), c, t->start);
            p += n;
            continue;
        }
        if (c < 0x20) {
            size_t at = AP_OFF(ps, p);
            char msg[32];
            if (c == '\n') snprintf(msg, sizeof msg, "unexpected newline");
            else snprintf(msg, sizeof msg, "control character 0x%x", (unsigned)c);
            return ap_jerr(ps, msg, t->start, at, at, 1, at);
        }
        /* a backslash */
        AP_FLUSH();
        ps->p = p;
        if (ap_fill(ps, 12)) return AP_FAIL;
        p = ps->p;
        {
            size_t avail = (size_t)(ps->end - p), at = AP_OFF(ps, p);
            unsigned char esc[4];
            size_t elen = 1;
            if (avail < 2) return ap_bad_escape(ps, t, at + 1);
            switch (p[1]) {
            case '"': esc[0] = '"'; break;
            case '\\': esc[0] = '\\'; break;
            case '/': esc[0] = '/'; break;
            case 'b': esc[0] = '\b'; break;
            case 'f': esc[0] = '\f'; break;
            case 'n': esc[0] = '\n'; break;
            case 'r': esc[0] = '\r'; break;
            case 't': esc[0] = '\t'; break;
            case 'u': {
                unsigned long v = 0;
                int i;
                for (i = 2; i < 6; i++) {
                    int h = (size_t)i < avail ? ap_hex(p[i]) : -1;
                    if (h < 0) return ap_bad_escape(ps, t, at + (size_t)i);
                    v = v << 4 | (unsigned long)h;
                }
                elen = 0;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    unsigned long v2 = 0;
                    int ok = avail >= 12 && p[6] == '\\' && p[7] == 'u';
                    for (i = 8; ok && i < 12; i++) {
                        int h = ap_hex(p[i]);
                        if (h < 0) ok = 0;
                        v2 = v2 << 4 | (unsigned long)h;
                    }
                    if (ok && v2 >= 0xDC00 && v2 <= 0xDFFF) {
                        if (!pending) {
                            elen = ap_utf8_put(esc, ((v - 0xD800) << 10) + (v2 - 0xDC00) + 0x10000);
                            if (ap_buf_put(dst, esc, elen)) return ap_oom(ps);
                        }
                        p += 12;
                        run = p;
                        continue;
                    }
                    if (!pending && avail >= 8 && p[6] == '\\' && p[7] == 'u') {
                        /* \u and not 4 hex digits: that escape is refused
                         * when the scan reaches it */
                        if (ok) {
                            snprintf(umsg, sizeof umsg, "invalid Unicode '\\u%04lX\\u%04lX'", v, v2);
                            pending = 1;
                        }
                    } else if (!pending) {
                        snprintf(umsg, sizeof umsg, "invalid Unicode '\\u%04lX'", v);
                        pending = 1;
                    }
                } else if (v >= 0xDC00 && v <= 0xDFFF) {
                    if (!pending) {
                        snprintf(umsg, sizeof umsg, "invalid Unicode '\\u%04lX'", v);
                        pending = 1;
                    }
                } else {
                    elen = ap_utf8_put(esc, v);
                }
                if (elen && !pending && ap_buf_put(dst, esc, elen)) return ap_oom(ps);
                p += 6;
                run = p;
                continue;
            }
            default:
                return ap_bad_escape(ps, t, at + 1);
            }
            if (!pending && ap_buf_putc(dst, esc[0])) return ap_oom(ps);
            p += 2;
            run = p;
        }
    }
    AP_FLUSH();
#undef AP_FLUSH
    p++;
    ps->p = p;
    t->type = AP_T_STRING;
    t->end = AP_OFF(ps, p);
    t->off = out0;
    t->len = dst->len - out0;
    if (pending) return ap_jerr(ps, umsg, t->start, t->end, t->end, 0, 0);
    return AP_OK;
}

/* The byte at off that a number or a word looks at next (jansson reads it,
 * so it must be valid UTF-8): 0..255, -1 at the end; or AP_LOOK_ERR (the
 * document is refused), AP_LOOK_FAIL. AP_LOOK_RC turns those into AP_ERR and
 * AP_FAIL. */
#define AP_LOOK_ERR (-4)
#define AP_LOOK_FAIL (-5)
#define AP_LOOK_RC(c) ((c) == AP_LOOK_ERR ? AP_ERR : AP_FAIL)
static int ap_look(ap_ps *ps, size_t off, size_t cs) {
    int c = ap_byte(ps, off);
    if (c == AP_BYTE_FAIL) return AP_LOOK_FAIL;
    if (c >= 0x80) {
        int n = ap_utf8_at(ps, off);
        if (n == AP_FAIL) return AP_LOOK_FAIL;
        if (n == 0) {
            ap_utf8_err(ps, off, c, cs);
            return AP_LOOK_ERR;
        }
    }
    return c;
}

#define AP_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define AP_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))

/* A number, or the invalid token jansson makes of what starts like one. */
static int ap_lex_number(ap_ps *ps, ap_tok *t) {
    size_t q = t->start;
    int c = ap_byte(ps, q);
    if (c == '-') c = ap_look(ps, ++q, t->start);
    if (c < -1) return AP_LOOK_RC(c);
    t->type = AP_T_INVALID;
    if (c == '0') {
        c = ap_look(ps, ++q, t->start);
        if (c < -1) return AP_LOOK_RC(c);
        if (AP_DIGIT(c)) goto done;
    } else if (AP_DIGIT(c)) {
        do
            c = ap_look(ps, ++q, t->start);
        while (AP_DIGIT(c));
        if (c < -1) return AP_LOOK_RC(c);
    } else {
        goto done;
    }
    if (c == '.') {
        c = ap_look(ps, ++q, t->start);
        if (c < -1) return AP_LOOK_RC(c);
        if (!AP_DIGIT(c)) goto done;
        do
            c = ap_look(ps, ++q, t->start);
        while (AP_DIGIT(c));
        if (c < -1) return AP_LOOK_RC(c);
    }
    if (c == 'e' || c == 'E') {
        c = ap_look(ps, ++q, t->start);
        if (c == '+' || c == '-') c = ap_look(ps, ++q, t->start);
        if (c < -1) return AP_LOOK_RC(c);
        if (!AP_DIGIT(c)) goto done;
        do
            c = ap_look(ps, ++q, t->start);
        while (AP_DIGIT(c));
        if (c < -1) return AP_LOOK_RC(c);
    }
    t->type = AP_T_NUMBER;
done:
    t->end = q;
    ps->p = AP_PTR(ps, q);
    return AP_OK;
}

/* The next token (after white space) into *t. AP_OK (t->type may be
 * AP_T_INVALID or AP_T_EOF), AP_ERR (a bad string or byte), AP_FAIL. */
static int ap_lex(ap_ps *ps, ap_tok *t) {
    const unsigned char *p = ps->p;
    int c;
    for (;;) {
        if (p == ps->end) {
            ps->p = p;
            if (ap_fill(ps, 1)) return AP_FAIL;
            p = ps->p;
            if (p == ps->end) {
                t->type = AP_T_EOF;
                t->start = t->end = AP_OFF(ps, p);
                return AP_OK;
            }
        }
        c = *p;
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
        p++;
    }
    t->start = AP_OFF(ps, p);
    switch (c) {
    case '"':
        ps->p = p + 1;
        return ap_lex_string(ps, t);
    case '{': case '}': case '[': case ']': case ':': case ',':
        t->type = c;
        t->end = t->start + 1;
        ps->p = p + 1;
        return AP_OK;
    default:
        break;
    }
    ps->p = p;
    if (c == '-' || AP_DIGIT(c)) return ap_lex_number(ps, t);
    if (AP_ALPHA(c)) {
        size_t q = t->start, n;
        const char *w;
        do
            c = ap_look(ps, ++q, t->start);
        while (AP_ALPHA(c));
        if (c < -1) return AP_LOOK_RC(c);
        t->end = q;
        ps->p = AP_PTR(ps, q);
        n = q - t->start;
        w = ap_at(ps->r, t->start);
        t->type = n == 4 && memcmp(w, "true", 4) == 0    ? AP_T_TRUE
                  : n == 5 && memcmp(w, "false", 5) == 0 ? AP_T_FALSE
                  : n == 4 && memcmp(w, "null", 4) == 0  ? AP_T_NULL
                                                         : AP_T_INVALID;
        return AP_OK;
    }
    t->type = AP_T_INVALID;
    if (c >= 0x80) {
        int n = ap_utf8_at(ps, t->start);
        if (n == AP_FAIL) return AP_FAIL;
        if (n == 0) return ap_utf8_err(ps, t->start, c, t->start);
        t->end = t->start + (size_t)n; /* the whole character */
    } else {
        t->end = t->start + 1;
    }
    ps->p = AP_PTR(ps, t->end);
    return AP_OK;
}

/* ---- keys (duplicates) ---- */

static uint32_t ap_key_hash(size_t obj, const unsigned char *k, size_t n) {
    uint32_t h = 2166136261u ^ (uint32_t)(obj * 2654435761u);
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ k[i]) * 16777619u;
    return h;
}

/* Adds the key sb[off, off + len) to object obj: 0, 1 if the object has it
 * already, AP_FAIL. */
static int ap_key_add(ap_ps *ps, size_t obj, size_t off, size_t len) {
    ap_json_reader *r = ps->r;
    const unsigned char *k = r->sb.data + off;
    uint32_t h = ap_key_hash(obj, k, len);
    size_t i, mask;
    if ((r->keys_used + 1) * 2 > r->keys_cap) {
        size_t ncap = r->keys_cap ? 2 * r->keys_cap : 64, j;
        struct ap_json_slot *nk;
        if (ncap > SIZE_MAX / 2 / sizeof *nk) return ap_oom(ps);
        nk = (struct ap_json_slot *)ap_malloc(ncap * sizeof *nk);
        if (nk == NULL) return ap_oom(ps);
        memset(nk, 0, ncap * sizeof *nk);
        for (j = 0; j < r->keys_cap; j++) {
            const struct ap_json_slot *s = &r->keys[j];
            if (s->gen != r->keys_gen) continue;
            for (i = s->hash & (ncap - 1); nk[i].gen == r->keys_gen; i = (i + 1) & (ncap - 1)) {}
            nk[i] = *s;
        }
        free(r->keys);
        r->keys = nk;
        r->keys_cap = ncap;
    }
    mask = r->keys_cap - 1;
    for (i = h & mask; r->keys[i].gen == r->keys_gen; i = (i + 1) & mask) {
        const struct ap_json_slot *s = &r->keys[i];
        if (s->hash == h && s->obj == obj && s->len == len &&
            (len == 0 || memcmp(r->sb.data + s->off, k, len) == 0))
            return 1;
    }
    r->keys[i].gen = r->keys_gen;
    r->keys[i].hash = h;
    r->keys[i].obj = obj;
    r->keys[i].off = off;
    r->keys[i].len = len;
    r->keys_used++;
    return 0;
}

/* A new document's keys: the slots of the last one no longer count. */
static void ap_keys_reset(ap_json_reader *r) {
    r->keys_used = 0;
    if (++r->keys_gen == 0) { /* wrapped: clear every slot */
        if (r->keys) memset(r->keys, 0, r->keys_cap * sizeof *r->keys);
        r->keys_gen = 1;
    }
}

/* ---- values into the tree ---- */

static int ap_node(ap_ps *ps, int type, size_t a, size_t b) {
    ap_json_reader *r = ps->r;
    if (r->nnodes == r->nodes_cap) {
        size_t ncap = r->nodes_cap ? 2 * r->nodes_cap : 64;
        struct ap_json_node *n;
        if (ncap > SIZE_MAX / sizeof *n) return ap_oom(ps);
        n = (struct ap_json_node *)ap_realloc(r->nodes, ncap * sizeof *n);
        if (n == NULL) return ap_oom(ps);
        r->nodes = n;
        r->nodes_cap = ncap;
    }
    r->nodes[r->nnodes].type = type;
    r->nodes[r->nnodes].a = a;
    r->nodes[r->nnodes].b = b;
    r->nnodes++;
    return AP_OK;
}

static int ap_value(ap_ps *ps, const ap_tok *t, size_t depth);

/* An array whose '[' was just read (jansson's parse_array). */
static int ap_array(ap_ps *ps, size_t depth) {
    ap_json_reader *r = ps->r;
    size_t idx = r->nnodes, count = 0;
    ap_tok t;
    int rc = ap_node(ps, AP_N_ARR, 0, 0);
    if (rc || (rc = ap_lex(ps, &t))) return rc;
    if (t.type != ']') {
        while (t.type != AP_T_EOF) {
            if ((rc = ap_value(ps, &t, depth + 1)) || (rc = ap_lex(ps, &t))) return rc;
            count++;
            if (t.type != ',') break;
            if ((rc = ap_lex(ps, &t))) return rc;
        }
        if (t.type != ']') return ap_terr(ps, "']' expected", &t);
    }
    r->nodes[idx].a = count;
    r->nodes[idx].b = r->nnodes;
    return AP_OK;
}

/* An object whose '{' was just read (jansson's parse_object). */
static int ap_object(ap_ps *ps, size_t depth) {
    ap_json_reader *r = ps->r;
    size_t idx = r->nnodes, count = 0, obj = ++ps->objects;
    ap_tok t;
    int rc = ap_node(ps, AP_N_OBJ, 0, 0);
    if (rc || (rc = ap_lex(ps, &t))) return rc;
    if (t.type != '}') {
        for (;;) {
            if (t.type != AP_T_STRING) return ap_terr(ps, "string or '}' expected", &t);
            if ((rc = ap_key_add(ps, obj, t.off, t.len)) != 0)
                return rc < 0 ? rc : ap_terr(ps, "duplicate object key", &t);
            if ((rc = ap_node(ps, AP_N_STR, t.off, t.len)) || (rc = ap_lex(ps, &t))) return rc;
            if (t.type != ':') return ap_terr(ps, "':' expected", &t);
            if ((rc = ap_lex(ps, &t)) || (rc = ap_value(ps, &t, depth + 1)) ||
                (rc = ap_lex(ps, &t)))
                return rc;
            count++;
            if (t.type != ',') break;
            if ((rc = ap_lex(ps, &t))) return rc;
        }
        if (t.type != '}') return ap_terr(ps, "'}' expected", &t);
    }
    r->nodes[idx].a = count;
    r->nodes[idx].b = r->nnodes;
    return AP_OK;
}

/* The value that starts with token t, at this depth (jansson's parse_value). */
static int ap_value(ap_ps *ps, const ap_tok *t, size_t depth) {
    ap_json_reader *r = ps->r;
    if (depth > AP_JSON_DEPTH_MAX) return ap_terr(ps, "maximum parsing depth reached", t);
    switch (t->type) {
    case AP_T_STRING: return ap_node(ps, AP_N_STR, t->off, t->len);
    case AP_T_NUMBER: {
        size_t n = t->end - t->start, off = r->sb.len;
        if (n > AP_JSON_NUMBER_MAX && ps->long_len == 0) {
            ps->long_at = t->start;
            ps->long_len = n;
        }
        if (ap_buf_put(&r->sb, ap_at(r, t->start), n)) return ap_oom(ps);
        return ap_node(ps, AP_N_NUM, off, n);
    }
    case AP_T_TRUE: return ap_node(ps, AP_N_TRUE, 0, 0);
    case AP_T_FALSE: return ap_node(ps, AP_N_FALSE, 0, 0);
    case AP_T_NULL: return ap_node(ps, AP_N_NULL, 0, 0);
    case '{': return ap_object(ps, depth);
    case '[': return ap_array(ps, depth);
    case AP_T_INVALID: return ap_terr(ps, "invalid token", t);
    default: return ap_terr(ps, "unexpected token", t);
    }
}

/* ---- the tree -> canonical compact JSON ---- */

static int ap_member_cmp(const void *a, const void *b) {
    const struct ap_json_member *x = (const struct ap_json_member *)a;
    const struct ap_json_member *y = (const struct ap_json_member *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static size_t ap_next_node(const ap_json_reader *r, size_t i) {
    int type = r->nodes[i].type;
    return type == AP_N_ARR || type == AP_N_OBJ ? r->nodes[i].b : i + 1;
}

/* Writes node i to out; 0 or -1 (out of memory). */
static int ap_write_node(ap_json_reader *r, ap_buf *out, size_t i) {
    const struct ap_json_node *n = &r->nodes[i];
    switch (n->type) {
    case AP_N_STR: return ap_json_put_string(out, (const char *)r->sb.data + n->a, n->b);
    case AP_N_NUM: return ap_buf_put(out, r->sb.data + n->a, n->b);
    case AP_N_TRUE: return ap_buf_puts(out, "true");
    case AP_N_FALSE: return ap_buf_puts(out, "false");
    case AP_N_NULL: return ap_buf_puts(out, "null");
    case AP_N_ARR: {
        size_t k, j = i + 1, count = n->a;
        if (ap_buf_putc(out, '[')) return -1;
        for (k = 0; k < count; k++) {
            if (k && ap_buf_putc(out, ',')) return -1;
            if (ap_write_node(r, out, j)) return -1;
            j = ap_next_node(r, j);
        }
        return ap_buf_putc(out, ']');
    }
    default: { /* an object: members in key order */
        size_t k, j = i + 1, count = n->a, base = r->nms;
        struct ap_json_member *m;
        int rc = 0;
        if (count == 0) return ap_buf_puts(out, "{}");
        if (count > r->ms_cap - r->nms) {
            size_t ncap = 2 * (r->nms + count);
            if (ncap > SIZE_MAX / sizeof *m) return -1;
            m = (struct ap_json_member *)ap_realloc(r->ms, ncap * sizeof *m);
            if (m == NULL) return -1;
            r->ms = m;
            r->ms_cap = ncap;
        }
        m = r->ms + base;
        for (k = 0; k < count; k++) {
            m[k].key = (const char *)r->sb.data + r->nodes[j].a;
            m[k].len = r->nodes[j].b;
            m[k].value = j + 1;
            j = ap_next_node(r, j + 1);
        }
        r->nms += count;
        if (count > 1) qsort(m, count, sizeof *m, ap_member_cmp);
        rc = ap_buf_putc(out, '{');
        for (k = 0; k < count && rc == 0; k++) {
            m = r->ms + base + k; /* ms may move while the value is written */
            if (k) rc = ap_buf_putc(out, ',');
            if (!rc) rc = ap_json_put_string(out, m->key, m->len);
            if (!rc) rc = ap_buf_putc(out, ':');
            if (!rc) rc = ap_write_node(r, out, r->ms[base + k].value);
        }
        if (!rc) rc = ap_buf_putc(out, '}');
        r->nms = base;
        return rc;
    }
    }
}

/* ---- the article object ---- */

/* What the document's known fields hold, by tag. */
typedef struct ap_fields {
    unsigned long seen;                        /* tags read (duplicates) */
    unsigned long set;                         /* tags with a value in the view */
    const artpack_field_info *info[16];
    size_t off[16], len[16];                   /* strings: bytes of sb; lists: items */
} ap_fields;

static int ap_item(ap_ps *ps, size_t off, size_t len) {
    ap_json_reader *r = ps->r;
    if (r->nitems == r->items_cap) {
        size_t ncap = r->items_cap ? 2 * r->items_cap : 64;
        struct ap_json_item *n;
        if (ncap > SIZE_MAX / sizeof *n) return ap_oom(ps);
        n = (struct ap_json_item *)ap_realloc(r->items, ncap * sizeof *n);
        if (n == NULL) return ap_oom(ps);
        r->items = n;
        r->items_cap = ncap;
    }
    r->items[r->nitems].off = off;
    r->items[r->nitems].len = len;
    r->nitems++;
    return AP_OK;
}

/* A list of strings whose '[' is t (the value of a list field): its items,
 * or 1 when one item is not a string (or the array is not well formed):
 * nothing is kept then, and the value is to be read again as an extra. */
static int ap_string_list(ap_ps *ps, const ap_tok *open, size_t *first, size_t *count) {
    ap_json_reader *r = ps->r;
    size_t sb_mark = r->sb.len;
    ap_tok t;
    int rc;
    *first = r->nitems;
    if ((rc = ap_lex(ps, &t))) return rc;
    if (t.type != ']') {
        for (;;) {
            if (t.type != AP_T_STRING) goto again;
            if ((rc = ap_item(ps, t.off, t.len)) || (rc = ap_lex(ps, &t))) return rc;
            if (t.type == ']') break;
            if (t.type != ',') goto again;
            if ((rc = ap_lex(ps, &t))) return rc;
        }
    }
    *count = r->nitems - *first;
    return AP_OK;
again:
    r->sb.len = sb_mark;
    r->nitems = *first;
    ps->p = AP_PTR(ps, open->end);
    return 1;
}

/* An extra pair: the key (a schema name, or bytes of sb) and the value that
 * starts with token t, written as canonical JSON to xb. */
static int ap_extra(ap_ps *ps, const char *name, size_t koff, size_t klen, const ap_tok *t) {
    ap_json_reader *r = ps->r;
    size_t sb_mark = r->sb.len, voff = r->xb.len;
    struct ap_json_extra *x;
    int rc;
    r->nnodes = 0;
    if ((rc = ap_value(ps, t, 2))) return rc;
    if (ap_write_node(r, &r->xb, 0)) return ap_oom(ps);
    r->sb.len = sb_mark; /* the tree's strings are written */
    r->nnodes = 0;
    if (r->nextras == r->extras_cap) {
        size_t ncap = r->extras_cap ? 2 * r->extras_cap : 16;
        if (ncap > SIZE_MAX / sizeof *x) return ap_oom(ps);
        x = (struct ap_json_extra *)ap_realloc(r->extras, ncap * sizeof *x);
        if (x == NULL) return ap_oom(ps);
        r->extras = x;
        r->extras_cap = ncap;
    }
    x = &r->extras[r->nextras++];
    x->key = NULL;
    x->name = name;
    x->koff = koff;
    x->klen = klen;
    x->voff = voff;
    x->vlen = r->xb.len - voff;
    return AP_OK;
}

/* The members of the article object, whose '{' was just read. */
static int ap_article_object(ap_ps *ps, ap_fields *fl) {
    ap_json_reader *r = ps->r;
    ap_tok t;
    int rc = ap_lex(ps, &t);
    if (rc) return rc;
    if (t.type == '}') return AP_OK;
    for (;;) {
        const artpack_field_info *f;
        ap_tok key;
        if (t.type != AP_T_STRING) return ap_terr(ps, "string or '}' expected", &t);
        key = t;
        f = artpack_schema_find((const char *)r->sb.data + t.off, t.len);
        if (f != NULL) {
            unsigned long bit = 1ul << f->tag;
            if (fl->seen & bit) return ap_terr(ps, "duplicate object key", &t);
            fl->seen |= bit;
            r->sb.len = t.off; /* the key is f->name */
        } else if ((rc = ap_key_add(ps, 0, t.off, t.len)) != 0) {
            return rc < 0 ? rc : ap_terr(ps, "duplicate object key", &t);
        }
        if ((rc = ap_lex(ps, &t))) return rc;
        if (t.type != ':') return ap_terr(ps, "':' expected", &t);
        if ((rc = ap_lex(ps, &t))) return rc;
        if (f != NULL && f->kind != ARTPACK_KIND_LIST && f->kind != ARTPACK_KIND_EXTRA &&
            t.type == AP_T_STRING) {
            fl->info[f->tag] = f;
            fl->off[f->tag] = t.off;
            fl->len[f->tag] = t.len;
            fl->set |= 1ul << f->tag;
        } else {
            int listed = 1;
            if (f != NULL && f->kind == ARTPACK_KIND_LIST && t.type == '[') {
                size_t first, count;
                if ((rc = ap_string_list(ps, &t, &first, &count)) < 0) return rc;
                if (rc == 0) {
                    fl->info[f->tag] = f;
                    fl->off[f->tag] = first;
                    fl->len[f->tag] = count;
                    fl->set |= 1ul << f->tag;
                } else {
                    listed = 0; /* read again from its '[' */
                }
            } else {
                listed = 0;
            }
            if (!listed &&
                (rc = ap_extra(ps, f ? f->name : NULL, key.off, key.len, &t)) != AP_OK)
                return rc;
        }
        if ((rc = ap_lex(ps, &t))) return rc;
        if (t.type != ',') break;
        if ((rc = ap_lex(ps, &t))) return rc;
    }
    if (t.type != '}') return ap_terr(ps, "'}' expected", &t);
    return AP_OK;
}

static int ap_extra_cmp(const void *a, const void *b) {
    const struct ap_json_extra *x = (const struct ap_json_extra *)a;
    const struct ap_json_extra *y = (const struct ap_json_extra *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c) return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* The article from what the parse left in the scratch: one block. */
static int ap_build(ap_ps *ps, const ap_fields *fl, ap_json_article *a) {
    ap_json_reader *r = ps->r;
    artpack_article *view = &a->view;
    size_t nstr = 0, used = 0, total, i;
    unsigned tag;
    artpack_str *strs;
    char *bytes, *xbytes;
    for (tag = 1; tag < 16; tag++)
        if ((fl->set >> tag & 1) && fl->info[tag]->kind == ARTPACK_KIND_LIST) nstr += fl->len[tag];
    nstr += 2 * r->nextras;
    total = nstr * sizeof(artpack_str) + r->sb.len + r->xb.len;
    a->mem = ap_malloc(total);
    if (a->mem == NULL) return ap_oom(ps);
    strs = (artpack_str *)a->mem;
    bytes = (char *)(strs + nstr);
    xbytes = bytes + r->sb.len;
    if (r->sb.len) memcpy(bytes, r->sb.data, r->sb.len);
    if (r->xb.len) memcpy(xbytes, r->xb.data, r->xb.len);
    artpack_article_init(view);
    for (tag = 1; tag < 16; tag++) {
        const artpack_field_info *f = fl->info[tag];
        void *member;
        if (!(fl->set >> tag & 1)) continue;
        member = (char *)view + f->offset;
        if (f->kind == ARTPACK_KIND_LIST) {
            artpack_list *l = (artpack_list *)member;
            l->present = 1;
            l->items = strs + used;
            l->count = fl->len[tag];
            for (i = 0; i < l->count; i++) {
                const struct ap_json_item *it = &r->items[fl->off[tag] + i];
                strs[used].ptr = bytes + it->off;
                strs[used++].len = it->len;
            }
        } else if (f->kind == ARTPACK_KIND_STRING) {
            ((artpack_str *)member)->ptr = bytes + fl->off[tag];
            ((artpack_str *)member)->len = fl->len[tag];
        } else if (f->kind == ARTPACK_KIND_DATE) {
            artpack_date_parse((artpack_date *)member, bytes + fl->off[tag], fl->len[tag]);
        } else {
            artpack_timestamp_parse((artpack_timestamp *)member, bytes + fl->off[tag],
                                    fl->len[tag]);
        }
    }
    if (r->nextras) {
        for (i = 0; i < r->nextras; i++) {
            struct ap_json_extra *x = &r->extras[i];
            x->key = x->name ? x->name : bytes + x->koff;
        }
        if (r->nextras > 1) qsort(r->extras, r->nextras, sizeof *r->extras, ap_extra_cmp);
        view->extra.present = 1;
        view->extra.items = strs + used;
        view->extra.count = 2 * r->nextras;
        for (i = 0; i < r->nextras; i++) {
            const struct ap_json_extra *x = &r->extras[i];
            strs[used].ptr = x->key;
            strs[used++].len = x->klen;
            strs[used].ptr = xbytes + x->voff;
            strs[used++].len = x->vlen;
        }
    }
    return AP_OK;
}

/* ---- the reader ---- */

/* Empties the scratch for a new document; sb gets storage (its pointer is
 * offset even for empty strings). 0 or -1 (out of memory). */
static int ap_scratch(ap_json_reader *r) {
    r->sb.len = r->xb.len = 0;
    r->nnodes = r->nitems = r->nextras = r->nms = 0;
    ap_keys_reset(r);
    return r->sb.data == NULL ? ap_buf_reserve(&r->sb, 4096) : 0;
}

int ap_json_reader_init(ap_json_reader *r, const char *text, size_t size) {
    memset(r, 0, sizeof *r);
    r->text = size ? text : "";
    r->len = r->cap = size;
    r->line = 1;
    r->fd = -1;
    r->eof = 1;
    r->chunk = AP_JSON_CHUNK;
    return 0;
}

void ap_json_reader_free(ap_json_reader *r) {
    free(r->owned);
    ap_buf_free(&r->sb);
    ap_buf_free(&r->xb);
    free(r->nodes);
    free(r->keys);
    free(r->items);
    free(r->extras);
    free(r->ms);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

/* The stream cannot go on: -2, errno set, err at pos. */
static int ap_fail(ap_json_reader *r, ap_json_error *err) {
    ap_lines_to(r, r->pos);
    ap_where(r, r->pos, &err->line, &err->column);
    err->offset = r->pos;
    if (r->fail == ENOMEM) snprintf(err->text, sizeof err->text, "out of memory");
    else snprintf(err->text, sizeof err->text, "read error: %s", strerror(r->fail));
    errno = r->fail;
    return -2;
}

/* After a refused document: on to the line after the one it starts on. */
static int ap_skip_line(ap_ps *ps) {
    ap_json_reader *r = ps->r;
    const unsigned char *nl;
    ps->p = AP_PTR(ps, ps->start);
    for (;;) {
        nl = (const unsigned char *)memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
        if (nl != NULL || r->eof) break;
        ps->p = ps->end;
        if (ap_fill(ps, 1)) return AP_FAIL;
    }
    r->pos = nl ? AP_OFF(ps, nl) + 1 : r->base + r->len;
    return AP_OK;
}

/* Lets the window drop what comes before pos's line. */
static void ap_keep_from(ap_json_reader *r, size_t pos) {
    ap_lines_to(r, pos);
    r->keep = r->line_start;
}

/* Parses the document at ps->start. AP_OK (*fl filled), AP_ERR, AP_FAIL. */
static int ap_document(ap_ps *ps, ap_fields *fl) {
    ap_json_reader *r = ps->r;
    ap_tok t;
    int rc;
    if ((rc = ap_fill(ps, 3))) return rc;
    if (ps->end - ps->p >= 3 && memcmp(ps->p, "\xEF\xBB\xBF", 3) == 0)
        return ap_own_err(ps, ps->start,
                          "byte order mark (U+FEFF): JSON text must not start with one");
    if ((rc = ap_lex(ps, &t))) return rc;
    if (t.type == '[') {
        r->nnodes = 0;
        if ((rc = ap_array(ps, 1))) return rc;
        r->nnodes = 0;
        return ap_own_err(ps, ps->start,
                          "top-level value is an array; each article must be a JSON object");
    }
    if (t.type != '{') return ap_terr(ps, "'[' or '{' expected", &t);
    if ((rc = ap_article_object(ps, fl))) return rc;
    ps->doc_end = AP_OFF(ps, ps->p);
    /* the object's line may hold nothing more but white space */
    for (;;) {
        int c;
        if (ps->p == ps->end) {
            size_t at = AP_OFF(ps, ps->p);
            c = ap_byte(ps, at);
            if (c == AP_BYTE_FAIL) return AP_FAIL;
            if (c < 0) break;
        }
        c = *ps->p;
        if (c == '\n') break;
        if (c != ' ' && c != '\t' && c != '\r') {
            size_t at = AP_OFF(ps, ps->p);
            return ap_own_err(ps, at, "unexpected data after the object (one object per line)");
        }
        ps->p++;
    }
    if (ps->long_len) {
        char msg[96];
        snprintf(msg, sizeof msg, "number too long (%zu characters; the limit is %d)",
                 ps->long_len, AP_JSON_NUMBER_MAX);
        return ap_own_err(ps, ps->long_at, msg);
    }
    return AP_OK;
}

int ap_json_next(ap_json_reader *r, ap_json_article *out, ap_json_error *err) {
    ap_ps ps;
    ap_fields fl;
    int rc;

    memset(out, 0, sizeof *out);
    if (r->fail) return ap_fail(r, err);
    ps.r = r;
    ps.p = AP_PTR(&ps, r->pos);
    ps.end = (const unsigned char *)r->text + r->len;
    /* white space before the next document */
    for (;;) {
        if (ps.p == ps.end) {
            r->pos = AP_OFF(&ps, ps.p);
            ap_keep_from(r, r->pos);
            if (ap_fill(&ps, 1)) return ap_fail(r, err);
            if (ps.p == ps.end) return 0;
        }
        if (*ps.p != ' ' && *ps.p != '\n' && *ps.p != '\r' && *ps.p != '\t') break;
        ps.p++;
    }
    ps.start = r->pos = AP_OFF(&ps, ps.p);
    ps.objects = 0;
    ps.long_len = ps.long_at = 0;
    ap_keep_from(r, ps.start);
    out->start = ps.start;
    out->start_line = r->line;

    memset(&fl, 0, sizeof fl);
    rc = ap_scratch(r) ? ap_oom(&ps) : ap_document(&ps, &fl);
    if (rc == AP_OK) rc = ap_build(&ps, &fl, out);
    if (rc == AP_FAIL) {
        memset(out, 0, sizeof *out);
        return ap_fail(r, err);
    }
    if (rc == AP_ERR) {
        ap_json_error_fill(&ps, err);
        memset(out, 0, sizeof *out);
        if (ap_skip_line(&ps)) return ap_fail(r, err);
        return -1;
    }
    r->pos = ps.doc_end;
    return 1;
}

void ap_json_article_free(ap_json_article *a) {
    free(a->mem);
    memset(a, 0, sizeof *a);
}

/* ---- streaming ---- */

struct ap_json_stream {
    ap_json_reader r;
};

int ap_json_stream_open(ap_json_stream **s, int fd, size_t chunk) {
    ap_json_stream *p = (ap_json_stream *)ap_malloc(sizeof *p);
    *s = NULL;
    if (p == NULL) return -1;
    memset(p, 0, sizeof *p);
    p->r.text = "";
    p->r.line = 1;
    p->r.fd = fd;
    p->r.chunk = chunk == 0 ? AP_JSON_CHUNK : chunk < SIZE_MAX / 8 ? chunk : SIZE_MAX / 8;
    *s = p;
    return 0;
}

int ap_json_stream_next(ap_json_stream *s, ap_json_article *out, ap_json_error *err) {
    return ap_json_next(&s->r, out, err);
}

uint64_t ap_json_stream_bytes(const ap_json_stream *s) { return (uint64_t)s->r.pos; }

void ap_json_stream_close(ap_json_stream *s) {
    if (s == NULL) return;
    ap_json_reader_free(&s->r);
    free(s);
}
