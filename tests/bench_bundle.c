/* bench_bundle.c - bundles: bytes and random-access latency over block
 * sizes, layouts and dictionaries.
 *
 * Usage: bench_bundle CORPUS_DIR OUT_DIR
 * For bbc.jsonl, reuters21578.jsonl and the last 10 % of
 * reuters_financial.jsonl (held out): block sizes as `artpack pack` writes
 * them (columnar blocks, a dictionary trained on the bundle's own articles
 * of the size ap_auto_dict_size picks, embedded); then, at the default block
 * size, rows or columns with no dictionary, their own, a 110 KB reuters one
 * embedded (the old default) and a 4 MB reuters one held by the device (not
 * counted); articles assigned to blocks by similarity (pack's default) or in
 * order (--no-similar). Reuters dictionaries (artpack_dict_train) are trained on all of
 * reuters_financial.jsonl, or on its first 90 % for the held-out part. Every
 * bundle is zstd -19.
 * Latency: median and 90th percentile of artpack_bundle_get() of 2,000
 * article numbers drawn at random (fixed seed), each on a reader whose block
 * cache was just emptied, so each get reads and decodes a block; CPU time of
 * this thread. Writes OUT_DIR/bundle.csv and prints a Markdown table. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "artpack.h"
#include "json.h"
#include "util.h"
#define BENCH_NAME "bench_bundle"
#include "bench_util.h"

typedef struct recs {
    ap_buf data;
    size_t *sizes;
    size_t count, json_bytes;
} recs;

/* Articles [from, to) of a JSON Lines file as records. */
static void load(const char *path, double from, double to, recs *r) {
    ap_buf in = {NULL, 0, 0};
    ap_json_reader jr;
    ap_json_article a;
    ap_json_error err;
    size_t total = 0, k = 0, lo, hi, cap = 0;
    const char *p;
    memset(r, 0, sizeof *r);
    if (ap_read_all(path, &in)) die("cannot read the corpus (CORPUS=...)");
    for (p = (const char *)in.data; p < (const char *)in.data + in.len; p++) total += *p == '\n';
    lo = (size_t)(from * (double)total);
    hi = (size_t)(to * (double)total);
    if (ap_json_reader_init(&jr, (const char *)in.data, in.len)) die("out of memory");
    while (ap_json_next(&jr, &a, &err) == 1) {
        if (k >= lo && k < hi) {
            size_t n;
            if (artpack_record_size(&a.view, &n) || ap_buf_reserve(&r->data, n) ||
                artpack_record_encode(r->data.data + r->data.len, n, &a.view, &n))
                die("encode failed");
            r->data.len += n;
            if (r->count == cap) {
                cap = cap ? cap * 2 : 1024;
                r->sizes = (size_t *)realloc(r->sizes, cap * sizeof *r->sizes);
            }
            r->sizes[r->count++] = n;
        }
        ap_json_article_free(&a);
        k++;
    }
    /* the JSON bytes of the chosen lines */
    {
        size_t line = 0, start = 0, i;
        for (i = 0; i < in.len; i++)
            if (in.data[i] == '\n') {
                if (line >= lo && line < hi) r->json_bytes += i - start + 1;
                line++;
                start = i + 1;
            }
    }
    ap_json_reader_free(&jr);
    ap_buf_free(&in);
}

static void train(const recs *r, size_t size, ap_buf *dict, artpack_dict *d) {
    size_t n;
    artpack_train_params tp;
    memset(&tp, 0, sizeof tp);
    tp.dict_size = size;
    tp.words = -1; /* bundles apply no word transform: no word list */
    if (ap_buf_reserve(dict, size)) die("out of memory");
    if (artpack_dict_train(dict->data, dict->cap, r->data.data, r->sizes, (unsigned)r->count,
                           &tp, &n))
        die("training failed");
    dict->len = n;
    if (artpack_dict_load(d, dict->data, n)) die("bad dictionary");
}

/* One bundle of r: block bytes per block, columns or rows, the dictionary d
 * embedded (embed) or held by the device; what it is called in the table. */
static void run(FILE *csv, const char *name, const recs *r, const artpack_dict *d, size_t block,
                int columns, int embed, int similar, const char *what) {
    artpack_bundle_params p;
    artpack_bundle_writer *w;
    artpack_bundle_info info;
    artpack_bundle_reader *rdr;
    ap_buf out = {NULL, 0, 0};
    mem_file f;
    size_t i, pos = 0, ws, index_bytes;
    void *mem;
    double lat[2000], t_pack;
    uint32_t x = 12345;
    char label[32];
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.level = 19;
    p.block_size = block;
    p.embed_dict = embed && d != NULL;
    p.columns = columns;
    p.similar = similar;
    t_pack = cpu_now();
    if (artpack_bundle_writer_create(&w, &p, d, NULL, put, &out)) die("writer");
    for (i = 0; i < r->count; i++) {
        if (artpack_bundle_writer_add(w, r->data.data + pos, r->sizes[i])) die("add");
        pos += r->sizes[i];
    }
    if (artpack_bundle_writer_commit(w)) die("commit");
    artpack_bundle_writer_free(w);
    t_pack = cpu_now() - t_pack;
    f.p = out.data;
    f.n = out.len;
    if (artpack_bundle_info_get(&info, mem_file_read, &f, out.len)) die("info");
    index_bytes = out.len - info.last_segment; /* the one segment and the footer */
    ws = artpack_bundle_reader_workspace_size(&info, 0);
    mem = malloc(ws);
    if (artpack_bundle_reader_open(&rdr, mem, ws, &info, d, mem_file_read, &f)) die("open");
    for (i = 0; i < 2000; i++) {
        const void *rec;
        size_t len;
        uint64_t n, other;
        double t;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        n = x % r->count;
        /* empty the block cache: a slot half the bundle away (another block) */
        if (artpack_bundle_slot(rdr, n, &other)) die("slot");
        other = (other + r->count / 2) % r->count;
        if (info.block_count > 1) (void)artpack_bundle_get_slot(rdr, other, &rec, &len);
        t = cpu_now();
        if (artpack_bundle_get(rdr, n, &rec, &len)) die("get");
        lat[i] = (cpu_now() - t) * 1e6;
    }
    qsort(lat, 2000, sizeof lat[0], cmp_double);
    if (block == 1) snprintf(label, sizeof label, "1 article");
    else if (block >= 1048576 && block % 1048576 == 0)
        snprintf(label, sizeof label, "%zu MB", block >> 20);
    else snprintf(label, sizeof label, "%zu KB", block >> 10);
    printf("| %s | %s | %s | %zu | %llu | %zu | %.2f | %.1f | %.1f | %zu | %zu | %.1f |\n", name,
           label, what, out.len, (unsigned long long)info.block_count, index_bytes,
           (double)index_bytes / (double)r->count, lat[1000], lat[1800], ws,
           artpack_bundle_reader_workspace_size_mapped(&info, 0), t_pack);
    fprintf(csv, "%s,%zu,\"%s\",%zu,%llu,%zu,%.3f,%.2f,%.2f,%zu,%zu,%.2f\n", name, block, what,
            out.len, (unsigned long long)info.block_count, index_bytes,
            (double)index_bytes / (double)r->count, lat[1000], lat[1800], ws,
            artpack_bundle_reader_workspace_size_mapped(&info, 0), t_pack);
    fflush(stdout);
    free(mem);
    ap_buf_free(&out);
}

/* The rows of one file: block sizes as `artpack pack` writes them (columns,
 * its own dictionary when it trains one), then, at the default block size,
 * the layouts and dictionaries side by side. */
static void file_rows(FILE *csv, const char *name, const recs *r, const artpack_dict *d110,
                      const artpack_dict *d4m) {
    static const size_t blocks[] = {1, 16384, 65536, 262144, 786432, 917504, 983040, 1048576};
    const size_t def = ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT;
    const int quick = getenv("BENCH_BUNDLE_QUICK") != NULL; /* the default block size only */
    size_t i, own = ap_auto_dict_size(r->data.len, def);
    ap_buf own_buf = {NULL, 0, 0};
    artpack_dict d_own;
    const artpack_dict *dp = NULL;
    char what[160], packs[96];
    if (own) {
        train(r, own, &own_buf, &d_own);
        dp = &d_own;
        snprintf(packs, sizeof packs, "columns, own %zu KB dict embedded", own >> 10);
    } else {
        snprintf(packs, sizeof packs, "columns, no dict (under 3 blocks: pack trains none)");
    }
    for (i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        if (quick && blocks[i] != def) continue;
        snprintf(what, sizeof what, blocks[i] == def ? "**%s, similar (pack's default)**"
                                                     : "%s, similar", packs);
        run(csv, name, r, dp, blocks[i], 1, 1, 1, what);
    }
    snprintf(what, sizeof what, "%s, in order (--no-similar)", packs);
    run(csv, name, r, dp, def, 1, 1, 0, what);
    if (!quick) {
        run(csv, name, r, d110, 786432, 0, 1, 0,
            "rows, reuters 110 KB dict embedded, in order (the old default)");
        run(csv, name, r, d110, def, 0, 1, 0, "rows, reuters 110 KB dict embedded, in order");
        run(csv, name, r, NULL, def, 0, 0, 0, "rows, no dict, in order");
        run(csv, name, r, NULL, def, 1, 0, 0, "columns, no dict, in order");
        if (own) {
            snprintf(what, sizeof what, "rows, own %zu KB dict embedded, in order", own >> 10);
            run(csv, name, r, &d_own, def, 0, 1, 0, what);
        }
        run(csv, name, r, d4m, def, 0, 0, 0, "rows, reuters 4 MB dict held by the device, in order");
    }
    run(csv, name, r, d4m, def, 1, 0, 0, "columns, reuters 4 MB dict held by the device, in order");
    run(csv, name, r, d4m, def, 1, 0, 1, "columns, reuters 4 MB dict held by the device, similar");
    ap_buf_free(&own_buf);
}

int main(int argc, char **argv) {
    char path[4096];
    recs rf, rf_train, rf_test, bbc, r21;
    ap_buf dict_all = {NULL, 0, 0}, dict_90 = {NULL, 0, 0}, dict4_all = {NULL, 0, 0},
           dict4_90 = {NULL, 0, 0};
    artpack_dict d_all, d_90, d4_all, d4_90;
    FILE *csv;
    const size_t four = (size_t)4 << 20;
    if (argc < 3) die("usage: bench_bundle CORPUS_DIR OUT_DIR");
    snprintf(path, sizeof path, "%s/reuters_financial.jsonl", argv[1]);
    load(path, 0, 1, &rf);
    load(path, 0, 0.9, &rf_train);
    load(path, 0.9, 1, &rf_test);
    snprintf(path, sizeof path, "%s/bbc.jsonl", argv[1]);
    load(path, 0, 1, &bbc);
    snprintf(path, sizeof path, "%s/reuters21578.jsonl", argv[1]);
    load(path, 0, 1, &r21);
    train(&rf, ARTPACK_DICT_SIZE_DEFAULT, &dict_all, &d_all);
    train(&rf_train, ARTPACK_DICT_SIZE_DEFAULT, &dict_90, &d_90);
    train(&rf, four, &dict4_all, &d4_all);
    train(&rf_train, four, &dict4_90, &d4_90);
    snprintf(path, sizeof path, "%s/bundle.csv", argv[2]);
    csv = fopen(path, "w");
    if (csv == NULL) die("cannot write the CSV");
    fprintf(csv, "file,block_size,bundle,bundle_bytes,blocks,index_bytes,index_bytes_per_article,"
                 "get_median_us,get_p90_us,reader_workspace,reader_workspace_mapped,pack_s\n");
    printf("bbc.jsonl: %zu articles, %zu B of JSON; reuters21578.jsonl: %zu articles, %zu B of "
           "JSON; reuters_financial.jsonl held out (last 10 %%): %zu articles, %zu B of JSON\n\n",
           bbc.count, bbc.json_bytes, r21.count, r21.json_bytes, rf_test.count,
           rf_test.json_bytes);
    printf("| file | block size | bundle | bytes (embedded dictionary included) | blocks | "
           "index bytes | index B/article | get median µs | get p90 µs | reader workspace B | "
           "reading in place B | pack CPU s |\n");
    printf("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    file_rows(csv, "bbc", &bbc, &d_all, &d4_all);
    file_rows(csv, "reuters21578", &r21, &d_all, &d4_all);
    file_rows(csv, "reuters_financial held out", &rf_test, &d_90, &d4_90);
    fclose(csv);
    return 0;
}
