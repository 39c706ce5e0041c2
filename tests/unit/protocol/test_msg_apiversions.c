/*
 * test_msg_apiversions.c - ApiVersions v0-3 request and response bodies:
 * schema-reference bytes, round trip, defaults of absent fields and every
 * truncation, for each version.
 */
#include "test_msg_common.h"

CODEC(msg_apiversions_req);
CODEC(msg_apiversions_resp);

Test(msg_apiversions, request_every_version)
{
    for (int16_t v = MSG_APIVERSIONS_VMIN; v <= MSG_APIVERSIONS_VMAX; v++) {
        bool f = v >= 3;
        msg_apiversions_req in = { S("sluice-test"), S("1.2.3") }, out;
        bb ref = { .n = 0 };
        rt t;

        /* ApiVersionsRequest.json: both strings v3+, flexible v3+. */
        if (v >= 3) {
            bb_str(&ref, f, "sluice-test");
            bb_str(&ref, f, "1.2.3");
        }
        bb_tags(&ref, f);
        rt_check(&t, &msg_apiversions_req_codec, v, &in, &out, &ref);
        if (v >= 3) {
            assert_str(out.client_software_name, "sluice-test", "name");
            assert_str(out.client_software_version, "1.2.3", "version");
        } else {
            cr_assert_eq(t.len, 0, "v%d request body must be empty", v);
            assert_str(out.client_software_name, "", "default name");
            assert_str(out.client_software_version, "", "default version");
        }
        rt_done(&t);
    }
}

Test(msg_apiversions, response_every_version)
{
    static msg_apiversions_resp_key keys[] = { { 18, 0, 3 }, { 3, 0, 12 }, { 1, 4, 13 } };

    for (int16_t v = MSG_APIVERSIONS_VMIN; v <= MSG_APIVERSIONS_VMAX; v++) {
        bool f = v >= 3;
        msg_apiversions_resp in = { .error_code = 35, .api_keys = keys, .api_keys_count = 3,
                                    .throttle_time_ms = 250 };
        msg_apiversions_resp out;
        bb ref = { .n = 0 };
        rt t;

        /* ApiVersionsResponse.json: error_code, api_keys[key, min, max],
         * throttle_time_ms v1+; tagged features v3+ (never sent). */
        bb_i16(&ref, 35);
        bb_arr(&ref, f, 3);
        for (int i = 0; i < 3; i++) {
            bb_i16(&ref, keys[i].api_key);
            bb_i16(&ref, keys[i].min_version);
            bb_i16(&ref, keys[i].max_version);
            bb_tags(&ref, f);
        }
        if (v >= 1)
            bb_i32(&ref, 250);
        bb_tags(&ref, f);
        rt_check(&t, &msg_apiversions_resp_codec, v, &in, &out, &ref);
        cr_assert_eq(out.error_code, 35);
        cr_assert_eq(out.api_keys_count, 3);
        for (int i = 0; i < 3; i++) {
            cr_assert_eq(out.api_keys[i].api_key, keys[i].api_key);
            cr_assert_eq(out.api_keys[i].min_version, keys[i].min_version);
            cr_assert_eq(out.api_keys[i].max_version, keys[i].max_version);
        }
        cr_assert_eq(out.throttle_time_ms, v >= 1 ? 250 : 0);
        rt_done(&t);
    }
}

Test(msg_apiversions, response_empty_keys)
{
    for (int16_t v = MSG_APIVERSIONS_VMIN; v <= MSG_APIVERSIONS_VMAX; v++) {
        msg_apiversions_resp in = { .error_code = 0, .api_keys_count = 0 }, out;
        rt t;

        rt_check(&t, &msg_apiversions_resp_codec, v, &in, &out, NULL);
        cr_assert_eq(out.api_keys_count, 0);
        cr_assert_null(out.api_keys);
        rt_done(&t);
    }
}

/* Kafka brokers send SupportedFeatures (tag 0) and FinalizedFeaturesEpoch
 * (tag 1) in v3: a client must skip them. */
Test(msg_apiversions, response_v3_skips_feature_tags)
{
    static const uint8_t body[] = {
        0x00, 0x00,                               /* error_code */
        0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, /* [ {18, 0, 3 */
        0x01, 0x07, 0x01, 0x01,                   /*   tags: {7: [0x01]} } ] */
        0x00, 0x00, 0x00, 0x0a,                   /* throttle_time_ms 10 */
        0x02,                                     /* two tags */
        0x00, 0x0f, 0x02, 0x09, 'm', 'e', 't', 'a', 'd', 'a', 't', 'a', /* 0: [{"metadata", */
        0x00, 0x01, 0x00, 0x0e, 0x00,             /*     1, 14}] */
        0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x2a,    /* 1: epoch 42 */
    };
    msg_apiversions_resp out;
    uint8_t *keep;
    sl_arena a;

    sl_arena_init(&a, 0);
    cr_assert_eq(decode_bytes(&msg_apiversions_resp_codec, 3, body, sizeof body, &a, &out, &keep),
                 SL_OK);
    cr_assert_eq(out.api_keys_count, 1);
    cr_assert_eq(out.api_keys[0].api_key, 18);
    cr_assert_eq(out.api_keys[0].max_version, 3);
    cr_assert_eq(out.throttle_time_ms, 10);
    sl_arena_free(&a);
    free(keep);
    /* And every truncation of it fails. */
    check_truncations(&msg_apiversions_resp_codec, 3, body, sizeof body);
}
