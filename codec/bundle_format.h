/* bundle_format.h - the bundle's layout in one place (docs/FORMAT.md
 * "Bundle"): chunk magics and sizes, the header, the dictionary chunk's head,
 * block content, index segments and the footer. Every reader, the writer and
 * salvage parse and build these through bundle_format.c, so a format change
 * is an edit of these two files. Internal. What only the writer and salvage
 * use (the *_write functions, ap_block_parse, ap_block_head, the block
 * iterator) is not in the decode-only build (ARTPACK_NO_ALLOC). */
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

#define AP_BUNDLE_VERSION 3      /* written; version 2 (no columnar blocks) is read too */
#define AP_FLAG_EMBEDDED 1u
#define AP_FLAG_COLUMNS 2u       /* blocks hold columnar content (version 3) */
#define AP_FLAG_WORDS 4u         /* blocks hold word envelopes (version 3, a dictionary) */
#define AP_FLAG_SIMILAR 8u       /* articles assigned to blocks by similarity: index
                                    segments may hold a block map (version 3) */
#define AP_SEG_MAP 1u            /* segment flag: a block map follows the id hashes */
#define AP_HEADER_PAYLOAD 24
#define AP_HEADER_CHUNK (8 + AP_HEADER_PAYLOAD)
#define AP_DICT_CHUNK_HEAD 12   /* magic, size, u32 dictionary size; then its zstd frame */
#define AP_DICT_CHUNK_MIN 20    /* the smallest dictionary it holds: a CM model's header */
#define AP_FOOTER_PAYLOAD 24
#define AP_SEGMENT_HEAD 48      /* fixed part of an index segment's payload */
#define AP_LIVE_ENTRY 24        /* u64 segment offset, u64 first article, u64 first block */
#define AP_LIVE_MAX 63          /* live segments before the last (each more than twice the next) */
#define AP_BLOCK_ENTRY 16       /* u64 offset, u32 frame size, u32 first article (relative) */
/* A block's content holds at most this many records (the writer starts a new
 * block there; readers refuse more): it bounds the reader's offset table. */
#define AP_BLOCK_ARTICLES_MAX ARTPACK_BUNDLE_BLOCK_ARTICLES_MAX
/* The reader keeps the position of every AP_OFFSET_STRIDE-th record of the
 * loaded block: a get walks at most AP_OFFSET_STRIDE - 1 sizes. */
#define AP_OFFSET_STRIDE 64u

/* Little-endian loads, always inlined: on a Cortex-M4 each is one or two
 * load instructions, smaller than a call (gcc -Os calls internal.h's
 * ap_read_le32, whose byte-wise form it only folds into a load later). */
#if defined(__GNUC__)
#define AP_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define AP_ALWAYS_INLINE static inline
#endif
AP_ALWAYS_INLINE uint32_t ap_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
AP_ALWAYS_INLINE uint64_t ap_read_le64(const unsigned char *p) {
    return (uint64_t)ap_le32(p) | (uint64_t)ap_le32(p + 4) << 32;
}
static inline void ap_write_le64(unsigned char *p, uint64_t v) {
    ap_write_le32(p, (uint32_t)v);
    ap_write_le32(p + 4, (uint32_t)(v >> 32));
}

/* The checksum of headers, footers and index segments: XXH32 (seed 0). */
uint32_t ap_bundle_checksum(const void *p, size_t n);
/* A 16-bit hash of an article id (the index keeps one per article). */
unsigned ap_bundle_id_hash(const char *id, size_t len);

/* ---- header (the first chunk) ---- */
typedef struct ap_bundle_header {
    artpack_codec codec;
    int level;
    uint32_t dict_id;
    int dict_embedded;
    int columns;          /* blocks hold columnar content */
    int words;            /* blocks hold word envelopes */
    int similar;          /* blocks assigned by similarity (segments may hold a map) */
    size_t block_size;
} ap_bundle_header;
void ap_header_write(unsigned char chunk[AP_HEADER_CHUNK], const ap_bundle_header *h);
/* ARTPACK_E_BUNDLE unless chunk is a valid header of this version. */
artpack_error ap_header_read(const unsigned char chunk[AP_HEADER_CHUNK], ap_bundle_header *h);

/* ---- the embedded dictionary's chunk ---- */
/* Its first AP_DICT_CHUNK_HEAD bytes; room: bytes from the chunk to the end
 * of the file. *frame_size: the zstd frame after the head. ARTPACK_E_BUNDLE
 * when it is not a dictionary chunk of a size that fits. */
artpack_error ap_dict_chunk_read(const unsigned char head[AP_DICT_CHUNK_HEAD], uint64_t room,
                                 size_t *dict_size, size_t *frame_size);

/* ---- block content: varint n, n varint sizes, the n records ---- */
typedef struct ap_block {
    const unsigned char *base;
    size_t size;
    uint32_t count;
    size_t sizes_pos;   /* the first size varint */
    size_t records_pos; /* the first record */
} ap_block;
/* Checks the structure (count 1..AP_BLOCK_ARTICLES_MAX, sizes that add up to
 * exactly the rest): ARTPACK_E_BLOCK otherwise. One pass over the sizes.
 * marks (NULL: none): for every AP_OFFSET_STRIDE-th record k, marks[2 * (k /
 * AP_OFFSET_STRIDE)] gets the position of its size varint and the entry after
 * it the record's position less records_pos. ap_block_parse: room for
 * ap_block_marks(AP_BLOCK_ARTICLES_MAX) entries. ap_block_parse_marks: the
 * block must hold exactly count records (refused before marks is written),
 * room for ap_block_marks(count) entries. */
artpack_error ap_block_parse(ap_block *b, const unsigned char *content, size_t size,
                             uint32_t *marks);
artpack_error ap_block_parse_marks(ap_block *b, const unsigned char *content, size_t size,
                                   uint32_t count, uint32_t *marks);
/* Entries (u32) of marks for a block of count records. */
#define ap_block_marks(count) (2u * (((size_t)(count) + AP_OFFSET_STRIDE - 1) / AP_OFFSET_STRIDE))
/* Record k of a block parsed with marks: at most AP_OFFSET_STRIDE - 1 sizes
 * walked. k < b->count. */
void ap_block_record(const ap_block *b, const uint32_t *marks, uint32_t k,
                     const unsigned char **record, size_t *size);
/* Walks a parsed block's records in order, each size read once. */
typedef struct ap_block_iter {
    const unsigned char *base;
    size_t size_pos, record_pos, end; /* end: of the sizes */
    uint32_t left;
} ap_block_iter;
void ap_block_iter_init(ap_block_iter *it, const ap_block *b);
/* 1 and the next record, or 0 at the end. */
int ap_block_iter_next(ap_block_iter *it, const unsigned char **record, size_t *size);
/* The head of a block of count records (varint count): its length. Block
 * content is this head, then the records' size varints, then the records. */
size_t ap_block_head(unsigned char head[ARTPACK_VARINT_MAX], uint32_t count);

/* ARTPACK_NO_COLUMNS (device builds, where every byte of code counts): the
 * reader leaves the columnar rebuild out, and its header check takes the
 * columnar flag for an unknown one: such a bundle gives ARTPACK_E_BUNDLE
 * (pack bundles for such devices with --rows). */
#ifdef ARTPACK_NO_COLUMNS
#define AP_HAS_COLUMNS 0
#define AP_FLAGS_COLUMNS_READ 0u
#else
#define AP_HAS_COLUMNS 1
#define AP_FLAGS_COLUMNS_READ AP_FLAG_COLUMNS
#endif

/* ARTPACK_NO_BUNDLE_WORDS (device builds): the bundle reader leaves the
 * word envelope out, and its header check takes the words flag for an
 * unknown one: such a bundle gives ARTPACK_E_BUNDLE (pack bundles for such
 * devices with --no-words). */
#ifdef ARTPACK_NO_BUNDLE_WORDS
#define AP_HAS_BUNDLE_WORDS 0
#define AP_FLAGS_WORDS_READ 0u
#else
#define AP_HAS_BUNDLE_WORDS 1
#define AP_FLAGS_WORDS_READ AP_FLAG_WORDS
#endif

/* ---- word envelopes (header flag AP_FLAG_WORDS, row blocks) ----
 * What each block decompresses to: varint F, then (F = 0) the block content
 * itself, or (F >= 1) the word transform (words.h) of an F-byte block
 * content, one that ap_words_expand undoes in place. (Columnar blocks take
 * word columns instead: below.) */
/* The envelope lies at buf[end - size .. end): *content gets the block
 * content, expanded in place so that it ends at end (F >= 1), or where it
 * lies (F = 0). list: the dictionary's word list (ap_words_find's); tab:
 * its ap_words_table, or NULL.
 * ARTPACK_E_BLOCK when it is no envelope, or F is over end or under the
 * transformed size; ARTPACK_E_WORDS when the transform does not expand to
 * exactly F bytes in place. Allocates nothing. */
artpack_error ap_words_unwrap(const unsigned char *list, const unsigned char *tab, unsigned char *buf,
                              size_t end, size_t size, unsigned char **content,
                              size_t *content_size);
/* The writer's envelope of n bytes of content, or its word columns
 * (bundle_write.c, which makes them with the encoder of words_enc.c), takes
 * at most this many bytes. */
#define ap_words_wrap_bound(n) \
    ((AP_BLOCK_COLUMNS + 1) * ARTPACK_VARINT_MAX + 2 * (size_t)(n))

/* ARTPACK_NO_SIMILAR (device builds): the reader leaves the block map out,
 * and its header check takes the similar flag for an unknown one: such a
 * bundle gives ARTPACK_E_BUNDLE (pack bundles for such devices with
 * --no-similar). */
#ifdef ARTPACK_NO_SIMILAR
#define AP_HAS_SIMILAR 0
#define AP_FLAGS_SIMILAR_READ 0u
#else
#define AP_HAS_SIMILAR 1
#define AP_FLAGS_SIMILAR_READ AP_FLAG_SIMILAR
#endif

/* ---- columnar block content (header flag AP_FLAG_COLUMNS) ----
 * varint n; n varint masks (bit t: the record has a field of tag t, 1..15;
 * bit 0: fields of tags 16 and up); AP_BLOCK_COLUMNS varint column sizes;
 * the columns 0..15 laid end to end. Column t (1..15) holds the records'
 * fields of tag t (key and payload, as in the record) in record order;
 * column 0, for each record with bit 0, a varint length and its fields of
 * tags 16 and up. */
#define AP_BLOCK_COLUMNS 16
/* The columns of a columnar block: where each starts and ends in src. */
typedef struct ap_cols {
    size_t at[AP_BLOCK_COLUMNS], end[AP_BLOCK_COLUMNS];
} ap_cols;
/* Rows being rebuilt from columnar content, record by record: the records
 * go to dst from room on (room: the head and 5 bytes per record), their
 * size varints from the head's end on, so that a block parsed so (base dst,
 * records at room) reads through ap_block_record as row content does. */
typedef struct ap_colstate {
    const unsigned char *src;
    size_t src_size;
    ap_cols c;              /* the column cursors */
    size_t masks;           /* the next record's mask in src */
    size_t head, room;      /* the head's length; where the records start */
    size_t out, sizes;      /* where the next record and its size go */
    uint32_t n, done;       /* records; records rebuilt */
#if AP_HAS_BUNDLE_WORDS     /* (last: devices without it keep the offsets above) */
    const unsigned char *words; /* word columns: the word list (else NULL) */
    const unsigned char *tab;        /* and its ap_words_table, or NULL */
#endif
} ap_colstate;
#if AP_HAS_BUNDLE_WORDS
#define AP_COLS_WORDS(s) ((s)->words)
#else
#define AP_COLS_WORDS(s) ((const unsigned char *)NULL)
#endif
/* Checks the content's header (count, masks, column sizes that add up to
 * exactly the rest; count 0: any) and sets up the rebuild into dst; with b,
 * a block whose records ap_block_record reads as they are rebuilt.
 * ARTPACK_E_BLOCK when src is not such content or dst cannot hold the head
 * and 5 bytes per record. */
artpack_error ap_columns_start(ap_colstate *s, const unsigned char *src, size_t src_size,
                               uint32_t count, const unsigned char *words, const unsigned char *tab,
                               unsigned char *dst, size_t dst_capacity, ap_block *b);
/* Rebuilds records up to k (k >= n: all) into dst (at most dst_capacity),
 * with marks (NULL: none) for every AP_OFFSET_STRIDE-th one as
 * ap_block_parse_marks writes them; once the last is rebuilt, checks that
 * every column was used up exactly. ARTPACK_E_BLOCK when a column does not
 * hold what a mask says or dst is full: the state is then unusable. */
artpack_error ap_columns_upto(ap_colstate *s, unsigned char *dst, size_t dst_capacity, uint32_t k,
                              uint32_t *marks);
/* All records rebuilt: the sizes moved up against the records and the head
 * before them, so that dst[start .. start + *written) is row content (the
 * marks no longer hold). Returns start. */
size_t ap_columns_finish(ap_colstate *s, unsigned char *dst, size_t *written);
/* The three in one: columnar content src -> row content in
 * dst[*start .. *start + *written). */
artpack_error ap_columns_decode(unsigned char *dst, size_t dst_capacity, const unsigned char *src,
                                size_t src_size, size_t *start, size_t *written);
/* The same for word columns (words: the word list, tab: its table or NULL;
 * both NULL: plain columns, as ap_columns_decode). */
artpack_error ap_columns_decode_words(unsigned char *dst, size_t dst_capacity,
                                      const unsigned char *src, size_t src_size,
                                      const unsigned char *words, const unsigned char *tab,
                                      size_t *start, size_t *written);
/* ---- word columns (header flags AP_FLAG_COLUMNS and AP_FLAG_WORDS) ----
 * Columnar content whose TEXT and TEXTLIST fields hold their payload (and
 * its FE) word-transformed, each alone; every other byte as in columnar
 * content, the column sizes those of the transformed columns. Such a
 * field ends at the first FE that starts a code, so any record is found
 * by walking the columns without expanding, and expanded alone. */
/* Record positions kept while walking: per AP_OFFSET_STRIDE records, the
 * next mask's position and the 16 column cursors. */
#define AP_COLS_SNAP (1 + AP_BLOCK_COLUMNS)
#define ap_columns_snaps(count) \
    (AP_COLS_SNAP * (((size_t)(count) + AP_OFFSET_STRIDE - 1) / AP_OFFSET_STRIDE))
/* Checks the content's header (as ap_columns_start, exactly count records)
 * and sets up the walk. */
artpack_error ap_columns_walk_start(ap_colstate *s, const unsigned char *src, size_t src_size,
                                    uint32_t count, const unsigned char *words,
                                    const unsigned char *tab);
/* Record k (< count) alone into dst[0..dst_capacity): *size bytes. The
 * walk goes on from the record after the last one rebuilt, or from the
 * snapshot in snaps (ap_columns_snaps(count) entries) at or before k:
 * at most AP_OFFSET_STRIDE - 1 records are walked past, unless reading
 * forward. Checks the columns used up exactly once the last record is
 * rebuilt. ARTPACK_E_BLOCK when a column does not hold what a mask says,
 * a payload does not expand, or dst is too small: the state is then
 * unusable. */
artpack_error ap_columns_one(ap_colstate *s, uint32_t k, uint32_t *snaps, unsigned char *dst,
                             size_t dst_capacity, size_t *size);
#ifndef ARTPACK_NO_ALLOC
/* Columnar content src[0..size) (the writer's: valid) -> word columns in dst
 * (ap_words_wrap_bound(size) bytes): their size (0: src is no columnar
 * content). apply: the word transform of n bytes into dst (at most 2 n),
 * its size (the writer's ap_words_apply, words_enc.c). */
typedef size_t (*ap_text_fn)(const void *opaque, unsigned char *dst, const unsigned char *src,
                             size_t n);
size_t ap_columns_words(ap_text_fn apply, const void *opaque, unsigned char *dst,
                        const unsigned char *src, size_t size);
#endif
/* The room ap_columns_decode needs for rows of rows_size bytes of count
 * records: the rows, 5 bytes per record. */
#define ap_columns_rows_room(rows_size, count) \
    ((size_t)(rows_size) + 5 * (size_t)(count) + ARTPACK_VARINT_MAX)
/* The field of column col (1..15) of record k, read from the first avail
 * bytes of a columnar content of size bytes (a prefix: the rest not yet
 * decompressed), without rebuilding any record: ARTPACK_OK and where it
 * lies; ARTPACK_E_NOT_FOUND when record k has no such field;
 * ARTPACK_E_TRUNCATED when more of the content is needed (avail < size);
 * ARTPACK_E_BLOCK when it is not such content (or k not a record of it). */
artpack_error ap_columns_field(const unsigned char *src, size_t avail, size_t size, uint32_t k,
                               unsigned col, const unsigned char **field, size_t *len);
/* Row content (of valid records) -> columnar content; dst_capacity at least
 * ap_columns_bound(rows_size, count of records). */
size_t ap_columns_bound(size_t rows_size, uint32_t count);
artpack_error ap_columns_encode(unsigned char *dst, size_t dst_capacity, const unsigned char *rows,
                                size_t rows_size, size_t *written);

/* ---- index segments ---- */
typedef struct ap_segment {
    uint64_t offset;      /* of the chunk */
    uint64_t prev;        /* the previous commit's segment (0: none) */
    uint64_t first;       /* first article */
    uint32_t count;       /* articles */
    uint32_t blocks;
    uint32_t max_content, max_frame;
    uint64_t first_block; /* blocks before it in the bundle */
    uint32_t live;        /* live segments before it, listed after the head */
    uint32_t flags;       /* AP_SEG_MAP: a block map after the id hashes (set by
                             ap_segment_head_read only when AP_HAS_SIMILAR) */
    uint64_t end;         /* offset just past the chunk */
} ap_segment;
/* Byte offsets inside the chunk (from its magic). */
uint64_t ap_segment_live_at(const ap_segment *s);
uint64_t ap_segment_entries_at(const ap_segment *s);
uint64_t ap_segment_hashes_at(const ap_segment *s);
/* The block map (AP_SEG_MAP): per article, an int16 LE: its slot (place in
 * the segment's storage order) less its number. */
uint64_t ap_segment_map_at(const ap_segment *s);
#define AP_MAP_ENTRY 2
/* The payload size of a segment with these counts (map: AP_SEG_MAP set). */
uint64_t ap_segment_payload(uint32_t live, uint32_t blocks, uint32_t count, int map);
void ap_segment_head_write(unsigned char head[AP_SEGMENT_HEAD], const ap_segment *s);
/* Parses the chunk head and fixed part h[0..8 + AP_SEGMENT_HEAD) found at off;
 * limit: where the chunk must end by. ARTPACK_E_INDEX when inconsistent. */
artpack_error ap_segment_head_read(const unsigned char h[8 + AP_SEGMENT_HEAD], uint64_t off,
                                   uint64_t limit, ap_segment *s);
/* An entry of the live table. */
typedef struct ap_live {
    uint64_t offset, first, first_block;
} ap_live;
void ap_live_write(unsigned char p[AP_LIVE_ENTRY], const ap_live *l);
void ap_live_read(const unsigned char p[AP_LIVE_ENTRY], ap_live *l);

/* ---- footer (the last chunk) ---- */
typedef struct ap_footer {
    uint64_t last_segment;
    uint32_t articles, max_content, max_frame;
} ap_footer;
void ap_footer_write(unsigned char chunk[ARTPACK_BUNDLE_FOOTER_SIZE], const ap_footer *f);
artpack_error ap_footer_read(const unsigned char chunk[ARTPACK_BUNDLE_FOOTER_SIZE], ap_footer *f);

/* For copying blocks between bundles (bundle_read.c): block b decoded and
 * checked (content in the reader's buffer, where its frame is stored), then
 * its stored frame read raw into the reader's buffer. Each call overwrites
 * what the previous one returned. */
const artpack_bundle_info *ap_bundle_reader_info(const artpack_bundle_reader *r);
/* The loaded block's content as decompressed (a columnar block: before its
 * rows were rebuilt; else the rows' size). */
size_t ap_bundle_reader_decoded(const artpack_bundle_reader *r);
/* The first slot of the block ap_bundle_reader_content returned last. */
uint64_t ap_bundle_reader_first(const artpack_bundle_reader *r);
/* Article n's id hash, as the index holds it. */
artpack_error ap_bundle_reader_id_hash(artpack_bundle_reader *r, uint64_t n, unsigned char h[2]);
artpack_error ap_bundle_reader_content(artpack_bundle_reader *r, uint64_t b,
                                       const unsigned char **content, size_t *content_size,
                                       uint64_t *frame_offset, size_t *frame_size);
artpack_error ap_bundle_reader_raw(artpack_bundle_reader *r, uint64_t offset, size_t size,
                                   const unsigned char **data);
/* Block b as stored, from the index alone (for copying it undecoded): its
 * frame, where its articles' id hashes lie in the index; the frame read raw
 * into the reader's buffer (*frame) and its head checked (a zstd frame of
 * the bundle's dictionary and of content within the largest, or a block
 * chunk of the frame's size: ARTPACK_E_BLOCK otherwise); not decoded. */
typedef struct ap_stored {
    uint64_t frame_offset, first, hashes_at;
    size_t frame_size;
    uint32_t count;
} ap_stored;
artpack_error ap_bundle_reader_stored(artpack_bundle_reader *r, uint64_t b, ap_stored *st,
                                      const unsigned char **frame);
/* size bytes at offset through the reader's read function. */
artpack_error ap_bundle_reader_read(artpack_bundle_reader *r, uint64_t offset, void *dst,
                                    size_t size);

#endif
