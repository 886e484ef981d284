/* dupcheck.h - the duplicate-id check of pack and append, in memory that
 * does not grow with the number of articles (tools/dupcheck.c). */
#ifndef ARTPACK_TOOLS_DUPCHECK_H
#define ARTPACK_TOOLS_DUPCHECK_H

#include "cli.h"

struct ap_dup_state;

/* An ap_emit_fn in front of another (emit, ctx): notes each article's id
 * and hands the record on. With bundle (append --unique), each id is also
 * looked up in the bundle at once: one found stops the input (1 returned,
 * reported). Ids repeated within the input are found by ap_dup_finish, once
 * all are read: exactly (the ids' texts are compared), in bounded memory
 * (the ids wait in a temporary file past a few MB). With -q and without
 * --unique nothing is noted (nothing would be said). */
typedef struct ap_dup_check {
    const ap_options *o;
    ap_emit_fn emit;
    void *ctx;
    artpack_bundle_reader *bundle; /* append --unique: the ids committed; else NULL */
    uint64_t read, dups;
    struct ap_dup_state *st;       /* NULL until the first id */
} ap_dup_check;

void ap_dup_init(ap_dup_check *c, const ap_options *o, ap_emit_fn emit, void *ctx,
                 artpack_bundle_reader *bundle);
int ap_dup_emit(void *ctx, const unsigned char *record, size_t size);
/* Finds the ids read more than once and reports each repeat (in the order
 * read, naming the article that had it first) and a summary (what: "pack",
 * "append"); 0, or 1 when --unique refuses them or after reporting an error
 * (out of memory, a temporary file). */
int ap_dup_finish(ap_dup_check *c, const char *what);
void ap_dup_free(ap_dup_check *c);

#endif
