/* wire.c - varints and the bounds-checked reader / counting writer. */
#include <string.h>

#include "internal.h"

size_t artpack_varint_read(uint64_t *v, const void *src, size_t src_size) {
    ap_reader r;
    if (v == NULL || src == NULL) return 0;
    r.base = (const unsigned char *)src;
    r.size = src_size;
    r.pos = 0;
    return ap_read_varint(&r, v) == ARTPACK_OK ? r.pos : 0;
}

size_t artpack_varint_write(void *dst, size_t dst_capacity, uint64_t v) {
    unsigned char *p = (unsigned char *)dst;
    size_t n = ap_varint_size(v), i;
    if (dst == NULL || n > dst_capacity) return 0;
    for (i = 0; i + 1 < n; i++) {
        p[i] = (unsigned char)(v | 0x80u);
        v >>= 7;
    }
    p[i] = (unsigned char)v;
    return n;
}

size_t ap_varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80u) {
        v >>= 7;
        n++;
    }
    return n;
}

artpack_error ap_read_varint(ap_reader *r, uint64_t *v) {
    /* minimal LEB128 of at most 64 bits (docs/FORMAT.md), telling a cut-off
     * varint (TRUNCATED) from a malformed one (VARINT) */
    const unsigned char *p = r->base + r->pos;
    size_t left = r->size - r->pos, i;
    uint64_t value = 0;
    for (i = 0; i < ARTPACK_VARINT_MAX; i++) {
        unsigned b;
        if (i == left) return ARTPACK_E_TRUNCATED;
        b = p[i];
        if (i == ARTPACK_VARINT_MAX - 1 && b > 1) return ARTPACK_E_VARINT; /* over 64 bits */
        value |= (uint64_t)(b & 0x7Fu) << (7 * i);
        if ((b & 0x80u) == 0) {
            if (b == 0 && i > 0) return ARTPACK_E_VARINT; /* non-minimal */
            *v = value;
            r->pos += i + 1;
            return ARTPACK_OK;
        }
    }
    return ARTPACK_E_VARINT;
}

artpack_error ap_read_block(ap_reader *r, const unsigned char **out, size_t *len) {
    uint64_t n;
    AP_TRY(ap_read_varint(r, &n));
    AP_RETURN_IF(n > ARTPACK_MAX_FIELD_SIZE, ARTPACK_E_LENGTH);
    AP_RETURN_IF(n > r->size - r->pos, ARTPACK_E_TRUNCATED);
    *out = r->base + r->pos;
    *len = (size_t)n;
    r->pos += (size_t)n;
    return ARTPACK_OK;
}

void ap_write_bytes(ap_writer *w, const void *src, size_t n) {
    if (n != 0 && w->pos <= w->cap && n <= w->cap - w->pos)
        memcpy(w->dst + w->pos, src, n);
    w->pos += n;
}

void ap_write_varint(ap_writer *w, uint64_t v) {
    size_t n = ap_varint_size(v);
    if (w->pos <= w->cap && n <= w->cap - w->pos)
        (void)artpack_varint_write(w->dst + w->pos, n, v);
    w->pos += n;
}

int ap_str_compare(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}
