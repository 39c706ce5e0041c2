/* test_io_sync.c - storage/io_sync.c: whole writes, callbacks before return,
 * negative sl_err on failure, the atomic small-file helpers. */
#include <errno.h>

#include "storage/storage_int.h"
#include "storage_test.h"

typedef struct cbrec {
    int calls;
    int64_t res;
} cbrec;

static void rec_cb(sl_io_req *req, int64_t res)
{
    cbrec *r = req->ud;

    r->calls++;
    r->res = res;
}

Test(io_sync, pwrite_completes_before_return)
{
    char *dir = st_tmpdir(), *path = st_path(dir, "f");
    sl_io *io = sl_io_sync_new();
    size_t n = 3 * 1024 * 1024 + 17;
    uint8_t *buf = malloc(n), *back = malloc(n);
    cbrec r = { 0, 0 };
    sl_io_req req = { .cb = rec_cb, .ud = &r };
    int fd;

    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 31);
    fd = io->ops->open(io, path, O_RDWR | O_CREAT, 0644);
    cr_assert_geq(fd, 0);
    io->ops->pwrite(io, &req, fd, buf, n, 4096);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.res, (int64_t)n);
    cr_assert_eq(io->ops->pread(io, fd, back, n, 4096), (int64_t)n);
    cr_assert_eq(memcmp(buf, back, n), 0);
    cr_assert_eq(io->ops->pread(io, fd, back, 100, (off_t)n + 4096), 0, "EOF reads 0");
    io->ops->datasync(io, &req, fd);
    cr_assert_eq(r.calls, 2);
    cr_assert_eq(r.res, 0);
    cr_assert_eq(io->ops->sync(io, fd), SL_OK);
    cr_assert_eq(io->ops->truncate(io, fd, 10), SL_OK);
    cr_assert_eq(st_file_size(path), 10);
    cr_assert_eq(io->ops->close(io, fd), SL_OK);
    free(buf);
    free(back);
    free(path);
    sl_io_free(io);
    st_rmdir(dir);
}

Test(io_sync, errors_are_negative_sl_err)
{
    char *dir = st_tmpdir(), *path = st_path(dir, "missing/f"), *ro = st_path(dir, "ro");
    sl_io *io = sl_io_sync_new();
    cbrec r = { 0, 0 };
    sl_io_req req = { .cb = rec_cb, .ud = &r };
    uint8_t b[8] = { 0 };
    int fd;

    cr_assert_eq(io->ops->open(io, path, O_RDONLY, 0), SL_E_NOTFOUND);
    cr_assert_eq(io->ops->unlink(io, path), SL_E_NOTFOUND);
    cr_assert_eq(io->ops->sync_dir(io, path), SL_E_NOTFOUND);
    fd = io->ops->open(io, ro, O_RDONLY | O_CREAT, 0644);
    cr_assert_geq(fd, 0);
    io->ops->pwrite(io, &req, fd, b, sizeof b, 0); /* EBADF: not open for writing */
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.res, SL_E_IO);
    cr_assert_lt(io->ops->pwrite_sync(io, fd, b, sizeof b, 0), -1, "never -1");
    io->ops->close(io, fd);
    free(path);
    free(ro);
    sl_io_free(io);
    st_rmdir(dir);
}

Test(io_sync, write_file_is_atomic_and_reads_back)
{
    char *dir = st_tmpdir(), *path = st_path(dir, "x.conf"), *tmp = st_path(dir, "x.conf.tmp");
    sl_io *io = sl_io_sync_new();
    char buf[64];

    cr_assert_eq(sl_io_write_file(io, dir, "x.conf", "hello\n", 6), SL_OK);
    cr_assert_eq(sl_io_read_file(io, path, buf, sizeof buf), 6);
    cr_assert_str_eq(buf, "hello\n");
    cr_assert_not(st_exists(tmp), "the temporary name is gone");
    cr_assert_eq(sl_io_write_file(io, dir, "x.conf", "bye\n", 4), SL_OK);
    cr_assert_eq(sl_io_read_file(io, path, buf, sizeof buf), 4);
    cr_assert_str_eq(buf, "bye\n");
    cr_assert_eq(sl_io_read_file(io, path, buf, 4), SL_E_OVERFLOW, "does not fit");
    cr_assert_eq(sl_io_write_file(io, "/nonexistent-dir", "x", "a", 1), SL_E_NOTFOUND);
    free(path);
    free(tmp);
    sl_io_free(io);
    st_rmdir(dir);
}

Test(io_sync, unlink_async_completes_before_return)
{
    char *dir = st_tmpdir(), *path = st_path(dir, "f");
    sl_io *io = sl_io_sync_new();
    cbrec r = { 0, 0 };
    sl_io_req req = { .cb = rec_cb, .ud = &r };
    int fd = io->ops->open(io, path, O_RDWR | O_CREAT, 0644);

    cr_assert_geq(fd, 0);
    io->ops->close(io, fd);
    io->ops->unlink_async(io, &req, path);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.res, 0);
    cr_assert_not(st_exists(path));
    io->ops->unlink_async(io, &req, path);
    cr_assert_eq(r.res, SL_E_NOTFOUND);
    sl_io_free(io);
    free(path);
    st_rmdir(dir);
}
