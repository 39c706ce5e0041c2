/*
 * fetch.c - Fetch (key 1) v4-13, with Kafka's long poll.
 *
 * Each partition gets the whole batch that contains the fetch offset and
 * following whole batches within its partition_max_bytes, and the response
 * within max_bytes (and the broker's fetch.max.bytes); the first batch of
 * the response always goes, however large, so a consumer can make
 * progress, and then no batch past the limit (KIP-74).  Record bytes go from
 * the segment file to the socket with sendfile, never through user space.
 *
 * If fewer than min_bytes are ready, the request is parked (Kafka's
 * purgatory) until data arrives or max_wait_ms passes.  Errors answer at
 * once.  Fetch sessions are not kept: session_id is always 0, so every
 * request is a full fetch (KIP-227 allows it).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../base/log.h"
#include "../../protocol/msg.h"
#include "../broker.h"
#include "../topic_config.h"

typedef struct fetch_ctx {
    msg_fetch_req req;
    msg_fetch_resp resp;  /* arrays allocated once, refilled per attempt */
    plog_slice *slices;   /* in output order, for the splice callback */
    int nslices, next_slice;
    int64_t hwm_sum;      /* sum of the partitions' high watermarks, as
                             last seen by fetch_ready */
    int64_t waited_at;    /* hwm_sum of the last attempt short of
                             min_bytes: retry only once it moves */
    breq *r;
    kbuf_wr *w;
} fetch_ctx;

static cat_topic *resolve(broker *b, int16_t version, const msg_fetch_req_topic *t)
{
    return version >= 13 ? catalog_find_id(b->cat, t->topic_id) : catalog_find(b->cat, t->topic);
}

/* KIP-110: a topic whose compression.type is zstd is not served to Fetch
 * below v10, as Kafka decides it (by the topic's setting, not by looking
 * at the batches). */
static bool topic_is_zstd(broker *b, cat_topic *t)
{
    const char *ov = cat_topic_overrides(t);
    char v[16];

    return *ov && tcfg_value(&b->cfg, ov, "compression.type", v, sizeof v) && !strcmp(v, "zstd");
}

/* Cheap check before any read: is anything worth answering now?  Errors
 * are; data is, unless the last attempt found it short of min_bytes and no
 * high watermark has moved since (they only grow). */
static bool fetch_ready(breq *r)
{
    fetch_ctx *ctx = r->hctx;
    broker *b = r->c->b;
    bool data = false;

    ctx->hwm_sum = 0;
    for (int32_t i = 0; i < ctx->req.topics_count; i++) {
        const msg_fetch_req_topic *tin = &ctx->req.topics[i];
        cat_topic *t = resolve(b, r->hdr.api_version, tin);

        for (int32_t j = 0; j < tin->partitions_count; j++) {
            const msg_fetch_req_partition *pin = &tin->partitions[j];
            plog *log = t ? cat_topic_log(t, pin->partition) : NULL;

            if (!log)
                return true;
            ctx->hwm_sum += plog_high_watermark(log);
            if (pin->fetch_offset != plog_high_watermark(log))
                data = true;
        }
    }
    return data && ctx->hwm_sum != ctx->waited_at;
}

/* The response arrays, once: a parked request is tried again as data
 * arrives, and must not grow its arena each time. */
static bool fetch_alloc(breq *r)
{
    fetch_ctx *ctx = r->hctx;
    msg_fetch_req *req = &ctx->req;
    int nparts = 0;

    if (ctx->slices)
        return true;
    for (int32_t i = 0; i < req->topics_count; i++)
        nparts += req->topics[i].partitions_count;
    ctx->slices = sl_arena_calloc(&r->arena, (size_t)nparts + 1, sizeof *ctx->slices);
    ctx->resp.responses = sl_arena_calloc(&r->arena, (size_t)req->topics_count + 1,
                                          sizeof *ctx->resp.responses);
    if (!ctx->slices || !ctx->resp.responses)
        return false;
    ctx->resp.responses_count = req->topics_count;
    for (int32_t i = 0; i < req->topics_count; i++) {
        msg_fetch_resp_topic *tout = &ctx->resp.responses[i];

        tout->partitions_count = req->topics[i].partitions_count;
        tout->partitions = sl_arena_calloc(&r->arena, (size_t)tout->partitions_count + 1,
                                           sizeof *tout->partitions);
        if (!tout->partitions)
            return false;
    }
    return true;
}

static void on_splice(void *vctx, size_t out_offset, const msg_fetch_resp_partition *p)
{
    fetch_ctx *ctx = vctx;
    plog_slice *s = &ctx->slices[ctx->next_slice++];

    (void)out_offset;
    (void)p;
    resp_add_splice(ctx->r, ctx->w, s->fd, s->pos, s->len);
    s->fd = -1; /* the response owns it now */
}

static void close_slices(fetch_ctx *ctx)
{
    for (int i = 0; i < ctx->nslices; i++)
        if (ctx->slices[i].fd >= 0)
            close(ctx->slices[i].fd);
    ctx->nslices = 0;
}

/*
 * Build the response.  Unless `final`, give up (and return false) when
 * fewer than min_bytes are available, so the request can wait.
 */
static bool fetch_try(breq *r, bool final)
{
    fetch_ctx *ctx = r->hctx;
    broker *b = r->c->b;
    msg_fetch_req *req = &ctx->req;
    int64_t total = 0, max_bytes = req->max_bytes > 0 ? req->max_bytes : 0;
    bool any_error = false;
    kbuf_wr w;

    /* fetch.max.bytes keeps every response far below the 2 GiB its int32
     * size can say, whatever the client asks. */
    if (max_bytes > b->cfg.fetch_max_bytes)
        max_bytes = b->cfg.fetch_max_bytes;
    if (!final && !fetch_ready(r))
        return false;
    if (!fetch_alloc(r)) {
        req_malformed(r, SL_E_NOMEM);
        return true;
    }
    ctx->nslices = 0;
    for (int32_t i = 0; i < req->topics_count; i++) {
        const msg_fetch_req_topic *tin = &req->topics[i];
        msg_fetch_resp_topic *tout = &ctx->resp.responses[i];
        cat_topic *t = resolve(b, r->hdr.api_version, tin);

        tout->topic = tin->topic;
        memcpy(tout->topic_id, tin->topic_id, 16);
        for (int32_t j = 0; j < tin->partitions_count; j++) {
            const msg_fetch_req_partition *pin = &tin->partitions[j];
            msg_fetch_resp_partition *pout = &tout->partitions[j];
            plog *log = t ? cat_topic_log(t, pin->partition) : NULL;
            plog_slice s = { -1, 0, 0 };
            int64_t budget;
            sl_err err;

            pout->partition_index = pin->partition;
            pout->error_code = 0;
            pout->high_watermark = -1;
            pout->last_stable_offset = -1;
            pout->log_start_offset = -1;
            pout->aborted_transactions_count = 0; /* empty, not null */
            pout->preferred_read_replica = -1;
            pout->records = sl_bytes_make("", 0);
            pout->records_external_len = MSG_FETCH_RECORDS_INLINE;
            if (!log) {
                pout->error_code = !t && r->hdr.api_version >= 13 ? SL_KE_UNKNOWN_TOPIC_ID
                                                                 : SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
                any_error = true;
                continue;
            }
            pout->high_watermark = plog_high_watermark(log);
            pout->last_stable_offset = pout->high_watermark;
            pout->log_start_offset = plog_log_start(log);
            /* A log failed by its disk still serves what it holds. */
            if (r->hdr.api_version < 10 && topic_is_zstd(b, t)) {
                pout->error_code = SL_KE_UNSUPPORTED_COMPRESSION_TYPE;
                any_error = true;
                continue;
            }
            /* max_bytes bounds the whole response from the first partition
             * on; only the first batch of the response may pass it. */
            budget = pin->partition_max_bytes;
            if (budget > max_bytes - total)
                budget = max_bytes - total;
            if (budget <= 0 && total > 0)
                continue;
            err = plog_read(log, pin->fetch_offset, budget > 0 ? budget : 1, &s);
            if (err) {
                pout->error_code = err > 0 ? (int16_t)err : SL_KE_KAFKA_STORAGE_ERROR;
                any_error = true;
                continue;
            }
            if (s.len == 0) {
                if (s.fd >= 0)
                    close(s.fd);
                continue;
            }
            /* Past the first batch of the response, limits are strict. */
            if (total > 0 && s.len > budget) {
                close(s.fd);
                continue;
            }
            ctx->slices[ctx->nslices++] = s;
            pout->records_external_len = s.len;
            total += s.len;
        }
    }
    if (!final && !any_error && total < (req->min_bytes > 0 ? req->min_bytes : 1)) {
        close_slices(ctx);
        ctx->waited_at = ctx->hwm_sum;
        return false;
    }
    resp_begin(r, &w);
    ctx->r = r;
    ctx->w = &w;
    ctx->next_slice = 0;
    msg_fetch_resp_encode(&w, r->hdr.api_version, &ctx->resp, on_splice, ctx);
    close_slices(ctx);
    resp_finish(r, &w);
    return true;
}

static void on_fetch_timeout(sl_timer *t);
static void on_fetch_cancel(breq *r);

static void park(breq *r, int64_t wait_ms)
{
    broker *b = r->c->b;

    TAILQ_INSERT_TAIL(&b->parked, r, park_link);
    r->park_list = &b->parked;
    r->cancel = on_fetch_cancel;
    timer_arm(b, &r->timer, wait_ms, on_fetch_timeout);
}

static void unpark(breq *r)
{
    if (r->park_list) {
        TAILQ_REMOVE(r->park_list, r, park_link);
        r->park_list = NULL;
    }
    timer_cancel(r->c->b, &r->timer);
    r->cancel = NULL;
}

static void on_fetch_timeout(sl_timer *t)
{
    breq *r = CONTAINER_OF(t, breq, timer);

    unpark(r);
    fetch_try(r, true);
}

static void on_fetch_cancel(breq *r)
{
    unpark(r);
    fetch_try(r, true);
}

void fetch_wake_parked(broker *b)
{
    struct breq_list pending = TAILQ_HEAD_INITIALIZER(pending);
    breq *r;

    /* Work on a local list: answering one may close a connection, which
     * cancels its other parked requests wherever they are. */
    TAILQ_CONCAT(&pending, &b->parked, park_link);
    TAILQ_FOREACH(r, &pending, park_link)
        r->park_list = &pending;
    while ((r = TAILQ_FIRST(&pending)) != NULL) {
        int64_t deadline = r->timer.deadline_ms;

        TAILQ_REMOVE(&pending, r, park_link);
        TAILQ_INSERT_TAIL(&b->parked, r, park_link);
        r->park_list = &b->parked;
        if (!fetch_ready(r))
            continue;
        unpark(r);
        /* Fewer than min_bytes so far: wait on, to the same deadline. */
        if (!fetch_try(r, false))
            park(r, deadline - sl_now_ms());
    }
}

void handle_fetch(breq *r)
{
    broker *b = r->c->b;
    fetch_ctx *ctx;
    int64_t wait_ms;
    sl_err err;

    ctx = sl_arena_alloc(&r->arena, sizeof *ctx);
    if (!ctx) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    ctx->waited_at = -1;
    err = msg_fetch_req_decode(&r->body, r->hdr.api_version, &r->arena, &ctx->req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    /* fetch.max.wait.cap.ms: a parked Fetch holds its connection's queue. */
    wait_ms = ctx->req.max_wait_ms < b->cfg.fetch_max_wait_cap_ms ? ctx->req.max_wait_ms
                                                                   : b->cfg.fetch_max_wait_cap_ms;
    if (fetch_try(r, wait_ms <= 0 || b->stopping))
        return;
    park(r, wait_ms);
}
