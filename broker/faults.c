/*
 * faults.c - faults on demand (faults.h): the queued errors and delays
 * per API, connection closing and outages.
 *
 * Commands come from any thread: they change the table under the lock
 * and wake the loop.  dispatch asks faults_intercept about each request;
 * `armed` keeps that to one atomic load until a test first asks for a
 * fault.
 */
#include "faults.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"

#define FAULT_APIS 128          /* API keys below this can be faulted */
#define FAULT_QUEUE_MAX 1000000 /* queued errors per API */

typedef struct api_faults {
    int16_t *q; /* error codes, next at head */
    size_t head, len, cap;
    int delay_ms;
} api_faults;

struct faults {
    pthread_mutex_t mu;
    atomic_bool armed;
    api_faults api[FAULT_APIS];
    int all_delay_ms;
    bool close_req;
    int pause_req_ms; /* -1: no outage command waiting */
    /* loop thread only */
    bool paused;
    sl_timer resume_timer;
};

faults *faults_new(void)
{
    faults *f = calloc(1, sizeof *f);

    if (!f)
        return NULL;
    if (pthread_mutex_init(&f->mu, NULL) != 0) {
        free(f);
        return NULL;
    }
    f->pause_req_ms = -1;
    return f;
}

void faults_free(faults *f)
{
    if (!f)
        return;
    for (int i = 0; i < FAULT_APIS; i++)
        free(f->api[i].q);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static bool api_ok(int16_t api_key, char *errstr, size_t errstr_size)
{
    const char *name = api_name(api_key);

    if (api_key >= 0 && api_key < FAULT_APIS && api_find(api_key))
        return true;
    snprintf(errstr, errstr_size, "API key %d (%s) is not served by this broker", api_key,
             name ? name : "unknown");
    return false;
}

sl_err faults_push_errors(broker *b, int16_t api_key, int n, const int16_t *codes,
                          char *errstr, size_t errstr_size)
{
    faults *f = b->faults;
    api_faults *a;
    sl_err err = SL_OK;

    if (!api_ok(api_key, errstr, errstr_size))
        return SL_E_INVAL;
    if (!faults_error_supported(api_key)) {
        snprintf(errstr, errstr_size,
                 "injected errors are not supported for %s (see docs/testing.md)",
                 api_name(api_key));
        return SL_E_INVAL;
    }
    if (n <= 0 || n > FAULT_QUEUE_MAX) {
        snprintf(errstr, errstr_size, "count %d: expected 1 to %d", n, FAULT_QUEUE_MAX);
        return SL_E_INVAL;
    }
    pthread_mutex_lock(&f->mu);
    a = &f->api[api_key];
    if (a->len - a->head + (size_t)n > FAULT_QUEUE_MAX) {
        snprintf(errstr, errstr_size, "more than %d errors queued for %s", FAULT_QUEUE_MAX,
                 api_name(api_key));
        err = SL_E_INVAL;
    } else {
        /* Drop what was consumed before growing. */
        if (a->head)
            memmove(a->q, a->q + a->head, (a->len - a->head) * sizeof *a->q);
        a->len -= a->head;
        a->head = 0;
        if (a->len + (size_t)n > a->cap) {
            int16_t *q = realloc(a->q, (a->len + (size_t)n) * sizeof *q);

            if (!q) {
                snprintf(errstr, errstr_size, "out of memory");
                err = SL_E_NOMEM;
            } else {
                a->q = q;
                a->cap = a->len + (size_t)n;
            }
        }
        if (!err) {
            memcpy(a->q + a->len, codes, (size_t)n * sizeof *codes);
            a->len += (size_t)n;
            atomic_store(&f->armed, true);
        }
    }
    pthread_mutex_unlock(&f->mu);
    return err;
}

sl_err faults_delay(broker *b, int16_t api_key, int ms, char *errstr, size_t errstr_size)
{
    faults *f = b->faults;

    if (api_key != -1 && !api_ok(api_key, errstr, errstr_size))
        return SL_E_INVAL;
    if (ms < 0 || ms > 3600000) {
        snprintf(errstr, errstr_size, "delay %d ms: expected 0 to 3600000", ms);
        return SL_E_INVAL;
    }
    pthread_mutex_lock(&f->mu);
    if (api_key == -1)
        f->all_delay_ms = ms;
    else
        f->api[api_key].delay_ms = ms;
    atomic_store(&f->armed, true);
    pthread_mutex_unlock(&f->mu);
    return SL_OK;
}

void faults_close_connections(broker *b)
{
    pthread_mutex_lock(&b->faults->mu);
    b->faults->close_req = true;
    pthread_mutex_unlock(&b->faults->mu);
    broker_wake(b);
}

void faults_pause(broker *b, int ms)
{
    pthread_mutex_lock(&b->faults->mu);
    b->faults->pause_req_ms = ms < 0 ? 0 : ms;
    pthread_mutex_unlock(&b->faults->mu);
    broker_wake(b);
}

void faults_clear(broker *b)
{
    faults *f = b->faults;

    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < FAULT_APIS; i++) {
        f->api[i].head = f->api[i].len = 0;
        f->api[i].delay_ms = 0;
    }
    f->all_delay_ms = 0;
    atomic_store(&f->armed, false);
    pthread_mutex_unlock(&f->mu);
}

int faults_pending(broker *b, int16_t api_key)
{
    faults *f = b->faults;
    int n;

    if (api_key < 0 || api_key >= FAULT_APIS)
        return 0;
    pthread_mutex_lock(&f->mu);
    n = (int)(f->api[api_key].len - f->api[api_key].head);
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* --- the loop's side --------------------------------------------------- */

static void close_all(broker *b, const char *why)
{
    conn *c, *next;

    for (c = LIST_FIRST(&b->conns); c; c = next) {
        next = LIST_NEXT(c, link);
        conn_close(c, why);
    }
}

static void on_resume(sl_timer *t)
{
    faults *f = CONTAINER_OF(t, faults, resume_timer);

    (void)f;
    f->paused = false;
    sl_info("faults", "injected outage over: serving again");
}

void faults_on_wake(broker *b)
{
    faults *f = b->faults;
    bool close_req;
    int pause_ms;

    pthread_mutex_lock(&f->mu);
    close_req = f->close_req;
    pause_ms = f->pause_req_ms;
    f->close_req = false;
    f->pause_req_ms = -1;
    pthread_mutex_unlock(&f->mu);

    if (pause_ms > 0 && !b->stopping) {
        sl_info("faults", "injected outage: closing %d connections, refusing new ones for %d ms",
                b->nconns, pause_ms);
        f->paused = true;
        timer_arm(b, &f->resume_timer, pause_ms, on_resume);
        close_all(b, "injected outage");
    } else if (pause_ms == 0 && f->paused) {
        timer_cancel(b, &f->resume_timer);
        on_resume(&f->resume_timer);
    }
    if (close_req) {
        sl_info("faults", "closing %d client connections on request", b->nconns);
        close_all(b, "closed on request (injected fault)");
    }
}

bool faults_paused(const broker *b)
{
    return b->faults->paused;
}

void faults_stop(broker *b)
{
    timer_cancel(b, &b->faults->resume_timer);
    b->faults->paused = false;
}

/* A held request's connection went away (or the broker stops): it is
 * dropped unanswered, as a client that closed expects. */
static void held_cancel(breq *r)
{
    timer_cancel(r->c->b, &r->timer);
    r->no_response = true;
    req_ready(r);
}

static void held_fire(sl_timer *t)
{
    breq *r = CONTAINER_OF(t, breq, timer);

    r->cancel = NULL;
    dispatch_resume(r);
}

bool faults_intercept(breq *r)
{
    broker *b = r->c->b;
    faults *f = b->faults;
    int16_t key = r->hdr.api_key, code = 0;
    int delay = 0;

    if (!atomic_load_explicit(&f->armed, memory_order_acquire) || key < 0 ||
        key >= FAULT_APIS)
        return false;
    pthread_mutex_lock(&f->mu);
    if (!r->fault_held)
        delay = f->api[key].delay_ms ? f->api[key].delay_ms : f->all_delay_ms;
    if (!delay && f->api[key].head < f->api[key].len)
        code = f->api[key].q[f->api[key].head++];
    pthread_mutex_unlock(&f->mu);
    if (delay > 0) {
        r->fault_held = true;
        r->cancel = held_cancel;
        timer_arm(b, &r->timer, delay, held_fire);
        return true;
    }
    if (code == 0)
        return false;
    sl_info("faults", "answering %s v%d from %s with injected error %d (%s)",
            api_name(key), r->hdr.api_version, r->c->peer, code, sl_err_str(code));
    return faults_answer_error(r, code);
}
