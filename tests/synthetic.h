/* synthetic.h - deterministic synthetic news text for the tests (no corpus
 * needed): a xorshift generator and sentences from a small vocabulary. */
#ifndef ARTPACK_TESTS_SYNTHETIC_H
#define ARTPACK_TESTS_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>
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
static size_t make_text(char *buf, size_t n) {
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

#endif
