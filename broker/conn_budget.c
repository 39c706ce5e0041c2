/*
 * conn_budget.c - how many request bytes the broker holds, per connection
 * and in all (queued.max.request.bytes.per.connection and
 * queued.max.request.bytes).
 *
 * What counts: the buffer of a frame being received (as allocated, it
 * grows with the bytes) and every complete frame until its request no
 * longer needs it (conn.c frees a frame once the request is answered;
 * an in-flight Produce's batches are written from it).
 *
 * Invariants:
 *  - A connection starts a new frame only while it holds less than its
 *    budget; the frame it is reading is always finished, so one frame
 *    larger than the budget is still served.
 *  - b->req_bytes may exceed queued.max.request.bytes by one frame only:
 *    that of b->mem_overshoot, the one connection allowed to take a frame
 *    past what is left.  Everyone else refused waits on b->mem_waiters
 *    (its socket unread, as Kafka mutes a channel) and is kicked when
 *    bytes are freed.
 */
#include "../base/log.h"
#include "broker.h"

static void wait_for_memory(conn *c)
{
    broker *b = c->b;

    if (!c->mem_waiting) {
        c->mem_waiting = true;
        TAILQ_INSERT_TAIL(&b->mem_waiters, c, mem_link);
        sl_debug("net", "queued.max.request.bytes (%lld) reached: not reading from %s",
                 (long long)b->cfg.queued_max_request_bytes, c->peer);
    }
}

bool budget_take(conn *c, size_t n)
{
    broker *b = c->b;
    int64_t q = b->cfg.queued_max_request_bytes;

    if (q < 0 || b->mem_overshoot == c || b->req_bytes + n <= (uint64_t)q) {
        /* fits */
    } else if (!b->mem_overshoot && b->req_bytes <= (uint64_t)q) {
        /* Until this frame is complete.  "<=": other frames' buffers
         * alone may fill the limit exactly, and one of them must still
         * be able to finish. */
        b->mem_overshoot = c;
    } else {
        wait_for_memory(c);
        return false;
    }
    c->held += n;
    b->req_bytes += n;
    return true;
}

bool budget_may_start(conn *c)
{
    int64_t per_conn = c->b->cfg.queued_max_request_bytes_per_conn;
    int64_t q = c->b->cfg.queued_max_request_bytes;

    if (per_conn >= 0 && c->held >= (uint64_t)per_conn)
        return false; /* its own requests finishing frees it */
    if (q >= 0 && c->b->req_bytes >= (uint64_t)q && c->b->mem_overshoot != c) {
        wait_for_memory(c);
        return false;
    }
    return true;
}

/* Everyone waiting gets another look; those still refused queue again. */
static void wake_waiters(broker *b)
{
    conn *c;

    while ((c = TAILQ_FIRST(&b->mem_waiters)) != NULL) {
        TAILQ_REMOVE(&b->mem_waiters, c, mem_link);
        c->mem_waiting = false;
        conn_queue_kick(c);
    }
}

void budget_release(conn *c, size_t n)
{
    broker *b = c->b;

    c->held -= n;
    b->req_bytes -= n;
    if (!TAILQ_EMPTY(&b->mem_waiters))
        wake_waiters(b);
}

void budget_frame_done(conn *c)
{
    broker *b = c->b;

    if (b->mem_overshoot == c) {
        b->mem_overshoot = NULL;
        if (!TAILQ_EMPTY(&b->mem_waiters))
            wake_waiters(b);
    }
}

void budget_conn_gone(conn *c)
{
    budget_frame_done(c);
    if (c->mem_waiting) {
        TAILQ_REMOVE(&c->b->mem_waiters, c, mem_link);
        c->mem_waiting = false;
    }
}
