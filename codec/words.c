/* words.c - the word transform's decoder side (words.h): finding and checking
 * the word list inside a dictionary, and expanding a transformed record in
 * place, from the list where it lies (flash), without allocating.
 *
 * Codes (docs/FORMAT.md "Word transform"): C0, C1, F5 are words 0, 1, 2;
 * F6+p then x (p 0..7, x 00..FD) is word 3 + 254 p + x; F6+p then FE or FF is
 * the escaped input byte number 2 p + (x - FE) of {C0, C1, F5, F6 .. FD}.
 * Every other byte stands for itself. */
#include <string.h>

#include "words.h"

static unsigned ap_le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static int ap_is_letter(unsigned c) { return (c | 0x20u) >= 'a' && (c | 0x20u) <= 'z'; }

/* The list's structure: version, count, group offsets that match the words,
 * each word 2..32 ASCII letters, nothing left over. */
static artpack_error ap_words_check(const unsigned char *list, size_t size) {
    size_t groups, area, pos = 0, i, k;
    unsigned n;
    AP_RETURN_IF(size < 4 || list[0] != AP_WORDS_VERSION || list[1] != 0, ARTPACK_E_DICT);
    n = ap_le16(list + 2);
    AP_RETURN_IF(n == 0 || n > AP_WORDS_MAX, ARTPACK_E_DICT);
    groups = (n + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP;
    AP_RETURN_IF(size < 4 + 2 * groups, ARTPACK_E_DICT);
    area = 4 + 2 * groups;
    for (i = 0; i < n; i++) {
        size_t len;
        if (i % AP_WORDS_GROUP == 0)
            AP_RETURN_IF(ap_le16(list + 4 + 2 * (i / AP_WORDS_GROUP)) != pos, ARTPACK_E_DICT);
        AP_RETURN_IF(size - area - pos < 1, ARTPACK_E_DICT);
        len = list[area + pos];
        AP_RETURN_IF(len < AP_WORD_LEN_MIN || len > AP_WORD_LEN_MAX ||
                         size - area - pos - 1 < len,
                     ARTPACK_E_DICT);
        /* letters only: what the encoder can match (not needed for safety:
         * ARTPACK_NO_CANONICAL_CHECKS checks the structure alone) */
        for (k = 0; AP_CANONICAL && k < len; k++)
            AP_RETURN_IF(!ap_is_letter(list[area + pos + 1 + k]), ARTPACK_E_DICT);
        pos += 1 + len; /* a group's offset past 0xFFFF cannot match above */
    }
    AP_RETURN_IF(area + pos != size, ARTPACK_E_DICT);
    return ARTPACK_OK;
}

artpack_error ap_words_find(const unsigned char *d, size_t size, const unsigned char **list,
                            size_t *list_size) {
    const unsigned char *t;
    size_t dist, n;
    *list = NULL;
    *list_size = 0;
    if (size < 8 + AP_WORDS_TRAILER) return ARTPACK_OK;
    t = d + size - AP_WORDS_TRAILER;
    if (ap_read_le32(t + 12) != AP_WORDS_MAGIC) return ARTPACK_OK; /* a plain dictionary */
    dist = ap_read_le32(t);
    n = ap_read_le32(t + 4);
    /* the list lies after the zstd header's 8 bytes and before the trailer */
    AP_RETURN_IF(dist > size - 8 || dist < AP_WORDS_TRAILER || n > dist - AP_WORDS_TRAILER,
                 ARTPACK_E_DICT);
    AP_RETURN_IF(ap_xxh32(d + size - dist, n) != ap_read_le32(t + 8), ARTPACK_E_DICT);
    AP_TRY(ap_words_check(d + size - dist, n));
    *list = d + size - dist;
    *list_size = n;
    return ARTPACK_OK;
}

artpack_error ap_words_expand(const unsigned char *list, unsigned char *buf, size_t size,
                              size_t tsize) {
    const unsigned char *groups = list + 4, *area;
    const unsigned char *in;
    unsigned n = ap_le16(list + 2);
    size_t r = 0, w = 0;
    AP_RETURN_IF(tsize > size, ARTPACK_E_WORDS);
    area = groups + 2 * ((n + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP);
    /* transformed byte r is in[r]; what is written stays at or before it:
     * w <= (size - tsize) + r after every code, so in[r..] is intact */
    in = buf + (size - tsize);
    while (r < tsize) {
        unsigned b = in[r++], idx, k;
        const unsigned char *word;
        if (b < 0xC0 || (b > 0xC1 && b < 0xF5) || b > 0xFD) { /* itself */
            buf[w++] = (unsigned char)b; /* w <= base + r - 1: never ahead */
            continue;
        }
        if (b <= 0xF5) {
            idx = b <= 0xC1 ? b - 0xC0 : 2; /* C0, C1, F5 */
        } else {
            unsigned x;
            AP_RETURN_IF(r >= tsize, ARTPACK_E_WORDS);
            x = in[r++];
            if (x >= 0xFE) { /* an escaped code byte */
                k = 2 * (b - 0xF6) + (x - 0xFE);
                AP_RETURN_IF(k >= AP_WORDS_ESCAPES, ARTPACK_E_WORDS);
                /* escapes 0..10: C0 C1 F5 F6 .. FD; two read, one written */
                buf[w++] = (unsigned char)(k < 2 ? 0xC0 + k : 0xF3 + k);
                continue;
            }
            idx = AP_WORDS_ONE_BYTE + 254 * (b - 0xF6) + x;
        }
        AP_RETURN_IF(idx >= n, ARTPACK_E_WORDS);
        word = area + ap_le16(groups + 2 * (idx / AP_WORDS_GROUP));
        for (k = idx % AP_WORDS_GROUP; k > 0; k--) word += 1 + word[0];
        /* the word must not overtake the input not yet read */
        AP_RETURN_IF(word[0] > (size - tsize) + r - w, ARTPACK_E_WORDS);
        memcpy(buf + w, word + 1, word[0]);
        w += word[0];
    }
    AP_RETURN_IF(w != size, ARTPACK_E_WORDS);
    return ARTPACK_OK;
}

/* A table entry (the table-driven inverse below): bits 0-16 the word's
 * offset in the list's word area (its first letter), 17-22 its length, 23
 * "no such code", 24-31 the first byte written (the word's first letter, or
 * the byte itself for a plain or escaped byte, whose entry has offset 0 and
 * length 1). */
#define AP_WT_BAD 0x800000u
#define AP_WT_OFF(e) ((e) & 0x1FFFFu)
#define AP_WT_LEN(e) (((e) >> 17) & 63u)

/* Where code byte b (and the byte x after it) is in the table: b itself for
 * a byte that is no prefix, 256 + 256 (b - F6) + x after a prefix F6..FD. */
#define AP_WT_INDEX(b, x) ((b) < 0xF6u || (b) > 0xFDu ? (b) : ((b) - 0xF5u) << 8 | (x))

artpack_error ap_words_expand_to(const unsigned char *list, const uint32_t *tab,
                                 unsigned char *dst, size_t cap, const unsigned char *src,
                                 size_t tsize, size_t *written) {
    const unsigned char *groups = list + 4, *area;
    unsigned n = ap_le16(list + 2);
    size_t r = 0, w = 0;
    area = groups + 2 * ((n + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP);
    *written = 0;
    while (r < tsize) {
        size_t s = r;
        unsigned b, len;
        const unsigned char *word;
        while (r < tsize && src[r] < 0xC0) r++; /* plain bytes (ASCII, UTF-8 continuations) */
        AP_RETURN_IF(r - s > cap - w, ARTPACK_E_WORDS);
        if (r > s) memcpy(dst + w, src + s, r - s);
        w += r - s;
        if (r == tsize) break;
        b = src[r++];
        if ((b > 0xC1 && b < 0xF5) || b > 0xFD) { /* itself */
            AP_RETURN_IF(w == cap, ARTPACK_E_WORDS);
            dst[w++] = (unsigned char)b;
            continue;
        }
        AP_RETURN_IF(b >= 0xF6 && r >= tsize, ARTPACK_E_WORDS); /* a prefix byte last */
#if AP_WORDS_TABLE
        if (tab != NULL) {
            uint32_t e = tab[AP_WT_INDEX(b, b >= 0xF6 ? src[r] : 0u)];
            r += b >= 0xF6;
            len = AP_WT_LEN(e);
            AP_RETURN_IF((e & AP_WT_BAD) || len > cap - w, ARTPACK_E_WORDS);
            dst[w] = (unsigned char)(e >> 24); /* plain and escaped bytes: len 1 */
            if (len > 1) memcpy(dst + w + 1, area + AP_WT_OFF(e) + 1, len - 1);
            w += len;
            continue;
        }
#else
        (void)tab;
#endif
        {
            unsigned idx, k;
            if (b <= 0xF5) {
                idx = b <= 0xC1 ? b - 0xC0 : 2; /* C0, C1, F5 */
            } else {
                unsigned x = src[r++];
                if (x >= 0xFE) { /* an escaped code byte */
                    k = 2 * (b - 0xF6) + (x - 0xFE);
                    AP_RETURN_IF(k >= AP_WORDS_ESCAPES || w == cap, ARTPACK_E_WORDS);
                    dst[w++] = (unsigned char)(k < 2 ? 0xC0 + k : 0xF3 + k);
                    continue;
                }
                idx = AP_WORDS_ONE_BYTE + 254 * (b - 0xF6) + x;
            }
            AP_RETURN_IF(idx >= n, ARTPACK_E_WORDS);
            word = area + ap_le16(groups + 2 * (idx / AP_WORDS_GROUP));
            for (k = idx % AP_WORDS_GROUP; k > 0; k--) word += 1 + word[0];
            len = word[0];
            AP_RETURN_IF(len > cap - w, ARTPACK_E_WORDS);
            memcpy(dst + w, word + 1, len);
            w += len;
        }
    }
    *written = w;
    return ARTPACK_OK;
}

#if AP_WORDS_TABLE
/* ---- the table-driven inverse (host builds) ----
 *
 * ap_words_expand finds a word by walking its group of 16, and looks at the
 * input one byte at a time. Here a table made once per decompressor maps a
 * code straight to its word, the plain bytes between codes move 16 at a
 * time, and the codes of 64 input bytes are found at once from two bit
 * masks (bytes >= 0x80; prefix bytes F6..FD). The result is that of
 * ap_words_expand for every input: the same bytes, or ARTPACK_E_WORDS where
 * it fails (tests/test_words_table.c, fuzz/fuzz_words.c). */

static uint32_t ap_wt_entry(size_t off, unsigned len, unsigned first) {
    return (uint32_t)off | (uint32_t)len << 17 | (uint32_t)first << 24;
}

void ap_words_table(const unsigned char *list, uint32_t *tab) {
    static const unsigned char one[AP_WORDS_ONE_BYTE] = {0xC0, 0xC1, 0xF5};
    unsigned n = ap_le16(list + 2), i, b;
    const unsigned char *area = list + 4 + 2 * ((n + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP);
    size_t pos = 0;
    for (i = 0; i < AP_WORDS_TABLE_ENTRIES; i++) tab[i] = AP_WT_BAD | ap_wt_entry(0, 1, 0);
    for (b = 0; b < 256; b++)
        if (b != 0xC0 && b != 0xC1 && (b < 0xF5 || b > 0xFD)) tab[b] = ap_wt_entry(0, 1, b);
    for (i = 0; i < AP_WORDS_ESCAPES; i++) /* F6+p FE|FF: C0 C1 F5 F6 .. FD */
        tab[AP_WT_INDEX(0xF6u + i / 2, 0xFEu + i % 2)] = ap_wt_entry(0, 1, i < 2 ? 0xC0 + i : 0xF3 + i);
    for (i = 0; i < n; i++) {
        uint32_t e = ap_wt_entry(pos + 1, area[pos], area[pos + 1]);
        if (i < AP_WORDS_ONE_BYTE) {
            tab[one[i]] = e;
        } else {
            unsigned k = i - AP_WORDS_ONE_BYTE;
            tab[AP_WT_INDEX(0xF6u + k / 254, k % 254)] = e;
        }
        pos += 1u + area[pos];
    }
}

#if defined(__SSE2__) && !defined(AP_WORDS_SWAR)
#include <emmintrin.h>
#define AP_WT_SSE2 1
#else
#define AP_WT_SSE2 0
#endif

static unsigned ap_ctz64(uint64_t v) { /* v != 0 */
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(v);
#else
    unsigned n = 0;
    while (!(v & 1u)) {
        v >>= 1;
        n++;
    }
    return n;
#endif
}

/* 16 bytes from s to d through a register: s and d may overlap */
static void ap_copy16(unsigned char *d, const unsigned char *s) {
    unsigned char t[16];
    memcpy(t, s, 16);
    memcpy(d, t, 16);
}

/* c[0..64): *hi bit i when byte i >= 0x80, *pf when it is F6..FD */
static void ap_wt_masks(const unsigned char *c, uint64_t *hi, uint64_t *pf) {
    uint64_t h = 0, p = 0;
    unsigned i;
#if AP_WT_SSE2
    for (i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(c + 16 * i));
        __m128i f = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-11)), /* > F5 */
                                  _mm_cmplt_epi8(v, _mm_set1_epi8(-2))); /* < FE */
        h |= (uint64_t)(unsigned)_mm_movemask_epi8(v) << (16 * i);
        p |= (uint64_t)(unsigned)_mm_movemask_epi8(f) << (16 * i);
    }
#else
    /* eight bytes at a time; per byte, on its low 7 bits (no carry between
     * bytes): F6..FD are 76..7D with the top bit set */
    const uint64_t top = 0x8080808080808080u, ones = 0x0101010101010101u;
    for (i = 0; i < 8; i++) {
        uint64_t v = 0, v7, f;
        unsigned k;
        for (k = 0; k < 8; k++) v |= (uint64_t)c[8 * i + k] << (8 * k);
        v7 = v & ~top;
        f = (0xFDu * ones - v7) & (v7 + 0x0Au * ones) & v & top;
        /* the top bits gathered into one byte, byte k's as bit k */
        h |= (((v & top) >> 7) * 0x0102040810204080u >> 56) << (8 * i);
        p |= ((f >> 7) * 0x0102040810204080u >> 56) << (8 * i);
    }
#endif
    *hi = h;
    *pf = p;
}

artpack_error ap_words_expand_table(const unsigned char *list, const uint32_t *tab,
                                    unsigned char *buf, size_t size, size_t tsize) {
    unsigned nw = ap_le16(list + 2);
    const unsigned char *area = list + 4 + 2 * ((nw + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP);
    unsigned char *out = buf;
    size_t r = 0;
    uint32_t bad = 0;
    unsigned char last[80 + 16];
    AP_RETURN_IF(tsize > size, ARTPACK_E_WORDS);
    if (size == 0) return ARTPACK_OK; /* nothing to expand (buf may be NULL) */
    /* Chunks of 64 transformed bytes, read in place while 16 more follow,
     * else from a copy with zeros after. at + i is chunk byte i's place in
     * buf: what is written stays before the first byte not read (the rule
     * of ap_words_expand). With 32 bytes of room, plain bytes and words move
     * 16 at a time (what lands past their end is written over later);
     * closer, byte-exact moves and ap_words_expand's checks. */
    while (r < tsize) {
        const unsigned char *c;
        unsigned char *at = buf + (size - tsize) + r;
        uint64_t hi, pf, ev;
        unsigned n, prev = 0;
        if (tsize - r >= 80) {
            c = at;
            n = 64;
        } else {
            n = (unsigned)(tsize - r);
            memset(last, 0, sizeof last);
            memcpy(last, at, n);
            c = last;
            if (n > 64) n = 64;
        }
        ap_wt_masks(c, &hi, &pf);
        { /* a run of prefix bytes: the 1st, 3rd, ... are prefixes, the
           * others the bytes after them (a run starts on a prefix: a chunk
           * starts on a code) */
            const uint64_t even = 0x5555555555555555u;
            uint64_t starts = pf & ~(pf << 1), from_even = pf & ~(pf + (starts & even));
            pf = (from_even & even) | (pf & ~from_even & ~even);
        }
        ev = hi & ~(pf << 1); /* codes and plain bytes >= 0x80, not second bytes */
        while (ev) {
            unsigned p = ap_ctz64(ev), b = c[p], pre = (unsigned)(pf >> p) & 1u, m = 0u - pre;
            /* AP_WT_INDEX without a branch: one- and two-byte codes mix
             * unpredictably */
            uint32_t e = tab[(((b - 0xF5u) << 8 | c[p + 1]) & m) | (b & ~m)];
            unsigned run = p - prev, len = AP_WT_LEN(e);
            const unsigned char *word = area + AP_WT_OFF(e);
            ev &= ev - 1;
            if (at + prev - out >= 32) {
                ap_copy16(out, c + prev);
                if (run > 16) {
                    unsigned k;
                    for (k = 16; k < run; k += 16) ap_copy16(out + k, c + prev + k);
                }
                out += run;
                ap_copy16(out, word);
                if (len > 16) ap_copy16(out + 16, word + 16);
                bad |= e;
            } else {
                if (at + prev != out) memmove(out, c + prev, run);
                out += run;
                AP_RETURN_IF((e & AP_WT_BAD) || p + pre >= tsize - r || /* cut short */
                                 len > (size_t)(at + p + 1 + pre - out),
                             ARTPACK_E_WORDS);
                memcpy(out, word, len);
            }
            *out = (unsigned char)(e >> 24);
            out += len;
            prev = p + 1 + pre;
        }
        if (prev < n) { /* the plain bytes after the last code */
            unsigned run = n - prev, k;
            if (at + prev - out >= 16) {
                for (k = 0; k < run; k += 16) ap_copy16(out + k, c + prev + k);
            } else if (at + prev != out) {
                memmove(out, c + prev, run);
            }
            out += run;
            prev = n;
        }
        AP_RETURN_IF(prev > tsize - r, ARTPACK_E_WORDS); /* a prefix byte last */
        r += prev;
    }
    AP_RETURN_IF((bad & AP_WT_BAD) || out != buf + size, ARTPACK_E_WORDS);
    return ARTPACK_OK;
}
#endif
