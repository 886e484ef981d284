/* bundle_cmd.c - the bundle commands of the artpack tool: pack, unpack, get,
 * ls, append, verify, recover, merge. POSIX. */
#define _DEFAULT_SOURCE /* flock */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dupcheck.h"
#include "json.h"
#include "spool.h"

/* ---- files behind the library's callbacks ---- */

/* pread of exactly size bytes at off; opaque points at the descriptor. */
static int ap_fd_read(void *opaque, uint64_t off, void *dst, size_t size) {
    int fd = *(const int *)opaque;
    unsigned char *p = (unsigned char *)dst;
    while (size > 0) {
        ssize_t n = pread(fd, p, size, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static const char *ap_codec_name(artpack_codec c) {
    return c == ARTPACK_CODEC_ZSTD ? "zstd" : c == ARTPACK_CODEC_LZ4 ? "lz4"
                                  : c == ARTPACK_CODEC_STORED ? "stored"
                                  : c == ARTPACK_CODEC_CM ? "cm" : "unknown";
}

static void ap_report(const char *what, const char *path, artpack_error e) {
    ap_msg("%s: %s: %s (%s)", path, what, artpack_error_message(e), artpack_error_name(e));
}

/* An open bundle: its descriptor, info, dictionary and a reader. The reader
 * reads through pread what it needs (docs/FORMAT.md "Reading"): opening
 * costs a few reads, an article one block. */
typedef struct ap_bundle_in {
    const char *path;
    int fd;
    uint64_t size;
    artpack_bundle_info info;
    ap_buf dict_buf;
    artpack_dict dict;
    int has_dict;
    int info_only;       /* the header and footer only: no dictionary, no reader */
    void *ws;
    artpack_bundle_reader *r;
    uint64_t walk_block; /* a walk's article: the block it came from (ap_walk) */
} ap_bundle_in;

static void ap_bundle_close(ap_bundle_in *b) {
    if (b->fd > 0) close(b->fd);
    ap_buf_free(&b->dict_buf);
    free(b->ws);
    memset(b, 0, sizeof *b);
}

/* Standard input as a file the reader can pread: itself when it is one,
 * else a copy in an unlinked temporary file. -1 after reporting. */
int ap_stdin_file(void) {
    struct stat st;
    char tmp[] = "/tmp/artpack-stdin-XXXXXX";
    unsigned char buf[1 << 16];
    int fd;
    if (!ap_stdin_ok()) return -1;
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) return dup(STDIN_FILENO);
    fd = mkstemp(tmp);
    if (fd < 0) {
        ap_msg("(stdin): cannot spool it to a temporary file: %s", strerror(errno));
        return -1;
    }
    unlink(tmp);
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf), w = 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (n == 0) return fd;
        while (w < n) {
            ssize_t k = write(fd, buf + w, (size_t)(n - w));
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) goto fail;
            w += k;
        }
    }
fail:
    ap_msg("(stdin): cannot spool it to a temporary file: %s", strerror(errno));
    close(fd);
    return -1;
}

/* Opens path for reading (writable with for_append); 0, or 1 after
 * reporting. The embedded dictionary, if any and no -D, is loaded by the
 * reader into its workspace. */
static int ap_bundle_attach(const ap_options *o, ap_bundle_in *b);

#define AP_OPEN_READ 0
#define AP_OPEN_APPEND 1
#define AP_OPEN_INFO 2
static int ap_bundle_open_mode(const ap_options *o, const char *path, ap_bundle_in *b,
                               int mode) {
    int for_append = mode == AP_OPEN_APPEND;
    memset(b, 0, sizeof *b);
    b->info_only = mode == AP_OPEN_INFO;
    b->path = path;
    b->fd = strcmp(path, "-") == 0 ? ap_stdin_file() : open(path, for_append ? O_RDWR : O_RDONLY);
    if (b->fd < 0) {
        if (strcmp(path, "-") != 0) ap_msg("%s: %s", path, strerror(errno));
        b->fd = 0;
        return 1;
    }
    if (for_append && flock(b->fd, o->no_wait ? LOCK_EX | LOCK_NB : LOCK_EX) != 0) {
        if (errno == EWOULDBLOCK)
            ap_msg("%s: another artpack is writing to it (--no-wait given): nothing appended",
                   path);
        else
            ap_msg("%s: cannot lock it: %s", path, strerror(errno));
        return 1;
    }
    return ap_bundle_attach(o, b);
}

/* The rest of opening b (b->path and b->fd set): its info, dictionary and
 * reader. 0, or 1 after reporting. */
static int ap_bundle_attach(const ap_options *o, ap_bundle_in *b) {
    artpack_error e;
    struct stat st;
    size_t ws;
    const char *path = b->path;
    if (fstat(b->fd, &st) != 0) {
        ap_msg("%s: %s", ap_name(path), strerror(errno));
        return 1;
    }
    b->size = (uint64_t)st.st_size;
    e = artpack_bundle_info_get(&b->info, ap_fd_read, &b->fd, b->size);
    if (e != ARTPACK_OK) {
        ap_kind k = ap_sniff_fd(b->fd);
        if (k == AP_KIND_RECORDS || k == AP_KIND_COMPRESSED || k == AP_KIND_DICT)
            ap_msg("%s is %s, not a bundle (%s): %s", ap_name(path), ap_kind_name(k),
                   artpack_error_name(e), ap_kind_hint(k));
        else if (k == AP_KIND_JSON)
            ap_msg("%s is %s, not a bundle (%s): `artpack pack` makes a bundle of it",
                   ap_name(path), ap_kind_name(k), artpack_error_name(e));
        else if (k != AP_KIND_UNKNOWN && k != AP_KIND_BUNDLE)
            ap_msg("%s is %s, not a bundle (%s)%s%s", ap_name(path), ap_kind_name(k),
                   artpack_error_name(e), *ap_kind_hint(k) ? ": " : "", ap_kind_hint(k));
        else
            ap_report("cannot open the bundle", ap_name(path), e);
        return 1;
    }
    if (b->info_only) return 0;
    if (o->dict_path != NULL && b->info.dict_id != 0) {
        if (ap_load_dict(o, &b->dict_buf, &b->dict)) return 1;
        b->has_dict = 1;
    } else if (b->info.dict_id != 0 && !b->info.dict_embedded) {
        ap_msg("%s: made with dictionary ID %u: give it with -D DICT (%s)", ap_name(path),
               (unsigned)b->info.dict_id, artpack_error_name(ARTPACK_E_NEED_DICT));
        return 1;
    }
    if (b->has_dict && b->dict.id != b->info.dict_id) {
        ap_msg("%s: made with dictionary ID %u, but %s has ID %u (%s)%s", ap_name(path),
               (unsigned)b->info.dict_id, o->dict_path, (unsigned)b->dict.id,
               artpack_error_name(ARTPACK_E_WRONG_DICT),
               b->info.dict_embedded ? "; the bundle embeds its own: leave -D out" : "");
        return 1;
    }
    ws = artpack_bundle_reader_workspace_size(&b->info, !b->has_dict);
    b->ws = ap_malloc(ws);
    if (b->ws == NULL) {
        ap_msg("out of memory");
        return 1;
    }
    e = artpack_bundle_reader_open(&b->r, b->ws, ws, &b->info, b->has_dict ? &b->dict : NULL,
                                   ap_fd_read, &b->fd);
    if (e != ARTPACK_OK) {
        ap_report("cannot read the bundle", ap_name(path), e);
        return 1;
    }
    if (b->info.recovered_footer && !o->quiet)
        ap_msg("%s: the end of the file is not a committed append (%llu bytes after the last "
               "footer, e.g. an interrupted append): they are ignored",
               ap_name(path), (unsigned long long)(b->size - b->info.end_offset));
    return 0;
}

static int ap_bundle_open(const ap_options *o, const char *path, ap_bundle_in *b) {
    return ap_bundle_open_mode(o, path, b, AP_OPEN_READ);
}

/* Article n as a JSON line appended to out; 0, or 1 after reporting. */
static int ap_article_json(const ap_bundle_in *b, uint64_t n, ap_buf *out) {
    const void *rec;
    size_t size, where = 0;
    artpack_article a;
    char err[256];
    artpack_error e = artpack_bundle_get(b->r, n, &rec, &size);
    if (e == ARTPACK_OK) e = artpack_record_decode(&a, rec, size, &where);
    if (e != ARTPACK_OK) {
        ap_msg("%s: article %llu: %s (%s)", ap_name(b->path), (unsigned long long)n,
               artpack_error_message(e), artpack_error_name(e));
        return 1;
    }
    if (ap_json_write_article(out, &a, err, sizeof err)) {
        ap_msg("%s: article %llu: %s", ap_name(b->path), (unsigned long long)n, err);
        return 1;
    }
    return 0;
}

/* Opens o->output for streaming; 0, or 1 after reporting. */
static int ap_out_start(const ap_options *o, ap_out *out) {
    char err[512];
    if (ap_out_open(out, o->output, o->force, err, sizeof err)) {
        ap_msg("%s", err);
        return 1;
    }
    return 0;
}

static int ap_out_finish(ap_out *out) {
    char err[512];
    if (ap_out_commit(out, err, sizeof err)) {
        ap_msg("%s", err);
        return 1;
    }
    return 0;
}

/* Moves what line holds to out (a line buffer, emptied); 0, or 1 after
 * reporting a failed write. */
static int ap_out_drain(ap_out *out, ap_buf *line) {
    if (ap_out_write(out, line->data, line->len)) {
        ap_msg("writing %s: %s", ap_out_name(out),
               strerror(out->err_no));
        return 1;
    }
    line->len = 0;
    return 0;
}

/* ---- pack ---- */

static artpack_bundle_params ap_bundle_params(const ap_options *o) {
    artpack_bundle_params p;
    memset(&p, 0, sizeof p);
    p.codec = (artpack_codec)o->codec;
    p.level = o->level;
    p.block_size = o->block_size;
    p.embed_dict = o->embed_dict || o->train_dict;
    /* zstd: columnar blocks unless --rows (measured: -0.8 % on bbc, -4.6 %
     * on reuters21578 with its own dictionary, 1 MB blocks) */
    p.columns = p.codec == ARTPACK_CODEC_ZSTD && !o->rows;
    /* the dictionary's word transform when it holds a word list, unless
     * --no-words (ap_bundle_out_writer) */
    p.words = !o->no_words;
    /* similarity: by default where compressing costs far more than the
     * ordering (levels 10 and up, the zstd and LZ4 defaults among them, and
     * CM); at zstd -3 the ordering took twice the compression's CPU and
     * pack -3 -T 2 on 1,000,000 articles 73.5 s against zstd -3 -T2's 7 s
     * (make bench-scale on cde3c47) */
    p.similar = o->similar > 0 ||
                (o->similar < 0 && p.codec != ARTPACK_CODEC_STORED &&
                 (p.codec == ARTPACK_CODEC_CM || p.level == 0 || p.level >= 10));
    return p;
}

/* A bundle being written to o->output as it is made. */
typedef struct ap_bundle_out {
    ap_out out;
    ap_spool spill; /* the writer's id hashes: its memory does not grow with the articles */
    ap_async *async; /* -T N: the compression threads */
    artpack_bundle_writer *w;
    size_t articles;
    ap_progress prog;
    artpack_error e;
} ap_bundle_out;

/* The bundle's writer on bo->out (opened by ap_bundle_out_open). */
static int ap_bundle_out_writer(const ap_options *o, const artpack_bundle_params *params,
                                const artpack_dict *dict, ap_bundle_out *bo) {
    artpack_bundle_params p = *params;
    /* the word transform (asked for unless --no-words) needs a word list */
    if (dict == NULL || dict->words == NULL) p.words = 0;
    ap_progress_start(&bo->prog, o, o->command, "articles");
    bo->e = artpack_bundle_writer_create(&bo->w, &p, dict, &ap_tool_allocator, ap_out_write_cb,
                                         &bo->out);
    if (bo->e == ARTPACK_OK)
        bo->e = artpack_bundle_writer_set_spill(bo->w, ap_spool_write_cb, ap_spool_read_cb,
                                                &bo->spill);
    if (bo->e == ARTPACK_OK && o->threads > 1 && (bo->async = ap_async_new(o->threads)) == NULL)
        bo->e = ARTPACK_E_ALLOC;
    if (bo->e == ARTPACK_OK && o->threads > 1)
        bo->e = artpack_bundle_writer_set_pipeline(bo->w, o->threads, ap_parallel_start,
                                                   ap_parallel_wait, bo->async);
    if (bo->e != ARTPACK_OK) {
        ap_msg("cannot write the bundle: %s (%s)", artpack_error_message(bo->e),
               artpack_error_name(bo->e));
        artpack_bundle_writer_free(bo->w);
        bo->w = NULL;
        ap_async_free(bo->async);
        bo->async = NULL;
        ap_out_abort(&bo->out);
        return 1;
    }
    return 0;
}

static int ap_bundle_out_open(const ap_options *o, ap_bundle_out *bo) {
    memset(bo, 0, sizeof *bo);
    ap_spool_init(&bo->spill, "the bundle's id index");
    return ap_out_start(o, &bo->out);
}

static int ap_bundle_out_start(const ap_options *o, const artpack_bundle_params *p,
                               const artpack_dict *dict, ap_bundle_out *bo) {
    return ap_bundle_out_open(o, bo) || ap_bundle_out_writer(o, p, dict, bo);
}

/* An ap_emit_fn: one record into the bundle. */
static int ap_bundle_out_add(void *ctx, const unsigned char *record, size_t size) {
    ap_bundle_out *bo = (ap_bundle_out *)ctx;
    if (bo->e == ARTPACK_OK) bo->e = artpack_bundle_writer_add(bo->w, record, size);
    if (bo->e != ARTPACK_OK) return 1;
    bo->articles++;
    ap_progress_update(&bo->prog, bo->articles, 0, bo->out.bytes);
    return 0;
}

/* Commits and renames into place (ok), or removes the temporary file. */
static int ap_bundle_out_end(ap_bundle_out *bo, int ok) {
    ap_progress_end(&bo->prog);
    if (ok && bo->e == ARTPACK_OK) bo->e = artpack_bundle_writer_commit(bo->w);
    artpack_bundle_writer_free(bo->w);
    bo->w = NULL;
    ap_async_free(bo->async);
    bo->async = NULL;
    ap_spool_close(&bo->spill);
    if (!ok) {
        ap_out_abort(&bo->out);
        return 1;
    }
    if (bo->e != ARTPACK_OK) {
        if (bo->e == ARTPACK_E_WRITE && bo->out.err_no)
            ap_msg("writing %s: %s", ap_out_name(&bo->out),
                   strerror(bo->out.err_no));
        else
            ap_msg("cannot write the bundle: %s (%s)", artpack_error_message(bo->e),
                   artpack_error_name(bo->e));
        ap_out_abort(&bo->out);
        return 1;
    }
    return ap_out_finish(&bo->out);
}

static void ap_bundle_summary(const char *what, const char *path, uint64_t bytes, size_t articles,
                              uint64_t json_bytes) {
    artpack_bundle_info info;
    int fd = strcmp(path, "-") == 0 ? -1 : open(path, O_RDONLY);
    if (fd < 0) {
        ap_msg("%s: %zu articles, %llu B of JSON -> %llu B bundle", what, articles,
               (unsigned long long)json_bytes, (unsigned long long)bytes);
        return;
    }
    if (artpack_bundle_info_get(&info, ap_fd_read, &fd, bytes) != ARTPACK_OK) {
        close(fd);
        return;
    }
    close(fd);
    ap_msg("%s: %zu articles, %llu B of JSON -> %llu B bundle (%.1f%%): %llu blocks, "
           "dictionary %s, largest block %zu B; reader memory %zu B (%zu B reading in place)",
           what, articles, (unsigned long long)json_bytes, (unsigned long long)bytes,
           json_bytes ? 100.0 * (double)bytes / (double)json_bytes : 0.0,
           (unsigned long long)info.block_count,
           info.dict_id == 0 ? "none" : info.dict_embedded ? "embedded" : "named",
           info.max_block_content, artpack_bundle_reader_workspace_size(&info, 0),
           artpack_bundle_reader_workspace_size_mapped(&info, 0));
}

/* Writes count records (laid end to end) as a new bundle to o->output. */
static int ap_write_bundle(const ap_options *o, const artpack_dict *dict, const ap_buf *records,
                           const size_t *sizes, size_t count, uint64_t *bytes) {
    artpack_bundle_params p = ap_bundle_params(o);
    ap_bundle_out bo;
    size_t i, pos = 0;
    if (ap_bundle_out_start(o, &p, dict, &bo)) return 1;
    for (i = 0; i < count; i++) {
        if (ap_bundle_out_add(&bo, records->data + pos, sizes[i])) break;
        pos += sizes[i];
    }
    *bytes = bo.out.bytes;
    return ap_bundle_out_end(&bo, 1);
}

/* pack without -D or --train, zstd: the first AP_AUTO_WINDOW bytes of
 * records are held; a dictionary is trained on them when it pays (of the
 * size ap_auto_dict_size says, or --size) and embedded; then they and the
 * rest go to the bundle as they are read. */
#define AP_AUTO_WINDOW ((size_t)16 << 20)

typedef struct ap_auto_pack {
    const ap_options *o;
    ap_record_list win;      /* the records held until the writer starts */
    ap_bundle_out *bo;       /* opened; its writer made by ap_auto_start */
    int started;
    ap_buf *dict_buf;
    artpack_dict *dict;
} ap_auto_pack;

/* The dictionary trained on the window, when it pays: 1 made, 0 none (too
 * few records, or too alike for a dictionary). Deterministic. */
static int ap_auto_train(ap_auto_pack *a) {
    const ap_options *o = a->o;
    size_t size = ap_auto_dict_size(a->win.records.len, o->block_size);
    artpack_train_params tp;
    size_t written = 0;
    if (size == 0 || a->win.count > 0xFFFFFFFFu) return 0;
    if (o->dict_size) size = o->dict_size;
    memset(&tp, 0, sizeof tp);
    tp.dict_size = size;
    tp.level = o->level;
    /* with a word list (its length chosen by the trainer's measure; none
     * with --no-words): measured with pack -19 without -D, bbc 1,399,058 ->
     * 1,343,312 B, reuters21578 2,483,752 -> 2,366,610 B */
    tp.words = o->no_words ? -1 : 0;
    if (ap_buf_reserve(a->dict_buf, size)) return 0;
    if (artpack_dict_train(a->dict_buf->data, a->dict_buf->cap, a->win.records.data,
                           a->win.sizes, (unsigned)a->win.count, &tp, &written) != ARTPACK_OK ||
        artpack_dict_load(a->dict, a->dict_buf->data, written) != ARTPACK_OK)
        return 0;
    a->dict_buf->len = written;
    if (o->verbose)
        ap_msg("pack: a dictionary of %zu B trained on the first %zu articles (%zu B of records), "
               "embedded", written, a->win.count, a->win.records.len);
    return 1;
}

/* The writer made (with the dictionary trained, if it pays) and the window
 * written to it. */
static int ap_auto_start(ap_auto_pack *a) {
    artpack_bundle_params p = ap_bundle_params(a->o);
    int has_dict = ap_auto_train(a);
    size_t i, pos = 0;
    p.embed_dict = has_dict;
    if (ap_bundle_out_writer(a->o, &p, has_dict ? a->dict : NULL, a->bo)) return 1;
    a->started = 1;
    for (i = 0; i < a->win.count; i++) {
        if (ap_bundle_out_add(a->bo, a->win.records.data + pos, a->win.sizes[i])) return 1;
        pos += a->win.sizes[i];
    }
    ap_record_list_free(&a->win);
    return 0;
}

/* An ap_emit_fn: into the window until it is full, then into the bundle. */
static int ap_auto_add(void *ctx, const unsigned char *record, size_t size) {
    ap_auto_pack *a = (ap_auto_pack *)ctx;
    if (a->started) return ap_bundle_out_add(a->bo, record, size);
    if (ap_record_list_add(&a->win, record, size)) return 1;
    return a->win.records.len >= AP_AUTO_WINDOW ? ap_auto_start(a) : 0;
}

int ap_cmd_pack(const ap_options *o) {
    ap_dup_check dc;
    ap_record_list recs;
    ap_auto_pack ap;
    ap_buf dict_buf = {NULL, 0, 0};
    artpack_dict dict;
    ap_bundle_out bo;
    artpack_bundle_params p = ap_bundle_params(o);
    size_t articles = 0, skipped = 0;
    uint64_t bytes = 0, json_bytes = 0;
    int i, rc = 1, has_dict = 0, streaming = 0, opened = 0;
    int auto_dict = !o->dict_path && !o->train_dict && !o->no_dict &&
                    o->codec == ARTPACK_CODEC_ZSTD;
    memset(&recs, 0, sizeof recs);
    ap_dup_init(&dc, o, ap_record_list_add, &recs, NULL);
    memset(&ap, 0, sizeof ap);
    if (o->dict_path && o->train_dict) {
        ap_usage_error("%s", "pack takes -D DICT or --train, not both");
        return 1;
    }
    if (o->no_dict && (o->dict_path || o->train_dict)) {
        ap_usage_error("%s", "--no-dict goes with neither -D DICT nor --train");
        return 1;
    }
    if (o->embed_dict && !o->dict_path && !o->train_dict) {
        ap_usage_error("%s", "--embed-dict needs -D DICT (or use --train)");
        return 1;
    }
    if (o->dict_path) {
        if (ap_load_dict(o, &dict_buf, &dict)) goto done;
        has_dict = 1;
    }
    /* without --train the records go straight into the bundle as they are
     * parsed (without -D, after a window held to train on); --train needs
     * them all first */
    if (auto_dict) {
        if (ap_bundle_out_open(o, &bo)) goto done;
        opened = 1;
        ap.o = o;
        ap.bo = &bo;
        ap.dict_buf = &dict_buf;
        ap.dict = &dict;
    } else if (!o->train_dict) {
        if (ap_bundle_out_start(o, &p, has_dict ? &dict : NULL, &bo)) goto done;
        streaming = 1;
    }
    ap_dup_init(&dc, o,
                auto_dict ? ap_auto_add : streaming ? ap_bundle_out_add : ap_record_list_add,
                auto_dict ? (void *)&ap : streaming ? (void *)&bo : (void *)&recs, NULL);
    for (i = 0; i < o->n_inputs; i++) {
        int bad = streaming || auto_dict
                      ? ap_pack_json_async(o, o->inputs[i], ap_dup_emit, &dc, &articles, &skipped,
                                           &json_bytes)
                      : ap_pack_json(o, o->inputs[i], ap_dup_emit, &dc, &articles, &skipped,
                                     &json_bytes);
        if (bad) goto done;
    }
    if (ap_dup_finish(&dc, "pack")) goto done; /* --unique: nothing written */
    if (auto_dict && !ap.started) {
        if (ap_auto_start(&ap)) goto done;
    }
    if (auto_dict) {
        opened = 0;
        streaming = 1;
    }
    if (streaming) {
        streaming = 0;
        bytes = bo.out.bytes;
        if (ap_bundle_out_end(&bo, 1)) goto done;
        bytes = bo.out.bytes;
    } else {
        artpack_error e;
        if (ap_train_records(o, &recs.records, recs.sizes, recs.count, &dict_buf)) goto done;
        e = artpack_dict_load(&dict, dict_buf.data, dict_buf.len);
        if (e != ARTPACK_OK) {
            ap_msg("the dictionary trained is not usable: %s (%s)", artpack_error_message(e),
                   artpack_error_name(e));
            goto done;
        }
        has_dict = 1;
        if (ap_write_bundle(o, &dict, &recs.records, recs.sizes, recs.count, &bytes)) goto done;
    }
    if (o->verbose || (skipped && !o->quiet)) {
        if (skipped) ap_msg("pack: %zu articles skipped", skipped);
        ap_bundle_summary("pack", o->output, bytes, articles, json_bytes);
    }
    rc = skipped ? AP_EXIT_SKIPPED : 0;
done:
    if (auto_dict && opened) {
        if (ap.started) { /* the writer exists: as a streaming pack */
            if (bo.e != ARTPACK_OK && bo.e != ARTPACK_E_WRITE)
                ap_msg("cannot write the bundle: %s (%s)", artpack_error_message(bo.e),
                       artpack_error_name(bo.e));
            ap_bundle_out_end(&bo, 0);
        } else if (bo.w == NULL) {
            ap_out_abort(&bo.out);
        }
    }
    if (streaming) {
        if (bo.e != ARTPACK_OK && bo.e != ARTPACK_E_WRITE)
            ap_msg("cannot write the bundle: %s (%s)", artpack_error_message(bo.e),
                   artpack_error_name(bo.e));
        ap_bundle_out_end(&bo, 0);
    }
    ap_record_list_free(&ap.win);
    ap_record_list_free(&recs);
    ap_buf_free(&dict_buf);
    ap_dup_free(&dc);
    return rc;
}

/* ---- reading commands ---- */

/* What a walk over a bundle's articles skipped (--keep-going). */
typedef struct ap_skips {
    uint64_t articles, blocks;
    uint64_t first_block; /* the first damaged block, for the summary */
} ap_skips;

/* Called with each article a walk reads; 0 to go on, 1 to stop (after
 * reporting), 2 to skip this article (after reporting: --keep-going). */
typedef int (*ap_article_fn)(void *ctx, uint64_t n, const artpack_article *a, size_t size);

/* The first article of block blk (the index says it even when the block is
 * damaged); article_count past the last block. 0, or -1 when the index
 * cannot tell. */
static int ap_block_first(ap_bundle_in *b, uint64_t blk, uint64_t *first) {
    uint32_t count = 0; /* > 0: the index entry was read, whatever the block holds */
    if (blk >= b->info.block_count) {
        *first = b->info.article_count;
        return 0;
    }
    (void)artpack_bundle_check_block(b->r, blk, first, &count);
    return count > 0 ? 0 : -1;
}

/* The block that holds article n and its articles [*first, *end): the next
 * block after hint when it starts at n, else a binary search over the blocks'
 * first articles (each probe decodes a block). 0, or -1. */
static int ap_block_of(ap_bundle_in *b, uint64_t n, uint64_t hint, uint64_t *blk,
                       uint64_t *first, uint64_t *end) {
    uint64_t lo = 0, hi = b->info.block_count, f;
    if (hi == 0) return -1;
    hi--;
    if (hint < b->info.block_count && ap_block_first(b, hint, &f) == 0 && f == n) {
        lo = hint;
    } else {
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo + 1) / 2;
            if (ap_block_first(b, mid, &f)) return -1;
            if (f <= n) lo = mid;
            else hi = mid - 1;
        }
    }
    if (ap_block_first(b, lo, first) || ap_block_first(b, lo + 1, end)) return -1;
    if (*first > n || *end <= n) return -1;
    *blk = lo;
    return 0;
}

static int ap_walk_on(const ap_options *o, ap_bundle_in *b, uint64_t from, uint64_t to,
                      ap_article_fn fn, void *ctx, ap_skips *sk, ap_progress *prog) {
    uint64_t n = from, next_block = 0, block_end = 0;
    while (n < to) {
        const void *rec;
        size_t size = 0, where = 0;
        artpack_article a;
        int r;
        artpack_error e;
        ap_progress_update(prog, n - from, to - from, 0);
        e = artpack_bundle_get(b->r, n, &rec, &size);
        if (e != ARTPACK_OK) {
            uint64_t blk, first, end;
            if (!o->keep_going ||
                ap_block_of(b, n, n == block_end ? next_block : 0, &blk, &first, &end)) {
                ap_msg("%s: article %llu: %s (%s)%s", ap_name(b->path), (unsigned long long)n,
                       artpack_error_message(e), artpack_error_name(e),
                       o->keep_going ? "" : "; --keep-going skips a damaged block");
                return 1;
            }
            if (end > to) end = to;
            if (!o->quiet)
                ap_msg("%s: block %llu (articles %llu to %llu) is damaged: %s (%s): skipped",
                       ap_name(b->path), (unsigned long long)blk, (unsigned long long)n,
                       (unsigned long long)(end - 1), artpack_error_message(e),
                       artpack_error_name(e));
            if (sk->blocks++ == 0) sk->first_block = blk;
            sk->articles += end - n;
            n = block_end = end;
            next_block = blk + 1;
            continue;
        }
        if (n >= block_end) { /* a new block: where it ends, for the hint above */
            artpack_bundle_location loc;
            b->walk_block = UINT64_MAX; /* unknown: ls asks the reader */
            if (artpack_bundle_locate(b->r, n, &loc) == ARTPACK_OK) {
                b->walk_block = loc.block;
                next_block = loc.block + 1;
                block_end = loc.block_first + loc.block_articles;
            }
            e = artpack_bundle_get(b->r, n, &rec, &size); /* the same block: no decoding */
            if (e != ARTPACK_OK) continue;
        }
        e = artpack_record_decode(&a, rec, size, &where);
        if (e != ARTPACK_OK) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s: article %llu: %s (%s, at byte %zu of its record)%s", ap_name(b->path),
                       (unsigned long long)n, artpack_error_message(e), artpack_error_name(e),
                       where, o->keep_going ? ": skipped" : "");
            if (!o->keep_going) return 1;
            sk->articles++;
            n++;
            continue;
        }
        r = fn(ctx, n, &a, size);
        if (r == 1) return 1;
        if (r == 2) sk->articles++;
        n++;
    }
    return 0;
}

/* A block's records, held while a walk in article order of a bundle with a
 * block map still needs some: its first slot, its records and how many are
 * still to be handed out. */
typedef struct ap_held {
    uint64_t first, block; /* its first slot, its block number */
    uint32_t count, left;
    uint64_t used;       /* when it was last used: the least recent goes first */
    size_t *at;          /* count + 1 offsets into data */
    unsigned char *data;
} ap_held;

/* At most this many blocks are held: a window's (ARTPACK_BUNDLE_SIMILAR_WINDOW_BLOCKS
 * of full blocks, more when the similarity cut leaves some less full); a
 * walk of a range that leaves some of a block's articles out drops it here. */
#define AP_HELD_MAX (2 * ARTPACK_BUNDLE_SIMILAR_WINDOW_BLOCKS)

static void ap_held_free(ap_held *h) {
    free(h->at);
    free(h->data);
    memset(h, 0, sizeof *h);
}

/* The block holding article n (slot s) copied into h: decoded once. */
static artpack_error ap_hold(ap_bundle_in *b, uint64_t n, ap_held *h) {
    artpack_bundle_location loc;
    const void *rec;
    size_t size, total = 0;
    uint32_t k;
    artpack_error e = artpack_bundle_locate(b->r, n, &loc);
    if (e != ARTPACK_OK) return e;
    h->first = loc.block_first;
    h->block = loc.block;
    h->count = h->left = loc.block_articles;
    h->at = (size_t *)malloc(((size_t)h->count + 1) * sizeof *h->at);
    if (h->at == NULL) return ARTPACK_E_ALLOC;
    for (k = 0; k < h->count; k++) { /* the same block: nothing decoded again */
        e = artpack_bundle_get_slot(b->r, h->first + k, &rec, &size);
        if (e != ARTPACK_OK) return e;
        h->at[k] = total;
        total += size;
    }
    h->at[h->count] = total;
    h->data = (unsigned char *)malloc(total ? total : 1);
    if (h->data == NULL) return ARTPACK_E_ALLOC;
    for (k = 0; k < h->count; k++) {
        e = artpack_bundle_get_slot(b->r, h->first + k, &rec, &size);
        if (e != ARTPACK_OK) return e;
        memcpy(h->data + h->at[k], rec, size);
    }
    return ARTPACK_OK;
}

/* Article n of a bundle with a block map, from the blocks held (loading its
 * block when none holds it, after dropping the least recently used one
 * when AP_HELD_MAX are held). */
static artpack_error ap_held_get(ap_bundle_in *b, ap_held *held, uint64_t n, uint64_t clock,
                                 const void **rec, size_t *size) {
    uint64_t s;
    unsigned i, free_i = AP_HELD_MAX, old = 0;
    ap_held *h = NULL;
    artpack_error e = artpack_bundle_slot(b->r, n, &s);
    if (e != ARTPACK_OK) return e;
    for (i = 0; i < AP_HELD_MAX && h == NULL; i++) {
        if (held[i].at == NULL) {
            if (free_i == AP_HELD_MAX) free_i = i;
        } else if (s >= held[i].first && s - held[i].first < held[i].count) {
            h = &held[i];
        } else if (held[i].used < held[old].used || held[old].at == NULL) {
            old = i;
        }
    }
    if (h == NULL) {
        h = &held[free_i == AP_HELD_MAX ? old : free_i];
        ap_held_free(h);
        e = ap_hold(b, n, h);
        if (e != ARTPACK_OK) {
            ap_held_free(h);
            return e;
        }
    }
    h->used = clock;
    b->walk_block = h->block;
    *rec = h->data + h->at[s - h->first];
    *size = h->at[s - h->first + 1] - h->at[s - h->first];
    return ARTPACK_OK;
}

/* After article n was handed out from its block: drop the block when it has
 * handed out all its articles. */
static void ap_held_done(ap_held *held, const void *rec) {
    unsigned i;
    for (i = 0; i < AP_HELD_MAX; i++)
        if (held[i].at != NULL && (const unsigned char *)rec >= held[i].data &&
            (const unsigned char *)rec <= held[i].data + held[i].at[held[i].count]) {
            if (--held[i].left == 0) ap_held_free(&held[i]);
            return;
        }
}

/* ap_walk_on for a bundle with a block map (articles are not stored in
 * order): each block is decoded once and its records held until the walk
 * has handed them all out, so memory is bounded by the blocks of one
 * similarity window. A damaged block costs its articles one by one. */
static int ap_walk_held(const ap_options *o, ap_bundle_in *b, uint64_t from, uint64_t to,
                        ap_article_fn fn, void *ctx, ap_skips *sk, ap_progress *prog) {
    ap_held held[AP_HELD_MAX];
    uint64_t n;
    unsigned i;
    int rc = 0;
    memset(held, 0, sizeof held);
    for (n = from; n < to && rc == 0; n++) {
        const void *rec = NULL;
        size_t size = 0, where = 0;
        artpack_article a;
        int r;
        artpack_error e;
        ap_progress_update(prog, n - from, to - from, 0);
        e = ap_held_get(b, held, n, n, &rec, &size);
        if (e == ARTPACK_OK) e = artpack_record_decode(&a, rec, size, &where);
        if (e != ARTPACK_OK) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s: article %llu: %s (%s)%s", ap_name(b->path), (unsigned long long)n,
                       artpack_error_message(e), artpack_error_name(e),
                       o->keep_going ? ": skipped" : "; --keep-going skips it");
            if (!o->keep_going) rc = 1;
            sk->articles++;
            if (rec != NULL) ap_held_done(held, rec);
            continue;
        }
        r = fn(ctx, n, &a, size);
        ap_held_done(held, rec);
        if (r == 1) rc = 1;
        if (r == 2) sk->articles++;
    }
    for (i = 0; i < AP_HELD_MAX; i++) ap_held_free(&held[i]);
    return rc;
}

/* Hands articles from..to-1 of b to fn in order (each block decoded once).
 * Without --keep-going the first damage is reported and the walk stops (1).
 * With it, a damaged block is reported and its articles skipped, as is an
 * article whose record does not decode; sk counts them. 0, or 1 after
 * reporting. */
static int ap_walk(const ap_options *o, ap_bundle_in *b, uint64_t from, uint64_t to,
                   ap_article_fn fn, void *ctx, ap_skips *sk) {
    ap_progress prog;
    int rc;
    ap_progress_start(&prog, o, o->command, "articles");
    rc = b->info.similar ? ap_walk_held(o, b, from, to, fn, ctx, sk, &prog)
                         : ap_walk_on(o, b, from, to, fn, ctx, sk, &prog);
    ap_progress_end(&prog);
    return rc;
}


/* [*from, *to] of a range checked against the bundle's articles (to the end
 * for "A-"): 0, or 1 after reporting. */
static int ap_check_range(const ap_bundle_in *b, uint64_t *from, uint64_t *to) {
    uint64_t count = b->info.article_count, bad = *from;
    if (*to == UINT64_MAX && *from < count) *to = count - 1;
    if (*from < count && *to < count) return 0;
    if (*from < count) bad = *to;
    ap_msg("%s: no article %llu: the bundle holds %llu (numbers start at 0) (%s)",
           ap_name(b->path), (unsigned long long)bad, (unsigned long long)count,
           artpack_error_name(ARTPACK_E_NOT_FOUND));
    return 1;
}

/* The articles unpack or ls walk: all, or --range A-B ([*from, *end)). 0,
 * or 1 after reporting. */
static int ap_walk_range(const ap_options *o, ap_bundle_in *b, uint64_t *from, uint64_t *end) {
    uint64_t to;
    *from = 0;
    *end = b->info.article_count;
    if (!o->range) return 0;
    *from = o->range_from;
    to = o->range_to;
    if (ap_check_range(b, from, &to)) return 1;
    *end = to + 1;
    return 0;
}

/* The end of a --keep-going walk: a summary of what was skipped, and the
 * status (AP_EXIT_SKIPPED when something was). */
static int ap_skips_status(const ap_options *o, const char *what, const char *path,
                           uint64_t total, const ap_skips *sk) {
    if (sk->articles == 0) return 0;
    if (!o->quiet) {
        if (sk->blocks)
            ap_msg("%s: %s: %llu of %llu articles skipped (%llu damaged block%s, the first block "
                   "%llu); `artpack verify` names them, `artpack recover` salvages the rest",
                   what, ap_name(path), (unsigned long long)sk->articles,
                   (unsigned long long)total, (unsigned long long)sk->blocks,
                   sk->blocks == 1 ? "" : "s", (unsigned long long)sk->first_block);
        else
            ap_msg("%s: %s: %llu of %llu articles skipped", what, ap_name(path),
                   (unsigned long long)sk->articles, (unsigned long long)total);
    }
    return AP_EXIT_SKIPPED;
}

/* What unpack and ls share: the bundle, its articles (all, or --range)
 * walked into one output through an ap_article_fn whose ctx is this. */
typedef struct ap_walk_out {
    const ap_options *o;
    ap_bundle_in b;
    ap_out out;
    ap_buf line; /* what the function writes, drained to out as it fills */
} ap_walk_out;

/* Opens BUNDLE and the output, writes head (or nothing), walks the articles
 * through fn, completes the output and says what was skipped; with -v and a
 * unit, how much was written. The command's status. */
static int ap_walk_out_run(const ap_options *o, ap_walk_out *w, ap_article_fn fn,
                           const char *head, const char *unit) {
    ap_skips sk;
    uint64_t from = 0, end = 0;
    int rc = 1, opened = 0;
    memset(w, 0, sizeof *w);
    memset(&sk, 0, sizeof sk);
    w->o = o;
    if (ap_bundle_open(o, o->input, &w->b)) goto done;
    if (ap_out_start(o, &w->out)) goto done;
    opened = 1;
    if (head != NULL) ap_buf_puts(&w->line, head);
    if (ap_walk_range(o, &w->b, &from, &end)) goto done;
    if (ap_walk(o, &w->b, from, end, fn, w, &sk)) goto done;
    if (ap_out_drain(&w->out, &w->line)) goto done;
    opened = 0;
    if (ap_out_finish(&w->out)) goto done;
    if (o->verbose && unit != NULL)
        ap_msg("%s: %llu articles, %llu B%s", o->command,
               (unsigned long long)(end - from - sk.articles), (unsigned long long)w->out.bytes,
               unit);
    rc = ap_skips_status(o, o->command, o->input, end - from, &sk);
done:
    if (opened) ap_out_abort(&w->out);
    ap_bundle_close(&w->b);
    ap_buf_free(&w->line);
    return rc;
}

static int ap_unpack_one(void *vctx, uint64_t n, const artpack_article *a, size_t size) {
    ap_walk_out *c = (ap_walk_out *)vctx;
    char err[256];
    size_t keep = c->line.len;
    (void)size;
    if (ap_json_write_article(&c->line, a, err, sizeof err)) {
        c->line.len = keep;
        if (!c->o->quiet || !c->o->keep_going)
            ap_msg("%s: article %llu: %s%s", ap_name(c->b.path), (unsigned long long)n, err,
                   c->o->keep_going ? ": skipped" : "");
        return c->o->keep_going && !ap_alloc_failed() ? 2 : 1;
    }
    if (c->line.len >= 65536 && ap_out_drain(&c->out, &c->line)) return 1;
    return 0;
}

int ap_cmd_unpack(const ap_options *o) {
    ap_walk_out w;
    return ap_walk_out_run(o, &w, ap_unpack_one, NULL, " of JSON");
}

int ap_cmd_get(const ap_options *o) {
    ap_bundle_in b;
    ap_buf line = {NULL, 0, 0};
    ap_out out;
    uint64_t from[AP_MAX_INPUTS], to[AP_MAX_INPUTS];
    int i, k, nspec = 0, rc = 1, opened = 0;
    if (o->id == NULL && o->n_inputs < 2)
        return ap_usage_error("%s", "get needs BUNDLE and N... (or --id ID)");
    if (o->id != NULL && o->n_inputs > 1)
        return ap_usage_error("%s", "get takes N... or --id ID, not both");
    for (i = 1; i < o->n_inputs; i++, nspec++)
        if (ap_parse_range(o->inputs[i], &from[nspec], &to[nspec]))
            return ap_usage_error("get: '%s' is not an article number or range (N, A-B, A-)",
                                  o->inputs[i]);
    if (ap_bundle_open(o, o->input, &b)) goto done;
    if (o->id != NULL) {
        artpack_error e;
        from[0] = 0;
        e = artpack_bundle_find_id(b.r, o->id, strlen(o->id), &from[0]);
        if (e != ARTPACK_OK) {
            ap_msg("%s: no article with id \"%s\" (%s)", ap_name(o->input), o->id,
                   artpack_error_name(e));
            goto done;
        }
        to[0] = from[0];
        nspec = 1;
    }
    for (k = 0; k < nspec; k++)
        if (ap_check_range(&b, &from[k], &to[k])) goto done;
    if (ap_out_start(o, &out)) goto done;
    opened = 1;
    for (k = 0; k < nspec; k++) {
        uint64_t n;
        for (n = from[k]; n <= to[k]; n++) {
            if (ap_article_json(&b, n, &line)) goto done;
            if (line.len >= 65536 && ap_out_drain(&out, &line)) goto done;
        }
    }
    if (ap_out_drain(&out, &line)) goto done;
    opened = 0;
    if (ap_out_finish(&out)) goto done;
    rc = 0;
done:
    if (opened) ap_out_abort(&out);
    ap_bundle_close(&b);
    ap_buf_free(&line);
    return rc;
}

static void ap_put_tsv_field(ap_buf *out, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n && i < 80; i++) /* one line, tab-separated */
        ap_buf_putc(out, s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
    if (n == 0) ap_buf_putc(out, '-');
}

/* A string as JSON (null when absent or not valid UTF-8: a hostile bundle). */
static void ap_put_json_field(ap_buf *out, const char *s, size_t n) {
    if (s == NULL || !ap_utf8_valid((const unsigned char *)s, n, NULL)) ap_buf_puts(out, "null");
    else ap_json_put_string(out, s, n);
}

static int ap_ls_one(void *vctx, uint64_t n, const artpack_article *a, size_t size) {
    ap_walk_out *c = (ap_walk_out *)vctx;
    artpack_bundle_location where;
    char date[ARTPACK_TIMESTAMP_TEXT_MAX], num[64];
    size_t dlen = 0;
    /* the walk says which block the article came from: asking the reader
     * (artpack_bundle_locate) would decode that block again for every
     * article of a bundle with a block map, whose walk holds its blocks
     * apart from the reader's (20,000 articles: 16 s instead of 0.1 s) */
    where.block = c->b.walk_block;
    if (where.block == UINT64_MAX) {
        artpack_error e = artpack_bundle_locate(c->b.r, n, &where);
        if (e != ARTPACK_OK) {
            ap_msg("%s: article %llu: %s (%s)", ap_name(c->b.path), (unsigned long long)n,
                   artpack_error_message(e), artpack_error_name(e));
            return 1;
        }
    }
    if (a->date.kind != ARTPACK_ABSENT)
        (void)artpack_date_format(date, sizeof date, &a->date, &dlen);
    else if (a->published.kind != ARTPACK_ABSENT)
        (void)artpack_timestamp_format(date, sizeof date, &a->published, &dlen);
    if (c->o->json) {
        snprintf(num, sizeof num, "{\"n\":%llu,\"id\":", (unsigned long long)n);
        ap_buf_puts(&c->line, num);
        ap_put_json_field(&c->line, a->id.ptr, a->id.len);
        ap_buf_puts(&c->line, ",\"date\":");
        ap_put_json_field(&c->line, dlen ? date : NULL, dlen);
        ap_buf_puts(&c->line, ",\"title\":");
        ap_put_json_field(&c->line, a->title.ptr, a->title.len);
        snprintf(num, sizeof num, ",\"record_bytes\":%zu,\"block\":%llu}\n", size,
                 (unsigned long long)where.block);
    } else {
        snprintf(num, sizeof num, "%llu\t", (unsigned long long)n);
        ap_buf_puts(&c->line, num);
        ap_put_tsv_field(&c->line, a->id.ptr, a->id.len);
        ap_buf_putc(&c->line, '\t');
        ap_put_tsv_field(&c->line, date, dlen);
        ap_buf_putc(&c->line, '\t');
        ap_put_tsv_field(&c->line, a->title.ptr, a->title.len);
        snprintf(num, sizeof num, "\t%zu\t%llu\n", size, (unsigned long long)where.block);
    }
    if (ap_buf_puts(&c->line, num)) {
        ap_msg("out of memory");
        return 1;
    }
    if (c->line.len >= 65536 && ap_out_drain(&c->out, &c->line)) return 1;
    return 0;
}

int ap_cmd_ls(const ap_options *o) {
    ap_walk_out w;
    return ap_walk_out_run(o, &w, ap_ls_one,
                           o->json ? NULL : "#\tid\tdate\ttitle\trecord_bytes\tblock\n", NULL);
}

/* A bundle's block map sends every article to a slot of its own (the
 * reader checks only that each slot lies in the article's segment).
 * ARTPACK_E_INDEX when two share one. */
static artpack_error ap_check_block_map(ap_bundle_in *b) {
    uint64_t n, count = b->info.article_count, s;
    unsigned char *seen = (unsigned char *)calloc((size_t)(count / 8 + 1), 1);
    artpack_error e = ARTPACK_OK;
    if (seen == NULL) return ARTPACK_E_ALLOC;
    for (n = 0; n < count && e == ARTPACK_OK; n++) {
        e = artpack_bundle_slot(b->r, n, &s);
        if (e == ARTPACK_OK && (seen[s / 8] >> (s % 8) & 1)) e = ARTPACK_E_INDEX;
        if (e == ARTPACK_OK) seen[s / 8] |= (unsigned char)(1u << (s % 8));
    }
    free(seen);
    return e;
}

int ap_cmd_verify(const ap_options *o) {
    ap_bundle_in b;
    ap_progress prog;
    uint64_t blk, bad_blocks = 0, bad_articles = 0;
    artpack_error e;
    int rc = 1;
    memset(&prog, 0, sizeof prog);
    if (ap_bundle_open(o, o->input, &b)) goto done;
    e = artpack_bundle_check_index(b.r);
    if (e == ARTPACK_OK && b.info.similar) e = ap_check_block_map(&b);
    if (e != ARTPACK_OK) {
        ap_report("index damaged", ap_name(o->input), e);
        goto done;
    }
    ap_progress_start(&prog, o, "verify", "blocks");
    for (blk = 0; blk < b.info.block_count; blk++) {
        uint64_t first = 0, n;
        uint32_t count = 0;
        ap_progress_update(&prog, blk, b.info.block_count, 0);
        e = artpack_bundle_check_block(b.r, blk, &first, &count);
        for (n = first; e == ARTPACK_OK && n < first + count; n++) { /* every record decodes */
            const void *rec;
            size_t size;
            e = artpack_bundle_get_slot(b.r, n, &rec, &size);
            if (e == ARTPACK_OK) e = artpack_record_validate(rec, size, NULL);
        }
        if (e != ARTPACK_OK) {
            bad_blocks++;
            bad_articles += count;
            ap_msg("%s: block %llu (%s %llu to %llu) is damaged: %s (%s)", ap_name(o->input),
                   (unsigned long long)blk,
                   b.info.similar ? "slots, articles by the block map," : "articles",
                   (unsigned long long)first, (unsigned long long)(first + count - 1),
                   artpack_error_message(e), artpack_error_name(e));
        }
    }
    ap_progress_end(&prog);
    if (bad_blocks) {
        ap_msg("%s: %llu of %llu blocks damaged, %llu of %llu articles lost; "
               "`artpack recover` salvages the rest",
               ap_name(o->input), (unsigned long long)bad_blocks,
               (unsigned long long)b.info.block_count, (unsigned long long)bad_articles,
               (unsigned long long)b.info.article_count);
        goto done;
    }
    if (!o->quiet)
        printf("%s: OK: %llu articles in %llu blocks, index and every block checked\n",
               ap_name(o->input), (unsigned long long)b.info.article_count,
               (unsigned long long)b.info.block_count);
    rc = 0;
done:
    ap_progress_end(&prog);
    ap_bundle_close(&b);
    return rc;
}

/* ---- append: new blocks, a segment and a footer after the old footer ---- */

/* The bundle file an appender writes: pwrite at the end, fsync as the
 * barrier around the footer. */
typedef struct ap_append_file {
    int fd;
    const char *path;
    uint64_t end;
    int err_no;
    int changed;         /* 1: the bundle changed under the append (see below) */
    uint64_t old_end;    /* the committed end the append started from */
    unsigned char footer[ARTPACK_BUNDLE_FOOTER_SIZE]; /* the footer it extends */
} ap_append_file;

/* Before the footer is written: the bundle must still be the one this append
 * read. Appends take turns on the lock, so this catches what does not take
 * it: the file renamed over (pack -f -o, cp to a new file, an editor), or
 * another program writing to it (its size or the last footer changed). The
 * library's appender does not check this itself: the caller owns exclusion. */
static int ap_append_unchanged(ap_append_file *f) {
    struct stat st, now;
    unsigned char again[ARTPACK_BUNDLE_FOOTER_SIZE];
    if (fstat(f->fd, &st) != 0 || stat(f->path, &now) != 0 || st.st_dev != now.st_dev ||
        st.st_ino != now.st_ino) {
        f->changed = 2; /* replaced: the file written to is no longer the bundle */
        return 0;
    }
    if ((uint64_t)st.st_size != f->end ||
        ap_fd_read(&f->fd, f->old_end - sizeof again, again, sizeof again) != 0 ||
        memcmp(again, f->footer, sizeof again) != 0) {
        f->changed = 1;
        ap_unwatch_append(); /* what another program wrote is not ours to cut */
        return 0;
    }
    return 1;
}

static int ap_append_write(void *opaque, const void *data, size_t size) {
    ap_append_file *f = (ap_append_file *)opaque;
    const unsigned char *p = (const unsigned char *)data;
    if (f->end == f->old_end && (f->changed || !ap_append_unchanged(f))) return -1;
    while (size > 0) {
        ssize_t w = pwrite(f->fd, p, size, (off_t)f->end);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            f->err_no = w < 0 ? errno : EIO;
            return -1;
        }
        p += w;
        size -= (size_t)w;
        f->end += (uint64_t)w;
    }
    return 0;
}

static int ap_append_sync(void *opaque) {
    ap_append_file *f = (ap_append_file *)opaque;
    if (!f->changed && !ap_append_unchanged(f)) return -1;
    if (fsync(f->fd) != 0) {
        f->err_no = errno;
        return -1;
    }
    return 0;
}

typedef struct ap_append_ctx {
    artpack_bundle_writer *w;
    artpack_error e;
    size_t articles;
    ap_progress prog;
    const ap_append_file *f;
} ap_append_ctx;

static int ap_append_add(void *ctx, const unsigned char *record, size_t size) {
    ap_append_ctx *c = (ap_append_ctx *)ctx;
    c->e = artpack_bundle_writer_add(c->w, record, size);
    if (c->e != ARTPACK_OK) return 1;
    c->articles++;
    ap_progress_update(&c->prog, c->articles, 0, c->f->end - c->f->old_end);
    return 0;
}

/* Says why an append failed (nothing of it is committed). */
static void ap_append_failed(const ap_options *o, const ap_append_file *f, artpack_error e) {
    if (f->changed == 2)
        ap_msg("%s: the file was replaced while appending (another command renamed a file "
               "over it): nothing appended to it; append again", o->input);
    else if (f->changed)
        ap_msg("%s: the bundle changed while appending (written by a program that does not "
               "take the lock): nothing committed, and the file is left as it is; run "
               "`artpack verify`", o->input);
    else if (f->err_no)
        ap_msg("%s: %s (nothing appended; the articles committed before are intact)", o->input,
               strerror(f->err_no));
    else
        ap_report("cannot append", ap_name(o->input), e);
}

int ap_cmd_append(const ap_options *o) {
    ap_dup_check dc;
    ap_bundle_in b;
    ap_spool spill;
    ap_append_ctx ctx;
    ap_append_file f;
    ap_async *async = NULL; /* -T N: the compression threads */
    artpack_dict d;
    artpack_error e;
    size_t articles = 0, skipped = 0;
    int k, rc = 1, cut = 0;
    memset(&b, 0, sizeof b);
    memset(&ctx, 0, sizeof ctx);
    memset(&f, 0, sizeof f);
    ap_dup_init(&dc, o, ap_append_add, &ctx, NULL);
    ap_spool_init(&spill, "the bundle's id index");
    if (strcmp(o->input, "-") == 0)
        return ap_usage_error("%s", "append needs a bundle file (it is written in place)");
    /* the lock first: the bundle read below is the one this append extends */
    if (ap_bundle_open_mode(o, o->input, &b, AP_OPEN_APPEND)) goto done;
    if (b.info.recovered_footer && !o->force) {
        /* an interrupted append, or a damaged last footer or index segment:
         * appending cuts the file there, which would drop the last commit's
         * blocks in the second case */
        ap_msg("%s: the last %llu bytes are not a committed append; appending drops them. "
               "If an append was interrupted, use -f; if the bundle may be damaged, run "
               "`artpack verify` and `artpack recover` first",
               o->input, (unsigned long long)(b.size - b.info.end_offset));
        goto done;
    }
    e = artpack_bundle_reader_dict(b.r, &d);
    memset(&f, 0, sizeof f);
    f.fd = b.fd;
    f.path = o->input;
    f.end = f.old_end = b.info.end_offset;
    if (f.old_end < sizeof f.footer || ap_fd_read(&b.fd, f.old_end - sizeof f.footer, f.footer,
                                                  sizeof f.footer) != 0) {
        ap_msg("%s: cannot read its footer: %s (nothing appended)", o->input, strerror(errno));
        goto done;
    }
    e = artpack_bundle_appender_open(&ctx.w, &b.info, e == ARTPACK_OK ? &d : NULL,
                                     &ap_tool_allocator, ap_append_write, &f, ap_fd_read, &b.fd);
    if (e == ARTPACK_OK) e = artpack_bundle_writer_set_barrier(ctx.w, ap_append_sync, &f);
    if (e == ARTPACK_OK)
        e = artpack_bundle_writer_set_spill(ctx.w, ap_spool_write_cb, ap_spool_read_cb, &spill);
    /* -T N: a bank of N blocks compresses while the next fills (as pack) */
    if (e == ARTPACK_OK && o->threads > 1 && (async = ap_async_new(o->threads)) == NULL) e = ARTPACK_E_ALLOC;
    if (e == ARTPACK_OK && o->threads > 1)
        e = artpack_bundle_writer_set_pipeline(ctx.w, o->threads, ap_parallel_start,
                                               ap_parallel_wait, async);
    if (e != ARTPACK_OK) {
        ap_report("cannot append", ap_name(o->input), e);
        goto done;
    }
    /* cut what an interrupted append left; from here on, any failure cuts
     * the file back to the last commit */
    if (b.size != b.info.end_offset && ftruncate(b.fd, (off_t)b.info.end_offset) != 0) {
        ap_msg("%s: %s (nothing appended)", o->input, strerror(errno));
        goto done;
    }
    cut = 1;
    ap_watch_append(b.fd, b.info.end_offset); /* a signal cuts it back too */
    ctx.f = &f;
    ap_progress_start(&ctx.prog, o, "append", "articles");
    /* the bundle's ids: a find by id for each article (reads the id index
     * each time), so only when asked for; without it, only the input's */
    ap_dup_init(&dc, o, ap_append_add, &ctx, o->unique ? b.r : NULL);
    for (k = 1; k < (o->n_inputs > 1 ? o->n_inputs : 2); k++) /* no FILE: standard input */
        if (ap_pack_json_async(o, o->n_inputs > 1 ? o->inputs[k] : "-", ap_dup_emit, &dc,
                               &articles, &skipped, NULL)) {
            if (ctx.e != ARTPACK_OK) ap_append_failed(o, &f, ctx.e); /* else: reported */
            goto done;
        }
    if (ap_dup_finish(&dc, "append")) goto done; /* --unique: cut back */
    e = artpack_bundle_writer_commit(ctx.w);
    if (e != ARTPACK_OK) {
        ap_append_failed(o, &f, e);
        goto done;
    }
    ap_unwatch_append(); /* committed: a signal from here on leaves it */
    cut = 0;
    if (o->verbose || (skipped && !o->quiet))
        ap_msg("append: %zu articles added (%zu skipped); the bundle holds %llu", articles, skipped,
               (unsigned long long)(b.info.article_count + articles));
    rc = skipped ? AP_EXIT_SKIPPED : 0;
done:
    ap_unwatch_append();
    ap_progress_end(&ctx.prog);
    if (cut && f.changed == 1) cut = 0; /* what another program wrote is not ours to cut */
    if (cut && ftruncate(b.fd, (off_t)b.info.end_offset) != 0)
        ap_msg("%s: cannot cut the failed append off: %s (readers ignore it; `append -f` "
               "cuts it)", o->input, strerror(errno));
    artpack_bundle_writer_free(ctx.w); /* waits for the blocks in flight */
    ap_async_free(async);
    ap_spool_close(&spill);
    ap_bundle_close(&b);
    ap_dup_free(&dc);
    return rc;
}

/* ---- recover and merge: new bundles from old ones ---- */

/* recover: the salvaged records go into the new bundle as they come; it is
 * started at the first one (or at the end when there is none), once the
 * salvage has read the old header's settings into st. */
typedef struct ap_recover_ctx {
    const ap_options *o;
    ap_options wo;                  /* o with the old header's settings */
    const artpack_salvage_stats *st;
    const artpack_dict *dict;       /* NULL: none */
    ap_bundle_out bo;
    int started, writing;
} ap_recover_ctx;

/* 0, or 1 after reporting. */
static int ap_recover_start(ap_recover_ctx *c) {
    const artpack_salvage_stats *st = c->st;
    const ap_options *o = c->o;
    artpack_bundle_params p;
    if (c->started) return !c->writing;
    c->started = 1;
    if (st->header_ok && st->dict_id != 0 && o->dict_path && c->dict->id != st->dict_id) {
        ap_msg("%s: made with dictionary ID %u, but %s has ID %u (%s)", ap_name(o->input),
               (unsigned)st->dict_id, o->dict_path, (unsigned)c->dict->id,
               artpack_error_name(ARTPACK_E_WRONG_DICT));
        return 1;
    }
    if (st->header_ok && st->dict_id != 0 && c->dict == NULL) {
        ap_msg("%s: made with dictionary ID %u and none at hand: give it with -D DICT (%s)",
               ap_name(o->input), (unsigned)st->dict_id, artpack_error_name(ARTPACK_E_NEED_DICT));
        return 1;
    }
    /* the new bundle keeps the old one's settings where its header says them */
    c->wo = *o;
    if (st->header_ok) {
        if (!o->codec_set) c->wo.codec = st->codec;
        if (!c->wo.level) c->wo.level = st->level;
        if (!c->wo.block_size) c->wo.block_size = st->block_size;
        if (st->dict_embedded) c->wo.embed_dict = 1;
        if (!st->columns) c->wo.rows = 1;
        if (!st->words) c->wo.no_words = 1;
    }
    p = ap_bundle_params(&c->wo);
    if (ap_bundle_out_start(&c->wo, &p, c->dict, &c->bo)) return 1;
    c->writing = 1;
    return 0;
}

static int ap_salvage_cb(void *opaque, const void *record, size_t size) {
    ap_recover_ctx *c = (ap_recover_ctx *)opaque;
    if (ap_recover_start(c)) return 1;
    return ap_bundle_out_add(&c->bo, (const unsigned char *)record, size);
}

/* recover of a bundle with a block map whose index is intact (a damaged
 * block, say): its articles in order through the index, as unpack reads
 * them, every intact one into the new bundle (salvage, which does not trust
 * the index, would give them in storage order). 1 when it did the work
 * (*failed: it failed after reporting), 0 to salvage instead. */
static int ap_recover_by_index(const ap_options *o, int fd, ap_recover_ctx *c,
                               artpack_salvage_stats *st, int *failed) {
    ap_bundle_in b;
    ap_held held[AP_HELD_MAX];
    artpack_bundle_info info;
    struct stat sb;
    uint64_t n;
    unsigned i;
    if (fstat(fd, &sb) != 0 ||
        artpack_bundle_info_get(&info, ap_fd_read, &fd, (uint64_t)sb.st_size) != ARTPACK_OK ||
        !info.similar || info.recovered_footer)
        return 0;
    memset(&b, 0, sizeof b);
    b.path = o->input;
    b.fd = dup(fd);
    if (b.fd < 0 || ap_bundle_attach(o, &b) || artpack_bundle_check_index(b.r) != ARTPACK_OK) {
        if (b.fd < 0) b.fd = 0;
        ap_bundle_close(&b);
        return 0;
    }
    st->header_ok = 1;
    st->codec = (int)b.info.codec;
    st->level = b.info.level;
    st->dict_id = b.info.dict_id;
    st->dict_embedded = b.info.dict_embedded;
    st->columns = b.info.columns;
    st->words = b.info.words;
    st->similar = 1;
    st->block_size = b.info.block_size;
    memset(held, 0, sizeof held);
    for (n = 0; n < b.info.article_count && !*failed; n++) {
        const void *rec = NULL;
        size_t size = 0;
        artpack_error e = ap_held_get(&b, held, n, n, &rec, &size);
        if (e == ARTPACK_OK) e = artpack_record_validate(rec, size, NULL);
        if (e != ARTPACK_OK) {
            st->bytes_skipped++; /* here: articles lost */
        } else if (ap_salvage_cb(c, rec, size)) {
            *failed = 1;
        } else {
            st->articles++;
        }
        if (rec != NULL) ap_held_done(held, rec);
    }
    for (i = 0; i < AP_HELD_MAX; i++) ap_held_free(&held[i]);
    ap_bundle_close(&b);
    return 1;
}

int ap_cmd_recover(const ap_options *o) {
    ap_buf dict_buf = {NULL, 0, 0};
    ap_recover_ctx c;
    artpack_salvage_stats st;
    artpack_dict dict;
    struct stat sb;
    int fd, rc = 1;
    artpack_error e;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    c.o = o;
    c.st = &st;
    fd = strcmp(o->input, "-") == 0 ? ap_stdin_file() : open(o->input, O_RDONLY);
    if (fd < 0) {
        if (strcmp(o->input, "-") != 0) ap_msg("%s: %s", o->input, strerror(errno));
        return 1;
    }
    if (fstat(fd, &sb) != 0) {
        ap_msg("%s: %s", ap_name(o->input), strerror(errno));
        goto done;
    }
    {
        ap_kind k = ap_sniff_fd(fd);
        if (k != AP_KIND_UNKNOWN && k != AP_KIND_BUNDLE) {
            ap_msg("%s is %s, not a bundle: nothing to recover%s%s", ap_name(o->input),
                   ap_kind_name(k), *ap_kind_hint(k) ? "; " : "", ap_kind_hint(k));
            goto done;
        }
    }
    if (o->dict_path) {
        if (ap_load_dict(o, &dict_buf, &dict)) goto done;
        c.dict = &dict;
    } else {
        size_t n = 0;
        /* room for the dictionary and its frame; only what is read is touched */
        if (ap_buf_reserve(&dict_buf, 2 * ARTPACK_DICT_SIZE_MAX)) goto done;
        if (artpack_bundle_embedded_dict_read(ap_fd_read, &fd, (uint64_t)sb.st_size,
                                              dict_buf.data, dict_buf.cap, &n) == ARTPACK_OK &&
            artpack_dict_load(&dict, dict_buf.data, n) == ARTPACK_OK)
            c.dict = &dict;
    }
    {
        int failed = 0;
        if (ap_recover_by_index(o, fd, &c, &st, &failed)) {
            if (failed) goto done;
            if (ap_recover_start(&c)) goto done; /* no record: an empty bundle */
            c.writing = 0;
            if (ap_bundle_out_end(&c.bo, 1)) goto done;
            if (!o->quiet)
                ap_msg("recover: %llu articles in order through the index (it has a block "
                       "map); %llu articles of damaged blocks left out",
                       (unsigned long long)st.articles, (unsigned long long)st.bytes_skipped);
            rc = 0;
            goto done;
        }
    }
    e = artpack_bundle_salvage_read(ap_fd_read, &fd, (uint64_t)sb.st_size, c.dict,
                                    &ap_tool_allocator, ap_salvage_cb, &c, &st);
    if (e == ARTPACK_E_WRITE && c.started) goto done; /* the callback stopped it: reported */
    if (e != ARTPACK_OK) {
        ap_report("cannot salvage", ap_name(o->input), e);
        goto done;
    }
    if (ap_recover_start(&c)) goto done; /* no record: an empty bundle */
    c.writing = 0;
    if (ap_bundle_out_end(&c.bo, 1)) goto done;
    if (!o->quiet)
        ap_msg("recover: %llu articles from %llu intact blocks; %llu damaged blocks and %llu "
               "unreadable bytes left out",
               (unsigned long long)st.articles, (unsigned long long)st.blocks_ok,
               (unsigned long long)st.blocks_bad, (unsigned long long)st.bytes_skipped);
    rc = 0;
done:
    if (c.writing) {
        if (c.bo.e == ARTPACK_E_WRITE && c.bo.out.err_no)
            ap_msg("writing %s: %s", ap_out_name(&c.bo.out), strerror(c.bo.out.err_no));
        else if (c.bo.e != ARTPACK_OK)
            ap_msg("cannot write the bundle: %s (%s)", artpack_error_message(c.bo.e),
                   artpack_error_name(c.bo.e));
        ap_bundle_out_end(&c.bo, 0);
    }
    close(fd);
    ap_buf_free(&dict_buf);
    return rc;
}

int ap_cmd_merge(const ap_options *o) {
    ap_bundle_in *in;
    ap_bundle_out bo;
    artpack_bundle_params p;
    artpack_dict d;
    artpack_error e = ARTPACK_OK;
    int i, rc = 1, opened = 0, writing = 0;
    uint64_t blk, total = 0;
    if (o->n_inputs < 1 || strcmp(o->input, "-") == 0)
        return ap_usage_error("%s", "merge needs BUNDLE files");
    in = (ap_bundle_in *)calloc((size_t)o->n_inputs, sizeof *in);
    if (in == NULL) {
        ap_msg("out of memory");
        return 1;
    }
    for (i = 0; i < o->n_inputs; i++) {
        opened = i + 1;
        if (ap_bundle_open(o, o->inputs[i], &in[i])) goto done;
        if (in[i].info.codec != in[0].info.codec || in[i].info.dict_id != in[0].info.dict_id ||
            in[i].info.columns != in[0].info.columns || in[i].info.words != in[0].info.words) {
            ap_msg("%s: codec %s, dictionary ID %u, %s blocks%s; %s: codec %s, dictionary ID %u, "
                   "%s blocks%s: merge copies blocks as they are, so the bundles must share all "
                   "four (unpack and pack them instead)",
                   ap_name(o->inputs[i]), ap_codec_name(in[i].info.codec),
                   (unsigned)in[i].info.dict_id, in[i].info.columns ? "columnar" : "row",
                   in[i].info.words ? ", word transform" : ", no word transform",
                   ap_name(o->inputs[0]), ap_codec_name(in[0].info.codec),
                   (unsigned)in[0].info.dict_id, in[0].info.columns ? "columnar" : "row",
                   in[0].info.words ? ", word transform" : ", no word transform");
            goto done;
        }
    }
    e = artpack_bundle_reader_dict(in[0].r, &d);
    memset(&p, 0, sizeof p);
    p.codec = in[0].info.codec;
    p.level = in[0].info.level;
    p.block_size = in[0].info.block_size;
    p.columns = in[0].info.columns;
    p.words = in[0].info.words;
    for (i = 0; i < o->n_inputs; i++) /* a block map comes along: the output has one */
        if (in[i].info.similar) p.similar = 1;
    p.embed_dict = in[0].info.dict_embedded || (o->embed_dict && e == ARTPACK_OK);
    if (ap_bundle_out_start(o, &p, e == ARTPACK_OK ? &d : NULL, &bo)) goto done;
    writing = 1;
    e = ARTPACK_OK;
    /* blocks are copied as stored, not decoded (their checksums go with
     * them), with the id hashes of their bundle's index, checked first */
    for (i = 0; e == ARTPACK_OK && i < o->n_inputs; i++) {
        e = artpack_bundle_check_index(in[i].r);
        for (blk = 0; e == ARTPACK_OK && blk < in[i].info.block_count; blk++) {
            ap_progress_update(&bo.prog, total, 0, bo.out.bytes);
            e = artpack_bundle_writer_copy_block_undecoded(bo.w, in[i].r, blk);
        }
        total += in[i].info.article_count;
        if (e != ARTPACK_OK && e != ARTPACK_E_WRITE)
            ap_report("cannot copy its blocks (verify it; recover salvages a damaged one)",
                      ap_name(o->inputs[i]), e);
    }
    bo.e = e;
    writing = 0;
    if (ap_bundle_out_end(&bo, 1)) goto done;
    if (o->verbose)
        ap_msg("merge: %llu articles from %d bundles, %llu B", (unsigned long long)total,
               o->n_inputs, (unsigned long long)bo.out.bytes);
    rc = 0;
done:
    if (writing) ap_bundle_out_end(&bo, 0);
    for (i = 0; i < opened; i++) ap_bundle_close(&in[i]);
    free(in);
    return rc;
}

/* ---- info and dict extract ---- */

int ap_bundle_info(const ap_options *o, const char *path, int fd, ap_info *f) {
    ap_bundle_in b;
    unsigned char head[16], seg[16];
    uint64_t commits = 0, at;
    int rc = 1;
    memset(&b, 0, sizeof b);
    b.path = path;
    b.fd = fd;
    b.info_only = !o->verbose; /* without -v: no dictionary, no reader */
    if (ap_bundle_attach(o, &b)) goto done;
    if (ap_fd_read(&b.fd, 0, head, sizeof head) != 0) {
        ap_msg("%s: %s", ap_name(path), strerror(errno));
        goto done;
    }
    /* the commits: each index segment names the one before (docs/FORMAT.md) */
    for (at = b.info.last_segment; at != 0 && commits < b.size; commits++) {
        uint64_t prev;
        if (ap_fd_read(&b.fd, at, seg, sizeof seg) != 0) break;
        prev = (uint64_t)seg[8] | (uint64_t)seg[9] << 8 | (uint64_t)seg[10] << 16 |
               (uint64_t)seg[11] << 24 | (uint64_t)seg[12] << 32 | (uint64_t)seg[13] << 40 |
               (uint64_t)seg[14] << 48 | (uint64_t)seg[15] << 56;
        if (prev >= at) {
            commits++;
            break;
        }
        at = prev;
    }
    ap_info_str(f, "file", ap_name(path));
    ap_info_str(f, "kind", "bundle");
    ap_info_num(f, "format_version", head[12]);
    ap_info_str(f, "codec", ap_codec_name(b.info.codec));
    ap_info_num(f, "level", (uint64_t)b.info.level);
    ap_info_num(f, "dict_id", b.info.dict_id);
    ap_info_str(f, "dict", b.info.dict_id == 0 ? "none"
                           : b.info.dict_embedded ? "embedded" : "named (give it with -D)");
    if (b.info.dict_embedded) ap_info_num(f, "dict_bytes", b.info.dict_size);
    ap_info_num(f, "articles", b.info.article_count);
    ap_info_num(f, "blocks", b.info.block_count);
    ap_info_str(f, "layout", b.info.columns ? "columns" : "rows");
    ap_info_str(f, "word_transform", b.info.words ? "yes" : "no");
    ap_info_str(f, "blocks_by", b.info.similar ? "similarity (block map)" : "order");
    ap_info_num(f, "commits", commits);
    ap_info_num(f, "block_size", b.info.block_size);
    ap_info_num(f, "largest_block", b.info.max_block_content);
    ap_info_num(f, "largest_block_stored", b.info.max_block_frame);
    ap_info_num(f, "bytes", b.size);
    ap_info_num(f, "uncommitted_bytes", b.size - b.info.end_offset);
    if (b.info.article_count)
        ap_info_real(f, "bytes_per_article", (double)b.info.end_offset / (double)b.info.article_count);
    ap_info_num(f, "reader_memory", artpack_bundle_reader_workspace_size(&b.info, 0));
    ap_info_num(f, "reader_memory_in_place", artpack_bundle_reader_workspace_size_mapped(&b.info, 0));
    if (o->verbose) { /* the records' bytes: every block decoded */
        uint64_t blk, records = 0, damaged = 0;
        for (blk = 0; blk < b.info.block_count; blk++) {
            uint64_t first = 0, n;
            uint32_t count = 0;
            artpack_error e = artpack_bundle_check_block(b.r, blk, &first, &count);
            for (n = first; e == ARTPACK_OK && n < first + count; n++) {
                const void *rec;
                size_t size;
                e = artpack_bundle_get_slot(b.r, n, &rec, &size);
                if (e == ARTPACK_OK) records += size;
            }
            if (e != ARTPACK_OK) damaged++;
        }
        ap_info_num(f, "record_bytes", records);
        if (b.info.end_offset) ap_info_real(f, "ratio", (double)records / (double)b.info.end_offset);
        ap_info_num(f, "damaged_blocks", damaged);
    }
    rc = 0;
done:
    b.fd = -1; /* the caller's */
    ap_buf_free(&b.dict_buf);
    free(b.ws);
    return rc;
}

/* dict extract BUNDLE: the dictionary the bundle embeds, to -o. */
int ap_cmd_dict(const ap_options *o) {
    ap_bundle_in b;
    artpack_dict d;
    ap_buf out = {NULL, 0, 0};
    ap_options ro = *o;
    int rc = 1;
    if (strcmp(o->inputs[0], "extract") != 0)
        return ap_usage_error("dict: unknown subcommand '%s' (artpack dict extract BUNDLE)",
                              o->inputs[0]);
    ro.dict_path = NULL; /* the embedded one */
    ro.input = o->inputs[1];
    if (ap_bundle_open_mode(&ro, ro.input, &b, AP_OPEN_INFO)) goto done;
    if (b.info.dict_id == 0) {
        ap_msg("%s: the bundle has no dictionary", ap_name(ro.input));
        goto done;
    }
    if (!b.info.dict_embedded) {
        ap_msg("%s: names dictionary ID %u but does not embed it: nothing to extract",
               ap_name(ro.input), (unsigned)b.info.dict_id);
        goto done;
    }
    b.info_only = 0;
    if (ap_bundle_attach(&ro, &b)) goto done;
    if (artpack_bundle_reader_dict(b.r, &d) != ARTPACK_OK) {
        ap_msg("%s: cannot read its dictionary", ap_name(ro.input));
        goto done;
    }
    if (ap_buf_put(&out, d.data, d.size)) {
        ap_msg("out of memory");
        goto done;
    }
    if (ap_commit(o, &out)) goto done;
    if (o->verbose)
        ap_msg("dict extract: dictionary ID %u, %zu B", (unsigned)d.id, d.size);
    rc = 0;
done:
    ap_bundle_close(&b);
    ap_buf_free(&out);
    return rc;
}
