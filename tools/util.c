/* util.c - host-side helpers of the artpack tools. POSIX. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <fcntl.h>
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
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7F);
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        n++;
    } while (v);
    return ap_buf_put(b, tmp, n);
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

int ap_output_check(const char *path, int force, char *err, size_t err_size) {
    struct stat st;
    if (strcmp(path, "-") == 0) return 0;
    if (!force && stat(path, &st) == 0) {
        snprintf(err, err_size, "%s already exists; use -f to overwrite", path);
        return -1;
    }
    return 0;
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
    char *tmp;
    size_t plen;
    int fd;
    if (strcmp(path, "-") == 0) {
        if (ap_write_fd(STDOUT_FILENO, (const unsigned char *)data, size)) {
            snprintf(err, err_size, "writing to standard output: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    plen = strlen(path);
    tmp = (char *)ap_malloc(plen + 16);
    if (tmp == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, err_size, "cannot create a temporary file beside %s: %s", path,
                 strerror(errno));
        free(tmp);
        return -1;
    }
    if (ap_write_fd(fd, (const unsigned char *)data, size) || fsync(fd) ||
        fchmod(fd, 0644) || close(fd)) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        snprintf(err, err_size, "writing %s: %s", path, strerror(saved));
        free(tmp);
        return -1;
    }
    if (rename(tmp, path)) {
        snprintf(err, err_size, "renaming the temporary file to %s: %s", path,
                 strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int ap_utf8_valid(const unsigned char *s, size_t n, size_t *bad) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len, k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else goto invalid;
        if (n - i < len) goto invalid;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto invalid;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            goto invalid;
        i += len;
    }
    return 1;
invalid:
    if (bad) *bad = i;
    return 0;
}
