/* test_log_revive.c - a full disk: index entries are only stored where
 * their blocks could be allocated, and a log failed by ENOSPC takes
 * writes again (plog_revive) after cutting what was never acknowledged. */

#include "storage/storage_int.h"
#include "storage_test.h"

/* --- a disk that can be full: writes land at once (the part that fits),
 * completions run when the test says ------------------------------------ */

typedef struct full_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    int64_t room;        /* bytes pwrite may still write; < 0: unlimited */
    bool no_reserve;     /* reserve fails with SL_E_NOSPC */
    int no_reserve_fd;   /* ... for this file only (-1: none) */
    bool fail_sync;
    bool defer;          /* queue completions for full_complete */
    sl_io_req *q[64];
    int64_t res[64];
    int n;
} full_io;

static void full_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len, off_t off)
{
    full_io *x = (full_io *)io;
    size_t fit = x->room < 0 || (int64_t)len <= x->room ? len : (size_t)x->room;
    int64_t res = x->real->ops->pwrite_sync(x->real, fd, buf, fit, off);

    if (res == SL_OK)
        res = fit == len ? (int64_t)len : SL_E_NOSPC;
    if (x->room >= 0)
        x->room -= (int64_t)fit;
    if (!x->defer) {
        req->cb(req, res);
        return;
    }
    cr_assert_lt(x->n, 64);
    x->res[x->n] = res;
    x->q[x->n++] = req;
}

static void full_datasync(sl_io *io, sl_io_req *req, int fd)
{
    full_io *x = (full_io *)io;

    if (x->fail_sync)
        req->cb(req, SL_E_IO);
    else
        x->real->ops->datasync(x->real, req, fd);
}

static int full_reserve(sl_io *io, int fd, off_t off, off_t len)
{
    full_io *x = (full_io *)io;

    if (x->no_reserve || fd == x->no_reserve_fd)
        return SL_E_NOSPC;
    return x->real->ops->reserve(x->real, fd, off, len);
}

static void full_complete(full_io *x, int i)
{
    sl_io_req *req = x->q[i];

    cr_assert(req, "completion %d already ran", i);
    x->q[i] = NULL;
    req->cb(req, x->res[i]);
}

static void full_destroy(sl_io *io) { free(io); }

static int64_t test_now;

static int64_t test_clock(void *ud)
{
    (void)ud;
    return test_now;
}

/* A log on a full_io over the real sync io, on the test clock. */
static full_io *full_open(fixture *f, plog_config cfg)
{
    full_io *x = calloc(1, sizeof *x);

    memset(f, 0, sizeof *f);
    f->dir = st_tmpdir();
    f->io = sl_io_sync_new();
    f->cfg = cfg;
    x->real = f->io;
    x->room = -1;
    x->no_reserve_fd = -1;
    x->ops = *f->io->ops;
    x->ops.pwrite = full_pwrite;
    x->ops.datasync = full_datasync;
    x->ops.reserve = full_reserve;
    x->ops.destroy = full_destroy;
    x->io.ops = &x->ops;
    cr_assert_eq(plog_env_new(&f->env, &x->io), SL_OK);
    test_now = 1000000;
    plog_env_set_clock(f->env, test_clock, NULL);
    fx_open(f);
    return x;
}

/* Close the log and reopen it on the real io. */
static void reopen_real(fixture *f, full_io *x)
{
    plog_close(f->log);
    plog_env_free(f->env);
    sl_io_free(&x->io);
    cr_assert_eq(plog_env_new(&f->env, f->io), SL_OK);
    fx_open(f);
}

static int64_t log_file_size(fixture *f)
{
    char *p = st_path(f->dir, "00000000000000000000.log");
    int64_t n = st_file_size(p);

    free(p);
    return n;
}

Test(revive, index_entries_wait_for_allocated_blocks)
{
    fixture f;
    full_io *x = full_open(&f, st_small_config(1 << 20, 100));
    seg *s = f.log->segs[0];

    x->no_reserve = true;
    for (int i = 0; i < 6; i++)
        append_n(&f, 2, 100 + i, 200, NULL, NULL);
    cr_assert_eq(s->idx_n, 0, "no entry stored where no block could be allocated");
    cr_assert_eq(s->tix_n, 0);
    cr_assert_eq(s->idx_resv, 0);
    for (int64_t o = 0; o < 12; o++)
        check_batch_at(f.log, o);
    /* Room again: the next batch past the interval gets its entries. */
    x->no_reserve = false;
    append_n(&f, 2, 200, 200, NULL, NULL);
    cr_assert_eq(s->idx_n, 1);
    cr_assert_eq(s->tix_n, 1);
    cr_assert_geq(s->idx_resv, 1);
    cr_assert_geq(s->tix_resv, 1);
    for (int64_t o = 0; o < 14; o++)
        check_batch_at(f.log, o);
    reopen_real(&f, x);
    cr_assert_eq(plog_end_offset(f.log), 14);
    for (int64_t o = 0; o < 14; o++)
        check_batch_at(f.log, o);
    fx_fini(&f);
}

Test(revive, cuts_the_unacknowledged_tail_and_goes_on)
{
    fixture f;
    full_io *x = full_open(&f, st_small_config(1 << 20, 4096));
    st_cbs rec = { 0 };
    st_cb_ud ud[6] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 }, { &rec, 3 }, { &rec, 4 },
                       { &rec, 5 } };
    uint8_t *b[6];
    size_t len[6];
    int64_t acked_end;

    x->defer = true;
    for (int i = 0; i < 6; i++)
        b[i] = st_batch(2, 100 + i, 50, i, &len[i]);
    /* 0 and 1 fit; 2 is cut short by the full disk; 3 is written whole
     * (space freed for a moment) but completes after the failure. */
    x->room = (int64_t)(len[0] + len[1] + len[2] / 2);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(plog_append(f.log, b[i], len[i], true, st_cb, &ud[i]), SL_OK);
    x->room = (int64_t)len[3];
    cr_assert_eq(plog_append(f.log, b[3], len[3], false, st_cb, &ud[3]), SL_OK);
    full_complete(x, 0);
    full_complete(x, 1);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(rec.n, 2);
    cr_assert_eq(plog_durable(f.log), 4);
    acked_end = (int64_t)(len[0] + len[1]);
    full_complete(x, 2);
    cr_assert_eq(rec.n, 3, "the failed one gets the error");
    cr_assert_eq(rec.err[2], SL_E_NOSPC);
    cr_assert_eq(plog_state(f.log), SL_E_FATAL);
    test_now += 60000;
    cr_assert_eq(plog_revive(f.log), SL_E_FATAL, "a write of the log is still in flight");
    cr_assert_eq(plog_pending(f.log), 1);
    full_complete(x, 3);
    cr_assert_eq(rec.n, 4, "the one in flight gets it once its write is done (it read the "
                 "batch until then)");
    cr_assert_eq(rec.err[3], SL_E_NOSPC, "a write completing after the failure acknowledges "
                 "nothing");
    cr_assert_eq(plog_pending(f.log), 0);
    /* Half of 2 at its place, then 3 whole after it. */
    cr_assert_eq(log_file_size(&f), acked_end + (int64_t)(len[2] + len[3]),
                 "unacknowledged bytes past the high watermark");

    x->room = -1;
    x->defer = false;
    test_now -= 60000;
    test_now += 10;
    cr_assert_eq(plog_revive(f.log), SL_E_FATAL, "back-off since the failure");
    test_now += 60000;
    cr_assert_eq(plog_revive(f.log), SL_OK);
    cr_assert_eq(plog_state(f.log), SL_OK);
    cr_assert_eq(log_file_size(&f), acked_end, "cut back to the acknowledged bytes");
    cr_assert_eq(plog_end_offset(f.log), 4);
    cr_assert_eq(plog_high_watermark(f.log), 4);
    cr_assert_eq(plog_durable(f.log), 4);
    cr_assert_eq(plog_append(f.log, b[4], len[4], true, st_cb, &ud[4]), SL_OK);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(rec.n, 5);
    cr_assert_eq(rec.err[4], SL_OK);
    cr_assert_eq(rec.base[4], 4, "appends go on right after the acknowledged ones");
    for (int64_t o = 0; o < 6; o++)
        check_batch_at(f.log, o);
    reopen_real(&f, x);
    cr_assert_eq(plog_end_offset(f.log), 6);
    for (int64_t o = 0; o < 6; o++)
        check_batch_at(f.log, o);
    fx_fini(&f);
    for (int i = 0; i < 6; i++)
        free(b[i]);
}

Test(revive, removes_a_segment_past_the_cut)
{
    fixture f;
    full_io *x = full_open(&f, st_small_config(1 << 20, 4096));
    st_cbs rec = { 0 };
    st_cb_ud ud[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
    uint8_t *b[3];
    size_t len[3];
    char *seg2;

    for (int i = 0; i < 3; i++)
        b[i] = st_batch(2, 100 + i, 50, i, &len[i]);
    cr_assert_eq(plog_append(f.log, b[0], len[0], false, st_cb, &ud[0]), SL_OK);
    x->defer = true;
    x->room = 0;
    cr_assert_eq(plog_append(f.log, b[1], len[1], false, st_cb, &ud[1]), SL_OK);
    /* A roll while the write before it is in flight: the new segment
     * starts past what will be acknowledged. */
    cr_assert_eq(plog_roll(f.log), SL_OK);
    x->room = -1;
    cr_assert_eq(plog_append(f.log, b[2], len[2], false, st_cb, &ud[2]), SL_OK);
    seg2 = st_path(f.dir, "00000000000000000004.log");
    cr_assert(st_exists(seg2));
    full_complete(x, 0);
    cr_assert_eq(plog_state(f.log), SL_E_FATAL);
    full_complete(x, 1);
    x->defer = false;
    test_now += 60000;
    cr_assert_eq(plog_revive(f.log), SL_OK);
    cr_assert(!st_exists(seg2), "a segment past the high watermark is removed");
    cr_assert_eq(f.log->nseg, 1);
    cr_assert_eq(plog_end_offset(f.log), 2);
    cr_assert_eq(plog_append(f.log, b[1], len[1], false, st_cb, &ud[1]), SL_OK);
    cr_assert_eq(rec.base[rec.n - 1], 2);
    reopen_real(&f, x);
    cr_assert_eq(plog_end_offset(f.log), 4);
    for (int64_t o = 0; o < 4; o++)
        check_batch_at(f.log, o);
    fx_fini(&f);
    free(seg2);
    for (int i = 0; i < 3; i++)
        free(b[i]);
}

Test(revive, not_after_a_failed_sync)
{
    fixture f;
    full_io *x = full_open(&f, st_small_config(1 << 20, 4096));
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };
    uint8_t *b;
    size_t len;

    b = st_batch(2, 100, 50, 0, &len);
    x->fail_sync = true;
    cr_assert_eq(plog_append(f.log, b, len, true, st_cb, &ud), SL_OK);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(rec.err[0], SL_E_IO);
    x->fail_sync = false;
    test_now += 3600000;
    cr_assert_eq(plog_revive(f.log), SL_E_FATAL, "after a failed sync only a restart recovers");
    cr_assert_eq(plog_state(f.log), SL_E_FATAL);
    reopen_real(&f, x);
    cr_assert_eq(plog_state(f.log), SL_OK);
    fx_fini(&f);
    free(b);
}

Test(revive, time_index_keeps_room_for_its_final_entry)
{
    fixture f;
    full_io *x = full_open(&f, st_small_config(1 << 20, 4096));
    int64_t off, ts;

    /* Timestamps 1000, 5000 (the segment's max), 3000: no index entry
     * (the interval is not reached), so only the final entry at the roll
     * records 5000, and the disk has no room left for the time index:
     * its slot was allocated when the segment was made. */
    x->no_reserve_fd = f.log->segs[0]->tix_fd;
    append_n(&f, 1, 1000, 10, NULL, NULL);
    append_n(&f, 1, 5000, 10, NULL, NULL);
    append_n(&f, 1, 3000, 10, NULL, NULL);
    cr_assert_eq(plog_roll(f.log), SL_OK);
    cr_assert_eq(f.log->segs[0]->tix_n, 1, "the final entry is there");
    x->no_reserve_fd = -1;
    append_n(&f, 1, 9000, 10, NULL, NULL);
    cr_assert_eq(plog_offset_for_time(f.log, 4000, &off, &ts), SL_OK);
    cr_assert_eq(off, 1, "in memory the segment knows its max timestamp");
    plog_env_flush(f.env); /* the rolled segment is synced: the recovery point moves */
    reopen_real(&f, x);
    cr_assert_eq(plog_offset_for_time(f.log, 4000, &off, &ts), SL_OK);
    cr_assert_eq(off, 1, "the first batch at or after 4000 is offset 1 (got %ld, ts %ld)",
                 (long)off, (long)ts);
    cr_assert_eq(ts, 5000);
    fx_fini(&f);
}

Test(revive, time_index_without_room_for_its_final_entry)
{
    fixture f;
    full_io *x = full_open(&f, st_small_config(1 << 20, 4096));
    int64_t off, ts;
    char *tix = st_path(f.dir, "00000000000000000000.timeindex");

    /* As above, but the slot of the final entry could not be allocated
     * either: the time index is left untrimmed, and rebuilt at the open. */
    x->no_reserve = true;
    plog_close(f.log);
    fx_open(&f); /* the active segment's indexes are made again, without room */
    cr_assert_eq(f.log->segs[0]->tix_resv, 0);
    append_n(&f, 1, 1000, 10, NULL, NULL);
    append_n(&f, 1, 5000, 10, NULL, NULL);
    append_n(&f, 1, 3000, 10, NULL, NULL);
    cr_assert_eq(plog_roll(f.log), SL_OK);
    cr_assert_eq(f.log->segs[0]->tix_n, 0, "no room for the final entry");
    cr_assert_gt(st_file_size(tix), 12, "left untrimmed");
    x->no_reserve = false;
    append_n(&f, 1, 9000, 10, NULL, NULL);
    cr_assert_eq(plog_offset_for_time(f.log, 4000, &off, &ts), SL_OK);
    cr_assert_eq(off, 1, "in memory the segment knows its max timestamp");
    plog_env_flush(f.env);
    reopen_real(&f, x);
    cr_assert_eq(plog_offset_for_time(f.log, 4000, &off, &ts), SL_OK);
    cr_assert_eq(off, 1, "the first batch at or after 4000 is offset 1 (got %ld, ts %ld)",
                 (long)off, (long)ts);
    cr_assert_eq(ts, 5000);
    fx_fini(&f);
    free(tix);
}

Test(revive, a_failed_log_gives_back_old_segments)
{
    fixture f;
    full_io *x = full_open(&f, st_small_config(600, 4096));
    plog_config cfg;
    char *first = st_path(f.dir, "00000000000000000000.log");

    for (int i = 0; i < 8; i++)
        append_n(&f, 2, 100 + i, 200, NULL, NULL);
    cr_assert_gt(f.log->nseg, 3);
    plog_env_flush(f.env); /* rolled segments synced */
    x->room = 0;
    {
        st_cbs rec = { 0 };
        st_cb_ud ud = { &rec, 0 };
        size_t len;
        uint8_t *b = st_batch(2, 200, 200, 9, &len);

        cr_assert_eq(plog_append(f.log, b, len, false, st_cb, &ud), SL_OK);
        cr_assert_eq(rec.err[0], SL_E_NOSPC);
        free(b);
    }
    cr_assert_eq(plog_state(f.log), SL_E_FATAL);
    /* Retention frees the disk even now: old segments go, no roll. */
    cfg = *plog_get_config(f.log);
    cfg.retention_bytes = 1;
    cr_assert_eq(plog_set_config(f.log, &cfg), SL_OK);
    cr_assert_eq(plog_retention_run(f.log, 0), SL_E_FATAL, "still a failed log");
    cr_assert_eq(f.log->nseg, 1, "every segment but the last is gone");
    cr_assert(!st_exists(first));
    cr_assert_eq(plog_log_start(f.log), f.log->segs[0]->base);
    x->room = -1;
    test_now += 60000;
    cr_assert_eq(plog_revive(f.log), SL_OK);
    append_n(&f, 1, 300, 10, NULL, NULL);
    reopen_real(&f, x);
    cr_assert_eq(plog_end_offset(f.log), 17);
    for (int64_t o = plog_log_start(f.log); o < 17; o++)
        check_batch_at(f.log, o);
    fx_fini(&f);
    free(first);
}
