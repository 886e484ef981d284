/* cli.h - what the artpack tool's command files share (tools/artpack.c). */
#ifndef ARTPACK_TOOLS_CLI_H
#define ARTPACK_TOOLS_CLI_H

#include <pthread.h>

#include "artpack.h"
#include "util.h"

#define AP_MAX_INPUTS 256

/* Exit statuses: 0 success; 1 an error (no output written); 2 done, but
 * --keep-going skipped something (each reported, the output holds the
 * rest); 128 + N killed by signal N (the temporary output removed). */
#define AP_EXIT_ERROR 1
#define AP_EXIT_SKIPPED 2

typedef struct ap_options {
    const char *command;
    const char *inputs[AP_MAX_INPUTS]; /* "-" = stdin */
    int n_inputs;
    const char *input;  /* inputs[0] */
    const char *output; /* "-" = stdout */
    int force, keep_going, quiet, verbose;
    int no_wait;                  /* append: fail at once if the bundle is locked */
    unsigned threads;             /* -T N: compression threads (0 = all cores) */
    const char *dict_path;
    int level, ultra, codec, compress; /* codec: artpack_codec, -1 = unset */
    int checksum;
    size_t dict_size;
    int optimize;
    int no_words; /* --no-words */
    int embed_dict, train_dict;   /* pack --embed-dict, --train */
    int no_dict;                  /* pack --no-dict */
    int rows;                     /* pack --rows */
    int similar;                  /* pack --similar 1, --no-similar 0, neither -1 */
    size_t block_size;            /* pack --block-size */
    const char *id;               /* get --id */
    int codec_set;                /* --lz4 or --stored given */
    int json;                     /* ls, info --json */
    int unique;                   /* pack, append --unique */
    int progress;                 /* 0 never, 1 on a terminal (default), 2 always */
    int range;                    /* unpack, ls --range A-B: */
    uint64_t range_from, range_to; /* inclusive; range_to UINT64_MAX: to the end */
} ap_options;

/* 1 when standard input may be read: not a terminal (else reported). */
int ap_stdin_ok(void);
/* 1 when progress goes to standard error (a terminal, or --progress). */
int ap_progress_on(const ap_options *o);
/* Progress of a long command on standard error (when ap_progress_on):
 * "artpack: WHAT: 1200 of 5000 articles (24%), 3.1 MB, 2.0 MB/s", redrawn
 * at most 5 times a second; the line is cleared at the end. */
typedef struct ap_progress {
    int on, shown;
    const char *what, *unit;
    double t0, last;
} ap_progress;
void ap_progress_start(ap_progress *p, const ap_options *o, const char *what, const char *unit);
/* done of total units (total 0: unknown), bytes so far (0: not shown). */
void ap_progress_update(ap_progress *p, uint64_t done, uint64_t total, uint64_t bytes);
void ap_progress_end(ap_progress *p);

/* "A-B", "A-" or "N" -> [*from, *to] (UINT64_MAX: to the end); 0 or -1. */
int ap_parse_range(const char *s, uint64_t *from, uint64_t *to);

/* Messages on stderr, "artpack: " first. */
void ap_msg(const char *fmt, ...);
int ap_usage_error(const char *fmt, const char *arg);
const char *ap_name(const char *path);
double ap_seconds(void);
/* Reads a file ("-" = stdin) or reports why not: 0 or -1. */
int ap_load(const char *path, ap_buf *in);
/* Writes out to o->output completely or not at all: 0 or 1 (reported). */
int ap_commit(const ap_options *o, const ap_buf *out);
/* Reads and checks -D DICT: 0 or -1 (reported). */
int ap_load_dict(const ap_options *o, ap_buf *buf, artpack_dict *dict);
/* Parses the JSON articles of path ("-": standard input) as they are read and
 * hands each record to emit; *bytes (may be NULL) += the JSON bytes read.
 * 0, or 1 after reporting. */
typedef int (*ap_emit_fn)(void *ctx, const unsigned char *record, size_t size);
int ap_pack_json(const ap_options *o, const char *path, ap_emit_fn emit, void *ctx,
                 size_t *articles, size_t *skipped, uint64_t *bytes);
/* As ap_pack_json, parsing on a thread of its own while the caller's thread
 * runs emit (when o->threads > 1): the same records in the same order. */
int ap_pack_json_async(const ap_options *o, const char *path, ap_emit_fn emit, void *ctx,
                       size_t *articles, size_t *skipped, uint64_t *bytes);
/* pthread_create with SIGINT, SIGTERM and SIGHUP blocked in the new thread:
 * the tool's signal handler runs only on the main thread (tools/parallel.c). */
int ap_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

/* The runner of the library's parallel compression (tools/parallel.c). */
void ap_parallel_run(void *opaque, artpack_task_fn task, void *const *args, size_t n);
/* The pipelined runner (artpack_bundle_writer_set_pipeline with the same
 * jobs): opaque is an ap_async from ap_async_new (a pool of jobs threads;
 * NULL: out of memory, reported), freed by ap_async_free after the writer
 * (which waits for its tasks). */
typedef struct ap_async ap_async;
ap_async *ap_async_new(unsigned jobs);
void ap_async_free(ap_async *a);
void ap_parallel_start(void *opaque, artpack_worker_task_fn task, void *arg);
void ap_parallel_wait(void *opaque, void *arg);
unsigned ap_default_threads(void);

/* Trains a dictionary on records laid end to end (progress on a terminal
 * unless quiet): 0, or 1 after reporting. */
int ap_train_records(const ap_options *o, const ap_buf *samples, const size_t *sizes,
                     size_t count, ap_buf *dict);
size_t ap_parse_size(const char *s);
/* A list of records in memory: their bytes laid end to end and each one's
 * size (what train trains on, what pack holds before its writer starts).
 * Zero it to start; ap_record_list_add is an ap_emit_fn (0, or -1 after
 * reporting running out of memory). */
typedef struct ap_record_list {
    ap_buf records;
    size_t *sizes;
    size_t count, cap;
} ap_record_list;
int ap_record_list_add(void *list, const unsigned char *record, size_t size);
/* Frees its memory and zeroes it (an empty list again). */
void ap_record_list_free(ap_record_list *list);
extern const artpack_allocator ap_tool_allocator;

/* The bundle commands (tools/bundle_cmd.c). */
int ap_cmd_pack(const ap_options *o);
int ap_cmd_unpack(const ap_options *o);
int ap_cmd_get(const ap_options *o);
int ap_cmd_ls(const ap_options *o);
int ap_cmd_append(const ap_options *o);
int ap_cmd_verify(const ap_options *o);
int ap_cmd_recover(const ap_options *o);
int ap_cmd_merge(const ap_options *o);
int ap_cmd_dict(const ap_options *o);
/* Standard input as a file that can be read with pread: itself when it is
 * one, else a copy in an unlinked temporary file. -1 after reporting. */
int ap_stdin_file(void);

/* What info writes: "key: value" lines, or one JSON object (--json). */
typedef struct ap_info {
    ap_buf *out;
    int json, first;
} ap_info;
void ap_info_str(ap_info *f, const char *key, const char *value); /* NULL: null */
void ap_info_num(ap_info *f, const char *key, uint64_t value);
void ap_info_real(ap_info *f, const char *key, double value);
/* info of the bundle open at fd (path names it): 0, or 1 after reporting. */
int ap_bundle_info(const ap_options *o, const char *path, int fd, ap_info *f);

#endif
