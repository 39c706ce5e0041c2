/*
 * log_revive.c - a log failed by a full disk takes writes again once the
 * disk has room (log.c, invariant 7), without a restart.
 *
 * When a write finds no space (ENOSPC, EDQUOT), the log fails: everything
 * waiting gets the error and nothing more is acknowledged.  What was
 * acknowledged lies below hwm (acks=1 after its write completed, acks=all
 * after a sync as well); every byte past it is unacknowledged: a write that
 * failed or was cut short, or one that completed after a failed one.
 *
 * plog_revive tries, at most once per REVIVE_BACKOFF_MS and only when the
 * filesystem reports REVIVE_MIN_FREE bytes free: once nothing of the log
 * is in flight, it removes the segments that start past hwm, truncates
 * the one that then ends the log to the bytes below hwm, re-reads it
 * (framing, CRC-32C, offsets: it must end exactly at hwm) while rebuilding
 * its indexes, and syncs it (the cut too) and every segment not yet
 * synced.  Then appends go
 * on at hwm.  A log failed by a sync or an I/O error is not revived: after
 * a failed fsync the page cache may hold data the disk does not, so only
 * a restart's recovery is trusted there.
 */
#include "storage_int.h"

#include <inttypes.h>
#include <sys/statvfs.h>

#include "../base/log.h"

#define REVIVE_BACKOFF_MS 1000
#define REVIVE_MIN_FREE ((uint64_t)1 << 20)

static bool has_room(const seg *s)
{
    struct statvfs st;

    if (fstatvfs(s->log_fd, &st) != 0)
        return true; /* unknown: the next write tells */
    return (uint64_t)st.f_bavail * st.f_frsize >= REVIVE_MIN_FREE;
}

/* Cut the log back to hwm and check and sync what stays. */
static sl_err cut_to_hwm(plog *l)
{
    sl_io *io = plog_env_io(l->env);
    bool removed = false;
    int64_t valid_end;
    seg *s;
    sl_err e;

    while (l->nseg > 1 && l->segs[l->nseg - 1]->base > l->hwm) {
        s = l->segs[--l->nseg];
        sl_warn("storage", "%s: removed: nothing in it was acknowledged", s->log_path);
        seg_delete(s, io);
        removed = true;
    }
    s = l->segs[l->nseg - 1];
    if (s->size > s->written)
        sl_warn("storage", "%s: cut %" PRId64 " unacknowledged bytes at %" PRId64, s->log_path,
                s->size - s->written, s->written);
    e = (sl_err)io->ops->truncate(io, s->log_fd, (off_t)s->written);
    if (e != SL_OK)
        return e;
    s->size = s->written;
    if (s->hinted > s->size)
        s->hinted = s->size;
    /* The indexes may hold entries of cut batches, and max_ts their
     * timestamps: both are rebuilt by the check. */
    e = seg_index_open_rw(s, io, l->cfg.index_max_bytes);
    if (e == SL_OK)
        e = plog_scan_seg(io, s, true, l->cfg.index_interval_bytes, &valid_end);
    if (e != SL_OK)
        return e;
    if (valid_end != s->size || s->end_offset != l->hwm) {
        sl_error("storage", "%s: acknowledged data does not check: it ends at byte %" PRId64
                 " offset %" PRId64 ", expected %" PRId64 " and %" PRId64, s->log_path,
                 valid_end, s->end_offset, s->size, l->hwm);
        s->end_offset = l->hwm;
        return SL_E_MALFORMED;
    }
    /* The segment ending the log always: its cut must be durable before
     * new appends reuse the offsets, or a crash could bring the cut
     * batches back in place of them. */
    for (size_t i = 0; i < l->nseg; i++) {
        seg *x = l->segs[i];

        if (x->synced >= x->end_offset && x != s)
            continue;
        e = (sl_err)io->ops->sync(io, x->log_fd);
        if (e != SL_OK)
            return e;
        x->synced = x->end_offset;
    }
    if (removed && (e = (sl_err)io->ops->sync_dir(io, l->dir)) != SL_OK)
        return e;
    /* Recovery must scan the segment that takes the appends now. */
    if (l->recovery_point > s->base) {
        e = plog_write_recovery_point(io, l->dir, s->base);
        if (e != SL_OK)
            return e;
        l->recovery_point = s->base;
    }
    l->end = l->durable = l->hwm;
    s->first_append_ms = s->size > 0 ? plog_env_now(l->env) : -1;
    return SL_OK;
}

sl_err plog_revive(plog *l)
{
    int64_t now;
    sl_err e;

    if (!l->fail_err)
        return SL_OK;
    if (!l->revivable || l->lost || l->nsync || l->syncs)
        return SL_E_FATAL;
    now = plog_env_now(l->env);
    if (now - l->failed_ms < REVIVE_BACKOFF_MS || !has_room(l->segs[l->nseg - 1]))
        return SL_E_FATAL;
    l->failed_ms = now;
    e = cut_to_hwm(l);
    if (e != SL_OK) {
        sl_error("storage", "%s: still failed, cutting back to offset %" PRId64 ": %s", l->dir,
                 l->hwm, sl_err_str(e));
        return SL_E_FATAL;
    }
    l->fail_err = SL_OK;
    l->revivable = false;
    sl_info("storage", "%s: disk has room again: taking writes at offset %" PRId64, l->dir,
            l->hwm);
    return SL_OK;
}
