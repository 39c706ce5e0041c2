/*
 * msg_produce.c - Produce (key 0) bodies, v0-7; none flexible (v9 is).
 *
 * v0-2 carry message formats v0/v1 and no transactional_id; they are here
 * because librdkafka 2.0.2 enables gzip and snappy only if the broker's
 * Produce range starts at 0.  v3 is the first version with
 * transactional_id and RecordBatch v2; v4-7
 * differ from it only in what the client must handle (KAFKA_STORAGE_ERROR
 * v4, zstd v7).  The response gained log_append_time_ms in v2 and
 * log_start_offset in v5.  Records are NULLABLE_BYTES, returned borrowed:
 * the records parser (records.h) walks them in place.
 */
#include "msg_int.h"

sl_err msg_produce_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_produce_req *out)
{
    const bool flex = false;
    int32_t n;

    *out = (msg_produce_req){ .transactional_id = SL_BYTES_NULL };
    if (!msg_version_ok(v, MSG_PRODUCE_VMIN, MSG_PRODUCE_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 3) {
        r->field = "transactional_id";
        out->transactional_id = kbuf_get_str(r, flex);
    }
    r->field = "acks";
    out->acks = kbuf_get_i16(r);
    r->field = "timeout_ms";
    out->timeout_ms = kbuf_get_i32(r);
    r->field = "topic_data";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex));
    out->topic_data = msg_alloc(r, a, n, sizeof *out->topic_data);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_produce_req_topic *t = &out->topic_data[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partition_data";
        pn = msg_get_count(r, flex, 4 + msg_bytes_min(flex));
        t->partition_data = msg_alloc(r, a, pn, sizeof *t->partition_data);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            t->partition_data[j].index = kbuf_get_i32(r);
            t->partition_data[j].records = kbuf_get_bytes(r, flex);
        }
        t->partition_data_count = kbuf_ok(r) ? pn : 0;
    }
    out->topic_data_count = kbuf_ok(r) ? n : 0;
    return r->err;
}

void msg_produce_req_encode(kbuf_wr *w, int16_t v, const msg_produce_req *in)
{
    const bool flex = false;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_PRODUCE_VMIN, MSG_PRODUCE_VMAX))
        return;
    if (v >= 3)
        kbuf_put_str(w, flex, in->transactional_id);
    kbuf_put_i16(w, in->acks);
    kbuf_put_i32(w, in->timeout_ms);
    n = msg_put_count(w, flex, in->topic_data_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_produce_req_topic *t = &in->topic_data[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partition_data_count, false);
        for (int32_t j = 0; j < pn; j++) {
            kbuf_put_i32(w, t->partition_data[j].index);
            kbuf_put_bytes(w, flex, t->partition_data[j].records);
        }
    }
}

sl_err msg_produce_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_produce_resp *out)
{
    const bool flex = false;
    size_t pmin = 4 + 2 + 8 + (v >= 2 ? 8 : 0) + (v >= 5 ? 8 : 0);
    int32_t n;

    *out = (msg_produce_resp){ 0 };
    if (!msg_version_ok(v, MSG_PRODUCE_VMIN, MSG_PRODUCE_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "responses";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex));
    out->responses = msg_alloc(r, a, n, sizeof *out->responses);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_produce_resp_topic *t = &out->responses[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partition_responses";
        pn = msg_get_count(r, flex, pmin);
        t->partition_responses = msg_alloc(r, a, pn, sizeof *t->partition_responses);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            msg_produce_resp_partition *p = &t->partition_responses[j];

            p->index = kbuf_get_i32(r);
            p->error_code = kbuf_get_i16(r);
            p->base_offset = kbuf_get_i64(r);
            p->log_append_time_ms = v >= 2 ? kbuf_get_i64(r) : -1;
            p->log_start_offset = v >= 5 ? kbuf_get_i64(r) : -1;
        }
        t->partition_responses_count = kbuf_ok(r) ? pn : 0;
    }
    out->responses_count = kbuf_ok(r) ? n : 0;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    return r->err;
}

void msg_produce_resp_encode(kbuf_wr *w, int16_t v, const msg_produce_resp *in)
{
    const bool flex = false;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_PRODUCE_VMIN, MSG_PRODUCE_VMAX))
        return;
    n = msg_put_count(w, flex, in->responses_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_produce_resp_topic *t = &in->responses[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partition_responses_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_produce_resp_partition *p = &t->partition_responses[j];

            kbuf_put_i32(w, p->index);
            kbuf_put_i16(w, p->error_code);
            kbuf_put_i64(w, p->base_offset);
            if (v >= 2)
                kbuf_put_i64(w, p->log_append_time_ms);
            if (v >= 5)
                kbuf_put_i64(w, p->log_start_offset);
        }
    }
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
}
