/* bundle_similar.h - similarity-aware block assignment (bundle_similar.c).
 * Internal; writer side only (not in the decode-only build). */
#ifndef ARTPACK_BUNDLE_SIMILAR_H
#define ARTPACK_BUNDLE_SIMILAR_H

#include "bundle_format.h"

#ifndef ARTPACK_NO_ALLOC
/* The order in which to cut records 0..n-1 into blocks of block_size bytes
 * (n <= 32767; record a is records[at[a] .. at[a + 1])): chain[0..n) gets a
 * permutation of 0..n-1 that, cut where the next record does not fit (or at
 * AP_BLOCK_ARTICLES_MAX records), gives blocks of similar records; the same
 * for the same records on every platform. ARTPACK_E_ALLOC. */
artpack_error ap_similar_order(const artpack_allocator *m, const unsigned char *records,
                               const size_t *at, uint32_t n, size_t block_size, uint32_t *chain);
#endif

#endif
