/* cm.c - the context-mixing coder (cm.h; docs/FORMAT.md "CM payload").
 *
 * Per bit: each context's slot holds a bit history (a byte: counts of zeros
 * and ones, 0..15 each); a state map per context turns the history into a
 * probability; the stretched probabilities and the match model's prediction
 * are mixed by two gated linear mixers in the logistic domain; two adaptive
 * probability maps refine the mix; a binary arithmetic coder codes the bit
 * with the result. Integer arithmetic only, and right shifts of negative
 * values written out (AP_ASR), so the bytes do not depend on the compiler. */
#include <string.h>

#include "cm.h"

/* ---- sizes ---- */
#define NH 4                    /* hashed contexts: orders 2, 3, 4, the word */
#define NCTX (NH + 1)           /* and the order-1 table */
#define NIN (NCTX + 3)          /* mixer inputs: contexts, match (2), bias */
#define MIXA_SETS 256           /* mixer A: the partial byte */
#define MIXB_SETS 64            /* mixer B: match length bucket x bit position */
#define APM_N 33
#define APM2_CTX (64 * 256)     /* the class of the previous byte x partial byte */
#define SM_LIMIT 1023
#define MATCH_MIN 6
#define MATCH_BITS 17           /* match hash: 2^18 positions */
#define LINE 64

/* a hint to fetch p's line now (no effect on the bytes) */
#if defined(__GNUC__) || defined(__clang__)
#define AP_PREFETCH(p) __builtin_prefetch(p)
#else
#define AP_PREFETCH(p) ((void)(p))
#endif

/* the per-bit steps, inlined into the coding loops (a call per bit costs
 * its register saves) */
#if defined(__GNUC__)
#define AP_CM_HOT static inline __attribute__((always_inline))
#else
#define AP_CM_HOT static inline
#endif

/* floor(x / 2^n) for signed x, whatever the compiler does with >> */
#define AP_ASR(x, n) ((x) >= 0 ? (x) >> (n) : ~(~(x) >> (n)))

/* The state restored whole after each article. */
typedef struct ap_cm_small {
    uint32_t sm[NCTX][256];          /* state maps: p (22 bits) << 10 | count */
    uint32_t msm[64];                /* match: p(expected bit) by length bucket */
    int32_t mixa[MIXA_SETS][NIN];    /* 16.16 weights */
    int32_t mixb[MIXB_SETS][NIN];
    uint16_t apm1[256][APM_N];       /* order 0 */
    uint8_t o1[256][256];            /* order 1: the histories by c1, c0 */
} ap_cm_small;

struct ap_cm {
    int level;
    uint32_t model_id;
    uint32_t tlines;          /* lines per hashed table */
    size_t tbytes;            /* bytes per hashed table */
    /* the large tables, in big[0..big_size): NH hashed tables, the order-1
     * table (256 x 256 histories), apm2, the match hash */
    unsigned char *big;
    size_t big_size;
    size_t apm2_off, mh_off;
    ap_cm_small *small, *small0;
    unsigned char *dirty;     /* a bit per line of big */
    uint32_t *dlist;          /* the lines touched, each once */
    unsigned char *undo;      /* their content as primed, in that order */
    size_t ndirty;
    int track;                /* 0 while priming */
    unsigned char *prime;     /* the priming text (AP_CM_PRIME_MAX) */
    size_t nprime;
    /* constants */
    int16_t str[4096];        /* stretch: ln(p / (1 - p)) scaled */
    int16_t sq[4096];         /* squash of d - 2048 */
    uint8_t nex[256][2];      /* next bit history */
    uint32_t rec[SM_LIMIT + 1]; /* 2^16 / (n + 1.5) */
    uint8_t cls[256];         /* byte classes (apm2): letters, digits, ... */

    /* ---- the coding of one article ---- */
    const unsigned char *cur; /* the article (its bytes so far) */
    size_t pos;               /* bytes of it coded */
    uint32_t c0;              /* 1, then the bits of the byte so far */
    int bitpos;
    uint32_t c4, c8;          /* the last 8 bytes */
    uint32_t word;            /* hash of the current word (0 between words) */
    uint32_t ctx[NH];         /* context hashes of the byte */
    uint32_t nh[2][NH];       /* after 3 bits: the second nibble's, by bit 4 */
    uint32_t nctx[2][NH], nmh[2]; /* after 7 bits: the next byte's, by bit 8 */
    unsigned char *bucket[NH]; /* 16-byte buckets of the nibble */
    unsigned char *o1row;     /* the order-1 table's row of c1 */
    uint32_t nib;             /* 1, then the bits of the nibble so far */
    uint32_t mptr, mlen;      /* match: virtual position predicted, length */
    int mbit;                 /* expected bit, or -1 */
    int16_t x[NIN];           /* mixer inputs */
    uint8_t *sp[NCTX];        /* history slot of each context */
    int mixb_i, lb;           /* mixer B's weight set, the match length bucket */
    int pa, pb, pmix;         /* mixers' outputs (12 bits) */
    int apm_i1, apm_i2;       /* apm entries to update */
    int p;                    /* final p(1), 12 bits */
};

static const int ap_squash_t[33] = {1,    2,    4,    6,    10,   17,   27,   45,   74,
                                    120,  194,  311,  488,  747,  1102, 1546, 2048, 2550,
                                    2994, 3349, 3608, 3785, 3902, 3976, 4022, 4051, 4069,
                                    4079, 4086, 4090, 4092, 4094, 4095};

/* 4096 / (1 + e^(-d/256)), d in stretch units */
static int ap_squash(int d) {
    int w, i;
    if (d > 2047) return 4095;
    if (d < -2047) return 1;
    d += 2048;
    i = d >> 7;
    w = d & 127;
    d = (ap_squash_t[i] * (128 - w) + ap_squash_t[i + 1] * w + 64) >> 7;
    return d < 1 ? 1 : d > 4095 ? 4095 : d;
}

/* ---- the model file ---- */

int ap_cm_is_model(const void *src, size_t src_size) {
    return src != NULL && src_size >= 4 &&
           ap_read_le32((const unsigned char *)src) == AP_CM_MODEL_MAGIC;
}

artpack_error ap_cm_model_parse(ap_cm_model *dst, const void *src, size_t src_size) {
    const unsigned char *p = (const unsigned char *)src;
    AP_RETURN_IF(dst == NULL || (src == NULL && src_size != 0), ARTPACK_E_NULL_ARG);
    memset(dst, 0, sizeof *dst);
    AP_RETURN_IF(src_size < AP_CM_MODEL_HEADER || !ap_cm_is_model(src, src_size), ARTPACK_E_MODEL);
    AP_RETURN_IF(p[8] != AP_CM_MODEL_VERSION || p[10] != 0 || p[11] != 0, ARTPACK_E_MODEL);
    AP_RETURN_IF(p[9] < AP_CM_LEVEL_MIN || p[9] > AP_CM_LEVEL_MAX, ARTPACK_E_MODEL);
    dst->id = ap_read_le32(p + 4);
    AP_RETURN_IF(dst->id == 0, ARTPACK_E_MODEL);
    dst->level = p[9];
    dst->text_size = ap_read_le32(p + 12);
    AP_RETURN_IF(dst->text_size > AP_CM_PRIME_MAX, ARTPACK_E_MODEL);
    dst->text_hash = ap_read_le32(p + 16);
    dst->blob = p + AP_CM_MODEL_HEADER;
    dst->blob_size = src_size - AP_CM_MODEL_HEADER;
    return ARTPACK_OK;
}

/* ---- layout ---- */

/* lines of each hashed table: 23,040 (1,440 KB) at level 5, doubling per
 * level */
static size_t ap_cm_tlines(int level) {
    return level >= 5 ? (size_t)23040 << (level - 5) : (size_t)23040 >> (5 - level);
}
static size_t ap_cm_tbytes(int level) { return ap_cm_tlines(level) * LINE; }

static size_t ap_cm_big_size(int level) {
    return NH * ap_cm_tbytes(level) + (size_t)APM2_CTX * APM_N * 2 +
           ((size_t)4 << MATCH_BITS);
}

#define AP_CM_HEAD AP_ALIGN16(sizeof(ap_cm) + LINE)
#define AP_CM_SMALL AP_ALIGN16(sizeof(ap_cm_small))

size_t ap_cm_workspace_size(int level) {
    size_t big, lines;
    if (level == 0) level = AP_CM_LEVEL_DEFAULT;
    if (level < AP_CM_LEVEL_MIN || level > AP_CM_LEVEL_MAX) return 0;
    big = ap_cm_big_size(level);
    lines = big / LINE;
    return AP_CM_HEAD + LINE + 2 * AP_CM_SMALL + 2 * big + AP_ALIGN16(lines / 8 + 1) +
           lines * 4 + AP_CM_PRIME_MAX;
}

static void ap_cm_fresh(ap_cm *m) {
    ap_cm_small *s = m->small;
    int i, j;
    memset(m->big, 0, m->big_size);
    memset(s->o1, 0, sizeof s->o1);
    for (i = 0; i < NCTX; i++)
        for (j = 0; j < 256; j++) {
            uint32_t n0 = (uint32_t)j & 15, n1 = (uint32_t)j >> 4;
            s->sm[i][j] = (((2 * n1 + 1) << 22) / (2 * (n0 + n1) + 2)) << 10;
        }
    for (j = 0; j < 64; j++) s->msm[j] = (uint32_t)3 << 30; /* p(expected) = 3/4 */
    for (j = 0; j < MIXA_SETS; j++)
        for (i = 0; i < NIN; i++) s->mixa[j][i] = i == NIN - 1 ? 0 : 20000;
    for (j = 0; j < MIXB_SETS; j++)
        for (i = 0; i < NIN; i++) s->mixb[j][i] = i == NIN - 1 ? 0 : 20000;
    for (j = 0; j < APM_N; j++) {
        uint16_t v = (uint16_t)(ap_squash((j - 16) * 128) * 16);
        for (i = 0; i < 256; i++) s->apm1[i][j] = v;
    }
    {
        uint16_t *a = (uint16_t *)(void *)(m->big + m->apm2_off);
        for (i = 0; i < APM2_CTX; i++)
            for (j = 0; j < APM_N; j++) a[(size_t)i * APM_N + (size_t)j] = s->apm1[0][j];
    }
}

/* the primed state is the current one */
static void ap_cm_snapshot(ap_cm *m) {
    memcpy(m->small0, m->small, sizeof *m->small);
    memset(m->dirty, 0, AP_ALIGN16(m->big_size / LINE / 8 + 1));
    m->ndirty = 0;
}

/* back to the primed state */
static void ap_cm_restore(ap_cm *m) {
    size_t i;
    for (i = 0; i < m->ndirty; i++) {
        memcpy(m->big + (size_t)m->dlist[i] * LINE, m->undo + i * LINE, LINE);
        m->dirty[m->dlist[i] >> 3] = 0;
    }
    m->ndirty = 0;
    memcpy(m->small, m->small0, sizeof *m->small);
}

/* Every write to the large tables is preceded by a touch of its line: the
 * first touch in an article logs the line as primed (the log holds every
 * line, so it cannot fill). */
static inline void ap_cm_touch(ap_cm *m, const void *p) {
    size_t line = (size_t)((const unsigned char *)p - m->big) / LINE;
    unsigned bit = 1u << (line & 7);
    if (m->track && !(m->dirty[line >> 3] & bit)) {
        m->dirty[line >> 3] |= (unsigned char)bit;
        m->dlist[m->ndirty] = (uint32_t)line;
        memcpy(m->undo + m->ndirty * LINE, m->big + line * LINE, LINE);
        m->ndirty++;
    }
}

artpack_error ap_cm_init(ap_cm **out, void *ws, size_t ws_size, int level) {
    unsigned char *w = (unsigned char *)ws;
    size_t big, lines, off;
    ap_cm *m;
    int i;
    AP_RETURN_IF(out == NULL || ws == NULL, ARTPACK_E_NULL_ARG);
    *out = NULL;
    if (level == 0) level = AP_CM_LEVEL_DEFAULT;
    AP_RETURN_IF(level < AP_CM_LEVEL_MIN || level > AP_CM_LEVEL_MAX, ARTPACK_E_PARAM);
    AP_RETURN_IF(ws_size < ap_cm_workspace_size(level), ARTPACK_E_WORKSPACE_TOO_SMALL);
    AP_RETURN_IF(((size_t)w & 7u) != 0, ARTPACK_E_PARAM);
    m = (ap_cm *)(void *)w;
    memset(m, 0, sizeof *m);
    m->level = level;
    m->tbytes = ap_cm_tbytes(level);
    m->tlines = (uint32_t)ap_cm_tlines(level);
    big = ap_cm_big_size(level);
    lines = big / LINE;
    off = AP_CM_HEAD;
    off += (LINE - ((size_t)(w + off) & (LINE - 1))) & (LINE - 1); /* lines aligned */
    m->big = w + off;
    off += big;
    m->undo = w + off;
    off += big;
    m->small = (ap_cm_small *)(void *)(w + off);
    off += AP_CM_SMALL;
    m->small0 = (ap_cm_small *)(void *)(w + off);
    off += AP_CM_SMALL;
    m->dirty = w + off;
    off += AP_ALIGN16(lines / 8 + 1);
    m->dlist = (uint32_t *)(void *)(w + off);
    off += lines * 4;
    m->prime = w + off;
    m->big_size = big;
    m->apm2_off = NH * m->tbytes;
    m->mh_off = m->apm2_off + (size_t)APM2_CTX * APM_N * 2;

    /* stretch: the inverse of squash */
    {
        int x, pi = 0;
        for (x = -2047; x <= 2047; x++) {
            int v = ap_squash(x), j;
            for (j = pi; j <= v; j++) m->str[j] = (int16_t)x;
            pi = v + 1;
        }
        for (x = pi; x < 4096; x++) m->str[x] = 2047;
        for (x = 0; x < 4096; x++) m->sq[x] = (int16_t)ap_squash(x - 2048);
    }
    /* bit histories: counts n0, n1 (0..15); a bit raises its count and
     * halves a large opposite count (recent bits weigh more) */
    for (i = 0; i < 256; i++) {
        int n0 = i & 15, n1 = i >> 4, y;
        for (y = 0; y < 2; y++) {
            int a = n0, b = n1;
            if (y) {
                if (b < 15) b++;
                if (a > 2) a = a / 2 + 1;
            } else {
                if (a < 15) a++;
                if (b > 2) b = b / 2 + 1;
            }
            m->nex[i][y] = (uint8_t)(a | b << 4);
        }
    }
    for (i = 0; i <= SM_LIMIT; i++) m->rec[i] = (uint32_t)(131072 / (2 * i + 3));
    /* 64 classes: a-z, A-Z, then digits, space, '.', ',', the separators
     * 0xFF and 0xFE, other non-ASCII, control bytes, other punctuation (4) */
    for (i = 0; i < 256; i++) {
        int c = i;
        m->cls[i] = (uint8_t)(c >= 'a' && c <= 'z'   ? c - 'a'
                              : c >= 'A' && c <= 'Z' ? 26 + c - 'A'
                              : c >= '0' && c <= '9' ? 52
                              : c == ' '             ? 53
                              : c == '.'             ? 54
                              : c == ','             ? 55
                              : c == 0xFF            ? 56
                              : c == 0xFE            ? 57
                              : c >= 0x80            ? 58
                              : c < 32               ? 59
                                                     : 60 + (c & 3));
    }
    ap_cm_fresh(m);
    ap_cm_snapshot(m);
    *out = m;
    return ARTPACK_OK;
}

int ap_cm_level(const ap_cm *m) { return m->level; }
uint32_t ap_cm_model_id(const ap_cm *m) { return m->model_id; }

/* ---- the model ---- */

static inline uint32_t ap_h2(uint32_t a, uint32_t b) {
    uint32_t h = a * 0x2F0B4CCDu ^ b * 0x6F4F2A35u;
    h ^= h >> 15;
    h *= 0x9E3779B1u;
    return h ^ (h >> 13);
}

/* the byte at virtual position v: the priming text, then the article */
static inline unsigned ap_cm_hist(const ap_cm *m, size_t v) {
    return v < m->nprime ? m->prime[v] : m->cur[v - m->nprime];
}


/* the line of context hash h in hashed table t */
static inline unsigned char *ap_cm_line(const ap_cm *m, int t, uint32_t h) {
    return m->big + (size_t)t * m->tbytes + (size_t)(((uint64_t)(h >> 8) * m->tlines) >> 24) * LINE;
}

/* the bucket of context hash h in its line: one of the four whose check
 * byte matches, else the least used one, emptied */
static inline unsigned char *ap_cm_bucket(ap_cm *m, unsigned char *line, uint32_t h) {
    unsigned char chk = (unsigned char)h, *b;
    int i, best = 0, bp = 99;
    for (i = 0; i < 4; i++) {
        b = line + 16 * i;
        if (b[0] == chk) {
            ap_cm_touch(m, b);
            return b;
        }
        {
            int pr = (b[1] & 15) + (b[1] >> 4);
            if (pr < bp) bp = pr, best = i;
        }
    }
    b = line + 16 * best;
    ap_cm_touch(m, b);
    memset(b, 0, 16);
    b[0] = chk;
    return b;
}

/* the buckets of a nibble: every line asked for first, then searched */
static inline void ap_cm_nibble(ap_cm *m) {
    unsigned char *line[NH];
    uint32_t h[NH];
    int i;
    for (i = 0; i < NH; i++) {
        h[i] = m->bitpos == 0 ? m->ctx[i] : m->nh[m->c0 & 1][i];
        line[i] = ap_cm_line(m, i, h[i]);
        AP_PREFETCH(line[i]);
    }
    for (i = 0; i < NH; i++) m->bucket[i] = ap_cm_bucket(m, line[i], h[i]);
    m->nib = 1;
}

/* the words after byte c: a word is a run of letters (ASCII, case-folded)
 * and bytes 0x80..0xFD */
static inline uint32_t ap_cm_word(unsigned c, uint32_t word) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0x80 && c < 0xFE))
        return (word + (c >= 'A' && c <= 'Z' ? c + 32 : c) + 1) * 0x01000193u;
    return 0;
}

/* the context hashes of the hashed tables: orders 2, 3, 4, and the word
 * (an order-6 and a word-pair table paid nothing on bbc) */
static inline void ap_cm_hashes(uint32_t *ctx, uint32_t c4, uint32_t word) {
    ctx[0] = ap_h2(c4 & 0xFFFFu, 2);
    ctx[1] = ap_h2(c4 & 0xFFFFFFu, 3);
    ctx[2] = ap_h2(c4, 4);
    ctx[3] = ap_h2(word + (c4 & 255) * 0x3D4D51CBu, 7);
}

/* the match model's slot for the last 6 bytes */
static inline uint32_t ap_cm_match_hash(uint32_t c4, uint32_t c8) {
    return ap_h2(c4, (c8 & 0xFFFFu) | 0x5A0000u) >> (32 - MATCH_BITS);
}

/* Computes the hashes the next nibble may need while this one's last bit
 * is coded, and asks for their lines: after 3 bits of the first nibble, the
 * second nibble's for both values of the 4th bit (nh); after 7 bits, the
 * next byte's for both values of the 8th (nctx, nmh). The prefetches are
 * only a hint: the bytes do not depend on them. */
static inline void ap_cm_prefetch(ap_cm *m) {
    int i, y;
    if (m->bitpos == 3) {
        for (y = 0; y < 2; y++)
            for (i = 0; i < NH; i++) {
                m->nh[y][i] = ap_h2(m->ctx[i], m->c0 << 1 | (uint32_t)y);
                AP_PREFETCH(ap_cm_line(m, i, m->nh[y][i]));
            }
    } else if (m->bitpos == 7) {
        for (y = 0; y < 2; y++) {
            uint32_t c = (m->c0 << 1 | (uint32_t)y) & 255;
            ap_cm_hashes(m->nctx[y], m->c4 << 8 | c, ap_cm_word(c, m->word));
            for (i = 0; i < NH; i++) AP_PREFETCH(ap_cm_line(m, i, m->nctx[y][i]));
            m->nmh[y] = ap_cm_match_hash(m->c4 << 8 | c, m->c8 << 8 | m->c4 >> 24);
            AP_PREFETCH((const uint32_t *)(const void *)(m->big + m->mh_off) + m->nmh[y]);
        }
    }
}

/* the byte's contexts: from the hashes computed after its 7th bit (next),
 * else (the article's first byte) computed here */
static void ap_cm_byte_contexts(ap_cm *m, int next) {
    uint32_t c1 = m->c4 & 255;
    if (next) memcpy(m->ctx, m->nctx[c1 & 1], sizeof m->ctx);
    else ap_cm_hashes(m->ctx, m->c4, m->word);
    m->o1row = m->small->o1[c1];
}

/* after a whole byte c at virtual position v (the article's pos - 1) */
static void ap_cm_byte_done(ap_cm *m, unsigned c) {
    size_t v = m->nprime + m->pos; /* the next byte's virtual position */
    m->c8 = m->c8 << 8 | m->c4 >> 24;
    m->c4 = m->c4 << 8 | c;
    m->word = ap_cm_word(c, m->word);
    /* match model */
    if (m->mlen) {
        if (ap_cm_hist(m, m->mptr) == c) {
            m->mptr++;
            if (m->mlen < 65535) m->mlen++;
        } else {
            m->mlen = 0;
        }
    }
    if (v >= MATCH_MIN) {
        uint32_t *mh = (uint32_t *)(void *)(m->big + m->mh_off);
        uint32_t hi = m->nmh[c & 1];
        if (m->mlen == 0) {
            uint32_t cand = mh[hi];
            if (cand > 0 && cand < v) {
                size_t l = 0;
                while (l < 32 && l < cand && ap_cm_hist(m, cand - 1 - l) == ap_cm_hist(m, v - 1 - l))
                    l++;
                if (l >= MATCH_MIN) {
                    m->mlen = (uint32_t)l;
                    m->mptr = cand;
                }
            }
        }
        ap_cm_touch(m, mh + hi);
        mh[hi] = (uint32_t)v;
    }
    m->c0 = 1;
    m->bitpos = 0;
    ap_cm_byte_contexts(m, 1);
    ap_cm_nibble(m);
}

static void ap_cm_begin(ap_cm *m, const unsigned char *cur) {
    m->cur = cur;
    m->pos = 0;
    m->c0 = 1;
    m->bitpos = 0;
    m->c4 = m->c8 = 0;
    m->word = 0;
    m->mlen = 0;
    m->mptr = 0;
    ap_cm_byte_contexts(m, 0);
    ap_cm_nibble(m);
}

static inline int ap_cm_lenbucket(uint32_t len) {
    if (len == 0) return 0;
    if (len < 16) return (int)len;
    if (len < 32) return 16 + (int)((len - 16) >> 1);
    if (len < 64) return 24 + (int)((len - 32) >> 2);
    return len < 512 ? 32 + (int)((len - 64) >> 4) : 60;
}

/* p(next bit = 1), 12 bits, into m->p. The inputs are gathered in locals
 * (a store through an int pointer could alias the coder's own fields, so
 * the compiler would reload them) and kept in m->x for the update. */
AP_CM_HOT void ap_cm_predict(ap_cm *m) {
    ap_cm_small *s = m->small;
    const int16_t *str = m->str;
    const uint32_t nib = m->nib, c0 = m->c0;
    const int bitpos = m->bitpos;
    int i, lb = 0, mbit = -1, x[NIN], dota, dotb;
    int64_t da = 0, db = 0;
    const int32_t *wa, *wb;
    for (i = 0; i < NH; i++) {
        uint8_t *sp = m->bucket[i] + nib;
        m->sp[i] = sp;
        x[i] = str[s->sm[i][*sp] >> 20];
    }
    m->sp[NH] = m->o1row + c0;
    x[NH] = str[s->sm[NH][m->o1row[c0]] >> 20];
    /* match */
    x[NCTX] = x[NCTX + 1] = 0;
    if (m->mlen) {
        unsigned pb = ap_cm_hist(m, m->mptr) | 256u;
        if ((pb >> (8 - bitpos)) == c0) {
            int st;
            lb = ap_cm_lenbucket(m->mlen);
            mbit = (int)(pb >> (7 - bitpos)) & 1;
            st = str[s->msm[lb] >> 20];
            x[NCTX] = mbit ? st : -st;
            st = lb * 32;
            x[NCTX + 1] = mbit ? st : -st;
        } else {
            m->mlen = 0;
        }
    }
    x[NIN - 1] = 256;
    m->mbit = mbit;
    m->lb = lb;
    m->mixb_i = (lb < 16 ? lb >> 2 : lb < 32 ? 4 + ((lb - 16) >> 3) : 6 + (lb >= 48)) << 3 | bitpos;
    wa = s->mixa[c0];
    wb = s->mixb[m->mixb_i];
    for (i = 0; i < NIN; i++) {
        da += (int64_t)wa[i] * x[i];
        db += (int64_t)wb[i] * x[i];
    }
    for (i = 0; i < NIN; i++) m->x[i] = (int16_t)x[i];
    da = AP_ASR(da, 16);
    db = AP_ASR(db, 16);
    dota = (int)(da > 2047 ? 2047 : da < -2047 ? -2047 : da);
    dotb = (int)(db > 2047 ? 2047 : db < -2047 ? -2047 : db);
    m->pa = m->sq[dota + 2048];
    m->pb = m->sq[dotb + 2048];
    m->pmix = m->sq[AP_ASR(dota + dotb, 1) + 2048];
    /* adaptive probability maps on order 0 and order 1 */
    {
        int st = str[m->pmix] + 2048, lo = st >> 7, w = st & 127, p1, p2, p;
        const uint16_t *a1 = s->apm1[c0];
        size_t i2 = (size_t)((uint32_t)m->cls[m->c4 & 255] << 8 | c0) * APM_N;
        const uint16_t *a2 = (const uint16_t *)(const void *)(m->big + m->apm2_off) + i2;
        p1 = (a1[lo] * (128 - w) + a1[lo + 1] * w) >> 11;
        p2 = (a2[lo] * (128 - w) + a2[lo + 1] * w) >> 11;
        m->apm_i1 = lo + (w >> 6);
        m->apm_i2 = (int)i2 + lo + (w >> 6);
        p = (m->pmix + p1 + 2 * p2 + 2) >> 2;
        m->p = p < 1 ? 1 : p > 4095 ? 4095 : p;
    }
}

/* A state map entry moves toward the bit by 1/(n + 1.5). p stays in
 * [0, 2^22) without clamping: rec[n] < 2^16, so a step is less than the
 * distance to the bit (and rounds toward p's side). */
static inline void ap_sm_update(const ap_cm *m, uint32_t *t, int y, uint32_t limit) {
    uint32_t v = *t, n = v & 1023;
    int32_t p = (int32_t)(v >> 10);
    int64_t d = (int64_t)((y << 22) - p) * m->rec[n];
    p += (int32_t)AP_ASR(d, 16);
    *t = (uint32_t)p << 10 | (n < limit ? n + 1 : limit);
}

/* a mixer's weights toward the bit; err (the 12-bit error x 6, |err| <
 * 2^15) and the inputs (|x| < 2^11) are 16-bit values, so compilers turn
 * the loop into 16-bit vector multiplies */
static inline void ap_mix_train(int32_t *w, const int16_t *x, int err) {
    const int16_t e = (int16_t)err;
    int i;
    for (i = 0; i < NIN; i++) {
        int32_t v = w[i] + AP_ASR(x[i] * e, 10);
        w[i] = v > (1 << 24) ? (1 << 24) : v < -(1 << 24) ? -(1 << 24) : v;
    }
}

AP_CM_HOT void ap_cm_update(ap_cm *m, int y) {
    ap_cm_small *s = m->small;
    int i;
    for (i = 0; i < NCTX; i++) {
        uint8_t *sp = m->sp[i];
        unsigned h = *sp;
        ap_sm_update(m, &s->sm[i][h], y, SM_LIMIT);
        *sp = m->nex[h][y];
    }
    if (m->mbit >= 0) ap_sm_update(m, &s->msm[m->lb], m->mbit == y, 255);
    ap_mix_train(s->mixa[m->c0], m->x, ((y << 12) - m->pa) * 6);
    ap_mix_train(s->mixb[m->mixb_i], m->x, ((y << 12) - m->pb) * 6);
    {
        uint16_t *a1 = &s->apm1[m->c0][m->apm_i1];
        uint16_t *a2 = (uint16_t *)(void *)(m->big + m->apm2_off) + m->apm_i2;
        int t = y ? 65535 : 0;
        *a1 = (uint16_t)(*a1 + AP_ASR(t - *a1, 6));
        ap_cm_touch(m, a2);
        *a2 = (uint16_t)(*a2 + AP_ASR(t - *a2, 6));
    }
    m->c0 = m->c0 << 1 | (uint32_t)y;
    m->nib = m->nib << 1 | (uint32_t)y;
    m->bitpos++;
    if (m->bitpos == 4) ap_cm_nibble(m);
    else ap_cm_prefetch(m);
    if (m->bitpos < 8) /* the next bit's apm2 entries */
        AP_PREFETCH((const uint16_t *)(const void *)(m->big + m->apm2_off) +
                    (size_t)((uint32_t)m->cls[m->c4 & 255] << 8 | m->c0) * APM_N + 16);
}

/* ---- the arithmetic coder: 32-bit range, 12-bit probabilities; a byte out
 * whenever the range's ends share their top byte ---- */

typedef struct ap_ac {
    uint32_t x1, x2, x;
    unsigned char *out;
    size_t cap, n;
    const unsigned char *in;
    size_t in_size, in_pos;
} ap_ac;

/* the next input byte (0 past the end); in_pos counts every read */
static inline unsigned ap_ac_in(ap_ac *a) {
    unsigned c = a->in_pos < a->in_size ? a->in[a->in_pos] : 0u;
    a->in_pos++;
    return c;
}

static inline void ap_ac_encode(ap_ac *a, int y, int p) {
    uint32_t xmid = a->x1 + ((a->x2 - a->x1) >> 12) * (uint32_t)p;
    if (y) a->x2 = xmid;
    else a->x1 = xmid + 1;
    while (((a->x1 ^ a->x2) & 0xFF000000u) == 0) {
        if (a->n < a->cap) a->out[a->n] = (unsigned char)(a->x2 >> 24);
        a->n++;
        a->x1 <<= 8;
        a->x2 = a->x2 << 8 | 255;
    }
}

static inline int ap_ac_decode(ap_ac *a, int p) {
    uint32_t xmid = a->x1 + ((a->x2 - a->x1) >> 12) * (uint32_t)p;
    int y = a->x <= xmid;
    if (y) a->x2 = xmid;
    else a->x1 = xmid + 1;
    while (((a->x1 ^ a->x2) & 0xFF000000u) == 0) {
        a->x1 <<= 8;
        a->x2 = a->x2 << 8 | 255;
        a->x = a->x << 8 | ap_ac_in(a);
    }
    return y;
}

/* the last byte: (x1 >> 24) + 1 followed by zeros lies in [x1, x2] */
static void ap_ac_flush(ap_ac *a) {
    if (a->n < a->cap) a->out[a->n] = (unsigned char)((a->x1 >> 24) + 1);
    a->n++;
}

static void ap_cm_encode_bytes(ap_cm *m, ap_ac *a, const unsigned char *src, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned c = src[i];
        int b;
        for (b = 7; b >= 0; b--) {
            int y = (int)(c >> b) & 1;
            ap_cm_predict(m);
            ap_ac_encode(a, y, m->p);
            ap_cm_update(m, y);
        }
        m->pos++;
        ap_cm_byte_done(m, c);
    }
}

static void ap_cm_decode_bytes(ap_cm *m, ap_ac *a, unsigned char *dst, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned c;
        int b;
        for (b = 0; b < 8; b++) {
            int y;
            ap_cm_predict(m);
            y = ap_ac_decode(a, m->p);
            ap_cm_update(m, y);
        }
        c = m->c0 & 255;
        dst[i] = (unsigned char)c;
        m->pos++;
        ap_cm_byte_done(m, c);
    }
}

/* an encoder writing to dst[0..cap) (bytes past cap counted, not written) */
static void ap_ac_start_encode(ap_ac *a, unsigned char *dst, size_t cap) {
    memset(a, 0, sizeof *a);
    a->x2 = 0xFFFFFFFFu;
    a->out = dst;
    a->cap = cap;
}

static void ap_ac_start_decode(ap_ac *a, const unsigned char *src, size_t src_size) {
    int i;
    memset(a, 0, sizeof *a);
    a->x2 = 0xFFFFFFFFu;
    a->in = src;
    a->in_size = src_size;
    for (i = 0; i < 4; i++) a->x = a->x << 8 | ap_ac_in(a);
}

artpack_error ap_cm_decode(ap_cm *m, unsigned char *dst, size_t size, const unsigned char *src,
                           size_t src_size) {
    ap_ac a;
    AP_RETURN_IF(m == NULL || (dst == NULL && size) || (src == NULL && src_size),
                 ARTPACK_E_NULL_ARG);
    ap_ac_start_decode(&a, src, src_size);
    m->track = 1;
    ap_cm_begin(m, dst);
    ap_cm_decode_bytes(m, &a, dst, size);
    ap_cm_restore(m);
    /* the decoder reads 4 bytes, then one per byte the encoder wrote before
     * its last: exactly 3 past the end of a whole payload */
    AP_RETURN_IF(a.in_pos != src_size + 3, ARTPACK_E_CORRUPT);
    return ARTPACK_OK;
}

size_t ap_cm_encode(ap_cm *m, unsigned char *dst, size_t cap, const unsigned char *src, size_t n) {
    ap_ac a;
    ap_ac_start_encode(&a, dst, cap);
    m->track = 1;
    ap_cm_begin(m, src);
    ap_cm_encode_bytes(m, &a, src, n);
    ap_ac_flush(&a);
    ap_cm_restore(m);
    return a.n <= cap ? a.n : 0;
}

artpack_error ap_cm_prime(ap_cm *m, const ap_cm_model *model) {
    ap_ac a;
    AP_RETURN_IF(m == NULL || model == NULL, ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(model->level != m->level, ARTPACK_E_PARAM);
    AP_RETURN_IF(model->text_size > AP_CM_PRIME_MAX, ARTPACK_E_MODEL);
    m->model_id = 0;
    m->nprime = 0;
    m->track = 0;
    ap_cm_fresh(m);
    ap_ac_start_decode(&a, model->blob, model->blob_size);
    ap_cm_begin(m, m->prime);
    ap_cm_decode_bytes(m, &a, m->prime, model->text_size);
    if (a.in_pos != model->blob_size + 3 ||
        ap_xxh32(m->prime, model->text_size) != model->text_hash) {
        ap_cm_fresh(m); /* unprimed again: nothing half done */
        ap_cm_snapshot(m);
        return ARTPACK_E_MODEL;
    }
    m->nprime = model->text_size;
    m->model_id = model->id;
    ap_cm_snapshot(m);
    return ARTPACK_OK;
}

artpack_error ap_cm_train(ap_cm *m, unsigned char *dst, size_t cap, const unsigned char *text,
                          const size_t *ends, size_t k, size_t budget, size_t *fit,
                          size_t *written) {
    ap_ac a;
    size_t i, prev = 0, n = 0, bytes = 0;
    AP_RETURN_IF(m == NULL || dst == NULL || text == NULL || ends == NULL || fit == NULL ||
                     written == NULL,
                 ARTPACK_E_NULL_ARG);
    AP_RETURN_IF(cap < budget, ARTPACK_E_DST_TOO_SMALL);
    /* pass 1: how many records fit */
    m->nprime = 0;
    m->model_id = 0;
    m->track = 0;
    ap_cm_fresh(m);
    ap_ac_start_encode(&a, dst, cap);
    ap_cm_begin(m, text);
    for (i = 0; i < k; i++) {
        AP_RETURN_IF(ends[i] < prev || ends[i] > AP_CM_PRIME_MAX, ARTPACK_E_PARAM);
        ap_cm_encode_bytes(m, &a, text + prev, ends[i] - prev);
        if (a.n + 1 > budget) break;
        prev = ends[i];
        n = i + 1;
        bytes = prev;
    }
    /* pass 2: those records alone */
    ap_cm_fresh(m);
    ap_ac_start_encode(&a, dst, cap);
    ap_cm_begin(m, text);
    ap_cm_encode_bytes(m, &a, text, bytes);
    ap_ac_flush(&a);
    ap_cm_fresh(m);
    ap_cm_snapshot(m);
    AP_RETURN_IF(a.n > cap, ARTPACK_E_DST_TOO_SMALL);
    *fit = n;
    *written = a.n;
    return ARTPACK_OK;
}

/* ---- the owners' side: a decompressor's coder, a compressor's ---- */

artpack_error ap_cm_dec_init(ap_cm **out, void *ws, size_t ws_size, const artpack_dict *model) {
    ap_cm_model md;
    int level = AP_CM_LEVEL_DEFAULT;
    if (model != NULL) {
        AP_TRY(ap_cm_model_parse(&md, model->data, model->size));
        level = md.level;
    } else {
        while (level > AP_CM_LEVEL_MIN && ap_cm_workspace_size(level) > ws_size) level--;
    }
    AP_TRY(ap_cm_init(out, ws, ws_size, level));
    if (model != NULL) {
        artpack_error e = ap_cm_prime(*out, &md);
        if (e != ARTPACK_OK) *out = NULL;
        return e;
    }
    return ARTPACK_OK;
}

artpack_error ap_cm_dec_frame(ap_cm **m, void *ws, size_t ws_size, unsigned char *dst,
                              size_t size, const unsigned char *src, size_t src_size) {
    int level;
    AP_RETURN_IF(*m == NULL, ARTPACK_E_CODEC_UNAVAILABLE);
    AP_RETURN_IF(src_size < 1, ARTPACK_E_CORRUPT);
    level = src[0];
    AP_RETURN_IF(level < AP_CM_LEVEL_MIN || level > AP_CM_LEVEL_MAX, ARTPACK_E_CORRUPT);
    if (level != (*m)->level) {
        /* a primed coder has its model's level; an unprimed one starts
         * again at the frame's when the workspace holds it */
        AP_RETURN_IF((*m)->model_id != 0, ARTPACK_E_MODEL_LEVEL);
        AP_RETURN_IF(ap_cm_workspace_size(level) > ws_size, ARTPACK_E_WORKSPACE_TOO_SMALL);
        AP_TRY(ap_cm_init(m, ws, ws_size, level));
    }
    return ap_cm_decode(*m, dst, size, src + 1, src_size - 1);
}

#ifndef ARTPACK_NO_ALLOC
artpack_error ap_cm_create(const artpack_allocator *mem, int level, const artpack_dict *model,
                           void **ws, ap_cm **out) {
    ap_cm_model md;
    size_t n;
    *ws = NULL;
    *out = NULL;
    if (model != NULL) {
        AP_TRY(ap_cm_model_parse(&md, model->data, model->size));
        AP_RETURN_IF(level != 0 && level != md.level, ARTPACK_E_MODEL_LEVEL);
        level = md.level;
    }
    if (level == 0) level = AP_CM_LEVEL_DEFAULT;
    AP_RETURN_IF(level < AP_CM_LEVEL_MIN || level > AP_CM_LEVEL_MAX, ARTPACK_E_PARAM);
    n = ap_cm_workspace_size(level);
    *ws = mem->alloc(mem->opaque, n + 8);
    AP_RETURN_IF(*ws == NULL, ARTPACK_E_ALLOC);
    AP_TRY(ap_cm_init(out, (unsigned char *)*ws + ((8 - ((size_t)*ws & 7u)) & 7u), n, level));
    if (model != NULL) AP_TRY(ap_cm_prime(*out, &md));
    return ARTPACK_OK;
}
#endif

size_t artpack_cm_workspace_size(int level) {
    size_t n = ap_cm_workspace_size(level);
    return n ? artpack_decompressor_workspace_size(ARTPACK_CODEC_STORED) + n : 0;
}

int artpack_cm_model_level(const artpack_dict *dict) {
    ap_cm_model md;
    if (dict == NULL || ap_cm_model_parse(&md, dict->data, dict->size) != ARTPACK_OK) return 0;
    return md.level;
}
