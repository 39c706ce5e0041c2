/*
 * msg_listoffsets.c - ListOffsets (key 2) bodies, v1-5; none flexible (v6
 * is).
 *
 * v1 dropped v0's max_num_offsets and old_style_offsets (one offset per
 * partition since).  Requests add isolation_level v2 and
 * current_leader_epoch v4; responses add throttle_time_ms v2 and
 * leader_epoch v4.  v3 and v5 change only semantics (throttling,
 * OFFSET_NOT_AVAILABLE).
 */
#include "msg_int.h"

sl_err msg_listoffsets_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_listoffsets_req *out)
{
    const bool flex = false;
    size_t pmin = 4 + (v >= 4 ? 4 : 0) + 8;
    int32_t n;

    *out = (msg_listoffsets_req){ 0 };
    if (!msg_version_ok(v, MSG_LISTOFFSETS_VMIN, MSG_LISTOFFSETS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "replica_id";
    out->replica_id = kbuf_get_i32(r);
    if (v >= 2) {
        r->field = "isolation_level";
        out->isolation_level = kbuf_get_i8(r);
    }
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_listoffsets_req_topic *t = &out->topics[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, pmin);
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            msg_listoffsets_req_partition *p = &t->partitions[j];

            p->partition_index = kbuf_get_i32(r);
            p->current_leader_epoch = v >= 4 ? kbuf_get_i32(r) : -1;
            p->timestamp = kbuf_get_i64(r);
        }
        t->partitions_count = kbuf_ok(r) ? pn : 0;
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    return r->err;
}

void msg_listoffsets_req_encode(kbuf_wr *w, int16_t v, const msg_listoffsets_req *in)
{
    const bool flex = false;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_LISTOFFSETS_VMIN, MSG_LISTOFFSETS_VMAX))
        return;
    kbuf_put_i32(w, in->replica_id);
    if (v >= 2)
        kbuf_put_i8(w, in->isolation_level);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_listoffsets_req_topic *t = &in->topics[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_listoffsets_req_partition *p = &t->partitions[j];

            kbuf_put_i32(w, p->partition_index);
            if (v >= 4)
                kbuf_put_i32(w, p->current_leader_epoch);
            kbuf_put_i64(w, p->timestamp);
        }
    }
}

sl_err msg_listoffsets_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_listoffsets_resp *out)
{
    const bool flex = false;
    size_t pmin = 4 + 2 + 8 + 8 + (v >= 4 ? 4 : 0);
    int32_t n;

    *out = (msg_listoffsets_resp){ 0 };
    if (!msg_version_ok(v, MSG_LISTOFFSETS_VMIN, MSG_LISTOFFSETS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 2) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_listoffsets_resp_topic *t = &out->topics[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, pmin);
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            msg_listoffsets_resp_partition *p = &t->partitions[j];

            p->partition_index = kbuf_get_i32(r);
            p->error_code = kbuf_get_i16(r);
            p->timestamp = kbuf_get_i64(r);
            p->offset = kbuf_get_i64(r);
            p->leader_epoch = v >= 4 ? kbuf_get_i32(r) : -1;
        }
        t->partitions_count = kbuf_ok(r) ? pn : 0;
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    return r->err;
}

void msg_listoffsets_resp_encode(kbuf_wr *w, int16_t v, const msg_listoffsets_resp *in)
{
    const bool flex = false;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_LISTOFFSETS_VMIN, MSG_LISTOFFSETS_VMAX))
        return;
    if (v >= 2)
        kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_listoffsets_resp_topic *t = &in->topics[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_listoffsets_resp_partition *p = &t->partitions[j];

            kbuf_put_i32(w, p->partition_index);
            kbuf_put_i16(w, p->error_code);
            kbuf_put_i64(w, p->timestamp);
            kbuf_put_i64(w, p->offset);
            if (v >= 4)
                kbuf_put_i32(w, p->leader_epoch);
        }
    }
}
