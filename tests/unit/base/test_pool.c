/* test_pool.c - base/pool: work on a worker, done on the loop thread. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/pool.h"
#include "base/ring.h"

typedef struct tjob {
    sl_job job;
    int idx;
    pthread_t worked_on, done_on;
    bool worked, done;
    int *done_count;
    int sleep_ms;
} tjob;

static void t_work(sl_job *j)
{
    tjob *t = (tjob *)j;

    t->worked_on = pthread_self();
    if (t->sleep_ms) {
        struct timespec ts = { 0, t->sleep_ms * 1000000L };

        nanosleep(&ts, NULL);
    }
    t->worked = true;
}

static void t_done(sl_job *j)
{
    tjob *t = (tjob *)j;

    t->done_on = pthread_self();
    t->done = true;
    (*t->done_count)++;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the ring until `want` jobs are done or 20 s pass. */
static void run_until(sl_ring *r, int *count, int want)
{
    int64_t deadline = now_ms() + 20000;

    while (*count < want && now_ms() < deadline)
        sl_ring_run(r, 100);
}

static sl_ring *ring_or_skip(void)
{
    char err[256];
    sl_ring *r = NULL;

    if (sl_ring_new(&r, 64, err, sizeof err) != SL_OK)
        cr_skip_test("io_uring not available: %s", err);
    return r;
}

Test(pool, work_on_a_worker_done_on_the_loop)
{
    sl_ring *r = ring_or_skip();
    sl_pool *p;
    char err[256];
    enum { N = 200 };
    tjob *jobs = calloc(N, sizeof *jobs);
    int count = 0;

    cr_assert_eq(sl_pool_new(&p, r, 3, err, sizeof err), SL_OK, "%s", err);
    for (int i = 0; i < N; i++) {
        jobs[i] = (tjob){ .job = { .work = t_work, .done = t_done }, .idx = i,
                          .done_count = &count };
        sl_pool_submit(p, &jobs[i].job);
    }
    cr_assert_eq(sl_pool_pending(p), N);
    run_until(r, &count, N);
    cr_assert_eq(count, N);
    cr_assert_eq(sl_pool_pending(p), 0);
    for (int i = 0; i < N; i++) {
        cr_assert(jobs[i].worked && jobs[i].done);
        cr_assert(!pthread_equal(jobs[i].worked_on, pthread_self()), "job %d worked on the loop", i);
        cr_assert(pthread_equal(jobs[i].done_on, pthread_self()), "job %d done off the loop", i);
    }
    sl_ring_free(r);
    sl_pool_free(p);
    free(jobs);
}

/* A slow job does not hold back the others: the loop keeps getting
 * completions while it works. */
Test(pool, a_slow_job_does_not_block_the_rest)
{
    sl_ring *r = ring_or_skip();
    sl_pool *p;
    char err[256];
    tjob slow = { .job = { .work = t_work, .done = t_done }, .sleep_ms = 900 };
    tjob fast[10];
    int count = 0, slow_count = 0;

    slow.done_count = &slow_count;
    cr_assert_eq(sl_pool_new(&p, r, 2, err, sizeof err), SL_OK, "%s", err);
    sl_pool_submit(p, &slow.job);
    for (int i = 0; i < 10; i++) {
        fast[i] = (tjob){ .job = { .work = t_work, .done = t_done }, .done_count = &count };
        sl_pool_submit(p, &fast[i].job);
    }
    run_until(r, &count, 10);
    cr_assert_eq(count, 10);
    cr_assert_eq(slow_count, 0, "the slow job finished first: the test proves nothing");
    cr_assert_eq(sl_pool_pending(p), 1);
    run_until(r, &slow_count, 1);
    cr_assert_eq(slow_count, 1);
    sl_ring_free(r);
    sl_pool_free(p);
}

/* A done() may submit the next job (a chain of steps). */
typedef struct chain {
    sl_job job;
    sl_pool *p;
    int steps;
    atomic_int worked;
} chain;

static void c_work(sl_job *j) { atomic_fetch_add(&((chain *)j)->worked, 1); }
static void c_done(sl_job *j)
{
    chain *c = (chain *)j;

    if (--c->steps > 0)
        sl_pool_submit(c->p, &c->job);
}

Test(pool, done_may_submit_again)
{
    sl_ring *r = ring_or_skip();
    chain c = { .job = { .work = c_work, .done = c_done }, .steps = 50 };
    char err[256];
    int64_t deadline = now_ms() + 20000;

    cr_assert_eq(sl_pool_new(&c.p, r, 2, err, sizeof err), SL_OK, "%s", err);
    sl_pool_submit(c.p, &c.job);
    while (c.steps > 0 && now_ms() < deadline)
        sl_ring_run(r, 100);
    cr_assert_eq(c.steps, 0);
    cr_assert_eq(atomic_load(&c.worked), 50);
    cr_assert_eq(sl_pool_pending(c.p), 0);
    sl_ring_free(r);
    sl_pool_free(c.p);
}

/* Freeing with work queued finishes the work but never calls done(). */
Test(pool, free_finishes_queued_work)
{
    sl_ring *r = ring_or_skip();
    sl_pool *p;
    char err[256];
    tjob jobs[8];
    int count = 0;

    cr_assert_eq(sl_pool_new(&p, r, 1, err, sizeof err), SL_OK, "%s", err);
    for (int i = 0; i < 8; i++) {
        jobs[i] = (tjob){ .job = { .work = t_work, .done = t_done }, .done_count = &count,
                          .sleep_ms = 5 };
        sl_pool_submit(p, &jobs[i].job);
    }
    sl_ring_free(r);
    sl_pool_free(p);
    for (int i = 0; i < 8; i++)
        cr_assert(jobs[i].worked);
    cr_assert_eq(count, 0);
}

Test(pool, refuses_zero_threads)
{
    sl_ring *r = ring_or_skip();
    sl_pool *p = NULL;
    char err[256];

    cr_assert_eq(sl_pool_new(&p, r, 0, err, sizeof err), SL_E_INVAL);
    sl_ring_free(r);
}

/* A process-directed signal must not land on a worker: the loop blocks
 * its signals after the pool starts and reads them from a signalfd. */
Test(pool, workers_block_signals)
{
    sl_ring *r = ring_or_skip();
    sl_pool *p;
    char err[256];
    sigset_t usr, pending;
    int sig = 0;

    cr_assert_eq(sl_pool_new(&p, r, 4, err, sizeof err), SL_OK, "%s", err);
    /* Only now does this thread block SIGUSR1, as the broker does. */
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr, NULL);
    cr_assert_eq(kill(getpid(), SIGUSR1), 0); /* default action: terminate */
    sigpending(&pending);
    cr_assert(sigismember(&pending, SIGUSR1), "the signal went to another thread");
    cr_assert_eq(sigwait(&usr, &sig), 0);
    cr_assert_eq(sig, SIGUSR1);
    sl_ring_free(r);
    sl_pool_free(p);
}
