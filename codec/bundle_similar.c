/* bundle_similar.c - similarity-aware block assignment (docs/FORMAT.md
 * "Block map"): the order in which a window of records is cut into blocks.
 *
 * Each record is a bag of words (runs of ASCII letters, case-folded, and of
 * bytes 0x80..0xFD, at least 3 bytes; runs holding non-ASCII bytes cut every
 * 6 bytes, which for CJK text is two characters), weighted by TF-IDF over the
 * window: (1 + log2 tf) x log2(n / df), words in one record only or in more
 * than half of them left out. A record keeps its AP_SIM_TERMS heaviest words,
 * their weights scaled to a unit vector (integers: the result is the same on
 * every platform). The order is a nearest-neighbour chain: from the window's
 * first record, each next one is the record not yet taken with the largest
 * dot product with the current one (ties: the lowest number; none sharing a
 * word: the lowest number not yet taken), found through the words' postings.
 * Integer arithmetic only; writer side (allocates). */
#include <string.h>

#include "bundle_similar.h"

#ifndef ARTPACK_NO_ALLOC

#define AP_SIM_TERMS 24   /* words kept per record */
#define AP_SIM_MIN 3      /* bytes in a word, at least */
#define AP_SIM_MAX 24     /* an ASCII run is cut here */
#define AP_SIM_WIDE 6     /* a run with non-ASCII bytes is cut here */
#define AP_SIM_SCALE 4096 /* a unit vector's weights are at most this */

/* Heapsort of v[0..n) ascending (the library calls no qsort). */
static void ap_sift(uint64_t *v, size_t at, size_t n) {
    for (;;) {
        size_t c = 2 * at + 1;
        uint64_t t;
        if (c >= n) return;
        if (c + 1 < n && v[c] < v[c + 1]) c++;
        if (v[at] >= v[c]) return;
        t = v[at];
        v[at] = v[c];
        v[c] = t;
        at = c;
    }
}

/* v[0..n) ascending: a least-significant-digit radix sort through tmp (n
 * more) when there is one and n is not small (the heapsort took 45 % of a
 * pack -3's CPU on 20,000 articles, cache misses mostly), else a heapsort.
 * The result is the same either way: keys are whole 64-bit values. */
static void ap_sort64(uint64_t *v, size_t n, uint64_t *tmp) {
    size_t i;
    if (n < 2) return;
    if (tmp != NULL && n >= 64) {
        size_t cnt[8][256];
        uint64_t *src = v, *dst = tmp, *t;
        unsigned d;
        memset(cnt, 0, sizeof cnt);
        for (i = 0; i < n; i++)
            for (d = 0; d < 8; d++) cnt[d][(v[i] >> (8 * d)) & 0xFFu]++;
        for (d = 0; d < 8; d++) {
            size_t sum = 0, c;
            unsigned b;
            if (cnt[d][(v[0] >> (8 * d)) & 0xFFu] == n) continue; /* one digit: no move */
            for (b = 0; b < 256; b++) {
                c = cnt[d][b];
                cnt[d][b] = sum;
                sum += c;
            }
            for (i = 0; i < n; i++) dst[cnt[d][(src[i] >> (8 * d)) & 0xFFu]++] = src[i];
            t = src;
            src = dst;
            dst = t;
        }
        if (src != v) memcpy(v, src, n * sizeof *v);
        return;
    }
    for (i = n / 2; i-- > 0;) ap_sift(v, i, n);
    for (i = n - 1; i > 0; i--) {
        uint64_t t = v[0];
        v[0] = v[i];
        v[i] = t;
        ap_sift(v, 0, i);
    }
}

/* log2(x) in 1/256ths (x >= 1), the fraction linear between powers of 2. */
static uint32_t ap_log2_q8(uint32_t x) {
    uint32_t b = 0;
    while ((x >> b) > 1) b++;
    return b * 256 + (b >= 8 ? (x >> (b - 8)) & 0xFFu : (x << (8 - b)) & 0xFFu);
}

static uint32_t ap_isqrt(uint64_t x) {
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > x) bit >>= 2;
    while (bit) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

/* The word hashes of rec[0..size) into out (room for size / 2 + 1). */
static size_t ap_words(const unsigned char *rec, size_t size, uint64_t *out) {
    size_t i, n = 0, len = 0;
    uint32_t h = 2166136261u;
    int wide = 0;
    for (i = 0; i <= size; i++) {
        unsigned c = i < size ? rec[i] : 0;
        int word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0x80 && c <= 0xFD);
        if (word) {
            if (c >= 'A' && c <= 'Z') c += 32;
            h = (h ^ c) * 16777619u;
            len++;
            if (c >= 0x80) wide = 1;
        }
        if (!word || len >= (wide ? AP_SIM_WIDE : AP_SIM_MAX)) {
            if (len >= AP_SIM_MIN) out[n++] = h;
            h = 2166136261u;
            len = 0;
            wide = 0;
        }
    }
    return n;
}

typedef struct ap_sim {
    const artpack_allocator *m;
    void *p[9]; /* p[8]: a sort's scratch (none when it could not be had) */
} ap_sim;

static void *ap_sim_alloc(ap_sim *s, int i, size_t n, size_t each) {
    if (n == 0) n = 1;
    if (n > ((size_t)1 << 40) / each) return NULL;
    s->p[i] = s->m->alloc(s->m->opaque, n * each);
    return s->p[i];
}

static void ap_sim_free(ap_sim *s, int i) {
    if (s->p[i]) s->m->free(s->m->opaque, s->p[i]);
    s->p[i] = NULL;
}

artpack_error ap_similar_order(const artpack_allocator *m, const unsigned char *records,
                               const size_t *at, uint32_t n, size_t block_size, uint32_t *chain) {
    ap_sim s;
    uint64_t *words, *pairs, *uniq, *post, *score;
    uint32_t *df, *terms, *touched, *gend;
    size_t total = 0, npairs = 0, npost = 0, i, most = 0;
    uint32_t a, k, cur, lowest, step;
    unsigned char *taken;
    artpack_error err = ARTPACK_E_ALLOC;
    memset(&s, 0, sizeof s);
    s.m = m;
    if (n == 0) return ARTPACK_OK;
    for (a = 0; a < n; a++) {
        size_t sz = at[a + 1] - at[a];
        total += sz / 2 + 1;
        if (sz / 2 + 1 > most) most = sz / 2 + 1;
    }
    /* the distinct words of each record, with their counts: (hash << 32 | tf) */
    words = (uint64_t *)ap_sim_alloc(&s, 0, most, sizeof *words);
    pairs = (uint64_t *)ap_sim_alloc(&s, 1, total, sizeof *pairs);
    terms = (uint32_t *)ap_sim_alloc(&s, 2, (size_t)n + 1, sizeof *terms);
    if (words == NULL || pairs == NULL || terms == NULL) goto done;
    (void)ap_sim_alloc(&s, 8, most, sizeof *words);
    for (a = 0; a < n; a++) {
        size_t w = ap_words(records + at[a], at[a + 1] - at[a], words), j;
        ap_sort64(words, w, (uint64_t *)s.p[8]);
        terms[a] = (uint32_t)npairs;
        for (j = 0; j < w;) {
            size_t e = j;
            while (e < w && words[e] == words[j]) e++;
            pairs[npairs++] = words[j] << 32 | (uint64_t)(e - j);
            j = e;
        }
    }
    terms[n] = (uint32_t)npairs;
    ap_sim_free(&s, 0);
    ap_sim_free(&s, 8);
    /* document frequencies: df[j], the records holding pair j's word, from
     * the pairs sorted by (hash << 32 | j) (a search of the distinct hashes
     * for each pair took a third of the ordering's CPU) */
    uniq = (uint64_t *)ap_sim_alloc(&s, 0, npairs, sizeof *uniq);
    df = (uint32_t *)ap_sim_alloc(&s, 3, npairs, sizeof *df);
    if (uniq == NULL || df == NULL) goto done;
    for (i = 0; i < npairs; i++) uniq[i] = (pairs[i] >> 32) << 32 | (uint64_t)i;
    (void)ap_sim_alloc(&s, 8, npairs, sizeof *uniq);
    ap_sort64(uniq, npairs, (uint64_t *)s.p[8]);
    ap_sim_free(&s, 8);
    for (i = 0; i < npairs;) {
        size_t e = i;
        uint32_t d;
        while (e < npairs && uniq[e] >> 32 == uniq[i] >> 32) e++;
        d = (uint32_t)(e - i);
        for (; i < e; i++) df[(uint32_t)uniq[i]] = d;
    }
    /* each record's heaviest words: postings (hash << 32 | record << 13 | weight) */
    post = (uint64_t *)ap_sim_alloc(&s, 4, (size_t)n * AP_SIM_TERMS, sizeof *post);
    words = (uint64_t *)ap_sim_alloc(&s, 5, most, sizeof *words);
    if (post == NULL || words == NULL) goto done;
    (void)ap_sim_alloc(&s, 8, most, sizeof *words);
    for (a = 0; a < n; a++) {
        size_t c = 0, j, keep;
        uint64_t sum = 0;
        uint32_t norm;
        for (j = terms[a]; j < terms[a + 1]; j++) {
            uint64_t h = pairs[j] >> 32;
            uint32_t tf = (uint32_t)pairs[j], d = df[j], wt;
            if (d < 2 || 2 * (uint64_t)d > n) continue;
            wt = ((256 + ap_log2_q8(tf)) * (ap_log2_q8(n) - ap_log2_q8(d))) >> 8;
            if (wt == 0) continue;
            words[c++] = (uint64_t)(0xFFFFFFFFu - wt) << 32 | h; /* heaviest first */
        }
        ap_sort64(words, c, (uint64_t *)s.p[8]);
        keep = c < AP_SIM_TERMS ? c : AP_SIM_TERMS;
        for (j = 0; j < keep; j++) {
            uint64_t wt = 0xFFFFFFFFu - (words[j] >> 32);
            sum += wt * wt;
        }
        norm = ap_isqrt(sum);
        for (j = 0; j < keep; j++) {
            uint64_t wt = (0xFFFFFFFFu - (words[j] >> 32)) * AP_SIM_SCALE / (norm ? norm : 1);
            if (wt == 0) wt = 1;
            if (wt >= 8192) wt = 8191;
            post[npost++] = (words[j] & 0xFFFFFFFFu) << 32 | (uint64_t)a << 13 | wt;
        }
    }
    ap_sim_free(&s, 5);
    ap_sim_free(&s, 0);
    ap_sim_free(&s, 3);
    ap_sim_free(&s, 1);
    ap_sim_free(&s, 8);
    (void)ap_sim_alloc(&s, 8, npost, sizeof *post);
    ap_sort64(post, npost, (uint64_t *)s.p[8]);
    ap_sim_free(&s, 8);
    /* each record's words as posting groups: terms[a]..terms[a + 1] index
     * group starts in gstart (reusing the pairs' slot), group ends in gend */
    {
        uint32_t *gstart = (uint32_t *)ap_sim_alloc(&s, 0, npost, sizeof *gstart);
        uint32_t *gof = (uint32_t *)ap_sim_alloc(&s, 1, npost, sizeof *gof); /* record terms */
        uint32_t *wof = (uint32_t *)ap_sim_alloc(&s, 3, npost, sizeof *wof);
        uint32_t ng = 0;
        gend = (uint32_t *)ap_sim_alloc(&s, 5, npost, sizeof *gend);
        score = (uint64_t *)ap_sim_alloc(&s, 6, n, sizeof *score);
        touched = (uint32_t *)ap_sim_alloc(&s, 7, n, sizeof *touched);
        taken = (unsigned char *)m->alloc(m->opaque, n);
        if (gstart == NULL || gof == NULL || wof == NULL || gend == NULL || score == NULL ||
            touched == NULL || taken == NULL) {
            if (taken) m->free(m->opaque, taken);
            goto done;
        }
        memset(terms, 0, ((size_t)n + 1) * sizeof *terms);
        for (i = 0; i < npost;) { /* count each record's terms */
            size_t e = i;
            while (e < npost && post[e] >> 32 == post[i] >> 32) e++;
            gstart[ng] = (uint32_t)i;
            gend[ng] = (uint32_t)e;
            for (; i < e; i++) terms[((post[i] >> 13) & 0x7FFFFu) + 1]++;
            ng++;
        }
        for (a = 0; a < n; a++) terms[a + 1] += terms[a];
        { /* record a's terms: their groups and weights */
            uint32_t g, *cur_of = touched; /* touched is free until the chain */
            for (a = 0; a < n; a++) cur_of[a] = terms[a];
            for (g = 0; g < ng; g++)
                for (i = gstart[g]; i < gend[g]; i++) {
                    uint32_t r = (uint32_t)((post[i] >> 13) & 0x7FFFFu);
                    gof[cur_of[r]] = g;
                    wof[cur_of[r]] = (uint32_t)(post[i] & 0x1FFFu);
                    cur_of[r]++;
                }
        }
        memset(score, 0, (size_t)n * sizeof *score);
        memset(taken, 0, n);
        lowest = 0;
        for (step = 0; step < n;) { /* one block */
            uint32_t nt = 0, count = 0;
            size_t bytes = 0;
            for (;;) {
                uint32_t best = n;
                uint64_t bs = 0;
                for (k = 0; k < nt; k++) { /* the closest to the block so far */
                    uint32_t b = touched[k];
                    if (!taken[b] && (score[b] > bs || (score[b] == bs && b < best))) {
                        bs = score[b];
                        best = b;
                    }
                }
                if (best == n) { /* none shares a word: the next in order */
                    while (lowest < n && taken[lowest]) lowest++;
                    best = lowest;
                }
                if (best == n || (count > 0 && (bytes + (at[best + 1] - at[best]) > block_size ||
                                                count >= AP_BLOCK_ARTICLES_MAX)))
                    break;
                bytes += at[best + 1] - at[best];
                count++;
                taken[best] = 1;
                chain[step++] = best;
                cur = best;
                for (k = terms[cur]; k < terms[cur + 1]; k++) { /* its words' records gain */
                    uint32_t g = gof[k], out = gstart[g];
                    uint64_t wc = wof[k];
                    for (i = gstart[g]; i < gend[g]; i++) { /* the taken ones drop out */
                        uint32_t b = (uint32_t)((post[i] >> 13) & 0x7FFFFu);
                        if (taken[b]) continue;
                        post[out++] = post[i];
                        if (score[b] == 0) touched[nt++] = b;
                        score[b] += wc * (post[i] & 0x1FFFu);
                    }
                    gend[g] = out;
                }
            }
            for (k = 0; k < nt; k++) score[touched[k]] = 0;
        }
        m->free(m->opaque, taken);
    }
    err = ARTPACK_OK;
done:
    for (i = 0; i < 9; i++) ap_sim_free(&s, (int)i);
    return err;
}

#endif
