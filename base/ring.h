/*
 * ring.h - one io_uring per thread, shared by the network loop and storage.
 *
 * Every submission carries a pointer to an sl_op embedded in its owner
 * (liburing examples/proxy.h); one dispatcher calls op->done(op, res, flags)
 * for each completion.  res is the CQE's result: >= 0 success, -errno on
 * failure (io_uring never uses errno).
 *
 * Two backends behind the same calls.  SL_RING_IO_URING is the kernel's
 * ring.  SL_RING_EPOLL (ring_epoll.c) is for where io_uring is refused
 * (seccomp, kernel.io_uring_disabled): sl_ring_sqe hands out ordinary SQEs
 * from its own memory and the backend carries them out itself, socket
 * operations on epoll readiness and file operations on worker threads, so
 * callers are the same for both.  The epoll backend knows only the
 * operations sluice uses: ACCEPT, RECV, SENDMSG, POLL_ADD, READ (pollable
 * descriptors and files), ASYNC_CANCEL (by user_data), WRITE, FSYNC,
 * SYNC_FILE_RANGE and UNLINKAT; others complete with -EINVAL.  It never
 * sets IORING_CQE_F_MORE (nothing multishot), and SQE flags (links,
 * drain) are not honoured.
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

typedef enum sl_ring_kind { SL_RING_IO_URING, SL_RING_EPOLL } sl_ring_kind;

/* Set up an io_uring with room for `entries` submissions (CQ ring 4x that).
 * Tries SINGLE_ISSUER|DEFER_TASKRUN, then COOP_TASKRUN, then plain.  On
 * failure errstr says why ("io_uring setup failed: Operation not
 * permitted"). */
sl_err sl_ring_new(sl_ring **out, unsigned entries, char *errstr, size_t errstr_size);
/* The same, of the given kind; for SL_RING_EPOLL entries is only a hint. */
sl_err sl_ring_new_kind(sl_ring **out, sl_ring_kind kind, unsigned entries, char *errstr,
                        size_t errstr_size);
sl_ring_kind sl_ring_kind_of(const sl_ring *r);
/* "io_uring" or "epoll". */
const char *sl_ring_kind_name(sl_ring_kind kind);
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
