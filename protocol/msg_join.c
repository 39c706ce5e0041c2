/*
 * msg_join.c - group membership bodies: JoinGroup (key 11) v0-6, SyncGroup
 * (key 14) v0-4, Heartbeat (key 12) v0-4, LeaveGroup (key 13) v0-4.
 *
 * Version steps (Kafka <Name>Request.json / <Name>Response.json):
 * JoinGroup: rebalance_timeout_ms v1 (absent: -1, the session timeout
 * applies); throttle_time_ms in the response v2; v3 throttling semantics;
 * v4 the MEMBER_ID_REQUIRED handshake (no wire change); group_instance_id
 * v5 (KIP-345) in the request and in each response member; flexible v6.
 * protocol_name is nullable only from v7, beyond our range.
 * SyncGroup: throttle_time_ms v1; group_instance_id v3; flexible v4.
 * Heartbeat: throttle_time_ms v1; group_instance_id v3; flexible v4.
 * LeaveGroup: throttle_time_ms v1; v3 replaces member_id by members[]
 * (member_id, group_instance_id) and the response lists per-member
 * errors; flexible v4.
 *
 * Protocol metadata and assignments are opaque bytes, borrowed; a null is
 * written as empty (the schema has no null there).
 */
#include "msg_group_int.h"

/* --- JoinGroup ---------------------------------------------------------- */

sl_err msg_joingroup_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_joingroup_req *out)
{
    bool flex = v >= 6;
    int32_t n;

    *out = (msg_joingroup_req){ .rebalance_timeout_ms = -1, .group_instance_id = SL_BYTES_NULL };
    if (!msg_version_ok(v, MSG_JOINGROUP_VMIN, MSG_JOINGROUP_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "group_id";
    out->group_id = msg_get_str_nn(r, flex);
    r->field = "session_timeout_ms";
    out->session_timeout_ms = kbuf_get_i32(r);
    if (v >= 1) {
        r->field = "rebalance_timeout_ms";
        out->rebalance_timeout_ms = kbuf_get_i32(r);
    }
    r->field = "member_id";
    out->member_id = msg_get_str_nn(r, flex);
    if (v >= 5) {
        r->field = "group_instance_id";
        out->group_instance_id = kbuf_get_str(r, flex);
    }
    r->field = "protocol_type";
    out->protocol_type = msg_get_str_nn(r, flex);
    r->field = "protocols";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_bytes_min(flex) + msg_tags_min(flex));
    out->protocols = msg_alloc(r, a, n, sizeof *out->protocols);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_joingroup_req_protocol *p = &out->protocols[i];

        p->name = msg_get_str_nn(r, flex);
        p->metadata = msg_get_bytes_nn(r, flex);
        msg_skip_tags(r, flex);
    }
    out->protocols_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_joingroup_req_encode(kbuf_wr *w, int16_t v, const msg_joingroup_req *in)
{
    bool flex = v >= 6;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_JOINGROUP_VMIN, MSG_JOINGROUP_VMAX))
        return;
    msg_put_str_nn(w, flex, in->group_id);
    kbuf_put_i32(w, in->session_timeout_ms);
    if (v >= 1)
        kbuf_put_i32(w, in->rebalance_timeout_ms);
    msg_put_str_nn(w, flex, in->member_id);
    if (v >= 5)
        kbuf_put_str(w, flex, in->group_instance_id);
    msg_put_str_nn(w, flex, in->protocol_type);
    n = msg_put_count(w, flex, in->protocols_count, false);
    for (int32_t i = 0; i < n; i++) {
        msg_put_str_nn(w, flex, in->protocols[i].name);
        msg_put_bytes_nn(w, flex, in->protocols[i].metadata);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

sl_err msg_joingroup_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_joingroup_resp *out)
{
    bool flex = v >= 6;
    size_t mmin = msg_str_min(flex) + (v >= 5 ? msg_str_min(flex) : 0) + msg_bytes_min(flex) +
                  msg_tags_min(flex);
    int32_t n;

    *out = (msg_joingroup_resp){ 0 };
    if (!msg_version_ok(v, MSG_JOINGROUP_VMIN, MSG_JOINGROUP_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 2) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    r->field = "generation_id";
    out->generation_id = kbuf_get_i32(r);
    r->field = "protocol_name";
    out->protocol_name = msg_get_str_nn(r, flex);
    r->field = "leader";
    out->leader = msg_get_str_nn(r, flex);
    r->field = "member_id";
    out->member_id = msg_get_str_nn(r, flex);
    r->field = "members";
    n = msg_get_count(r, flex, mmin);
    out->members = msg_alloc(r, a, n, sizeof *out->members);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_joingroup_resp_member *m = &out->members[i];

        m->member_id = msg_get_str_nn(r, flex);
        m->group_instance_id = v >= 5 ? kbuf_get_str(r, flex) : SL_BYTES_NULL;
        m->metadata = msg_get_bytes_nn(r, flex);
        msg_skip_tags(r, flex);
    }
    out->members_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_joingroup_resp_encode(kbuf_wr *w, int16_t v, const msg_joingroup_resp *in)
{
    bool flex = v >= 6;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_JOINGROUP_VMIN, MSG_JOINGROUP_VMAX))
        return;
    if (v >= 2)
        kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_i16(w, in->error_code);
    kbuf_put_i32(w, in->generation_id);
    msg_put_str_nn(w, flex, in->protocol_name);
    msg_put_str_nn(w, flex, in->leader);
    msg_put_str_nn(w, flex, in->member_id);
    n = msg_put_count(w, flex, in->members_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_joingroup_resp_member *m = &in->members[i];

        msg_put_str_nn(w, flex, m->member_id);
        if (v >= 5)
            kbuf_put_str(w, flex, m->group_instance_id);
        msg_put_bytes_nn(w, flex, m->metadata);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- SyncGroup ---------------------------------------------------------- */

sl_err msg_syncgroup_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_syncgroup_req *out)
{
    bool flex = v >= 4;
    int32_t n;

    *out = (msg_syncgroup_req){ .group_instance_id = SL_BYTES_NULL };
    if (!msg_version_ok(v, MSG_SYNCGROUP_VMIN, MSG_SYNCGROUP_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "group_id";
    out->group_id = msg_get_str_nn(r, flex);
    r->field = "generation_id";
    out->generation_id = kbuf_get_i32(r);
    r->field = "member_id";
    out->member_id = msg_get_str_nn(r, flex);
    if (v >= 3) {
        r->field = "group_instance_id";
        out->group_instance_id = kbuf_get_str(r, flex);
    }
    r->field = "assignments";
    n = msg_get_count(r, flex, msg_str_min(flex) + msg_bytes_min(flex) + msg_tags_min(flex));
    out->assignments = msg_alloc(r, a, n, sizeof *out->assignments);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_syncgroup_req_assignment *s = &out->assignments[i];

        s->member_id = msg_get_str_nn(r, flex);
        s->assignment = msg_get_bytes_nn(r, flex);
        msg_skip_tags(r, flex);
    }
    out->assignments_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_syncgroup_req_encode(kbuf_wr *w, int16_t v, const msg_syncgroup_req *in)
{
    bool flex = v >= 4;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_SYNCGROUP_VMIN, MSG_SYNCGROUP_VMAX))
        return;
    msg_put_str_nn(w, flex, in->group_id);
    kbuf_put_i32(w, in->generation_id);
    msg_put_str_nn(w, flex, in->member_id);
    if (v >= 3)
        kbuf_put_str(w, flex, in->group_instance_id);
    n = msg_put_count(w, flex, in->assignments_count, false);
    for (int32_t i = 0; i < n; i++) {
        msg_put_str_nn(w, flex, in->assignments[i].member_id);
        msg_put_bytes_nn(w, flex, in->assignments[i].assignment);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

sl_err msg_syncgroup_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_syncgroup_resp *out)
{
    bool flex = v >= 4;

    (void)a;
    *out = (msg_syncgroup_resp){ .assignment = msg_empty() };
    if (!msg_version_ok(v, MSG_SYNCGROUP_VMIN, MSG_SYNCGROUP_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    r->field = "assignment";
    out->assignment = msg_get_bytes_nn(r, flex);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_syncgroup_resp_encode(kbuf_wr *w, int16_t v, const msg_syncgroup_resp *in)
{
    bool flex = v >= 4;

    if (!msg_enc_version_ok(w, v, MSG_SYNCGROUP_VMIN, MSG_SYNCGROUP_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_i16(w, in->error_code);
    msg_put_bytes_nn(w, flex, in->assignment);
    kbuf_put_tags(w, flex);
}

/* --- Heartbeat ---------------------------------------------------------- */

sl_err msg_heartbeat_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_heartbeat_req *out)
{
    bool flex = v >= 4;

    (void)a;
    *out = (msg_heartbeat_req){ .group_instance_id = SL_BYTES_NULL };
    if (!msg_version_ok(v, MSG_HEARTBEAT_VMIN, MSG_HEARTBEAT_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "group_id";
    out->group_id = msg_get_str_nn(r, flex);
    r->field = "generation_id";
    out->generation_id = kbuf_get_i32(r);
    r->field = "member_id";
    out->member_id = msg_get_str_nn(r, flex);
    if (v >= 3) {
        r->field = "group_instance_id";
        out->group_instance_id = kbuf_get_str(r, flex);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_heartbeat_req_encode(kbuf_wr *w, int16_t v, const msg_heartbeat_req *in)
{
    bool flex = v >= 4;

    if (!msg_enc_version_ok(w, v, MSG_HEARTBEAT_VMIN, MSG_HEARTBEAT_VMAX))
        return;
    msg_put_str_nn(w, flex, in->group_id);
    kbuf_put_i32(w, in->generation_id);
    msg_put_str_nn(w, flex, in->member_id);
    if (v >= 3)
        kbuf_put_str(w, flex, in->group_instance_id);
    kbuf_put_tags(w, flex);
}

sl_err msg_heartbeat_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_heartbeat_resp *out)
{
    bool flex = v >= 4;

    (void)a;
    *out = (msg_heartbeat_resp){ 0 };
    if (!msg_version_ok(v, MSG_HEARTBEAT_VMIN, MSG_HEARTBEAT_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_heartbeat_resp_encode(kbuf_wr *w, int16_t v, const msg_heartbeat_resp *in)
{
    bool flex = v >= 4;

    if (!msg_enc_version_ok(w, v, MSG_HEARTBEAT_VMIN, MSG_HEARTBEAT_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_i16(w, in->error_code);
    kbuf_put_tags(w, flex);
}

/* --- LeaveGroup --------------------------------------------------------- */

sl_err msg_leavegroup_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_leavegroup_req *out)
{
    bool flex = v >= 4;
    int32_t n;

    *out = (msg_leavegroup_req){ .member_id = msg_empty() };
    if (!msg_version_ok(v, MSG_LEAVEGROUP_VMIN, MSG_LEAVEGROUP_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "group_id";
    out->group_id = msg_get_str_nn(r, flex);
    if (v <= 2) {
        r->field = "member_id";
        out->member_id = msg_get_str_nn(r, flex);
    } else {
        r->field = "members";
        n = msg_get_count(r, flex, 2 * msg_str_min(flex) + msg_tags_min(flex));
        out->members = msg_alloc(r, a, n, sizeof *out->members);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_leavegroup_req_member *m = &out->members[i];

            m->member_id = msg_get_str_nn(r, flex);
            m->group_instance_id = kbuf_get_str(r, flex);
            msg_skip_tags(r, flex);
        }
        out->members_count = kbuf_ok(r) ? n : 0;
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_leavegroup_req_encode(kbuf_wr *w, int16_t v, const msg_leavegroup_req *in)
{
    bool flex = v >= 4;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_LEAVEGROUP_VMIN, MSG_LEAVEGROUP_VMAX))
        return;
    msg_put_str_nn(w, flex, in->group_id);
    if (v <= 2) {
        msg_put_str_nn(w, flex, in->member_id);
    } else {
        n = msg_put_count(w, flex, in->members_count, false);
        for (int32_t i = 0; i < n; i++) {
            msg_put_str_nn(w, flex, in->members[i].member_id);
            kbuf_put_str(w, flex, in->members[i].group_instance_id);
            kbuf_put_tags(w, flex);
        }
    }
    kbuf_put_tags(w, flex);
}

sl_err msg_leavegroup_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_leavegroup_resp *out)
{
    bool flex = v >= 4;
    int32_t n;

    *out = (msg_leavegroup_resp){ 0 };
    if (!msg_version_ok(v, MSG_LEAVEGROUP_VMIN, MSG_LEAVEGROUP_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    if (v >= 3) {
        r->field = "members";
        n = msg_get_count(r, flex, 2 * msg_str_min(flex) + 2 + msg_tags_min(flex));
        out->members = msg_alloc(r, a, n, sizeof *out->members);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_leavegroup_resp_member *m = &out->members[i];

            m->member_id = msg_get_str_nn(r, flex);
            m->group_instance_id = kbuf_get_str(r, flex);
            m->error_code = kbuf_get_i16(r);
            msg_skip_tags(r, flex);
        }
        out->members_count = kbuf_ok(r) ? n : 0;
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_leavegroup_resp_encode(kbuf_wr *w, int16_t v, const msg_leavegroup_resp *in)
{
    bool flex = v >= 4;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_LEAVEGROUP_VMIN, MSG_LEAVEGROUP_VMAX))
        return;
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_i16(w, in->error_code);
    if (v >= 3) {
        n = msg_put_count(w, flex, in->members_count, false);
        for (int32_t i = 0; i < n; i++) {
            const msg_leavegroup_resp_member *m = &in->members[i];

            msg_put_str_nn(w, flex, m->member_id);
            kbuf_put_str(w, flex, m->group_instance_id);
            kbuf_put_i16(w, m->error_code);
            kbuf_put_tags(w, flex);
        }
    }
    kbuf_put_tags(w, flex);
}
