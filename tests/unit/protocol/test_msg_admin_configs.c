/*
 * test_msg_admin_configs.c - DescribeConfigs v0-4, AlterConfigs v0-2 and
 * IncrementalAlterConfigs v0-1 request and response bodies: schema-reference
 * bytes, round trip, defaults of absent fields and every truncation, for
 * each version; null key lists; hand-checked vectors.
 */
#include "test_msg_common.h"

#include "protocol/msg_admin.h"

CODEC(msg_describeconfigs_req);
CODEC(msg_describeconfigs_resp);
CODEC(msg_alterconfigs_req);
CODEC(msg_alterconfigs_resp);
CODEC(msg_incrementalalterconfigs_req);
CODEC(msg_incrementalalterconfigs_resp);

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

/* --- DescribeConfigs request ------------------------------------------- */

static sl_bytes dc_keys[2];
static msg_describeconfigs_req_resource dc_res[2];

static msg_describeconfigs_req dc_req_fill(void)
{
    dc_keys[0] = S("retention.ms");
    dc_keys[1] = S("cleanup.policy");
    dc_res[0] = (msg_describeconfigs_req_resource){ 2, S("alpha"), dc_keys, 2 };
    dc_res[1] = (msg_describeconfigs_req_resource){ 4, S("1"), NULL, -1 };
    return (msg_describeconfigs_req){ .resources = dc_res,
                                      .resources_count = 2,
                                      .include_synonyms = true,
                                      .include_documentation = true };
}

/* DescribeConfigsRequest.json, field by field. */
static void dc_req_ref(bb *b, int16_t v)
{
    bool f = v >= 4;

    bb_arr(b, f, 2);
    bb_i8(b, 2), bb_str(b, f, "alpha");
    bb_arr(b, f, 2), bb_str(b, f, "retention.ms"), bb_str(b, f, "cleanup.policy");
    bb_tags(b, f);
    bb_i8(b, 4), bb_str(b, f, "1"), bb_arr(b, f, -1), bb_tags(b, f);
    if (v >= 1)
        bb_u8(b, 1);
    if (v >= 3)
        bb_u8(b, 1);
    bb_tags(b, f);
}

Test(msg_describeconfigs, request_every_version)
{
    for (int16_t v = MSG_DESCRIBECONFIGS_VMIN; v <= MSG_DESCRIBECONFIGS_VMAX; v++) {
        msg_describeconfigs_req in = dc_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        dc_req_ref(&ref, v);
        rt_check(&t, &msg_describeconfigs_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.resources_count, 2);
        cr_assert_eq(out.resources[0].resource_type, 2);
        assert_str(out.resources[0].resource_name, "alpha", "name");
        cr_assert_eq(out.resources[0].configuration_keys_count, 2);
        assert_str(out.resources[0].configuration_keys[0], "retention.ms", "key");
        assert_str(out.resources[0].configuration_keys[1], "cleanup.policy", "key");
        cr_assert_eq(out.resources[1].resource_type, 4);
        assert_str(out.resources[1].resource_name, "1", "name");
        cr_assert_eq(out.resources[1].configuration_keys_count, -1);
        cr_assert_null(out.resources[1].configuration_keys);
        cr_assert_eq(out.include_synonyms, v >= 1);
        cr_assert_eq(out.include_documentation, v >= 3);
        rt_done(&t);
    }
}

/* --- DescribeConfigs response ------------------------------------------ */

static msg_describeconfigs_resp_synonym dc_syn[2];
static msg_describeconfigs_resp_config dc_cfg[2];
static msg_describeconfigs_resp_result dc_results[2];

static msg_describeconfigs_resp dc_resp_fill(void)
{
    dc_syn[0] = (msg_describeconfigs_resp_synonym){ S("retention.ms"), S("1000"), 1 };
    dc_syn[1] = (msg_describeconfigs_resp_synonym){ S("log.retention.ms"), SL_BYTES_NULL, 4 };
    dc_cfg[0] = (msg_describeconfigs_resp_config){ .name = S("retention.ms"),
                                                   .value = S("1000"),
                                                   .read_only = false,
                                                   .is_default = true,
                                                   .config_source = 1,
                                                   .is_sensitive = false,
                                                   .synonyms = dc_syn,
                                                   .synonyms_count = 2,
                                                   .config_type = 5,
                                                   .documentation = S("How long") };
    dc_cfg[1] = (msg_describeconfigs_resp_config){ .name = S("ssl.password"),
                                                   .value = SL_BYTES_NULL,
                                                   .read_only = true,
                                                   .is_default = false,
                                                   .config_source = 4,
                                                   .is_sensitive = true,
                                                   .config_type = 9,
                                                   .documentation = SL_BYTES_NULL };
    dc_results[0] = (msg_describeconfigs_resp_result){ 0, SL_BYTES_NULL, 2, S("alpha"), dc_cfg,
                                                       2 };
    dc_results[1] = (msg_describeconfigs_resp_result){ 37, S("no such"), 4, S("1"), NULL, 0 };
    return (msg_describeconfigs_resp){ .throttle_time_ms = 9,
                                       .results = dc_results,
                                       .results_count = 2 };
}

/* DescribeConfigsResponse.json, field by field. */
static void dc_resp_ref(bb *b, int16_t v)
{
    bool f = v >= 4;

    bb_i32(b, 9);
    bb_arr(b, f, 2);
    bb_i16(b, 0), bb_str(b, f, NULL), bb_i8(b, 2), bb_str(b, f, "alpha");
    bb_arr(b, f, 2);
    /* config 0 */
    bb_str(b, f, "retention.ms"), bb_str(b, f, "1000"), bb_u8(b, 0);
    if (v == 0)
        bb_u8(b, 1); /* is_default */
    if (v >= 1)
        bb_i8(b, 1); /* config_source */
    bb_u8(b, 0);
    if (v >= 1) {
        bb_arr(b, f, 2);
        bb_str(b, f, "retention.ms"), bb_str(b, f, "1000"), bb_i8(b, 1), bb_tags(b, f);
        bb_str(b, f, "log.retention.ms"), bb_str(b, f, NULL), bb_i8(b, 4), bb_tags(b, f);
    }
    if (v >= 3)
        bb_i8(b, 5), bb_str(b, f, "How long");
    bb_tags(b, f);
    /* config 1 */
    bb_str(b, f, "ssl.password"), bb_str(b, f, NULL), bb_u8(b, 1);
    if (v == 0)
        bb_u8(b, 0);
    if (v >= 1)
        bb_i8(b, 4);
    bb_u8(b, 1);
    if (v >= 1)
        bb_arr(b, f, 0);
    if (v >= 3)
        bb_i8(b, 9), bb_str(b, f, NULL);
    bb_tags(b, f);
    bb_tags(b, f);
    /* result 1 */
    bb_i16(b, 37), bb_str(b, f, "no such"), bb_i8(b, 4), bb_str(b, f, "1");
    bb_arr(b, f, 0);
    bb_tags(b, f);
    bb_tags(b, f);
}

Test(msg_describeconfigs, response_every_version)
{
    for (int16_t v = MSG_DESCRIBECONFIGS_VMIN; v <= MSG_DESCRIBECONFIGS_VMAX; v++) {
        msg_describeconfigs_resp in = dc_resp_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        dc_resp_ref(&ref, v);
        rt_check(&t, &msg_describeconfigs_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 9);
        cr_assert_eq(out.results_count, 2);

        const msg_describeconfigs_resp_result *r0 = &out.results[0], *r1 = &out.results[1];
        cr_assert_eq(r0->error_code, 0);
        assert_str(r0->error_message, NULL, "error_message");
        cr_assert_eq(r0->resource_type, 2);
        assert_str(r0->resource_name, "alpha", "resource_name");
        cr_assert_eq(r0->configs_count, 2);

        const msg_describeconfigs_resp_config *c0 = &r0->configs[0], *c1 = &r0->configs[1];
        assert_str(c0->name, "retention.ms", "name");
        assert_str(c0->value, "1000", "value");
        cr_assert_eq(c0->read_only, false);
        /* v0 has is_default only, v1+ config_source only: the other one
         * takes its schema default. */
        cr_assert_eq(c0->is_default, v == 0);
        cr_assert_eq(c0->config_source, v >= 1 ? 1 : -1);
        cr_assert_eq(c0->is_sensitive, false);
        if (v >= 1) {
            cr_assert_eq(c0->synonyms_count, 2);
            assert_str(c0->synonyms[0].name, "retention.ms", "synonym");
            assert_str(c0->synonyms[0].value, "1000", "synonym value");
            cr_assert_eq(c0->synonyms[0].source, 1);
            assert_str(c0->synonyms[1].name, "log.retention.ms", "synonym");
            assert_str(c0->synonyms[1].value, NULL, "synonym value");
            cr_assert_eq(c0->synonyms[1].source, 4);
        } else {
            cr_assert_eq(c0->synonyms_count, 0);
        }
        cr_assert_eq(c0->config_type, v >= 3 ? 5 : 0);
        assert_str(c0->documentation, v >= 3 ? "How long" : "", "documentation");

        assert_str(c1->name, "ssl.password", "name");
        assert_str(c1->value, NULL, "value");
        cr_assert_eq(c1->read_only, true);
        cr_assert_eq(c1->is_default, false);
        cr_assert_eq(c1->config_source, v >= 1 ? 4 : -1);
        cr_assert_eq(c1->is_sensitive, true);
        cr_assert_eq(c1->synonyms_count, 0);
        cr_assert_eq(c1->config_type, v >= 3 ? 9 : 0);
        /* Documentation has no "default": "null", so absent means "". */
        assert_str(c1->documentation, v >= 3 ? NULL : "", "documentation");

        cr_assert_eq(r1->error_code, 37);
        assert_str(r1->error_message, "no such", "error_message");
        cr_assert_eq(r1->resource_type, 4);
        assert_str(r1->resource_name, "1", "resource_name");
        cr_assert_eq(r1->configs_count, 0);
        rt_done(&t);
    }
}

/* kafka-python / kafkajs style DescribeConfigs v1: all keys of topic "t". */
Test(msg_describeconfigs, request_v1_bytes)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x01,                         /* [ */
        0x02,                                           /*   topic */
        0x00, 0x01, 't',                                /*   "t" */
        0xff, 0xff, 0xff, 0xff,                         /*   keys null ] */
        0x00,                                           /* include_synonyms */
    };
    msg_describeconfigs_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_describeconfigs_req_codec, 1, want, sizeof want, &a, &out,
                              &keep),
                 SL_OK);
    cr_assert_eq(out.resources_count, 1);
    cr_assert_eq(out.resources[0].resource_type, 2);
    assert_str(out.resources[0].resource_name, "t", "name");
    cr_assert_eq(out.resources[0].configuration_keys_count, -1);
    cr_assert_eq(out.include_synonyms, false);
    encode_expect(&msg_describeconfigs_req_codec, 1, &out, want, sizeof want);
    free(keep);
    sl_arena_free(&a);
}

Test(msg_describeconfigs, response_v4_bytes)
{
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
        0x02,                                           /* [ */
        0x00, 0x00, 0x00,                               /*   0, message null */
        0x02, 0x02, 't',                                /*   topic "t" */
        0x02,                                           /*   configs [ */
        0x03, 'a', '.', 0x02, '1',                      /*     "a.", "1" */
        0x01,                                           /*     read_only */
        0x05,                                           /*     DEFAULT_CONFIG */
        0x00,                                           /*     not sensitive */
        0x01,                                           /*     synonyms [] */
        0x03,                                           /*     INT */
        0x00,                                           /*     documentation null */
        0x00,                                           /*     tags ] */
        0x00,                                           /*   tags ] */
        0x00,                                           /* tags */
    };
    msg_describeconfigs_resp_config c = { .name = S("a."), .value = S("1"), .read_only = true,
                                          .config_source = 5, .config_type = 3,
                                          .documentation = SL_BYTES_NULL };
    msg_describeconfigs_resp_result res = { 0, SL_BYTES_NULL, 2, S("t"), &c, 1 };
    msg_describeconfigs_resp in = { .results = &res, .results_count = 1 };

    encode_expect(&msg_describeconfigs_resp_codec, 4, &in, want, sizeof want);
}

/* --- AlterConfigs ------------------------------------------------------ */

static msg_alterconfigs_req_config ac_cfg[2];
static msg_alterconfigs_req_resource ac_res[2];

static msg_alterconfigs_req ac_req_fill(void)
{
    ac_cfg[0] = (msg_alterconfigs_req_config){ S("retention.ms"), S("1000") };
    ac_cfg[1] = (msg_alterconfigs_req_config){ S("cleanup.policy"), SL_BYTES_NULL };
    ac_res[0] = (msg_alterconfigs_req_resource){ 2, S("alpha"), ac_cfg, 2 };
    ac_res[1] = (msg_alterconfigs_req_resource){ 4, S("1"), NULL, 0 };
    return (msg_alterconfigs_req){ .resources = ac_res,
                                   .resources_count = 2,
                                   .validate_only = true };
}

static void ac_req_ref(bb *b, bool f)
{
    bb_arr(b, f, 2);
    bb_i8(b, 2), bb_str(b, f, "alpha"), bb_arr(b, f, 2);
    bb_str(b, f, "retention.ms"), bb_str(b, f, "1000"), bb_tags(b, f);
    bb_str(b, f, "cleanup.policy"), bb_str(b, f, NULL), bb_tags(b, f);
    bb_tags(b, f);
    bb_i8(b, 4), bb_str(b, f, "1"), bb_arr(b, f, 0), bb_tags(b, f);
    bb_u8(b, 1);
    bb_tags(b, f);
}

Test(msg_alterconfigs, request_every_version)
{
    for (int16_t v = MSG_ALTERCONFIGS_VMIN; v <= MSG_ALTERCONFIGS_VMAX; v++) {
        msg_alterconfigs_req in = ac_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        ac_req_ref(&ref, v >= 2);
        rt_check(&t, &msg_alterconfigs_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.resources_count, 2);
        cr_assert_eq(out.resources[0].resource_type, 2);
        assert_str(out.resources[0].resource_name, "alpha", "name");
        cr_assert_eq(out.resources[0].configs_count, 2);
        assert_str(out.resources[0].configs[0].name, "retention.ms", "config");
        assert_str(out.resources[0].configs[0].value, "1000", "value");
        assert_str(out.resources[0].configs[1].name, "cleanup.policy", "config");
        assert_str(out.resources[0].configs[1].value, NULL, "value");
        cr_assert_eq(out.resources[1].resource_type, 4);
        assert_str(out.resources[1].resource_name, "1", "name");
        cr_assert_eq(out.resources[1].configs_count, 0);
        cr_assert_eq(out.validate_only, true);
        rt_done(&t);
    }
}

static msg_alterconfigs_resp_response ac_resps[2];

static void ac_resps_fill(void)
{
    ac_resps[0] = (msg_alterconfigs_resp_response){ 0, SL_BYTES_NULL, 2, S("alpha") };
    ac_resps[1] = (msg_alterconfigs_resp_response){ 40, S("bad value"), 4, S("1") };
}

static void ac_resp_ref(bb *b, bool f)
{
    bb_i32(b, 11);
    bb_arr(b, f, 2);
    bb_i16(b, 0), bb_str(b, f, NULL), bb_i8(b, 2), bb_str(b, f, "alpha"), bb_tags(b, f);
    bb_i16(b, 40), bb_str(b, f, "bad value"), bb_i8(b, 4), bb_str(b, f, "1"), bb_tags(b, f);
    bb_tags(b, f);
}

static void ac_resps_check(const msg_alterconfigs_resp_response *r, int32_t n)
{
    cr_assert_eq(n, 2);
    cr_assert_eq(r[0].error_code, 0);
    assert_str(r[0].error_message, NULL, "message");
    cr_assert_eq(r[0].resource_type, 2);
    assert_str(r[0].resource_name, "alpha", "name");
    cr_assert_eq(r[1].error_code, 40);
    assert_str(r[1].error_message, "bad value", "message");
    cr_assert_eq(r[1].resource_type, 4);
    assert_str(r[1].resource_name, "1", "name");
}

Test(msg_alterconfigs, response_every_version)
{
    for (int16_t v = MSG_ALTERCONFIGS_VMIN; v <= MSG_ALTERCONFIGS_VMAX; v++) {
        msg_alterconfigs_resp in = { 11, ac_resps, 2 }, out;
        bb ref = { .n = 0 };
        rt t;

        ac_resps_fill();
        ac_resp_ref(&ref, v >= 2);
        rt_check(&t, &msg_alterconfigs_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 11);
        ac_resps_check(out.responses, out.responses_count);
        rt_done(&t);
    }
}

/* --- IncrementalAlterConfigs ------------------------------------------- */

static msg_incrementalalterconfigs_req_config ia_cfg[2];
static msg_incrementalalterconfigs_req_resource ia_res[2];

static msg_incrementalalterconfigs_req ia_req_fill(void)
{
    ia_cfg[0] = (msg_incrementalalterconfigs_req_config){ S("retention.ms"), 0, S("1000") };
    ia_cfg[1] = (msg_incrementalalterconfigs_req_config){ S("cleanup.policy"), 1,
                                                          SL_BYTES_NULL };
    ia_res[0] = (msg_incrementalalterconfigs_req_resource){ 2, S("alpha"), ia_cfg, 2 };
    ia_res[1] = (msg_incrementalalterconfigs_req_resource){ 4, S("1"), NULL, 0 };
    return (msg_incrementalalterconfigs_req){ .resources = ia_res,
                                              .resources_count = 2,
                                              .validate_only = true };
}

static void ia_req_ref(bb *b, bool f)
{
    bb_arr(b, f, 2);
    bb_i8(b, 2), bb_str(b, f, "alpha"), bb_arr(b, f, 2);
    bb_str(b, f, "retention.ms"), bb_i8(b, 0), bb_str(b, f, "1000"), bb_tags(b, f);
    bb_str(b, f, "cleanup.policy"), bb_i8(b, 1), bb_str(b, f, NULL), bb_tags(b, f);
    bb_tags(b, f);
    bb_i8(b, 4), bb_str(b, f, "1"), bb_arr(b, f, 0), bb_tags(b, f);
    bb_u8(b, 1);
    bb_tags(b, f);
}

Test(msg_incrementalalterconfigs, request_every_version)
{
    for (int16_t v = MSG_INCREMENTALALTERCONFIGS_VMIN; v <= MSG_INCREMENTALALTERCONFIGS_VMAX;
         v++) {
        msg_incrementalalterconfigs_req in = ia_req_fill(), out;
        bb ref = { .n = 0 };
        rt t;

        ia_req_ref(&ref, v >= 1);
        rt_check(&t, &msg_incrementalalterconfigs_req_codec, v, &in, &out, &ref);
        cr_assert_eq(out.resources_count, 2);
        cr_assert_eq(out.resources[0].resource_type, 2);
        assert_str(out.resources[0].resource_name, "alpha", "name");
        cr_assert_eq(out.resources[0].configs_count, 2);
        assert_str(out.resources[0].configs[0].name, "retention.ms", "config");
        cr_assert_eq(out.resources[0].configs[0].config_operation, 0);
        assert_str(out.resources[0].configs[0].value, "1000", "value");
        assert_str(out.resources[0].configs[1].name, "cleanup.policy", "config");
        cr_assert_eq(out.resources[0].configs[1].config_operation, 1);
        assert_str(out.resources[0].configs[1].value, NULL, "value");
        cr_assert_eq(out.resources[1].resource_type, 4);
        assert_str(out.resources[1].resource_name, "1", "name");
        cr_assert_eq(out.resources[1].configs_count, 0);
        cr_assert_eq(out.validate_only, true);
        rt_done(&t);
    }
}

Test(msg_incrementalalterconfigs, response_every_version)
{
    for (int16_t v = MSG_INCREMENTALALTERCONFIGS_VMIN; v <= MSG_INCREMENTALALTERCONFIGS_VMAX;
         v++) {
        msg_incrementalalterconfigs_resp in = { 11, ac_resps, 2 }, out;
        bb ref = { .n = 0 };
        rt t;

        ac_resps_fill();
        ac_resp_ref(&ref, v >= 1);
        rt_check(&t, &msg_incrementalalterconfigs_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.throttle_time_ms, 11);
        ac_resps_check(out.responses, out.responses_count);
        rt_done(&t);
    }
}

/* Delete retention.ms on topic "t", flexible. */
Test(msg_incrementalalterconfigs, request_v1_bytes)
{
    static const uint8_t want[] = {
        0x02,                                           /* [ */
        0x02, 0x02, 't',                                /*   topic "t" */
        0x02,                                           /*   configs [ */
        0x0d, 'r', 'e', 't', 'e', 'n', 't', 'i', 'o',   /*     "retention.ms" */
        'n', '.', 'm', 's',
        0x01,                                           /*     DELETE */
        0x00,                                           /*     value null */
        0x00,                                           /*     tags ] */
        0x00,                                           /*   tags ] */
        0x00,                                           /* validate_only */
        0x00,                                           /* tags */
    };
    msg_incrementalalterconfigs_req out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_incrementalalterconfigs_req_codec, 1, want, sizeof want, &a,
                              &out, &keep),
                 SL_OK);
    cr_assert_eq(out.resources_count, 1);
    cr_assert_eq(out.resources[0].resource_type, 2);
    assert_str(out.resources[0].resource_name, "t", "name");
    cr_assert_eq(out.resources[0].configs_count, 1);
    assert_str(out.resources[0].configs[0].name, "retention.ms", "config");
    cr_assert_eq(out.resources[0].configs[0].config_operation, 1);
    assert_str(out.resources[0].configs[0].value, NULL, "value");
    cr_assert_eq(out.validate_only, false);
    encode_expect(&msg_incrementalalterconfigs_req_codec, 1, &out, want, sizeof want);
    free(keep);
    sl_arena_free(&a);
}
