/* fw.c - the firmware test: decode every article of a bundle held in flash
 * (FW_BUNDLE: read in place through the map callback, with the dictionary
 * referenced in flash) and of a compressed stream of the same articles (its
 * frames word-transformed: expanded from the dictionary's word list in
 * flash), or every record of a table (FW_RECORD: the record decoder alone),
 * check each against a hash computed on the host, and report
 * over semihosting: the count, the workspace, and the stack's high-water
 * mark. */
#include <stdint.h>
#include <string.h>

#include "artpack.h"
#include "fw.h"
#include "fw_data.h"

static uint32_t fw_fnv(const unsigned char *p, size_t n) {
    uint32_t h = 2166136261u;
    while (n--) {
        h ^= *p++;
        h *= 16777619u;
    }
    return h;
}

/* Walks a decoded article as an application would: every list element. */
static unsigned long fw_touch(const artpack_article *a) {
    artpack_list_iter it;
    artpack_str s;
    unsigned long n = a->title.len + a->id.len;
    artpack_list_begin(&it, &a->body);
    while (artpack_list_next(&it, &s)) n += s.len;
    artpack_list_begin(&it, &a->extra);
    while (artpack_list_next(&it, &s)) n += s.len;
    return n;
}

#ifdef FW_BUNDLE
#if !defined(FW_WORKSPACE) || FW_WORKSPACE == 0
#undef FW_WORKSPACE
#define FW_WORKSPACE 65536 /* the probe build; then the exact figure */
#endif
static uint64_t fw_ws[(FW_WORKSPACE + 7) / 8];

static const void *fw_map(void *opaque, uint64_t off, size_t size) {
    (void)opaque;
    if (off > fw_bundle_size || size > fw_bundle_size - off) return NULL;
    return fw_bundle + off;
}
static int fw_read(void *opaque, uint64_t off, void *dst, size_t size) {
    const void *p = fw_map(opaque, off, size);
    if (p == NULL) return -1;
    memcpy(dst, p, size);
    return 0;
}

/* Every frame of the compressed stream fw_stream (docs/FORMAT.md: a 9-byte
 * header, then varint length and frame pairs), decoded in the workspace (the
 * bundle reader is done with it): a decompressor, then the article. The
 * frames are walked by hand, as a device would read them from its storage.
 * Returns the articles that failed; *bytes grows as fw_touch says. */
static unsigned long fw_stream_check(const artpack_dict *dict, artpack_codec codec,
                                     unsigned long *bytes) {
    artpack_decompressor *d;
    unsigned char *ws = (unsigned char *)fw_ws, *out;
    size_t dws = (artpack_decompressor_workspace_size(codec) + 15u) & ~(size_t)15u, at = 9;
    unsigned long n = 0, bad = 0, words = 0;
    if (fw_stream_size == 0) return 0;
    if (dws >= sizeof fw_ws ||
        artpack_decompressor_init(&d, ws, dws, codec, dict, 0) != ARTPACK_OK)
        return 1;
    out = ws + dws;
    while (at < fw_stream_size) {
        artpack_article a;
        uint64_t len;
        size_t got, head = artpack_varint_read(&len, fw_stream + at, fw_stream_size - at);
        if (head == 0 || len > fw_stream_size - at - head) return bad + 1;
        at += head;
        if (fw_stream[at] & 0x20) words++; /* flag bit 5: word-transformed */
        if (n >= fw_count ||
            artpack_frame_decompress(d, out, sizeof fw_ws - dws, fw_stream + at, (size_t)len,
                                     &got) != ARTPACK_OK ||
            artpack_record_decode(&a, out, got, NULL) != ARTPACK_OK ||
            fw_fnv(out, got) != fw_hash[n])
            bad++;
        else
            *bytes += fw_touch(&a);
        at += (size_t)len;
        n++;
    }
    fw_putu(" words=", words); /* frames of the stream word-transformed */
    return bad + (n != fw_count) + (words == 0); /* every article, some transformed */
}
#endif

int main(void) {
    unsigned long n, bytes = 0, bad = 0, state = 0;
#ifdef FW_BUNDLE
    artpack_bundle_info info;
    artpack_bundle_reader *r;
    artpack_dict dict;
    size_t need;
    if (artpack_dict_load(&dict, fw_dict, fw_dict_size) != ARTPACK_OK ||
        artpack_bundle_info_get(&info, fw_read, NULL, fw_bundle_size) != ARTPACK_OK) {
        fw_puts("fw: cannot open the bundle\n");
        return 1;
    }
    need = artpack_bundle_reader_workspace_size_mapped(&info, 0);
    fw_putu("fw: workspace=", (unsigned long)need);
    if (need > sizeof fw_ws ||
        artpack_bundle_reader_open_mapped(&r, fw_ws, sizeof fw_ws, &info, &dict, fw_map, NULL) !=
            ARTPACK_OK) {
        fw_puts("fw: cannot set up the reader\n");
        return 1;
    }
    /* what decoding needs besides the output buffer (the block's content) */
    state = (unsigned long)(need - ((info.max_block_content + 15u) & ~(size_t)15u));
    if (info.article_count != fw_count) bad++;
    for (n = 0; n < fw_count; n++) {
        const void *rec;
        size_t len;
        artpack_article a;
        if (artpack_bundle_get(r, n, &rec, &len) != ARTPACK_OK ||
            artpack_record_decode(&a, rec, len, NULL) != ARTPACK_OK ||
            fw_fnv((const unsigned char *)rec, len) != fw_hash[n]) {
            bad++;
            continue;
        }
        bytes += fw_touch(&a);
    }
    bad += fw_stream_check(&dict, info.codec, &bytes);
#else
    fw_puts("fw:");
    for (n = 0; n < fw_count; n++) {
        artpack_article a;
        const unsigned char *rec = fw_records + fw_record_off[n];
        if (artpack_record_decode(&a, rec, fw_record_len[n], NULL) != ARTPACK_OK ||
            fw_fnv(rec, fw_record_len[n]) != fw_hash[n]) {
            bad++;
            continue;
        }
        bytes += fw_touch(&a);
    }
#endif
    if (bytes == 0) bad++; /* the lists were walked */
    fw_putu(" articles=", n - bad);
    fw_putu(" state=", state);
    fw_putu(" stack=", fw_stack_used());
    fw_puts(bad ? " FAILED\n" : " ok\n");
    return bad ? 1 : 0;
}
