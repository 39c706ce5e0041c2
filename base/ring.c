/* ring.c - io_uring setup, submission and completion dispatch; the epoll
 * backend is in ring_epoll.c and each call here hands over to it. */
#include "ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ring_int.h"

const char *sl_ring_kind_name(sl_ring_kind kind)
{
    return kind == SL_RING_EPOLL ? "epoll" : "io_uring";
}

sl_ring_kind sl_ring_kind_of(const sl_ring *r) { return r->kind; }

sl_err sl_ring_new_kind(sl_ring **out, sl_ring_kind kind, unsigned entries, char *errstr,
                        size_t errstr_size)
{
    sl_ring *r;
    sl_err err;

    if (kind == SL_RING_IO_URING)
        return sl_ring_new(out, entries, errstr, errstr_size);
    /* entries: the epoll backend grows its slots as needed */
    r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    r->kind = SL_RING_EPOLL;
    err = ering_new(r, errstr, errstr_size);
    if (err) {
        free(r);
        return err;
    }
    *out = r;
    return SL_OK;
}

sl_err sl_ring_new(sl_ring **out, unsigned entries, char *errstr, size_t errstr_size)
{
    /* Preferred set-up first (liburing examples/proxy.c); older kernels
     * reject the flags with EINVAL, so step down. */
    static const unsigned flag_sets[] = {
#ifdef IORING_SETUP_DEFER_TASKRUN
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
#endif
#ifdef IORING_SETUP_COOP_TASKRUN
        IORING_SETUP_COOP_TASKRUN,
#endif
        0,
    };
    sl_ring *r = calloc(1, sizeof *r);
    int ret = -EINVAL;

    if (!r) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
        struct io_uring_params p;

        memset(&p, 0, sizeof p);
        /* A CQ overflow loses completions' ordering guarantees and costs
         * a slow path: size it generously. */
        p.flags = flag_sets[i] | IORING_SETUP_CQSIZE;
        p.cq_entries = entries * 4;
        ret = io_uring_queue_init_params(entries, &r->ring, &p);
        if (ret == 0)
            break;
        if (ret != -EINVAL)
            break;
    }
    if (ret < 0) {
        snprintf(errstr, errstr_size, "io_uring setup failed: %s", strerror(-ret));
        free(r);
        return SL_E_IO;
    }
    *out = r;
    return SL_OK;
}

void sl_ring_free(sl_ring *r)
{
    if (!r)
        return;
    if (r->kind == SL_RING_EPOLL)
        ering_free(r);
    else
        io_uring_queue_exit(&r->ring);
    free(r);
}

struct io_uring_sqe *sl_ring_sqe(sl_ring *r, sl_op *op)
{
    struct io_uring_sqe *sqe;

    if (r->kind == SL_RING_EPOLL)
        return ering_sqe(r, op);
    sqe = io_uring_get_sqe(&r->ring);

    if (!sqe) {
        int ret = io_uring_submit(&r->ring);

        if (ret < 0 && ret != -EBUSY && ret != -EAGAIN) {
            sl_error("ring", "io_uring_submit: %s", strerror(-ret));
            abort();
        }
        sqe = io_uring_get_sqe(&r->ring);
        /* Reaping here could re-enter a completion handler, so a queue the
         * kernel will not take is fatal; the ring is sized to avoid it. */
        if (!sqe) {
            sl_error("ring", "no submission queue entry available");
            abort();
        }
    }
    io_uring_sqe_set_data(sqe, op);
    r->inflight++;
    return sqe;
}

void sl_ring_submit(sl_ring *r)
{
    int ret;

    if (r->kind == SL_RING_EPOLL) {
        ering_submit(r);
        return;
    }
    ret = io_uring_submit(&r->ring);

    if (ret < 0 && ret != -EBUSY && ret != -EAGAIN && ret != -EINTR)
        sl_warn("ring", "io_uring_submit: %s", strerror(-ret));
}

int sl_ring_run(sl_ring *r, int timeout_ms)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    int ret;

    if (r->kind == SL_RING_EPOLL)
        return ering_run(r, timeout_ms);
    if (timeout_ms < 0) {
        ret = io_uring_submit_and_wait(&r->ring, 1);
    } else if (timeout_ms == 0) {
        ret = io_uring_submit_and_get_events(&r->ring);
    } else {
        struct __kernel_timespec ts = {
            .tv_sec = timeout_ms / 1000,
            .tv_nsec = (long long)(timeout_ms % 1000) * 1000000LL,
        };
        ret = io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, &ts, NULL);
    }
    if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
        sl_warn("ring", "io_uring wait: %s", strerror(-ret));

    /* Reap all, then one advance (liburing examples/proxy.c).  A handler
     * may queue new SQEs; it may not wait on the ring. */
    io_uring_for_each_cqe(&r->ring, head, cqe) {
        sl_op *op = io_uring_cqe_get_data(cqe);
        int res = cqe->res;
        uint32_t flags = cqe->flags;

        n++;
        if (!(flags & IORING_CQE_F_MORE))
            r->inflight--;
        if (op && op->done)
            op->done(op, res, flags);
    }
    io_uring_cq_advance(&r->ring, n);
    return (int)n;
}

unsigned sl_ring_inflight(const sl_ring *r) { return r->inflight; }
