/*
 * test_msg_group_admin.c - ListGroups v0-4, DescribeGroups v0-5 and
 * DeleteGroups v0-2 request and response bodies: schema-reference bytes,
 * round trip, defaults of absent fields and every truncation, for each
 * version; librdkafka 2.0.2's stray byte after ListGroups v3+ requests;
 * hand-checked vectors.
 */
#include "test_msg_group_common.h"

CODEC(msg_listgroups_req);
CODEC(msg_listgroups_resp);
CODEC(msg_describegroups_req);
CODEC(msg_describegroups_resp);
CODEC(msg_deletegroups_req);
CODEC(msg_deletegroups_resp);

static const char *const states[] = { "Stable", "Empty" };
static const char *const names[] = { "grp-a", "grp-b", "" };
static sl_bytes states_b[2], names_b[3];

static void fill_strs(void)
{
    for (int i = 0; i < 2; i++)
        states_b[i] = S(states[i]);
    for (int i = 0; i < 3; i++)
        names_b[i] = S(names[i]);
}

/* --- ListGroups --------------------------------------------------------- */

Test(msg_listgroups, request_every_version)
{
    fill_strs();
    for (int16_t v = MSG_LISTGROUPS_VMIN; v <= MSG_LISTGROUPS_VMAX; v++) {
        bool f = v >= 3;
        msg_listgroups_req in = { states_b, 2 }, out;
        bb ref = { .n = 0 };
        rt t;

        /* ListGroupsRequest.json: empty before v3 (not even tags). */
        if (v >= 4)
            bb_strs(&ref, f, states, 2);
        bb_tags(&ref, f);
        rt_check(&t, &msg_listgroups_req_codec, v, &in, &out, &ref);
        if (v >= 4)
            assert_strs(out.states_filter, out.states_filter_count, states, 2, "states");
        else
            cr_assert_eq(out.states_filter_count, 0);
        rt_done(&t);
    }
}

static msg_listgroups_resp_group lgroups[2];

Test(msg_listgroups, response_every_version)
{
    for (int16_t v = MSG_LISTGROUPS_VMIN; v <= MSG_LISTGROUPS_VMAX; v++) {
        bool f = v >= 3;
        msg_listgroups_resp in, out;
        bb ref = { .n = 0 };
        rt t;

        lgroups[0] = (msg_listgroups_resp_group){ S("grp-a"), S("consumer"), S("Stable") };
        lgroups[1] = (msg_listgroups_resp_group){ S("grp-b"), S(""), S("Empty") };
        in = (msg_listgroups_resp){ 15, 0, lgroups, 2 };
        /* ListGroupsResponse.json */
        if (v >= 1)
            bb_i32(&ref, 15);
        bb_i16(&ref, 0);
        bb_arr(&ref, f, 2);
        bb_str(&ref, f, "grp-a"), bb_str(&ref, f, "consumer");
        if (v >= 4)
            bb_str(&ref, f, "Stable");
        bb_tags(&ref, f);
        bb_str(&ref, f, "grp-b"), bb_str(&ref, f, "");
        if (v >= 4)
            bb_str(&ref, f, "Empty");
        bb_tags(&ref, f);
        bb_tags(&ref, f);
        rt_check(&t, &msg_listgroups_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 15 : 0);
        cr_assert_eq(out.error_code, 0);
        cr_assert_eq(out.groups_count, 2);
        assert_str(out.groups[0].group_id, "grp-a", "group 0");
        assert_str(out.groups[0].protocol_type, "consumer", "type 0");
        assert_str(out.groups[0].group_state, v >= 4 ? "Stable" : "", "state 0");
        assert_str(out.groups[1].group_id, "grp-b", "group 1");
        assert_str(out.groups[1].protocol_type, "", "type 1");
        assert_str(out.groups[1].group_state, v >= 4 ? "Empty" : "", "state 1");
        rt_done(&t);
    }
}

/* librdkafka 2.0.2 sends one byte too many after ListGroups v3+ bodies
 * (an extra tags section; fixed in 2.1.0): the body decodes and the byte
 * is left over. */
Test(msg_listgroups, librdkafka_202_trailing_byte)
{
    static const uint8_t v3[] = { 0x00, 0x00 };
    static const uint8_t v4[] = { 0x01, 0x00, 0x00 };
    static const uint8_t v4s[] = { 0x02, 0x07, 'S', 't', 'a', 'b', 'l', 'e', 0x00, 0x00 };
    static const struct {
        int16_t v;
        const uint8_t *p;
        size_t n;
        int32_t states;
    } cases[] = { { 3, v3, sizeof v3, 0 }, { 4, v4, sizeof v4, 0 }, { 4, v4s, sizeof v4s, 1 } };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msg_listgroups_req out;
        uint8_t *keep = dup_exact(cases[i].p, cases[i].n);
        sl_arena a;
        kbuf_rd r;

        sl_arena_init(&a, 0);
        kbuf_rd_init(&r, keep, cases[i].n);
        cr_assert_eq(msg_listgroups_req_decode(&r, cases[i].v, &a, &out), SL_OK, "case %zu", i);
        cr_assert_eq(kbuf_remaining(&r), 1);
        cr_assert_eq(out.states_filter_count, cases[i].states);
        if (cases[i].states)
            assert_str(out.states_filter[0], "Stable", "state");
        sl_arena_free(&a);
        free(keep);
    }
}

/* --- DescribeGroups ----------------------------------------------------- */

Test(msg_describegroups, request_every_version)
{
    fill_strs();
    for (int16_t v = MSG_DESCRIBEGROUPS_VMIN; v <= MSG_DESCRIBEGROUPS_VMAX; v++) {
        bool f = v >= 5;
        msg_describegroups_req in = { names_b, 3, true }, out;
        bb ref = { .n = 0 };
        rt t;

        /* DescribeGroupsRequest.json */
        bb_strs(&ref, f, names, 3);
        if (v >= 3)
            bb_u8(&ref, 1);
        bb_tags(&ref, f);
        rt_check(&t, &msg_describegroups_req_codec, v, &in, &out, &ref);
        assert_strs(out.groups, out.groups_count, names, 3, "groups");
        cr_assert_eq(out.include_authorized_operations, v >= 3);
        rt_done(&t);
    }
}

static const uint8_t MD[] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0xff };
static const uint8_t AS[] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x01 };
static msg_describegroups_resp_member dmembers[2];
static msg_describegroups_resp_group dgroups[2];

static msg_describegroups_resp describe_resp_fill(void)
{
    dmembers[0] = (msg_describegroups_resp_member){ S("m-1"), S("inst-1"), S("rdkafka"),
                                                    S("/10.0.0.1"), sl_bytes_make(MD, sizeof MD),
                                                    sl_bytes_make(AS, sizeof AS) };
    dmembers[1] = (msg_describegroups_resp_member){ S("m-2"), SL_BYTES_NULL, S("kafkajs"),
                                                    S("/10.0.0.2"), S(""), S("") };
    dgroups[0] = (msg_describegroups_resp_group){ 0, S("grp-a"), S("Stable"), S("consumer"),
                                                  S("range"), dmembers, 2, 0x0f00 };
    dgroups[1] = (msg_describegroups_resp_group){ 16, S("grp-b"), S("Dead"), S(""), S(""),
                                                  NULL, 0, MSG_AUTHORIZED_OPERATIONS_NONE };
    return (msg_describegroups_resp){ 25, dgroups, 2 };
}

/* DescribeGroupsResponse.json, field by field. */
static void describe_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 5;

    if (v >= 1)
        bb_i32(b, 25);
    bb_arr(b, f, 2);
    bb_i16(b, 0), bb_str(b, f, "grp-a"), bb_str(b, f, "Stable"), bb_str(b, f, "consumer");
    bb_str(b, f, "range");
    bb_arr(b, f, 2);
    bb_str(b, f, "m-1");
    if (v >= 4)
        bb_str(b, f, "inst-1");
    bb_str(b, f, "rdkafka"), bb_str(b, f, "/10.0.0.1");
    bb_bytes(b, f, MD, sizeof MD, false), bb_bytes(b, f, AS, sizeof AS, false), bb_tags(b, f);
    bb_str(b, f, "m-2");
    if (v >= 4)
        bb_str(b, f, NULL);
    bb_str(b, f, "kafkajs"), bb_str(b, f, "/10.0.0.2");
    bb_bytes(b, f, "", 0, false), bb_bytes(b, f, "", 0, false), bb_tags(b, f);
    if (v >= 3)
        bb_i32(b, 0x0f00);
    bb_tags(b, f);
    bb_i16(b, 16), bb_str(b, f, "grp-b"), bb_str(b, f, "Dead"), bb_str(b, f, "");
    bb_str(b, f, ""), bb_arr(b, f, 0);
    if (v >= 3)
        bb_i32(b, INT32_MIN);
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_describegroups, response_every_version)
{
    for (int16_t v = MSG_DESCRIBEGROUPS_VMIN; v <= MSG_DESCRIBEGROUPS_VMAX; v++) {
        msg_describegroups_resp in = describe_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        describe_resp_ref(&ref, v);
        rt_check(&t, &msg_describegroups_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 25 : 0);
        cr_assert_eq(out.groups_count, 2);

        const msg_describegroups_resp_group *g0 = &out.groups[0], *g1 = &out.groups[1];
        cr_assert_eq(g0->error_code, 0);
        assert_str(g0->group_id, "grp-a", "group_id");
        assert_str(g0->group_state, "Stable", "state");
        assert_str(g0->protocol_type, "consumer", "protocol_type");
        assert_str(g0->protocol_data, "range", "protocol_data");
        cr_assert_eq(g0->authorized_operations, v >= 3 ? 0x0f00 : MSG_AUTHORIZED_OPERATIONS_NONE);
        cr_assert_eq(g0->members_count, 2);
        assert_str(g0->members[0].member_id, "m-1", "member 0");
        assert_str(g0->members[0].group_instance_id, v >= 4 ? "inst-1" : NULL, "instance 0");
        assert_str(g0->members[0].client_id, "rdkafka", "client_id 0");
        assert_str(g0->members[0].client_host, "/10.0.0.1", "client_host 0");
        assert_bytes(g0->members[0].member_metadata, sl_bytes_make(MD, sizeof MD), "md 0");
        assert_bytes(g0->members[0].member_assignment, sl_bytes_make(AS, sizeof AS), "as 0");
        assert_str(g0->members[1].member_id, "m-2", "member 1");
        assert_str(g0->members[1].group_instance_id, NULL, "instance 1");
        assert_str(g0->members[1].client_id, "kafkajs", "client_id 1");
        assert_bytes(g0->members[1].member_metadata, S(""), "md 1");
        assert_bytes(g0->members[1].member_assignment, S(""), "as 1");
        cr_assert_eq(g1->error_code, 16);
        assert_str(g1->group_id, "grp-b", "group 1");
        assert_str(g1->group_state, "Dead", "state 1");
        cr_assert_eq(g1->members_count, 0);
        cr_assert_eq(g1->authorized_operations, MSG_AUTHORIZED_OPERATIONS_NONE);
        rt_done(&t);
    }
}

/* --- DeleteGroups ------------------------------------------------------- */

Test(msg_deletegroups, request_every_version)
{
    fill_strs();
    for (int16_t v = MSG_DELETEGROUPS_VMIN; v <= MSG_DELETEGROUPS_VMAX; v++) {
        bool f = v >= 2;
        msg_deletegroups_req in = { names_b, 3 }, out;
        bb ref = { .n = 0 };
        rt t;

        /* DeleteGroupsRequest.json */
        bb_strs(&ref, f, names, 3);
        bb_tags(&ref, f);
        rt_check(&t, &msg_deletegroups_req_codec, v, &in, &out, &ref);
        assert_strs(out.groups_names, out.groups_names_count, names, 3, "groups_names");
        rt_done(&t);
    }
}

Test(msg_deletegroups, response_every_version)
{
    for (int16_t v = MSG_DELETEGROUPS_VMIN; v <= MSG_DELETEGROUPS_VMAX; v++) {
        bool f = v >= 2;
        msg_deletegroups_resp_result res[2] = { { S("grp-a"), 0 }, { S("grp-b"), 68 } };
        msg_deletegroups_resp in = { 35, res, 2 }, out;
        bb ref = { .n = 0 };
        rt t;

        /* DeleteGroupsResponse.json: throttle_time_ms even in v0. */
        bb_i32(&ref, 35);
        bb_arr(&ref, f, 2);
        bb_str(&ref, f, "grp-a"), bb_i16(&ref, 0), bb_tags(&ref, f);
        bb_str(&ref, f, "grp-b"), bb_i16(&ref, 68), bb_tags(&ref, f);
        bb_tags(&ref, f);
        rt_check(&t, &msg_deletegroups_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 35);
        cr_assert_eq(out.results_count, 2);
        assert_str(out.results[0].group_id, "grp-a", "group 0");
        cr_assert_eq(out.results[0].error_code, 0);
        assert_str(out.results[1].group_id, "grp-b", "group 1");
        cr_assert_eq(out.results[1].error_code, 68);
        rt_done(&t);
    }
}

/* --- hand-checked vectors ---------------------------------------------- */

Test(msg_group_admin_vectors, bytes)
{
    /* ListGroups v0 response: no error, [ {"g", "consumer"} ]. */
    static const uint8_t lg0[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'g',
                                   0x00, 0x08, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r' };
    /* DescribeGroups v0 request: ["g"]. */
    static const uint8_t dq0[] = { 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'g' };
    /* DescribeGroups v5 request: ["g"], include ops false, tags. */
    static const uint8_t dq5[] = { 0x02, 0x02, 'g', 0x00, 0x00 };
    /* DeleteGroups v2 response: throttle 0, [ {"g", 69} ], tags. */
    static const uint8_t ds2[] = { 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 'g', 0x00, 0x45, 0x00,
                                   0x00 };
    msg_listgroups_resp_group lg = { S("g"), S("consumer"), S("ignored before v4") };
    msg_listgroups_resp l = { 99, 0, &lg, 1 };
    sl_bytes g = S("g");
    msg_describegroups_req d = { &g, 1, false };
    msg_deletegroups_resp_result dr = { S("g"), 69 };
    msg_deletegroups_resp ds = { 0, &dr, 1 };
    msg_listgroups_resp lout;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_listgroups_resp_codec, 0, &l, lg0, sizeof lg0);
    encode_expect(&msg_describegroups_req_codec, 0, &d, dq0, sizeof dq0);
    encode_expect(&msg_describegroups_req_codec, 5, &d, dq5, sizeof dq5);
    encode_expect(&msg_deletegroups_resp_codec, 2, &ds, ds2, sizeof ds2);
    sl_arena_init(&a, 0);
    decode_expect(&msg_listgroups_resp_codec, 0, lg0, sizeof lg0, &a, &lout, &keep, SL_OK);
    assert_str(lout.groups[0].protocol_type, "consumer", "protocol_type");
    assert_str(lout.groups[0].group_state, "", "group_state");
    free(keep);
    sl_arena_free(&a);
}

/* Nulls where the schema has none. */
Test(msg_group_admin_vectors, nulls_are_malformed)
{
    /* DescribeGroups v0 groups null; DeleteGroups v2 element null;
     * ListGroups v4 states_filter null; DescribeGroups v5 member
     * metadata null. */
    static const uint8_t dq0[] = { 0xff, 0xff, 0xff, 0xff };
    static const uint8_t xq2[] = { 0x02, 0x00, 0x00 };
    static const uint8_t lq4[] = { 0x00, 0x00 };
    static const uint8_t ds5[] = {
        0x00, 0x00, 0x00, 0x00, 0x02,             /* throttle, [ */
        0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x02, /*   0, "", "", "", "", [ */
        0x01, 0x01, 0x01, 0x01, 0x00, 0x01, 0x00, /*     "", "", "", "", null metadata */
    };
    msg_describegroups_req dq;
    msg_deletegroups_req xq;
    msg_listgroups_req lq;
    msg_describegroups_resp ds;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    decode_expect(&msg_describegroups_req_codec, 0, dq0, sizeof dq0, &a, &dq, &keep,
                  SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_deletegroups_req_codec, 2, xq2, sizeof xq2, &a, &xq, &keep,
                  SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_listgroups_req_codec, 4, lq4, sizeof lq4, &a, &lq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_describegroups_resp_codec, 5, ds5, sizeof ds5, &a, &ds, &keep,
                  SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
}
