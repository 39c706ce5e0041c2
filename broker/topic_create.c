/*
 * topic_create.c - a topic's partitions made on the worker pool
 * (topic_create.h).
 *
 * Threads: the job's work step runs on a worker and touches only the
 * topic being created (not yet visible to any loop code: catalog.c's
 * rule), the job's own copies (override text, resolved settings) and the
 * catalog's immutable settings; everything else happens on the loop, in
 * topic_create_start and in the done step.
 */
#include "topic_create.h"

#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "topic_config.h"

typedef struct create_job {
    sl_job job;
    broker *b;
    cat_topic *t;
    char *overrides; /* owned; NULL: none */
    plog_config pc;  /* the topic's settings, resolved at the start */
    sl_err err;
    topic_created_fn cb;
    void *ud;
} create_job;

/* @worker */
static void create_work(sl_job *j)
{
    create_job *cj = CONTAINER_OF(j, create_job, job);
    catalog *cat = cj->b->cat;

    cj->err = catalog_create_work(cat, cj->t);
    if (cj->err == SL_OK && cj->overrides) {
        cj->err = cat_topic_set_overrides(cat, cj->t, cj->overrides);
        if (cj->err == SL_OK)
            cj->err = cat_topic_set_config(cj->t, &cj->pc);
    }
}

static void create_done(sl_job *j)
{
    create_job *cj = CONTAINER_OF(j, create_job, job);
    int32_t n = cat_topic_partitions(cj->t);
    char *name = strdup(cat_topic_name(cj->t));
    sl_err e = catalog_create_end(cj->b->cat, cj->t, cj->err);

    if (e == SL_OK)
        topic_create_log(name ? name : "?", n);
    else
        sl_warn("admin", "creating topic %s failed: %s", name ? name : "?", sl_err_str(e));
    free(name);
    if (cj->cb)
        cj->cb(cj->ud, e, e == SL_OK ? cj->t : NULL);
    free(cj->overrides);
    free(cj);
}

void topic_create_log(const char *name, int32_t nparts)
{
    sl_info("admin", "created topic %s (%d partitions)", name, (int)nparts);
}

sl_err topic_create_start(broker *b, sl_bytes name, int32_t nparts, const char *overrides,
                          topic_created_fn cb, void *ud)
{
    create_job *cj = calloc(1, sizeof *cj);
    int64_t maxmsg;
    char why[256];
    sl_err e;

    if (!cj)
        return SL_E_NOMEM;
    if (overrides && *overrides && !(cj->overrides = strdup(overrides))) {
        free(cj);
        return SL_E_NOMEM;
    }
    e = tcfg_resolve(&b->cfg, cj->overrides, &cj->pc, &maxmsg, why, sizeof why);
    if (e == SL_OK)
        e = catalog_create_begin(b->cat, name, nparts, &cj->t);
    if (e != SL_OK) {
        free(cj->overrides);
        free(cj);
        return e;
    }
    cj->b = b;
    cj->cb = cb;
    cj->ud = ud;
    cj->job.work = create_work;
    cj->job.done = create_done;
    sl_pool_submit(b->pool, &cj->job);
    return SL_OK;
}
