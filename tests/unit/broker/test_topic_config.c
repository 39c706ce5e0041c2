/* test_topic_config.c - topic settings: resolve, set, describe sources. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "broker/topic_config.h"

static broker_config bc;

static void setup(void)
{
    char err[256];

    config_defaults(&bc);
    cr_assert_eq(config_finish(&bc, err, sizeof err), SL_OK, "%s", err);
}

TestSuite(topic_config, .init = setup);

Test(topic_config, defaults_come_from_the_broker)
{
    plog_config pc;
    int64_t maxmsg;
    char err[256];

    cr_assert_eq(tcfg_resolve(&bc, "", &pc, &maxmsg, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(pc.segment_bytes, bc.log_segment_bytes);
    cr_assert_eq(pc.retention_ms, 168LL * 3600000);
    cr_assert_eq(pc.retention_bytes, -1);
    cr_assert_eq(maxmsg, bc.message_max_bytes);
    cr_assert(!pc.log_append_time);
}

Test(topic_config, overrides_apply)
{
    plog_config pc;
    int64_t maxmsg;
    char err[256];

    cr_assert_eq(tcfg_resolve(&bc,
                              "retention.ms=1000\nsegment.bytes=4096\n"
                              "message.timestamp.type=LogAppendTime\nmax.message.bytes=77\n",
                              &pc, &maxmsg, err, sizeof err),
                 SL_OK, "%s", err);
    cr_assert_eq(pc.retention_ms, 1000);
    cr_assert_eq(pc.segment_bytes, 4096);
    cr_assert(pc.log_append_time);
    cr_assert_eq(maxmsg, 77);
}

Test(topic_config, refuses_what_it_would_ignore)
{
    plog_config pc;
    int64_t maxmsg;
    char err[256];
    char *out = NULL;

    cr_assert_eq(tcfg_resolve(&bc, "no.such=1\n", &pc, &maxmsg, err, sizeof err),
                 SL_KE_INVALID_CONFIG);
    cr_assert(strstr(err, "no.such"), "%s", err);
    cr_assert_eq(tcfg_set(&bc, "", "cleanup.policy", "compact", &out, err, sizeof err),
                 SL_KE_INVALID_CONFIG);
    cr_assert(strstr(err, "compaction"), "%s", err);
    cr_assert_eq(tcfg_set(&bc, "", "retention.ms", "-5", &out, err, sizeof err),
                 SL_KE_INVALID_CONFIG);
    cr_assert_eq(tcfg_set(&bc, "", "segment.bytes", "12x", &out, err, sizeof err),
                 SL_KE_INVALID_CONFIG);
    cr_assert_eq(tcfg_set(&bc, "", "message.timestamp.type", "Now", &out, err, sizeof err),
                 SL_KE_INVALID_CONFIG);
    cr_assert_null(out);
}

Test(topic_config, set_replaces_and_removes)
{
    char err[256];
    char *a = NULL, *b = NULL, *c = NULL;

    cr_assert_eq(tcfg_set(&bc, "", "retention.ms", "5000", &a, err, sizeof err), SL_OK, "%s",
                 err);
    cr_assert_str_eq(a, "retention.ms=5000\n");
    cr_assert_eq(tcfg_set(&bc, a, "retention.ms", "6000", &b, err, sizeof err), SL_OK);
    cr_assert_str_eq(b, "retention.ms=6000\n");
    cr_assert_eq(tcfg_set(&bc, b, "retention.ms", NULL, &c, err, sizeof err), SL_OK);
    cr_assert_str_eq(c, "");
    free(a);
    free(b);
    free(c);
}

static int8_t source_of;
static char value_of[64];
static const char *wanted;

static void grab(void *ud, const char *name, const char *value, int8_t source)
{
    (void)ud;
    if (!strcmp(name, wanted)) {
        source_of = source;
        strncpy(value_of, value, sizeof value_of - 1);
    }
}

Test(topic_config, describe_sources)
{
    char err[256];

    wanted = "retention.ms";
    tcfg_each(&bc, "", grab, NULL);
    cr_assert_eq(source_of, TCFG_SOURCE_DEFAULT);
    cr_assert_str_eq(value_of, "604800000");
    tcfg_each(&bc, "retention.ms=10\n", grab, NULL);
    cr_assert_eq(source_of, TCFG_SOURCE_DYNAMIC_TOPIC);
    cr_assert_str_eq(value_of, "10");
    config_set(&bc, "log.retention.hours", "1", err, sizeof err);
    config_finish(&bc, err, sizeof err);
    tcfg_each(&bc, "", grab, NULL);
    cr_assert_eq(source_of, TCFG_SOURCE_STATIC_BROKER);
    cr_assert_str_eq(value_of, "3600000");
}

/* Every topic setting Apache Kafka defines, with a valid value that is not
 * its default (issue 19 item 5: librdkafka's test 0081 sets
 * compression.type=lz4 and delete.retention.ms=900). */
static const char *const kafka_topic_settings[][2] = {
    { "cleanup.policy", "delete" },
    { "compression.gzip.level", "5" },
    { "compression.lz4.level", "17" },
    { "compression.type", "lz4" },
    { "compression.zstd.level", "-5" },
    { "delete.retention.ms", "900" },
    { "file.delete.delay.ms", "1000" },
    { "flush.messages", "10" },
    { "flush.ms", "1000" },
    { "follower.replication.throttled.replicas", "0:0,1:0" },
    { "index.interval.bytes", "8192" },
    { "leader.replication.throttled.replicas", "*" },
    { "local.retention.bytes", "1000000" },
    { "local.retention.ms", "-1" },
    { "max.compaction.lag.ms", "60000" },
    { "max.message.bytes", "2000000" },
    { "message.downconversion.enable", "false" },
    { "message.format.version", "2.8-IV1" },
    { "message.timestamp.after.max.ms", "3600000" },
    { "message.timestamp.before.max.ms", "3600000" },
    { "message.timestamp.difference.max.ms", "3600000" },
    { "message.timestamp.type", "LogAppendTime" },
    { "min.cleanable.dirty.ratio", "0.25" },
    { "min.compaction.lag.ms", "1000" },
    { "min.insync.replicas", "1" },
    { "preallocate", "true" },
    { "remote.log.copy.disable", "true" },
    { "remote.log.delete.on.disable", "true" },
    { "remote.storage.enable", "false" },
    { "retention.bytes", "1048576" },
    { "retention.ms", "3600000" },
    { "segment.bytes", "1048576" },
    { "segment.index.bytes", "8192" },
    { "segment.jitter.ms", "100" },
    { "segment.ms", "60000" },
    { "unclean.leader.election.enable", "true" },
};
#define NSETTINGS (sizeof kafka_topic_settings / sizeof kafka_topic_settings[0])

static int described;

static void count_described(void *ud, const char *name, const char *value, int8_t source)
{
    (void)ud;
    (void)value;
    (void)source;
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!strcmp(name, kafka_topic_settings[i][0]))
            described++;
}

Test(topic_config, every_kafka_topic_setting_is_accepted_stored_and_described)
{
    char err[256], *text = strdup(""), *next = NULL;
    plog_config pc;
    int64_t maxmsg;

    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *name = kafka_topic_settings[i][0], *value = kafka_topic_settings[i][1];

        cr_assert(tcfg_known(name), "%s", name);
        cr_assert_eq(tcfg_set(&bc, text, name, value, &next, err, sizeof err), SL_OK,
                     "%s=%s: %s", name, value, err);
        free(text);
        text = next;
    }
    cr_assert_eq(tcfg_resolve(&bc, text, &pc, &maxmsg, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(pc.retention_ms, 3600000);
    cr_assert_eq(maxmsg, 2000000);
    for (size_t i = 0; i < NSETTINGS; i++) {
        char v[64];

        wanted = kafka_topic_settings[i][0];
        source_of = 0;
        tcfg_each(&bc, text, grab, NULL);
        cr_assert_eq(source_of, TCFG_SOURCE_DYNAMIC_TOPIC, "%s", wanted);
        cr_assert_str_eq(value_of, kafka_topic_settings[i][1], "%s", wanted);
        cr_assert(tcfg_value(&bc, text, wanted, v, sizeof v));
        cr_assert_str_eq(v, kafka_topic_settings[i][1]);
    }
    described = 0;
    tcfg_each(&bc, "", count_described, NULL);
    cr_assert_eq(described, (int)NSETTINGS, "every setting is described, defaults too");
    free(text);
}

Test(topic_config, kafka_defaults_and_types)
{
    char v[64];

    cr_assert(tcfg_value(&bc, "", "delete.retention.ms", v, sizeof v));
    cr_assert_str_eq(v, "86400000");
    cr_assert(tcfg_value(&bc, "", "compression.type", v, sizeof v));
    cr_assert_str_eq(v, "producer");
    cr_assert(tcfg_value(&bc, "", "min.cleanable.dirty.ratio", v, sizeof v));
    cr_assert_str_eq(v, "0.5");
    cr_assert(!tcfg_value(&bc, "", "no.such", v, sizeof v));
    cr_assert_eq(tcfg_type("cleanup.policy"), TCFG_TYPE_LIST);
    cr_assert_eq(tcfg_type("preallocate"), TCFG_TYPE_BOOLEAN);
    cr_assert_eq(tcfg_type("min.cleanable.dirty.ratio"), TCFG_TYPE_DOUBLE);
    cr_assert_eq(tcfg_type("segment.bytes"), TCFG_TYPE_INT);
    cr_assert_eq(tcfg_type("retention.ms"), TCFG_TYPE_LONG);
    cr_assert_eq(tcfg_type("compression.type"), TCFG_TYPE_STRING);
}

Test(topic_config, kafka_validators_refuse_bad_values)
{
    static const char *const bad[][2] = {
        { "compression.type", "brotli" },
        { "compression.gzip.level", "0" },
        { "compression.gzip.level", "10" },
        { "compression.lz4.level", "18" },
        { "compression.zstd.level", "23" },
        { "delete.retention.ms", "-1" },
        { "max.compaction.lag.ms", "0" },
        { "local.retention.ms", "-3" },
        { "min.cleanable.dirty.ratio", "1.5" },
        { "min.cleanable.dirty.ratio", "nan" },
        { "preallocate", "yes" },
        { "unclean.leader.election.enable", "" },
        { "leader.replication.throttled.replicas", "0-1" },
        { "follower.replication.throttled.replicas", "0:1,*" },
        { "message.format.version", "latest" },
        { "remote.storage.enable", "true" },
        { "min.insync.replicas", "2" },
        { "cleanup.policy", "compact,delete" },
    };
    char err[256], *out = NULL;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        cr_assert_eq(tcfg_set(&bc, "", bad[i][0], bad[i][1], &out, err, sizeof err),
                     SL_KE_INVALID_CONFIG, "%s=%s accepted", bad[i][0], bad[i][1]);
        cr_assert(strstr(err, bad[i][0]), "%s=%s: %s", bad[i][0], bad[i][1], err);
    }
    cr_assert_null(out);
}
