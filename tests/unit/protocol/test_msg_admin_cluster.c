/*
 * test_msg_admin_cluster.c - DescribeCluster v0-1 and InitProducerId v0-4
 * request and response bodies: schema-reference bytes, round trip,
 * defaults of absent fields and every truncation, for each version;
 * hand-checked vectors (librdkafka's and kafkajs' InitProducerId).
 */
#include "test_msg_common.h"

#include "protocol/msg_admin.h"

CODEC(msg_describecluster_req);
CODEC(msg_describecluster_resp);
CODEC(msg_initproducerid_req);
CODEC(msg_initproducerid_resp);

static void encode_expect(const codec *c, int16_t v, const void *in, const uint8_t *want,
                          size_t n)
{
    kbuf_wr w;

    kbuf_wr_init(&w, 0);
    c->enc(&w, v, in);
    cr_assert_eq(w.err, SL_OK);
    cr_assert(bytes_same(w.p, w.len, want, n), "%s v%d: bytes differ", c->name, v);
    kbuf_wr_free(&w);
}

/* --- DescribeCluster --------------------------------------------------- */

Test(msg_describecluster, request_every_version)
{
    for (int16_t v = MSG_DESCRIBECLUSTER_VMIN; v <= MSG_DESCRIBECLUSTER_VMAX; v++) {
        msg_describecluster_req in = { .include_cluster_authorized_operations = true,
                                       .endpoint_type = 2 },
                                out;
        bb ref = { .n = 0 };
        rt t;

        /* DescribeClusterRequest.json: flexible in every version. */
        bb_u8(&ref, 1);
        if (v >= 1)
            bb_i8(&ref, 2);
        bb_tags(&ref, true);
        rt_check(&t, &msg_describecluster_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.include_cluster_authorized_operations, true);
        /* Absent in v0: default 1 (brokers). */
        cr_assert_eq(out.endpoint_type, v >= 1 ? 2 : 1);
        rt_done(&t);
    }
}

static msg_describecluster_resp_broker dcl_brokers[2];

static msg_describecluster_resp dcl_resp_fill(void)
{
    dcl_brokers[0] = (msg_describecluster_resp_broker){ 1, S("host-a"), 9092, S("rack-1") };
    dcl_brokers[1] = (msg_describecluster_resp_broker){ 2, S("host-b"), 9093, SL_BYTES_NULL };
    return (msg_describecluster_resp){ .throttle_time_ms = 4,
                                       .error_code = 0,
                                       .error_message = SL_BYTES_NULL,
                                       .endpoint_type = 2,
                                       .cluster_id = S("cluster-x"),
                                       .controller_id = 1,
                                       .brokers = dcl_brokers,
                                       .brokers_count = 2,
                                       .cluster_authorized_operations = 0x0ff8 };
}

/* DescribeClusterResponse.json, field by field. */
static void dcl_resp_ref(bb *b, int16_t v)
{
    const bool f = true;

    bb_i32(b, 4), bb_i16(b, 0), bb_str(b, f, NULL);
    if (v >= 1)
        bb_i8(b, 2);
    bb_str(b, f, "cluster-x"), bb_i32(b, 1);
    bb_arr(b, f, 2);
    bb_i32(b, 1), bb_str(b, f, "host-a"), bb_i32(b, 9092), bb_str(b, f, "rack-1");
    bb_tags(b, f);
    bb_i32(b, 2), bb_str(b, f, "host-b"), bb_i32(b, 9093), bb_str(b, f, NULL);
    bb_tags(b, f);
    bb_i32(b, 0x0ff8);
    bb_tags(b, f);
}

Test(msg_describecluster, response_every_version)
{
    for (int16_t v = MSG_DESCRIBECLUSTER_VMIN; v <= MSG_DESCRIBECLUSTER_VMAX; v++) {
        msg_describecluster_resp in = dcl_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        dcl_resp_ref(&ref, v);
        rt_check(&t, &msg_describecluster_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 4);
        cr_assert_eq(out.error_code, 0);
        assert_str(out.error_message, NULL, "error_message");
        cr_assert_eq(out.endpoint_type, v >= 1 ? 2 : 1);
        assert_str(out.cluster_id, "cluster-x", "cluster_id");
        cr_assert_eq(out.controller_id, 1);
        cr_assert_eq(out.brokers_count, 2);
        cr_assert_eq(out.brokers[0].broker_id, 1);
        assert_str(out.brokers[0].host, "host-a", "host");
        cr_assert_eq(out.brokers[0].port, 9092);
        assert_str(out.brokers[0].rack, "rack-1", "rack");
        cr_assert_eq(out.brokers[1].broker_id, 2);
        assert_str(out.brokers[1].host, "host-b", "host");
        cr_assert_eq(out.brokers[1].port, 9093);
        assert_str(out.brokers[1].rack, NULL, "rack");
        cr_assert_eq(out.cluster_authorized_operations, 0x0ff8);
        rt_done(&t);
    }
}

Test(msg_describecluster, response_v0_bytes)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x00, 0x00,                                     /* error_code */
        0x00,                                           /* error_message null */
        0x02, 'c',                                      /* cluster_id "c" */
        0x00, 0x00, 0x00, 0x01,                         /* controller_id 1 */
        0x02,                                           /* [ */
        0x00, 0x00, 0x00, 0x01,                         /*   broker 1 */
        0x02, 'h',                                      /*   "h" */
        0x00, 0x00, 0x23, 0x84,                         /*   9092 */
        0x00,                                           /*   rack null */
        0x00,                                           /*   tags ] */
        0x80, 0x00, 0x00, 0x00,                         /* no authorized ops */
        0x00,                                           /* tags */
    };
    msg_describecluster_resp_broker b = { 1, S("h"), 9092, SL_BYTES_NULL };
    msg_describecluster_resp in = { .error_message = SL_BYTES_NULL, .cluster_id = S("c"),
                                    .controller_id = 1, .brokers = &b, .brokers_count = 1,
                                    .cluster_authorized_operations =
                                        MSG_AUTHORIZED_OPERATIONS_NONE },
                             out;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_describecluster_resp_codec, 0, &in, want, sizeof want);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_describecluster_resp_codec, 0, want, sizeof want, &a, &out,
                              &keep),
                 SL_OK);
    cr_assert_eq(out.cluster_authorized_operations, INT32_MIN);
    cr_assert_eq(out.endpoint_type, MSG_DESCRIBECLUSTER_ENDPOINT_BROKERS);
    free(keep);
    sl_arena_free(&a);
}

/* cluster_id and host are not nullable: written "" (and refused on the
 * wire). */
Test(msg_describecluster, response_non_nullable_strings)
{
    msg_describecluster_resp_broker b = { 1, SL_BYTES_NULL, 9092, SL_BYTES_NULL };
    msg_describecluster_resp in = { .error_message = SL_BYTES_NULL, .cluster_id = SL_BYTES_NULL,
                                    .brokers = &b, .brokers_count = 1 },
                             out;
    /* throttle, error, null message, cluster_id null */
    static const uint8_t bad[] = { 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0, 0, 0, 0, 0x01, 0, 0, 0, 0,
                                   0x00 };
    uint8_t *keep;
    sl_arena a;
    rt t;

    rt_check(&t, &msg_describecluster_resp_codec, 1, &in, &out, NULL);
    assert_str(out.cluster_id, "", "cluster_id");
    assert_str(out.brokers[0].host, "", "host");
    rt_done(&t);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_describecluster_resp_codec, 0, bad, sizeof bad, &a, &out,
                              &keep),
                 SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
}

/* --- InitProducerId ---------------------------------------------------- */

Test(msg_initproducerid, request_every_version)
{
    for (int16_t v = MSG_INITPRODUCERID_VMIN; v <= MSG_INITPRODUCERID_VMAX; v++) {
        msg_initproducerid_req in = { S("txn-1"), 60000, 4242, 7 }, out;
        bb ref = { .n = 0 };
        bool f = v >= 2;
        rt t;

        /* InitProducerIdRequest.json, field by field. */
        bb_str(&ref, f, "txn-1"), bb_i32(&ref, 60000);
        if (v >= 3)
            bb_i64(&ref, 4242), bb_i16(&ref, 7);
        bb_tags(&ref, f);
        rt_check(&t, &msg_initproducerid_req_codec, v, &in, &out, &ref);
        assert_str(out.transactional_id, "txn-1", "transactional_id");
        cr_assert_eq(out.transaction_timeout_ms, 60000);
        cr_assert_eq(out.producer_id, v >= 3 ? 4242 : -1);
        cr_assert_eq(out.producer_epoch, v >= 3 ? 7 : -1);
        rt_done(&t);

        /* Idempotent producers send a null transactional id. */
        in.transactional_id = SL_BYTES_NULL;
        rt_check(&t, &msg_initproducerid_req_codec, v, &in, &out, NULL);
        assert_str(out.transactional_id, NULL, "transactional_id");
        rt_done(&t);
    }
}

Test(msg_initproducerid, response_every_version)
{
    for (int16_t v = MSG_INITPRODUCERID_VMIN; v <= MSG_INITPRODUCERID_VMAX; v++) {
        msg_initproducerid_resp in = { 12, 47, 0x0102030405060708LL, 3 }, out;
        bb ref = { .n = 0 };
        bool f = v >= 2;
        rt t;

        bb_i32(&ref, 12), bb_i16(&ref, 47), bb_i64(&ref, 0x0102030405060708LL);
        bb_i16(&ref, 3), bb_tags(&ref, f);
        rt_check(&t, &msg_initproducerid_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 12);
        cr_assert_eq(out.error_code, 47);
        cr_assert_eq(out.producer_id, 0x0102030405060708LL);
        cr_assert_eq(out.producer_epoch, 3);
        rt_done(&t);
    }
}

/* librdkafka 2.0.2 idempotent producer, InitProducerId v4: null compact
 * transactional id, its transaction.timeout.ms, no current pid/epoch. */
Test(msg_initproducerid, request_v4_librdkafka_bytes)
{
    static const uint8_t want[] = {
        0x00,                                           /* transactional_id null */
        0x00, 0x00, 0xea, 0x60,                         /* 60000 ms */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* producer_id -1 */
        0xff, 0xff,                                     /* producer_epoch -1 */
        0x00,                                           /* tags */
    };
    msg_initproducerid_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_initproducerid_req_codec, 4, want, sizeof want, &a, &out,
                              &keep),
                 SL_OK);
    assert_str(out.transactional_id, NULL, "transactional_id");
    cr_assert_eq(out.transaction_timeout_ms, 60000);
    cr_assert_eq(out.producer_id, -1);
    cr_assert_eq(out.producer_epoch, -1);
    encode_expect(&msg_initproducerid_req_codec, 4, &out, want, sizeof want);
    free(keep);
    sl_arena_free(&a);
}

/* kafkajs 2.2.4 idempotent producer, InitProducerId v1, and our answer. */
Test(msg_initproducerid, v1_kafkajs_bytes)
{
    static const uint8_t req[] = {
        0xff, 0xff,                                     /* transactional_id null */
        0x00, 0x00, 0x75, 0x30,                         /* 30000 ms */
    };
    static const uint8_t resp[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x00, 0x00,                                     /* error_code */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, /* producer_id 1000 */
        0x00, 0x00,                                     /* epoch 0 */
    };
    msg_initproducerid_req out;
    msg_initproducerid_resp answer = { 0, 0, 1000, 0 };
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_initproducerid_req_codec, 1, req, sizeof req, &a, &out, &keep),
                 SL_OK);
    assert_str(out.transactional_id, NULL, "transactional_id");
    cr_assert_eq(out.transaction_timeout_ms, 30000);
    cr_assert_eq(out.producer_id, -1);
    cr_assert_eq(out.producer_epoch, -1);
    free(keep);
    sl_arena_free(&a);
    encode_expect(&msg_initproducerid_resp_codec, 1, &answer, resp, sizeof resp);
}
