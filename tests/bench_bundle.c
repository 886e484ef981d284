/* bench_bundle.c - bundles: bytes and random-access latency over block
 * sizes, layouts and dictionaries.
 *
 * Usage: bench_bundle CORPUS_DIR OUT_DIR [LIST]
 * For bbc.jsonl, reuters21578.jsonl and the last 10 % of
 * reuters_financial.jsonl (held out): first the bundles `artpack pack` wrote
 * (LIST, from scripts/bench-bundle: lines of file name, what, bundle path,
 * dictionary path or "-" for the embedded one, pack CPU s; tab-separated);
 * then the library's writer here, without word lists (pack --no-words):
 * block sizes (columnar blocks, a dictionary trained on the bundle's own
 * articles of the size ap_auto_dict_size picks, embedded); then, at the
 * default block size, rows or columns with no dictionary, their own, a
 * 110 KB reuters one embedded (the old default) and a 4 MB reuters one held
 * by the device (not counted); articles assigned to blocks by similarity
 * (pack's default) or in order (--no-similar). Reuters dictionaries
 * (artpack_dict_train) are trained on all of reuters_financial.jsonl, or on
 * its first 90 % for the held-out part. Every bundle is zstd -19.
 * Latency: median and 90th percentile of artpack_bundle_get() of 2,000
 * article numbers drawn at random (fixed seed, the same for every bundle),
 * each on a reader whose block cache was just emptied, so each get reads and
 * decodes a block; CPU time of this thread. A file's bundles are measured
 * interleaved (article k on each, then article k+1), so the shared machine's
 * load falls on all of them alike. Writes OUT_DIR/bundle.csv and prints a
 * Markdown table. */
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

#define N_GET 2000

/* One bundle being measured: its bytes, its reader, what it is called in the
 * table; its get latencies, filled by measure(). */
typedef struct row {
    char what[200];
    size_t block;
    ap_buf out;
    mem_file f;
    artpack_bundle_info info;
    artpack_bundle_reader *rdr;
    void *mem;
    size_t ws, count;
    int load_embedded; /* the reader loads the embedded dictionary */
    double pack_s, lat[N_GET];
    uint32_t x; /* its article numbers: the same sequence for every row */
    ap_buf dict_buf; /* a dictionary file's bytes (rows read from files) */
    artpack_dict dict;
} row;

#define MAX_ROWS 32
static row *rows[MAX_ROWS];
static size_t n_rows;

/* The reader of a row whose bytes are in ro->out: dict as the bundle's
 * dictionary, or NULL to load the embedded one into the workspace. */
static void open_row(row *ro, const artpack_dict *d, size_t count) {
    ro->f.p = ro->out.data;
    ro->f.n = ro->out.len;
    ro->count = count;
    ro->x = 12345;
    if (artpack_bundle_info_get(&ro->info, mem_file_read, &ro->f, ro->out.len)) die("info");
    if (ro->info.article_count != count) die("%s: %llu articles, not %zu", ro->what,
                                             (unsigned long long)ro->info.article_count, count);
    ro->load_embedded = d == NULL && ro->info.dict_embedded;
    ro->ws = artpack_bundle_reader_workspace_size(&ro->info, ro->load_embedded);
    ro->mem = malloc(ro->ws);
    if (ro->mem == NULL) die("out of memory");
    if (artpack_bundle_reader_open(&ro->rdr, ro->mem, ro->ws, &ro->info, d, mem_file_read, &ro->f))
        die("open");
    ro->block = ro->info.block_size;
}

static row *new_row(const char *what) {
    row *ro;
    if (n_rows == MAX_ROWS) die("too many rows");
    ro = (row *)calloc(1, sizeof *ro);
    if (ro == NULL) die("out of memory");
    snprintf(ro->what, sizeof ro->what, "%s", what);
    rows[n_rows++] = ro;
    return ro;
}

/* One bundle of r: block bytes per block, columns or rows, the dictionary d
 * embedded (embed) or held by the device; what it is called in the table.
 * The reader is given d (in place). */
static void run(const recs *r, const artpack_dict *d, size_t block, int columns, int embed,
                int similar, const char *what) {
    artpack_bundle_params p;
    artpack_bundle_writer *w;
    row *ro = new_row(what);
    size_t i, pos = 0;
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_ZSTD;
    p.level = 19;
    p.block_size = block;
    p.embed_dict = embed && d != NULL;
    p.columns = columns;
    p.similar = similar;
    ro->pack_s = cpu_now();
    if (artpack_bundle_writer_create(&w, &p, d, NULL, put, &ro->out)) die("writer");
    for (i = 0; i < r->count; i++) {
        if (artpack_bundle_writer_add(w, r->data.data + pos, r->sizes[i])) die("add");
        pos += r->sizes[i];
    }
    if (artpack_bundle_writer_commit(w)) die("commit");
    artpack_bundle_writer_free(w);
    ro->pack_s = cpu_now() - ro->pack_s;
    open_row(ro, d, r->count);
    ro->block = block;
}

/* A bundle `artpack pack` wrote (the script's list): read from its file, its
 * dictionary from dict_path ("-": the embedded one, loaded by the reader);
 * pack_s: the CLI's CPU time as the script measured it. */
static void file_row(const recs *r, const char *what, const char *path, const char *dict_path,
                     double pack_s) {
    row *ro = new_row(what);
    const artpack_dict *d = NULL;
    char held[64];
    if (ap_read_all(path, &ro->out)) die("cannot read %s", path);
    if (strcmp(dict_path, "-") != 0) {
        if (ap_read_all(dict_path, &ro->dict_buf) ||
            artpack_dict_load(&ro->dict, ro->dict_buf.data, ro->dict_buf.len))
            die("cannot load the dictionary %s", dict_path);
        d = &ro->dict;
    }
    ro->pack_s = pack_s;
    open_row(ro, d, r->count);
    /* what the bundle holds, from its header */
    if (ro->info.dict_embedded)
        snprintf(held, sizeof held, "its own %zu KB dict embedded", ro->info.dict_size >> 10);
    else snprintf(held, sizeof held, d ? "the dict held by the device" : "no dict");
    snprintf(ro->what + strlen(ro->what), sizeof ro->what - strlen(ro->what), ": %s, %s%s, %s",
             held,
             ro->info.columns ? "columns" : "rows",
             ro->info.words ? " with word transform" : ", no word transform",
             ro->info.similar ? "similar" : "in order");
}

/* get latency of every row, interleaved: for each of N_GET article numbers,
 * each row in turn empties its block cache and gets the article (timed), so
 * the machine's load falls on all rows alike. Then the rows' lines, and the
 * rows freed. */
static void measure(FILE *csv, const char *name) {
    size_t i, k;
    for (i = 0; i < N_GET; i++)
        for (k = 0; k < n_rows; k++) {
            row *ro = rows[k];
            const void *rec;
            size_t len;
            uint64_t n, other;
            double t;
            ro->x ^= ro->x << 13;
            ro->x ^= ro->x >> 17;
            ro->x ^= ro->x << 5;
            n = ro->x % ro->count;
            /* empty the block cache: a slot half the bundle away (another block) */
            if (artpack_bundle_slot(ro->rdr, n, &other)) die("slot");
            other = (other + ro->count / 2) % ro->count;
            if (ro->info.block_count > 1) (void)artpack_bundle_get_slot(ro->rdr, other, &rec, &len);
            t = cpu_now();
            if (artpack_bundle_get(ro->rdr, n, &rec, &len)) die("get");
            ro->lat[i] = (cpu_now() - t) * 1e6;
        }
    for (k = 0; k < n_rows; k++) {
        row *ro = rows[k];
        size_t index_bytes = ro->out.len - ro->info.last_segment; /* the one segment and the footer */
        size_t mapped = artpack_bundle_reader_workspace_size_mapped(&ro->info, ro->load_embedded);
        char label[32];
        qsort(ro->lat, N_GET, sizeof ro->lat[0], cmp_double);
        if (ro->block == 1) snprintf(label, sizeof label, "1 article");
        else if (ro->block >= 1048576 && ro->block % 1048576 == 0)
            snprintf(label, sizeof label, "%zu MB", ro->block >> 20);
        else snprintf(label, sizeof label, "%zu KB", ro->block >> 10);
        printf("| %s | %s | %s | %zu | %llu | %zu | %.2f | %.1f | %.1f | %zu | %zu | %.1f |\n",
               name, label, ro->what, ro->out.len, (unsigned long long)ro->info.block_count,
               index_bytes, (double)index_bytes / (double)ro->count, ro->lat[N_GET / 2],
               ro->lat[N_GET * 9 / 10], ro->ws, mapped, ro->pack_s);
        fprintf(csv, "%s,%zu,\"%s\",%zu,%llu,%zu,%.3f,%.2f,%.2f,%zu,%zu,%.2f\n", name, ro->block,
                ro->what, ro->out.len, (unsigned long long)ro->info.block_count, index_bytes,
                (double)index_bytes / (double)ro->count, ro->lat[N_GET / 2],
                ro->lat[N_GET * 9 / 10], ro->ws, mapped, ro->pack_s);
        free(ro->mem);
        ap_buf_free(&ro->out);
        ap_buf_free(&ro->dict_buf);
        free(ro);
    }
    fflush(stdout);
    fflush(csv);
    n_rows = 0;
}

/* The rows of one file: first the bundles `artpack pack` wrote (the lines
 * of the list file LIST for this file: name, what, bundle, dictionary or
 * "-", pack CPU s, tab-separated); then the library's: block sizes (columns,
 * its own dictionary when pack would train one, without a word list: pack
 * --no-words -b N), then, at the default block size, the layouts and
 * dictionaries side by side; then get measured on all of them interleaved. */
static void file_rows(FILE *csv, const char *list, const char *name, const recs *r,
                      const artpack_dict *d110, const artpack_dict *d4m) {
    static const size_t blocks[] = {1, 16384, 65536, 262144, 786432, 917504, 983040, 1048576};
    const size_t def = ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT;
    const int quick = getenv("BENCH_BUNDLE_QUICK") != NULL; /* the default block size only */
    size_t i, own = ap_auto_dict_size(r->data.len, def);
    ap_buf own_buf = {NULL, 0, 0};
    artpack_dict d_own;
    const artpack_dict *dp = NULL;
    char what[160], packs[96];
    if (list != NULL) {
        FILE *l = fopen(list, "r");
        char line[8192];
        if (l == NULL) die("cannot read %s", list);
        while (fgets(line, sizeof line, l) != NULL) {
            char *f[5], *save = NULL, *t;
            size_t k = 0;
            line[strcspn(line, "\n")] = 0;
            for (t = strtok_r(line, "\t", &save); t != NULL && k < 5; t = strtok_r(NULL, "\t", &save))
                f[k++] = t;
            if (k != 5) die("%s: a line without 5 tab-separated fields", list);
            if (strcmp(f[0], name) == 0) file_row(r, f[1], f[2], f[3], atof(f[4]));
        }
        fclose(l);
    }
    if (own) {
        train(r, own, &own_buf, &d_own);
        dp = &d_own;
        snprintf(packs, sizeof packs, "columns, own %zu KB dict embedded, --no-words", own >> 10);
    } else {
        snprintf(packs, sizeof packs, "columns, no dict (under 3 blocks: pack trains none)");
    }
    for (i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        if (quick && blocks[i] != def) continue;
        snprintf(what, sizeof what, "%s, similar", packs);
        run(r, dp, blocks[i], 1, 1, 1, what);
    }
    snprintf(what, sizeof what, "%s, in order (--no-similar)", packs);
    run(r, dp, def, 1, 1, 0, what);
    if (!quick) {
        run(r, d110, 786432, 0, 1, 0,
            "rows, reuters 110 KB dict embedded, --no-words, in order (the old default)");
        run(r, d110, def, 0, 1, 0, "rows, reuters 110 KB dict embedded, --no-words, in order");
        run(r, NULL, def, 0, 0, 0, "rows, no dict, in order");
        run(r, NULL, def, 1, 0, 0, "columns, no dict, in order");
        if (own) {
            snprintf(what, sizeof what, "rows, own %zu KB dict embedded, --no-words, in order",
                     own >> 10);
            run(r, &d_own, def, 0, 1, 0, what);
        }
        run(r, d4m, def, 0, 0, 0,
            "rows, reuters 4 MB dict --no-words held by the device, in order");
    }
    run(r, d4m, def, 1, 0, 0, "columns, reuters 4 MB dict --no-words held by the device, in order");
    run(r, d4m, def, 1, 0, 1, "columns, reuters 4 MB dict --no-words held by the device, similar");
    measure(csv, name);
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
    if (argc < 3) die("usage: bench_bundle CORPUS_DIR OUT_DIR [LIST]");
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
    file_rows(csv, argc > 3 ? argv[3] : NULL, "bbc", &bbc, &d_all, &d4_all);
    file_rows(csv, argc > 3 ? argv[3] : NULL, "reuters21578", &r21, &d_all, &d4_all);
    file_rows(csv, argc > 3 ? argv[3] : NULL, "reuters_financial held out", &rf_test, &d_90, &d4_90);
    fclose(csv);
    return 0;
}
