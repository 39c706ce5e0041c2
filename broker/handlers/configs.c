/*
 * configs.c - DescribeConfigs (32), AlterConfigs (33),
 * IncrementalAlterConfigs (44).
 *
 * Topic resources (type 2) read and change the topic's overrides
 * (topic_config.c names and checks them; the catalog stores them, and the
 * logs get the resolved settings at once).  The broker resource (type 4,
 * named by the broker id) can be described; its settings come from the
 * properties file and cannot be changed at run time, but Kafka's run-time
 * settings that mean nothing to sluice (TLS, SASL, thread pools, cleaner,
 * replication) are accepted without effect, as clients expect success.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/log.h"
#include "../../protocol/msg_admin.h"
#include "../broker.h"
#include "../topic_config.h"

#define RES_TOPIC 2
#define RES_BROKER 4


static bool broker_resource_is_us(broker *b, sl_bytes name)
{
    char id[24];

    snprintf(id, sizeof id, "%d", (int)b->node_id);
    /* "" is the cluster-wide default resource; we have one broker. */
    return name.n == 0 || sl_bytes_eq_str(name, id);
}

/* --- DescribeConfigs ------------------------------------------------------ */

typedef struct desc_ctx {
    breq *r;
    const msg_describeconfigs_req *req;
    const msg_describeconfigs_req_resource *res;
    msg_describeconfigs_resp_config *v;
    int32_t n, cap;
    bool oom;
} desc_ctx;

static int8_t broker_config_type(const char *value)
{
    const char *p = value;

    if (!strcmp(value, "true") || !strcmp(value, "false"))
        return TCFG_TYPE_BOOLEAN;
    if (*p == '-')
        p++;
    if (!*p)
        return TCFG_TYPE_STRING;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return TCFG_TYPE_STRING;
    return TCFG_TYPE_LONG;
}

static bool key_wanted(const msg_describeconfigs_req_resource *res, const char *name)
{
    if (res->configuration_keys_count < 0)
        return true;
    for (int32_t i = 0; i < res->configuration_keys_count; i++)
        if (sl_bytes_eq_str(res->configuration_keys[i], name))
            return true;
    return false;
}

static void desc_add(desc_ctx *dc, const char *name, const char *value, int8_t source,
                     int8_t type)
{
    breq *r = dc->r;
    msg_describeconfigs_resp_config *c;

    if (dc->oom || !key_wanted(dc->res, name))
        return;
    if (dc->n == dc->cap) {
        int32_t cap = dc->cap ? dc->cap * 2 : 32;
        msg_describeconfigs_resp_config *v = sl_arena_calloc(&r->arena, (size_t)cap, sizeof *v);

        if (!v) {
            dc->oom = true;
            return;
        }
        if (dc->n)
            memcpy(v, dc->v, (size_t)dc->n * sizeof *v);
        dc->v = v;
        dc->cap = cap;
    }
    c = &dc->v[dc->n++];
    c->name = sl_bytes_str(req_cstr(r, sl_bytes_str(name)));
    c->value = sl_bytes_str(req_cstr(r, sl_bytes_str(value)));
    c->read_only = dc->res->resource_type == RES_BROKER; /* static */
    c->is_default = source == TCFG_SOURCE_DEFAULT;
    c->config_source = source;
    c->is_sensitive = false;
    c->config_type = type;
    c->documentation = SL_BYTES_NULL;
    c->synonyms_count = 0;
    if (dc->req->include_synonyms) {
        msg_describeconfigs_resp_synonym *s = sl_arena_calloc(&r->arena, 1, sizeof *s);

        if (!s) {
            dc->oom = true;
            return;
        }
        s->name = c->name;
        s->value = c->value;
        s->source = source;
        c->synonyms = s;
        c->synonyms_count = 1;
    }
}

static void desc_topic_one(void *ud, const char *name, const char *value, int8_t source)
{
    desc_add(ud, name, value, source, tcfg_type(name));
}

static void desc_broker_one(void *ud, const char *name, const char *value, bool is_default)
{
    desc_add(ud, name, value, is_default ? TCFG_SOURCE_DEFAULT : TCFG_SOURCE_STATIC_BROKER,
             broker_config_type(value));
}

void handle_describe_configs(breq *r)
{
    broker *b = r->c->b;
    msg_describeconfigs_req req;
    msg_describeconfigs_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_describeconfigs_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.results = sl_arena_calloc(&r->arena, (size_t)req.resources_count + 1,
                                   sizeof *resp.results);
    if (!resp.results) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp.results_count = req.resources_count;
    for (int32_t i = 0; i < req.resources_count; i++) {
        const msg_describeconfigs_req_resource *res = &req.resources[i];
        msg_describeconfigs_resp_result *out = &resp.results[i];
        desc_ctx dc = { .r = r, .req = &req, .res = res };

        out->resource_type = res->resource_type;
        out->resource_name = res->resource_name;
        out->error_message = SL_BYTES_NULL;
        if (res->resource_type == RES_TOPIC) {
            cat_topic *t = catalog_find(b->cat, res->resource_name);

            if (!t) {
                out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
                out->error_message = req_printf(r, "Topic '%.*s' does not exist.",
                                             (int)res->resource_name.n,
                                             (const char *)res->resource_name.p);
                continue;
            }
            tcfg_each(&b->cfg, cat_topic_overrides(t), desc_topic_one, &dc);
        } else if (res->resource_type == RES_BROKER) {
            if (!broker_resource_is_us(b, res->resource_name)) {
                out->error_code = SL_KE_INVALID_REQUEST;
                out->error_message = req_printf(r, "Unexpected broker id, expected %d",
                                             (int)b->node_id);
                continue;
            }
            config_each(&b->cfg, desc_broker_one, &dc);
        } else {
            out->error_code = SL_KE_INVALID_REQUEST;
            out->error_message = req_printf(r, "Unsupported resource type %d",
                                         (int)res->resource_type);
            continue;
        }
        if (dc.oom) {
            /* The other resources may still fit: answer this one's error. */
            sl_warn_rl("mem", "out of memory describing the configs of '%.*s' for %s",
                       (int)res->resource_name.n, (const char *)res->resource_name.p,
                       r->c->peer);
            out->error_code = SL_KE_UNKNOWN_SERVER_ERROR;
            out->error_message = sl_bytes_str("out of memory describing this resource");
            continue;
        }
        out->configs = dc.v;
        out->configs_count = dc.n;
    }
    resp_begin(r, &w);
    msg_describeconfigs_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

/* --- AlterConfigs and IncrementalAlterConfigs ----------------------------- */

/* Store new overrides and apply them to the logs. */
static sl_err store_overrides(broker *b, cat_topic *t, const char *text, char *errstr,
                              size_t errstr_size)
{
    plog_config pc;
    int64_t maxmsg;
    sl_err e = tcfg_resolve(&b->cfg, text, &pc, &maxmsg, errstr, errstr_size);

    if (e)
        return e;
    e = cat_topic_set_overrides(b->cat, t, text);
    if (e) {
        snprintf(errstr, errstr_size, "storing the topic's config failed: %s", sl_err_str(e));
        return SL_KE_KAFKA_STORAGE_ERROR;
    }
    if (cat_topic_set_config(t, &pc) != SL_OK) {
        snprintf(errstr, errstr_size, "applying the topic's config failed");
        return SL_KE_INVALID_CONFIG;
    }
    sl_info("admin", "topic %s: config now '%s'", cat_topic_name(t), text);
    return SL_OK;
}

/* Kafka's broker settings that can change at run time and mean nothing to
 * sluice (no TLS, SASL, thread pools, log cleaner or replication): Kafka
 * answers AlterConfigs of them with success, and clients rely on it
 * (librdkafka's test 0081 sets sasl.kerberos.min.time.before.relogin). */
static bool broker_setting_without_effect(sl_bytes name)
{
    static const char *const prefixes[] = { "sasl.", "ssl.", "listener.name." };
    static const char *const names[] = {
        "background.threads", "follower.replication.throttled.rate",
        "leader.replication.throttled.rate", "log.cleaner.backoff.ms",
        "log.cleaner.dedupe.buffer.size", "log.cleaner.io.buffer.load.factor",
        "log.cleaner.io.buffer.size", "log.cleaner.io.max.bytes.per.second",
        "log.cleaner.threads", "metric.reporters", "num.io.threads", "num.network.threads",
        "num.recovery.threads.per.data.dir", "num.replica.fetchers",
        "replica.alter.log.dirs.io.max.bytes.per.second", "unclean.leader.election.enable",
    };

    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (name.n > strlen(prefixes[i]) && !memcmp(name.p, prefixes[i], strlen(prefixes[i])))
            return true;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (sl_bytes_eq_str(name, names[i]))
            return true;
    return false;
}

/* The first of a broker resource's settings that is not one of those, or
 * null: both Alter APIs' config structs start with the name. */
static sl_bytes first_static(const void *configs, size_t size, int32_t n)
{
    _Static_assert(offsetof(msg_alterconfigs_req_config, name) == 0 &&
                       offsetof(msg_incrementalalterconfigs_req_config, name) == 0,
                   "config name first");
    for (int32_t j = 0; j < n; j++) {
        const sl_bytes *name = (const void *)((const char *)configs + (size_t)j * size);

        if (!broker_setting_without_effect(*name))
            return *name;
    }
    return SL_BYTES_NULL;
}

/* A broker resource's answer: success if every setting is one of the
 * above (not kept: it has no effect), else INVALID_REQUEST naming the
 * first that is not.  bad: that setting, or null. */
static void broker_alter_answer(breq *r, sl_bytes name, sl_bytes bad,
                                msg_alterconfigs_resp_response *out)
{
    broker *b = r->c->b;

    out->resource_type = RES_BROKER;
    out->resource_name = name;
    out->error_message = SL_BYTES_NULL;
    if (!broker_resource_is_us(b, name)) {
        out->error_code = SL_KE_INVALID_REQUEST;
        out->error_message = req_printf(r, "Unexpected broker id, expected %d", (int)b->node_id);
    } else if (!bad.null) {
        out->error_code = SL_KE_INVALID_REQUEST;
        out->error_message = req_printf(r, "broker setting '%.*s' is static in sluice: change "
                                        "the properties file and restart",
                                        (int)bad.n, (const char *)bad.p);
    } else {
        sl_info("admin", "%s: broker settings accepted without effect (sluice has no use "
                "for them)", r->c->peer);
    }
}

/* Common checks of a resource: the topic to change, or NULL with out
 * filled (a broker resource is answered here); configs, size, n: its
 * settings, of either Alter API. */
static cat_topic *alter_target(breq *r, int8_t type, sl_bytes name, const void *configs,
                               size_t size, int32_t n, msg_alterconfigs_resp_response *out)
{
    broker *b = r->c->b;
    cat_topic *t;

    if (type == RES_BROKER) {
        broker_alter_answer(r, name, first_static(configs, size, n), out);
        return NULL;
    }
    out->resource_type = type;
    out->resource_name = name;
    out->error_message = SL_BYTES_NULL;
    if (type != RES_TOPIC) {
        out->error_code = SL_KE_INVALID_REQUEST;
        out->error_message = req_printf(r, "Unsupported resource type %d", (int)type);
        return NULL;
    }
    t = catalog_find(b->cat, name);
    if (!t) {
        out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = req_printf(r, "Topic '%.*s' does not exist.", (int)name.n,
                                     (const char *)name.p);
    }
    return t;
}

void handle_alter_configs(breq *r)
{
    broker *b = r->c->b;
    msg_alterconfigs_req req;
    msg_alterconfigs_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_alterconfigs_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.responses = sl_arena_calloc(&r->arena, (size_t)req.resources_count + 1,
                                     sizeof *resp.responses);
    if (!resp.responses) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp.responses_count = req.resources_count;
    for (int32_t i = 0; i < req.resources_count; i++) {
        const msg_alterconfigs_req_resource *res = &req.resources[i];
        msg_alterconfigs_resp_response *out = &resp.responses[i];
        cat_topic *t = alter_target(r, res->resource_type, res->resource_name, res->configs,
                                    sizeof *res->configs, res->configs_count, out);
        char *text = NULL, errstr[256] = "";
        sl_err e = SL_OK;

        if (!t)
            continue;
        /* AlterConfigs replaces the whole set of overrides. */
        for (int32_t j = 0; j < res->configs_count && !e; j++) {
            const msg_alterconfigs_req_config *c = &res->configs[j];
            char *name = req_cstr(r, c->name), *value, *next = NULL;

            if (c->value.null)
                continue;
            value = req_cstr(r, c->value);
            if (!name || !value) {
                e = SL_E_NOMEM;
                break;
            }
            e = tcfg_set(&b->cfg, text ? text : "", name, value, &next, errstr, sizeof errstr);
            if (!e) {
                free(text);
                text = next;
            }
        }
        if (!e && !req.validate_only)
            e = store_overrides(b, t, text ? text : "", errstr, sizeof errstr);
        free(text);
        if (e) {
            out->error_code = e > 0 ? (int16_t)e : SL_KE_UNKNOWN_SERVER_ERROR;
            out->error_message = req_printf(r, "%s", e > 0 ? errstr : sl_err_str(e));
        }
    }
    resp_begin(r, &w);
    msg_alterconfigs_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

/* cleanup.policy is Kafka's only list setting here: APPEND/SUBTRACT on
 * its comma-separated items.  *out (owned) gets the new list. */
static bool list_edit(const char *cur, const char *item, bool append, char **out)
{
    size_t cap = strlen(cur) + strlen(item) + 2;
    char *res = calloc(1, cap), *copy = strdup(cur), *save = NULL;
    bool have = false;

    if (!res || !copy) {
        free(res);
        free(copy);
        return false;
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, item)) {
            have = true;
            if (!append)
                continue;
        }
        if (*res)
            strcat(res, ",");
        strcat(res, tok);
    }
    if (append && !have) {
        if (*res)
            strcat(res, ",");
        strcat(res, item);
    }
    free(copy);
    *out = res;
    return true;
}

typedef struct cur_value {
    const char *name;
    char value[512];
} cur_value;

static void find_value(void *ud, const char *name, const char *value, int8_t source)
{
    cur_value *cv = ud;

    (void)source;
    if (!strcmp(cv->name, name))
        snprintf(cv->value, sizeof cv->value, "%s", value);
}

void handle_incremental_alter_configs(breq *r)
{
    broker *b = r->c->b;
    msg_incrementalalterconfigs_req req;
    msg_incrementalalterconfigs_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_incrementalalterconfigs_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.responses = sl_arena_calloc(&r->arena, (size_t)req.resources_count + 1,
                                     sizeof *resp.responses);
    if (!resp.responses) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp.responses_count = req.resources_count;
    for (int32_t i = 0; i < req.resources_count; i++) {
        const msg_incrementalalterconfigs_req_resource *res = &req.resources[i];
        msg_alterconfigs_resp_response *out = &resp.responses[i];
        cat_topic *t = alter_target(r, res->resource_type, res->resource_name, res->configs,
                                    sizeof *res->configs, res->configs_count, out);
        char *text, errstr[256] = "";
        sl_err e = SL_OK;

        if (!t)
            continue;
        text = strdup(cat_topic_overrides(t));
        if (!text)
            e = SL_E_NOMEM;
        for (int32_t j = 0; j < res->configs_count && !e; j++) {
            const msg_incrementalalterconfigs_req_config *c = &res->configs[j];
            char *name = req_cstr(r, c->name), *value = c->value.null ? NULL : req_cstr(r, c->value);
            char *next = NULL, *edited = NULL;

            if (!name || (!c->value.null && !value)) {
                e = SL_E_NOMEM;
                break;
            }
            switch (c->config_operation) {
            case 0: /* SET */
                if (!value) {
                    snprintf(errstr, sizeof errstr, "Null value not supported for : %s", name);
                    e = SL_KE_INVALID_CONFIG;
                    break;
                }
                e = tcfg_set(&b->cfg, text, name, value, &next, errstr, sizeof errstr);
                break;
            case 1: /* DELETE */
                e = tcfg_set(&b->cfg, text, name, NULL, &next, errstr, sizeof errstr);
                break;
            case 2: /* APPEND */
            case 3: /* SUBTRACT */
                if (strcmp(name, "cleanup.policy") != 0) {
                    snprintf(errstr, sizeof errstr,
                             "Config value append is not allowed for config key: %s", name);
                    e = SL_KE_INVALID_CONFIG;
                    break;
                }
                {
                    cur_value cv = { .name = name };

                    tcfg_each(&b->cfg, text, find_value, &cv);
                    if (!list_edit(cv.value, value ? value : "", c->config_operation == 2,
                                   &edited)) {
                        e = SL_E_NOMEM;
                        break;
                    }
                    e = tcfg_set(&b->cfg, text, name, edited, &next, errstr, sizeof errstr);
                    free(edited);
                }
                break;
            default:
                snprintf(errstr, sizeof errstr, "Unknown config operation %d",
                         (int)c->config_operation);
                e = SL_KE_INVALID_REQUEST;
            }
            if (!e) {
                free(text);
                text = next;
            }
        }
        if (!e && !req.validate_only)
            e = store_overrides(b, t, text, errstr, sizeof errstr);
        free(text);
        if (e) {
            out->error_code = e > 0 ? (int16_t)e : SL_KE_UNKNOWN_SERVER_ERROR;
            out->error_message = req_printf(r, "%s", e > 0 ? errstr : sl_err_str(e));
        }
    }
    resp_begin(r, &w);
    msg_incrementalalterconfigs_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
