/*
 * append.c - the storage append benchmark: a partition log alone (no
 * network, no protocol), over the broker's io_uring I/O, against plain
 * sequential writes to the same directory.
 *
 * For 100-byte and 1 KiB records in ~1 MB batches (built once, copied
 * into a pool of in-flight buffers), it measures:
 *   raw          write() of the same total in 1 MB chunks to one file,
 *                then one fdatasync: the directory's sequential speed;
 *   append       plog_append(durable=false) of every batch through
 *                io_uring, then plog_close (which syncs): the acks=1 path;
 *   group commit plog_append(durable=true): every batch is acknowledged
 *                only after an fdatasync covering it; the loop calls
 *                plog_env_flush before each wait, as the broker does, so
 *                the batches written meanwhile share one sync;
 *   raw+sync     write() + fdatasync per 1 MB chunk, for reference (what a
 *                sync per batch without group commit would cost).
 * MB/s (10^6 bytes) of batch bytes, CPU ms (user + system, getrusage of
 * the whole process, io_uring workers included) per MB, and each storage
 * figure as a ratio of raw.  Each kind runs --repeat times, interleaved
 * with the others after an untimed warm-up; the median run is reported
 * with the range.
 *
 *   sl_bench_append [--dir D] [--total BYTES] [--batch BYTES]
 *                   [--inflight N] [--records 100,1024] [--repeat N] [--io uring|sync]
 *
 * --inflight is how many batches may wait for their callback at once
 * (default 64: 64 MB, a few producers' worth of buffer.memory); group
 * commit needs some, since appends waiting for a sync hold their buffer.
 * Sizes take K/M/G suffixes.  D defaults to "." (a fresh subdirectory is
 * made and removed).  --io sync runs the log over plain syscalls instead
 * of io_uring.  Exit status 0 unless something failed; the targets are
 * printed, not enforced.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/ring.h"
#include "protocol/records.h"
#include "storage/storage.h"

typedef struct opts {
    const char *dir;
    bool sync_io; /* --io sync: plain syscalls instead of io_uring */
    int64_t total, batch;
    int inflight, repeat;
    int records[4];
    int nrecords;
} opts;

typedef struct result {
    double secs, cpu_ms;
    int64_t bytes;
    long syncs; /* fdatasyncs issued (storage runs) */
} result;

/* The io_uring sl_io with its datasyncs counted. */
typedef struct counting_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *inner;
    long syncs;
} counting_io;

static void count_datasync(sl_io *io, sl_io_req *req, int fd)
{
    counting_io *c = (counting_io *)io;

    c->syncs++;
    c->inner->ops->datasync(c->inner, req, fd);
}

/* The inner io finds its ring through req->io: hand it the inner one. */
static void pass_pwrite(sl_io *io, sl_io_req *req, int fd, const void *buf, size_t len,
                        off_t off)
{
    counting_io *c = (counting_io *)io;

    c->inner->ops->pwrite(c->inner, req, fd, buf, len, off);
}

static void pass_unlink_async(sl_io *io, sl_io_req *req, const char *path)
{
    counting_io *c = (counting_io *)io;

    c->inner->ops->unlink_async(c->inner, req, path);
}

static void pass_writeback(sl_io *io, int fd, off_t off, off_t len)
{
    counting_io *c = (counting_io *)io;

    c->inner->ops->writeback(c->inner, fd, off, len);
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "sl_bench_append: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_ms(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int64_t parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    switch (*end) {
    case 'k': case 'K': v *= 1024; break;
    case 'm': case 'M': v *= 1024 * 1024; break;
    case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
    case '\0': break;
    default: die("bad size", s);
    }
    return (int64_t)v;
}

/* One batch of about `bytes` bytes of records with `vsize`-byte values. */
static uint8_t *make_batch(int64_t bytes, int vsize, size_t *len)
{
    rec_builder *b = rec_builder_new(1700000000000);
    char *val = malloc((size_t)vsize);
    int64_t per = vsize + 8; /* value + a record's few header bytes */
    uint8_t *out;

    if (!b || !val)
        die("out of memory", NULL);
    for (int i = 0; i < vsize; i++)
        val[i] = (char)('a' + i % 26);
    for (int64_t n = 0; n < bytes / per; n++)
        if (rec_builder_add(b, 1700000000000 + n, SL_BYTES_NULL, sl_bytes_make(val, (size_t)vsize),
                            NULL, 0) != SL_OK)
            die("rec_builder_add", NULL);
    out = rec_builder_finish(b, len);
    rec_builder_free(b);
    free(val);
    if (!out)
        die("rec_builder_finish", NULL);
    return out;
}

/* --- raw sequential writes ---------------------------------------------- */

static result run_raw(const opts *o, const char *dir, size_t chunk, bool sync_each)
{
    char path[4096];
    uint8_t *buf = malloc(chunk);
    int64_t done = 0;
    double t0, c0;
    result r;
    int fd;

    if (!buf)
        die("out of memory", NULL);
    memset(buf, 'x', chunk);
    snprintf(path, sizeof path, "%s/raw.dat", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("open", strerror(errno));
    t0 = now_s();
    c0 = cpu_ms();
    while (done < o->total) {
        size_t off = 0;

        while (off < chunk) {
            ssize_t n = write(fd, buf + off, chunk - off);

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                die("write", strerror(errno));
            off += (size_t)n;
        }
        done += (int64_t)chunk;
        if (sync_each && fdatasync(fd) < 0)
            die("fdatasync", strerror(errno));
    }
    if (fdatasync(fd) < 0)
        die("fdatasync", strerror(errno));
    r.secs = now_s() - t0;
    r.cpu_ms = cpu_ms() - c0;
    r.bytes = done;
    r.syncs = sync_each ? (long)(done / (int64_t)chunk) + 1 : 1;
    close(fd);
    unlink(path);
    free(buf);
    return r;
}

/* --- the log --------------------------------------------------------------- */

typedef struct slot {
    uint8_t *buf;
    bool busy;
    struct bench *bn;
} slot;

typedef struct bench {
    int completed, failed;
    int free_slots;
} bench;

static void on_ack(void *ud, sl_err err, int64_t base)
{
    slot *s = ud;

    (void)base;
    s->busy = false;
    s->bn->free_slots++;
    s->bn->completed++;
    if (err != SL_OK)
        s->bn->failed++;
}

static void rm_tree(const char *dir)
{
    char cmd[4200];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

static result run_log(const opts *o, const char *dir, const uint8_t *tmpl, size_t len,
                      bool durable)
{
    char pdir[4096], err[256];
    sl_ring *ring;
    sl_io *io;
    counting_io cio;
    plog_env *env;
    plog *l;
    plog_config cfg;
    slot *slots = calloc((size_t)o->inflight, sizeof *slots);
    bench bn = { 0, 0, o->inflight };
    int nbatch = (int)((o->total + (int64_t)len - 1) / (int64_t)len), issued = 0;
    double t0, c0;
    result r;

    if (!slots)
        die("out of memory", NULL);
    ring = NULL;
    if (!o->sync_io && sl_ring_new(&ring, 4096, err, sizeof err) != SL_OK) {
        fprintf(stderr, "sl_bench_append: skipped: %s\n", err);
        exit(77); /* CTest SKIP_RETURN_CODE */
    }
    io = o->sync_io ? sl_io_sync_new() : sl_io_uring_new(ring);
    if (!io)
        die("out of memory", NULL);
    cio.inner = io;
    cio.ops = *io->ops;
    cio.ops.datasync = count_datasync;
    cio.ops.pwrite = pass_pwrite;
    cio.ops.unlink_async = pass_unlink_async;
    if (cio.ops.writeback)
        cio.ops.writeback = pass_writeback;
    cio.io.ops = &cio.ops;
    cio.syncs = 0;
    if (plog_env_new(&env, &cio.io) != SL_OK)
        die("out of memory", NULL);
    plog_config_default(&cfg); /* 1 GiB segments, as the broker's default */
    snprintf(pdir, sizeof pdir, "%s/bench-0", dir);
    if (plog_open(&l, env, pdir, &cfg, err, sizeof err) != SL_OK)
        die("plog_open", err);
    for (int i = 0; i < o->inflight; i++) {
        slots[i].buf = malloc(len);
        if (!slots[i].buf)
            die("out of memory", NULL);
        memcpy(slots[i].buf, tmpl, len);
        slots[i].bn = &bn;
    }
    t0 = now_s();
    c0 = cpu_ms();
    while (bn.completed < nbatch) {
        for (int i = 0; i < o->inflight && issued < nbatch; i++) {
            slot *s = &slots[i];

            if (s->busy)
                continue;
            s->busy = true;
            bn.free_slots--;
            issued++;
            if (plog_append(l, s->buf, len, durable, on_ack, s) != SL_OK)
                die("plog_append", NULL);
        }
        plog_env_flush(env); /* group commit, before sleeping */
        if (ring)
            sl_ring_run(ring, -1);
    }
    while (plog_env_pending(env) > 0) {
        plog_env_flush(env);
        if (ring)
            sl_ring_run(ring, -1);
    }
    plog_close(l); /* syncs what is not synced yet: the raw run's fdatasync */
    r.secs = now_s() - t0;
    r.cpu_ms = cpu_ms() - c0;
    r.bytes = (int64_t)nbatch * (int64_t)len;
    r.syncs = cio.syncs;
    if (bn.failed)
        die("appends failed", NULL);
    plog_env_free(env);
    sl_io_free(io);
    if (ring)
        sl_ring_free(ring);
    for (int i = 0; i < o->inflight; i++)
        free(slots[i].buf);
    free(slots);
    rm_tree(pdir);
    return r;
}

/* --- main ------------------------------------------------------------------ */

static double mbps(result r) { return (double)r.bytes / 1e6 / r.secs; }
static double cpu_per_mb(result r) { return r.cpu_ms / ((double)r.bytes / 1e6); }

#define MAX_REPEAT 32

static int cmp_secs(const void *a, const void *b)
{
    double x = ((const result *)a)->secs, y = ((const result *)b)->secs;

    return x < y ? -1 : x > y;
}

/* The median run of n (by time), and the fastest and slowest MB/s. */
static result median(result *v, int n, double *lo, double *hi)
{
    qsort(v, (size_t)n, sizeof *v, cmp_secs);
    *hi = mbps(v[0]);
    *lo = mbps(v[n - 1]);
    return v[n / 2];
}

static void print_row(const char *name, int vsize, result *v, int n, const result *raw)
{
    double lo, hi;
    result r = median(v, n, &lo, &hi);

    printf("%-13s %6d B %8.1f MB/s (%6.0f-%6.0f) %6.2f CPU ms/MB %6ld syncs", name, vsize,
           mbps(r), lo, hi, cpu_per_mb(r), r.syncs);
    if (raw)
        printf("  %.2f of raw", mbps(r) / mbps(*raw));
    printf("\n");
}

int main(int argc, char **argv)
{
    opts o = { ".", false, (int64_t)1 << 30, 1 << 20, 64, 3, { 100, 1024 }, 2 };
    char tmpl[4096];
    char *dir;
    bool met = true;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            o.dir = argv[++i];
        } else if (!strcmp(argv[i], "--total") && i + 1 < argc) {
            o.total = parse_size(argv[++i]);
        } else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
            o.batch = parse_size(argv[++i]);
        } else if (!strcmp(argv[i], "--inflight") && i + 1 < argc) {
            o.inflight = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--io") && i + 1 < argc) {
            o.sync_io = !strcmp(argv[++i], "sync");
        } else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
            o.repeat = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--records") && i + 1 < argc) {
            char *s = argv[++i], *tok;

            o.nrecords = 0;
            for (tok = strtok(s, ","); tok && o.nrecords < 4; tok = strtok(NULL, ","))
                o.records[o.nrecords++] = atoi(tok);
        } else {
            fprintf(stderr, "usage: %s [--dir D] [--total BYTES] [--batch BYTES] "
                    "[--inflight N] [--records 100,1024] [--repeat N] [--io uring|sync]\n",
                    argv[0]);
            return 2;
        }
    }
    if (o.total <= 0 || o.batch < 1024 || o.inflight < 1 || o.repeat < 1 ||
        o.repeat > MAX_REPEAT || o.nrecords < 1)
        die("bad arguments", NULL);
    sl_log_set_level(SL_LOG_WARN);
    snprintf(tmpl, sizeof tmpl, "%s/sl-bench-XXXXXX", o.dir);
    dir = mkdtemp(tmpl);
    if (!dir)
        die("mkdtemp", strerror(errno));
    /* Warm-up, untimed: the first writes of a process into a directory
     * are slower (page cache, allocator). */
    run_raw(&o, dir, (size_t)o.batch, false);
    printf("storage append benchmark (%s): %s, %.0f MB per run, %.0f kB batches, %d in flight, "
           "median of %d (slowest-fastest MB/s)\n", o.sync_io ? "plain syscalls" : "io_uring",
           dir, (double)o.total / 1e6, (double)o.batch / 1e3, o.inflight, o.repeat);
    for (int k = 0; k < o.nrecords; k++) {
        size_t len;
        uint8_t *b = make_batch(o.batch, o.records[k], &len);
        result raw[MAX_REPEAT], rawsync[MAX_REPEAT], app[MAX_REPEAT], gc[MAX_REPEAT], mraw;
        double lo, hi;

        /* Interleaved, so a noisy moment hits every kind alike. */
        for (int rep = 0; rep < o.repeat; rep++) {
            raw[rep] = run_raw(&o, dir, len, false);
            app[rep] = run_log(&o, dir, b, len, false);
            gc[rep] = run_log(&o, dir, b, len, true);
            rawsync[rep] = run_raw(&o, dir, len, true);
        }
        print_row("raw", o.records[k], raw, o.repeat, NULL);
        mraw = median(raw, o.repeat, &lo, &hi);
        print_row("append", o.records[k], app, o.repeat, &mraw);
        print_row("group commit", o.records[k], gc, o.repeat, &mraw);
        print_row("raw+sync each", o.records[k], rawsync, o.repeat, &mraw);
        {
            result ma = median(app, o.repeat, &lo, &hi), mg = median(gc, o.repeat, &lo, &hi);

            printf("  targets (medians): append >= 0.90 of raw (%s), group commit >= 0.80 of "
                   "raw (%s)\n", mbps(ma) >= 0.9 * mbps(mraw) ? "met" : "NOT met",
                   mbps(mg) >= 0.8 * mbps(mraw) ? "met" : "NOT met");
            met = met && mbps(ma) >= 0.9 * mbps(mraw) && mbps(mg) >= 0.8 * mbps(mraw);
        }
        free(b);
    }
    rm_tree(dir);
    printf("%s\n", met ? "all targets met" : "some targets not met");
    return 0;
}
