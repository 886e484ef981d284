/* words_enc.c - the word transform's host side (words.h): the encoder's
 * lookup table and forward transform, and training a dictionary that holds a
 * word list beside its zstd content. Allocates (the library's allocator, or
 * malloc while training); not in the decode-only build. */
#ifndef ARTPACK_NO_ALLOC
#include <string.h>

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include "words.h"

#define AP_WORDS_SLOTS 4096u /* > 2 x AP_WORDS_MAX: a power of two */

struct ap_words_enc {
    artpack_allocator mem;
    const unsigned char *word[AP_WORDS_MAX]; /* length byte, then the token's bytes */
    uint16_t slot[AP_WORDS_SLOTS];           /* word index + 1; 0 empty */
    int spaced;                              /* a token begins with a space */
};

static int ap_letter(unsigned c) { return (c | 0x20u) >= 'a' && (c | 0x20u) <= 'z'; }

/* C0, C1, F5 .. FD: the code bytes, which text must escape */
static int ap_code_byte(unsigned c) { return c == 0xC0 || c == 0xC1 || (c >= 0xF5 && c <= 0xFD); }

static uint32_t ap_word_hash(const unsigned char *p, size_t n) {
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h ^ (h >> 15);
}

artpack_error ap_words_enc_create(ap_words_enc **out, const unsigned char *list,
                                  const artpack_allocator *mem) {
    unsigned n = (unsigned)list[2] | (unsigned)list[3] << 8, i;
    const unsigned char *p = list + 4 + 2 * ((n + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP);
    ap_words_enc *e = (ap_words_enc *)mem->alloc(mem->opaque, sizeof *e);
    *out = NULL;
    AP_RETURN_IF(e == NULL, ARTPACK_E_ALLOC);
    memset(e, 0, sizeof *e);
    e->mem = *mem;
    for (i = 0; i < n; i++) {
        uint32_t s = ap_word_hash(p + 1, p[0]) & (AP_WORDS_SLOTS - 1);
        while (e->slot[s] != 0) s = (s + 1) & (AP_WORDS_SLOTS - 1);
        e->slot[s] = (uint16_t)(i + 1);
        e->word[i] = p;
        if (p[1] == ' ') e->spaced = 1;
        p += 1 + p[0];
    }
    *out = e;
    return ARTPACK_OK;
}

void ap_words_enc_free(ap_words_enc *e) {
    if (e != NULL) e->mem.free(e->mem.opaque, e);
}

/* The word index of the token p[0..n) (letters, or a space and letters), or
 * -1. A list may hold a token twice (a hand-made one): the first wins, as
 * the table was filled in order. */
static long ap_words_lookup(const ap_words_enc *e, const unsigned char *p, size_t n) {
    uint32_t s;
    if (n < AP_WORD_LEN_MIN || n > AP_WORD_LEN_MAX) return -1;
    for (s = ap_word_hash(p, n) & (AP_WORDS_SLOTS - 1); e->slot[s] != 0;
         s = (s + 1) & (AP_WORDS_SLOTS - 1)) {
        const unsigned char *w = e->word[e->slot[s] - 1];
        if (w[0] == n && memcmp(w + 1, p, n) == 0) return (long)e->slot[s] - 1;
    }
    return -1;
}

/* The code of word idx at dst: its size (1 or 2). */
static size_t ap_words_code(unsigned char *dst, unsigned long idx) {
    static const unsigned char one[AP_WORDS_ONE_BYTE] = {0xC0, 0xC1, 0xF5};
    if (idx < AP_WORDS_ONE_BYTE) {
        dst[0] = one[idx];
        return 1;
    }
    idx -= AP_WORDS_ONE_BYTE;
    dst[0] = (unsigned char)(0xF6 + idx / 254);
    dst[1] = (unsigned char)(idx % 254);
    return 2;
}

size_t ap_words_apply(const ap_words_enc *e, unsigned char *dst, const unsigned char *src,
                      size_t n, int *in_place) {
    size_t i = 0, o = 0, ahead = n; /* ahead: the largest (i - o) + n seen */
    while (i < n) {
        unsigned b = src[i];
        if (b == ' ' && e->spaced && i + 1 < n && ap_letter(src[i + 1])) {
            /* " word" when the list holds it; else the space as itself, and
             * the word is tried alone on the next round */
            size_t j = i + 2;
            long idx;
            while (j < n && ap_letter(src[j])) j++;
            idx = ap_words_lookup(e, src + i, j - i);
            if (idx < 0) {
                dst[o++] = ' ';
                i++;
            } else {
                o += ap_words_code(dst + o, (unsigned long)idx);
                i = j;
            }
        } else if (ap_letter(b)) {
            size_t j = i + 1;
            long idx;
            while (j < n && ap_letter(src[j])) j++;
            idx = ap_words_lookup(e, src + i, j - i);
            if (idx < 0) {
                memcpy(dst + o, src + i, j - i);
                o += j - i;
            } else {
                o += ap_words_code(dst + o, (unsigned long)idx);
            }
            i = j;
        } else if (ap_code_byte(b)) {
            unsigned k = b <= 0xC1 ? b - 0xC0 : b - 0xF5 + 2;
            dst[o++] = (unsigned char)(0xF6 + k / 2);
            dst[o++] = (unsigned char)(0xFE + k % 2);
            i++;
        } else {
            dst[o++] = (unsigned char)b;
            i++;
        }
        if (i + n - o > ahead) ahead = i + n - o;
    }
    /* ap_words_expand in n bytes: the output never passes the unread input,
     * i.e. (i - o) at every step is at most its final value n - o */
    *in_place = o <= n && ahead <= n + n - o;
    return o;
}

/* ---- training ---- */

/* Training allocates through the default allocator (malloc/free in alloc.c),
 * as zstd's trainer does with malloc. */
static void *ap_tmalloc(size_t n) {
    const artpack_allocator *m = ap_allocator_or_default(NULL);
    return m != NULL ? m->alloc(m->opaque, n ? n : 1) : NULL;
}
static void ap_tfree(void *p) {
    const artpack_allocator *m = ap_allocator_or_default(NULL);
    if (p != NULL && m != NULL) m->free(m->opaque, p);
}

typedef struct ap_wc {
    const unsigned char *p;
    uint32_t len;
    uint32_t count;
} ap_wc;

typedef struct ap_wtab {
    ap_wc *e;
    size_t cap, used;
} ap_wtab;

static int ap_wtab_add(ap_wtab *t, const unsigned char *p, size_t n) {
    size_t s;
    if (2 * (t->used + 1) > t->cap) { /* grow: rehash into twice the slots */
        size_t cap = t->cap ? 2 * t->cap : 65536, i;
        ap_wc *e = (ap_wc *)ap_tmalloc(cap * sizeof *e);
        if (e == NULL) return -1;
        memset(e, 0, cap * sizeof *e);
        for (i = 0; i < t->cap; i++)
            if (t->e[i].p != NULL) {
                size_t q = ap_word_hash(t->e[i].p, t->e[i].len) & (cap - 1);
                while (e[q].p != NULL) q = (q + 1) & (cap - 1);
                e[q] = t->e[i];
            }
        ap_tfree(t->e);
        t->e = e;
        t->cap = cap;
    }
    for (s = ap_word_hash(p, n) & (t->cap - 1); t->e[s].p != NULL; s = (s + 1) & (t->cap - 1))
        if (t->e[s].len == n && memcmp(t->e[s].p, p, n) == 0) {
            t->e[s].count++;
            return 0;
        }
    t->e[s].p = p;
    t->e[s].len = (uint32_t)n;
    t->e[s].count = 1;
    t->used++;
    return 0;
}

/* 1 when x ranks before y: more bytes saved by coding it, count x (length -
 * 1), then more frequent, then in byte order (a prefix first). A strict total
 * order on distinct words: the sort is deterministic. Ranking by bytes saved
 * rather than by count: reuters21578.jsonl at -19 with the default
 * dictionary trained on reuters_financial.jsonl, 3,776,729 B against
 * 3,789,267 B; ordering the chosen words by count again (one-byte codes for
 * the most frequent) gave 3,779,572 B. */
static int ap_wc_before(const ap_wc *x, const ap_wc *y) {
    uint64_t sx = (uint64_t)x->count * (x->len - 1), sy = (uint64_t)y->count * (y->len - 1);
    int c;
    if (sx != sy) return sx > sy;
    if (x->count != y->count) return x->count > y->count;
    c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    if (c != 0) return c < 0;
    return x->len < y->len;
}

/* Heapsort of e[0..n) by ap_wc_before: the heap's root is the last-ranked,
 * moved to the end each round, so the first-ranked ends first (no qsort: the library calls no libc
 * beyond a few memory functions, tests/check-symbols.sh). */
static void ap_wc_sift(ap_wc *e, size_t at, size_t n) {
    for (;;) {
        size_t c = 2 * at + 1;
        ap_wc t;
        if (c >= n) return;
        if (c + 1 < n && ap_wc_before(&e[c], &e[c + 1])) c++;
        if (!ap_wc_before(&e[at], &e[c])) return;
        t = e[at];
        e[at] = e[c];
        e[c] = t;
        at = c;
    }
}
static void ap_wc_sort(ap_wc *e, size_t n) {
    size_t i;
    for (i = n / 2; i-- > 0;) ap_wc_sift(e, i, n);
    for (i = n; i-- > 1;) {
        ap_wc t = e[0];
        e[0] = e[i];
        e[i] = t;
        ap_wc_sift(e, 0, i);
    }
}

/* The tokens of the samples whose index is not skipped (i % 8 == 7 skipped
 * when holdout), ranked by ap_wc_before: *out (the default allocator). A
 * word right after a space (in the same sample) is the token " word", the
 * space in its length, and the bare word otherwise: one kind or the other
 * per occurrence, as the encoder would code it. Tokens with a space
 * (docs/bench/ratio-experiments.md, the same 112,640 B budget, trained on
 * reuters_financial.jsonl): bbc -1.4 % with zstd -19, -2.4 % with LZ4. */
static artpack_error ap_words_rank(const unsigned char *s, const size_t *sizes, unsigned count,
                                   int holdout, ap_wc **out, size_t *n_out) {
    ap_wtab t;
    size_t i, j, st, at = 0, n = 0;
    unsigned k;
    memset(&t, 0, sizeof t);
    for (k = 0; k < count; at += sizes[k], k++) {
        if (holdout && k % 8 == 7) continue;
        for (i = at; i < at + sizes[k];) {
            if (!ap_letter(s[i])) {
                i++;
                continue;
            }
            for (j = i + 1; j < at + sizes[k] && ap_letter(s[j]); j++) continue;
            /* after a space, a token " word" (the space counts in its
             * length) when it fits; else the word alone */
            st = i > at && s[i - 1] == ' ' && j - i < AP_WORD_LEN_MAX ? i - 1 : i;
            if (j - i >= AP_WORD_LEN_MIN && j - i <= AP_WORD_LEN_MAX && ap_wtab_add(&t, s + st, j - st)) {
                ap_tfree(t.e);
                return ARTPACK_E_ALLOC;
            }
            i = j;
        }
    }
    for (i = 0; i < t.cap; i++)
        if (t.e[i].p != NULL) t.e[n++] = t.e[i];
    ap_wc_sort(t.e, n);
    *out = t.e;
    *n_out = n;
    return ARTPACK_OK;
}

/* The list of the first n ranked words into dst (cap bytes): its size, 0
 * when it does not fit. */
static size_t ap_words_list(unsigned char *dst, size_t cap, const ap_wc *w, size_t n) {
    size_t groups = (n + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP, area = 4 + 2 * groups, pos = 0, i;
    if (cap < area) return 0;
    dst[0] = AP_WORDS_VERSION_LETTERS; /* version 2 only when a token needs it */
    for (i = 0; i < n; i++)
        if (w[i].p[0] == ' ') dst[0] = AP_WORDS_VERSION;
    dst[1] = 0;
    dst[2] = (unsigned char)n;
    dst[3] = (unsigned char)(n >> 8);
    for (i = 0; i < n; i++) {
        if (i % AP_WORDS_GROUP == 0) {
            if (pos > 0xFFFF) return 0;
            dst[4 + 2 * (i / AP_WORDS_GROUP)] = (unsigned char)pos;
            dst[5 + 2 * (i / AP_WORDS_GROUP)] = (unsigned char)(pos >> 8);
        }
        if (cap - area - pos < 1 + w[i].len) return 0;
        dst[area + pos] = (unsigned char)w[i].len;
        memcpy(dst + area + pos + 1, w[i].p, w[i].len);
        pos += 1 + w[i].len;
    }
    return area + pos;
}

typedef struct ap_tset {
    unsigned char *data;
    size_t *sizes;
    size_t len;
    unsigned count;
} ap_tset;

/* The samples (every one, or those not held out / only those held out),
 * each transformed with the list (list NULL: as they are). */
static artpack_error ap_words_samples(ap_tset *t, const unsigned char *s, const size_t *sizes,
                                      unsigned count, int which, const unsigned char *list) {
    size_t total = 0, at = 0;
    unsigned k;
    ap_words_enc *e = NULL;
    artpack_allocator mem;
    memset(t, 0, sizeof *t);
    for (k = 0; k < count; k++) total += sizes[k];
    t->data = (unsigned char *)ap_tmalloc(AP_WORDS_BOUND(total) + 1);
    t->sizes = (size_t *)ap_tmalloc(sizeof(size_t) * (count + 1u));
    mem = *ap_allocator_or_default(NULL);
    if (t->data == NULL || t->sizes == NULL || (list && ap_words_enc_create(&e, list, &mem))) {
        ap_tfree(t->data);
        ap_tfree(t->sizes);
        return ARTPACK_E_ALLOC;
    }
    for (k = 0; k < count; at += sizes[k], k++) {
        int held = k % 8 == 7, ok;
        if ((which == 1 && held) || (which == 2 && !held)) continue;
        if (e != NULL) {
            t->sizes[t->count] = ap_words_apply(e, t->data + t->len, s + at, sizes[k], &ok);
        } else {
            memcpy(t->data + t->len, s + at, sizes[k]);
            t->sizes[t->count] = sizes[k];
        }
        t->len += t->sizes[t->count++];
    }
    ap_words_enc_free(e);
    return ARTPACK_OK;
}

static void ap_tset_free(ap_tset *t) {
    ap_tfree(t->data);
    ap_tfree(t->sizes);
}

/* A dictionary of the list and the zstd content trained on samples
 * transformed with it, in dst (dict_size bytes at most): the zstd header,
 * the list, the zstd content, the trailer (docs/FORMAT.md). */
static artpack_error ap_words_build(unsigned char *dst, size_t dict_size, const unsigned char *s,
                                    const size_t *sizes, unsigned count, int which,
                                    const unsigned char *list, size_t list_size,
                                    const artpack_train_params *p, int level, size_t *written) {
    ap_tset t;
    artpack_error err;
    size_t z, h;
    uint32_t id;
    unsigned char *zd;
    AP_RETURN_IF(list != NULL &&
                     dict_size < ARTPACK_DICT_SIZE_MIN + list_size + AP_WORDS_TRAILER,
                 ARTPACK_E_TRAIN);
    AP_TRY(ap_words_samples(&t, s, sizes, count, which, list));
    if (list == NULL) {
        err = ap_zstd_train(dst, dict_size, t.data, t.sizes, t.count, p, level, written);
        ap_tset_free(&t);
        return err;
    }
    zd = (unsigned char *)ap_tmalloc(dict_size);
    if (zd == NULL) {
        ap_tset_free(&t);
        return ARTPACK_E_ALLOC;
    }
    err = ap_zstd_train(zd, dict_size - list_size - AP_WORDS_TRAILER, t.data, t.sizes, t.count, p,
                        level, &z);
    ap_tset_free(&t);
    h = err == ARTPACK_OK ? ZDICT_getDictHeaderSize(zd, z) : 0;
    if (err == ARTPACK_OK && (ZDICT_isError(h) || h < 8 || h > z)) err = ARTPACK_E_TRAIN;
    if (err != ARTPACK_OK) {
        ap_tfree(zd);
        return err;
    }
    memcpy(dst, zd, h);
    memcpy(dst + h, list, list_size);
    memcpy(dst + h + list_size, zd + h, z - h);
    ap_tfree(zd);
    z += list_size;
    ap_write_le32(dst + z, (uint32_t)(z - h + AP_WORDS_TRAILER)); /* list to end */
    ap_write_le32(dst + z + 4, (uint32_t)list_size);
    ap_write_le32(dst + z + 8, ap_xxh32(list, list_size));
    ap_write_le32(dst + z + 12, AP_WORDS_MAGIC);
    z += AP_WORDS_TRAILER;
    /* a new ID for the new content, in zstd's range for trained ones */
    id = ap_xxh32(dst + 8, z - 8) % ((1u << 31) - 32768u) + 32768u;
    ap_write_le32(dst + 4, id);
    *written = z;
    return ARTPACK_OK;
}

/* Bytes of the held-out samples compressed one by one at level with the
 * dictionary d (its list applied when it has one). */
static artpack_error ap_words_measure(const unsigned char *d, size_t dsize,
                                      const unsigned char *s, const size_t *sizes,
                                      unsigned count, int level, size_t *total) {
    const unsigned char *list;
    size_t list_size, at = 0, cap = 0, r;
    unsigned k;
    ap_tset t;
    ZSTD_CDict *cd;
    ZSTD_CCtx *cc;
    unsigned char *out = NULL;
    artpack_error err = ARTPACK_OK;
    AP_TRY(ap_words_find(d, dsize, &list, &list_size));
    AP_TRY(ap_words_samples(&t, s, sizes, count, 2, list));
    for (k = 0; k < t.count; k++)
        if (ZSTD_compressBound(t.sizes[k]) > cap) cap = ZSTD_compressBound(t.sizes[k]);
    cd = ZSTD_createCDict(d, dsize, level);
    cc = ZSTD_createCCtx();
    out = (unsigned char *)ap_tmalloc(cap ? cap : 1);
    *total = 0;
    if (cd == NULL || cc == NULL || out == NULL) err = ARTPACK_E_ALLOC;
    for (k = 0; err == ARTPACK_OK && k < t.count; at += t.sizes[k], k++) {
        r = ZSTD_compress_usingCDict(cc, out, cap, t.data + at, t.sizes[k], cd);
        if (ZSTD_isError(r)) err = ARTPACK_E_TRAIN;
        else *total += r;
    }
    ap_tfree(out);
    ZSTD_freeCCtx(cc);
    ZSTD_freeCDict(cd);
    ap_tset_free(&t);
    return err;
}

artpack_error ap_words_dict_train(void *dst, size_t dict_size, const void *samples,
                                  const size_t *sample_sizes, unsigned count,
                                  const artpack_train_params *p, int level, size_t *written) {
    /* the list lengths tried; a length whose list takes over a quarter of
     * the budget is not, and 256 and 512 only when a list of 1024 words
     * does not fit (small dictionaries: 32 KB and less on news text) */
    static const size_t tries[] = {0, 256, 512, 1024, AP_WORDS_MAX};
    const unsigned char *s = (const unsigned char *)samples;
    unsigned char *list = NULL, *trial = NULL;
    ap_wc *ranked = NULL;
    size_t n_ranked, best_n = 0, best = (size_t)-1, i, list_size = 0, last = 0;
    int fit1024 = 0;
    artpack_error err = ARTPACK_OK;
    list = (unsigned char *)ap_tmalloc(dict_size);
    trial = (unsigned char *)ap_tmalloc(dict_size);
    if (list == NULL || trial == NULL) err = ARTPACK_E_ALLOC;
    if (p->words > 0) {
        best_n = (size_t)p->words;
    } else if (count >= 64 && err == ARTPACK_OK) {
        /* choose the length on a held-out eighth (every 8th sample) */
        err = ap_words_rank(s, sample_sizes, count, 1, &ranked, &n_ranked);
        /* 1024 words fit: the shorter lists are not tried */
        fit1024 = err == ARTPACK_OK &&
                  ap_words_list(list, dict_size / 4, ranked, n_ranked < 1024 ? n_ranked : 1024) != 0;
        for (i = 0; err == ARTPACK_OK && i < sizeof tries / sizeof tries[0]; i++) {
            size_t n = tries[i] < n_ranked ? tries[i] : n_ranked, got = 0, bytes = 0, ls = 0;
            if (tries[i] > 0 && tries[i] < 1024 && fit1024) continue;
            if (i > 0 && n == last) continue; /* the same list as the try before */
            last = n;
            if (n > 0) {
                ls = ap_words_list(list, dict_size / 4, ranked, n);
                if (ls == 0) continue;
            }
            err = ap_words_build(trial, dict_size, s, sample_sizes, count, 1, n ? list : NULL, ls,
                                 p, level, &got);
            if (err == ARTPACK_E_TRAIN) { /* too little left of the budget, or too few
                                           * samples in the split: not a candidate */
                err = ARTPACK_OK;
                continue;
            }
            if (err == ARTPACK_OK)
                err = ap_words_measure(trial, got, s, sample_sizes, count, level, &bytes);
            if (err == ARTPACK_OK && bytes < best) {
                best = bytes;
                best_n = n;
            }
        }
        ap_tfree(ranked);
        ranked = NULL;
    }
    if (err == ARTPACK_OK && best_n > 0) {
        err = ap_words_rank(s, sample_sizes, count, 0, &ranked, &n_ranked);
        if (err == ARTPACK_OK) {
            if (best_n > n_ranked) best_n = n_ranked;
            if (best_n > AP_WORDS_MAX) best_n = AP_WORDS_MAX;
            list_size = best_n ? ap_words_list(list, dict_size / 2, ranked, best_n) : 0;
            if (list_size == 0) best_n = 0;
        }
    }
    if (err == ARTPACK_OK)
        err = ap_words_build((unsigned char *)dst, dict_size, s, sample_sizes, count, 0,
                             best_n ? list : NULL, list_size, p, level, written);
    ap_tfree(ranked);
    ap_tfree(list);
    ap_tfree(trial);
    return err;
}
#else
typedef int ap_words_enc_unused; /* ISO C: not an empty file */
#endif /* ARTPACK_NO_ALLOC */
