/* test_log_failure.c - storage/log.c when the disk fails: a failed write,
 * sync or directory sync fails that log (KAFKA_STORAGE_ERROR upstream),
 * nothing after it is acknowledged, and other partitions carry on. */

#include "storage/storage_int.h"
#include "storage_test.h"

/* --- failing io ----------------------------------------------------------- */

typedef struct fail_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    int writes_ok;   /* pwrites that succeed before they fail */
    bool fail_sync;
} fail_io;

static void fail_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len, off_t off)
{
    fail_io *x = (fail_io *)io;

    if (x->writes_ok-- > 0) {
        x->real->ops->pwrite(x->real, req, fd, buf, len, off);
        return;
    }
    req->cb(req, SL_E_NOSPC);
}

static void fail_datasync(sl_io *io, sl_io_req *req, int fd)
{
    fail_io *x = (fail_io *)io;

    if (x->fail_sync)
        req->cb(req, SL_E_IO);
    else
        x->real->ops->datasync(x->real, req, fd);
}

static void fail_destroy(sl_io *io) { free(io); }

static fail_io *fail_new(sl_io *real, int writes_ok)
{
    fail_io *x = calloc(1, sizeof *x);

    x->real = real;
    x->writes_ok = writes_ok;
    x->ops = *real->ops;
    x->ops.pwrite = fail_pwrite;
    x->ops.datasync = fail_datasync;
    x->ops.destroy = fail_destroy;
    x->io.ops = &x->ops;
    return x;
}

Test(log, failed_write_fails_the_log)
{
    fixture f;
    fail_io *x;
    st_cbs rec = { 0 };
    st_cb_ud ud[5] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 }, { &rec, 3 }, { &rec, 4 } };
    uint8_t *b[5];
    size_t len[5];

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    x = fail_new(f.io, 3);
    f.cfg = st_small_config(1 << 20, 4096);
    cr_assert_eq(plog_env_new(&f.env, &x->io), SL_OK);
    fx_open(&f);
    for (int i = 0; i < 5; i++)
        b[i] = st_batch(2, 100, 10, i, &len[i]);
    cr_assert_eq(plog_append(f.log, b[0], len[0], false, st_cb, &ud[0]), SL_OK);
    cr_assert_eq(plog_append(f.log, b[1], len[1], false, st_cb, &ud[1]), SL_OK);
    cr_assert_eq(plog_append(f.log, b[2], len[2], true, st_cb, &ud[2]), SL_OK);
    cr_assert_eq(rec.n, 2, "two acked, one durable waiting");
    cr_assert_eq(plog_append(f.log, b[3], len[3], false, st_cb, &ud[3]), SL_OK);
    /* The write failed: the durable waiter and the failed append get the
     * error, in offset order; nothing is acknowledged after. */
    cr_assert_eq(rec.n, 4);
    cr_assert_eq(rec.tag[2], 2);
    cr_assert_eq(rec.err[2], SL_E_NOSPC);
    cr_assert_eq(rec.tag[3], 3);
    cr_assert_eq(rec.err[3], SL_E_NOSPC);
    cr_assert_eq(plog_state(f.log), SL_E_FATAL);
    cr_assert_eq(plog_append(f.log, b[4], len[4], false, st_cb, &ud[4]), SL_E_FATAL);
    cr_assert_eq(plog_env_flush(f.env), 0);
    cr_assert_eq(rec.n, 4);
    cr_assert_eq(plog_env_pending(f.env), 0);
    cr_assert_eq(plog_high_watermark(f.log), 6, "what was written stays readable");
    check_batch_at(f.log, 3);
    plog_close(f.log);
    plog_env_free(f.env);
    sl_io_free(&x->io);

    /* Reopen with the real io: the acknowledged data is there. */
    cr_assert_eq(plog_env_new(&f.env, f.io), SL_OK);
    fx_open(&f);
    cr_assert_eq(plog_end_offset(f.log), 6, "the durable one's write had completed");
    check_batch_at(f.log, 0);
    check_batch_at(f.log, 3);
    cr_assert_eq(plog_state(f.log), SL_OK);
    fx_fini(&f);
    for (int i = 0; i < 5; i++)
        free(b[i]);
}

Test(log, failed_sync_fails_the_log)
{
    fixture f;
    fail_io *x;
    st_cbs rec = { 0 };
    st_cb_ud ud[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
    uint8_t *b[3];
    size_t len[3];

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    x = fail_new(f.io, 100);
    x->fail_sync = true;
    f.cfg = st_small_config(1 << 20, 4096);
    cr_assert_eq(plog_env_new(&f.env, &x->io), SL_OK);
    fx_open(&f);
    for (int i = 0; i < 3; i++)
        b[i] = st_batch(1, 100, 10, i, &len[i]);
    cr_assert_eq(plog_append(f.log, b[0], len[0], true, st_cb, &ud[0]), SL_OK);
    cr_assert_eq(plog_append(f.log, b[1], len[1], true, st_cb, &ud[1]), SL_OK);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(rec.n, 2);
    cr_assert_eq(rec.err[0], SL_E_IO);
    cr_assert_eq(rec.err[1], SL_E_IO);
    cr_assert_eq(plog_durable(f.log), 0, "never durable after a failed sync");
    cr_assert_eq(plog_state(f.log), SL_E_FATAL);
    cr_assert_eq(plog_append(f.log, b[2], len[2], true, st_cb, &ud[2]), SL_E_FATAL);
    plog_close(f.log);
    f.log = NULL;
    plog_env_free(f.env);
    sl_io_free(&x->io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
    for (int i = 0; i < 3; i++)
        free(b[i]);
}

/* --- one failed partition does not stop the others --------------------- */

typedef struct badfd_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    const char *bad_dir; /* writes and syncs of files under it fail */
    int bad_fds[8];
    int nbad;
} badfd_io;

static bool is_bad(badfd_io *x, int fd)
{
    for (int i = 0; i < x->nbad; i++)
        if (x->bad_fds[i] == fd)
            return true;
    return false;
}

static int badfd_open(sl_io *io, const char *path, int flags, int mode)
{
    badfd_io *x = (badfd_io *)io;
    int fd = x->real->ops->open(x->real, path, flags, mode);

    if (fd >= 0 && x->bad_dir && strncmp(path, x->bad_dir, strlen(x->bad_dir)) == 0 &&
        x->nbad < 8)
        x->bad_fds[x->nbad++] = fd;
    return fd;
}

static void badfd_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len,
                         off_t off)
{
    badfd_io *x = (badfd_io *)io;

    if (is_bad(x, fd))
        req->cb(req, SL_E_IO);
    else
        x->real->ops->pwrite(x->real, req, fd, buf, len, off);
}

static void badfd_destroy(sl_io *io) { free(io); }

Test(log, failed_partition_does_not_stop_the_others)
{
    char *top = st_tmpdir(), *da = st_path(top, "a-0"), *db = st_path(top, "b-0");
    sl_io *real = sl_io_sync_new();
    badfd_io *x = calloc(1, sizeof *x);
    plog_config cfg = st_small_config(1 << 20, 64);
    plog_env *env;
    plog *a, *b;
    st_cbs rec = { 0 };
    st_cb_ud ua = { &rec, 1 }, ub = { &rec, 2 };
    char err[256];
    uint8_t *batch;
    size_t len;

    x->real = real;
    x->ops = *real->ops;
    x->ops.open = badfd_open;
    x->ops.pwrite = badfd_pwrite;
    x->ops.destroy = badfd_destroy;
    x->io.ops = &x->ops;
    cr_assert_eq(plog_env_new(&env, &x->io), SL_OK);
    cr_assert_eq(plog_open(&a, env, da, &cfg, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(plog_open(&b, env, db, &cfg, err, sizeof err), SL_OK, "%s", err);
    /* From now on a's files (reopened below) fail their writes. */
    plog_close(a);
    x->bad_dir = da;
    cr_assert_eq(plog_open(&a, env, da, &cfg, err, sizeof err), SL_OK, "%s", err);
    batch = st_batch(2, 1, 10, 1, &len);
    cr_assert_eq(plog_append(a, batch, len, true, st_cb, &ua), SL_OK);
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(rec.err[0], SL_E_IO, "a's append fails");
    cr_assert_eq(plog_state(a), SL_E_FATAL);
    cr_assert_eq(plog_append(a, batch, len, false, st_cb, &ua), SL_E_FATAL, "sticky");
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(plog_append(b, batch, len, true, st_cb, &ub), SL_OK);
        cr_assert_eq(plog_env_flush(env), 1, "b still gets its group commit");
    }
    cr_assert_eq(rec.n, 4);
    for (int i = 1; i < 4; i++) {
        cr_assert_eq(rec.tag[i], 2);
        cr_assert_eq(rec.err[i], SL_OK);
    }
    cr_assert_eq(plog_durable(b), 6);
    cr_assert_eq(plog_state(b), SL_OK);
    cr_assert_eq(plog_retention_run(a, 0), SL_E_FATAL);
    plog_close(a);
    plog_close(b);
    cr_assert_eq(plog_env_pending(env), 0);
    plog_env_free(env);
    sl_io_free(&x->io);
    sl_io_free(real);
    free(batch);
    free(da);
    free(db);
    st_rmdir(top);
}

/* A directory sync that fails at roll is a failed sync: the log fails. */
static int fail_sync_dir(sl_io *io, const char *dir)
{
    (void)io;
    (void)dir;
    return SL_E_IO;
}

Test(log, failed_directory_sync_at_roll_fails_the_log)
{
    fixture f;
    fail_io *x;
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };
    uint8_t *b;
    size_t len;

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    f.cfg = st_small_config(300, 64);
    x = fail_new(f.io, 1000);
    cr_assert_eq(plog_env_new(&f.env, &x->io), SL_OK);
    fx_open(&f);
    x->ops.sync_dir = fail_sync_dir;
    b = st_batch(2, 1, 60, 1, &len);
    cr_assert_eq(plog_append(f.log, b, len, false, st_cb, &ud), SL_OK);
    cr_assert_eq(plog_append(f.log, b, len, false, st_cb, &ud), SL_E_FATAL, "the roll");
    cr_assert_eq(plog_state(f.log), SL_E_FATAL);
    cr_assert_eq(f.log->nseg, 1, "the new segment is gone");
    plog_close(f.log);
    f.log = NULL;
    plog_env_free(f.env);
    sl_io_free(&x->io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
    free(b);
}
