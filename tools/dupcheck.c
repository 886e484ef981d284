/* dupcheck.c - the duplicate-id check of pack and append (dupcheck.h).
 *
 * Each id read goes to a spool (its text) and an entry {64-bit hash of the
 * id, the article's number, where its text is} to an external sort: runs of
 * AP_RUN_ENTRIES entries sorted in memory and, when there is more than one,
 * written to the spool's temporary file and merged at the end through a
 * heap. Entries of equal hash come out together in the order read; their
 * texts are compared, so two different ids are never taken for one. The
 * repeats found go through a second sort, by article, to be reported in the
 * order they were read.
 *
 * Memory: two spool buffers and one sort buffer (AP_SPOOL_BUF, AP_RUN_ENTRIES
 * entries), plus AP_CUR_ENTRIES entries per run while merging (2 KB per
 * 32,768 articles: 0.06 B per article). Disk: the ids' texts and 32 B per
 * article, in unlinked files in $TMPDIR (/tmp), only past the buffers. */
#define _POSIX_C_SOURCE 200809L
#include "dupcheck.h"
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AP_RUN_ENTRIES ((size_t)1 << 15) /* 1 MB of entries */
#define AP_CUR_ENTRIES 64                /* a run's read buffer while merging */

/* ---- an external sort of entries by (key, article) ---- */

typedef struct ap_dup_ent {
    uint64_t key;     /* the id's hash; in the second sort: the repeat's number */
    uint64_t article; /* the article's number; in the second sort: the first's */
    uint64_t text;    /* where the id's text is in the ids' spool */
    uint32_t len, pad;
} ap_dup_ent;

static int ap_ent_cmp(const void *pa, const void *pb) {
    const ap_dup_ent *a = (const ap_dup_ent *)pa, *b = (const ap_dup_ent *)pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->article < b->article ? -1 : a->article > b->article;
}

typedef struct ap_run_cur {
    uint64_t at, left;            /* the next entry not yet buffered in the spool, how many */
    ap_dup_ent e[AP_CUR_ENTRIES];
    unsigned i, n;
} ap_run_cur;

typedef struct ap_xsort {
    ap_dup_ent *buf;  /* AP_RUN_ENTRIES */
    size_t n;         /* in buf */
    ap_spool runs;    /* the runs written: each AP_RUN_ENTRIES but the last */
    uint64_t nruns, total;
    /* reading */
    size_t next;      /* in buf, when nothing was written */
    ap_run_cur *cur;
    size_t *heap, nheap;
} ap_xsort;

static void ap_xsort_init(ap_xsort *s) {
    memset(s, 0, sizeof *s);
    ap_spool_init(&s->runs, "the duplicate-id check");
}

static void ap_xsort_close(ap_xsort *s) {
    free(s->buf);
    free(s->cur);
    free(s->heap);
    ap_spool_close(&s->runs);
    ap_xsort_init(s);
}

static int ap_xsort_spill(ap_xsort *s) {
    qsort(s->buf, s->n, sizeof *s->buf, ap_ent_cmp);
    if (ap_spool_put(&s->runs, s->buf, s->n * sizeof *s->buf, NULL)) return -1;
    s->nruns++;
    s->n = 0;
    return 0;
}

/* 0, or -1 after reporting. */
static int ap_xsort_add(ap_xsort *s, const ap_dup_ent *e) {
    if (s->buf == NULL &&
        (s->buf = (ap_dup_ent *)ap_malloc(AP_RUN_ENTRIES * sizeof *s->buf)) == NULL) {
        ap_msg("out of memory");
        return -1;
    }
    if (s->n == AP_RUN_ENTRIES && ap_xsort_spill(s)) return -1;
    s->buf[s->n++] = *e;
    s->total++;
    return 0;
}

static int ap_cur_less(const ap_xsort *s, size_t a, size_t b) {
    const ap_run_cur *x = &s->cur[a], *y = &s->cur[b];
    return ap_ent_cmp(&x->e[x->i], &y->e[y->i]) < 0;
}

static void ap_heap_down(ap_xsort *s, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i, t;
        if (l < s->nheap && ap_cur_less(s, s->heap[l], s->heap[m])) m = l;
        if (l + 1 < s->nheap && ap_cur_less(s, s->heap[l + 1], s->heap[m])) m = l + 1;
        if (m == i) return;
        t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

/* Refills run r's buffer: 1, 0 when the run is done, -1 after reporting. */
static int ap_cur_fill(ap_xsort *s, ap_run_cur *c) {
    size_t k = c->left < AP_CUR_ENTRIES ? (size_t)c->left : AP_CUR_ENTRIES;
    if (k == 0) return 0;
    if (ap_spool_get(&s->runs, c->at, c->e, k * sizeof *c->e)) return -1;
    c->at += k * sizeof *c->e;
    c->left -= k;
    c->i = 0;
    c->n = (unsigned)k;
    return 1;
}

/* Done adding: sorts what is in memory and, when runs were written, sets up
 * their merge. 0, or -1 after reporting. */
static int ap_xsort_finish(ap_xsort *s) {
    size_t r, i;
    if (s->nruns == 0) {
        if (s->n) qsort(s->buf, s->n, sizeof *s->buf, ap_ent_cmp);
        return 0;
    }
    if (s->n && ap_xsort_spill(s)) return -1;
    free(s->buf); /* the runs' buffers take its place */
    s->buf = NULL;
    s->cur = (ap_run_cur *)ap_malloc((size_t)s->nruns * sizeof *s->cur);
    s->heap = (size_t *)ap_malloc((size_t)s->nruns * sizeof *s->heap);
    if (s->cur == NULL || s->heap == NULL) {
        ap_msg("out of memory");
        return -1;
    }
    for (r = 0; r < s->nruns; r++) {
        uint64_t first = (uint64_t)r * AP_RUN_ENTRIES;
        ap_run_cur *c = &s->cur[r];
        c->at = first * sizeof(ap_dup_ent);
        c->left = s->total - first < AP_RUN_ENTRIES ? s->total - first : AP_RUN_ENTRIES;
        if (ap_cur_fill(s, c) < 0) return -1;
        s->heap[s->nheap++] = r;
    }
    for (i = s->nheap / 2; i-- > 0;) ap_heap_down(s, i);
    return 0;
}

/* The next entry in order: 1, 0 at the end, -1 after reporting. */
static int ap_xsort_next(ap_xsort *s, ap_dup_ent *e) {
    ap_run_cur *c;
    if (s->nruns == 0) {
        if (s->next == s->n) return 0;
        *e = s->buf[s->next++];
        return 1;
    }
    if (s->nheap == 0) return 0;
    c = &s->cur[s->heap[0]];
    *e = c->e[c->i++];
    if (c->i == c->n) {
        int k = ap_cur_fill(s, c);
        if (k < 0) return -1;
        if (k == 0) s->heap[0] = s->heap[--s->nheap];
    }
    ap_heap_down(s, 0);
    return 1;
}

/* ---- the check ---- */

struct ap_dup_state {
    ap_spool ids;     /* the ids' texts, end to end */
    ap_xsort by_hash;
};

static uint64_t ap_id_hash(const char *s, size_t n) {
    uint64_t h = 14695981039346656037u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    h ^= h >> 33; /* a finaliser (MurmurHash3's): spread the low bits */
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

void ap_dup_init(ap_dup_check *c, const ap_options *o, ap_emit_fn emit, void *ctx,
                 artpack_bundle_reader *bundle) {
    memset(c, 0, sizeof *c);
    c->o = o;
    c->emit = emit;
    c->ctx = ctx;
    c->bundle = bundle;
}

void ap_dup_free(ap_dup_check *c) {
    if (c->st == NULL) return;
    ap_spool_close(&c->st->ids);
    ap_xsort_close(&c->st->by_hash);
    free(c->st);
    c->st = NULL;
}

/* Notes an id: 0, or 1 after reporting. */
static int ap_dup_note(ap_dup_check *c, const char *id, size_t len) {
    ap_dup_ent e;
    if (c->st == NULL) {
        c->st = (struct ap_dup_state *)ap_malloc(sizeof *c->st);
        if (c->st == NULL) {
            ap_msg("out of memory");
            return 1;
        }
        memset(c->st, 0, sizeof *c->st);
        ap_spool_init(&c->st->ids, "the duplicate-id check");
        ap_xsort_init(&c->st->by_hash);
    }
    if (len > 0xFFFFFFFFu) len = 0xFFFFFFFFu; /* a 4 GB id: compared on its first 4 GB */
    memset(&e, 0, sizeof e);
    e.key = ap_id_hash(id, len);
    e.article = c->read;
    e.len = (uint32_t)len;
    if (ap_spool_put(&c->st->ids, id, len, &e.text)) return 1;
    return ap_xsort_add(&c->st->by_hash, &e) ? 1 : 0;
}

int ap_dup_emit(void *vctx, const unsigned char *record, size_t size) {
    ap_dup_check *c = (ap_dup_check *)vctx;
    artpack_article a;
    c->read++;
    if ((c->o->unique || !c->o->quiet) &&
        artpack_record_decode(&a, record, size, NULL) == ARTPACK_OK && a.id.ptr != NULL) {
        if (c->bundle != NULL) {
            uint64_t n = 0;
            if (artpack_bundle_find_id(c->bundle, a.id.ptr, a.id.len, &n) == ARTPACK_OK) {
                c->dups++;
                ap_msg("article %llu read: id \"%.*s\" is already in the bundle (article %llu)%s",
                       (unsigned long long)c->read, (int)(a.id.len > 80 ? 80 : a.id.len),
                       a.id.ptr, (unsigned long long)n,
                       c->o->unique ? " (--unique: nothing written)" : "");
                if (c->o->unique) return 1;
            }
        }
        if (ap_dup_note(c, a.id.ptr, a.id.len)) return 1;
    }
    return c->emit(c->ctx, record, size);
}

/* Reads the text of e into b (emptied first): 0 or -1 (reported). */
static int ap_dup_text(ap_dup_check *c, const ap_dup_ent *e, ap_buf *b) {
    b->len = 0;
    if (ap_buf_reserve(b, (size_t)e->len + 1)) {
        ap_msg("out of memory");
        return -1;
    }
    if (ap_spool_get(&c->st->ids, e->text, b->data, e->len)) return -1;
    b->len = e->len;
    return 0;
}

/* The repeats, sorted by hash: each to out as {its number, the first's, its
 * text}. A group of equal hashes keeps its distinct texts (practically one)
 * with the first article of each. 0, or -1 after reporting. */
static int ap_dup_pairs(ap_dup_check *c, ap_xsort *out) {
    ap_xsort *in = &c->st->by_hash;
    ap_dup_ent e, *firsts = NULL; /* the group's distinct ids: their first entries */
    size_t nfirst = 0, cap = 0, i;
    ap_buf mine = {NULL, 0, 0}, theirs = {NULL, 0, 0};
    int k, rc = -1, have = 0;
    uint64_t key = 0;
    if (ap_xsort_finish(in)) goto done;
    while ((k = ap_xsort_next(in, &e)) > 0) {
        if (!have || e.key != key) { /* a new group */
            have = 1;
            key = e.key;
            nfirst = 0;
        } else if (ap_dup_text(c, &e, &mine)) {
            goto done;
        } else {
            for (i = 0; i < nfirst; i++) {
                if (firsts[i].len != e.len) continue;
                if (ap_dup_text(c, &firsts[i], &theirs)) goto done;
                if (memcmp(mine.data, theirs.data, e.len) == 0) break;
            }
            if (i < nfirst) { /* a repeat of firsts[i] */
                ap_dup_ent d = e;
                d.key = e.article;
                d.article = firsts[i].article;
                if (ap_xsort_add(out, &d)) goto done;
                continue;
            }
        }
        if (nfirst == cap) {
            size_t ncap = cap ? 2 * cap : 4;
            ap_dup_ent *p = (ap_dup_ent *)ap_realloc(firsts, ncap * sizeof *p);
            if (p == NULL) goto oom;
            firsts = p;
            cap = ncap;
        }
        firsts[nfirst++] = e;
    }
    rc = k < 0 ? -1 : 0;
    goto done;
oom:
    ap_msg("out of memory");
done:
    free(firsts);
    ap_buf_free(&mine);
    ap_buf_free(&theirs);
    return rc;
}

int ap_dup_finish(ap_dup_check *c, const char *what) {
    ap_xsort reps;
    ap_dup_ent d;
    ap_buf id = {NULL, 0, 0};
    int k, rc = 1;
    ap_xsort_init(&reps);
    if (c->st == NULL) goto summary; /* no id noted */
    if (ap_dup_pairs(c, &reps)) goto done;
    ap_xsort_close(&c->st->by_hash); /* its memory for the next sort */
    if (ap_xsort_finish(&reps)) goto done;
    while ((k = ap_xsort_next(&reps, &d)) > 0) {
        if (ap_dup_text(c, &d, &id)) goto done;
        c->dups++;
        ap_msg("article %llu read: id \"%.*s\" is the id of an article read before (article %llu "
               "read)%s",
               (unsigned long long)d.key, (int)(id.len > 80 ? 80 : id.len), (const char *)id.data,
               (unsigned long long)d.article, c->o->unique ? " (--unique: nothing written)" : "");
        if (c->o->unique) goto done;
    }
    if (k < 0) goto done;
summary:
    if (c->dups && !c->o->quiet)
        ap_msg("%s: %llu article%s with an id seen before (--unique refuses them)", what,
               (unsigned long long)c->dups, c->dups == 1 ? "" : "s");
    rc = 0;
done:
    ap_xsort_close(&reps);
    ap_buf_free(&id);
    ap_dup_free(c);
    return rc;
}
