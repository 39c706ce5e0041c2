/*
 * test_producers.c - broker/producers.c over a real plog (sync io):
 * sequence rules, UNKNOWN_PRODUCER_ID, expiry by time and by log start,
 * and the snapshot (used when it matches the log, ignored when it does
 * not).
 */
#include "base/bytes.h"
#include "base/pool.h"
#include "base/ring.h"
#include "broker/producers.h"
#include "protocol/crc32c.h"
#include "tests/unit/storage/storage_test.h"

#define DAY (86400 * 1000LL)

typedef struct pfx {
    fixture f;
    producers *p;
} pfx;

static void pfx_open_producers(pfx *x)
{
    char err[256] = "";

    cr_assert_eq(producers_open(&x->p, x->f.dir, err, sizeof err), SL_OK, "%s", err);
}

static void pfx_init(pfx *x)
{
    fx_init(&x->f, st_small_config(4096, 256));
    pfx_open_producers(x);
}

static void pfx_fini(pfx *x)
{
    producers_close(x->p);
    fx_fini(&x->f);
}

/* An idempotent batch of n records; owned. */
static uint8_t *pbatch(int64_t pid, int16_t epoch, int32_t seq, int n, size_t *len)
{
    uint8_t *b = st_batch(n, 1000, 10, seq, len);

    sl_put_be64(b + 43, (uint64_t)pid);
    sl_put_be16(b + 51, (uint16_t)epoch);
    sl_put_be32(b + 53, (uint32_t)seq);
    sl_put_be32(b + 17, crc32c(0, b + 21, *len - 21));
    return b;
}

/* Check a batch, append it if new; returns producers_check's answer and
 * the base offset (new or original). */
static int produce(pfx *x, int64_t pid, int16_t epoch, int32_t seq, int n, int64_t now,
                   int64_t *base)
{
    static st_cbs rec;
    st_cb_ud ud = { &rec, 0 };
    size_t len;
    uint8_t *b = pbatch(pid, epoch, seq, n, &len);
    rec_batch h;
    int64_t dup_base = -1, dup_last = -1;
    int rc;

    rec_batch_peek(b, len, &h);
    rc = producers_check(x->p, x->f.log, &h, now, &dup_base, &dup_last);
    if (rc == PRODUCERS_APPEND) {
        int64_t at = plog_end_offset(x->f.log);

        cr_assert_eq(plog_append(x->f.log, b, len, false, st_cb, &ud), SL_OK);
        producers_appended(x->p, x->f.log, &h, at, now);
        *base = at;
    } else if (rc == PRODUCERS_DUPLICATE) {
        cr_assert_eq(dup_last - dup_base, n - 1);
        *base = dup_base;
    }
    free(b);
    return rc;
}

/* Close the producers (as a stop does, snapshot or not) and open them
 * again: the next check loads the partition's state. */
static void restart(pfx *x, bool snapshot)
{
    if (snapshot)
        producers_snapshot(x->p);
    producers_close(x->p);
    pfx_open_producers(x);
}

Test(producers, sequences_and_unknown_producer)
{
    pfx x;
    int64_t base = -1;

    pfx_init(&x);
    cr_assert_eq(produce(&x, 7, 0, 3, 1, 1, &base), SL_KE_UNKNOWN_PRODUCER_ID,
                 "a producer the partition does not know must start at 0");
    cr_assert_eq(produce(&x, 7, 0, 0, 2, 1, &base), PRODUCERS_APPEND);
    cr_assert_eq(base, 0);
    cr_assert_eq(produce(&x, 7, 0, 0, 2, 1, &base), PRODUCERS_DUPLICATE);
    cr_assert_eq(base, 0);
    cr_assert_eq(produce(&x, 7, 0, 3, 1, 1, &base), SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER);
    cr_assert_eq(produce(&x, 7, 0, 2, 1, 1, &base), PRODUCERS_APPEND);
    cr_assert_eq(base, 2);
    cr_assert_eq(produce(&x, 7, 1, 5, 1, 1, &base), SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER);
    cr_assert_eq(produce(&x, 7, 1, 0, 1, 1, &base), PRODUCERS_APPEND);
    cr_assert_eq(produce(&x, 7, 0, 3, 1, 1, &base), SL_KE_INVALID_PRODUCER_EPOCH);
    pfx_fini(&x);
}

Test(producers, expire_by_time)
{
    pfx x;
    int64_t base = -1;

    pfx_init(&x);
    cr_assert_eq(produce(&x, 1, 0, 0, 1, 1000, &base), PRODUCERS_APPEND);
    cr_assert_eq(produce(&x, 2, 0, 0, 1, 5000, &base), PRODUCERS_APPEND);
    cr_assert_eq(producers_expire(x.p, 1000 + DAY - 1, DAY), 0);
    cr_assert_eq(producers_expire(x.p, 1000 + DAY, DAY), 1, "producer 1 idle a day");
    cr_assert_eq(produce(&x, 1, 0, 1, 1, 1000 + DAY, &base), SL_KE_UNKNOWN_PRODUCER_ID);
    cr_assert_eq(produce(&x, 2, 0, 1, 1, 1000 + DAY, &base), PRODUCERS_APPEND);
    cr_assert_eq(produce(&x, 1, 0, 0, 1, 1000 + DAY, &base), PRODUCERS_APPEND,
                 "an expired producer may start again at 0");
    pfx_fini(&x);
}

Test(producers, expire_below_log_start)
{
    pfx x;
    int64_t base = -1, low = -1;

    pfx_init(&x);
    cr_assert_eq(produce(&x, 1, 0, 0, 2, 1, &base), PRODUCERS_APPEND);
    cr_assert_eq(produce(&x, 2, 0, 0, 2, 1, &base), PRODUCERS_APPEND);
    cr_assert_eq(plog_delete_records(x.f.log, 2, &low), SL_OK);
    cr_assert_eq(low, 2);
    cr_assert_eq(producers_expire(x.p, 2, DAY), 1, "producer 1's batches were deleted");
    cr_assert_eq(produce(&x, 1, 0, 2, 1, 2, &base), SL_KE_UNKNOWN_PRODUCER_ID);
    cr_assert_eq(produce(&x, 2, 0, 2, 1, 2, &base), PRODUCERS_APPEND);
    pfx_fini(&x);
}

/* The state after a restart is the same with or without a snapshot; the
 * snapshot shows itself by the append times it keeps (a state read from
 * the log counts its load as the last append). */
Test(producers, snapshot_used_when_it_matches)
{
    pfx x;
    int64_t base = -1;
    char *snap;

    pfx_init(&x);
    snap = st_path(x.f.dir, "producer.snapshot");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(produce(&x, 1, 0, i * 2, 2, 1000, &base), PRODUCERS_APPEND);
    cr_assert_eq(produce(&x, 2, 0, 0, 1, 1000, &base), PRODUCERS_APPEND);
    restart(&x, true);
    cr_assert(st_exists(snap));
    /* A batch after the snapshot: read from the log at the next load. */
    cr_assert_eq(produce(&x, 3, 0, 0, 3, 2 * DAY, &base), PRODUCERS_APPEND);
    cr_assert_eq(base, 9);
    restart(&x, false);
    cr_assert_eq(produce(&x, 1, 0, 6, 2, 2 * DAY, &base), PRODUCERS_DUPLICATE);
    cr_assert_eq(base, 6);
    cr_assert_eq(produce(&x, 1, 0, 2, 2, 2 * DAY, &base), PRODUCERS_DUPLICATE);
    cr_assert_eq(base, 2);
    cr_assert_eq(produce(&x, 3, 0, 0, 3, 2 * DAY, &base), PRODUCERS_DUPLICATE);
    cr_assert_eq(base, 9);
    cr_assert_eq(producers_expire(x.p, 2 * DAY, DAY), 2,
                 "producers 1 and 2 kept their append time through the snapshot");
    cr_assert_eq(produce(&x, 3, 0, 3, 1, 2 * DAY, &base), PRODUCERS_APPEND);

    /* Without a snapshot the log is read: same sequences, load time. */
    restart(&x, false);
    cr_assert_eq(unlink(snap), 0);
    cr_assert_eq(produce(&x, 1, 0, 6, 2, 3 * DAY, &base), PRODUCERS_DUPLICATE);
    cr_assert_eq(base, 6);
    cr_assert_eq(produce(&x, 3, 0, 4, 1, 3 * DAY, &base), PRODUCERS_APPEND);
    cr_assert_eq(producers_expire(x.p, 3 * DAY, DAY), 0);
    free(snap);
    pfx_fini(&x);
}

static void copy_file(const char *from, const char *to, int flip_at)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    uint8_t buf[65536];
    size_t n;

    cr_assert(in && out);
    n = fread(buf, 1, sizeof buf, in);
    cr_assert(n > 0 && n < sizeof buf);
    if (flip_at >= 0)
        buf[(size_t)flip_at % n] ^= 0x40;
    cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

/* A torn snapshot, or one of another log, is ignored: the log is read. */
Test(producers, snapshot_ignored_when_it_does_not_match)
{
    pfx x, y;
    int64_t base = -1;
    char *snap, *other;

    pfx_init(&x);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(produce(&x, 1, 0, i, 1, 1000, &base), PRODUCERS_APPEND);
    producers_snapshot(x.p);
    snap = st_path(x.f.dir, "producer.snapshot");
    cr_assert(st_exists(snap));

    /* Another log with other batches at the same offsets. */
    pfx_init(&y);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(produce(&y, 5, 0, i, 1, 1000, &base), PRODUCERS_APPEND);
    other = st_path(y.f.dir, "producer.snapshot");
    copy_file(snap, other, -1);
    restart(&y, false);
    cr_assert_eq(produce(&y, 1, 0, 3, 1, 2 * DAY, &base), SL_KE_UNKNOWN_PRODUCER_ID,
                 "producer 1 is not in this log");
    cr_assert_eq(produce(&y, 5, 0, 2, 1, 2 * DAY, &base), PRODUCERS_DUPLICATE);
    cr_assert_eq(producers_expire(y.p, 2 * DAY, DAY), 0, "state read from the log");

    /* The good snapshot is used by its own log... */
    restart(&x, false);
    cr_assert_eq(produce(&x, 1, 0, 2, 1, 2 * DAY, &base), PRODUCERS_DUPLICATE);
    cr_assert_eq(producers_expire(x.p, 2 * DAY, DAY), 1, "state from the snapshot");
    /* ...but not with a byte flipped anywhere. */
    for (int at = 0; at < 120; at += 7) {
        restart(&x, false);
        copy_file(other, snap, at);
        cr_assert_eq(produce(&x, 1, 0, 2, 1, 2 * DAY, &base), PRODUCERS_DUPLICATE);
        cr_assert_eq(base, 2);
        cr_assert_eq(producers_expire(x.p, 2 * DAY, DAY), 0, "byte %d: state from the log", at);
    }
    free(snap);
    free(other);
    pfx_fini(&y);
    pfx_fini(&x);
}

/* A load that must read many batch headers (no snapshot) runs on the
 * pool: until it is done the partition answers NOT_LEADER_OR_FOLLOWER (a
 * retriable error) and nothing is appended; then deduplication holds as
 * if it had been read on the spot.  Forgetting the partition meanwhile
 * waits for the worker. */
static void run_until_loaded(sl_ring *r, pfx *x, int64_t pid, int32_t seq, int n, int64_t *base,
                             int *rc)
{
    for (int i = 0; i < 2000; i++) {
        *rc = produce(x, pid, 0, seq, n, 1000, base);
        if (*rc != SL_KE_NOT_LEADER_OR_FOLLOWER)
            return;
        sl_ring_run(r, 10);
    }
}

Test(producers, load_on_the_pool)
{
    pfx x;
    sl_ring *r;
    sl_pool *pool;
    char err[256];
    int64_t base = -1, end;
    int rc;

    if (sl_ring_new(&r, 64, err, sizeof err) != SL_OK)
        cr_skip_test("io_uring not available: %s", err);
    cr_assert_eq(sl_pool_new(&pool, r, 2, err, sizeof err), SL_OK, "%s", err);
    pfx_init(&x);
    for (int i = 0; i < 60; i++)
        cr_assert_eq(produce(&x, 3, 0, i * 100, 100, 1000, &base), PRODUCERS_APPEND);
    end = plog_end_offset(x.f.log);
    cr_assert_eq(end, 6000);

    restart(&x, false);
    producers_set_pool(x.p, pool);
    cr_assert_eq(produce(&x, 3, 0, 5900, 100, 1000, &base), SL_KE_NOT_LEADER_OR_FOLLOWER,
                 "the first check starts the load and must not wait for it");
    cr_assert_eq(produce(&x, 3, 0, 6000, 1, 1000, &base), SL_KE_NOT_LEADER_OR_FOLLOWER);
    cr_assert_eq(plog_end_offset(x.f.log), end, "nothing appended while loading");
    producers_snapshot(x.p); /* skips the loading partition */
    cr_assert_eq(producers_expire(x.p, 1000, DAY), 0);
    run_until_loaded(r, &x, 3, 5900, 100, &base, &rc);
    cr_assert_eq(rc, PRODUCERS_DUPLICATE, "rc %d", rc);
    cr_assert_eq(base, 5900);
    cr_assert_eq(produce(&x, 3, 0, 6000, 1, 1000, &base), PRODUCERS_APPEND);

    /* Few headers to read (a snapshot): on the spot, no pool round trip. */
    restart(&x, true);
    producers_set_pool(x.p, pool);
    cr_assert_eq(produce(&x, 3, 0, 6000, 1, 1000, &base), PRODUCERS_DUPLICATE);

    /* Forgotten while loading: freed when the worker is done (ASan). */
    restart(&x, false);
    cr_assert_eq(plog_side_remove(x.f.log, "producer.snapshot"), SL_OK);
    producers_set_pool(x.p, pool);
    cr_assert_eq(produce(&x, 3, 0, 6001, 1, 1000, &base), SL_KE_NOT_LEADER_OR_FOLLOWER);
    producers_forget(x.p, x.f.log);
    while (sl_pool_pending(pool))
        sl_ring_run(r, 10);
    pfx_fini(&x);
    sl_ring_free(r);
    sl_pool_free(pool);
}
