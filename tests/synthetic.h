/* synthetic.h - shared by the frame and bundle tests: deterministic synthetic
 * news text (no corpus needed), and an allocator that fails at its Nth call. */
#ifndef ARTPACK_TESTS_SYNTHETIC_H
#define ARTPACK_TESTS_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static const char *const words[] = {
    "the", "minister", "said", "on", "Tuesday", "that", "prices", "of", "oil", "rose",
    "percent", "in", "trading", "shares", "company", "government", "officials", "told",
    "reporters", "market", "bank", "billion", "dollars", "year", "growth", "economy",
    "analysts", "expected", "quarter", "profit", "increase", "week", "talks", "president",
    "election", "police", "city", "people", "new", "report", "and", "a", "to", "was"};

/* Writes a sentence-ish text of about n bytes into buf (NUL-terminated). */
static inline size_t make_text(char *buf, size_t n) {
    size_t len = 0;
    while (len + 24 < n) {
        const char *w = words[rng() % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        memcpy(buf + len, w, wl);
        len += wl;
        buf[len++] = rng() % 9 == 0 ? '.' : ' ';
        if (buf[len - 1] == '.') buf[len++] = ' ';
    }
    buf[len] = '\0';
    return len;
}

/* An allocator that fails at its Nth call and counts what is live. */
static long alloc_fail_at, alloc_calls, alloc_live;
static inline void *fail_alloc(void *opaque, size_t size) {
    (void)opaque;
    if (++alloc_calls == alloc_fail_at) return NULL;
    alloc_live++;
    return malloc(size);
}
static inline void fail_free(void *opaque, void *p) {
    (void)opaque;
    if (p) alloc_live--;
    free(p);
}

#endif
