/*
 * ring.h - one io_uring per thread, shared by the network loop and storage.
 *
 * Every submission carries a pointer to an sl_op embedded in its owner
 * (liburing examples/proxy.h); one dispatcher calls op->done(op, res, flags)
 * for each completion.  res is the CQE's result: >= 0 success, -errno on
 * failure (io_uring never uses errno).
 *
 * @loop: all calls from the thread that owns the ring.
 */
#ifndef SL_RING_H
#define SL_RING_H

#include <liburing.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct sl_op sl_op;
typedef void (*sl_op_fn)(sl_op *op, int res, uint32_t cqe_flags);
struct sl_op {
    sl_op_fn done;
};

typedef struct sl_ring sl_ring;

/* Set up a ring with room for `entries` submissions (CQ ring 4x that).
 * Tries SINGLE_ISSUER|DEFER_TASKRUN, then COOP_TASKRUN, then plain. */
sl_err sl_ring_new(sl_ring **out, unsigned entries, char *errstr, size_t errstr_size);
void sl_ring_free(sl_ring *r);

/* A vacant SQE whose user_data is op; submits queued SQEs first if the
 * submission queue is full.  Never NULL: aborts if the kernel refuses. */
struct io_uring_sqe *sl_ring_sqe(sl_ring *r, sl_op *op);

/* Submit everything queued, wait until at least one completion arrives or
 * timeout_ms passes (-1: no timeout, 0: do not wait), then dispatch every
 * completion that is ready.  Returns the number dispatched (>= 0). */
int sl_ring_run(sl_ring *r, int timeout_ms);

/* Submit what is queued without waiting. */
void sl_ring_submit(sl_ring *r);

/* Submissions whose completions have not been dispatched yet. */
unsigned sl_ring_inflight(const sl_ring *r);

#endif
