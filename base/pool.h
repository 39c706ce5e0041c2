/*
 * pool.h - a few worker threads for the slow work the loop must not do
 * (reading cold file ranges into the page cache, creating many
 * partitions, decompressing a batch), with each job's completion run back
 * on the loop thread.
 *
 * A job is embedded in its owner (like sl_op).  work() runs on a worker;
 * then done() runs on the loop thread, from sl_ring_run, in the order the
 * workers finished.  Workers wake the loop by writing an eventfd that the
 * loop reads through its sl_ring (a plain READ submission), so the pool
 * works on any backend of sl_ring that can read a pollable fd.
 *
 * The rule for work(): it may touch only what no loop code touches until
 * done() runs: memory the job owns, objects not yet published to the loop
 * (a topic being created), or a private copy.  Everything else waits for
 * done().
 *
 * @loop: every call, except that work() runs on a worker.
 */
#ifndef SL_POOL_H
#define SL_POOL_H

#include <stddef.h>

#include "err.h"
#include "ring.h"

typedef struct sl_pool sl_pool;
typedef struct sl_job sl_job;
typedef void (*sl_job_fn)(sl_job *j);

struct sl_job {
    sl_job_fn work; /* on a worker */
    sl_job_fn done; /* then on the loop thread; may free the job */
    sl_job *next;   /* private to the pool */
};

/* Start `threads` workers (>= 1) and post the eventfd read on ring. */
sl_err sl_pool_new(sl_pool **out, sl_ring *ring, int threads, char *errstr,
                   size_t errstr_size);
/* Queue j (work and done set; j stays put until done runs). */
void sl_pool_submit(sl_pool *p, sl_job *j);
/* Jobs submitted whose done() has not run yet. */
unsigned sl_pool_pending(const sl_pool *p);
/* Stop the workers once the queue is empty and join them.  done() of jobs
 * not completed by then is never called.  The ring may already be freed
 * (the eventfd read it held is then gone with it).  NULL: no-op. */
void sl_pool_free(sl_pool *p);

#endif
