/*
 * log.c - one partition log (plog): ordered segments, append, roll,
 * watermarks.  Group commit and the flush policy are in log_flush.c,
 * opening and recovery in recover.c, reads in read.c, deleting old
 * segments in log_retention.c, bringing a log back after a full disk in
 * log_revive.c.
 *
 * INVARIANTS
 *   1. durable <= high_watermark (hwm) <= end, and log_start <= hwm.
 *      log_start is the first offset a read may ask for: the first
 *      segment's base, or more after DeleteRecords (persisted in a file
 *      before it moves).  durable may be below log_start: what is deleted
 *      need not be synced.
 *   2. end is the next offset to assign.  plog_append reserves the offsets
 *      [end, end + lastOffsetDelta + 1) and the byte range [size, size +
 *      len) of the active segment before its pwrite is issued, so writes
 *      in flight never overlap and land at explicit positions (no
 *      O_APPEND).
 *   3. wq holds every append whose offsets are >= hwm, in offset order
 *      (a FIFO: reservation order is offset order).  hwm only moves when
 *      the head of wq has completed, to that append's end: every offset
 *      below hwm is written, and so is every byte below seg->written.
 *      Writes complete in any order; hwm and the acks=1 callbacks follow
 *      offset order.
 *   4. dq holds the durable (acks=all) appends below hwm whose offsets are
 *      >= durable, in offset order.  A log is on the env's flush list if
 *      dq is not empty or a rolled segment is not fully synced yet (Kafka
 *      flushes a segment once it rolls; that also moves invariant 8's
 *      recovery point without waiting for an acks=all producer).
 *   5. A datasync is issued only over completed writes: the target is the
 *      hwm captured at submit, never more (io_uring does not order an
 *      fsync after writes in flight).  One flush round at a time per log;
 *      it syncs every segment holding offsets below the target that a
 *      previous round did not cover (normally one, two after a roll).
 *      When all of a round's syncs completed, durable = target.
 *   6. A segment's directory entry is synced before any write to it can
 *      be acknowledged (synchronously at roll).
 *   7. Failure is sticky: after a failed write or sync fail_err != SL_OK,
 *      wq and dq are empty, every waiting callback got the error, nothing
 *      more is acknowledged and plog_append returns SL_E_FATAL.  Appends
 *      still in flight go to the log's `lost` list and get their error
 *      when their completion arrives, as their write reads the batch
 *      until then (at plog_close they get it at once and are orphaned:
 *      p->log == NULL).  Only plog_revive clears a failure (a full disk
 *      that has room again): with nothing in flight, it cuts every byte
 *      and segment past hwm (nothing there was acknowledged), re-reads
 *      and checks the segment that then ends the log, syncs what is
 *      written and takes appends again at hwm.
 *   8. recovery_point is the base of the first segment that may hold
 *      unsynced data; it moves only after the segments below it are fully
 *      synced and their trimmed indexes too (recover.c reads it).
 *   9. Flush policy (flush.messages, flush.ms): besides invariant 4, a log
 *      is on the flush list while hwm > durable and a policy is set; a
 *      round is issued once hwm - durable >= flush_messages, or flush_ms
 *      passed since the last round completed.  Without a policy only
 *      acks=all appends and rolls cause syncs.
 *  10. Retention deletes whole segments from the oldest, never one that
 *      holds offsets >= hwm (a write in flight), unsynced offsets, or one
 *      a sync in flight points at, and never the last one: if every
 *      segment is due, the log rolls first (Kafka does the same), so end
 *      stays where it was, and the rolled segment goes once it is synced.
 *      A deleted segment's .log is renamed to .log.deleted, its indexes
 *      unlinked, and the renamed file unlinked through unlink_async (off
 *      the loop); recovery removes a leftover .deleted file.  Renames are
 *      not synced: after a power loss the oldest deleted segments may come
 *      back (ordered metadata: a prefix of the deletions survives), to be
 *      deleted again by the next check.
 *  11. A clean close (nothing in flight, no failure, everything synced,
 *      the recovery point at the last segment) trims and syncs the last
 *      segment's indexes and then writes the clean shutdown file; the
 *      next open trusts the last segment without reading it, removes the
 *      file and syncs the directory before the log takes a write
 *      (recover.c).  Nothing else writes or keeps that file.
 *
 * Callbacks may run inside plog_append and plog_env_flush (a synchronous
 * sl_io) and may append again; they must not close a log.
 */
#include "storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"

#define PEND_FREE_MAX 1024
#define WRITEBACK_CHUNK (1 << 20)



void plog_config_default(plog_config *cfg)
{
    cfg->segment_bytes = (int64_t)1 << 30;
    cfg->index_interval_bytes = 4096;
    cfg->index_max_bytes = 10 * 1024 * 1024;
    cfg->segment_ms = -1;
    cfg->retention_ms = -1;
    cfg->retention_bytes = -1;
    cfg->flush_messages = INT64_MAX;
    cfg->flush_ms = -1;
    cfg->log_append_time = false;
}

sl_err plog_config_check(const plog_config *cfg, char *errstr, size_t errstr_size)
{
    const char *bad = NULL;

    if (cfg->segment_bytes < REC_HEADER_SIZE || cfg->segment_bytes > SEG_MAX_POS)
        bad = "segment.bytes";
    else if (cfg->index_max_bytes < SEG_INDEX_MIN_BYTES)
        bad = "segment.index.bytes";
    else if (cfg->index_interval_bytes < 0)
        bad = "index.interval.bytes";
    else if (cfg->segment_ms < -1 || cfg->segment_ms == 0)
        bad = "segment.ms";
    else if (cfg->retention_ms < -1)
        bad = "retention.ms";
    else if (cfg->retention_bytes < -1)
        bad = "retention.bytes";
    else if (cfg->flush_messages < 1)
        bad = "flush.messages";
    else if (cfg->flush_ms < -1)
        bad = "flush.ms";
    if (!bad)
        return SL_OK;
    snprintf(errstr, errstr_size, "invalid log config %s (segment.bytes %" PRId64
             ", segment.index.bytes %d, index.interval.bytes %d, segment.ms %" PRId64
             ", retention.ms %" PRId64 ", retention.bytes %" PRId64 ", flush.messages %" PRId64
             ", flush.ms %" PRId64 ")", bad, cfg->segment_bytes, cfg->index_max_bytes,
             cfg->index_interval_bytes, cfg->segment_ms, cfg->retention_ms, cfg->retention_bytes,
             cfg->flush_messages, cfg->flush_ms);
    return SL_E_INVAL;
}

/* --- env ------------------------------------------------------------------ */

static int64_t wall_clock(void *ud)
{
    struct timespec ts;

    (void)ud;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


sl_err plog_env_new(plog_env **out, sl_io *io)
{
    plog_env *env = calloc(1, sizeof *env);

    if (!env)
        return SL_E_NOMEM;
    env->io = io;
    env->clock = wall_clock;
    *out = env;
    return SL_OK;
}

void plog_env_free(plog_env *env)
{
    if (!env)
        return;
    if (env->pending)
        sl_error("storage", "env freed with %u operations in flight", env->pending);
    while (env->free_pends) {
        pend *p = env->free_pends;

        env->free_pends = p->link;
        free(p);
    }
    free(env);
}

sl_io *plog_env_io(plog_env *env) { return env->io; }

void plog_env_set_clock(plog_env *env, plog_clock_fn fn, void *ud)
{
    env->clock = fn ? fn : wall_clock;
    env->clock_ud = fn ? ud : NULL;
}

int64_t plog_env_now(plog_env *env) { return env->clock(env->clock_ud); }
unsigned plog_env_pending(plog_env *env) { return env->pending; }
void plog_env_hold(plog_env *env) { env->pending++; }
void plog_env_release(plog_env *env) { env->pending--; }

static pend *pend_alloc(plog_env *env)
{
    pend *p = env->free_pends;

    if (p) {
        env->free_pends = p->link;
        env->nfree--;
    } else {
        p = malloc(sizeof *p);
        if (!p)
            return NULL;
    }
    memset(p, 0, sizeof *p);
    p->env = env;
    env->pending++;
    return p;
}

void plog_pend_free(pend *p)
{
    plog_env *env = p->env;

    env->pending--;
    if (env->nfree < PEND_FREE_MAX) {
        p->link = env->free_pends;
        env->free_pends = p;
        env->nfree++;
    } else {
        free(p);
    }
}

void plog_flush_add(plog *l)
{
    plog_env *env = l->env;

    if (l->on_flush)
        return;
    l->on_flush = true;
    l->flush_prev = NULL;
    l->flush_next = env->flush_head;
    if (env->flush_head)
        env->flush_head->flush_prev = l;
    env->flush_head = l;
}

void plog_flush_remove(plog *l)
{
    if (!l->on_flush)
        return;
    if (l->flush_prev)
        l->flush_prev->flush_next = l->flush_next;
    else
        l->env->flush_head = l->flush_next;
    if (l->flush_next)
        l->flush_next->flush_prev = l->flush_prev;
    l->flush_prev = l->flush_next = NULL;
    l->on_flush = false;
}

/* --- failure ---------------------------------------------------------------- */

/* Invariant 7: fail every waiter, in offset order (dq is below wq). */
void plog_fail(plog *l, sl_err cause)
{
    sl_err err = cause == SL_E_NOSPC ? SL_E_NOSPC : SL_E_IO;
    pend *lists[2] = { l->dq_head, l->wq_head };

    if (l->fail_err)
        return;
    l->fail_err = err;
    l->revivable = false;
    l->failed_ms = plog_env_now(l->env);
    sl_error("storage", "%s: log failed: %s; nothing more is acknowledged", l->dir,
             sl_err_str(cause));
    plog_flush_remove(l);
    l->dq_head = l->dq_tail = l->wq_head = l->wq_tail = NULL;
    for (int i = 0; i < 2; i++) {
        for (pend *p = lists[i], *next; p; p = next) {
            plog_append_cb cb = p->cb;
            void *ud = p->ud;

            next = p->link;
            if (p->inflight) {
                /* Its write still reads the batch, which the callback
                 * lets the caller free: it waits for the completion. */
                p->lost = true;
                p->err = err;
                p->link = l->lost;
                l->lost = p;
                continue;
            }
            plog_pend_free(p);
            if (cb)
                cb(ud, err, -1);
        }
    }
}

sl_err plog_state(const plog *l) { return l->fail_err ? SL_E_FATAL : SL_OK; }

/* --- completions ------------------------------------------------------------ */

/* Start the writeback of every WRITEBACK_CHUNK written (RocksDB's
 * bytes_per_sync): an fdatasync then finds little left to write, and the
 * page cache holds little unwritten log.  Only a hint: durability still
 * comes from the syncs alone. */
static void hint_writeback(plog *l, seg *s)
{
    sl_io *io = l->env->io;

    if (!io->ops->writeback || s->written - s->hinted < WRITEBACK_CHUNK)
        return;
    io->ops->writeback(io, s->log_fd, (off_t)s->hinted, (off_t)(s->written - s->hinted));
    s->hinted = s->written;
}

/* Invariant 3: move hwm over the completed head of wq. */
static void advance(plog *l)
{
    if (l->advancing)
        return; /* a callback appended: the outer loop picks it up */
    l->advancing = true;
    while (!l->fail_err && l->wq_head && !l->wq_head->inflight) {
        pend *p = l->wq_head;

        l->wq_head = p->link;
        if (!l->wq_head)
            l->wq_tail = NULL;
        p->link = NULL;
        l->hwm = p->next;
        p->seg->written = p->end_pos;
        hint_writeback(l, p->seg);
        if (l->cfg.flush_ms >= 0 || l->hwm - l->durable >= l->cfg.flush_messages)
            plog_flush_add(l); /* invariant 9 */
        if (p->durable) {
            if (l->dq_tail)
                l->dq_tail->link = p;
            else
                l->dq_head = p;
            l->dq_tail = p;
            plog_flush_add(l);
        } else {
            plog_append_cb cb = p->cb;
            void *ud = p->ud;
            int64_t base = p->base;

            plog_pend_free(p);
            cb(ud, SL_OK, base);
        }
    }
    l->advancing = false;
}

static void on_write(sl_io_req *req, int64_t res)
{
    pend *p = req->ud;
    plog *l = p->log;

    p->inflight = false;
    if (p->lost) {
        plog_append_cb cb = p->cb;
        void *ud = p->ud;
        sl_err err = p->err;

        for (pend **pp = l ? &l->lost : NULL; pp && *pp; pp = &(*pp)->link) {
            if (*pp == p) {
                *pp = p->link;
                break;
            }
        }
        plog_pend_free(p);
        if (cb)
            cb(ud, err, -1);
        return;
    }
    if (!l) {
        plog_pend_free(p);
        return;
    }
    if (res < 0) {
        bool first = !l->fail_err;

        plog_fail(l, (sl_err)res); /* frees p: it is in wq, complete */
        /* A write refused for space left what was written before it as it
         * was: plog_revive may cut back and go on once there is room. */
        if (first)
            l->revivable = res == SL_E_NOSPC;
        return;
    }
    advance(l);
}

/* --- open and close ----------------------------------------------------------- */

sl_err plog_open(plog **out, plog_env *env, const char *dir, const plog_config *cfg,
                 char *errstr, size_t errstr_size)
{
    plog_recovered r;
    plog *l;
    int64_t start;
    sl_err e;

    e = plog_config_check(cfg, errstr, errstr_size);
    if (e != SL_OK)
        return e;
    l = calloc(1, sizeof *l);
    if (!l || !(l->dir = strdup(dir))) {
        free(l);
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    l->env = env;
    l->cfg = *cfg;
    e = plog_recover(env->io, dir, cfg, &r, errstr, errstr_size);
    if (e != SL_OK) {
        free(l->dir);
        free(l);
        return e;
    }
    l->segs = r.segs;
    l->nseg = l->capseg = r.nseg;
    for (size_t i = 0; i < l->nseg; i++) /* what was there before is not ours to hint */
        l->segs[i]->hinted = l->segs[i]->written;
    l->end = l->hwm = l->durable = r.end_offset;
    l->recovery_point = r.recovery_point;
    /* DeleteRecords may have moved the start inside the first segment;
     * the tail it pointed into may be gone after a power loss. */
    start = plog_read_log_start(env->io, dir);
    l->log_start = l->segs[0]->base;
    if (start > l->end) {
        /* The offsets it pointed at were lost: the start is the end now,
         * persisted, or later appends there would fall below it. */
        e = plog_write_log_start(env->io, dir, l->end);
        if (e != SL_OK) {
            snprintf(errstr, errstr_size, "%s: log start offset file: %s", dir, sl_err_str(e));
            for (size_t i = 0; i < l->nseg; i++)
                seg_close(l->segs[i], env->io);
            free(l->segs);
            free(l->dir);
            free(l);
            return e;
        }
        start = l->end;
    }
    if (start > l->log_start)
        l->log_start = start;
    l->last_flush_ms = plog_env_now(env);
    l->last_append_time = -1;
    if (l->segs[l->nseg - 1]->size > 0) /* segment.ms counts from now */
        l->segs[l->nseg - 1]->first_append_ms = l->last_flush_ms;
    *out = l;
    return SL_OK;
}

static void orphan_stray_io(plog *l)
{
    for (unlink_op *u = l->unlinks; u; u = u->link)
        u->log = NULL;
    l->unlinks = NULL;
    for (pend *p = l->lost, *next; p; p = next) {
        plog_append_cb cb = p->cb;

        next = p->link;
        p->log = NULL;
        p->cb = NULL; /* called now: the log's owner goes away */
        if (cb)
            cb(p->ud, p->err, -1);
    }
    l->lost = NULL;
}

unsigned plog_pending(const plog *l)
{
    unsigned n = l->nsync;

    for (const pend *p = l->wq_head; p; p = p->link)
        n++;
    for (const pend *p = l->dq_head; p; p = p->link)
        n++;
    for (const unlink_op *u = l->unlinks; u; u = u->link)
        n++;
    for (const pend *p = l->lost; p; p = p->link)
        n++;
    return n;
}

void plog_discard(plog *l)
{
    sl_io *io;

    if (!l)
        return;
    io = l->env->io;
    orphan_stray_io(l);
    if (plog_pending(l))
        sl_warn("storage", "%s: discarded with I/O in flight", l->dir);
    for (syncop *so = l->syncs; so; so = so->link)
        so->log = NULL;
    l->syncs = NULL;
    l->nsync = 0;
    for (pend *p = l->wq_head, *next; p; p = next) {
        plog_append_cb cb = p->cb;
        void *ud = p->ud;

        next = p->link;
        if (p->inflight)
            p->log = NULL;
        else
            plog_pend_free(p);
        cb(ud, SL_E_FATAL, -1);
    }
    l->wq_head = l->wq_tail = NULL;
    for (pend *p = l->dq_head, *next; p; p = next) {
        plog_append_cb cb = p->cb;
        void *ud = p->ud;

        next = p->link;
        plog_pend_free(p);
        cb(ud, SL_E_FATAL, -1);
    }
    l->dq_head = l->dq_tail = NULL;
    plog_flush_remove(l);
    for (size_t i = 0; i < l->nseg; i++)
        seg_close(l->segs[i], io);
    free(l->segs);
    free(l->dir);
    free(l);
}

/* A clean close with nothing in flight and everything synced: trim and
 * sync the active segment's indexes, then leave the clean shutdown file
 * (invariant 11) so the next open reads no data. */
static void write_clean_mark(plog *l)
{
    sl_io *io = l->env->io;
    seg *s = l->segs[l->nseg - 1];
    sl_err e = SL_OK;

    if (l->fail_err || s->base != l->recovery_point || s->written != s->size ||
        s->synced < s->end_offset || l->hwm != l->end)
        return;
    if (s->idx_rw)
        e = seg_index_trim(s, io);
    if (e == SL_OK)
        e = (sl_err)io->ops->sync(io, s->idx_fd);
    if (e == SL_OK)
        e = (sl_err)io->ops->sync(io, s->tix_fd);
    if (e == SL_OK)
        e = plog_write_clean_mark(io, l->dir, s);
    if (e != SL_OK)
        sl_warn("storage", "%s: no clean shutdown file (%s): the next open scans", l->dir,
                sl_err_str(e));
}

void plog_close(plog *l)
{
    sl_io *io;
    sl_err err = SL_OK;
    bool quiet;

    if (!l)
        return;
    io = l->env->io;
    orphan_stray_io(l);
    quiet = !l->wq_head && !l->syncs;
    if (!quiet) {
        /* The caller should have drained: orphan what is in flight, and
         * what was not written cannot be acknowledged. */
        sl_warn("storage", "%s: closed with I/O in flight", l->dir);
        for (syncop *so = l->syncs; so; so = so->link)
            so->log = NULL;
        l->syncs = NULL;
        l->nsync = 0;
        for (pend *p = l->wq_head, *next; p; p = next) {
            plog_append_cb cb = p->cb;
            void *ud = p->ud;

            next = p->link;
            if (p->inflight)
                p->log = NULL;
            else
                plog_pend_free(p);
            cb(ud, SL_E_FATAL, -1);
        }
        l->wq_head = l->wq_tail = NULL;
    }
    /* Blocking sync of everything written: a clean close loses nothing. */
    for (size_t i = 0; i < l->nseg && !l->fail_err && err == SL_OK; i++) {
        seg *s = l->segs[i];

        if (s->synced < s->end_offset) {
            err = (sl_err)io->ops->sync(io, s->log_fd);
            if (err == SL_OK)
                s->synced = s->end_offset;
        }
    }
    if (err != SL_OK)
        plog_fail(l, err);
    if (!l->fail_err) {
        l->durable = l->hwm;
        while (l->dq_head) {
            pend *p = l->dq_head;
            plog_append_cb cb = p->cb;
            void *ud = p->ud;
            int64_t base = p->base;

            l->dq_head = p->link;
            plog_pend_free(p);
            cb(ud, SL_OK, base);
        }
        l->dq_tail = NULL;
        plog_advance_recovery_point(l);
        if (quiet && !l->wq_head)
            write_clean_mark(l);
    }
    plog_flush_remove(l);
    for (size_t i = 0; i < l->nseg; i++)
        seg_close(l->segs[i], io);
    free(l->segs);
    free(l->dir);
    free(l);
}

int64_t plog_log_start(const plog *l) { return l->log_start; }
const char *plog_dir(const plog *l) { return l->dir; }
int64_t plog_last_append_time(const plog *l) { return l->last_append_time; }
const plog_config *plog_get_config(const plog *l) { return &l->cfg; }

sl_err plog_set_config(plog *l, const plog_config *cfg)
{
    char errstr[256];
    sl_err e = plog_config_check(cfg, errstr, sizeof errstr);

    if (e != SL_OK) {
        sl_warn("storage", "%s: %s", l->dir, errstr);
        return e;
    }
    l->cfg = *cfg;
    if (!l->fail_err && plog_policy_pending(l))
        plog_flush_add(l);
    return SL_OK;
}
int64_t plog_end_offset(const plog *l) { return l->end; }
int64_t plog_high_watermark(const plog *l) { return l->hwm; }
int64_t plog_durable(const plog *l) { return l->durable; }

int64_t plog_size_bytes(const plog *l)
{
    int64_t n = 0;

    for (size_t i = 0; i < l->nseg; i++)
        n += l->segs[i]->written;
    return n;
}

/* --- append ------------------------------------------------------------------ */

sl_err plog_roll(plog *l)
{
    sl_io *io = l->env->io;
    seg *old = l->segs[l->nseg - 1], *s;
    char errstr[256];
    sl_err e;

    if (l->nseg == l->capseg) {
        size_t cap = l->capseg ? l->capseg * 2 : 4;
        seg **v = realloc(l->segs, cap * sizeof *v);

        if (!v)
            return SL_E_NOMEM;
        l->segs = v;
        l->capseg = cap;
    }
    e = seg_open(&s, io, l->dir, l->end, true, errstr, sizeof errstr);
    if (e == SL_E_NOFILE) {
        /* Out of descriptors: this append fails, the log carries on. */
        sl_warn_rl("storage", "roll: %s (RLIMIT_NOFILE; see docs/operations.md)", errstr);
        return e;
    }
    if (e != SL_OK) {
        sl_error("storage", "roll: %s", errstr);
        return e;
    }
    if (s->size != 0) {
        sl_error("storage", "roll: %s exists and is not empty", s->log_path);
        seg_close(s, io);
        return SL_E_EXISTS;
    }
    e = seg_index_open_rw(s, io, l->cfg.index_max_bytes);
    if (e != SL_OK) {
        if (e == SL_E_NOFILE)
            sl_warn_rl("storage", "roll %s: %s", s->log_path, sl_err_str(e));
        else
            sl_error("storage", "roll %s: %s", s->log_path, sl_err_str(e));
        seg_delete(s, io);
        return e;
    }
    /* Invariant 6: the new file's name is durable before its first ack.
     * A failed directory sync is a failed sync (invariant 7); a directory
     * that could not even be opened (out of descriptors) synced nothing
     * and lost nothing: the new segment goes, the log carries on. */
    e = (sl_err)io->ops->sync_dir(io, l->dir);
    if (e == SL_E_NOFILE) {
        sl_warn_rl("storage", "roll %s: directory sync: %s", s->log_path, sl_err_str(e));
        seg_delete(s, io);
        return e;
    }
    if (e != SL_OK) {
        sl_error("storage", "roll %s: directory sync: %s", s->log_path, sl_err_str(e));
        seg_delete(s, io);
        plog_fail(l, e);
        return SL_E_FATAL;
    }
    /* The old index gets no more entries; appends in flight to the old
     * segment already have theirs. */
    if (seg_index_trim(old, io) != SL_OK)
        sl_warn("storage", "%s: index trim failed, lookups scan", old->idx_path);
    l->segs[l->nseg++] = s;
    plog_flush_add(l); /* invariant 4: the rolled segment gets its sync */
    return SL_OK;
}

sl_err plog_append(plog *l, uint8_t *batch, size_t len, bool durable, plog_append_cb cb,
                   void *ud)
{
    sl_io *io = l->env->io;
    rec_batch h;
    seg *s;
    pend *p;
    int64_t pos, now = 0;

    if (l->fail_err)
        return SL_E_FATAL;
    if (rec_batch_peek(batch, len, &h) != SL_OK || rec_batch_size(&h) != len ||
        h.last_offset_delta < 0)
        return SL_KE_CORRUPT_MESSAGE;
    if (len > SEG_MAX_POS)
        return SL_KE_MESSAGE_TOO_LARGE;
    if (l->end > INT64_MAX - h.last_offset_delta - 1)
        return SL_E_RANGE;
    s = l->segs[l->nseg - 1];
    if (l->cfg.segment_ms >= 0 || l->cfg.log_append_time)
        now = plog_env_now(l->env);
    /* Roll as Kafka does: the batch would pass segment.bytes, an index is
     * full, a relative offset would not fit in 4 bytes, or the segment is
     * older than segment.ms (counted from its first batch).  An empty
     * segment takes any batch. */
    if (s->size > 0 &&
        (s->size + (int64_t)len > l->cfg.segment_bytes || seg_index_full(s) ||
         l->end + h.last_offset_delta - s->base > INT32_MAX ||
         (l->cfg.segment_ms >= 0 && now - s->first_append_ms > l->cfg.segment_ms))) {
        sl_err e = plog_roll(l);

        if (e != SL_OK)
            return e;
        s = l->segs[l->nseg - 1];
    }
    p = pend_alloc(l->env);
    if (!p)
        return SL_E_NOMEM;
    rec_batch_set_base_offset(batch, l->end);
    rec_batch_set_leader_epoch(batch, 0);
    if (l->cfg.log_append_time) {
        /* The broker's clock is the batch's time: max timestamp, attribute
         * bit, CRC (Kafka's LogValidator). */
        rec_batch_set_log_append_time(batch, len, now);
        h.max_timestamp = now;
        l->last_append_time = now;
    }
    if (s->size == 0)
        s->first_append_ms = now ? now : plog_env_now(l->env);
    pos = s->size;
    p->log = l;
    p->seg = s;
    p->base = l->end;
    p->next = l->end + h.last_offset_delta + 1;
    p->end_pos = pos + (int64_t)len;
    p->durable = durable;
    p->inflight = true;
    p->cb = cb;
    p->ud = ud;
    p->req.cb = on_write;
    p->req.ud = p;
    seg_index_note(s, io, p->next - 1, h.max_timestamp, pos, (int64_t)len,
                   l->cfg.index_interval_bytes);
    s->size = p->end_pos;
    s->end_offset = l->end = p->next;
    if (l->wq_tail)
        l->wq_tail->link = p;
    else
        l->wq_head = p;
    l->wq_tail = p;
    /* May complete (and call cb) before it returns: p is not touched after. */
    io->ops->pwrite(io, &p->req, s->log_fd, batch, len, (off_t)pos);
    return SL_OK;
}
