/* checksum.c - the library's one XXH32 (seed 0): the checksums of LZ4 and
 * stored frames, bundle headers, footers and index segments, and the bundle
 * index's id hashes (docs/FORMAT.md). One of three, chosen at compile time:
 *  - by default, xxhash.h's XXH32, compiled in here (XXH_INLINE_ALL);
 *  - ARTPACK_XXH32_LINKED: xxhash.h's XXH32 linked from elsewhere (libxxhash,
 *    or zstd's copy built with -DXXH_NAMESPACE=ZSTD_), called from here;
 *  - ARTPACK_XXH32_COMPACT: written below for code size, for devices: one
 *    stripe loop, no unrolling, no aligned variant (about 0.3 KB of Thumb-2
 *    code). Written from the algorithm's description (xxHash's
 *    doc/xxhash_spec.md); tests/test_device.c checks it against xxhash.h. */
#include <string.h>

#include "internal.h"

#ifdef ARTPACK_XXH32_COMPACT
#define AP_P1 0x9E3779B1u
#define AP_P2 0x85EBCA77u
#define AP_P3 0xC2B2AE3Du
#define AP_P4 0x27D4EB2Fu
#define AP_P5 0x165667B1u

typedef struct ap_xxh32_compact {
    uint32_t v[4];
    uint64_t total;
    unsigned char buf[16];
    size_t n; /* bytes in buf */
} ap_xxh32_compact;
typedef char ap_xxh32_fits[sizeof(ap_xxh32_compact) <= sizeof(ap_xxh32_state) ? 1 : -1];

static uint32_t ap_rotl32(uint32_t x, unsigned r) { return (x << r) | (x >> (32u - r)); }

static void ap_xxh_stripe(uint32_t *v, const unsigned char *p) {
    unsigned i;
    for (i = 0; i < 4; i++) v[i] = ap_rotl32(v[i] + ap_read_le32(p + 4 * i) * AP_P2, 13) * AP_P1;
}

static void ap_xxh_init(uint32_t *v) {
    v[0] = AP_P1 + AP_P2;
    v[1] = AP_P2;
    v[2] = 0;
    v[3] = 0u - AP_P1;
}

/* The end of XXH32: converge the lanes (total >= 16), fold in the tail (n <
 * 16 bytes at p), avalanche. */
static uint32_t ap_xxh_finish(const uint32_t *v, uint64_t total, const unsigned char *p,
                              size_t n) {
    uint32_t h = total >= 16 ? ap_rotl32(v[0], 1) + ap_rotl32(v[1], 7) + ap_rotl32(v[2], 12) +
                                   ap_rotl32(v[3], 18)
                             : AP_P5; /* seed 0 */
    h += (uint32_t)total;
    for (; n >= 4; n -= 4, p += 4) h = ap_rotl32(h + ap_read_le32(p) * AP_P3, 17) * AP_P4;
    for (; n > 0; n--, p++) h = ap_rotl32(h + *p * AP_P5, 11) * AP_P1;
    h = (h ^ (h >> 15)) * AP_P2;
    h = (h ^ (h >> 13)) * AP_P3;
    return h ^ (h >> 16);
}

void ap_xxh32_reset(ap_xxh32_state *s) {
    ap_xxh32_compact *c = (ap_xxh32_compact *)(void *)s;
    memset(c, 0, sizeof *c);
    ap_xxh_init(c->v);
}

void ap_xxh32_update(ap_xxh32_state *s, const void *src, size_t len) {
    ap_xxh32_compact *c = (ap_xxh32_compact *)(void *)s;
    const unsigned char *p = (const unsigned char *)src;
    c->total += len;
    while (len > 0) {
        size_t take;
        if (c->n == 0 && len >= 16) { /* whole stripes straight from the input */
            ap_xxh_stripe(c->v, p);
            p += 16;
            len -= 16;
            continue;
        }
        take = 16 - c->n < len ? 16 - c->n : len;
        memcpy(c->buf + c->n, p, take);
        c->n += take;
        p += take;
        len -= take;
        if (c->n == 16) {
            ap_xxh_stripe(c->v, c->buf);
            c->n = 0;
        }
    }
}

uint32_t ap_xxh32_digest(const ap_xxh32_state *s) {
    const ap_xxh32_compact *c = (const ap_xxh32_compact *)(const void *)s;
    return ap_xxh_finish(c->v, c->total, c->buf, c->n);
}

/* one shot: no buffering (what a reader links: the streaming functions serve
 * artpack_bundle_check_index only) */
uint32_t ap_xxh32(const void *src, size_t n) {
    const unsigned char *p = (const unsigned char *)src;
    uint32_t v[4];
    size_t left = n;
    ap_xxh_init(v);
    for (; left >= 16; left -= 16, p += 16) ap_xxh_stripe(v, p);
    return ap_xxh_finish(v, n, p, left);
}
#else /* xxhash.h's XXH32 */
#ifdef ARTPACK_XXH32_LINKED
#define XXH_STATIC_LINKING_ONLY
#else
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

typedef char ap_xxh32_fits[sizeof(XXH32_state_t) <= sizeof(ap_xxh32_state) ? 1 : -1];

uint32_t ap_xxh32(const void *p, size_t n) { return XXH32(p, n, 0); }
void ap_xxh32_reset(ap_xxh32_state *s) { (void)XXH32_reset((XXH32_state_t *)(void *)s->state, 0); }
void ap_xxh32_update(ap_xxh32_state *s, const void *p, size_t n) {
    (void)XXH32_update((XXH32_state_t *)(void *)s->state, p, n);
}
uint32_t ap_xxh32_digest(const ap_xxh32_state *s) {
    return XXH32_digest((const XXH32_state_t *)(const void *)s->state);
}
#endif
