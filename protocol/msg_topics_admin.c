/*
 * msg_topics_admin.c - bodies of the topic admin APIs: CreateTopics (key
 * 19) v0-7, flexible from v5; DeleteTopics (20) v0-6, flexible from v4;
 * DeleteRecords (21) v0-2, flexible from v2; CreatePartitions (37) v0-3,
 * flexible from v2.
 *
 * Version steps (Kafka <Name>Request.json / <Name>Response.json):
 * CreateTopics: request validate_only v1 (v4 only lets num_partitions and
 * replication_factor be -1 without assignments, kafkajs sends -1 earlier
 * too: decoded as is); response error_message v1, throttle_time_ms v2,
 * num_partitions, replication_factor and configs v5 (KIP-525), topic_id v7
 * after the name; the v5+ tagged topic_config_error_code (tag 0) is
 * skipped.  v6 and v7 requests equal v5.
 * DeleteTopics: request topic_names []string until v5, topics[{name
 * (nullable), topic_id}] from v6 (one array here, msg_admin.h); response
 * throttle_time_ms v1, error_message v5, name nullable and topic_id v6.
 * DeleteRecords, CreatePartitions: nothing but flexible encodings changes.
 */
#include "msg_admin.h"
#include "msg_int.h"

/* --- CreateTopics ------------------------------------------------------ */

sl_err msg_createtopics_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_createtopics_req *out)
{
    bool flex = v >= MSG_CREATETOPICS_FLEX;
    size_t smin = msg_str_min(flex), amin = msg_array_min(flex), tgmin = msg_tags_min(flex);
    int32_t n;

    *out = (msg_createtopics_req){ .timeout_ms = 60000 };
    if (!msg_version_ok(v, MSG_CREATETOPICS_VMIN, MSG_CREATETOPICS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "topics";
    n = msg_get_count(r, flex, smin + 4 + 2 + amin + amin + tgmin);
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_createtopics_req_topic *t = &out->topics[i];
        int32_t m;

        t->name = msg_get_str_nn(r, flex);
        t->num_partitions = kbuf_get_i32(r);
        t->replication_factor = kbuf_get_i16(r);
        r->field = "assignments";
        m = msg_get_count(r, flex, 4 + amin + tgmin);
        t->assignments = msg_alloc(r, a, m, sizeof *t->assignments);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++) {
            msg_createtopics_req_assignment *x = &t->assignments[j];

            x->partition_index = kbuf_get_i32(r);
            x->broker_ids = msg_get_i32_array(r, flex, a, &x->broker_ids_count);
            msg_skip_tags(r, flex);
        }
        t->assignments_count = kbuf_ok(r) ? m : 0;
        r->field = "configs";
        m = msg_get_count(r, flex, smin + smin + tgmin);
        t->configs = msg_alloc(r, a, m, sizeof *t->configs);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++) {
            t->configs[j].name = msg_get_str_nn(r, flex);
            t->configs[j].value = kbuf_get_str(r, flex);
            msg_skip_tags(r, flex);
        }
        t->configs_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    r->field = "timeout_ms";
    out->timeout_ms = kbuf_get_i32(r);
    if (v >= 1) {
        r->field = "validate_only";
        out->validate_only = kbuf_get_bool(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_createtopics_req_encode(kbuf_wr *w, int16_t v, const msg_createtopics_req *in)
{
    bool flex = v >= MSG_CREATETOPICS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_CREATETOPICS_VMIN, MSG_CREATETOPICS_VMAX))
        return;
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_createtopics_req_topic *t = &in->topics[i];
        int32_t m;

        msg_put_str_nn(w, flex, t->name);
        kbuf_put_i32(w, t->num_partitions);
        kbuf_put_i16(w, t->replication_factor);
        m = msg_put_count(w, flex, t->assignments_count, false);
        for (int32_t j = 0; j < m; j++) {
            kbuf_put_i32(w, t->assignments[j].partition_index);
            msg_put_i32_array(w, flex, t->assignments[j].broker_ids,
                              t->assignments[j].broker_ids_count);
            kbuf_put_tags(w, flex);
        }
        m = msg_put_count(w, flex, t->configs_count, false);
        for (int32_t j = 0; j < m; j++) {
            msg_put_str_nn(w, flex, t->configs[j].name);
            kbuf_put_str(w, flex, t->configs[j].value);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_i32(w, in->timeout_ms);
    if (v >= 1)
        kbuf_put_bool(w, in->validate_only);
    kbuf_put_tags(w, flex);
}

static void createtopics_get_topic(kbuf_rd *r, int16_t v, bool flex, sl_arena *a,
                                   msg_createtopics_resp_topic *t)
{
    size_t smin = msg_str_min(flex), tgmin = msg_tags_min(flex);
    int32_t n;

    t->name = msg_get_str_nn(r, flex);
    if (v >= 7)
        kbuf_get_uuid(r, t->topic_id);
    t->error_code = kbuf_get_i16(r);
    t->error_message = v >= 1 ? kbuf_get_str(r, flex) : msg_empty();
    t->num_partitions = -1;
    t->replication_factor = -1;
    if (v >= 5) {
        t->num_partitions = kbuf_get_i32(r);
        t->replication_factor = kbuf_get_i16(r);
        r->field = "configs";
        n = msg_get_count_nullable(r, flex, smin + smin + 1 + 1 + 1 + tgmin);
        t->configs = msg_alloc(r, a, n, sizeof *t->configs);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_createtopics_resp_config *c = &t->configs[i];

            c->name = msg_get_str_nn(r, flex);
            c->value = kbuf_get_str(r, flex);
            c->read_only = kbuf_get_bool(r);
            c->config_source = kbuf_get_i8(r);
            c->is_sensitive = kbuf_get_bool(r);
            msg_skip_tags(r, flex);
        }
        t->configs_count = kbuf_ok(r) ? n : 0;
    }
    msg_skip_tags(r, flex); /* topic_config_error_code is tag 0 */
}

sl_err msg_createtopics_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                    msg_createtopics_resp *out)
{
    bool flex = v >= MSG_CREATETOPICS_FLEX;
    size_t tmin = msg_str_min(flex) + (v >= 7 ? 16 : 0) + 2 + (v >= 1 ? msg_str_min(flex) : 0) +
                  (v >= 5 ? 4 + 2 + msg_array_min(flex) : 0) + msg_tags_min(flex);
    int32_t n;

    *out = (msg_createtopics_resp){ 0 };
    if (!msg_version_ok(v, MSG_CREATETOPICS_VMIN, MSG_CREATETOPICS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 2) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "topics";
    n = msg_get_count(r, flex, tmin);
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++)
        createtopics_get_topic(r, v, flex, a, &out->topics[i]);
    out->topics_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_createtopics_resp_encode(kbuf_wr *w, int16_t v, const msg_createtopics_resp *in)
{
    bool flex = v >= MSG_CREATETOPICS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_CREATETOPICS_VMIN, MSG_CREATETOPICS_VMAX))
        return;
    if (v >= 2)
        kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_createtopics_resp_topic *t = &in->topics[i];

        msg_put_str_nn(w, flex, t->name);
        if (v >= 7)
            kbuf_put_uuid(w, t->topic_id);
        kbuf_put_i16(w, t->error_code);
        if (v >= 1)
            kbuf_put_str(w, flex, t->error_message);
        if (v >= 5) {
            int32_t m;

            kbuf_put_i32(w, t->num_partitions);
            kbuf_put_i16(w, t->replication_factor);
            m = msg_put_count(w, flex, t->configs_count, true);
            for (int32_t j = 0; j < m; j++) {
                const msg_createtopics_resp_config *c = &t->configs[j];

                msg_put_str_nn(w, flex, c->name);
                kbuf_put_str(w, flex, c->value);
                kbuf_put_bool(w, c->read_only);
                kbuf_put_i8(w, c->config_source);
                kbuf_put_bool(w, c->is_sensitive);
                kbuf_put_tags(w, flex);
            }
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- DeleteTopics ------------------------------------------------------ */

sl_err msg_deletetopics_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_deletetopics_req *out)
{
    bool flex = v >= MSG_DELETETOPICS_FLEX;
    size_t emin = v >= 6 ? msg_str_min(flex) + 16 + msg_tags_min(flex) : msg_str_min(flex);
    int32_t n;

    *out = (msg_deletetopics_req){ 0 };
    if (!msg_version_ok(v, MSG_DELETETOPICS_VMIN, MSG_DELETETOPICS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = v >= 6 ? "topics" : "topic_names";
    n = msg_get_count(r, flex, emin);
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_deletetopics_req_topic *t = &out->topics[i];

        if (v >= 6) {
            t->name = kbuf_get_str(r, flex);
            kbuf_get_uuid(r, t->topic_id);
            msg_skip_tags(r, flex);
        } else {
            t->name = msg_get_str_nn(r, flex); /* []string: no tags */
        }
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    r->field = "timeout_ms";
    out->timeout_ms = kbuf_get_i32(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_deletetopics_req_encode(kbuf_wr *w, int16_t v, const msg_deletetopics_req *in)
{
    bool flex = v >= MSG_DELETETOPICS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DELETETOPICS_VMIN, MSG_DELETETOPICS_VMAX))
        return;
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_deletetopics_req_topic *t = &in->topics[i];

        if (v >= 6) {
            kbuf_put_str(w, flex, t->name);
            kbuf_put_uuid(w, t->topic_id);
            kbuf_put_tags(w, flex);
        } else {
            msg_put_str_nn(w, flex, t->name);
        }
    }
    kbuf_put_i32(w, in->timeout_ms);
    kbuf_put_tags(w, flex);
}

sl_err msg_deletetopics_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                    msg_deletetopics_resp *out)
{
    bool flex = v >= MSG_DELETETOPICS_FLEX;
    size_t rmin = msg_str_min(flex) + (v >= 6 ? 16 : 0) + 2 + (v >= 5 ? msg_str_min(flex) : 0) +
                  msg_tags_min(flex);
    int32_t n;

    *out = (msg_deletetopics_resp){ 0 };
    if (!msg_version_ok(v, MSG_DELETETOPICS_VMIN, MSG_DELETETOPICS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "responses";
    n = msg_get_count(r, flex, rmin);
    out->responses = msg_alloc(r, a, n, sizeof *out->responses);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_deletetopics_resp_response *x = &out->responses[i];

        x->name = v >= 6 ? kbuf_get_str(r, flex) : msg_get_str_nn(r, flex);
        if (v >= 6)
            kbuf_get_uuid(r, x->topic_id);
        x->error_code = kbuf_get_i16(r);
        x->error_message = v >= 5 ? kbuf_get_str(r, flex) : SL_BYTES_NULL;
        msg_skip_tags(r, flex);
    }
    out->responses_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_deletetopics_resp_encode(kbuf_wr *w, int16_t v, const msg_deletetopics_resp *in)
{
    bool flex = v >= MSG_DELETETOPICS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DELETETOPICS_VMIN, MSG_DELETETOPICS_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->responses_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_deletetopics_resp_response *x = &in->responses[i];

        if (v >= 6) {
            kbuf_put_str(w, flex, x->name);
            kbuf_put_uuid(w, x->topic_id);
        } else {
            msg_put_str_nn(w, flex, x->name);
        }
        kbuf_put_i16(w, x->error_code);
        if (v >= 5)
            kbuf_put_str(w, flex, x->error_message);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- DeleteRecords ----------------------------------------------------- */

sl_err msg_deleterecords_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                    msg_deleterecords_req *out)
{
    bool flex = v >= MSG_DELETERECORDS_FLEX;
    size_t tgmin = msg_tags_min(flex);
    int32_t n;

    *out = (msg_deleterecords_req){ 0 };
    if (!msg_version_ok(v, MSG_DELETERECORDS_VMIN, MSG_DELETERECORDS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex) + tgmin);
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_deleterecords_req_topic *t = &out->topics[i];
        int32_t m;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        m = msg_get_count(r, flex, 4 + 8 + tgmin);
        t->partitions = msg_alloc(r, a, m, sizeof *t->partitions);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++) {
            t->partitions[j].partition_index = kbuf_get_i32(r);
            t->partitions[j].offset = kbuf_get_i64(r);
            msg_skip_tags(r, flex);
        }
        t->partitions_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    r->field = "timeout_ms";
    out->timeout_ms = kbuf_get_i32(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_deleterecords_req_encode(kbuf_wr *w, int16_t v, const msg_deleterecords_req *in)
{
    bool flex = v >= MSG_DELETERECORDS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DELETERECORDS_VMIN, MSG_DELETERECORDS_VMAX))
        return;
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_deleterecords_req_topic *t = &in->topics[i];
        int32_t m;

        msg_put_str_nn(w, flex, t->name);
        m = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < m; j++) {
            kbuf_put_i32(w, t->partitions[j].partition_index);
            kbuf_put_i64(w, t->partitions[j].offset);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_i32(w, in->timeout_ms);
    kbuf_put_tags(w, flex);
}

sl_err msg_deleterecords_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                     msg_deleterecords_resp *out)
{
    bool flex = v >= MSG_DELETERECORDS_FLEX;
    size_t tgmin = msg_tags_min(flex);
    int32_t n;

    *out = (msg_deleterecords_resp){ 0 };
    if (!msg_version_ok(v, MSG_DELETERECORDS_VMIN, MSG_DELETERECORDS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex) + tgmin);
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_deleterecords_resp_topic *t = &out->topics[i];
        int32_t m;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        m = msg_get_count(r, flex, 4 + 8 + 2 + tgmin);
        t->partitions = msg_alloc(r, a, m, sizeof *t->partitions);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++) {
            t->partitions[j].partition_index = kbuf_get_i32(r);
            t->partitions[j].low_watermark = kbuf_get_i64(r);
            t->partitions[j].error_code = kbuf_get_i16(r);
            msg_skip_tags(r, flex);
        }
        t->partitions_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_deleterecords_resp_encode(kbuf_wr *w, int16_t v, const msg_deleterecords_resp *in)
{
    bool flex = v >= MSG_DELETERECORDS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DELETERECORDS_VMIN, MSG_DELETERECORDS_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_deleterecords_resp_topic *t = &in->topics[i];
        int32_t m;

        msg_put_str_nn(w, flex, t->name);
        m = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < m; j++) {
            kbuf_put_i32(w, t->partitions[j].partition_index);
            kbuf_put_i64(w, t->partitions[j].low_watermark);
            kbuf_put_i16(w, t->partitions[j].error_code);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- CreatePartitions -------------------------------------------------- */

sl_err msg_createpartitions_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                       msg_createpartitions_req *out)
{
    bool flex = v >= MSG_CREATEPARTITIONS_FLEX;
    size_t amin = msg_array_min(flex), tgmin = msg_tags_min(flex);
    int32_t n;

    *out = (msg_createpartitions_req){ 0 };
    if (!msg_version_ok(v, MSG_CREATEPARTITIONS_VMIN, MSG_CREATEPARTITIONS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + 4 + amin + tgmin);
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_createpartitions_req_topic *t = &out->topics[i];
        int32_t m;

        t->name = msg_get_str_nn(r, flex);
        t->count = kbuf_get_i32(r);
        r->field = "assignments";
        m = msg_get_count_nullable(r, flex, amin + tgmin);
        t->assignments = msg_alloc(r, a, m, sizeof *t->assignments);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++) {
            msg_createpartitions_req_assignment *x = &t->assignments[j];

            x->broker_ids = msg_get_i32_array(r, flex, a, &x->broker_ids_count);
            msg_skip_tags(r, flex);
        }
        t->assignments_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    r->field = "timeout_ms";
    out->timeout_ms = kbuf_get_i32(r);
    r->field = "validate_only";
    out->validate_only = kbuf_get_bool(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_createpartitions_req_encode(kbuf_wr *w, int16_t v, const msg_createpartitions_req *in)
{
    bool flex = v >= MSG_CREATEPARTITIONS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_CREATEPARTITIONS_VMIN, MSG_CREATEPARTITIONS_VMAX))
        return;
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_createpartitions_req_topic *t = &in->topics[i];
        int32_t m;

        msg_put_str_nn(w, flex, t->name);
        kbuf_put_i32(w, t->count);
        m = msg_put_count(w, flex, t->assignments_count, true);
        for (int32_t j = 0; j < m; j++) {
            msg_put_i32_array(w, flex, t->assignments[j].broker_ids,
                              t->assignments[j].broker_ids_count);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_i32(w, in->timeout_ms);
    kbuf_put_bool(w, in->validate_only);
    kbuf_put_tags(w, flex);
}

sl_err msg_createpartitions_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                        msg_createpartitions_resp *out)
{
    bool flex = v >= MSG_CREATEPARTITIONS_FLEX;
    int32_t n;

    *out = (msg_createpartitions_resp){ 0 };
    if (!msg_version_ok(v, MSG_CREATEPARTITIONS_VMIN, MSG_CREATEPARTITIONS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    r->field = "results";
    n = msg_get_count(r, flex, 2 * msg_str_min(flex) + 2 + msg_tags_min(flex));
    out->results = msg_alloc(r, a, n, sizeof *out->results);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_createpartitions_resp_result *x = &out->results[i];

        x->name = msg_get_str_nn(r, flex);
        x->error_code = kbuf_get_i16(r);
        x->error_message = kbuf_get_str(r, flex);
        msg_skip_tags(r, flex);
    }
    out->results_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_createpartitions_resp_encode(kbuf_wr *w, int16_t v, const msg_createpartitions_resp *in)
{
    bool flex = v >= MSG_CREATEPARTITIONS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_CREATEPARTITIONS_VMIN, MSG_CREATEPARTITIONS_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->results_count, false);
    for (int32_t i = 0; i < n; i++) {
        msg_put_str_nn(w, flex, in->results[i].name);
        kbuf_put_i16(w, in->results[i].error_code);
        kbuf_put_str(w, flex, in->results[i].error_message);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}
