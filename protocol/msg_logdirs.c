/*
 * msg_logdirs.c - DescribeLogDirs (key 35) bodies, v0-4, flexible from v2.
 *
 * Version steps (Kafka DescribeLogDirsRequest.json / ...Response.json):
 * v1 changes only behaviour (throttling), v2 is the first flexible one,
 * v3 adds the response's top-level error_code, v4 adds total_bytes and
 * usable_bytes to each log dir result.  The request's topics may be null
 * (every topic); a null elsewhere is malformed.
 */
#include "msg_int.h"
#include "msg_logdirs.h"

#define DLD_PARTITION_SIZE (4 + 8 + 8 + 1)

sl_err msg_describelogdirs_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                      msg_describelogdirs_req *out)
{
    bool flex = v >= MSG_DESCRIBELOGDIRS_FLEX;
    int32_t n;

    *out = (msg_describelogdirs_req){ 0 };
    if (!msg_version_ok(v, MSG_DESCRIBELOGDIRS_VMIN, MSG_DESCRIBELOGDIRS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "topics";
    n = msg_get_count_nullable(r, flex,
                               msg_str_min(flex) + msg_array_min(flex) + msg_tags_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_describelogdirs_req_topic *t = &out->topics[i];

        r->field = "topic";
        t->topic = msg_get_str_nn(r, flex);
        r->field = "partitions";
        t->partitions = msg_get_i32_array(r, flex, a, &t->partitions_count);
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_describelogdirs_req_encode(kbuf_wr *w, int16_t v, const msg_describelogdirs_req *in)
{
    bool flex = v >= MSG_DESCRIBELOGDIRS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBELOGDIRS_VMIN, MSG_DESCRIBELOGDIRS_VMAX))
        return;
    n = msg_put_count(w, flex, in->topics_count, true);
    for (int32_t i = 0; i < n; i++) {
        const msg_describelogdirs_req_topic *t = &in->topics[i];

        msg_put_str_nn(w, flex, t->topic);
        msg_put_i32_array(w, flex, t->partitions, t->partitions_count);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* One log dir's topics and their partitions. */
static void get_topics(kbuf_rd *r, bool flex, sl_arena *a, msg_describelogdirs_resp_result *res)
{
    int32_t n;

    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex) + msg_tags_min(flex));
    res->topics = msg_alloc(r, a, n, sizeof *res->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_describelogdirs_resp_topic *t = &res->topics[i];
        int32_t pn;

        r->field = "name";
        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, DLD_PARTITION_SIZE + msg_tags_min(flex));
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            msg_describelogdirs_resp_partition *p = &t->partitions[j];

            p->partition_index = kbuf_get_i32(r);
            p->partition_size = kbuf_get_i64(r);
            p->offset_lag = kbuf_get_i64(r);
            p->is_future_key = kbuf_get_bool(r);
            msg_skip_tags(r, flex);
        }
        t->partitions_count = kbuf_ok(r) ? pn : 0;
        msg_skip_tags(r, flex);
    }
    res->topics_count = kbuf_ok(r) ? n : 0;
}

sl_err msg_describelogdirs_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                       msg_describelogdirs_resp *out)
{
    bool flex = v >= MSG_DESCRIBELOGDIRS_FLEX;
    size_t rmin = 2 + msg_str_min(flex) + msg_array_min(flex) + (v >= 4 ? 16 : 0) +
                  msg_tags_min(flex);
    int32_t n;

    *out = (msg_describelogdirs_resp){ 0 };
    if (!msg_version_ok(v, MSG_DESCRIBELOGDIRS_VMIN, MSG_DESCRIBELOGDIRS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    if (v >= 3) {
        r->field = "error_code";
        out->error_code = kbuf_get_i16(r);
    }
    r->field = "results";
    n = msg_get_count(r, flex, rmin);
    out->results = msg_alloc(r, a, n, sizeof *out->results);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_describelogdirs_resp_result *res = &out->results[i];

        res->error_code = kbuf_get_i16(r);
        r->field = "log_dir";
        res->log_dir = msg_get_str_nn(r, flex);
        get_topics(r, flex, a, res);
        res->total_bytes = v >= 4 ? kbuf_get_i64(r) : -1;
        res->usable_bytes = v >= 4 ? kbuf_get_i64(r) : -1;
        msg_skip_tags(r, flex);
    }
    out->results_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

static void put_topics(kbuf_wr *w, bool flex, const msg_describelogdirs_resp_result *res)
{
    int32_t n = msg_put_count(w, flex, res->topics_count, false);

    for (int32_t i = 0; i < n; i++) {
        const msg_describelogdirs_resp_topic *t = &res->topics[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_describelogdirs_resp_partition *p = &t->partitions[j];

            kbuf_put_i32(w, p->partition_index);
            kbuf_put_i64(w, p->partition_size);
            kbuf_put_i64(w, p->offset_lag);
            kbuf_put_bool(w, p->is_future_key);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
}

void msg_describelogdirs_resp_encode(kbuf_wr *w, int16_t v, const msg_describelogdirs_resp *in)
{
    bool flex = v >= MSG_DESCRIBELOGDIRS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBELOGDIRS_VMIN, MSG_DESCRIBELOGDIRS_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    if (v >= 3)
        kbuf_put_i16(w, in->error_code);
    n = msg_put_count(w, flex, in->results_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_describelogdirs_resp_result *res = &in->results[i];

        kbuf_put_i16(w, res->error_code);
        msg_put_str_nn(w, flex, res->log_dir);
        put_topics(w, flex, res);
        if (v >= 4) {
            kbuf_put_i64(w, res->total_bytes);
            kbuf_put_i64(w, res->usable_bytes);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}
