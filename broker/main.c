/*
 * main.c - sluiced's command line, in the manner of Kafka's
 * kafka-server-start.sh: sluiced [server.properties] [--override k=v]...
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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
#include "ephemeral.h"
#include "faults_admin.h"
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
            "                         port, a new directory under $TMPDIR, else\n"
            "                         /dev/shm, else /tmp (removed at exit),\n"
            "                         group.initial.rebalance.delay.ms=0; the file and\n"
            "                         --override still apply on top\n"
            "  --ready-file PATH      once listening, write HOST:PORT and a newline to\n"
            "                         PATH (atomically: it appears whole)\n"
            "  --faults               (with --ephemeral, for tests) serve a fault-injection\n"
            "                         line protocol on 127.0.0.1; its port is logged as\n"
            "                         'faults admin interface listening on 127.0.0.1:PORT'\n"
            "                         (docs/testing.md)\n"
            "  --help                 this text\n"
            "  --version              print the version\n"
            "\n");
    config_print_help(out);
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

/* SIGTERM/SIGINT stop the broker cleanly.  They are blocked in every
 * thread and taken by this one, so the broker itself touches no signal
 * state (it may be embedded: sluice_broker.h). */
static void *signal_thread(void *arg)
{
    broker *b = arg;
    sigset_t mask;
    int sig;

    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (sigwait(&mask, &sig) == 0) {
        sl_info("broker", "received %s: stopping", strsignal(sig));
        broker_request_stop(b);
    }
    return NULL;
}

/* Before the broker starts: a signal meanwhile stays pending, and the
 * thread (started once the broker can be woken) takes it. */
static void block_signals(void)
{
    sigset_t mask;

    signal(SIGPIPE, SIG_IGN); /* sendfile to a closed socket */
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
}

static int start_signal_thread(broker *b)
{
    pthread_t th;

    if (pthread_create(&th, NULL, signal_thread, b) != 0)
        return -1;
    pthread_detach(th);
    return 0;
}

int main(int argc, char **argv)
{
    broker_config cfg;
    static broker b;
    char err[512], tmp_dir[4096] = "";
    const char *file = NULL, *ready_file = NULL;
    bool ephemeral = false, faults = false;
    faults_admin *admin = NULL;
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
        if (!strcmp(argv[i], "--faults")) {
            faults = true;
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
    if (faults && !ephemeral) {
        fprintf(stderr, "sluiced: --faults is for test brokers: it needs --ephemeral\n");
        return 2;
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
    block_signals();
    if (broker_start(&b, &cfg, err, sizeof err)) {
        sl_error("broker", "cannot start: %s", err);
        broker_free(&b);
        rc = 1;
        goto out;
    }
    if (start_signal_thread(&b) != 0) {
        sl_error("broker", "cannot start the signal thread");
        broker_stop(&b);
    }
    if (faults && !(admin = faults_admin_start(&b, err, sizeof err))) {
        sl_error("broker", "%s", err);
        broker_stop(&b);
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
    faults_admin_stop(admin);
    broker_free(&b);
    sl_info("broker", "stopped");
    if (ready_file)
        unlink(ready_file);
out:
    ephemeral_remove(tmp_dir); /* --ephemeral: nothing of it is kept */
    return rc;
}
