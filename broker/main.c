/*
 * main.c - sluiced's command line, in the manner of Kafka's
 * kafka-server-start.sh: sluiced [server.properties] [--override k=v]...
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef SLUICE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

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
            "  --ephemeral            a throw-away broker for tests: 127.0.0.1, a free\n"
            "                         port, a new directory under $TMPDIR (removed at\n"
            "                         exit), group.initial.rebalance.delay.ms=0; the file\n"
            "                         and --override still apply on top\n"
            "  --ready-file PATH      once listening, write HOST:PORT and a newline to\n"
            "                         PATH (atomically: it appears whole)\n"
            "  --help                 this text\n"
            "  --version              print the version\n"
            "\n");
    config_print_help(out);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* HOST:PORT into path through a temporary file, so a reader polling for
 * it never sees half. */
static int write_ready_file(const char *path, const char *host, int port)
{
    char tmp[4200];
    FILE *f;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%s:%d\n", host, port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* --ephemeral: test-friendly defaults, set before the file and the
 * overrides so both still win. */
static int ephemeral_defaults(broker_config *cfg, char *err, size_t n)
{
    if (config_set(cfg, "listeners", "PLAINTEXT://127.0.0.1:0", err, n) ||
        config_set(cfg, "group.initial.rebalance.delay.ms", "0", err, n))
        return -1;
    return 0;
}

/* --ephemeral: a new data directory, unless log.dirs was set. */
static int ephemeral_dir(broker_config *cfg, char *dir, size_t dirsz, char *err, size_t n)
{
    broker_config def;
    const char *tmpdir = getenv("TMPDIR");

    config_defaults(&def);
    if (strcmp(def.log_dirs, cfg->log_dirs))
        return 0;
    snprintf(dir, dirsz, "%s/sluiced-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        /* err is shorter than a path can be: keep the message's end. */
        snprintf(err, n, "--ephemeral: cannot make a directory %.300s: %s", dir,
                 strerror(errno));
        dir[0] = 0;
        return -1;
    }
    return config_set(cfg, "log.dirs", dir, err, n) ? -1 : 0;
}

int main(int argc, char **argv)
{
    broker_config cfg;
    static broker b;
    char err[512], tmp_dir[4096] = "";
    const char *file = NULL, *ready_file = NULL;
    bool ephemeral = false;
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
        if (!strcmp(argv[i], "--ephemeral")) {
            ephemeral = true;
            continue;
        }
        if (!strcmp(argv[i], "--ready-file")) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr, "sluiced: --ready-file needs a path\n");
                return 2;
            }
            ready_file = argv[++i];
            continue;
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
    if (ephemeral && ephemeral_defaults(&cfg, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        return 2;
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
    if (ephemeral && ephemeral_dir(&cfg, tmp_dir, sizeof tmp_dir, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        return 1;
    }
    if (config_finish(&cfg, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        rc = 2;
        goto out;
    }
    if (ready_file)
        unlink(ready_file); /* a stale one would point at a dead broker */
    if (broker_start(&b, &cfg, err, sizeof err)) {
        sl_error("broker", "cannot start: %s", err);
        broker_free(&b);
        rc = 1;
        goto out;
    }
    if (ready_file &&
        write_ready_file(ready_file, b.cfg.advertised_host, b.advertised_port) != 0) {
        sl_error("broker", "cannot write --ready-file %s: %s", ready_file, strerror(errno));
        broker_stop(&b);
    }
#ifdef SLUICE_HAVE_SYSTEMD
    /* A Type=notify unit is ready now that the broker listens; outside
     * systemd (no NOTIFY_SOCKET) this does nothing. */
    sd_notify(0, "READY=1");
#endif
    rc = broker_run(&b);
    broker_free(&b);
    sl_info("broker", "stopped");
    if (ready_file)
        unlink(ready_file);
out:
    if (tmp_dir[0]) /* --ephemeral: nothing of it is kept */
        nftw(tmp_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
