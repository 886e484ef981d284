/* util.c - host-side helpers of the artpack tools. POSIX. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"
#include "artpack.h"

#include "artpack.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long ap_alloc_fail_at = -2; /* -2: not read yet, -1: never */
static long ap_alloc_count;

static int ap_alloc_failures;

static int ap_alloc_should_fail(void) {
    if (ap_alloc_fail_at == -2) {
        const char *s = getenv("ARTPACK_FAIL_ALLOC");
        ap_alloc_fail_at = s != NULL ? strtol(s, NULL, 10) : -1;
    }
    return ap_alloc_fail_at >= 0 && ++ap_alloc_count == ap_alloc_fail_at;
}

void *ap_malloc(size_t n) {
    void *p = ap_alloc_should_fail() ? NULL : malloc(n ? n : 1);
    if (p == NULL) ap_alloc_failures++;
    return p;
}
void *ap_realloc(void *p, size_t n) {
    void *q = ap_alloc_should_fail() ? NULL : realloc(p, n ? n : 1);
    if (q == NULL) ap_alloc_failures++;
    return q;
}
int ap_alloc_failed(void) { return ap_alloc_failures != 0; }

int ap_buf_reserve(ap_buf *b, size_t extra) {
    size_t cap;
    unsigned char *p;
    if (extra <= b->cap - b->len) return 0;
    if (extra > SIZE_MAX / 2 - b->len) return -1;
    cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) cap *= 2;
    p = (unsigned char *)ap_realloc(b->data, cap);
    if (p == NULL) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ap_buf_put(ap_buf *b, const void *src, size_t n) {
    if (ap_buf_reserve(b, n)) return -1;
    if (n) memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

int ap_buf_putc(ap_buf *b, int c) {
    unsigned char ch = (unsigned char)c;
    return ap_buf_put(b, &ch, 1);
}

int ap_buf_puts(ap_buf *b, const char *s) { return ap_buf_put(b, s, strlen(s)); }

int ap_buf_put_varint(ap_buf *b, uint64_t v) {
    unsigned char tmp[ARTPACK_VARINT_MAX];
    return ap_buf_put(b, tmp, artpack_varint_write(tmp, sizeof tmp, v));
}

void ap_buf_free(ap_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int ap_read_all(const char *path, ap_buf *out) {
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
    int saved;
    if (fd < 0) return -1;
    for (;;) {
        ssize_t n;
        if (ap_buf_reserve(out, 1 << 16)) {
            errno = ENOMEM;
            goto fail;
        }
        n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0) {
            if (errno == EINTR) continue;
            goto fail;
        }
        if (n == 0) break;
        out->len += (size_t)n;
    }
    if (fd != STDIN_FILENO) close(fd);
    return 0;
fail:
    saved = errno;
    if (fd != STDIN_FILENO) close(fd);
    errno = saved;
    return -1;
}

/* Where output to path goes, following symbolic links: *target (allocated)
 * gets the file a chain of links ends at (path itself when it is none), *st
 * its status, *exists whether it exists, *link whether path is a link. 0, or
 * -1 with a message in err (a loop of links, out of memory). */
static int ap_output_target(const char *path, char **target, struct stat *st, int *exists,
                            int *link, char *err, size_t err_size) {
    char *cur = (char *)ap_malloc(strlen(path) + 1);
    int hops;
    *target = NULL;
    *exists = 0;
    *link = 0;
    if (cur == NULL) goto oom;
    strcpy(cur, path);
    for (hops = 0; hops < 40; hops++) {
        char buf[4096], *next;
        ssize_t n;
        const char *slash;
        size_t dir;
        if (lstat(cur, st) != 0) { /* nothing there (or a dangling link's end) */
            *target = cur;
            return 0;
        }
        if (!S_ISLNK(st->st_mode)) {
            *exists = 1;
            *target = cur;
            return 0;
        }
        *link = 1;
        n = readlink(cur, buf, sizeof buf - 1);
        if (n < 0) {
            snprintf(err, err_size, "%s: %s", path, strerror(errno));
            free(cur);
            return -1;
        }
        buf[n] = '\0';
        /* a relative target is relative to the link's folder */
        slash = strrchr(cur, '/');
        dir = buf[0] == '/' || slash == NULL ? 0 : (size_t)(slash - cur) + 1;
        next = (char *)ap_malloc(dir + (size_t)n + 1);
        if (next == NULL) goto oom;
        memcpy(next, cur, dir);
        memcpy(next + dir, buf, (size_t)n + 1);
        free(cur);
        cur = next;
    }
    snprintf(err, err_size, "%s: too many levels of symbolic links", path);
    free(cur);
    return -1;
oom:
    free(cur);
    snprintf(err, err_size, "out of memory");
    return -1;
}

/* The rules for an output path (README "The command-line tool"):
 *  - nothing there: created;
 *  - a regular file: replaced only with -f (force);
 *  - a symbolic link: refused without -f; with -f, the file it points to is
 *    replaced (or created) and the link is kept;
 *  - a device or FIFO (/dev/null, a named pipe): written directly, as it is;
 *  - a folder or anything else: refused. */
int ap_output_check(const char *path, int force, char *err, size_t err_size) {
    char *target;
    struct stat st;
    int exists, link, rc = 0;
    if (strcmp(path, "-") == 0) return 0;
    if (ap_output_target(path, &target, &st, &exists, &link, err, err_size)) return -1;
    if (exists && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        rc = 0;
    } else if (exists && !S_ISREG(st.st_mode)) {
        snprintf(err, err_size, "%s%s%s is %s; give a file", path, link ? " -> " : "",
                 link ? target : "", S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
        rc = -1;
    } else if (link && !force) {
        snprintf(err, err_size,
                 "%s is a symbolic link to %s; use -f to replace %s (the link is kept)", path,
                 target, exists ? "the file it points to" : "its missing target");
        rc = -1;
    } else if (exists && !force) {
        snprintf(err, err_size, "%s already exists; use -f to overwrite", path);
        rc = -1;
    }
    free(target);
    return rc;
}

static int ap_write_fd(int fd, const unsigned char *p, size_t n);

/* The temporary file being written, for the signal handler. */
static char *volatile ap_live_tmp;

/* An append in progress, for the signal handler: its file and the committed
 * end it cuts back to. */
static volatile int ap_live_append_fd = -1;
static volatile off_t ap_live_append_end;

static void ap_on_signal(int sig) {
    char *t = ap_live_tmp;
    if (t != NULL) unlink(t);
    if (ap_live_append_fd >= 0) (void)ftruncate(ap_live_append_fd, ap_live_append_end);
    signal(sig, SIG_DFL);
    _exit(128 + sig);
}

static void ap_watch_signals(void) {
    static int set;
    struct sigaction sa;
    if (set) return;
    set = 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ap_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void ap_watch_append(int fd, uint64_t committed_end) {
    ap_watch_signals();
    ap_live_append_end = (off_t)committed_end;
    ap_live_append_fd = fd;
}

void ap_unwatch_append(void) { ap_live_append_fd = -1; }

int ap_out_open(ap_out *o, const char *path, int force, char *err, size_t err_size) {
    size_t plen;
    char *target;
    struct stat st;
    int exists, link;
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->path = path;
    if (ap_output_check(path, force, err, err_size)) return -1;
    o->cap = (size_t)1 << 20;
    o->buf = (unsigned char *)ap_malloc(o->cap);
    if (o->buf == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (strcmp(path, "-") == 0) {
        o->fd = STDOUT_FILENO;
        return 0;
    }
    if (ap_output_target(path, &target, &st, &exists, &link, err, err_size)) {
        ap_out_abort(o);
        return -1;
    }
    if (exists && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) { /* as it is */
        free(target);
        o->fd = open(path, O_WRONLY);
        if (o->fd < 0) {
            snprintf(err, err_size, "%s: %s", path, strerror(errno));
            ap_out_abort(o);
            return -1;
        }
        o->direct = 1;
        return 0;
    }
    /* the temporary file goes beside the file that is replaced: through a
     * link, beside its target */
    o->target = target;
    plen = strlen(target);
    o->tmp = (char *)ap_malloc(plen + 16);
    if (o->tmp == NULL) {
        snprintf(err, err_size, "out of memory");
        ap_out_abort(o);
        return -1;
    }
    memcpy(o->tmp, target, plen);
    memcpy(o->tmp + plen, ".tmp-XXXXXX", 12);
    ap_watch_signals();
    o->fd = mkstemp(o->tmp);
    if (o->fd < 0) {
        snprintf(err, err_size, "cannot create a temporary file beside %s: %s", target,
                 strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        ap_out_abort(o);
        return -1;
    }
    ap_live_tmp = o->tmp;
    return 0;
}

const char *ap_out_name(const ap_out *o) {
    return o->tmp != NULL || o->direct ? o->path : "to standard output";
}

static int ap_out_flush(ap_out *o) {
    if (o->err_no) return -1;
    if (o->len && ap_write_fd(o->fd, o->buf, o->len)) {
        o->err_no = errno;
        return -1;
    }
    o->len = 0;
    return 0;
}

int ap_out_write(ap_out *o, const void *data, size_t size) {
    if (o->err_no) return -1;
    if (size == 0) return 0; /* data may be NULL */
    o->bytes += size;
    if (size > o->cap - o->len && ap_out_flush(o)) return -1;
    if (size >= o->cap) {
        if (ap_write_fd(o->fd, (const unsigned char *)data, size)) {
            o->err_no = errno;
            return -1;
        }
        return 0;
    }
    memcpy(o->buf + o->len, data, size);
    o->len += size;
    return 0;
}

int ap_out_write_cb(void *opaque, const void *data, size_t size) {
    return ap_out_write((ap_out *)opaque, data, size) ? -1 : 0;
}

int ap_out_commit(ap_out *o, char *err, size_t err_size) {
    mode_t mask;
    int rc = 0;
    if (ap_out_flush(o)) {
        snprintf(err, err_size, "writing %s: %s", ap_out_name(o), strerror(o->err_no));
        ap_out_abort(o);
        return -1;
    }
    if (o->tmp == NULL) {
        if (o->direct && close(o->fd) != 0) {
            snprintf(err, err_size, "writing %s: %s", o->path, strerror(errno));
            rc = -1;
        }
        o->fd = -1;
        o->direct = 0;
        free(o->buf);
        o->buf = NULL;
        return rc;
    }
    mask = umask(0);
    umask(mask);
    if (fsync(o->fd) || fchmod(o->fd, 0666 & ~mask) || close(o->fd)) {
        snprintf(err, err_size, "writing %s: %s", o->path, strerror(errno));
        rc = -1;
    }
    o->fd = -1;
    if (rc == 0 && rename(o->tmp, o->target)) {
        snprintf(err, err_size, "renaming the temporary file to %s: %s", o->target,
                 strerror(errno));
        rc = -1;
    }
    if (rc == 0) {
        ap_live_tmp = NULL;
        free(o->tmp);
        o->tmp = NULL;
    }
    ap_out_abort(o);
    return rc;
}

void ap_out_abort(ap_out *o) {
    if (o->tmp != NULL) {
        if (o->fd >= 0) close(o->fd);
        unlink(o->tmp);
        ap_live_tmp = NULL;
        free(o->tmp);
        o->tmp = NULL;
    } else if (o->direct && o->fd >= 0) {
        close(o->fd);
    }
    o->direct = 0;
    o->fd = -1;
    free(o->target);
    o->target = NULL;
    free(o->buf);
    o->buf = NULL;
}

static int ap_write_fd(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ap_output_commit(const char *path, const void *data, size_t size, char *err,
                     size_t err_size) {
    ap_out o;
    if (ap_out_open(&o, path, 1, err, err_size)) return -1; /* the caller checked -f */
    if (ap_out_write(&o, data, size)) {
        snprintf(err, err_size, "writing %s: %s", ap_out_name(&o), strerror(o.err_no));
        ap_out_abort(&o);
        return -1;
    }
    return ap_out_commit(&o, err, err_size);
}

ap_kind ap_sniff(const unsigned char *p, size_t n) {
    size_t i = 0;
    if (n == 0) return AP_KIND_EMPTY;
    if (n >= 5) { /* a stream's magic and version byte (codec/stream.c reads them) */
        artpack_stream_info si;
        (void)artpack_stream_header_read(&si, p, n, 1, NULL);
        if (si.kind == ARTPACK_STREAM_RECORDS) return AP_KIND_RECORDS;
        if (si.kind == ARTPACK_STREAM_COMPRESSED) return AP_KIND_COMPRESSED;
    }
    if (n >= 12 && memcmp(p, "\x5A\x2A\x4D\x18", 4) == 0 && memcmp(p + 8, "APKB", 4) == 0)
        return AP_KIND_BUNDLE;
    if (n >= 8 && memcmp(p, "\x37\xA4\x30\xEC", 4) == 0) return AP_KIND_DICT;
    if (n >= 4 && memcmp(p, "\x28\xB5\x2F\xFD", 4) == 0) return AP_KIND_ZSTD;
    if (n >= 2 && p[0] == 0x1F && p[1] == 0x8B) return AP_KIND_GZIP;
    if (n >= 6 && memcmp(p, "\xFD" "7zXZ\0", 6) == 0) return AP_KIND_XZ;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) i = 3; /* a UTF-8 byte order mark */
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    if (i < n && (p[i] == '{' || p[i] == '[')) return AP_KIND_JSON;
    return AP_KIND_UNKNOWN;
}

ap_kind ap_sniff_fd(int fd) {
    unsigned char head[AP_SNIFF_BYTES];
    size_t got = 0;
    while (got < sizeof head) {
        ssize_t n = pread(fd, head + got, sizeof head - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return AP_KIND_UNKNOWN;
        if (n == 0) break;
        got += (size_t)n;
    }
    return ap_sniff(head, got);
}

const char *ap_kind_name(ap_kind k) {
    switch (k) {
    case AP_KIND_EMPTY: return "an empty file";
    case AP_KIND_RECORDS: return "an artpack record stream";
    case AP_KIND_COMPRESSED: return "an artpack compressed stream";
    case AP_KIND_BUNDLE: return "an artpack bundle";
    case AP_KIND_DICT: return "a zstd dictionary";
    case AP_KIND_ZSTD: return "a zstd-compressed file";
    case AP_KIND_GZIP: return "a gzip-compressed file";
    case AP_KIND_XZ: return "an xz-compressed file";
    case AP_KIND_JSON: return "JSON text";
    case AP_KIND_UNKNOWN: break;
    }
    return "not a file artpack knows";
}

const char *ap_kind_hint(ap_kind k) {
    switch (k) {
    case AP_KIND_RECORDS: return "read it with `artpack decode`";
    case AP_KIND_COMPRESSED: return "read it with `artpack decode -D DICT`";
    case AP_KIND_BUNDLE: return "read it with `artpack unpack` (or get, ls, verify, info)";
    case AP_KIND_DICT: return "give it with -D DICT";
    case AP_KIND_ZSTD: return "decompress it with `zstd -d` first";
    case AP_KIND_GZIP: return "decompress it with `gzip -d` first";
    case AP_KIND_XZ: return "decompress it with `xz -d` first";
    case AP_KIND_JSON: return "`artpack encode` or `artpack pack` reads it";
    case AP_KIND_EMPTY:
    case AP_KIND_UNKNOWN: break;
    }
    return "";
}

int ap_utf8_valid(const unsigned char *s, size_t n, size_t *bad) {
    size_t ok = artpack_utf8_valid_prefix(s, n);
    if (ok == n) return 1;
    if (bad) *bad = ok;
    return 0;
}

size_t ap_auto_dict_size(size_t records_bytes, size_t block_size) {
    size_t size = records_bytes / 16;
    if (block_size == 0) block_size = ARTPACK_BUNDLE_BLOCK_SIZE_DEFAULT;
    if (records_bytes / 3 < block_size) return 0;
    if (size < (size_t)32 << 10) size = (size_t)32 << 10;
    if (size > (size_t)256 << 10) size = (size_t)256 << 10;
    return size;
}
