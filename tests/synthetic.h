/* synthetic.h - shared by the frame, bundle, CM and word tests: deterministic synthetic
 * news text (no corpus needed), sample records, a word list in the
 * dictionary's layout, and an allocator that fails at its Nth call. */
#ifndef ARTPACK_TESTS_SYNTHETIC_H
#define ARTPACK_TESTS_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

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

/* A view of a sentence-ish text of about n bytes written into buf. */
static inline artpack_str text_str(char *buf, size_t n) {
    artpack_str s;
    s.len = make_text(buf, n);
    s.ptr = buf;
    return s;
}

/* Records of count synthetic articles laid end to end in dst[0..cap), from
 * the seed: each a title and `paragraphs` body paragraphs (1, or 2 with the
 * source "Wire" too). Their sizes go to sizes[]. Returns the bytes used, 0
 * when an encode fails (they do not fit). */
static inline size_t synth_records(unsigned char *dst, size_t cap, size_t *sizes, size_t count,
                                   uint32_t seed, int paragraphs) {
    size_t i, used = 0;
    char title[128], p1[1024], p2[1024];
    rng_state = seed;
    for (i = 0; i < count; i++) {
        artpack_article a;
        artpack_str body[2];
        size_t n;
        artpack_article_init(&a);
        a.title = text_str(title, 60 + rng() % 60);
        if (paragraphs == 2) {
            a.source.ptr = "Wire";
            a.source.len = 4;
        }
        body[0] = text_str(p1, 200 + rng() % 800);
        if (paragraphs == 2) body[1] = text_str(p2, 200 + rng() % 800);
        a.body = tu_list(body, paragraphs == 2 ? 2 : 1);
        if (artpack_record_encode(dst + used, cap - used, &a, &n) != ARTPACK_OK) return 0;
        sizes[i] = n;
        used += n;
    }
    return used;
}

#ifdef N_SAMPLES
/* With N_SAMPLES (and SYNTH_PARAGRAPHS, 2 unless defined) defined before
 * this header, after cmocka's: one set of sample records, samples[0..
 * samples_len) with sample_sizes[], made from a seed and freed. */
#ifndef SYNTH_PARAGRAPHS
#define SYNTH_PARAGRAPHS 2
#endif
static unsigned char *samples;
static size_t sample_sizes[N_SAMPLES];
static size_t samples_len;

static void make_samples(uint32_t seed) {
    size_t cap = (size_t)N_SAMPLES * 4096;
    samples = (unsigned char *)realloc(samples, cap);
    assert_non_null(samples);
    samples_len = synth_records(samples, cap, sample_sizes, N_SAMPLES, seed, SYNTH_PARAGRAPHS);
    assert_true(samples_len > 0);
}

static void free_samples(void) {
    free(samples);
    samples = NULL;
}

/* A test group's teardown: the samples freed. */
static inline int teardown_samples(void **state) {
    (void)state;
    free_samples();
    return 0;
}

/* A dictionary trained on the samples (artpack_dict_train with p) into
 * dst[0..cap), its size in *len: 0, or -1 when training fails. */
static inline int train_samples(unsigned char *dst, size_t cap, const artpack_train_params *p,
                                size_t *len) {
    return artpack_dict_train(dst, cap, samples, sample_sizes, N_SAMPLES, p, len) == ARTPACK_OK
               ? 0
               : -1;
}

/* Sample record i (of the set make_samples made): its bytes, its size in *n. */
static inline const unsigned char *sample(size_t i, size_t *n) {
    size_t off = 0, k;
    for (k = 0; k < i; k++) off += sample_sizes[k];
    *n = sample_sizes[i];
    return samples + off;
}
#endif

/* artpack_dict_train twice on the same samples into a and b (cap bytes
 * each): both succeed with the same bytes; their size. */
static inline size_t train_twice_same(unsigned char *a, unsigned char *b, size_t cap,
                                      const void *s, const size_t *sizes, unsigned count,
                                      const artpack_train_params *p) {
    size_t na = 0, nb = 0;
    assert_ap_ok(artpack_dict_train(a, cap, s, sizes, count, p, &na));
    assert_ap_ok(artpack_dict_train(b, cap, s, sizes, count, p, &nb));
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    return na;
}

/* A dictionary's word list in the documented layout (docs/FORMAT.md), made
 * here independently of the trainer: n words w[0..n) into dst; returns its
 * size. */
static inline size_t make_word_list(unsigned char *dst, const char *const *w, unsigned n) {
    unsigned groups = (n + 15) / 16, i;
    size_t pos = 0, area = 4 + 2 * (size_t)groups;
    dst[0] = 1; /* version 1, letters only; 2 when a token begins with a space */
    for (i = 0; i < n; i++)
        if (w[i][0] == ' ') dst[0] = 2;
    dst[1] = 0;
    dst[2] = (unsigned char)n;
    dst[3] = (unsigned char)(n >> 8);
    for (i = 0; i < n; i++) {
        size_t len = strlen(w[i]);
        if (i % 16 == 0) {
            dst[4 + 2 * (i / 16)] = (unsigned char)pos;
            dst[5 + 2 * (i / 16)] = (unsigned char)(pos >> 8);
        }
        dst[area + pos] = (unsigned char)len;
        memcpy(dst + area + pos + 1, w[i], len);
        pos += 1 + len;
    }
    return area + pos;
}

/* The word transform's inverse as docs/FORMAT.md states it, out of place,
 * written apart from codec/words.c (list: a sound one; t: a transform the
 * encoder made): every transform must decode with it, in place or not. */
static inline size_t ref_expand(const unsigned char *list, const unsigned char *t, size_t tn,
                         unsigned char *out) {
    static const unsigned char esc[11] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8,
                                          0xF9, 0xFA, 0xFB, 0xFC, 0xFD};
    unsigned n = list[2] | list[3] << 8;
    size_t i = 0, o = 0;
    while (i < tn) {
        unsigned b = t[i++], idx, k;
        const unsigned char *w = list + 4 + 2 * ((n + 15) / 16);
        if (b == 0xC0 || b == 0xC1 || b == 0xF5) {
            idx = b == 0xC0 ? 0 : b == 0xC1 ? 1 : 2;
        } else if (b >= 0xF6 && b <= 0xFD) {
            unsigned x = t[i++];
            if (x >= 0xFE) {
                out[o++] = esc[2 * (b - 0xF6) + (x - 0xFE)];
                continue;
            }
            idx = 3 + 254 * (b - 0xF6) + x;
        } else {
            out[o++] = (unsigned char)b;
            continue;
        }
        for (k = 0; k < idx; k++) w += 1 + w[0]; /* walk the list: no groups */
        memcpy(out + o, w + 1, w[0]);
        o += w[0];
    }
    return o;
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
