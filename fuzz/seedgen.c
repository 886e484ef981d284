/* seedgen.c - writes the seed corpora of the frame and bundle fuzz targets
 * from the project's own fixtures (never from ../shared):
 *
 *   fuzz-seedgen OUTDIR FIXTURE.jsonl...
 *
 * writes OUTDIR/frame/seed-*, OUTDIR/bundle/seed-* and OUTDIR/cm/seed-* (the
 * folders must exist). `make fuzz-seeds` runs it through fuzz/make-seeds.sh with OUTDIR =
 * fuzz/corpus and the fixtures tests/data/seed.jsonl, tests/data/golden/...
 * (every .jsonl there, in `ls` order).
 * Deterministic: the same fixtures give the same bytes on every run. Frames
 * and bundles are made with the library itself, so their checksums are the
 * current ones; the dictionary is fz_dict(), the one the targets use.
 *
 * frame/  (input of fuzz_frame.c: byte 0 = mode, the rest = a frame)
 *         each fixture article, and all of them laid end to end, as zstd, LZ4
 *         and stored frames, with and without the dictionary, with and without
 *         checksum and dictionary ID; the mode byte gives the decompressor the
 *         dictionary when the frame uses it, a window that fits, and a
 *         destination that holds the content (each is checked to decode as
 *         the target would); and a few mode 64 seeds (content round trips).
 * bundle/ (input of fuzz_bundle.c: byte 0 bit 0 = the reader gets fz_dict())
 *         every fixture article (in file order, duplicates kept) packed by
 *         the bundle writer: zstd, LZ4 and stored, 1-4 KB blocks, with and
 *         without the dictionary, one with it embedded, two written in two
 *         commits (the appender: two index segments), four with word
 *         envelopes; each is read back and
 *         checked. And the JSON-mode seeds (byte 0 bit 1): byte 1 = block
 *         size / 64, the rest = JSON Lines (the fixtures' non-empty lines).
 *         CM bundles (level 1, fz_cm_model()) named, embedded, appended, and
 *         unprimed.
 * cm/     (input of fuzz_cm.c: byte 0 = mode) the model (mode 2); a few
 *         fixture articles as content (mode 3), as CM frames with the model
 *         (mode 0, and 4: a destination one byte short) and as payloads
 *         after their content size (mode 5 with the model, 1 unprimed). */
#include "fuzz_dictgen.h"
#include "../codec/bundle_format.h"
#include "../codec/words.h"

#define MAX_RECORDS 256
#define FRAME_SEED_MAX ((size_t)20 * 1024)
#define BUNDLE_SEED_MAX ((size_t)64 * 1024)

typedef struct seed_record {
    unsigned char *p;
    size_t n;
    char name[64];
} seed_record;

static seed_record all_recs[MAX_RECORDS]; /* every article, in fixture order */
static size_t all_count;
static seed_record *uniq[MAX_RECORDS]; /* the distinct records, first seen first */
static size_t uniq_count;
static ap_buf json_lines; /* the fixtures' non-empty lines */
static size_t json_line_ends[MAX_RECORDS];
static size_t json_line_count;

static const char *out_dir;
static size_t files_written[3], bytes_written[3];

static uint64_t dec_ws[(ARTPACK_DECOMPRESSOR_WORKSPACE_SIZE_ZSTD + 7) / 8];

static void die(const char *what, const char *detail) {
    fprintf(stderr, "seedgen: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void check(artpack_error e, const char *what) {
    if (e != ARTPACK_OK) die(what, artpack_error_name(e));
}

/* Writes OUTDIR/folder/name = prefix[0..np) + data[0..n). */
static void put_file(int which, const char *name, const unsigned char *prefix, size_t np,
                     const unsigned char *data, size_t n, size_t max) {
    static const char *const folders[3] = {"frame", "bundle", "cm"};
    char path[1024];
    FILE *f;
    static char names[3][64][96];
    static size_t name_count[3];
    size_t i;
    if (np + n > max) die("seed too large", name);
    if (strlen(name) >= sizeof names[0][0] || name_count[which] == 64) die("bad seed name", name);
    for (i = 0; i < name_count[which]; i++)
        if (strcmp(names[which][i], name) == 0) die("two seeds of the same name", name);
    strcpy(names[which][name_count[which]++], name);
    if ((size_t)snprintf(path, sizeof path, "%s/%s/%s", out_dir, folders[which], name) >=
        sizeof path)
        die("path too long", name);
    f = fopen(path, "wb");
    if (f == NULL) die("cannot create", path);
    if ((np && fwrite(prefix, 1, np, f) != np) || (n && fwrite(data, 1, n, f) != n) ||
        fclose(f) != 0)
        die("cannot write", path);
    files_written[which]++;
    bytes_written[which] += np + n;
}

/* ---- fixtures ---- */

static void read_fixture(const char *path) {
    ap_buf text = {NULL, 0, 0};
    ap_json_reader jr;
    ap_json_article a;
    ap_json_error err;
    const char *base = strrchr(path, '/');
    size_t i, start, k = 0, blen;
    int got;
    char stem[32];
    if (ap_read_all(path, &text) != 0) die("cannot read", path);
    /* the name stem: file name without ".jsonl", '.' -> '_' */
    base = base ? base + 1 : path;
    blen = strlen(base);
    if (blen > 6 && strcmp(base + blen - 6, ".jsonl") == 0) blen -= 6;
    if (blen >= sizeof stem) blen = sizeof stem - 1;
    for (i = 0; i < blen; i++) stem[i] = base[i] == '.' ? '_' : base[i];
    stem[blen] = 0;
    /* non-empty lines, for the JSON-mode seeds */
    for (start = 0; start < text.len; start = i + 1) {
        for (i = start; i < text.len && text.data[i] != '\n'; i++) {
        }
        if (i == start) continue;
        if (json_line_count == MAX_RECORDS) die("too many lines", path);
        if (ap_buf_put(&json_lines, text.data + start, i - start) || ap_buf_putc(&json_lines, '\n'))
            die("out of memory", NULL);
        json_line_ends[json_line_count++] = json_lines.len;
    }
    /* records */
    if (ap_json_reader_init(&jr, (const char *)text.data, text.len)) die("out of memory", NULL);
    while ((got = ap_json_next(&jr, &a, &err)) != 0) {
        seed_record *r;
        size_t u;
        if (got < 0) {
            fprintf(stderr, "seedgen: %s:%zu:%zu: %s\n", path, err.line, err.column, err.text);
            exit(1);
        }
        if (all_count == MAX_RECORDS) die("too many articles", path);
        r = &all_recs[all_count++];
        r->p = fz_encode_exact(&a.view, &r->n);
        snprintf(r->name, sizeof r->name, "%s-%02u", stem, (unsigned)++k);
        ap_json_article_free(&a);
        for (u = 0; u < uniq_count; u++)
            if (uniq[u]->n == r->n && memcmp(uniq[u]->p, r->p, r->n) == 0) break;
        if (u == uniq_count) uniq[uniq_count++] = r;
    }
    ap_json_reader_free(&jr);
    ap_buf_free(&text);
}

static const seed_record *find_record(const char *name) {
    size_t u;
    for (u = 0; u < uniq_count; u++)
        if (strcmp(uniq[u]->name, name) == 0) return uniq[u];
    return NULL;
}

/* ---- frame seeds ---- */

static const char *codec_name(artpack_codec c) {
    return c == ARTPACK_CODEC_ZSTD ? "zstd" : c == ARTPACK_CODEC_LZ4 ? "lz4" : "stored";
}

/* Mode byte flags of a frame seed (fuzz_frame.c). */
enum { M_LZ4_DEC = 1, M_DST_1MB = 3 << 2, M_WIN_16 = 1 << 4, M_WIN_23 = 2 << 4, M_CONTENT = 64 };

/* 1: frame_seed applies the dictionary's word transform */
static int seed_words;

/* Compresses content into a frame, checks that the target would decode it
 * with mode (| the dictionary bit when the frame uses it) and writes
 * frame/seed-<label>-<codec>[-dict][-noid][-nosum]. */
static void frame_seed(const char *label, const unsigned char *content, size_t n,
                       artpack_codec codec, int level, int with_dict, int dict_id, int checksum,
                       unsigned mode) {
    static const unsigned windows[4] = {10, 16, 23, 27};
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    artpack_decompressor *d = NULL;
    artpack_frame_info info;
    size_t cap = ARTPACK_FRAME_BOUND(n), w = 0, got = 0, dst_cap;
    unsigned char *frame = (unsigned char *)malloc(cap), *out;
    unsigned char m;
    char name[128];
    if (frame == NULL) die("out of memory", NULL);
    memset(&p, 0, sizeof p);
    p.codec = codec;
    p.level = level;
    p.checksum = checksum;
    p.frame_dict_id = dict_id;
    p.words = seed_words && with_dict;
    check(artpack_compressor_create(&c, &p, with_dict ? fz_dict() : NULL, NULL), "compressor");
    check(artpack_frame_compress(c, frame, cap, content, n, &w), "compress");
    artpack_compressor_free(c);
    check(artpack_frame_info_get(&info, frame, w), "frame info");
    if (info.uses_dict) mode |= 2;
    if (info.codec == ARTPACK_CODEC_ZSTD) mode &= ~(unsigned)M_LZ4_DEC;
    /* decode it as fuzz_frame.c does with this mode: it must succeed */
    dst_cap = ((mode >> 2) & 3) == 3 ? (size_t)1 << 20 : info.content_size;
    if (((mode >> 2) & 3) != 0 && ((mode >> 2) & 3) != 3) die("destination mode not supported", label);
    out = (unsigned char *)malloc(dst_cap ? dst_cap : 1);
    if (out == NULL) die("out of memory", NULL);
    check(artpack_decompressor_init(&d, dec_ws, sizeof dec_ws,
                                    (mode & 1) ? ARTPACK_CODEC_LZ4 : ARTPACK_CODEC_ZSTD,
                                    (mode & 2) ? fz_dict() : NULL, windows[(mode >> 4) & 3]),
          "decompressor");
    check(artpack_frame_decompress(d, dst_cap ? out : NULL, dst_cap, frame, w, &got), label);
    if (got != n || (n && memcmp(out, content, n) != 0)) die("round trip differs", label);
    free(out);
    snprintf(name, sizeof name, "seed-%s-%s%s%s%s%s", label, codec_name(info.codec),
             info.uses_dict ? "-dict" : "", info.uses_dict && !info.has_dict_id ? "-noid" : "",
             info.has_checksum ? "" : "-nosum", info.words ? "-words" : "");
    m = (unsigned char)mode;
    put_file(0, name, &m, 1, frame, w, FRAME_SEED_MAX);
    free(frame);
}

static void content_seed(const char *label, const unsigned char *content, size_t n) {
    char name[128];
    unsigned char m = M_CONTENT;
    if (n > 4096) die("content seed over the 4096 bytes fuzz_frame.c round-trips", label);
    snprintf(name, sizeof name, "seed-content-%s", label);
    put_file(0, name, &m, 1, content, n, FRAME_SEED_MAX);
}

static void frame_seeds(void) {
    const artpack_codec Z = ARTPACK_CODEC_ZSTD, L = ARTPACK_CODEC_LZ4, S = ARTPACK_CODEC_STORED;
    const seed_record *seed = find_record("seed-01");
    ap_buf cat = {NULL, 0, 0}; /* the distinct records end to end, up to 4 KB */
    size_t u;
    if (seed == NULL) die("no article seed-01 (tests/data/seed.jsonl) among the fixtures", NULL);
    for (u = 0; u < uniq_count; u++)
        if (cat.len + uniq[u]->n <= 4096 && ap_buf_put(&cat, uniq[u]->p, uniq[u]->n))
            die("out of memory", NULL);

    /* the largest article: every codec, with and without the dictionary */
    frame_seed("seed", seed->p, seed->n, Z, 19, 0, 0, 1, M_WIN_23);
    frame_seed("seed", seed->p, seed->n, Z, 3, 1, 1, 1, M_WIN_23);
    frame_seed("seed", seed->p, seed->n, Z, 3, 1, 0, 0, M_WIN_23);
    frame_seed("seed", seed->p, seed->n, L, 9, 0, 0, 1, M_LZ4_DEC);
    frame_seed("seed", seed->p, seed->n, L, 12, 1, 1, 1, M_LZ4_DEC);
    frame_seed("seed", seed->p, seed->n, L, 9, 1, 0, 0, M_LZ4_DEC | M_DST_1MB);
    frame_seed("seed", seed->p, seed->n, S, 0, 0, 0, 1, M_LZ4_DEC);
    /* several records end to end (what a block holds) */
    frame_seed("all", cat.data, cat.len, Z, 3, 1, 1, 1, M_WIN_16);
    frame_seed("all", cat.data, cat.len, Z, 19, 0, 0, 1, M_WIN_23 | M_DST_1MB);
    frame_seed("all", cat.data, cat.len, L, 9, 1, 1, 1, M_LZ4_DEC);
    frame_seed("all", cat.data, cat.len, L, 9, 0, 0, 0, 0);
    frame_seed("all", cat.data, cat.len, S, 0, 0, 0, 1, M_DST_1MB);
    /* the word transform (the dictionary's list) on zstd and LZ4 */
    seed_words = 1;
    frame_seed("seed", seed->p, seed->n, Z, 3, 1, 1, 1, M_WIN_23);
    frame_seed("seed", seed->p, seed->n, L, 9, 1, 0, 0, M_LZ4_DEC);
    frame_seed("all", cat.data, cat.len, Z, 19, 1, 0, 1, M_WIN_23);
    frame_seed("all", cat.data, cat.len, L, 12, 1, 1, 1, M_LZ4_DEC | M_DST_1MB);
    seed_words = 0;
    /* each of the other articles, codecs and options in turn (small records
     * often come out stored: the compressor keeps the smaller) */
    {
        static const struct {
            artpack_codec codec;
            int level, with_dict, dict_id, checksum;
            unsigned mode;
        } turn[6] = {{ARTPACK_CODEC_ZSTD, 3, 1, 1, 1, M_WIN_23},
                     {ARTPACK_CODEC_LZ4, 9, 1, 1, 1, M_LZ4_DEC},
                     {ARTPACK_CODEC_ZSTD, 19, 0, 0, 1, M_WIN_16},
                     {ARTPACK_CODEC_LZ4, 12, 0, 0, 0, 0},
                     {ARTPACK_CODEC_STORED, 0, 0, 0, 1, M_LZ4_DEC},
                     {ARTPACK_CODEC_ZSTD, 3, 1, 0, 0, M_WIN_23 | M_DST_1MB}};
        size_t t = 0;
        for (u = 0; u < uniq_count; u++) {
            const seed_record *r = uniq[u];
            if (r == seed) continue;
            frame_seed(r->name, r->p, r->n, turn[t % 6].codec, turn[t % 6].level,
                       turn[t % 6].with_dict, turn[t % 6].dict_id, turn[t % 6].checksum,
                       turn[t % 6].mode);
            t++;
        }
    }
    /* mode 64: content round trips */
    content_seed("seed", seed->p, seed->n);
    content_seed("all", cat.data, cat.len);
    for (u = 0; u < uniq_count && u < 4; u++)
        if (uniq[u] != seed) content_seed(uniq[u]->name, uniq[u]->p, uniq[u]->n);
    ap_buf_free(&cat);
}

/* ---- bundle seeds ---- */

typedef struct mem_file {
    const unsigned char *p;
    size_t n;
} mem_file;

static int buf_write(void *opaque, const void *data, size_t size) {
    return ap_buf_put((ap_buf *)opaque, data, size) ? -1 : 0;
}

static int buf_read(void *opaque, uint64_t off, void *dst, size_t size) {
    const ap_buf *b = (const ap_buf *)opaque;
    if (off > b->len || size > b->len - off) return -1;
    if (size) memcpy(dst, b->data + off, size);
    return 0;
}

static int mem_read(void *opaque, uint64_t off, void *dst, size_t size) {
    const mem_file *f = (const mem_file *)opaque;
    if (off > f->n || size > f->n - off) return -1;
    if (size) memcpy(dst, f->p + off, size);
    return 0;
}

/* Reads the bundle back as fuzz_bundle.c would (dict: the reader's, or NULL
 * for the embedded one) and checks every article, block and the index; the
 * last index segment must start at or after min_last_segment. */
static void check_bundle(const char *name, const ap_buf *b, const artpack_dict *dict,
                         uint64_t min_last_segment) {
    mem_file f;
    artpack_bundle_info info;
    artpack_bundle_reader *r = NULL;
    size_t ws, i;
    void *mem;
    uint64_t blk;
    f.p = b->data;
    f.n = b->len;
    check(artpack_bundle_info_get(&info, mem_read, &f, b->len), name);
    if (info.article_count != all_count || info.end_offset != b->len || info.block_count < 2 ||
        info.last_segment < min_last_segment)
        die("unexpected bundle info", name);
    ws = artpack_bundle_reader_workspace_size(&info, dict == NULL);
    mem = malloc(ws);
    if (mem == NULL) die("out of memory", NULL);
    check(artpack_bundle_reader_open(&r, mem, ws, &info, info.dict_id ? dict : NULL, mem_read, &f),
          name);
    check(artpack_bundle_check_index(r), name);
    for (blk = 0; blk < info.block_count; blk++) check(artpack_bundle_check_block(r, blk, NULL, NULL), name);
    for (i = 0; i < all_count; i++) {
        const void *rec;
        size_t len;
        check(artpack_bundle_get(r, i, &rec, &len), name);
        if (len != all_recs[i].n || memcmp(rec, all_recs[i].p, len) != 0)
            die("article differs", name);
    }
    free(mem);
}

/* Packs every article into a bundle (split > 0: the first split articles in
 * one commit, the rest appended in a second), checks it and writes
 * bundle/seed-<name> with byte 0 = reader_dict. */
static void bundle_seed(const char *name, artpack_codec codec, int level, size_t block_size,
                        int with_dict, int embed, size_t split, int reader_dict, int columns,
                        int words, int similar) {
    ap_buf out = {NULL, 0, 0};
    artpack_bundle_params p;
    artpack_bundle_writer *w = NULL;
    const artpack_dict *dict = !with_dict ? NULL : codec == ARTPACK_CODEC_CM ? fz_cm_model() : fz_dict();
    size_t i, first = split ? split : all_count, first_end;
    unsigned char mode = (unsigned char)(reader_dict ? 1 : 0);
    memset(&p, 0, sizeof p);
    p.codec = codec;
    p.level = level;
    p.block_size = block_size;
    p.embed_dict = embed;
    p.columns = columns;
    p.words = words;
    p.similar = similar;
    p.similar_window = 4 * block_size;
    check(artpack_bundle_writer_create(&w, &p, dict, NULL, buf_write, &out), name);
    for (i = 0; i < first; i++) check(artpack_bundle_writer_add(w, all_recs[i].p, all_recs[i].n), name);
    check(artpack_bundle_writer_commit(w), name);
    artpack_bundle_writer_free(w);
    first_end = out.len;
    if (split) { /* reopen the committed bundle and append the rest */
        mem_file f;
        artpack_bundle_info info;
        f.p = out.data;
        f.n = out.len;
        check(artpack_bundle_info_get(&info, mem_read, &f, out.len), name);
        check(artpack_bundle_appender_open(&w, &info, dict, NULL, buf_write, &out, buf_read, &out), name);
        for (; i < all_count; i++)
            check(artpack_bundle_writer_add(w, all_recs[i].p, all_recs[i].n), name);
        check(artpack_bundle_writer_commit(w), name);
        artpack_bundle_writer_free(w);
    }
    check_bundle(name, &out, !reader_dict ? NULL : codec == ARTPACK_CODEC_CM ? fz_cm_model() : fz_dict(),
                 split ? first_end : 0);
    put_file(1, name, &mode, 1, out.data, out.len, BUNDLE_SEED_MAX);
    ap_buf_free(&out);
}

/* ap_columns_words' transform: the writer's (bundle_write.c). */
static size_t words_text(const void *e, unsigned char *dst, const unsigned char *src, size_t n) {
    int in_place;
    return ap_words_apply((const ap_words_enc *)e, dst, src, n, &in_place);
}

static void bundle_seeds(void) {
    const artpack_codec Z = ARTPACK_CODEC_ZSTD, L = ARTPACK_CODEC_LZ4, S = ARTPACK_CODEC_STORED,
                        C = ARTPACK_CODEC_CM;
    static const unsigned char json_zstd[2] = {2, 16}, json_lz4[2] = {6, 1}, json_cols[2] = {10, 16},
                               json_words[2] = {26, 16}, json_sim[2] = {58, 8};
    bundle_seed("seed-zstd-1k", Z, 3, 1024, 0, 0, 0, 0, 0, 0, 0);
    bundle_seed("seed-zstd-dict-2k", Z, 19, 2048, 1, 0, 0, 1, 0, 0, 0);
    bundle_seed("seed-zstd-embedded-4k", Z, 3, 4096, 1, 1, 0, 0, 0, 0, 0);
    bundle_seed("seed-lz4-2k", L, 9, 2048, 0, 0, 0, 0, 0, 0, 0);
    bundle_seed("seed-zstd-columns-dict-2k", Z, 19, 2048, 1, 1, 0, 1, 1, 0, 0);
    bundle_seed("seed-appended-zstd-columns-1k", Z, 3, 1024, 1, 0, all_count / 2, 1, 1, 0, 0);
    bundle_seed("seed-stored-columns-1k", S, 0, 1024, 0, 0, 0, 0, 1, 0, 0);
    bundle_seed("seed-lz4-dict-1k", L, 12, 1024, 1, 0, 0, 1, 0, 0, 0);
    bundle_seed("seed-stored-1k", S, 0, 1024, 0, 0, 0, 0, 0, 0, 0);
    bundle_seed("seed-appended-zstd-dict-1k", Z, 3, 1024, 1, 0, all_count / 2, 1, 0, 0, 0);
    bundle_seed("seed-appended-lz4-2k", L, 9, 2048, 0, 0, all_count / 2, 0, 0, 0, 0);
    /* word envelopes (the dictionary's word list) */
    bundle_seed("seed-words-zstd-columns-dict-2k", Z, 19, 2048, 1, 0, 0, 1, 1, 1, 0);
    bundle_seed("seed-words-zstd-embedded-4k", Z, 3, 4096, 1, 1, 0, 0, 0, 1, 0);
    bundle_seed("seed-words-lz4-dict-1k", L, 12, 1024, 1, 0, 0, 1, 0, 1, 0);
    bundle_seed("seed-words-appended-zstd-columns-1k", Z, 3, 1024, 1, 0, all_count / 2, 1, 1, 1, 0);
    /* CM (level 1, fz_cm_model: the reader gets it with byte 0 bit 0) */
    bundle_seed("seed-cm-model-2k", C, 0, 2048, 1, 0, 0, 1, 0, 0, 0);
    bundle_seed("seed-cm-embedded-4k", C, 0, 4096, 1, 1, 0, 0, 0, 0, 0);
    bundle_seed("seed-appended-cm-model-1k", C, 0, 1024, 1, 0, all_count / 2, 1, 0, 0, 0);
    bundle_seed("seed-cm-unprimed-1k", C, 1, 1024, 0, 0, 0, 0, 0, 0, 0);
    /* articles assigned to blocks by similarity: block maps in the index
     * (with word envelopes too: pack's default) */
    bundle_seed("seed-similar-zstd-columns-1k", Z, 3, 1024, 1, 1, 0, 0, 1, 0, 1);
    bundle_seed("seed-similar-appended-stored-1k", S, 0, 1024, 0, 0, all_count / 2, 0, 0, 0, 1);
    bundle_seed("seed-similar-words-zstd-columns-dict-1k", Z, 3, 1024, 1, 0, all_count / 2, 1, 1,
                1, 1);
    /* JSON mode: zstd with 1025-byte blocks (byte 1 = 16) over every line;
     * LZ4 with 65-byte blocks (byte 1 = 1) over the first three */
    put_file(1, "seed-json-zstd", json_zstd, 2, json_lines.data, json_lines.len, BUNDLE_SEED_MAX);
    put_file(1, "seed-json-lz4", json_lz4, 2, json_lines.data,
             json_line_ends[json_line_count < 3 ? json_line_count - 1 : 2], BUNDLE_SEED_MAX);
    put_file(1, "seed-json-zstd-columns", json_cols, 2, json_lines.data, json_lines.len,
             BUNDLE_SEED_MAX);
    put_file(1, "seed-json-zstd-columns-words", json_words, 2, json_lines.data, json_lines.len,
             BUNDLE_SEED_MAX);
    put_file(1, "seed-json-zstd-similar", json_sim, 2, json_lines.data, json_lines.len,
             BUNDLE_SEED_MAX);
    { /* columnar content (byte 0 = 8): the first articles' block, as columns */
        ap_buf rows = {NULL, 0, 0}, sizes = {NULL, 0, 0}, recs = {NULL, 0, 0};
        unsigned char mode = 8, *cols;
        size_t k, n = all_count < 16 ? all_count : 16, got = 0;
        for (k = 0; k < n; k++)
            if (ap_buf_put_varint(&sizes, all_recs[k].n) ||
                ap_buf_put(&recs, all_recs[k].p, all_recs[k].n))
                die("out of memory", NULL);
        if (ap_buf_put_varint(&rows, n) || ap_buf_put(&rows, sizes.data, sizes.len) ||
            ap_buf_put(&rows, recs.data, recs.len))
            die("out of memory", NULL);
        cols = (unsigned char *)malloc(ap_columns_bound(rows.len, (uint32_t)n));
        if (cols == NULL) die("out of memory", NULL);
        check(ap_columns_encode(cols, ap_columns_bound(rows.len, (uint32_t)n), rows.data, rows.len,
                                &got),
              "seed-columns-content");
        put_file(1, "seed-columns-content", &mode, 1, cols, got, BUNDLE_SEED_MAX);
        { /* and as word columns (byte 0 = 24), with the test dictionary's list */
            ap_words_enc *e = NULL;
            unsigned char *wc = (unsigned char *)malloc(ap_words_wrap_bound(got)), wmode = 24;
            size_t wn;
            if (wc == NULL) die("out of memory", NULL);
            check(ap_words_enc_create(&e, fz_dict()->words, ap_allocator_or_default(NULL)),
                  "seed-word-columns-content");
            wn = ap_columns_words(words_text, e, wc, cols, got);
            if (wn == 0) die("no word columns", "seed-word-columns-content");
            put_file(1, "seed-word-columns-content", &wmode, 1, wc, wn, BUNDLE_SEED_MAX);
            ap_words_enc_free(e);
            free(wc);
        }
        free(cols);
        ap_buf_free(&rows);
        ap_buf_free(&sizes);
        ap_buf_free(&recs);
    }
}

/* ---- CM seeds (input of fuzz_cm.c: byte 0 = mode) ---- */

/* A CM frame of content with fz_cm_model (model) or unprimed at level 1,
 * checked to decode; returns its size in frame (cap bytes). */
static size_t cm_frame(const unsigned char *content, size_t n, int model, int checksum,
                       unsigned char *frame, size_t cap, const char *label) {
    artpack_compress_params p;
    artpack_compressor *c = NULL;
    artpack_decompressor *d = NULL;
    size_t w = 0, got = 0, ws = artpack_cm_workspace_size(1);
    void *mem = malloc(ws);
    unsigned char *out = (unsigned char *)malloc(n + 1);
    if (mem == NULL || out == NULL) die("out of memory", NULL);
    memset(&p, 0, sizeof p);
    p.codec = ARTPACK_CODEC_CM;
    p.level = model ? 0 : 1;
    p.checksum = checksum;
    p.frame_dict_id = 1;
    check(artpack_compressor_create(&c, &p, model ? fz_cm_model() : NULL, NULL), label);
    check(artpack_frame_compress(c, frame, cap, content, n, &w), label);
    artpack_compressor_free(c);
    check(artpack_decompressor_init(&d, mem, ws, ARTPACK_CODEC_CM, model ? fz_cm_model() : NULL, 0),
          label);
    check(artpack_frame_decompress(d, out, n, frame, w, &got), label);
    if (got != n || (n && memcmp(out, content, n) != 0)) die("round trip differs", label);
    free(mem);
    free(out);
    return w;
}

static void cm_seeds(void) {
    const seed_record *seed = find_record("seed-01");
    unsigned char frame[ARTPACK_FRAME_BOUND(4096)], m;
    size_t u, w, done = 0;
    char name[128];
    artpack_frame_info info;
    /* mode 2: the model itself */
    m = 2;
    put_file(2, "seed-model", &m, 1, (const unsigned char *)fz_cm_model()->data,
             fz_cm_model()->size, FRAME_SEED_MAX);
    for (u = 0; u < uniq_count && done < 4; u++) {
        const seed_record *r = uniq[u];
        if (r->n > 4096 || r->n < 40) continue;
        /* mode 3: content round trips */
        m = 3;
        snprintf(name, sizeof name, "seed-content-%s", r->name);
        put_file(2, name, &m, 1, r->p, r->n, FRAME_SEED_MAX);
        /* mode 0: a frame for the primed decompressor, the exact destination;
         * mode 4: one byte short */
        w = cm_frame(r->p, r->n, 1, 1, frame, sizeof frame, r->name);
        check(artpack_frame_info_get(&info, frame, w), r->name);
        if (info.codec != ARTPACK_CODEC_CM) continue; /* stored: not what this target is for */
        m = 0;
        snprintf(name, sizeof name, "seed-frame-%s", r->name);
        put_file(2, name, &m, 1, frame, w, FRAME_SEED_MAX);
        if (done == 0) {
            m = 4;
            snprintf(name, sizeof name, "seed-frame-short-%s", r->name);
            put_file(2, name, &m, 1, frame, w, FRAME_SEED_MAX);
        }
        /* mode 5: the payload (with the model, no checksum) after the
         * content size in two bytes */
        if (r->n < 0x4000) {
            unsigned char head[3];
            w = cm_frame(r->p, r->n, 1, 0, frame, sizeof frame, r->name);
            check(artpack_frame_info_get(&info, frame, w), r->name);
            head[0] = 5;
            head[1] = (unsigned char)r->n;
            head[2] = (unsigned char)(r->n >> 8);
            snprintf(name, sizeof name, "seed-payload-%s", r->name);
            put_file(2, name, head, 3, frame + info.header_size, w - info.header_size,
                     FRAME_SEED_MAX);
        }
        done++;
    }
    if (seed != NULL && seed->n <= 4096) { /* an unprimed frame (mode 1 takes it: no model) */
        unsigned char head[3];
        w = cm_frame(seed->p, seed->n, 0, 0, frame, sizeof frame, "seed-01");
        check(artpack_frame_info_get(&info, frame, w), "seed-01");
        if (info.codec == ARTPACK_CODEC_CM) {
            head[0] = 1;
            head[1] = (unsigned char)seed->n;
            head[2] = (unsigned char)(seed->n >> 8);
            put_file(2, "seed-payload-unprimed", head, 3, frame + info.header_size,
                     w - info.header_size, FRAME_SEED_MAX);
        }
    }
}

int main(int argc, char **argv) {
    size_t k;
    int i;
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTDIR FIXTURE.jsonl...\n"
                        "writes OUTDIR/frame/seed-*, OUTDIR/bundle/seed-*, OUTDIR/cm/seed-*\n",
                argv[0]);
        return 2;
    }
    out_dir = argv[1];
    for (i = 2; i < argc; i++) read_fixture(argv[i]);
    if (all_count < 4 || json_line_count == 0) die("too few fixture articles", NULL);
    frame_seeds();
    bundle_seeds();
    cm_seeds();
    for (k = 0; k < all_count; k++) free(all_recs[k].p);
    ap_buf_free(&json_lines);
    printf("seedgen: %s/frame: %zu seeds, %zu bytes; %s/bundle: %zu seeds, %zu bytes; %s/cm: "
           "%zu seeds, %zu bytes\n",
           out_dir, files_written[0], bytes_written[0], out_dir, files_written[1],
           bytes_written[1], out_dir, files_written[2], bytes_written[2]);
    return 0;
}
