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
