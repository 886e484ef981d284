/* record.c - article view <-> record bytes (wire format v1, docs/FORMAT.md). */
#include <string.h>

#include "internal.h"

#define AP_MEMBER(article, f) ((const void *)((const char *)(article) + (f)->offset))
#define AP_MEMBER_MUT(article, f) ((void *)((char *)(article) + (f)->offset))

/* ---- lists ---- */

void artpack_list_begin(artpack_list_iter *it, const artpack_list *list) {
    if (it == NULL) return;
    it->list = list;
    it->index = 0;
    it->pos = 0;
    it->done = list == NULL || !list->present;
}

/* memchr(p, c, n), the first 8 bytes tested in one word first when AP_FAST
 * and the compiler tells a little-endian target: most fields of a record and
 * most elements of its extra field are that short, and a memchr call costs
 * more than they do. */
static const unsigned char *ap_find_byte(const unsigned char *p, size_t n, unsigned c) {
#if AP_FAST && defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 8) {
        uint64_t x, t;
        memcpy(&x, p, 8);
        x ^= 0x0101010101010101ull * c;
        /* a high bit set for each zero byte (and maybe for bytes after one):
         * the lowest set bit is the first c */
        t = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
        if (t != 0) return p + (__builtin_ctzll(t) >> 3);
        p += 8;
        n -= 8;
    }
#endif
    return (const unsigned char *)memchr(p, (int)c, n);
}

/* The next element of a TEXTLIST wire (it not done): e1 FF e2 FF ... en,
 * n >= 1 elements, the last one ends at wire_size. */
static void ap_separated_next(artpack_list_iter *it, const artpack_list *l, artpack_str *out) {
    const unsigned char *p = l->wire + it->pos;
    size_t left = l->wire_size - it->pos;
    const unsigned char *sep = ap_find_byte(p, left, AP_TEXT_SEP);
    out->ptr = (const char *)p;
    out->len = sep ? (size_t)(sep - p) : left;
    if (sep) it->pos += out->len + 1;
    else it->done = 1;
}

int artpack_list_next(artpack_list_iter *it, artpack_str *out) {
    const artpack_list *l;
    if (it == NULL || out == NULL || it->done || (l = it->list) == NULL) return 0;
    if (l->wire != NULL && l->wire_separated) {
        ap_separated_next(it, l, out);
        return 1;
    }
    if (l->wire != NULL) {
        ap_reader r;
        const unsigned char *p;
        size_t n;
        if (it->pos >= l->wire_size) {
            it->done = 1;
            return 0;
        }
        r.base = l->wire;
        r.size = l->wire_size;
        r.pos = it->pos;
        if (ap_read_block(&r, &p, &n) != ARTPACK_OK) {
            it->done = 1; /* malformed: stop for good */
            return 0;
        }
        out->ptr = (const char *)p;
        out->len = n;
        it->pos = r.pos;
        return 1;
    }
    if (it->index >= l->count || l->items == NULL) {
        it->done = 1;
        return 0;
    }
    *out = l->items[it->index++];
    if (out->ptr == NULL) out->ptr = ""; /* an item is always present */
    return 1;
}

size_t artpack_list_count(const artpack_list *list) {
    artpack_list_iter it;
    artpack_str s;
    size_t n = 0;
    if (list == NULL || !list->present) return 0;
    if (list->wire == NULL) return list->count;
    artpack_list_begin(&it, list);
    while (artpack_list_next(&it, &s)) n++;
    return n;
}

/* 1 if s can be written as TEXT (no 0xFE), or, with sep, as an element of a
 * TEXTLIST (neither 0xFE nor 0xFF). */
static int ap_text_safe(const char *s, size_t n, int sep) {
    if (n == 0) return 1;
    if (memchr(s, AP_TEXT_END, n) != NULL) return 0;
    return !sep || memchr(s, AP_TEXT_SEP, n) == NULL;
}

/* Checks the elements of a LIST payload: each a length that fits. With
 * canonical, also that the list could not have been a TEXTLIST (it is empty
 * or an element holds 0xFE or 0xFF). */
static artpack_error ap_check_wire_list(const unsigned char *p, size_t n, int canonical) {
    ap_reader r;
    int needs_prefix = n == 0;
    r.base = p;
    r.size = n;
    r.pos = 0;
    while (r.pos < r.size) {
        const unsigned char *e;
        size_t len;
        artpack_error err = ap_read_block(&r, &e, &len);
        if (err == ARTPACK_E_TRUNCATED) return ARTPACK_E_LENGTH;
        AP_TRY(err);
        if (canonical && !ap_text_safe((const char *)e, len, 1)) needs_prefix = 1;
    }
    AP_RETURN_IF(canonical && !needs_prefix, ARTPACK_E_NONCANONICAL);
    return ARTPACK_OK;
}

/* How a list view is written: TEXTLIST when it has elements and all are
 * text-safe, else LIST. *size gets the payload size (for TEXTLIST without
 * the final 0xFE). Checks the items. */
static artpack_error ap_list_plan(const artpack_list *l, int *separated, size_t *size) {
    size_t prefixed = 0, joined = 0, i;
    int safe = l->count > 0;
    if (l->wire != NULL) {
        AP_RETURN_IF(l->wire_size > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
        if (!l->wire_separated)
            AP_RETURN_IF(ap_check_wire_list(l->wire, l->wire_size, 1) != ARTPACK_OK,
                         ARTPACK_E_BAD_VIEW);
        else
            AP_RETURN_IF(l->wire_size && memchr(l->wire, AP_TEXT_END, l->wire_size) != NULL,
                         ARTPACK_E_BAD_VIEW);
        *separated = l->wire_separated;
        *size = l->wire_size;
        return ARTPACK_OK;
    }
    AP_RETURN_IF(l->count != 0 && l->items == NULL, ARTPACK_E_BAD_VIEW);
    for (i = 0; i < l->count; i++) {
        size_t len = l->items[i].len;
        AP_RETURN_IF(l->items[i].ptr == NULL && len != 0, ARTPACK_E_BAD_VIEW);
        AP_RETURN_IF(len > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
        prefixed += ap_varint_size(len) + len;
        joined += len + (i > 0);
        AP_RETURN_IF(joined > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
        if (safe && !ap_text_safe(l->items[i].ptr, len, 1)) safe = 0;
    }
    *separated = safe;
    *size = safe ? joined : prefixed;
    AP_RETURN_IF(*size > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
    return ARTPACK_OK;
}

/* ---- field presence and the extra-field rules (shared by both sides) ---- */

static int ap_field_present(const artpack_article *a, const artpack_field_info *f) {
    const void *m = AP_MEMBER(a, f);
    switch (f->kind) {
    case ARTPACK_KIND_STRING: return ((const artpack_str *)m)->ptr != NULL;
    case ARTPACK_KIND_DATE: return ((const artpack_date *)m)->kind != ARTPACK_ABSENT;
    case ARTPACK_KIND_TIMESTAMP:
        return ((const artpack_timestamp *)m)->kind != ARTPACK_ABSENT;
    case ARTPACK_KIND_LIST:
    case ARTPACK_KIND_EXTRA: return ((const artpack_list *)m)->present;
    }
    return 0;
}

/* 1 if s[0..n) is a compact JSON array of strings only ("[]", "[\"a\"]",
 * "[\"a\",\"b\"]"): such a value belongs in a typed list field. */
static int ap_json_string_array(const char *s, size_t n) {
    size_t i = 1;
    if (n < 2 || s[0] != '[') return 0;
    if (n == 2) return s[1] == ']';
    for (;;) {
        if (i >= n || s[i] != '"') return 0;
        for (i++; i < n && s[i] != '"'; i++)
            if (s[i] == '\\') i++;
        if (i >= n) return 0;
        i++; /* the closing quote */
        if (i + 1 == n) return s[i] == ']';
        if (i >= n || s[i] != ',') return 0;
        i++;
    }
}

/* artpack_list_next for ap_check_extra: a TEXTLIST's step inline. */
static int ap_extra_next(artpack_list_iter *it, artpack_str *out) {
    if (it->done || it->list->wire == NULL || !it->list->wire_separated)
        return artpack_list_next(it, out);
    ap_separated_next(it, it->list, out);
    return 1;
}

/* 1 when key sorts after prev (ap_str_compare), keys whose first bytes
 * differ told inline (AP_FAST) without a memcmp call. */
static int ap_sorts_after(artpack_str prev, artpack_str key) {
    if (AP_FAST && prev.len != 0 && key.len != 0 && prev.ptr[0] != key.ptr[0])
        return (unsigned char)prev.ptr[0] < (unsigned char)key.ptr[0];
    return ap_str_compare(prev.ptr, prev.len, key.ptr, key.len) < 0;
}

/* At least one pair, keys strictly ascending, values canonical JSON
 * (artpack_json_check_canonical, codec/canonical_json.c), no key of a typed field that is present, and no value
 * the typed field could have held: a string under a string, date or
 * timestamp key, an array of strings under a list key. The list must be well
 * formed. */
static artpack_error ap_check_extra(const artpack_article *a, const artpack_list *l) {
    artpack_list_iter it;
    artpack_str key, value, prev = {NULL, 0};
    /* no pairs at all (a TEXTLIST always holds an element) */
    AP_RETURN_IF(l->wire != NULL ? !l->wire_separated && l->wire_size == 0 : l->count == 0,
                 ARTPACK_E_EXTRA);
    artpack_list_begin(&it, l);
    while (ap_extra_next(&it, &key)) {
        const artpack_field_info *f;
        AP_RETURN_IF(!ap_extra_next(&it, &value), ARTPACK_E_EXTRA);
        AP_RETURN_IF(value.len == 0, ARTPACK_E_EXTRA);
        AP_TRY(artpack_json_check_canonical(value.ptr, value.len));
        AP_RETURN_IF(prev.ptr != NULL && !ap_sorts_after(prev, key), ARTPACK_E_EXTRA);
        prev = key;
        f = artpack_schema_find(key.ptr, key.len);
        if (f == NULL) continue;
        AP_RETURN_IF(ap_field_present(a, f), ARTPACK_E_DUPLICATE_KEY);
        AP_RETURN_IF(f->kind != ARTPACK_KIND_LIST && value.ptr[0] == '"',
                     ARTPACK_E_NONCANONICAL);
        AP_RETURN_IF(f->kind == ARTPACK_KIND_LIST && ap_json_string_array(value.ptr, value.len),
                     ARTPACK_E_NONCANONICAL);
    }
    return ARTPACK_OK;
}

/* ---- encode ---- */

static void ap_write_key(ap_writer *w, unsigned tag, unsigned wt) {
    ap_write_varint(w, ((uint64_t)tag << AP_WT_BITS) | wt);
}

static void ap_write_byte(ap_writer *w, unsigned b) {
    unsigned char c = (unsigned char)b;
    ap_write_bytes(w, &c, 1);
}

/* A string: TEXT (bytes, 0xFE) unless it holds 0xFE, then BYTES. */
static artpack_error ap_write_str(ap_writer *w, unsigned tag, artpack_str s) {
    AP_RETURN_IF(s.len > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
    if (ap_text_safe(s.ptr, s.len, 0)) {
        ap_write_key(w, tag, AP_WT_TEXT);
        ap_write_bytes(w, s.ptr, s.len);
        ap_write_byte(w, AP_TEXT_END);
        return ARTPACK_OK;
    }
    ap_write_key(w, tag, AP_WT_BYTES);
    ap_write_varint(w, s.len);
    ap_write_bytes(w, s.ptr, s.len);
    return ARTPACK_OK;
}

static void ap_write_timestamp(ap_writer *w, unsigned tag, const artpack_timestamp *t) {
    int has_offset = t->zone >= ARTPACK_ZONE_PLUS;
    uint64_t head = (uint64_t)t->fraction_digits | ((uint64_t)t->zone << 4);
    uint64_t secs = ap_zigzag(t->seconds);
    size_t n = ap_varint_size(head) + ap_varint_size(secs) +
               (t->fraction_digits ? ap_varint_size(t->fraction) : 0) +
               (has_offset ? ap_varint_size(t->offset_minutes) : 0);
    ap_write_key(w, tag, AP_WT_PACKED);
    ap_write_varint(w, n);
    ap_write_varint(w, head);
    ap_write_varint(w, secs);
    if (t->fraction_digits) ap_write_varint(w, t->fraction);
    if (has_offset) ap_write_varint(w, t->offset_minutes);
}

static artpack_error ap_write_list(ap_writer *w, unsigned tag, const artpack_list *l) {
    size_t size, i;
    int separated;
    AP_TRY(ap_list_plan(l, &separated, &size));
    ap_write_key(w, tag, separated ? AP_WT_TEXTLIST : AP_WT_LIST);
    if (!separated) ap_write_varint(w, size);
    if (l->wire != NULL) {
        ap_write_bytes(w, l->wire, l->wire_size);
    } else {
        for (i = 0; i < l->count; i++) {
            if (separated && i > 0) ap_write_byte(w, AP_TEXT_SEP);
            if (!separated) ap_write_varint(w, l->items[i].len);
            ap_write_bytes(w, l->items[i].ptr, l->items[i].len);
        }
    }
    if (separated) ap_write_byte(w, AP_TEXT_END);
    return ARTPACK_OK;
}

static artpack_error ap_encode_field(ap_writer *w, const artpack_article *a,
                                     const artpack_field_info *f) {
    const void *m = AP_MEMBER(a, f);
    switch (f->kind) {
    case ARTPACK_KIND_STRING: {
        const artpack_str *s = (const artpack_str *)m;
        if (s->ptr == NULL) return s->len == 0 ? ARTPACK_OK : ARTPACK_E_BAD_VIEW;
        return ap_write_str(w, f->tag, *s);
    }
    case ARTPACK_KIND_DATE: {
        artpack_date d = *(const artpack_date *)m;
        if (d.kind == ARTPACK_ABSENT) return ARTPACK_OK;
        AP_RETURN_IF(d.kind != ARTPACK_NUMBER && d.kind != ARTPACK_TEXT, ARTPACK_E_BAD_VIEW);
        if (d.kind == ARTPACK_TEXT) { /* canonical: numeric whenever lossless */
            AP_RETURN_IF(d.text.ptr == NULL, ARTPACK_E_BAD_VIEW);
            AP_TRY(artpack_date_parse(&d, d.text.ptr, d.text.len));
            if (d.kind == ARTPACK_TEXT) return ap_write_str(w, f->tag, d.text);
        }
        AP_RETURN_IF(d.days < AP_DAYS_MIN || d.days > AP_DAYS_MAX, ARTPACK_E_DATE);
        ap_write_key(w, f->tag, AP_WT_VARINT);
        ap_write_varint(w, ap_zigzag(d.days));
        return ARTPACK_OK;
    }
    case ARTPACK_KIND_TIMESTAMP: {
        artpack_timestamp t = *(const artpack_timestamp *)m;
        if (t.kind == ARTPACK_ABSENT) return ARTPACK_OK;
        AP_RETURN_IF(t.kind != ARTPACK_NUMBER && t.kind != ARTPACK_TEXT, ARTPACK_E_BAD_VIEW);
        if (t.kind == ARTPACK_TEXT) {
            AP_RETURN_IF(t.text.ptr == NULL, ARTPACK_E_BAD_VIEW);
            AP_TRY(artpack_timestamp_parse(&t, t.text.ptr, t.text.len));
            if (t.kind == ARTPACK_TEXT) return ap_write_str(w, f->tag, t.text);
        }
        AP_RETURN_IF(!ap_timestamp_numeric_ok(&t), ARTPACK_E_TIMESTAMP);
        ap_write_timestamp(w, f->tag, &t);
        return ARTPACK_OK;
    }
    case ARTPACK_KIND_LIST:
    case ARTPACK_KIND_EXTRA: {
        const artpack_list *l = (const artpack_list *)m;
        if (!l->present) return ARTPACK_OK;
        if (f->kind == ARTPACK_KIND_EXTRA) {
            size_t ignored;
            int sep;
            AP_TRY(ap_list_plan(l, &sep, &ignored)); /* well formed first */
            AP_TRY(ap_check_extra(a, l));
        }
        return ap_write_list(w, f->tag, l);
    }
    }
    return ARTPACK_E_BAD_VIEW;
}

static artpack_error ap_encode(ap_writer *w, const artpack_article *a) {
    size_t i, n = artpack_schema_count();
    for (i = 0; i < n; i++) AP_TRY(ap_encode_field(w, a, artpack_schema_field(i)));
    ap_write_varint(w, AP_KEY_END);
    AP_RETURN_IF(w->pos > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_TOO_LARGE);
    return ARTPACK_OK;
}

artpack_error artpack_record_size(const artpack_article *src, size_t *size) {
    ap_writer w;
    AP_RETURN_IF(src == NULL || size == NULL, ARTPACK_E_NULL_ARG);
    w.dst = NULL;
    w.cap = 0;
    w.pos = 0;
    AP_TRY(ap_encode(&w, src));
    *size = w.pos;
    return ARTPACK_OK;
}

artpack_error artpack_record_encode(void *dst, size_t dst_capacity,
                                    const artpack_article *src, size_t *written) {
    ap_writer w;
    AP_RETURN_IF(src == NULL || written == NULL || (dst == NULL && dst_capacity != 0),
                 ARTPACK_E_NULL_ARG);
    w.dst = (unsigned char *)dst;
    w.cap = dst_capacity;
    w.pos = 0;
    AP_TRY(ap_encode(&w, src));
    AP_RETURN_IF(w.pos > dst_capacity, ARTPACK_E_DST_TOO_SMALL);
    *written = w.pos;
    return ARTPACK_OK;
}

size_t artpack_record_bound(size_t json_size) { return ARTPACK_RECORD_BOUND(json_size); }

/* ---- decode ---- */

/* ap_read_varint, a one-byte varint inline (AP_FAST): every key of a tag up
 * to 15 and most lengths and values. */
static artpack_error ap_read_small(ap_reader *r, uint64_t *v) {
    if (AP_FAST && r->pos < r->size && r->base[r->pos] < 0x80u) {
        *v = r->base[r->pos++];
        return ARTPACK_OK;
    }
    return ap_read_varint(r, v);
}

static artpack_error ap_decode_timestamp(artpack_timestamp *t, const unsigned char *p,
                                         size_t n) {
    ap_reader r;
    uint64_t head, secs, v;
    uint32_t limit = 1;
    unsigned i;
    r.base = p;
    r.size = n;
    r.pos = 0; /* *t is all zero: the article was initialised, tags come once */
    AP_RETURN_IF(ap_read_small(&r, &head) || head >= 64 || (head & 15u) > 9,
                 ARTPACK_E_TIMESTAMP);
    AP_RETURN_IF(ap_read_varint(&r, &secs), ARTPACK_E_TIMESTAMP);
    t->kind = ARTPACK_NUMBER;
    t->fraction_digits = (uint8_t)(head & 15u);
    t->zone = (uint8_t)(head >> 4); /* head < 64: a valid zone */
    t->seconds = ap_unzigzag(secs);
    AP_RETURN_IF(t->seconds < AP_SECONDS_MIN || t->seconds > AP_SECONDS_MAX, ARTPACK_E_TIMESTAMP);
    for (i = 0; i < t->fraction_digits; i++) limit *= 10u;
    if (t->fraction_digits) { /* fits its digits */
        AP_RETURN_IF(ap_read_small(&r, &v) || v >= limit, ARTPACK_E_TIMESTAMP);
        t->fraction = (uint32_t)v;
    }
    if (t->zone >= ARTPACK_ZONE_PLUS) {
        AP_RETURN_IF(ap_read_small(&r, &v) || v > 1439u, ARTPACK_E_TIMESTAMP);
        t->offset_minutes = (uint16_t)v;
    }
    /* what ap_timestamp_numeric_ok checks, without linking it in */
    AP_RETURN_IF(r.pos != r.size, ARTPACK_E_TIMESTAMP);
    return ARTPACK_OK;
}

/* A string payload: TEXT, or BYTES only when the bytes hold 0xFE. */
static artpack_error ap_decode_text(artpack_str *s, unsigned wt, const unsigned char *p,
                                    size_t n) {
    AP_RETURN_IF(wt != AP_WT_TEXT && wt != AP_WT_BYTES, ARTPACK_E_WIRE_TYPE);
    AP_RETURN_IF(AP_CANONICAL && wt == AP_WT_BYTES && ap_text_safe((const char *)p, n, 0),
                 ARTPACK_E_NONCANONICAL);
    s->ptr = (const char *)p;
    s->len = n;
    return ARTPACK_OK;
}

/* Without the canonical checks, what the extra field must still be: key /
 * value pairs, at least one. */
static artpack_error ap_check_pairs(const artpack_list *l) {
    size_t n = artpack_list_count(l);
    AP_RETURN_IF(n == 0 || (n & 1u) != 0, ARTPACK_E_EXTRA);
    return ARTPACK_OK;
}

static artpack_error ap_decode_field(artpack_article *a, const ap_tag_field *f, unsigned wt,
                                     uint64_t value, const unsigned char *p, size_t n) {
    void *m = (char *)a + f->offset;
    switch (f->kind) {
    case ARTPACK_KIND_STRING:
        return ap_decode_text((artpack_str *)m, wt, p, n);
    case ARTPACK_KIND_DATE: {
        artpack_date *d = (artpack_date *)m;
        if (wt == AP_WT_VARINT) {
            int64_t days = ap_unzigzag(value);
            AP_RETURN_IF(days < AP_DAYS_MIN || days > AP_DAYS_MAX, ARTPACK_E_DATE);
            d->kind = ARTPACK_NUMBER;
            d->days = (int32_t)days;
            return ARTPACK_OK;
        }
        AP_TRY(ap_decode_text(&d->text, wt, p, n));
        d->kind = ARTPACK_TEXT;
        /* canonical: TEXT only when the date could not be a NUMBER */
        if (AP_CANONICAL) AP_TRY(artpack_date_parse(d, d->text.ptr, d->text.len));
        AP_RETURN_IF(d->kind != ARTPACK_TEXT, ARTPACK_E_NONCANONICAL);
        return ARTPACK_OK;
    }
    case ARTPACK_KIND_TIMESTAMP: {
        artpack_timestamp *t = (artpack_timestamp *)m;
        if (wt == AP_WT_PACKED) return ap_decode_timestamp(t, p, n);
        AP_TRY(ap_decode_text(&t->text, wt, p, n));
        t->kind = ARTPACK_TEXT;
        if (AP_CANONICAL) AP_TRY(artpack_timestamp_parse(t, t->text.ptr, t->text.len));
        AP_RETURN_IF(t->kind != ARTPACK_TEXT, ARTPACK_E_NONCANONICAL);
        return ARTPACK_OK;
    }
    default: { /* ARTPACK_KIND_LIST, ARTPACK_KIND_EXTRA */
        artpack_list *l = (artpack_list *)m;
        AP_RETURN_IF(wt != AP_WT_LIST && wt != AP_WT_TEXTLIST, ARTPACK_E_WIRE_TYPE);
        if (wt == AP_WT_LIST) AP_TRY(ap_check_wire_list(p, n, AP_CANONICAL));
        l->present = 1;
        l->wire = p;
        l->wire_size = n;
        l->wire_separated = wt == AP_WT_TEXTLIST;
        if (f->kind != ARTPACK_KIND_EXTRA) return ARTPACK_OK;
        return AP_CANONICAL ? ap_check_extra(a, l) : ap_check_pairs(l);
    }
    }
}

/* Reads up to the 0xFE that ends a TEXT or TEXTLIST payload. */
static artpack_error ap_read_text(ap_reader *r, const unsigned char **out, size_t *len) {
    const unsigned char *p = r->base + r->pos;
    const unsigned char *end = ap_find_byte(p, r->size - r->pos, AP_TEXT_END);
    AP_RETURN_IF(end == NULL, ARTPACK_E_TRUNCATED);
    AP_RETURN_IF((size_t)(end - p) > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_LENGTH);
    *out = p;
    *len = (size_t)(end - p);
    r->pos += *len + 1;
    return ARTPACK_OK;
}

static artpack_error ap_decode(artpack_article *a, ap_reader *r, size_t *field_start) {
    uint64_t last_tag = 0;
    for (;;) {
        uint64_t key, tag, value = 0;
        unsigned wt;
        const unsigned char *p = NULL;
        size_t n = 0;
        const ap_tag_field *f;
        *field_start = r->pos;
        AP_TRY(ap_read_small(r, &key)); /* TRUNCATED at the end of the bytes */
        if (key == AP_KEY_END) {
            AP_RETURN_IF(r->pos != r->size, ARTPACK_E_TAG);
            return ARTPACK_OK;
        }
        tag = key >> AP_WT_BITS;
        wt = (unsigned)(key & ((1u << AP_WT_BITS) - 1));
        AP_RETURN_IF(tag == 0, ARTPACK_E_TAG);
        AP_RETURN_IF(wt > AP_WT_TEXTLIST, ARTPACK_E_WIRE_TYPE);
        AP_RETURN_IF(tag <= last_tag, ARTPACK_E_FIELD_ORDER);
        last_tag = tag;
        if (wt == AP_WT_VARINT)
            AP_TRY(ap_read_small(r, &value));
        else if (wt == AP_WT_TEXT || wt == AP_WT_TEXTLIST)
            AP_TRY(ap_read_text(r, &p, &n));
        else
            AP_TRY(ap_read_block(r, &p, &n));
        f = ap_schema_by_tag(tag);
        if (f != NULL) AP_TRY(ap_decode_field(a, f, wt, value, p, n));
        /* else: a field of a later minor version, skipped */
    }
}

/* artpack_article_init, with AP_FAST in 64-byte stores: the one memset of
 * the whole article compiles to a rep stos that costs more. */
static void ap_article_clear(artpack_article *a) {
    size_t i;
    if (!AP_FAST) {
        artpack_article_init(a);
        return;
    }
    for (i = 0; i + 64 <= sizeof *a; i += 64) memset((char *)a + i, 0, 64);
    memset((char *)a + i, 0, sizeof *a - i);
}

artpack_error artpack_record_decode(artpack_article *dst, const void *src,
                                    size_t src_size, size_t *error_offset) {
    ap_reader r;
    size_t field_start = 0;
    artpack_error err;
    AP_RETURN_IF(dst == NULL || (src == NULL && src_size != 0), ARTPACK_E_NULL_ARG);
    ap_article_clear(dst);
    r.base = (const unsigned char *)src;
    r.size = src_size;
    r.pos = 0;
    err = src_size > ARTPACK_MAX_FIELD_SIZE ? ARTPACK_E_LENGTH
                                            : ap_decode(dst, &r, &field_start);
    if (err != ARTPACK_OK) {
        artpack_article_init(dst);
        if (error_offset != NULL) *error_offset = field_start;
    }
    return err;
}

artpack_error artpack_record_validate(const void *src, size_t src_size,
                                      size_t *error_offset) {
    artpack_article scratch;
    return artpack_record_decode(&scratch, src, src_size, error_offset);
}
