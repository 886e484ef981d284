/* bundle_format.h - the bundle's chunks (docs/FORMAT.md "Bundle"); shared
 * by bundle_write.c and bundle_read.c. Internal. */
#ifndef ARTPACK_BUNDLE_FORMAT_H
#define ARTPACK_BUNDLE_FORMAT_H

#include "internal.h"

#define AP_ZSTD_MAGIC 0xFD2FB528u
#define AP_SKIP_MAGIC_FIRST 0x184D2A50u /* skippable frames: 0x184D2A50..5F */
#define AP_CHUNK_HEADER 0x184D2A5Au
#define AP_CHUNK_DICT 0x184D2A5Bu
#define AP_CHUNK_BLOCK 0x184D2A5Cu    /* an LZ4 or stored block (artpack frame) */
#define AP_CHUNK_INDEX 0x184D2A5Du
#define AP_CHUNK_FOOTER 0x184D2A5Eu

#define AP_HEADER_PAYLOAD 24
#define AP_HEADER_CHUNK (8 + AP_HEADER_PAYLOAD)
#define AP_FOOTER_PAYLOAD 24
#define AP_SEGMENT_HEAD 32  /* fixed part of an index segment's payload */
#define AP_BLOCK_ENTRY 16   /* u64 offset, u32 frame size, u32 first article (relative) */

static inline uint64_t ap_read_le64(const unsigned char *p) {
    return (uint64_t)ap_read_le32(p) | (uint64_t)ap_read_le32(p + 4) << 32;
}
static inline void ap_write_le64(unsigned char *p, uint64_t v) {
    ap_write_le32(p, (uint32_t)v);
    ap_write_le32(p + 4, (uint32_t)(v >> 32));
}

/* The checksum of headers, footers and index segments: XXH32 (seed 0). */
uint32_t ap_bundle_checksum(const void *p, size_t n);
/* A 16-bit hash of an article id (the index keeps one per article). */
unsigned ap_bundle_id_hash(const char *id, size_t len);

/* For copying blocks between bundles (bundle_read.c): block b decoded and
 * checked (content in the reader's buffer, where its frame is stored), then
 * its stored frame read raw into the reader's buffer. Each call overwrites
 * what the previous one returned. */
const artpack_bundle_info *ap_bundle_reader_info(const artpack_bundle_reader *r);
artpack_error ap_bundle_reader_content(artpack_bundle_reader *r, uint64_t b,
                                       const unsigned char **content, size_t *content_size,
                                       uint64_t *frame_offset, size_t *frame_size);
artpack_error ap_bundle_reader_raw(artpack_bundle_reader *r, uint64_t offset, size_t size,
                                   const unsigned char **data);

#endif
