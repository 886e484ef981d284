/* bench_cm.c - the CM codec at each level against its peer, in one run (make
 * bench; docs/bench/cm.md).
 *
 *   bench_cm CORPUS_DIR [LEVEL...]     (default levels 1 3 5 7 9)
 *
 * Trains a CM model (artpack_cm_train, the default 110 KB) on
 * reuters_financial.jsonl at each level, then codes each article of bbc.jsonl
 * and reuters21578.jsonl alone, as `artpack encode --cm -D MODEL` does (its
 * record, a frame with a checksum, a varint length; the 9-byte stream header
 * counted), decodes every one and compares it. The peer, in the same run: zstd
 * -19 on each JSON line alone with a 110 KB dictionary trained by
 * artpack_dict_train on reuters_financial's JSON lines (bench-compress's
 * "zstd -19 +dict (JSON)"). Speeds are MB of JSON per second of one thread's
 * CPU time (the machine is shared: wall time would count other jobs); decode
 * includes the record -> view step but not JSON output. Prints a Markdown
 * table. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "artpack.h"
#include "json.h"
#include "util.h"
#define BENCH_NAME "bench_cm"
#include "bench_util.h"

typedef struct corpus {
    ap_buf text, records;
    size_t n, *off, *len, *rec_off, *rec_len, json_bytes, max_rec;
} corpus;

/* the JSON lines and their records */
static void load(corpus *c, const char *dir, const char *name) {
    char path[4096];
    ap_json_reader r;
    ap_json_article a;
    ap_json_error err;
    size_t cap = 1024;
    int got;
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (ap_read_all(path, &c->text)) die("cannot read %s", path);
    c->off = (size_t *)malloc(cap * sizeof *c->off);
    c->len = (size_t *)malloc(cap * sizeof *c->len);
    c->rec_off = (size_t *)malloc(cap * sizeof *c->rec_off);
    c->rec_len = (size_t *)malloc(cap * sizeof *c->rec_len);
    if (ap_json_reader_init(&r, (const char *)c->text.data, c->text.len)) die("out of memory");
    while ((got = ap_json_next(&r, &a, &err)) != 0) {
        size_t size, end;
        if (got < 0) die("%s:%zu: %s", path, err.line, err.text);
        if (c->n == cap) {
            cap *= 2;
            c->off = (size_t *)realloc(c->off, cap * sizeof *c->off);
            c->len = (size_t *)realloc(c->len, cap * sizeof *c->len);
            c->rec_off = (size_t *)realloc(c->rec_off, cap * sizeof *c->rec_off);
            c->rec_len = (size_t *)realloc(c->rec_len, cap * sizeof *c->rec_len);
        }
        if (c->off == NULL || c->len == NULL || c->rec_off == NULL || c->rec_len == NULL)
            die("out of memory");
        for (end = a.start; end < c->text.len && c->text.data[end] != '\n'; end++) continue;
        c->off[c->n] = a.start;
        c->len[c->n] = end - a.start;
        c->json_bytes += end - a.start;
        if (artpack_record_size(&a.view, &size) || ap_buf_reserve(&c->records, size) ||
            artpack_record_encode(c->records.data + c->records.len, size, &a.view, &size))
            die("%s: article %zu: cannot encode", path, c->n + 1);
        c->rec_off[c->n] = c->records.len;
        c->rec_len[c->n] = size;
        c->records.len += size;
        if (size > c->max_rec) c->max_rec = size;
        c->n++;
        ap_json_article_free(&a);
    }
    ap_json_reader_free(&r);
}

static size_t varint_size(size_t v) {
    size_t n = 1;
    while (v >= 128) v >>= 7, n++;
    return n;
}

typedef struct result {
    size_t bytes;
    double enc_s, dec_s;
} result;

/* every article of c through the CM compressor and decompressor */
static result cm_run(const corpus *c, artpack_compressor *comp, artpack_decompressor *dec) {
    size_t cap = artpack_frame_bound(c->max_rec), i;
    unsigned char *frame = (unsigned char *)malloc(cap), *out = (unsigned char *)malloc(c->max_rec + 1);
    result res = {9, 0, 0};
    if (frame == NULL || out == NULL) die("out of memory");
    for (i = 0; i < c->n; i++) {
        const unsigned char *rec = c->records.data + c->rec_off[i];
        size_t w, got;
        artpack_article a;
        double t = cpu_now();
        if (artpack_frame_compress(comp, frame, cap, rec, c->rec_len[i], &w) != ARTPACK_OK)
            die("compress failed at article %zu", i + 1);
        res.enc_s += cpu_now() - t;
        res.bytes += varint_size(w) + w;
        t = cpu_now();
        if (artpack_frame_decompress(dec, out, c->max_rec, frame, w, &got) != ARTPACK_OK ||
            artpack_record_decode(&a, out, got, NULL) != ARTPACK_OK)
            die("decode failed at article %zu", i + 1);
        res.dec_s += cpu_now() - t;
        if (got != c->rec_len[i] || memcmp(out, rec, got) != 0)
            die("article %zu does not decode to itself", i + 1);
    }
    free(frame);
    free(out);
    return res;
}

/* the peer: zstd -19 on each JSON line, with a dictionary */
static result zstd_run(const corpus *c, const ZSTD_CDict *cd, const ZSTD_DDict *dd) {
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t maxlen = 0, i;
    unsigned char *frame, *out;
    result res = {0, 0, 0};
    for (i = 0; i < c->n; i++)
        if (c->len[i] > maxlen) maxlen = c->len[i];
    frame = (unsigned char *)malloc(ZSTD_compressBound(maxlen));
    out = (unsigned char *)malloc(maxlen + 1);
    if (cctx == NULL || dctx == NULL || frame == NULL || out == NULL) die("out of memory");
    for (i = 0; i < c->n; i++) {
        const unsigned char *line = c->text.data + c->off[i];
        double t = cpu_now();
        size_t w = ZSTD_compress_usingCDict(cctx, frame, ZSTD_compressBound(maxlen), line,
                                            c->len[i], cd), got;
        res.enc_s += cpu_now() - t;
        if (ZSTD_isError(w)) die("zstd: %s", ZSTD_getErrorName(w));
        res.bytes += w;
        t = cpu_now();
        got = ZSTD_decompress_usingDDict(dctx, out, maxlen, frame, w, dd);
        res.dec_s += cpu_now() - t;
        if (ZSTD_isError(got) || got != c->len[i] || memcmp(out, line, got) != 0)
            die("zstd: line %zu does not decode to itself", i + 1);
    }
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
    free(frame);
    free(out);
    return res;
}

static double mbs(size_t bytes, double s) { return s > 0 ? (double)bytes / s / 1e6 : 0; }

/* ---- bundles ---- */

#define GETS 300

/* c as a bundle (codec, block bytes per block, the dictionary or model d
 * named, not embedded; zstd: columns, level 19), every article read back and
 * compared, then GETS random gets each from a block not loaded: one table
 * row. */
static void bundle_row(const char *name, const corpus *c, const artpack_dict *d,
                       artpack_codec codec, size_t block, size_t peer) {
    artpack_bundle_params p;
    artpack_bundle_writer *w;
    artpack_bundle_info info;
    artpack_bundle_reader *rdr;
    ap_buf out = {NULL, 0, 0};
    mem_file f;
    size_t i, ws;
    void *mem;
    double lat[GETS], t, open_s, enc_s;
    uint32_t x = 12345;
    char label[32];
    memset(&p, 0, sizeof p);
    p.codec = codec;
    p.level = codec == ARTPACK_CODEC_ZSTD ? 19 : 0;
    p.block_size = block;
    p.columns = codec == ARTPACK_CODEC_ZSTD;
    t = cpu_now();
    if (artpack_bundle_writer_create(&w, &p, d, NULL, put, &out)) die("bundle writer");
    for (i = 0; i < c->n; i++)
        if (artpack_bundle_writer_add(w, c->records.data + c->rec_off[i], c->rec_len[i]))
            die("bundle add");
    if (artpack_bundle_writer_commit(w)) die("bundle commit");
    artpack_bundle_writer_free(w);
    enc_s = cpu_now() - t;
    f.p = out.data;
    f.n = out.len;
    if (artpack_bundle_info_get(&info, mem_file_read, &f, out.len)) die("bundle info");
    ws = artpack_bundle_reader_workspace_size(&info, 0);
    mem = malloc(ws);
    if (mem == NULL) die("out of memory");
    t = cpu_now();
    if (artpack_bundle_reader_open(&rdr, mem, ws, &info, d, mem_file_read, &f)) die("bundle open");
    open_s = cpu_now() - t;
    for (i = 0; i < c->n; i++) {
        const void *rec;
        size_t len;
        if (artpack_bundle_get(rdr, i, &rec, &len) || len != c->rec_len[i] ||
            memcmp(rec, c->records.data + c->rec_off[i], len) != 0)
            die("%s: article %zu does not read back", name, i + 1);
    }
    for (i = 0; i < GETS; i++) {
        const void *rec;
        size_t len;
        uint64_t n, other;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        n = x % c->n;
        other = n + 1 < c->n ? c->n - 1 - n : 0; /* empty the block cache */
        if (info.block_count > 1) (void)artpack_bundle_get(rdr, other, &rec, &len);
        t = cpu_now();
        if (artpack_bundle_get(rdr, n, &rec, &len)) die("get");
        lat[i] = (cpu_now() - t) * 1e3;
    }
    qsort(lat, GETS, sizeof lat[0], cmp_double);
    if (block == 1) snprintf(label, sizeof label, "1 article");
    else snprintf(label, sizeof label, "%zu KB", block >> 10);
    printf("| %s | %s | %llu | %zu | %.3f | %.2f | %.2f | %.2f | %.2f | %.1f MB |\n", name, label,
           (unsigned long long)info.block_count, out.len, peer ? (double)out.len / (double)peer : 1.0,
           mbs(c->json_bytes, enc_s), open_s, lat[GETS / 2], lat[GETS * 9 / 10], (double)ws / 1e6);
    fflush(stdout);
    free(mem);
    ap_buf_free(&out);
}

/* bbc as bundles: zstd -19 (the peer: pack's layout and block size, the
 * 110 KB record dictionary from reuters_financial) and CM with model m at
 * block sizes from one article to 64 KB. */
static void bundles(const corpus *bbc, const corpus *train, const artpack_dict *m, int level) {
    static const size_t blocks[] = {1, 4096, 8192, 16384, 65536};
    artpack_train_params p;
    ap_buf zd = {NULL, 0, 0};
    artpack_dict d;
    size_t zn, i;
    ap_buf out = {NULL, 0, 0};
    artpack_bundle_params bp;
    artpack_bundle_writer *w;
    char name[64];
    memset(&p, 0, sizeof p);
    p.words = -1; /* as pack: no word list */
    if (ap_buf_reserve(&zd, ARTPACK_DICT_SIZE_DEFAULT)) die("out of memory");
    if (artpack_dict_train(zd.data, zd.cap, train->records.data, train->rec_len,
                           (unsigned)train->n, &p, &zn) ||
        artpack_dict_load(&d, zd.data, zn))
        die("artpack_dict_train failed");
    /* the peer's size first (for the ratios) */
    memset(&bp, 0, sizeof bp);
    bp.codec = ARTPACK_CODEC_ZSTD;
    bp.level = 19;
    bp.columns = 1;
    if (artpack_bundle_writer_create(&w, &bp, &d, NULL, put, &out)) die("bundle writer");
    for (i = 0; i < bbc->n; i++)
        if (artpack_bundle_writer_add(w, bbc->records.data + bbc->rec_off[i], bbc->rec_len[i]))
            die("bundle add");
    if (artpack_bundle_writer_commit(w)) die("bundle commit");
    artpack_bundle_writer_free(w);
    printf("\nbbc.jsonl as a bundle (%zu articles, %zu B of JSON; the model or dictionary "
           "named, not embedded); get: CPU ms of artpack_bundle_get of an article whose block is "
           "not loaded, %d random ones; open: the reader's set-up (CM: priming).\n\n",
           bbc->n, bbc->json_bytes, GETS);
    printf("| bundle | block | blocks | bytes | x peer | pack MB/s | open s | get median ms | "
           "get p90 ms | reader RAM |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    bundle_row("peer: zstd -19, columns, 110 KB dict", bbc, &d, ARTPACK_CODEC_ZSTD,
               ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT, out.len);
    for (i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        snprintf(name, sizeof name, "artpack cm -%d%s", level,
                 blocks[i] == ARTPACK_BUNDLE_BLOCK_SIZE_CM ? " (default block)" : "");
        bundle_row(name, bbc, m, ARTPACK_CODEC_CM, blocks[i], out.len);
    }
    ap_buf_free(&out);
    ap_buf_free(&zd);
}

int main(int argc, char **argv) {
    static const int def_levels[] = {1, 3, 5, 7, 9};
    int levels[16], nlev = 0, k, bundle_level;
    ap_buf bundle_model = {NULL, 0, 0};
    corpus train, bbc, reu;
    ap_buf lines = {NULL, 0, 0}, zd = {NULL, 0, 0};
    size_t i, zn;
    artpack_train_params p;
    ZSTD_CDict *cd;
    ZSTD_DDict *dd;
    result pb, pr;
    if (argc < 2) die("usage: bench_cm CORPUS_DIR [LEVEL...]");
    for (k = 2; k < argc && nlev < 16; k++) levels[nlev++] = atoi(argv[k]);
    if (nlev == 0)
        for (k = 0; k < 5; k++) levels[nlev++] = def_levels[k];
    /* the bundle rows: at the default level when it is measured, else the
     * last one */
    bundle_level = levels[nlev - 1];
    for (k = 0; k < nlev; k++)
        if (levels[k] == ARTPACK_CM_LEVEL_DEFAULT) bundle_level = levels[k];
    load(&train, argv[1], "reuters_financial.jsonl");
    load(&bbc, argv[1], "bbc.jsonl");
    load(&reu, argv[1], "reuters21578.jsonl");

    /* the peer's dictionary: artpack_dict_train on the JSON lines, a plain
     * zstd dictionary (no word list: zstd would take it for content) */
    for (i = 0; i < train.n; i++)
        if (ap_buf_put(&lines, train.text.data + train.off[i], train.len[i])) die("out of memory");
    memset(&p, 0, sizeof p);
    p.words = -1;
    if (ap_buf_reserve(&zd, ARTPACK_DICT_SIZE_DEFAULT)) die("out of memory");
    if (artpack_dict_train(zd.data, zd.cap, lines.data, train.len, (unsigned)train.n, &p, &zn))
        die("artpack_dict_train failed");
    cd = ZSTD_createCDict(zd.data, zn, 19);
    dd = ZSTD_createDDict(zd.data, zn);
    if (cd == NULL || dd == NULL) die("zstd dictionary");
    pb = zstd_run(&bbc, cd, dd);
    pr = zstd_run(&reu, cd, dd);

    printf("Each article alone; models and dictionaries trained on reuters_financial.jsonl "
           "(110 KB); MB/s of JSON per second of CPU time of one thread.\n\n");
    printf("| codec | model B | decoder RAM | train s | model load s | bbc B | x peer | "
           "reuters21578 B | x peer | encode MB/s | decode MB/s |\n");
    printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    printf("| peer: zstd -19 +dict (JSON) | %zu | %zu KB | | | %zu | 1.000 | %zu | 1.000 | "
           "%.2f | %.1f |\n",
           zn, artpack_decompressor_workspace_size(ARTPACK_CODEC_ZSTD) / 1024, pb.bytes, pr.bytes,
           mbs(bbc.json_bytes + reu.json_bytes, pb.enc_s + pr.enc_s),
           mbs(bbc.json_bytes + reu.json_bytes, pb.dec_s + pr.dec_s));
    fflush(stdout);
    for (k = 0; k < nlev; k++) {
        ap_buf model = {NULL, 0, 0};
        artpack_dict d;
        artpack_compress_params cp;
        artpack_compressor *comp = NULL;
        artpack_decompressor *dec = NULL;
        size_t ws = artpack_cm_workspace_size(levels[k]), mn;
        void *wsp;
        double t;
        result rb, rr;
        if (ws == 0) die("level %d: out of range", levels[k]);
        memset(&p, 0, sizeof p);
        p.level = levels[k];
        if (ap_buf_reserve(&model, ARTPACK_DICT_SIZE_DEFAULT)) die("out of memory");
        t = cpu_now();
        if (artpack_cm_train(model.data, model.cap, train.records.data, train.rec_len,
                             (unsigned)train.n, &p, &mn))
            die("artpack_cm_train failed");
        t = cpu_now() - t;
        model.len = mn;
        if (artpack_dict_load(&d, model.data, mn)) die("the model does not load");
        memset(&cp, 0, sizeof cp); /* what artpack encode --cm -D MODEL uses */
        cp.codec = ARTPACK_CODEC_CM;
        cp.checksum = 1;
        if (artpack_compressor_create(&comp, &cp, &d, NULL)) die("CM compressor");
        wsp = malloc(ws);
        if (wsp == NULL) die("out of memory");
        {
            double t0 = cpu_now(), load;
            if (artpack_decompressor_init(&dec, wsp, ws, ARTPACK_CODEC_CM, &d, 0))
                die("CM decompressor");
            load = cpu_now() - t0;
            rb = cm_run(&bbc, comp, dec);
            rr = cm_run(&reu, comp, dec);
            printf("| artpack cm -%d | %zu | %.1f MB | %.2f | %.2f | %zu | %.3f | %zu | %.3f | "
                   "%.2f | %.2f |\n",
                   levels[k], mn, (double)ws / 1e6, t, load, rb.bytes,
                   (double)rb.bytes / (double)pb.bytes, rr.bytes,
                   (double)rr.bytes / (double)pr.bytes,
                   mbs(bbc.json_bytes + reu.json_bytes, rb.enc_s + rr.enc_s),
                   mbs(bbc.json_bytes + reu.json_bytes, rb.dec_s + rr.dec_s));
            fflush(stdout);
        }
        artpack_compressor_free(comp);
        free(wsp);
        if (levels[k] == bundle_level) bundle_model = model;
        else ap_buf_free(&model);
    }
    if (bundle_model.data != NULL) {
        artpack_dict d;
        if (artpack_dict_load(&d, bundle_model.data, bundle_model.len)) die("model");
        bundles(&bbc, &train, &d, bundle_level);
        ap_buf_free(&bundle_model);
    }
    ZSTD_freeCDict(cd);
    ZSTD_freeDDict(dd);
    return 0;
}
