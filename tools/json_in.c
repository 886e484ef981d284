/* json_in.c - JSON text -> article view, strictly, keeping number texts.
 *
 * jansson parses and checks every document (UTF-8, escapes, duplicate keys,
 * nesting depth, positions for errors). jansson turns numbers into C ints and
 * doubles, which would lose their text ("1.50", "1e3", 30-digit ids), so a
 * first pass finds every number lexeme and hands jansson a copy in which each
 * reads "0" padded with spaces: same length, same positions, same validity.
 * The texts are then matched to jansson's number nodes in document order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static int ap_is_digit(char c) { return c >= '0' && c <= '9'; }
static int ap_is_alnum(char c) {
    return ap_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Length of the JSON number at s[0..n) if the whole run is one, else 0. */
static size_t ap_number_lexeme(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && ap_is_digit(s[i])) while (i < n && ap_is_digit(s[i])) i++;
    else return 0;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && ap_is_digit(s[i])) i++;
        if (i == start) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t start;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        start = i;
        while (i < n && ap_is_digit(s[i])) i++;
        if (i == start) return 0;
    }
    return i == n ? n : 0;
}

/* Finds every number lexeme outside strings; masks it in masked[]. A line
 * break ends a string (a valid string never holds one), so damage on one line
 * cannot shift what later lines mean. */
static int ap_mask_numbers(const char *text, char *masked, size_t size,
                           ap_num_span **spans, size_t *count) {
    size_t i = 0, cap = 0;
    int in_str = 0;
    *spans = NULL;
    *count = 0;
    while (i < size) {
        char c = text[i];
        if (in_str) {
            if (c == '\\' && i + 1 < size && text[i + 1] != '\n') i++;
            else if (c == '"' || c == '\n') in_str = 0;
            i++;
        } else if (c == '"') {
            in_str = 1;
            i++;
        } else if (c == '-' || ap_is_digit(c)) {
            size_t j = i;
            while (j < size && (ap_is_digit(text[j]) || text[j] == '-' || text[j] == '+' ||
                                text[j] == '.' || text[j] == 'e' || text[j] == 'E'))
                j++;
            if (ap_number_lexeme(text + i, j - i) != 0) {
                if (*count == cap) {
                    size_t ncap = cap ? cap * 2 : 64;
                    ap_num_span *p = (ap_num_span *)ap_realloc(*spans, ncap * sizeof *p);
                    if (p == NULL) return -1;
                    *spans = p;
                    cap = ncap;
                }
                (*spans)[*count].offset = i;
                (*spans)[*count].len = j - i;
                (*count)++;
                masked[i] = '0';
                memset(masked + i + 1, ' ', j - i - 1);
            }
            i = j;
        } else if (ap_is_alnum(c)) {
            while (i < size && ap_is_alnum(text[i])) i++; /* true, null, junk */
        } else {
            i++;
        }
    }
    return 0;
}

int ap_json_reader_init(ap_json_reader *r, const char *text, size_t size) {
    memset(r, 0, sizeof *r);
    r->text = text;
    r->size = size;
    r->line = 1;
    r->masked = (char *)ap_malloc(size + 1);
    if (r->masked == NULL) return -1;
    if (size) memcpy(r->masked, text, size);
    r->masked[size] = '\0';
    if (ap_mask_numbers(text, r->masked, size, &r->nums, &r->num_count)) {
        ap_json_reader_free(r);
        return -1;
    }
    return 0;
}

void ap_json_reader_free(ap_json_reader *r) {
    free(r->masked);
    free(r->nums);
    r->masked = NULL;
    r->nums = NULL;
}

/* Moves pos to target, counting lines. */
static void ap_advance(ap_json_reader *r, size_t target) {
    while (r->pos < target) {
        if (r->text[r->pos] == '\n') {
            r->line++;
            r->line_start = r->pos + 1;
        }
        r->pos++;
    }
}

static void ap_set_error(const ap_json_reader *r, size_t offset, ap_json_error *err,
                         const char *fmt, const char *detail) {
    size_t i, line = 1, start = 0;
    for (i = 0; i < offset && i < r->size; i++)
        if (r->text[i] == '\n') {
            line++;
            start = i + 1;
        }
    err->offset = offset;
    err->line = line;
    /* count characters, not bytes, as jansson does */
    err->column = 1;
    for (i = start; i < offset && i < r->size; i++)
        if (((unsigned char)r->text[i] & 0xC0) != 0x80) err->column++;
    snprintf(err->text, sizeof err->text, fmt, detail);
}

/* ---- number texts: jansson node -> lexeme ---- */

typedef struct ap_num_ref {
    const json_t *node;
    const ap_num_span *span;
} ap_num_ref;

typedef struct ap_num_map {
    ap_num_ref *refs;
    size_t count, cap;
} ap_num_map;

static int ap_collect_numbers(const json_t *v, ap_num_map *m) {
    if (json_is_number(v)) {
        if (m->count == m->cap) {
            size_t ncap = m->cap ? m->cap * 2 : 16;
            ap_num_ref *p = (ap_num_ref *)ap_realloc(m->refs, ncap * sizeof *p);
            if (p == NULL) return -1;
            m->refs = p;
            m->cap = ncap;
        }
        m->refs[m->count].node = v;
        m->refs[m->count].span = NULL;
        m->count++;
    } else if (json_is_array(v)) {
        size_t i;
        for (i = 0; i < json_array_size(v); i++)
            if (ap_collect_numbers(json_array_get(v, i), m)) return -1;
    } else if (json_is_object(v)) {
        void *it;
        for (it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it))
            if (ap_collect_numbers(json_object_iter_value(it), m)) return -1;
    }
    return 0;
}

static int ap_ref_cmp(const void *a, const void *b) {
    const json_t *x = ((const ap_num_ref *)a)->node, *y = ((const ap_num_ref *)b)->node;
    return x < y ? -1 : x > y;
}

static const ap_num_span *ap_num_lookup(const ap_num_map *m, const json_t *node) {
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->refs[mid].node == node) return m->refs[mid].span;
        if (m->refs[mid].node < node) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* ---- canonical compact JSON of a value (extra fields) ---- */

typedef struct ap_kv {
    const char *key;
    size_t len;
    json_t *value;
} ap_kv;

static int ap_kv_cmp(const void *a, const void *b) {
    const ap_kv *x = (const ap_kv *)a, *y = (const ap_kv *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int ap_put_value(ap_buf *out, const json_t *v, const char *text,
                        const ap_num_map *m) {
    switch (json_typeof(v)) {
    case JSON_NULL: return ap_buf_puts(out, "null");
    case JSON_TRUE: return ap_buf_puts(out, "true");
    case JSON_FALSE: return ap_buf_puts(out, "false");
    case JSON_STRING: return ap_json_put_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
    case JSON_REAL: {
        const ap_num_span *s = ap_num_lookup(m, v);
        return s ? ap_buf_put(out, text + s->offset, s->len) : -1;
    }
    case JSON_ARRAY: {
        size_t i;
        if (ap_buf_putc(out, '[')) return -1;
        for (i = 0; i < json_array_size(v); i++) {
            if (i && ap_buf_putc(out, ',')) return -1;
            if (ap_put_value(out, json_array_get(v, i), text, m)) return -1;
        }
        return ap_buf_putc(out, ']');
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        ap_kv *kv = (ap_kv *)ap_malloc(n * sizeof *kv);
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
        qsort(kv, n, sizeof *kv, ap_kv_cmp); /* canonical: sorted keys */
        rc = ap_buf_putc(out, '{');
        for (i = 0; i < n && rc == 0; i++) {
            if (i) rc = ap_buf_putc(out, ',');
            if (!rc) rc = ap_json_put_string(out, kv[i].key, kv[i].len);
            if (!rc) rc = ap_buf_putc(out, ':');
            if (!rc) rc = ap_put_value(out, kv[i].value, text, m);
        }
        if (!rc) rc = ap_buf_putc(out, '}');
        free(kv);
        return rc;
    }
    }
    return -1;
}

/* ---- article building ---- */

static int ap_list_of_strings(const json_t *v) {
    size_t i;
    if (!json_is_array(v)) return 0;
    for (i = 0; i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i))) return 0;
    return 1;
}

static artpack_str ap_str_of(const json_t *v) {
    artpack_str s;
    s.ptr = json_string_value(v);
    s.len = json_string_length(v);
    return s;
}

/* Fills a->view from a->root. Returns 0 or -1 (out of memory). */
static int ap_build_view(ap_json_article *a, const char *text, const ap_num_map *m) {
    artpack_article *view = &a->view;
    size_t nitems = 0, nextra = 0, used = 0, i;
    const char *k;
    size_t kl;
    json_t *v;
    ap_kv *extra;
    size_t *extra_end;
    int rc = -1;

    artpack_article_init(view);
    /* count list items and extra pairs first: one allocation for all */
    json_object_keylen_foreach(a->root, k, kl, v) {
        const artpack_field_info *f = artpack_schema_find(k, kl);
        if (f && f->kind == ARTPACK_KIND_LIST && ap_list_of_strings(v))
            nitems += json_array_size(v);
        else if (!(f && f->kind != ARTPACK_KIND_LIST && json_is_string(v)))
            nextra++;
    }
    a->lists = (artpack_str *)ap_malloc((nitems + 2 * nextra) * sizeof *a->lists);
    extra = (ap_kv *)ap_malloc(nextra * sizeof *extra);
    extra_end = (size_t *)ap_malloc(nextra * sizeof *extra_end);
    if (a->lists == NULL || extra == NULL || extra_end == NULL) goto done;

    nextra = 0;
    json_object_keylen_foreach(a->root, k, kl, v) {
        const artpack_field_info *f = artpack_schema_find(k, kl);
        void *member = f ? (char *)view + f->offset : NULL;
        if (f && f->kind == ARTPACK_KIND_LIST && ap_list_of_strings(v)) {
            artpack_list *l = (artpack_list *)member;
            l->present = 1;
            l->items = a->lists + used;
            l->count = json_array_size(v);
            for (i = 0; i < l->count; i++) a->lists[used++] = ap_str_of(json_array_get(v, i));
        } else if (f && f->kind == ARTPACK_KIND_STRING && json_is_string(v)) {
            *(artpack_str *)member = ap_str_of(v);
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
    qsort(extra, nextra, sizeof *extra, ap_kv_cmp);
    for (i = 0; i < nextra; i++) {
        if (ap_put_value(&a->extra_json, extra[i].value, text, m)) goto done;
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

void ap_json_article_free(ap_json_article *a) {
    if (a->root) json_decref(a->root);
    free(a->lists);
    ap_buf_free(&a->extra_json);
    memset(a, 0, sizeof *a);
}

static void ap_skip_line(ap_json_reader *r, size_t from) {
    const char *nl = (const char *)memchr(r->text + from, '\n', r->size - from);
    ap_advance(r, nl ? (size_t)(nl - r->text) + 1 : r->size);
}

int ap_json_next(ap_json_reader *r, ap_json_article *out, ap_json_error *err) {
    json_error_t jerr;
    size_t start, end, i, first_num;
    ap_num_map map = {NULL, 0, 0};
    json_t *root;

    memset(out, 0, sizeof *out);
    while (r->pos < r->size && (r->text[r->pos] == ' ' || r->text[r->pos] == '\t' ||
                                r->text[r->pos] == '\r' || r->text[r->pos] == '\n'))
        ap_advance(r, r->pos + 1);
    if (r->pos >= r->size) return 0;
    start = r->pos;
    out->start = start;
    out->start_line = r->line;

    if (r->size - start >= 3 && memcmp(r->text + start, "\xEF\xBB\xBF", 3) == 0) {
        ap_set_error(r, start, err, "%s", "byte order mark (U+FEFF): JSON text must not start with one");
        ap_skip_line(r, start);
        return -1;
    }
    root = json_loadb(r->masked + start, r->size - start,
                      JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        /* jansson's line and column count from the start of this document;
         * for a byte that is not UTF-8 it names the character before it, so
         * point at the byte itself (the last one jansson read) */
        int utf8 = strncmp(jerr.text, "unable to decode byte", 21) == 0;
        int at_byte = utf8 || strncmp(jerr.text, "control character", 17) == 0 ||
                      strncmp(jerr.text, "unexpected newline", 18) == 0;
        size_t at = start + (jerr.position > 0 ? (size_t)jerr.position - 1 : 0);
        if (at_byte) at++;
        ap_set_error(r, at_byte ? (at > r->size ? r->size : at) : start, err,
                     utf8 ? "invalid UTF-8: %s" : "%s",
                     ap_alloc_failed() ? "out of memory" : jerr.text);
        if (!at_byte && jerr.line >= 1 && jerr.column >= 1) {
            err->column = jerr.line == 1 ? err->column - 1 + (size_t)jerr.column
                                         : (size_t)jerr.column;
            err->line += (size_t)jerr.line - 1;
        }
        err->offset = at > r->size ? r->size : at;
        ap_skip_line(r, start);
        return -1;
    }
    end = start + (size_t)jerr.position;
    if (ap_alloc_failed()) {
        /* jansson 2.14 can drop characters of a string when its buffer
         * cannot grow and still succeed: never trust a parse after a failed
         * allocation */
        json_decref(root);
        ap_set_error(r, start, err, "%s", "out of memory");
        ap_skip_line(r, start);
        return -1;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        ap_set_error(r, start, err, "%s",
                     "top-level value is an array; each article must be a JSON object");
        ap_skip_line(r, start);
        return -1;
    }
    for (i = end; i < r->size && r->text[i] != '\n'; i++) {
        if (r->text[i] != ' ' && r->text[i] != '\t' && r->text[i] != '\r') {
            json_decref(root);
            ap_set_error(r, i, err, "%s",
                         "unexpected data after the object (one object per line)");
            ap_skip_line(r, start);
            return -1;
        }
    }
    /* numbers: the spans inside [start, end) belong to this object, in order */
    while (r->num_next < r->num_count && r->nums[r->num_next].offset < start) r->num_next++;
    first_num = r->num_next;
    out->root = root;
    if (ap_collect_numbers(root, &map)) goto oom;
    for (i = 0; i < map.count; i++) {
        const ap_num_span *s = &r->nums[first_num + i];
        if (first_num + i >= r->num_count || s->offset >= end) {
            ap_set_error(r, start, err, "%s", "internal error: number texts out of step");
            goto fail;
        }
        if (s->len > AP_JSON_NUMBER_MAX) {
            char detail[64];
            snprintf(detail, sizeof detail, "%zu characters; the limit is %d", s->len,
                     AP_JSON_NUMBER_MAX);
            ap_set_error(r, s->offset, err, "number too long (%s)", detail);
            goto fail;
        }
        map.refs[i].span = s;
    }
    r->num_next = first_num + map.count;
    if (map.count) qsort(map.refs, map.count, sizeof *map.refs, ap_ref_cmp);
    if (ap_build_view(out, r->text, &map)) goto oom;
    free(map.refs);
    ap_advance(r, end);
    return 1;
oom:
    ap_set_error(r, start, err, "%s", "out of memory");
fail:
    free(map.refs);
    ap_json_article_free(out);
    r->num_next = first_num;
    ap_skip_line(r, start);
    return -1;
}

int ap_json_fragment_canonical(const char *text, size_t n) {
    ap_json_reader r;
    json_error_t jerr;
    json_t *v = NULL;
    ap_num_map map = {NULL, 0, 0};
    ap_buf out = {NULL, 0, 0};
    size_t i;
    int ok = 0;
    if (ap_json_reader_init(&r, text, n)) return 0;
    for (i = 0; i < r.num_count; i++)
        if (r.nums[i].len > AP_JSON_NUMBER_MAX) goto done;
    v = json_loadb(r.masked, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (v == NULL || ap_collect_numbers(v, &map) || map.count != r.num_count) goto done;
    for (i = 0; i < map.count; i++) map.refs[i].span = &r.nums[i];
    if (map.count) qsort(map.refs, map.count, sizeof *map.refs, ap_ref_cmp);
    /* the text must be exactly what the encoder writes for this value */
    ok = ap_put_value(&out, v, text, &map) == 0 && out.len == n &&
         (n == 0 || memcmp(out.data, text, n) == 0);
done:
    if (v) json_decref(v);
    free(map.refs);
    ap_buf_free(&out);
    ap_json_reader_free(&r);
    return ok;
}
