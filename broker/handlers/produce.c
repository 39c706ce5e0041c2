/*
 * produce.c - Produce (key 0) v3-7.
 *
 * Every batch of a partition is validated (length, magic, CRC-32C, record
 * count) before any is appended, so a partition's records are taken whole
 * or not at all.  The batches are appended from the request's own frame
 * buffer: the storage rewrites base offsets in place and writes them, so
 * a batch is copied once between socket and page cache.  maxTimestamp is
 * recomputed from the records as Kafka's LogValidator does (they are walked
 * for validation anyway) and rewritten, with the CRC, only where it is
 * wrong; a compressed batch is decompressed only when its maxTimestamp is
 * below its base timestamp (Sarama 1.22 sends -1), never otherwise.
 * acks=1 answers when the write completed, acks=-1 when an fdatasync
 * covers it (group commit), acks=0 sends no response at all.
 */
#include "../../base/log.h"
#include "../../protocol/msg.h"
#include "../../protocol/codec.h"
#include "../../protocol/records.h"
#include "../broker.h"
#include "../producers.h"
#include "../topic_config.h"

/* The most a compressed batch's records may take decompressed when its
 * maxTimestamp must be found (as ListOffsets allows). */
#define MAX_TIMESTAMP_PLAIN ((size_t)64 << 20)

/* A duplicate batch of an idempotent producer is answered with its
 * original offsets, but only once the original is as safe as the acks
 * asked: written (acks=1) or durable (acks=all). */
struct dup_wait {
    TAILQ_ENTRY(dup_wait) link;
    struct produce_part *pp;
    plog *log;
    int64_t base, last;
    bool durable;
};

typedef struct produce_ctx {
    msg_produce_req req;
    msg_produce_resp resp;
    int pending;
} produce_ctx;

typedef struct produce_part {
    breq *r;
    broker *b;
    msg_produce_resp_partition *out;
    plog *log;
    bool first_done;
} produce_part;

static void produce_respond(breq *r)
{
    produce_ctx *ctx = r->hctx;
    kbuf_wr w;

    if (ctx->req.acks == 0) {
        req_finish_silent(r);
        return;
    }
    resp_begin(r, &w);
    msg_produce_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

static void on_appended(void *ud, sl_err err, int64_t base_offset)
{
    produce_part *pp = ud;
    breq *r = pp->r;
    produce_ctx *ctx = r->hctx;

    if (err) {
        sl_warn_rl("produce", "append failed: %s", sl_err_str(err));
        pp->out->error_code = SL_KE_KAFKA_STORAGE_ERROR;
        pp->out->base_offset = -1;
    } else if (!pp->first_done && !pp->out->error_code) {
        pp->out->base_offset = base_offset;
    }
    pp->first_done = true;
    pp->out->log_start_offset = plog_log_start(pp->log);
    if (--ctx->pending == 0)
        produce_respond(r);
}

/* A log failed by a full disk takes writes again once there is room
 * (plog_revive); what it cut was never acknowledged, so the producers'
 * state is read again from the log. */
static bool log_revived(broker *b, plog *log)
{
    if (plog_revive(log) != SL_OK)
        return false;
    producers_forget(b->prods, log);
    return true;
}

static int64_t topic_max_message_bytes(broker *b, cat_topic *t)
{
    const char *ov = cat_topic_overrides(t);
    plog_config pc;
    int64_t max = b->cfg.message_max_bytes;
    char why[128];

    /* Overrides are a few short lines, and rare: read them when present. */
    if (*ov && tcfg_resolve(&b->cfg, ov, &pc, &max, why, sizeof why) != SL_OK)
        max = b->cfg.message_max_bytes;
    return max;
}

/* A compressed batch's maxTimestamp below its base timestamp cannot be
 * right (Sarama 1.22 sends -1): only then are its records decompressed to
 * find it, as Kafka's LogValidator would; the produce path otherwise never
 * decompresses.  CORRUPT_MESSAGE if they do not decompress. */
static sl_err fix_compressed_max_timestamp(uint8_t *batch, size_t len, const rec_batch *h)
{
    int64_t ts;
    sl_err e;

    if (!(h->attributes & REC_ATTR_CODEC_MASK) || (h->attributes & REC_ATTR_LOG_APPEND_TIME) ||
        h->max_timestamp >= h->base_timestamp)
        return SL_OK;
    e = codec_batch_max_timestamp(batch, len, MAX_TIMESTAMP_PLAIN, &ts);
    if (e == SL_E_RANGE) /* too large to look inside: left as sent */
        return SL_OK;
    if (e)
        return SL_KE_CORRUPT_MESSAGE;
    if (ts != h->max_timestamp)
        rec_batch_set_max_timestamp(batch, len, ts);
    return SL_OK;
}

/* Validate then append one partition's records; counts pending appends. */
static void produce_partition(breq *r, cat_topic *t, const msg_produce_req_partition *in,
                              msg_produce_resp_partition *out, bool durable)
{
    broker *b = r->c->b;
    produce_ctx *ctx = r->hctx;
    produce_part *pp;
    plog *log = t ? cat_topic_log(t, in->index) : NULL;
    const uint8_t *p = in->records.p;
    size_t n = in->records.n;
    int32_t nbatches;
    int64_t now, maxmsg;
    sl_err err;
    uint8_t *wp;

    out->index = in->index;
    out->base_offset = -1;
    out->log_append_time_ms = -1;
    out->log_start_offset = -1;
    if (!log) {
        out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    out->log_start_offset = plog_log_start(log);
    if (in->records.null || n == 0) {
        out->error_code = SL_KE_CORRUPT_MESSAGE;
        return;
    }
    /* The records are borrowed from our own frame buffer, which this
     * request owns until it is freed: write access is ours. */
    wp = r->frame + (p - r->frame);
    err = rec_set_check_fix(wp, n, &nbatches);
    if (err) {
        sl_warn_rl("produce", "rejected records for %s-%d from %s: %s", cat_topic_name(t),
                   in->index, r->c->peer, sl_err_str(err));
        out->error_code = (int16_t)err;
        return;
    }
    /* max.message.bytes (the topic's, else message.max.bytes) bounds each
     * batch. */
    maxmsg = topic_max_message_bytes(b, t);
    for (size_t off = 0; off < n;) {
        rec_batch h;

        rec_batch_peek(p + off, n - off, &h);
        if ((int64_t)rec_batch_size(&h) > maxmsg) {
            out->error_code = SL_KE_MESSAGE_TOO_LARGE;
            return;
        }
        /* KIP-110: zstd only from Produce v7, which promises the client
         * can also read it back. */
        if ((h.attributes & REC_ATTR_CODEC_MASK) == CODEC_ZSTD && r->hdr.api_version < 7) {
            out->error_code = SL_KE_UNSUPPORTED_COMPRESSION_TYPE;
            return;
        }
        if ((err = fix_compressed_max_timestamp(wp + off, n - off, &h)) != SL_OK) {
            out->error_code = (int16_t)err;
            return;
        }
        off += rec_batch_size(&h);
    }
    if (plog_state(log) && !log_revived(b, log)) {
        out->error_code = SL_KE_KAFKA_STORAGE_ERROR;
        return;
    }
    pp = sl_arena_alloc(&r->arena, sizeof *pp);
    if (!pp) {
        out->error_code = SL_KE_UNKNOWN_SERVER_ERROR;
        return;
    }
    pp->r = r;
    pp->b = b;
    pp->out = out;
    pp->log = log;
    now = sl_wallclock_ms();
    for (size_t off = 0; off < n;) {
        rec_batch h;

        int64_t base;

        rec_batch_peek(wp + off, n - off, &h);
        if (h.producer_id >= 0) {
            int64_t dup_base = -1, dup_last = -1;
            int rc = producers_check(b->prods, log, &h, now, &dup_base, &dup_last);

            if (rc > 0) {
                sl_warn_rl("produce", "producer %lld epoch %d seq %d on %s-%d: %s",
                           (long long)h.producer_id, h.producer_epoch, h.base_sequence,
                           cat_topic_name(t), in->index, sl_err_str((sl_err)rc));
                out->error_code = (int16_t)rc;
                return;
            }
            if (rc == PRODUCERS_DUPLICATE) {
                struct dup_wait *d = sl_arena_alloc(&r->arena, sizeof *d);

                if (!d) {
                    out->error_code = SL_KE_UNKNOWN_SERVER_ERROR;
                    return;
                }
                *d = (struct dup_wait){ .pp = pp, .log = log, .base = dup_base,
                                        .last = dup_last, .durable = durable };
                ctx->pending++;
                TAILQ_INSERT_TAIL(&b->dup_waits, d, link);
                off += rec_batch_size(&h);
                continue;
            }
        }
        base = plog_end_offset(log);
        ctx->pending++;
        err = plog_append(log, wp + off, rec_batch_size(&h), durable, on_appended, pp);
        if (err) {
            ctx->pending--;
            out->error_code = SL_KE_KAFKA_STORAGE_ERROR;
            return;
        }
        /* -1 unless the topic stamps LogAppendTime. */
        out->log_append_time_ms = plog_last_append_time(log);
        if (h.producer_id >= 0)
            producers_appended(b->prods, log, &h, base, now);
        off += rec_batch_size(&h);
    }
}

void handle_produce(breq *r)
{
    broker *b = r->c->b;
    produce_ctx *ctx;
    msg_produce_req *req;
    sl_err err;
    bool acks_ok;

    ctx = sl_arena_alloc(&r->arena, sizeof *ctx);
    if (!ctx) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    req = &ctx->req;
    r->hctx = ctx;
    err = msg_produce_req_decode(&r->body, r->hdr.api_version, &r->arena, req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    acks_ok = req->acks == 0 || req->acks == 1 || req->acks == -1;
    ctx->resp.responses_count = req->topic_data_count;
    ctx->resp.responses =
        sl_arena_calloc(&r->arena, (size_t)req->topic_data_count, sizeof *ctx->resp.responses);
    if (req->topic_data_count && !ctx->resp.responses) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    /* Every response array first: once an append is issued, the request
     * may no longer fail as a whole. */
    for (int32_t i = 0; i < req->topic_data_count; i++) {
        const msg_produce_req_topic *tin = &req->topic_data[i];
        msg_produce_resp_topic *tout = &ctx->resp.responses[i];

        tout->name = tin->name;
        tout->partition_responses_count = tin->partition_data_count;
        tout->partition_responses = sl_arena_calloc(&r->arena, (size_t)tin->partition_data_count,
                                                    sizeof *tout->partition_responses);
        if (tin->partition_data_count && !tout->partition_responses) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
    }
    /* Hold one pending count so that synchronous completions cannot
     * answer before every partition has been looked at. */
    ctx->pending = 1;
    for (int32_t i = 0; i < req->topic_data_count; i++) {
        const msg_produce_req_topic *tin = &req->topic_data[i];
        msg_produce_resp_topic *tout = &ctx->resp.responses[i];
        cat_topic *t = catalog_find(b->cat, tin->name);

        for (int32_t j = 0; j < tin->partition_data_count; j++) {
            msg_produce_resp_partition *pout = &tout->partition_responses[j];

            if (!acks_ok || r->hdr.api_version < 3) {
                /* v0-2 can only carry message formats v0 and v1, which
                 * sluice does not store (it keeps RecordBatch v2 only). */
                pout->index = tin->partition_data[j].index;
                pout->error_code = acks_ok ? SL_KE_UNSUPPORTED_FOR_MESSAGE_FORMAT
                                           : SL_KE_INVALID_REQUIRED_ACKS;
                pout->base_offset = -1;
                pout->log_append_time_ms = -1;
                pout->log_start_offset = -1;
                continue;
            }
            produce_partition(r, t, &tin->partition_data[j], pout, req->acks == -1);
        }
    }
    if (--ctx->pending == 0)
        produce_respond(r);
}

void produce_run_dup_waits(broker *b)
{
    struct dup_wait *d, *next;

    for (d = TAILQ_FIRST(&b->dup_waits); d; d = next) {
        int64_t mark = d->durable ? plog_durable(d->log) : plog_high_watermark(d->log);
        sl_err err = plog_state(d->log);

        next = TAILQ_NEXT(d, link);
        if (!err && mark <= d->last)
            continue;
        TAILQ_REMOVE(&b->dup_waits, d, link);
        on_appended(d->pp, err, d->base);
    }
}

void produce_fail_dup_waits(broker *b, plog *log)
{
    struct dup_wait *d, *next;

    for (d = TAILQ_FIRST(&b->dup_waits); d; d = next) {
        next = TAILQ_NEXT(d, link);
        if (d->log != log)
            continue;
        TAILQ_REMOVE(&b->dup_waits, d, link);
        d->pp->out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
        d->pp->out->base_offset = -1;
        on_appended(d->pp, SL_OK, -1);
    }
}
