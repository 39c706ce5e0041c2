/*
 * ready.c - how soon a test broker is ready (docs/testing.md):
 *   in-process: slb_start until it returns (the broker listens);
 *   as a process: spawning `sluiced --ephemeral --ready-file F` until F
 *   appears (inotify sees the rename that makes it whole).
 * Each is run N rounds (--rounds, default 50) after one warm-up; prints
 * median, min, 90th percentile and max in ms.  Build Release to measure.
 *
 *   sl_bench_ready [--rounds N] [--sluiced PATH]
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sluice_broker.h"

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    printf("%-28s n=%d  median %.2f ms  min %.2f  p90 %.2f  max %.2f\n", what, n, v[n / 2], v[0],
           v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], v[n - 1]);
}

static double one_in_process(void)
{
    slb_broker *b;
    char err[512];
    double t0 = now_ms(), t;

    if (slb_start(NULL, &b, err, sizeof err) != 0) {
        fprintf(stderr, "slb_start: %s\n", err);
        exit(1);
    }
    t = now_ms() - t0;
    slb_stop(b);
    return t;
}

static double one_process(const char *sluiced, const char *dir)
{
    char file[PATH_MAX];
    char *argv[] = { (char *)sluiced, "--ephemeral", "--ready-file", file, NULL };
    int in = inotify_init1(IN_CLOEXEC);
    double t0, t = -1;
    pid_t pid;
    int status;

    snprintf(file, sizeof file, "%s/ready", dir);
    unlink(file);
    if (in < 0 || inotify_add_watch(in, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        perror("inotify");
        exit(1);
    }
    posix_spawn_file_actions_t fa;

    /* Its log lines would only slow it down here. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    t0 = now_ms();
    if (posix_spawn(&pid, sluiced, &fa, NULL, argv, environ) != 0) {
        perror("posix_spawn");
        exit(1);
    }
    posix_spawn_file_actions_destroy(&fa);
    while (t < 0) {
        struct pollfd p = { in, POLLIN, 0 };
        char buf[4096];

        if (poll(&p, 1, 10000) <= 0) {
            fprintf(stderr, "sluiced wrote no ready file within 10 s\n");
            kill(pid, SIGKILL);
            exit(1);
        }
        if (read(in, buf, sizeof buf) < 0 && errno != EINTR)
            break;
        if (access(file, F_OK) == 0)
            t = now_ms() - t0;
    }
    close(in);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return t;
}

int main(int argc, char **argv)
{
    int rounds = 50;
    char sluiced[PATH_MAX] = "", dir[] = "/tmp/sl-bench-ready-XXXXXX";
    double *v;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sluiced") && i + 1 < argc)
            snprintf(sluiced, sizeof sluiced, "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: sl_bench_ready [--rounds N] [--sluiced PATH]\n");
            return 2;
        }
    }
    if (rounds < 1)
        rounds = 1;
    if (!sluiced[0]) { /* build/bench/ -> build/broker/sluiced */
        char self[PATH_MAX - 32];
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);

        if (k <= 0)
            return 1;
        self[k] = 0;
        *strrchr(self, '/') = 0;
        snprintf(sluiced, sizeof sluiced, "%s/../broker/sluiced", self);
    }
    slb_log_level(2); /* the in-process brokers' info lines would be timed */
    v = calloc((size_t)rounds, sizeof *v);
    if (!v || !mkdtemp(dir))
        return 1;
    one_in_process(); /* warm-up: page cache, first thread */
    for (int i = 0; i < rounds; i++)
        v[i] = one_in_process();
    report("slb_start (in-process)", v, rounds);
    one_process(sluiced, dir);
    for (int i = 0; i < rounds; i++)
        v[i] = one_process(sluiced, dir);
    report("sluiced --ephemeral (process)", v, rounds);
    rmdir(dir);
    free(v);
    return 0;
}
