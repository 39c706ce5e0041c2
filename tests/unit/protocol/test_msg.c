/*
 * test_msg.c - checks across all the msg_* codecs: hand-checked byte
 * vectors from the Kafka protocol guide, absurd array counts and lengths
 * (refused before any allocation), arena exhaustion, trailing bytes, nulls
 * where the schema has none, and versions outside the implemented ranges.
 * Per-API round trips live in test_msg_<api>.c.
 */
#include "test_msg_common.h"

CODEC(msg_apiversions_req);
CODEC(msg_apiversions_resp);
CODEC(msg_metadata_req);
CODEC(msg_metadata_resp);
CODEC(msg_produce_req);
CODEC(msg_produce_resp);
CODEC(msg_fetch_req);
CODEC(msg_listoffsets_req);
CODEC(msg_listoffsets_resp);

static sl_err fetch_resp_dec(kbuf_rd *r, int16_t v, sl_arena *a, void *out)
{
    return msg_fetch_resp_decode(r, v, a, out);
}
static void fetch_resp_enc(kbuf_wr *w, int16_t v, const void *in)
{
    msg_fetch_resp_encode(w, v, in, NULL, NULL);
}
static const codec msg_fetch_resp_codec = { "msg_fetch_resp", sizeof(msg_fetch_resp),
                                            fetch_resp_dec, fetch_resp_enc };

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

/* --- hand-checked vectors ---------------------------------------------- */

Test(msg_vectors, apiversions_v0_request_is_empty)
{
    msg_apiversions_req in = { S("x"), S("y") }, out;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_apiversions_req_codec, 0, &in, NULL, 0);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_apiversions_req_codec, 0, "", 0, &a, &out, &keep), SL_OK);
    assert_str(out.client_software_name, "", "name");
    free(keep);
    sl_arena_free(&a);
}

Test(msg_vectors, apiversions_v3_request)
{
    /* librdkafka: compact "librdkafka", compact "2.0.2", no tags. */
    static const uint8_t want[] = { 0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a',
                                    0x06, '2', '.', '0', '.', '2', 0x00 };
    msg_apiversions_req in = { S("librdkafka"), S("2.0.2") };

    encode_expect(&msg_apiversions_req_codec, 3, &in, want, sizeof want);
}

Test(msg_vectors, apiversions_v0_unsupported_version_answer)
{
    /* KIP-511: error 35 and the ApiVersions range, in a v0 body. */
    static const uint8_t want[] = { 0x00, 0x23, 0x00, 0x00, 0x00, 0x01,
                                    0x00, 0x12, 0x00, 0x00, 0x00, 0x03 };
    msg_apiversions_resp_key k = { 18, 0, 3 };
    msg_apiversions_resp in = { 35, &k, 1, 0 };

    encode_expect(&msg_apiversions_resp_codec, 0, &in, want, sizeof want);
}

Test(msg_vectors, apiversions_v3_response)
{
    static const uint8_t want[] = {
        0x00, 0x00,                                     /* error_code */
        0x03,                                           /* 2 keys */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x07, 0x00,       /* Produce 3-7 */
        0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,       /* ApiVersions 0-3 */
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x00,                                           /* no tags */
    };
    msg_apiversions_resp_key k[] = { { 0, 3, 7 }, { 18, 0, 3 } };
    msg_apiversions_resp in = { 0, k, 2, 0 };

    encode_expect(&msg_apiversions_resp_codec, 3, &in, want, sizeof want);
}

Test(msg_vectors, metadata_v0_request_one_topic)
{
    static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x61 };
    msg_metadata_req_topic tp = { .name = S("a") };
    msg_metadata_req in = { .topics = &tp, .topics_count = 1 }, out;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_metadata_req_codec, 0, &in, want, sizeof want);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_metadata_req_codec, 0, want, sizeof want, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, 1);
    assert_str(out.topics[0].name, "a", "name");
    free(keep);
    sl_arena_free(&a);
}

Test(msg_vectors, metadata_v4_request_all_topics)
{
    static const uint8_t want[] = { 0xff, 0xff, 0xff, 0xff, 0x01 };
    msg_metadata_req in = { .topics_count = -1, .allow_auto_topic_creation = true };

    encode_expect(&msg_metadata_req_codec, 4, &in, want, sizeof want);
}

Test(msg_vectors, metadata_v9_request_null_topics)
{
    /* null compact array, allow_auto, include_cluster, include_topic, tags */
    static const uint8_t want[] = { 0x00, 0x01, 0x00, 0x00, 0x00 };
    msg_metadata_req in = { .topics_count = -1, .allow_auto_topic_creation = true }, out;
    uint8_t *keep;
    sl_arena a;

    encode_expect(&msg_metadata_req_codec, 9, &in, want, sizeof want);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_metadata_req_codec, 9, want, sizeof want, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, -1);
    cr_assert(out.allow_auto_topic_creation);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_vectors, metadata_v12_request_by_name)
{
    static const uint8_t want[] = {
        0x02,                                           /* 1 topic */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /*   topic_id zero */
        0x02, 'a', 0x00,                                /*   "a", tags */
        0x00,                                           /* allow_auto false */
        0x00,                                           /* include_topic_ops */
        0x00,                                           /* tags */
    };
    msg_metadata_req_topic tp = { .name = S("a") };
    msg_metadata_req in = { .topics = &tp, .topics_count = 1 };

    encode_expect(&msg_metadata_req_codec, 12, &in, want, sizeof want);
}

Test(msg_vectors, metadata_v0_response)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x01,                         /* 1 broker */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'h',        /*   1, "h" */
        0x00, 0x00, 0x23, 0x84,                         /*   9092 */
        0x00, 0x00, 0x00, 0x01,                         /* 1 topic */
        0x00, 0x00, 0x00, 0x01, 't',                    /*   0, "t" */
        0x00, 0x00, 0x00, 0x01,                         /*   1 partition */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /*     0, 0 */
        0x00, 0x00, 0x00, 0x01,                         /*     leader 1 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /*     replicas [1] */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /*     isr [1] */
    };
    int32_t one = 1;
    msg_metadata_resp_partition p = { .leader_id = 1, .replica_nodes = &one,
                                      .replica_nodes_count = 1, .isr_nodes = &one,
                                      .isr_nodes_count = 1 };
    msg_metadata_resp_topic tp = { .name = S("t"), .partitions = &p, .partitions_count = 1 };
    msg_metadata_resp_broker b = { 1, S("h"), 9092, S("ignored in v0") };
    msg_metadata_resp in = { .brokers = &b, .brokers_count = 1, .topics = &tp,
                             .topics_count = 1, .cluster_id = S("ignored") };

    encode_expect(&msg_metadata_resp_codec, 0, &in, want, sizeof want);
}

Test(msg_vectors, fetch_v4_response_empty_records)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',        /* [ "t" */
        0x00, 0x00, 0x00, 0x01,                         /*   [ */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /*     0, no error */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /*     hwm 5 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /*     lso 5 */
        0xff, 0xff, 0xff, 0xff,                         /*     aborted null */
        0x00, 0x00, 0x00, 0x00,                         /*     records: empty, not null ] ] */
    };
    msg_fetch_resp_partition p = { .high_watermark = 5, .last_stable_offset = 5,
                                   .aborted_transactions_count = -1,
                                   .records = SL_BYTES_NULL,
                                   .records_external_len = MSG_FETCH_RECORDS_INLINE };
    msg_fetch_resp_topic tp = { .topic = S("t"), .partitions = &p, .partitions_count = 1 };
    msg_fetch_resp in = { .responses = &tp, .responses_count = 1 };

    encode_expect(&msg_fetch_resp_codec, 4, &in, want, sizeof want);
}

Test(msg_vectors, fetch_v13_request_by_topic_id)
{
    static const uint8_t want[] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x13, 0x88, /* replica -1, wait 5000 */
        0x00, 0x00, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff, /* min 1, max INT32_MAX */
        0x00,                                           /* isolation */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* session 0, epoch 0 */
        0x02,                                           /* [ */
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /*   topic_id */
        0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
        0x02,                                           /*   [ */
        0x00, 0x00, 0x00, 0x02,                         /*     partition 2 */
        0xff, 0xff, 0xff, 0xff,                         /*     current_leader_epoch */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /*     fetch_offset 7 */
        0xff, 0xff, 0xff, 0xff,                         /*     last_fetched_epoch */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /*     log_start_offset */
        0x00, 0x10, 0x00, 0x00,                         /*     partition_max_bytes */
        0x00,                                           /*     tags ] */
        0x00,                                           /*   tags ] */
        0x01,                                           /* forgotten [] */
        0x01,                                           /* rack_id "" */
        0x00,                                           /* tags */
    };
    msg_fetch_req_partition p = { 2, -1, 7, -1, -1, 1048576 };
    msg_fetch_req_topic tp = { .partitions = &p, .partitions_count = 1 };
    msg_fetch_req in = { .replica_id = -1, .max_wait_ms = 5000, .min_bytes = 1,
                         .max_bytes = INT32_MAX, .topics = &tp, .topics_count = 1,
                         .rack_id = S("") };

    memcpy(tp.topic_id, UUID_A, 16);
    encode_expect(&msg_fetch_req_codec, 13, &in, want, sizeof want);
}

/* --- hostile counts and lengths ---------------------------------------- */

typedef struct absurd {
    const codec *c;
    int16_t v;
    uint8_t bytes[48];
    size_t n; /* bytes up to and including the absurd count */
} absurd;

/* Each entry leads to the message's first array with a huge count. */
static const absurd absurd_cases[] = {
    { &msg_apiversions_resp_codec, 0, { 0, 0, 0x7f, 0xff, 0xff, 0xff }, 6 },
    { &msg_apiversions_resp_codec, 3, { 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 }, 7 },
    { &msg_metadata_req_codec, 0, { 0x7f, 0xff, 0xff, 0xff }, 4 },
    { &msg_metadata_req_codec, 9, { 0x80, 0x80, 0x80, 0x80, 0x08 }, 5 },
    { &msg_metadata_req_codec, 12, { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5 },
    { &msg_metadata_resp_codec, 0, { 0x7f, 0xff, 0xff, 0xff }, 4 },
    { &msg_metadata_resp_codec, 12, { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 }, 9 },
    { &msg_produce_req_codec, 3, { 0xff, 0xff, 0, 1, 0, 0, 3, 0xe8, 0x7f, 0xff, 0xff, 0xff }, 12 },
    { &msg_produce_resp_codec, 7, { 0x7f, 0xff, 0xff, 0xff }, 4 },
    { &msg_fetch_req_codec, 4, { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0,
                                 0x7f, 0xff, 0xff, 0xff }, 21 },
    { &msg_fetch_req_codec, 13, { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0,
                                  0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 }, 30 },
    { &msg_fetch_resp_codec, 4, { 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff }, 8 },
    { &msg_fetch_resp_codec, 12, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 },
      15 },
    { &msg_listoffsets_req_codec, 1, { 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff }, 8 },
    { &msg_listoffsets_resp_codec, 1, { 0x7f, 0xff, 0xff, 0xff }, 4 },
    /* Below any hard cap: only the minimum element size refuses these. */
    { &msg_metadata_resp_codec, 0, { 0x00, 0x0f, 0x42, 0x40 }, 4 },
    { &msg_fetch_resp_codec, 13, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc1, 0x84, 0x3d }, 13 },
    { &msg_produce_req_codec, 3, { 0xff, 0xff, 0, 1, 0, 0, 3, 0xe8, 0x00, 0x00, 0x04, 0x00 }, 12 },
};

Test(msg_hostile, absurd_top_level_counts_fail_before_allocating)
{
    for (size_t i = 0; i < sizeof absurd_cases / sizeof absurd_cases[0]; i++) {
        const absurd *x = &absurd_cases[i];
        uint8_t buf[4096];
        void *out = malloc(x->c->size);
        uint8_t *keep;
        sl_arena a;

        /* Plenty of bytes after the count, but nowhere near enough. */
        memset(buf, 0, sizeof buf);
        memcpy(buf, x->bytes, x->n);
        sl_arena_init(&a, 0); /* no limit: only the codec's checks stand */
        cr_assert_eq(decode_bytes(x->c, x->v, buf, sizeof buf, &a, out, &keep), SL_E_MALFORMED,
                     "%s v%d", x->c->name, x->v);
        cr_assert_eq(a.used_total, 0, "%s v%d allocated %zu bytes", x->c->name, x->v,
                     a.used_total);
        sl_arena_free(&a);
        free(keep);
        free(out);
    }
}

/* Counts below every hard cap (40000, or 20000 for []int32) that 64 KiB
 * could hold at one byte per element but not at the schema's minimum
 * element size: only that minimum can refuse them before the array is
 * allocated.  max_used bounds what the arena may hold at failure: nothing
 * when the array comes first, one small outer element when it is nested. */
typedef struct plausible {
    const codec *c;
    int16_t v;
    uint8_t bytes[48];
    size_t n;
    size_t max_used;
} plausible;

#define C40K 0x00, 0x00, 0x9c, 0x40
#define C20K 0x00, 0x00, 0x4e, 0x20
#define U40K 0xc1, 0xb8, 0x02
#define FETCH_FIXED 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0

static const plausible plausible_cases[] = {
    { &msg_apiversions_resp_codec, 0, { 0, 0, C40K }, 6, 0 },
    { &msg_apiversions_resp_codec, 3, { 0, 0, U40K }, 5, 0 },
    { &msg_metadata_req_codec, 1, { C40K }, 4, 0 },
    { &msg_metadata_req_codec, 9, { U40K }, 3, 0 },
    { &msg_metadata_req_codec, 10, { U40K }, 3, 0 },
    { &msg_metadata_resp_codec, 0, { C40K }, 4, 0 },
    { &msg_metadata_resp_codec, 9, { 0, 0, 0, 0, U40K }, 7, 0 },
    { &msg_metadata_resp_codec, 9, { 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 1, U40K }, 13, 0 },
    { &msg_produce_req_codec, 3, { 0xff, 0xff, 0, 1, 0, 0, 3, 0xe8, C40K }, 12, 0 },
    { &msg_produce_resp_codec, 3, { C40K }, 4, 0 },
    { &msg_fetch_req_codec, 4, { FETCH_FIXED, C40K }, 21, 0 },
    { &msg_fetch_req_codec, 13, { FETCH_FIXED, 0, 0, 0, 0, 0, 0, 0, 0, U40K }, 28, 0 },
    { &msg_fetch_resp_codec, 4, { 0, 0, 0, 0, C40K }, 8, 0 },
    { &msg_fetch_resp_codec, 13, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, U40K }, 13, 0 },
    { &msg_listoffsets_req_codec, 1, { 0xff, 0xff, 0xff, 0xff, C40K }, 8, 0 },
    { &msg_listoffsets_resp_codec, 2, { 0, 0, 0, 0, C40K }, 8, 0 },
    /* nested */
    { &msg_metadata_resp_codec, 0,
      { 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 'h', 0, 0, 0x23, 0x84, /* [ {1, "h", 9092} ] */
        0, 0, 0, 1, 0, 0, 0, 1, 't', 0, 0, 0, 1,              /* [ {0, "t", [ */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 1, C20K },                 /*   {0, 0, 1, [20000 */
      42, 4096 },
    { &msg_fetch_req_codec, 4, { FETCH_FIXED, 0, 0, 0, 1, 0, 1, 't', C40K }, 28, 4096 },
    { &msg_fetch_req_codec, 7,
      { FETCH_FIXED, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'f', C20K }, 40, 4096 },
    { &msg_fetch_resp_codec, 12, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x02, 't', U40K }, 16,
      4096 },
    { &msg_fetch_resp_codec, 4,
      { 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1,       /* [ "t" [ */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0, 0, 0, 0 */
        C40K },                                               /* aborted */
      41, 4096 },
    { &msg_listoffsets_req_codec, 1, { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 1, 't', C40K }, 15,
      4096 },
    { &msg_produce_req_codec, 3,
      { 0xff, 0xff, 0, 1, 0, 0, 3, 0xe8, 0, 0, 0, 1, 0, 1, 't', C40K }, 19, 4096 },
    { &msg_produce_resp_codec, 3, { 0, 0, 0, 1, 0, 1, 't', C40K }, 11, 4096 },
    { &msg_listoffsets_resp_codec, 4, { 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't', C40K }, 15, 4096 },
};

Test(msg_hostile, plausible_counts_need_the_minimum_element_size)
{
    enum { BUF = 64 * 1024 };
    uint8_t *buf = calloc(1, BUF);

    for (size_t i = 0; i < sizeof plausible_cases / sizeof plausible_cases[0]; i++) {
        const plausible *x = &plausible_cases[i];
        void *out = malloc(x->c->size);
        uint8_t *keep;
        sl_arena a;

        memset(buf, 0, BUF);
        memcpy(buf, x->bytes, x->n);
        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(x->c, x->v, buf, BUF, &a, out, &keep), SL_E_MALFORMED,
                     "case %zu: %s v%d", i, x->c->name, x->v);
        cr_assert_leq(a.used_total, x->max_used, "case %zu: %s v%d allocated %zu bytes", i,
                      x->c->name, x->v, a.used_total);
        sl_arena_free(&a);
        free(keep);
        free(out);
    }
    free(buf);
}

/* A count that fits in the remaining bytes only if elements were smaller
 * than the schema allows. */
Test(msg_hostile, counts_checked_against_minimum_element_size)
{
    /* ListOffsets v4 partitions are >= 16 bytes: 2 of them need 32. */
    static const uint8_t body[] = {
        0xff, 0xff, 0xff, 0xff, 0x00,           /* replica, isolation */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', /* [ "t" */
        0x00, 0x00, 0x00, 0x02,                 /*   2 partitions ... */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    msg_listoffsets_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_listoffsets_req_codec, 4, body, sizeof body, &a, &out, &keep),
                 SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_hostile, absurd_nested_count_fails_fast)
{
    /* Metadata v0 response: one broker, one topic, one partition whose
     * replica_nodes claims 2^31-1 entries. */
    static const uint8_t head[] = {
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'h', 0x00, 0x00, 0x23, 0x84,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 't', 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x7f, 0xff, 0xff, 0xff,
    };
    uint8_t buf[1024] = { 0 };
    msg_metadata_resp out;
    uint8_t *keep;
    sl_arena a;

    memcpy(buf, head, sizeof head);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_metadata_resp_codec, 0, buf, sizeof buf, &a, &out, &keep),
                 SL_E_MALFORMED);
    cr_assert_lt(a.used_total, 1024, "allocated %zu", a.used_total);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_hostile, absurd_string_and_bytes_lengths)
{
    /* ApiVersions v3: compact string of 2^31 bytes. */
    static const uint8_t s[] = { 0x80, 0x80, 0x80, 0x80, 0x08, 'x' };
    /* Produce v3: records claims 2^31-1 bytes. */
    static const uint8_t p[] = { 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't',
                                 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0 };
    /* Produce v3: records length -2. */
    static const uint8_t n[] = { 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't',
                                 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe, 0 };
    static const uint8_t overlong[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    msg_apiversions_req ar;
    msg_produce_req pr;
    msg_fetch_resp fr;
    bb o = { .n = 0 };
    uint8_t *keep;
    sl_arena a;

    /* Fetch v12 response whose records length is an overlong uvarint. */
    bb_i32(&o, 0), bb_i16(&o, 0), bb_i32(&o, 0);
    bb_arr(&o, true, 1), bb_str(&o, true, "t"), bb_arr(&o, true, 1);
    bb_i32(&o, 0), bb_i16(&o, 0), bb_i64(&o, 0), bb_i64(&o, 0), bb_i64(&o, 0);
    bb_arr(&o, true, -1), bb_i32(&o, -1);
    bb_raw(&o, overlong, sizeof overlong);
    bb_u8(&o, 0);

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_apiversions_req_codec, 3, s, sizeof s, &a, &ar, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_produce_req_codec, 3, p, sizeof p, &a, &pr, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_produce_req_codec, 3, n, sizeof n, &a, &pr, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_fetch_resp_codec, 12, o.p, o.n, &a, &fr, &keep),
                 SL_E_MALFORMED);
    free(keep);
    /* The same with a well-formed length decodes (the test can fail). */
    o.n -= sizeof overlong + 1;
    bb_uvar(&o, 3), bb_raw(&o, "ab", 2), bb_u8(&o, 0), bb_u8(&o, 0), bb_u8(&o, 0);
    cr_assert_eq(decode_bytes(&msg_fetch_resp_codec, 12, o.p, o.n, &a, &fr, &keep), SL_OK);
    assert_bytes(fr.responses[0].partitions[0].records, S("ab"), "records");
    free(keep);
    sl_arena_free(&a);
}

Test(msg_hostile, null_where_schema_has_none)
{
    /* Produce topic_data null; Fetch v12 topics null (compact 0);
     * ListOffsets topic name null; ApiVersions v3 client name null. */
    static const uint8_t p[] = { 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t f[] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0,
                                 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x01, 0x00 };
    static const uint8_t l[] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0 };
    static const uint8_t v[] = { 0x00, 0x01, 0x00 };
    msg_produce_req pr;
    msg_fetch_req fr;
    msg_listoffsets_req lr;
    msg_apiversions_req ar;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_produce_req_codec, 3, p, sizeof p, &a, &pr, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_fetch_req_codec, 12, f, sizeof f, &a, &fr, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_listoffsets_req_codec, 1, l, sizeof l, &a, &lr, &keep),
                 SL_E_MALFORMED);
    free(keep);
    cr_assert_eq(decode_bytes(&msg_apiversions_req_codec, 3, v, sizeof v, &a, &ar, &keep),
                 SL_E_MALFORMED);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_hostile, arena_limit_gives_nomem)
{
    /* 100 topics of ListOffsets v1, each with one partition. */
    uint8_t buf[8 + 100 * (3 + 4 + 12)];
    size_t n = 0;
    msg_listoffsets_req out;
    uint8_t *keep;
    sl_arena a;

    memset(buf, 0, sizeof buf);
    sl_put_be32(buf, (uint32_t)-1), n = 4;
    sl_put_be32(buf + n, 100), n += 4;
    for (int i = 0; i < 100; i++) {
        buf[n + 1] = 1, buf[n + 2] = 'x', n += 3;
        sl_put_be32(buf + n, 1), n += 4;
        n += 12;
    }
    cr_assert_eq(n, sizeof buf);
    sl_arena_init(&a, 256);
    cr_assert_eq(decode_bytes(&msg_listoffsets_req_codec, 1, buf, n, &a, &out, &keep),
                 SL_E_NOMEM);
    cr_assert_leq(a.used_total, 256);
    free(keep);
    sl_arena_free(&a);
    /* And with room it decodes. */
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_listoffsets_req_codec, 1, buf, n, &a, &out, &keep), SL_OK);
    cr_assert_eq(out.topics_count, 100);
    free(keep);
    sl_arena_free(&a);
}

/* --- tolerance and version bounds -------------------------------------- */

Test(msg_misc, trailing_bytes_are_ignored)
{
    /* Metadata v9 all-topics request, then a stray byte (librdkafka 2.0.2
     * sends one after some flexible bodies). */
    static const uint8_t body[] = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 };
    msg_metadata_req out;
    uint8_t *keep;
    sl_arena a;
    kbuf_rd r;

    sl_arena_init(&a, 0);
    keep = dup_exact(body, sizeof body);
    kbuf_rd_init(&r, keep, sizeof body);
    cr_assert_eq(msg_metadata_req_decode(&r, 9, &a, &out), SL_OK);
    cr_assert_eq(kbuf_remaining(&r), 1);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_misc, unknown_tags_in_requests_are_skipped)
{
    /* Fetch v12 request with cluster_id (tag 0) at the top level and an
     * unknown tag on a partition. */
    static const uint8_t body[] = {
        0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, /* fixed */
        0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,                         /* session */
        0x02, 0x02, 't', 0x02,                                      /* [ "t" [ */
        0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 9, /* 3, -1, 9 */
        0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, /* -1, 0, 256 */
        0x01, 0x63, 0x02, 0xaa, 0xbb,                               /* tag 99 ] */
        0x00,                                                       /* ] */
        0x01, 0x01,                                                 /* [], "" */
        0x01, 0x00, 0x03, 0x02, 'c', 'x',                           /* cluster_id */
    };
    msg_fetch_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_fetch_req_codec, 12, body, sizeof body, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, 1);
    cr_assert_eq(out.topics[0].partitions[0].partition, 3);
    cr_assert_eq(out.topics[0].partitions[0].fetch_offset, 9);
    cr_assert_eq(out.topics[0].partitions[0].partition_max_bytes, 256);
    free(keep);
    sl_arena_free(&a);
    check_truncations(&msg_fetch_req_codec, 12, body, sizeof body);
}

typedef struct range {
    const codec *c;
    int16_t lo, hi;
} range;

Test(msg_misc, versions_outside_the_range_are_refused)
{
    static const range ranges[] = {
        { &msg_apiversions_req_codec, MSG_APIVERSIONS_VMIN, MSG_APIVERSIONS_VMAX },
        { &msg_apiversions_resp_codec, MSG_APIVERSIONS_VMIN, MSG_APIVERSIONS_VMAX },
        { &msg_metadata_req_codec, MSG_METADATA_VMIN, MSG_METADATA_VMAX },
        { &msg_metadata_resp_codec, MSG_METADATA_VMIN, MSG_METADATA_VMAX },
        { &msg_produce_req_codec, MSG_PRODUCE_VMIN, MSG_PRODUCE_VMAX },
        { &msg_produce_resp_codec, MSG_PRODUCE_VMIN, MSG_PRODUCE_VMAX },
        { &msg_fetch_req_codec, MSG_FETCH_VMIN, MSG_FETCH_VMAX },
        { &msg_fetch_resp_codec, MSG_FETCH_VMIN, MSG_FETCH_VMAX },
        { &msg_listoffsets_req_codec, MSG_LISTOFFSETS_VMIN, MSG_LISTOFFSETS_VMAX },
        { &msg_listoffsets_resp_codec, MSG_LISTOFFSETS_VMIN, MSG_LISTOFFSETS_VMAX },
    };
    uint8_t zeros[64] = { 0 };

    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        const range *g = &ranges[i];
        int16_t bad[] = { -1, (int16_t)(g->lo - 1), (int16_t)(g->hi + 1), INT16_MAX };
        void *msg = calloc(1, g->c->size);

        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            uint8_t *keep;
            sl_arena a;
            kbuf_wr w;

            if (bad[j] >= g->lo && bad[j] <= g->hi)
                continue;
            sl_arena_init(&a, 0);
            cr_assert_eq(decode_bytes(g->c, bad[j], zeros, sizeof zeros, &a, msg, &keep),
                         SL_KE_UNSUPPORTED_VERSION, "%s v%d", g->c->name, bad[j]);
            free(keep);
            sl_arena_free(&a);
            memset(msg, 0, g->c->size);
            kbuf_wr_init(&w, 0);
            g->c->enc(&w, bad[j], msg);
            cr_assert_eq(w.err, SL_E_INVAL, "%s v%d", g->c->name, bad[j]);
            cr_assert_eq(w.len, 0);
            kbuf_wr_free(&w);
        }
        free(msg);
    }
}

/* --- minimum element sizes are not overestimated ----------------------- */

/* Arrays of 50 smallest-possible elements (zeroed structs: empty strings,
 * empty arrays, zero ids), one array at a time and near the end of the
 * body, must decode: a minimum element size above the true one would
 * refuse them, since 50 elements outweigh the few fixed bytes that follow
 * an array. */
enum { NMIN = 50 };

static void minimal_ok(const codec *c, int16_t v, const void *msg, const char *what)
{
    void *out = malloc(c->size);
    uint8_t *keep;
    sl_arena a;
    kbuf_wr w;
    kbuf_rd r;

    kbuf_wr_init(&w, 0);
    c->enc(&w, v, msg);
    cr_assert_eq(w.err, SL_OK);
    keep = dup_exact(w.p, w.len);
    sl_arena_init(&a, 0);
    kbuf_rd_init(&r, keep, w.len);
    cr_assert_eq(c->dec(&r, v, &a, out), SL_OK, "%s v%d: %s", c->name, v, what);
    cr_assert_eq(kbuf_remaining(&r), 0);
    sl_arena_free(&a);
    free(keep);
    kbuf_wr_free(&w);
    free(out);
}

Test(msg_minimal, smallest_elements_decode)
{
    static int32_t ints[NMIN];
    static msg_apiversions_resp_key keys[NMIN];
    static msg_metadata_req_topic mqt[NMIN];
    static msg_metadata_resp_broker mb[NMIN];
    static msg_metadata_resp_topic mt[NMIN];
    static msg_metadata_resp_partition mp[NMIN];
    static msg_produce_req_topic pqt[NMIN];
    static msg_produce_req_partition pqp[NMIN];
    static msg_produce_resp_topic pst[NMIN];
    static msg_produce_resp_partition psp[NMIN];
    static msg_fetch_req_topic fqt[NMIN];
    static msg_fetch_req_partition fqp[NMIN];
    static msg_fetch_req_forgotten_topic fqf[NMIN];
    static msg_fetch_resp_topic fst[NMIN];
    static msg_fetch_resp_partition fsp[NMIN];
    static msg_fetch_resp_aborted_transaction fsa[NMIN];
    static msg_listoffsets_req_topic lqt[NMIN];
    static msg_listoffsets_req_partition lqp[NMIN];
    static msg_listoffsets_resp_topic lst[NMIN];
    static msg_listoffsets_resp_partition lsp[NMIN];

    for (int i = 0; i < NMIN; i++)
        fsp[i].records_external_len = MSG_FETCH_RECORDS_INLINE;

    for (int16_t v = MSG_APIVERSIONS_VMIN; v <= MSG_APIVERSIONS_VMAX; v++) {
        msg_apiversions_resp m = { .api_keys = keys, .api_keys_count = NMIN };

        minimal_ok(&msg_apiversions_resp_codec, v, &m, "api_keys");
    }
    for (int16_t v = MSG_METADATA_VMIN; v <= MSG_METADATA_VMAX; v++) {
        msg_metadata_req q = { .topics = mqt, .topics_count = NMIN };
        msg_metadata_resp_partition p = { .replica_nodes = ints, .replica_nodes_count = NMIN,
                                          .isr_nodes = ints, .isr_nodes_count = NMIN,
                                          .offline_replicas = ints,
                                          .offline_replicas_count = NMIN };
        msg_metadata_resp_topic t = { .partitions = mp, .partitions_count = NMIN };
        msg_metadata_resp_topic tp = { .partitions = &p, .partitions_count = 1 };
        msg_metadata_resp s1 = { .brokers = mb, .brokers_count = NMIN };
        msg_metadata_resp s2 = { .topics = mt, .topics_count = NMIN };
        msg_metadata_resp s3 = { .topics = &t, .topics_count = 1 };
        msg_metadata_resp s4 = { .topics = &tp, .topics_count = 1 };

        minimal_ok(&msg_metadata_req_codec, v, &q, "topics");
        minimal_ok(&msg_metadata_resp_codec, v, &s1, "brokers");
        minimal_ok(&msg_metadata_resp_codec, v, &s2, "topics");
        minimal_ok(&msg_metadata_resp_codec, v, &s3, "partitions");
        minimal_ok(&msg_metadata_resp_codec, v, &s4, "node lists");
    }
    for (int16_t v = MSG_PRODUCE_VMIN; v <= MSG_PRODUCE_VMAX; v++) {
        msg_produce_req_topic qt = { .partition_data = pqp, .partition_data_count = NMIN };
        msg_produce_resp_topic st = { .partition_responses = psp,
                                      .partition_responses_count = NMIN };
        msg_produce_req q1 = { .topic_data = pqt, .topic_data_count = NMIN };
        msg_produce_req q2 = { .topic_data = &qt, .topic_data_count = 1 };
        msg_produce_resp s1 = { .responses = pst, .responses_count = NMIN };
        msg_produce_resp s2 = { .responses = &st, .responses_count = 1 };

        minimal_ok(&msg_produce_req_codec, v, &q1, "topic_data");
        minimal_ok(&msg_produce_req_codec, v, &q2, "partition_data");
        minimal_ok(&msg_produce_resp_codec, v, &s1, "responses");
        minimal_ok(&msg_produce_resp_codec, v, &s2, "partition_responses");
    }
    for (int16_t v = MSG_FETCH_VMIN; v <= MSG_FETCH_VMAX; v++) {
        msg_fetch_req_topic qt = { .partitions = fqp, .partitions_count = NMIN };
        msg_fetch_req_forgotten_topic qf = { .partitions = ints, .partitions_count = NMIN };
        msg_fetch_resp_partition sp = { .aborted_transactions = fsa,
                                        .aborted_transactions_count = NMIN,
                                        .records_external_len = MSG_FETCH_RECORDS_INLINE };
        msg_fetch_resp_topic st = { .partitions = fsp, .partitions_count = NMIN };
        msg_fetch_resp_topic sa = { .partitions = &sp, .partitions_count = 1 };
        msg_fetch_req q1 = { .topics = fqt, .topics_count = NMIN };
        msg_fetch_req q2 = { .topics = &qt, .topics_count = 1 };
        msg_fetch_req q3 = { .forgotten_topics_data = fqf, .forgotten_topics_data_count = NMIN };
        msg_fetch_req q4 = { .forgotten_topics_data = &qf, .forgotten_topics_data_count = 1 };
        msg_fetch_resp s1 = { .responses = fst, .responses_count = NMIN };
        msg_fetch_resp s2 = { .responses = &st, .responses_count = 1 };
        msg_fetch_resp s3 = { .responses = &sa, .responses_count = 1 };

        minimal_ok(&msg_fetch_req_codec, v, &q1, "topics");
        minimal_ok(&msg_fetch_req_codec, v, &q2, "partitions");
        minimal_ok(&msg_fetch_resp_codec, v, &s1, "responses");
        minimal_ok(&msg_fetch_resp_codec, v, &s2, "partitions");
        if (v >= 4)
            minimal_ok(&msg_fetch_resp_codec, v, &s3, "aborted_transactions");
        if (v >= 7) {
            minimal_ok(&msg_fetch_req_codec, v, &q3, "forgotten_topics_data");
            minimal_ok(&msg_fetch_req_codec, v, &q4, "forgotten partitions");
        }
    }
    for (int16_t v = MSG_LISTOFFSETS_VMIN; v <= MSG_LISTOFFSETS_VMAX; v++) {
        msg_listoffsets_req_topic qt = { .partitions = lqp, .partitions_count = NMIN };
        msg_listoffsets_resp_topic st = { .partitions = lsp, .partitions_count = NMIN };
        msg_listoffsets_req q1 = { .topics = lqt, .topics_count = NMIN };
        msg_listoffsets_req q2 = { .topics = &qt, .topics_count = 1 };
        msg_listoffsets_resp s1 = { .topics = lst, .topics_count = NMIN };
        msg_listoffsets_resp s2 = { .topics = &st, .topics_count = 1 };

        minimal_ok(&msg_listoffsets_req_codec, v, &q1, "topics");
        minimal_ok(&msg_listoffsets_req_codec, v, &q2, "partitions");
        minimal_ok(&msg_listoffsets_resp_codec, v, &s1, "topics");
        minimal_ok(&msg_listoffsets_resp_codec, v, &s2, "partitions");
    }
}
