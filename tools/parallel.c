/* parallel.c - the tool's threads: runners for the library's parallel
 * compression (artpack_parallel_fn) and pipelined compression (a pool of
 * workers: artpack_parallel_start_fn, artpack_parallel_wait_fn), and a JSON parser on its own thread that
 * hands records to the thread that writes. POSIX threads. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

unsigned ap_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    return n > (long)ARTPACK_BUNDLE_JOBS_MAX ? ARTPACK_BUNDLE_JOBS_MAX : (unsigned)n;
}

/* Every thread of the tool starts with SIGINT, SIGTERM and SIGHUP blocked, so
 * that the handler (tools/util.c: remove the temporary file, cut an append
 * back to its last commit, exit) always runs on the main thread, which is the
 * only one that writes the output: a handler run on a worker while the main
 * thread was in write() could cut the file back and then see the write land
 * past the cut (a CI run saw an interrupted append leave such a file). */
int ap_thread_start(pthread_t *th, void *(*fn)(void *), void *arg) {
    sigset_t block, old;
    int rc;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pthread_create(th, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

typedef struct ap_job {
    artpack_task_fn task;
    void *arg;
} ap_job;

static void *ap_job_main(void *p) {
    ap_job *j = (ap_job *)p;
    j->task(j->arg);
    return NULL;
}

void ap_parallel_run(void *opaque, artpack_task_fn task, void *const *args, size_t n) {
    pthread_t th[ARTPACK_BUNDLE_JOBS_MAX];
    ap_job jobs[ARTPACK_BUNDLE_JOBS_MAX];
    int started[ARTPACK_BUNDLE_JOBS_MAX];
    size_t i;
    (void)opaque;
    if (n > ARTPACK_BUNDLE_JOBS_MAX) n = ARTPACK_BUNDLE_JOBS_MAX;
    for (i = 1; i < n; i++) {
        jobs[i].task = task;
        jobs[i].arg = args[i];
        started[i] = ap_thread_start(&th[i], ap_job_main, &jobs[i]) == 0;
        if (!started[i]) task(args[i]); /* no thread: do it here */
    }
    if (n > 0) task(args[0]);
    for (i = 1; i < n; i++)
        if (started[i]) pthread_join(th[i], NULL);
}

/* The pipelined runner: a pool of jobs threads (started by ap_async_new)
 * and a queue of the tasks started and not yet waited for. Thread i runs
 * its tasks as worker i, one at a time, taking the oldest queued task as
 * soon as it is free; wait(arg) returns once arg's task is done. */
#define AP_ASYNC_QUEUE (ARTPACK_BUNDLE_PIPELINE_DEPTH * ARTPACK_BUNDLE_JOBS_MAX)

enum { AP_TASK_QUEUED, AP_TASK_RUNNING, AP_TASK_DONE, AP_TASK_WAITED };

typedef struct ap_task {
    artpack_worker_task_fn task;
    void *arg;
    int state;
} ap_task;

typedef struct ap_worker {
    struct ap_async *pool;
    unsigned index;
} ap_worker;

struct ap_async {
    pthread_mutex_t mu;
    pthread_cond_t queued, done;
    ap_task q[AP_ASYNC_QUEUE]; /* q[head .. head + len) mod AP_ASYNC_QUEUE */
    size_t head, len;
    int stop;
    pthread_t th[ARTPACK_BUNDLE_JOBS_MAX];
    ap_worker worker[ARTPACK_BUNDLE_JOBS_MAX];
    unsigned threads;          /* started */
};

static void *ap_worker_main(void *p) {
    ap_worker *me = (ap_worker *)p;
    ap_async *a = me->pool;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        ap_task *t = NULL;
        size_t k;
        for (k = 0; k < a->len && t == NULL; k++) {
            ap_task *c = &a->q[(a->head + k) % AP_ASYNC_QUEUE];
            if (c->state == AP_TASK_QUEUED) t = c;
        }
        if (t == NULL) {
            if (a->stop) break;
            pthread_cond_wait(&a->queued, &a->mu);
            continue;
        }
        t->state = AP_TASK_RUNNING;
        pthread_mutex_unlock(&a->mu);
        t->task(t->arg, me->index);
        pthread_mutex_lock(&a->mu);
        t->state = AP_TASK_DONE;
        pthread_cond_broadcast(&a->done);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

ap_async *ap_async_new(unsigned jobs) {
    ap_async *a = (ap_async *)ap_malloc(sizeof *a);
    unsigned i;
    if (a == NULL) {
        ap_msg("out of memory");
        return NULL;
    }
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->queued, NULL);
    pthread_cond_init(&a->done, NULL);
    if (jobs > ARTPACK_BUNDLE_JOBS_MAX) jobs = ARTPACK_BUNDLE_JOBS_MAX;
    for (i = 0; i < jobs; i++) { /* fewer threads than jobs (none: start runs them) */
        a->worker[i].pool = a;
        a->worker[i].index = i;
        if (ap_thread_start(&a->th[i], ap_worker_main, &a->worker[i]) != 0) break;
        a->threads++;
    }
    return a;
}

void ap_async_free(ap_async *a) {
    unsigned i;
    if (a == NULL) return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_broadcast(&a->queued);
    pthread_mutex_unlock(&a->mu);
    for (i = 0; i < a->threads; i++) pthread_join(a->th[i], NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->queued);
    pthread_cond_destroy(&a->done);
    free(a);
}

void ap_parallel_start(void *opaque, artpack_worker_task_fn task, void *arg) {
    ap_async *a = (ap_async *)opaque;
    ap_task *t;
    if (a->threads == 0) { /* no thread: run it here, as worker 0 */
        task(arg, 0);
        return;
    }
    pthread_mutex_lock(&a->mu);
    if (a->len == AP_ASYNC_QUEUE) { /* the writer never starts more (artpack.h) */
        pthread_mutex_unlock(&a->mu);
        ap_msg("internal error: more than %u compression tasks queued", (unsigned)AP_ASYNC_QUEUE);
        abort();
    }
    t = &a->q[(a->head + a->len) % AP_ASYNC_QUEUE];
    t->task = task;
    t->arg = arg;
    t->state = AP_TASK_QUEUED;
    a->len++;
    pthread_cond_signal(&a->queued);
    pthread_mutex_unlock(&a->mu);
}

void ap_parallel_wait(void *opaque, void *arg) {
    ap_async *a = (ap_async *)opaque;
    ap_task *t = NULL;
    size_t k;
    if (a->threads == 0) return; /* start ran it */
    pthread_mutex_lock(&a->mu);
    for (k = 0; k < a->len && t == NULL; k++) {
        ap_task *c = &a->q[(a->head + k) % AP_ASYNC_QUEUE];
        if (c->arg == arg && c->state != AP_TASK_WAITED) t = c;
    }
    if (t != NULL) {
        while (t->state != AP_TASK_DONE) pthread_cond_wait(&a->done, &a->mu);
        t->state = AP_TASK_WAITED;
        while (a->len > 0 && a->q[a->head].state == AP_TASK_WAITED) { /* drop the waited */
            a->head = (a->head + 1) % AP_ASYNC_QUEUE;
            a->len--;
        }
    }
    pthread_mutex_unlock(&a->mu);
}

/* ---- the parser on its own thread ----
 * The parser fills batches of records (about 1 MB) and queues them; the
 * caller's thread takes them in order and hands each record to emit. At most
 * AP_QUEUE batches wait: memory stays bounded whatever the input. */

#define AP_QUEUE 4
#define AP_BATCH ((size_t)1 << 20)

typedef ap_record_list ap_batch; /* records end to end, and their sizes */

typedef struct ap_pipe {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    ap_batch q[AP_QUEUE];
    size_t head, len;     /* queued batches q[head .. head + len) mod AP_QUEUE */
    int done, stop;       /* the parser finished; the writer gave up */
    ap_batch fill;        /* the parser's batch being filled */
    /* the parser's arguments and results */
    const ap_options *o;
    const char *path;
    size_t articles, skipped;
    uint64_t bytes;
    int rc;
} ap_pipe;

static int ap_pipe_push(ap_pipe *p) {
    int stop;
    pthread_mutex_lock(&p->mu);
    while (p->len == AP_QUEUE && !p->stop) pthread_cond_wait(&p->changed, &p->mu);
    stop = p->stop;
    if (!stop) {
        ap_batch *slot = &p->q[(p->head + p->len) % AP_QUEUE];
        ap_batch t = *slot; /* an empty batch to reuse */
        *slot = p->fill;
        p->fill = t;
        p->fill.records.len = 0;
        p->fill.count = 0;
        p->len++;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->mu);
    return stop ? 1 : 0;
}

/* An ap_emit_fn on the parser's thread. */
static int ap_pipe_emit(void *ctx, const unsigned char *record, size_t size) {
    ap_pipe *p = (ap_pipe *)ctx;
    ap_batch *b = &p->fill;
    if (ap_record_list_add(b, record, size)) return 1; /* it says out of memory */
    if (b->records.len >= AP_BATCH) return ap_pipe_push(p);
    return 0;
}

static void *ap_pipe_main(void *arg) {
    ap_pipe *p = (ap_pipe *)arg;
    p->rc = ap_pack_json(p->o, p->path, ap_pipe_emit, p, &p->articles, &p->skipped, &p->bytes);
    if (p->rc == 0 && p->fill.count) p->rc = ap_pipe_push(p);
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}


int ap_pack_json_async(const ap_options *o, const char *path, ap_emit_fn emit, void *ctx,
                       size_t *articles, size_t *skipped, uint64_t *bytes) {
    ap_pipe *p;
    pthread_t th;
    int rc = 0, i;
    if (o->threads <= 1) return ap_pack_json(o, path, emit, ctx, articles, skipped, bytes);
    p = (ap_pipe *)calloc(1, sizeof *p);
    if (p == NULL) {
        ap_msg("out of memory");
        return 1;
    }
    p->o = o;
    p->path = path;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->changed, NULL);
    if (ap_thread_start(&th, ap_pipe_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->changed);
        free(p);
        return ap_pack_json(o, path, emit, ctx, articles, skipped, bytes);
    }
    for (;;) {
        ap_batch b;
        size_t k, pos = 0;
        pthread_mutex_lock(&p->mu);
        while (p->len == 0 && !p->done) pthread_cond_wait(&p->changed, &p->mu);
        if (p->len == 0) { /* done and drained */
            pthread_mutex_unlock(&p->mu);
            break;
        }
        b = p->q[p->head]; /* taken out; the slot gets it back below */
        pthread_mutex_unlock(&p->mu);
        for (k = 0; k < b.count && rc == 0; k++) {
            rc = emit(ctx, b.records.data + pos, b.sizes[k]);
            pos += b.sizes[k];
        }
        pthread_mutex_lock(&p->mu);
        p->q[p->head].records.len = 0;
        p->q[p->head].count = 0;
        p->head = (p->head + 1) % AP_QUEUE;
        p->len--;
        if (rc) p->stop = 1;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
        if (rc) break;
    }
    pthread_join(th, NULL);
    if (p->rc) rc = 1;
    *articles += p->articles;
    *skipped += p->skipped;
    if (bytes) *bytes += p->bytes;
    for (i = 0; i < AP_QUEUE; i++) ap_record_list_free(&p->q[i]);
    ap_record_list_free(&p->fill);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->changed);
    free(p);
    return rc;
}
