/*
 * producers.c - idempotent producer ids and sequence state (producers.h).
 *
 * Rules (Kafka's ProducerAppendInfo.checkSequence / checkProducerEpoch):
 *  - epoch older than the producer's: INVALID_PRODUCER_EPOCH (47)
 *  - same epoch and the batch equals one of the last 5: a duplicate
 *  - newer epoch: the batch must start at sequence 0
 *  - same epoch: base sequence must follow the last one (INT32_MAX wraps
 *    to 0), else OUT_OF_ORDER_SEQUENCE_NUMBER (45)
 *  - a producer the partition has no state for (new, expired, or all its
 *    batches deleted): sequence 0 starts it; any other sequence gets
 *    UNKNOWN_PRODUCER_ID (59), as Kafka did before KIP-360, so a producer
 *    that lost batches cannot leave a silent gap (librdkafka answers 59 by
 *    restarting the partition's sequence when nothing is in flight).
 *
 * Snapshot ("producer.snapshot", a plog side file), big-endian:
 *   "SLPS" | version i16 = 1 | end i64 | last_base i64 | last_crc u32 |
 *   count i32 | count x (pid i64 | epoch i16 | last_ms i64 | nb i32 |
 *   nb x (first_seq i32 | last_seq i32 | base i64 | last i64), oldest first)
 *   | crc32c u32 of everything before
 * It describes the batches below `end`; the batch holding end-1 starts at
 * last_base and has CRC last_crc.  Side files are not synced, and a crash
 * may cut the log below `end`, so a snapshot counts only if that batch is
 * still in the log with the same CRC; else the log is read from its start.
 *
 * Loading off the loop: when more than LOAD_SYNC_MAX offsets of batch
 * headers would have to be read (no usable snapshot, or an old one), the
 * headers are read on the worker pool (producers_set_pool) through a
 * plog_hdr_scan.  Meanwhile the partition's state is `loading`: the worker
 * owns its producer tree and no loop code touches it (check answers
 * NOT_LEADER_OR_FOLLOWER, retriable, as Kafka does while a partition is
 * not yet ready to lead; expiry and snapshots skip it; forgetting it is
 * left to the load's completion).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>

#include "../base/bytes.h"
#include "../base/log.h"
#include "../base/pool.h"
#include "../protocol/crc32c.h"
#include "../protocol/kbuf.h"
#include "producers.h"

#define BATCHES_KEPT 5
#define ID_BLOCK 1000
#define ID_FILE "producer_ids"
#define SNAP_NAME "producer.snapshot"
#define SNAP_MAGIC "SLPS"
#define SNAP_VERSION 1
#define SNAP_MAX (256u << 20) /* a sanity bound: ~100 bytes per producer */
/* Offsets of batch headers read on the loop at most; more go to the pool.
 * Reading a header costs a pread (microseconds when cached). */
#define LOAD_SYNC_MAX 4096

typedef struct kept_batch {
    int32_t first_seq, last_seq;
    int64_t base_offset, last_offset;
} kept_batch;

typedef struct pentry {
    RB_ENTRY(pentry) node;
    int64_t pid;
    int16_t epoch;
    int64_t last_ms; /* wall clock of its last append (or of the load) */
    kept_batch b[BATCHES_KEPT];
    int nb, head; /* ring of the last batches; head = newest */
} pentry;

static int pentry_cmp(pentry *a, pentry *b) { return a->pid < b->pid ? -1 : a->pid > b->pid; }
RB_HEAD(ptree, pentry);
RB_GENERATE_STATIC(ptree, pentry, node, pentry_cmp)

typedef struct pstate {
    RB_ENTRY(pstate) node;
    plog *log;
    struct ptree producers;
    bool dirty;     /* changed since its snapshot */
    bool loading;   /* a worker is reading the log into `producers` */
    bool forgotten; /* forgotten while loading: freed when the load ends */
} pstate;

static int pstate_cmp(pstate *a, pstate *b)
{
    return (uintptr_t)a->log < (uintptr_t)b->log ? -1 : (uintptr_t)a->log > (uintptr_t)b->log;
}
RB_HEAD(stree, pstate);
RB_GENERATE_STATIC(stree, pstate, node, pstate_cmp)
struct producers {
    struct stree states;
    sl_pool *pool; /* NULL: every load on the loop */
    char path[4200], dir[4096];
    int64_t next_id, block_end;
};

static sl_err write_block_end(producers *p, int64_t end)
{
    char tmp[4300], text[64];
    int fd, n = snprintf(text, sizeof text, "%lld\n", (long long)end);
    int dfd;

    snprintf(tmp, sizeof tmp, "%s.tmp", p->path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_err_from_errno(-errno);
    if (write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
        close(fd);
        return SL_E_IO;
    }
    close(fd);
    if (rename(tmp, p->path) < 0)
        return sl_err_from_errno(-errno);
    dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return SL_OK;
}

sl_err producers_open(producers **out, const char *data_dir, char *errstr, size_t errstr_size)
{
    producers *p = calloc(1, sizeof *p);
    FILE *f;
    long long end = 0;

    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    RB_INIT(&p->states);
    snprintf(p->dir, sizeof p->dir, "%s", data_dir);
    snprintf(p->path, sizeof p->path, "%s/%s", data_dir, ID_FILE);
    f = fopen(p->path, "r");
    if (f) {
        if (fscanf(f, "%lld", &end) != 1 || end < 0) {
            fclose(f);
            snprintf(errstr, errstr_size, "%s: malformed", p->path);
            free(p);
            return SL_E_MALFORMED;
        }
        fclose(f);
    }
    /* Ids below the recorded end may have been handed out: start after. */
    p->next_id = end;
    p->block_end = end;
    *out = p;
    return SL_OK;
}

static void state_free(pstate *s)
{
    pentry *e, *next;

    for (e = RB_MIN(ptree, &s->producers); e; e = next) {
        next = RB_NEXT(ptree, &s->producers, e);
        RB_REMOVE(ptree, &s->producers, e);
        free(e);
    }
    free(s);
}

void producers_close(producers *p)
{
    pstate *s, *next;

    if (!p)
        return;
    for (s = RB_MIN(stree, &p->states); s; s = next) {
        next = RB_NEXT(stree, &p->states, s);
        RB_REMOVE(stree, &p->states, s);
        state_free(s);
    }
    free(p);
}

sl_err producers_new_id(producers *p, int64_t *id)
{
    if (p->next_id >= p->block_end) {
        sl_err err = write_block_end(p, p->block_end + ID_BLOCK);

        if (err)
            return err;
        p->block_end += ID_BLOCK;
    }
    *id = p->next_id++;
    return SL_OK;
}

static pentry *entry_get(pstate *s, int64_t pid, bool create)
{
    pentry key, *e;

    key.pid = pid;
    e = RB_FIND(ptree, &s->producers, &key);
    if (e || !create)
        return e;
    e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->pid = pid;
    e->head = -1;
    RB_INSERT(ptree, &s->producers, e);
    return e;
}

static void entry_remove(pstate *s, pentry *e)
{
    RB_REMOVE(ptree, &s->producers, e);
    free(e);
    s->dirty = true;
}

static void entry_push(pentry *e, kept_batch k)
{
    e->head = (e->head + 1) % BATCHES_KEPT;
    e->b[e->head] = k;
    if (e->nb < BATCHES_KEPT)
        e->nb++;
}

/* The i-th kept batch, oldest first. */
static const kept_batch *entry_at(const pentry *e, int i)
{
    return &e->b[(e->head - (e->nb - 1) + i + BATCHES_KEPT) % BATCHES_KEPT];
}

/* The batch's last sequence: sequences wrap from INT32_MAX to 0. */
static int32_t batch_last_seq(const rec_batch *h)
{
    return (int32_t)(((int64_t)h->base_sequence + h->last_offset_delta) %
                     ((int64_t)INT32_MAX + 1));
}

/* Every batch it has is below the log start (retention, DeleteRecords). */
static bool entry_deleted(const pentry *e, int64_t log_start)
{
    return e->nb > 0 && e->b[e->head].last_offset < log_start;
}

static void entry_note(pentry *e, const rec_batch *h, int64_t base_offset, int64_t now_ms)
{
    if (h->producer_epoch != e->epoch) {
        /* A new epoch starts a new sequence: forget the old batches. */
        e->epoch = h->producer_epoch;
        e->nb = 0;
        e->head = -1;
    }
    entry_push(e, (kept_batch){
        .first_seq = h->base_sequence,
        .last_seq = batch_last_seq(h),
        .base_offset = base_offset,
        .last_offset = base_offset + h->last_offset_delta,
    });
    e->last_ms = now_ms;
}

/* The header of the batch holding `offset` (below the high watermark). */
static sl_err batch_at(plog *log, int64_t offset, rec_batch *h)
{
    uint8_t hdr[REC_HEADER_SIZE];
    plog_slice sl;
    sl_err e = plog_read(log, offset, 1, &sl);

    if (e != SL_OK || sl.len == 0) {
        if (sl.fd >= 0)
            close(sl.fd);
        return e != SL_OK ? e : SL_E_NOTFOUND;
    }
    if (pread(sl.fd, hdr, sizeof hdr, sl.pos) != (ssize_t)sizeof hdr)
        e = SL_E_IO;
    /* rec_batch_peek reports SL_E_SHORT for a header-only buffer; the
     * header fields are filled all the same. */
    else if (rec_batch_peek(hdr, sizeof hdr, h) == SL_E_MALFORMED)
        e = SL_E_MALFORMED;
    close(sl.fd);
    return e;
}

/* Learn the producers of the batch headers hs walks.  @any: touches only
 * s->producers (the worker's while s is loading) and hs. */
static size_t scan(pstate *s, plog_hdr_scan *hs, int64_t now_ms)
{
    size_t nbatches = 0;
    rec_batch h;

    while (plog_hdr_scan_next(hs, &h) == SL_OK) {
        if (h.producer_id >= 0) {
            pentry *e = entry_get(s, h.producer_id, true);

            if (e && h.producer_epoch >= e->epoch)
                entry_note(e, &h, h.base_offset, now_ms);
        }
        nbatches++;
    }
    return nbatches;
}

typedef struct load_job {
    sl_job job;
    producers *p;
    pstate *s;
    plog_hdr_scan *hs;
    int64_t now_ms, from;
    size_t nbatches;
    char dir[4096];
} load_job;

/* @worker */
static void load_work(sl_job *j)
{
    load_job *lj = (load_job *)j;

    lj->nbatches = scan(lj->s, lj->hs, lj->now_ms);
}

static void load_done(sl_job *j)
{
    load_job *lj = (load_job *)j;
    pstate *s = lj->s;

    plog_hdr_scan_free(lj->hs);
    s->loading = false;
    if (s->forgotten) {
        state_free(s);
    } else {
        s->dirty = false;
        sl_info("producers", "%s: producer state from the log (on a worker): %zu batch "
                "headers from offset %lld", lj->dir, lj->nbatches, (long long)lj->from);
    }
    free(lj);
}

/* Read the headers from `from` on the pool; s answers `loading` until
 * then.  false if that cannot start (the caller reads them itself). */
static bool load_async(producers *p, pstate *s, plog_hdr_scan *hs, int64_t from, int64_t now_ms)
{
    load_job *lj = p->pool ? calloc(1, sizeof *lj) : NULL;

    if (!lj)
        return false;
    lj->p = p;
    lj->s = s;
    lj->hs = hs;
    lj->from = from;
    lj->now_ms = now_ms;
    snprintf(lj->dir, sizeof lj->dir, "%s", plog_dir(s->log));
    lj->job.work = load_work;
    lj->job.done = load_done;
    s->loading = true;
    sl_pool_submit(p->pool, &lj->job);
    return true;
}

/* The snapshot's state, if it still describes the log: its end. */
static bool snapshot_load(pstate *s, int64_t *end_out)
{
    uint8_t *data;
    size_t len;
    kbuf_rd r;
    int64_t end, last_base, start = plog_log_start(s->log);
    uint32_t last_crc;
    int32_t count;
    rec_batch h;
    bool ok = false;

    if (plog_side_read(s->log, SNAP_NAME, SNAP_MAX, &data, &len) != SL_OK)
        return false;
    if (len < 4 + 2 + 8 + 8 + 4 + 4 + 4 || memcmp(data, SNAP_MAGIC, 4) ||
        crc32c(0, data, len - 4) != sl_be32(data + len - 4))
        goto out;
    kbuf_rd_init(&r, data + 4, len - 8);
    if (kbuf_get_i16(&r) != SNAP_VERSION)
        goto out;
    end = kbuf_get_i64(&r);
    last_base = kbuf_get_i64(&r);
    last_crc = kbuf_get_u32(&r);
    count = kbuf_get_i32(&r);
    /* Does the log still hold the batch the snapshot ended with? */
    if (!kbuf_ok(&r) || end - 1 < start || end > plog_high_watermark(s->log) ||
        batch_at(s->log, end - 1, &h) != SL_OK || h.base_offset != last_base ||
        h.base_offset + h.last_offset_delta != end - 1 || h.crc != last_crc)
        goto out;
    for (int32_t i = 0; i < count && kbuf_ok(&r); i++) {
        int64_t pid = kbuf_get_i64(&r);
        int16_t epoch = kbuf_get_i16(&r);
        int64_t last_ms = kbuf_get_i64(&r);
        int32_t nb = kbuf_get_i32(&r);
        pentry *e;

        if (!kbuf_ok(&r) || pid < 0 || nb < 1 || nb > BATCHES_KEPT)
            goto out;
        if (!(e = entry_get(s, pid, true)))
            goto out;
        e->epoch = epoch;
        e->last_ms = last_ms;
        for (int32_t j = 0; j < nb; j++) {
            kept_batch k;

            k.first_seq = kbuf_get_i32(&r);
            k.last_seq = kbuf_get_i32(&r);
            k.base_offset = kbuf_get_i64(&r);
            k.last_offset = kbuf_get_i64(&r);
            entry_push(e, k);
        }
        if (entry_deleted(e, start))
            entry_remove(s, e);
    }
    ok = kbuf_ok(&r) && kbuf_remaining(&r) == 0;
    if (ok)
        *end_out = end;
out:
    if (!ok) {
        pentry *e, *next;

        for (e = RB_MIN(ptree, &s->producers); e; e = next) {
            next = RB_NEXT(ptree, &s->producers, e);
            entry_remove(s, e);
        }
        sl_info("producers", "%s/%s does not match the log; reading the log",
                plog_dir(s->log), SNAP_NAME);
    }
    free(data);
    return ok;
}

/* Write s's state as of the high watermark: batches still in flight are
 * left out (a restart reads them from the log if they got there). */
static void snapshot_save(pstate *s)
{
    int64_t end = plog_high_watermark(s->log);
    kbuf_wr w;
    rec_batch h;
    pentry *e;
    size_t count_at;
    int32_t count = 0;
    uint8_t *buf;
    size_t len;
    sl_err err;

    if (plog_state(s->log) != SL_OK)
        return;
    if (end <= plog_log_start(s->log) || batch_at(s->log, end - 1, &h) != SL_OK) {
        plog_side_remove(s->log, SNAP_NAME); /* nothing to describe */
        s->dirty = false;
        return;
    }
    kbuf_wr_init(&w, 256);
    kbuf_put_raw(&w, SNAP_MAGIC, 4);
    kbuf_put_i16(&w, SNAP_VERSION);
    kbuf_put_i64(&w, end);
    kbuf_put_i64(&w, h.base_offset);
    kbuf_put_u32(&w, h.crc);
    count_at = kbuf_reserve(&w, 4);
    RB_FOREACH(e, ptree, &s->producers) {
        int nb = 0;

        while (nb < e->nb && entry_at(e, nb)->last_offset < end)
            nb++;
        if (nb == 0)
            continue;
        kbuf_put_i64(&w, e->pid);
        kbuf_put_i16(&w, e->epoch);
        kbuf_put_i64(&w, e->last_ms);
        kbuf_put_i32(&w, nb);
        for (int j = 0; j < nb; j++) {
            const kept_batch *k = entry_at(e, j);

            kbuf_put_i32(&w, k->first_seq);
            kbuf_put_i32(&w, k->last_seq);
            kbuf_put_i64(&w, k->base_offset);
            kbuf_put_i64(&w, k->last_offset);
        }
        count++;
    }
    kbuf_patch_i32(&w, count_at, count);
    kbuf_put_u32(&w, w.err == SL_OK ? crc32c(0, w.p, w.len) : 0);
    if (w.err != SL_OK) {
        kbuf_wr_free(&w);
        return;
    }
    buf = kbuf_wr_take(&w, &len);
    err = plog_side_write(s->log, SNAP_NAME, buf, len);
    free(buf);
    if (err != SL_OK)
        sl_warn_rl("producers", "writing %s: %s", SNAP_NAME, sl_err_str(err));
    else
        s->dirty = false;
}

static pstate *state_get(producers *p, plog *log, int64_t now_ms)
{
    pstate key, *s;
    plog_hdr_scan *hs;
    int64_t from;
    bool snap;
    size_t n;

    key.log = log;
    s = RB_FIND(stree, &p->states, &key);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->log = log;
    RB_INIT(&s->producers);
    snap = snapshot_load(s, &from);
    if (!snap)
        from = plog_log_start(log);
    if (plog_hdr_scan_new(log, from, &hs) != SL_OK) {
        state_free(s);
        return NULL;
    }
    RB_INSERT(stree, &p->states, s);
    /* Producers first seen now expire a full period from now. */
    if (plog_high_watermark(log) - from > LOAD_SYNC_MAX && load_async(p, s, hs, from, now_ms))
        return s;
    n = scan(s, hs, now_ms);
    plog_hdr_scan_free(hs);
    sl_info("producers", "%s: producer state from %s and %zu batch headers from offset %lld",
            plog_dir(log), snap ? "its snapshot" : "the log", n, (long long)from);
    s->dirty = false;
    return s;
}

int producers_check(producers *p, plog *log, const rec_batch *h, int64_t now_ms,
                    int64_t *dup_base, int64_t *dup_last)
{
    pstate *s = state_get(p, log, now_ms);
    pentry *e = s ? entry_get(s, h->producer_id, false) : NULL;
    int32_t last_seq = batch_last_seq(h);
    const kept_batch *newest;
    int32_t expect;

    if (!s)
        return SL_KE_UNKNOWN_SERVER_ERROR;
    if (s->loading)
        return SL_KE_NOT_LEADER_OR_FOLLOWER;
    if (!e || e->nb == 0)
        return h->base_sequence == 0 ? PRODUCERS_APPEND : SL_KE_UNKNOWN_PRODUCER_ID;
    if (h->producer_epoch < e->epoch)
        return SL_KE_INVALID_PRODUCER_EPOCH;
    if (h->producer_epoch > e->epoch)
        return h->base_sequence == 0 ? PRODUCERS_APPEND : SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER;
    for (int i = 0; i < e->nb; i++) {
        const kept_batch *k = &e->b[i];

        if (k->first_seq == h->base_sequence && k->last_seq == last_seq) {
            *dup_base = k->base_offset;
            *dup_last = k->last_offset;
            return PRODUCERS_DUPLICATE;
        }
    }
    newest = &e->b[e->head];
    expect = newest->last_seq == INT32_MAX ? 0 : newest->last_seq + 1;
    return h->base_sequence == expect ? PRODUCERS_APPEND : SL_KE_OUT_OF_ORDER_SEQUENCE_NUMBER;
}

void producers_appended(producers *p, plog *log, const rec_batch *h, int64_t base_offset,
                        int64_t now_ms)
{
    pstate *s = state_get(p, log, now_ms);
    pentry *e = s && !s->loading ? entry_get(s, h->producer_id, true) : NULL;

    if (e) {
        entry_note(e, h, base_offset, now_ms);
        s->dirty = true;
    } else {
        sl_warn_rl("producers", "out of memory: producer %lld state not kept",
                   (long long)h->producer_id);
    }
}

void producers_forget(producers *p, plog *log)
{
    pstate key, *s;

    key.log = log;
    s = RB_FIND(stree, &p->states, &key);
    if (s) {
        RB_REMOVE(stree, &p->states, s);
        if (s->loading)
            s->forgotten = true; /* the worker still has it */
        else
            state_free(s);
    }
}

size_t producers_expire(producers *p, int64_t now_ms, int64_t expiration_ms)
{
    size_t n = 0;
    pstate *s;

    RB_FOREACH(s, stree, &p->states) {
        int64_t start = plog_log_start(s->log);
        pentry *e, *next;

        if (s->loading)
            continue;
        for (e = RB_MIN(ptree, &s->producers); e; e = next) {
            next = RB_NEXT(ptree, &s->producers, e);
            if (e->nb == 0 || now_ms - e->last_ms >= expiration_ms || entry_deleted(e, start)) {
                entry_remove(s, e);
                n++;
            }
        }
    }
    if (n)
        sl_info("producers", "forgot %zu idle or deleted producer states", n);
    return n;
}

void producers_snapshot(producers *p)
{
    pstate *s;

    RB_FOREACH(s, stree, &p->states) {
        if (s->dirty && !s->loading)
            snapshot_save(s);
    }
}

void producers_set_pool(producers *p, sl_pool *pool) { p->pool = pool; }
