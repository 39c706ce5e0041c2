/*
 * msg_apiversions.c - ApiVersions (key 18) bodies, v0-3; flexible from v3.
 *
 * v0-2 requests are empty; v3 adds client_software_name/version.  The
 * response gains throttle_time_ms in v1.  v3 responses may carry tagged
 * fields (supported/finalized features, KIP-584) that we skip and never
 * send.  The broker answers an ApiVersions version it does not support
 * with a v0 body (KIP-511), which is this encoder at version 0.
 */
#include "msg_int.h"

sl_err msg_apiversions_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_apiversions_req *out)
{
    bool flex = v >= 3;

    (void)a;
    *out = (msg_apiversions_req){ msg_empty(), msg_empty() };
    if (!msg_version_ok(v, MSG_APIVERSIONS_VMIN, MSG_APIVERSIONS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    if (v >= 3) {
        r->field = "client_software_name";
        out->client_software_name = msg_get_str_nn(r, flex);
        r->field = "client_software_version";
        out->client_software_version = msg_get_str_nn(r, flex);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_apiversions_req_encode(kbuf_wr *w, int16_t v, const msg_apiversions_req *in)
{
    bool flex = v >= 3;

    if (!msg_enc_version_ok(w, v, MSG_APIVERSIONS_VMIN, MSG_APIVERSIONS_VMAX))
        return;
    if (v >= 3) {
        msg_put_str_nn(w, flex, in->client_software_name);
        msg_put_str_nn(w, flex, in->client_software_version);
    }
    kbuf_put_tags(w, flex);
}

sl_err msg_apiversions_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_apiversions_resp *out)
{
    bool flex = v >= 3;
    int32_t n;

    *out = (msg_apiversions_resp){ 0 };
    if (!msg_version_ok(v, MSG_APIVERSIONS_VMIN, MSG_APIVERSIONS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "error_code";
    out->error_code = kbuf_get_i16(r);
    r->field = "api_keys";
    n = msg_get_count(r, flex, 6 + msg_tags_min(flex));
    out->api_keys = msg_alloc(r, a, n, sizeof *out->api_keys);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_apiversions_resp_key *k = &out->api_keys[i];

        k->api_key = kbuf_get_i16(r);
        k->min_version = kbuf_get_i16(r);
        k->max_version = kbuf_get_i16(r);
        msg_skip_tags(r, flex);
    }
    out->api_keys_count = kbuf_ok(r) ? n : 0;
    if (v >= 1) {
        r->field = "throttle_time_ms";
        out->throttle_time_ms = kbuf_get_i32(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_apiversions_resp_encode(kbuf_wr *w, int16_t v, const msg_apiversions_resp *in)
{
    bool flex = v >= 3;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_APIVERSIONS_VMIN, MSG_APIVERSIONS_VMAX))
        return;
    kbuf_put_i16(w, in->error_code);
    n = msg_put_count(w, flex, in->api_keys_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_apiversions_resp_key *k = &in->api_keys[i];

        kbuf_put_i16(w, k->api_key);
        kbuf_put_i16(w, k->min_version);
        kbuf_put_i16(w, k->max_version);
        kbuf_put_tags(w, flex);
    }
    if (v >= 1)
        kbuf_put_i32(w, in->throttle_time_ms);
    kbuf_put_tags(w, flex);
}
