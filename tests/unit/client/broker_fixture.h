/*
 * broker_fixture.h - start a real sluiced for the client's unit tests.
 *
 * The broker is $SLUICED, else ../broker/sluiced next to the test binary's
 * directory (build/tests/ -> build/broker/).  It listens on 127.0.0.1 port
 * 0 with a temporary data dir; its output goes to <dir>/broker.log, where
 * the "listening on H:P" line gives the port.  A test that finds no
 * sluiced is skipped, not passed.
 */
#ifndef SLC_TEST_BROKER_FIXTURE_H
#define SLC_TEST_BROKER_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct test_broker {
    pid_t pid;
    char dir[256];
    char bootstrap[64];
} test_broker;

static inline bool test_broker_path(char *out, size_t n)
{
    const char *env = getenv("SLUICED");
    char self[PATH_MAX - 32];
    ssize_t k;

    if (env && *env) {
        snprintf(out, n, "%s", env);
        return access(out, X_OK) == 0;
    }
    k = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (k <= 0)
        return false;
    self[k] = 0;
    *strrchr(self, '/') = 0;
    snprintf(out, n, "%s/../broker/sluiced", self);
    return access(out, X_OK) == 0;
}

/* Start a broker; extra is NULL or a NULL-terminated list of "key=value"
 * overrides. */
static inline void test_broker_start(test_broker *b, const char *const *extra)
{
    char exe[PATH_MAX], log[300], dirs[300], line[512];
    const char *argv[64];
    int argc = 0;
    FILE *f;

    if (!test_broker_path(exe, sizeof(exe)))
        cr_skip_test("sluiced not found (set SLUICED)");
    snprintf(b->dir, sizeof(b->dir), "/tmp/slc-test-XXXXXX");
    cr_assert_not_null(mkdtemp(b->dir));
    snprintf(log, sizeof(log), "%s/broker.log", b->dir);
    snprintf(dirs, sizeof(dirs), "log.dirs=%s/data", b->dir);
    argv[argc++] = exe;
    argv[argc++] = "--override";
    argv[argc++] = "listeners=PLAINTEXT://127.0.0.1:0";
    argv[argc++] = "--override";
    argv[argc++] = dirs;
    argv[argc++] = "--override";
    argv[argc++] = "group.initial.rebalance.delay.ms=0";
    for (int i = 0; extra && extra[i] && argc < 60; i++) {
        argv[argc++] = "--override";
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    b->pid = fork();
    cr_assert(b->pid >= 0);
    if (b->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        dup2(fd, 1);
        dup2(fd, 2);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 400; i++) {
        f = fopen(log, "r");
        while (f && fgets(line, sizeof(line), f)) {
            char *at = strstr(line, "listening on ");
            int port;

            if (at && sscanf(at, "listening on 127.0.0.1:%d", &port) == 1) {
                snprintf(b->bootstrap, sizeof(b->bootstrap), "127.0.0.1:%d", port);
                fclose(f);
                return;
            }
        }
        if (f)
            fclose(f);
        usleep(50000);
    }
    kill(b->pid, SIGKILL);
    cr_assert_fail("sluiced did not start (see %s)", log);
}

static inline void test_broker_stop(test_broker *b)
{
    char cmd[300];
    int st = 0;

    if (b->pid <= 0)
        return;
    kill(b->pid, SIGTERM);
    waitpid(b->pid, &st, 0);
    b->pid = 0;
    if (!getenv("SLUICE_TEST_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", b->dir);
    }
}

#endif
