/* spool.h - bytes appended, read back at any offset: in memory up to
 * AP_SPOOL_BUF, then in an unlinked temporary file in $TMPDIR (/tmp). For
 * what the tools set aside while streaming (the duplicate-id check's ids,
 * the bundle writer's id hashes). */
#ifndef ARTPACK_TOOLS_SPOOL_H
#define ARTPACK_TOOLS_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define AP_SPOOL_BUF ((size_t)1 << 18)

/* [0, filed) in the file (fd, created at the first overflow), [filed,
 * filed + len) in buf (allocated at the first byte). */
typedef struct ap_spool {
    unsigned char *buf;
    size_t len;
    int fd; /* -1: none yet */
    uint64_t filed;
    const char *what; /* for messages: "the duplicate-id check" */
} ap_spool;

void ap_spool_init(ap_spool *s, const char *what);
/* Appends n bytes; *at (may be NULL): their offset. 0, or -1 after reporting. */
int ap_spool_put(ap_spool *s, const void *p, size_t n, uint64_t *at);
/* n bytes at offset at (written before). 0, or -1 after reporting. */
int ap_spool_get(ap_spool *s, uint64_t at, void *dst, size_t n);
void ap_spool_close(ap_spool *s);

/* As the library's artpack_write_fn and artpack_read_fn (opaque: the spool). */
int ap_spool_write_cb(void *opaque, const void *data, size_t size);
int ap_spool_read_cb(void *opaque, uint64_t offset, void *dst, size_t size);

#endif
