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

/* Appends s as a JSON string literal (canonical escapes); with check, first
 * validates UTF-8 (artpack_utf8_valid_prefix). Returns 0, -1 (out of memory)
 * or 1 (invalid UTF-8 at *bad; out is then left as it was). */
static int ap_put_string_impl(ap_buf *out, const char *s, size_t n, int check, size_t *bad) {
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, run = 0;
    if (check && !ap_utf8_valid((const unsigned char *)s, n, bad)) return 1;
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
    if (artpack_json_check_canonical(value.ptr, value.len) != ARTPACK_OK) {
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
