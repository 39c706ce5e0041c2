/*
 * msg_groups_admin.c - group administration bodies: ListGroups (key 16)
 * v0-4, DescribeGroups (key 15) v0-5, DeleteGroups (key 42) v0-2.
 *
 * Version steps (Kafka <Name>Request.json / <Name>Response.json):
 * ListGroups: throttle_time_ms v1; v2 throttling semantics; flexible v3;
 * states_filter in the request and group_state per listed group v4
 * (KIP-518).  librdkafka 2.0.2 appends a stray tags byte to v3+ requests
 * (fixed in 2.1.0): harmless, bytes after the body are ignored.
 * DescribeGroups: throttle_time_ms v1; include_authorized_operations and
 * authorized_operations v3; group_instance_id per member v4; flexible v5.
 * DeleteGroups: throttle_time_ms in every version; v1 throttling
 * semantics; flexible v2.
 */
#include "msg_group_int.h"

/* --- ListGroups --------------------------------------------------------- */

sl_err msg_listgroups_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_listgroups_req *out)
{
    bool flex = v >= 3;

    *out = (msg_listgroups_req){ 0 };
    if (!msg_version_ok(v, MSG_LISTGROUPS_VMIN, MSG_LISTGROUPS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 4) {
        r->field = "states_filter";
        out->states_filter = msg_get_str_array(r, flex, a, &out->states_filter_count);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_listgroups_req_encode(kbuf_wr *w, int16_t v, const msg_listgroups_req *in)
{
    bool flex = v >= 3;

    if (!msg_enc_version_ok(w, v, MSG_LISTGROUPS_VMIN, MSG_LISTGROUPS_VMAX))
        return;
    if (v >= 4)
        msg_put_str_array(w, flex, in->states_filter, in->states_filter_count);
    kbuf_put_tags(w, flex);
}

sl_err msg_listgroups_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_listgroups_resp *out)
{
    bool flex = v >= 3;
    size_t gmin = 2 * msg_str_min(flex) + (v >= 4 ? msg_str_min(flex) : 0) + msg_tags_min(flex);
    int32_t n;

    *out = (msg_listgroups_resp){ 0 };
    if (!msg_version_ok(v, MSG_LISTGROUPS_VMIN, MSG_LISTGROUPS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    r->field = "groups";
    n = msg_get_count(r, flex, gmin);
    out->groups = msg_alloc(r, a, n, sizeof *out->groups);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_listgroups_resp_group *g = &out->groups[i];

        g->group_id = msg_get_str_nn(r, flex);
        g->protocol_type = msg_get_str_nn(r, flex);
        g->group_state = v >= 4 ? msg_get_str_nn(r, flex) : msg_empty();
        msg_skip_tags(r, flex);
    }
    out->groups_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_listgroups_resp_encode(kbuf_wr *w, int16_t v, const msg_listgroups_resp *in)
{
    bool flex = v >= 3;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_LISTGROUPS_VMIN, MSG_LISTGROUPS_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_i16(w, in->error_code);
    n = msg_put_count(w, flex, in->groups_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_listgroups_resp_group *g = &in->groups[i];

        msg_put_str_nn(w, flex, g->group_id);
        msg_put_str_nn(w, flex, g->protocol_type);
        if (v >= 4)
            msg_put_str_nn(w, flex, g->group_state);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- DescribeGroups ----------------------------------------------------- */

sl_err msg_describegroups_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                     msg_describegroups_req *out)
{
    bool flex = v >= 5;

    *out = (msg_describegroups_req){ 0 };
    if (!msg_version_ok(v, MSG_DESCRIBEGROUPS_VMIN, MSG_DESCRIBEGROUPS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "groups";
    out->groups = msg_get_str_array(r, flex, a, &out->groups_count);
    if (v >= 3) {
        r->field = "include_authorized_operations";
        out->include_authorized_operations = kbuf_get_bool(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_describegroups_req_encode(kbuf_wr *w, int16_t v, const msg_describegroups_req *in)
{
    bool flex = v >= 5;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBEGROUPS_VMIN, MSG_DESCRIBEGROUPS_VMAX))
        return;
    msg_put_str_array(w, flex, in->groups, in->groups_count);
    if (v >= 3)
        kbuf_put_bool(w, in->include_authorized_operations);
    kbuf_put_tags(w, flex);
}

static void get_described_group(kbuf_rd *r, int16_t v, bool flex, sl_arena *a,
                                msg_describegroups_resp_group *g)
{
    size_t mmin = msg_str_min(flex) + (v >= 4 ? msg_str_min(flex) : 0) + 2 * msg_str_min(flex) +
                  2 * msg_bytes_min(flex) + msg_tags_min(flex);
    int32_t n;

    g->error_code = kbuf_get_i16(r);
    g->group_id = msg_get_str_nn(r, flex);
    g->group_state = msg_get_str_nn(r, flex);
    g->protocol_type = msg_get_str_nn(r, flex);
    g->protocol_data = msg_get_str_nn(r, flex);
    r->field = "members";
    n = msg_get_count(r, flex, mmin);
    g->members = msg_alloc(r, a, n, sizeof *g->members);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_describegroups_resp_member *m = &g->members[i];

        m->member_id = msg_get_str_nn(r, flex);
        m->group_instance_id = v >= 4 ? kbuf_get_str(r, flex) : SL_BYTES_NULL;
        m->client_id = msg_get_str_nn(r, flex);
        m->client_host = msg_get_str_nn(r, flex);
        m->member_metadata = msg_get_bytes_nn(r, flex);
        m->member_assignment = msg_get_bytes_nn(r, flex);
        msg_skip_tags(r, flex);
    }
    g->members_count = kbuf_ok(r) ? n : 0;
    g->authorized_operations = v >= 3 ? kbuf_get_i32(r) : MSG_AUTHORIZED_OPERATIONS_NONE;
    msg_skip_tags(r, flex);
}

sl_err msg_describegroups_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                      msg_describegroups_resp *out)
{
    bool flex = v >= 5;
    size_t gmin = 2 + 4 * msg_str_min(flex) + msg_array_min(flex) + (v >= 3 ? 4 : 0) +
                  msg_tags_min(flex);
    int32_t n;

    *out = (msg_describegroups_resp){ 0 };
    if (!msg_version_ok(v, MSG_DESCRIBEGROUPS_VMIN, MSG_DESCRIBEGROUPS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "groups";
    n = msg_get_count(r, flex, gmin);
    out->groups = msg_alloc(r, a, n, sizeof *out->groups);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++)
        get_described_group(r, v, flex, a, &out->groups[i]);
    out->groups_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_describegroups_resp_encode(kbuf_wr *w, int16_t v, const msg_describegroups_resp *in)
{
    bool flex = v >= 5;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBEGROUPS_VMIN, MSG_DESCRIBEGROUPS_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->groups_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_describegroups_resp_group *g = &in->groups[i];
        int32_t mn;

        kbuf_put_i16(w, g->error_code);
        msg_put_str_nn(w, flex, g->group_id);
        msg_put_str_nn(w, flex, g->group_state);
        msg_put_str_nn(w, flex, g->protocol_type);
        msg_put_str_nn(w, flex, g->protocol_data);
        mn = msg_put_count(w, flex, g->members_count, false);
        for (int32_t j = 0; j < mn; j++) {
            const msg_describegroups_resp_member *m = &g->members[j];

            msg_put_str_nn(w, flex, m->member_id);
            if (v >= 4)
                kbuf_put_str(w, flex, m->group_instance_id);
            msg_put_str_nn(w, flex, m->client_id);
            msg_put_str_nn(w, flex, m->client_host);
            msg_put_bytes_nn(w, flex, m->member_metadata);
            msg_put_bytes_nn(w, flex, m->member_assignment);
            kbuf_put_tags(w, flex);
        }
        if (v >= 3)
            kbuf_put_i32(w, g->authorized_operations);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- DeleteGroups ------------------------------------------------------- */

sl_err msg_deletegroups_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_deletegroups_req *out)
{
    bool flex = v >= 2;

    *out = (msg_deletegroups_req){ 0 };
    if (!msg_version_ok(v, MSG_DELETEGROUPS_VMIN, MSG_DELETEGROUPS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "groups_names";
    out->groups_names = msg_get_str_array(r, flex, a, &out->groups_names_count);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_deletegroups_req_encode(kbuf_wr *w, int16_t v, const msg_deletegroups_req *in)
{
    bool flex = v >= 2;

    if (!msg_enc_version_ok(w, v, MSG_DELETEGROUPS_VMIN, MSG_DELETEGROUPS_VMAX))
        return;
    msg_put_str_array(w, flex, in->groups_names, in->groups_names_count);
    kbuf_put_tags(w, flex);
}

sl_err msg_deletegroups_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                    msg_deletegroups_resp *out)
{
    bool flex = v >= 2;
    int32_t n;

    *out = (msg_deletegroups_resp){ 0 };
    if (!msg_version_ok(v, MSG_DELETEGROUPS_VMIN, MSG_DELETEGROUPS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    r->field = "results";
    n = msg_get_count(r, flex, msg_str_min(flex) + 2 + msg_tags_min(flex));
    out->results = msg_alloc(r, a, n, sizeof *out->results);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        out->results[i].group_id = msg_get_str_nn(r, flex);
        out->results[i].error_code = kbuf_get_i16(r);
        msg_skip_tags(r, flex);
    }
    out->results_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_deletegroups_resp_encode(kbuf_wr *w, int16_t v, const msg_deletegroups_resp *in)
{
    bool flex = v >= 2;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DELETEGROUPS_VMIN, MSG_DELETEGROUPS_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->results_count, false);
    for (int32_t i = 0; i < n; i++) {
        msg_put_str_nn(w, flex, in->results[i].group_id);
        kbuf_put_i16(w, in->results[i].error_code);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}
