/* bench_util.h - what the benchmarks (tests/bench*.c) share: messages on
 * stderr under the benchmark's name, clocks, sorting doubles, a bundle in
 * memory (an ap_buf the writer writes, a read callback over bytes). Define
 * BENCH_NAME ("bench_cm", ...) before including it; include it after
 * _POSIX_C_SOURCE's system headers (clock_gettime). */
#ifndef ARTPACK_BENCH_UTIL_H
#define ARTPACK_BENCH_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "artpack.h"
#include "util.h" /* ap_buf */

static inline void bench_vsay(const char *fmt, va_list ap) {
    fputs(BENCH_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* A message on stderr, then exit 1. */
#if defined(__GNUC__)
static inline void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#endif
static inline void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bench_vsay(fmt, ap);
    va_end(ap);
    exit(1);
}

/* A message on stderr. */
static inline void progress(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bench_vsay(fmt, ap);
    va_end(ap);
}

/* Wall time, seconds (monotonic). */
static inline double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread, seconds: what the shared machine gives to other
 * processes is not counted. */
static inline double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* qsort's comparison of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The bundle writer's write callback: appends to the ap_buf opaque. */
static inline int put(void *opaque, const void *p, size_t n) {
    return ap_buf_put((ap_buf *)opaque, p, n);
}

/* A read callback over p[0..n). */
typedef struct mem_file {
    const unsigned char *p;
    size_t n;
} mem_file;

static inline int mem_file_read(void *opaque, uint64_t off, void *dst, size_t n) {
    const mem_file *f = (const mem_file *)opaque;
    if (off > f->n || n > f->n - off) return -1;
    memcpy(dst, f->p + off, n);
    return 0;
}

#endif
