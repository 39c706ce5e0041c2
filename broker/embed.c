/*
 * embed.c - the broker as a library (sluice_broker.h): a broker on its
 * own thread, started and stopped from another.
 *
 * The broker's io_uring may be set up single-issuer, so the broker's own
 * thread starts it, runs it and frees it; slb_start waits for the start's
 * outcome.  Other threads reach the loop only through broker_wake.
 */
#include "sluice_broker.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "broker.h"
#include "ephemeral.h"
#include "faults.h"

struct slb_config {
    broker_config cfg;
};

struct slb_broker {
    broker b;
    broker_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int state; /* 0 starting, 1 running, -1 failed to start */
    int rc;
    char err[512];
    char tmp_dir[4096];
    char bootstrap[300];
};

slb_config *slb_config_new(void)
{
    slb_config *c = calloc(1, sizeof *c);
    char err[256];

    if (!c)
        return NULL;
    config_defaults(&c->cfg);
    if (ephemeral_defaults(&c->cfg, err, sizeof err)) {
        free(c);
        return NULL;
    }
    return c;
}

int slb_config_set(slb_config *c, const char *key, const char *value, char *errstr,
                   size_t errstr_size)
{
    return config_set(&c->cfg, key, value, errstr, errstr_size) ? -1 : 0;
}

void slb_config_free(slb_config *c)
{
    free(c);
}

void slb_log_level(int level)
{
    sl_log_set_level(level <= 0 ? SL_LOG_DEBUG : level >= 3 ? SL_LOG_ERROR : (sl_log_level)level);
}

static void set_state(slb_broker *h, int state)
{
    pthread_mutex_lock(&h->mu);
    h->state = state;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->mu);
}

static void *broker_thread(void *arg)
{
    slb_broker *h = arg;
    sigset_t all;

    /* Signals are the program's: this thread takes none (and a SIGPIPE
     * from sendfile to a closed socket stays pending here, harmless). */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    if (broker_start(&h->b, &h->cfg, h->err, sizeof h->err)) {
        broker_free(&h->b);
        set_state(h, -1);
        return NULL;
    }
    snprintf(h->bootstrap, sizeof h->bootstrap, "%s:%d", h->b.cfg.advertised_host,
             h->b.advertised_port);
    set_state(h, 1);
    h->rc = broker_run(&h->b);
    broker_free(&h->b);
    return NULL;
}

static void handle_free(slb_broker *h)
{
    ephemeral_remove(h->tmp_dir);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int slb_start(const slb_config *c, slb_broker **out, char *errstr, size_t errstr_size)
{
    slb_broker *h = calloc(1, sizeof *h);
    slb_config def;

    *out = NULL;
    if (!h) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cond, NULL);
    if (!c) {
        config_defaults(&def.cfg);
        ephemeral_defaults(&def.cfg, errstr, errstr_size);
        c = &def;
    }
    h->cfg = c->cfg;
    if (ephemeral_dir(&h->cfg, h->tmp_dir, sizeof h->tmp_dir, errstr, errstr_size) ||
        config_finish(&h->cfg, errstr, errstr_size)) {
        handle_free(h);
        return -1;
    }
    if (pthread_create(&h->thread, NULL, broker_thread, h) != 0) {
        snprintf(errstr, errstr_size, "cannot start the broker's thread");
        handle_free(h);
        return -1;
    }
    pthread_mutex_lock(&h->mu);
    while (h->state == 0)
        pthread_cond_wait(&h->cond, &h->mu);
    pthread_mutex_unlock(&h->mu);
    if (h->state < 0) {
        pthread_join(h->thread, NULL);
        snprintf(errstr, errstr_size, "%s", h->err);
        handle_free(h);
        return -1;
    }
    *out = h;
    return 0;
}

const char *slb_bootstrap(const slb_broker *b)
{
    return b->bootstrap;
}

int slb_stop(slb_broker *b)
{
    int rc;

    if (!b)
        return 0;
    broker_request_stop(&b->b);
    pthread_join(b->thread, NULL);
    rc = b->rc;
    handle_free(b);
    return rc;
}

/* --- faults ------------------------------------------------------------- */

static int fault_result(sl_err err, const char *what, const char *errstr)
{
    if (!err)
        return 0;
    sl_warn("faults", "%s: %s", what, errstr);
    return -1;
}

int slb_fault_push_error_array(slb_broker *b, int16_t api_key, int count, const int16_t *codes,
                               char *errstr, size_t errstr_size)
{
    return faults_push_errors(&b->b, api_key, count, codes, errstr, errstr_size) ? -1 : 0;
}

int slb_fault_push_errors(slb_broker *b, int16_t api_key, int count, ...)
{
    int16_t *codes;
    char err[256];
    va_list ap;
    int rc;

    if (count <= 0 || count > 1000000)
        return fault_result(SL_E_INVAL, "slb_fault_push_errors", "count out of range");
    codes = calloc((size_t)count, sizeof *codes);
    if (!codes)
        return fault_result(SL_E_NOMEM, "slb_fault_push_errors", "out of memory");
    va_start(ap, count);
    for (int i = 0; i < count; i++)
        codes[i] = (int16_t)va_arg(ap, int);
    va_end(ap);
    rc = fault_result(faults_push_errors(&b->b, api_key, count, codes, err, sizeof err),
                      "slb_fault_push_errors", err);
    free(codes);
    return rc;
}

int slb_fault_delay(slb_broker *b, int16_t api_key, int ms)
{
    char err[256];

    return fault_result(faults_delay(&b->b, api_key, ms, err, sizeof err), "slb_fault_delay",
                        err);
}

int slb_fault_close_connections(slb_broker *b)
{
    faults_close_connections(&b->b);
    return 0;
}

int slb_fault_pause(slb_broker *b, int ms)
{
    faults_pause(&b->b, ms);
    return 0;
}

int slb_fault_clear(slb_broker *b)
{
    faults_clear(&b->b);
    return 0;
}

int slb_fault_pending(slb_broker *b, int16_t api_key)
{
    return faults_pending(&b->b, api_key);
}
