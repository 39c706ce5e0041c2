/*
 * msg_offsets.c - committed offsets: OffsetCommit (key 8) v2-8, OffsetFetch
 * (key 9) v1-8, OffsetDelete (key 47) v0.
 *
 * Version steps (Kafka <Name>Request.json / <Name>Response.json):
 * OffsetCommit: v0 has no generation_id or member_id, which v1 adds
 * with a per-partition commit_timestamp; v2 dropped v1's commit_timestamp and added
 * retention_time_ms, which v5 drops again (broker config only);
 * committed_leader_epoch v6; group_instance_id v7; flexible v8.  The
 * response gains throttle_time_ms in v3.  Kafka 3.6+ calls the
 * generation GenerationIdOrMemberEpoch (KIP-848); same field.
 * OffsetFetch: v0 (Kafka read it from ZooKeeper) has v1's layout; topics
 * nullable from v2 (null = all committed partitions)
 * and the response's top-level error_code v2; throttle_time_ms v3;
 * committed_leader_epoch v5; flexible v6; require_stable v7; v8 batches
 * groups: the request's group_id/topics become groups[] (each with
 * nullable topics) and the response's topics/error_code become groups[]
 * (each with its own error_code), throttle_time_ms staying top-level.
 * OffsetDelete: v0 only, not flexible; the response carries error_code
 * BEFORE throttle_time_ms.
 */
#include "msg_group_int.h"

/* --- OffsetCommit ------------------------------------------------------- */

sl_err msg_offsetcommit_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_offsetcommit_req *out)
{
    bool flex = v >= 8;
    size_t pmin = 4 + 8 + (v == 1 ? 8 : 0) + (v >= 6 ? 4 : 0) + msg_str_min(flex) +
                  msg_tags_min(flex);
    int32_t n;

    *out = (msg_offsetcommit_req){ .generation_id_or_member_epoch = -1,
                                   .member_id = msg_empty(),
                                   .group_instance_id = SL_BYTES_NULL,
                                   .retention_time_ms = -1 };
    if (!msg_version_ok(v, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "group_id";
    out->group_id = msg_get_str_nn(r, flex);
    if (v >= 1) {
        r->field = "generation_id_or_member_epoch";
        out->generation_id_or_member_epoch = kbuf_get_i32(r);
        r->field = "member_id";
        out->member_id = msg_get_str_nn(r, flex);
    }
    if (v >= 7) {
        r->field = "group_instance_id";
        out->group_instance_id = kbuf_get_str(r, flex);
    }
    if (v >= 2 && v <= 4) {
        r->field = "retention_time_ms";
        out->retention_time_ms = kbuf_get_i64(r);
    }
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex) + msg_tags_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_offsetcommit_req_topic *t = &out->topics[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, pmin);
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            msg_offsetcommit_req_partition *p = &t->partitions[j];

            p->partition_index = kbuf_get_i32(r);
            p->committed_offset = kbuf_get_i64(r);
            p->commit_timestamp = v == 1 ? kbuf_get_i64(r) : -1;
            p->committed_leader_epoch = v >= 6 ? kbuf_get_i32(r) : -1;
            p->committed_metadata = kbuf_get_str(r, flex);
            msg_skip_tags(r, flex);
        }
        t->partitions_count = kbuf_ok(r) ? pn : 0;
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_offsetcommit_req_encode(kbuf_wr *w, int16_t v, const msg_offsetcommit_req *in)
{
    bool flex = v >= 8;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX))
        return;
    msg_put_str_nn(w, flex, in->group_id);
    if (v >= 1) {
        kbuf_put_i32(w, in->generation_id_or_member_epoch);
        msg_put_str_nn(w, flex, in->member_id);
    }
    if (v >= 7)
        kbuf_put_str(w, flex, in->group_instance_id);
    if (v >= 2 && v <= 4)
        kbuf_put_i64(w, in->retention_time_ms);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_offsetcommit_req_topic *t = &in->topics[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_offsetcommit_req_partition *p = &t->partitions[j];

            kbuf_put_i32(w, p->partition_index);
            kbuf_put_i64(w, p->committed_offset);
            if (v == 1)
                kbuf_put_i64(w, p->commit_timestamp);
            if (v >= 6)
                kbuf_put_i32(w, p->committed_leader_epoch);
            kbuf_put_str(w, flex, p->committed_metadata);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

sl_err msg_offsetcommit_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                    msg_offsetcommit_resp *out)
{
    bool flex = v >= 8;
    int32_t n;

    *out = (msg_offsetcommit_resp){ 0 };
    if (!msg_version_ok(v, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 3) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex) + msg_tags_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_offsetcommit_resp_topic *t = &out->topics[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, 4 + 2 + msg_tags_min(flex));
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            t->partitions[j].partition_index = kbuf_get_i32(r);
            t->partitions[j].error_code = kbuf_get_i16(r);
            msg_skip_tags(r, flex);
        }
        t->partitions_count = kbuf_ok(r) ? pn : 0;
        msg_skip_tags(r, flex);
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_offsetcommit_resp_encode(kbuf_wr *w, int16_t v, const msg_offsetcommit_resp *in)
{
    bool flex = v >= 8;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX))
        return;
    if (v >= 3)
        kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_offsetcommit_resp_topic *t = &in->topics[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            kbuf_put_i32(w, t->partitions[j].partition_index);
            kbuf_put_i16(w, t->partitions[j].error_code);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- OffsetFetch -------------------------------------------------------- */

/* A request topics array (both shapes); nullable says whether -1 is
 * allowed. */
static msg_offsetfetch_req_topic *get_req_topics(kbuf_rd *r, bool flex, sl_arena *a,
                                                 bool nullable, int32_t *count)
{
    size_t tmin = msg_str_min(flex) + msg_array_min(flex) + msg_tags_min(flex);
    int32_t n = nullable ? msg_get_count_nullable(r, flex, tmin) : msg_get_count(r, flex, tmin);
    msg_offsetfetch_req_topic *v = msg_alloc(r, a, n, sizeof *v);

    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        v[i].name = msg_get_str_nn(r, flex);
        v[i].partition_indexes =
            msg_get_i32_array(r, flex, a, &v[i].partition_indexes_count);
        msg_skip_tags(r, flex);
    }
    *count = kbuf_ok(r) ? n : 0;
    return v;
}

static void put_req_topics(kbuf_wr *w, bool flex, const msg_offsetfetch_req_topic *v,
                           int32_t count, bool nullable)
{
    int32_t n = msg_put_count(w, flex, count, nullable);

    for (int32_t i = 0; i < n; i++) {
        msg_put_str_nn(w, flex, v[i].name);
        msg_put_i32_array(w, flex, v[i].partition_indexes, v[i].partition_indexes_count);
        kbuf_put_tags(w, flex);
    }
}

sl_err msg_offsetfetch_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_offsetfetch_req *out)
{
    bool flex = v >= 6;
    int32_t n;

    *out = (msg_offsetfetch_req){ .group_id = msg_empty() };
    if (!msg_version_ok(v, MSG_OFFSETFETCH_VMIN, MSG_OFFSETFETCH_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v <= 7) {
        r->field = "group_id";
        out->group_id = msg_get_str_nn(r, flex);
        r->field = "topics";
        out->topics = get_req_topics(r, flex, a, v >= 2, &out->topics_count);
    } else {
        r->field = "groups";
        n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex) + msg_tags_min(flex));
        out->groups = msg_alloc(r, a, n, sizeof *out->groups);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_offsetfetch_req_group *g = &out->groups[i];

            g->group_id = msg_get_str_nn(r, flex);
            r->field = "topics";
            g->topics = get_req_topics(r, flex, a, true, &g->topics_count);
            msg_skip_tags(r, flex);
        }
        out->groups_count = kbuf_ok(r) ? n : 0;
    }
    if (v >= 7) {
        r->field = "require_stable";
        out->require_stable = kbuf_get_bool(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_offsetfetch_req_encode(kbuf_wr *w, int16_t v, const msg_offsetfetch_req *in)
{
    bool flex = v >= 6;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_OFFSETFETCH_VMIN, MSG_OFFSETFETCH_VMAX))
        return;
    if (v <= 7) {
        msg_put_str_nn(w, flex, in->group_id);
        /* v1 cannot say null: written as empty. */
        put_req_topics(w, flex, in->topics, in->topics_count, v >= 2);
    } else {
        n = msg_put_count(w, flex, in->groups_count, false);
        for (int32_t i = 0; i < n; i++) {
            const msg_offsetfetch_req_group *g = &in->groups[i];

            msg_put_str_nn(w, flex, g->group_id);
            put_req_topics(w, flex, g->topics, g->topics_count, true);
            kbuf_put_tags(w, flex);
        }
    }
    if (v >= 7)
        kbuf_put_bool(w, in->require_stable);
    kbuf_put_tags(w, flex);
}

/* A response topics array (both shapes). */
static msg_offsetfetch_resp_topic *get_resp_topics(kbuf_rd *r, int16_t v, bool flex,
                                                   sl_arena *a, int32_t *count)
{
    size_t pmin = 4 + 8 + (v >= 5 ? 4 : 0) + msg_str_min(flex) + 2 + msg_tags_min(flex);
    int32_t n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex) +
                                           msg_tags_min(flex));
    msg_offsetfetch_resp_topic *t = msg_alloc(r, a, n, sizeof *t);

    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        int32_t pn;

        t[i].name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, pmin);
        t[i].partitions = msg_alloc(r, a, pn, sizeof *t[i].partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            msg_offsetfetch_resp_partition *p = &t[i].partitions[j];

            p->partition_index = kbuf_get_i32(r);
            p->committed_offset = kbuf_get_i64(r);
            p->committed_leader_epoch = v >= 5 ? kbuf_get_i32(r) : -1;
            p->metadata = kbuf_get_str(r, flex);
            p->error_code = kbuf_get_i16(r);
            msg_skip_tags(r, flex);
        }
        t[i].partitions_count = kbuf_ok(r) ? pn : 0;
        msg_skip_tags(r, flex);
    }
    *count = kbuf_ok(r) ? n : 0;
    return t;
}

static void put_resp_topics(kbuf_wr *w, int16_t v, bool flex, const msg_offsetfetch_resp_topic *t,
                            int32_t count)
{
    int32_t n = msg_put_count(w, flex, count, false);

    for (int32_t i = 0; i < n; i++) {
        int32_t pn;

        msg_put_str_nn(w, flex, t[i].name);
        pn = msg_put_count(w, flex, t[i].partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            const msg_offsetfetch_resp_partition *p = &t[i].partitions[j];

            kbuf_put_i32(w, p->partition_index);
            kbuf_put_i64(w, p->committed_offset);
            if (v >= 5)
                kbuf_put_i32(w, p->committed_leader_epoch);
            kbuf_put_str(w, flex, p->metadata);
            kbuf_put_i16(w, p->error_code);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
}

sl_err msg_offsetfetch_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_offsetfetch_resp *out)
{
    bool flex = v >= 6;
    int32_t n;

    *out = (msg_offsetfetch_resp){ 0 };
    if (!msg_version_ok(v, MSG_OFFSETFETCH_VMIN, MSG_OFFSETFETCH_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 3) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    if (v <= 7) {
        r->field = "topics";
        out->topics = get_resp_topics(r, v, flex, a, &out->topics_count);
        if (v >= 2) {
            r->field = "error_code";
            out->error_code = kbuf_get_i16(r);
        }
    } else {
        r->field = "groups";
        n = msg_get_count(r, flex,
                          msg_str_min(flex) + msg_array_min(flex) + 2 + msg_tags_min(flex));
        out->groups = msg_alloc(r, a, n, sizeof *out->groups);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_offsetfetch_resp_group *g = &out->groups[i];

            g->group_id = msg_get_str_nn(r, flex);
            r->field = "topics";
            g->topics = get_resp_topics(r, v, flex, a, &g->topics_count);
            g->error_code = kbuf_get_i16(r);
            msg_skip_tags(r, flex);
        }
        out->groups_count = kbuf_ok(r) ? n : 0;
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_offsetfetch_resp_encode(kbuf_wr *w, int16_t v, const msg_offsetfetch_resp *in)
{
    bool flex = v >= 6;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_OFFSETFETCH_VMIN, MSG_OFFSETFETCH_VMAX))
        return;
    if (v >= 3)
        kbuf_put_i32(w, in->throttle_time_ms);
    if (v <= 7) {
        put_resp_topics(w, v, flex, in->topics, in->topics_count);
        if (v >= 2)
            kbuf_put_i16(w, in->error_code);
    } else {
        n = msg_put_count(w, flex, in->groups_count, false);
        for (int32_t i = 0; i < n; i++) {
            const msg_offsetfetch_resp_group *g = &in->groups[i];

            msg_put_str_nn(w, flex, g->group_id);
            put_resp_topics(w, v, flex, g->topics, g->topics_count);
            kbuf_put_i16(w, g->error_code);
            kbuf_put_tags(w, flex);
        }
    }
    kbuf_put_tags(w, flex);
}

/* --- OffsetDelete ------------------------------------------------------- */

sl_err msg_offsetdelete_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_offsetdelete_req *out)
{
    const bool flex = false;
    int32_t n;

    *out = (msg_offsetdelete_req){ 0 };
    if (!msg_version_ok(v, MSG_OFFSETDELETE_VMIN, MSG_OFFSETDELETE_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "group_id";
    out->group_id = msg_get_str_nn(r, flex);
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_offsetdelete_req_topic *t = &out->topics[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, 4);
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++)
            t->partitions[j].partition_index = kbuf_get_i32(r);
        t->partitions_count = kbuf_ok(r) ? pn : 0;
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    return r->err;
}

void msg_offsetdelete_req_encode(kbuf_wr *w, int16_t v, const msg_offsetdelete_req *in)
{
    const bool flex = false;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_OFFSETDELETE_VMIN, MSG_OFFSETDELETE_VMAX))
        return;
    msg_put_str_nn(w, flex, in->group_id);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_offsetdelete_req_topic *t = &in->topics[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++)
            kbuf_put_i32(w, t->partitions[j].partition_index);
    }
}

sl_err msg_offsetdelete_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                    msg_offsetdelete_resp *out)
{
    const bool flex = false;
    int32_t n;

    *out = (msg_offsetdelete_resp){ 0 };
    if (!msg_version_ok(v, MSG_OFFSETDELETE_VMIN, MSG_OFFSETDELETE_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    r->field = "topics";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_array_min(flex));
    out->topics = msg_alloc(r, a, n, sizeof *out->topics);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_offsetdelete_resp_topic *t = &out->topics[i];
        int32_t pn;

        t->name = msg_get_str_nn(r, flex);
        r->field = "partitions";
        pn = msg_get_count(r, flex, 4 + 2);
        t->partitions = msg_alloc(r, a, pn, sizeof *t->partitions);
        for (int32_t j = 0; j < pn && kbuf_ok(r); j++) {
            t->partitions[j].partition_index = kbuf_get_i32(r);
            t->partitions[j].error_code = kbuf_get_i16(r);
        }
        t->partitions_count = kbuf_ok(r) ? pn : 0;
    }
    out->topics_count = kbuf_ok(r) ? n : 0;
    return r->err;
}

void msg_offsetdelete_resp_encode(kbuf_wr *w, int16_t v, const msg_offsetdelete_resp *in)
{
    const bool flex = false;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_OFFSETDELETE_VMIN, MSG_OFFSETDELETE_VMAX))
        return;
    kbuf_put_i16(w, in->error_code);
    kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->topics_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_offsetdelete_resp_topic *t = &in->topics[i];
        int32_t pn;

        msg_put_str_nn(w, flex, t->name);
        pn = msg_put_count(w, flex, t->partitions_count, false);
        for (int32_t j = 0; j < pn; j++) {
            kbuf_put_i32(w, t->partitions[j].partition_index);
            kbuf_put_i16(w, t->partitions[j].error_code);
        }
    }
}
