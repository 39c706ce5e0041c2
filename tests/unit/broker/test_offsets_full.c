/*
 * test_offsets_full.c - broker/offsets.c on a full disk: a commit the
 * offsets log cannot write fails (nothing changes), later ones fail while
 * the disk is full, and once it has room again (and the back-off passed)
 * commits work again without reopening anything.
 */
#include "broker/offsets.h"
#include "tests/unit/storage/storage_test.h"

typedef struct nospc_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    bool full;
} nospc_io;

static void nospc_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len,
                         off_t off)
{
    nospc_io *x = (nospc_io *)io;

    if (x->full)
        req->cb(req, SL_E_NOSPC);
    else
        x->real->ops->pwrite(x->real, req, fd, buf, len, off);
}

static void nospc_destroy(sl_io *io) { free(io); }

#define NAME_G ((sl_bytes){ .p = (const uint8_t *)"g", .n = 1 })
#define NAME_T ((sl_bytes){ .p = (const uint8_t *)"t", .n = 1 })

static int64_t now_ms;

static int64_t clock_fn(void *ud)
{
    (void)ud;
    return now_ms;
}

typedef struct result {
    int n;
    sl_err err;
} result;

static void on_done(void *ud, sl_err err)
{
    result *r = ud;

    r->n++;
    r->err = err;
}

/* Commit offset `off` for group g, topic t, partition 0; returns what
 * offsets_commit returned, *r gets the callback (after a flush). */
static sl_err commit(offsets *o, plog_env *env, int64_t off, result *r)
{
    static offsets_item it;
    sl_err e;

    it = (offsets_item){ .topic = NAME_T, .partition = 0, .offset = off,
                         .leader_epoch = -1 };
    memset(r, 0, sizeof *r);
    e = offsets_commit(o, NAME_G, &it, 1, false, now_ms, on_done, r);
    plog_env_flush(env);
    return e;
}

static int64_t committed(offsets *o)
{
    const offset_value *v = offsets_get(o, NAME_G,
                                        NAME_T, 0);

    return v ? v->offset : -1;
}

Test(offsets_full, commits_work_again_once_there_is_room)
{
    char *dir = st_tmpdir(), err[256] = "";
    sl_io *real = sl_io_sync_new();
    nospc_io *x = calloc(1, sizeof *x);
    plog_config cfg = st_small_config(1 << 20, 4096);
    plog_env *env;
    offsets *o;
    result r;

    x->real = real;
    x->ops = *real->ops;
    x->ops.pwrite = nospc_pwrite;
    x->ops.destroy = nospc_destroy;
    x->io.ops = &x->ops;
    cr_assert_eq(plog_env_new(&env, &x->io), SL_OK);
    now_ms = 1000000;
    plog_env_set_clock(env, clock_fn, NULL);
    cr_assert_eq(offsets_open(&o, env, dir, &cfg, err, sizeof err), SL_OK, "%s", err);

    cr_assert_eq(commit(o, env, 5, &r), SL_OK);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.err, SL_OK);
    cr_assert_eq(committed(o), 5);

    x->full = true;
    cr_assert_eq(commit(o, env, 6, &r), SL_OK);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.err, SL_E_NOSPC, "the commit the disk refused fails");
    cr_assert_eq(committed(o), 5, "and changes nothing");
    /* Past the back-off the log tries again (the filesystem of the test
     * has room), and the write fails again. */
    now_ms += 5000;
    cr_assert_eq(commit(o, env, 7, &r), SL_OK);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.err, SL_E_NOSPC, "still full");
    cr_assert_eq(committed(o), 5);

    x->full = false;
    now_ms += 10;
    cr_assert_neq(commit(o, env, 8, &r), SL_OK, "room again, but within the back-off");
    now_ms += 5000;
    cr_assert_eq(commit(o, env, 9, &r), SL_OK, "room again: the offsets log is back");
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.err, SL_OK);
    cr_assert_eq(committed(o), 9);
    offsets_close(o);
    plog_env_free(env);
    sl_io_free(&x->io);

    /* What was acknowledged is what a restart reads. */
    cr_assert_eq(plog_env_new(&env, real), SL_OK);
    cr_assert_eq(offsets_open(&o, env, dir, &cfg, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(committed(o), 9);
    offsets_close(o);
    plog_env_free(env);
    sl_io_free(real);
    st_rmdir(dir);
}
