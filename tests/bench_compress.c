/* bench_compress.c - per-article compression: artpack (JSON -> record ->
 * frame, zstd or LZ4 HC with a dictionary) against general-purpose
 * compressors on the JSON text of each article, all in the same run.
 *
 * Every article is compressed alone (so that any article can be read alone).
 * Dictionaries are trained on all of CORPUS/reuters_financial.jsonl with
 * artpack_dict_train (codec/dict.c: what `artpack train` runs): on the records
 * for artpack, on the JSON lines for the peers, so the trainer is the same
 * whatever codec/dict.c does; one more zstd peer gets a dictionary from zstd
 * --train's trainer. The test sets are CORPUS/bbc.jsonl and
 * CORPUS/reuters21578.jsonl. A second table gives the ratio over the
 * dictionary size (bbc.jsonl, zstd -19, 32 KB to 4 MB), with and without the
 * word transform (OUT/dictsize.csv, OUT/dictsize-table.md).
 *
 * Usage: bench_compress [-p PASSES] [-r] [-s | -d] WORK OUT CORPUS
 *   WORK   a folder for the trained dictionaries (never commit them) and for
 *          bbc-zstd19.apz: the stream `artpack encode -19 -D
 *          WORK/records-112640.dict` must write for bbc.jsonl
 *   OUT    where compress.csv, dictsize.csv and dictsize-table.md are written
 *   -p N   timed samples (median; default 5; encode 3 when a pass takes > 2 s);
 *          times are CPU time of this thread; a decode sample repeats the
 *          whole file for at least 0.2 s
 *   -r     reuse the dictionaries already in WORK instead of training again
 *   -s     skip the dictionary-size table
 *   -d     only the dictionary-size table (no per-article tables, and no
 *          zstd --train dictionary: make bench-dictsize)
 *   -q     quick: only artpack zstd -19 +dict (with and without the word
 *          transform) and its JSON peer, one encode pass, the decode to the
 *          view timed (A B A B ...); prints the ratios, writes nothing to OUT
 * Prints Markdown to stdout, progress to stderr. Exit status 1 on any error. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zstd.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <lz4.h>
#include <lz4hc.h>
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include "artpack.h"
#include "json.h"
#include "util.h"
#define BENCH_NAME "bench_compress"
#include "bench_util.h"

#define MAX_PASSES 31
#define SLOW_PASS_S 2.0
#define SLOW_PASSES 3
#define DECODE_SAMPLE_S 0.2 /* a decode sample repeats the whole file this long */
#define ZSTREAM_HEADER 9 /* "APKZ" 1, dictionary ID (u32 LE) */
#define LZ4_DICT_MAX ((size_t)64 * 1024)

static volatile size_t sink;
static int quick; /* -q: only the methods quick_method() names */

/* ---- helpers ---- */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) die("out of memory (%zu B)", n);
    return p;
}

static double median(const double *v, int n) {
    double tmp[MAX_PASSES];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static double min_of(const double *v, int n) {
    double m = v[0];
    int i;
    for (i = 1; i < n; i++) m = v[i] < m ? v[i] : m;
    return m;
}

static double max_of(const double *v, int n) {
    double m = v[0];
    int i;
    for (i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
    return m;
}

/* 1234567 -> "1,234,567" (one of 8 rotating static buffers). */
static const char *thousands(size_t v) {
    static char bufs[8][32];
    static int next;
    char tmp[32], *out = bufs[next++ & 7];
    int n = sprintf(tmp, "%zu", v), i, j = 0;
    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[j++] = ',';
        out[j++] = tmp[i];
    }
    out[j] = '\0';
    return out;
}

static const char *dict_size_name(size_t size) {
    static char bufs[4][16];
    static int next;
    char *out = bufs[next++ & 3];
    if (size % (1024 * 1024) == 0) sprintf(out, "%zu MB", size / (1024 * 1024));
    else sprintf(out, "%zu KB", size / 1024);
    return out;
}

static int write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return -1;
    }
    return fclose(f);
}

/* ---- a test or training file: its lines and its records ---- */

typedef struct corpus_file {
    char name[64];
    ap_buf text;
    size_t n;              /* articles, one per line */
    size_t *off, *len;     /* each line, without its newline */
    size_t json_bytes;     /* sum of len: the input of every method */
    size_t max_len;
    ap_buf records;        /* the records of the articles, end to end */
    size_t *rec_off, *rec_len;
    size_t max_rec;
} corpus_file;

static void corpus_load(corpus_file *f, const char *dir, const char *name) {
    char path[4096];
    size_t pos = 0, cap = 1024, i;
    ap_json_reader r;
    ap_json_article a;
    ap_json_error err;
    int got;

    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (ap_read_all(path, &f->text)) die("cannot read %s", path);
    f->off = (size_t *)xmalloc(cap * sizeof *f->off);
    f->len = (size_t *)xmalloc(cap * sizeof *f->len);
    while (pos < f->text.len) {
        const unsigned char *p = f->text.data + pos;
        const unsigned char *nl = (const unsigned char *)memchr(p, '\n', f->text.len - pos);
        size_t len = nl ? (size_t)(nl - p) : f->text.len - pos;
        if (len == 0) die("%s: empty line at byte %zu", path, pos);
        if (f->n == cap) {
            cap *= 2;
            f->off = (size_t *)realloc(f->off, cap * sizeof *f->off);
            f->len = (size_t *)realloc(f->len, cap * sizeof *f->len);
            if (f->off == NULL || f->len == NULL) die("out of memory");
        }
        f->off[f->n] = pos;
        f->len[f->n] = len;
        f->json_bytes += len;
        if (len > f->max_len) f->max_len = len;
        f->n++;
        pos += len + 1;
    }
    /* the records, as artpack encode makes them */
    f->rec_off = (size_t *)xmalloc(f->n * sizeof *f->rec_off);
    f->rec_len = (size_t *)xmalloc(f->n * sizeof *f->rec_len);
    if (ap_json_reader_init(&r, (const char *)f->text.data, f->text.len)) die("out of memory");
    for (i = 0; (got = ap_json_next(&r, &a, &err)) != 0; i++) {
        size_t size;
        if (got < 0) die("%s:%zu:%zu: %s", path, err.line, err.column, err.text);
        if (i >= f->n || a.start != f->off[i]) die("%s: article %zu is not line %zu", path, i + 1, i + 1);
        if (artpack_record_size(&a.view, &size) || ap_buf_reserve(&f->records, size) ||
            artpack_record_encode(f->records.data + f->records.len, size, &a.view, &size))
            die("%s: article %zu: cannot encode", path, i + 1);
        f->rec_off[i] = f->records.len;
        f->rec_len[i] = size;
        f->records.len += size;
        if (size > f->max_rec) f->max_rec = size;
        ap_json_article_free(&a);
    }
    ap_json_reader_free(&r);
    if (i != f->n) die("%s: %zu articles but %zu lines", path, i, f->n);
}

static void corpus_free(corpus_file *f) {
    ap_buf_free(&f->text);
    ap_buf_free(&f->records);
    free(f->off);
    free(f->len);
    free(f->rec_off);
    free(f->rec_len);
}

/* ---- dictionaries ---- */

typedef struct dict_pair {
    size_t size;
    ap_buf rec;            /* trained on the records (artpack train) */
    ap_buf json;           /* trained on the JSON lines, same trainer (the peers) */
    ap_buf json_stock;     /* trained on the JSON lines by zstd --train's trainer */
    ap_buf rec_plain;      /* trained on the records without a word list (--no-words) */
    artpack_dict rdict, rpdict;
    double rec_s, json_s, stock_s, recp_s; /* training time, < 0 when reused */
} dict_pair;

/* Loads a dictionary left in WORK by an earlier run, when reuse is asked. */
static int dict_reuse(ap_buf *b, const char *path, size_t size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    fclose(f);
    b->len = 0;
    if (ap_read_all(path, b) || b->len == 0 || b->len > size) {
        ap_buf_free(b);
        return 0;
    }
    return 1;
}

/* artpack_dict_train (codec/dict.c, what artpack train runs) on any samples;
 * words: the train params' (0: a word list as artpack train learns it, -1:
 * none, for the peers' dictionaries on the JSON). */
static double train_words(ap_buf *dst, size_t size, const void *samples, const size_t *sizes,
                          size_t count, int words) {
    artpack_train_params p;
    artpack_error e;
    size_t written;
    double t;
    memset(&p, 0, sizeof p);
    p.dict_size = size;
    p.words = words;
    if (ap_buf_reserve(dst, size)) die("out of memory");
    t = cpu_now();
    e = artpack_dict_train(dst->data, dst->cap, samples, sizes, (unsigned)count, &p, &written);
    if (e != ARTPACK_OK) die("artpack_dict_train: %s", artpack_error_name(e));
    dst->len = written;
    return cpu_now() - t;
}
static double train_artpack(ap_buf *dst, size_t size, const void *samples, const size_t *sizes,
                            size_t count) {
    return train_words(dst, size, samples, sizes, count, 0);
}
static double train_plain(ap_buf *dst, size_t size, const void *samples, const size_t *sizes,
                          size_t count) {
    return train_words(dst, size, samples, sizes, count, -1);
}

/* zstd --train's trainer (zstd 1.5: fastCover, d=8, f=20, k searched in 4
 * steps on a 75 % split, accel 1), single-threaded, tuned for level 19. */
static double train_stock(ap_buf *dst, size_t size, const void *samples, const size_t *sizes,
                          size_t count) {
    ZDICT_fastCover_params_t fp;
    size_t r;
    double t;
    memset(&fp, 0, sizeof fp);
    fp.d = 8;
    fp.f = 20;
    fp.steps = 4;
    fp.nbThreads = 1;
    fp.accel = 1;
    fp.zParams.compressionLevel = 19;
    if (ap_buf_reserve(dst, size)) die("out of memory");
    t = cpu_now();
    r = ZDICT_optimizeTrainFromBuffer_fastCover(dst->data, size, samples, sizes, (unsigned)count, &fp);
    if (ZDICT_isError(r)) die("ZDICT training: %s", ZDICT_getErrorName(r));
    dst->len = r;
    return cpu_now() - t;
}

typedef double (*train_fn)(ap_buf *, size_t, const void *, const size_t *, size_t);

/* WORK/NAME-SIZE.dict: reused (-r) or trained and written. */
static void dict_one(ap_buf *dst, double *secs_out, const char *work, const char *name, size_t size,
                     int reuse, train_fn train, const void *samples, const size_t *sizes,
                     size_t count, const char *what) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%zu.dict", work, name, size);
    if (reuse && dict_reuse(dst, path, size)) {
        *secs_out = -1;
        progress("reusing %s", path);
    } else {
        progress("training %s (%s) ...", path, what);
        *secs_out = train(dst, size, samples, sizes, count);
        if (write_file(path, dst->data, dst->len)) die("cannot write %s", path);
    }
    if (ZDICT_getDictID(dst->data, dst->len) == 0) die("%s: not a zstd dictionary", path);
}

static void dict_get(dict_pair *d, size_t size, const corpus_file *train, const char *work,
                     int reuse, int stock) {
    ap_buf lines = {NULL, 0, 0};
    size_t i;
    memset(d, 0, sizeof *d);
    d->size = size;
    dict_one(&d->rec, &d->rec_s, work, "records", size, reuse, train_artpack, train->records.data,
             train->rec_len, train->n, "artpack_dict_train on the records");
    if (artpack_dict_load(&d->rdict, d->rec.data, d->rec.len) != ARTPACK_OK)
        die("the records dictionary is not usable");
    dict_one(&d->rec_plain, &d->recp_s, work, "records-nowords", size, reuse, train_plain,
             train->records.data, train->rec_len, train->n,
             "artpack_dict_train on the records, no word list (train --no-words)");
    if (artpack_dict_load(&d->rpdict, d->rec_plain.data, d->rec_plain.len) != ARTPACK_OK)
        die("the records dictionary without a word list is not usable");
    for (i = 0; i < train->n; i++) /* the JSON lines, end to end, without newlines */
        if (ap_buf_put(&lines, train->text.data + train->off[i], train->len[i])) die("out of memory");
    dict_one(&d->json, &d->json_s, work, "json", size, reuse, train_plain, lines.data, train->len,
             train->n, "artpack_dict_train on the JSON lines, no word list");
    if (stock)
        dict_one(&d->json_stock, &d->stock_s, work, "json-zstdtrain", size, reuse, train_stock,
                 lines.data, train->len, train->n, "zstd --train's trainer on the JSON lines");
    ap_buf_free(&lines);
}

static void dict_free(dict_pair *d) {
    ap_buf_free(&d->rec);
    ap_buf_free(&d->json);
    ap_buf_free(&d->json_stock);
    ap_buf_free(&d->rec_plain);
}

/* ---- methods ---- */

typedef enum kind { K_ARTPACK, K_ZSTD_DICT, K_ZSTD, K_BROTLI, K_LZ4_DICT, K_DEFLATE } kind;

typedef struct method_def {
    const char *name;
    kind kind;
    int level;
    artpack_codec codec; /* artpack rows */
    int checksum;        /* artpack rows */
    int stock_dict;      /* zstd peer: the dictionary of zstd --train's trainer */
    int words;           /* artpack rows: the dictionary's word transform (as encode) */
} method_def;

static const method_def methods[] = {
    {"artpack zstd -3 +dict", K_ARTPACK, 3, ARTPACK_CODEC_ZSTD, 1, 0, 1},
    {"artpack zstd -9 +dict", K_ARTPACK, 9, ARTPACK_CODEC_ZSTD, 1, 0, 1},
    {"artpack zstd -19 +dict", K_ARTPACK, 19, ARTPACK_CODEC_ZSTD, 1, 0, 1},
    {"artpack zstd --ultra -22 +dict", K_ARTPACK, 22, ARTPACK_CODEC_ZSTD, 1, 0, 1},
    {"artpack zstd -19 +dict --no-check", K_ARTPACK, 19, ARTPACK_CODEC_ZSTD, 0, 0, 1},
    {"artpack lz4hc -12 +dict", K_ARTPACK, 12, ARTPACK_CODEC_LZ4, 1, 0, 1},
    {"zstd -19 +dict (JSON)", K_ZSTD_DICT, 19, ARTPACK_CODEC_STORED, 0, 0, 0},
    {"zstd -19 +dict from zstd --train (JSON)", K_ZSTD_DICT, 19, ARTPACK_CODEC_STORED, 0, 1, 0},
    {"zstd -19 (JSON)", K_ZSTD, 19, ARTPACK_CODEC_STORED, 0, 0, 0},
    {"brotli -11 (JSON)", K_BROTLI, 11, ARTPACK_CODEC_STORED, 0, 0, 0},
    {"lz4hc -12 +dict 64 KB (JSON)", K_LZ4_DICT, 12, ARTPACK_CODEC_STORED, 0, 0, 0},
    {"deflate -9 (JSON)", K_DEFLATE, 9, ARTPACK_CODEC_STORED, 0, 0, 0},
    /* without the word transform: a dictionary of the same size trained with
     * --no-words (all zstd content), as before issue 12 */
    {"artpack zstd -19 +dict --no-words", K_ARTPACK, 19, ARTPACK_CODEC_ZSTD, 1, 0, 0},
    {"artpack lz4hc -12 +dict --no-words", K_ARTPACK, 12, ARTPACK_CODEC_LZ4, 1, 0, 0},
};
#define N_METHODS (sizeof methods / sizeof methods[0])
#define M_AP19 2   /* the artpack row of the acceptance check */
#define M_PEER19 6 /* its peer: same trainer as artpack, on the JSON lines */
#define M_STOCK19 7 /* the peer with a zstd --train dictionary */
#define M_AP19_NOWORDS 12 /* M_AP19 without the word transform */

typedef struct run {
    const method_def *def;
    const dict_pair *dicts;
    /* artpack */
    artpack_compressor *comp;
    void *ws;
    artpack_decompressor *dec;
    /* zstd */
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    ZSTD_CDict *cdict;
    ZSTD_DDict *ddict;
    /* lz4 */
    LZ4_streamHC_t *lz4_dict, *lz4_work;
    const char *lz4_pre;
    int lz4_pre_len;
    /* output of the last encode pass */
    unsigned char *out;
    size_t out_cap, total;
    size_t *csize;         /* peers: each article's compressed size */
    /* scratch */
    unsigned char *rec, *frame, *plain;
    size_t rec_cap, frame_cap, plain_cap;
    ap_buf json;
    /* timings (seconds per pass over the whole file) */
    double enc[MAX_PASSES], dview[MAX_PASSES], djson[MAX_PASSES];
    int n_enc, n_dec, enc_target;
    int reps_view, reps_json; /* whole-file decodes per timed sample */
} run;

static size_t bound_of(const run *r, size_t n) {
    switch (r->def->kind) {
    case K_ARTPACK: return ARTPACK_VARINT_MAX + artpack_frame_bound(artpack_record_bound(n));
    case K_ZSTD_DICT:
    case K_ZSTD: return ZSTD_compressBound(n);
    case K_BROTLI: return BrotliEncoderMaxCompressedSize(n);
    case K_LZ4_DICT: return (size_t)LZ4_compressBound((int)n);
    case K_DEFLATE: return (size_t)compressBound((uLong)n);
    }
    return 0;
}

static void run_setup(run *r, const method_def *def, const dict_pair *dicts, const corpus_file *f) {
    size_t i;
    memset(r, 0, sizeof *r);
    r->def = def;
    r->dicts = dicts;
    r->rec_cap = f->max_rec;
    r->frame_cap = artpack_frame_bound(f->max_rec);
    r->plain_cap = (f->max_rec > f->max_len ? f->max_rec : f->max_len) + 64;
    r->rec = (unsigned char *)xmalloc(r->rec_cap);
    r->frame = (unsigned char *)xmalloc(r->frame_cap);
    r->plain = (unsigned char *)xmalloc(r->plain_cap);
    r->out_cap = ZSTREAM_HEADER;
    for (i = 0; i < f->n; i++) {
        size_t b = bound_of(r, f->len[i]);
        if (b == 0) die("%s: no bound for %zu B", def->name, f->len[i]);
        r->out_cap += b;
    }
    r->out = (unsigned char *)xmalloc(r->out_cap);
    r->csize = (size_t *)xmalloc(f->n * sizeof *r->csize);

    switch (def->kind) {
    case K_ARTPACK: {
        artpack_compress_params p;
        artpack_error e;
        size_t ws = artpack_decompressor_workspace_size(def->codec);
        memset(&p, 0, sizeof p); /* exactly what artpack encode -D DICT -LEVEL uses */
        p.codec = def->codec;
        p.level = def->level;
        p.checksum = def->checksum;
        p.frame_dict_id = 0;
        p.words = def->words && dicts->rdict.words != NULL;
        /* without the transform: the dictionary trained without a word list */
        e = artpack_compressor_create(&r->comp, &p, def->words ? &dicts->rdict : &dicts->rpdict,
                                      NULL);
        if (e != ARTPACK_OK) die("%s: artpack_compressor_create: %s", def->name, artpack_error_name(e));
        r->ws = xmalloc(ws);
        e = artpack_decompressor_init(&r->dec, r->ws, ws, def->codec,
                                      def->words ? &dicts->rdict : &dicts->rpdict, 0);
        if (e != ARTPACK_OK) die("%s: artpack_decompressor_init: %s", def->name, artpack_error_name(e));
        break;
    }
    case K_ZSTD_DICT: {
        const ap_buf *jd = def->stock_dict ? &dicts->json_stock : &dicts->json;
        if (jd->len == 0) die("%s: no dictionary", def->name);
        r->cdict = ZSTD_createCDict(jd->data, jd->len, def->level);
        r->ddict = ZSTD_createDDict(jd->data, jd->len);
        if (r->cdict == NULL || r->ddict == NULL) die("%s: cannot load the dictionary", def->name);
    }
        /* fall through */
    case K_ZSTD:
        r->cctx = ZSTD_createCCtx();
        r->dctx = ZSTD_createDCtx();
        if (r->cctx == NULL || r->dctx == NULL) die("out of memory");
        break;
    case K_LZ4_DICT: {
        size_t n = dicts->json.len < LZ4_DICT_MAX ? dicts->json.len : LZ4_DICT_MAX;
        r->lz4_pre = (const char *)dicts->json.data + (dicts->json.len - n);
        r->lz4_pre_len = (int)n;
        r->lz4_dict = (LZ4_streamHC_t *)xmalloc(sizeof *r->lz4_dict);
        r->lz4_work = (LZ4_streamHC_t *)xmalloc(sizeof *r->lz4_work);
        if (LZ4_initStreamHC(r->lz4_dict, sizeof *r->lz4_dict) == NULL ||
            LZ4_initStreamHC(r->lz4_work, sizeof *r->lz4_work) == NULL)
            die("LZ4_initStreamHC failed");
        LZ4_resetStreamHC_fast(r->lz4_dict, def->level);
        LZ4_loadDictHC(r->lz4_dict, r->lz4_pre, r->lz4_pre_len);
        break;
    }
    case K_BROTLI:
    case K_DEFLATE:
        break;
    }
}

static void run_free(run *r) {
    artpack_compressor_free(r->comp);
    free(r->ws);
    ZSTD_freeCCtx(r->cctx);
    ZSTD_freeDCtx(r->dctx);
    ZSTD_freeCDict(r->cdict);
    ZSTD_freeDDict(r->ddict);
    free(r->lz4_dict);
    free(r->lz4_work);
    free(r->out);
    free(r->csize);
    free(r->rec);
    free(r->frame);
    free(r->plain);
    ap_buf_free(&r->json);
}

/* artpack: JSON text -> parse -> record -> frame, into a compressed stream
 * laid out as artpack encode writes it. */
static void encode_artpack(run *r, const corpus_file *f) {
    ap_json_reader rd;
    ap_json_article a;
    ap_json_error err;
    size_t pos = 0, i = 0;
    uint32_t id = r->def->words ? r->dicts->rdict.id : r->dicts->rpdict.id;
    int got;
    memcpy(r->out, "APKZ\1", 5);
    r->out[5] = (unsigned char)id;
    r->out[6] = (unsigned char)(id >> 8);
    r->out[7] = (unsigned char)(id >> 16);
    r->out[8] = (unsigned char)(id >> 24);
    pos = ZSTREAM_HEADER;
    if (ap_json_reader_init(&rd, (const char *)f->text.data, f->text.len)) die("out of memory");
    while ((got = ap_json_next(&rd, &a, &err)) != 0) {
        size_t size, n;
        artpack_error e;
        if (got < 0) die("%s: %s", f->name, err.text);
        e = artpack_record_size(&a.view, &size);
        if (e == ARTPACK_OK && size > r->rec_cap) e = ARTPACK_E_DST_TOO_SMALL;
        if (e == ARTPACK_OK) e = artpack_record_encode(r->rec, r->rec_cap, &a.view, &size);
        if (e == ARTPACK_OK) e = artpack_frame_compress(r->comp, r->frame, r->frame_cap, r->rec, size, &n);
        if (e != ARTPACK_OK) die("%s: %s: article %zu: %s", r->def->name, f->name, i + 1, artpack_error_name(e));
        ap_json_article_free(&a);
        pos += artpack_varint_write(r->out + pos, r->out_cap - pos, n);
        memcpy(r->out + pos, r->frame, n);
        pos += n;
        r->csize[i++] = n;
    }
    ap_json_reader_free(&rd);
    r->total = pos;
}

/* a peer: each JSON line compressed alone. */
static void encode_peer(run *r, const corpus_file *f) {
    size_t pos = 0, i;
    for (i = 0; i < f->n; i++) {
        const unsigned char *src = f->text.data + f->off[i];
        size_t len = f->len[i], room = r->out_cap - pos, n = 0;
        unsigned char *dst = r->out + pos;
        switch (r->def->kind) {
        case K_ZSTD_DICT:
            n = ZSTD_compress_usingCDict(r->cctx, dst, room, src, len, r->cdict);
            if (ZSTD_isError(n)) die("%s: %s", r->def->name, ZSTD_getErrorName(n));
            break;
        case K_ZSTD:
            n = ZSTD_compressCCtx(r->cctx, dst, room, src, len, r->def->level);
            if (ZSTD_isError(n)) die("%s: %s", r->def->name, ZSTD_getErrorName(n));
            break;
        case K_BROTLI:
            n = room;
            if (!BrotliEncoderCompress(r->def->level, 22, BROTLI_MODE_GENERIC, len, src, &n, dst))
                die("%s: BrotliEncoderCompress failed", r->def->name);
            break;
        case K_LZ4_DICT: {
            int k;
            memcpy(r->lz4_work, r->lz4_dict, sizeof *r->lz4_work);
            k = LZ4_compress_HC_continue(r->lz4_work, (const char *)src, (char *)dst, (int)len,
                                         room > 0x7FFFFFFF ? 0x7FFFFFFF : (int)room);
            if (k <= 0) die("%s: LZ4_compress_HC_continue failed", r->def->name);
            n = (size_t)k;
            break;
        }
        case K_DEFLATE: {
            uLongf dl = (uLongf)room;
            if (compress2(dst, &dl, src, (uLong)len, r->def->level) != Z_OK)
                die("%s: compress2 failed", r->def->name);
            n = (size_t)dl;
            break;
        }
        case K_ARTPACK:
            break;
        }
        r->csize[i] = n;
        pos += n;
    }
    r->total = pos;
}

static void encode_pass(run *r, const corpus_file *f) {
    if (r->def->kind == K_ARTPACK) encode_artpack(r, f);
    else encode_peer(r, f);
}

/* Decompresses article i (its compressed bytes at src) into r->plain. */
static size_t decode_peer_one(run *r, const unsigned char *src, size_t n) {
    size_t got = 0;
    switch (r->def->kind) {
    case K_ZSTD_DICT:
        got = ZSTD_decompress_usingDDict(r->dctx, r->plain, r->plain_cap, src, n, r->ddict);
        if (ZSTD_isError(got)) die("%s: %s", r->def->name, ZSTD_getErrorName(got));
        break;
    case K_ZSTD:
        got = ZSTD_decompressDCtx(r->dctx, r->plain, r->plain_cap, src, n);
        if (ZSTD_isError(got)) die("%s: %s", r->def->name, ZSTD_getErrorName(got));
        break;
    case K_BROTLI:
        got = r->plain_cap;
        if (BrotliDecoderDecompress(n, src, &got, r->plain) != BROTLI_DECODER_RESULT_SUCCESS)
            die("%s: BrotliDecoderDecompress failed", r->def->name);
        break;
    case K_LZ4_DICT: {
        int k = LZ4_decompress_safe_usingDict((const char *)src, (char *)r->plain, (int)n,
                                              (int)r->plain_cap, r->lz4_pre, r->lz4_pre_len);
        if (k < 0) die("%s: LZ4_decompress_safe_usingDict failed", r->def->name);
        got = (size_t)k;
        break;
    }
    case K_DEFLATE: {
        uLongf dl = (uLongf)r->plain_cap;
        if (uncompress(r->plain, &dl, src, (uLong)n) != Z_OK) die("%s: uncompress failed", r->def->name);
        got = (size_t)dl;
        break;
    }
    case K_ARTPACK:
        break;
    }
    return got;
}

/* One pass over the whole file. artpack: frame -> record -> view (and, when
 * to_json, -> JSON text). Peers: decompress to JSON text. When check is set,
 * compares every result with the original (record or JSON line). */
static void decode_pass(run *r, const corpus_file *f, int to_json, int check) {
    size_t i, pos, total = 0;
    if (r->def->kind == K_ARTPACK) {
        char err[256];
        pos = ZSTREAM_HEADER;
        for (i = 0; pos < r->total; i++) {
            uint64_t len;
            size_t n, size;
            artpack_article a;
            artpack_error e;
            n = artpack_varint_read(&len, r->out + pos, r->total - pos);
            if (n == 0 || len > r->total - pos - n) die("%s: bad stream", r->def->name);
            pos += n;
            e = artpack_frame_decompress(r->dec, r->plain, r->plain_cap, r->out + pos, (size_t)len, &size);
            if (e == ARTPACK_OK) e = artpack_record_decode(&a, r->plain, size, NULL);
            if (e != ARTPACK_OK) die("%s: %s: article %zu: %s", r->def->name, f->name, i + 1, artpack_error_name(e));
            if (to_json) {
                r->json.len = 0;
                if (ap_json_write_article(&r->json, &a, err, sizeof err))
                    die("%s: article %zu: %s", r->def->name, i + 1, err);
                total += r->json.len;
            } else {
                total += a.title.len + a.body.wire_size;
            }
            if (check && (i >= f->n || size != f->rec_len[i] ||
                          memcmp(r->plain, f->records.data + f->rec_off[i], size) != 0))
                die("%s: %s: article %zu does not come back", r->def->name, f->name, i + 1);
            pos += (size_t)len;
        }
        if (check && i != f->n) die("%s: %zu articles, not %zu", r->def->name, i, f->n);
    } else {
        for (i = 0, pos = 0; i < f->n; i++) {
            size_t got = decode_peer_one(r, r->out + pos, r->csize[i]);
            if (check && (got != f->len[i] || memcmp(r->plain, f->text.data + f->off[i], got) != 0))
                die("%s: %s: article %zu does not come back", r->def->name, f->name, i + 1);
            total += got;
            pos += r->csize[i];
        }
    }
    sink += total;
}

/* How many whole-file decodes make a sample of at least DECODE_SAMPLE_S. */
static int decode_reps(run *r, const corpus_file *f, int to_json) {
    double t = cpu_now(), one;
    decode_pass(r, f, to_json, 0);
    one = cpu_now() - t;
    if (one >= DECODE_SAMPLE_S) return 1;
    if (one <= DECODE_SAMPLE_S / 1000) return 1000;
    return (int)(DECODE_SAMPLE_S / one) + 1;
}

/* CPU seconds of one whole-file decode: the mean over a sample of reps. */
static double decode_timed(run *r, const corpus_file *f, int to_json, int reps) {
    double t = cpu_now();
    int k;
    for (k = 0; k < reps; k++) decode_pass(r, f, to_json, 0);
    return (cpu_now() - t) / reps;
}

/* ---- the main table ---- */

typedef struct result {
    const char *name;
    size_t bytes;
    double ratio, enc, dview, djson; /* MB/s of JSON */
    int n_enc, n_dec;
} result;

/* The rows -q times: the acceptance row, its peer, and the row without
 * the transform. */
static int quick_method(size_t m) {
    return !quick || m == M_AP19 || m == M_PEER19 || m == M_AP19_NOWORDS;
}

static void measure_file(const corpus_file *f, const dict_pair *d, int passes, result *res,
                         const char *work) {
    run *runs = (run *)xmalloc(N_METHODS * sizeof *runs);
    size_t m;
    int p;
    double mb = (double)f->json_bytes / 1e6;

    for (m = 0; m < N_METHODS; m++) run_setup(&runs[m], &methods[m], d, f);
    /* first encode pass: sizes, pass count, round-trip check */
    for (m = 0; m < N_METHODS; m++) {
        run *r = &runs[m];
        double t;
        if (!quick_method(m)) continue;
        t = cpu_now();
        encode_pass(r, f);
        r->enc[0] = cpu_now() - t;
        r->n_enc = 1;
        r->enc_target = r->enc[0] > SLOW_PASS_S && passes > SLOW_PASSES ? SLOW_PASSES : passes;
        decode_pass(r, f, r->def->kind == K_ARTPACK, 1);
        progress("%s: %-34s %12s B  encode pass %.2f s", f->name, r->def->name,
                 thousands(r->total), r->enc[0]);
    }
    /* the other passes, interleaved so that the machine's load hits all alike */
    for (p = 1; p < passes; p++) {
        for (m = 0; m < N_METHODS; m++) {
            run *r = &runs[m];
            double t;
            size_t total = r->total;
            if (p >= r->enc_target || quick) continue;
            t = cpu_now();
            encode_pass(r, f);
            r->enc[r->n_enc++] = cpu_now() - t;
            if (r->total != total) die("%s: not deterministic", r->def->name);
        }
    }
    progress("%s: encode passes done; decoding ...", f->name);
    for (m = 0; m < N_METHODS; m++) {
        if (!quick_method(m)) continue;
        runs[m].reps_view = decode_reps(&runs[m], f, 0);
        if (runs[m].def->kind == K_ARTPACK && !quick) runs[m].reps_json = decode_reps(&runs[m], f, 1);
    }
    for (p = 0; p < passes; p++) {
        for (m = 0; m < N_METHODS; m++) {
            run *r = &runs[m];
            if (!quick_method(m)) continue;
            r->dview[p] = decode_timed(r, f, 0, r->reps_view);
            if (r->def->kind == K_ARTPACK && !quick) {
                r->djson[p] = decode_timed(r, f, 1, r->reps_json);
            } else {
                r->djson[p] = r->dview[p];
            }
        }
    }
    for (m = 0; m < N_METHODS; m++) {
        run *r = &runs[m];
        res[m].name = r->def->name;
        res[m].bytes = r->total;
        res[m].ratio = (double)f->json_bytes / (double)r->total;
        res[m].enc = mb / median(r->enc, r->n_enc);
        res[m].dview = mb / median(r->dview, passes);
        res[m].djson = mb / median(r->djson, passes);
        res[m].n_enc = r->n_enc;
        res[m].n_dec = passes;
        if (quick && quick_method(m)) { /* the ratio to the peer, per sample */
            const run *q = &runs[M_PEER19];
            double x[MAX_PASSES];
            for (p = 0; p < passes; p++) x[p] = q->dview[p] / r->dview[p];
            printf("%s: %-34s %10zu B  view %7.1f MB/s  x peer: median %.3f, min %.3f, max %.3f\n",
                   f->name, r->def->name, r->total, res[m].dview, median(x, passes),
                   min_of(x, passes), max_of(x, passes));
        }
    }
    if (strcmp(f->name, "bbc.jsonl") == 0) { /* for the CLI check of the driver script */
        char path[4096];
        snprintf(path, sizeof path, "%s/bbc-zstd19.apz", work);
        if (write_file(path, runs[M_AP19].out, runs[M_AP19].total)) die("cannot write %s", path);
    }
    for (m = 0; m < N_METHODS; m++) run_free(&runs[m]);
    free(runs);
}

static void print_file_table(const corpus_file *f, const result *res, FILE *csv) {
    size_t m;
    const result *a = &res[M_AP19], *p = &res[M_PEER19], *q = &res[M_STOCK19];
    double br = (double)a->bytes / (double)p->bytes;
    double sv = a->dview / p->dview, sj = a->djson / p->djson;
    printf("### %s: %s articles, %s B of JSON\n\n", f->name, thousands(f->n), thousands(f->json_bytes));
    printf("| method | compressed bytes | ratio | encode MB/s | decode to view MB/s | decode to JSON MB/s |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (m = 0; m < N_METHODS; m++) {
        const result *r = &res[m];
        printf("| %s | %s | %.3f | %.2f | %.1f | %.1f |\n", r->name, thousands(r->bytes), r->ratio,
               r->enc, r->dview, r->djson);
        fprintf(csv, "%s,%zu,%zu,%s,%zu,%.4f,%.3f,%.2f,%.2f,%d,%d\n", f->name, f->n, f->json_bytes,
                r->name, r->bytes, r->ratio, r->enc, r->dview, r->djson, r->n_enc, r->n_dec);
    }
    printf("\n%s vs %s on %s:\n\n", a->name, p->name, f->name);
    double bq = (double)a->bytes / (double)q->bytes, sq = a->dview / q->dview;
    printf("- bytes: %s / %s = **%.4f** (first wave's goal <= 0.97: %s)\n", thousands(a->bytes),
           thousands(p->bytes), br, br <= 0.97 ? "met" : "NOT MET");
    printf("- decode speed, to the view: %.1f / %.1f MB/s = **%.2f x** (word transform's "
           "acceptance >= 0.8: %s; first wave's goal >= 0.9: %s)\n",
           a->dview, p->dview, sv, sv >= 0.8 ? "met" : "NOT MET", sv >= 0.9 ? "met" : "NOT MET");
    printf("- decode speed, to JSON text: %.1f / %.1f MB/s = **%.2f x** (first wave's goal >= 0.9: "
           "%s)\n",
           a->djson, p->djson, sj, sj >= 0.9 ? "met" : "NOT MET");
    printf("- against %s instead: bytes %.4f (word transform's acceptance <= 0.94: %s), decode to "
           "the view %.2f x (>= 0.8: %s), to JSON %.2f x\n\n",
           q->name, bq, bq <= 0.94 ? "met" : "NOT MET", sq, sq >= 0.8 ? "met" : "NOT MET",
           a->djson / q->djson);
}

/* ---- the dictionary-size table ---- */

/* bbc.jsonl at zstd -19, artpack (as artpack encode -19 -D) and the JSON peer. */
static void dictsize_row(const corpus_file *f, const dict_pair *d, size_t *ap_bytes,
                         size_t *nw_bytes, size_t *peer_bytes) {
    run r;
    run_setup(&r, &methods[M_AP19], d, f);
    encode_pass(&r, f);
    decode_pass(&r, f, 0, 1);
    *ap_bytes = r.total;
    run_free(&r);
    run_setup(&r, &methods[M_AP19_NOWORDS], d, f);
    encode_pass(&r, f);
    decode_pass(&r, f, 0, 1);
    *nw_bytes = r.total;
    run_free(&r);
    run_setup(&r, &methods[M_PEER19], d, f);
    encode_pass(&r, f);
    decode_pass(&r, f, 0, 1);
    *peer_bytes = r.total;
    run_free(&r);
}

static const char *secs(double s) {
    static char bufs[4][32];
    static int next;
    char *out = bufs[next++ & 3];
    if (s < 0) return "reused";
    sprintf(out, "%.0f", s);
    return out;
}

/* Words in a dictionary's word list (0 without one) and the list's bytes. */
static unsigned list_words(const artpack_dict *d, size_t *bytes) {
    *bytes = d->words != NULL ? d->words_size : 0;
    if (d->words == NULL || d->words_size < 4) return 0;
    return (unsigned)d->words[2] | (unsigned)d->words[3] << 8;
}

/* The dictionary-size table: OUT/dictsize.csv and the Markdown body of
 * OUT/dictsize.md (the script adds the header). bbc.jsonl at zstd -19,
 * three dictionaries of each size, all trained on the training file:
 * artpack's with its word list (as artpack train), artpack's without (train
 * --no-words) and the JSON peer's (same trainer, no list). */
static void dictsize_table(const char *out_dir, const char *corpus, const char *work,
                           const corpus_file *train, dict_pair *main_dicts, int reuse) {
    static const size_t dict_sizes[] = {32 * 1024,       64 * 1024,      112640,
                                        256 * 1024,      512 * 1024,     1024 * 1024,
                                        2 * 1024 * 1024, 4 * 1024 * 1024};
    enum { N_SIZES = sizeof dict_sizes / sizeof dict_sizes[0] };
    size_t ab[N_SIZES], nb[N_SIZES], pb[N_SIZES];
    double train_s = 0, t0 = wall_now(), c0 = cpu_now();
    corpus_file test;
    char path[4096];
    FILE *csv, *md;
    size_t s, lo = 0, hi = 0, at110 = 0;
    int trained = 0;

    snprintf(path, sizeof path, "%s/dictsize.csv", out_dir);
    csv = fopen(path, "w");
    if (csv == NULL) die("cannot write %s", path);
    snprintf(path, sizeof path, "%s/dictsize-table.md", out_dir);
    md = fopen(path, "w");
    if (md == NULL) die("cannot write %s", path);
    fprintf(csv, "dict_bytes,dict_size,list_words,list_bytes,artpack_bytes,artpack_ratio,"
                 "nowords_bytes,nowords_ratio,peer_bytes,peer_ratio,nowords_over_peer,"
                 "words_over_nowords,artpack_over_peer,artpack_train_s,nowords_train_s,"
                 "peer_train_s\n");
    corpus_load(&test, corpus, "bbc.jsonl");
    fprintf(md,
            "%s (%s articles, %s B of JSON), zstd -19, each article alone, three dictionaries "
            "of each size, all trained on %s (%s articles) by `artpack_dict_train` "
            "(codec/dict.c, what `artpack train` runs):\n\n"
            "- **artpack, word transform**: records, a dictionary trained with its word list "
            "(`artpack train --size S`: the list's length, 0, 1024 or 2035 words (256 or 512 "
            "when 1024 do not fit a quarter of the size), chosen on a held-out eighth within the "
            "same size) and `artpack encode -19 -D`;\n"
            "- **artpack --no-words**: records, a dictionary of the same size trained without a "
            "word list (`artpack train --no-words --size S`), as before issue 12;\n"
            "- **peer**: zstd -19 on the JSON lines with a dictionary of the same size trained on "
            "the JSON lines by the same trainer (no word list).\n\n"
            "Gains are byte ratios (below 1: smaller): *records* = --no-words / peer (packing "
            "fields into records), *transform* = word transform / --no-words, *total* = "
            "word transform / peer = records × transform.\n\n",
            test.name, thousands(test.n), thousands(test.json_bytes), train->name,
            thousands(train->n));
    fprintf(md, "| dictionary | words in list (list bytes) | artpack, word transform: bytes "
                "| ratio | artpack --no-words: bytes | ratio | peer zstd -19 +dict (JSON): bytes "
                "| ratio | records | transform | total | train CPU s (artpack, --no-words, peer) |\n");
    fprintf(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (s = 0; s < N_SIZES; s++) {
        dict_pair d, *dp = &d;
        size_t lb;
        unsigned lw;
        double ratio_w, ratio_n, ratio_p;
        if (dict_sizes[s] == main_dicts->size) dp = main_dicts;
        else dict_get(&d, dict_sizes[s], train, work, reuse, 0);
        dictsize_row(&test, dp, &ab[s], &nb[s], &pb[s]);
        lw = list_words(&dp->rdict, &lb);
        ratio_w = (double)test.json_bytes / (double)ab[s];
        ratio_n = (double)test.json_bytes / (double)nb[s];
        ratio_p = (double)test.json_bytes / (double)pb[s];
        fprintf(md, "| %s | %s (%s) | %s | %.3f | %s | %.3f | %s | %.3f | %.4f | %.4f | %.4f "
                    "| %s, %s, %s |\n",
                dict_size_name(dp->size), thousands(lw), thousands(lb), thousands(ab[s]), ratio_w,
                thousands(nb[s]), ratio_n, thousands(pb[s]), ratio_p,
                (double)nb[s] / (double)pb[s], (double)ab[s] / (double)nb[s],
                (double)ab[s] / (double)pb[s], secs(dp->rec_s), secs(dp->recp_s),
                secs(dp->json_s));
        fprintf(csv, "%zu,%s,%u,%zu,%zu,%.4f,%zu,%.4f,%zu,%.4f,%.4f,%.4f,%.4f,%.1f,%.1f,%.1f\n",
                dp->size, dict_size_name(dp->size), lw, lb, ab[s], ratio_w, nb[s], ratio_n, pb[s],
                ratio_p, (double)nb[s] / (double)pb[s], (double)ab[s] / (double)nb[s],
                (double)ab[s] / (double)pb[s], dp->rec_s, dp->recp_s, dp->json_s);
        fflush(md);
        if (dp->rec_s >= 0) {
            train_s += dp->rec_s + dp->recp_s + dp->json_s;
            trained = 1;
        }
        if ((double)ab[s] / (double)nb[s] < (double)ab[lo] / (double)nb[lo]) lo = s;
        if ((double)ab[s] / (double)nb[s] > (double)ab[hi] / (double)nb[hi]) hi = s;
        if (dict_sizes[s] == 112640) at110 = s;
        progress("dictionary %s: artpack %s B, --no-words %s B, peer %s B",
                 dict_size_name(dp->size), thousands(ab[s]), thousands(nb[s]), thousands(pb[s]));
        if (dp != main_dicts) dict_free(&d);
    }
    fprintf(md, "\nWhat each part gained, bbc.jsonl:\n\n");
    fprintf(md, "- the word transform: %.4f × the --no-words bytes at %s (%.1f %% smaller); "
                "from %.4f × (%s) to %.4f × (%s) over the sizes;\n",
            (double)ab[at110] / (double)nb[at110], dict_size_name(dict_sizes[at110]),
            100.0 * (1.0 - (double)ab[at110] / (double)nb[at110]), (double)ab[lo] / (double)nb[lo],
            dict_size_name(dict_sizes[lo]), (double)ab[hi] / (double)nb[hi],
            dict_size_name(dict_sizes[hi]));
    fprintf(md, "- records over JSON (same trainer, no list): %.4f × the peer at %s, %.4f × at "
                "%s;\n",
            (double)nb[at110] / (double)pb[at110], dict_size_name(dict_sizes[at110]),
            (double)nb[N_SIZES - 1] / (double)pb[N_SIZES - 1],
            dict_size_name(dict_sizes[N_SIZES - 1]));
    fprintf(md, "- a larger dictionary: %s → %s gives %.4f × the bytes with the transform, "
                "%.4f × without it, %.4f × for the peer; %s → %s: %.4f ×, %.4f ×, %.4f ×.\n",
            dict_size_name(dict_sizes[0]), dict_size_name(dict_sizes[at110]),
            (double)ab[at110] / (double)ab[0], (double)nb[at110] / (double)nb[0],
            (double)pb[at110] / (double)pb[0], dict_size_name(dict_sizes[at110]),
            dict_size_name(dict_sizes[N_SIZES - 1]), (double)ab[N_SIZES - 1] / (double)ab[at110],
            (double)nb[N_SIZES - 1] / (double)nb[at110],
            (double)pb[N_SIZES - 1] / (double)pb[at110]);
    if (trained)
        fprintf(md, "\nTime, in CPU seconds of the bench's one thread (what a quiet machine "
                    "would take in wall time): training the %d dictionaries took %.0f s "
                    "(single-threaded, deterministic; the 110 KB ones are trained first, for "
                    "both tables); the table took %.0f s after those, its training included "
                    "(%.0f s of wall time on the shared machine).\n",
                3 * N_SIZES, train_s, cpu_now() - c0, wall_now() - t0);
    else
        fprintf(md, "\nWith the dictionaries of an earlier run (-r), the table took %.0f CPU "
                    "seconds (%.0f s of wall time).\n",
                cpu_now() - c0, wall_now() - t0);
    corpus_free(&test);
    if (fclose(csv)) die("cannot write %s/dictsize.csv", out_dir);
    if (fclose(md)) die("cannot write %s/dictsize-table.md", out_dir);
}

int main(int argc, char **argv) {
    static const char *tests[] = {"bbc.jsonl", "reuters21578.jsonl"};
    const char *work, *out_dir, *corpus;
    int passes = 5, reuse = 0, skip_dictsize = 0, only_dictsize = 0, i;
    corpus_file train, test;
    dict_pair main_dicts;
    result res[N_METHODS];
    char path[4096];
    FILE *csv;
    size_t t;
    double t0 = wall_now();

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) passes = atoi(argv[++i]);
        else if (strcmp(argv[i], "-r") == 0) reuse = 1;
        else if (strcmp(argv[i], "-s") == 0) skip_dictsize = 1;
        else if (strcmp(argv[i], "-d") == 0) only_dictsize = 1;
        else if (strcmp(argv[i], "-q") == 0) quick = 1;
        else break;
    }
    if (argc - i != 3 || passes < 1 || passes > MAX_PASSES || (skip_dictsize && only_dictsize) ||
        (quick && only_dictsize)) {
        fprintf(stderr, "usage: bench_compress [-p PASSES<=%d] [-r] [-s | -d | -q] WORK OUT CORPUS\n",
                MAX_PASSES);
        return 1;
    }
    work = argv[i];
    out_dir = argv[i + 1];
    corpus = argv[i + 2];

    progress("reading %s/reuters_financial.jsonl ...", corpus);
    corpus_load(&train, corpus, "reuters_financial.jsonl");
    dict_get(&main_dicts, ARTPACK_DICT_SIZE_DEFAULT, &train, work, reuse, !only_dictsize);
    if (only_dictsize) goto dictsize;
    if (quick) {
        for (t = 0; t < sizeof tests / sizeof tests[0]; t++) {
            corpus_load(&test, corpus, tests[t]);
            measure_file(&test, &main_dicts, passes, res, work);
            fflush(stdout);
            corpus_free(&test);
        }
        dict_free(&main_dicts);
        corpus_free(&train);
        return 0;
    }

    printf("## Per-article compression\n\n");
    printf("Each article compressed alone. Dictionaries (%s) trained on all of %s "
           "(%s articles, %s B of JSON): artpack's on the records (`artpack_dict_train`, "
           "as `artpack train`; ID %u, %s CPU s), the peers' on the JSON lines with the same "
           "trainer (`artpack_dict_train` on the JSON lines; ID %u, %s CPU s); one more zstd "
           "peer gets a dictionary from zstd --train's trainer (fastCover d=8 f=20, k "
           "searched in 4 steps on a 75 %% split; ID %u, %s CPU s). LZ4 uses the last 64 KB of "
           "artpack's and of the peers' dictionary. Ratio = JSON bytes / compressed "
           "bytes; MB/s are MB (10^6 B) of JSON per CPU second of the benchmark thread "
           "(time the shared machine gives to other processes is not counted): medians of "
           "%d decode samples (each repeats the whole file for at least %.1f s) and of %d "
           "encode passes (%d when one pass takes over %.0f s), methods interleaved. artpack bytes "
           "include the %d-byte stream header and each article's varint length, exactly "
           "the size of the `artpack encode` output.\n\n",
           dict_size_name(main_dicts.size), train.name, thousands(train.n), thousands(train.text.len),
           (unsigned)main_dicts.rdict.id, secs(main_dicts.rec_s),
           (unsigned)ZDICT_getDictID(main_dicts.json.data, main_dicts.json.len),
           secs(main_dicts.json_s),
           (unsigned)ZDICT_getDictID(main_dicts.json_stock.data, main_dicts.json_stock.len),
           secs(main_dicts.stock_s), passes, DECODE_SAMPLE_S, passes,
           passes < SLOW_PASSES ? passes : SLOW_PASSES,
           SLOW_PASS_S, ZSTREAM_HEADER);
    fflush(stdout);

    snprintf(path, sizeof path, "%s/compress.csv", out_dir);
    csv = fopen(path, "w");
    if (csv == NULL) die("cannot write %s", path);
    fprintf(csv, "file,articles,json_bytes,method,compressed_bytes,ratio,encode_mb_s,"
                 "decode_view_mb_s,decode_json_mb_s,encode_passes,decode_passes\n");
    for (t = 0; t < sizeof tests / sizeof tests[0]; t++) {
        progress("reading %s/%s ...", corpus, tests[t]);
        corpus_load(&test, corpus, tests[t]);
        measure_file(&test, &main_dicts, passes, res, work);
        print_file_table(&test, res, csv);
        fflush(stdout);
        corpus_free(&test);
    }
    if (fclose(csv)) die("cannot write %s", path);

dictsize:
    if (!skip_dictsize) dictsize_table(out_dir, corpus, work, &train, &main_dicts, reuse);
    dict_free(&main_dicts);
    corpus_free(&train);
    progress("done in %.0f s", wall_now() - t0);
    return 0;
}
