/*
 * test_crash.c - the partition log against thousands of random crashes.
 *
 * One partition over sim_io (sim_io.h).  Each cycle opens the log (with a
 * random small configuration: tiny segments and indexes so rolls happen
 * all the time, retention by bytes, LogAppendTime, flush policies), runs a
 * random workload (appends with durable true or false, completions in
 * random order, group-commit flushes, reads, ListOffsets by time,
 * retention, DeleteRecords, clean closes, after which the next open
 * trusts the clean-shutdown file and reads no data; one life in four on a
 * disk that refuses a share of writes and index reservations for space,
 * the failed log brought back by plog_revive once its back-off passed,
 * nothing past its cut acknowledged) until the simulated machine
 * crashes at a random I/O operation, possibly inside recovery itself,
 * tears the log down, writes the crash image and reopens.  Then:
 *   - every batch acknowledged with durable=true, and every offset below
 *     the durable watermark at the crash, is still there (unless below
 *     the log start retention or DeleteRecords may have reached);
 *   - every batch read back passes its CRC and is byte for byte the batch
 *     appended at that offset; offsets are contiguous from the log start
 *     to the end, and the end falls between two batches;
 *   - the log start is at least the last acknowledged DeleteRecords
 *     offset (or the end) and at most what retention could have reached;
 *   - offset-for-time answers match a brute force over what is there.
 * Reads during the workload are checked the same way.
 *
 * SLUICE_CRASH_SEED=<n> reproduces a run (the seed is printed first and
 * on failure); SLUICE_CRASH_CYCLES=<n> sets the number of crashes (default
 * 2500); SLUICE_CRASH_VERBOSE=1 keeps storage's log lines and prints each
 * open; SLUICE_CRASH_DIR=<dir> puts the files there (default /dev/shm,
 * else /tmp); SLUICE_TEST_KEEP=1 keeps them.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "protocol/records.h"
#include "sim_io.h"
#include "storage/storage.h"

/* --- failure reporting ------------------------------------------------------- */

static uint64_t g_seed;
static long g_cycle, g_step;
static char *g_top;

static void fail(int line, const char *cond, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "\nFAIL test_crash.c:%d: %s\n  ", line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  seed %" PRIu64 ", cycle %ld, step %ld\n"
            "  reproduce: SLUICE_CRASH_SEED=%" PRIu64 " SLUICE_CRASH_CYCLES=%ld "
            "SLUICE_CRASH_VERBOSE=1 %s\n  (files kept in %s)\n",
            g_seed, g_cycle, g_step, g_seed, g_cycle + 1, "test_crash", g_top ? g_top : "?");
    exit(1);
}

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond))                                    \
            fail(__LINE__, #cond, __VA_ARGS__);         \
    } while (0)

/* --- what was appended ---------------------------------------------------------- */

typedef struct batch {
    int64_t base, last;
    uint64_t hash;      /* of the bytes as written (offsets assigned) */
    size_t len;
    uint8_t *buf;       /* until the callback */
    int64_t base_ts, max_ts;
    int32_t nrec, step; /* record i has base_ts + i * step (CreateTime) */
    bool lat;           /* LogAppendTime: every record has max_ts */
    bool durable, acked, done;
} batch;

typedef struct world {
    sim_io *sim;
    sl_io *io;
    plog_env *env;
    plog *log;
    char *dir;
    plog_config cfg;
    int64_t clock;
    batch *b;           /* in offset order: one life after another, the
                           batches a crash lost pruned at each reopen */
    size_t nb, capb;
    long inflight;
    int64_t ls_min;     /* the last DeleteRecords acknowledged */
    int64_t ls_max;     /* the furthest the log start may have reached */
    int64_t must_end;   /* offsets below must survive the crash */
    /* summary */
    long appends, acked_durable, acked_plain, lost_plain, opens, crashes_in_open, reads,
        time_queries, deleted_segments, clean_closes, clean_opens, bytes_checked, nospc_fails,
        revives;
} world;

static world W;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static uint64_t rnd(uint64_t n) { return sim_below(W.sim, n); }

static int64_t fake_clock(void *ud)
{
    (void)ud;
    return W.clock;
}

static void on_ack(void *ud, sl_err err, int64_t base)
{
    batch *bt = &W.b[(uintptr_t)ud - 1];

    CHECK(!bt->done, "batch at %" PRId64 ": a second callback", bt->base);
    bt->done = true;
    free(bt->buf);
    bt->buf = NULL;
    W.inflight--;
    if (err == SL_OK) {
        CHECK(base == bt->base, "acked base %" PRId64 ", assigned %" PRId64, base, bt->base);
        bt->acked = true;
        if (bt->durable)
            W.acked_durable++;
        else
            W.acked_plain++;
    } else {
        CHECK(sim_crashed(W.sim) || err == SL_E_NOSPC, "append at %" PRId64 " failed without "
              "a crash or a full disk: %s", bt->base, sl_err_str(err));
        W.nospc_fails += err == SL_E_NOSPC;
    }
}

/* The batch whose base is `base`, or NULL. */
static batch *find_base(int64_t base)
{
    size_t lo = 0, hi = W.nb;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (W.b[mid].base < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < W.nb && W.b[lo].base == base ? &W.b[lo] : NULL;
}

/* The batch that holds offset o, or NULL. */
static batch *find_offset(int64_t o)
{
    size_t lo = 0, hi = W.nb;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (W.b[mid].last < o)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < W.nb && W.b[lo].base <= o ? &W.b[lo] : NULL;
}

/* --- workload ---------------------------------------------------------------- */

static void check_range(int64_t off, int64_t end, bool whole);

/* A log failed by the full disk takes writes again once its back-off
 * passed: everything it cut (past hwm) was never acknowledged, and the
 * rest reads back whole. */
static bool revive(void)
{
    int64_t end;
    size_t keep = W.nb;

    if (plog_revive(W.log) != SL_OK)
        return false;
    end = plog_end_offset(W.log);
    CHECK(plog_high_watermark(W.log) == end && plog_durable(W.log) == end,
          "after revive hwm %" PRId64 ", durable %" PRId64 ", end %" PRId64,
          plog_high_watermark(W.log), plog_durable(W.log), end);
    while (keep > 0 && W.b[keep - 1].base >= end) {
        batch *bt = &W.b[keep - 1];

        CHECK(bt->done && !bt->acked, "batch [%" PRId64 ", %" PRId64 "] past the cut at %"
              PRId64 " was acknowledged or is in flight", bt->base, bt->last, end);
        keep--;
    }
    CHECK(keep == 0 ? end == 0 : W.b[keep - 1].last + 1 == end,
          "revive cut at %" PRId64 ", not a batch boundary", end);
    W.nb = keep;
    W.revives++;
    check_range(plog_log_start(W.log), end, true);
    return true;
}

static void do_append(void)
{
    int n = 1 + (int)rnd(5);
    int32_t step = (int32_t)rnd(4);
    int64_t ts = W.clock - 5000 + (int64_t)rnd(10000);
    size_t vsize = (size_t)rnd(300), len;
    rec_builder *rb = rec_builder_new(ts);
    char val[300];
    uint8_t *buf;
    rec_batch h;
    batch *bt;
    sl_err e;
    bool durable = rnd(2);

    if (plog_state(W.log) != SL_OK && !revive()) {
        rec_builder_free(rb);
        return;
    }
    for (size_t k = 0; k < vsize; k++)
        val[k] = (char)('a' + (W.appends + k) % 26);
    for (int i = 0; i < n; i++)
        CHECK(rec_builder_add(rb, ts + i * step, SL_BYTES_NULL, sl_bytes_make(val, vsize),
                              NULL, 0) == SL_OK, "build");
    buf = rec_builder_finish(rb, &len);
    rec_builder_free(rb);
    CHECK(buf, "build");
    if (W.nb == W.capb) {
        W.capb = W.capb ? W.capb * 2 : 1024;
        W.b = realloc(W.b, W.capb * sizeof *W.b);
        CHECK(W.b, "oom");
    }
    bt = &W.b[W.nb];
    memset(bt, 0, sizeof *bt);
    bt->buf = buf;
    bt->len = len;
    bt->durable = durable;
    bt->base_ts = ts;
    bt->nrec = n;
    bt->step = step;
    bt->lat = W.cfg.log_append_time;
    bt->base = plog_end_offset(W.log);
    bt->last = bt->base + n - 1;
    W.nb++;
    W.inflight++;
    e = plog_append(W.log, buf, len, durable, on_ack, (void *)(uintptr_t)W.nb);
    if (e != SL_OK) {
        CHECK(sim_crashed(W.sim), "append refused without a crash: %s", sl_err_str(e));
        /* A roll that crashed: nothing was reserved. */
        W.inflight--;
        W.nb--;
        free(buf);
        return;
    }
    bt = &W.b[W.nb - 1];
    W.appends++;
    if (bt->done) {
        /* Completed inside plog_append: only as a crash failure. */
        CHECK(!bt->acked, "acked inside plog_append");
        return;
    }
    CHECK(rec_batch_peek(buf, len, &h) == SL_OK, "peek");
    CHECK(h.base_offset == bt->base, "assigned %" PRId64 ", expected %" PRId64, h.base_offset,
          bt->base);
    bt->hash = fnv(buf, len);
    bt->max_ts = h.max_timestamp;
}

/* Check the batches of [off, end) read through plog_read, a slice at a time. */
static void check_range(int64_t off, int64_t end, bool whole)
{
    int64_t expect = -1;

    while (off < end) {
        plog_slice sl;
        uint8_t *buf;
        size_t p = 0;
        sl_err e = plog_read(W.log, off, 1 + (int64_t)rnd(8192), &sl);

        CHECK(e == SL_OK, "read at %" PRId64 " (end %" PRId64 "): %s", off, end, sl_err_str(e));
        CHECK(sl.len > 0, "empty read at %" PRId64 " below %" PRId64, off, end);
        buf = malloc((size_t)sl.len);
        CHECK(buf && pread(sl.fd, buf, (size_t)sl.len, sl.pos) == sl.len, "pread slice");
        close(sl.fd);
        while (p < (size_t)sl.len) {
            rec_batch h;
            batch *bt;

            e = rec_batch_validate(buf + p, (size_t)sl.len - p, &h);
            CHECK(e == SL_OK, "corrupt batch returned at offset %" PRId64 ": %s", off,
                  sl_err_str(e));
            if (expect < 0)
                CHECK(h.base_offset <= off && off <= h.base_offset + h.last_offset_delta,
                      "read at %" PRId64 " returned [%" PRId64 ", ...]", off, h.base_offset);
            else
                CHECK(h.base_offset == expect, "offsets not contiguous: %" PRId64 " after %"
                      PRId64, h.base_offset, expect - 1);
            bt = find_base(h.base_offset);
            CHECK(bt, "a batch at %" PRId64 " that was never appended there", h.base_offset);
            CHECK(bt->len == rec_batch_size(&h) && bt->hash == fnv(buf + p, bt->len),
                  "batch at %" PRId64 " differs from the one appended", h.base_offset);
            expect = h.base_offset + h.last_offset_delta + 1;
            p += rec_batch_size(&h);
            W.bytes_checked += (long)rec_batch_size(&h);
        }
        free(buf);
        off = expect;
        if (!whole)
            break;
    }
    if (whole)
        CHECK(off == end, "walk ended at %" PRId64 ", end %" PRId64, off, end);
}

/* ListOffsets by time against a brute force over [log start, hwm). */
static void check_time(int64_t ts)
{
    int64_t ls = plog_log_start(W.log), hwm = plog_high_watermark(W.log), off, got_ts;
    int64_t want = -1, want_ts = -1;
    batch *bt = find_offset(ls);
    sl_err e;

    for (size_t i = bt ? (size_t)(bt - W.b) : W.nb; i < W.nb && W.b[i].base < hwm; i++) {
        batch *x = &W.b[i];

        if (x->max_ts < ts)
            continue;
        if (x->lat) {
            want = x->base;
            want_ts = x->max_ts;
        } else {
            int64_t k = x->step ? (ts - x->base_ts + x->step - 1) / x->step : 0;

            if (ts <= x->base_ts || k < 0)
                k = 0;
            want = x->base + k;
            want_ts = x->base_ts + k * x->step;
        }
        if (want < ls)
            want = ls;
        break;
    }
    e = plog_offset_for_time(W.log, ts, &off, &got_ts);
    CHECK(e == SL_OK, "offset_for_time: %s", sl_err_str(e));
    CHECK(off == want && (want < 0 || got_ts == want_ts),
          "offset_for_time(%" PRId64 "): %" PRId64 " (ts %" PRId64 "), want %" PRId64
          " (ts %" PRId64 ")", ts, off, got_ts, want, want_ts);
    W.time_queries++;
}

static void do_read(void)
{
    int64_t ls = plog_log_start(W.log), hwm = plog_high_watermark(W.log);

    if (hwm > ls)
        check_range(ls + (int64_t)rnd((uint64_t)(hwm - ls)), hwm, rnd(4) == 0);
    W.reads++;
}

static void do_delete_records(void)
{
    int64_t ls = plog_log_start(W.log), hwm = plog_high_watermark(W.log), low;
    /* A third of the time everything: the next retention run then rolls
     * and deletes the active segment too. */
    int64_t to = rnd(3) == 0 ? hwm : ls + (int64_t)rnd((uint64_t)(hwm - ls + 1));
    sl_err e;

    if (plog_state(W.log) != SL_OK)
        return; /* failed by the full disk */
    if (to > W.ls_max)
        W.ls_max = to;
    e = plog_delete_records(W.log, to, &low);
    if (sim_crashed(W.sim))
        return;
    CHECK(e == SL_OK, "delete_records(%" PRId64 "): %s", to, sl_err_str(e));
    CHECK(low == (to > ls ? to : ls), "low watermark %" PRId64 " after deleting to %" PRId64,
          low, to);
    CHECK(plog_log_start(W.log) == low, "log start %" PRId64 ", low watermark %" PRId64,
          plog_log_start(W.log), low);
    /* Persisted only when it moved the start (a start that retention
     * reached may come back after a power loss). */
    if (to > ls && to > W.ls_min)
        W.ls_min = to;
}

static void do_retention(void)
{
    int64_t before;
    bool failed;
    int n;

    /* Whatever it deletes is below the end of what is written (a log
     * failed by the full disk gives back old segments too). */
    if (plog_high_watermark(W.log) > W.ls_max)
        W.ls_max = plog_high_watermark(W.log);
    failed = plog_state(W.log) != SL_OK;
    before = plog_log_start(W.log);
    n = plog_retention_run(W.log, W.clock);
    if (sim_crashed(W.sim))
        return;
    if (failed) {
        CHECK(n == SL_E_FATAL, "retention of a failed log: %d", n);
        W.deleted_segments += plog_log_start(W.log) > before;
        return;
    }
    CHECK(n >= 0, "retention: %s", sl_err_str((sl_err)n));
    W.deleted_segments += n;
}

/* The clean shutdown file a clean close leaves (storage/recover.c). */
static bool clean_mark_exists(void)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof path, "%s/clean-shutdown", W.dir);
    return stat(path, &st) == 0;
}

/* Drain everything and close cleanly; true if no crash interrupted it. */
static bool clean_close(void)
{
    int guard = 0;
    int64_t end;

    while (plog_env_pending(W.env) > 0 && !sim_crashed(W.sim)) {
        plog_env_flush(W.env);
        sim_run(W.sim, 64);
        CHECK(++guard < 100000, "pending never drains (%u)", plog_env_pending(W.env));
    }
    if (sim_crashed(W.sim) || plog_state(W.log) != SL_OK)
        return false; /* a failed log has no clean close */
    end = plog_end_offset(W.log);
    W.must_end = plog_durable(W.log);
    plog_close(W.log);
    W.log = NULL;
    if (sim_crashed(W.sim))
        return false;
    /* A clean close syncs everything: every acknowledged batch stays. */
    W.must_end = end;
    W.clean_closes++;
    CHECK(clean_mark_exists(), "a clean close left no clean-shutdown file");
    return true;
}

static void random_config(plog_config *c)
{
    static const int64_t segs[] = { 300, 700, 1500, 4096 };
    static const int32_t idx[] = { 24, 48, 96, 1024 };
    static const int64_t ret[] = { -1, -1, 0, 6000, 20000 };

    plog_config_default(c);
    c->segment_bytes = segs[rnd(4)];
    c->index_interval_bytes = (int32_t)rnd(600);
    c->index_max_bytes = idx[rnd(4)];
    c->retention_bytes = ret[rnd(5)];
    c->retention_ms = rnd(3) == 0 ? 20000 : -1;
    c->segment_ms = rnd(4) == 0 ? 3000 : -1;
    c->flush_messages = rnd(3) == 0 ? 1 + (int64_t)rnd(20) : INT64_MAX;
    c->flush_ms = rnd(3) == 0 ? (int64_t)rnd(200) : -1;
    c->log_append_time = rnd(4) == 0;
}

/* --- one life: open, verify, run until the crash ----------------------------- */

static bool open_log(void)
{
    char err[256] = "";
    bool marked;
    sl_err e;

    random_config(&W.cfg);
    if (rnd(4) == 0) /* crash inside recovery */
        sim_crash_after(W.sim, 1 + (long)rnd(20));
    marked = clean_mark_exists();
    e = plog_open(&W.log, W.env, W.dir, &W.cfg, err, sizeof err);
    if (sim_crashed(W.sim)) {
        if (e == SL_OK)
            plog_close(W.log);
        W.log = NULL;
        W.crashes_in_open++;
        return false;
    }
    CHECK(e == SL_OK, "open after a crash: %s", err);
    /* Only the open right after a clean close may trust the file (a crash
     * inside open may bring it back while its removal is not synced). */
    CHECK(!clean_mark_exists(), "the clean-shutdown file survived open");
    W.opens++;
    W.clean_opens += marked;
    if (getenv("SLUICE_CRASH_VERBOSE"))
        fprintf(stderr, "cycle %ld: opened: log start %" PRId64 ", end %" PRId64
                " (segment.bytes %" PRId64 ", segment.index.bytes %d, retention.bytes %"
                PRId64 ")\n", g_cycle, plog_log_start(W.log), plog_end_offset(W.log),
                W.cfg.segment_bytes, W.cfg.index_max_bytes, W.cfg.retention_bytes);
    return true;
}

static void verify_recovered(void)
{
    int64_t end = plog_end_offset(W.log), ls = plog_log_start(W.log);
    size_t keep = W.nb;

    CHECK(plog_high_watermark(W.log) == end && plog_durable(W.log) == end,
          "after open hwm %" PRId64 ", durable %" PRId64 ", end %" PRId64,
          plog_high_watermark(W.log), plog_durable(W.log), end);
    CHECK(plog_state(W.log) == SL_OK, "a fresh log is failed");
    CHECK(end >= W.must_end, "offsets below %" PRId64 " were synced, the log ends "
          "at %" PRId64, W.must_end, end);
    while (keep > 0 && W.b[keep - 1].base >= end) {
        batch *bt = &W.b[keep - 1];

        CHECK(!(bt->durable && bt->acked && bt->last >= ls),
              "batch [%" PRId64 ", %" PRId64 "] acknowledged durable is gone (end %" PRId64 ")",
              bt->base, bt->last, end);
        W.lost_plain += bt->acked;
        keep--;
    }
    CHECK(keep == 0 ? end == 0 : W.b[keep - 1].last + 1 == end,
          "the end %" PRId64 " is not a batch boundary (last batch [%" PRId64 ", %" PRId64 "])",
          end, keep ? W.b[keep - 1].base : -1, keep ? W.b[keep - 1].last : -1);
    W.nb = keep;
    if (W.ls_min > end)
        W.ls_min = end; /* the file is clamped to the end (and rewritten) */
    CHECK(ls >= W.ls_min, "log start %" PRId64 " is below the acknowledged DeleteRecords %"
          PRId64, ls, W.ls_min);
    CHECK(ls <= W.ls_max || ls == 0, "log start %" PRId64 " beyond anything deleted (%" PRId64
          "), end %" PRId64, ls, W.ls_max, end);
    if (W.ls_max > end)
        W.ls_max = end;
    check_range(ls, end, true);
    check_time(W.clock - 6000 + (int64_t)rnd(12000));
    W.must_end = 0;
}

static void life(void)
{
    long steps = 0;

    sim_crash_after(W.sim, 1 + (long)rnd(rnd(8) == 0 ? 3000 : 300));
    /* One life in four on a disk that is full now and then. */
    sim_set_nospc(W.sim, rnd(4) == 0 ? 1 + (unsigned)rnd(8) : 0);
    for (g_step = 0; !sim_crashed(W.sim); g_step++) {
        uint64_t r = rnd(100);

        if (++steps > 20000) {
            sim_crash(W.sim);
            break;
        }
        if (r < 40) {
            if (W.inflight < 48)
                do_append();
            else
                sim_run(W.sim, 8);
        } else if (r < 62) {
            sim_run(W.sim, 1 + (int)rnd(6));
        } else if (r < 72) {
            plog_env_flush(W.env);
        } else if (r < 76) {
            do_read();
        } else if (r < 78) {
            check_time(W.clock - 6000 + (int64_t)rnd(12000));
        } else if (r < 80) {
            do_retention();
        } else if (r < 81) {
            do_delete_records();
        } else if (r < 86) {
            W.clock += (int64_t)rnd(500);
        } else if (r < 87) {
            if (clean_close()) {
                sim_reboot(W.sim);
                return; /* the caller reopens and verifies */
            }
        } else if (r < 90) {
            sim_run(W.sim, 1000);
        }
    }
    /* The durable watermark at the crash: those offsets were synced. */
    if (W.log) {
        W.must_end = plog_durable(W.log);
        if (plog_log_start(W.log) > W.ls_max)
            W.ls_max = plog_log_start(W.log);
        plog_close(W.log); /* every operation fails now */
        W.log = NULL;
    }
    sim_reboot(W.sim);
}

int main(void)
{
    const char *seed_env = getenv("SLUICE_CRASH_SEED"), *cyc_env = getenv("SLUICE_CRASH_CYCLES");
    long cycles = cyc_env ? atol(cyc_env) : 2500;
    char tmpl[256];
    const char *base = getenv("SLUICE_CRASH_DIR");
    struct timespec t0, t1;
    sim_stats st;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    g_seed = seed_env ? strtoull(seed_env, NULL, 0)
                      : ((uint64_t)t0.tv_nsec << 20) ^ (uint64_t)t0.tv_sec ^ (uint64_t)getpid();
    printf("test_crash: seed %" PRIu64 " (SLUICE_CRASH_SEED), %ld cycles\n", g_seed, cycles);
    fflush(stdout);
    if (!getenv("SLUICE_CRASH_VERBOSE"))
        sl_log_set_level((sl_log_level)(SL_LOG_ERROR + 1));
    /* tmpfs when there is one: the test creates and deletes files by the
     * ten thousand, which ext4's inode allocator makes slow. */
    if (!base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tmpl, sizeof tmpl, "%s/sl-crash-XXXXXX", base);
    g_top = mkdtemp(tmpl);
    CHECK(g_top, "mkdtemp");
    CHECK(asprintf(&W.dir, "%s/t-0", g_top) > 0 && mkdir(W.dir, 0755) == 0, "mkdir");
    W.sim = sim_new(W.dir, g_seed);
    W.io = sim_io_of(W.sim);
    W.clock = 1700000000000;
    CHECK(plog_env_new(&W.env, W.io) == SL_OK, "env");
    plog_env_set_clock(W.env, fake_clock, NULL);

    for (g_cycle = 0; g_cycle < cycles; g_cycle++) {
        g_step = -1;
        if (!open_log()) {
            sim_reboot(W.sim);
            continue;
        }
        verify_recovered();
        life();
        CHECK(plog_env_pending(W.env) == 0, "%u operations still pending after the crash",
              plog_env_pending(W.env));
        CHECK(W.inflight == 0, "%ld appends never called back", W.inflight);
    }
    /* A last open to verify the last crash. */
    while (!open_log())
        sim_reboot(W.sim);
    verify_recovered();
    plog_close(W.log);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    st = sim_get_stats(W.sim);
    printf("test_crash: %ld crashes (%ld inside recovery), %ld clean closes, %ld opens (%ld "
           "after a clean close); "
           "%ld appends, %ld acked durable, %ld acked without sync (%ld of them lost); "
           "%ld segments deleted by retention; %ld reads, %ld time queries, %ld bytes "
           "checked; unsynced writes kept %ld, dropped %ld, torn %ld, zeroed %ld; %ld "
           "mmapped pages lost, %ld directory operations lost; %ld writes refused for space "
           "(%ld appends failed), %ld logs revived; %.1f s\n",
           st.crashes, W.crashes_in_open, W.clean_closes, W.opens, W.clean_opens, W.appends, W.acked_durable,
           W.acked_plain, W.lost_plain, W.deleted_segments, W.reads, W.time_queries,
           W.bytes_checked, st.writes_kept, st.writes_dropped, st.writes_torn,
           st.writes_zeroed, st.pages_lost, st.dirops_lost, st.writes_nospc, W.nospc_fails,
           W.revives,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    plog_env_free(W.env);
    sim_free(W.sim);
    if (!getenv("SLUICE_TEST_KEEP")) {
        char cmd[256];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_top);
        CHECK(system(cmd) == 0, "cleanup");
    }
    free(W.b);
    free(W.dir);
    return 0;
}
