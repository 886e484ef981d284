/* cli.h - what the artpack tool's command files share (tools/artpack.c). */
#ifndef ARTPACK_TOOLS_CLI_H
#define ARTPACK_TOOLS_CLI_H

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
    int embed_dict, train_dict;   /* pack --embed-dict, --train */
    size_t block_size;            /* pack --block-size */
    const char *id;               /* get --id */
    int codec_set;                /* --lz4 or --stored given */
} ap_options;

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
/* The runner of the library's parallel compression (tools/parallel.c). */
void ap_parallel_run(void *opaque, artpack_task_fn task, void *const *args, size_t n);
unsigned ap_default_threads(void);

/* Trains a dictionary on records laid end to end (progress on a terminal
 * unless quiet): 0, or 1 after reporting. */
int ap_train_records(const ap_options *o, const ap_buf *samples, const size_t *sizes,
                     size_t count, ap_buf *dict);
size_t ap_parse_size(const char *s);
/* Collects records for training (an ap_emit_fn). */
typedef struct ap_train_ctx {
    ap_buf samples;
    size_t *sizes;
    size_t count, cap;
} ap_train_ctx;
int ap_emit_sample(void *ctx, const unsigned char *record, size_t size);
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

#endif
