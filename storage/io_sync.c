/*
 * io_sync.c - sl_io over plain syscalls (tools, tests, start-up).
 *
 * The asynchronous calls complete before they return: req->cb runs inside
 * pwrite/datasync.  Every failure is a negative sl_err, never -1; errno
 * does not leave this file.  The implementation keeps no state, so its
 * functions are shared with io_uring.c for the rare synchronous calls.
 */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage_int.h"

static sl_err err_now(void) { return sl_err_from_errno(-errno); }

/* pwrite the whole range, across short writes and EINTR. */
static int write_all(int fd, const void *buf, size_t len, off_t off)
{
    const uint8_t *p = buf;
    size_t done = 0;

    while (done < len) {
        size_t n = len - done;
        ssize_t r;

        if (n > (size_t)1 << 30)
            n = (size_t)1 << 30;
        r = pwrite(fd, p + done, n, off + (off_t)done);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return err_now();
        }
        if (r == 0) /* a regular file never does this; do not spin */
            return SL_E_IO;
        done += (size_t)r;
    }
    return SL_OK;
}

static void sync_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len, off_t off)
{
    int r = write_all(fd, buf, len, off);

    req->io = io;
    req->fd = fd;
    req->cb(req, r < 0 ? r : (int64_t)len);
}

static int datasync_fd(int fd)
{
    /* Retrying after EIO would report success for lost pages (the
     * fsyncgate lesson): only EINTR is retried. */
    while (fdatasync(fd) < 0) {
        if (errno != EINTR)
            return err_now();
    }
    return SL_OK;
}

static void sync_writeback(sl_io *io, int fd, off_t off, off_t len)
{
    (void)io;
    (void)sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE); /* a hint */
}

static void sync_datasync(sl_io *io, sl_io_req *req, int fd)
{
    int r = datasync_fd(fd);

    req->io = io;
    req->fd = fd;
    req->cb(req, r);
}

static int sync_unlink(sl_io *io, const char *path);

static void sync_unlink_async(sl_io *io, sl_io_req *req, const char *path)
{
    int r = sync_unlink(io, path);

    req->io = io;
    req->fd = -1;
    req->cb(req, r);
}

static int sync_open(sl_io *io, const char *path, int flags, int mode)
{
    int fd;

    (void)io;
    do
        fd = open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? err_now() : fd;
}

static int sync_close(sl_io *io, int fd)
{
    (void)io;
    /* Linux closes the fd even when close() reports EINTR: no retry. */
    return close(fd) < 0 && errno != EINTR ? err_now() : SL_OK;
}

static int64_t sync_pread(sl_io *io, int fd, void *buf, size_t len, off_t off)
{
    uint8_t *p = buf;
    size_t done = 0;

    (void)io;
    while (done < len) {
        ssize_t r = pread(fd, p + done, len - done, off + (off_t)done);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return err_now();
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

static int sync_pwrite_sync(sl_io *io, int fd, const void *buf, size_t len, off_t off)
{
    (void)io;
    return write_all(fd, buf, len, off);
}

static int sync_truncate(sl_io *io, int fd, off_t len)
{
    (void)io;
    while (ftruncate(fd, len) < 0) {
        if (errno != EINTR)
            return err_now();
    }
    return SL_OK;
}

static int sync_reserve(sl_io *io, int fd, off_t off, off_t len)
{
    static const uint8_t zero[4096];

    (void)io;
    while (fallocate(fd, 0, off, len) < 0) {
        if (errno == EINTR)
            continue;
        if (errno != EOPNOTSUPP)
            return err_now();
        /* No fallocate on this filesystem: written zeros allocate too. */
        for (off_t done = 0; done < len;) {
            size_t n = len - done < (off_t)sizeof zero ? (size_t)(len - done) : sizeof zero;
            int r = write_all(fd, zero, n, off + done);

            if (r != SL_OK)
                return r;
            done += (off_t)n;
        }
        break;
    }
    return SL_OK;
}

static int sync_sync(sl_io *io, int fd)
{
    (void)io;
    while (fsync(fd) < 0) {
        if (errno != EINTR)
            return err_now();
    }
    return SL_OK;
}

static int sync_sync_dir(sl_io *io, const char *dir)
{
    int fd = sync_open(io, dir, O_RDONLY | O_DIRECTORY, 0);
    int r;

    if (fd < 0)
        return fd;
    r = sync_sync(io, fd);
    close(fd);
    return r;
}

static int sync_rename(sl_io *io, const char *from, const char *to)
{
    (void)io;
    return rename(from, to) < 0 ? err_now() : SL_OK;
}

static int sync_unlink(sl_io *io, const char *path)
{
    (void)io;
    return unlink(path) < 0 ? err_now() : SL_OK;
}

static void sync_destroy(sl_io *io) { free(io); }

const sl_io_ops sl_io_sync_ops = {
    .pwrite = sync_pwrite,
    .datasync = sync_datasync,
    .unlink_async = sync_unlink_async,
    .writeback = sync_writeback,
    .open = sync_open,
    .close = sync_close,
    .pread = sync_pread,
    .pwrite_sync = sync_pwrite_sync,
    .truncate = sync_truncate,
    .reserve = sync_reserve,
    .sync = sync_sync,
    .sync_dir = sync_sync_dir,
    .rename = sync_rename,
    .unlink = sync_unlink,
    .destroy = sync_destroy,
};

sl_io *sl_io_sync_new(void)
{
    sl_io *io = calloc(1, sizeof *io);

    if (io)
        io->ops = &sl_io_sync_ops;
    return io;
}

void sl_io_free(sl_io *io)
{
    if (io)
        io->ops->destroy(io);
}

sl_err sl_io_write_file(sl_io *io, const char *dir, const char *name, const void *data,
                        size_t len)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    int fd, r;

    if (snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name) >= (int)sizeof tmp ||
        snprintf(dst, sizeof dst, "%s/%s", dir, name) >= (int)sizeof dst)
        return SL_E_RANGE;
    fd = io->ops->open(io, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    r = io->ops->pwrite_sync(io, fd, data, len, 0);
    if (r == SL_OK)
        r = io->ops->sync(io, fd);
    io->ops->close(io, fd);
    /* rename before the data is on disk could leave an empty file under
     * the real name after a crash: sync first, then the directory entry. */
    if (r == SL_OK)
        r = io->ops->rename(io, tmp, dst);
    if (r == SL_OK)
        r = io->ops->sync_dir(io, dir);
    else
        io->ops->unlink(io, tmp);
    return r;
}

int64_t sl_io_read_file(sl_io *io, const char *path, char *buf, size_t cap)
{
    int fd = io->ops->open(io, path, O_RDONLY, 0);
    int64_t n;

    if (fd < 0)
        return fd;
    n = io->ops->pread(io, fd, buf, cap - 1, 0);
    io->ops->close(io, fd);
    if (n < 0)
        return n;
    if ((size_t)n == cap - 1)
        return SL_E_OVERFLOW;
    buf[n] = '\0';
    return n;
}
