/*
 * test_msg_produce.c - Produce v0-7 request and response bodies:
 * schema-reference bytes, round trip, defaults of absent fields and every
 * truncation, for each version.
 */
#include "test_msg_common.h"

CODEC(msg_produce_req);
CODEC(msg_produce_resp);

static const uint8_t recs_a[] = { 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3, 0xde, 0xad, 0xbe };

static msg_produce_req_partition pd_alpha[2], pd_beta[1];
static msg_produce_req_topic td[2];

static msg_produce_req req_fill(sl_bytes txn)
{
    pd_alpha[0] = (msg_produce_req_partition){ 0, sl_bytes_make(recs_a, sizeof recs_a) };
    pd_alpha[1] = (msg_produce_req_partition){ 3, SL_BYTES_NULL };
    pd_beta[0] = (msg_produce_req_partition){ 1, sl_bytes_make("", 0) };
    td[0] = (msg_produce_req_topic){ S("alpha"), pd_alpha, 2 };
    td[1] = (msg_produce_req_topic){ S("beta"), pd_beta, 1 };
    return (msg_produce_req){ txn, -1, 30000, td, 2 };
}

/* ProduceRequest.json (v3-8 are identical on the wire; v0-2 lack
 * transactional_id). */
static void req_ref(bb *b, int16_t v, const char *txn)
{
    if (v >= 3)
        bb_str(b, false, txn);
    bb_i16(b, -1);
    bb_i32(b, 30000);
    bb_arr(b, false, 2);
    bb_str(b, false, "alpha");
    bb_arr(b, false, 2);
    bb_i32(b, 0), bb_bytes(b, false, recs_a, sizeof recs_a, false);
    bb_i32(b, 3), bb_bytes(b, false, NULL, 0, true);
    bb_str(b, false, "beta");
    bb_arr(b, false, 1);
    bb_i32(b, 1), bb_bytes(b, false, NULL, 0, false);
}

Test(msg_produce, request_every_version)
{
    for (int16_t v = MSG_PRODUCE_VMIN; v <= MSG_PRODUCE_VMAX; v++) {
        for (int null_txn = 0; null_txn < 2; null_txn++) {
            const char *txn = null_txn ? NULL : "txn-1";
            msg_produce_req in = req_fill(sl_bytes_str(txn)), out;
            bb ref = { .n = 0 };
            rt t;

            req_ref(&ref, v, txn);
            rt_check(&t, &msg_produce_req_codec, v, &in, &out, &ref);
            assert_str(out.transactional_id, v >= 3 ? txn : NULL, "transactional_id");
            cr_assert_eq(out.acks, -1);
            cr_assert_eq(out.timeout_ms, 30000);
            cr_assert_eq(out.topic_data_count, 2);
            assert_str(out.topic_data[0].name, "alpha", "topic");
            cr_assert_eq(out.topic_data[0].partition_data_count, 2);
            cr_assert_eq(out.topic_data[0].partition_data[0].index, 0);
            assert_bytes(out.topic_data[0].partition_data[0].records,
                         sl_bytes_make(recs_a, sizeof recs_a), "records");
            /* Records are borrowed from the frame, not copied. */
            cr_assert(out.topic_data[0].partition_data[0].records.p >= t.buf &&
                      out.topic_data[0].partition_data[0].records.p < t.buf + t.len);
            cr_assert_eq(out.topic_data[0].partition_data[1].index, 3);
            cr_assert(out.topic_data[0].partition_data[1].records.null);
            assert_str(out.topic_data[1].name, "beta", "topic");
            cr_assert_eq(out.topic_data[1].partition_data_count, 1);
            cr_assert_eq(out.topic_data[1].partition_data[0].index, 1);
            assert_bytes(out.topic_data[1].partition_data[0].records, sl_bytes_make("", 0),
                         "empty records");
            rt_done(&t);
        }
    }
}

static msg_produce_resp_partition pr[2];
static msg_produce_resp_topic rt_topics[1];

static msg_produce_resp resp_fill(void)
{
    pr[0] = (msg_produce_resp_partition){ 0, 0, 100, 1700000000000, 5 };
    pr[1] = (msg_produce_resp_partition){ 3, 6, -1, 42, 43 };
    rt_topics[0] = (msg_produce_resp_topic){ S("alpha"), pr, 2 };
    return (msg_produce_resp){ rt_topics, 1, 7 };
}

/* ProduceResponse.json. */
static void resp_ref(bb *b, int16_t v)
{
    bb_arr(b, false, 1);
    bb_str(b, false, "alpha");
    bb_arr(b, false, 2);
    bb_i32(b, 0), bb_i16(b, 0), bb_i64(b, 100);
    if (v >= 2)
        bb_i64(b, 1700000000000);
    if (v >= 5)
        bb_i64(b, 5);
    bb_i32(b, 3), bb_i16(b, 6), bb_i64(b, -1);
    if (v >= 2)
        bb_i64(b, 42);
    if (v >= 5)
        bb_i64(b, 43);
    if (v >= 1)
        bb_i32(b, 7);
}

Test(msg_produce, response_every_version)
{
    for (int16_t v = MSG_PRODUCE_VMIN; v <= MSG_PRODUCE_VMAX; v++) {
        msg_produce_resp in = resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        resp_ref(&ref, v);
        rt_check(&t, &msg_produce_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.responses_count, 1);
        assert_str(out.responses[0].name, "alpha", "topic");
        cr_assert_eq(out.responses[0].partition_responses_count, 2);
        const msg_produce_resp_partition *p = out.responses[0].partition_responses;
        cr_assert_eq(p[0].index, 0);
        cr_assert_eq(p[0].error_code, 0);
        cr_assert_eq(p[0].base_offset, 100);
        cr_assert_eq(p[0].log_append_time_ms, v >= 2 ? 1700000000000 : -1);
        cr_assert_eq(p[0].log_start_offset, v >= 5 ? 5 : -1);
        cr_assert_eq(p[1].index, 3);
        cr_assert_eq(p[1].error_code, 6);
        cr_assert_eq(p[1].base_offset, -1);
        cr_assert_eq(p[1].log_append_time_ms, v >= 2 ? 42 : -1);
        cr_assert_eq(p[1].log_start_offset, v >= 5 ? 43 : -1);
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 7 : 0);
        rt_done(&t);
    }
}

/* Hand-checked: a Produce v3 request with no transactional id, acks=1,
 * timeout 1000 ms, topic "t", partition 0, records "xy". */
Test(msg_produce, request_v3_bytes)
{
    static const uint8_t want[] = {
        0xff, 0xff,             /* transactional_id null */
        0x00, 0x01,             /* acks 1 */
        0x00, 0x00, 0x03, 0xe8, /* timeout_ms 1000 */
        0x00, 0x00, 0x00, 0x01, /* [ */
        0x00, 0x01, 't',        /*   "t" */
        0x00, 0x00, 0x00, 0x01, /*   [ */
        0x00, 0x00, 0x00, 0x00, /*     partition 0 */
        0x00, 0x00, 0x00, 0x02, 'x', 'y',
    };
    msg_produce_req_partition p = { 0, S("xy") };
    msg_produce_req_topic tp = { S("t"), &p, 1 };
    msg_produce_req in = { SL_BYTES_NULL, 1, 1000, &tp, 1 };
    kbuf_wr w;

    kbuf_wr_init(&w, 0);
    msg_produce_req_encode(&w, 3, &in);
    cr_assert(bytes_same(w.p, w.len, want, sizeof want));
    kbuf_wr_free(&w);
}
