/*
 * test_msg_logdirs.c - DescribeLogDirs v0-4 request and response bodies:
 * schema-reference bytes, round trip, defaults of absent fields and every
 * truncation, for each version; a hand-checked v4 response; the null
 * topics array; hostile counts, nulls where the schema has none, unknown
 * tags and versions outside the range.
 */
#include "test_msg_common.h"

#include "protocol/msg_logdirs.h"

CODEC(msg_describelogdirs_req);
CODEC(msg_describelogdirs_resp);

static int32_t dld_parts_a[] = { 0, 2 };

static msg_describelogdirs_req_topic dld_req_topics[2];

static msg_describelogdirs_req dld_req_fill(void)
{
    dld_req_topics[0] = (msg_describelogdirs_req_topic){ S("alpha"), dld_parts_a, 2 };
    dld_req_topics[1] = (msg_describelogdirs_req_topic){ S("b"), NULL, 0 };
    return (msg_describelogdirs_req){ .topics = dld_req_topics, .topics_count = 2 };
}

/* DescribeLogDirsRequest.json, field by field. */
static void dld_req_ref(bb *b, int16_t v)
{
    bool f = v >= 2;

    bb_arr(b, f, 2);
    bb_str(b, f, "alpha"), bb_arr(b, f, 2), bb_i32(b, 0), bb_i32(b, 2), bb_tags(b, f);
    bb_str(b, f, "b"), bb_arr(b, f, 0), bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_describelogdirs, request_every_version)
{
    for (int16_t v = MSG_DESCRIBELOGDIRS_VMIN; v <= MSG_DESCRIBELOGDIRS_VMAX; v++) {
        msg_describelogdirs_req in = dld_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        dld_req_ref(&ref, v);
        rt_check(&t, &msg_describelogdirs_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, 2);
        assert_str(out.topics[0].topic, "alpha", "topic");
        cr_assert_eq(out.topics[0].partitions_count, 2);
        cr_assert_eq(out.topics[0].partitions[0], 0);
        cr_assert_eq(out.topics[0].partitions[1], 2);
        assert_str(out.topics[1].topic, "b", "topic");
        cr_assert_eq(out.topics[1].partitions_count, 0);
        rt_done(&t);
    }
}

/* topics null asks for every topic: -1 (v0-1) or 0 (compact, v2+). */
Test(msg_describelogdirs, request_null_topics)
{
    for (int16_t v = MSG_DESCRIBELOGDIRS_VMIN; v <= MSG_DESCRIBELOGDIRS_VMAX; v++) {
        msg_describelogdirs_req in = { .topics_count = -1 }, out;
        bb ref = { .n = 0 };
        rt t;

        bb_arr(&ref, v >= 2, -1);
        bb_tags(&ref, v >= 2);
        rt_check(&t, &msg_describelogdirs_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.topics_count, -1);
        cr_assert_null(out.topics);
        rt_done(&t);
    }
}

static msg_describelogdirs_resp_partition dld_parts[2];
static msg_describelogdirs_resp_topic dld_topics[1];
static msg_describelogdirs_resp_result dld_results[2];

static msg_describelogdirs_resp dld_resp_fill(void)
{
    dld_parts[0] = (msg_describelogdirs_resp_partition){ 0, 123456789012LL, 0, false };
    dld_parts[1] = (msg_describelogdirs_resp_partition){ 3, 77, 5, true };
    dld_topics[0] = (msg_describelogdirs_resp_topic){ S("alpha"), dld_parts, 2 };
    dld_results[0] = (msg_describelogdirs_resp_result){ 0, S("/var/lib/sluice"), dld_topics, 1,
                                                       1LL << 40, 1LL << 33 };
    dld_results[1] = (msg_describelogdirs_resp_result){ 56, S("/d2"), NULL, 0, 9, 8 };
    return (msg_describelogdirs_resp){ .throttle_time_ms = 7,
                                       .error_code = 35,
                                       .results = dld_results,
                                       .results_count = 2 };
}

/* DescribeLogDirsResponse.json, field by field. */
static void dld_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 2;

    bb_i32(b, 7);
    if (v >= 3)
        bb_i16(b, 35);
    bb_arr(b, f, 2);
    bb_i16(b, 0), bb_str(b, f, "/var/lib/sluice");
    bb_arr(b, f, 1), bb_str(b, f, "alpha"), bb_arr(b, f, 2);
    bb_i32(b, 0), bb_i64(b, 123456789012LL), bb_i64(b, 0), bb_u8(b, 0), bb_tags(b, f);
    bb_i32(b, 3), bb_i64(b, 77), bb_i64(b, 5), bb_u8(b, 1), bb_tags(b, f);
    bb_tags(b, f); /* topic */
    if (v >= 4)
        bb_i64(b, 1LL << 40), bb_i64(b, 1LL << 33);
    bb_tags(b, f); /* result */
    bb_i16(b, 56), bb_str(b, f, "/d2"), bb_arr(b, f, 0);
    if (v >= 4)
        bb_i64(b, 9), bb_i64(b, 8);
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_describelogdirs, response_every_version)
{
    for (int16_t v = MSG_DESCRIBELOGDIRS_VMIN; v <= MSG_DESCRIBELOGDIRS_VMAX; v++) {
        msg_describelogdirs_resp in = dld_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        dld_resp_ref(&ref, v);
        rt_check(&t, &msg_describelogdirs_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 7);
        cr_assert_eq(out.error_code, v >= 3 ? 35 : 0);
        cr_assert_eq(out.results_count, 2);
        cr_assert_eq(out.results[0].error_code, 0);
        assert_str(out.results[0].log_dir, "/var/lib/sluice", "log_dir");
        cr_assert_eq(out.results[0].topics_count, 1);
        assert_str(out.results[0].topics[0].name, "alpha", "name");
        cr_assert_eq(out.results[0].topics[0].partitions_count, 2);
        cr_assert_eq(out.results[0].topics[0].partitions[0].partition_size, 123456789012LL);
        cr_assert_eq(out.results[0].topics[0].partitions[1].partition_index, 3);
        cr_assert_eq(out.results[0].topics[0].partitions[1].offset_lag, 5);
        cr_assert_eq(out.results[0].topics[0].partitions[1].is_future_key, true);
        /* Absent before v4: default -1. */
        cr_assert_eq(out.results[0].total_bytes, v >= 4 ? 1LL << 40 : -1);
        cr_assert_eq(out.results[0].usable_bytes, v >= 4 ? 1LL << 33 : -1);
        cr_assert_eq(out.results[1].error_code, 56);
        cr_assert_eq(out.results[1].topics_count, 0);
        rt_done(&t);
    }
}

/* A v4 response worked out by hand from the schema. */
Test(msg_describelogdirs, response_v4_bytes)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x00, 0x00,                                     /* error_code */
        0x02,                                           /* results [1 */
        0x00, 0x00,                                     /*   error_code */
        0x03, '/', 'd',                                 /*   log_dir "/d" */
        0x02,                                           /*   topics [1 */
        0x02, 't',                                      /*     name "t" */
        0x02,                                           /*     partitions [1 */
        0x00, 0x00, 0x00, 0x01,                         /*       index 1 */
        0, 0, 0, 0, 0, 0, 0x01, 0x00,                   /*       size 256 */
        0, 0, 0, 0, 0, 0, 0, 0,                         /*       offset_lag 0 */
        0x00,                                           /*       not future */
        0x00,                                           /*       tags ] */
        0x00,                                           /*     tags ] */
        0, 0, 0, 0, 0, 0, 0x10, 0x00,                   /*   total 4096 */
        0, 0, 0, 0, 0, 0, 0x08, 0x00,                   /*   usable 2048 */
        0x00,                                           /*   tags ] */
        0x00,                                           /* tags */
    };
    msg_describelogdirs_resp_partition p = { 1, 256, 0, false };
    msg_describelogdirs_resp_topic tp = { S("t"), &p, 1 };
    msg_describelogdirs_resp_result res = { 0, S("/d"), &tp, 1, 4096, 2048 };
    msg_describelogdirs_resp in = { .results = &res, .results_count = 1 };
    kbuf_wr w;

    kbuf_wr_init(&w, 0);
    msg_describelogdirs_resp_encode(&w, 4, &in);
    cr_assert_eq(w.err, SL_OK);
    cr_assert(bytes_same(w.p, w.len, want, sizeof want));
    kbuf_wr_free(&w);
}

/* Counts no remaining bytes can hold fail before any allocation. */
Test(msg_describelogdirs, absurd_counts_fail_before_allocating)
{
    static const struct {
        const codec *c;
        int16_t v;
        uint8_t bytes[24];
        size_t n;
    } cases[] = {
        { &msg_describelogdirs_req_codec, 0, { 0x7f, 0xff, 0xff, 0xff }, 4 },
        { &msg_describelogdirs_req_codec, 4, { 0xff, 0xff, 0xff, 0xff, 0x07 }, 5 },
        /* partitions of one topic */
        { &msg_describelogdirs_req_codec, 1, { 0, 0, 0, 1, 0, 1, 't', 0x7f, 0xff, 0xff, 0xff },
          11 },
        { &msg_describelogdirs_resp_codec, 0, { 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff }, 8 },
        { &msg_describelogdirs_resp_codec, 3,
          { 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 }, 11 },
        /* 40000 results of 5+ bytes cannot fit in 64 KiB */
        { &msg_describelogdirs_resp_codec, 2, { 0, 0, 0, 0, 0xc1, 0xb8, 0x02 }, 7 },
        /* topics of one result, partitions of one topic */
        { &msg_describelogdirs_resp_codec, 1,
          { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff }, 16 },
        { &msg_describelogdirs_resp_codec, 4,
          { 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0x01, 0x02, 0x02, 't', 0xc1, 0xb8, 0x02 }, 16 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static uint8_t buf[65536];
        void *out = malloc(cases[i].c->size);
        uint8_t *keep;
        sl_arena a;

        memset(buf, 0, sizeof buf);
        memcpy(buf, cases[i].bytes, cases[i].n);
        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(cases[i].c, cases[i].v, buf, sizeof buf, &a, out, &keep),
                     SL_E_MALFORMED, "case %zu", i);
        cr_assert_lt(a.used_total, 1024, "case %zu allocated %zu bytes", i, a.used_total);
        sl_arena_free(&a);
        free(keep);
        free(out);
    }
}

/* Only the request's topics may be null. */
Test(msg_describelogdirs, null_where_schema_has_none)
{
    static const uint8_t null_topic[] = { 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0 };
    static const uint8_t null_parts[] = { 0x02, 0x02, 't', 0x00, 0x00, 0x00 };
    static const uint8_t null_results[] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t null_dir[] = { 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0x00, 0x01, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    struct {
        const codec *c;
        int16_t v;
        const uint8_t *p;
        size_t n;
    } cases[] = {
        { &msg_describelogdirs_req_codec, 0, null_topic, sizeof null_topic },
        { &msg_describelogdirs_req_codec, 2, null_parts, sizeof null_parts },
        { &msg_describelogdirs_resp_codec, 1, null_results, sizeof null_results },
        { &msg_describelogdirs_resp_codec, 4, null_dir, sizeof null_dir },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msg_describelogdirs_resp out; /* the larger of the two */
        uint8_t *keep;
        sl_arena a;

        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(cases[i].c, cases[i].v, cases[i].p, cases[i].n, &a, &out,
                                  &keep),
                     SL_E_MALFORMED, "case %zu", i);
        sl_arena_free(&a);
        free(keep);
    }
}

/* Tags a later Kafka may add are skipped, at every level. */
Test(msg_describelogdirs, unknown_tags_are_skipped)
{
    static const uint8_t req[] = {
        0x02,                   /* topics [1 */
        0x02, 't',              /*   "t" */
        0x02, 0, 0, 0, 0x05,    /*   partitions [5] */
        0x01, 0x09, 0x01, 0xaa, /*   tag 9, 1 byte */
        0x01, 0x03, 0x00,       /* tag 3, empty */
    };
    msg_describelogdirs_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_describelogdirs_req_codec, 3, req, sizeof req, &a, &out,
                              &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, 1);
    cr_assert_eq(out.topics[0].partitions[0], 5);
    sl_arena_free(&a);
    free(keep);
}

Test(msg_describelogdirs, versions_outside_the_range_are_refused)
{
    static const uint8_t empty[] = { 0, 0, 0, 0 };
    msg_describelogdirs_resp in = { 0 }, out;
    int16_t bad[] = { -1, MSG_DESCRIBELOGDIRS_VMAX + 1 };

    for (size_t i = 0; i < 2; i++) {
        uint8_t *keep;
        sl_arena a;
        kbuf_wr w;

        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(&msg_describelogdirs_resp_codec, bad[i], empty, sizeof empty,
                                  &a, &out, &keep),
                     SL_KE_UNSUPPORTED_VERSION);
        sl_arena_free(&a);
        free(keep);
        kbuf_wr_init(&w, 0);
        msg_describelogdirs_resp_encode(&w, bad[i], &in);
        cr_assert_eq(w.err, SL_E_INVAL);
        kbuf_wr_free(&w);
    }
}
