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

/* A record stream: this magic, then (varint length, record) pairs to EOF.
 * A compressed stream: its magic, the dictionary ID (u32 LE, 0 = none), then
 * (varint length, frame) pairs to EOF (docs/FORMAT.md). */
static const unsigned char ap_stream_magic[5] = {'A', 'P', 'K', 'R', ARTPACK_WIRE_VERSION};
static const unsigned char ap_zstream_magic[5] = {'A', 'P', 'K', 'Z', 1};
#define AP_ZSTREAM_HEADER 9

static const char ap_usage[] =
    "Usage: artpack COMMAND [OPTIONS] [FILE...]\n"
    "\n"
    "Pack news articles (JSON objects) into compact binary records, compress\n"
    "them with a dictionary trained on past articles, one by one or in bundles\n"
    "with random access, and back.\n"
    "\n"
    "Commands:\n"
    "  encode [FILE]      read one JSON object or JSON Lines; write a record stream,\n"
    "                     or, with -D, a level or --lz4, a compressed stream\n"
    "  decode [FILE]      read a record stream or a compressed stream; write JSON Lines\n"
    "  train FILE...      pack the articles of JSON Lines files to records and train\n"
    "                     a zstd dictionary on them (usable by zstd -D as well)\n"
    "  pack FILE...       JSON Lines -> a bundle (blocks of articles, an index)\n"
    "  unpack BUNDLE      a bundle -> JSON Lines, in the order packed\n"
    "  get BUNDLE N       article N (from 0) as JSON; or get BUNDLE --id ID\n"
    "  ls BUNDLE          one line per article: number, id, date, title, record\n"
    "                     bytes, block\n"
    "  append BUNDLE FILE...  add articles; what was committed is never rewritten\n"
    "                     (-f: also when the file ends in an interrupted append);\n"
    "                     appends to one bundle take turns (a lock on the file);\n"
    "                     a failed append is cut off again\n"
    "  verify BUNDLE      check the index and every block; status 1 on damage\n"
    "  recover BUNDLE     write a new bundle (-o) with every intact article\n"
    "  merge BUNDLE...    one bundle from several that share codec and dictionary,\n"
    "                     copying their blocks without recompressing\n"
    "  help               show this help\n"
    "  version            show the version\n"
    "\n"
    "Options:\n"
    "  -o FILE           write to FILE ('-' = standard output, the default);\n"
    "                    the file appears complete or not at all\n"
    "  -f, --force       overwrite FILE if it exists (a symbolic link: the file it\n"
    "                    points to, the link kept); write binary to a terminal\n"
    "  -k, --keep-going  skip bad articles or records (unpack, ls: damaged blocks),\n"
    "                    report each on stderr, write the rest; status 2\n"
    "  -q, --quiet       no warnings, progress or summary\n"
    "  -v, --verbose     print a summary on stderr\n"
    "  -h, --help        show this help\n"
    "  -V, --version     show the version\n"
    "\n";
static const char ap_usage_more[] =
    "Compression (encode, decode, pack, and the bundle commands):\n"
    "  -D DICT           the dictionary (from artpack train); decode needs the one\n"
    "                    the data was made with (a bundle may embed it)\n"
    "  -1 ... -19        zstd level (default 19 when compressing)\n"
    "  --ultra -20..-22  the highest zstd levels\n"
    "  --lz4             LZ4 HC (level 12, or -1 ... -12) instead of zstd\n"
    "  --stored          no compression (for tests and comparisons)\n"
    "  --no-check        encode: leave out the 4-byte checksum of each article\n"
    "  -T N, --threads=N pack, append, recover: compress N blocks at once, and parse\n"
    "                    the JSON on a thread of its own (default: every core; 0:\n"
    "                    every core; 1: one thread). The output is the same for\n"
    "                    every N\n"
    "\n"
    "Bundles (pack):\n"
    "  --embed-dict      put the dictionary (zstd-compressed) in the bundle\n"
    "  --train           train a dictionary on the articles packed, and embed it\n"
    "  --block-size SIZE articles per block up to SIZE bytes (K, M); default 768K\n"
    "  --id ID           get: the first article whose id is ID\n"
    "  --no-wait         append: fail at once when another append holds the bundle\n"
    "                    (default: wait for it)\n"
    "\n"
    "Training (train, pack --train):\n"
    "  --size BYTES      dictionary size, 4K to 8M (suffixes K, M); default 110K\n"
    "  --optimize        search the training parameters on a held-out quarter\n"
    "                    (takes minutes; on our corpora it did not beat the default)\n"
    "\n"
    "FILE is the input; without it, or with '-', standard input is read (a BUNDLE\n"
    "given as '-' is first copied to a temporary file). Output files\n"
    "are written to a temporary file beside them and renamed when complete;\n"
    "SIGINT, SIGTERM or SIGHUP removes it (status 128 + the signal).\n"
    "Errors name the line and column (encode, train, pack) or the record and\n"
    "byte offset (decode). Exit status: 0 on success; 1 on any error (verify:\n"
    "on damage), and then no output is written; 2 when --keep-going skipped bad\n"
    "articles, records or damaged blocks (each reported, the count printed) and\n"
    "wrote the rest.\n";

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

void ap_msg(const char *fmt, ...) {
    va_list ap;
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
static const char *ap_input_name(const ap_options *o) { return ap_name(o->input); }

/* Reads an input, or reports why not. */
int ap_load(const char *path, ap_buf *in) {
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
    ap_buf in, out;
    size_t *sizes;
    size_t count, cap;
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
} ap_encode_ctx;

static void ap_lane_run(void *arg) {
    ap_lane *l = (ap_lane *)arg;
    size_t k, pos = 0;
    l->out.len = 0;
    l->e = ARTPACK_OK;
    for (k = 0; k < l->count && l->e == ARTPACK_OK && !l->oom; k++) {
        size_t n = 0, bound = artpack_frame_bound(l->sizes[k]);
        if (ap_buf_reserve(&l->out, bound + ARTPACK_VARINT_MAX)) {
            l->oom = 1;
            break;
        }
        l->e = artpack_frame_compress(l->comp, l->out.data + l->out.len + ARTPACK_VARINT_MAX, bound,
                                      l->in.data + pos, l->sizes[k], &n);
        if (l->e == ARTPACK_OK) { /* the varint, then the frame moved up behind it */
            unsigned char v[ARTPACK_VARINT_MAX];
            size_t vn = artpack_varint_write(v, sizeof v, n);
            memmove(l->out.data + l->out.len + vn, l->out.data + l->out.len + ARTPACK_VARINT_MAX, n);
            memcpy(l->out.data + l->out.len, v, vn);
            l->out.len += vn + n;
        }
        pos += l->sizes[k];
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
    if (c->lane[0].count == 0) return 0;
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
        l->in.len = 0;
        l->count = 0;
        if (c->out->len >= ((size_t)1 << 20) && ap_drain_out(c)) return -1;
    }
    c->filling = 0;
    return 0;
}

static int ap_emit_laned(ap_encode_ctx *c, const unsigned char *record, size_t size) {
    ap_lane *l = &c->lane[c->filling];
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        size_t *s = (size_t *)ap_realloc(l->sizes, cap * sizeof *s);
        if (s == NULL) goto oom;
        l->sizes = s;
        l->cap = cap;
    }
    if (ap_buf_put(&l->in, record, size)) goto oom;
    l->sizes[l->count++] = size;
    if (l->in.len >= AP_LANE_BYTES) {
        if (c->filling + 1 < c->lanes) c->filling++;
        else return ap_lanes_flush(c);
    }
    return 0;
oom:
    ap_msg("out of memory");
    return -1;
}

static int ap_emit_encoded(void *vctx, const unsigned char *record, size_t size) {
    ap_encode_ctx *c = (ap_encode_ctx *)vctx;
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
    if (ap_buf_put_varint(c->out, size) || ap_buf_put(c->out, record, size)) goto oom;
    if (c->out->len >= ((size_t)1 << 20) && ap_drain_out(c)) return -1;
    return 0;
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
        unsigned char head[AP_ZSTREAM_HEADER];
        memset(&p, 0, sizeof p);
        p.codec = (artpack_codec)o->codec;
        p.level = o->level;
        p.checksum = o->checksum;
        p.frame_dict_id = 0; /* the stream header names the dictionary */
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
        memcpy(head, ap_zstream_magic, 5);
        head[5] = (unsigned char)(o->dict_path ? dict.id : 0);
        head[6] = (unsigned char)((o->dict_path ? dict.id : 0) >> 8);
        head[7] = (unsigned char)((o->dict_path ? dict.id : 0) >> 16);
        head[8] = (unsigned char)((o->dict_path ? dict.id : 0) >> 24);
        if (ap_buf_put(&out, head, sizeof head)) goto oom;
    } else if (ap_buf_put(&out, ap_stream_magic, sizeof ap_stream_magic)) {
        goto oom;
    }
    if (ap_out_open(&sink, o->output, o->force, err, sizeof err)) {
        ap_msg("%s", err);
        goto done;
    }
    writing = 1;
    if (ap_pack_json_async(o, o->input, ap_emit_encoded, &ctx, &articles, &skipped, &json_bytes))
        goto done;
    if (ctx.lanes > 1 && ap_lanes_flush(&ctx)) goto done;
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
    if (writing) ap_out_abort(&sink);
    {
        unsigned k;
        for (k = 0; k < ARTPACK_BUNDLE_JOBS_MAX; k++) {
            artpack_compressor_free(ctx.lane[k].comp);
            ap_buf_free(&ctx.lane[k].in);
            ap_buf_free(&ctx.lane[k].out);
            free(ctx.lane[k].sizes);
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

static int ap_cmd_decode(const ap_options *o) {
    ap_buf out = {NULL, 0, 0}, dict_buf = {NULL, 0, 0}, plain = {NULL, 0, 0};
    ap_in inp;
    ap_buf *inb = &inp.buf;
    size_t pos, records = 0, skipped = 0;
    void *workspace = NULL;
    artpack_decompressor *dec = NULL;
    artpack_dict dict;
    ap_out sink;
    char oerr[512];
    int rc = 1, compressed, writing = 0;

    memset(&inp, 0, sizeof inp);
    inp.fd = strcmp(o->input, "-") == 0 ? STDIN_FILENO : open(o->input, O_RDONLY);
    if (inp.fd < 0) {
        ap_msg("%s: %s", ap_input_name(o), strerror(errno));
        return 1;
    }
    if (ap_in_need(&inp, 0, AP_ZSTREAM_HEADER)) goto read_error;
    compressed = inb->len >= 5 && memcmp(inb->data, ap_zstream_magic, 4) == 0;
    if (inb->len < 5 || (!compressed && memcmp(inb->data, ap_stream_magic, 4) != 0)) {
        ap_kind k = ap_sniff(inb->data, inb->len);
        if (k == AP_KIND_UNKNOWN)
            ap_msg("%s: not an artpack stream (bad magic)", ap_input_name(o));
        else if (k == AP_KIND_DICT)
            ap_msg("%s is %s, not a stream: give it with -D DICT, and the stream as FILE",
                   ap_input_name(o), ap_kind_name(k));
        else if (k == AP_KIND_BUNDLE)
            ap_msg("%s is %s, not a stream: read it with `artpack unpack` (or get, ls)",
                   ap_input_name(o), ap_kind_name(k));
        else if (k == AP_KIND_JSON)
            ap_msg("%s is %s, not a stream: `artpack encode` makes a stream of it",
                   ap_input_name(o), ap_kind_name(k));
        else
            ap_msg("%s is %s, not an artpack stream%s%s", ap_input_name(o), ap_kind_name(k),
                   *ap_kind_hint(k) ? ": " : "", ap_kind_hint(k));
        goto done;
    }
    if (inb->data[4] != (compressed ? ap_zstream_magic[4] : ARTPACK_WIRE_VERSION)) {
        ap_msg("%s: stream version %u is not supported (this is version %d)", ap_input_name(o),
               inb->data[4], compressed ? ap_zstream_magic[4] : ARTPACK_WIRE_VERSION);
        goto done;
    }
    pos = sizeof ap_stream_magic;
    if (compressed) {
        uint32_t id;
        size_t ws;
        artpack_error e;
        if (inb->len < AP_ZSTREAM_HEADER) {
            ap_msg("%s: compressed stream header truncated", ap_input_name(o));
            goto done;
        }
        id = (uint32_t)inb->data[5] | (uint32_t)inb->data[6] << 8 |
             (uint32_t)inb->data[7] << 16 | (uint32_t)inb->data[8] << 24;
        pos = AP_ZSTREAM_HEADER;
        if (id != 0 && o->dict_path == NULL) {
            ap_msg("%s: made with dictionary ID %u: give it with -D DICT (%s)", ap_input_name(o),
                   (unsigned)id, artpack_error_name(ARTPACK_E_NEED_DICT));
            goto done;
        }
        if (o->dict_path && ap_load_dict(o, &dict_buf, &dict)) goto done;
        if (id != 0 && dict.id != id) {
            ap_msg("%s: made with dictionary ID %u, but %s has ID %u (%s)", ap_input_name(o),
                   (unsigned)id, o->dict_path, (unsigned)dict.id,
                   artpack_error_name(ARTPACK_E_WRONG_DICT));
            goto done;
        }
        ws = artpack_decompressor_workspace_size(ARTPACK_CODEC_ZSTD);
        workspace = ap_malloc(ws);
        if (workspace == NULL) goto oom;
        e = artpack_decompressor_init(&dec, workspace, ws, ARTPACK_CODEC_ZSTD,
                                      id != 0 ? &dict : NULL, 0);
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
    for (;;) {
        uint64_t len;
        size_t n, where = 0, size;
        const unsigned char *rec;
        artpack_article a;
        artpack_error e = ARTPACK_OK;
        char err[256];
        size_t index = records + skipped + 1;
        unsigned long long at;
        ap_in_slide(&inp, &pos);
        if (ap_in_need(&inp, pos, ARTPACK_VARINT_MAX)) goto read_error;
        if (pos == inb->len) break; /* the end */
        at = (unsigned long long)(inp.base + pos);
        n = artpack_varint_read(&len, inb->data + pos, inb->len - pos);
        if (n != 0 && len > ARTPACK_FRAME_BOUND(ARTPACK_MAX_FIELD_SIZE)) n = 0;
        if (n != 0 && ap_in_need(&inp, pos + n, (size_t)len)) goto read_error;
        if (n == 0 || len > inb->len - pos - n) {
            ap_msg("%s: record %zu (byte %llu): %s", ap_input_name(o), index, at,
                   n == 0 ? "bad length prefix" : "record truncated: stream ends inside it");
            goto done; /* the framing is lost: nothing after can be trusted */
        }
        pos += n;
        rec = inb->data + pos;
        size = (size_t)len;
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
                ap_msg("%s: %s %zu (byte %llu): %s: %s (at byte %zu of the %s)", ap_input_name(o),
                       compressed ? "article" : "record", index,
                       (unsigned long long)(inp.base + pos), artpack_error_name(e),
                       artpack_error_message(e), where, compressed ? "article" : "record");
        } else if (ap_json_write_article(&out, &a, err, sizeof err)) {
            if (!o->quiet || !o->keep_going)
                ap_msg("%s: record %zu (byte %llu): %s", ap_input_name(o), index,
                       (unsigned long long)(inp.base + pos), err);
            e = ARTPACK_E_BAD_VIEW;
        }
        pos += (size_t)len;
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
    if (ap_out_write(&sink, out.data, out.len)) goto write_error;
    writing = 0;
    if (ap_out_commit(&sink, oerr, sizeof oerr)) {
        ap_msg("%s", oerr);
        goto done;
    }
    if (o->verbose || (skipped && !o->quiet))
        ap_msg("decode: %zu articles, %zu skipped; %llu B -> %llu B of JSON", records, skipped,
               (unsigned long long)(inp.base + inb->len), (unsigned long long)sink.bytes);
    rc = skipped ? AP_EXIT_SKIPPED : 0;
    goto done;
read_error:
    if (inp.err_no == ENOMEM) goto oom;
    ap_msg("%s: %s", ap_input_name(o), strerror(inp.err_no));
    goto done;
write_error:
    ap_msg("writing %s: %s", ap_out_name(&sink), strerror(sink.err_no));
    goto done;
oom:
    ap_msg("out of memory");
done:
    if (writing) ap_out_abort(&sink);
    if (inp.fd > 0) close(inp.fd);
    free(workspace);
    ap_buf_free(&inp.buf);
    ap_buf_free(&out);
    ap_buf_free(&plain);
    ap_buf_free(&dict_buf);
    return rc;
}

/* ---- train ---- */

int ap_emit_sample(void *vctx, const unsigned char *record, size_t size) {
    ap_train_ctx *c = (ap_train_ctx *)vctx;
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 1024;
        size_t *p = (size_t *)ap_realloc(c->sizes, ncap * sizeof *p);
        if (p == NULL) goto oom;
        c->sizes = p;
        c->cap = ncap;
    }
    if (ap_buf_put(&c->samples, record, size)) goto oom;
    c->sizes[c->count++] = size;
    return 0;
oom:
    ap_msg("out of memory");
    return -1;
}

typedef struct ap_train_job {
    const ap_buf *samples;
    const size_t *sizes;
    size_t count;
    artpack_train_params params;
    ap_buf *dict;
    size_t written;
    artpack_error err;
    volatile int done;
} ap_train_job;

static void *ap_train_thread(void *arg) {
    ap_train_job *j = (ap_train_job *)arg;
    j->err = artpack_dict_train(j->dict->data, j->dict->cap, j->samples->data, j->sizes,
                                (unsigned)j->count, &j->params, &j->written);
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
    int progress = !o->quiet && isatty(STDERR_FILENO);
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
    job.params.level = o->level;
    job.dict = dict;
    dict->len = 0;
    if (ap_buf_reserve(dict, o->dict_size ? o->dict_size : ARTPACK_DICT_SIZE_DEFAULT)) {
        ap_msg("out of memory");
        return 1;
    }
    if (progress) fprintf(stderr, "\rartpack: training on %zu articles (%zu B of records) ...",
                          count, samples->len);
    if (pthread_create(&th, NULL, ap_train_thread, &job) != 0) {
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
    ap_train_ctx ctx;
    ap_buf dict = {NULL, 0, 0};
    size_t articles = 0, skipped = 0;
    uint64_t json_bytes = 0;
    int i, rc = 1, progress = !o->quiet && isatty(STDERR_FILENO);
    double t0 = ap_seconds();

    memset(&ctx, 0, sizeof ctx);
    for (i = 0; i < o->n_inputs; i++) {
        if (progress) fprintf(stderr, "\rartpack: packing %s ...", ap_name(o->inputs[i]));
        if (ap_pack_json(o, o->inputs[i], ap_emit_sample, &ctx, &articles, &skipped, &json_bytes))
            goto done;
    }
    if (ap_train_records(o, &ctx.samples, ctx.sizes, ctx.count, &dict)) goto done;
    if (ap_commit(o, &dict)) goto done;
    if (o->verbose || (skipped && !o->quiet)) {
        artpack_dict d;
        artpack_dict_load(&d, dict.data, dict.len);
        ap_msg("train: %zu articles (%zu skipped), %llu B of JSON, %zu B of records -> "
               "dictionary of %zu B, ID %u, in %.1f s",
               articles, skipped, (unsigned long long)json_bytes, ctx.samples.len, dict.len, (unsigned)d.id,
               ap_seconds() - t0);
    }
    rc = skipped ? AP_EXIT_SKIPPED : 0;
done:
    ap_buf_free(&ctx.samples);
    free(ctx.sizes);
    ap_buf_free(&dict);
    return rc;
}

/* "110K", "1M", "4096" -> bytes; 0 on a bad value. */
size_t ap_parse_size(const char *s) {
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-') return 0;
    if (*end == 'K' || *end == 'k') { v *= 1024; end++; }
    else if (*end == 'M' || *end == 'm') { v *= 1024 * 1024; end++; }
    if (*end == 'B' || (end[0] == 'i' && end[1] == 'B')) end += *end == 'B' ? 1 : 2;
    return *end == '\0' && v <= (unsigned long long)ARTPACK_DICT_SIZE_MAX * 2 ? (size_t)v : 0;
}

static int ap_is_level(const char *a, int *level) {
    int i, v = 0;
    if (a[0] != '-' || a[1] < '0' || a[1] > '9') return 0;
    for (i = 1; a[i]; i++) {
        if (a[i] < '0' || a[i] > '9' || i > 3) return 0;
        v = v * 10 + (a[i] - '0');
    }
    *level = v;
    return 1;
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

/* Prints the help; 1 when standard output cannot take it (a full disk). */
static int ap_help(void) {
    fputs(ap_usage, stdout);
    fputs(ap_usage_more, stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ap_msg("writing the help to standard output: %s", strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    ap_options o;
    int i, only_files = 0;
    memset(&o, 0, sizeof o);
    json_set_alloc_funcs(ap_json_alloc, free);
    o.output = "-";
    o.codec = -1;
    o.checksum = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int level;
        if (!only_files && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) only_files = 1;
            else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                return ap_help();
            } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
                printf("artpack %s (wire format %d)\n", artpack_version_string(), ARTPACK_WIRE_VERSION);
                return ap_stdout_status(0);
            } else if (strcmp(a, "-o") == 0 || strcmp(a, "-D") == 0 || strcmp(a, "--size") == 0 ||
                       strcmp(a, "--block-size") == 0 || strcmp(a, "--id") == 0) {
                if (++i >= argc) return ap_usage_error("%s needs a value", a);
                if (a[1] == 'o') o.output = argv[i];
                else if (a[1] == 'D') o.dict_path = argv[i];
                else if (strcmp(a, "--id") == 0) o.id = argv[i];
                else if (strcmp(a, "--block-size") == 0) {
                    o.block_size = ap_parse_size(argv[i]);
                    if (o.block_size == 0 || o.block_size > ARTPACK_BUNDLE_BLOCK_SIZE_MAX)
                        return ap_usage_error("--block-size '%s': give 1 to 64M (e.g. 256K)", argv[i]);
                }
                else if ((o.dict_size = ap_parse_size(argv[i])) < ARTPACK_DICT_SIZE_MIN ||
                         o.dict_size > ARTPACK_DICT_SIZE_MAX)
                    return ap_usage_error("--size '%s': give 4K to 8M (e.g. 110K, 1M)", argv[i]);
            } else if (strncmp(a, "-T", 2) == 0 || strncmp(a, "--threads", 9) == 0) {
                const char *v = a[1] == 'T' ? a + 2 : a + 9;
                char *end;
                long n;
                if (*v == '=') v++;
                else if (*v == '\0') {
                    if (++i >= argc) return ap_usage_error("%s needs a number", a);
                    v = argv[i];
                } else if (a[1] != 'T') {
                    return ap_usage_error("unknown option '%s'", a);
                }
                n = strtol(v, &end, 10);
                if (*v < '0' || *v > '9' || *end || n < 0 || n > (long)ARTPACK_BUNDLE_JOBS_MAX)
                    return ap_usage_error("-T '%s': give 0 (all cores) to 64 threads", v);
                o.threads = (unsigned)n;
            } else if (strcmp(a, "-f") == 0 || strcmp(a, "--force") == 0) o.force = 1;
            else if (strcmp(a, "-k") == 0 || strcmp(a, "--keep-going") == 0) o.keep_going = 1;
            else if (strcmp(a, "--no-wait") == 0) o.no_wait = 1;
            else if (strcmp(a, "--wait") == 0) o.no_wait = 0;
            else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) o.quiet = 1;
            else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) o.verbose = 1;
            else if (strcmp(a, "--ultra") == 0) o.ultra = 1;
            else if (strcmp(a, "--lz4") == 0) o.codec = ARTPACK_CODEC_LZ4;
            else if (strcmp(a, "--stored") == 0) o.codec = ARTPACK_CODEC_STORED;
            else if (strcmp(a, "--no-check") == 0) o.checksum = 0;
            else if (strcmp(a, "--optimize") == 0) o.optimize = 1;
            else if (strcmp(a, "--embed-dict") == 0) o.embed_dict = 1;
            else if (strcmp(a, "--train") == 0) o.train_dict = 1;
            else if (ap_is_level(a, &level)) o.level = level;
            else return ap_usage_error("unknown option '%s'", a);
        } else if (o.command == NULL) {
            o.command = a;
        } else if (o.n_inputs < AP_MAX_INPUTS) {
            o.inputs[o.n_inputs++] = a;
        } else {
            return ap_usage_error("too many input files (the limit is %s)", "256");
        }
    }
    if (o.command == NULL) return ap_usage_error("%s", "no command given");
    if (strcmp(o.command, "help") == 0) {
        return ap_help();
    }
    if (strcmp(o.command, "version") == 0) {
        printf("artpack %s (wire format %d)\n", artpack_version_string(), ARTPACK_WIRE_VERSION);
        return ap_stdout_status(0);
    }
    {
        static const char *const commands[] = {"encode", "decode", "train", "pack", "unpack",
                                               "get", "ls", "append", "verify", "recover",
                                               "merge"};
        size_t c;
        for (c = 0; c < sizeof commands / sizeof commands[0]; c++)
            if (strcmp(o.command, commands[c]) == 0) break;
        if (c == sizeof commands / sizeof commands[0])
            return ap_usage_error("unknown command '%s'", o.command);
    }
    if (strcmp(o.command, "train") == 0 || strcmp(o.command, "pack") == 0 ||
        strcmp(o.command, "merge") == 0 || strcmp(o.command, "append") == 0) {
        if (o.n_inputs == 0) return ap_usage_error("%s needs files", o.command);
    } else if (strcmp(o.command, "get") == 0) {
        if (o.n_inputs > 2) return ap_usage_error("too many arguments: '%s'", o.inputs[2]);
    } else if (o.n_inputs > 1) {
        return ap_usage_error("too many files: '%s' (one input at a time)", o.inputs[1]);
    }
    if ((strcmp(o.command, "unpack") == 0 || strcmp(o.command, "get") == 0 ||
         strcmp(o.command, "ls") == 0 || strcmp(o.command, "verify") == 0 ||
         strcmp(o.command, "recover") == 0) && o.n_inputs == 0)
        return ap_usage_error("%s needs a BUNDLE", o.command);
    if (o.n_inputs == 0) o.inputs[o.n_inputs++] = "-";
    o.input = o.inputs[0];
    if (o.level) {
        int max = o.codec == ARTPACK_CODEC_LZ4 ? 12 : (o.ultra ? 22 : 19);
        if (o.level < 1 || o.level > max)
            return ap_usage_error(o.codec == ARTPACK_CODEC_LZ4 ? "LZ4 levels are -1 to -12 (%s)"
                                  : o.ultra ? "zstd levels are -1 to -22 (%s)"
                                            : "zstd levels are -1 to -19, or up to -22 with --ultra (%s)",
                                  "level out of range");
    }
    if (o.threads == 0) o.threads = ap_default_threads();
    if (getenv("ARTPACK_FAIL_ALLOC") != NULL) o.threads = 1; /* allocations in a fixed order */
    o.compress = o.dict_path != NULL || o.level != 0 || o.codec != -1;
    o.codec_set = o.codec != -1;
    if (o.codec == -1) o.codec = ARTPACK_CODEC_ZSTD;
    {
        char err[512];
        if (ap_output_check(o.output, o.force, err, sizeof err)) {
            ap_msg("%s", err);
            return 1;
        }
    }
    if ((strcmp(o.command, "encode") == 0 || strcmp(o.command, "train") == 0 ||
         strcmp(o.command, "pack") == 0 || strcmp(o.command, "recover") == 0 ||
         strcmp(o.command, "merge") == 0) &&
        strcmp(o.output, "-") == 0 && isatty(STDOUT_FILENO) && !o.force) {
        ap_msg("will not write binary data to a terminal; use -o FILE, a pipe, or -f");
        return 1;
    }
    {
        int rc;
        if (strcmp(o.command, "encode") == 0) rc = ap_cmd_encode(&o);
        else if (strcmp(o.command, "train") == 0) rc = ap_cmd_train(&o);
        else if (strcmp(o.command, "pack") == 0) rc = ap_cmd_pack(&o);
        else if (strcmp(o.command, "unpack") == 0) rc = ap_cmd_unpack(&o);
        else if (strcmp(o.command, "get") == 0) rc = ap_cmd_get(&o);
        else if (strcmp(o.command, "ls") == 0) rc = ap_cmd_ls(&o);
        else if (strcmp(o.command, "append") == 0) rc = ap_cmd_append(&o);
        else if (strcmp(o.command, "verify") == 0) rc = ap_cmd_verify(&o);
        else if (strcmp(o.command, "recover") == 0) rc = ap_cmd_recover(&o);
        else if (strcmp(o.command, "merge") == 0) rc = ap_cmd_merge(&o);
        else rc = ap_cmd_decode(&o);
        return ap_stdout_status(rc);
    }
}
