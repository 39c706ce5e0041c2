/* test_io_uring.c - storage/io_uring.c: writes and datasyncs complete from
 * sl_ring_run, errors come back as sl_err, and a plog runs over it. */
#include "storage/storage_int.h"
#include "storage_test.h"

static sl_ring *ring_or_skip(void)
{
    sl_ring *r = NULL;
    char err[256];

    if (sl_ring_new(&r, 64, err, sizeof err) != SL_OK)
        cr_skip_test("io_uring unavailable: %s", err);
    return r;
}

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

static void run_until(sl_ring *ring, const int *calls, int want)
{
    for (int i = 0; i < 10000 && *calls < want; i++)
        sl_ring_run(ring, 100);
    cr_assert_eq(*calls, want, "completions arrived");
}

Test(io_uring, write_and_datasync_complete_from_the_ring)
{
    sl_ring *ring = ring_or_skip();
    sl_io *io = sl_io_uring_new(ring);
    char *dir = st_tmpdir(), *path = st_path(dir, "f");
    size_t n = 5 * 1024 * 1024 + 3;
    uint8_t *buf = malloc(n), *back = malloc(n);
    cbrec r = { 0, 0 };
    sl_io_req req = { .cb = rec_cb, .ud = &r };
    int fd;

    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 13 + 1);
    fd = io->ops->open(io, path, O_RDWR | O_CREAT, 0644);
    cr_assert_geq(fd, 0);
    io->ops->pwrite(io, &req, fd, buf, n, 100);
    cr_assert_eq(r.calls, 0, "asynchronous: nothing before the ring runs");
    run_until(ring, &r.calls, 1);
    cr_assert_eq(r.res, (int64_t)n);
    cr_assert_eq(io->ops->pread(io, fd, back, n, 100), (int64_t)n);
    cr_assert_eq(memcmp(buf, back, n), 0);
    io->ops->datasync(io, &req, fd);
    run_until(ring, &r.calls, 2);
    cr_assert_eq(r.res, 0);
    io->ops->close(io, fd);

    /* An fd not open for writing: -EBADF comes back as SL_E_IO. */
    fd = io->ops->open(io, path, O_RDONLY, 0);
    io->ops->pwrite(io, &req, fd, buf, 10, 0);
    run_until(ring, &r.calls, 3);
    cr_assert_eq(r.res, SL_E_IO);
    io->ops->close(io, fd);
    cr_assert_eq(sl_ring_inflight(ring), 0);
    free(buf);
    free(back);
    free(path);
    sl_io_free(io);
    sl_ring_free(ring);
    st_rmdir(dir);
}

Test(io_uring, plog_over_the_ring)
{
    sl_ring *ring = ring_or_skip();
    sl_io *io = sl_io_uring_new(ring), *sio = sl_io_sync_new();
    char *dir = st_tmpdir(), err[256] = "";
    plog_config cfg = st_small_config(4096, 256);
    plog_env *env;
    plog *l;
    st_cbs rec = { 0 };
    st_cb_ud ud[200];
    uint8_t *b[200];
    size_t len[200];
    int64_t want = 0;

    cr_assert_eq(plog_env_new(&env, io), SL_OK);
    cr_assert_eq(plog_open(&l, env, dir, &cfg, err, sizeof err), SL_OK, "%s", err);
    for (int i = 0; i < 200; i++) {
        ud[i].rec = &rec;
        ud[i].tag = i;
        b[i] = st_batch(1 + i % 4, 1000 + i, 40, i, &len[i]);
        cr_assert_eq(plog_append(l, b[i], len[i], i % 3 == 0 || i == 199, st_cb, &ud[i]), SL_OK);
        want += 1 + i % 4;
    }
    cr_assert_eq(plog_end_offset(l), want);
    cr_assert_eq(rec.n, 0, "nothing acked before the ring ran");
    for (int i = 0; i < 10000 && plog_env_pending(env) > 0; i++) {
        plog_env_flush(env); /* before sleeping, as the broker loop does */
        sl_ring_run(ring, 100);
    }
    cr_assert_eq(plog_env_pending(env), 0);
    cr_assert_eq(rec.n, 200);
    for (int i = 0; i < 200; i++)
        cr_assert_eq(rec.err[i], SL_OK);
    /* acks=1 callbacks come in offset order. */
    for (int i = 1, prev = -1; i < 200; i++) {
        if (rec.tag[i] % 3 == 0 || rec.tag[i] == 199)
            continue;
        cr_assert_gt(rec.base[i], prev);
        prev = (int)rec.base[i];
    }
    cr_assert_eq(plog_high_watermark(l), want);
    cr_assert_eq(plog_durable(l), want, "the last append was durable");
    plog_close(l);
    plog_env_free(env);

    /* Reopen with the sync io: everything is there. */
    cr_assert_eq(plog_env_new(&env, sio), SL_OK);
    cr_assert_eq(plog_open(&l, env, dir, &cfg, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(plog_end_offset(l), want);
    for (int64_t off = 0; off < want;) {
        plog_slice s;
        rec_batch h;
        uint8_t *buf;

        cr_assert_eq(plog_read(l, off, 1, &s), SL_OK);
        buf = st_slice_bytes(&s);
        cr_assert_eq(rec_batch_validate(buf, (size_t)s.len, &h), SL_OK);
        cr_assert_eq(h.base_offset, off);
        off += h.last_offset_delta + 1;
        free(buf);
    }
    plog_close(l);
    plog_env_free(env);
    for (int i = 0; i < 200; i++)
        free(b[i]);
    sl_io_free(io);
    sl_io_free(sio);
    sl_ring_free(ring);
    st_rmdir(dir);
}

/* Retention's data file goes through unlinkat in the kernel's workers. */
Test(io_uring, unlink_async_completes_from_the_ring)
{
    sl_ring *ring = ring_or_skip();
    sl_io *io = sl_io_uring_new(ring);
    char *dir = st_tmpdir(), *path = st_path(dir, "f.log.deleted");
    cbrec r = { 0, 0 };
    sl_io_req req = { .cb = rec_cb, .ud = &r };
    int fd = io->ops->open(io, path, O_RDWR | O_CREAT, 0644);

    cr_assert_geq(fd, 0);
    io->ops->close(io, fd);
    io->ops->unlink_async(io, &req, path);
    cr_assert_eq(r.calls, 0, "asynchronous");
    run_until(ring, &r.calls, 1);
    cr_assert_eq(r.res, 0);
    cr_assert_not(st_exists(path));
    io->ops->unlink_async(io, &req, path);
    run_until(ring, &r.calls, 2);
    cr_assert_eq(r.res, SL_E_NOTFOUND, "errors as sl_err");
    sl_io_free(io);
    sl_ring_free(ring);
    free(path);
    st_rmdir(dir);
}
