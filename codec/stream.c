/* stream.c - the record stream and the compressed stream (docs/FORMAT.md
 * "Record stream", "Compressed stream"): their header and the framing of
 * their items. No I/O and no allocation: the caller brings the bytes, whole
 * or in pieces; artpack.h says what each function checks. */
#include <string.h>

#include "internal.h"

static const unsigned char ap_stream_magic_records[4] = {'A', 'P', 'K', 'R'};
static const unsigned char ap_stream_magic_compressed[4] = {'A', 'P', 'K', 'Z'};
#define AP_STREAM_MAGIC 4u

static int ap_stream_kind_ok(artpack_stream_kind kind) {
    return kind == ARTPACK_STREAM_RECORDS || kind == ARTPACK_STREAM_COMPRESSED;
}

/* ---- writing ---- */

artpack_error artpack_stream_header_write(void *dst, size_t dst_capacity,
                                          artpack_stream_kind kind, uint32_t dict_id,
                                          size_t *written) {
    unsigned char *p = (unsigned char *)dst;
    size_t size;
    AP_RETURN_IF(dst == NULL || written == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(!ap_stream_kind_ok(kind), ARTPACK_E_PARAM);
    AP_RETURN_IF(kind == ARTPACK_STREAM_RECORDS && dict_id != 0, ARTPACK_E_PARAM);
    size = ARTPACK_STREAM_HEADER_SIZE(kind);
    AP_RETURN_IF(dst_capacity < size, ARTPACK_E_DST_TOO_SMALL);
    memcpy(p,
           kind == ARTPACK_STREAM_RECORDS ? ap_stream_magic_records : ap_stream_magic_compressed,
           AP_STREAM_MAGIC);
    p[AP_STREAM_MAGIC] = (unsigned char)ARTPACK_STREAM_VERSION(kind);
    if (kind == ARTPACK_STREAM_COMPRESSED) ap_write_le32(p + AP_STREAM_MAGIC + 1, dict_id);
    *written = size;
    return ARTPACK_OK;
}

artpack_error artpack_stream_item_head_write(void *dst, size_t dst_capacity, size_t item_size,
                                             size_t *written) {
    size_t n;
    AP_RETURN_IF(dst == NULL || written == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(item_size > ARTPACK_STREAM_ITEM_SIZE_MAX, ARTPACK_E_TOO_LARGE);
    n = artpack_varint_write(dst, dst_capacity, (uint64_t)item_size);
    AP_RETURN_IF(n == 0, ARTPACK_E_DST_TOO_SMALL);
    *written = n;
    return ARTPACK_OK;
}

/* ---- reading ---- */

/* Whether the first n bytes of p (up to 4) match a magic (*prefix_ok), and
 * the kind once all 4 are there. */
static artpack_stream_kind ap_stream_match(const unsigned char *p, size_t n, int *prefix_ok) {
    size_t k = n < AP_STREAM_MAGIC ? n : AP_STREAM_MAGIC;
    int r = k == 0 || memcmp(p, ap_stream_magic_records, k) == 0;
    int z = k == 0 || memcmp(p, ap_stream_magic_compressed, k) == 0;
    *prefix_ok = r || z;
    if (k < AP_STREAM_MAGIC) return ARTPACK_STREAM_UNKNOWN;
    return r ? ARTPACK_STREAM_RECORDS : z ? ARTPACK_STREAM_COMPRESSED : ARTPACK_STREAM_UNKNOWN;
}

artpack_error artpack_stream_header_read(artpack_stream_info *dst, const void *src,
                                         size_t src_size, int src_ends, size_t *need) {
    const unsigned char *p = (const unsigned char *)src;
    artpack_stream_kind kind;
    size_t size;
    int prefix_ok;
    AP_RETURN_IF(dst == NULL || (src == NULL && src_size != 0) || (need == NULL && !src_ends),
                 ARTPACK_E_NULL_ARG);
    memset(dst, 0, sizeof *dst);
    if (need != NULL) *need = 0;
    kind = ap_stream_match(p, src_size, &prefix_ok);
    AP_RETURN_IF(!prefix_ok, ARTPACK_E_STREAM); /* known as soon as a byte differs */
    if (kind == ARTPACK_STREAM_UNKNOWN) {       /* fewer than 4 bytes, all matching */
        AP_RETURN_IF(src_ends, ARTPACK_E_STREAM);
        *need = ARTPACK_STREAM_HEADER_SIZE(ARTPACK_STREAM_RECORDS); /* the smaller */
        return ARTPACK_OK;
    }
    dst->kind = kind;
    size = ARTPACK_STREAM_HEADER_SIZE(kind);
    if (src_size > AP_STREAM_MAGIC) {
        dst->version = p[AP_STREAM_MAGIC];
        AP_RETURN_IF(dst->version != (unsigned)ARTPACK_STREAM_VERSION(kind), ARTPACK_E_STREAM);
    }
    if (src_size < size) {
        AP_RETURN_IF(src_ends, ARTPACK_E_TRUNCATED);
        *need = size;
        return ARTPACK_OK;
    }
    if (kind == ARTPACK_STREAM_COMPRESSED) dst->dict_id = ap_read_le32(p + AP_STREAM_MAGIC + 1);
    dst->header_size = size;
    return ARTPACK_OK;
}

artpack_error artpack_stream_check_dict(const artpack_stream_info *info,
                                        const artpack_dict *dict) {
    AP_RETURN_IF(info == NULL, ARTPACK_E_NULL_ARG);
    if (info->kind != ARTPACK_STREAM_COMPRESSED || info->dict_id == 0) return ARTPACK_OK;
    AP_RETURN_IF(dict == NULL, ARTPACK_E_NEED_DICT);
    AP_RETURN_IF(dict->id != info->dict_id, ARTPACK_E_WRONG_DICT);
    return ARTPACK_OK;
}

artpack_error artpack_stream_reader_init(artpack_stream_reader *r,
                                         const artpack_stream_info *info) {
    AP_RETURN_IF(r == NULL || info == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(!ap_stream_kind_ok(info->kind) ||
                     info->header_size != ARTPACK_STREAM_HEADER_SIZE(info->kind),
                 ARTPACK_E_PARAM);
    memset(r, 0, sizeof *r);
    r->info = *info;
    r->offset = info->header_size;
    return ARTPACK_OK;
}

artpack_error artpack_stream_next(artpack_stream_reader *r, const void *src, size_t src_size,
                                  int src_ends, artpack_stream_item *item, size_t *need) {
    ap_reader in;
    uint64_t len;
    artpack_error e;
    AP_RETURN_IF(r == NULL || item == NULL || need == NULL, ARTPACK_E_NULL_ARG);
    memset(item, 0, sizeof *item);
    item->offset = r->offset;
    item->index = r->index;
    *need = 0;
    AP_RETURN_IF(src == NULL && src_size != 0, ARTPACK_E_NULL_ARG);
    if (src_size == 0) { /* the end, or nothing yet */
        if (!src_ends) *need = 1;
        return ARTPACK_OK;
    }
    in.base = (const unsigned char *)src;
    in.size = src_size;
    in.pos = 0;
    e = ap_read_varint(&in, &len);
    if (e == ARTPACK_E_TRUNCATED && !src_ends) { /* the prefix goes on */
        *need = src_size + 1;
        return ARTPACK_OK;
    }
    AP_TRY(e); /* ARTPACK_E_VARINT, or ARTPACK_E_TRUNCATED at the end */
    item->head_size = in.pos;
    AP_RETURN_IF(len > ARTPACK_STREAM_ITEM_SIZE_MAX, ARTPACK_E_LENGTH);
    item->size = (size_t)len;
    if (item->size > src_size - in.pos) {
        AP_RETURN_IF(src_ends, ARTPACK_E_TRUNCATED);
        item->size = 0;
        item->head_size = 0;
        *need = in.pos + (size_t)len;
        return ARTPACK_OK;
    }
    item->data = in.base + in.pos;
    item->consumed = in.pos + item->size;
    r->offset += item->consumed;
    r->index++;
    return ARTPACK_OK;
}
