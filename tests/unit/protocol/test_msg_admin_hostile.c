/*
 * test_msg_admin_hostile.c - checks across the admin and InitProducerId
 * codecs (msg_admin.h): absurd and merely implausible array counts
 * (refused before any allocation, by the minimum element size), nulls
 * where the schema has none, arena exhaustion, unknown tags, versions
 * outside the implemented ranges, and minimum element sizes that must not
 * be overestimated.
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
CODEC(msg_describeconfigs_req);
CODEC(msg_describeconfigs_resp);
CODEC(msg_alterconfigs_req);
CODEC(msg_alterconfigs_resp);
CODEC(msg_incrementalalterconfigs_req);
CODEC(msg_incrementalalterconfigs_resp);
CODEC(msg_describecluster_req);
CODEC(msg_describecluster_resp);
CODEC(msg_initproducerid_req);
CODEC(msg_initproducerid_resp);

/* --- absurd counts ----------------------------------------------------- */

typedef struct absurd {
    const codec *c;
    int16_t v;
    uint8_t bytes[48];
    size_t n; /* bytes up to and including the absurd count */
} absurd;

#define I32MAX 0x7f, 0xff, 0xff, 0xff
#define UVMAX 0xff, 0xff, 0xff, 0xff, 0x07
#define ZERO4 0, 0, 0, 0

static const absurd absurd_cases[] = {
    { &msg_createtopics_req_codec, 0, { I32MAX }, 4 },
    { &msg_createtopics_req_codec, 5, { UVMAX }, 5 },
    { &msg_createtopics_resp_codec, 0, { I32MAX }, 4 },
    { &msg_createtopics_resp_codec, 7, { ZERO4, UVMAX }, 9 },
    { &msg_deletetopics_req_codec, 0, { I32MAX }, 4 },
    { &msg_deletetopics_req_codec, 4, { UVMAX }, 5 },
    { &msg_deletetopics_req_codec, 6, { UVMAX }, 5 },
    { &msg_deletetopics_resp_codec, 0, { I32MAX }, 4 },
    { &msg_deletetopics_resp_codec, 6, { ZERO4, UVMAX }, 9 },
    { &msg_createpartitions_req_codec, 0, { I32MAX }, 4 },
    { &msg_createpartitions_req_codec, 3, { UVMAX }, 5 },
    { &msg_createpartitions_resp_codec, 0, { ZERO4, I32MAX }, 8 },
    { &msg_createpartitions_resp_codec, 3, { ZERO4, UVMAX }, 9 },
    { &msg_deleterecords_req_codec, 0, { I32MAX }, 4 },
    { &msg_deleterecords_req_codec, 2, { UVMAX }, 5 },
    { &msg_deleterecords_resp_codec, 0, { ZERO4, I32MAX }, 8 },
    { &msg_deleterecords_resp_codec, 2, { ZERO4, UVMAX }, 9 },
    { &msg_describeconfigs_req_codec, 0, { I32MAX }, 4 },
    { &msg_describeconfigs_req_codec, 4, { UVMAX }, 5 },
    { &msg_describeconfigs_resp_codec, 0, { ZERO4, I32MAX }, 8 },
    { &msg_describeconfigs_resp_codec, 4, { ZERO4, UVMAX }, 9 },
    { &msg_alterconfigs_req_codec, 0, { I32MAX }, 4 },
    { &msg_alterconfigs_req_codec, 2, { UVMAX }, 5 },
    { &msg_alterconfigs_resp_codec, 0, { ZERO4, I32MAX }, 8 },
    { &msg_alterconfigs_resp_codec, 2, { ZERO4, UVMAX }, 9 },
    { &msg_incrementalalterconfigs_req_codec, 0, { I32MAX }, 4 },
    { &msg_incrementalalterconfigs_req_codec, 1, { UVMAX }, 5 },
    { &msg_incrementalalterconfigs_resp_codec, 0, { ZERO4, I32MAX }, 8 },
    { &msg_incrementalalterconfigs_resp_codec, 1, { ZERO4, UVMAX }, 9 },
    { &msg_describecluster_resp_codec, 1,
      { ZERO4, 0, 0, 0x00, 0x01, 0x01, ZERO4, UVMAX }, 18 },
    /* nested: keys of one resource; broker ids of one assignment */
    { &msg_describeconfigs_req_codec, 0, { 0, 0, 0, 1, 2, 0, 1, 't', I32MAX }, 12 },
    { &msg_createtopics_req_codec, 0,
      { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, ZERO4, I32MAX }, 25 },
};

Test(msg_admin_hostile, absurd_counts_fail_before_allocating)
{
    for (size_t i = 0; i < sizeof absurd_cases / sizeof absurd_cases[0]; i++) {
        const absurd *x = &absurd_cases[i];
        uint8_t buf[4096];
        void *out = malloc(x->c->size);
        uint8_t *keep;
        sl_arena a;

        memset(buf, 0, sizeof buf);
        memcpy(buf, x->bytes, x->n);
        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(x->c, x->v, buf, sizeof buf, &a, out, &keep), SL_E_MALFORMED,
                     "case %zu: %s v%d", i, x->c->name, x->v);
        /* Nested cases may hold their outer elements (well under 1 KiB). */
        cr_assert_lt(a.used_total, 1024, "case %zu: %s v%d allocated %zu bytes", i, x->c->name,
                     x->v, a.used_total);
        sl_arena_free(&a);
        free(keep);
        free(out);
    }
}

/* --- counts only the minimum element size can refuse ------------------- */

typedef struct plausible {
    const codec *c;
    int16_t v;
    uint8_t bytes[48];
    size_t n;
    size_t max_used;
} plausible;

#define C40K 0x00, 0x00, 0x9c, 0x40
#define U40K 0xc1, 0xb8, 0x02

/* 40000 elements of at least 2 bytes (4 nested) cannot fit in 64 KiB. */
static const plausible plausible_cases[] = {
    { &msg_createtopics_req_codec, 0, { C40K }, 4, 0 },
    { &msg_createtopics_req_codec, 5, { U40K }, 3, 0 },
    { &msg_createtopics_resp_codec, 0, { C40K }, 4, 0 },
    { &msg_createtopics_resp_codec, 5, { ZERO4, U40K }, 7, 0 },
    { &msg_deletetopics_req_codec, 0, { C40K }, 4, 0 },
    { &msg_deletetopics_req_codec, 6, { U40K }, 3, 0 },
    { &msg_deletetopics_resp_codec, 0, { C40K }, 4, 0 },
    { &msg_deletetopics_resp_codec, 4, { ZERO4, U40K }, 7, 0 },
    { &msg_createpartitions_req_codec, 0, { C40K }, 4, 0 },
    { &msg_createpartitions_req_codec, 2, { U40K }, 3, 0 },
    { &msg_createpartitions_resp_codec, 0, { ZERO4, C40K }, 8, 0 },
    { &msg_createpartitions_resp_codec, 2, { ZERO4, U40K }, 7, 0 },
    { &msg_deleterecords_req_codec, 0, { C40K }, 4, 0 },
    { &msg_deleterecords_req_codec, 2, { U40K }, 3, 0 },
    { &msg_deleterecords_resp_codec, 0, { ZERO4, C40K }, 8, 0 },
    { &msg_deleterecords_resp_codec, 2, { ZERO4, U40K }, 7, 0 },
    { &msg_describeconfigs_req_codec, 0, { C40K }, 4, 0 },
    { &msg_describeconfigs_req_codec, 4, { U40K }, 3, 0 },
    { &msg_describeconfigs_resp_codec, 0, { ZERO4, C40K }, 8, 0 },
    { &msg_describeconfigs_resp_codec, 4, { ZERO4, U40K }, 7, 0 },
    { &msg_alterconfigs_req_codec, 0, { C40K }, 4, 0 },
    { &msg_alterconfigs_req_codec, 2, { U40K }, 3, 0 },
    { &msg_alterconfigs_resp_codec, 0, { ZERO4, C40K }, 8, 0 },
    { &msg_alterconfigs_resp_codec, 2, { ZERO4, U40K }, 7, 0 },
    { &msg_incrementalalterconfigs_req_codec, 0, { C40K }, 4, 0 },
    { &msg_incrementalalterconfigs_req_codec, 1, { U40K }, 3, 0 },
    { &msg_incrementalalterconfigs_resp_codec, 0, { ZERO4, C40K }, 8, 0 },
    { &msg_incrementalalterconfigs_resp_codec, 1, { ZERO4, U40K }, 7, 0 },
    { &msg_describecluster_resp_codec, 0, { ZERO4, 0, 0, 0x00, 0x01, ZERO4, U40K }, 15, 0 },
    /* nested */
    { &msg_createtopics_req_codec, 0, /* assignments */
      { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 1, C40K }, 17, 4096 },
    { &msg_createtopics_req_codec, 0, /* configs */
      { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 1, ZERO4, C40K }, 21, 4096 },
    { &msg_createtopics_resp_codec, 5, /* configs */
      { ZERO4, 0x02, 0x02, 't', 0, 0, 0x00, 0, 0, 0, 1, 0, 1, U40K }, 19, 4096 },
    { &msg_createpartitions_req_codec, 0, /* assignments */
      { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, C40K }, 15, 4096 },
    { &msg_deleterecords_req_codec, 0, { 0, 0, 0, 1, 0, 1, 't', C40K }, 11, 4096 },
    { &msg_deleterecords_resp_codec, 2, { ZERO4, 0x02, 0x02, 't', U40K }, 10, 4096 },
    { &msg_describeconfigs_req_codec, 0, /* keys */
      { 0, 0, 0, 1, 2, 0, 1, 't', C40K }, 12, 4096 },
    { &msg_describeconfigs_resp_codec, 1, /* configs */
      { ZERO4, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 2, 0, 1, 't', C40K }, 20, 4096 },
    { &msg_describeconfigs_resp_codec, 1, /* synonyms */
      { ZERO4, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 2, 0, 1, 't',   /* [ {0, null, 2, "t", */
        0, 0, 0, 1, 0, 1, 'c', 0xff, 0xff, 0, 0, 0, C40K },  /*   [ {"c", null, ... */
      32, 4096 },
    { &msg_alterconfigs_req_codec, 0, { 0, 0, 0, 1, 2, 0, 1, 't', C40K }, 12, 4096 },
    { &msg_incrementalalterconfigs_req_codec, 0, { 0, 0, 0, 1, 2, 0, 1, 't', C40K }, 12, 4096 },
};

Test(msg_admin_hostile, plausible_counts_need_the_minimum_element_size)
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

/* --- nulls where the schema has none ----------------------------------- */

typedef struct nullcase {
    const codec *c;
    int16_t v;
    uint8_t bytes[32];
    size_t n;
    const char *what;
} nullcase;

static const nullcase null_cases[] = {
    { &msg_createtopics_req_codec, 0, { 0xff, 0xff, 0xff, 0xff, ZERO4 }, 8, "topics" },
    { &msg_createtopics_req_codec, 5, { 0x00, ZERO4, 0x00, 0x00 }, 7, "topics (compact)" },
    { &msg_createtopics_req_codec, 0,
      { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 1, 0xff, 0xff, 0xff, 0xff, ZERO4, ZERO4 }, 25,
      "assignments" },
    { &msg_createtopics_req_codec, 0, { 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 1, 0, 1, ZERO4, ZERO4,
                                        ZERO4 },
      24, "topic name" },
    { &msg_createtopics_resp_codec, 5,
      { ZERO4, 0x02, 0x00, 0, 0, 0x00, ZERO4, 0, 0, 0x01, 0x00, 0x00 }, 17, "topic name" },
    { &msg_deletetopics_resp_codec, 5, { ZERO4, 0x02, 0x00, 0, 0, 0x00, 0x00, 0x00 }, 11,
      "name before v6" },
    { &msg_createpartitions_req_codec, 2, { 0x02, 0x02, 't', ZERO4, 0x02, 0x00, 0x00, 0x00,
                                            ZERO4, 0x00, 0x00 },
      17, "broker_ids" },
    { &msg_deleterecords_req_codec, 0, { 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff, ZERO4 },
      15, "partitions" },
    { &msg_describeconfigs_req_codec, 4, { 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00 }, 7,
      "resource_name" },
    { &msg_describeconfigs_req_codec, 0, { 0, 0, 0, 1, 2, 0, 1, 't', 0, 0, 0, 1, 0xff, 0xff },
      14, "configuration key" },
    { &msg_describeconfigs_resp_codec, 1,
      { ZERO4, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 2, 0, 1, 't', 0, 0, 0, 1, 0, 1, 'c', 0xff, 0xff, 0,
        0, 0, 0xff, 0xff, 0xff, 0xff },
      32, "synonyms" },
    { &msg_alterconfigs_req_codec, 2, { 0x02, 0x02, 0x02, 't', 0x00, 0x00, 0x00, 0x00 }, 8,
      "configs" },
    { &msg_incrementalalterconfigs_req_codec, 1,
      { 0x02, 0x02, 0x02, 't', 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 12,
      "config name" },
    { &msg_describecluster_resp_codec, 0,
      { ZERO4, 0, 0, 0x00, 0x01, ZERO4, 0x02, 0, 0, 0, 1, 0x00, 0, 0, 0, 0, 0x00, 0x00, ZERO4,
        0x00 },
      29, "broker host" },
};

Test(msg_admin_hostile, null_where_schema_has_none)
{
    for (size_t i = 0; i < sizeof null_cases / sizeof null_cases[0]; i++) {
        const nullcase *x = &null_cases[i];
        void *out = malloc(x->c->size);
        uint8_t *keep;
        sl_arena a;

        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(x->c, x->v, x->bytes, x->n, &a, out, &keep), SL_E_MALFORMED,
                     "%s v%d: %s", x->c->name, x->v, x->what);
        free(keep);
        sl_arena_free(&a);
        free(out);
    }
}

/* The same bodies with the null replaced by an empty value decode, so the
 * cases above fail for the null and nothing else. */
Test(msg_admin_hostile, null_cases_decode_when_empty)
{
    static const nullcase ok_cases[] = {
        { &msg_createtopics_req_codec, 5, { 0x01, ZERO4, 0x00, 0x00 }, 7, "topics" },
        { &msg_deletetopics_resp_codec, 5, { ZERO4, 0x02, 0x01, 0, 0, 0x00, 0x00, 0x00 }, 11,
          "name" },
        { &msg_describeconfigs_req_codec, 0,
          { 0, 0, 0, 1, 2, 0, 1, 't', 0, 0, 0, 1, 0x00, 0x00 }, 14, "key" },
        { &msg_describecluster_resp_codec, 0,
          { ZERO4, 0, 0, 0x00, 0x01, ZERO4, 0x02, 0, 0, 0, 1, 0x01, 0, 0, 0, 0, 0x00, 0x00,
            ZERO4, 0x00 },
          29, "host" },
    };

    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const nullcase *x = &ok_cases[i];
        void *out = malloc(x->c->size);
        uint8_t *keep;
        sl_arena a;

        sl_arena_init(&a, 0);
        cr_assert_eq(decode_bytes(x->c, x->v, x->bytes, x->n, &a, out, &keep), SL_OK,
                     "%s v%d: %s", x->c->name, x->v, x->what);
        free(keep);
        sl_arena_free(&a);
        free(out);
    }
}

/* --- arena limit, unknown tags ----------------------------------------- */

Test(msg_admin_hostile, arena_limit_gives_nomem)
{
    /* DescribeConfigs v0: 100 resources, each type 2, "x", all keys. */
    uint8_t buf[4 + 100 * 8];
    size_t n = 0;
    msg_describeconfigs_req out;
    uint8_t *keep;
    sl_arena a;

    sl_put_be32(buf, 100), n = 4;
    for (int i = 0; i < 100; i++) {
        buf[n++] = 2, buf[n++] = 0, buf[n++] = 1, buf[n++] = 'x';
        sl_put_be32(buf + n, UINT32_MAX), n += 4;
    }
    cr_assert_eq(n, sizeof buf);
    sl_arena_init(&a, 256);
    cr_assert_eq(decode_bytes(&msg_describeconfigs_req_codec, 0, buf, n, &a, &out, &keep),
                 SL_E_NOMEM);
    cr_assert_leq(a.used_total, 256);
    free(keep);
    sl_arena_free(&a);
    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_describeconfigs_req_codec, 0, buf, n, &a, &out, &keep), SL_OK);
    cr_assert_eq(out.resources_count, 100);
    cr_assert_eq(out.resources[99].configuration_keys_count, -1);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_admin_hostile, unknown_tags_in_requests_are_skipped)
{
    /* CreateTopics v5 with a tag on an assignment, a config, the topic
     * (tag 0 is Kafka's optional topic id in some forks) and the body. */
    static const uint8_t body[] = {
        0x02, 0x02, 't',                                /* [ "t" */
        0x00, 0x00, 0x00, 0x02, 0x00, 0x01,             /*   2, 1 */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, /* [ {0, [1] */
        0x01, 0x63, 0x01, 0xaa,                         /*     tag 99 } ] */
        0x02, 0x02, 'k', 0x02, 'v',                     /*   [ {"k", "v" */
        0x01, 0x07, 0x00,                               /*     tag 7, empty } ] */
        0x01, 0x00, 0x10,                               /*   tag 0: uuid */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, /* ] */
        0x00, 0x00, 0x03, 0xe8,                         /* timeout 1000 */
        0x01,                                           /* validate_only */
        0x02, 0x01, 0x01, 0x00, 0x02, 0x01, 0x00,       /* tags 1 and 2 */
    };
    msg_createtopics_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_createtopics_req_codec, 5, body, sizeof body, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.topics_count, 1);
    cr_assert_eq(out.topics[0].num_partitions, 2);
    cr_assert_eq(out.topics[0].replication_factor, 1);
    cr_assert_eq(out.topics[0].assignments_count, 1);
    cr_assert_eq(out.topics[0].assignments[0].broker_ids_count, 1);
    cr_assert_eq(out.topics[0].assignments[0].broker_ids[0], 1);
    assert_str(out.topics[0].configs[0].value, "v", "value");
    cr_assert_eq(out.timeout_ms, 1000);
    cr_assert_eq(out.validate_only, true);
    free(keep);
    sl_arena_free(&a);
    check_truncations(&msg_createtopics_req_codec, 5, body, sizeof body);
}

/* --- version bounds ---------------------------------------------------- */

typedef struct range {
    const codec *c;
    int16_t lo, hi;
} range;

Test(msg_admin_misc, versions_outside_the_range_are_refused)
{
    static const range ranges[] = {
        { &msg_createtopics_req_codec, MSG_CREATETOPICS_VMIN, MSG_CREATETOPICS_VMAX },
        { &msg_createtopics_resp_codec, MSG_CREATETOPICS_VMIN, MSG_CREATETOPICS_VMAX },
        { &msg_deletetopics_req_codec, MSG_DELETETOPICS_VMIN, MSG_DELETETOPICS_VMAX },
        { &msg_deletetopics_resp_codec, MSG_DELETETOPICS_VMIN, MSG_DELETETOPICS_VMAX },
        { &msg_createpartitions_req_codec, MSG_CREATEPARTITIONS_VMIN, MSG_CREATEPARTITIONS_VMAX },
        { &msg_createpartitions_resp_codec, MSG_CREATEPARTITIONS_VMIN,
          MSG_CREATEPARTITIONS_VMAX },
        { &msg_deleterecords_req_codec, MSG_DELETERECORDS_VMIN, MSG_DELETERECORDS_VMAX },
        { &msg_deleterecords_resp_codec, MSG_DELETERECORDS_VMIN, MSG_DELETERECORDS_VMAX },
        { &msg_describeconfigs_req_codec, MSG_DESCRIBECONFIGS_VMIN, MSG_DESCRIBECONFIGS_VMAX },
        { &msg_describeconfigs_resp_codec, MSG_DESCRIBECONFIGS_VMIN, MSG_DESCRIBECONFIGS_VMAX },
        { &msg_alterconfigs_req_codec, MSG_ALTERCONFIGS_VMIN, MSG_ALTERCONFIGS_VMAX },
        { &msg_alterconfigs_resp_codec, MSG_ALTERCONFIGS_VMIN, MSG_ALTERCONFIGS_VMAX },
        { &msg_incrementalalterconfigs_req_codec, MSG_INCREMENTALALTERCONFIGS_VMIN,
          MSG_INCREMENTALALTERCONFIGS_VMAX },
        { &msg_incrementalalterconfigs_resp_codec, MSG_INCREMENTALALTERCONFIGS_VMIN,
          MSG_INCREMENTALALTERCONFIGS_VMAX },
        { &msg_describecluster_req_codec, MSG_DESCRIBECLUSTER_VMIN, MSG_DESCRIBECLUSTER_VMAX },
        { &msg_describecluster_resp_codec, MSG_DESCRIBECLUSTER_VMIN, MSG_DESCRIBECLUSTER_VMAX },
        { &msg_initproducerid_req_codec, MSG_INITPRODUCERID_VMIN, MSG_INITPRODUCERID_VMAX },
        { &msg_initproducerid_resp_codec, MSG_INITPRODUCERID_VMIN, MSG_INITPRODUCERID_VMAX },
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

/* Arrays of NMIN smallest-possible (zeroed) elements, one array at a time,
 * must decode: an overestimated minimum would refuse them. */
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

Test(msg_admin_minimal, smallest_elements_decode)
{
    static msg_createtopics_req_topic ctq[NMIN];
    static msg_createtopics_req_assignment cta[NMIN];
    static msg_createtopics_req_config ctc[NMIN];
    static msg_createtopics_resp_topic cts[NMIN];
    static msg_createtopics_resp_config ctsc[NMIN];
    static msg_deletetopics_req_topic dtq[NMIN];
    static msg_deletetopics_resp_response dts[NMIN];
    static msg_createpartitions_req_topic cpq[NMIN];
    static msg_createpartitions_req_assignment cpa[NMIN];
    static msg_createpartitions_resp_result cps[NMIN];
    static msg_deleterecords_req_topic drq[NMIN];
    static msg_deleterecords_req_partition drqp[NMIN];
    static msg_deleterecords_resp_topic drs[NMIN];
    static msg_deleterecords_resp_partition drsp[NMIN];
    static msg_describeconfigs_req_resource dcq[NMIN];
    static sl_bytes keys[NMIN];
    static msg_describeconfigs_resp_result dcs[NMIN];
    static msg_describeconfigs_resp_config dcsc[NMIN];
    static msg_describeconfigs_resp_synonym dcss[NMIN];
    static msg_alterconfigs_req_resource acq[NMIN];
    static msg_alterconfigs_req_config acc[NMIN];
    static msg_alterconfigs_resp_response acs[NMIN];
    static msg_incrementalalterconfigs_req_resource iaq[NMIN];
    static msg_incrementalalterconfigs_req_config iac[NMIN];
    static msg_describecluster_resp_broker dclb[NMIN];

    for (int16_t v = MSG_CREATETOPICS_VMIN; v <= MSG_CREATETOPICS_VMAX; v++) {
        msg_createtopics_req_topic t1 = { .assignments = cta, .assignments_count = NMIN };
        msg_createtopics_req_topic t2 = { .configs = ctc, .configs_count = NMIN };
        msg_createtopics_resp_topic st = { .configs = ctsc, .configs_count = NMIN };
        msg_createtopics_req q1 = { .topics = ctq, .topics_count = NMIN };
        msg_createtopics_req q2 = { .topics = &t1, .topics_count = 1 };
        msg_createtopics_req q3 = { .topics = &t2, .topics_count = 1 };
        msg_createtopics_resp s1 = { .topics = cts, .topics_count = NMIN };
        msg_createtopics_resp s2 = { .topics = &st, .topics_count = 1 };

        minimal_ok(&msg_createtopics_req_codec, v, &q1, "topics");
        minimal_ok(&msg_createtopics_req_codec, v, &q2, "assignments");
        minimal_ok(&msg_createtopics_req_codec, v, &q3, "configs");
        minimal_ok(&msg_createtopics_resp_codec, v, &s1, "topics");
        minimal_ok(&msg_createtopics_resp_codec, v, &s2, "configs");
    }
    for (int16_t v = MSG_DELETETOPICS_VMIN; v <= MSG_DELETETOPICS_VMAX; v++) {
        msg_deletetopics_req q = { .topics = dtq, .topics_count = NMIN };
        msg_deletetopics_resp s = { .responses = dts, .responses_count = NMIN };

        minimal_ok(&msg_deletetopics_req_codec, v, &q, "topics");
        minimal_ok(&msg_deletetopics_resp_codec, v, &s, "responses");
    }
    for (int16_t v = MSG_CREATEPARTITIONS_VMIN; v <= MSG_CREATEPARTITIONS_VMAX; v++) {
        msg_createpartitions_req_topic t = { .assignments = cpa, .assignments_count = NMIN };
        msg_createpartitions_req q1 = { .topics = cpq, .topics_count = NMIN };
        msg_createpartitions_req q2 = { .topics = &t, .topics_count = 1 };
        msg_createpartitions_resp s = { .results = cps, .results_count = NMIN };

        minimal_ok(&msg_createpartitions_req_codec, v, &q1, "topics");
        minimal_ok(&msg_createpartitions_req_codec, v, &q2, "assignments");
        minimal_ok(&msg_createpartitions_resp_codec, v, &s, "results");
    }
    for (int16_t v = MSG_DELETERECORDS_VMIN; v <= MSG_DELETERECORDS_VMAX; v++) {
        msg_deleterecords_req_topic qt = { .partitions = drqp, .partitions_count = NMIN };
        msg_deleterecords_resp_topic st = { .partitions = drsp, .partitions_count = NMIN };
        msg_deleterecords_req q1 = { .topics = drq, .topics_count = NMIN };
        msg_deleterecords_req q2 = { .topics = &qt, .topics_count = 1 };
        msg_deleterecords_resp s1 = { .topics = drs, .topics_count = NMIN };
        msg_deleterecords_resp s2 = { .topics = &st, .topics_count = 1 };

        minimal_ok(&msg_deleterecords_req_codec, v, &q1, "topics");
        minimal_ok(&msg_deleterecords_req_codec, v, &q2, "partitions");
        minimal_ok(&msg_deleterecords_resp_codec, v, &s1, "topics");
        minimal_ok(&msg_deleterecords_resp_codec, v, &s2, "partitions");
    }
    for (int16_t v = MSG_DESCRIBECONFIGS_VMIN; v <= MSG_DESCRIBECONFIGS_VMAX; v++) {
        msg_describeconfigs_req_resource qr = { .configuration_keys = keys,
                                                .configuration_keys_count = NMIN };
        msg_describeconfigs_resp_config sc = { .synonyms = dcss, .synonyms_count = NMIN };
        msg_describeconfigs_resp_result sr = { .configs = dcsc, .configs_count = NMIN };
        msg_describeconfigs_resp_result sr2 = { .configs = &sc, .configs_count = 1 };
        msg_describeconfigs_req q1 = { .resources = dcq, .resources_count = NMIN };
        msg_describeconfigs_req q2 = { .resources = &qr, .resources_count = 1 };
        msg_describeconfigs_resp s1 = { .results = dcs, .results_count = NMIN };
        msg_describeconfigs_resp s2 = { .results = &sr, .results_count = 1 };
        msg_describeconfigs_resp s3 = { .results = &sr2, .results_count = 1 };

        minimal_ok(&msg_describeconfigs_req_codec, v, &q1, "resources");
        minimal_ok(&msg_describeconfigs_req_codec, v, &q2, "configuration_keys");
        minimal_ok(&msg_describeconfigs_resp_codec, v, &s1, "results");
        minimal_ok(&msg_describeconfigs_resp_codec, v, &s2, "configs");
        if (v >= 1)
            minimal_ok(&msg_describeconfigs_resp_codec, v, &s3, "synonyms");
    }
    for (int16_t v = MSG_ALTERCONFIGS_VMIN; v <= MSG_ALTERCONFIGS_VMAX; v++) {
        msg_alterconfigs_req_resource qr = { .configs = acc, .configs_count = NMIN };
        msg_alterconfigs_req q1 = { .resources = acq, .resources_count = NMIN };
        msg_alterconfigs_req q2 = { .resources = &qr, .resources_count = 1 };
        msg_alterconfigs_resp s = { .responses = acs, .responses_count = NMIN };

        minimal_ok(&msg_alterconfigs_req_codec, v, &q1, "resources");
        minimal_ok(&msg_alterconfigs_req_codec, v, &q2, "configs");
        minimal_ok(&msg_alterconfigs_resp_codec, v, &s, "responses");
    }
    for (int16_t v = MSG_INCREMENTALALTERCONFIGS_VMIN; v <= MSG_INCREMENTALALTERCONFIGS_VMAX;
         v++) {
        msg_incrementalalterconfigs_req_resource qr = { .configs = iac, .configs_count = NMIN };
        msg_incrementalalterconfigs_req q1 = { .resources = iaq, .resources_count = NMIN };
        msg_incrementalalterconfigs_req q2 = { .resources = &qr, .resources_count = 1 };
        msg_incrementalalterconfigs_resp s = { .responses = acs, .responses_count = NMIN };

        minimal_ok(&msg_incrementalalterconfigs_req_codec, v, &q1, "resources");
        minimal_ok(&msg_incrementalalterconfigs_req_codec, v, &q2, "configs");
        minimal_ok(&msg_incrementalalterconfigs_resp_codec, v, &s, "responses");
    }
    for (int16_t v = MSG_DESCRIBECLUSTER_VMIN; v <= MSG_DESCRIBECLUSTER_VMAX; v++) {
        msg_describecluster_resp s = { .brokers = dclb, .brokers_count = NMIN };

        minimal_ok(&msg_describecluster_resp_codec, v, &s, "brokers");
    }
}
