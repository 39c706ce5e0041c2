/*
 * main.c - sluiced's command line, in the manner of Kafka's
 * kafka-server-start.sh: sluiced [server.properties] [--override k=v]...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "broker.h"
#include "config.h"
#include "version.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluiced [server.properties] [--override key=value]...\n"
            "\n"
            "A Kafka-compatible log broker.  Settings use Kafka's names; the file is\n"
            "read first, then each --override in order.  Once ready the broker logs\n"
            "'listening on HOST:PORT'.  SIGTERM or SIGINT stops it cleanly.\n"
            "\n"
            "Options:\n"
            "  --override key=value   set one setting (repeatable)\n"
            "  --help                 this text\n"
            "  --version              print the version\n"
            "\n");
    config_print_help(out);
}

int main(int argc, char **argv)
{
    broker_config cfg;
    static broker b;
    char err[512];
    const char *file = NULL;
    int rc;

    config_defaults(&cfg);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("sluiced %s\n", sluice_version);
            return 0;
        }
        if (!strcmp(argv[i], "--override")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sluiced: --override needs key=value\n");
                return 2;
            }
            i++;
            continue; /* applied after the file */
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "sluiced: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
        if (file) {
            fprintf(stderr, "sluiced: one properties file only ('%s' and '%s')\n", file, argv[i]);
            return 2;
        }
        file = argv[i];
    }
    if (file && config_load_file(&cfg, file, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char *kv, *eq;

        if (strcmp(argv[i], "--override"))
            continue;
        kv = argv[++i];
        eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "sluiced: --override '%s': expected key=value\n", kv);
            return 2;
        }
        *eq = 0;
        if (config_set(&cfg, kv, eq + 1, err, sizeof err)) {
            fprintf(stderr, "sluiced: --override: %s\n", err);
            return 2;
        }
    }
    if (config_finish(&cfg, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        return 2;
    }
    if (broker_start(&b, &cfg, err, sizeof err)) {
        sl_error("broker", "cannot start: %s", err);
        broker_free(&b);
        return 1;
    }
    rc = broker_run(&b);
    broker_free(&b);
    sl_info("broker", "stopped");
    return rc;
}
