/* words.c - the word transform's decoder side (words.h): finding and checking
 * the word list inside a dictionary, and expanding a transformed record in
 * place, from the list where it lies (flash), without allocating.
 *
 * Codes (docs/FORMAT.md "Word transform"): C0, C1, F5 are words 0, 1, 2;
 * F6+p then x (p 0..7, x 00..FD) is word 3 + 254 p + x; F6+p then FE or FF is
 * the escaped input byte number 2 p + (x - FE) of {C0, C1, F5, F6 .. FD}.
 * Every other byte stands for itself. */
#include <stddef.h>
#include <string.h>

#include "words.h"

static unsigned ap_le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

#if AP_WORDS_TABLE
static size_t ap_le24(const unsigned char *p) { return (size_t)ap_le16(p) | (size_t)p[2] << 16; }
#endif

static int ap_is_letter(unsigned c) { return (c | 0x20u) >= 'a' && (c | 0x20u) <= 'z'; }

/* The list's structure: version (1 or 2), count, group offsets that match the
 * words, each word 2..32 ASCII letters (version 2: or one space and 2..31
 * letters), nothing left over. */
static artpack_error ap_words_check(const unsigned char *list, size_t size) {
    size_t groups, area, pos = 0, i, k;
    unsigned n;
    /* the version byte (1 or 2) and the reserved zero byte, read as one */
    AP_RETURN_IF(size < 4 || ap_le16(list) - AP_WORDS_VERSION_LETTERS > 1u, ARTPACK_E_DICT);
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
        /* letters only, or a leading space (version 2) before 2 or more:
         * what the encoder can match (not needed for safety:
         * ARTPACK_NO_CANONICAL_CHECKS checks the structure alone) */
        for (k = 0; AP_CANONICAL && k < len; k++)
            AP_RETURN_IF(!ap_is_letter(list[area + pos + 1 + k]) &&
                             (k > 0 || list[area + pos + 1] != ' ' ||
                              list[0] != AP_WORDS_VERSION || len <= AP_WORD_LEN_MIN),
                         ARTPACK_E_DICT);
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

/* A row of the table (the table-driven inverse below), 16 bytes per code:
 * byte 15 is the word's length (2..15) and bytes 0..14 its letters; or byte
 * 15 has AP_WR_CHECK, "look closer", and then: a word of 16..32 letters
 * (its length in bits 0-5, bytes 0-2 its offset in the list's word area,
 * little-endian, where its letters are), an escape (length 1, byte 0 the
 * byte it stands for), or no such code (AP_WR_BAD). */
#define AP_WR_CHECK 0x80u
#define AP_WR_BAD 0x40u
#define AP_WR_LEN(f) ((f) & 63u)

/* Where code byte b and the byte x after it are in the table (words.h):
 * one add and one mask from b << 8 | x, for one- and two-byte codes alike
 * (a one-byte code's 256 rows are the same) */
#define AP_WT_INDEX(b, x) ((((b) + 0x0Bu) & 0x0Fu) << 8 | (x))

artpack_error ap_words_expand_to(const unsigned char *list, const unsigned char *tab,
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
            const unsigned char *row = tab + 16u * AP_WT_INDEX(b, b >= 0xF6 ? src[r] : 0u);
            unsigned f = row[15];
            r += b >= 0xF6;
            len = AP_WR_LEN(f);
            AP_RETURN_IF((f & AP_WR_BAD) || len > cap - w, ARTPACK_E_WORDS);
            word = (f & AP_WR_CHECK) && len > 1 ? area + ap_le24(row) : row;
            memcpy(dst + w, word, len);
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
 * input one byte at a time. Here a table made once per decompressor holds
 * a 16-byte row per code, the word itself (up to 15 letters) and its
 * length: one load gives both, and a word moves as one 16-byte copy; a
 * code's row is found from its two bytes alike for one- and two-byte codes
 * (AP_WT_INDEX). The plain bytes between codes move 16 at a time, and the
 * codes of 64 input bytes are found at once from a bit mask of the code
 * bytes (C0, C1, F5..FD). The result is that of ap_words_expand for every
 * input: the same bytes, or ARTPACK_E_WORDS where it fails
 * (tests/test_words_table.c, fuzz/fuzz_words.c). */

void ap_words_table(const unsigned char *list, unsigned char *tab) {
    static const unsigned char one[AP_WORDS_ONE_BYTE] = {0xC0, 0xC1, 0xF5};
    unsigned n = ap_le16(list + 2), i;
    const unsigned char *area = list + 4 + 2 * ((n + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP);
    size_t pos = 0;
    memset(tab, 0, AP_WORDS_TABLE_SIZE);
    for (i = 0; i < AP_WORDS_TABLE_ENTRIES; i++) tab[16 * i + 15] = AP_WR_CHECK | AP_WR_BAD;
    for (i = 0; i < AP_WORDS_ESCAPES; i++) { /* F6+p FE|FF: C0 C1 F5 F6 .. FD */
        unsigned char *row = tab + 16u * AP_WT_INDEX(0xF6u + i / 2, 0xFEu + i % 2);
        row[0] = (unsigned char)(i < 2 ? 0xC0 + i : 0xF3 + i);
        row[15] = AP_WR_CHECK | 1u;
    }
    for (i = 0; i < n; i++) {
        unsigned len = area[pos], k = i - AP_WORDS_ONE_BYTE;
        unsigned char *row =
            tab + 16u * (i < AP_WORDS_ONE_BYTE ? AP_WT_INDEX(one[i], 0u)
                                               : AP_WT_INDEX(0xF6u + k / 254, k % 254));
        if (len < 16) {
            memcpy(row, area + pos + 1, len);
            row[15] = (unsigned char)len;
        } else { /* where its letters are */
            row[0] = (unsigned char)(pos + 1);
            row[1] = (unsigned char)((pos + 1) >> 8);
            row[2] = (unsigned char)((pos + 1) >> 16);
            row[15] = (unsigned char)(AP_WR_CHECK | len);
        }
        if (i < AP_WORDS_ONE_BYTE) { /* the same whatever byte follows */
            unsigned x;
            for (x = 1; x < 256; x++) memcpy(row + 16u * x, row, 16);
        }
        pos += 1u + len;
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

/* Bit i when c[i] is a code byte (c[0..64)): C0, C1, F5 .. FD, the bytes
 * that never occur in UTF-8 but FE and FF, which stand for themselves. */
static uint64_t ap_wt_codes(const unsigned char *c) {
    uint64_t m = 0;
    unsigned i;
#if AP_WT_SSE2
    for (i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(c + 16 * i));
        /* F5 .. FD + 8B: 80 .. 88, the smallest signed bytes */
        __m128i hi = _mm_cmpgt_epi8(_mm_set1_epi8(-119), _mm_add_epi8(v, _mm_set1_epi8(-117)));
        __m128i lo = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8(-2)), _mm_set1_epi8(-64));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(hi, lo)) << (16 * i);
    }
#else
    /* eight bytes at a time; per byte, on its low 7 bits (no carry between
     * bytes): F5..FD are 75..7D, C0 and C1 40 and 41, with the top bit set */
    const uint64_t top = 0x8080808080808080u, ones = 0x0101010101010101u;
    for (i = 0; i < 8; i++) {
        uint64_t v = 0, v7, f, o, t;
        unsigned k;
        for (k = 0; k < 8; k++) v |= (uint64_t)c[8 * i + k] << (8 * k);
        v7 = v & ~top;
        f = (0xFDu * ones - v7) & (v7 + 0x0Bu * ones) & v & top; /* 75..7D */
        t = (v7 & (0x7Eu * ones)) ^ (0x40u * ones);              /* 0 for 40, 41 */
        o = ~(t + 0x7Fu * ones) & v & top;
        /* the top bits gathered into one byte, byte k's as bit k */
        m |= (((f | o) >> 7) * 0x0102040810204080u >> 56) << (8 * i);
    }
#endif
    return m;
}

/* The row of the code at c[0] (c[1] the byte after it, whatever the code):
 * AP_WT_INDEX */
#define AP_WT_ROW(tab, c) ((tab) + 16u * ((((unsigned)(c)[0] << 8 | (c)[1]) + 0x0B00u) & 0x0FFFu))
/* 1 when the code byte c[0] is a prefix (F6..FD) */
#define AP_WT_PRE(c) (((c)[0] + 10u) >> 8)

artpack_error ap_words_expand_table(const unsigned char *list, const unsigned char *tab,
                                    unsigned char *buf, size_t size, size_t room, size_t tsize) {
    unsigned nw = ap_le16(list + 2);
    const unsigned char *area = list + 4 + 2 * ((nw + AP_WORDS_GROUP - 1) / AP_WORDS_GROUP);
    unsigned char *out = buf, *in;
    size_t r = 0, slack, base;
    uint64_t ev_next;
    unsigned char last[96 + 32];
    AP_RETURN_IF(tsize > size || size > room, ARTPACK_E_WORDS);
    if (size == 0) return ARTPACK_OK; /* nothing to expand (buf may be NULL) */
    /* The input lies at in = buf + room - tsize, slack bytes after where
     * ap_words_expand has it (buf + size - tsize). Its rule, that what is
     * written stays before the first transformed byte not read, is checked
     * here slack bytes further back: words only shrink that distance and
     * escapes only grow it, so it holds after every word when it holds
     * before every escape and at the end (out at buf + size).
     * With 32 bytes between out and the unread input (always, when slack >=
     * 32 and the rule holds), plain bytes and words move 16 at a time (what
     * lands past their end is written over later); closer, and for escapes
     * and bad codes, byte-exact moves and exact checks.
     * First the chunks of 64 transformed bytes at fixed places, read in
     * place while 32 more follow: r is where the bytes not yet moved start
     * (a code or a plain byte; past a chunk's start after a prefix at its end).
     * Finding a chunk's codes waits for nothing of the chunk before. */
    slack = room - size;
    in = buf + (room - tsize);
    ev_next = tsize >= 96 ? ap_wt_codes(in) : 0;
    for (base = 0; tsize - base >= 96; base += 64) {
        /* the next chunk's codes found before this chunk's are undone */
        uint64_t ev = ev_next;
        if (tsize - base >= 160) ev_next = ap_wt_codes(in + base + 64);
        while (ev) {
            unsigned q = ap_ctz64(ev), pre, f;
            size_t p = base + q, run = p - r;
            const unsigned char *row;
            size_t gap = (size_t)(in + r - out); /* out never passes in + r */
            ev &= ev - 1;
            if (p < r) continue; /* the byte after a prefix */
            pre = AP_WT_PRE(in + p);
            row = AP_WT_ROW(tab, in + p);
            f = row[15];
            if (gap >= 32 && f < 16) { /* a word of up to 15 letters, room */
                ap_copy16(out, in + r);
                ap_copy16(out + 16, in + r + 16);
                if (run > 32) {
                    size_t k;
                    for (k = 32; k < run; k += 16) ap_copy16(out + k, in + r + k);
                }
                out += run;
                ap_copy16(out, row);
                out += f;
            } else {
                unsigned len = AP_WR_LEN(f);
                if (in + r != out) memmove(out, in + r, run);
                out += run; /* gap: the code's place - out, as before the run */
                /* a word ends slack bytes before its code's end or sooner
                 * (ap_words_expand's rule); before an escape (length 1,
                 * which makes room), the words on the fast path did */
                AP_RETURN_IF((f & AP_WR_BAD) || len + slack > gap + 1 + pre ||
                                 (len == 1 && gap < slack),
                             ARTPACK_E_WORDS);
                memcpy(out, (f & AP_WR_CHECK) && len > 1 ? area + ap_le24(row) : row, len);
                out += len;
            }
            r = p + 1 + pre;
        }
    }
    /* The rest (under 96 bytes after the last fixed chunk, and the plain
     * bytes or the byte after a prefix before them): chunks that start at
     * r, read in place while 32 more follow, else from a copy with zeros
     * after: at + i is chunk byte i's place in buf. */
    while (r < tsize) {
        const unsigned char *c;
        unsigned char *at = in + r;
        uint64_t ev;
        unsigned n, prev = 0;
        if (tsize - r >= 96) {
            c = at;
            n = 64;
        } else {
            n = (unsigned)(tsize - r);
            memset(last, 0, sizeof last);
            memcpy(last, at, n);
            c = last;
            if (n > 64) n = 64;
        }
        ev = ap_wt_codes(c); /* a chunk here starts on a code or a plain byte */
        while (ev) {
            unsigned p = ap_ctz64(ev), run = p - prev, pre, f;
            const unsigned char *row;
            size_t gap = (size_t)(at + prev - out); /* out never passes at + prev */
            ev &= ev - 1;
            if (p < prev) continue; /* the byte after a prefix */
            pre = AP_WT_PRE(c + p);
            row = AP_WT_ROW(tab, c + p);
            f = row[15];
            if (gap >= 32 && f < 16) { /* a word of up to 15 letters, room */
                ap_copy16(out, c + prev);
                ap_copy16(out + 16, c + prev + 16);
                if (run > 32) {
                    unsigned k;
                    for (k = 32; k < run; k += 16) ap_copy16(out + k, c + prev + k);
                }
                out += run;
                ap_copy16(out, row);
                out += f;
            } else {
                unsigned len = AP_WR_LEN(f);
                if (at + prev != out) memmove(out, c + prev, run);
                out += run;
                AP_RETURN_IF((f & AP_WR_BAD) || p + pre >= tsize - r || /* cut short */
                                 len + slack > gap + 1 + pre || (len == 1 && gap < slack),
                             ARTPACK_E_WORDS);
                memcpy(out, (f & AP_WR_CHECK) && len > 1 ? area + ap_le24(row) : row, len);
                out += len;
            }
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
    AP_RETURN_IF(out != buf + size, ARTPACK_E_WORDS);
    return ARTPACK_OK;
}
#endif
