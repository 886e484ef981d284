/* bench.c - throughput of the record layer on one JSON Lines file, measured
 * beside jansson (the peer: parse / serialise the same text) in the same run.
 * Usage: bench FILE.jsonl [RUNS]   Prints a Markdown table; medians of RUNS. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "artpack.h"
#include "json.h"
#include "util.h"
#define BENCH_NAME "bench"
#include "bench_util.h"

static double ap_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static volatile size_t ap_sink;

/* JSON Lines -> record stream (parse with jansson + view + encode). */
static void run_encode(const ap_buf *in, ap_buf *records, size_t *count) {
    ap_json_reader r;
    ap_json_article a;
    ap_json_error err;
    ap_buf rec = {NULL, 0, 0};
    int got;
    records->len = 0;
    *count = 0;
    if (ap_json_reader_init(&r, (const char *)in->data, in->len)) exit(1);
    while ((got = ap_json_next(&r, &a, &err)) != 0) {
        size_t size;
        if (got < 0 || artpack_record_size(&a.view, &size) || ap_buf_reserve(&rec, size) ||
            artpack_record_encode(rec.data, rec.cap, &a.view, &size) ||
            ap_buf_put_varint(records, size) || ap_buf_put(records, rec.data, size)) {
            fprintf(stderr, "bench: encode failed at line %zu\n", err.line);
            exit(1);
        }
        ap_json_article_free(&a);
        (*count)++;
    }
    ap_json_reader_free(&r);
    ap_buf_free(&rec);
}

/* Walks the record stream; calls decode (and the JSON writer if out). */
static void run_decode(const ap_buf *records, ap_buf *out) {
    size_t pos = 0, total = 0;
    char err[256];
    if (out) out->len = 0;
    while (pos < records->len) {
        uint64_t len;
        artpack_article a;
        pos += artpack_varint_read(&len, records->data + pos, records->len - pos);
        if (artpack_record_decode(&a, records->data + pos, (size_t)len, NULL) ||
            (out && ap_json_write_article(out, &a, err, sizeof err))) {
            fprintf(stderr, "bench: decode failed\n");
            exit(1);
        }
        total += a.title.len + a.body.wire_size;
        pos += (size_t)len;
    }
    ap_sink = total;
}

/* The peer: jansson parses every line, then serialises every object. */
static void run_jansson(const ap_buf *in, double *parse_s, double *dump_s) {
    size_t pos = 0, n = 0, cap = 1024, i;
    json_t **objs = (json_t **)malloc(cap * sizeof *objs);
    double t0 = wall_now(), t1;
    while (pos < in->len) {
        const char *line = (const char *)in->data + pos;
        const char *nl = (const char *)memchr(line, '\n', in->len - pos);
        size_t len = nl ? (size_t)(nl - line) : in->len - pos;
        json_error_t e;
        if (n == cap) objs = (json_t **)realloc(objs, (cap *= 2) * sizeof *objs);
        objs[n] = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
        if (objs[n] == NULL) exit(1);
        n++;
        pos += len + 1;
    }
    t1 = wall_now();
    for (i = 0; i < n; i++) {
        char *s = json_dumps(objs[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
        ap_sink += strlen(s);
        free(s);
    }
    *parse_s = t1 - t0;
    *dump_s = wall_now() - t1;
    for (i = 0; i < n; i++) json_decref(objs[i]);
    free(objs);
}

int main(int argc, char **argv) {
    ap_buf in = {NULL, 0, 0}, records = {NULL, 0, 0}, out = {NULL, 0, 0};
    int runs = argc > 2 ? atoi(argv[2]) : 7, i;
    double enc[64], dec[64], view[64], jp[64], jd[64];
    size_t count = 0;
    if (argc < 2 || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bench FILE.jsonl [RUNS<=64]\n");
        return 1;
    }
    if (ap_read_all(argv[1], &in)) {
        fprintf(stderr, "bench: cannot read %s (set CORPUS=...)\n", argv[1]);
        return 1;
    }
    for (i = 0; i < runs; i++) {
        double t = wall_now();
        run_encode(&in, &records, &count);
        enc[i] = wall_now() - t;
        t = wall_now();
        run_decode(&records, &out);
        dec[i] = wall_now() - t;
        t = wall_now();
        run_decode(&records, NULL);
        view[i] = wall_now() - t;
        run_jansson(&in, &jp[i], &jd[i]);
    }
    {
        double mb_json = (double)in.len / 1e6, mb_rec = (double)records.len / 1e6;
        double e = ap_median(enc, runs), d = ap_median(dec, runs), v = ap_median(view, runs);
        double p = ap_median(jp, runs), s = ap_median(jd, runs);
        printf("file: %s: %zu articles, %zu B JSON -> %zu B records (%.1f %%); median of %d runs\n\n",
               argv[1], count, in.len, records.len, 100.0 * (double)records.len / (double)in.len, runs);
        printf("| operation | MB/s (of JSON) | articles/s | vs jansson |\n|---|---:|---:|---:|\n");
        printf("| JSONL -> records (artpack encode) | %.0f | %.0f | %.2f x jansson parse alone |\n",
               mb_json / e, (double)count / e, p / e);
        printf("| records -> JSONL (artpack decode) | %.0f | %.0f | %.2f x jansson serialise alone |\n",
               mb_json / d, (double)count / d, s / d);
        printf("| record -> view (artpack_record_decode) | %.0f (%.0f MB/s of records) | %.0f | %.1f x jansson parse |\n",
               mb_json / v, mb_rec / v, (double)count / v, p / v);
        printf("| peer: jansson parse | %.0f | %.0f | 1 |\n", mb_json / p, (double)count / p);
        printf("| peer: jansson serialise | %.0f | %.0f | 1 |\n", mb_json / s, (double)count / s);
    }
    ap_buf_free(&in);
    ap_buf_free(&records);
    ap_buf_free(&out);
    return 0;
}
