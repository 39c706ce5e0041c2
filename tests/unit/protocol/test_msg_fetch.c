/*
 * test_msg_fetch.c - Fetch v4-13 request and response bodies:
 * schema-reference bytes, round trip, defaults of absent fields and every
 * truncation, for each version; records never null; zero-copy splicing;
 * tagged fields in flexible responses are skipped.
 */
#include "test_msg_common.h"

CODEC(msg_fetch_req);

/* The response encoder takes a splice callback; the generic harness runs
 * it without one (records inline). */
static sl_err fetch_resp_dec(kbuf_rd *r, int16_t v, sl_arena *a, void *out)
{
    return msg_fetch_resp_decode(r, v, a, out);
}
static void fetch_resp_enc(kbuf_wr *w, int16_t v, const void *in)
{
    msg_fetch_resp_encode(w, v, in, NULL, NULL);
}
static const codec fetch_resp_codec = { "msg_fetch_resp", sizeof(msg_fetch_resp), fetch_resp_dec,
                                        fetch_resp_enc };

/* --- request ----------------------------------------------------------- */

static msg_fetch_req_partition rp_alpha[2], rp_beta[1];
static msg_fetch_req_topic rtopics[2];
static int32_t forgot_parts[] = { 5, 6 };
static msg_fetch_req_forgotten_topic forgot[1];

static msg_fetch_req req_fill(void)
{
    rp_alpha[0] = (msg_fetch_req_partition){ 0, 4, 100, 3, 10, 1048576 };
    rp_alpha[1] = (msg_fetch_req_partition){ 1, 5, 200, 4, 20, 65536 };
    rp_beta[0] = (msg_fetch_req_partition){ 2, 6, 300, 5, 30, 4096 };
    rtopics[0] = (msg_fetch_req_topic){ .topic = S("alpha"), .partitions = rp_alpha,
                                        .partitions_count = 2 };
    memcpy(rtopics[0].topic_id, UUID_A, 16);
    rtopics[1] = (msg_fetch_req_topic){ .topic = S("beta"), .partitions = rp_beta,
                                        .partitions_count = 1 };
    memcpy(rtopics[1].topic_id, UUID_B, 16);
    forgot[0] = (msg_fetch_req_forgotten_topic){ .topic = S("gamma"), .partitions = forgot_parts,
                                                 .partitions_count = 2 };
    memcpy(forgot[0].topic_id, UUID_B, 16);
    return (msg_fetch_req){ .replica_id = -1,
                            .max_wait_ms = 500,
                            .min_bytes = 1,
                            .max_bytes = 52428800,
                            .isolation_level = 1,
                            .session_id = 77,
                            .session_epoch = 3,
                            .topics = rtopics,
                            .topics_count = 2,
                            .forgotten_topics_data = forgot,
                            .forgotten_topics_data_count = 1,
                            .rack_id = S("rack-1") };
}

static void ref_req_partition(bb *b, int16_t v, const msg_fetch_req_partition *p)
{
    bool f = v >= 12;

    bb_i32(b, p->partition);
    if (v >= 9)
        bb_i32(b, p->current_leader_epoch);
    bb_i64(b, p->fetch_offset);
    if (v >= 12)
        bb_i32(b, p->last_fetched_epoch);
    if (v >= 5)
        bb_i64(b, p->log_start_offset);
    bb_i32(b, p->partition_max_bytes);
    bb_tags(b, f);
}

/* FetchRequest.json, field by field. */
static void req_ref(bb *b, int16_t v)
{
    bool f = v >= 12;

    bb_i32(b, -1), bb_i32(b, 500), bb_i32(b, 1);
    if (v >= 3)
        bb_i32(b, 52428800);
    if (v >= 4)
        bb_i8(b, 1);
    if (v >= 7)
        bb_i32(b, 77), bb_i32(b, 3);
    bb_arr(b, f, 2);
    if (v >= 13)
        bb_uuid(b, UUID_A);
    else
        bb_str(b, f, "alpha");
    bb_arr(b, f, 2);
    ref_req_partition(b, v, &rp_alpha[0]);
    ref_req_partition(b, v, &rp_alpha[1]);
    bb_tags(b, f);
    if (v >= 13)
        bb_uuid(b, UUID_B);
    else
        bb_str(b, f, "beta");
    bb_arr(b, f, 1);
    ref_req_partition(b, v, &rp_beta[0]);
    bb_tags(b, f);
    if (v >= 7) {
        bb_arr(b, f, 1);
        if (v >= 13)
            bb_uuid(b, UUID_B);
        else
            bb_str(b, f, "gamma");
        bb_arr(b, f, 2), bb_i32(b, 5), bb_i32(b, 6);
        bb_tags(b, f);
    }
    if (v >= 11)
        bb_str(b, f, "rack-1");
    bb_tags(b, f);
}

static void assert_req_partition(int16_t v, const msg_fetch_req_partition *got,
                                 const msg_fetch_req_partition *want)
{
    cr_assert_eq(got->partition, want->partition);
    cr_assert_eq(got->current_leader_epoch, v >= 9 ? want->current_leader_epoch : -1);
    cr_assert_eq(got->fetch_offset, want->fetch_offset);
    cr_assert_eq(got->last_fetched_epoch, v >= 12 ? want->last_fetched_epoch : -1);
    cr_assert_eq(got->log_start_offset, v >= 5 ? want->log_start_offset : -1);
    cr_assert_eq(got->partition_max_bytes, want->partition_max_bytes);
}

Test(msg_fetch, request_every_version)
{
    for (int16_t v = MSG_FETCH_VMIN; v <= MSG_FETCH_VMAX; v++) {
        msg_fetch_req in = req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        req_ref(&ref, v);
        rt_check(&t, &msg_fetch_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.replica_id, -1);
        cr_assert_eq(out.max_wait_ms, 500);
        cr_assert_eq(out.min_bytes, 1);
        cr_assert_eq(out.max_bytes, 52428800);
        cr_assert_eq(out.isolation_level, 1);
        cr_assert_eq(out.session_id, v >= 7 ? 77 : 0);
        cr_assert_eq(out.session_epoch, v >= 7 ? 3 : -1);
        cr_assert_eq(out.topics_count, 2);
        if (v >= 13) {
            cr_assert(out.topics[0].topic.null);
            assert_uuid(out.topics[0].topic_id, UUID_A, "topic 0");
            assert_uuid(out.topics[1].topic_id, UUID_B, "topic 1");
        } else {
            assert_str(out.topics[0].topic, "alpha", "topic 0");
            assert_str(out.topics[1].topic, "beta", "topic 1");
            assert_uuid(out.topics[0].topic_id, UUID_ZERO, "topic 0 id");
        }
        cr_assert_eq(out.topics[0].partitions_count, 2);
        assert_req_partition(v, &out.topics[0].partitions[0], &rp_alpha[0]);
        assert_req_partition(v, &out.topics[0].partitions[1], &rp_alpha[1]);
        cr_assert_eq(out.topics[1].partitions_count, 1);
        assert_req_partition(v, &out.topics[1].partitions[0], &rp_beta[0]);
        if (v >= 7) {
            cr_assert_eq(out.forgotten_topics_data_count, 1);
            if (v >= 13)
                assert_uuid(out.forgotten_topics_data[0].topic_id, UUID_B, "forgotten");
            else
                assert_str(out.forgotten_topics_data[0].topic, "gamma", "forgotten");
            cr_assert_eq(out.forgotten_topics_data[0].partitions_count, 2);
            cr_assert_eq(out.forgotten_topics_data[0].partitions[0], 5);
            cr_assert_eq(out.forgotten_topics_data[0].partitions[1], 6);
        } else {
            cr_assert_eq(out.forgotten_topics_data_count, 0);
        }
        assert_str(out.rack_id, v >= 11 ? "rack-1" : "", "rack_id");
        rt_done(&t);
    }
}

/* librdkafka 2.0.2 at v11: consumer, no session, one partition. */
Test(msg_fetch, request_v11_bytes)
{
    static const uint8_t want[] = {
        0xff, 0xff, 0xff, 0xff,                         /* replica_id -1 */
        0x00, 0x00, 0x01, 0xf4,                         /* max_wait_ms 500 */
        0x00, 0x00, 0x00, 0x01,                         /* min_bytes 1 */
        0x03, 0x20, 0x00, 0x00,                         /* max_bytes 52428800 */
        0x00,                                           /* read_uncommitted */
        0x00, 0x00, 0x00, 0x00,                         /* session_id 0 */
        0xff, 0xff, 0xff, 0xff,                         /* session_epoch -1 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',        /* [ "t" */
        0x00, 0x00, 0x00, 0x01,                         /*   [ */
        0x00, 0x00, 0x00, 0x00,                         /*     partition 0 */
        0xff, 0xff, 0xff, 0xff,                         /*     current_leader_epoch -1 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, /*     fetch_offset 42 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /*     log_start_offset -1 */
        0x00, 0x10, 0x00, 0x00,                         /*     max 1 MiB ] ] */
        0x00, 0x00, 0x00, 0x00,                         /* forgotten [] */
        0x00, 0x00,                                     /* rack_id "" */
    };
    msg_fetch_req_partition p = { 0, -1, 42, -1, -1, 1048576 };
    msg_fetch_req_topic tp = { .topic = S("t"), .partitions = &p, .partitions_count = 1 };
    msg_fetch_req in = { .replica_id = -1, .max_wait_ms = 500, .min_bytes = 1,
                         .max_bytes = 52428800, .session_epoch = -1, .topics = &tp,
                         .topics_count = 1, .rack_id = SL_BYTES_NULL };
    kbuf_wr w;

    kbuf_wr_init(&w, 0);
    msg_fetch_req_encode(&w, 11, &in);
    cr_assert(bytes_same(w.p, w.len, want, sizeof want));
    kbuf_wr_free(&w);
}

/* --- response ---------------------------------------------------------- */

static const uint8_t recs[] = { 'R', 'E', 'C', 'O', 'R', 'D', 'S' };
static msg_fetch_resp_aborted_transaction aborted[2] = { { 7, 500 }, { 8, 600 } };
static msg_fetch_resp_partition fparts[2];
static msg_fetch_resp_topic ftopics[1];

static msg_fetch_resp resp_fill(void)
{
    fparts[0] = (msg_fetch_resp_partition){ .partition_index = 0,
                                            .error_code = 0,
                                            .high_watermark = 1000,
                                            .last_stable_offset = 990,
                                            .log_start_offset = 10,
                                            .aborted_transactions = aborted,
                                            .aborted_transactions_count = 2,
                                            .preferred_read_replica = 2,
                                            .records = sl_bytes_make(recs, sizeof recs),
                                            .records_external_len = MSG_FETCH_RECORDS_INLINE };
    /* A null record set must go out as empty, never null. */
    fparts[1] = (msg_fetch_resp_partition){ .partition_index = 1,
                                            .error_code = 1,
                                            .high_watermark = 5,
                                            .last_stable_offset = 4,
                                            .log_start_offset = 3,
                                            .aborted_transactions_count = -1,
                                            .preferred_read_replica = 3,
                                            .records = SL_BYTES_NULL,
                                            .records_external_len = MSG_FETCH_RECORDS_INLINE };
    ftopics[0] = (msg_fetch_resp_topic){ .topic = S("alpha"), .partitions = fparts,
                                         .partitions_count = 2 };
    memcpy(ftopics[0].topic_id, UUID_A, 16);
    return (msg_fetch_resp){ .throttle_time_ms = 11,
                             .error_code = 5,
                             .session_id = 99,
                             .responses = ftopics,
                             .responses_count = 1 };
}

/* FetchResponse.json, field by field. */
static void resp_ref(bb *b, int16_t v)
{
    bool f = v >= 12;

    if (v >= 1)
        bb_i32(b, 11);
    if (v >= 7)
        bb_i16(b, 5), bb_i32(b, 99);
    bb_arr(b, f, 1);
    if (v >= 13)
        bb_uuid(b, UUID_A);
    else
        bb_str(b, f, "alpha");
    bb_arr(b, f, 2);
    bb_i32(b, 0), bb_i16(b, 0), bb_i64(b, 1000);
    if (v >= 4)
        bb_i64(b, 990);
    if (v >= 5)
        bb_i64(b, 10);
    if (v >= 4) {
        bb_arr(b, f, 2);
        bb_i64(b, 7), bb_i64(b, 500), bb_tags(b, f);
        bb_i64(b, 8), bb_i64(b, 600), bb_tags(b, f);
    }
    if (v >= 11)
        bb_i32(b, 2);
    bb_bytes(b, f, recs, sizeof recs, false);
    bb_tags(b, f);
    bb_i32(b, 1), bb_i16(b, 1), bb_i64(b, 5);
    if (v >= 4)
        bb_i64(b, 4);
    if (v >= 5)
        bb_i64(b, 3);
    if (v >= 4)
        bb_arr(b, f, -1);
    if (v >= 11)
        bb_i32(b, 3);
    bb_bytes(b, f, NULL, 0, false);
    bb_tags(b, f);
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_fetch, response_every_version)
{
    for (int16_t v = MSG_FETCH_VMIN; v <= MSG_FETCH_VMAX; v++) {
        msg_fetch_resp in = resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        resp_ref(&ref, v);
        rt_check(&t, &fetch_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 11);
        cr_assert_eq(out.error_code, v >= 7 ? 5 : 0);
        cr_assert_eq(out.session_id, v >= 7 ? 99 : 0);
        cr_assert_eq(out.responses_count, 1);
        if (v >= 13) {
            assert_uuid(out.responses[0].topic_id, UUID_A, "topic id");
            cr_assert(out.responses[0].topic.null);
        } else {
            assert_str(out.responses[0].topic, "alpha", "topic");
            assert_uuid(out.responses[0].topic_id, UUID_ZERO, "topic id");
        }
        cr_assert_eq(out.responses[0].partitions_count, 2);
        const msg_fetch_resp_partition *p0 = &out.responses[0].partitions[0];
        const msg_fetch_resp_partition *p1 = &out.responses[0].partitions[1];
        cr_assert_eq(p0->partition_index, 0);
        cr_assert_eq(p0->error_code, 0);
        cr_assert_eq(p0->high_watermark, 1000);
        cr_assert_eq(p0->last_stable_offset, 990);
        cr_assert_eq(p0->log_start_offset, v >= 5 ? 10 : -1);
        cr_assert_eq(p0->aborted_transactions_count, 2);
        cr_assert_eq(p0->aborted_transactions[0].producer_id, 7);
        cr_assert_eq(p0->aborted_transactions[0].first_offset, 500);
        cr_assert_eq(p0->aborted_transactions[1].producer_id, 8);
        cr_assert_eq(p0->aborted_transactions[1].first_offset, 600);
        cr_assert_eq(p0->preferred_read_replica, v >= 11 ? 2 : -1);
        assert_bytes(p0->records, sl_bytes_make(recs, sizeof recs), "records");
        cr_assert_eq(p0->records_external_len, MSG_FETCH_RECORDS_INLINE);
        cr_assert_eq(p1->partition_index, 1);
        cr_assert_eq(p1->error_code, 1);
        cr_assert_eq(p1->high_watermark, 5);
        cr_assert_eq(p1->last_stable_offset, 4);
        cr_assert_eq(p1->log_start_offset, v >= 5 ? 3 : -1);
        cr_assert_eq(p1->aborted_transactions_count, -1);
        cr_assert_null(p1->aborted_transactions);
        cr_assert_eq(p1->preferred_read_replica, v >= 11 ? 3 : -1);
        cr_assert(!p1->records.null, "records must never be null on the wire");
        cr_assert_eq(p1->records.n, 0);
        rt_done(&t);
    }
}

/* --- zero copy --------------------------------------------------------- */

typedef struct splice_log {
    size_t off[4];
    const msg_fetch_resp_partition *p[4];
    int n;
} splice_log;

static void on_splice(void *ctx, size_t out_offset, const msg_fetch_resp_partition *p)
{
    splice_log *l = ctx;

    cr_assert_lt(l->n, 4);
    l->off[l->n] = out_offset;
    l->p[l->n] = p;
    l->n++;
}

Test(msg_fetch, response_external_records_are_spliced)
{
    static const uint8_t file_a[] = { 'f', 'i', 'l', 'e', 'A' };
    static const uint8_t file_b[] = { 'B', 'B', 'B' };

    for (int16_t v = MSG_FETCH_VMIN; v <= MSG_FETCH_VMAX; v++) {
        bool f = v >= 12;
        msg_fetch_resp_partition ps[3] = {
            { .partition_index = 0, .aborted_transactions_count = -1,
              .records = SL_BYTES_NULL, .records_external_len = sizeof file_a },
            { .partition_index = 1, .aborted_transactions_count = -1,
              .records = S("inline"), .records_external_len = MSG_FETCH_RECORDS_INLINE },
            { .partition_index = 2, .aborted_transactions_count = -1,
              /* external wins over the inline bytes */
              .records = S("ignored"), .records_external_len = sizeof file_b },
        };
        msg_fetch_resp_topic tp = { .topic = S("t"), .partitions = ps, .partitions_count = 3 };
        msg_fetch_resp in = { .responses = &tp, .responses_count = 1 }, out;
        splice_log log = { .n = 0 };
        uint8_t *wire;
        size_t wire_len, pos = 0, from = 0;
        sl_arena a;
        kbuf_wr w;
        kbuf_rd r;

        kbuf_wr_init(&w, 0);
        kbuf_put_i32(&w, 0x5a5a5a5a); /* something already in the writer */
        msg_fetch_resp_encode(&w, v, &in, on_splice, &log);
        cr_assert_eq(w.err, SL_OK);
        cr_assert_eq(log.n, 2, "v%d: one call per external partition", v);
        cr_assert_eq(log.p[0], &ps[0]);
        cr_assert_eq(log.p[1], &ps[2]);
        cr_assert(log.off[0] < log.off[1] && log.off[1] <= w.len);
        /* The length prefix sits right before each offset. */
        if (f) {
            cr_assert_eq(w.p[log.off[0] - 1], sizeof file_a + 1);
            cr_assert_eq(w.p[log.off[1] - 1], sizeof file_b + 1);
        } else {
            cr_assert_eq(sl_be32(w.p + log.off[0] - 4), sizeof file_a);
            cr_assert_eq(sl_be32(w.p + log.off[1] - 4), sizeof file_b);
        }

        /* Assemble what goes on the wire and decode it as a client would. */
        wire_len = w.len + sizeof file_a + sizeof file_b;
        wire = malloc(wire_len);
        for (int i = 0; i < 2; i++) {
            const uint8_t *ext = i == 0 ? file_a : file_b;
            size_t en = i == 0 ? sizeof file_a : sizeof file_b;

            memcpy(wire + pos, w.p + from, log.off[i] - from);
            pos += log.off[i] - from;
            memcpy(wire + pos, ext, en);
            pos += en;
            from = log.off[i];
        }
        memcpy(wire + pos, w.p + from, w.len - from);
        pos += w.len - from;
        cr_assert_eq(pos, wire_len);

        sl_arena_init(&a, 0);
        kbuf_rd_init(&r, wire + 4, wire_len - 4);
        cr_assert_eq(msg_fetch_resp_decode(&r, v, &a, &out), SL_OK, "v%d", v);
        cr_assert_eq(kbuf_remaining(&r), 0);
        cr_assert_eq(out.responses[0].partitions_count, 3);
        assert_bytes(out.responses[0].partitions[0].records,
                     sl_bytes_make(file_a, sizeof file_a), "spliced A");
        assert_bytes(out.responses[0].partitions[1].records, S("inline"), "inline");
        assert_bytes(out.responses[0].partitions[2].records,
                     sl_bytes_make(file_b, sizeof file_b), "spliced B");
        sl_arena_free(&a);
        free(wire);
        kbuf_wr_free(&w);
    }
}

/* Without a callback there is nowhere to send external bytes: write the
 * inline ones, so the frame stays well formed. */
Test(msg_fetch, response_external_without_callback_is_inline)
{
    msg_fetch_resp_partition p = { .aborted_transactions_count = -1, .records = S("xyz"),
                                   .records_external_len = 100 };
    msg_fetch_resp_topic tp = { .topic = S("t"), .partitions = &p, .partitions_count = 1 };
    msg_fetch_resp in = { .responses = &tp, .responses_count = 1 }, out;
    rt t;

    rt_check(&t, &fetch_resp_codec, 11, &in, &out, NULL);
    assert_bytes(out.responses[0].partitions[0].records, S("xyz"), "records");
    rt_done(&t);
}

Test(msg_fetch, response_external_too_long_is_an_error)
{
    msg_fetch_resp_partition p = { .aborted_transactions_count = -1,
                                   .records_external_len = (int64_t)INT32_MAX + 1 };
    msg_fetch_resp_topic tp = { .topic = S("t"), .partitions = &p, .partitions_count = 1 };
    msg_fetch_resp in = { .responses = &tp, .responses_count = 1 };
    splice_log log = { .n = 0 };
    kbuf_wr w;

    kbuf_wr_init(&w, 0);
    msg_fetch_resp_encode(&w, 11, &in, on_splice, &log);
    cr_assert_eq(w.err, SL_E_RANGE);
    cr_assert_eq(log.n, 0);
    kbuf_wr_free(&w);
}

/* A Kafka broker's flexible Fetch response carries tagged fields we do
 * not implement (diverging_epoch = tag 0, current_leader = tag 1 per
 * partition; node_endpoints at the top in v16+): skip them all. */
Test(msg_fetch, response_v12_skips_tagged_fields)
{
    static const uint8_t body[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x00, 0x00,                                     /* error_code */
        0x00, 0x00, 0x00, 0x07,                         /* session_id 7 */
        0x02, 0x02, 't',                                /* [ "t" */
        0x02,                                           /*   [ */
        0x00, 0x00, 0x00, 0x04,                         /*     partition 4 */
        0x00, 0x00,                                     /*     error_code */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, /*     high_watermark 9 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, /*     last_stable_offset 9 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*     log_start_offset 0 */
        0x00,                                           /*     aborted null */
        0xff, 0xff, 0xff, 0xff,                         /*     preferred -1 */
        0x03, 'a', 'b',                                 /*     records "ab" */
        0x02,                                           /*     two tags: */
        0x00, 0x0d, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0x00, /* diverging */
        0x01, 0x09, 0, 0, 0, 1, 0, 0, 0, 2, 0x00,       /*     current_leader ] */
        0x00,                                           /*   topic tags ] */
        0x01, 0x05, 0x04, 'x', 'y', 'z', 'w',           /* top-level tag 5 */
    };
    msg_fetch_resp out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&fetch_resp_codec, 12, body, sizeof body, &a, &out, &keep), SL_OK);
    cr_assert_eq(out.session_id, 7);
    cr_assert_eq(out.responses_count, 1);
    cr_assert_eq(out.responses[0].partitions_count, 1);
    cr_assert_eq(out.responses[0].partitions[0].partition_index, 4);
    cr_assert_eq(out.responses[0].partitions[0].high_watermark, 9);
    cr_assert_eq(out.responses[0].partitions[0].aborted_transactions_count, -1);
    assert_bytes(out.responses[0].partitions[0].records, S("ab"), "records");
    sl_arena_free(&a);
    free(keep);
    check_truncations(&fetch_resp_codec, 12, body, sizeof body);
}
