/* spool.c - bytes set aside while streaming (spool.h). */
#define _POSIX_C_SOURCE 200809L
#include "spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void ap_spool_init(ap_spool *s, const char *what) {
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->what = what;
}

/* 0, or -1 after reporting. */
static int ap_spool_flush(ap_spool *s) {
    size_t done = 0;
    if (s->fd < 0) {
        const char *dir = getenv("TMPDIR");
        char path[4096];
        snprintf(path, sizeof path, "%s/artpack-ids-XXXXXX", dir && *dir ? dir : "/tmp");
        s->fd = mkstemp(path);
        if (s->fd < 0) {
            ap_msg("cannot make a temporary file for %s in %s: %s", s->what,
                   dir && *dir ? dir : "/tmp", strerror(errno));
            return -1;
        }
        unlink(path);
    }
    while (done < s->len) {
        ssize_t k = pwrite(s->fd, s->buf + done, s->len - done, (off_t)(s->filed + done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            ap_msg("writing a temporary file for %s: %s", s->what,
                   k < 0 ? strerror(errno) : "nothing written");
            return -1;
        }
        done += (size_t)k;
    }
    s->filed += s->len;
    s->len = 0;
    return 0;
}

int ap_spool_put(ap_spool *s, const void *p, size_t n, uint64_t *at) {
    if (at) *at = s->filed + s->len;
    if (s->buf == NULL && (s->buf = (unsigned char *)ap_malloc(AP_SPOOL_BUF)) == NULL) {
        ap_msg("out of memory");
        return -1;
    }
    while (n > 0) {
        size_t k = AP_SPOOL_BUF - s->len < n ? AP_SPOOL_BUF - s->len : n;
        memcpy(s->buf + s->len, p, k);
        s->len += k;
        p = (const unsigned char *)p + k;
        n -= k;
        if (s->len == AP_SPOOL_BUF && ap_spool_flush(s)) return -1;
    }
    return 0;
}

int ap_spool_get(ap_spool *s, uint64_t at, void *dst, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    while (n > 0 && at < s->filed) {
        size_t k = s->filed - at < n ? (size_t)(s->filed - at) : n;
        ssize_t r = pread(s->fd, d, k, (off_t)at);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            ap_msg("reading a temporary file for %s: %s", s->what,
                   r < 0 ? strerror(errno) : "it is shorter than written");
            return -1;
        }
        d += r;
        at += (uint64_t)r;
        n -= (size_t)r;
    }
    if (n > 0) memcpy(d, s->buf + (at - s->filed), n);
    return 0;
}

void ap_spool_close(ap_spool *s) {
    if (s->fd >= 0) close(s->fd);
    free(s->buf);
    s->buf = NULL;
    s->fd = -1;
}


int ap_spool_write_cb(void *opaque, const void *data, size_t size) {
    return ap_spool_put((ap_spool *)opaque, data, size, NULL);
}

int ap_spool_read_cb(void *opaque, uint64_t offset, void *dst, size_t size) {
    return ap_spool_get((ap_spool *)opaque, offset, dst, size);
}
