/*
 * test_msg_admin_topics.c - CreateTopics v0-7, DeleteTopics v0-6,
 * CreatePartitions v0-3 and DeleteRecords v0-2 request and response bodies:
 * schema-reference bytes, round trip, defaults of absent fields and every
 * truncation, for each version; nullable names and arrays; hand-checked
 * vectors.
 */
#include "test_msg_common.h"

#include "protocol/msg_admin.h"

CODEC(msg_createtopics_req);
CODEC(msg_createtopics_resp);
CODEC(msg_deletetopics_req);
CODEC(msg_deletetopics_resp);
CODEC(msg_createpartitions_req);
CODEC(msg_createpartitions_resp);
CODEC(msg_deleterecords_req);
CODEC(msg_deleterecords_resp);

static void ref_i32s(bb *b, bool f, const int32_t *p, int32_t n)
{
    bb_arr(b, f, n);
    for (int32_t i = 0; i < n; i++)
        bb_i32(b, p[i]);
}

static void assert_i32s(const int32_t *got, int32_t gn, const int32_t *want, int32_t wn)
{
    cr_assert_eq(gn, wn);
    for (int32_t i = 0; i < wn; i++)
        cr_assert_eq(got[i], want[i]);
}

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

/* --- CreateTopics request ---------------------------------------------- */

static int32_t brokers01[] = { 1, 2 }, brokers10[] = { 2, 1 };
static msg_createtopics_req_assignment ct_assign[2];
static msg_createtopics_req_config ct_cfg[2];
static msg_createtopics_req_topic ct_topics[2];

static msg_createtopics_req ct_req_fill(void)
{
    ct_assign[0] = (msg_createtopics_req_assignment){ 0, brokers01, 2 };
    ct_assign[1] = (msg_createtopics_req_assignment){ 1, brokers10, 2 };
    ct_cfg[0] = (msg_createtopics_req_config){ S("cleanup.policy"), S("compact") };
    ct_cfg[1] = (msg_createtopics_req_config){ S("retention.ms"), SL_BYTES_NULL };
    ct_topics[0] = (msg_createtopics_req_topic){ .name = S("alpha"),
                                                 .num_partitions = 3,
                                                 .replication_factor = 2,
                                                 .assignments = ct_assign,
                                                 .assignments_count = 2,
                                                 .configs = ct_cfg,
                                                 .configs_count = 2 };
    ct_topics[1] = (msg_createtopics_req_topic){ .name = S("beta"),
                                                 .num_partitions = -1,
                                                 .replication_factor = -1 };
    return (msg_createtopics_req){ .topics = ct_topics,
                                   .topics_count = 2,
                                   .timeout_ms = 30000,
                                   .validate_only = true };
}

/* CreateTopicsRequest.json, field by field. */
static void ct_req_ref(bb *b, int16_t v)
{
    bool f = v >= 5;

    bb_arr(b, f, 2);
    bb_str(b, f, "alpha"), bb_i32(b, 3), bb_i16(b, 2);
    bb_arr(b, f, 2);
    bb_i32(b, 0), ref_i32s(b, f, brokers01, 2), bb_tags(b, f);
    bb_i32(b, 1), ref_i32s(b, f, brokers10, 2), bb_tags(b, f);
    bb_arr(b, f, 2);
    bb_str(b, f, "cleanup.policy"), bb_str(b, f, "compact"), bb_tags(b, f);
    bb_str(b, f, "retention.ms"), bb_str(b, f, NULL), bb_tags(b, f);
    bb_tags(b, f);
    bb_str(b, f, "beta"), bb_i32(b, -1), bb_i16(b, -1);
    bb_arr(b, f, 0), bb_arr(b, f, 0);
    bb_tags(b, f);
    bb_i32(b, 30000);
    if (v >= 1)
        bb_u8(b, 1);
    bb_tags(b, f);
}

Test(msg_createtopics, request_every_version)
{
    for (int16_t v = MSG_CREATETOPICS_VMIN; v <= MSG_CREATETOPICS_VMAX; v++) {
        msg_createtopics_req in = ct_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        ct_req_ref(&ref, v);
        rt_check(&t, &msg_createtopics_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, 2);
        const msg_createtopics_req_topic *t0 = &out.topics[0], *t1 = &out.topics[1];
        assert_str(t0->name, "alpha", "name");
        cr_assert_eq(t0->num_partitions, 3);
        cr_assert_eq(t0->replication_factor, 2);
        cr_assert_eq(t0->assignments_count, 2);
        cr_assert_eq(t0->assignments[0].partition_index, 0);
        assert_i32s(t0->assignments[0].broker_ids, t0->assignments[0].broker_ids_count,
                    brokers01, 2);
        cr_assert_eq(t0->assignments[1].partition_index, 1);
        assert_i32s(t0->assignments[1].broker_ids, t0->assignments[1].broker_ids_count,
                    brokers10, 2);
        cr_assert_eq(t0->configs_count, 2);
        assert_str(t0->configs[0].name, "cleanup.policy", "config name");
        assert_str(t0->configs[0].value, "compact", "config value");
        assert_str(t0->configs[1].name, "retention.ms", "config name");
        assert_str(t0->configs[1].value, NULL, "config value");
        assert_str(t1->name, "beta", "name");
        cr_assert_eq(t1->num_partitions, -1);
        cr_assert_eq(t1->replication_factor, -1);
        cr_assert_eq(t1->assignments_count, 0);
        cr_assert_eq(t1->configs_count, 0);
        cr_assert_eq(out.timeout_ms, 30000);
        cr_assert_eq(out.validate_only, v >= 1);
        rt_done(&t);
    }
}

/* --- CreateTopics response --------------------------------------------- */

static msg_createtopics_resp_config ct_rcfg[2];
static msg_createtopics_resp_topic ct_rtopics[2];

static msg_createtopics_resp ct_resp_fill(void)
{
    ct_rcfg[0] = (msg_createtopics_resp_config){ S("cleanup.policy"), S("compact"), false, 1,
                                                 false };
    ct_rcfg[1] = (msg_createtopics_resp_config){ S("ssl.key"), SL_BYTES_NULL, true, 5, true };
    ct_rtopics[0] = (msg_createtopics_resp_topic){ .name = S("alpha"),
                                                   .error_code = 0,
                                                   .error_message = SL_BYTES_NULL,
                                                   .num_partitions = 3,
                                                   .replication_factor = 2,
                                                   .configs = ct_rcfg,
                                                   .configs_count = 2 };
    memcpy(ct_rtopics[0].topic_id, UUID_A, 16);
    ct_rtopics[1] = (msg_createtopics_resp_topic){ .name = S("bad"),
                                                   .error_code = 37,
                                                   .error_message = S("Invalid partitions"),
                                                   .num_partitions = 4,
                                                   .replication_factor = 1,
                                                   .configs_count = -1 };
    memcpy(ct_rtopics[1].topic_id, UUID_B, 16);
    return (msg_createtopics_resp){ .throttle_time_ms = 50,
                                    .topics = ct_rtopics,
                                    .topics_count = 2 };
}

/* CreateTopicsResponse.json, field by field. */
static void ct_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 5;

    if (v >= 2)
        bb_i32(b, 50);
    bb_arr(b, f, 2);
    bb_str(b, f, "alpha");
    if (v >= 7)
        bb_uuid(b, UUID_A);
    bb_i16(b, 0);
    if (v >= 1)
        bb_str(b, f, NULL);
    if (v >= 5) {
        bb_i32(b, 3), bb_i16(b, 2);
        bb_arr(b, f, 2);
        bb_str(b, f, "cleanup.policy"), bb_str(b, f, "compact");
        bb_u8(b, 0), bb_i8(b, 1), bb_u8(b, 0), bb_tags(b, f);
        bb_str(b, f, "ssl.key"), bb_str(b, f, NULL);
        bb_u8(b, 1), bb_i8(b, 5), bb_u8(b, 1), bb_tags(b, f);
    }
    bb_tags(b, f);
    bb_str(b, f, "bad");
    if (v >= 7)
        bb_uuid(b, UUID_B);
    bb_i16(b, 37);
    if (v >= 1)
        bb_str(b, f, "Invalid partitions");
    if (v >= 5)
        bb_i32(b, 4), bb_i16(b, 1), bb_arr(b, f, -1);
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_createtopics, response_every_version)
{
    for (int16_t v = MSG_CREATETOPICS_VMIN; v <= MSG_CREATETOPICS_VMAX; v++) {
        msg_createtopics_resp in = ct_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        ct_resp_ref(&ref, v);
        rt_check(&t, &msg_createtopics_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 2 ? 50 : 0);
        cr_assert_eq(out.topics_count, 2);
        const msg_createtopics_resp_topic *t0 = &out.topics[0], *t1 = &out.topics[1];
        assert_str(t0->name, "alpha", "name");
        assert_uuid(t0->topic_id, v >= 7 ? UUID_A : UUID_ZERO, "topic_id");
        cr_assert_eq(t0->error_code, 0);
        /* Absent in v0: the schema default is "" (no "default": "null"). */
        assert_str(t0->error_message, v >= 1 ? NULL : "", "error_message");
        cr_assert_eq(t0->num_partitions, v >= 5 ? 3 : -1);
        cr_assert_eq(t0->replication_factor, v >= 5 ? 2 : -1);
        if (v >= 5) {
            cr_assert_eq(t0->configs_count, 2);
            assert_str(t0->configs[0].name, "cleanup.policy", "config");
            assert_str(t0->configs[0].value, "compact", "value");
            cr_assert_eq(t0->configs[0].read_only, false);
            cr_assert_eq(t0->configs[0].config_source, 1);
            cr_assert_eq(t0->configs[0].is_sensitive, false);
            assert_str(t0->configs[1].name, "ssl.key", "config");
            assert_str(t0->configs[1].value, NULL, "value");
            cr_assert_eq(t0->configs[1].read_only, true);
            cr_assert_eq(t0->configs[1].config_source, 5);
            cr_assert_eq(t0->configs[1].is_sensitive, true);
            cr_assert_eq(t1->configs_count, -1);
            cr_assert_null(t1->configs);
        } else {
            cr_assert_eq(t0->configs_count, 0);
            cr_assert_eq(t1->configs_count, 0);
        }
        assert_str(t1->name, "bad", "name");
        assert_uuid(t1->topic_id, v >= 7 ? UUID_B : UUID_ZERO, "topic_id");
        cr_assert_eq(t1->error_code, 37);
        assert_str(t1->error_message, v >= 1 ? "Invalid partitions" : "", "error_message");
        cr_assert_eq(t1->num_partitions, v >= 5 ? 4 : -1);
        cr_assert_eq(t1->replication_factor, v >= 5 ? 1 : -1);
        rt_done(&t);
    }
}

/* kafkajs 2.2.4 CreateTopics v3: -1/-1 even before v4 made that legal
 * (broker default); decoded as is. */
Test(msg_createtopics, request_v3_kafkajs_defaults)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x01,                         /* [ */
        0x00, 0x01, 't',                                /*   "t" */
        0xff, 0xff, 0xff, 0xff,                         /*   num_partitions -1 */
        0xff, 0xff,                                     /*   replication_factor -1 */
        0x00, 0x00, 0x00, 0x00,                         /*   assignments [] */
        0x00, 0x00, 0x00, 0x00,                         /*   configs [] ] */
        0x00, 0x00, 0x13, 0x88,                         /* timeout 5000 */
        0x00,                                           /* validate_only false */
    };
    msg_createtopics_req_topic tp = { .name = S("t"), .num_partitions = -1,
                                      .replication_factor = -1 };
    msg_createtopics_req in = { .topics = &tp, .topics_count = 1, .timeout_ms = 5000 }, out;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_createtopics_req_codec, 3, &in, want, sizeof want);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_createtopics_req_codec, 3, want, sizeof want, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, 1);
    assert_str(out.topics[0].name, "t", "name");
    cr_assert_eq(out.topics[0].num_partitions, -1);
    cr_assert_eq(out.topics[0].replication_factor, -1);
    cr_assert_eq(out.timeout_ms, 5000);
    cr_assert_eq(out.validate_only, false);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_createtopics, response_v7_bytes)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x02,                                           /* [ */
        0x02, 't',                                      /*   "t" */
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /*   topic_id */
        0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
        0x00, 0x00,                                     /*   error_code */
        0x00,                                           /*   error_message null */
        0x00, 0x00, 0x00, 0x01,                         /*   num_partitions 1 */
        0x00, 0x01,                                     /*   replication_factor 1 */
        0x02,                                           /*   configs [ */
        0x0f, 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.',   /*     "cleanup.policy" */
        'p', 'o', 'l', 'i', 'c', 'y',
        0x07, 'd', 'e', 'l', 'e', 't', 'e',             /*     "delete" */
        0x00, 0x05, 0x00,                               /*     rw, default, not sensitive */
        0x00,                                           /*     tags ] */
        0x00,                                           /*   tags ] */
        0x00,                                           /* tags */
    };
    msg_createtopics_resp_config c = { S("cleanup.policy"), S("delete"), false, 5, false };
    msg_createtopics_resp_topic tp = { .name = S("t"), .error_message = SL_BYTES_NULL,
                                       .num_partitions = 1, .replication_factor = 1,
                                       .configs = &c, .configs_count = 1 };
    msg_createtopics_resp in = { .topics = &tp, .topics_count = 1 };

    memcpy(tp.topic_id, UUID_A, 16);
    encode_expect(&msg_createtopics_resp_codec, 7, &in, want, sizeof want);
}

/* Kafka sends topic_config_error_code (tag 0) when it leaves configs
 * out: skipped. */
Test(msg_createtopics, response_v5_skips_topic_config_error_code)
{
    static const uint8_t body[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x02, 0x02, 't',                                /* [ "t" */
        0x00, 0x00, 0x00,                               /*   0, error_message null */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,             /*   -1, -1 */
        0x00,                                           /*   configs null */
        0x01, 0x00, 0x02, 0x00, 0x1d,                   /*   tag 0: 29 ] */
        0x00,
    };
    msg_createtopics_resp out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_createtopics_resp_codec, 5, body, sizeof body, &a, &out,
                              &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, 1);
    assert_str(out.topics[0].name, "t", "name");
    assert_str(out.topics[0].error_message, NULL, "error_message");
    cr_assert_eq(out.topics[0].num_partitions, -1);
    cr_assert_eq(out.topics[0].configs_count, -1);
    free(keep);
    sl_arena_free(&a);
    check_truncations(&msg_createtopics_resp_codec, 5, body, sizeof body);
}

/* --- DeleteTopics ------------------------------------------------------ */

static msg_deletetopics_req_topic dt_topics[2];

static msg_deletetopics_req dt_req_fill(int16_t v)
{
    dt_topics[0].name = S("alpha");
    memcpy(dt_topics[0].topic_id, UUID_A, 16);
    /* Names are nullable from v6 (delete by id). */
    dt_topics[1].name = v >= 6 ? SL_BYTES_NULL : S("beta");
    memcpy(dt_topics[1].topic_id, UUID_B, 16);
    return (msg_deletetopics_req){ .topics = dt_topics, .topics_count = 2, .timeout_ms = 15000 };
}

/* DeleteTopicsRequest.json: topic_names []string v0-5, topics v6+. */
static void dt_req_ref(bb *b, int16_t v)
{
    bool f = v >= 4;

    bb_arr(b, f, 2);
    if (v >= 6) {
        bb_str(b, f, "alpha"), bb_uuid(b, UUID_A), bb_tags(b, f);
        bb_str(b, f, NULL), bb_uuid(b, UUID_B), bb_tags(b, f);
    } else {
        bb_str(b, f, "alpha"), bb_str(b, f, "beta");
    }
    bb_i32(b, 15000);
    bb_tags(b, f);
}

Test(msg_deletetopics, request_every_version)
{
    for (int16_t v = MSG_DELETETOPICS_VMIN; v <= MSG_DELETETOPICS_VMAX; v++) {
        msg_deletetopics_req in = dt_req_fill(v), out;
        bb ref = { .n = 0 };
        rt t;

        dt_req_ref(&ref, v);
        rt_check(&t, &msg_deletetopics_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, 2);
        assert_str(out.topics[0].name, "alpha", "name");
        assert_uuid(out.topics[0].topic_id, v >= 6 ? UUID_A : UUID_ZERO, "id");
        assert_str(out.topics[1].name, v >= 6 ? NULL : "beta", "name");
        assert_uuid(out.topics[1].topic_id, v >= 6 ? UUID_B : UUID_ZERO, "id");
        cr_assert_eq(out.timeout_ms, 15000);
        rt_done(&t);
    }
}

static msg_deletetopics_resp_response dt_resps[2];

static msg_deletetopics_resp dt_resp_fill(int16_t v)
{
    dt_resps[0] = (msg_deletetopics_resp_response){ .name = S("alpha"),
                                                    .error_code = 0,
                                                    .error_message = SL_BYTES_NULL };
    memcpy(dt_resps[0].topic_id, UUID_A, 16);
    dt_resps[1] = (msg_deletetopics_resp_response){ .name = v >= 6 ? SL_BYTES_NULL : S("gone"),
                                                    .error_code = 3,
                                                    .error_message = S("Unknown topic") };
    memcpy(dt_resps[1].topic_id, UUID_B, 16);
    return (msg_deletetopics_resp){ .throttle_time_ms = 20,
                                    .responses = dt_resps,
                                    .responses_count = 2 };
}

static void dt_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 4;

    if (v >= 1)
        bb_i32(b, 20);
    bb_arr(b, f, 2);
    bb_str(b, f, "alpha");
    if (v >= 6)
        bb_uuid(b, UUID_A);
    bb_i16(b, 0);
    if (v >= 5)
        bb_str(b, f, NULL);
    bb_tags(b, f);
    bb_str(b, f, v >= 6 ? NULL : "gone");
    if (v >= 6)
        bb_uuid(b, UUID_B);
    bb_i16(b, 3);
    if (v >= 5)
        bb_str(b, f, "Unknown topic");
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_deletetopics, response_every_version)
{
    for (int16_t v = MSG_DELETETOPICS_VMIN; v <= MSG_DELETETOPICS_VMAX; v++) {
        msg_deletetopics_resp in = dt_resp_fill(v), out;
        bb ref = { .n = 0 };
        rt t;

        dt_resp_ref(&ref, v);
        rt_check(&t, &msg_deletetopics_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 20 : 0);
        cr_assert_eq(out.responses_count, 2);
        assert_str(out.responses[0].name, "alpha", "name");
        assert_uuid(out.responses[0].topic_id, v >= 6 ? UUID_A : UUID_ZERO, "id");
        cr_assert_eq(out.responses[0].error_code, 0);
        assert_str(out.responses[0].error_message, NULL, "error_message");
        assert_str(out.responses[1].name, v >= 6 ? NULL : "gone", "name");
        assert_uuid(out.responses[1].topic_id, v >= 6 ? UUID_B : UUID_ZERO, "id");
        cr_assert_eq(out.responses[1].error_code, 3);
        /* Absent before v5: default null. */
        assert_str(out.responses[1].error_message, v >= 5 ? "Unknown topic" : NULL, "message");
        rt_done(&t);
    }
}

/* librdkafka/kafkajs DeleteTopics v1: names, timeout. */
Test(msg_deletetopics, request_v1_bytes)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x02,                         /* [ */
        0x00, 0x01, 'a', 0x00, 0x02, 'b', 'c',          /*   "a", "bc" ] */
        0x00, 0x00, 0x75, 0x30,                         /* timeout 30000 */
    };
    msg_deletetopics_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_deletetopics_req_codec, 1, want, sizeof want, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, 2);
    assert_str(out.topics[0].name, "a", "name");
    assert_str(out.topics[1].name, "bc", "name");
    cr_assert_eq(out.timeout_ms, 30000);
    encode_expect(&msg_deletetopics_req_codec, 1, &out, want, sizeof want);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_deletetopics, request_v6_by_id_bytes)
{
    static const uint8_t want[] = {
        0x02,                                           /* [ */
        0x00,                                           /*   name null */
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, /*   topic_id */
        0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
        0x00,                                           /*   tags ] */
        0x00, 0x00, 0xea, 0x60,                         /* timeout 60000 */
        0x00,                                           /* tags */
    };
    msg_deletetopics_req_topic tp = { .name = SL_BYTES_NULL };
    msg_deletetopics_req in = { .topics = &tp, .topics_count = 1, .timeout_ms = 60000 };

    memcpy(tp.topic_id, UUID_B, 16);
    encode_expect(&msg_deletetopics_req_codec, 6, &in, want, sizeof want);
}

/* A null in topic_names (v0-5) is malformed; an encoder writes "". */
Test(msg_deletetopics, request_null_name_before_v6)
{
    static const uint8_t v5[] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    static const uint8_t v3[] = { 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0, 0, 0, 0 };
    msg_deletetopics_req_topic tp = { .name = SL_BYTES_NULL };
    msg_deletetopics_req in = { .topics = &tp, .topics_count = 1 }, out;
    uint8_t *keep;
    sl_arena a;
    rt t;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_deletetopics_req_codec, 5, v5, sizeof v5, &a, &out, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_deletetopics_req_codec, 3, v3, sizeof v3, &a, &out, &keep),
                 SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
    rt_check(&t, &msg_deletetopics_req_codec, 5, &in, &out, NULL);
    assert_str(out.topics[0].name, "", "name");
    rt_done(&t);
}

/* --- CreatePartitions -------------------------------------------------- */

static int32_t cp_b0[] = { 1, 2 }, cp_b1[] = { 2, 3 };
static msg_createpartitions_req_assignment cp_assign[2];
static msg_createpartitions_req_topic cp_topics[2];

static msg_createpartitions_req cp_req_fill(void)
{
    cp_assign[0] = (msg_createpartitions_req_assignment){ cp_b0, 2 };
    cp_assign[1] = (msg_createpartitions_req_assignment){ cp_b1, 2 };
    cp_topics[0] = (msg_createpartitions_req_topic){ S("alpha"), 6, cp_assign, 2 };
    cp_topics[1] = (msg_createpartitions_req_topic){ S("beta"), 3, NULL, -1 };
    return (msg_createpartitions_req){ .topics = cp_topics,
                                       .topics_count = 2,
                                       .timeout_ms = 10000,
                                       .validate_only = true };
}

static void cp_req_ref(bb *b, int16_t v)
{
    bool f = v >= 2;

    bb_arr(b, f, 2);
    bb_str(b, f, "alpha"), bb_i32(b, 6);
    bb_arr(b, f, 2);
    ref_i32s(b, f, cp_b0, 2), bb_tags(b, f);
    ref_i32s(b, f, cp_b1, 2), bb_tags(b, f);
    bb_tags(b, f);
    bb_str(b, f, "beta"), bb_i32(b, 3), bb_arr(b, f, -1), bb_tags(b, f);
    bb_i32(b, 10000);
    bb_u8(b, 1);
    bb_tags(b, f);
}

Test(msg_createpartitions, request_every_version)
{
    for (int16_t v = MSG_CREATEPARTITIONS_VMIN; v <= MSG_CREATEPARTITIONS_VMAX; v++) {
        msg_createpartitions_req in = cp_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        cp_req_ref(&ref, v);
        rt_check(&t, &msg_createpartitions_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, 2);
        assert_str(out.topics[0].name, "alpha", "name");
        cr_assert_eq(out.topics[0].count, 6);
        cr_assert_eq(out.topics[0].assignments_count, 2);
        assert_i32s(out.topics[0].assignments[0].broker_ids,
                    out.topics[0].assignments[0].broker_ids_count, cp_b0, 2);
        assert_i32s(out.topics[0].assignments[1].broker_ids,
                    out.topics[0].assignments[1].broker_ids_count, cp_b1, 2);
        assert_str(out.topics[1].name, "beta", "name");
        cr_assert_eq(out.topics[1].count, 3);
        cr_assert_eq(out.topics[1].assignments_count, -1);
        cr_assert_null(out.topics[1].assignments);
        cr_assert_eq(out.timeout_ms, 10000);
        cr_assert_eq(out.validate_only, true);
        rt_done(&t);
    }
}

static msg_createpartitions_resp_result cp_results[2];

static msg_createpartitions_resp cp_resp_fill(void)
{
    cp_results[0] = (msg_createpartitions_resp_result){ S("alpha"), 0, SL_BYTES_NULL };
    cp_results[1] = (msg_createpartitions_resp_result){ S("beta"), 37, S("too few") };
    return (msg_createpartitions_resp){ .throttle_time_ms = 5,
                                        .results = cp_results,
                                        .results_count = 2 };
}

static void cp_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 2;

    bb_i32(b, 5);
    bb_arr(b, f, 2);
    bb_str(b, f, "alpha"), bb_i16(b, 0), bb_str(b, f, NULL), bb_tags(b, f);
    bb_str(b, f, "beta"), bb_i16(b, 37), bb_str(b, f, "too few"), bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_createpartitions, response_every_version)
{
    for (int16_t v = MSG_CREATEPARTITIONS_VMIN; v <= MSG_CREATEPARTITIONS_VMAX; v++) {
        msg_createpartitions_resp in = cp_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        cp_resp_ref(&ref, v);
        rt_check(&t, &msg_createpartitions_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 5);
        cr_assert_eq(out.results_count, 2);
        assert_str(out.results[0].name, "alpha", "name");
        cr_assert_eq(out.results[0].error_code, 0);
        assert_str(out.results[0].error_message, NULL, "message");
        assert_str(out.results[1].name, "beta", "name");
        cr_assert_eq(out.results[1].error_code, 37);
        assert_str(out.results[1].error_message, "too few", "message");
        rt_done(&t);
    }
}

/* --- DeleteRecords ----------------------------------------------------- */

static msg_deleterecords_req_partition dr_parts[2];
static msg_deleterecords_req_topic dr_topics[2];

static msg_deleterecords_req dr_req_fill(void)
{
    dr_parts[0] = (msg_deleterecords_req_partition){ 0, 100 };
    dr_parts[1] = (msg_deleterecords_req_partition){ 7, -1 };
    dr_topics[0] = (msg_deleterecords_req_topic){ S("alpha"), dr_parts, 2 };
    dr_topics[1] = (msg_deleterecords_req_topic){ S("beta"), NULL, 0 };
    return (msg_deleterecords_req){ .topics = dr_topics, .topics_count = 2, .timeout_ms = 5000 };
}

static void dr_req_ref(bb *b, int16_t v)
{
    bool f = v >= 2;

    bb_arr(b, f, 2);
    bb_str(b, f, "alpha"), bb_arr(b, f, 2);
    bb_i32(b, 0), bb_i64(b, 100), bb_tags(b, f);
    bb_i32(b, 7), bb_i64(b, -1), bb_tags(b, f);
    bb_tags(b, f);
    bb_str(b, f, "beta"), bb_arr(b, f, 0), bb_tags(b, f);
    bb_i32(b, 5000);
    bb_tags(b, f);
}

Test(msg_deleterecords, request_every_version)
{
    for (int16_t v = MSG_DELETERECORDS_VMIN; v <= MSG_DELETERECORDS_VMAX; v++) {
        msg_deleterecords_req in = dr_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        dr_req_ref(&ref, v);
        rt_check(&t, &msg_deleterecords_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, 2);
        assert_str(out.topics[0].name, "alpha", "name");
        cr_assert_eq(out.topics[0].partitions_count, 2);
        cr_assert_eq(out.topics[0].partitions[0].partition_index, 0);
        cr_assert_eq(out.topics[0].partitions[0].offset, 100);
        cr_assert_eq(out.topics[0].partitions[1].partition_index, 7);
        cr_assert_eq(out.topics[0].partitions[1].offset, -1);
        assert_str(out.topics[1].name, "beta", "name");
        cr_assert_eq(out.topics[1].partitions_count, 0);
        cr_assert_eq(out.timeout_ms, 5000);
        rt_done(&t);
    }
}

static msg_deleterecords_resp_partition drs_parts[2];
static msg_deleterecords_resp_topic drs_topics[1];

static msg_deleterecords_resp dr_resp_fill(void)
{
    drs_parts[0] = (msg_deleterecords_resp_partition){ 0, 100, 0 };
    drs_parts[1] = (msg_deleterecords_resp_partition){ 7, -1, 1 };
    drs_topics[0] = (msg_deleterecords_resp_topic){ S("alpha"), drs_parts, 2 };
    return (msg_deleterecords_resp){ .throttle_time_ms = 7, .topics = drs_topics,
                                     .topics_count = 1 };
}

static void dr_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 2;

    bb_i32(b, 7);
    bb_arr(b, f, 1);
    bb_str(b, f, "alpha"), bb_arr(b, f, 2);
    bb_i32(b, 0), bb_i64(b, 100), bb_i16(b, 0), bb_tags(b, f);
    bb_i32(b, 7), bb_i64(b, -1), bb_i16(b, 1), bb_tags(b, f);
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_deleterecords, response_every_version)
{
    for (int16_t v = MSG_DELETERECORDS_VMIN; v <= MSG_DELETERECORDS_VMAX; v++) {
        msg_deleterecords_resp in = dr_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        dr_resp_ref(&ref, v);
        rt_check(&t, &msg_deleterecords_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 7);
        cr_assert_eq(out.topics_count, 1);
        assert_str(out.topics[0].name, "alpha", "name");
        cr_assert_eq(out.topics[0].partitions_count, 2);
        cr_assert_eq(out.topics[0].partitions[0].partition_index, 0);
        cr_assert_eq(out.topics[0].partitions[0].low_watermark, 100);
        cr_assert_eq(out.topics[0].partitions[0].error_code, 0);
        cr_assert_eq(out.topics[0].partitions[1].partition_index, 7);
        cr_assert_eq(out.topics[0].partitions[1].low_watermark, -1);
        cr_assert_eq(out.topics[0].partitions[1].error_code, 1);
        rt_done(&t);
    }
}
