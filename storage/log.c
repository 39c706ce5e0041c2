/*
 * log.c - one partition log (plog): ordered segments, append, roll, read,
 * watermarks, group commit.  Opening and recovery are in recover.c.
 *
 * INVARIANTS
 *   1. log_start <= durable <= high_watermark (hwm) <= end.
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
 *      still in flight are orphaned (p->log == NULL) and freed when their
 *      completion arrives; the same happens at plog_close.
 *   8. recovery_point is the base of the first segment that may hold
 *      unsynced data; it moves only after the segments below it are fully
 *      synced and their trimmed indexes too (recover.c reads it).
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
#include <unistd.h>

#include "../base/log.h"

#define PEND_FREE_MAX 1024

typedef struct pend {
    sl_io_req req;
    plog_env *env;
    plog *log;           /* NULL once orphaned (failed or closed log) */
    seg *seg;
    int64_t base, next;  /* offsets [base, next) */
    int64_t end_pos;     /* position after the batch in seg */
    bool inflight, durable;
    plog_append_cb cb;
    void *ud;
    struct pend *link;
} pend;

typedef struct syncop {
    sl_io_req req;
    plog_env *env;
    plog *log;           /* NULL once orphaned by plog_close */
    seg *seg;
    int64_t target;
    struct syncop *link;
} syncop;

struct plog_env {
    sl_io *io;
    plog *flush_head;
    unsigned pending;    /* live pends and syncops */
    pend *free_pends;
    size_t nfree;
};


void plog_config_default(plog_config *cfg)
{
    cfg->segment_bytes = (int64_t)1 << 30;
    cfg->index_interval_bytes = 4096;
    cfg->index_max_bytes = 10 * 1024 * 1024;
}

/* --- env ------------------------------------------------------------------ */

sl_err plog_env_new(plog_env **out, sl_io *io)
{
    plog_env *env = calloc(1, sizeof *env);

    if (!env)
        return SL_E_NOMEM;
    env->io = io;
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
unsigned plog_env_pending(plog_env *env) { return env->pending; }

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

static void pend_free(pend *p)
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

static void flush_add(plog *l)
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

static void flush_remove(plog *l)
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
static void plog_fail(plog *l, sl_err cause)
{
    sl_err err = cause == SL_E_NOSPC ? SL_E_NOSPC : SL_E_IO;
    pend *lists[2] = { l->dq_head, l->wq_head };

    if (l->fail_err)
        return;
    l->fail_err = err;
    sl_error("storage", "%s: log failed: %s; nothing more is acknowledged", l->dir,
             sl_err_str(cause));
    flush_remove(l);
    l->dq_head = l->dq_tail = l->wq_head = l->wq_tail = NULL;
    for (int i = 0; i < 2; i++) {
        for (pend *p = lists[i], *next; p; p = next) {
            plog_append_cb cb = p->cb;
            void *ud = p->ud;

            next = p->link;
            if (p->inflight)
                p->log = NULL;
            else
                pend_free(p);
            if (cb)
                cb(ud, err, -1);
        }
    }
}

sl_err plog_state(const plog *l) { return l->fail_err ? SL_E_FATAL : SL_OK; }

/* --- completions ------------------------------------------------------------ */

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
        if (p->durable) {
            if (l->dq_tail)
                l->dq_tail->link = p;
            else
                l->dq_head = p;
            l->dq_tail = p;
            flush_add(l);
        } else {
            plog_append_cb cb = p->cb;
            void *ud = p->ud;
            int64_t base = p->base;

            pend_free(p);
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
    if (!l) {
        pend_free(p);
        return;
    }
    if (res < 0) {
        plog_fail(l, (sl_err)res); /* frees p: it is in wq, complete */
        return;
    }
    advance(l);
}

/* Segments fully synced move the recovery point (invariant 8): rare, once
 * per roll, so the blocking index sync and file write are acceptable. */
static void advance_recovery_point(plog *l)
{
    sl_io *io = l->env->io;
    size_t i = 0;

    while (i + 1 < l->nseg && l->segs[i]->synced >= l->segs[i]->end_offset)
        i++;
    if (l->segs[i]->base <= l->recovery_point)
        return;
    for (size_t k = 0; k < i; k++) {
        if (l->segs[k]->base >= l->recovery_point && io->ops->sync(io, l->segs[k]->idx_fd) < 0)
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

/* One sync of a round is done (or the issuing guard is released). */
static void sync_release(plog *l)
{
    if (--l->nsync > 0 || l->fail_err)
        return;
    if (l->sync_target > l->durable)
        l->durable = l->sync_target;
    while (!l->fail_err && l->dq_head && l->dq_head->next <= l->durable) {
        pend *p = l->dq_head;
        plog_append_cb cb = p->cb;
        void *ud = p->ud;
        int64_t base = p->base;

        l->dq_head = p->link;
        if (!l->dq_head)
            l->dq_tail = NULL;
        pend_free(p);
        cb(ud, SL_OK, base);
    }
    if (!l->dq_head && !rolled_unsynced(l))
        flush_remove(l);
    if (!l->fail_err && l->nseg > 1 && l->segs[l->nseg - 1]->base > l->recovery_point)
        advance_recovery_point(l);
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
    if (res < 0)
        plog_fail(l, (sl_err)res);
    else if (so->target > so->seg->synced)
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
    plog *l, *next;

    for (l = env->flush_head; l; l = next) {
        next = l->flush_next;
        if (l->fail_err) {
            flush_remove(l);
            continue;
        }
        if (l->nsync > 0)
            continue; /* one round at a time; the next turn takes the rest */
        if (l->dq_head ||
            (rolled_unsynced(l) && l->hwm >= l->segs[l->nseg - 2]->end_offset)) {
            sync_submit(l);
            issued++;
        } else if (!rolled_unsynced(l)) {
            flush_remove(l);
        }
    }
    return issued;
}

/* --- open and close ----------------------------------------------------------- */

sl_err plog_open(plog **out, plog_env *env, const char *dir, const plog_config *cfg,
                 char *errstr, size_t errstr_size)
{
    plog_recovered r;
    plog *l;
    sl_err e;

    if (cfg->segment_bytes < REC_HEADER_SIZE || cfg->segment_bytes > SEG_MAX_POS ||
        cfg->index_max_bytes < SEG_INDEX_ENTRY || cfg->index_interval_bytes < 0) {
        snprintf(errstr, errstr_size, "invalid log config (segment.bytes %" PRId64
                 ", segment.index.bytes %d, index.interval.bytes %d)", cfg->segment_bytes,
                 cfg->index_max_bytes, cfg->index_interval_bytes);
        return SL_E_INVAL;
    }
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
    l->log_start = l->segs[0]->base;
    l->end = l->hwm = l->durable = r.end_offset;
    l->recovery_point = r.recovery_point;
    *out = l;
    return SL_OK;
}

void plog_close(plog *l)
{
    sl_io *io;
    sl_err err = SL_OK;

    if (!l)
        return;
    io = l->env->io;
    if (l->wq_head || l->syncs) {
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
                pend_free(p);
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
            pend_free(p);
            cb(ud, SL_OK, base);
        }
        l->dq_tail = NULL;
        advance_recovery_point(l);
    }
    flush_remove(l);
    for (size_t i = 0; i < l->nseg; i++)
        seg_close(l->segs[i], io);
    free(l->segs);
    free(l->dir);
    free(l);
}

int64_t plog_log_start(const plog *l) { return l->log_start; }
int64_t plog_end_offset(const plog *l) { return l->end; }
int64_t plog_high_watermark(const plog *l) { return l->hwm; }
int64_t plog_durable(const plog *l) { return l->durable; }

/* --- append ------------------------------------------------------------------ */

static sl_err roll(plog *l)
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
    /* Invariant 6: the new file's name is durable before its first ack. */
    if (e == SL_OK)
        e = (sl_err)io->ops->sync_dir(io, l->dir);
    if (e != SL_OK) {
        sl_error("storage", "roll %s: %s", s->log_path, sl_err_str(e));
        seg_delete(s, io);
        return e;
    }
    /* The old index gets no more entries; appends in flight to the old
     * segment already have theirs. */
    if (seg_index_trim(old, io) != SL_OK)
        sl_warn("storage", "%s: index trim failed, lookups scan", old->idx_path);
    l->segs[l->nseg++] = s;
    flush_add(l); /* invariant 4: the rolled segment gets its sync */
    return SL_OK;
}

sl_err plog_append(plog *l, uint8_t *batch, size_t len, bool durable, plog_append_cb cb,
                   void *ud)
{
    sl_io *io = l->env->io;
    rec_batch h;
    seg *s;
    pend *p;
    int64_t pos;

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
    /* Roll as Kafka does: the batch would pass segment.bytes, the index is
     * full, or a relative offset would not fit in 4 bytes.  An empty
     * segment takes any batch. */
    if (s->size > 0 &&
        (s->size + (int64_t)len > l->cfg.segment_bytes || seg_index_full(s) ||
         l->end + h.last_offset_delta - s->base > INT32_MAX)) {
        sl_err e = roll(l);

        if (e != SL_OK)
            return e;
        s = l->segs[l->nseg - 1];
    }
    p = pend_alloc(l->env);
    if (!p)
        return SL_E_NOMEM;
    rec_batch_set_base_offset(batch, l->end);
    rec_batch_set_leader_epoch(batch, 0);
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
    seg_index_note(s, p->next - 1, pos, (int64_t)len, l->cfg.index_interval_bytes);
    if (h.max_timestamp > s->max_ts)
        s->max_ts = h.max_timestamp;
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
