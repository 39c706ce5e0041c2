/*
 * io.h - the small I/O interface storage reaches the disk through.
 *
 * Three implementations: io_uring.c (the broker: async over base/ring),
 * io_sync.c (plain syscalls: tools, tests, start-up), and a crash-simulating
 * one in tests.  Appends and flushes are asynchronous: the implementation
 * calls req->cb once, with res >= 0 on success (bytes for pwrite, 0 for
 * datasync) or a negative sl_err.  A synchronous implementation may call
 * it before returning.  The rest are rare (open, roll, recovery, shutdown)
 * and synchronous; they return >= 0 or a negative sl_err.
 *
 * pwrite writes the whole range: implementations requeue short writes and
 * EAGAIN themselves (liburing io_uring-cp), so callers see all or an error.
 *
 * unlink_async removes a file off the caller's thread where it can (io_uring
 * unlinkat runs in the kernel's workers): retention deletes whole segments,
 * and freeing a large file's blocks can take milliseconds.
 */
#ifndef SL_IO_H
#define SL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"
#include "../base/ring.h"

typedef struct sl_io sl_io;
typedef struct sl_io_req sl_io_req;
typedef void (*sl_io_cb)(sl_io_req *req, int64_t res);

/* Owned by the caller and embedded in its owner; must stay put until cb. */
struct sl_io_req {
    sl_io_cb cb;
    void *ud;
    /* private to the implementation */
    sl_op op;
    sl_io *io;
    int fd;
    const uint8_t *buf;
    size_t len, done;
    off_t off;
    int kind;
};

typedef struct sl_io_ops {
    void (*pwrite)(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len, off_t off);
    void (*datasync)(sl_io *io, sl_io_req *req, int fd);
    /* path must stay valid until cb; res 0 or a negative sl_err. */
    void (*unlink_async)(sl_io *io, sl_io_req *req, const char *path);
    /* A hint, may be NULL: start writing [off, off + len) of fd back to
     * the disk without waiting (sync_file_range WRITE).  No completion,
     * no error, no promise: only datasync makes data durable. */
    void (*writeback)(sl_io *io, int fd, off_t off, off_t len);

    int (*open)(sl_io *io, const char *path, int flags, int mode);
    int (*close)(sl_io *io, int fd);
    int64_t (*pread)(sl_io *io, int fd, void *buf, size_t len, off_t off);
    int (*pwrite_sync)(sl_io *io, int fd, const void *buf, size_t len, off_t off);
    int (*truncate)(sl_io *io, int fd, off_t len);
    /* Allocate the blocks of [off, off + len), inside the file's size, so
     * that stores through a shared map there cannot fault for want of
     * space (fallocate; zeros written where it is not supported, so only
     * for a range holding nothing yet).  0 or SL_E_NOSPC, SL_E_IO... */
    int (*reserve)(sl_io *io, int fd, off_t off, off_t len);
    int (*sync)(sl_io *io, int fd);
    int (*sync_dir)(sl_io *io, const char *dir);
    int (*rename)(sl_io *io, const char *from, const char *to);
    int (*unlink)(sl_io *io, const char *path);
    void (*destroy)(sl_io *io);
} sl_io_ops;

struct sl_io {
    const sl_io_ops *ops;
};

/* Plain syscalls; async calls complete before they return. */
sl_io *sl_io_sync_new(void);
/* Appends and flushes through the given ring; the rest as sl_io_sync. */
sl_io *sl_io_uring_new(sl_ring *ring);
void sl_io_free(sl_io *io);

#endif
