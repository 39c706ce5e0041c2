/*
 * io_uring.c - sl_io whose appends and flushes go through base/ring.
 *
 * pwrite, datasync and unlink_async queue one SQE each (write, fsync with
 * IORING_FSYNC_DATASYNC, unlinkat), with the request's embedded sl_op as
 * user_data, and return at once; the completion runs req->cb from
 * sl_ring_run.  unlinkat runs in the kernel's workers, so freeing a
 * deleted segment's blocks never blocks the loop (a kernel without it,
 * before 5.11, answers EINVAL and the unlink is done synchronously).  A
 * short write is requeued for the rest and -EAGAIN / -EINTR are requeued
 * whole (liburing examples/io_uring-cp.c), so the
 * caller sees all bytes or one negative sl_err.  io_uring does not order
 * an fsync after writes still in flight: the log issues datasync only over
 * writes whose completions have arrived.  The rare synchronous calls are
 * io_sync's.
 */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>

#include "storage_int.h"

enum { REQ_WRITE = 1, REQ_DATASYNC = 2, REQ_UNLINK = 3 };

/* One SQE moves at most this much; the rest is requeued as a short write. */
#define URING_MAX_WRITE ((size_t)1 << 30)

typedef struct uring_io {
    sl_io io;
    sl_ring *ring;
    sl_io_ops ops;
} uring_io;

static sl_io_req *req_of(sl_op *op)
{
    return (sl_io_req *)(void *)((char *)op - offsetof(sl_io_req, op));
}

static void queue_req(sl_io_req *req);

static void on_cqe(sl_op *op, int res, uint32_t flags)
{
    sl_io_req *req = req_of(op);

    (void)flags;
    if (res == -EAGAIN || res == -EINTR) {
        queue_req(req);
        return;
    }
    if (res < 0 && req->kind != REQ_UNLINK) {
        req->cb(req, sl_err_from_errno(res));
        return;
    }
    if (req->kind == REQ_UNLINK) {
        if (res == -EINVAL || res == -EOPNOTSUPP) { /* kernel < 5.11 */
            int r = sl_io_sync_ops.unlink(req->io, (const char *)req->buf);

            req->cb(req, r);
            return;
        }
        req->cb(req, res < 0 ? sl_err_from_errno(res) : 0);
        return;
    }
    if (req->kind == REQ_DATASYNC) {
        req->cb(req, 0);
        return;
    }
    if (res == 0) { /* no progress: an error, not a reason to spin */
        req->cb(req, SL_E_IO);
        return;
    }
    req->done += (size_t)res;
    if (req->done < req->len) {
        queue_req(req);
        return;
    }
    req->cb(req, (int64_t)req->len);
}

static void queue_req(sl_io_req *req)
{
    uring_io *u = (uring_io *)req->io;
    struct io_uring_sqe *sqe = sl_ring_sqe(u->ring, &req->op);

    if (req->kind == REQ_DATASYNC) {
        io_uring_prep_fsync(sqe, req->fd, IORING_FSYNC_DATASYNC);
    } else if (req->kind == REQ_UNLINK) {
        io_uring_prep_unlinkat(sqe, AT_FDCWD, (const char *)req->buf, 0);
    } else {
        size_t n = req->len - req->done;

        if (n > URING_MAX_WRITE)
            n = URING_MAX_WRITE;
        io_uring_prep_write(sqe, req->fd, req->buf + req->done, (unsigned)n,
                            (uint64_t)req->off + req->done);
    }
}

static void uring_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len, off_t off)
{
    req->op.done = on_cqe;
    req->io = io;
    req->fd = fd;
    req->buf = buf;
    req->len = len;
    req->done = 0;
    req->off = off;
    req->kind = REQ_WRITE;
    if (len == 0) {
        req->cb(req, 0);
        return;
    }
    queue_req(req);
}

static void uring_datasync(sl_io *io, sl_io_req *req, int fd)
{
    req->op.done = on_cqe;
    req->io = io;
    req->fd = fd;
    req->buf = NULL;
    req->len = req->done = 0;
    req->off = 0;
    req->kind = REQ_DATASYNC;
    queue_req(req);
}

static void uring_unlink_async(sl_io *io, sl_io_req *req, const char *path)
{
    req->op.done = on_cqe;
    req->io = io;
    req->fd = -1;
    req->buf = (const uint8_t *)path;
    req->len = req->done = 0;
    req->off = 0;
    req->kind = REQ_UNLINK;
    queue_req(req);
}

/* Fire and forget: the completion has no handler (sl_ring_run skips an
 * op without one); a hint on a descriptor closed meanwhile fails
 * harmlessly. */
static void uring_writeback(sl_io *io, int fd, off_t off, off_t len)
{
    static sl_op hint_op;
    uring_io *u = (uring_io *)io;
    struct io_uring_sqe *sqe = sl_ring_sqe(u->ring, &hint_op);

    io_uring_prep_sync_file_range(sqe, fd, (unsigned)len, off, SYNC_FILE_RANGE_WRITE);
}

static void uring_destroy(sl_io *io) { free(io); }

sl_io *sl_io_uring_new(sl_ring *ring)
{
    uring_io *u = calloc(1, sizeof *u);

    if (!u)
        return NULL;
    u->ring = ring;
    u->ops = sl_io_sync_ops;
    u->ops.pwrite = uring_pwrite;
    u->ops.datasync = uring_datasync;
    u->ops.unlink_async = uring_unlink_async;
    u->ops.writeback = uring_writeback;
    u->ops.destroy = uring_destroy;
    u->io.ops = &u->ops;
    return &u->io;
}
