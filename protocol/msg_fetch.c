/*
 * msg_fetch.c - Fetch (key 1) bodies, v4-13; flexible from v12.
 *
 * Version steps (Kafka FetchRequest.json / FetchResponse.json): max_bytes
 * v3, isolation_level v4, log_start_offset v5, sessions and forgotten
 * topics v7, current_leader_epoch v9, rack_id v11, last_fetched_epoch and
 * flexible encodings v12, topic ids instead of names v13 (KIP-516).  The
 * response adds last_stable_offset and aborted_transactions (nullable) v4,
 * log_start_offset v5, error_code and session_id v7,
 * preferred_read_replica v11.  Flexible responses may carry tagged fields
 * per partition (diverging_epoch, current_leader, snapshot_id) that we skip
 * and never send; flexible requests may carry cluster_id (tag 0), skipped.
 *
 * Zero copy: a response partition's records may be sent from a file; the
 * encoder then writes only their length and tells the caller where the
 * bytes go (msg.h, msg_fetch_splice_fn).
 */
#include "msg_int.h"

sl_err msg_fetch_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_fetch_req *out)
{
    bool flex = v >= 12;
    size_t name_min = v >= 13 ? 16 : msg_str_min(flex);
    size_t pmin = 4 + (v >= 9 ? 4 : 0) + 8 + (v >= 12 ? 4 : 0) + (v >= 5 ? 8 : 0) + 4 +
                  msg_tags_min(flex);
    int32_t n;

    *out = (msg_fetch_req){ .max_bytes = INT32_MAX, .session_epoch = -1, .rack_id = msg_empty() };
    if (!msg_version_ok(v, MSG_FETCH_VMIN, MSG_FETCH_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "replica_id";
    out->replica_id = kbuf_get_i32(r);
    r->field = "max_wait_ms";
    out->max_wait_ms = kbuf_get_i32(r);
    r->field = "min_bytes";
    out->min_bytes = kbuf_get_i32(r);
    if (v >= 3) {
        r->field = "max_bytes";
        out->max_bytes = kbuf_get_i32(r);
    }
    if (v >= 4) {
        r->field = "isolation_level";
        out->isolation_level = kbuf_get_i8(r);
    }
    if (v >= 7) {
        r->field = "session_id";
        out->session_id = kbuf_get_i32(r);
        out->session_epoch = kbuf_get_i32(r);
    }
    r->field = "topics";
    n = msg_get_count(r, flex, name_min + msg_array_min(flex) + msg_tags_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_fetch_req_topic *t = &out->topics[i];
        int32_t pn;

        if (v >= 13) {
            t->topic = SL_BYTES_NULL;
            kbuf_get_uuid(r, t->topic_id);
        } else {
            t->topic = msg_get_str_nn(r, flex);
        }
        r->field = "partitions";
        pn = msg_get_count(r, flex, pmin);
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            msg_fetch_req_partition *p = &t->partitions[j];

            p->partition = kbuf_get_i32(r);
            p->current_leader_epoch = v >= 9 ? kbuf_get_i32(r) : -1;
            p->fetch_offset = kbuf_get_i64(r);
            p->last_fetched_epoch = v >= 12 ? kbuf_get_i32(r) : -1;
            p->log_start_offset = v >= 5 ? kbuf_get_i64(r) : -1;
            p->partition_max_bytes = kbuf_get_i32(r);
            msg_skip_tags(r, flex);
        }
        t->partitions_count = kbuf_ok(r) ? pn : 0;
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    if (v >= 7) {
        r->field = "forgotten_topics_data";
        n = msg_get_count(r, flex, name_min + msg_array_min(flex) + msg_tags_min(flex));
        out->forgotten_topics_data = msg_alloc(r, a, n, sizeof *out->forgotten_topics_data);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_fetch_req_forgotten_topic *t = &out->forgotten_topics_data[i];

            if (v >= 13) {
                t->topic = SL_BYTES_NULL;
                kbuf_get_uuid(r, t->topic_id);
            } else {
                t->topic = msg_get_str_nn(r, flex);
            }
            t->partitions = msg_get_i32_array(r, flex, a, &t->partitions_count);
            msg_skip_tags(r, flex);
        }
        out->forgotten_topics_data_count = kbuf_ok(r) ? n : 0;
    }
    if (v >= 11) {
        r->field = "rack_id";
        out->rack_id = msg_get_str_nn(r, flex);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_fetch_req_encode(kbuf_wr *w, int16_t v, const msg_fetch_req *in)
{
    bool flex = v >= 12;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_FETCH_VMIN, MSG_FETCH_VMAX))
        return;
    kbuf_put_i32(w, in->replica_id);
    kbuf_put_i32(w, in->max_wait_ms);
    kbuf_put_i32(w, in->min_bytes);
    if (v >= 3)
        kbuf_put_i32(w, in->max_bytes);
    if (v >= 4)
        kbuf_put_i8(w, in->isolation_level);
    if (v >= 7) {
        kbuf_put_i32(w, in->session_id);
        kbuf_put_i32(w, in->session_epoch);
    }
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_fetch_req_topic *t = &in->topics[i];
        int32_t pn;

        if (v >= 13)
            kbuf_put_uuid(w, t->topic_id);
        else
            msg_put_str_nn(w, flex, t->topic);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_fetch_req_partition *p = &t->partitions[j];

            kbuf_put_i32(w, p->partition);
            if (v >= 9)
                kbuf_put_i32(w, p->current_leader_epoch);
            kbuf_put_i64(w, p->fetch_offset);
            if (v >= 12)
                kbuf_put_i32(w, p->last_fetched_epoch);
            if (v >= 5)
                kbuf_put_i64(w, p->log_start_offset);
            kbuf_put_i32(w, p->partition_max_bytes);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    if (v >= 7) {
        n = msg_put_count(w, flex, in->forgotten_topics_data_count, false);
        for (int32_t i = 0; i < n; i++) {
            const msg_fetch_req_forgotten_topic *t = &in->forgotten_topics_data[i];

            if (v >= 13)
                kbuf_put_uuid(w, t->topic_id);
            else
                msg_put_str_nn(w, flex, t->topic);
            msg_put_i32_array(w, flex, t->partitions, t->partitions_count);
            kbuf_put_tags(w, flex);
        }
    }
    if (v >= 11)
        msg_put_str_nn(w, flex, in->rack_id);
    kbuf_put_tags(w, flex);
}

static void get_partition(kbuf_rd *r, int16_t v, bool flex, sl_arena *a,
                          msg_fetch_resp_partition *p)
{
    p->partition_index = kbuf_get_i32(r);
    p->error_code = kbuf_get_i16(r);
    p->high_watermark = kbuf_get_i64(r);
    p->last_stable_offset = v >= 4 ? kbuf_get_i64(r) : -1;
    p->log_start_offset = v >= 5 ? kbuf_get_i64(r) : -1;
    if (v >= 4) {
        int32_t n;

        r->field = "aborted_transactions";
        n = msg_get_count_nullable(r, flex, 16 + msg_tags_min(flex));
        p->aborted_transactions = msg_alloc(r, a, n, sizeof *p->aborted_transactions);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            p->aborted_transactions[i].producer_id = kbuf_get_i64(r);
            p->aborted_transactions[i].first_offset = kbuf_get_i64(r);
            msg_skip_tags(r, flex);
        }
        p->aborted_transactions_count = kbuf_ok(r) ? n : 0;
    } else {
        p->aborted_transactions_count = -1;
    }
    p->preferred_read_replica = v >= 11 ? kbuf_get_i32(r) : -1;
    r->field = "records";
    p->records = kbuf_get_bytes(r, flex);
    p->records_external_len = MSG_FETCH_RECORDS_INLINE;
    msg_skip_tags(r, flex);
}

sl_err msg_fetch_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_fetch_resp *out)
{
    bool flex = v >= 12;
    size_t name_min = v >= 13 ? 16 : msg_str_min(flex);
    size_t pmin = 4 + 2 + 8 + (v >= 4 ? 8 + msg_array_min(flex) : 0) + (v >= 5 ? 8 : 0) +
                  (v >= 11 ? 4 : 0) + msg_bytes_min(flex) + msg_tags_min(flex);
    int32_t n;

    *out = (msg_fetch_resp){ 0 };
    if (!msg_version_ok(v, MSG_FETCH_VMIN, MSG_FETCH_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    if (v >= 7) {
        r->field = "error_code";
        out->error_code = kbuf_get_i16(r);
        r->field = "session_id";
        out->session_id = kbuf_get_i32(r);
    }
    r->field = "responses";
    n = msg_get_count(r, flex, name_min + msg_array_min(flex) + msg_tags_min(flex));
    out->responses = msg_alloc(r, a, n, sizeof *out->responses);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_fetch_resp_topic *t = &out->responses[i];
        int32_t pn;

        if (v >= 13) {
            t->topic = SL_BYTES_NULL;
            kbuf_get_uuid(r, t->topic_id);
        } else {
            t->topic = msg_get_str_nn(r, flex);
        }
        r->field = "partitions";
        pn = msg_get_count(r, flex, pmin);
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++)
            get_partition(r, v, flex, a, &t->partitions[j]);
        t->partitions_count = kbuf_ok(r) ? pn : 0;
        msg_skip_tags(r, flex);
    }
    out->responses_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

/* The records field: inline, or a length prefix for bytes sent elsewhere. */
static void put_records(kbuf_wr *w, bool flex, const msg_fetch_resp_partition *p,
                        msg_fetch_splice_fn fn, void *ctx)
{
    int64_t ext = p->records_external_len;

    if (ext < 0 || !fn) {
        /* Never null: librdkafka 2.0.2 cannot parse a null record set. */
        kbuf_put_bytes(w, flex, p->records.null ? msg_empty() : p->records);
        return;
    }
    if (ext > INT32_MAX) {
        if (!w->err)
            w->err = SL_E_RANGE;
        return;
    }
    if (flex)
        kbuf_put_uvarint(w, (uint32_t)ext + 1);
    else
        kbuf_put_i32(w, (int32_t)ext);
    if (!w->err)
        fn(ctx, w->len, p);
}

void msg_fetch_resp_encode(kbuf_wr *w, int16_t v, const msg_fetch_resp *in,
                           msg_fetch_splice_fn fn, void *ctx)
{
    bool flex = v >= 12;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_FETCH_VMIN, MSG_FETCH_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    if (v >= 7) {
        kbuf_put_i16(w, in->error_code);
        kbuf_put_i32(w, in->session_id);
    }
    n = msg_put_count(w, flex, in->responses_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_fetch_resp_topic *t = &in->responses[i];
        int32_t pn;

        if (v >= 13)
            kbuf_put_uuid(w, t->topic_id);
        else
            msg_put_str_nn(w, flex, t->topic);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_fetch_resp_partition *p = &t->partitions[j];

            kbuf_put_i32(w, p->partition_index);
            kbuf_put_i16(w, p->error_code);
            kbuf_put_i64(w, p->high_watermark);
            if (v >= 4)
                kbuf_put_i64(w, p->last_stable_offset);
            if (v >= 5)
                kbuf_put_i64(w, p->log_start_offset);
            if (v >= 4) {
                int32_t an = msg_put_count(w, flex, p->aborted_transactions_count, true);

                for (int32_t k = 0; k < an; k++) {
                    kbuf_put_i64(w, p->aborted_transactions[k].producer_id);
                    kbuf_put_i64(w, p->aborted_transactions[k].first_offset);
                    kbuf_put_tags(w, flex);
                }
            }
            if (v >= 11)
                kbuf_put_i32(w, p->preferred_read_replica);
            put_records(w, flex, p, fn, ctx);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}
