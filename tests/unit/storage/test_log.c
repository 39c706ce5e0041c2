/* test_log.c - storage/log.c: append, read, watermarks, roll, group commit,
 * the clock and flush policies.  Failures are in test_log_failure.c. */
#include <dirent.h>

#include "storage/storage_int.h"
#include "storage_test.h"

Test(log, open_empty)
{
    fixture f;
    plog_slice s;
    char *seg0;

    fx_init(&f, st_small_config(1 << 20, 4096));
    cr_assert_eq(plog_end_offset(f.log), 0);
    cr_assert_eq(plog_high_watermark(f.log), 0);
    cr_assert_eq(plog_durable(f.log), 0);
    cr_assert_eq(plog_log_start(f.log), 0);
    cr_assert_eq(plog_state(f.log), SL_OK);
    cr_assert_eq(plog_read(f.log, 0, 1000, &s), SL_OK);
    cr_assert_eq(s.len, 0);
    cr_assert_eq(s.fd, -1);
    cr_assert_eq(plog_read(f.log, 1, 1000, &s), SL_KE_OFFSET_OUT_OF_RANGE);
    cr_assert_eq(plog_read(f.log, -1, 1000, &s), SL_KE_OFFSET_OUT_OF_RANGE);
    seg0 = st_path(f.dir, "00000000000000000000.log");
    cr_assert(st_exists(seg0));
    free(seg0);
    fx_fini(&f);
}

Test(log, append_assigns_offsets_and_reads_back)
{
    fixture f;
    uint8_t *b[3];
    size_t len[3];
    int counts[3] = { 1, 5, 2 };
    int64_t want[3] = { 0, 1, 6 };
    plog_slice s;
    uint8_t *buf;

    fx_init(&f, st_small_config(1 << 20, 4096));
    for (int i = 0; i < 3; i++)
        cr_assert_eq(append_n(&f, counts[i], 1000 + i, 10, &b[i], &len[i]), want[i]);
    cr_assert_eq(plog_end_offset(f.log), 8);
    cr_assert_eq(plog_high_watermark(f.log), 8);
    /* The caller's buffer got its base offset rewritten in place, and the
     * log holds exactly those bytes, back to back. */
    cr_assert_eq(plog_read(f.log, 0, 1 << 20, &s), SL_OK);
    cr_assert_eq(s.pos, 0);
    cr_assert_eq(s.len, (int64_t)(len[0] + len[1] + len[2]));
    buf = st_slice_bytes(&s);
    for (int i = 0, off = 0; i < 3; off += (int)len[i], i++) {
        cr_assert_eq((int64_t)sl_be64(b[i]), want[i]);
        cr_assert_eq(memcmp(buf + off, b[i], len[i]), 0, "batch %d bytes", i);
    }
    free(buf);
    /* A mid-batch offset returns the whole batch holding it. */
    cr_assert_eq(plog_read(f.log, 3, 1, &s), SL_OK);
    cr_assert_eq(s.pos, (int64_t)len[0]);
    cr_assert_eq(s.len, (int64_t)len[1]);
    close(s.fd);
    for (int64_t o = 0; o < 8; o++)
        check_batch_at(f.log, o);
    cr_assert_eq(plog_read(f.log, 8, 100, &s), SL_OK);
    cr_assert_eq(s.len, 0);
    cr_assert_eq(plog_read(f.log, 9, 100, &s), SL_KE_OFFSET_OUT_OF_RANGE);
    for (int i = 0; i < 3; i++)
        free(b[i]);
    fx_fini(&f);
}

/* Many appends with a small segment size and a small index interval: offsets
 * stay contiguous over rolls, every offset reads back its batch, a walk with
 * max_bytes covers the log exactly, and all of it survives a reopen. */
static void walk_all(plog *l, int64_t end, int64_t max_bytes)
{
    int64_t off = 0;

    while (off < end) {
        plog_slice s;
        uint8_t *buf;
        int64_t p = 0;

        cr_assert_eq(plog_read(l, off, max_bytes, &s), SL_OK);
        cr_assert_gt(s.len, 0);
        buf = st_slice_bytes(&s);
        while (p < s.len) {
            rec_batch h;

            cr_assert_eq(rec_batch_validate(buf + p, (size_t)(s.len - p), &h), SL_OK);
            cr_assert_eq(h.base_offset, off, "contiguous offsets");
            off = h.base_offset + h.last_offset_delta + 1;
            p += (int64_t)rec_batch_size(&h);
        }
        cr_assert_eq(p, s.len, "whole batches only");
        free(buf);
    }
    cr_assert_eq(off, end);
}

Test(log, offsets_contiguous_across_rolls_and_reopen)
{
    fixture f;
    int64_t expect = 0;
    char *seg;
    int nseg = 0;

    fx_init(&f, st_small_config(2000, 200));
    srand(7);
    for (int i = 0; i < 300; i++) {
        int n = 1 + rand() % 7;

        cr_assert_eq(append_n(&f, n, 1000 + i, (size_t)(rand() % 120), NULL, NULL), expect);
        expect += n;
    }
    cr_assert_eq(plog_end_offset(f.log), expect);
    cr_assert_eq(plog_high_watermark(f.log), expect);
    for (int64_t o = 0; o < expect; o++)
        check_batch_at(f.log, o);
    walk_all(f.log, expect, 700);
    walk_all(f.log, expect, 1 << 20);
    {
        DIR *d = opendir(f.dir);
        struct dirent *de;

        cr_assert(d);
        while ((de = readdir(d)) != NULL) {
            int64_t base;

            if (!seg_parse_name(de->d_name, &base))
                continue;
            seg = st_path(f.dir, de->d_name);
            cr_assert_leq(st_file_size(seg), 2000 + 1000, "segments roll near segment_bytes");
            free(seg);
            nseg++;
        }
        closedir(d);
    }
    cr_assert_gt(nseg, 10, "rolled into many segments (%d)", nseg);

    fx_reopen(&f);
    cr_assert_eq(plog_end_offset(f.log), expect, "clean close loses nothing");
    cr_assert_eq(plog_high_watermark(f.log), expect);
    for (int64_t o = 0; o < expect; o++)
        check_batch_at(f.log, o);
    walk_all(f.log, expect, 900);
    cr_assert_eq(append_n(&f, 3, 5000, 10, NULL, NULL), expect, "appends continue after reopen");
    fx_fini(&f);
}

Test(log, rejects_non_batches)
{
    fixture f;
    uint8_t junk[100] = { 0 };
    size_t len;
    uint8_t *b;
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };

    fx_init(&f, st_small_config(1 << 20, 4096));
    cr_assert_eq(plog_append(f.log, junk, sizeof junk, false, st_cb, &ud), SL_KE_CORRUPT_MESSAGE);
    b = st_batch(2, 1, 10, 1, &len);
    cr_assert_eq(plog_append(f.log, b, len - 1, false, st_cb, &ud), SL_KE_CORRUPT_MESSAGE);
    cr_assert_eq(rec.n, 0);
    cr_assert_eq(plog_end_offset(f.log), 0);
    free(b);
    fx_fini(&f);
}

Test(log, durable_waits_for_flush)
{
    fixture f;
    st_cbs rec = { 0 };
    st_cb_ud ud[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
    uint8_t *b[3];
    size_t len[3];

    fx_init(&f, st_small_config(1 << 20, 4096));
    for (int i = 0; i < 3; i++) {
        b[i] = st_batch(2, 1, 10, i, &len[i]);
        cr_assert_eq(plog_append(f.log, b[i], len[i], i != 1, st_cb, &ud[i]), SL_OK);
    }
    /* The acks=1 one is answered at once; the durable ones wait. */
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(rec.tag[0], 1);
    cr_assert_eq(plog_high_watermark(f.log), 6);
    cr_assert_eq(plog_durable(f.log), 0);
    cr_assert_eq(plog_env_pending(f.env), 2);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(rec.n, 3);
    cr_assert_eq(rec.tag[1], 0);
    cr_assert_eq(rec.base[1], 0);
    cr_assert_eq(rec.tag[2], 2);
    cr_assert_eq(rec.base[2], 4);
    cr_assert_eq(plog_durable(f.log), 6);
    cr_assert_eq(plog_env_pending(f.env), 0);
    cr_assert_eq(plog_env_flush(f.env), 0, "nothing left to flush");
    for (int i = 0; i < 3; i++)
        free(b[i]);
    fx_fini(&f);
}

Test(log, flush_one_sync_per_log)
{
    char *dir = st_tmpdir(), *d1 = st_path(dir, "a-0"), *d2 = st_path(dir, "b-0");
    sl_io *io = sl_io_sync_new();
    plog_env *env;
    plog *l1, *l2, *l3;
    plog_config cfg = st_small_config(1 << 20, 4096);
    char err[256];
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };
    char *d3 = st_path(dir, "c-0");
    uint8_t *b[4];
    size_t len;

    cr_assert_eq(plog_env_new(&env, io), SL_OK);
    cr_assert_eq(plog_open(&l1, env, d1, &cfg, err, sizeof err), SL_OK);
    cr_assert_eq(plog_open(&l2, env, d2, &cfg, err, sizeof err), SL_OK);
    cr_assert_eq(plog_open(&l3, env, d3, &cfg, err, sizeof err), SL_OK);
    for (int i = 0; i < 4; i++)
        b[i] = st_batch(1, 1, 10, i, &len);
    cr_assert_eq(plog_append(l1, b[0], len, true, st_cb, &ud), SL_OK);
    cr_assert_eq(plog_append(l1, b[1], len, true, st_cb, &ud), SL_OK);
    cr_assert_eq(plog_append(l2, b[2], len, true, st_cb, &ud), SL_OK);
    cr_assert_eq(plog_append(l3, b[3], len, false, st_cb, &ud), SL_OK);
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(plog_env_flush(env), 2, "l3 has no durable waiter");
    cr_assert_eq(rec.n, 4);
    plog_close(l1);
    plog_close(l2);
    plog_close(l3);
    plog_env_free(env);
    sl_io_free(io);
    for (int i = 0; i < 4; i++)
        free(b[i]);
    free(d1);
    free(d2);
    free(d3);
    st_rmdir(dir);
}

/* --- a deferred io: writes land at once, completions when the test says --- */

typedef struct defer_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    sl_io_req *q[64];
    int64_t res[64];
    int n;
} defer_io;

static void defer_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len, off_t off)
{
    defer_io *d = (defer_io *)io;

    cr_assert_lt(d->n, 64);
    d->res[d->n] = d->real->ops->pwrite_sync(d->real, fd, buf, len, off);
    if (d->res[d->n] == SL_OK)
        d->res[d->n] = (int64_t)len;
    d->q[d->n++] = req;
}

static void defer_datasync(sl_io *io, sl_io_req *req, int fd)
{
    defer_io *d = (defer_io *)io;

    cr_assert_lt(d->n, 64);
    d->res[d->n] = d->real->ops->sync(d->real, fd);
    d->q[d->n++] = req;
}

static void defer_complete(defer_io *d, int i)
{
    sl_io_req *req = d->q[i];

    cr_assert(req, "completion %d already ran", i);
    d->q[i] = NULL;
    req->cb(req, d->res[i]);
}

static void defer_destroy(sl_io *io) { free(io); }

static defer_io *defer_new(sl_io *real)
{
    defer_io *d = calloc(1, sizeof *d);

    d->real = real;
    d->ops = *real->ops;
    d->ops.pwrite = defer_pwrite;
    d->ops.datasync = defer_datasync;
    d->ops.destroy = defer_destroy;
    d->io.ops = &d->ops;
    return d;
}

Test(log, watermark_follows_contiguous_completions)
{
    fixture f;
    defer_io *d;
    st_cbs rec = { 0 };
    st_cb_ud ud[4] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 }, { &rec, 3 } };
    uint8_t *b[4];
    size_t len[4];
    plog_slice s;

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    d = defer_new(f.io);
    f.cfg = st_small_config(1 << 20, 4096);
    cr_assert_eq(plog_env_new(&f.env, &d->io), SL_OK);
    fx_open(&f);
    for (int i = 0; i < 4; i++) {
        b[i] = st_batch(i + 1, 100, 10, i, &len[i]);
        cr_assert_eq(plog_append(f.log, b[i], len[i], i == 2, st_cb, &ud[i]), SL_OK);
    }
    cr_assert_eq(plog_end_offset(f.log), 10, "offsets reserved at append");
    cr_assert_eq(plog_high_watermark(f.log), 0);
    cr_assert_eq(plog_env_pending(f.env), 4);
    cr_assert_eq(plog_read(f.log, 0, 100, &s), SL_OK);
    cr_assert_eq(s.len, 0, "nothing visible below an incomplete write");

    defer_complete(d, 1);
    defer_complete(d, 3);
    cr_assert_eq(rec.n, 0, "acks wait for earlier writes");
    cr_assert_eq(plog_high_watermark(f.log), 0);
    defer_complete(d, 0);
    /* 0 and 1 acked in order; 2 is durable and waits; 3 is acked behind it. */
    cr_assert_eq(rec.n, 2);
    cr_assert_eq(rec.tag[0], 0);
    cr_assert_eq(rec.tag[1], 1);
    cr_assert_eq(plog_high_watermark(f.log), 3);
    cr_assert_eq(plog_env_flush(f.env), 0, "no durable waiter has completed");

    defer_complete(d, 2);
    cr_assert_eq(plog_high_watermark(f.log), 10);
    cr_assert_eq(rec.n, 3);
    cr_assert_eq(rec.tag[2], 3);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(plog_env_flush(f.env), 0, "one sync in flight per log");
    cr_assert_eq(rec.n, 3, "durable waits for the sync's completion");
    cr_assert_eq(plog_durable(f.log), 0);
    defer_complete(d, 4);
    cr_assert_eq(rec.n, 4);
    cr_assert_eq(rec.tag[3], 2);
    cr_assert_eq(rec.base[3], 3);
    cr_assert_eq(plog_durable(f.log), 10);
    cr_assert_eq(plog_env_pending(f.env), 0);
    fx_fini(&f);
    sl_io_free(&d->io);
    for (int i = 0; i < 4; i++)
        free(b[i]);
}

Test(log, sync_covers_only_completed_writes)
{
    fixture f;
    defer_io *d;
    st_cbs rec = { 0 };
    st_cb_ud ud[2] = { { &rec, 0 }, { &rec, 1 } };
    uint8_t *b[2];
    size_t len[2];

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    d = defer_new(f.io);
    f.cfg = st_small_config(1 << 20, 4096);
    cr_assert_eq(plog_env_new(&f.env, &d->io), SL_OK);
    fx_open(&f);
    for (int i = 0; i < 2; i++) {
        b[i] = st_batch(2, 100, 10, i, &len[i]);
        cr_assert_eq(plog_append(f.log, b[i], len[i], true, st_cb, &ud[i]), SL_OK);
    }
    defer_complete(d, 0);
    cr_assert_eq(plog_env_flush(f.env), 1);
    defer_complete(d, 1); /* the second write lands while the sync runs */
    defer_complete(d, 2); /* the sync: it was issued before write 1 completed */
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(rec.tag[0], 0);
    cr_assert_eq(plog_durable(f.log), 2);
    cr_assert_eq(plog_env_flush(f.env), 1, "a second round for the rest");
    defer_complete(d, 3);
    cr_assert_eq(rec.n, 2);
    cr_assert_eq(plog_durable(f.log), 4);
    fx_fini(&f);
    sl_io_free(&d->io);
    free(b[0]);
    free(b[1]);
}


Test(log, invalid_config)
{
    char *dir = st_tmpdir();
    sl_io *io = sl_io_sync_new();
    plog_env *env;
    plog *l = NULL;
    plog_config cfg = st_small_config(1 << 20, 4096);
    char err[256] = "";

    cr_assert_eq(plog_env_new(&env, io), SL_OK);
    cfg.index_max_bytes = 4;
    cr_assert_eq(plog_open(&l, env, dir, &cfg, err, sizeof err), SL_E_INVAL);
    cr_assert_neq(err[0], '\0', "errstr says why");
    plog_env_free(env);
    sl_io_free(io);
    st_rmdir(dir);
}

static char *read_rp(const char *dir)
{
    char *p = st_path(dir, "recovery-point");
    char *buf = calloc(1, 64);
    int fd = open(p, O_RDONLY);

    if (fd >= 0) {
        cr_assert_gt(read(fd, buf, 63), 0);
        close(fd);
    }
    free(p);
    return buf;
}

Test(log, rolled_segment_is_flushed_and_moves_the_recovery_point)
{
    fixture f;
    char *rp;

    fx_init(&f, st_small_config(400, 64));
    for (int i = 0; i < 4; i++) /* ~157-byte batches: two per segment */
        append_n(&f, 2, 1000, 40, NULL, NULL);
    rp = read_rp(f.dir);
    cr_assert_str_eq(rp, "0\n0\n", "written at creation, not moved before the sync");
    free(rp);
    cr_assert_eq(plog_env_flush(f.env), 1, "a roll asks for a sync without acks=all");
    rp = read_rp(f.dir);
    cr_assert_str_eq(rp, "0\n4\n");
    free(rp);
    cr_assert_eq(plog_durable(f.log), 8);
    cr_assert_eq(plog_env_flush(f.env), 0);
    cr_assert_eq(plog_env_pending(f.env), 0);
    fx_fini(&f);
}

Test(log, durable_round_spans_a_roll)
{
    fixture f;
    defer_io *d;
    st_cbs rec = { 0 };
    st_cb_ud ud[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
    uint8_t *b[3];
    size_t len[3];
    char *rp;

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    d = defer_new(f.io);
    f.cfg = st_small_config(400, 64);
    cr_assert_eq(plog_env_new(&f.env, &d->io), SL_OK);
    fx_open(&f);
    for (int i = 0; i < 3; i++) {
        b[i] = st_batch(2, 100, 40, i, &len[i]);
        cr_assert_eq(plog_append(f.log, b[i], len[i], true, st_cb, &ud[i]), SL_OK);
    }
    cr_assert_eq(d->n, 3, "three writes, the third in a new segment");
    cr_assert_eq(plog_env_flush(f.env), 0, "the rolled segment's writes are in flight");
    defer_complete(d, 0);
    defer_complete(d, 1);
    defer_complete(d, 2);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(d->n, 5, "one datasync per segment in the round");
    defer_complete(d, 3);
    cr_assert_eq(rec.n, 0, "the round is not complete");
    defer_complete(d, 4);
    cr_assert_eq(rec.n, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(rec.err[i], SL_OK);
        cr_assert_eq(rec.base[i], 2 * i);
    }
    cr_assert_eq(plog_durable(f.log), 6);
    rp = read_rp(f.dir);
    cr_assert_str_eq(rp, "0\n4\n");
    free(rp);
    fx_fini(&f);
    sl_io_free(&d->io);
    for (int i = 0; i < 3; i++)
        free(b[i]);
}

/* --- clock, timestamps, roll by time, flush policy ------------------------ */

static int64_t test_now;
static int64_t test_clock(void *ud)
{
    (void)ud;
    return test_now;
}

/* message.timestamp.type=LogAppendTime: the broker's clock becomes the
 * batch's max timestamp, the attribute bit is set and the CRC still
 * holds (Kafka's LogValidator). */
Test(log, log_append_time_stamps_the_batch)
{
    fixture f;
    plog_config cfg = st_small_config(1 << 20, 64);
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };
    plog_slice s;
    rec_batch h;
    uint8_t *b, *got;
    size_t len;
    int64_t off, ts;

    cfg.log_append_time = true;
    fx_init(&f, cfg);
    test_now = 1700000000123;
    plog_env_set_clock(f.env, test_clock, NULL);
    cr_assert_eq(plog_last_append_time(f.log), -1);
    b = st_batch(3, 1000, 10, 1, &len);
    cr_assert_eq(plog_append(f.log, b, len, false, st_cb, &ud), SL_OK);
    cr_assert_eq(plog_last_append_time(f.log), 1700000000123);
    cr_assert_eq(plog_read(f.log, 0, 1 << 20, &s), SL_OK);
    got = st_slice_bytes(&s);
    cr_assert_eq(rec_batch_validate(got, len, &h), SL_OK, "CRC recomputed");
    cr_assert(h.attributes & REC_ATTR_LOG_APPEND_TIME);
    cr_assert_eq(h.max_timestamp, 1700000000123);
    cr_assert_eq(h.base_timestamp, 1000, "the records are left as they came");
    /* Every record's time is the batch's: the base offset answers. */
    cr_assert_eq(plog_offset_for_time(f.log, 1700000000000, &off, &ts), SL_OK);
    cr_assert_eq(off, 0);
    cr_assert_eq(ts, 1700000000123);
    cr_assert_eq(plog_offset_for_time(f.log, 1700000000124, &off, &ts), SL_OK);
    cr_assert_eq(off, -1);
    free(got);
    free(b);
    /* CreateTime again (AlterConfigs): the producer's time stays. */
    cfg.log_append_time = false;
    cr_assert_eq(plog_set_config(f.log, &cfg), SL_OK);
    b = st_batch(1, 5000, 10, 2, &len);
    cr_assert_eq(plog_append(f.log, b, len, false, st_cb, &ud), SL_OK);
    cr_assert_eq(plog_read(f.log, 3, 1, &s), SL_OK);
    got = st_slice_bytes(&s);
    cr_assert_eq(rec_batch_validate(got, len, &h), SL_OK);
    cr_assert_not(h.attributes & REC_ATTR_LOG_APPEND_TIME);
    cr_assert_eq(h.max_timestamp, 5000);
    free(got);
    free(b);
    fx_fini(&f);
}

/* segment.ms: a segment whose first batch is older rolls at the next
 * append; an empty one never does. */
Test(log, roll_by_segment_ms)
{
    fixture f;
    plog_config cfg = st_small_config(1 << 20, 64);

    cfg.segment_ms = 1000;
    test_now = 50000;
    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    f.cfg = cfg;
    cr_assert_eq(plog_env_new(&f.env, f.io), SL_OK);
    plog_env_set_clock(f.env, test_clock, NULL);
    fx_open(&f);
    test_now = 60000; /* an empty segment does not age */
    append_n(&f, 1, 1, 10, NULL, NULL);
    test_now = 60500;
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(f.log->nseg, 1);
    test_now = 61000;
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(f.log->nseg, 1, "1000 ms is not older than segment.ms");
    test_now = 61001;
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(f.log->nseg, 2, "rolled");
    cr_assert_eq(f.log->segs[1]->base, 3);
    cr_assert_eq(f.log->segs[1]->first_append_ms, 61001);
    /* After a reopen the active segment's age counts from the open. */
    test_now = 70000;
    fx_reopen(&f);
    test_now = 70500;
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(f.log->nseg, 2);
    test_now = 71001;
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(f.log->nseg, 3);
    fx_fini(&f);
}

/* flush.messages: a sync round once that many offsets are written but
 * unsynced, without any acks=all producer. */
Test(log, flush_messages_policy)
{
    fixture f;
    plog_config cfg = st_small_config(1 << 20, 64);

    cfg.flush_messages = 5;
    fx_init(&f, cfg);
    append_n(&f, 2, 1, 10, NULL, NULL);
    cr_assert_eq(plog_env_flush(f.env), 0);
    append_n(&f, 2, 1, 10, NULL, NULL);
    cr_assert_eq(plog_env_flush(f.env), 0, "4 unsynced");
    cr_assert_eq(plog_durable(f.log), 0);
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(plog_env_flush(f.env), 1, "5 unsynced: a round");
    cr_assert_eq(plog_durable(f.log), 5);
    cr_assert_eq(plog_env_flush(f.env), 0);
    append_n(&f, 7, 1, 10, NULL, NULL);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(plog_durable(f.log), 12);
    fx_fini(&f);
}

/* flush.ms: written data is synced once flush.ms passed since the last
 * round; plog_env_flush_wait_ms says when. */
Test(log, flush_ms_policy)
{
    fixture f;
    plog_config cfg = st_small_config(1 << 20, 64);

    cfg.flush_ms = 100;
    test_now = 1000;
    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    f.cfg = cfg;
    cr_assert_eq(plog_env_new(&f.env, f.io), SL_OK);
    plog_env_set_clock(f.env, test_clock, NULL);
    fx_open(&f);
    cr_assert_eq(plog_env_flush_wait_ms(f.env), -1, "nothing unsynced");
    test_now = 1040;
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(plog_env_flush_wait_ms(f.env), 60);
    cr_assert_eq(plog_env_flush(f.env), 0);
    cr_assert_eq(plog_durable(f.log), 0);
    test_now = 1100;
    cr_assert_eq(plog_env_flush_wait_ms(f.env), 0);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(plog_durable(f.log), 1);
    cr_assert_eq(plog_env_flush_wait_ms(f.env), -1);
    test_now = 1150;
    append_n(&f, 1, 1, 10, NULL, NULL);
    cr_assert_eq(plog_env_flush_wait_ms(f.env), 50, "100 ms after the last round");
    cr_assert_eq(plog_env_flush(f.env), 0);
    /* A policy set later takes effect at once. */
    cfg.flush_ms = -1;
    cfg.flush_messages = 1;
    cr_assert_eq(plog_set_config(f.log, &cfg), SL_OK);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(plog_durable(f.log), 2);
    fx_fini(&f);
}

Test(log, set_config_validates)
{
    fixture f;
    plog_config cfg = st_small_config(1 << 20, 64), bad;

    fx_init(&f, cfg);
    bad = cfg;
    bad.retention_ms = -2;
    cr_assert_eq(plog_set_config(f.log, &bad), SL_E_INVAL);
    bad = cfg;
    bad.flush_messages = 0;
    cr_assert_eq(plog_set_config(f.log, &bad), SL_E_INVAL);
    bad = cfg;
    bad.segment_ms = 0;
    cr_assert_eq(plog_set_config(f.log, &bad), SL_E_INVAL);
    bad = cfg;
    bad.index_max_bytes = 23;
    cr_assert_eq(plog_set_config(f.log, &bad), SL_E_INVAL);
    cr_assert_eq(plog_get_config(f.log)->index_max_bytes, cfg.index_max_bytes, "unchanged");
    bad = cfg;
    bad.retention_bytes = 1000;
    cr_assert_eq(plog_set_config(f.log, &bad), SL_OK);
    cr_assert_eq(plog_get_config(f.log)->retention_bytes, 1000);
    fx_fini(&f);
}

/* Sum of the sizes of the .log files in dir. */
static int64_t log_files_bytes(const char *dir, int *nfiles)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int64_t n = 0;

    cr_assert(d);
    *nfiles = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char *p;

        if (len < 4 || strcmp(e->d_name + len - 4, ".log") != 0)
            continue;
        p = st_path(dir, e->d_name);
        n += st_file_size(p);
        (*nfiles)++;
        free(p);
    }
    closedir(d);
    return n;
}

/* plog_size_bytes (DescribeLogDirs' partition_size): the bytes of every
 * segment, over rolls and a reopen. */
Test(log, size_bytes_is_the_sum_of_the_segments)
{
    fixture f;
    int64_t total = 0;
    int nfiles;

    fx_init(&f, st_small_config(4096, 1024));
    cr_assert_eq(plog_size_bytes(f.log), 0);
    for (int i = 0; i < 20; i++) {
        uint8_t *b;
        size_t len;

        append_n(&f, 2, 1000 + i, 300, &b, &len);
        total += (int64_t)len;
        free(b);
        cr_assert_eq(plog_size_bytes(f.log), total);
    }
    cr_assert_eq(log_files_bytes(f.dir, &nfiles), total);
    cr_assert_gt(nfiles, 2, "segments: %d", nfiles);
    fx_reopen(&f);
    cr_assert_eq(plog_size_bytes(f.log), total);
    fx_fini(&f);
}
