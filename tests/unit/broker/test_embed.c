/*
 * test_embed.c - the broker as a library (sluice_broker.h): two brokers
 * in one process side by side, each with its own data, stopped cleanly
 * (ASan checks for leaks at exit); the process's signal mask untouched;
 * and faults on demand (injected errors the client retries through, a
 * delay, an outage), every record delivered exactly once.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "../../../broker/sluice_broker.h"
#include "../../../client/sluice.h"

TestSuite(embed, .timeout = 120);

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static slb_broker *start(void)
{
    slb_config *c = slb_config_new();
    slb_broker *b = NULL;
    char err[512];

    cr_assert_not_null(c);
    cr_assert_eq(slb_config_set(c, "num.partitions", "2", err, sizeof err), 0, "%s", err);
    cr_assert_eq(slb_start(c, &b, err, sizeof err), 0, "slb_start: %s", err);
    slb_config_free(c);
    cr_assert_not_null(b);
    return b;
}

static slc_client *client(slb_broker *b)
{
    slc_conf conf;
    slc_client *c;
    char err[256];

    slc_conf_init(&conf);
    conf.bootstrap = slb_bootstrap(b);
    conf.reconnect_backoff_ms = 20;
    c = slc_client_new(&conf, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    return c;
}

typedef struct dr_state {
    int ok, failed;
} dr_state;

static void on_dr(void *ctx, const slc_delivery *d)
{
    dr_state *s = ctx;

    if (d->err)
        s->failed++;
    else
        s->ok++;
}

/* An idempotent producer (the default) counting deliveries into s. */
static slc_producer *producer(slc_client *c, dr_state *s)
{
    slc_producer_conf pc;
    slc_producer *p;

    slc_producer_conf_init(&pc);
    pc.on_delivery = on_dr;
    pc.ctx = s;
    p = slc_producer_new(c, &pc);
    cr_assert_not_null(p);
    return p;
}

static void produce_one(slc_producer *p, const char *t, const char *tag, int i)
{
    char v[64];

    snprintf(v, sizeof v, "%s-%d", tag, i);
    cr_assert_eq(slc_produce(p, t, SLC_PARTITION_ANY, SL_BYTES_NULL, sl_bytes_str(v), NULL, 0, -1,
                             NULL),
                 SL_OK);
}

/* n records "<tag>-<i>" to topic t, idempotently; all must be delivered. */
static void produce(slb_broker *b, const char *t, const char *tag, int n)
{
    slc_client *c = client(b);
    dr_state s = { 0 };
    slc_producer *p = producer(c, &s);

    for (int i = 0; i < n; i++)
        produce_one(p, t, tag, i);
    cr_assert_eq(slc_producer_flush(p, 60000), SL_OK, "flush: %s", slc_client_errstr(c));
    cr_assert_eq(s.ok, n);
    cr_assert_eq(s.failed, 0);
    slc_producer_free(p);
    slc_client_free(c);
}

/* Every record of topic t: exactly the n records "<tag>-<i>", once each. */
static void expect_exactly(slb_broker *b, const char *t, const char *tag, int n)
{
    slc_client *c = client(b);
    slc_consumer_conf cc;
    slc_consumer *k;
    int32_t parts[2] = { 0, 1 };
    char *seen = calloc((size_t)n, 1);
    int got = 0;

    slc_consumer_conf_init(&cc);
    cc.fetch_max_wait_ms = 50;
    k = slc_consumer_new(c, &cc);
    cr_assert_not_null(k);
    cr_assert_eq(slc_consumer_assign(k, t, 2, parts, NULL), SL_OK);
    for (int64_t end = now_ms() + 30000; got < n && now_ms() < end;) {
        const slc_message *m;
        char v[64];
        int i;

        if (slc_consumer_poll(k, 200, &m) != SL_OK)
            continue;
        cr_assert_eq(m->err, SL_OK);
        snprintf(v, sizeof v, "%.*s", (int)m->value.n, (const char *)m->value.p);
        cr_assert_eq(strncmp(v, tag, strlen(tag)), 0, "foreign record '%s' in %s", v, t);
        i = atoi(v + strlen(tag) + 1);
        cr_assert(i >= 0 && i < n);
        cr_assert_eq(seen[i], 0, "record %s twice", v);
        seen[i] = 1;
        got++;
    }
    cr_assert_eq(got, n, "%d of %d records", got, n);
    /* Nothing more than those. */
    {
        const slc_message *m;

        cr_assert_neq(slc_consumer_poll(k, 300, &m), SL_OK, "a record beyond the %d", n);
    }
    free(seen);
    slc_consumer_free(k);
    slc_client_free(c);
}

Test(embed, two_brokers_side_by_side)
{
    sigset_t before, after;
    slb_broker *a, *b;

    pthread_sigmask(SIG_SETMASK, NULL, &before);
    a = start();
    b = start();
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    /* The program's signal mask is its own. */
    cr_assert(!sigismember(&after, SIGTERM) && !sigismember(&after, SIGINT));
    cr_assert_eq(sigismember(&before, SIGPIPE), sigismember(&after, SIGPIPE));
    cr_assert_str_neq(slb_bootstrap(a), slb_bootstrap(b));
    produce(a, "t", "a", 500);
    produce(b, "t", "b", 300);
    expect_exactly(a, "t", "a", 500);
    expect_exactly(b, "t", "b", 300);
    cr_assert_eq(slb_stop(a), 0);
    /* b serves on after a is gone. */
    produce(b, "t", "b2", 10);
    cr_assert_eq(slb_stop(b), 0);
#ifdef __SANITIZE_ADDRESS__
    /* Criterion's workers would not fail on a leak found at exit. */
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked by the brokers");
#endif
}

Test(embed, bad_setting_fails_to_start)
{
    slb_config *c = slb_config_new();
    slb_broker *b = NULL;
    char err[512];

    cr_assert_neq(slb_config_set(c, "no.such.setting", "1", err, sizeof err), 0);
    cr_assert_eq(slb_config_set(c, "listeners", "PLAINTEXT://256.1.1.1:0", err, sizeof err), 0,
                 "%s", err);
    cr_assert_neq(slb_start(c, &b, err, sizeof err), 0);
    cr_assert_null(b);
    cr_assert(strlen(err) > 0);
    slb_config_free(c);
}

Test(embed, injected_produce_errors_are_retried_exactly_once)
{
    slb_broker *b = start();

    produce(b, "warm", "w", 1); /* topic and producer id first */
    cr_assert_eq(slb_fault_push_errors(b, 0 /* Produce */, 3, 6 /* NOT_LEADER_OR_FOLLOWER */,
                                       7 /* REQUEST_TIMED_OUT */, 6),
                 0);
    cr_assert_eq(slb_fault_pending(b, 0), 3);
    produce(b, "f", "x", 200);
    cr_assert_eq(slb_fault_pending(b, 0), 0, "the errors were all answered");
    expect_exactly(b, "f", "x", 200);
    cr_assert_eq(slb_stop(b), 0);
}

Test(embed, unsupported_fault_is_refused)
{
    slb_broker *b = start();
    int16_t code = 6;
    char err[256] = "";

    cr_assert_neq(slb_fault_push_error_array(b, 19 /* CreateTopics */, 1, &code, err, sizeof err),
                  0);
    cr_assert(strstr(err, "not supported"), "%s", err);
    cr_assert_neq(slb_fault_push_error_array(b, 999, 1, &code, err, sizeof err), 0);
    cr_assert_neq(slb_fault_push_error_array(b, 0, 0, &code, err, sizeof err), 0);
    cr_assert_eq(slb_stop(b), 0);
}

Test(embed, delay_holds_requests)
{
    slb_broker *b = start();
    int64_t t0;

    produce(b, "d", "d", 1);
    cr_assert_eq(slb_fault_delay(b, 0 /* Produce */, 400), 0);
    t0 = now_ms();
    produce(b, "d2", "d", 1);
    cr_assert_geq(now_ms() - t0, 400);
    cr_assert_eq(slb_fault_delay(b, 0, 0), 0);
    cr_assert_eq(slb_stop(b), 0);
}

Test(embed, outage_and_closed_connections_lose_nothing)
{
    slb_broker *b = start();
    slc_client *c = client(b);
    dr_state s = { 0 };
    slc_producer *p = producer(c, &s);

    for (int i = 0; i < 300; i++) {
        if (i == 100)
            slb_fault_close_connections(b);
        if (i == 200)
            slb_fault_pause(b, 500);
        produce_one(p, "o", "o", i);
        slc_producer_poll(p, 0);
        if (i % 50 == 0)
            slc_producer_flush(p, 60000);
    }
    cr_assert_eq(slc_producer_flush(p, 60000), SL_OK, "flush: %s", slc_client_errstr(c));
    cr_assert_eq(s.ok, 300);
    slc_producer_free(p);
    slc_client_free(c);
    expect_exactly(b, "o", "o", 300);
    cr_assert_eq(slb_stop(b), 0);
}
