/* json_out.c - article view -> one line of compact JSON. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/* 1 if none of the 8 bytes at p needs a look: all ASCII, none below 0x20,
 * none '"' or '\\' (the usual SWAR tests for a zero or small byte). */
static int ap_plain8(const char *p) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t v, q, b;
    memcpy(&v, p, 8);
    q = v ^ (ones * '"');
    b = v ^ (ones * '\\');
    return ((v & highs) | ((v - ones * 0x20) & ~v & highs) | ((q - ones) & ~q & highs) |
            ((b - ones) & ~b & highs)) == 0;
}

/* Length of the UTF-8 sequence at s[0..n) (first byte >= 0x80), or 0 if it
 * is not valid UTF-8 (overlong, surrogate, above U+10FFFF, cut short). */
static size_t ap_utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len, k;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Appends s as a JSON string literal (canonical escapes) in one pass; with
 * check, also validates UTF-8. Returns 0, -1 (out of memory) or 1 (invalid
 * UTF-8 at *bad; out is then left as it was). */
static int ap_put_string_impl(ap_buf *out, const char *s, size_t n, int check, size_t *bad) {
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, run = 0, start = out->len;
    if (ap_buf_reserve(out, n + 2)) return -1;
    out->data[out->len++] = '"';
    while (i < n) {
        unsigned char c;
        char esc[6];
        size_t elen = 2;
        if (i + 8 <= n && ap_plain8(s + i)) {
            i += 8;
            continue;
        }
        c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t len = check ? ap_utf8_seq((const unsigned char *)s + i, n - i) : 1;
            if (len == 0) {
                out->len = start;
                if (bad) *bad = i;
                return 1;
            }
            i += len;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (ap_buf_put(out, s + run, i - run)) return -1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if (ap_buf_put(out, esc, elen)) return -1;
        run = ++i;
    }
    if (ap_buf_put(out, s + run, n - run)) return -1;
    return ap_buf_putc(out, '"');
}

int ap_json_put_string(ap_buf *out, const char *s, size_t n) {
    return ap_put_string_impl(out, s, n, 0, NULL) ? -1 : 0;
}

static int ap_put_checked_string(ap_buf *out, artpack_str s, const char *field, char *err,
                                 size_t err_size) {
    size_t bad = 0;
    int rc = ap_put_string_impl(out, s.ptr, s.len, 1, &bad);
    if (rc == 1)
        snprintf(err, err_size, "field \"%s\" is not valid UTF-8 (byte %zu)", field, bad);
    return rc ? -1 : 0;
}

static int ap_put_key(ap_buf *out, int *first, const char *key, size_t len) {
    if (!*first && ap_buf_putc(out, ',')) return -1;
    *first = 0;
    if (ap_json_put_string(out, key, len)) return -1;
    return ap_buf_putc(out, ':');
}

static int ap_put_extra_value(ap_buf *out, artpack_str key, artpack_str value, char *err,
                              size_t err_size) {
    size_t bad;
    if (!ap_utf8_valid((const unsigned char *)value.ptr, value.len, &bad) ||
        !ap_json_fragment_canonical(value.ptr, value.len)) {
        if (ap_alloc_failed())
            snprintf(err, err_size, "out of memory");
        else
            snprintf(err, err_size, "extra field \"%.*s\" does not hold canonical JSON",
                     (int)(key.len > 64 ? 64 : key.len), key.ptr);
        return -1;
    }
    return ap_buf_put(out, value.ptr, value.len);
}

/* Finds the extra pair with this key. */
static int ap_find_extra(const artpack_list *extra, const char *key, size_t len,
                         artpack_str *value) {
    artpack_list_iter it;
    artpack_str k, v;
    artpack_list_begin(&it, extra);
    while (artpack_list_next(&it, &k) && artpack_list_next(&it, &v))
        if (k.len == len && memcmp(k.ptr, key, len) == 0) {
            *value = v;
            return 1;
        }
    return 0;
}

static int ap_put_field(ap_buf *out, const artpack_article *a, const artpack_field_info *f,
                        int *first, char *err, size_t err_size) {
    const void *m = (const char *)a + f->offset;
    size_t nlen = strlen(f->name);
    char text[ARTPACK_TIMESTAMP_TEXT_MAX];
    size_t tlen;
    artpack_error e;
    switch (f->kind) {
    case ARTPACK_KIND_STRING: {
        const artpack_str *s = (const artpack_str *)m;
        if (s->ptr == NULL) return 1;
        if (ap_put_key(out, first, f->name, nlen)) return -1;
        return ap_put_checked_string(out, *s, f->name, err, err_size);
    }
    case ARTPACK_KIND_DATE: {
        const artpack_date *d = (const artpack_date *)m;
        if (d->kind == ARTPACK_ABSENT) return 1;
        if (ap_put_key(out, first, f->name, nlen)) return -1;
        if (d->kind == ARTPACK_TEXT) return ap_put_checked_string(out, d->text, f->name, err, err_size);
        if ((e = artpack_date_format(text, sizeof text, d, &tlen)) != ARTPACK_OK) {
            snprintf(err, err_size, "field \"%s\": %s", f->name, artpack_error_message(e));
            return -1;
        }
        return ap_json_put_string(out, text, tlen);
    }
    case ARTPACK_KIND_TIMESTAMP: {
        const artpack_timestamp *t = (const artpack_timestamp *)m;
        if (t->kind == ARTPACK_ABSENT) return 1;
        if (ap_put_key(out, first, f->name, nlen)) return -1;
        if (t->kind == ARTPACK_TEXT) return ap_put_checked_string(out, t->text, f->name, err, err_size);
        if ((e = artpack_timestamp_format(text, sizeof text, t, &tlen)) != ARTPACK_OK) {
            snprintf(err, err_size, "field \"%s\": %s", f->name, artpack_error_message(e));
            return -1;
        }
        return ap_json_put_string(out, text, tlen);
    }
    case ARTPACK_KIND_LIST: {
        const artpack_list *l = (const artpack_list *)m;
        artpack_list_iter it;
        artpack_str s;
        int i = 0;
        if (!l->present) return 1;
        if (ap_put_key(out, first, f->name, nlen) || ap_buf_putc(out, '[')) return -1;
        artpack_list_begin(&it, l);
        while (artpack_list_next(&it, &s)) {
            if (i++ && ap_buf_putc(out, ',')) return -1;
            if (ap_put_checked_string(out, s, f->name, err, err_size)) return -1;
        }
        return ap_buf_putc(out, ']');
    }
    case ARTPACK_KIND_EXTRA: return 1;
    }
    return 1;
}

int ap_json_write_article(ap_buf *out, const artpack_article *a, char *err, size_t err_size) {
    size_t i, n = artpack_schema_count(), start = out->len;
    int first = 1;
    artpack_list_iter it;
    artpack_str k, v;
    snprintf(err, err_size, "out of memory");
    if (ap_buf_putc(out, '{')) goto fail;
    for (i = 0; i < n; i++) {
        const artpack_field_info *f = artpack_schema_field(i);
        int rc;
        if (f->kind == ARTPACK_KIND_EXTRA) continue;
        rc = ap_put_field(out, a, f, &first, err, err_size);
        if (rc < 0) goto fail;
        /* absent as a typed field: it may be an extra of another type */
        if (rc == 1 && ap_find_extra(&a->extra, f->name, strlen(f->name), &v)) {
            k.ptr = f->name;
            k.len = strlen(f->name);
            if (ap_put_key(out, &first, k.ptr, k.len) ||
                ap_put_extra_value(out, k, v, err, err_size))
                goto fail;
        }
    }
    artpack_list_begin(&it, &a->extra);
    while (artpack_list_next(&it, &k) && artpack_list_next(&it, &v)) {
        size_t bad;
        if (artpack_schema_find(k.ptr, k.len) != NULL) continue; /* written above */
        if (!ap_utf8_valid((const unsigned char *)k.ptr, k.len, &bad)) {
            snprintf(err, err_size, "an extra key is not valid UTF-8 (byte %zu)", bad);
            goto fail;
        }
        if (ap_put_key(out, &first, k.ptr, k.len) ||
            ap_put_extra_value(out, k, v, err, err_size))
            goto fail;
    }
    if (ap_buf_puts(out, "}\n")) goto fail;
    return 0;
fail:
    out->len = start;
    return -1;
}
