/*
 * listoffsets.c - ListOffsets (key 2) v1-5.
 *
 * timestamp -1: the latest offset (the high watermark; with no
 * transactions it is also the last stable offset), -2: the earliest (the
 * log start offset), otherwise the first offset whose record timestamp is
 * >= the one asked, or -1 if there is none.
 *
 * Finding that record may mean reading and decompressing one batch: that
 * runs on the worker pool (the storage step plog_time_probe_run touches
 * only its own fd and memory), and the response goes out when every such
 * partition is done.  A topic being created answers NOT_LEADER_OR_FOLLOWER
 * (retriable), as Kafka does while it elects the partitions' leaders.
 */
#include "../../protocol/msg.h"
#include "../broker.h"

typedef struct lo_ctx {
    msg_listoffsets_resp resp;
    int pending; /* probes on the pool, plus one while the handler runs */
    bool oom;    /* answered by closing, once the probes are done */
} lo_ctx;

typedef struct lo_probe {
    sl_job job;
    breq *r;
    msg_listoffsets_resp_partition *out;
    plog_time_probe probe;
    int64_t offset, timestamp;
} lo_probe;

static void lo_respond(breq *r)
{
    lo_ctx *ctx = r->hctx;
    kbuf_wr w;

    if (ctx->oom) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp_begin(r, &w);
    msg_listoffsets_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

/* @worker: the probe's own fd and memory only. */
static void probe_work(sl_job *j)
{
    lo_probe *lp = CONTAINER_OF(j, lo_probe, job);

    plog_time_probe_run(&lp->probe, &lp->offset, &lp->timestamp);
}

static void probe_done(sl_job *j)
{
    lo_probe *lp = CONTAINER_OF(j, lo_probe, job);
    lo_ctx *ctx = lp->r->hctx;

    lp->out->offset = lp->offset;
    lp->out->timestamp = lp->offset < 0 ? -1 : lp->timestamp;
    if (--ctx->pending == 0)
        lo_respond(lp->r);
}

/* Read (and decompress) the batch on the pool; small plain batches are
 * cheaper to read here than to hand over. */
static void probe_start(breq *r, msg_listoffsets_resp_partition *out, plog_time_probe *probe)
{
    lo_ctx *ctx = r->hctx;
    lo_probe *lp = probe->heavy ? sl_arena_alloc(&r->arena, sizeof *lp) : NULL;

    if (!lp || !r->c->b->pool) {
        plog_time_probe_run(probe, &out->offset, &out->timestamp);
        return;
    }
    lp->r = r;
    lp->out = out;
    lp->probe = *probe;
    lp->job.work = probe_work;
    lp->job.done = probe_done;
    ctx->pending++;
    sl_pool_submit(r->c->b->pool, &lp->job);
}

#define LIST_OFFSETS_LATEST (-1)
#define LIST_OFFSETS_EARLIEST (-2)

static void list_partition(breq *r, plog *log, const msg_listoffsets_req_partition *in,
                           msg_listoffsets_resp_partition *out)
{
    plog_time_probe probe;
    sl_err err;

    out->partition_index = in->partition_index;
    out->timestamp = -1;
    out->offset = -1;
    out->leader_epoch = 0;
    if (!log) {
        out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    /* A log failed by its disk still serves what it holds. */
    switch (in->timestamp) {
    case LIST_OFFSETS_LATEST:
        out->offset = plog_high_watermark(log);
        return;
    case LIST_OFFSETS_EARLIEST:
        out->offset = plog_log_start(log);
        return;
    default:
        if (in->timestamp < 0) {
            /* -3 (max timestamp) needs v7, which we do not advertise. */
            out->error_code = SL_KE_INVALID_REQUEST;
            return;
        }
        err = plog_offset_for_time_begin(log, in->timestamp, &out->offset, &out->timestamp,
                                         &probe);
        if (err) {
            out->error_code = err > 0 ? (int16_t)err : SL_KE_KAFKA_STORAGE_ERROR;
            out->offset = -1;
            out->timestamp = -1;
        } else if (out->offset < 0) {
            out->timestamp = -1;
        } else if (probe.fd >= 0) {
            probe_start(r, out, &probe);
        }
    }
}

void handle_list_offsets(breq *r)
{
    broker *b = r->c->b;
    msg_listoffsets_req req;
    lo_ctx *ctx;
    sl_err err;

    err = msg_listoffsets_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    ctx = sl_arena_calloc(&r->arena, 1, sizeof *ctx);
    if (ctx)
        ctx->resp.topics = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1,
                                           sizeof *ctx->resp.topics);
    if (!ctx || !ctx->resp.topics) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    ctx->resp.topics_count = req.topics_count;
    ctx->pending = 1;
    for (int32_t i = 0; i < req.topics_count; i++) {
        const msg_listoffsets_req_topic *tin = &req.topics[i];
        msg_listoffsets_resp_topic *tout = &ctx->resp.topics[i];
        cat_topic *t = catalog_find(b->cat, tin->name);

        tout->name = tin->name;
        tout->partitions_count = tin->partitions_count;
        tout->partitions = sl_arena_calloc(&r->arena, (size_t)tin->partitions_count + 1,
                                           sizeof *tout->partitions);
        if (!tout->partitions) {
            /* Probes already started hold the request until they are done. */
            ctx->oom = true;
            break;
        }
        for (int32_t j = 0; j < tin->partitions_count; j++) {
            list_partition(r, t ? cat_topic_log(t, tin->partitions[j].partition_index) : NULL,
                           &tin->partitions[j], &tout->partitions[j]);
            if (!t && catalog_creating(b->cat, tin->name))
                tout->partitions[j].error_code = SL_KE_NOT_LEADER_OR_FOLLOWER;
        }
    }
    if (--ctx->pending == 0)
        lo_respond(r);
}
