/*
 * log_flush.c - group commit and the flush policy of partition logs: which
 * logs need a datasync, one sync round per log at a time, the durable
 * offset and the acks=all callbacks it releases, and the recovery point
 * that follows fully synced segments.  The invariants (4, 5, 8, 9) are
 * written at the top of log.c.
 */
#include "storage_int.h"

#include <stdint.h>
#include <stdlib.h>

/* Segments fully synced move the recovery point (invariant 8): rare, once
 * per roll, so the blocking index sync and file write are acceptable. */
void plog_advance_recovery_point(plog *l)
{
    sl_io *io = l->env->io;
    size_t i = 0;

    while (i + 1 < l->nseg && l->segs[i]->synced >= l->segs[i]->end_offset)
        i++;
    if (l->segs[i]->base <= l->recovery_point)
        return;
    for (size_t k = 0; k < i; k++) {
        seg *s = l->segs[k];

        if (s->base >= l->recovery_point &&
            (io->ops->sync(io, s->idx_fd) < 0 || io->ops->sync(io, s->tix_fd) < 0))
            return; /* the point stays: recovery rebuilds those indexes */
    }
    if (plog_write_recovery_point(io, l->dir, l->segs[i]->base) == SL_OK)
        l->recovery_point = l->segs[i]->base;
}

/* The segment before the active one still has unsynced offsets (rounds
 * sync in order, so every older one is synced). */
static bool rolled_unsynced(const plog *l)
{
    const seg *s = l->nseg > 1 ? l->segs[l->nseg - 2] : NULL;

    return s && s->synced < s->end_offset;
}

/* Invariant 9: unsynced data that a flush policy will want synced. */
bool plog_policy_pending(const plog *l)
{
    return l->hwm > l->durable &&
           (l->cfg.flush_ms >= 0 || l->cfg.flush_messages != INT64_MAX);
}

/* Invariant 9: a policy wants a round now. */
static bool policy_due(const plog *l, int64_t now)
{
    if (l->hwm <= l->durable)
        return false;
    if (l->hwm - l->durable >= l->cfg.flush_messages)
        return true;
    return l->cfg.flush_ms >= 0 && now - l->last_flush_ms >= l->cfg.flush_ms;
}

/* One sync of a round is done (or the issuing guard is released). */
static void sync_release(plog *l)
{
    if (--l->nsync > 0 || l->fail_err)
        return;
    if (l->sync_target > l->durable)
        l->durable = l->sync_target;
    l->last_flush_ms = plog_env_now(l->env);
    while (!l->fail_err && l->dq_head && l->dq_head->next <= l->durable) {
        pend *p = l->dq_head;
        plog_append_cb cb = p->cb;
        void *ud = p->ud;
        int64_t base = p->base;

        l->dq_head = p->link;
        if (!l->dq_head)
            l->dq_tail = NULL;
        plog_pend_free(p);
        cb(ud, SL_OK, base);
    }
    if (!l->dq_head && !rolled_unsynced(l) && !plog_policy_pending(l))
        plog_flush_remove(l);
    if (!l->fail_err && l->nseg > 1 && l->segs[l->nseg - 1]->base > l->recovery_point)
        plog_advance_recovery_point(l);
}

static void on_sync(sl_io_req *req, int64_t res)
{
    syncop *so = req->ud;
    plog *l = so->log;

    so->env->pending--;
    if (!l) {
        free(so);
        return;
    }
    for (syncop **pp = &l->syncs; *pp; pp = &(*pp)->link) {
        if (*pp == so) {
            *pp = so->link;
            break;
        }
    }
    if (res < 0) {
        /* After a failed sync the page cache cannot be trusted to be what
         * is on disk (the error is reported once): no revive, a restart
         * recovers from the recovery point. */
        l->revivable = false;
        plog_fail(l, (sl_err)res);
    } else if (so->target > so->seg->synced)
        so->seg->synced = so->target;
    free(so);
    sync_release(l);
}

/* Invariant 5: one round, target = hwm now.  Segments before `first` are
 * fully synced (rounds sync in order, so there is no gap). */
static void sync_submit(plog *l)
{
    sl_io *io = l->env->io;
    int64_t target = l->hwm;
    size_t first = l->nseg - 1;

    while (first > 0 && l->segs[first - 1]->synced < l->segs[first - 1]->end_offset)
        first--;
    l->sync_target = target;
    l->nsync = 1; /* guard: a synchronous io completes inside the loop */
    for (size_t i = first; i < l->nseg && !l->fail_err; i++) {
        seg *s = l->segs[i];
        int64_t want = s->end_offset < target ? s->end_offset : target;
        syncop *so;

        if (s->synced >= want)
            continue;
        so = calloc(1, sizeof *so);
        if (!so) {
            plog_fail(l, SL_E_NOMEM);
            break;
        }
        so->env = l->env;
        so->log = l;
        so->seg = s;
        so->target = want;
        so->link = l->syncs;
        so->req.cb = on_sync;
        so->req.ud = so;
        l->syncs = so;
        l->nsync++;
        l->env->pending++;
        io->ops->datasync(io, &so->req, s->log_fd);
    }
    sync_release(l);
}

int plog_env_flush(plog_env *env)
{
    int issued = 0;
    int64_t now = INT64_MIN;
    plog *l, *next;

    for (l = env->flush_head; l; l = next) {
        next = l->flush_next;
        if (l->fail_err) {
            plog_flush_remove(l);
            continue;
        }
        if (l->nsync > 0)
            continue; /* one round at a time; the next turn takes the rest */
        if (now == INT64_MIN && l->cfg.flush_ms >= 0)
            now = plog_env_now(env);
        if (l->dq_head ||
            (rolled_unsynced(l) && l->hwm >= l->segs[l->nseg - 2]->end_offset) ||
            policy_due(l, now)) {
            sync_submit(l);
            issued++;
        } else if (!rolled_unsynced(l) && !plog_policy_pending(l)) {
            plog_flush_remove(l);
        }
    }
    return issued;
}

int64_t plog_env_flush_wait_ms(plog_env *env)
{
    int64_t now = plog_env_now(env), best = -1;

    for (plog *l = env->flush_head; l; l = l->flush_next) {
        int64_t w;

        if (l->fail_err || l->cfg.flush_ms < 0 || l->hwm <= l->durable)
            continue;
        w = l->last_flush_ms + l->cfg.flush_ms - now;
        if (w < 0 || l->nsync > 0)
            w = 0; /* due (or due once the round in flight completes) */
        if (best < 0 || w < best)
            best = w;
    }
    return best;
}

