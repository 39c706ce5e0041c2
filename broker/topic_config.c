/*
 * topic_config.c - Kafka's topic config names over plog_config (see
 * topic_config.h).
 *
 * Every topic setting Apache Kafka defines is accepted, checked with
 * Kafka's validator (type and range), stored and described, so tools and
 * test suites that set them work.  Those that change nothing on a single
 * broker that stores batches as sent (replication, throttling, compaction
 * tuning, recompression, tiered storage) are listed as such in
 * docs/configuration.md.  Values sluice would have to silently ignore in a
 * way that loses or keeps data against the user's intent are refused with
 * INVALID_CONFIG and a reason: cleanup.policy=compact (no log cleaner),
 * remote.storage.enable=true (no tiered storage, as Kafka refuses when
 * remote storage is off), min.insync.replicas above 1 (one replica).
 */
#include <bsd/string.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topic_config.h"

typedef enum {
    K_LONG,       /* an integer in [min, max] */
    K_TSTYPE,     /* CreateTime | LogAppendTime */
    K_CLEANUP,    /* delete (compact refused) */
    K_COMPRESSION,
    K_MINISR,
    K_BOOL,       /* true | false, any case */
    K_NOT_TRUE,   /* a boolean whose true sluice cannot honour */
    K_RATIO,      /* a double in [0, 1] */
    K_GZIP_LEVEL, /* -1 or 1..9 */
    K_REPLICAS,   /* "", "*" or partition:broker,... */
    K_VERSION,    /* message.format.version: a Kafka version name */
} tkind;

typedef struct tkey {
    const char *name;
    const char *broker_key; /* the broker setting that is its default */
    tkind kind;
    int64_t min, max;
    const char *def;        /* Kafka's default where no broker setting is */
    int8_t type;            /* TCFG_TYPE_*, for DescribeConfigs */
} tkey;

#define LMAX INT64_MAX
#define IMAX INT32_MAX

/* Alphabetical, as Kafka's documentation lists them. */
static const tkey tkeys[] = {
    { "cleanup.policy", NULL, K_CLEANUP, 0, 0, "delete", TCFG_TYPE_LIST },
    { "compression.gzip.level", NULL, K_GZIP_LEVEL, -1, 9, "-1", TCFG_TYPE_INT },
    { "compression.lz4.level", NULL, K_LONG, 1, 17, "9", TCFG_TYPE_INT },
    { "compression.type", NULL, K_COMPRESSION, 0, 0, "producer", TCFG_TYPE_STRING },
    { "compression.zstd.level", NULL, K_LONG, -131072, 22, "3", TCFG_TYPE_INT },
    { "delete.retention.ms", NULL, K_LONG, 0, LMAX, "86400000", TCFG_TYPE_LONG },
    { "file.delete.delay.ms", NULL, K_LONG, 0, LMAX, "60000", TCFG_TYPE_LONG },
    { "flush.messages", "log.flush.interval.messages", K_LONG, 1, LMAX, NULL, TCFG_TYPE_LONG },
    { "flush.ms", "log.flush.interval.ms", K_LONG, 0, LMAX, NULL, TCFG_TYPE_LONG },
    { "follower.replication.throttled.replicas", NULL, K_REPLICAS, 0, 0, "", TCFG_TYPE_LIST },
    { "index.interval.bytes", "log.index.interval.bytes", K_LONG, 0, IMAX, NULL, TCFG_TYPE_INT },
    { "leader.replication.throttled.replicas", NULL, K_REPLICAS, 0, 0, "", TCFG_TYPE_LIST },
    { "local.retention.bytes", NULL, K_LONG, -2, LMAX, "-2", TCFG_TYPE_LONG },
    { "local.retention.ms", NULL, K_LONG, -2, LMAX, "-2", TCFG_TYPE_LONG },
    { "max.compaction.lag.ms", NULL, K_LONG, 1, LMAX, "9223372036854775807", TCFG_TYPE_LONG },
    { "max.message.bytes", "message.max.bytes", K_LONG, 0, IMAX, NULL, TCFG_TYPE_INT },
    { "message.downconversion.enable", NULL, K_BOOL, 0, 0, "true", TCFG_TYPE_BOOLEAN },
    { "message.format.version", NULL, K_VERSION, 0, 0, "3.0-IV1", TCFG_TYPE_STRING },
    { "message.timestamp.after.max.ms", NULL, K_LONG, 0, LMAX, "9223372036854775807",
      TCFG_TYPE_LONG },
    { "message.timestamp.before.max.ms", NULL, K_LONG, 0, LMAX, "9223372036854775807",
      TCFG_TYPE_LONG },
    { "message.timestamp.difference.max.ms", NULL, K_LONG, 0, LMAX, "9223372036854775807",
      TCFG_TYPE_LONG },
    { "message.timestamp.type", "log.message.timestamp.type", K_TSTYPE, 0, 0, NULL,
      TCFG_TYPE_STRING },
    { "min.cleanable.dirty.ratio", NULL, K_RATIO, 0, 0, "0.5", TCFG_TYPE_DOUBLE },
    { "min.compaction.lag.ms", NULL, K_LONG, 0, LMAX, "0", TCFG_TYPE_LONG },
    { "min.insync.replicas", NULL, K_MINISR, 1, 1, "1", TCFG_TYPE_INT },
    { "preallocate", NULL, K_BOOL, 0, 0, "false", TCFG_TYPE_BOOLEAN },
    { "remote.log.copy.disable", NULL, K_BOOL, 0, 0, "false", TCFG_TYPE_BOOLEAN },
    { "remote.log.delete.on.disable", NULL, K_BOOL, 0, 0, "false", TCFG_TYPE_BOOLEAN },
    { "remote.storage.enable", NULL, K_NOT_TRUE, 0, 0, "false", TCFG_TYPE_BOOLEAN },
    { "retention.bytes", "log.retention.bytes", K_LONG, -1, LMAX, NULL, TCFG_TYPE_LONG },
    { "retention.ms", "log.retention.ms", K_LONG, -1, LMAX, NULL, TCFG_TYPE_LONG },
    { "segment.bytes", "log.segment.bytes", K_LONG, 1024, IMAX, NULL, TCFG_TYPE_INT },
    { "segment.index.bytes", "log.index.size.max.bytes", K_LONG, 4096, IMAX, NULL,
      TCFG_TYPE_INT },
    { "segment.jitter.ms", NULL, K_LONG, 0, LMAX, "0", TCFG_TYPE_LONG },
    { "segment.ms", "log.roll.ms", K_LONG, 1, LMAX, NULL, TCFG_TYPE_LONG },
    { "unclean.leader.election.enable", NULL, K_BOOL, 0, 0, "false", TCFG_TYPE_BOOLEAN },
};
#define NTKEYS (sizeof tkeys / sizeof tkeys[0])

static const tkey *tkey_find(const char *name, size_t n)
{
    for (size_t i = 0; i < NTKEYS; i++)
        if (strlen(tkeys[i].name) == n && !strncmp(tkeys[i].name, name, n))
            return &tkeys[i];
    return NULL;
}

bool tcfg_known(const char *name)
{
    return tkey_find(name, strlen(name)) != NULL;
}

int8_t tcfg_type(const char *name)
{
    const tkey *k = tkey_find(name, strlen(name));

    return k ? k->type : TCFG_TYPE_STRING;
}

/* The broker's value for a topic setting, as Kafka reports it. */
static void broker_default(const broker_config *bc, const tkey *k, char *buf, size_t n)
{
    int64_t v = 0;

    if (k->def) {
        strlcpy(buf, k->def, n);
        return;
    }
    if (!strcmp(k->name, "message.timestamp.type")) {
        strlcpy(buf, bc->log_append_time ? "LogAppendTime" : "CreateTime", n);
        return;
    }
    if (!strcmp(k->name, "flush.messages"))
        v = bc->log_flush_interval_messages;
    else if (!strcmp(k->name, "flush.ms"))
        v = bc->log_flush_interval_ms == -2 ? INT64_MAX : bc->log_flush_interval_ms;
    else if (!strcmp(k->name, "index.interval.bytes"))
        v = bc->index_interval_bytes;
    else if (!strcmp(k->name, "max.message.bytes"))
        v = bc->message_max_bytes;
    else if (!strcmp(k->name, "retention.bytes"))
        v = bc->log_retention_bytes;
    else if (!strcmp(k->name, "retention.ms"))
        v = bc->retention_ms;
    else if (!strcmp(k->name, "segment.bytes"))
        v = bc->log_segment_bytes;
    else if (!strcmp(k->name, "segment.index.bytes"))
        v = bc->index_max_bytes;
    else if (!strcmp(k->name, "segment.ms"))
        v = bc->roll_ms;
    snprintf(buf, n, "%lld", (long long)v);
}

static bool broker_set_explicitly(const broker_config *bc, const tkey *k)
{
    char buf[64];
    bool is_default = true;

    if (!k->broker_key)
        return false;
    if (!strcmp(k->name, "retention.ms"))
        return !(config_get(bc, "log.retention.ms", buf, sizeof buf, &is_default) && is_default) ||
               !(config_get(bc, "log.retention.minutes", buf, sizeof buf, &is_default) &&
                 is_default) ||
               !(config_get(bc, "log.retention.hours", buf, sizeof buf, &is_default) &&
                 is_default);
    if (!strcmp(k->name, "segment.ms"))
        return !(config_get(bc, "log.roll.ms", buf, sizeof buf, &is_default) && is_default) ||
               !(config_get(bc, "log.roll.hours", buf, sizeof buf, &is_default) && is_default);
    return config_get(bc, k->broker_key, buf, sizeof buf, &is_default) && !is_default;
}

static sl_err refuse(const tkey *k, const char *value, const char *want, char *errstr,
                     size_t errstr_size)
{
    snprintf(errstr, errstr_size, "%s: '%s' is not %s", k->name, value, want);
    return SL_KE_INVALID_CONFIG;
}

static bool one_of(const char *value, const char *const *names)
{
    for (; *names; names++)
        if (!strcmp(value, *names))
            return true;
    return false;
}

static const char *skip_digits(const char *p)
{
    const char *q = p;

    while (*q >= '0' && *q <= '9')
        q++;
    return q > p ? q : NULL;
}

/* Kafka's throttled-replicas list: empty, "*", or partition:broker items. */
static bool replicas_ok(const char *v)
{
    const char *p = v;

    if (!*v || !strcmp(v, "*"))
        return true;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!(p = skip_digits(p)) || *p++ != ':' || !(p = skip_digits(p)))
            return false;
        while (*p == ' ')
            p++;
        if (!*p)
            return true;
        if (*p++ != ',')
            return false;
    }
}

/* A Kafka version name as message.format.version takes: 0.10.2, 3.0-IV1. */
static bool version_ok(const char *v)
{
    if (*v < '0' || *v > '9' || strlen(v) > 32)
        return false;
    return strspn(v, "0123456789.-IV") == strlen(v);
}

/* The refusals that protect data, each with its reason. */
static sl_err refuse_unhonoured(const tkey *k, const char *value, char *errstr,
                                size_t errstr_size)
{
    if (k->kind == K_CLEANUP)
        snprintf(errstr, errstr_size,
                 "cleanup.policy '%s' is not supported: sluice keeps topics with "
                 "cleanup.policy=delete only (no log compaction)",
                 value);
    else
        snprintf(errstr, errstr_size,
                 "%s=%s is not supported: sluice has no tiered storage "
                 "(as Kafka answers when remote log storage is not enabled)",
                 k->name, value);
    return SL_KE_INVALID_CONFIG;
}

/* Check one value (Kafka's validator for the setting); for integers *out
 * gets the number. */
static sl_err check_value(const tkey *k, const char *value, int64_t *out, char *errstr,
                          size_t errstr_size)
{
    static const char *const codecs[] = { "uncompressed", "zstd", "lz4", "snappy", "gzip",
                                          "producer", NULL };
    static const char *const tstypes[] = { "CreateTime", "LogAppendTime", NULL };
    char *end;
    long long v;
    double d;

    switch (k->kind) {
    case K_CLEANUP:
        return !strcmp(value, "delete") ? SL_OK
                                        : refuse_unhonoured(k, value, errstr, errstr_size);
    case K_COMPRESSION:
        return one_of(value, codecs) ? SL_OK
                                     : refuse(k, value, "one of uncompressed, zstd, lz4, "
                                              "snappy, gzip, producer", errstr, errstr_size);
    case K_TSTYPE:
        return one_of(value, tstypes) ? SL_OK
                                      : refuse(k, value, "CreateTime or LogAppendTime", errstr,
                                               errstr_size);
    case K_BOOL:
    case K_NOT_TRUE:
        if (strcasecmp(value, "true") && strcasecmp(value, "false"))
            return refuse(k, value, "true or false", errstr, errstr_size);
        if (k->kind == K_NOT_TRUE && !strcasecmp(value, "true"))
            return refuse_unhonoured(k, value, errstr, errstr_size);
        return SL_OK;
    case K_RATIO:
        errno = 0;
        d = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(d) || d < 0 || d > 1)
            return refuse(k, value, "a number in [0, 1]", errstr, errstr_size);
        return SL_OK;
    case K_REPLICAS:
        return replicas_ok(value) ? SL_OK
                                  : refuse(k, value, "'*' or a list of partition:broker",
                                           errstr, errstr_size);
    case K_VERSION:
        return version_ok(value) ? SL_OK
                                 : refuse(k, value, "a Kafka version such as 3.0-IV1", errstr,
                                          errstr_size);
    case K_GZIP_LEVEL:
    case K_MINISR:
    case K_LONG:
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < k->min || v > k->max ||
            (k->kind == K_GZIP_LEVEL && v == 0)) {
            snprintf(errstr, errstr_size, "%s: '%s' is not an integer in [%lld, %lld]%s",
                     k->name, value, (long long)k->min, (long long)k->max,
                     k->kind == K_GZIP_LEVEL ? " other than 0" : "");
            return SL_KE_INVALID_CONFIG;
        }
        *out = v;
        return SL_OK;
    }
    return SL_KE_INVALID_CONFIG;
}

static void apply(const tkey *k, const char *value, int64_t v, plog_config *pc, int64_t *maxmsg)
{
    if (!strcmp(k->name, "flush.messages"))
        pc->flush_messages = v;
    else if (!strcmp(k->name, "flush.ms"))
        pc->flush_ms = v == INT64_MAX ? -1 : v;
    else if (!strcmp(k->name, "index.interval.bytes"))
        pc->index_interval_bytes = (int32_t)v;
    else if (!strcmp(k->name, "max.message.bytes"))
        *maxmsg = v;
    else if (!strcmp(k->name, "message.timestamp.type"))
        pc->log_append_time = !strcmp(value, "LogAppendTime");
    else if (!strcmp(k->name, "retention.bytes"))
        pc->retention_bytes = v;
    else if (!strcmp(k->name, "retention.ms"))
        pc->retention_ms = v;
    else if (!strcmp(k->name, "segment.bytes"))
        pc->segment_bytes = v;
    else if (!strcmp(k->name, "segment.index.bytes"))
        pc->index_max_bytes = (int32_t)v;
    else if (!strcmp(k->name, "segment.ms"))
        pc->segment_ms = v;
}

/* Walk "name=value" lines; fn returns an error to stop. */
static sl_err each_line(const char *text,
                        sl_err (*fn)(void *ud, const char *name, size_t nlen, const char *value),
                        void *ud)
{
    const char *p = text ? text : "";

    while (*p) {
        const char *nl = strchr(p, '\n'), *eq;
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char value[512];
        sl_err err;

        eq = memchr(p, '=', len);
        if (eq && (size_t)(p + len - eq - 1) < sizeof value) {
            memcpy(value, eq + 1, (size_t)(p + len - eq - 1));
            value[p + len - eq - 1] = 0;
            err = fn(ud, p, (size_t)(eq - p), value);
            if (err)
                return err;
        }
        p += len + (nl ? 1 : 0);
    }
    return SL_OK;
}

typedef struct resolve_ctx {
    plog_config *pc;
    int64_t *maxmsg;
    char *errstr;
    size_t errstr_size;
} resolve_ctx;

static sl_err resolve_one(void *ud, const char *name, size_t nlen, const char *value)
{
    resolve_ctx *rc = ud;
    const tkey *k = tkey_find(name, nlen);
    int64_t v = 0;
    sl_err err;

    if (!k) {
        snprintf(rc->errstr, rc->errstr_size, "unknown topic config '%.*s'", (int)nlen, name);
        return SL_KE_INVALID_CONFIG;
    }
    err = check_value(k, value, &v, rc->errstr, rc->errstr_size);
    if (!err)
        apply(k, value, v, rc->pc, rc->maxmsg);
    return err;
}

sl_err tcfg_resolve(const broker_config *bc, const char *overrides, plog_config *out,
                    int64_t *max_message_bytes, char *errstr, size_t errstr_size)
{
    resolve_ctx rc = { out, max_message_bytes, errstr, errstr_size };
    sl_err err;

    plog_config_default(out);
    out->segment_bytes = bc->log_segment_bytes;
    out->index_interval_bytes = (int32_t)bc->index_interval_bytes;
    out->index_max_bytes = (int32_t)bc->index_max_bytes;
    out->segment_ms = bc->roll_ms;
    out->retention_ms = bc->retention_ms;
    out->retention_bytes = bc->log_retention_bytes;
    out->flush_messages = bc->log_flush_interval_messages;
    out->flush_ms = bc->log_flush_interval_ms == -2 ? -1 : bc->log_flush_interval_ms;
    out->log_append_time = bc->log_append_time;
    *max_message_bytes = bc->message_max_bytes;
    err = each_line(overrides, resolve_one, &rc);
    if (err)
        return err;
    if (plog_config_check(out, errstr, errstr_size) != SL_OK)
        return SL_KE_INVALID_CONFIG;
    return SL_OK;
}

typedef struct set_ctx {
    const char *skip; /* the name being set or removed */
    char *buf;
    size_t len, cap;
    bool oom;
} set_ctx;

static void append(set_ctx *sc, const char *s, size_t n)
{
    if (sc->oom)
        return;
    if (sc->len + n + 1 > sc->cap) {
        size_t cap = (sc->cap + n + 1) * 2;
        char *p = realloc(sc->buf, cap);

        if (!p) {
            sc->oom = true;
            return;
        }
        sc->buf = p;
        sc->cap = cap;
    }
    memcpy(sc->buf + sc->len, s, n);
    sc->len += n;
    sc->buf[sc->len] = 0;
}

static sl_err keep_other(void *ud, const char *name, size_t nlen, const char *value)
{
    set_ctx *sc = ud;

    if (strlen(sc->skip) == nlen && !strncmp(sc->skip, name, nlen))
        return SL_OK;
    append(sc, name, nlen);
    append(sc, "=", 1);
    append(sc, value, strlen(value));
    append(sc, "\n", 1);
    return SL_OK;
}

sl_err tcfg_set(const broker_config *bc, const char *overrides, const char *name,
                const char *value, char **out, char *errstr, size_t errstr_size)
{
    const tkey *k = tkey_find(name, strlen(name));
    set_ctx sc = { .skip = name };
    plog_config pc;
    int64_t v = 0, maxmsg;
    sl_err err;

    if (!k) {
        snprintf(errstr, errstr_size, "unknown topic config '%s'", name);
        return SL_KE_INVALID_CONFIG;
    }
    if (value && (err = check_value(k, value, &v, errstr, errstr_size)) != SL_OK)
        return err;
    each_line(overrides, keep_other, &sc);
    if (value) {
        append(&sc, name, strlen(name));
        append(&sc, "=", 1);
        append(&sc, value, strlen(value));
        append(&sc, "\n", 1);
    }
    append(&sc, "", 0);
    if (sc.oom || !sc.buf) {
        free(sc.buf);
        sc.buf = strdup("");
        if (!sc.buf || sc.oom)
            return SL_E_NOMEM;
    }
    /* The whole set must still make a valid log configuration. */
    err = tcfg_resolve(bc, sc.buf, &pc, &maxmsg, errstr, errstr_size);
    if (err) {
        free(sc.buf);
        return err;
    }
    *out = sc.buf;
    return SL_OK;
}

typedef struct each_ctx {
    const char *name;
    char value[512];
    bool found;
} each_ctx;

static sl_err find_override(void *ud, const char *name, size_t nlen, const char *value)
{
    each_ctx *ec = ud;

    if (strlen(ec->name) == nlen && !strncmp(ec->name, name, nlen)) {
        strlcpy(ec->value, value, sizeof ec->value);
        ec->found = true;
    }
    return SL_OK;
}

void tcfg_each(const broker_config *bc, const char *overrides,
               void (*fn)(void *ud, const char *name, const char *value, int8_t source),
               void *ud)
{
    for (size_t i = 0; i < NTKEYS; i++) {
        each_ctx ec = { .name = tkeys[i].name };

        each_line(overrides, find_override, &ec);
        if (ec.found) {
            fn(ud, tkeys[i].name, ec.value, TCFG_SOURCE_DYNAMIC_TOPIC);
        } else {
            broker_default(bc, &tkeys[i], ec.value, sizeof ec.value);
            fn(ud, tkeys[i].name, ec.value,
               broker_set_explicitly(bc, &tkeys[i]) ? TCFG_SOURCE_STATIC_BROKER
                                                     : TCFG_SOURCE_DEFAULT);
        }
    }
}

bool tcfg_value(const broker_config *bc, const char *overrides, const char *name, char *buf,
                size_t n)
{
    const tkey *k = tkey_find(name, strlen(name));
    each_ctx ec = { .name = name };

    if (!k)
        return false;
    each_line(overrides, find_override, &ec);
    if (!ec.found)
        broker_default(bc, k, ec.value, sizeof ec.value);
    strlcpy(buf, ec.value, n);
    return true;
}
