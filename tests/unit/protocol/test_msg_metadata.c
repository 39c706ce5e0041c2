/*
 * test_msg_metadata.c - Metadata v0-12 request and response bodies:
 * schema-reference bytes, round trip, defaults of absent fields and every
 * truncation, for each version; null/empty topic lists.
 */
#include "test_msg_common.h"

CODEC(msg_metadata_req);
CODEC(msg_metadata_resp);

/* --- request ----------------------------------------------------------- */

static msg_metadata_req_topic req_topics[2];

static msg_metadata_req req_fill(int16_t v)
{
    memcpy(req_topics[0].topic_id, UUID_A, 16);
    req_topics[0].name = S("alpha");
    memcpy(req_topics[1].topic_id, UUID_B, 16);
    /* Names are nullable from v10 (lookup by id). */
    req_topics[1].name = v >= 10 ? SL_BYTES_NULL : S("beta");
    return (msg_metadata_req){ .topics = req_topics,
                               .topics_count = 2,
                               .allow_auto_topic_creation = false,
                               .include_cluster_authorized_operations = true,
                               .include_topic_authorized_operations = true };
}

/* MetadataRequest.json, field by field. */
static void req_ref(bb *b, int16_t v)
{
    bool f = v >= 9;

    bb_arr(b, f, 2);
    if (v >= 10)
        bb_uuid(b, UUID_A);
    bb_str(b, f, "alpha");
    bb_tags(b, f);
    if (v >= 10)
        bb_uuid(b, UUID_B);
    bb_str(b, f, v >= 10 ? NULL : "beta");
    bb_tags(b, f);
    if (v >= 4)
        bb_u8(b, 0); /* allow_auto_topic_creation */
    if (v >= 8 && v <= 10)
        bb_u8(b, 1); /* include_cluster_authorized_operations */
    if (v >= 8)
        bb_u8(b, 1); /* include_topic_authorized_operations */
    bb_tags(b, f);
}

Test(msg_metadata, request_every_version)
{
    for (int16_t v = MSG_METADATA_VMIN; v <= MSG_METADATA_VMAX; v++) {
        msg_metadata_req in = req_fill(v), out;
        bb ref = { .n = 0 };
        rt t;

        req_ref(&ref, v);
        rt_check(&t, &msg_metadata_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, 2);
        assert_str(out.topics[0].name, "alpha", "topic 0");
        assert_str(out.topics[1].name, v >= 10 ? NULL : "beta", "topic 1");
        assert_uuid(out.topics[0].topic_id, v >= 10 ? UUID_A : UUID_ZERO, "topic 0 id");
        assert_uuid(out.topics[1].topic_id, v >= 10 ? UUID_B : UUID_ZERO, "topic 1 id");
        /* Absent before v4: Kafka's default is true. */
        cr_assert_eq(out.allow_auto_topic_creation, v < 4);
        cr_assert_eq(out.include_cluster_authorized_operations, v >= 8 && v <= 10);
        cr_assert_eq(out.include_topic_authorized_operations, v >= 8);
        rt_done(&t);
    }
}

Test(msg_metadata, request_null_and_empty_topics)
{
    for (int16_t v = MSG_METADATA_VMIN; v <= MSG_METADATA_VMAX; v++) {
        msg_metadata_req in = req_fill(v), out;
        rt t;

        /* null = all topics (v1+); v0 says "all" with an empty array. */
        in.topics_count = -1;
        rt_check(&t, &msg_metadata_req_codec, v, &in, &out, NULL);
        cr_assert_eq(out.topics_count, v >= 1 ? -1 : 0, "v%d", v);
        cr_assert_null(out.topics);
        rt_done(&t);

        in.topics_count = 0;
        rt_check(&t, &msg_metadata_req_codec, v, &in, &out, NULL);
        cr_assert_eq(out.topics_count, 0);
        rt_done(&t);
    }
}

Test(msg_metadata, request_v0_null_topics_is_malformed)
{
    static const uint8_t body[] = { 0xff, 0xff, 0xff, 0xff };
    msg_metadata_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_metadata_req_codec, 0, body, 4, &a, &out, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_metadata_req_codec, 1, body, 4, &a, &out, &keep), SL_OK);
    cr_assert_eq(out.topics_count, -1);
    free(keep);
    sl_arena_free(&a);
}

/* A null name before v10 is malformed (Kafka: non-nullable field). */
Test(msg_metadata, request_null_name_before_v10_is_malformed)
{
    static const uint8_t v9[] = { 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };
    static const uint8_t v1[] = { 0x00, 0x00, 0x00, 0x01, 0xff, 0xff };
    msg_metadata_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_metadata_req_codec, 9, v9, sizeof v9, &a, &out, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_metadata_req_codec, 1, v1, sizeof v1, &a, &out, &keep),
                 SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
}

/* --- response ---------------------------------------------------------- */

static int32_t rep0[] = { 1, 2 }, isr0[] = { 1 }, off0[] = { 2 };
static int32_t rep1[] = { 2, 1 }, isr1[] = { 2, 1 };
static msg_metadata_resp_partition parts[2];
static msg_metadata_resp_topic topics[2];
static msg_metadata_resp_broker brokers[2];

static msg_metadata_resp resp_fill(int16_t v)
{
    brokers[0] = (msg_metadata_resp_broker){ 1, S("host-a"), 9092, S("rack-1") };
    brokers[1] = (msg_metadata_resp_broker){ 2, S("host-b"), 9093, SL_BYTES_NULL };
    parts[0] = (msg_metadata_resp_partition){ 0, 0, 1, 5, rep0, 2, isr0, 1, off0, 1 };
    parts[1] = (msg_metadata_resp_partition){ 9, 1, 2, 6, rep1, 2, isr1, 2, NULL, 0 };
    topics[0] = (msg_metadata_resp_topic){ .error_code = 0,
                                           .name = S("alpha"),
                                           .is_internal = true,
                                           .partitions = parts,
                                           .partitions_count = 2,
                                           .topic_authorized_operations = 0x0ff8 };
    memcpy(topics[0].topic_id, UUID_A, 16);
    topics[1] = (msg_metadata_resp_topic){ .error_code = 3,
                                           /* nullable from v12 only */
                                           .name = v >= 12 ? SL_BYTES_NULL : S("gone"),
                                           .is_internal = false,
                                           .partitions_count = 0,
                                           .topic_authorized_operations = 17 };
    memcpy(topics[1].topic_id, UUID_B, 16);
    return (msg_metadata_resp){ .throttle_time_ms = 100,
                                .brokers = brokers,
                                .brokers_count = 2,
                                .cluster_id = S("cluster-x"),
                                .controller_id = 1,
                                .topics = topics,
                                .topics_count = 2,
                                .cluster_authorized_operations = 0x1234 };
}

static void ref_i32s(bb *b, bool f, const int32_t *p, int32_t n)
{
    bb_arr(b, f, n);
    for (int32_t i = 0; i < n; i++)
        bb_i32(b, p[i]);
}

/* MetadataResponse.json, field by field. */
static void resp_ref(bb *b, int16_t v)
{
    bool f = v >= 9;

    if (v >= 3)
        bb_i32(b, 100);
    bb_arr(b, f, 2);
    bb_i32(b, 1), bb_str(b, f, "host-a"), bb_i32(b, 9092);
    if (v >= 1)
        bb_str(b, f, "rack-1");
    bb_tags(b, f);
    bb_i32(b, 2), bb_str(b, f, "host-b"), bb_i32(b, 9093);
    if (v >= 1)
        bb_str(b, f, NULL);
    bb_tags(b, f);
    if (v >= 2)
        bb_str(b, f, "cluster-x");
    if (v >= 1)
        bb_i32(b, 1);
    bb_arr(b, f, 2);
    /* topic 0 */
    bb_i16(b, 0), bb_str(b, f, "alpha");
    if (v >= 10)
        bb_uuid(b, UUID_A);
    if (v >= 1)
        bb_u8(b, 1);
    bb_arr(b, f, 2);
    bb_i16(b, 0), bb_i32(b, 0), bb_i32(b, 1);
    if (v >= 7)
        bb_i32(b, 5);
    ref_i32s(b, f, rep0, 2), ref_i32s(b, f, isr0, 1);
    if (v >= 5)
        ref_i32s(b, f, off0, 1);
    bb_tags(b, f);
    bb_i16(b, 9), bb_i32(b, 1), bb_i32(b, 2);
    if (v >= 7)
        bb_i32(b, 6);
    ref_i32s(b, f, rep1, 2), ref_i32s(b, f, isr1, 2);
    if (v >= 5)
        ref_i32s(b, f, NULL, 0);
    bb_tags(b, f);
    if (v >= 8)
        bb_i32(b, 0x0ff8);
    bb_tags(b, f);
    /* topic 1 */
    bb_i16(b, 3), bb_str(b, f, v >= 12 ? NULL : "gone");
    if (v >= 10)
        bb_uuid(b, UUID_B);
    if (v >= 1)
        bb_u8(b, 0);
    bb_arr(b, f, 0);
    if (v >= 8)
        bb_i32(b, 17);
    bb_tags(b, f);
    if (v >= 8 && v <= 10)
        bb_i32(b, 0x1234);
    bb_tags(b, f);
}

static void assert_i32s(const int32_t *got, int32_t gn, const int32_t *want, int32_t wn)
{
    cr_assert_eq(gn, wn);
    for (int32_t i = 0; i < wn; i++)
        cr_assert_eq(got[i], want[i]);
}

Test(msg_metadata, response_every_version)
{
    for (int16_t v = MSG_METADATA_VMIN; v <= MSG_METADATA_VMAX; v++) {
        msg_metadata_resp in = resp_fill(v), out;
        bb ref = { .n = 0 };
        rt t;

        resp_ref(&ref, v);
        rt_check(&t, &msg_metadata_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 3 ? 100 : 0);
        cr_assert_eq(out.brokers_count, 2);
        cr_assert_eq(out.brokers[0].node_id, 1);
        assert_str(out.brokers[0].host, "host-a", "host");
        cr_assert_eq(out.brokers[0].port, 9092);
        assert_str(out.brokers[0].rack, v >= 1 ? "rack-1" : NULL, "rack");
        cr_assert_eq(out.brokers[1].node_id, 2);
        assert_str(out.brokers[1].host, "host-b", "host");
        cr_assert_eq(out.brokers[1].port, 9093);
        assert_str(out.brokers[1].rack, NULL, "rack");
        assert_str(out.cluster_id, v >= 2 ? "cluster-x" : NULL, "cluster_id");
        cr_assert_eq(out.controller_id, v >= 1 ? 1 : -1);
        cr_assert_eq(out.topics_count, 2);

        const msg_metadata_resp_topic *t0 = &out.topics[0], *t1 = &out.topics[1];
        cr_assert_eq(t0->error_code, 0);
        assert_str(t0->name, "alpha", "topic name");
        assert_uuid(t0->topic_id, v >= 10 ? UUID_A : UUID_ZERO, "topic id");
        cr_assert_eq(t0->is_internal, v >= 1);
        cr_assert_eq(t0->topic_authorized_operations,
                     v >= 8 ? 0x0ff8 : MSG_AUTHORIZED_OPERATIONS_NONE);
        cr_assert_eq(t0->partitions_count, 2);

        const msg_metadata_resp_partition *p0 = &t0->partitions[0], *p1 = &t0->partitions[1];
        cr_assert_eq(p0->error_code, 0);
        cr_assert_eq(p0->partition_index, 0);
        cr_assert_eq(p0->leader_id, 1);
        cr_assert_eq(p0->leader_epoch, v >= 7 ? 5 : -1);
        assert_i32s(p0->replica_nodes, p0->replica_nodes_count, rep0, 2);
        assert_i32s(p0->isr_nodes, p0->isr_nodes_count, isr0, 1);
        assert_i32s(p0->offline_replicas, p0->offline_replicas_count, off0, v >= 5 ? 1 : 0);
        cr_assert_eq(p1->error_code, 9);
        cr_assert_eq(p1->partition_index, 1);
        cr_assert_eq(p1->leader_id, 2);
        cr_assert_eq(p1->leader_epoch, v >= 7 ? 6 : -1);
        assert_i32s(p1->replica_nodes, p1->replica_nodes_count, rep1, 2);
        assert_i32s(p1->isr_nodes, p1->isr_nodes_count, isr1, 2);
        cr_assert_eq(p1->offline_replicas_count, 0);

        cr_assert_eq(t1->error_code, 3);
        assert_str(t1->name, v >= 12 ? NULL : "gone", "topic 1 name");
        assert_uuid(t1->topic_id, v >= 10 ? UUID_B : UUID_ZERO, "topic 1 id");
        cr_assert_eq(t1->is_internal, false);
        cr_assert_eq(t1->partitions_count, 0);
        cr_assert_eq(t1->topic_authorized_operations,
                     v >= 8 ? 17 : MSG_AUTHORIZED_OPERATIONS_NONE);
        cr_assert_eq(out.cluster_authorized_operations,
                     v >= 8 && v <= 10 ? 0x1234 : MSG_AUTHORIZED_OPERATIONS_NONE);
        rt_done(&t);
    }
}

/* Null strings where the schema forbids them go out as "" (so a handler
 * bug cannot produce a frame Kafka clients reject). */
Test(msg_metadata, response_non_nullable_strings_written_empty)
{
    msg_metadata_resp_broker b = { 1, SL_BYTES_NULL, 9092, SL_BYTES_NULL };
    msg_metadata_resp_topic tp = { .name = SL_BYTES_NULL };
    msg_metadata_resp in = { .brokers = &b, .brokers_count = 1, .topics = &tp, .topics_count = 1 };
    msg_metadata_resp out;
    rt t;

    rt_check(&t, &msg_metadata_resp_codec, 11, &in, &out, NULL);
    assert_str(out.brokers[0].host, "", "host");
    assert_str(out.topics[0].name, "", "name before v12");
    rt_done(&t);
    rt_check(&t, &msg_metadata_resp_codec, 12, &in, &out, NULL);
    assert_str(out.topics[0].name, NULL, "name v12");
    rt_done(&t);
}
