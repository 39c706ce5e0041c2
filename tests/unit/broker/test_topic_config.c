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
