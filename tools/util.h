/* util.h - host-side helpers of the artpack tools: buffers, files, UTF-8. */
#ifndef ARTPACK_TOOLS_UTIL_H
#define ARTPACK_TOOLS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. All functions return 0 on success, -1 when out of
 * memory (the buffer is then left as it was, still valid to free). */
typedef struct ap_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
} ap_buf;

int ap_buf_reserve(ap_buf *b, size_t extra);
int ap_buf_put(ap_buf *b, const void *src, size_t n);
int ap_buf_putc(ap_buf *b, int c);
int ap_buf_puts(ap_buf *b, const char *s);
int ap_buf_put_varint(ap_buf *b, uint64_t v); /* artpack_varint_write's bytes */
void ap_buf_free(ap_buf *b);

/* Reads a whole file ("-" = stdin) into *out. Returns 0, or -1 with errno set. */
int ap_read_all(const char *path, ap_buf *out);

/* Output that appears completely or not at all. ap_output_check checks that
 * path ("-" = stdout) may be written: an existing file only with force; a
 * symbolic link only with force, and then the file it points to is
 * replaced, the link kept; a device or FIFO is written as it is; a folder
 * never (error message in err). ap_output_commit writes data to a temporary file in the same folder,
 * fsyncs it and renames it over path; on any failure the temporary file is
 * removed and -1 returned with a message in err. */
int ap_output_check(const char *path, int force, char *err, size_t err_size);
int ap_output_commit(const char *path, const void *data, size_t size, char *err,
                     size_t err_size);

/* Streaming output that appears completely or not at all: a temporary file
 * beside path (mode 0666 less the umask, as the file would get), written
 * through a buffer, then fsynced and renamed over path by ap_out_commit;
 * "-" writes to standard output as it goes. While it is open, SIGINT,
 * SIGTERM and SIGHUP remove the temporary file and end the process with
 * 128 + the signal. All return 0, or -1 with a message in err. */
typedef struct ap_out {
    const char *path;
    char *target;        /* the file replaced: path, or where its links lead */
    char *tmp;           /* NULL: standard output, or direct */
    int direct;          /* 1: a device or FIFO, written as it is */
    int fd;
    unsigned char *buf;
    size_t len, cap;
    uint64_t bytes;      /* written so far */
    int err_no;          /* the first failure's errno (0: none) */
} ap_out;
int ap_out_open(ap_out *o, const char *path, int force, char *err, size_t err_size);
int ap_out_write(ap_out *o, const void *data, size_t size);
int ap_out_commit(ap_out *o, char *err, size_t err_size);
/* "to standard output", or the path: for messages ("writing %s"). */
const char *ap_out_name(const ap_out *o);
void ap_out_abort(ap_out *o);
/* An append writing in place to fd: until ap_unwatch_append, SIGINT,
 * SIGTERM and SIGHUP cut the file back to committed_end (what the append
 * wrote is dropped, the bundle is as it was) and end the process with 128 +
 * the signal. */
void ap_watch_append(int fd, uint64_t committed_end);
void ap_unwatch_append(void);

/* An artpack_write_fn over an ap_out. */
int ap_out_write_cb(void *opaque, const void *data, size_t size);

/* What a file is, from its first bytes (at least AP_SNIFF_BYTES when the
 * file has them), for errors that name it and the command that reads it. */
#define AP_SNIFF_BYTES 16
typedef enum ap_kind {
    AP_KIND_UNKNOWN,
    AP_KIND_EMPTY,
    AP_KIND_RECORDS,     /* an artpack record stream ("APKR") */
    AP_KIND_COMPRESSED,  /* an artpack compressed stream ("APKZ") */
    AP_KIND_BUNDLE,      /* an artpack bundle (its header chunk, "APKB") */
    AP_KIND_DICT,        /* a zstd dictionary */
    AP_KIND_ZSTD,        /* a zstd frame (zstd's own file) */
    AP_KIND_GZIP,
    AP_KIND_XZ,
    AP_KIND_JSON         /* text that starts like a JSON object or array */
} ap_kind;
ap_kind ap_sniff(const unsigned char *p, size_t n);
/* The kind read from the start of an open file (pread: the offset is kept);
 * AP_KIND_UNKNOWN when it cannot be read there (a pipe). */
ap_kind ap_sniff_fd(int fd);
/* "an artpack bundle", ... */
const char *ap_kind_name(ap_kind k);
/* What reads it: "read it with `artpack unpack` (or get, ls, verify)", ... */
const char *ap_kind_hint(ap_kind k);

/* 1 if s[0..n) is valid UTF-8 (no overlong forms, no surrogates, <= U+10FFFF);
 * else 0 and *bad gets the offset of the first bad byte. */
int ap_utf8_valid(const unsigned char *s, size_t n, size_t *bad);

/* Test hook: when the environment variable ARTPACK_FAIL_ALLOC=N is set,
 * the Nth allocation of the tools fails (for allocation-failure tests). */
void *ap_malloc(size_t n);
void *ap_realloc(void *p, size_t n);
/* 1 once an allocation through ap_malloc/ap_realloc has failed. */
int ap_alloc_failed(void);

/* The size of the dictionary `pack` trains on records_bytes of the
 * bundle's own records (without -D), 0 when one does not pay: under 3 blocks
 * of block_size (0: the default). A sixteenth of the records, 32 KB to
 * 256 KB. Measured (docs/bench/bundle.md): bbc, 5 blocks of 1 MB: -1.7 %
 * with 256 KB (110 KB -1.6 %, 64 KB -1.1 %, 512 KB -1.4 %); reuters21578, 9
 * blocks: -4.6 %; bbc's first 800 articles (2 blocks): +0.0 % to +2.7 %. */
size_t ap_auto_dict_size(size_t records_bytes, size_t block_size);

#endif
