/*
 * test_msg_group_join.c - JoinGroup v0-6, SyncGroup v0-4, Heartbeat v0-4
 * and LeaveGroup v0-4 request and response bodies: schema-reference
 * bytes, round trip, defaults of absent fields and every truncation, for
 * each version; opaque bytes with NULs; hand-checked vectors.
 */
#include "test_msg_group_common.h"

CODEC(msg_joingroup_req);
CODEC(msg_joingroup_resp);
CODEC(msg_syncgroup_req);
CODEC(msg_syncgroup_resp);
CODEC(msg_heartbeat_req);
CODEC(msg_heartbeat_resp);
CODEC(msg_leavegroup_req);
CODEC(msg_leavegroup_resp);

/* Opaque protocol metadata / assignment, with NULs inside. */
static const uint8_t META[] = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', 0xff };
static const uint8_t ASSIGN[] = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 };
#define META_B sl_bytes_make(META, sizeof META)
#define ASSIGN_B sl_bytes_make(ASSIGN, sizeof ASSIGN)

/* --- JoinGroup ---------------------------------------------------------- */

static msg_joingroup_req_protocol jprotos[2];

static msg_joingroup_req join_req_fill(void)
{
    jprotos[0] = (msg_joingroup_req_protocol){ S("range"), META_B };
    jprotos[1] = (msg_joingroup_req_protocol){ S("roundrobin"), S("") };
    return (msg_joingroup_req){ .group_id = S("grp"),
                                .session_timeout_ms = 45000,
                                .rebalance_timeout_ms = 300000,
                                .member_id = S("m-1"),
                                .group_instance_id = S("inst-1"),
                                .protocol_type = S("consumer"),
                                .protocols = jprotos,
                                .protocols_count = 2 };
}

/* JoinGroupRequest.json, field by field. */
static void join_req_ref(bb *b, int16_t v)
{
    bool f = v >= 6;

    bb_str(b, f, "grp");
    bb_i32(b, 45000);
    if (v >= 1)
        bb_i32(b, 300000);
    bb_str(b, f, "m-1");
    if (v >= 5)
        bb_str(b, f, "inst-1");
    bb_str(b, f, "consumer");
    bb_arr(b, f, 2);
    bb_str(b, f, "range"), bb_bytes(b, f, META, sizeof META, false), bb_tags(b, f);
    bb_str(b, f, "roundrobin"), bb_bytes(b, f, "", 0, false), bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_joingroup, request_every_version)
{
    for (int16_t v = MSG_JOINGROUP_VMIN; v <= MSG_JOINGROUP_VMAX; v++) {
        msg_joingroup_req in = join_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        join_req_ref(&ref, v);
        rt_check(&t, &msg_joingroup_req_codec, v, &in, &out, &ref);
        assert_str(out.group_id, "grp", "group_id");
        cr_assert_eq(out.session_timeout_ms, 45000);
        /* Absent in v0: -1 says "use the session timeout". */
        cr_assert_eq(out.rebalance_timeout_ms, v >= 1 ? 300000 : -1);
        assert_str(out.member_id, "m-1", "member_id");
        assert_str(out.group_instance_id, v >= 5 ? "inst-1" : NULL, "group_instance_id");
        assert_str(out.protocol_type, "consumer", "protocol_type");
        cr_assert_eq(out.protocols_count, 2);
        assert_str(out.protocols[0].name, "range", "name 0");
        assert_bytes(out.protocols[0].metadata, META_B, "metadata 0");
        assert_str(out.protocols[1].name, "roundrobin", "name 1");
        assert_bytes(out.protocols[1].metadata, S(""), "metadata 1");
        rt_done(&t);
    }
}

static msg_joingroup_resp_member jmembers[2];

static msg_joingroup_resp join_resp_fill(void)
{
    jmembers[0] = (msg_joingroup_resp_member){ S("m-1"), S("inst-1"), META_B };
    jmembers[1] = (msg_joingroup_resp_member){ S("m-2"), SL_BYTES_NULL, S("") };
    return (msg_joingroup_resp){ .throttle_time_ms = 10,
                                 .error_code = 0,
                                 .generation_id = 3,
                                 .protocol_name = S("range"),
                                 .leader = S("m-1"),
                                 .member_id = S("m-2"),
                                 .members = jmembers,
                                 .members_count = 2 };
}

/* JoinGroupResponse.json, field by field. */
static void join_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 6;

    if (v >= 2)
        bb_i32(b, 10);
    bb_i16(b, 0);
    bb_i32(b, 3);
    bb_str(b, f, "range");
    bb_str(b, f, "m-1");
    bb_str(b, f, "m-2");
    bb_arr(b, f, 2);
    bb_str(b, f, "m-1");
    if (v >= 5)
        bb_str(b, f, "inst-1");
    bb_bytes(b, f, META, sizeof META, false), bb_tags(b, f);
    bb_str(b, f, "m-2");
    if (v >= 5)
        bb_str(b, f, NULL);
    bb_bytes(b, f, "", 0, false), bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_joingroup, response_every_version)
{
    for (int16_t v = MSG_JOINGROUP_VMIN; v <= MSG_JOINGROUP_VMAX; v++) {
        msg_joingroup_resp in = join_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        join_resp_ref(&ref, v);
        rt_check(&t, &msg_joingroup_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 2 ? 10 : 0);
        cr_assert_eq(out.error_code, 0);
        cr_assert_eq(out.generation_id, 3);
        assert_str(out.protocol_name, "range", "protocol_name");
        assert_str(out.leader, "m-1", "leader");
        assert_str(out.member_id, "m-2", "member_id");
        cr_assert_eq(out.members_count, 2);
        assert_str(out.members[0].member_id, "m-1", "member 0");
        assert_str(out.members[0].group_instance_id, v >= 5 ? "inst-1" : NULL, "instance 0");
        assert_bytes(out.members[0].metadata, META_B, "metadata 0");
        assert_str(out.members[1].member_id, "m-2", "member 1");
        assert_str(out.members[1].group_instance_id, NULL, "instance 1");
        assert_bytes(out.members[1].metadata, S(""), "metadata 1");
        rt_done(&t);
    }
}

/* Followers get no members; null strings and bytes where the schema has
 * none go out empty (protocol_name is not nullable before v7). */
Test(msg_joingroup, follower_and_nulls)
{
    msg_joingroup_resp_member m = { SL_BYTES_NULL, SL_BYTES_NULL, SL_BYTES_NULL };
    msg_joingroup_resp in = { .error_code = 79, .generation_id = -1,
                              .protocol_name = SL_BYTES_NULL, .leader = SL_BYTES_NULL,
                              .member_id = S("m-9") };
    msg_joingroup_req_protocol p = { SL_BYTES_NULL, SL_BYTES_NULL };
    msg_joingroup_req q = { .group_id = SL_BYTES_NULL, .member_id = SL_BYTES_NULL,
                            .group_instance_id = SL_BYTES_NULL,
                            .protocol_type = SL_BYTES_NULL, .protocols = &p,
                            .protocols_count = 1 };
    msg_joingroup_resp out;
    msg_joingroup_req qout;

    for (int16_t v = MSG_JOINGROUP_VMIN; v <= MSG_JOINGROUP_VMAX; v++) {
        rt t;

        in.members = NULL, in.members_count = -1; /* null: written as [] */
        rt_check(&t, &msg_joingroup_resp_codec, v, &in, &out, NULL);
        cr_assert_eq(out.error_code, 79);
        cr_assert_eq(out.generation_id, -1);
        assert_str(out.protocol_name, "", "protocol_name");
        assert_str(out.leader, "", "leader");
        assert_str(out.member_id, "m-9", "member_id");
        cr_assert_eq(out.members_count, 0);
        rt_done(&t);

        in.members = &m, in.members_count = 1;
        rt_check(&t, &msg_joingroup_resp_codec, v, &in, &out, NULL);
        assert_str(out.members[0].member_id, "", "member");
        assert_bytes(out.members[0].metadata, S(""), "metadata");
        rt_done(&t);

        rt_check(&t, &msg_joingroup_req_codec, v, &q, &qout, NULL);
        assert_str(qout.group_id, "", "group_id");
        assert_str(qout.group_instance_id, NULL, "group_instance_id");
        assert_bytes(qout.protocols[0].metadata, S(""), "metadata");
        rt_done(&t);
    }
}

/* --- SyncGroup ---------------------------------------------------------- */

static msg_syncgroup_req_assignment sassign[2];

static msg_syncgroup_req sync_req_fill(void)
{
    sassign[0] = (msg_syncgroup_req_assignment){ S("m-1"), ASSIGN_B };
    sassign[1] = (msg_syncgroup_req_assignment){ S("m-2"), S("") };
    return (msg_syncgroup_req){ .group_id = S("grp"),
                                .generation_id = 3,
                                .member_id = S("m-1"),
                                .group_instance_id = S("inst-1"),
                                .assignments = sassign,
                                .assignments_count = 2 };
}

/* SyncGroupRequest.json, field by field. */
static void sync_req_ref(bb *b, int16_t v)
{
    bool f = v >= 4;

    bb_str(b, f, "grp");
    bb_i32(b, 3);
    bb_str(b, f, "m-1");
    if (v >= 3)
        bb_str(b, f, "inst-1");
    bb_arr(b, f, 2);
    bb_str(b, f, "m-1"), bb_bytes(b, f, ASSIGN, sizeof ASSIGN, false), bb_tags(b, f);
    bb_str(b, f, "m-2"), bb_bytes(b, f, "", 0, false), bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_syncgroup, request_every_version)
{
    for (int16_t v = MSG_SYNCGROUP_VMIN; v <= MSG_SYNCGROUP_VMAX; v++) {
        msg_syncgroup_req in = sync_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        sync_req_ref(&ref, v);
        rt_check(&t, &msg_syncgroup_req_codec, v, &in, &out, &ref);
        assert_str(out.group_id, "grp", "group_id");
        cr_assert_eq(out.generation_id, 3);
        assert_str(out.member_id, "m-1", "member_id");
        assert_str(out.group_instance_id, v >= 3 ? "inst-1" : NULL, "group_instance_id");
        cr_assert_eq(out.assignments_count, 2);
        assert_str(out.assignments[0].member_id, "m-1", "member 0");
        assert_bytes(out.assignments[0].assignment, ASSIGN_B, "assignment 0");
        assert_str(out.assignments[1].member_id, "m-2", "member 1");
        assert_bytes(out.assignments[1].assignment, S(""), "assignment 1");
        rt_done(&t);
    }
}

Test(msg_syncgroup, response_every_version)
{
    for (int16_t v = MSG_SYNCGROUP_VMIN; v <= MSG_SYNCGROUP_VMAX; v++) {
        bool f = v >= 4;
        msg_syncgroup_resp in = { 10, 27, ASSIGN_B }, out;
        bb ref = { .n = 0 };
        rt t;

        /* SyncGroupResponse.json */
        if (v >= 1)
            bb_i32(&ref, 10);
        bb_i16(&ref, 27);
        bb_bytes(&ref, f, ASSIGN, sizeof ASSIGN, false);
        bb_tags(&ref, f);
        rt_check(&t, &msg_syncgroup_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 10 : 0);
        cr_assert_eq(out.error_code, 27);
        assert_bytes(out.assignment, ASSIGN_B, "assignment");
        rt_done(&t);

        /* Not assigned: empty bytes, never null. */
        in.assignment = SL_BYTES_NULL;
        rt_check(&t, &msg_syncgroup_resp_codec, v, &in, &out, NULL);
        assert_bytes(out.assignment, S(""), "assignment");
        rt_done(&t);
    }
}

/* --- Heartbeat ---------------------------------------------------------- */

Test(msg_heartbeat, request_every_version)
{
    for (int16_t v = MSG_HEARTBEAT_VMIN; v <= MSG_HEARTBEAT_VMAX; v++) {
        bool f = v >= 4;
        msg_heartbeat_req in = { S("grp"), 3, S("m-1"), S("inst-1") }, out;
        bb ref = { .n = 0 };
        rt t;

        /* HeartbeatRequest.json */
        bb_str(&ref, f, "grp");
        bb_i32(&ref, 3);
        bb_str(&ref, f, "m-1");
        if (v >= 3)
            bb_str(&ref, f, "inst-1");
        bb_tags(&ref, f);
        rt_check(&t, &msg_heartbeat_req_codec, v, &in, &out, &ref);
        assert_str(out.group_id, "grp", "group_id");
        cr_assert_eq(out.generation_id, 3);
        assert_str(out.member_id, "m-1", "member_id");
        assert_str(out.group_instance_id, v >= 3 ? "inst-1" : NULL, "group_instance_id");
        rt_done(&t);
    }
}

Test(msg_heartbeat, response_every_version)
{
    for (int16_t v = MSG_HEARTBEAT_VMIN; v <= MSG_HEARTBEAT_VMAX; v++) {
        msg_heartbeat_resp in = { 10, 27 }, out;
        bb ref = { .n = 0 };
        rt t;

        /* HeartbeatResponse.json */
        if (v >= 1)
            bb_i32(&ref, 10);
        bb_i16(&ref, 27);
        bb_tags(&ref, v >= 4);
        rt_check(&t, &msg_heartbeat_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 10 : 0);
        cr_assert_eq(out.error_code, 27);
        rt_done(&t);
    }
}

/* --- LeaveGroup --------------------------------------------------------- */

static msg_leavegroup_req_member lmembers[2];

static msg_leavegroup_req leave_req_fill(void)
{
    lmembers[0] = (msg_leavegroup_req_member){ S("m-1"), S("inst-1") };
    lmembers[1] = (msg_leavegroup_req_member){ S("m-2"), SL_BYTES_NULL };
    return (msg_leavegroup_req){ .group_id = S("grp"),
                                 .member_id = S("m-1"),
                                 .members = lmembers,
                                 .members_count = 2 };
}

/* LeaveGroupRequest.json, field by field. */
static void leave_req_ref(bb *b, int16_t v)
{
    bool f = v >= 4;

    bb_str(b, f, "grp");
    if (v <= 2) {
        bb_str(b, f, "m-1");
    } else {
        bb_arr(b, f, 2);
        bb_str(b, f, "m-1"), bb_str(b, f, "inst-1"), bb_tags(b, f);
        bb_str(b, f, "m-2"), bb_str(b, f, NULL), bb_tags(b, f);
    }
    bb_tags(b, f);
}

Test(msg_leavegroup, request_every_version)
{
    for (int16_t v = MSG_LEAVEGROUP_VMIN; v <= MSG_LEAVEGROUP_VMAX; v++) {
        msg_leavegroup_req in = leave_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        leave_req_ref(&ref, v);
        rt_check(&t, &msg_leavegroup_req_codec, v, &in, &out, &ref);
        assert_str(out.group_id, "grp", "group_id");
        assert_str(out.member_id, v <= 2 ? "m-1" : "", "member_id");
        if (v >= 3) {
            cr_assert_eq(out.members_count, 2);
            assert_str(out.members[0].member_id, "m-1", "member 0");
            assert_str(out.members[0].group_instance_id, "inst-1", "instance 0");
            assert_str(out.members[1].member_id, "m-2", "member 1");
            assert_str(out.members[1].group_instance_id, NULL, "instance 1");
        } else {
            cr_assert_eq(out.members_count, 0);
            cr_assert_null(out.members);
        }
        rt_done(&t);
    }
}

static msg_leavegroup_resp_member lrmembers[2];

static msg_leavegroup_resp leave_resp_fill(void)
{
    lrmembers[0] = (msg_leavegroup_resp_member){ S("m-1"), S("inst-1"), 0 };
    lrmembers[1] = (msg_leavegroup_resp_member){ S("m-2"), SL_BYTES_NULL, 25 };
    return (msg_leavegroup_resp){ .throttle_time_ms = 5,
                                  .error_code = 16,
                                  .members = lrmembers,
                                  .members_count = 2 };
}

/* LeaveGroupResponse.json, field by field. */
static void leave_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 4;

    if (v >= 1)
        bb_i32(b, 5);
    bb_i16(b, 16);
    if (v >= 3) {
        bb_arr(b, f, 2);
        bb_str(b, f, "m-1"), bb_str(b, f, "inst-1"), bb_i16(b, 0), bb_tags(b, f);
        bb_str(b, f, "m-2"), bb_str(b, f, NULL), bb_i16(b, 25), bb_tags(b, f);
    }
    bb_tags(b, f);
}

Test(msg_leavegroup, response_every_version)
{
    for (int16_t v = MSG_LEAVEGROUP_VMIN; v <= MSG_LEAVEGROUP_VMAX; v++) {
        msg_leavegroup_resp in = leave_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        leave_resp_ref(&ref, v);
        rt_check(&t, &msg_leavegroup_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 5 : 0);
        cr_assert_eq(out.error_code, 16);
        if (v >= 3) {
            cr_assert_eq(out.members_count, 2);
            assert_str(out.members[0].member_id, "m-1", "member 0");
            assert_str(out.members[0].group_instance_id, "inst-1", "instance 0");
            cr_assert_eq(out.members[0].error_code, 0);
            assert_str(out.members[1].member_id, "m-2", "member 1");
            assert_str(out.members[1].group_instance_id, NULL, "instance 1");
            cr_assert_eq(out.members[1].error_code, 25);
        } else {
            cr_assert_eq(out.members_count, 0);
        }
        rt_done(&t);
    }
}

/* --- hand-checked vectors ---------------------------------------------- */

Test(msg_group_join_vectors, joingroup_v4_member_id_required)
{
    /* The first join of a v4+ member: error 79 with the new member id. */
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x00,             /* throttle */
        0x00, 0x4f,                         /* MEMBER_ID_REQUIRED */
        0xff, 0xff, 0xff, 0xff,             /* generation -1 */
        0x00, 0x00, 0x00, 0x00,             /* protocol_name "", leader "" */
        0x00, 0x03, 'c', '-', '1',          /* member_id */
        0x00, 0x00, 0x00, 0x00,             /* members [] */
    };
    msg_joingroup_resp in = { .error_code = 79, .generation_id = -1, .member_id = S("c-1") };

    encode_expect(&msg_joingroup_resp_codec, 4, &in, want, sizeof want);
}

Test(msg_group_join_vectors, joingroup_v6_request)
{
    static const uint8_t want[] = {
        0x02, 'g',                          /* group_id */
        0x00, 0x00, 0xea, 0x60,             /* session 60000 */
        0x00, 0x01, 0x8e, 0x70,             /* rebalance 102000 */
        0x01,                               /* member_id "" */
        0x00,                               /* group_instance_id null */
        0x09, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',
        0x02,                               /* [ */
        0x0b, 'r', 'o', 'u', 'n', 'd', 'r', 'o', 'b', 'i', 'n',
        0x03, 0xab, 0xcd,                   /*   metadata */
        0x00,                               /*   tags ] */
        0x00,                               /* tags */
    };
    static const uint8_t md[] = { 0xab, 0xcd };
    msg_joingroup_req_protocol p = { S("roundrobin"), sl_bytes_make(md, 2) };
    msg_joingroup_req in = { .group_id = S("g"), .session_timeout_ms = 60000,
                             .rebalance_timeout_ms = 102000, .member_id = S(""),
                             .group_instance_id = SL_BYTES_NULL,
                             .protocol_type = S("consumer"), .protocols = &p,
                             .protocols_count = 1 }, out;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_joingroup_req_codec, 6, &in, want, sizeof want);
    sl_arena_init(&a, 0);
    decode_expect(&msg_joingroup_req_codec, 6, want, sizeof want, &a, &out, &keep, SL_OK);
    cr_assert_eq(out.rebalance_timeout_ms, 102000);
    assert_str(out.group_instance_id, NULL, "instance");
    assert_bytes(out.protocols[0].metadata, sl_bytes_make(md, 2), "metadata");
    free(keep);
    sl_arena_free(&a);
}

Test(msg_group_join_vectors, heartbeat_and_sync)
{
    /* Heartbeat v4: "g", generation 1, "m", null instance, tags. */
    static const uint8_t hb4[] = { 0x02, 'g', 0x00, 0x00, 0x00, 0x01, 0x02, 'm', 0x00, 0x00 };
    /* Heartbeat v0 response: REBALANCE_IN_PROGRESS. */
    static const uint8_t hbr0[] = { 0x00, 0x1b };
    /* SyncGroup v1 response, follower without assignment: empty bytes. */
    static const uint8_t sr1[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    /* LeaveGroup v1 request: "g", "m". */
    static const uint8_t lq1[] = { 0x00, 0x01, 'g', 0x00, 0x01, 'm' };
    msg_heartbeat_req h = { S("g"), 1, S("m"), SL_BYTES_NULL };
    msg_heartbeat_resp hr = { 100, 27 }; /* throttle ignored in v0 */
    msg_syncgroup_resp s = { 0, 0, SL_BYTES_NULL };
    msg_leavegroup_req l = { .group_id = S("g"), .member_id = S("m") };

    encode_expect(&msg_heartbeat_req_codec, 4, &h, hb4, sizeof hb4);
    encode_expect(&msg_heartbeat_resp_codec, 0, &hr, hbr0, sizeof hbr0);
    encode_expect(&msg_syncgroup_resp_codec, 1, &s, sr1, sizeof sr1);
    encode_expect(&msg_leavegroup_req_codec, 1, &l, lq1, sizeof lq1);
}

/* Nulls where the schema has none. */
Test(msg_group_join_vectors, nulls_are_malformed)
{
    /* JoinGroup v0 protocol metadata null (int32 -1). */
    static const uint8_t j0[] = { 0x00, 0x01, 'g',             /* group_id */
                                  0x00, 0x00, 0x00, 0x00,       /* session */
                                  0x00, 0x00, 0x00, 0x00,       /* "", "" */
                                  0x00, 0x00, 0x00, 0x01,       /* [ */
                                  0x00, 0x01, 'r',              /*   "r" */
                                  0xff, 0xff, 0xff, 0xff };     /*   null ] */
    /* SyncGroup v4 response assignment null (compact 0). */
    static const uint8_t s4[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    /* LeaveGroup v3 members null. */
    static const uint8_t l3[] = { 0x00, 0x01, 'g', 0xff, 0xff, 0xff, 0xff };
    /* Heartbeat v0 member_id null. */
    static const uint8_t h0[] = { 0x00, 0x01, 'g', 0x00, 0x00, 0x00, 0x01, 0xff, 0xff };
    msg_joingroup_req jq;
    msg_syncgroup_resp sr;
    msg_leavegroup_req lq;
    msg_heartbeat_req hq;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    decode_expect(&msg_joingroup_req_codec, 0, j0, sizeof j0, &a, &jq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_syncgroup_resp_codec, 4, s4, sizeof s4, &a, &sr, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_leavegroup_req_codec, 3, l3, sizeof l3, &a, &lq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_heartbeat_req_codec, 0, h0, sizeof h0, &a, &hq, &keep, SL_E_MALFORMED);
    free(keep);
    /* The same JoinGroup with empty metadata decodes (the test can fail). */
    {
        uint8_t ok[sizeof j0];

        memcpy(ok, j0, sizeof j0);
        memset(ok + sizeof j0 - 4, 0, 4);
        decode_expect(&msg_joingroup_req_codec, 0, ok, sizeof ok, &a, &jq, &keep, SL_OK);
        assert_bytes(jq.protocols[0].metadata, S(""), "metadata");
        free(keep);
    }
    sl_arena_free(&a);
}
