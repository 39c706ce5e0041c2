/*
 * test_msg_group_coordinator.c - FindCoordinator v0-4 request and response
 * bodies: schema-reference bytes, round trip, defaults of absent fields
 * and every truncation, for each version; the v4 batch; hand-checked
 * vectors.
 */
#include "test_msg_group_common.h"

CODEC(msg_findcoordinator_req);
CODEC(msg_findcoordinator_resp);

/* --- request ----------------------------------------------------------- */

static sl_bytes keys[2];
static const char *const key_names[] = { "grp-a", "txn-b" };

static msg_findcoordinator_req req_fill(void)
{
    keys[0] = S("grp-a");
    keys[1] = S("txn-b");
    return (msg_findcoordinator_req){ .key = S("grp-a"),
                                      .key_type = MSG_COORDINATOR_KEY_TRANSACTION,
                                      .coordinator_keys = keys,
                                      .coordinator_keys_count = 2 };
}

/* FindCoordinatorRequest.json, field by field. */
static void req_ref(bb *b, int16_t v)
{
    bool f = v >= 3;

    if (v <= 3)
        bb_str(b, f, "grp-a");
    if (v >= 1)
        bb_i8(b, 1);
    if (v >= 4)
        bb_strs(b, f, key_names, 2);
    bb_tags(b, f);
}

Test(msg_findcoordinator, request_every_version)
{
    for (int16_t v = MSG_FINDCOORDINATOR_VMIN; v <= MSG_FINDCOORDINATOR_VMAX; v++) {
        msg_findcoordinator_req in = req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        req_ref(&ref, v);
        rt_check(&t, &msg_findcoordinator_req_codec, v, &in, &out, &ref);
        assert_str(out.key, v <= 3 ? "grp-a" : "", "key");
        cr_assert_eq(out.key_type, v >= 1 ? 1 : 0, "v%d", v);
        if (v >= 4)
            assert_strs(out.coordinator_keys, out.coordinator_keys_count, key_names, 2, "keys");
        else
            cr_assert_eq(out.coordinator_keys_count, 0);
        rt_done(&t);
    }
}

/* --- response ---------------------------------------------------------- */

static msg_findcoordinator_resp_coordinator coords[2];

static msg_findcoordinator_resp resp_fill(void)
{
    coords[0] = (msg_findcoordinator_resp_coordinator){ S("grp-a"), 1, S("h1"), 9092, 0,
                                                        SL_BYTES_NULL };
    coords[1] = (msg_findcoordinator_resp_coordinator){ S("txn-b"), -1, S(""), -1, 15,
                                                        S("no coordinator") };
    return (msg_findcoordinator_resp){ .throttle_time_ms = 50,
                                       .error_code = 15,
                                       .error_message = S("try later"),
                                       .node_id = 7,
                                       .host = S("broker-7"),
                                       .port = 9093,
                                       .coordinators = coords,
                                       .coordinators_count = 2 };
}

/* FindCoordinatorResponse.json, field by field. */
static void resp_ref(bb *b, int16_t v)
{
    bool f = v >= 3;

    if (v >= 1)
        bb_i32(b, 50);
    if (v <= 3) {
        bb_i16(b, 15);
        if (v >= 1)
            bb_str(b, f, "try later");
        bb_i32(b, 7);
        bb_str(b, f, "broker-7");
        bb_i32(b, 9093);
    }
    if (v >= 4) {
        bb_arr(b, f, 2);
        bb_str(b, f, "grp-a"), bb_i32(b, 1), bb_str(b, f, "h1"), bb_i32(b, 9092);
        bb_i16(b, 0), bb_str(b, f, NULL), bb_tags(b, f);
        bb_str(b, f, "txn-b"), bb_i32(b, -1), bb_str(b, f, ""), bb_i32(b, -1);
        bb_i16(b, 15), bb_str(b, f, "no coordinator"), bb_tags(b, f);
    }
    bb_tags(b, f);
}

Test(msg_findcoordinator, response_every_version)
{
    for (int16_t v = MSG_FINDCOORDINATOR_VMIN; v <= MSG_FINDCOORDINATOR_VMAX; v++) {
        msg_findcoordinator_resp in = resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        resp_ref(&ref, v);
        rt_check(&t, &msg_findcoordinator_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 50 : 0);
        cr_assert_eq(out.error_code, v <= 3 ? 15 : 0);
        assert_str(out.error_message, v >= 1 && v <= 3 ? "try later" : NULL, "error_message");
        cr_assert_eq(out.node_id, v <= 3 ? 7 : 0);
        assert_str(out.host, v <= 3 ? "broker-7" : "", "host");
        cr_assert_eq(out.port, v <= 3 ? 9093 : 0);
        if (v >= 4) {
            const msg_findcoordinator_resp_coordinator *c0 = &out.coordinators[0];
            const msg_findcoordinator_resp_coordinator *c1 = &out.coordinators[1];

            cr_assert_eq(out.coordinators_count, 2);
            assert_str(c0->key, "grp-a", "key 0");
            cr_assert_eq(c0->node_id, 1);
            assert_str(c0->host, "h1", "host 0");
            cr_assert_eq(c0->port, 9092);
            cr_assert_eq(c0->error_code, 0);
            assert_str(c0->error_message, NULL, "message 0");
            assert_str(c1->key, "txn-b", "key 1");
            cr_assert_eq(c1->node_id, -1);
            assert_str(c1->host, "", "host 1");
            cr_assert_eq(c1->port, -1);
            cr_assert_eq(c1->error_code, 15);
            assert_str(c1->error_message, "no coordinator", "message 1");
        } else {
            cr_assert_eq(out.coordinators_count, 0);
            cr_assert_null(out.coordinators);
        }
        rt_done(&t);
    }
}

/* The top-level error_message is nullable (v1-3); null strings where the
 * schema has none go out as "". */
Test(msg_findcoordinator, response_nulls)
{
    msg_findcoordinator_resp_coordinator c = { .key = SL_BYTES_NULL, .host = SL_BYTES_NULL,
                                               .error_message = SL_BYTES_NULL };
    msg_findcoordinator_resp in = { .error_message = SL_BYTES_NULL, .host = SL_BYTES_NULL,
                                    .coordinators = &c, .coordinators_count = 1 };
    msg_findcoordinator_resp out;

    for (int16_t v = MSG_FINDCOORDINATOR_VMIN; v <= MSG_FINDCOORDINATOR_VMAX; v++) {
        rt t;

        rt_check(&t, &msg_findcoordinator_resp_codec, v, &in, &out, NULL);
        assert_str(out.error_message, NULL, "error_message");
        assert_str(out.host, "", "host");
        if (v >= 4) {
            assert_str(out.coordinators[0].key, "", "key");
            assert_str(out.coordinators[0].host, "", "host");
            assert_str(out.coordinators[0].error_message, NULL, "message");
        }
        rt_done(&t);
    }
}

/* --- hand-checked vectors ---------------------------------------------- */

Test(msg_findcoordinator, vectors)
{
    /* v0 (kafka-python): key "g". */
    static const uint8_t q0[] = { 0x00, 0x01, 'g' };
    /* v2 (librdkafka, kafkajs): key "grp", key_type 0. */
    static const uint8_t q2[] = { 0x00, 0x03, 'g', 'r', 'p', 0x00 };
    /* v4 (platformatic): key_type 0, keys ["g"], tags. */
    static const uint8_t q4[] = { 0x00, 0x02, 0x02, 'g', 0x00 };
    /* v0 response: no error, node 1 at "h":9092. */
    static const uint8_t s0[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'h',
                                  0x00, 0x00, 0x23, 0x84 };
    /* v4 response: throttle 0, [ {"g", 1, "h", 9092, 0, null, tags} ], tags. */
    static const uint8_t s4[] = { 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 'g', 0x00, 0x00, 0x00,
                                  0x01, 0x02, 'h', 0x00, 0x00, 0x23, 0x84, 0x00, 0x00, 0x00,
                                  0x00, 0x00 };
    sl_bytes g = S("g");
    msg_findcoordinator_req r0 = { .key = S("g") }, r2 = { .key = S("grp") };
    msg_findcoordinator_req r4 = { .coordinator_keys = &g, .coordinator_keys_count = 1 };
    msg_findcoordinator_resp p0 = { .node_id = 1, .host = S("h"), .port = 9092 };
    msg_findcoordinator_resp_coordinator c = { S("g"), 1, S("h"), 9092, 0, SL_BYTES_NULL };
    msg_findcoordinator_resp p4 = { .coordinators = &c, .coordinators_count = 1 };
    msg_findcoordinator_req rout;
    msg_findcoordinator_resp pout;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_findcoordinator_req_codec, 0, &r0, q0, sizeof q0);
    encode_expect(&msg_findcoordinator_req_codec, 2, &r2, q2, sizeof q2);
    encode_expect(&msg_findcoordinator_req_codec, 4, &r4, q4, sizeof q4);
    encode_expect(&msg_findcoordinator_resp_codec, 0, &p0, s0, sizeof s0);
    encode_expect(&msg_findcoordinator_resp_codec, 4, &p4, s4, sizeof s4);

    sl_arena_init(&a, 0);
    decode_expect(&msg_findcoordinator_req_codec, 4, q4, sizeof q4, &a, &rout, &keep, SL_OK);
    cr_assert_eq(rout.coordinator_keys_count, 1);
    assert_str(rout.coordinator_keys[0], "g", "key");
    free(keep);
    decode_expect(&msg_findcoordinator_resp_codec, 4, s4, sizeof s4, &a, &pout, &keep, SL_OK);
    cr_assert_eq(pout.coordinators_count, 1);
    cr_assert_eq(pout.coordinators[0].port, 9092);
    free(keep);
    sl_arena_free(&a);
}

/* A null key (v0-3), a null coordinator_keys array or a null element of
 * it (v4) is malformed. */
Test(msg_findcoordinator, nulls_where_schema_has_none)
{
    static const uint8_t k1[] = { 0xff, 0xff, 0x00 };
    static const uint8_t k3[] = { 0x00, 0x00, 0x00 };
    static const uint8_t a4[] = { 0x00, 0x00, 0x00 };
    static const uint8_t e4[] = { 0x00, 0x02, 0x00, 0x00 };
    msg_findcoordinator_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    decode_expect(&msg_findcoordinator_req_codec, 1, k1, sizeof k1, &a, &out, &keep,
                  SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_findcoordinator_req_codec, 3, k3, sizeof k3, &a, &out, &keep,
                  SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_findcoordinator_req_codec, 4, a4, sizeof a4, &a, &out, &keep,
                  SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_findcoordinator_req_codec, 4, e4, sizeof e4, &a, &out, &keep,
                  SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
}
