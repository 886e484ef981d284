/* bundle_fixture.h - what the bundle tests (test_bundle*.c) share: synthetic
 * articles and two trained dictionaries (setup/teardown), writing and
 * reading helpers, salvage bookkeeping; with bundle_mem.h (in-memory output
 * and input, readers). Defined in bundle_fixture.c. */
#ifndef ARTPACK_BUNDLE_FIXTURE_H
#define ARTPACK_BUNDLE_FIXTURE_H

#include "test_util.h"
#include "bundle_mem.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

typedef unsigned long long ull;

#include "synthetic.h"
#include "../codec/bundle_format.h" /* the columnar layout, tested directly */

#define N_RECORDS 300
#define N_EXTRA 4    /* odd records after the N_RECORDS synthetic ones */
#define N_ALL (N_RECORDS + N_EXTRA)

typedef struct recset {
    unsigned char *rec[N_ALL];
    size_t size[N_ALL];
    char id[N_ALL][16];
    int id_len[N_ALL]; /* -1: the article has no id */
} recset;


typedef struct salv {
    const size_t *map;      /* the articles in order */
    size_t count;
    size_t skip_lo, skip_hi; /* articles that may be missing as a whole (a damaged block) */
    int any_skip;           /* 1: any articles may be missing (still in order) */
    size_t next;            /* the next article expected */
    size_t got;
    long calls, stop_after;
    int bad;
    long seen[512];         /* which record each one was (-1: none), for messages */
} salv;

/* artpack_bundle_salvage, then artpack_bundle_salvage_read over the same
 * bytes (through a memsrc, so a window at a time): the same records in the
 * same order and the same stats, whenever the first ran to its end. */
typedef struct digest {
    uint64_t n;
    uint32_t h;
    artpack_record_fn cb; /* the caller's, after the digest (NULL: none) */
    void *opaque;
} digest;

extern recset recs;
extern size_t iota[N_ALL + 1];
extern unsigned char dict_a[16384], dict_b[16384];
extern size_t dict_a_len, dict_b_len;
extern artpack_dict da, db;
extern int columns_mode;

int id_of(size_t i, char *buf);
void make_records(recset *rs, uint32_t seed);
void make_extra_records(recset *rs);
void free_records(recset *rs);
int train(unsigned char *dst, size_t cap, size_t *len, uint32_t seed);
int setup(void **state);
int teardown(void **state);
artpack_bundle_params params_of(artpack_codec codec, size_t block_size, int embed);
void add_all(artpack_bundle_writer *w, const size_t *map, size_t count);
void write_bundle(membuf *out, const artpack_bundle_params *p, const artpack_dict *d, const size_t *map, size_t count);
void append_bundle(membuf *out, const artpack_dict *d, const size_t *map, size_t count);
size_t simulate_blocks(const size_t *map, size_t count, size_t block_size, size_t *starts, size_t *max_content);
int same_record(const void *rec, size_t size, size_t want);
void expect_article(artpack_bundle_reader *r, uint64_t n, size_t want);
uint64_t expected_find(const size_t *map, size_t count, const char *id, int len, uint64_t start);
void check_find(artpack_bundle_reader *r, const size_t *map, size_t count, const char *id, int len);
void check_ids(artpack_bundle_reader *r, const size_t *map, size_t count);
void verify_mapped(const unsigned char *p, size_t len, const artpack_dict *d, const size_t *map, size_t count);
void verify_bundle(const unsigned char *p, size_t len, const artpack_dict *d, const size_t *map, size_t count);
long which_record(const void *rec, size_t size);
int salv_cb(void *opaque, const void *rec, size_t size);
const char *salv_seen(const salv *s);
void salv_init(salv *s, const size_t *map, size_t count);
int digest_cb(void *opaque, const void *rec, size_t size);
artpack_error salvage_both(const unsigned char *p, size_t len, const artpack_dict *d, const artpack_allocator *mem, artpack_record_fn cb, void *opaque, artpack_salvage_stats *st);
void verify_salvage(const unsigned char *p, size_t len, const artpack_dict *d, const size_t *map, size_t count, uint64_t blocks);
size_t records_bytes(void);
const char *codec_name(artpack_codec c);
int first_segment_dead(const unsigned char *buf, size_t len);
size_t seg1_of(const unsigned char *buf, size_t len_first);
uint32_t checksum(const void *p, size_t n);
void put_le32(unsigned char *p, uint32_t v);
artpack_error info_of(const unsigned char *p, size_t len);

#endif
