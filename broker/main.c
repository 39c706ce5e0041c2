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
            "'listening on HOST:PORT'.  SIGTERM or SIGINT stops it cleanly; SIGHUP\n"
            "re-reads log.level and log.format from the file and the command line.\n"
            "\n"
            "Options:\n"
            "  --override key=value   set one setting (repeatable)\n"
            "  --log-level LEVELS     log.level, after the file and every --override (also\n"
            "                         on SIGHUP): info, or a default and subsystems'\n"
            "                         levels, e.g. warn,net=debug\n"
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

/* Where the settings come from, kept for SIGHUP. */
typedef struct cmdline {
    int argc;
    char **argv;
    const char *file;
    const char *log_level; /* --log-level */
} cmdline;

/* The file, then each --override in order, then --log-level.  Returns 0,
 * or 2 with the reason in err. */
static int read_settings(broker_config *cfg, const cmdline *cl, char *err, size_t errlen)
{
    if (cl->file && config_load_file(cfg, cl->file, err, errlen))
        return 2;
    for (int i = 1; i < cl->argc; i++) {
        const char *kv, *eq;
        char key[256], why[512];

        if (strcmp(cl->argv[i], "--override"))
            continue;
        kv = cl->argv[++i];
        eq = strchr(kv, '=');
        if (!eq || (size_t)(eq - kv) >= sizeof key) {
            snprintf(err, errlen, "--override '%s': expected key=value", kv);
            return 2;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        if (config_set(cfg, key, eq + 1, why, sizeof why)) {
            snprintf(err, errlen, "--override: %s", why);
            return 2;
        }
    }
    if (cl->log_level && config_set(cfg, "log.level", cl->log_level, err, errlen))
        return 2;
    return 0;
}

/* The logging settings in force; touched by main() before the signal
 * thread starts, then by that thread only. */
static char cur_level[sizeof ((broker_config *)0)->log_level];
static char cur_format[sizeof ((broker_config *)0)->log_format];

static void apply_logging(const broker_config *cfg)
{
    sl_log_levels lv;
    sl_log_format fmt;
    char err[512];

    if (config_log_settings(cfg, &lv, &fmt, err, sizeof err))
        return; /* config_finish() or reload_logging() checked it */
    sl_log_apply_levels(&lv);
    sl_log_set_format(fmt);
    snprintf(cur_level, sizeof cur_level, "%s", cfg->log_level);
    snprintf(cur_format, sizeof cur_format, "%s", cfg->log_format);
}

/* SIGHUP: read the settings again, as at start, and apply log.level and
 * log.format only; anything wrong keeps the old ones. */
static void reload_logging(const cmdline *cl)
{
    broker_config *cfg = malloc(sizeof *cfg);
    char err[768], was_level[sizeof cur_level], was_format[sizeof cur_format];

    if (!cfg) {
        sl_warn("broker", "SIGHUP: out of memory; logging settings unchanged");
        return;
    }
    config_defaults(cfg);
    if (read_settings(cfg, cl, err, sizeof err) ||
        config_log_settings(cfg, NULL, NULL, err, sizeof err)) {
        sl_warn("broker", "SIGHUP: %s; logging settings unchanged", err);
        free(cfg);
        return;
    }
    if (!strcmp(cfg->log_level, cur_level) && !strcmp(cfg->log_format, cur_format)) {
        sl_notice("broker", "SIGHUP: log.level=%s log.format=%s unchanged", cur_level,
                  cur_format);
        free(cfg);
        return;
    }
    snprintf(was_level, sizeof was_level, "%s", cur_level);
    snprintf(was_format, sizeof was_format, "%s", cur_format);
    apply_logging(cfg);
    sl_notice("broker", "SIGHUP: log.level %s -> %s, log.format %s -> %s", was_level, cur_level,
            was_format, cur_format);
    free(cfg);
}

typedef struct sig_ctx {
    broker *b;
    const cmdline *cl;
} sig_ctx;

/* SIGTERM/SIGINT stop the broker cleanly, SIGHUP re-reads the logging
 * settings.  They are blocked in every thread and taken by this one, so
 * the broker itself touches no signal state (it may be embedded:
 * sluice_broker.h); log levels are atomics (base/log.c), so changing them
 * here is safe while the broker logs on its own thread. */
static void *signal_thread(void *arg)
{
    sig_ctx *ctx = arg;
    sigset_t mask;
    int sig;

    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    while (sigwait(&mask, &sig) == 0) {
        if (sig == SIGHUP) {
            reload_logging(ctx->cl);
            continue;
        }
        sl_info("broker", "received %s: stopping", strsignal(sig));
        broker_request_stop(ctx->b);
        break;
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
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
}

static int start_signal_thread(sig_ctx *ctx)
{
    pthread_t th;

    if (pthread_create(&th, NULL, signal_thread, ctx) != 0)
        return -1;
    pthread_detach(th);
    return 0;
}

int main(int argc, char **argv)
{
    broker_config cfg;
    static broker b;
    char err[512], tmp_dir[4096] = "";
    const char *ready_file = NULL;
    static cmdline cl;
    static sig_ctx sctx;
    bool ephemeral = false, faults = false;
    faults_admin *admin = NULL;
    int rc;

    config_defaults(&cfg);
    cl.argc = argc;
    cl.argv = argv;
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
        if (!strcmp(argv[i], "--log-level")) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr,
                        "sluiced: --log-level needs a level, e.g. info or warn,net=debug\n");
                return 2;
            }
            cl.log_level = argv[++i];
            continue;
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
        if (cl.file) {
            fprintf(stderr, "sluiced: one properties file only ('%s' and '%s')\n", cl.file,
                    argv[i]);
            return 2;
        }
        cl.file = argv[i];
    }
    if (faults && !ephemeral) {
        fprintf(stderr, "sluiced: --faults is for test brokers: it needs --ephemeral\n");
        return 2;
    }
    if (ephemeral && ephemeral_defaults(&cfg, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        return 2;
    }
    if (read_settings(&cfg, &cl, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        return 2;
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
    apply_logging(&cfg);
    if (ready_file)
        unlink(ready_file); /* a stale one would point at a dead broker */
    block_signals();
    if (broker_start(&b, &cfg, err, sizeof err)) {
        sl_error("broker", "cannot start: %s", err);
        broker_free(&b);
        rc = 1;
        goto out;
    }
    sctx.b = &b;
    sctx.cl = &cl;
    if (start_signal_thread(&sctx) != 0) {
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
