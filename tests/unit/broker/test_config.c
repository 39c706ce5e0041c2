/* test_config.c - Kafka-named settings: parsing, validation, errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/config.h"

Test(config, defaults)
{
    broker_config c;
    char err[256];

    config_defaults(&c);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_OK, "%s", err);
    cr_assert_str_eq(c.listen_host, "127.0.0.1");
    cr_assert_eq(c.listen_port, 9092);
    cr_assert_eq(c.num_partitions, 1);
    cr_assert(c.auto_create_topics);
    cr_assert_eq(c.socket_request_max_bytes, 104857600);
    cr_assert_eq(c.log_segment_bytes, 1073741824);
}

Test(config, set_and_alias)
{
    broker_config c;
    char err[256];

    config_defaults(&c);
    cr_assert_eq(config_set(&c, "num.partitions", "6", err, sizeof err), SL_OK);
    cr_assert_eq(c.num_partitions, 6);
    cr_assert_eq(config_set(&c, "node.id", "7", err, sizeof err), SL_OK);
    cr_assert_eq(c.broker_id, 7);
    cr_assert_eq(config_set(&c, "log.dir", "/x/y", err, sizeof err), SL_OK);
    cr_assert_str_eq(c.log_dirs, "/x/y");
    cr_assert_eq(config_set(&c, "auto.create.topics.enable", "FALSE", err, sizeof err), SL_OK);
    cr_assert(!c.auto_create_topics);
}

Test(config, errors_name_the_key)
{
    broker_config c;
    char err[256];

    config_defaults(&c);
    cr_assert_eq(config_set(&c, "no.such.key", "1", err, sizeof err), SL_E_NOTFOUND);
    cr_assert(strstr(err, "no.such.key"), "%s", err);
    cr_assert_eq(config_set(&c, "num.partitions", "abc", err, sizeof err), SL_E_INVAL);
    cr_assert(strstr(err, "num.partitions"), "%s", err);
    cr_assert_eq(config_set(&c, "num.partitions", "0", err, sizeof err), SL_E_INVAL);
    cr_assert_eq(config_set(&c, "num.partitions", "12x", err, sizeof err), SL_E_INVAL);
    cr_assert_eq(config_set(&c, "auto.create.topics.enable", "yes", err, sizeof err),
                 SL_E_INVAL);
    cr_assert(strstr(err, "auto.create.topics.enable"), "%s", err);
}

Test(config, listeners)
{
    broker_config c;
    char err[256];

    config_defaults(&c);
    config_set(&c, "listeners", "PLAINTEXT://[::1]:0", err, sizeof err);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_OK, "%s", err);
    cr_assert_str_eq(c.listen_host, "::1");
    cr_assert_eq(c.listen_port, 0);

    config_set(&c, "listeners", "SSL://h:1", err, sizeof err);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_E_INVAL);
    cr_assert(strstr(err, "listeners"), "%s", err);
    config_set(&c, "listeners", "PLAINTEXT://h:70000", err, sizeof err);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_E_INVAL);
    config_set(&c, "listeners", "PLAINTEXT://h", err, sizeof err);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_E_INVAL);

    config_set(&c, "listeners", "PLAINTEXT://0.0.0.0:9093", err, sizeof err);
    config_set(&c, "advertised.listeners", "PLAINTEXT://kafka.example:19093", err, sizeof err);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_OK, "%s", err);
    cr_assert_str_eq(c.advertised_host, "kafka.example");
    cr_assert_eq(c.advertised_port, 19093);
}

Test(config, properties_file)
{
    char path[] = "/tmp/sluice-config-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    broker_config c;
    char err[256];

    fputs("# a comment\n! another\n\nnum.partitions=4\nlog.dirs : /data/x\n"
          "broker.id 3\nlisteners=PLAINTEXT://127.0.0.1:\\\n  9999\n",
          f);
    fclose(f);
    config_defaults(&c);
    cr_assert_eq(config_load_file(&c, path, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(c.num_partitions, 4);
    cr_assert_str_eq(c.log_dirs, "/data/x");
    cr_assert_eq(c.broker_id, 3);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(c.listen_port, 9999);

    f = fopen(path, "w");
    fputs("num.partitions=2\nbogus.key=1\n", f);
    fclose(f);
    cr_assert_eq(config_load_file(&c, path, err, sizeof err), SL_E_NOTFOUND);
    cr_assert(strstr(err, ":2:") && strstr(err, "bogus.key"), "%s", err);
    unlink(path);
    cr_assert_eq(config_load_file(&c, path, err, sizeof err), SL_E_NOTFOUND);
}

Test(config, message_max_vs_request_max)
{
    broker_config c;
    char err[256];

    config_defaults(&c);
    config_set(&c, "socket.request.max.bytes", "1000", err, sizeof err);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_E_INVAL);
    cr_assert(strstr(err, "message.max.bytes"), "%s", err);
}

/* Every setting the broker knows is documented in docs/configuration.md. */
static const char *doc_text;

static void check_documented(void *ud, const char *name, const char *value, bool is_default)
{
    char needle[128];

    (void)ud;
    (void)value;
    (void)is_default;
    snprintf(needle, sizeof needle, "`%s`", name);
    cr_expect(strstr(doc_text, needle) != NULL, "%s is not in docs/configuration.md", name);
}

Test(config, every_setting_is_documented)
{
    char path[4096];
    static char text[65536];
    broker_config c;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "%s/docs/configuration.md", SLUICE_SOURCE_DIR);
    f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    doc_text = text;
    config_defaults(&c);
    config_each(&c, check_documented, NULL);
}

/* max.connections.per.ip.overrides: Kafka's "ip:count,ip:count". */
Test(config, per_ip_overrides)
{
    broker_config c;
    char err[256];

    config_defaults(&c);
    cr_assert_eq(config_set(&c, "max.connections.per.ip", "3", err, sizeof err), SL_OK);
    cr_assert_eq(config_set(&c, "max.connections.per.ip.overrides",
                            "127.0.0.2:5,,::1:0,10.0.0.7:100,", err, sizeof err), SL_OK);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(config_ip_max_connections(&c, "127.0.0.2"), 5);
    cr_assert_eq(config_ip_max_connections(&c, "::1"), 0);
    cr_assert_eq(config_ip_max_connections(&c, "10.0.0.7"), 100);
    cr_assert_eq(config_ip_max_connections(&c, "127.0.0.1"), 3);
    /* Addresses compare in inet_ntop's form, whatever the spelling. */
    cr_assert_eq(config_set(&c, "max.connections.per.ip.overrides", "0:0:0:0:0:0:0:1:9", err,
                            sizeof err), SL_OK);
    cr_assert_eq(config_finish(&c, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(config_ip_max_connections(&c, "::1"), 9);

    const char *bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "host.example:3",
                          "127.0.0.1:-1", "127.0.0.1:99999999999", "300.0.0.1:1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_defaults(&c);
        cr_assert_eq(config_set(&c, "max.connections.per.ip.overrides", bad[i], err, sizeof err),
                     SL_OK);
        cr_assert_eq(config_finish(&c, err, sizeof err), SL_E_INVAL, "%s accepted", bad[i]);
        cr_assert(strstr(err, "max.connections.per.ip.overrides"), "%s", err);
    }
}
