/*
 * log_retention.c - deleting a partition log's oldest segments: retention
 * by time and size, the log start (DeleteRecords), and the unlinks off the
 * loop.  Invariant 10 of log.c.
 */
#include "storage_int.h"

#include <stdlib.h>
#include <string.h>

#include "../base/log.h"

static void on_unlinked(sl_io_req *req, int64_t res)
{
    unlink_op *u = req->ud;

    plog_env_release(u->env);
    if (u->log) {
        unlink_op **pp = &u->log->unlinks;

        while (*pp && *pp != u)
            pp = &(*pp)->link;
        if (*pp)
            *pp = u->link;
    }
    if (res < 0 && res != SL_E_NOTFOUND)
        sl_warn("storage", "unlink %s: %s", u->path, sl_err_str((sl_err)res));
    free(u);
}

/* Invariant 10: rename, unlink the indexes, close; unlink the data off the
 * loop. */
static void retire(plog *l, seg *s)
{
    plog_env *env = l->env;
    sl_io *io = plog_env_io(env);
    size_t n = strlen(s->log_path);
    unlink_op *u = malloc(sizeof *u + n + sizeof ".deleted");
    int r;

    if (!u) {
        seg_delete(s, io);
        return;
    }
    memcpy(u->path, s->log_path, n);
    memcpy(u->path + n, ".deleted", sizeof ".deleted");
    r = io->ops->rename(io, s->log_path, u->path);
    if (r != SL_OK) {
        sl_warn("storage", "rename %s: %s; unlinking it here", s->log_path, sl_err_str((sl_err)r));
        free(u);
        seg_delete(s, io);
        return;
    }
    free(s->log_path);
    s->log_path = NULL; /* seg_delete now removes only the indexes */
    seg_delete(s, io);
    u->env = env;
    u->log = l;
    u->link = l->unlinks;
    l->unlinks = u;
    u->req.cb = on_unlinked;
    u->req.ud = u;
    plog_env_hold(env);
    io->ops->unlink_async(io, &u->req, u->path);
}

/* Invariant 10: s may not be deleted yet. */
static bool seg_busy(const plog *l, const seg *s)
{
    /* Unsynced data: a power loss may undo the rename and bring the
     * segment back torn, and recovery would cut there, losing the synced
     * segments after it.  Rolled segments are synced at once (invariant
     * 4), so this waits one flush round at most. */
    if (s->synced < s->end_offset || s->end_offset > l->hwm)
        return true;
    for (const syncop *so = l->syncs; so; so = so->link)
        if (so->seg == s)
            return true;
    return false;
}

/* How many of the oldest segments retention and the log start want
 * deleted (the last one included, if non-empty), busy or not. */
static size_t deletable(const plog *l, int64_t now)
{
    size_t n = l->nseg, k = 0, kt = 0, kb = 0;
    const seg *last = l->segs[n - 1];

    /* Wholly below the log start (DeleteRecords). */
    while (k + 1 < n && l->segs[k + 1]->base <= l->log_start)
        k++;
    if (last->size > 0 && last->end_offset <= l->log_start)
        k = n;
    /* retention.ms: the segment's newest timestamp is too old. */
    if (l->cfg.retention_ms >= 0) {
        while (kt < n && l->segs[kt]->size > 0 &&
               now - seg_retention_time(l->segs[kt]) > l->cfg.retention_ms)
            kt++;
    }
    /* retention.bytes: drop the oldest while the rest stays above it. */
    if (l->cfg.retention_bytes >= 0) {
        int64_t diff = -l->cfg.retention_bytes;

        for (size_t i = 0; i < n; i++)
            diff += l->segs[i]->size;
        while (kb < n && l->segs[kb]->size > 0 && diff - l->segs[kb]->size >= 0) {
            diff -= l->segs[kb]->size;
            kb++;
        }
    }
    if (kt > k)
        k = kt;
    if (kb > k)
        k = kb;
    return k;
}

/* Delete the k oldest segments, k < nseg, none busy (invariant 10). */
static int delete_oldest(plog *l, size_t k)
{
    if (k == 0)
        return 0;
    for (size_t i = 0; i < k; i++) {
        sl_info("storage", "%s: deleting segment %" PRId64 " (offsets %" PRId64 "..%" PRId64
                ", %" PRId64 " bytes)", l->dir, l->segs[i]->base, l->segs[i]->base,
                l->segs[i]->end_offset - 1, l->segs[i]->size);
        retire(l, l->segs[i]);
    }
    memmove(l->segs, l->segs + k, (l->nseg - k) * sizeof *l->segs);
    l->nseg -= k;
    if (l->segs[0]->base > l->log_start)
        l->log_start = l->segs[0]->base;
    return (int)k;
}

int plog_retention_run(plog *l, int64_t now_ms)
{
    size_t due, k = 0;
    bool failed = l->fail_err != SL_OK;

    /* A log failed by its disk still gives back its old segments (synced,
     * below hwm): that is how a full disk gets room again.  It does not
     * roll: nothing may be written to it. */
    due = deletable(l, now_ms);
    if (due == l->nseg) {
        /* The active segment is due too: roll (as Kafka does), so the log
         * keeps a segment and the old one gets its sync; it goes at the
         * next run if it is not synced yet.  Not while writes to it are
         * in flight. */
        if (failed || l->end != l->hwm || plog_roll(l) != SL_OK)
            due--;
        if (!failed && l->fail_err)
            return SL_E_FATAL;
    }
    while (k < due && !seg_busy(l, l->segs[k]))
        k++;
    k = (size_t)delete_oldest(l, k);
    return failed ? SL_E_FATAL : (int)k;
}

sl_err plog_delete_records(plog *l, int64_t offset, int64_t *low_watermark)
{
    sl_err e;

    *low_watermark = l->log_start;
    if (l->fail_err)
        return SL_E_FATAL;
    if (offset == -1) /* Kafka: the high watermark */
        offset = l->hwm;
    if (offset < 0 || offset > l->hwm)
        return SL_KE_OFFSET_OUT_OF_RANGE;
    if (offset <= l->log_start)
        return SL_OK;
    /* Persisted before it moves (invariant 1): a restart keeps it. */
    e = plog_write_log_start(plog_env_io(l->env), l->dir, offset);
    if (e != SL_OK) {
        sl_error("storage", "%s: log start offset file: %s", l->dir, sl_err_str(e));
        return e;
    }
    l->log_start = offset;
    /* Only what the new start frees: retention.ms/.bytes wait for the
     * next check. */
    {
        size_t k = 0, n = l->nseg;

        while (k + 1 < n && l->segs[k + 1]->base <= l->log_start && !seg_busy(l, l->segs[k]))
            k++;
        delete_oldest(l, k);
    }
    *low_watermark = l->log_start;
    return SL_OK;
}
