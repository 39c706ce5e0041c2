/*
 * listoffsets.c - ListOffsets (key 2) v1-5.
 *
 * timestamp -1: the latest offset (the high watermark; with no
 * transactions it is also the last stable offset), -2: the earliest (the
 * log start offset), otherwise the first offset whose record timestamp is
 * >= the one asked, or -1 if there is none.
 */
#include "../../protocol/msg.h"
#include "../broker.h"

#define LIST_OFFSETS_LATEST (-1)
#define LIST_OFFSETS_EARLIEST (-2)

static void list_partition(plog *log, const msg_listoffsets_req_partition *in,
                           msg_listoffsets_resp_partition *out)
{
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
        err = plog_offset_for_time(log, in->timestamp, &out->offset, &out->timestamp);
        if (err) {
            out->error_code = err > 0 ? (int16_t)err : SL_KE_KAFKA_STORAGE_ERROR;
            out->offset = -1;
            out->timestamp = -1;
        } else if (out->offset < 0) {
            out->timestamp = -1;
        }
    }
}

void handle_list_offsets(breq *r)
{
    broker *b = r->c->b;
    msg_listoffsets_req req;
    msg_listoffsets_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_listoffsets_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.topics_count = req.topics_count;
    resp.topics = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1, sizeof *resp.topics);
    if (!resp.topics) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    for (int32_t i = 0; i < req.topics_count; i++) {
        const msg_listoffsets_req_topic *tin = &req.topics[i];
        msg_listoffsets_resp_topic *tout = &resp.topics[i];
        cat_topic *t = catalog_find(b->cat, tin->name);

        tout->name = tin->name;
        tout->partitions_count = tin->partitions_count;
        tout->partitions = sl_arena_calloc(&r->arena, (size_t)tin->partitions_count + 1,
                                           sizeof *tout->partitions);
        if (!tout->partitions) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
        for (int32_t j = 0; j < tin->partitions_count; j++)
            list_partition(t ? cat_topic_log(t, tin->partitions[j].partition_index) : NULL,
                           &tin->partitions[j], &tout->partitions[j]);
    }
    resp_begin(r, &w);
    msg_listoffsets_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
