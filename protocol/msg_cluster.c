/*
 * msg_cluster.c - DescribeCluster (key 60) bodies, v0-1, flexible in every
 * version; InitProducerId (key 22) bodies, v0-4, flexible from v2.
 *
 * Version steps (Kafka <Name>Request.json / <Name>Response.json):
 * DescribeCluster v1 adds endpoint_type (KIP-919) to the request and to
 * the response, right after error_message.  InitProducerId v3 adds
 * producer_id and producer_epoch to the request (KIP-360); v1 and v4
 * change only behaviour (throttling, PRODUCER_FENCED).
 */
#include "msg_admin.h"
#include "msg_int.h"

/* --- DescribeCluster --------------------------------------------------- */

sl_err msg_describecluster_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                      msg_describecluster_req *out)
{
    const bool flex = true;

    (void)a;
    *out = (msg_describecluster_req){ .endpoint_type = MSG_DESCRIBECLUSTER_ENDPOINT_BROKERS };
    if (!msg_version_ok(v, MSG_DESCRIBECLUSTER_VMIN, MSG_DESCRIBECLUSTER_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "include_cluster_authorized_operations";
    out->include_cluster_authorized_operations = kbuf_get_bool(r);
    if (v >= 1) {
        r->field = "endpoint_type";
        out->endpoint_type = kbuf_get_i8(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_describecluster_req_encode(kbuf_wr *w, int16_t v, const msg_describecluster_req *in)
{
    const bool flex = true;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBECLUSTER_VMIN, MSG_DESCRIBECLUSTER_VMAX))
        return;
    kbuf_put_bool(w, in->include_cluster_authorized_operations);
    if (v >= 1)
        kbuf_put_i8(w, in->endpoint_type);
    kbuf_put_tags(w, flex);
}

sl_err msg_describecluster_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                       msg_describecluster_resp *out)
{
    const bool flex = true;
    int32_t n;

    *out = (msg_describecluster_resp){ .error_message = SL_BYTES_NULL,
                                       .endpoint_type = MSG_DESCRIBECLUSTER_ENDPOINT_BROKERS,
                                       .controller_id = -1,
                                       .cluster_authorized_operations =
                                           MSG_AUTHORIZED_OPERATIONS_NONE };
    if (!msg_version_ok(v, MSG_DESCRIBECLUSTER_VMIN, MSG_DESCRIBECLUSTER_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    r->field = "error_message";
    out->error_message = kbuf_get_str(r, flex);
    if (v >= 1) {
        r->field = "endpoint_type";
        out->endpoint_type = kbuf_get_i8(r);
    }
    r->field = "cluster_id";
    out->cluster_id = msg_get_str_nn(r, flex);
    r->field = "controller_id";
    out->controller_id = kbuf_get_i32(r);
    r->field = "brokers";
    n = msg_get_count(r, flex, 4 + msg_str_min(flex) + 4 + msg_str_min(flex) + msg_tags_min(flex));
    out->brokers = msg_alloc(r, a, n, sizeof *out->brokers);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_describecluster_resp_broker *b = &out->brokers[i];

        b->broker_id = kbuf_get_i32(r);
        b->host = msg_get_str_nn(r, flex);
        b->port = kbuf_get_i32(r);
        b->rack = kbuf_get_str(r, flex);
        msg_skip_tags(r, flex);
    }
    out->brokers_count = kbuf_ok(r) ? n : 0;
    r->field = "cluster_authorized_operations";
    out->cluster_authorized_operations = kbuf_get_i32(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_describecluster_resp_encode(kbuf_wr *w, int16_t v, const msg_describecluster_resp *in)
{
    const bool flex = true;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBECLUSTER_VMIN, MSG_DESCRIBECLUSTER_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_i16(w, in->error_code);
    kbuf_put_str(w, flex, in->error_message);
    if (v >= 1)
        kbuf_put_i8(w, in->endpoint_type);
    msg_put_str_nn(w, flex, in->cluster_id);
    kbuf_put_i32(w, in->controller_id);
    n = msg_put_count(w, flex, in->brokers_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_describecluster_resp_broker *b = &in->brokers[i];

        kbuf_put_i32(w, b->broker_id);
        msg_put_str_nn(w, flex, b->host);
        kbuf_put_i32(w, b->port);
        kbuf_put_str(w, flex, b->rack);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_i32(w, in->cluster_authorized_operations);
    kbuf_put_tags(w, flex);
}

/* --- InitProducerId ---------------------------------------------------- */

sl_err msg_initproducerid_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                     msg_initproducerid_req *out)
{
    bool flex = v >= MSG_INITPRODUCERID_FLEX;

    (void)a;
    *out = (msg_initproducerid_req){ .producer_id = -1, .producer_epoch = -1 };
    if (!msg_version_ok(v, MSG_INITPRODUCERID_VMIN, MSG_INITPRODUCERID_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "transactional_id";
    out->transactional_id = kbuf_get_str(r, flex);
    r->field = "transaction_timeout_ms";
    out->transaction_timeout_ms = kbuf_get_i32(r);
    if (v >= 3) {
        r->field = "producer_id";
        out->producer_id = kbuf_get_i64(r);
        r->field = "producer_epoch";
        out->producer_epoch = kbuf_get_i16(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_initproducerid_req_encode(kbuf_wr *w, int16_t v, const msg_initproducerid_req *in)
{
    bool flex = v >= MSG_INITPRODUCERID_FLEX;

    if (!msg_enc_version_ok(w, v, MSG_INITPRODUCERID_VMIN, MSG_INITPRODUCERID_VMAX))
        return;
    kbuf_put_str(w, flex, in->transactional_id);
    kbuf_put_i32(w, in->transaction_timeout_ms);
    if (v >= 3) {
        kbuf_put_i64(w, in->producer_id);
        kbuf_put_i16(w, in->producer_epoch);
    }
    kbuf_put_tags(w, flex);
}

sl_err msg_initproducerid_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                      msg_initproducerid_resp *out)
{
    bool flex = v >= MSG_INITPRODUCERID_FLEX;

    (void)a;
    *out = (msg_initproducerid_resp){ .producer_id = -1 };
    if (!msg_version_ok(v, MSG_INITPRODUCERID_VMIN, MSG_INITPRODUCERID_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    r->field = "producer_id";
    out->producer_id = kbuf_get_i64(r);
    r->field = "producer_epoch";
    out->producer_epoch = kbuf_get_i16(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_initproducerid_resp_encode(kbuf_wr *w, int16_t v, const msg_initproducerid_resp *in)
{
    bool flex = v >= MSG_INITPRODUCERID_FLEX;

    if (!msg_enc_version_ok(w, v, MSG_INITPRODUCERID_VMIN, MSG_INITPRODUCERID_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_i16(w, in->error_code);
    kbuf_put_i64(w, in->producer_id);
    kbuf_put_i16(w, in->producer_epoch);
    kbuf_put_tags(w, flex);
}
