/*
 * test_msg_group_offsets.c - OffsetCommit v0-8, OffsetFetch v0-8 and
 * OffsetDelete v0 request and response bodies: schema-reference bytes,
 * round trip, defaults of absent fields and every truncation, for each
 * version; OffsetFetch's null topics and v8 groups; hand-checked vectors.
 */
#include "test_msg_group_common.h"

CODEC(msg_offsetcommit_req);
CODEC(msg_offsetcommit_resp);
CODEC(msg_offsetfetch_req);
CODEC(msg_offsetfetch_resp);
CODEC(msg_offsetdelete_req);
CODEC(msg_offsetdelete_resp);

/* --- OffsetCommit ------------------------------------------------------- */

static msg_offsetcommit_req_partition cqa[2], cqb[1];
static msg_offsetcommit_req_topic cqt[2];

static msg_offsetcommit_req commit_req_fill(void)
{
    cqa[0] = (msg_offsetcommit_req_partition){ 0, 100, 5, S("meta"), 1700000000000 };
    cqa[1] = (msg_offsetcommit_req_partition){ 1, 200, 6, SL_BYTES_NULL, 1700000000001 };
    cqb[0] = (msg_offsetcommit_req_partition){ 2, 0, -1, S(""), -1 };
    cqt[0] = (msg_offsetcommit_req_topic){ S("alpha"), cqa, 2 };
    cqt[1] = (msg_offsetcommit_req_topic){ S("beta"), cqb, 1 };
    return (msg_offsetcommit_req){ .group_id = S("grp"),
                                   .generation_id_or_member_epoch = 3,
                                   .member_id = S("m-1"),
                                   .group_instance_id = S("inst-1"),
                                   .retention_time_ms = 86400000,
                                   .topics = cqt,
                                   .topics_count = 2 };
}

/* OffsetCommitRequest.json, field by field. */
static void commit_req_ref(bb *b, int16_t v)
{
    bool f = v >= 8;

    bb_str(b, f, "grp");
    if (v >= 1) {
        bb_i32(b, 3);
        bb_str(b, f, "m-1");
    }
    if (v >= 7)
        bb_str(b, f, "inst-1");
    if (v >= 2 && v <= 4)
        bb_i64(b, 86400000);
    bb_arr(b, f, 2);
    bb_str(b, f, "alpha");
    bb_arr(b, f, 2);
    bb_i32(b, 0), bb_i64(b, 100);
    if (v == 1)
        bb_i64(b, 1700000000000);
    if (v >= 6)
        bb_i32(b, 5);
    bb_str(b, f, "meta"), bb_tags(b, f);
    bb_i32(b, 1), bb_i64(b, 200);
    if (v == 1)
        bb_i64(b, 1700000000001);
    if (v >= 6)
        bb_i32(b, 6);
    bb_str(b, f, NULL), bb_tags(b, f);
    bb_tags(b, f);
    bb_str(b, f, "beta");
    bb_arr(b, f, 1);
    bb_i32(b, 2), bb_i64(b, 0);
    if (v == 1)
        bb_i64(b, -1);
    if (v >= 6)
        bb_i32(b, -1);
    bb_str(b, f, ""), bb_tags(b, f);
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_offsetcommit, request_every_version)
{
    for (int16_t v = MSG_OFFSETCOMMIT_VMIN; v <= MSG_OFFSETCOMMIT_VMAX; v++) {
        msg_offsetcommit_req in = commit_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        commit_req_ref(&ref, v);
        rt_check(&t, &msg_offsetcommit_req_codec, v, &in, &out, &ref);
        assert_str(out.group_id, "grp", "group_id");
        cr_assert_eq(out.generation_id_or_member_epoch, v >= 1 ? 3 : -1);
        assert_str(out.member_id, v >= 1 ? "m-1" : "", "member_id");
        assert_str(out.group_instance_id, v >= 7 ? "inst-1" : NULL, "group_instance_id");
        cr_assert_eq(out.retention_time_ms, v >= 2 && v <= 4 ? 86400000 : -1);
        cr_assert_eq(out.topics_count, 2);

        const msg_offsetcommit_req_topic *t0 = &out.topics[0], *t1 = &out.topics[1];
        assert_str(t0->name, "alpha", "topic 0");
        cr_assert_eq(t0->partitions_count, 2);
        cr_assert_eq(t0->partitions[0].partition_index, 0);
        cr_assert_eq(t0->partitions[0].committed_offset, 100);
        cr_assert_eq(t0->partitions[0].committed_leader_epoch, v >= 6 ? 5 : -1);
        cr_assert_eq(t0->partitions[0].commit_timestamp, v == 1 ? 1700000000000 : -1);
        cr_assert_eq(t0->partitions[1].commit_timestamp, v == 1 ? 1700000000001 : -1);
        assert_str(t0->partitions[0].committed_metadata, "meta", "metadata");
        cr_assert_eq(t0->partitions[1].partition_index, 1);
        cr_assert_eq(t0->partitions[1].committed_offset, 200);
        cr_assert_eq(t0->partitions[1].committed_leader_epoch, v >= 6 ? 6 : -1);
        assert_str(t0->partitions[1].committed_metadata, NULL, "null metadata");
        assert_str(t1->name, "beta", "topic 1");
        cr_assert_eq(t1->partitions_count, 1);
        cr_assert_eq(t1->partitions[0].partition_index, 2);
        cr_assert_eq(t1->partitions[0].committed_offset, 0);
        cr_assert_eq(t1->partitions[0].committed_leader_epoch, -1);
        assert_str(t1->partitions[0].committed_metadata, "", "empty metadata");
        rt_done(&t);
    }
}

static msg_offsetcommit_resp_partition csa[2];
static msg_offsetcommit_resp_topic cst[2];

Test(msg_offsetcommit, response_every_version)
{
    for (int16_t v = MSG_OFFSETCOMMIT_VMIN; v <= MSG_OFFSETCOMMIT_VMAX; v++) {
        bool f = v >= 8;
        msg_offsetcommit_resp in, out;
        bb ref = { .n = 0 };
        rt t;

        csa[0] = (msg_offsetcommit_resp_partition){ 0, 0 };
        csa[1] = (msg_offsetcommit_resp_partition){ 1, 22 };
        cst[0] = (msg_offsetcommit_resp_topic){ S("alpha"), csa, 2 };
        cst[1] = (msg_offsetcommit_resp_topic){ S("beta"), NULL, 0 };
        in = (msg_offsetcommit_resp){ 20, cst, 2 };
        /* OffsetCommitResponse.json */
        if (v >= 3)
            bb_i32(&ref, 20);
        bb_arr(&ref, f, 2);
        bb_str(&ref, f, "alpha"), bb_arr(&ref, f, 2);
        bb_i32(&ref, 0), bb_i16(&ref, 0), bb_tags(&ref, f);
        bb_i32(&ref, 1), bb_i16(&ref, 22), bb_tags(&ref, f);
        bb_tags(&ref, f);
        bb_str(&ref, f, "beta"), bb_arr(&ref, f, 0), bb_tags(&ref, f);
        bb_tags(&ref, f);
        rt_check(&t, &msg_offsetcommit_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 3 ? 20 : 0);
        cr_assert_eq(out.topics_count, 2);
        assert_str(out.topics[0].name, "alpha", "topic 0");
        cr_assert_eq(out.topics[0].partitions_count, 2);
        cr_assert_eq(out.topics[0].partitions[1].partition_index, 1);
        cr_assert_eq(out.topics[0].partitions[1].error_code, 22);
        assert_str(out.topics[1].name, "beta", "topic 1");
        cr_assert_eq(out.topics[1].partitions_count, 0);
        rt_done(&t);
    }
}

/* --- OffsetFetch -------------------------------------------------------- */

static int32_t fq_parts[] = { 0, 1 };
static msg_offsetfetch_req_topic fqt[2], fqt8[1];
static msg_offsetfetch_req_group fqg[2];

static msg_offsetfetch_req fetch_req_fill(void)
{
    fqt[0] = (msg_offsetfetch_req_topic){ S("alpha"), fq_parts, 2 };
    fqt[1] = (msg_offsetfetch_req_topic){ S("beta"), NULL, 0 };
    fqt8[0] = (msg_offsetfetch_req_topic){ S("gamma"), fq_parts, 2 };
    fqg[0] = (msg_offsetfetch_req_group){ S("g1"), fqt8, 1 };
    fqg[1] = (msg_offsetfetch_req_group){ S("g2"), NULL, -1 }; /* all topics */
    return (msg_offsetfetch_req){ .group_id = S("grp"),
                                  .topics = fqt,
                                  .topics_count = 2,
                                  .groups = fqg,
                                  .groups_count = 2,
                                  .require_stable = true };
}

/* OffsetFetchRequest.json, field by field. */
static void fetch_req_ref(bb *b, int16_t v)
{
    bool f = v >= 6;

    if (v <= 7) {
        bb_str(b, f, "grp");
        bb_arr(b, f, 2);
        bb_str(b, f, "alpha"), bb_arr(b, f, 2), bb_i32(b, 0), bb_i32(b, 1), bb_tags(b, f);
        bb_str(b, f, "beta"), bb_arr(b, f, 0), bb_tags(b, f);
    } else {
        bb_arr(b, f, 2);
        bb_str(b, f, "g1"), bb_arr(b, f, 1);
        bb_str(b, f, "gamma"), bb_arr(b, f, 2), bb_i32(b, 0), bb_i32(b, 1), bb_tags(b, f);
        bb_tags(b, f);
        bb_str(b, f, "g2"), bb_arr(b, f, -1), bb_tags(b, f);
    }
    if (v >= 7)
        bb_u8(b, 1);
    bb_tags(b, f);
}

Test(msg_offsetfetch, request_every_version)
{
    for (int16_t v = MSG_OFFSETFETCH_VMIN; v <= MSG_OFFSETFETCH_VMAX; v++) {
        msg_offsetfetch_req in = fetch_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        fetch_req_ref(&ref, v);
        rt_check(&t, &msg_offsetfetch_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.require_stable, v >= 7);
        if (v <= 7) {
            assert_str(out.group_id, "grp", "group_id");
            cr_assert_eq(out.topics_count, 2);
            assert_str(out.topics[0].name, "alpha", "topic 0");
            assert_i32s(out.topics[0].partition_indexes, out.topics[0].partition_indexes_count,
                        fq_parts, 2);
            assert_str(out.topics[1].name, "beta", "topic 1");
            cr_assert_eq(out.topics[1].partition_indexes_count, 0);
            cr_assert_eq(out.groups_count, 0);
            cr_assert_null(out.groups);
        } else {
            assert_str(out.group_id, "", "group_id");
            cr_assert_eq(out.topics_count, 0);
            cr_assert_eq(out.groups_count, 2);
            assert_str(out.groups[0].group_id, "g1", "group 0");
            cr_assert_eq(out.groups[0].topics_count, 1);
            assert_str(out.groups[0].topics[0].name, "gamma", "topic");
            assert_i32s(out.groups[0].topics[0].partition_indexes,
                        out.groups[0].topics[0].partition_indexes_count, fq_parts, 2);
            assert_str(out.groups[1].group_id, "g2", "group 1");
            cr_assert_eq(out.groups[1].topics_count, -1);
            cr_assert_null(out.groups[1].topics);
        }
        rt_done(&t);
    }
}

/* v2+: null topics = every committed partition; v1 cannot say null, so
 * the encoder writes [] and the decoder refuses -1. */
Test(msg_offsetfetch, request_null_topics)
{
    static const uint8_t v1_null[] = { 0x00, 0x01, 'g', 0xff, 0xff, 0xff, 0xff };
    msg_offsetfetch_req out;
    uint8_t *keep;
    sl_arena a;

    for (int16_t v = MSG_OFFSETFETCH_VMIN; v <= 7; v++) {
        msg_offsetfetch_req in = { .group_id = S("g"), .topics_count = -1 };
        bb ref = { .n = 0 };
        rt t;

        bb_str(&ref, v >= 6, "g");
        bb_arr(&ref, v >= 6, v >= 2 ? -1 : 0);
        if (v >= 7)
            bb_u8(&ref, 0);
        bb_tags(&ref, v >= 6);
        rt_check(&t, &msg_offsetfetch_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, v >= 2 ? -1 : 0, "v%d", v);
        cr_assert_null(out.topics);
        rt_done(&t);
    }
    sl_arena_init(&a, 0);
    decode_expect(&msg_offsetfetch_req_codec, 1, v1_null, sizeof v1_null, &a, &out, &keep,
                  SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_offsetfetch_req_codec, 2, v1_null, sizeof v1_null, &a, &out, &keep,
                  SL_OK);
    cr_assert_eq(out.topics_count, -1);
    free(keep);
    sl_arena_free(&a);
}

static msg_offsetfetch_resp_partition fsa[2], fsb[1];
static msg_offsetfetch_resp_topic fst[2];
static msg_offsetfetch_resp_group fsg[2];

static msg_offsetfetch_resp fetch_resp_fill(void)
{
    fsa[0] = (msg_offsetfetch_resp_partition){ 0, 100, 5, S("meta"), 0 };
    /* No commit: offset -1, error 0. */
    fsa[1] = (msg_offsetfetch_resp_partition){ 1, -1, -1, SL_BYTES_NULL, 0 };
    fsb[0] = (msg_offsetfetch_resp_partition){ 2, 7, 9, S(""), 3 };
    fst[0] = (msg_offsetfetch_resp_topic){ S("alpha"), fsa, 2 };
    fst[1] = (msg_offsetfetch_resp_topic){ S("beta"), fsb, 1 };
    fsg[0] = (msg_offsetfetch_resp_group){ S("g1"), fst, 2, 0 };
    fsg[1] = (msg_offsetfetch_resp_group){ S("g2"), NULL, 0, 16 };
    return (msg_offsetfetch_resp){ .throttle_time_ms = 30,
                                   .topics = fst,
                                   .topics_count = 2,
                                   .error_code = 16,
                                   .groups = fsg,
                                   .groups_count = 2 };
}

static void fetch_resp_topics_ref(bb *b, int16_t v, bool f)
{
    bb_arr(b, f, 2);
    bb_str(b, f, "alpha"), bb_arr(b, f, 2);
    bb_i32(b, 0), bb_i64(b, 100);
    if (v >= 5)
        bb_i32(b, 5);
    bb_str(b, f, "meta"), bb_i16(b, 0), bb_tags(b, f);
    bb_i32(b, 1), bb_i64(b, -1);
    if (v >= 5)
        bb_i32(b, -1);
    bb_str(b, f, NULL), bb_i16(b, 0), bb_tags(b, f);
    bb_tags(b, f);
    bb_str(b, f, "beta"), bb_arr(b, f, 1);
    bb_i32(b, 2), bb_i64(b, 7);
    if (v >= 5)
        bb_i32(b, 9);
    bb_str(b, f, ""), bb_i16(b, 3), bb_tags(b, f);
    bb_tags(b, f);
}

/* OffsetFetchResponse.json, field by field. */
static void fetch_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 6;

    if (v >= 3)
        bb_i32(b, 30);
    if (v <= 7) {
        fetch_resp_topics_ref(b, v, f);
        if (v >= 2)
            bb_i16(b, 16);
    } else {
        bb_arr(b, f, 2);
        bb_str(b, f, "g1"), fetch_resp_topics_ref(b, v, f), bb_i16(b, 0), bb_tags(b, f);
        bb_str(b, f, "g2"), bb_arr(b, f, 0), bb_i16(b, 16), bb_tags(b, f);
    }
    bb_tags(b, f);
}

static void assert_fetch_topics(const msg_offsetfetch_resp_topic *t, int32_t n, int16_t v)
{
    cr_assert_eq(n, 2);
    assert_str(t[0].name, "alpha", "topic 0");
    cr_assert_eq(t[0].partitions_count, 2);
    cr_assert_eq(t[0].partitions[0].partition_index, 0);
    cr_assert_eq(t[0].partitions[0].committed_offset, 100);
    cr_assert_eq(t[0].partitions[0].committed_leader_epoch, v >= 5 ? 5 : -1);
    assert_str(t[0].partitions[0].metadata, "meta", "metadata");
    cr_assert_eq(t[0].partitions[0].error_code, 0);
    cr_assert_eq(t[0].partitions[1].committed_offset, -1);
    cr_assert_eq(t[0].partitions[1].committed_leader_epoch, -1);
    assert_str(t[0].partitions[1].metadata, NULL, "null metadata");
    assert_str(t[1].name, "beta", "topic 1");
    cr_assert_eq(t[1].partitions_count, 1);
    cr_assert_eq(t[1].partitions[0].partition_index, 2);
    cr_assert_eq(t[1].partitions[0].committed_offset, 7);
    cr_assert_eq(t[1].partitions[0].committed_leader_epoch, v >= 5 ? 9 : -1);
    assert_str(t[1].partitions[0].metadata, "", "empty metadata");
    cr_assert_eq(t[1].partitions[0].error_code, 3);
}

Test(msg_offsetfetch, response_every_version)
{
    for (int16_t v = MSG_OFFSETFETCH_VMIN; v <= MSG_OFFSETFETCH_VMAX; v++) {
        msg_offsetfetch_resp in = fetch_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        fetch_resp_ref(&ref, v);
        rt_check(&t, &msg_offsetfetch_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, v >= 3 ? 30 : 0);
        if (v <= 7) {
            assert_fetch_topics(out.topics, out.topics_count, v);
            cr_assert_eq(out.error_code, v >= 2 ? 16 : 0);
            cr_assert_eq(out.groups_count, 0);
        } else {
            cr_assert_eq(out.topics_count, 0);
            cr_assert_eq(out.error_code, 0);
            cr_assert_eq(out.groups_count, 2);
            assert_str(out.groups[0].group_id, "g1", "group 0");
            assert_fetch_topics(out.groups[0].topics, out.groups[0].topics_count, v);
            cr_assert_eq(out.groups[0].error_code, 0);
            assert_str(out.groups[1].group_id, "g2", "group 1");
            cr_assert_eq(out.groups[1].topics_count, 0);
            cr_assert_eq(out.groups[1].error_code, 16);
        }
        rt_done(&t);
    }
}

/* --- OffsetDelete ------------------------------------------------------- */

Test(msg_offsetdelete, request_and_response_v0)
{
    msg_offsetdelete_req_partition qp[2] = { { 0 }, { 1 } };
    msg_offsetdelete_req_topic qt[2] = { { S("alpha"), qp, 2 }, { S("beta"), NULL, 0 } };
    msg_offsetdelete_req q = { S("grp"), qt, 2 }, qout;
    msg_offsetdelete_resp_partition sp[2] = { { 0, 0 }, { 1, 86 } };
    msg_offsetdelete_resp_topic st[1] = { { S("alpha"), sp, 2 } };
    msg_offsetdelete_resp s = { 69, 40, st, 1 }, sout;
    bb qref = { .n = 0 }, sref = { .n = 0 };
    rt t;

    /* OffsetDeleteRequest.json */
    bb_str(&qref, false, "grp");
    bb_arr(&qref, false, 2);
    bb_str(&qref, false, "alpha"), bb_arr(&qref, false, 2), bb_i32(&qref, 0), bb_i32(&qref, 1);
    bb_str(&qref, false, "beta"), bb_arr(&qref, false, 0);
    rt_check(&t, &msg_offsetdelete_req_codec, 0, &q, &qout, &qref);
    assert_str(qout.group_id, "grp", "group_id");
    cr_assert_eq(qout.topics_count, 2);
    assert_str(qout.topics[0].name, "alpha", "topic 0");
    cr_assert_eq(qout.topics[0].partitions_count, 2);
    cr_assert_eq(qout.topics[0].partitions[1].partition_index, 1);
    assert_str(qout.topics[1].name, "beta", "topic 1");
    cr_assert_eq(qout.topics[1].partitions_count, 0);
    rt_done(&t);

    /* OffsetDeleteResponse.json: error_code comes before throttle_time_ms. */
    bb_i16(&sref, 69);
    bb_i32(&sref, 40);
    bb_arr(&sref, false, 1);
    bb_str(&sref, false, "alpha"), bb_arr(&sref, false, 2);
    bb_i32(&sref, 0), bb_i16(&sref, 0), bb_i32(&sref, 1), bb_i16(&sref, 86);
    rt_check(&t, &msg_offsetdelete_resp_codec, 0, &s, &sout, &sref);
    cr_assert_eq(sout.error_code, 69);
    cr_assert_eq(sout.throttle_time_ms, 40);
    cr_assert_eq(sout.topics_count, 1);
    cr_assert_eq(sout.topics[0].partitions[1].error_code, 86);
    rt_done(&t);
}

/* --- hand-checked vectors ---------------------------------------------- */

Test(msg_group_offsets_vectors, offsetcommit_v2_assign_style)
{
    /* kafka-python / assign(): generation -1, member "", default retention. */
    static const uint8_t want[] = {
        0x00, 0x01, 'g',                                /* group_id */
        0xff, 0xff, 0xff, 0xff,                         /* generation -1 */
        0x00, 0x00,                                     /* member_id "" */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* retention -1 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',        /* [ "t" */
        0x00, 0x00, 0x00, 0x01,                         /*   [ */
        0x00, 0x00, 0x00, 0x00,                         /*     0 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, /*     offset 42 */
        0x00, 0x00,                                     /*     metadata "" ] ] */
    };
    msg_offsetcommit_req_partition p = { 0, 42, -1, S(""), -1 };
    msg_offsetcommit_req_topic tp = { S("t"), &p, 1 };
    msg_offsetcommit_req in = { .group_id = S("g"), .generation_id_or_member_epoch = -1,
                                .member_id = S(""), .retention_time_ms = -1,
                                .topics = &tp, .topics_count = 1 }, out;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_offsetcommit_req_codec, 2, &in, want, sizeof want);
    sl_arena_init(&a, 0);
    decode_expect(&msg_offsetcommit_req_codec, 2, want, sizeof want, &a, &out, &keep, SL_OK);
    cr_assert_eq(out.generation_id_or_member_epoch, -1);
    cr_assert_eq(out.retention_time_ms, -1);
    cr_assert_eq(out.topics[0].partitions[0].committed_offset, 42);
    cr_assert_eq(out.topics[0].partitions[0].committed_leader_epoch, -1);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_group_offsets_vectors, offsetfetch_v8_request_and_v1_response)
{
    /* platformatic-style v8: one group, all topics, require_stable. */
    static const uint8_t q8[] = { 0x02, 0x02, 'g', 0x00, 0x00, 0x01, 0x00 };
    /* v1 response: [ "t" [ {0, -1, null, 0} ] ] (no commit yet). */
    static const uint8_t s1[] = {
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0x00, 0x00,
    };
    msg_offsetfetch_req_group g = { S("g"), NULL, -1 };
    msg_offsetfetch_req q = { .groups = &g, .groups_count = 1, .require_stable = true }, qout;
    msg_offsetfetch_resp_partition p = { 0, -1, -1, SL_BYTES_NULL, 0 };
    msg_offsetfetch_resp_topic tp = { S("t"), &p, 1 };
    msg_offsetfetch_resp s = { .topics = &tp, .topics_count = 1 };
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_offsetfetch_req_codec, 8, &q, q8, sizeof q8);
    encode_expect(&msg_offsetfetch_resp_codec, 1, &s, s1, sizeof s1);
    sl_arena_init(&a, 0);
    decode_expect(&msg_offsetfetch_req_codec, 8, q8, sizeof q8, &a, &qout, &keep, SL_OK);
    cr_assert_eq(qout.groups_count, 1);
    cr_assert_eq(qout.groups[0].topics_count, -1);
    cr_assert(qout.require_stable);
    free(keep);
    sl_arena_free(&a);
}

/* Nulls where the schema has none. */
Test(msg_group_offsets_vectors, nulls_are_malformed)
{
    /* OffsetCommit v8 topic name null. */
    static const uint8_t c8[] = { 0x02, 'g', 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x02, 0x00 };
    /* OffsetFetch v8 groups null. */
    static const uint8_t f8[] = { 0x00, 0x00, 0x00 };
    /* OffsetFetch v6 response topics null. */
    static const uint8_t r6[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    msg_offsetcommit_req cq;
    msg_offsetfetch_req fq;
    msg_offsetfetch_resp fr;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    decode_expect(&msg_offsetcommit_req_codec, 8, c8, sizeof c8, &a, &cq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_offsetfetch_req_codec, 8, f8, sizeof f8, &a, &fq, &keep, SL_E_MALFORMED);
    free(keep);
    decode_expect(&msg_offsetfetch_resp_codec, 6, r6, sizeof r6, &a, &fr, &keep, SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
}
