/*
 * msg_configs.c - bodies of the config APIs: DescribeConfigs (key 32)
 * v0-4, flexible from v4; AlterConfigs (33) v0-2, flexible from v2;
 * IncrementalAlterConfigs (44) v0-1, flexible from v1.
 *
 * Version steps (Kafka <Name>Request.json / <Name>Response.json):
 * DescribeConfigs: request include_synonyms v1, include_documentation v3;
 * response config entries carry is_default in v0 only, then config_source
 * and synonyms from v1 (is_sensitive stays between them), config_type and
 * documentation v3.  v2 equals v1 (throttling behaviour only).
 * AlterConfigs v1 and IncrementalAlterConfigs change nothing but the
 * flexible encodings; both answer with Kafka's AlterConfigsResourceResponse.
 */
#include "msg_admin.h"
#include "msg_int.h"

/* --- DescribeConfigs --------------------------------------------------- */

sl_err msg_describeconfigs_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                      msg_describeconfigs_req *out)
{
    bool flex = v >= MSG_DESCRIBECONFIGS_FLEX;
    size_t smin = msg_str_min(flex);
    int32_t n;

    *out = (msg_describeconfigs_req){ 0 };
    if (!msg_version_ok(v, MSG_DESCRIBECONFIGS_VMIN, MSG_DESCRIBECONFIGS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "resources";
    n = msg_get_count(r, flex, 1 + smin + msg_array_min(flex) + msg_tags_min(flex));
    out->resources = msg_alloc(r, a, n, sizeof *out->resources);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_describeconfigs_req_resource *x = &out->resources[i];
        int32_t m;

        x->resource_type = kbuf_get_i8(r);
        x->resource_name = msg_get_str_nn(r, flex);
        r->field = "configuration_keys";
        m = msg_get_count_nullable(r, flex, smin);
        x->configuration_keys = msg_alloc(r, a, m, sizeof *x->configuration_keys);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++)
            x->configuration_keys[j] = msg_get_str_nn(r, flex);
        x->configuration_keys_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->resources_count = kbuf_ok(r) ? n : 0;
    if (v >= 1) {
        r->field = "include_synonyms";
        out->include_synonyms = kbuf_get_bool(r);
    }
    if (v >= 3) {
        r->field = "include_documentation";
        out->include_documentation = kbuf_get_bool(r);
    }
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_describeconfigs_req_encode(kbuf_wr *w, int16_t v, const msg_describeconfigs_req *in)
{
    bool flex = v >= MSG_DESCRIBECONFIGS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBECONFIGS_VMIN, MSG_DESCRIBECONFIGS_VMAX))
        return;
    n = msg_put_count(w, flex, in->resources_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_describeconfigs_req_resource *x = &in->resources[i];
        int32_t m;

        kbuf_put_i8(w, x->resource_type);
        msg_put_str_nn(w, flex, x->resource_name);
        m = msg_put_count(w, flex, x->configuration_keys_count, true);
        for (int32_t j = 0; j < m; j++)
            msg_put_str_nn(w, flex, x->configuration_keys[j]);
        kbuf_put_tags(w, flex);
    }
    if (v >= 1)
        kbuf_put_bool(w, in->include_synonyms);
    if (v >= 3)
        kbuf_put_bool(w, in->include_documentation);
    kbuf_put_tags(w, flex);
}

static void describeconfigs_get_config(kbuf_rd *r, int16_t v, bool flex, sl_arena *a,
                                       msg_describeconfigs_resp_config *c)
{
    int32_t n;

    c->name = msg_get_str_nn(r, flex);
    c->value = kbuf_get_str(r, flex);
    c->read_only = kbuf_get_bool(r);
    if (v == 0)
        c->is_default = kbuf_get_bool(r);
    c->config_source = v >= 1 ? kbuf_get_i8(r) : -1;
    c->is_sensitive = kbuf_get_bool(r);
    if (v >= 1) {
        r->field = "synonyms";
        n = msg_get_count(r, flex, 2 * msg_str_min(flex) + 1 + msg_tags_min(flex));
        c->synonyms = msg_alloc(r, a, n, sizeof *c->synonyms);
        for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
            msg_describeconfigs_resp_synonym *s = &c->synonyms[i];

            s->name = msg_get_str_nn(r, flex);
            s->value = kbuf_get_str(r, flex);
            s->source = kbuf_get_i8(r);
            msg_skip_tags(r, flex);
        }
        c->synonyms_count = kbuf_ok(r) ? n : 0;
    }
    if (v >= 3) {
        c->config_type = kbuf_get_i8(r);
        c->documentation = kbuf_get_str(r, flex);
    } else {
        c->documentation = msg_empty();
    }
    msg_skip_tags(r, flex);
}

sl_err msg_describeconfigs_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                       msg_describeconfigs_resp *out)
{
    bool flex = v >= MSG_DESCRIBECONFIGS_FLEX;
    size_t smin = msg_str_min(flex), tgmin = msg_tags_min(flex);
    size_t cmin = 2 * smin + 1 + 1 + 1 + (v >= 1 ? msg_array_min(flex) : 0) +
                  (v >= 3 ? 1 + smin : 0) + tgmin;
    int32_t n;

    *out = (msg_describeconfigs_resp){ 0 };
    if (!msg_version_ok(v, MSG_DESCRIBECONFIGS_VMIN, MSG_DESCRIBECONFIGS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    r->field = "results";
    n = msg_get_count(r, flex, 2 + smin + 1 + smin + msg_array_min(flex) + tgmin);
    out->results = msg_alloc(r, a, n, sizeof *out->results);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_describeconfigs_resp_result *x = &out->results[i];
        int32_t m;

        x->error_code = kbuf_get_i16(r);
        x->error_message = kbuf_get_str(r, flex);
        x->resource_type = kbuf_get_i8(r);
        x->resource_name = msg_get_str_nn(r, flex);
        r->field = "configs";
        m = msg_get_count(r, flex, cmin);
        x->configs = msg_alloc(r, a, m, sizeof *x->configs);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++)
            describeconfigs_get_config(r, v, flex, a, &x->configs[j]);
        x->configs_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->results_count = kbuf_ok(r) ? n : 0;
    msg_skip_tags(r, flex);
    return r->err;
}

static void describeconfigs_put_config(kbuf_wr *w, int16_t v, bool flex,
                                       const msg_describeconfigs_resp_config *c)
{
    msg_put_str_nn(w, flex, c->name);
    kbuf_put_str(w, flex, c->value);
    kbuf_put_bool(w, c->read_only);
    if (v == 0)
        kbuf_put_bool(w, c->is_default);
    if (v >= 1)
        kbuf_put_i8(w, c->config_source);
    kbuf_put_bool(w, c->is_sensitive);
    if (v >= 1) {
        int32_t n = msg_put_count(w, flex, c->synonyms_count, false);

        for (int32_t i = 0; i < n; i++) {
            msg_put_str_nn(w, flex, c->synonyms[i].name);
            kbuf_put_str(w, flex, c->synonyms[i].value);
            kbuf_put_i8(w, c->synonyms[i].source);
            kbuf_put_tags(w, flex);
        }
    }
    if (v >= 3) {
        kbuf_put_i8(w, c->config_type);
        kbuf_put_str(w, flex, c->documentation);
    }
    kbuf_put_tags(w, flex);
}

void msg_describeconfigs_resp_encode(kbuf_wr *w, int16_t v, const msg_describeconfigs_resp *in)
{
    bool flex = v >= MSG_DESCRIBECONFIGS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_DESCRIBECONFIGS_VMIN, MSG_DESCRIBECONFIGS_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    n = msg_put_count(w, flex, in->results_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_describeconfigs_resp_result *x = &in->results[i];
        int32_t m;

        kbuf_put_i16(w, x->error_code);
        kbuf_put_str(w, flex, x->error_message);
        kbuf_put_i8(w, x->resource_type);
        msg_put_str_nn(w, flex, x->resource_name);
        m = msg_put_count(w, flex, x->configs_count, false);
        for (int32_t j = 0; j < m; j++)
            describeconfigs_put_config(w, v, flex, &x->configs[j]);
        kbuf_put_tags(w, flex);
    }
    kbuf_put_tags(w, flex);
}

/* --- AlterConfigs and IncrementalAlterConfigs responses ---------------- */

static msg_alterconfigs_resp_response *alter_get_responses(kbuf_rd *r, bool flex, sl_arena *a,
                                                           int32_t *count)
{
    size_t smin = msg_str_min(flex);
    int32_t n;
    msg_alterconfigs_resp_response *v;

    r->field = "responses";
    n = msg_get_count(r, flex, 2 + smin + 1 + smin + msg_tags_min(flex));
    v = msg_alloc(r, a, n, sizeof *v);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        v[i].error_code = kbuf_get_i16(r);
        v[i].error_message = kbuf_get_str(r, flex);
        v[i].resource_type = kbuf_get_i8(r);
        v[i].resource_name = msg_get_str_nn(r, flex);
        msg_skip_tags(r, flex);
    }
    *count = kbuf_ok(r) ? n : 0;
    return v;
}

static void alter_put_responses(kbuf_wr *w, bool flex, const msg_alterconfigs_resp_response *v,
                                int32_t count)
{
    int32_t n = msg_put_count(w, flex, count, false);

    for (int32_t i = 0; i < n; i++) {
        kbuf_put_i16(w, v[i].error_code);
        kbuf_put_str(w, flex, v[i].error_message);
        kbuf_put_i8(w, v[i].resource_type);
        msg_put_str_nn(w, flex, v[i].resource_name);
        kbuf_put_tags(w, flex);
    }
}

/* --- AlterConfigs ------------------------------------------------------ */

sl_err msg_alterconfigs_req_decode(kbuf_rd *r, int16_t v, sl_arena *a, msg_alterconfigs_req *out)
{
    bool flex = v >= MSG_ALTERCONFIGS_FLEX;
    size_t smin = msg_str_min(flex), tgmin = msg_tags_min(flex);
    int32_t n;

    *out = (msg_alterconfigs_req){ 0 };
    if (!msg_version_ok(v, MSG_ALTERCONFIGS_VMIN, MSG_ALTERCONFIGS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "resources";
    n = msg_get_count(r, flex, 1 + smin + msg_array_min(flex) + tgmin);
    out->resources = msg_alloc(r, a, n, sizeof *out->resources);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_alterconfigs_req_resource *x = &out->resources[i];
        int32_t m;

        x->resource_type = kbuf_get_i8(r);
        x->resource_name = msg_get_str_nn(r, flex);
        r->field = "configs";
        m = msg_get_count(r, flex, 2 * smin + tgmin);
        x->configs = msg_alloc(r, a, m, sizeof *x->configs);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++) {
            x->configs[j].name = msg_get_str_nn(r, flex);
            x->configs[j].value = kbuf_get_str(r, flex);
            msg_skip_tags(r, flex);
        }
        x->configs_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->resources_count = kbuf_ok(r) ? n : 0;
    r->field = "validate_only";
    out->validate_only = kbuf_get_bool(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_alterconfigs_req_encode(kbuf_wr *w, int16_t v, const msg_alterconfigs_req *in)
{
    bool flex = v >= MSG_ALTERCONFIGS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_ALTERCONFIGS_VMIN, MSG_ALTERCONFIGS_VMAX))
        return;
    n = msg_put_count(w, flex, in->resources_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_alterconfigs_req_resource *x = &in->resources[i];
        int32_t m;

        kbuf_put_i8(w, x->resource_type);
        msg_put_str_nn(w, flex, x->resource_name);
        m = msg_put_count(w, flex, x->configs_count, false);
        for (int32_t j = 0; j < m; j++) {
            msg_put_str_nn(w, flex, x->configs[j].name);
            kbuf_put_str(w, flex, x->configs[j].value);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_bool(w, in->validate_only);
    kbuf_put_tags(w, flex);
}

sl_err msg_alterconfigs_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                    msg_alterconfigs_resp *out)
{
    bool flex = v >= MSG_ALTERCONFIGS_FLEX;

    *out = (msg_alterconfigs_resp){ 0 };
    if (!msg_version_ok(v, MSG_ALTERCONFIGS_VMIN, MSG_ALTERCONFIGS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    out->responses = alter_get_responses(r, flex, a, &out->responses_count);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_alterconfigs_resp_encode(kbuf_wr *w, int16_t v, const msg_alterconfigs_resp *in)
{
    bool flex = v >= MSG_ALTERCONFIGS_FLEX;

    if (!msg_enc_version_ok(w, v, MSG_ALTERCONFIGS_VMIN, MSG_ALTERCONFIGS_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    alter_put_responses(w, flex, in->responses, in->responses_count);
    kbuf_put_tags(w, flex);
}

/* --- IncrementalAlterConfigs ------------------------------------------- */

sl_err msg_incrementalalterconfigs_req_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                              msg_incrementalalterconfigs_req *out)
{
    bool flex = v >= MSG_INCREMENTALALTERCONFIGS_FLEX;
    size_t smin = msg_str_min(flex), tgmin = msg_tags_min(flex);
    int32_t n;

    *out = (msg_incrementalalterconfigs_req){ 0 };
    if (!msg_version_ok(v, MSG_INCREMENTALALTERCONFIGS_VMIN, MSG_INCREMENTALALTERCONFIGS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "resources";
    n = msg_get_count(r, flex, 1 + smin + msg_array_min(flex) + tgmin);
    out->resources = msg_alloc(r, a, n, sizeof *out->resources);
    for (int32_t i = 0; i < n && kbuf_ok(r); i++) {
        msg_incrementalalterconfigs_req_resource *x = &out->resources[i];
        int32_t m;

        x->resource_type = kbuf_get_i8(r);
        x->resource_name = msg_get_str_nn(r, flex);
        r->field = "configs";
        m = msg_get_count(r, flex, smin + 1 + smin + tgmin);
        x->configs = msg_alloc(r, a, m, sizeof *x->configs);
        for (int32_t j = 0; j < m && kbuf_ok(r); j++) {
            x->configs[j].name = msg_get_str_nn(r, flex);
            x->configs[j].config_operation = kbuf_get_i8(r);
            x->configs[j].value = kbuf_get_str(r, flex);
            msg_skip_tags(r, flex);
        }
        x->configs_count = kbuf_ok(r) ? m : 0;
        msg_skip_tags(r, flex);
    }
    out->resources_count = kbuf_ok(r) ? n : 0;
    r->field = "validate_only";
    out->validate_only = kbuf_get_bool(r);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_incrementalalterconfigs_req_encode(kbuf_wr *w, int16_t v,
                                            const msg_incrementalalterconfigs_req *in)
{
    bool flex = v >= MSG_INCREMENTALALTERCONFIGS_FLEX;
    int32_t n;

    if (!msg_enc_version_ok(w, v, MSG_INCREMENTALALTERCONFIGS_VMIN,
                            MSG_INCREMENTALALTERCONFIGS_VMAX))
        return;
    n = msg_put_count(w, flex, in->resources_count, false);
    for (int32_t i = 0; i < n; i++) {
        const msg_incrementalalterconfigs_req_resource *x = &in->resources[i];
        int32_t m;

        kbuf_put_i8(w, x->resource_type);
        msg_put_str_nn(w, flex, x->resource_name);
        m = msg_put_count(w, flex, x->configs_count, false);
        for (int32_t j = 0; j < m; j++) {
            msg_put_str_nn(w, flex, x->configs[j].name);
            kbuf_put_i8(w, x->configs[j].config_operation);
            kbuf_put_str(w, flex, x->configs[j].value);
            kbuf_put_tags(w, flex);
        }
        kbuf_put_tags(w, flex);
    }
    kbuf_put_bool(w, in->validate_only);
    kbuf_put_tags(w, flex);
}

sl_err msg_incrementalalterconfigs_resp_decode(kbuf_rd *r, int16_t v, sl_arena *a,
                                               msg_incrementalalterconfigs_resp *out)
{
    bool flex = v >= MSG_INCREMENTALALTERCONFIGS_FLEX;

    *out = (msg_incrementalalterconfigs_resp){ 0 };
    if (!msg_version_ok(v, MSG_INCREMENTALALTERCONFIGS_VMIN, MSG_INCREMENTALALTERCONFIGS_VMAX))
        return SL_KE_UNSUPPORTED_VERSION;
    r->field = "throttle_time_ms";
    out->throttle_time_ms = kbuf_get_i32(r);
    out->responses = alter_get_responses(r, flex, a, &out->responses_count);
    msg_skip_tags(r, flex);
    return r->err;
}

void msg_incrementalalterconfigs_resp_encode(kbuf_wr *w, int16_t v,
                                             const msg_incrementalalterconfigs_resp *in)
{
    bool flex = v >= MSG_INCREMENTALALTERCONFIGS_FLEX;

    if (!msg_enc_version_ok(w, v, MSG_INCREMENTALALTERCONFIGS_VMIN,
                            MSG_INCREMENTALALTERCONFIGS_VMAX))
        return;
    kbuf_put_i32(w, in->throttle_time_ms);
    alter_put_responses(w, flex, in->responses, in->responses_count);
    kbuf_put_tags(w, flex);
}
