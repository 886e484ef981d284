/* xxh64_compact.c - ARTPACK_XXH64_COMPACT: the library's XXH64 (seed 0)
 * written for code size, for devices: one stripe loop, no unrolling, no
 * aligned variant (about 0.4 KB of Thumb-2 code instead of 1.2 KB; slower).
 * Written from the algorithm's description (xxHash's doc/xxhash_spec.md);
 * tests/test_device.c checks it against libxxhash. Without the option, wire.c
 * compiles xxhash.h's XXH64 and this file is empty. */
#include <string.h>

#include "internal.h"

#ifdef ARTPACK_XXH64_COMPACT
#define AP_P1 0x9E3779B185EBCA87ULL
#define AP_P2 0xC2B2AE3D27D4EB4FULL
#define AP_P3 0x165667B19E3779F9ULL
#define AP_P4 0x85EBCA77C2B2AE63ULL
#define AP_P5 0x27D4EB2F165667C5ULL

typedef struct ap_xxh64_compact {
    uint64_t v[4];
    uint64_t total;
    unsigned char buf[32];
    size_t n; /* bytes in buf */
} ap_xxh64_compact;
typedef char ap_xxh64_fits[sizeof(ap_xxh64_compact) <= sizeof(ap_xxh64_state) ? 1 : -1];

#if defined(__GNUC__)
#define AP_NOINLINE __attribute__((noinline))
#else
#define AP_NOINLINE
#endif

static uint64_t ap_le64(const unsigned char *p) {
    return (uint64_t)ap_read_le32(p + 4) << 32 | ap_read_le32(p);
}
/* Every step of XXH64 has the form rotl(x, r) * mul + add (0 <= r < 64),
 * with mul and add among these constants: one multiplication site. */
static const uint64_t ap_k[7] = {0, 1, AP_P1, AP_P2, AP_P3, AP_P4, AP_P5};
enum { AP_K0, AP_K1, AP_KP1, AP_KP2, AP_KP3, AP_KP4, AP_KP5 };
static AP_NOINLINE uint64_t ap_xxh_mix(uint64_t x, unsigned r, unsigned mul, unsigned add) {
    return ((x << r) | (x >> ((64u - r) & 63u))) * ap_k[mul] + ap_k[add];
}
static AP_NOINLINE uint64_t ap_xxh_round(uint64_t acc, uint64_t in) {
    return ap_xxh_mix(acc + ap_xxh_mix(in, 0, AP_KP2, AP_K0), 31, AP_KP1, AP_K0);
}
static void ap_xxh_stripe(uint64_t *v, const unsigned char *p) {
    unsigned i;
    for (i = 0; i < 4; i++) v[i] = ap_xxh_round(v[i], ap_le64(p + 8 * i));
}

void ap_xxh64_reset(ap_xxh64_state *s) {
    ap_xxh64_compact *c = (ap_xxh64_compact *)(void *)s;
    memset(c, 0, sizeof *c);
    c->v[0] = AP_P1 + AP_P2;
    c->v[1] = AP_P2;
    c->v[3] = 0 - AP_P1;
}

void ap_xxh64_update(ap_xxh64_state *s, const void *src, size_t len) {
    ap_xxh64_compact *c = (ap_xxh64_compact *)(void *)s;
    const unsigned char *p = (const unsigned char *)src;
    c->total += len;
    while (len > 0) {
        size_t take;
        if (c->n == 0 && len >= 32) { /* whole stripes straight from the input */
            ap_xxh_stripe(c->v, p);
            p += 32;
            len -= 32;
            continue;
        }
        take = 32 - c->n < len ? 32 - c->n : len;
        memcpy(c->buf + c->n, p, take);
        c->n += take;
        p += take;
        len -= take;
        if (c->n == 32) {
            ap_xxh_stripe(c->v, c->buf);
            c->n = 0;
        }
    }
}

/* The end of XXH64: converge the lanes (total >= 32), fold in the tail
 * (n < 32 bytes at p), avalanche. */
static uint64_t ap_xxh_finish(const uint64_t *v, uint64_t total, const unsigned char *p,
                              size_t n) {
    static const unsigned char rot[4] = {1, 7, 12, 18};
    uint64_t h = AP_P5; /* seed 0 */
    size_t i;
    if (total >= 32) {
        h = 0;
        for (i = 0; i < 4; i++) h += ap_xxh_mix(v[i], rot[i], AP_K1, AP_K0);
        for (i = 0; i < 4; i++) h = ap_xxh_mix(h ^ ap_xxh_round(0, v[i]), 0, AP_KP1, AP_KP4);
    }
    h += total;
    for (i = 0; i < n;) { /* the tail: 8-byte lanes, a 4-byte one, bytes */
        size_t left = n - i;
        if (left >= 8) {
            h = ap_xxh_mix(h ^ ap_xxh_round(0, ap_le64(p + i)), 27, AP_KP1, AP_KP4);
            i += 8;
        } else if (left >= 4) {
            h = ap_xxh_mix(h ^ ap_xxh_mix(ap_read_le32(p + i), 0, AP_KP1, AP_K0), 23, AP_KP2,
                           AP_KP3);
            i += 4;
        } else {
            h = ap_xxh_mix(h ^ ap_xxh_mix(p[i], 0, AP_KP5, AP_K0), 11, AP_KP1, AP_K0);
            i++;
        }
    }
    h = ap_xxh_mix(h ^ (h >> 33), 0, AP_KP2, AP_K0);
    h = ap_xxh_mix(h ^ (h >> 29), 0, AP_KP3, AP_K0);
    return h ^ (h >> 32);
}

uint64_t ap_xxh64_digest(const ap_xxh64_state *s) {
    const ap_xxh64_compact *c = (const ap_xxh64_compact *)(const void *)s;
    return ap_xxh_finish(c->v, c->total, c->buf, c->n);
}

/* one shot: no buffering (what a reader links: the streaming functions serve
 * artpack_bundle_check_index only) */
uint64_t ap_xxh64(const void *src, size_t n) {
    const unsigned char *p = (const unsigned char *)src;
    uint64_t v[4];
    size_t left = n;
    v[0] = AP_P1 + AP_P2;
    v[1] = AP_P2;
    v[2] = 0;
    v[3] = 0 - AP_P1;
    for (; left >= 32; left -= 32, p += 32) ap_xxh_stripe(v, p);
    return ap_xxh_finish(v, n, p, left);
}
#else
typedef int ap_xxh64_compact_unused; /* ISO C: no empty translation unit */
#endif
