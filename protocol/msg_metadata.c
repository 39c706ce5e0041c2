/*
 * msg_metadata.c - Metadata (key 3) bodies, v0-12; flexible from v9.
 *
 * Version steps (Kafka MetadataRequest.json / MetadataResponse.json):
 * request topics become nullable in v1 (null = all; v0 uses empty = all),
 * allow_auto_topic_creation v4, include_*_authorized_operations v8 (the
 * cluster one only until v10), topic_id v10 with the name nullable from
 * v10.  Response: rack, controller_id, is_internal v1; cluster_id v2;
 * throttle_time_ms v3; offline_replicas v5; leader_epoch v7; authorized
 * operations v8 (cluster: v8-10); topic_id v10; topic name nullable v12.
 * Note the request topic carries topic_id before name, the response topic
 * name before topic_id.
 */
#include "msg_int.h"

sl_err msg_metadata_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_metadata_req *out)
{
    bool flex = v >= 9;
    int32_t n;

    *out = (msg_metadata_req){ .allow_auto_topic_creation = true };
    if (!msg_version_ok(v, MSG_METADATA_VMIN, MSG_METADATA_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "topics";
    n = kbuf_get_array_len(r, flex, (v >= 10 ? 16 : 0) + msg_str_min(flex) + msg_tags_min(flex),
                           MSG_ARRAY_MAX);
    if (n < 0 && v < 1)
        kbuf_fail(r, SL_E_MALFORMED); /* v0 topics are not nullable */
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_metadata_req_topic *t = &out->topics[i];

        if (v >= 10)
            kbuf_get_uuid(r, t->topic_id);
        t->name = v >= 10 ? kbuf_get_str(r, flex) : msg_get_str_nn(r, flex);
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    if (v >= 4) {
        r->field = "allow_auto_topic_creation";
        out->allow_auto_topic_creation = kbuf_get_bool(r);
    }
    if (v >= 8 && v <= 10) {
        r->field = "include_cluster_authorized_operations";
        out->include_cluster_authorized_operations = kbuf_get_bool(r);
    }
    if (v >= 8) {
        r->field = "include_topic_authorized_operations";
        out->include_topic_authorized_operations = kbuf_get_bool(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_metadata_req_encode(kbuf_wr *w, int16_t v, const msg_metadata_req *in)
{
    bool flex = v >= 9;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_METADATA_VMIN, MSG_METADATA_VMAX))
        return;
    /* v0 cannot say null; its empty array means "all", as null does later. */
    n = msg_put_count(w, flex, in->topics_count, v >= 1);
    for (int32_t i = 0; i < n; i++) {
        const msg_metadata_req_topic *t = &in->topics[i];

        if (v >= 10) {
            kbuf_put_uuid(w, t->topic_id);
            kbuf_put_str(w, flex, t->name);
        } else {
            msg_put_str_nn(w, flex, t->name);
        }
        kbuf_put_tags(w, flex);
    }
    if (v >= 4)
        kbuf_put_bool(w, in->allow_auto_topic_creation);
    if (v >= 8 && v <= 10)
        kbuf_put_bool(w, in->include_cluster_authorized_operations);
    if (v >= 8)
        kbuf_put_bool(w, in->include_topic_authorized_operations);
    kbuf_put_tags(w, flex);
}

static void get_partition(kbuf_rd *r, int16_t v, bool flex, sl_arena *a,
                          msg_metadata_resp_partition *p)
{
    p->error_code = kbuf_get_i16(r);
    p->partition_index = kbuf_get_i32(r);
    p->leader_id = kbuf_get_i32(r);
    p->leader_epoch = v >= 7 ? kbuf_get_i32(r) : -1;
    p->replica_nodes = msg_get_i32_array(r, flex, a, &p->replica_nodes_count);
    p->isr_nodes = msg_get_i32_array(r, flex, a, &p->isr_nodes_count);
    if (v >= 5)
        p->offline_replicas = msg_get_i32_array(r, flex, a, &p->offline_replicas_count);
    msg_skip_tags(r, flex);
}

static void get_topic(kbuf_rd *r, int16_t v, bool flex, sl_arena *a, msg_metadata_resp_topic *t)
{
    size_t pmin = 2 + 4 + 4 + (v >= 7 ? 4 : 0) + 2 * msg_array_min(flex) +
                  (v >= 5 ? msg_array_min(flex) : 0) + msg_tags_min(flex);
    int32_t n;

    t->error_code = kbuf_get_i16(r);
    t->name = v >= 12 ? kbuf_get_str(r, flex) : msg_get_str_nn(r, flex);
    if (v >= 10)
        kbuf_get_uuid(r, t->topic_id);
    if (v >= 1)
        t->is_internal = kbuf_get_bool(r);
    r->field = "partitions";
    n = msg_get_count(r, flex, pmin);
    t->partitions = msg_alloc(r, a, n, sizeof *t->partitions);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++)
        get_partition(r, v, flex, a, &t->partitions[i]);
    t->partitions_count = kbuf_ok(r) ? n : 0;
    t->topic_authorized_operations = v >= 8 ? kbuf_get_i32(r) : MSG_AUTHORIZED_OPERATIONS_NONE;
    msg_skip_tags(r, flex);
}

sl_err msg_metadata_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_metadata_resp *out)
{
    bool flex = v >= 9;
    size_t bmin = 4 + msg_str_min(flex) + 4 + (v >= 1 ? msg_str_min(flex) : 0) + msg_tags_min(flex);
    size_t tmin = 2 + msg_str_min(flex) + (v >= 10 ? 16 : 0) + (v >= 1 ? 1 : 0) +
                  msg_array_min(flex) + (v >= 8 ? 4 : 0) + msg_tags_min(flex);
    int32_t n;

    *out = (msg_metadata_resp){ .cluster_id = SL_BYTES_NULL,
                                .controller_id = -1,
                                .cluster_authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE };
    if (!msg_version_ok(v, MSG_METADATA_VMIN, MSG_METADATA_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 3) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "brokers";
    n = msg_get_count(r, flex, bmin);
    out->brokers = msg_alloc(r, a, n, sizeof *out->brokers);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_metadata_resp_broker *b = &out->brokers[i];

        b->node_id = kbuf_get_i32(r);
        b->host = msg_get_str_nn(r, flex);
        b->port = kbuf_get_i32(r);
        b->rack = v >= 1 ? kbuf_get_str(r, flex) : SL_BYTES_NULL;
        msg_skip_tags(r, flex);
    }
    out->brokers_count = kbuf_ok(r) ? n : 0;
    if (v >= 2) {
        r->field = "cluster_id";
        out->cluster_id = kbuf_get_str(r, flex);
    }
    if (v >= 1) {
        r->field = "controller_id";
        out->controller_id = kbuf_get_i32(r);
    }
    r->field = "topics";
    n = msg_get_count(r, flex, tmin);
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++)
        get_topic(r, v, flex, a, &out->topics[i]);
    out->topics_count = kbuf_ok(r) ? n : 0;
    if (v >= 8 && v <= 10) {
        r->field = "cluster_authorized_operations";
        out->cluster_authorized_operations = kbuf_get_i32(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_metadata_resp_encode(kbuf_wr *w, int16_t v, const msg_metadata_resp *in)
{
    bool flex = v >= 9;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_METADATA_VMIN, MSG_METADATA_VMAX))
        return;
    if (v >= 3)
        kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->brokers_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_metadata_resp_broker *b = &in->brokers[i];

        kbuf_put_i32(w, b->node_id);
        msg_put_str_nn(w, flex, b->host);
        kbuf_put_i32(w, b->port);
        if (v >= 1)
            kbuf_put_str(w, flex, b->rack);
        kbuf_put_tags(w, flex);
    }
    if (v >= 2)
        kbuf_put_str(w, flex, in->cluster_id);
    if (v >= 1)
        kbuf_put_i32(w, in->controller_id);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_metadata_resp_topic *t = &in->topics[i];
        int32_t pn;

        kbuf_put_i16(w, t->error_code);
        if (v >= 12)
            kbuf_put_str(w, flex, t->name);
        else
            msg_put_str_nn(w, flex, t->name);
        if (v >= 10)
            kbuf_put_uuid(w, t->topic_id);
        if (v >= 1)
            kbuf_put_bool(w, t->is_internal);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_metadata_resp_partition *p = &t->partitions[j];

            kbuf_put_i16(w, p->error_code);
            kbuf_put_i32(w, p->partition_index);
            kbuf_put_i32(w, p->leader_id);
            if (v >= 7)
                kbuf_put_i32(w, p->leader_epoch);
            msg_put_i32_array(w, flex, p->replica_nodes, p->replica_nodes_count);
            msg_put_i32_array(w, flex, p->isr_nodes, p->isr_nodes_count);
            if (v >= 5)
                msg_put_i32_array(w, flex, p->offline_replicas, p->offline_replicas_count);
            kbuf_put_tags(w, flex);
        }
        if (v >= 8)
            kbuf_put_i32(w, t->topic_authorized_operations);
        kbuf_put_tags(w, flex);
    }
    if (v >= 8 && v <= 10)
        kbuf_put_i32(w, in->cluster_authorized_operations);
    kbuf_put_tags(w, flex);
}
