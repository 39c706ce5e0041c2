/*
 * test_msg_listoffsets.c - ListOffsets v1-5 request and response bodies:
 * schema-reference bytes, round trip, defaults of absent fields and every
 * truncation, for each version.
 */
#include "test_msg_common.h"

CODEC(msg_listoffsets_req);
CODEC(msg_listoffsets_resp);

static msg_listoffsets_req_partition qa[2], qb[1];
static msg_listoffsets_req_topic qt[2];

static msg_listoffsets_req req_fill(void)
{
    qa[0] = (msg_listoffsets_req_partition){ 0, 7, -1 };
    qa[1] = (msg_listoffsets_req_partition){ 1, 8, -2 };
    qb[0] = (msg_listoffsets_req_partition){ 2, 9, 1700000000000 };
    qt[0] = (msg_listoffsets_req_topic){ S("alpha"), qa, 2 };
    qt[1] = (msg_listoffsets_req_topic){ S("beta"), qb, 1 };
    return (msg_listoffsets_req){ -1, 1, qt, 2 };
}

/* ListOffsetsRequest.json (max_num_offsets is v0 only). */
static void req_ref(bb *b, int16_t v)
{
    bb_i32(b, -1);
    if (v >= 2)
        bb_i8(b, 1);
    bb_arr(b, false, 2);
    bb_str(b, false, "alpha");
    bb_arr(b, false, 2);
    bb_i32(b, 0);
    if (v >= 4)
        bb_i32(b, 7);
    bb_i64(b, -1);
    bb_i32(b, 1);
    if (v >= 4)
        bb_i32(b, 8);
    bb_i64(b, -2);
    bb_str(b, false, "beta");
    bb_arr(b, false, 1);
    bb_i32(b, 2);
    if (v >= 4)
        bb_i32(b, 9);
    bb_i64(b, 1700000000000);
}

Test(msg_listoffsets, request_every_version)
{
    for (int16_t v = MSG_LISTOFFSETS_VMIN; v <= MSG_LISTOFFSETS_VMAX; v++) {
        msg_listoffsets_req in = req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        req_ref(&ref, v);
        rt_check(&t, &msg_listoffsets_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.replica_id, -1);
        cr_assert_eq(out.isolation_level, v >= 2 ? 1 : 0);
        cr_assert_eq(out.topics_count, 2);
        assert_str(out.topics[0].name, "alpha", "topic");
        cr_assert_eq(out.topics[0].partitions_count, 2);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(out.topics[0].partitions[i].partition_index, qa[i].partition_index);
            cr_assert_eq(out.topics[0].partitions[i].current_leader_epoch,
                         v >= 4 ? qa[i].current_leader_epoch : -1);
            cr_assert_eq(out.topics[0].partitions[i].timestamp, qa[i].timestamp);
        }
        assert_str(out.topics[1].name, "beta", "topic");
        cr_assert_eq(out.topics[1].partitions_count, 1);
        cr_assert_eq(out.topics[1].partitions[0].partition_index, 2);
        cr_assert_eq(out.topics[1].partitions[0].current_leader_epoch, v >= 4 ? 9 : -1);
        cr_assert_eq(out.topics[1].partitions[0].timestamp, 1700000000000);
        rt_done(&t);
    }
}

static msg_listoffsets_resp_partition ra[2];
static msg_listoffsets_resp_topic rtp[1];

static msg_listoffsets_resp resp_fill(void)
{
    ra[0] = (msg_listoffsets_resp_partition){ 0, 0, -1, 42, 3 };
    ra[1] = (msg_listoffsets_resp_partition){ 1, 6, 1700000000000, -1, 4 };
    rtp[0] = (msg_listoffsets_resp_topic){ S("alpha"), ra, 2 };
    return (msg_listoffsets_resp){ 13, rtp, 1 };
}

/* ListOffsetsResponse.json (old_style_offsets is v0 only). */
static void resp_ref(bb *b, int16_t v)
{
    if (v >= 2)
        bb_i32(b, 13);
    bb_arr(b, false, 1);
    bb_str(b, false, "alpha");
    bb_arr(b, false, 2);
    bb_i32(b, 0), bb_i16(b, 0), bb_i64(b, -1), bb_i64(b, 42);
    if (v >= 4)
        bb_i32(b, 3);
    bb_i32(b, 1), bb_i16(b, 6), bb_i64(b, 1700000000000), bb_i64(b, -1);
    if (v >= 4)
        bb_i32(b, 4);
}

Test(msg_listoffsets, response_every_version)
{
    for (int16_t v = MSG_LISTOFFSETS_VMIN; v <= MSG_LISTOFFSETS_VMAX; v++) {
        msg_listoffsets_resp in = resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        resp_ref(&ref, v);
        rt_check(&t, &msg_listoffsets_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 2 ? 13 : 0);
        cr_assert_eq(out.topics_count, 1);
        assert_str(out.topics[0].name, "alpha", "topic");
        cr_assert_eq(out.topics[0].partitions_count, 2);
        for (int i = 0; i < 2; i++) {
            const msg_listoffsets_resp_partition *p = &out.topics[0].partitions[i];

            cr_assert_eq(p->partition_index, ra[i].partition_index);
            cr_assert_eq(p->error_code, ra[i].error_code);
            cr_assert_eq(p->timestamp, ra[i].timestamp);
            cr_assert_eq(p->offset, ra[i].offset);
            cr_assert_eq(p->leader_epoch, v >= 4 ? ra[i].leader_epoch : -1);
        }
        rt_done(&t);
    }
}

/* kafka-python's ListOffsets v1: latest offset of t/0. */
Test(msg_listoffsets, request_v1_bytes)
{
    static const uint8_t want[] = {
        0xff, 0xff, 0xff, 0xff,                         /* replica_id -1 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',        /* [ "t" */
        0x00, 0x00, 0x00, 0x01,                         /*   [ */
        0x00, 0x00, 0x00, 0x00,                         /*     partition 0 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /*     timestamp -1 ] ] */
    };
    msg_listoffsets_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_listoffsets_req_codec, 1, want, sizeof want, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.replica_id, -1);
    cr_assert_eq(out.isolation_level, 0);
    assert_str(out.topics[0].name, "t", "topic");
    cr_assert_eq(out.topics[0].partitions[0].partition_index, 0);
    cr_assert_eq(out.topics[0].partitions[0].current_leader_epoch, -1);
    cr_assert_eq(out.topics[0].partitions[0].timestamp, -1);
    sl_arena_free(&a);
    free(keep);
}
