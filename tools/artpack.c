/* artpack.c - the artpack command-line tool. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "artpack.h"
#include "json.h"
#include "util.h"
#include "cli.h"

/* Every allocation of the tool goes through ap_malloc (tools/util.c), so that
 * tests can make the Nth one fail (ARTPACK_FAIL_ALLOC=N): jansson's, the
 * compressor's (zstd, LZ4 state) and the tool's own. zstd's dictionary
 * trainer allocates with malloc and is left out. */
static void *ap_tool_alloc(void *opaque, size_t size) {
    (void)opaque;
    return ap_malloc(size);
}
static void ap_tool_free(void *opaque, void *p) {
    (void)opaque;
    free(p);
}
const artpack_allocator ap_tool_allocator = {ap_tool_alloc, ap_tool_free, NULL};
/* jansson 2.14 does not survive a failed allocation: it can drop characters
 * of a string, or write past a buffer (found by the allocation-failure
 * tests). So when one of its allocations fails the tool stops at once, with
 * status 1 and nothing written (output is only written at the end). */
static void *ap_json_alloc(size_t size) {
    void *p = ap_malloc(size);
    if (p == NULL) {
        fputs("artpack: out of memory (while parsing JSON)\n", stderr);
        exit(1);
    }
    return p;
}

double ap_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static ap_progress *ap_live_progress; /* the line a message clears first */

void ap_msg(const char *fmt, ...) {
    va_list ap;
    if (ap_live_progress != NULL) ap_progress_end(ap_live_progress);
    fputs("artpack: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int ap_usage_error(const char *fmt, const char *arg) {
    fputs("artpack: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'artpack --help'.\n", stderr);
    return 1;
}

const char *ap_name(const char *path) { return strcmp(path, "-") == 0 ? "(stdin)" : path; }

int ap_progress_on(const ap_options *o) {
    return o->progress == 2 || (o->progress == 1 && isatty(STDERR_FILENO));
}

void ap_progress_start(ap_progress *p, const ap_options *o, const char *what, const char *unit) {
    memset(p, 0, sizeof *p);
    p->on = ap_progress_on(o);
    p->what = what;
    p->unit = unit;
    p->t0 = p->last = ap_seconds();
    if (p->on) ap_live_progress = p;
}

void ap_progress_update(ap_progress *p, uint64_t done, uint64_t total, uint64_t bytes) {
    double now, secs;
    char line[160];
    int n;
    if (!p->on) return;
    now = ap_seconds();
    if (now - p->last < 0.2) return;
    p->last = now;
    secs = now - p->t0;
    n = snprintf(line, sizeof line, "\rartpack: %s: %llu", p->what, (unsigned long long)done);
    if (total)
        n += snprintf(line + n, sizeof line - (size_t)n, " of %llu %s (%.0f%%)",
                      (unsigned long long)total, p->unit, 100.0 * (double)done / (double)total);
    else
        n += snprintf(line + n, sizeof line - (size_t)n, " %s", p->unit);
    if (bytes)
        n += snprintf(line + n, sizeof line - (size_t)n, ", %.1f MB, %.1f MB/s", (double)bytes / 1e6,
                      secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
    else if (secs > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, ", %.0f %s/s", (double)done / secs, p->unit);
    fputs(line, stderr);
    fputs("   ", stderr);
    p->shown = n + 3;
}

void ap_progress_end(ap_progress *p) {
    if (p->on && p->shown) fprintf(stderr, "\r%*s\r", p->shown, "");
    p->shown = 0;
    if (ap_live_progress == p) ap_live_progress = NULL;
}

int ap_stdin_ok(void) {
    if (!isatty(STDIN_FILENO)) return 1;
    ap_msg("will not read from a terminal: give FILE, or a pipe or file on standard input");
    return 0;
}
static const char *ap_input_name(const ap_options *o) { return ap_name(o->input); }

/* Reads an input, or reports why not. */
int ap_load(const char *path, ap_buf *in) {
    if (strcmp(path, "-") == 0 && !ap_stdin_ok()) return -1;
    if (ap_read_all(path, in) == 0) return 0;
    ap_msg("%s: %s", ap_name(path), strerror(errno));
    return -1;
}

int ap_commit(const ap_options *o, const ap_buf *out) {
    char err[512];
    if (ap_output_commit(o->output, out->data, out->len, err, sizeof err)) {
        ap_msg("%s", err);
        return 1;
    }
    return 0;
}

/* Reads and checks the -D dictionary into buf / dict. */
int ap_load_dict(const ap_options *o, ap_buf *buf, artpack_dict *dict) {
    artpack_error e;
    if (ap_load(o->dict_path, buf)) return -1;
    e = artpack_dict_load(dict, buf->data, buf->len);
    if (e != ARTPACK_OK) {
        ap_kind k = ap_sniff(buf->data, buf->len);
        if (k == AP_KIND_BUNDLE)
            ap_msg("%s is %s, not a dictionary (%s): `artpack dict extract %s -o DICT` takes "
                   "out the one it embeds",
                   o->dict_path, ap_kind_name(k), artpack_error_name(e), o->dict_path);
        else if (k == AP_KIND_JSON)
            ap_msg("%s is %s, not a dictionary (%s): `artpack train -o DICT %s` makes one",
                   o->dict_path, ap_kind_name(k), artpack_error_name(e), o->dict_path);
        else if (k != AP_KIND_UNKNOWN && k != AP_KIND_DICT)
            ap_msg("%s is %s, not a dictionary (%s)%s%s", o->dict_path, ap_kind_name(k),
                   artpack_error_name(e), *ap_kind_hint(k) ? ": " : "", ap_kind_hint(k));
        else
            ap_msg("%s: not a usable dictionary: %s (%s)", o->dict_path,
                   artpack_error_message(e), artpack_error_name(e));
        return -1;
    }
    return 0;
}

/* Parses the JSON articles of path ("-": standard input) as they are read
 * and hands each record to emit(); shared by encode, train, pack and append.
 * Memory: the largest article plus a chunk, whatever the input's size.
 * *bytes (may be NULL) gets the JSON bytes read. Returns 0, or 1 after
 * reporting an error. */
int ap_pack_json(const ap_options *o, const char *path, ap_emit_fn emit, void *ctx,
                 size_t *articles, size_t *skipped, uint64_t *bytes) {
    ap_json_stream *js = NULL;
    ap_buf rec = {NULL, 0, 0};
    size_t seen = 0;
    int rc = 1, fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
    if (fd < 0) {
        ap_msg("%s: %s", path, strerror(errno));
        return 1;
    }
    if (fd == STDIN_FILENO && !ap_stdin_ok()) return 1;
    {
        ap_kind k = ap_sniff_fd(fd); /* a file made by artpack or zstd is not JSON */
        if (k != AP_KIND_UNKNOWN && k != AP_KIND_EMPTY && k != AP_KIND_JSON) {
            ap_msg("%s is %s, not JSON: %s", ap_name(path), ap_kind_name(k),
                   k == AP_KIND_BUNDLE ? "`artpack unpack` gives its articles as JSON, "
                                         "`artpack merge` joins bundles"
                   : k == AP_KIND_RECORDS || k == AP_KIND_COMPRESSED
                       ? "`artpack decode` gives its articles as JSON"
                       : ap_kind_hint(k));
            goto done;
        }
    }
    if (ap_json_stream_open(&js, fd, 0)) {
        ap_msg("out of memory");
        goto done;
    }
    for (;;) {
        ap_json_article a;
        ap_json_error jerr;
        size_t size = 0, line;
        artpack_error e;
        int got = ap_json_stream_next(js, &a, &jerr);
        if (got == 0) break;
        if (got == -2) {
            ap_msg("%s:%zu:%zu: %s", ap_name(path), jerr.line, jerr.column, jerr.text);
            goto done;
        }
        seen++;
        if (got < 0) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s:%zu:%zu: article %zu: %s", ap_name(path), jerr.line, jerr.column,
                       seen, jerr.text);
            if (!o->keep_going) goto done;
            (*skipped)++;
            continue;
        }
        line = a.start_line;
        e = artpack_record_size(&a.view, &size);
        if (e == ARTPACK_OK && ap_buf_reserve(&rec, size)) e = ARTPACK_E_ALLOC;
        if (e == ARTPACK_OK) e = artpack_record_encode(rec.data, rec.cap, &a.view, &size);
        ap_json_article_free(&a);
        if (e != ARTPACK_OK) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s:%zu:1: article %zu: cannot encode: %s (%s)", ap_name(path), line,
                       seen, artpack_error_message(e), artpack_error_name(e));
            if (!o->keep_going) goto done;
            (*skipped)++;
            continue;
        }
        if (emit(ctx, rec.data, size)) goto done;
        (*articles)++;
    }
    rc = 0;
done:
    if (bytes && js) *bytes += ap_json_stream_bytes(js);
    ap_json_stream_close(js);
    if (fd != STDIN_FILENO) close(fd);
    ap_buf_free(&rec);
    return rc;
}

/* With several threads, records are dealt to lanes in order (about 256 KB
 * each); when every lane is full they compress at once, each with its own
 * compressor, and their frames are written lane after lane: the same bytes
 * as one thread. */
#define AP_LANE_BYTES ((size_t)256 * 1024)
typedef struct ap_lane {
    artpack_compressor *comp;
    ap_record_list in; /* the records to compress */
    ap_buf out;
    artpack_error e;
    int oom;
} ap_lane;

typedef struct ap_encode_ctx {
    ap_buf *out;              /* a buffer drained into sink as it fills */
    ap_out *sink;
    ap_buf frame;
    artpack_compressor *comp; /* NULL: plain records */
    ap_lane lane[ARTPACK_BUNDLE_JOBS_MAX];
    unsigned lanes, filling;  /* lanes: 0 or 1 = no lanes */
    ap_progress prog;
    uint64_t count;
} ap_encode_ctx;

static void ap_lane_run(void *arg) {
    ap_lane *l = (ap_lane *)arg;
    size_t k, pos = 0;
    l->out.len = 0;
    l->e = ARTPACK_OK;
    for (k = 0; k < l->in.count && l->e == ARTPACK_OK && !l->oom; k++) {
        size_t n = 0, vn = 0, bound = artpack_frame_bound(l->in.sizes[k]);
        unsigned char *at;
        if (ap_buf_reserve(&l->out, bound + ARTPACK_STREAM_ITEM_HEAD_MAX)) {
            l->oom = 1;
            break;
        }
        at = l->out.data + l->out.len;
        l->e = artpack_frame_compress(l->comp, at + ARTPACK_STREAM_ITEM_HEAD_MAX, bound,
                                      l->in.records.data + pos, l->in.sizes[k], &n);
        if (l->e == ARTPACK_OK) { /* the length prefix, then the frame moved up behind it */
            unsigned char v[ARTPACK_STREAM_ITEM_HEAD_MAX];
            l->e = artpack_stream_item_head_write(v, sizeof v, n, &vn);
            if (l->e != ARTPACK_OK) break;
            memmove(at + vn, at + ARTPACK_STREAM_ITEM_HEAD_MAX, n);
            memcpy(at, v, vn);
            l->out.len += vn + n;
        }
        pos += l->in.sizes[k];
    }
}

static int ap_drain_out(ap_encode_ctx *c) {
    if (ap_out_write(c->sink, c->out->data, c->out->len)) {
        ap_msg("writing %s: %s", ap_out_name(c->sink),
               strerror(c->sink->err_no));
        return -1;
    }
    c->out->len = 0;
    return 0;
}

/* Compresses the lanes filled so far and writes their frames in order. */
static int ap_lanes_flush(ap_encode_ctx *c) {
    void *args[ARTPACK_BUNDLE_JOBS_MAX] = {NULL};
    unsigned i, n = c->filling + 1;
    if (c->lane[0].in.count == 0) return 0;
    for (i = 0; i < n; i++) args[i] = &c->lane[i];
    ap_parallel_run(NULL, ap_lane_run, args, n);
    for (i = 0; i < n; i++) {
        ap_lane *l = &c->lane[i];
        if (l->oom) {
            ap_msg("out of memory");
            return -1;
        }
        if (l->e != ARTPACK_OK) {
            ap_msg("compression failed: %s (%s)", artpack_error_message(l->e),
                   artpack_error_name(l->e));
            return -1;
        }
        if (ap_buf_put(c->out, l->out.data, l->out.len)) {
            ap_msg("out of memory");
            return -1;
        }
        l->in.records.len = 0;
        l->in.count = 0;
        if (c->out->len >= ((size_t)1 << 20) && ap_drain_out(c)) return -1;
    }
    c->filling = 0;
    return 0;
}

static int ap_emit_laned(ap_encode_ctx *c, const unsigned char *record, size_t size) {
    ap_lane *l = &c->lane[c->filling];
    if (ap_record_list_add(&l->in, record, size)) return -1;
    if (l->in.records.len >= AP_LANE_BYTES) {
        if (c->filling + 1 < c->lanes) c->filling++;
        else return ap_lanes_flush(c);
    }
    return 0;
}

/* One item of the stream: its length prefix, then its bytes. */
static int ap_put_item(ap_encode_ctx *c, const unsigned char *item, size_t size) {
    unsigned char head[ARTPACK_STREAM_ITEM_HEAD_MAX];
    size_t n;
    artpack_error e = artpack_stream_item_head_write(head, sizeof head, size, &n);
    if (e != ARTPACK_OK) {
        ap_msg("article %llu: %s (%s)", (unsigned long long)c->count, artpack_error_message(e),
               artpack_error_name(e));
        return -1;
    }
    if (ap_buf_put(c->out, head, n) || ap_buf_put(c->out, item, size)) {
        ap_msg("out of memory");
        return -1;
    }
    if (c->out->len >= ((size_t)1 << 20) && ap_drain_out(c)) return -1;
    return 0;
}

static int ap_emit_encoded(void *vctx, const unsigned char *record, size_t size) {
    ap_encode_ctx *c = (ap_encode_ctx *)vctx;
    ap_progress_update(&c->prog, ++c->count, 0, c->sink->bytes + c->out->len);
    if (c->comp != NULL && c->lanes > 1) return ap_emit_laned(c, record, size);
    if (c->comp != NULL) {
        size_t n;
        artpack_error e;
        if (ap_buf_reserve(&c->frame, artpack_frame_bound(size))) goto oom;
        e = artpack_frame_compress(c->comp, c->frame.data, c->frame.cap, record, size, &n);
        if (e != ARTPACK_OK) {
            ap_msg("compression failed: %s (%s)", artpack_error_message(e), artpack_error_name(e));
            return -1;
        }
        record = c->frame.data;
        size = n;
    }
    return ap_put_item(c, record, size);
oom:
    ap_msg("out of memory");
    return -1;
}

static int ap_cmd_encode(const ap_options *o) {
    ap_buf out = {NULL, 0, 0}, dict_buf = {NULL, 0, 0};
    ap_encode_ctx ctx;
    artpack_dict dict;
    ap_out sink;
    size_t articles = 0, skipped = 0;
    uint64_t json_bytes = 0;
    int rc = 1, writing = 0;
    char err[512];

    memset(&ctx, 0, sizeof ctx);
    ctx.out = &out;
    ctx.sink = &sink;
    if (o->dict_path && ap_load_dict(o, &dict_buf, &dict)) goto done;
    if (o->compress) {
        artpack_compress_params p;
        artpack_error e;
        memset(&p, 0, sizeof p);
        p.codec = (artpack_codec)o->codec;
        p.level = o->level;
        p.checksum = o->checksum;
        p.frame_dict_id = 0; /* the stream header names the dictionary */
        p.words = o->dict_path && dict.words != NULL && !o->no_words;
        e = artpack_compressor_create(&ctx.comp, &p, o->dict_path ? &dict : NULL,
                                      &ap_tool_allocator);
        if (o->threads > 1) {
            unsigned k;
            ctx.lanes = o->threads;
            for (k = 0; k < ctx.lanes && e == ARTPACK_OK; k++)
                e = artpack_compressor_create(&ctx.lane[k].comp, &p, o->dict_path ? &dict : NULL,
                                              &ap_tool_allocator);
        }
        if (e != ARTPACK_OK) {
            ap_msg("cannot set up compression: %s (%s)", artpack_error_message(e),
                   artpack_error_name(e));
            goto done;
        }
    }
    {
        unsigned char head[ARTPACK_STREAM_HEADER_SIZE_MAX];
        size_t n;
        artpack_stream_kind kind = o->compress ? ARTPACK_STREAM_COMPRESSED : ARTPACK_STREAM_RECORDS;
        artpack_error e = artpack_stream_header_write(head, sizeof head, kind,
                                                      o->compress && o->dict_path ? dict.id : 0, &n);
        if (e != ARTPACK_OK) {
            ap_msg("stream header: %s (%s)", artpack_error_message(e), artpack_error_name(e));
            goto done;
        }
        if (ap_buf_put(&out, head, n)) goto oom;
    }
    if (ap_out_open(&sink, o->output, o->force, err, sizeof err)) {
        ap_msg("%s", err);
        goto done;
    }
    writing = 1;
    ap_progress_start(&ctx.prog, o, "encode", "articles");
    if (ap_pack_json_async(o, o->input, ap_emit_encoded, &ctx, &articles, &skipped, &json_bytes))
        goto done;
    if (ctx.lanes > 1 && ap_lanes_flush(&ctx)) goto done;
    ap_progress_end(&ctx.prog);
    if (ap_out_write(&sink, out.data, out.len)) {
        ap_msg("writing %s: %s", ap_out_name(&sink),
               strerror(sink.err_no));
        goto done;
    }
    writing = 0;
    if (ap_out_commit(&sink, err, sizeof err)) {
        ap_msg("%s", err);
        goto done;
    }
    if (o->verbose || (skipped && !o->quiet))
        ap_msg("encode: %zu articles, %zu skipped; %llu B of JSON -> %llu B (%.1f%%)", articles,
               skipped, (unsigned long long)json_bytes, (unsigned long long)sink.bytes,
               json_bytes ? 100.0 * (double)sink.bytes / (double)json_bytes : 0.0);
    rc = skipped ? AP_EXIT_SKIPPED : 0;
    goto done;
oom:
    ap_msg("out of memory");
done:
    ap_progress_end(&ctx.prog);
    if (writing) ap_out_abort(&sink);
    {
        unsigned k;
        for (k = 0; k < ARTPACK_BUNDLE_JOBS_MAX; k++) {
            artpack_compressor_free(ctx.lane[k].comp);
            ap_record_list_free(&ctx.lane[k].in);
            ap_buf_free(&ctx.lane[k].out);
        }
    }
    artpack_compressor_free(ctx.comp);
    ap_buf_free(&ctx.frame);
    ap_buf_free(&out);
    ap_buf_free(&dict_buf);
    return rc;
}

/* The input of decode, read as it is needed: in holds the input from byte
 * base on; 1 when more than it holds was asked for and the input ended. */
typedef struct ap_in {
    int fd;
    ap_buf buf;
    uint64_t base;
    int eof, err_no;
} ap_in;

/* Makes in->buf hold need bytes from pos on, unless the input ends first:
 * 0, or -1 on a read error or out of memory (err_no says which). */
static int ap_in_need(ap_in *in, size_t pos, size_t need) {
    while (in->buf.len - pos < need && !in->eof) {
        ssize_t n;
        size_t want = need - (in->buf.len - pos);
        if (ap_buf_reserve(&in->buf, want > ((size_t)1 << 16) ? want : (size_t)1 << 16)) {
            in->err_no = ENOMEM;
            return -1;
        }
        n = read(in->fd, in->buf.data + in->buf.len, in->buf.cap - in->buf.len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            in->err_no = errno;
            return -1;
        }
        if (n == 0) in->eof = 1;
        in->buf.len += (size_t)n;
    }
    return 0;
}

/* Drops what is before pos (consumed); pos becomes 0. */
static void ap_in_slide(ap_in *in, size_t *pos) {
    if (*pos < ((size_t)1 << 20)) return;
    memmove(in->buf.data, in->buf.data + *pos, in->buf.len - *pos);
    in->buf.len -= *pos;
    in->base += *pos;
    *pos = 0;
}

/* A stream read from a file descriptor through the library's reader
 * (codec/stream.c): its header, then its items one at a time. In memory:
 * the item being read and what the last read() brought. */
typedef struct ap_stream_in {
    ap_in in;
    size_t pos;               /* in in.buf: where the reader's next src starts */
    artpack_stream_info info; /* the header (as far as it was read) */
    artpack_stream_reader r;
    artpack_error e;          /* what the library refused, when a call returns 1 */
} ap_stream_in;

/* Reads the header: 0; -1 on a read error (in.err_no); 1 when it is not a
 * stream this library reads (e; info: the kind, then the version found). */
static int ap_stream_in_head(ap_stream_in *s) {
    size_t need = ARTPACK_STREAM_HEADER_SIZE_MAX;
    do {
        if (ap_in_need(&s->in, 0, need)) return -1;
        s->e = artpack_stream_header_read(&s->info, s->in.buf.data, s->in.buf.len, s->in.eof,
                                          &need);
        if (s->e != ARTPACK_OK) return 1;
    } while (need != 0);
    s->pos = s->info.header_size;
    s->e = artpack_stream_reader_init(&s->r, &s->info);
    return s->e != ARTPACK_OK;
}

/* Reads the next item (item->data NULL at the end; it stays valid until the
 * next call): 0; -1 on a read error; 1 when the framing is broken (e):
 * nothing after it can be trusted. */
static int ap_stream_in_next(ap_stream_in *s, artpack_stream_item *item) {
    size_t need = ARTPACK_STREAM_ITEM_HEAD_MAX;
    ap_in_slide(&s->in, &s->pos);
    do {
        if (ap_in_need(&s->in, s->pos, need)) return -1;
        s->e = artpack_stream_next(&s->r, s->in.buf.data ? s->in.buf.data + s->pos : NULL,
                                   s->in.buf.len - s->pos, s->in.eof, item, &need);
        if (s->e != ARTPACK_OK) return 1;
    } while (need != 0);
    s->pos += item->consumed;
    return 0;
}

/* Why the header was refused; for a file that is no stream, what it is. */
static void ap_stream_in_refused(const ap_stream_in *s, const char *name) {
    const char *kind_name = s->info.kind == ARTPACK_STREAM_COMPRESSED ? "compressed" : "record";
    ap_kind k;
    if (s->e == ARTPACK_E_TRUNCATED) {
        ap_msg("%s: %s stream header truncated", name, kind_name);
        return;
    }
    if (s->info.kind != ARTPACK_STREAM_UNKNOWN) {
        ap_msg("%s: stream version %u is not supported (this is version %d)", name,
               s->info.version, ARTPACK_STREAM_VERSION(s->info.kind));
        return;
    }
    k = ap_sniff(s->in.buf.data, s->in.buf.len);
    if (k == AP_KIND_UNKNOWN)
        ap_msg("%s: not an artpack stream (bad magic)", name);
    else if (k == AP_KIND_DICT)
        ap_msg("%s is %s, not a stream: give it with -D DICT, and the stream as FILE", name,
               ap_kind_name(k));
    else if (k == AP_KIND_BUNDLE)
        ap_msg("%s is %s, not a stream: read it with `artpack unpack` (or get, ls)", name,
               ap_kind_name(k));
    else if (k == AP_KIND_JSON)
        ap_msg("%s is %s, not a stream: `artpack encode` makes a stream of it", name,
               ap_kind_name(k));
    else
        ap_msg("%s is %s, not an artpack stream%s%s", name, ap_kind_name(k),
               *ap_kind_hint(k) ? ": " : "", ap_kind_hint(k));
}

/* Where the framing broke: the item (noun, its number) and its byte. */
static void ap_stream_in_broken(const ap_stream_in *s, const artpack_stream_item *item,
                                const char *name, const char *noun) {
    ap_msg("%s: %s %llu (byte %llu): %s (%s)", name, noun, (unsigned long long)item->index + 1,
           (unsigned long long)item->offset,
           s->e != ARTPACK_E_TRUNCATED ? "bad length prefix"
           : item->head_size ? "truncated: the stream ends inside it"
                             : "truncated: the stream ends inside its length prefix",
           artpack_error_name(s->e));
}

/* A compressed stream's dictionary: loads -D's and checks it against the
 * header's ID. 0, or -1 (said why). */
static int ap_stream_in_dict(const ap_options *o, const ap_stream_in *s, ap_buf *dict_buf,
                             artpack_dict *dict) {
    artpack_error e = o->dict_path ? ARTPACK_OK : artpack_stream_check_dict(&s->info, NULL);
    if (e == ARTPACK_OK && o->dict_path) {
        if (ap_load_dict(o, dict_buf, dict)) return -1;
        e = artpack_stream_check_dict(&s->info, dict);
    }
    if (e == ARTPACK_E_NEED_DICT)
        ap_msg("%s: made with dictionary ID %u: give it with -D DICT (%s)", ap_input_name(o),
               (unsigned)s->info.dict_id, artpack_error_name(e));
    else if (e != ARTPACK_OK)
        ap_msg("%s: made with dictionary ID %u, but %s has ID %u (%s)", ap_input_name(o),
               (unsigned)s->info.dict_id, o->dict_path, (unsigned)dict->id,
               artpack_error_name(e));
    return e == ARTPACK_OK ? 0 : -1;
}

static int ap_cmd_decode(const ap_options *o) {
    ap_buf out = {NULL, 0, 0}, dict_buf = {NULL, 0, 0}, plain = {NULL, 0, 0};
    ap_stream_in s;
    ap_progress prog;
    size_t records = 0, skipped = 0;
    void *workspace = NULL;
    artpack_decompressor *dec = NULL;
    artpack_dict dict;
    ap_out sink;
    char oerr[512];
    int rc = 1, compressed, writing = 0, got;

    memset(&s, 0, sizeof s);
    memset(&prog, 0, sizeof prog);
    s.in.fd = strcmp(o->input, "-") == 0 ? STDIN_FILENO : open(o->input, O_RDONLY);
    if (s.in.fd < 0) {
        ap_msg("%s: %s", ap_input_name(o), strerror(errno));
        return 1;
    }
    if (s.in.fd == STDIN_FILENO && !ap_stdin_ok()) return 1;
    got = ap_stream_in_head(&s);
    if (got < 0) goto read_error;
    if (got > 0) {
        ap_stream_in_refused(&s, ap_input_name(o));
        goto done;
    }
    compressed = s.info.kind == ARTPACK_STREAM_COMPRESSED;
    if (compressed) {
        size_t ws;
        artpack_error e;
        int cm;
        if (ap_stream_in_dict(o, &s, &dict_buf, &dict)) goto done;
        /* a CM model: a CM decompressor */
        cm = s.info.dict_id != 0 ? artpack_cm_model_level(&dict) : 0;
        ws = cm ? artpack_cm_workspace_size(cm)
                : artpack_decompressor_workspace_size(ARTPACK_CODEC_ZSTD);
        workspace = ap_malloc(ws);
        if (workspace == NULL) goto oom;
        e = artpack_decompressor_init(&dec, workspace, ws,
                                      cm ? ARTPACK_CODEC_CM : ARTPACK_CODEC_ZSTD,
                                      s.info.dict_id != 0 ? &dict : NULL, 0);
        if (e != ARTPACK_OK) {
            ap_msg("%s: %s (%s)", o->dict_path ? o->dict_path : ap_input_name(o),
                   artpack_error_message(e), artpack_error_name(e));
            goto done;
        }
    }
    if (ap_out_open(&sink, o->output, o->force, oerr, sizeof oerr)) {
        ap_msg("%s", oerr);
        goto done;
    }
    writing = 1;
    ap_progress_start(&prog, o, "decode", "articles");
    for (;;) {
        artpack_stream_item item;
        size_t where = 0, size;
        const unsigned char *rec;
        artpack_article a;
        artpack_error e = ARTPACK_OK;
        char err[256];
        unsigned long long at;
        ap_progress_update(&prog, records + skipped, 0, s.r.offset);
        got = ap_stream_in_next(&s, &item);
        if (got < 0) goto read_error;
        if (got > 0) {
            ap_stream_in_broken(&s, &item, ap_input_name(o), "record");
            goto done;
        }
        if (item.data == NULL) break; /* the end */
        at = (unsigned long long)(item.offset + item.head_size);
        rec = item.data;
        size = item.size;
        if (compressed) {
            artpack_frame_info info;
            e = artpack_frame_info_get(&info, rec, size);
            if (e == ARTPACK_OK && ap_buf_reserve(&plain, info.content_size + 1))
                goto oom;
            if (e == ARTPACK_OK)
                e = artpack_frame_decompress(dec, plain.data, plain.cap, rec, size, &size);
            rec = plain.data;
        }
        if (e == ARTPACK_OK) e = artpack_record_decode(&a, rec, size, &where);
        if (e != ARTPACK_OK) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s: %s %llu (byte %llu): %s: %s (at byte %zu of the %s)", ap_input_name(o),
                       compressed ? "article" : "record", (unsigned long long)item.index + 1, at,
                       artpack_error_name(e), artpack_error_message(e), where,
                       compressed ? "article" : "record");
        } else if (ap_json_write_article(&out, &a, err, sizeof err)) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s: record %llu (byte %llu): %s", ap_input_name(o),
                       (unsigned long long)item.index + 1, at, err);
            e = ARTPACK_E_BAD_VIEW;
        }
        if (e != ARTPACK_OK) {
            if (!o->keep_going) goto done;
            skipped++;
            continue;
        }
        records++;
        if (out.len >= ((size_t)1 << 20)) {
            if (ap_out_write(&sink, out.data, out.len)) goto write_error;
            out.len = 0;
        }
    }
    ap_progress_end(&prog);
    if (ap_out_write(&sink, out.data, out.len)) goto write_error;
    writing = 0;
    if (ap_out_commit(&sink, oerr, sizeof oerr)) {
        ap_msg("%s", oerr);
        goto done;
    }
    if (o->verbose || (skipped && !o->quiet))
        ap_msg("decode: %zu articles, %zu skipped; %llu B -> %llu B of JSON", records, skipped,
               (unsigned long long)s.r.offset, (unsigned long long)sink.bytes);
    rc = skipped ? AP_EXIT_SKIPPED : 0;
    goto done;
read_error:
    if (s.in.err_no == ENOMEM) goto oom;
    ap_msg("%s: %s", ap_input_name(o), strerror(s.in.err_no));
    goto done;
write_error:
    ap_msg("writing %s: %s", ap_out_name(&sink), strerror(sink.err_no));
    goto done;
oom:
    ap_msg("out of memory");
done:
    ap_progress_end(&prog);
    if (writing) ap_out_abort(&sink);
    if (s.in.fd > 0) close(s.in.fd);
    free(workspace);
    ap_buf_free(&s.in.buf);
    ap_buf_free(&out);
    ap_buf_free(&plain);
    ap_buf_free(&dict_buf);
    return rc;
}

/* ---- record lists (cli.h) ---- */

int ap_record_list_add(void *list, const unsigned char *record, size_t size) {
    ap_record_list *c = (ap_record_list *)list;
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 1024;
        size_t *p = (size_t *)ap_realloc(c->sizes, ncap * sizeof *p);
        if (p == NULL) goto oom;
        c->sizes = p;
        c->cap = ncap;
    }
    if (ap_buf_put(&c->records, record, size)) goto oom;
    c->sizes[c->count++] = size;
    return 0;
oom:
    ap_msg("out of memory");
    return -1;
}

void ap_record_list_free(ap_record_list *list) {
    ap_buf_free(&list->records);
    free(list->sizes);
    memset(list, 0, sizeof *list);
}

/* ---- train ---- */

typedef struct ap_train_job {
    const ap_buf *samples;
    const size_t *sizes;
    size_t count;
    artpack_train_params params;
    ap_buf *dict;
    size_t written;
    artpack_error err;
    int cm; /* a CM model (artpack_cm_train) */
    volatile int done;
} ap_train_job;

static void *ap_train_thread(void *arg) {
    ap_train_job *j = (ap_train_job *)arg;
    j->err = (j->cm ? artpack_cm_train : artpack_dict_train)(j->dict->data, j->dict->cap,
                                                             j->samples->data, j->sizes,
                                                             (unsigned)j->count, &j->params,
                                                             &j->written);
    j->done = 1;
    return NULL;
}

typedef struct ap_sample_key {
    uint64_t hash;
    size_t size;
} ap_sample_key;

static int ap_sample_key_cmp(const void *a, const void *b) {
    const ap_sample_key *x = (const ap_sample_key *)a, *y = (const ap_sample_key *)b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->size < y->size ? -1 : x->size > y->size;
}

/* Says why zstd's trainer could not make a usable dictionary, and what to
 * do: how many of the samples differ, and how much distinct content they
 * hold (a dictionary is at least ARTPACK_DICT_SIZE_MIN bytes). */
static void ap_train_failed(const ap_options *o, const ap_buf *samples, const size_t *sizes,
                            size_t count) {
    ap_sample_key *key = count ? (ap_sample_key *)ap_malloc(count * sizeof *key) : NULL;
    size_t i, pos = 0, distinct = count, want = o->dict_size ? o->dict_size
                                                               : ARTPACK_DICT_SIZE_DEFAULT;
    uint64_t bytes = 0, distinct_bytes = 0;
    char why[256];
    for (i = 0; i < count; i++) {
        uint64_t x = 14695981039346656037u; /* FNV-1a */
        size_t k;
        for (k = 0; key != NULL && k < sizes[i]; k++)
            x = (x ^ samples->data[pos + k]) * 1099511628211u;
        if (key != NULL) {
            key[i].hash = x;
            key[i].size = sizes[i];
        }
        pos += sizes[i];
        bytes += sizes[i];
    }
    distinct_bytes = bytes;
    if (key != NULL) {
        qsort(key, count, sizeof *key, ap_sample_key_cmp);
        distinct = 0;
        distinct_bytes = 0;
        for (i = 0; i < count; i++)
            if (i == 0 || ap_sample_key_cmp(&key[i], &key[i - 1]) != 0) {
                distinct++;
                distinct_bytes += key[i].size;
            }
        free(key);
    }
    if (count < 8)
        snprintf(why, sizeof why, "%zu article%s %s too few", count, count == 1 ? "" : "s",
                 count == 1 ? "is" : "are");
    else if (distinct < 8)
        snprintf(why, sizeof why,
                 "the %zu articles hold only %zu distinct record%s: too few distinct samples "
                 "for a dictionary of at least %zu B",
                 count, distinct, distinct == 1 ? "" : "s", (size_t)ARTPACK_DICT_SIZE_MIN);
    else
        snprintf(why, sizeof why,
                 "the %zu articles (%zu distinct, %llu B of distinct records) hold too little "
                 "varied content for a dictionary of at least %zu B",
                 count, distinct, (unsigned long long)distinct_bytes,
                 (size_t)ARTPACK_DICT_SIZE_MIN);
    ap_msg("training failed: %s (%s). A dictionary is learnt from many different articles: "
           "give a few hundred distinct ones or more, ideally about 100 x the dictionary's "
           "size (%zu B) of records; or compress without one (encode -19; pack without -D "
           "or --train)",
           why, artpack_error_name(ARTPACK_E_TRAIN), want);
}

int ap_train_records(const ap_options *o, const ap_buf *samples, const size_t *sizes,
                     size_t count, ap_buf *dict) {
    ap_train_job job;
    int progress = ap_progress_on(o);
    pthread_t th;
    double t0 = ap_seconds();
    if (count > 0xFFFFFFFFu) {
        ap_msg("too many articles to train on");
        return 1;
    }
    memset(&job, 0, sizeof job);
    job.samples = samples;
    job.sizes = sizes;
    job.count = count;
    job.params.dict_size = o->dict_size;
    job.params.optimize = o->optimize;
    /* a word list for the word transform (encode's, and pack's for
     * bundles), unless --no-words */
    job.params.words = o->no_words ? -1 : 0;
    job.params.level = o->level;
    job.cm = o->codec == ARTPACK_CODEC_CM;
    job.dict = dict;
    dict->len = 0;
    if (ap_buf_reserve(dict, o->dict_size ? o->dict_size : ARTPACK_DICT_SIZE_DEFAULT)) {
        ap_msg("out of memory");
        return 1;
    }
    if (progress) fprintf(stderr, "\rartpack: training on %zu articles (%zu B of records) ...",
                          count, samples->len);
    if (ap_thread_start(&th, ap_train_thread, &job) != 0) {
        ap_train_thread(&job);
    } else {
        while (!job.done) {
            struct timespec ts = {0, 200000000};
            nanosleep(&ts, NULL);
            if (progress)
                fprintf(stderr, "\rartpack: training on %zu articles ... %.0f s", count,
                        ap_seconds() - t0);
        }
        pthread_join(th, NULL);
    }
    if (progress) fputc('\n', stderr);
    if (job.err == ARTPACK_E_TRAIN) {
        ap_train_failed(o, samples, sizes, count);
        return 1;
    }
    if (job.err != ARTPACK_OK) {
        ap_msg("training failed: %s (%s)", artpack_error_message(job.err),
               artpack_error_name(job.err));
        return 1;
    }
    dict->len = job.written;
    return 0;
}

static int ap_cmd_train(const ap_options *o) {
    ap_record_list ctx;
    ap_buf dict = {NULL, 0, 0};
    size_t articles = 0, skipped = 0;
    uint64_t json_bytes = 0;
    int i, rc = 1, progress = ap_progress_on(o);
    double t0 = ap_seconds();

    memset(&ctx, 0, sizeof ctx);
    for (i = 0; i < o->n_inputs; i++) {
        if (progress) fprintf(stderr, "\rartpack: packing %s ...", ap_name(o->inputs[i]));
        if (ap_pack_json(o, o->inputs[i], ap_record_list_add, &ctx, &articles, &skipped, &json_bytes))
            goto done;
    }
    if (ap_train_records(o, &ctx.records, ctx.sizes, ctx.count, &dict)) goto done;
    if (ap_commit(o, &dict)) goto done;
    if (o->verbose || (skipped && !o->quiet)) {
        artpack_dict d;
        artpack_dict_load(&d, dict.data, dict.len);
        ap_msg("train: %zu articles (%zu skipped), %llu B of JSON, %zu B of records -> "
               "dictionary of %zu B, ID %u, in %.1f s",
               articles, skipped, (unsigned long long)json_bytes, ctx.records.len, dict.len, (unsigned)d.id,
               ap_seconds() - t0);
    }
    rc = skipped ? AP_EXIT_SKIPPED : 0;
done:
    ap_record_list_free(&ctx);
    ap_buf_free(&dict);
    return rc;
}

/* The status once what went to standard output through stdio (verify's
 * report, the version) is flushed: 1 when it could not be written (a full
 * disk, a closed pipe), else rc. */
static int ap_stdout_status(int rc) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == 0) ap_msg("writing to standard output: %s", strerror(errno));
        return rc ? rc : 1;
    }
    return rc;
}

/* ---- info ---- */

static void ap_info_key(ap_info *f, const char *key) {
    if (f->json) {
        if (!f->first) ap_buf_putc(f->out, ',');
        ap_json_put_string(f->out, key, strlen(key));
        ap_buf_putc(f->out, ':');
    } else {
        char k[64];
        snprintf(k, sizeof k, "%s:", key);
        ap_buf_puts(f->out, k);
        ap_buf_put(f->out, "                        ", strlen(k) < 24 ? 24 - strlen(k) : 1);
    }
    f->first = 0;
}

void ap_info_str(ap_info *f, const char *key, const char *value) {
    ap_info_key(f, key);
    if (value == NULL) ap_buf_puts(f->out, f->json ? "null" : "-");
    else if (f->json) ap_json_put_string(f->out, value, strlen(value));
    else ap_buf_puts(f->out, value);
    if (!f->json) ap_buf_putc(f->out, '\n');
}

void ap_info_num(ap_info *f, const char *key, uint64_t value) {
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)value);
    ap_info_key(f, key);
    ap_buf_puts(f->out, v);
    if (!f->json) ap_buf_putc(f->out, '\n');
}

void ap_info_real(ap_info *f, const char *key, double value) {
    char v[48];
    snprintf(v, sizeof v, "%.3f", value);
    ap_info_key(f, key);
    ap_buf_puts(f->out, v);
    if (!f->json) ap_buf_putc(f->out, '\n');
}

/* info of a record or compressed stream: read through once, item by item
 * (a compressed article's header gives its record size). */
static int ap_stream_info(const ap_options *o, int fd, ap_info *f) {
    ap_stream_in s;
    artpack_stream_item item;
    uint64_t items = 0, payload = 0, records = 0, largest = 0, no_check = 0;
    int rc = 1, compressed, got;
    memset(&s, 0, sizeof s);
    s.in.fd = fd;
    got = ap_stream_in_head(&s);
    if (got < 0) goto read_error;
    if (got > 0) {
        ap_stream_in_refused(&s, ap_name(o->input));
        goto done;
    }
    compressed = s.info.kind == ARTPACK_STREAM_COMPRESSED;
    while ((got = ap_stream_in_next(&s, &item)) == 0 && item.data != NULL) {
        if (compressed) {
            artpack_frame_info fi;
            if (artpack_frame_info_get(&fi, item.data, item.size) == ARTPACK_OK) {
                records += fi.content_size;
                if (!fi.has_checksum) no_check++;
            }
        } else {
            records += item.size;
        }
        if (item.size > largest) largest = item.size;
        payload += item.size;
        items++;
    }
    if (got < 0) goto read_error;
    if (got > 0) {
        ap_stream_in_broken(&s, &item, ap_name(o->input), "item");
        goto done;
    }
    ap_info_str(f, "file", ap_name(o->input));
    ap_info_str(f, "kind", compressed ? "compressed stream" : "record stream");
    ap_info_num(f, "format_version", s.info.version);
    if (compressed) {
        ap_info_num(f, "dict_id", s.info.dict_id);
        ap_info_str(f, "dict", s.info.dict_id ? "named (give it with -D)" : "none");
    }
    ap_info_num(f, "articles", items);
    ap_info_num(f, "bytes", s.r.offset);
    ap_info_num(f, "record_bytes", records);
    if (compressed) {
        ap_info_num(f, "compressed_bytes", payload);
        ap_info_num(f, "articles_without_checksum", no_check);
        if (s.r.offset) ap_info_real(f, "ratio", (double)records / (double)s.r.offset);
    }
    ap_info_num(f, compressed ? "largest_article_stored" : "largest_record", largest);
    rc = 0;
    goto done;
read_error:
    ap_msg("%s: %s", ap_name(o->input), strerror(s.in.err_no));
done:
    ap_buf_free(&s.in.buf);
    return rc;
}

/* Tokens of a dictionary's word list (docs/FORMAT.md) that begin with a
 * space (list version 2); 0 without a list. */
static uint64_t ap_words_spaced(const unsigned char *list) {
    unsigned n, i;
    uint64_t spaced = 0;
    const unsigned char *p;
    if (list == NULL) return 0;
    n = (unsigned)list[2] | (unsigned)list[3] << 8;
    p = list + 4 + 2 * ((n + 15) / 16);
    for (i = 0; i < n; p += 1 + p[0], i++) spaced += p[1] == ' ';
    return spaced;
}

static int ap_cmd_info(const ap_options *o) {
    ap_buf out = {NULL, 0, 0}, file = {NULL, 0, 0};
    ap_info f;
    ap_kind kind;
    int rc = 1, fd = strcmp(o->input, "-") == 0 ? ap_stdin_file() : open(o->input, O_RDONLY);
    if (fd < 0) {
        if (strcmp(o->input, "-") != 0) ap_msg("%s: %s", o->input, strerror(errno));
        return 1;
    }
    f.out = &out;
    f.json = o->json;
    f.first = 1;
    if (o->json) ap_buf_putc(&out, '{');
    kind = ap_sniff_fd(fd);
    switch (kind) {
    case AP_KIND_BUNDLE:
        if (ap_bundle_info(o, o->input, fd, &f)) goto done;
        break;
    case AP_KIND_RECORDS:
    case AP_KIND_COMPRESSED:
        if (ap_stream_info(o, fd, &f)) goto done;
        break;
    case AP_KIND_DICT: {
        artpack_dict d;
        artpack_error e;
        ssize_t n;
        if (ap_buf_reserve(&file, ARTPACK_DICT_SIZE_MAX + 1)) goto oom;
        n = pread(fd, file.data, ARTPACK_DICT_SIZE_MAX + 1, 0);
        if (n < 0) {
            ap_msg("%s: %s", ap_name(o->input), strerror(errno));
            goto done;
        }
        file.len = (size_t)n;
        e = artpack_dict_load(&d, file.data, file.len);
        ap_info_str(&f, "file", ap_name(o->input));
        ap_info_str(&f, "kind", "zstd dictionary");
        ap_info_num(&f, "dict_id", (uint32_t)file.data[4] | (uint32_t)file.data[5] << 8 |
                                       (uint32_t)file.data[6] << 16 | (uint32_t)file.data[7] << 24);
        ap_info_num(&f, "bytes", file.len);
        ap_info_str(&f, "usable", e == ARTPACK_OK ? "yes" : artpack_error_message(e));
        if (e == ARTPACK_OK) { /* the word transform's list (docs/FORMAT.md), 0 without */
            ap_info_num(&f, "words",
                        d.words != NULL ? (uint32_t)d.words[2] | (uint32_t)d.words[3] << 8 : 0);
            ap_info_num(&f, "word_list_bytes", d.words != NULL ? d.words_size : 0);
            ap_info_num(&f, "word_list_version", d.words != NULL ? d.words[0] : 0);
            ap_info_num(&f, "words_spaced", ap_words_spaced(d.words));
        }
        break;
    }
    case AP_KIND_UNKNOWN:
    case AP_KIND_EMPTY:
        ap_msg("%s is %s", ap_name(o->input), ap_kind_name(kind));
        goto done;
    default:
        ap_info_str(&f, "file", ap_name(o->input));
        ap_info_str(&f, "kind", ap_kind_name(kind));
        ap_info_str(&f, "hint", ap_kind_hint(kind));
        break;
    }
    if (o->json && (ap_buf_putc(&out, '}') || ap_buf_putc(&out, '\n'))) goto oom;
    if (ap_alloc_failed()) goto oom;
    if (ap_commit(o, &out)) goto done;
    rc = 0;
    goto done;
oom:
    ap_msg("out of memory");
done:
    close(fd);
    ap_buf_free(&out);
    ap_buf_free(&file);
    return rc;
}

/* ---- the command line: options and commands as tables ----
 * Each option once (its letter, long name, value, section and help); each
 * command once (its name, what it runs, its arguments, the options it takes,
 * whether it writes binary, its help). The parser, the usage check, `--help`
 * and `COMMAND --help` read these tables; a new command is one row. */

enum {
    AP_O_OUTPUT, AP_O_STDOUT, AP_O_FORCE, AP_O_KEEP_GOING, AP_O_QUIET, AP_O_VERBOSE,
    AP_O_HELP, AP_O_VERSION, AP_O_DICT, AP_O_LEVEL, AP_O_ULTRA, AP_O_LZ4, AP_O_STORED,
    AP_O_NO_CHECK, AP_O_THREADS, AP_O_EMBED_DICT, AP_O_TRAIN, AP_O_NO_DICT, AP_O_ROWS, AP_O_BLOCK_SIZE, AP_O_SIZE,
    AP_O_OPTIMIZE, AP_O_ID, AP_O_RANGE, AP_O_JSON, AP_O_WAIT, AP_O_NO_WAIT, AP_O_UNIQUE,
    AP_O_PROGRESS, AP_O_NO_PROGRESS, AP_O_CM, AP_O_NO_WORDS, AP_O_SIMILAR, AP_O_NO_SIMILAR, AP_O_COUNT
};
#define AP_BIT(x) (1ul << (x))
/* what every command takes */
#define AP_COMMON (AP_BIT(AP_O_QUIET) | AP_BIT(AP_O_VERBOSE) | AP_BIT(AP_O_HELP) | AP_BIT(AP_O_VERSION))
#define AP_OUT (AP_BIT(AP_O_OUTPUT) | AP_BIT(AP_O_STDOUT) | AP_BIT(AP_O_FORCE))
#define AP_CODEC \
    (AP_BIT(AP_O_LEVEL) | AP_BIT(AP_O_ULTRA) | AP_BIT(AP_O_LZ4) | AP_BIT(AP_O_STORED) | AP_BIT(AP_O_CM))
#define AP_PROGRESS (AP_BIT(AP_O_PROGRESS) | AP_BIT(AP_O_NO_PROGRESS))
#define AP_TRAINING (AP_BIT(AP_O_SIZE) | AP_BIT(AP_O_OPTIMIZE))

typedef struct ap_option_def {
    int id;
    char letter;         /* short form, or 0 */
    const char *name;    /* long form without "--", or NULL (the levels) */
    const char *value;   /* the value's name in the help, or NULL: a flag */
    const char *section; /* a heading in the help, when it starts one */
    const char *help;    /* lines after the first begin with '\n' */
} ap_option_def;

static const ap_option_def ap_option_table[] = {
    {AP_O_OUTPUT, 'o', "output", "FILE", "Output:",
     "write to FILE ('-' = standard output, the default); it appears\n"
     "complete or not at all"},
    {AP_O_STDOUT, 'c', "stdout", NULL, NULL, "write to standard output (as -o -)"},
    {AP_O_FORCE, 'f', "force", NULL, NULL,
     "overwrite FILE if it exists (a symbolic link: the file it points\n"
     "to, the link kept); write binary to a terminal; append: also after\n"
     "an interrupted append"},
    {AP_O_KEEP_GOING, 0, "keep-going", NULL, NULL,
     "skip bad articles or records (unpack, ls: damaged blocks), report\n"
     "each, write the rest; status 2 when something was skipped"},
    {AP_O_PROGRESS, 0, "progress", NULL, NULL,
     "show progress on standard error even when it is not a terminal"},
    {AP_O_NO_PROGRESS, 0, "no-progress", NULL, NULL,
     "no progress (the default when standard error is not a terminal)"},
    {AP_O_QUIET, 'q', "quiet", NULL, NULL, "no warnings, progress or summary"},
    {AP_O_VERBOSE, 'v', "verbose", NULL, NULL, "print a summary on standard error"},
    {AP_O_HELP, 'h', "help", NULL, NULL, "show the help (of COMMAND, after it)"},
    {AP_O_VERSION, 'V', "version", NULL, NULL, "show the version"},
    {AP_O_DICT, 'D', "dict", "DICT", "Compression:",
     "the dictionary (from artpack train); reading needs the one the\n"
     "data was made with (a bundle may embed it)"},
    {AP_O_LEVEL, 0, NULL, NULL, NULL,
     "-1 ... -19: zstd level (default 19); with --lz4, -1 ... -12"},
    {AP_O_ULTRA, 0, "ultra", NULL, NULL, "allow zstd levels -20 to -22"},
    {AP_O_LZ4, 0, "lz4", NULL, NULL, "LZ4 HC (level 12 by default) instead of zstd"},
    {AP_O_STORED, 0, "stored", NULL, NULL, "no compression (for tests and comparisons)"},
    {AP_O_CM, 0, "cm", NULL, NULL,
     "context mixing, primed by a CM model (-D, from train --cm): the\n"
     "smallest output, slow (about 1.4 MB/s); -1 ... -9 trade RAM for ratio\n"
     "(default -5; a model's level is its frames' level); RAM to decode:\n"
     "-1 4.9 MB, -3 7.2 MB, -5 16.4 MB, -7 53 MB, -9 199 MB; pack --cm\n"
     "-D MODEL: blocks of a few articles, each coded from the primed state"},
    {AP_O_NO_CHECK, 0, "no-check", NULL, NULL, "leave out the 4-byte checksum of each article"},
    {AP_O_NO_WORDS, 0, "no-words", NULL, NULL,
     "encode, pack: leave out the dictionary's word transform; train:\n"
     "learn no word list (a plain zstd dictionary)"},
    {AP_O_THREADS, 'T', "threads", "N", NULL,
     "compress on N threads, and parse the JSON on one more (default\n"
     "and 0: every core); the output is the same for every N"},
    {AP_O_EMBED_DICT, 0, "embed-dict", NULL, "Bundles:",
     "put the dictionary (zstd-compressed) in the bundle"},
    {AP_O_TRAIN, 0, "train", NULL, NULL,
     "train a dictionary on all the articles packed, and embed it\n"
     "(without -D, --train or --no-dict, zstd bundles train one on the\n"
     "first 16 MB of records when they fill 3 blocks or more)"},
    {AP_O_NO_DICT, 0, "no-dict", NULL, NULL,
     "no dictionary: do not train one on the articles"},
    {AP_O_ROWS, 0, "rows", NULL, NULL,
     "blocks hold whole records one after another (zstd bundles are\n"
     "columnar by default: each field's values together, smaller; a\n"
     "reader rebuilds the records in a second block-sized buffer)"},
    {AP_O_SIMILAR, 0, "similar", NULL, NULL,
     "assign articles to blocks by similarity: similar articles share a\n"
     "block, within windows of 16 blocks; they keep their numbers through\n"
     "a block map in the index (2 B per article). The default at levels\n"
     "10 and up (the zstd and LZ4 defaults among them) and with --cm"},
    {AP_O_NO_SIMILAR, 0, "no-similar", NULL, NULL,
     "blocks take the articles in the order given (no block map)"},
    {AP_O_BLOCK_SIZE, 0, "block-size", "SIZE", NULL,
     "articles per block up to SIZE bytes (K, M; up to 64M); default 960K\n"
     "(--cm: 16K, a few articles: a get decodes one block)"},
    {AP_O_UNIQUE, 0, "unique", NULL, NULL,
     "refuse an article whose id was read before, or (append) is in the "
     "bundle already; without it, an id read twice is a warning (append "
     "looks the ids up in the bundle only with --unique: one search of its "
     "id index per article)"},
    {AP_O_NO_WAIT, 0, "no-wait", NULL, NULL,
     "fail at once when another append holds the bundle"},
    {AP_O_WAIT, 0, "wait", NULL, NULL, "wait for another append to finish (the default)"},
    {AP_O_ID, 0, "id", "ID", "Reading:", "the first article whose id is ID"},
    {AP_O_RANGE, 0, "range", "A-B", NULL,
     "articles A to B only (from 0; A- to the end)"},
    {AP_O_JSON, 0, "json", NULL, NULL, "write JSON (ls: JSON Lines) for scripts"},
    {AP_O_SIZE, 0, "size", "BYTES", "Training:",
     "dictionary size, 4K to 8M (K, M); default 110K"},
    {AP_O_OPTIMIZE, 0, "optimize", NULL, NULL,
     "search the training parameters on a held-out quarter (minutes;\n"
     "on our corpora it did not beat the default)"},
};
#define AP_N_OPTIONS (sizeof ap_option_table / sizeof ap_option_table[0])

typedef struct ap_command {
    const char *name;
    int (*run)(const ap_options *o);
    const char *args;        /* for the usage line */
    unsigned long options;   /* AP_BIT()s of what it takes, besides AP_COMMON */
    int min_args, max_args;  /* positional arguments */
    int binary_out;          /* refuses a terminal as output unless -f */
    const char *help;        /* lines after the first begin with '\n' */
} ap_command;

static int ap_cmd_help(const ap_options *o);
static int ap_cmd_version(const ap_options *o);
static int ap_cmd_info(const ap_options *o);

static const ap_command ap_commands[] = {
    {"encode", ap_cmd_encode, "[FILE]",
     AP_OUT | AP_BIT(AP_O_KEEP_GOING) | AP_BIT(AP_O_DICT) | AP_CODEC | AP_BIT(AP_O_NO_CHECK) |
         AP_BIT(AP_O_THREADS) | AP_BIT(AP_O_NO_WORDS) | AP_PROGRESS,
     0, 1, 1,
     "read one JSON object or JSON Lines; write a record stream, or, with\n"
     "-D, a level, --lz4 or --stored, a compressed stream (each article\n"
     "compressed alone, with a 4-byte checksum)"},
    {"decode", ap_cmd_decode, "[FILE]",
     AP_OUT | AP_BIT(AP_O_KEEP_GOING) | AP_BIT(AP_O_DICT) | AP_PROGRESS, 0, 1, 0,
     "read a record stream or a compressed stream; write JSON Lines"},
    {"train", ap_cmd_train, "[FILE...]",
     AP_OUT | AP_BIT(AP_O_KEEP_GOING) | AP_TRAINING | AP_BIT(AP_O_LEVEL) | AP_BIT(AP_O_ULTRA) |
         AP_BIT(AP_O_CM) | AP_BIT(AP_O_NO_WORDS) | AP_PROGRESS,
     0, AP_MAX_INPUTS, 1,
     "pack the articles of JSON (Lines) files to records and train a zstd\n"
     "dictionary on them, with a word list for encode's word transform\n"
     "inside the same --size (zstd -D takes the file as it is; to use it\n"
     "with zstd alone, train --no-words); a level tunes it;\n"
     "with --cm, a CM model instead (records in order, coded by the model\n"
     "itself, as many as --size holds; its level: -1 ... -9)"},
    {"pack", ap_cmd_pack, "[FILE...]",
     AP_OUT | AP_BIT(AP_O_KEEP_GOING) | AP_BIT(AP_O_DICT) | AP_CODEC | AP_BIT(AP_O_THREADS) |
         AP_BIT(AP_O_EMBED_DICT) | AP_BIT(AP_O_TRAIN) | AP_BIT(AP_O_NO_DICT) | AP_BIT(AP_O_ROWS) |
         AP_BIT(AP_O_SIMILAR) | AP_BIT(AP_O_NO_SIMILAR) | AP_BIT(AP_O_BLOCK_SIZE) | AP_TRAINING |
         AP_BIT(AP_O_NO_WORDS) |
         AP_BIT(AP_O_UNIQUE) | AP_PROGRESS,
     0, AP_MAX_INPUTS, 1, "JSON Lines -> a bundle (blocks of articles, an index)"},
    {"unpack", ap_cmd_unpack, "[BUNDLE]",
     AP_OUT | AP_BIT(AP_O_KEEP_GOING) | AP_BIT(AP_O_DICT) | AP_BIT(AP_O_RANGE) | AP_PROGRESS, 0,
     1, 0, "a bundle -> JSON Lines, in the order packed"},
    {"get", ap_cmd_get, "BUNDLE N... | BUNDLE --id ID", AP_OUT | AP_BIT(AP_O_DICT) | AP_BIT(AP_O_ID),
     1, AP_MAX_INPUTS, 0,
     "articles by number (from 0; ranges A-B) or by id, as JSON Lines"},
    {"ls", ap_cmd_ls, "[BUNDLE]",
     AP_OUT | AP_BIT(AP_O_KEEP_GOING) | AP_BIT(AP_O_DICT) | AP_BIT(AP_O_RANGE) | AP_BIT(AP_O_JSON) |
         AP_PROGRESS,
     0, 1, 0,
     "one line per article: number, id, date, title, record bytes, block\n"
     "(tab-separated, a header first; --json: JSON Lines)"},
    {"append", ap_cmd_append, "BUNDLE [FILE...]",
     AP_BIT(AP_O_FORCE) | AP_BIT(AP_O_KEEP_GOING) | AP_BIT(AP_O_DICT) | AP_BIT(AP_O_THREADS) |
         AP_BIT(AP_O_WAIT) | AP_BIT(AP_O_NO_WAIT) | AP_BIT(AP_O_UNIQUE) | AP_PROGRESS,
     1, AP_MAX_INPUTS, 0,
     "add articles in place; what was committed is never rewritten;\n"
     "appends to one bundle take turns (a lock on the file); a failed\n"
     "append is cut off again"},
    {"verify", ap_cmd_verify, "[BUNDLE]", AP_BIT(AP_O_DICT) | AP_PROGRESS, 0, 1, 0,
     "check the index and every block; status 1 on damage"},
    {"recover", ap_cmd_recover, "[BUNDLE]",
     AP_OUT | AP_BIT(AP_O_DICT) | AP_CODEC | AP_BIT(AP_O_THREADS) | AP_BIT(AP_O_EMBED_DICT) |
         AP_BIT(AP_O_BLOCK_SIZE),
     0, 1, 1, "write a new bundle with every intact article of a damaged one"},
    {"merge", ap_cmd_merge, "BUNDLE...", AP_OUT | AP_BIT(AP_O_DICT) | AP_BIT(AP_O_EMBED_DICT), 1,
     AP_MAX_INPUTS, 1,
     "one bundle from several that share codec and dictionary, copying\n"
     "their blocks as stored (not decoded: verify checks them) and their\n"
     "index's id hashes"},
    {"info", ap_cmd_info, "[FILE]", AP_OUT | AP_BIT(AP_O_JSON) | AP_BIT(AP_O_DICT), 0, 1, 0,
     "what a bundle, stream or dictionary is: kind, format version, codec,\n"
     "level, dictionary, articles, blocks, commits, sizes; a dictionary's\n"
     "ID, size and word list (-v: and the ratio, decoding every block)"},
    {"dict", ap_cmd_dict, "extract BUNDLE", AP_OUT | AP_BIT(AP_O_DICT), 2, 2, 1,
     "write the dictionary a bundle embeds (-o DICT)"},
    {"help", ap_cmd_help, "[COMMAND]", 0, 0, 1, 0, "show this help, or a command's"},
    {"version", ap_cmd_version, "", 0, 0, 0, 0, "show the version"},
};
#define AP_N_COMMANDS (sizeof ap_commands / sizeof ap_commands[0])

static const char ap_usage_head[] =
    "Usage: artpack COMMAND [OPTIONS] [FILE...]\n"
    "       artpack COMMAND --help   (what COMMAND takes)\n"
    "\n"
    "Pack news articles (JSON objects) into compact binary records, compress\n"
    "them with a dictionary trained on past articles, one by one or in bundles\n"
    "with random access, and back.\n";

static const char ap_usage_tail[] =
    "\n"
    "Options: short ones combine (-qf); a value follows as the next argument,\n"
    "or attached (-oFILE, -T4, --output=FILE); '--' ends the options. A\n"
    "command refuses an option it does not take.\n"
    "\n"
    "Standard input: encode, decode, train, pack, append (its FILE...) read\n"
    "it when FILE is missing or '-'; unpack, ls, verify, recover and info read\n"
    "a BUNDLE (or FILE) from it when it is missing or '-', get and dict extract\n"
    "when it is '-' (first copied to a temporary file unless it is one);\n"
    "merge and append's BUNDLE must be files. Output files are written to a\n"
    "temporary file beside them and renamed when complete; SIGINT, SIGTERM or\n"
    "SIGHUP removes it (status 128 + the signal).\n"
    "\n"
    "Errors name the line and column (encode, train, pack, append) or the\n"
    "record and byte offset (decode), and a file of the wrong kind and what\n"
    "reads it. Exit status: 0 success; 1 an error, and then no output is\n"
    "written (verify: damage found); 2 --keep-going skipped bad articles,\n"
    "records or damaged blocks (each reported, the count printed) and wrote\n"
    "the rest.\n";

static const ap_command *ap_find_command(const char *name) {
    size_t i;
    for (i = 0; i < AP_N_COMMANDS; i++)
        if (strcmp(ap_commands[i].name, name) == 0) return &ap_commands[i];
    return NULL;
}

/* Prints left, then text from column col on, its words wrapped before
 * column 80 (a '\n' in text is a space), each further line at col. */
static void ap_put_indented(const char *left, int col, const char *text) {
    int w = printf("%s", left);
    if (w >= col && col > 0) {
        putchar('\n');
        w = 0;
    }
    printf("%*s", col - w, "");
    w = col;
    while (*text) {
        size_t n;
        while (*text == ' ' || *text == '\n') text++;
        n = strcspn(text, " \n");
        if (n == 0) break;
        if (w > col && w + 1 + (int)n > 79) {
            printf("\n%*s", col, "");
            w = col;
        }
        if (w > col) {
            putchar(' ');
            w++;
        }
        printf("%.*s", (int)n, text);
        w += (int)n;
        text += n;
    }
    putchar('\n');
}

static void ap_put_option(const ap_option_def *d) {
    char left[64];
    if (d->name == NULL) {
        snprintf(left, sizeof left, "  -#");
    } else if (d->letter) {
        snprintf(left, sizeof left, "  -%c, --%s%s%s", d->letter, d->name, d->value ? " " : "",
                 d->value ? d->value : "");
    } else {
        snprintf(left, sizeof left, "      --%s%s%s", d->name, d->value ? " " : "",
                 d->value ? d->value : "");
    }
    ap_put_indented(left, 24, d->help);
}

static void ap_put_command(const ap_command *c) {
    char left[96];
    snprintf(left, sizeof left, "  %s %s", c->name, c->args);
    ap_put_indented(left, 24, c->help);
}

/* The help of one command: its usage, what it does, its options. */
static void ap_command_help(const ap_command *c) {
    size_t i;
    printf("Usage: artpack %s [OPTIONS]%s%s\n\n", c->name, *c->args ? " " : "", c->args);
    ap_put_indented("", 0, c->help);
    printf("\nOptions:\n");
    for (i = 0; i < AP_N_OPTIONS; i++)
        if (AP_BIT(ap_option_table[i].id) & (c->options | AP_COMMON))
            ap_put_option(&ap_option_table[i]);
    printf("\nExit status: 0 success; 1 an error (nothing written)%s.\n",
           c->options & AP_BIT(AP_O_KEEP_GOING) ? "; 2 --keep-going skipped something" : "");
}

static void ap_general_help(void) {
    size_t i;
    fputs(ap_usage_head, stdout);
    printf("\nCommands:\n");
    for (i = 0; i < AP_N_COMMANDS; i++) ap_put_command(&ap_commands[i]);
    for (i = 0; i < AP_N_OPTIONS; i++) {
        const ap_option_def *d = &ap_option_table[i];
        if (d->section) printf("\n%s\n", d->section);
        ap_put_option(d);
    }
    fputs(ap_usage_tail, stdout);
}

/* Prints the help (of command c, or all); 1 when standard output cannot take
 * it (a full disk). */
static int ap_help(const ap_command *c) {
    if (c != NULL) ap_command_help(c);
    else ap_general_help();
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ap_msg("writing the help to standard output: %s", strerror(errno));
        return 1;
    }
    return 0;
}

static int ap_cmd_help(const ap_options *o) {
    const ap_command *c = NULL;
    if (o->n_inputs > 0 && (c = ap_find_command(o->inputs[0])) == NULL)
        return ap_usage_error("help: unknown command '%s'", o->inputs[0]);
    return ap_help(c);
}

static int ap_cmd_version(const ap_options *o) {
    (void)o;
    printf("artpack %s (wire format %d)\n", artpack_version_string(), ARTPACK_WIRE_VERSION);
    return 0;
}

/* "110K", "1M", "4096" -> bytes; 0 on a bad value. */
size_t ap_parse_size(const char *s) {
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-' || *s == '+' || *s == ' ') return 0;
    if (*end == 'K' || *end == 'k') { v *= 1024; end++; }
    else if (*end == 'M' || *end == 'm') { v *= 1024 * 1024; end++; }
    if (*end == 'B' || (end[0] == 'i' && end[1] == 'B')) end += *end == 'B' ? 1 : 2;
    return *end == '\0' && v <= ((unsigned long long)1 << 40) ? (size_t)v : 0;
}

/* "A-B", "A-" or "N" (from 0) -> [*from, *to] (*to = UINT64_MAX for "A-");
 * 0, or -1 when it is not one. */
int ap_parse_range(const char *s, uint64_t *from, uint64_t *to) {
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    *from = strtoull(s, &end, 10);
    if (errno) return -1;
    if (*end == '\0') {
        *to = *from;
        return 0;
    }
    if (*end != '-') return -1;
    s = end + 1;
    if (*s == '\0') {
        *to = UINT64_MAX;
        return 0;
    }
    if (*s < '0' || *s > '9') return -1;
    *to = strtoull(s, &end, 10);
    return errno || *end != '\0' || *to < *from ? -1 : 0;
}

/* The parser's result before the command is known: which options were
 * given, how each was first spelt, and their values. */
typedef struct ap_parsed {
    unsigned long seen;
    const char *spelt[AP_O_COUNT];
    const char *value[AP_O_COUNT];
} ap_parsed;

static void ap_set_option(ap_parsed *p, int id, const char *spelt, const char *value) {
    if (!(p->seen & AP_BIT(id))) p->spelt[id] = spelt;
    p->seen |= AP_BIT(id);
    p->value[id] = value; /* the last one given wins */
}

/* Reads argv into o and p. 0, or the status after a usage error. */
static int ap_parse_args(int argc, char **argv, ap_options *o, ap_parsed *p) {
    int i, only_args = 0;
    static char spelt_short[AP_O_COUNT][3];
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') { /* an argument ('-': stdin) */
            if (o->command == NULL) o->command = a;
            else if (o->n_inputs < AP_MAX_INPUTS) o->inputs[o->n_inputs++] = a;
            else return ap_usage_error("too many arguments (the limit is %s)", "256");
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (a[1] == '-') { /* --name, --name=value, --name value */
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2), k;
            const ap_option_def *d = NULL;
            for (k = 0; k < AP_N_OPTIONS; k++)
                if (ap_option_table[k].name && strlen(ap_option_table[k].name) == len &&
                    strncmp(ap_option_table[k].name, a + 2, len) == 0)
                    d = &ap_option_table[k];
            if (d == NULL) return ap_usage_error("unknown option '%s'", a);
            if (d->value == NULL && eq) return ap_usage_error("%s takes no value", a);
            if (d->value != NULL && !eq && ++i >= argc)
                return ap_usage_error("%s needs a value", a);
            ap_set_option(p, d->id, a, d->value == NULL ? "" : eq ? eq + 1 : argv[i]);
        } else if (a[1] >= '0' && a[1] <= '9') { /* a level: -3, -19 */
            if (strspn(a + 1, "0123456789") != strlen(a + 1) || strlen(a + 1) > 2)
                return ap_usage_error("unknown option '%s' (levels are -1 to -22)", a);
            ap_set_option(p, AP_O_LEVEL, a, a + 1);
        } else { /* -qf, -oFILE, -o FILE, -T4 */
            const char *c;
            for (c = a + 1; *c; c++) {
                size_t k;
                const ap_option_def *d = NULL;
                for (k = 0; k < AP_N_OPTIONS; k++)
                    if (ap_option_table[k].letter == *c) d = &ap_option_table[k];
                if (d == NULL) {
                    char one[3] = {'-', *c, '\0'};
                    return ap_usage_error(*c == 'k' ? "unknown option '%s': keep going is "
                                                      "--keep-going (in zstd and gzip -k "
                                                      "keeps the input)"
                                                    : "unknown option '%s'",
                                          one);
                }
                spelt_short[d->id][0] = '-';
                spelt_short[d->id][1] = *c;
                if (d->value == NULL) {
                    ap_set_option(p, d->id, spelt_short[d->id], "");
                    continue;
                }
                if (c[1] == '\0' && ++i >= argc)
                    return ap_usage_error("%s needs a value", spelt_short[d->id]);
                ap_set_option(p, d->id, spelt_short[d->id], c[1] ? c + 1 : argv[i]);
                break;
            }
        }
    }
    return 0;
}

/* Turns the options given into o, checking each value. 0, or the status
 * after a usage error. */
static int ap_apply_options(const ap_parsed *p, ap_options *o) {
    const char *v;
    if (p->seen & AP_BIT(AP_O_OUTPUT)) o->output = p->value[AP_O_OUTPUT];
    if (p->seen & AP_BIT(AP_O_STDOUT)) {
        if ((p->seen & AP_BIT(AP_O_OUTPUT)) && strcmp(o->output, "-") != 0)
            return ap_usage_error("%s", "give -o FILE or -c (standard output), not both");
        o->output = "-";
    }
    o->force = (p->seen & AP_BIT(AP_O_FORCE)) != 0;
    o->keep_going = (p->seen & AP_BIT(AP_O_KEEP_GOING)) != 0;
    o->quiet = (p->seen & AP_BIT(AP_O_QUIET)) != 0;
    o->verbose = (p->seen & AP_BIT(AP_O_VERBOSE)) != 0;
    o->no_wait = (p->seen & AP_BIT(AP_O_NO_WAIT)) != 0 && !(p->seen & AP_BIT(AP_O_WAIT));
    o->ultra = (p->seen & AP_BIT(AP_O_ULTRA)) != 0;
    o->checksum = !(p->seen & AP_BIT(AP_O_NO_CHECK));
    o->optimize = (p->seen & AP_BIT(AP_O_OPTIMIZE)) != 0;
    o->no_words = (p->seen & AP_BIT(AP_O_NO_WORDS)) != 0;
    o->embed_dict = (p->seen & AP_BIT(AP_O_EMBED_DICT)) != 0;
    o->train_dict = (p->seen & AP_BIT(AP_O_TRAIN)) != 0;
    o->no_dict = (p->seen & AP_BIT(AP_O_NO_DICT)) != 0;
    o->rows = (p->seen & AP_BIT(AP_O_ROWS)) != 0;
    o->similar = p->seen & AP_BIT(AP_O_NO_SIMILAR) ? 0 : p->seen & AP_BIT(AP_O_SIMILAR) ? 1 : -1;
    o->json = (p->seen & AP_BIT(AP_O_JSON)) != 0;
    o->unique = (p->seen & AP_BIT(AP_O_UNIQUE)) != 0;
    o->progress = p->seen & AP_BIT(AP_O_NO_PROGRESS) ? 0
                  : p->seen & AP_BIT(AP_O_PROGRESS)  ? 2
                                                     : 1;
    if (o->quiet && !(p->seen & AP_BIT(AP_O_PROGRESS))) o->progress = 0;
    if (p->seen & AP_BIT(AP_O_DICT)) o->dict_path = p->value[AP_O_DICT];
    if (p->seen & AP_BIT(AP_O_ID)) o->id = p->value[AP_O_ID];
    if (!!(p->seen & AP_BIT(AP_O_LZ4)) + !!(p->seen & AP_BIT(AP_O_STORED)) +
            !!(p->seen & AP_BIT(AP_O_CM)) > 1)
        return ap_usage_error("%s", "give one of --lz4, --stored and --cm");
    if (p->seen & AP_BIT(AP_O_CM)) o->codec = ARTPACK_CODEC_CM;
    if (p->seen & AP_BIT(AP_O_LZ4)) o->codec = ARTPACK_CODEC_LZ4;
    if (p->seen & AP_BIT(AP_O_STORED)) o->codec = ARTPACK_CODEC_STORED;
    if (p->seen & AP_BIT(AP_O_LEVEL)) {
        int max = o->codec == ARTPACK_CODEC_LZ4  ? 12
                  : o->codec == ARTPACK_CODEC_CM ? ARTPACK_CM_LEVEL_MAX
                                                 : (o->ultra ? 22 : 19);
        o->level = atoi(p->value[AP_O_LEVEL]);
        if (o->level < 1 || o->level > max)
            return ap_usage_error(o->codec == ARTPACK_CODEC_LZ4  ? "LZ4 levels are -1 to -12 (%s)"
                                  : o->codec == ARTPACK_CODEC_CM ? "CM levels are -1 to -9 (%s)"
                                  : o->ultra ? "zstd levels are -1 to -22 (%s)"
                                             : "zstd levels are -1 to -19, or up to -22 with "
                                               "--ultra (%s)",
                                  p->spelt[AP_O_LEVEL]);
    }
    if ((v = p->value[AP_O_BLOCK_SIZE]) != NULL) {
        o->block_size = ap_parse_size(v);
        if (o->block_size == 0 || o->block_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX)
            return ap_usage_error("--block-size '%s': give 1 to 64M (e.g. 256K)", v);
    }
    if ((v = p->value[AP_O_SIZE]) != NULL) {
        o->dict_size = ap_parse_size(v);
        if (o->dict_size < ARTPACK_DICT_SIZE_MIN || o->dict_size > ARTPACK_DICT_SIZE_MAX)
            return ap_usage_error("--size '%s': give 4K to 8M (e.g. 110K, 1M)", v);
    }
    if ((v = p->value[AP_O_THREADS]) != NULL) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || n < 0 || n > (long)ARTPACK_BUNDLE_JOBS_MAX)
            return ap_usage_error("-T '%s': give 0 (all cores) to 64 threads", v);
        o->threads = (unsigned)n;
    }
    if ((v = p->value[AP_O_RANGE]) != NULL) {
        if (ap_parse_range(v, &o->range_from, &o->range_to))
            return ap_usage_error("--range '%s': give A-B (from 0, A <= B), A- or N", v);
        o->range = 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    ap_options o;
    ap_parsed p;
    const ap_command *cmd;
    unsigned long wrong;
    int rc;
    memset(&o, 0, sizeof o);
    memset(&p, 0, sizeof p);
    json_set_alloc_funcs(ap_json_alloc, free);
    o.output = "-";
    o.codec = -1;
    o.checksum = 1;
    if ((rc = ap_parse_args(argc, argv, &o, &p)) != 0) return rc;
    cmd = o.command != NULL ? ap_find_command(o.command) : NULL;
    if (p.seen & AP_BIT(AP_O_HELP)) return ap_help(cmd);
    if (p.seen & AP_BIT(AP_O_VERSION)) return ap_stdout_status(ap_cmd_version(&o));
    if (o.command == NULL) return ap_usage_error("%s", "no command given");
    if (cmd == NULL) return ap_usage_error("unknown command '%s'", o.command);
    wrong = p.seen & ~(cmd->options | AP_COMMON);
    if (wrong) {
        int id = 0;
        char msg[160];
        while (!(wrong & AP_BIT(id))) id++;
        snprintf(msg, sizeof msg, "%s does not take %%s (see 'artpack %s --help')", cmd->name,
                 cmd->name);
        return ap_usage_error(msg, p.spelt[id]);
    }
    if ((rc = ap_apply_options(&p, &o)) != 0) return rc;
    if (o.n_inputs < cmd->min_args) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s needs %%s (artpack %s %s)", cmd->name, cmd->name, cmd->args);
        return ap_usage_error(msg, cmd->min_args == 2 ? "two arguments" : cmd->args);
    }
    if (o.n_inputs > cmd->max_args)
        return ap_usage_error(cmd->max_args == 1 ? "too many files: '%s' (one input at a time)"
                                                 : "too many arguments: '%s'",
                              o.inputs[cmd->max_args]);
    if (cmd->run == ap_cmd_help || cmd->run == ap_cmd_version) return ap_stdout_status(cmd->run(&o));
    if (o.n_inputs == 0) o.inputs[o.n_inputs++] = "-";
    o.input = o.inputs[0];
    if (o.threads == 0) o.threads = ap_default_threads();
    if (getenv("ARTPACK_FAIL_ALLOC") != NULL) o.threads = 1; /* allocations in a fixed order */
    o.compress = o.dict_path != NULL || o.level != 0 || o.codec != -1;
    o.codec_set = o.codec != -1;
    if (o.codec == -1) o.codec = ARTPACK_CODEC_ZSTD;
    if (cmd->options & AP_BIT(AP_O_OUTPUT)) {
        char err[512];
        if (ap_output_check(o.output, o.force, err, sizeof err)) {
            ap_msg("%s", err);
            return 1;
        }
        if (cmd->binary_out && strcmp(o.output, "-") == 0 && isatty(STDOUT_FILENO) && !o.force) {
            ap_msg("will not write binary data to a terminal; use -o FILE, a pipe, or -f");
            return 1;
        }
    }
    return ap_stdout_status(cmd->run(&o));
}
