/*
 * admin.c - CreateTopics (19), DeleteTopics (20), CreatePartitions (37),
 * DeleteRecords (21), DescribeCluster (60).
 *
 * One broker is the whole cluster: it is the controller, every replica
 * list is [this broker], replication factor 1.  Topic changes are done
 * before the response goes out.  CreateTopics makes its topics on the
 * worker pool (topic_create.c), CreatePartitions its partitions
 * (catalog_grow_*), and each answers when the last one is made or failed;
 * DeleteTopics answers once the deleted topic's committed offsets
 * are durably removed.  Per-topic errors follow Apache Kafka's
 * (ZkAdminManager / ControllerApis) codes and messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/log.h"
#include "../../protocol/msg_admin.h"
#include "../broker.h"
#include "../offsets.h"
#include "../producers.h"
#include "../topic_config.h"
#include "../topic_create.h"

#define KE_INVALID_REPLICA_ASSIGNMENT 39 /* Kafka's INVALID_REPLICA_ASSIGNMENT */

static int16_t storage_code(sl_err e)
{
    return e > 0 ? (int16_t)e : SL_KE_KAFKA_STORAGE_ERROR;
}

/* --- CreateTopics -------------------------------------------------------- */

typedef struct cfg_list {
    breq *r;
    msg_createtopics_resp_config *v;
    int32_t n, cap;
    bool oom;
} cfg_list;

static void add_created_config(void *ud, const char *name, const char *value, int8_t source)
{
    cfg_list *cl = ud;
    msg_createtopics_resp_config *c;

    if (cl->oom)
        return;
    if (cl->n == cl->cap) {
        int32_t cap = cl->cap ? cl->cap * 2 : 16;
        msg_createtopics_resp_config *v = sl_arena_calloc(&cl->r->arena, (size_t)cap, sizeof *v);

        if (!v) {
            cl->oom = true;
            return;
        }
        if (cl->n)
            memcpy(v, cl->v, (size_t)cl->n * sizeof *v);
        cl->v = v;
        cl->cap = cap;
    }
    c = &cl->v[cl->n++];
    c->name = sl_bytes_str(name); /* tcfg's static names */
    c->value = sl_bytes_str(req_cstr(cl->r, sl_bytes_str(value)));
    c->read_only = false;
    c->config_source = source;
    c->is_sensitive = false;
}

static bool assignments_ok(broker *b, const msg_createtopics_req_topic *tin)
{
    for (int32_t i = 0; i < tin->assignments_count; i++) {
        const msg_createtopics_req_assignment *a = &tin->assignments[i];

        if (a->broker_ids_count != 1 || a->broker_ids[0] != b->node_id)
            return false;
    }
    return true;
}

/* Every partition index 0..n-1 exactly once. */
static bool assignments_cover(const msg_createtopics_req_topic *tin)
{
    int32_t n = tin->assignments_count;

    for (int32_t p = 0; p < n; p++) {
        int seen = 0;

        for (int32_t i = 0; i < n; i++)
            seen += tin->assignments[i].partition_index == p;
        if (seen != 1)
            return false;
    }
    return true;
}

typedef struct create_ctx {
    msg_createtopics_resp resp;
    int pending; /* topics being made, plus one while the handler runs */
} create_ctx;

/* A topic of the request being made on the pool. */
typedef struct create_wait {
    breq *r;
    msg_createtopics_resp_topic *out;
    const char *overrides; /* in r's arena */
    int32_t nparts;
} create_wait;

static void create_respond(breq *r)
{
    create_ctx *ctx = r->hctx;
    kbuf_wr w;

    resp_begin(r, &w);
    msg_createtopics_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

/* The answer for a topic made (or that validate_only would make). */
static void create_fill(breq *r, msg_createtopics_resp_topic *out, int32_t nparts,
                        const char *overrides)
{
    broker *b = r->c->b;

    out->num_partitions = nparts;
    out->replication_factor = 1;
    if (r->hdr.api_version >= 5) {
        cfg_list cl = { .r = r };

        tcfg_each(&b->cfg, overrides ? overrides : "", add_created_config, &cl);
        if (!cl.oom) {
            out->configs = cl.v;
            out->configs_count = cl.n;
        }
    }
}

static void on_topic_created(void *ud, sl_err e, cat_topic *t)
{
    create_wait *cw = ud;
    breq *r = cw->r;
    create_ctx *ctx = r->hctx;

    if (e) {
        cw->out->error_code = storage_code(e);
        cw->out->error_message = req_printf(r, "creating the topic failed: %s", sl_err_str(e));
    } else {
        memcpy(cw->out->topic_id, cat_topic_id(t), 16);
        create_fill(r, cw->out, cw->nparts, cw->overrides);
    }
    if (--ctx->pending == 0)
        create_respond(r);
}

/* Start making the topic; its answer is filled in when it is made. */
static void create_start(breq *r, const msg_createtopics_req_topic *tin, int32_t nparts,
                         const char *overrides, msg_createtopics_resp_topic *out)
{
    create_ctx *ctx = r->hctx;
    create_wait *cw = sl_arena_alloc(&r->arena, sizeof *cw);
    sl_err e = SL_E_NOMEM;

    if (cw) {
        cw->r = r;
        cw->out = out;
        cw->nparts = nparts;
        cw->overrides = overrides ? req_cstr(r, sl_bytes_str(overrides)) : NULL;
        if (!overrides || cw->overrides)
            e = topic_create_start(r->c->b, tin->name, nparts, overrides, on_topic_created, cw);
    }
    if (e) {
        out->error_code = storage_code(e);
        out->error_message = e == SL_KE_TOPIC_ALREADY_EXISTS
                                 ? req_printf(r, "Topic '%.*s' already exists.", (int)tin->name.n,
                                              (const char *)tin->name.p)
                                 : req_printf(r, "creating the topic failed: %s", sl_err_str(e));
        return;
    }
    ctx->pending++;
}

static void create_one(breq *r, const msg_createtopics_req *req, int32_t idx,
                       msg_createtopics_resp_topic *out)
{
    broker *b = r->c->b;
    const msg_createtopics_req_topic *tin = &req->topics[idx];
    char *overrides = NULL, errstr[256];
    int32_t nparts;
    sl_err e;

    out->name = tin->name;
    out->error_message = SL_BYTES_NULL;
    out->num_partitions = -1;
    out->replication_factor = -1;
    out->configs_count = -1;
    for (int32_t j = 0; j < idx; j++) {
        if (sl_bytes_eq(req->topics[j].name, tin->name)) {
            out->error_code = SL_KE_INVALID_REQUEST;
            out->error_message = req_printf(r, "Create topics request from client has a duplicate topic %.*s",
                                         (int)tin->name.n, (const char *)tin->name.p);
            return;
        }
    }
    if (!catalog_valid_name(tin->name)) {
        out->error_code = SL_KE_INVALID_TOPIC_EXCEPTION;
        out->error_message = req_printf(r, "Topic name is illegal: 1 to %d characters of "
                                        "[a-zA-Z0-9._-], not '.' or '..'",
                                     CAT_TOPIC_NAME_MAX);
        return;
    }
    if (catalog_find(b->cat, tin->name) || catalog_creating(b->cat, tin->name)) {
        out->error_code = SL_KE_TOPIC_ALREADY_EXISTS;
        out->error_message = req_printf(r, "Topic '%.*s' already exists.", (int)tin->name.n,
                                     (const char *)tin->name.p);
        return;
    }
    if (tin->assignments_count > 0) {
        if (tin->num_partitions != -1 || tin->replication_factor != -1) {
            out->error_code = SL_KE_INVALID_REQUEST;
            out->error_message = req_printf(r, "Both numPartitions or replicationFactor and "
                                            "replicasAssignments were set. Both cannot be used "
                                            "at the same time.");
            return;
        }
        if (!assignments_cover(tin)) {
            out->error_code = KE_INVALID_REPLICA_ASSIGNMENT;
            out->error_message = req_printf(r, "Partitions should be a consecutive 0-based "
                                            "integer sequence");
            return;
        }
        if (!assignments_ok(b, tin)) {
            out->error_code = KE_INVALID_REPLICA_ASSIGNMENT;
            out->error_message = req_printf(r, "Replica assignments may only name broker %d "
                                            "(a single-broker cluster)",
                                         (int)b->node_id);
            return;
        }
        nparts = tin->assignments_count;
    } else {
        nparts = tin->num_partitions == -1 ? (int32_t)b->cfg.num_partitions : tin->num_partitions;
        if (nparts <= 0) {
            out->error_code = SL_KE_INVALID_PARTITIONS;
            out->error_message = req_printf(r, "Number of partitions must be larger than 0.");
            return;
        }
        if (tin->replication_factor != -1 && tin->replication_factor != 1) {
            out->error_code = SL_KE_INVALID_REPLICATION_FACTOR;
            out->error_message = req_printf(r, tin->replication_factor <= 0
                                                ? "Replication factor must be larger than 0."
                                                : "Replication factor: %d larger than available "
                                                  "brokers: 1.",
                                         (int)tin->replication_factor);
            return;
        }
    }
    /* The configs, checked one by one and as a whole. */
    for (int32_t i = 0; i < tin->configs_count; i++) {
        const msg_createtopics_req_config *c = &tin->configs[i];
        char *name = req_cstr(r, c->name), *next = NULL;
        char *value = c->value.null ? NULL : req_cstr(r, c->value);

        if (!name || (!c->value.null && !value)) {
            e = SL_E_NOMEM;
        } else if (c->value.null) {
            continue; /* Kafka ignores a null value here */
        } else {
            e = tcfg_set(&b->cfg, overrides ? overrides : "", name, value, &next, errstr,
                         sizeof errstr);
        }
        if (e) {
            free(overrides);
            out->error_code = e == SL_E_NOMEM ? SL_KE_UNKNOWN_SERVER_ERROR : SL_KE_INVALID_CONFIG;
            out->error_message = req_printf(r, "Invalid config %s: %s", name ? name : "?",
                                         e == SL_E_NOMEM ? "out of memory" : errstr);
            return;
        }
        free(overrides);
        overrides = next;
    }
    if (nparts > 100000) {
        free(overrides);
        out->error_code = SL_KE_INVALID_PARTITIONS;
        out->error_message = req_printf(r, "Number of partitions %d is too large.", (int)nparts);
        return;
    }
    if (req->validate_only)
        create_fill(r, out, nparts, overrides);
    else
        create_start(r, tin, nparts, overrides, out);
    free(overrides);
}

void handle_create_topics(breq *r)
{
    msg_createtopics_req req;
    create_ctx *ctx;
    sl_err err;

    err = msg_createtopics_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    ctx = sl_arena_calloc(&r->arena, 1, sizeof *ctx);
    if (ctx)
        ctx->resp.topics = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1,
                                           sizeof *ctx->resp.topics);
    if (!ctx || !ctx->resp.topics) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    ctx->resp.topics_count = req.topics_count;
    ctx->pending = 1;
    for (int32_t i = 0; i < req.topics_count; i++)
        create_one(r, &req, i, &ctx->resp.topics[i]);
    if (--ctx->pending == 0)
        create_respond(r);
}

/* --- DeleteTopics -------------------------------------------------------- */

typedef struct delete_ctx {
    msg_deletetopics_resp resp;
    int pending;
} delete_ctx;

typedef struct delete_one {
    breq *r;
    msg_deletetopics_resp_response *out;
} delete_one;

static void delete_respond(breq *r)
{
    delete_ctx *ctx = r->hctx;
    kbuf_wr w;

    resp_begin(r, &w);
    msg_deletetopics_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

static void on_offsets_deleted(void *ud, sl_err err)
{
    delete_one *d = ud;
    delete_ctx *ctx = d->r->hctx;

    if (err) {
        /* The topic is gone; only its committed offsets may linger. */
        sl_warn("admin", "deleting the committed offsets of %.*s: %s", (int)d->out->name.n,
                (const char *)d->out->name.p, sl_err_str(err));
    }
    if (--ctx->pending == 0)
        delete_respond(d->r);
}

/* Take a topic out: idempotent-producer state, duplicate waits, offsets,
 * then the catalog (its logs wait in the graveyard for their I/O). */
static void delete_topic(breq *r, cat_topic *t, msg_deletetopics_resp_response *out)
{
    broker *b = r->c->b;
    delete_ctx *ctx = r->hctx;
    sl_bytes name = sl_bytes_str(req_cstr(r, sl_bytes_str(cat_topic_name(t))));
    delete_one *d;
    sl_err e;

    out->name = name;
    memcpy(out->topic_id, cat_topic_id(t), 16);
    for (int32_t p = 0; p < cat_topic_partitions(t); p++) {
        plog *log = cat_topic_log(t, p);

        producers_forget(b->prods, log);
        produce_fail_dup_waits(b, log);
    }
    e = catalog_delete(b->cat, t);
    if (e) {
        out->error_code = storage_code(e);
        out->error_message = req_printf(r, "deleting the topic failed: %s", sl_err_str(e));
        return;
    }
    sl_info("admin", "deleted topic %.*s", (int)name.n, (const char *)name.p);
    d = sl_arena_alloc(&r->arena, sizeof *d);
    if (!d)
        return;
    d->r = r;
    d->out = out;
    ctx->pending++;
    if (offsets_delete_topic(b->offs, name, sl_wallclock_ms(), on_offsets_deleted, d) != SL_OK)
        ctx->pending--;
}

void handle_delete_topics(breq *r)
{
    broker *b = r->c->b;
    msg_deletetopics_req req;
    delete_ctx *ctx;
    static const uint8_t zero_id[16];
    sl_err err;

    ctx = sl_arena_calloc(&r->arena, 1, sizeof *ctx);
    if (!ctx) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    err = msg_deletetopics_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    ctx->resp.responses = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1,
                                          sizeof *ctx->resp.responses);
    if (!ctx->resp.responses) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    ctx->resp.responses_count = req.topics_count;
    ctx->pending = 1;
    for (int32_t i = 0; i < req.topics_count; i++) {
        const msg_deletetopics_req_topic *tin = &req.topics[i];
        msg_deletetopics_resp_response *out = &ctx->resp.responses[i];
        cat_topic *t;

        out->name = tin->name;
        out->error_message = SL_BYTES_NULL;
        memcpy(out->topic_id, tin->topic_id, 16);
        if (tin->name.null) {
            t = memcmp(tin->topic_id, zero_id, 16) ? catalog_find_id(b->cat, tin->topic_id)
                                                   : NULL;
            if (!t) {
                out->error_code = SL_KE_UNKNOWN_TOPIC_ID;
                out->error_message = req_printf(r, "This server does not host this topic ID.");
                continue;
            }
        } else {
            t = catalog_find(b->cat, tin->name);
            if (!t) {
                out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
                out->error_message = req_printf(r, "This server does not host this "
                                                "topic-partition.");
                continue;
            }
        }
        delete_topic(r, t, out);
    }
    if (--ctx->pending == 0)
        delete_respond(r);
}

/* --- CreatePartitions ---------------------------------------------------- */

/* The new partitions are made on the pool (catalog_grow_*); the response
 * goes out when every topic of the request is done. */
typedef struct grow_ctx {
    msg_createpartitions_resp resp;
    int pending; /* grows on the pool, plus one while the handler runs */
} grow_ctx;

typedef struct grow_job {
    sl_job job;
    breq *r;
    msg_createpartitions_resp_result *out;
    cat_grow *g;
    sl_err err;
    int32_t have, count;
} grow_job;

static void grow_respond(breq *r)
{
    grow_ctx *ctx = r->hctx;
    kbuf_wr w;

    resp_begin(r, &w);
    msg_createpartitions_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

/* @worker: the cat_grow only. */
static void grow_work(sl_job *j)
{
    grow_job *gj = CONTAINER_OF(j, grow_job, job);

    gj->err = catalog_grow_work(gj->r->c->b->cat, gj->g);
}

static void grow_done(sl_job *j)
{
    grow_job *gj = CONTAINER_OF(j, grow_job, job);
    breq *r = gj->r;
    grow_ctx *ctx = r->hctx;
    sl_err e = catalog_grow_end(r->c->b->cat, gj->g, gj->err);

    if (e) {
        gj->out->error_code = storage_code(e);
        gj->out->error_message = req_printf(r, "adding partitions failed: %s", sl_err_str(e));
    } else {
        sl_info("admin", "topic %.*s: %d partitions (was %d)", (int)gj->out->name.n,
                (const char *)gj->out->name.p, (int)gj->count, (int)gj->have);
    }
    if (--ctx->pending == 0)
        grow_respond(r);
}

static void grow_start(breq *r, cat_topic *t, int32_t count,
                       msg_createpartitions_resp_result *out)
{
    grow_ctx *ctx = r->hctx;
    grow_job *gj = sl_arena_calloc(&r->arena, 1, sizeof *gj);
    sl_err e = gj ? catalog_grow_begin(r->c->b->cat, t, count, &gj->g) : SL_E_NOMEM;

    if (e) {
        out->error_code = storage_code(e);
        out->error_message = req_printf(r, e == SL_KE_INVALID_PARTITIONS
                                               ? "Partitions of this topic are being added."
                                               : "adding partitions failed: %s",
                                        sl_err_str(e));
        return;
    }
    gj->r = r;
    gj->out = out;
    gj->have = cat_topic_partitions(t);
    gj->count = count;
    gj->job.work = grow_work;
    gj->job.done = grow_done;
    ctx->pending++;
    sl_pool_submit(r->c->b->pool, &gj->job);
}

static void create_partitions_one(breq *r, const msg_createpartitions_req *req, int32_t idx,
                                  msg_createpartitions_resp_result *out)
{
    broker *b = r->c->b;
    const msg_createpartitions_req_topic *tin = &req->topics[idx];
    cat_topic *t;
    int32_t have;

    out->name = tin->name;
    out->error_message = SL_BYTES_NULL;
    for (int32_t j = 0; j < idx; j++) {
        if (sl_bytes_eq(req->topics[j].name, tin->name)) {
            out->error_code = SL_KE_INVALID_REQUEST;
            out->error_message = req_printf(r, "Duplicate topic in request.");
            return;
        }
    }
    t = catalog_find(b->cat, tin->name);
    if (!t) {
        out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = req_printf(r, "The topic '%.*s' does not exist.", (int)tin->name.n,
                                     (const char *)tin->name.p);
        return;
    }
    have = cat_topic_partitions(t);
    if (tin->count <= have) {
        out->error_code = SL_KE_INVALID_PARTITIONS;
        out->error_message = tin->count == have
                                 ? req_printf(r, "Topic already has %d partitions.", (int)have)
                                 : req_printf(r, "Topic currently has %d partitions, which is "
                                              "higher than the requested %d.",
                                           (int)have, (int)tin->count);
        return;
    }
    if (tin->count > 100000) {
        out->error_code = SL_KE_INVALID_PARTITIONS;
        out->error_message = req_printf(r, "Number of partitions %d is too large.", (int)tin->count);
        return;
    }
    if (tin->assignments_count >= 0) { /* null: ours to choose */
        if (tin->assignments_count != tin->count - have) {
            out->error_code = KE_INVALID_REPLICA_ASSIGNMENT;
            out->error_message = req_printf(r, "Increasing the number of partitions by %d but %d "
                                            "assignments provided.",
                                         (int)(tin->count - have), (int)tin->assignments_count);
            return;
        }
        for (int32_t i = 0; i < tin->assignments_count; i++) {
            const msg_createpartitions_req_assignment *a = &tin->assignments[i];

            if (a->broker_ids_count != 1 || a->broker_ids[0] != b->node_id) {
                out->error_code = KE_INVALID_REPLICA_ASSIGNMENT;
                out->error_message = req_printf(r, "Replica assignments may only name broker %d "
                                                "(a single-broker cluster)",
                                             (int)b->node_id);
                return;
            }
        }
    }
    if (!req->validate_only)
        grow_start(r, t, tin->count, out);
}

void handle_create_partitions(breq *r)
{
    msg_createpartitions_req req;
    grow_ctx *ctx;
    sl_err err;

    err = msg_createpartitions_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    ctx = sl_arena_calloc(&r->arena, 1, sizeof *ctx);
    if (ctx)
        ctx->resp.results = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1,
                                            sizeof *ctx->resp.results);
    if (!ctx || !ctx->resp.results) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    ctx->resp.results_count = req.topics_count;
    ctx->pending = 1;
    for (int32_t i = 0; i < req.topics_count; i++)
        create_partitions_one(r, &req, i, &ctx->resp.results[i]);
    if (--ctx->pending == 0)
        grow_respond(r);
}

/* --- DeleteRecords ------------------------------------------------------- */

void handle_delete_records(breq *r)
{
    broker *b = r->c->b;
    msg_deleterecords_req req;
    msg_deleterecords_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_deleterecords_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.topics = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1, sizeof *resp.topics);
    if (!resp.topics) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp.topics_count = req.topics_count;
    for (int32_t i = 0; i < req.topics_count; i++) {
        const msg_deleterecords_req_topic *tin = &req.topics[i];
        msg_deleterecords_resp_topic *tout = &resp.topics[i];
        cat_topic *t = catalog_find(b->cat, tin->name);

        tout->name = tin->name;
        tout->partitions = sl_arena_calloc(&r->arena, (size_t)tin->partitions_count + 1,
                                           sizeof *tout->partitions);
        if (!tout->partitions) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
        tout->partitions_count = tin->partitions_count;
        for (int32_t j = 0; j < tin->partitions_count; j++) {
            const msg_deleterecords_req_partition *pin = &tin->partitions[j];
            msg_deleterecords_resp_partition *pout = &tout->partitions[j];
            plog *log = t ? cat_topic_log(t, pin->partition_index) : NULL;
            int64_t low = -1;

            pout->partition_index = pin->partition_index;
            pout->low_watermark = -1;
            if (!log) {
                pout->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            err = plog_delete_records(log, pin->offset, &low);
            pout->error_code = err ? storage_code(err) : 0;
            pout->low_watermark = err ? -1 : low;
        }
    }
    resp_begin(r, &w);
    msg_deleterecords_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

/* --- DescribeCluster ----------------------------------------------------- */

void handle_describe_cluster(breq *r)
{
    broker *b = r->c->b;
    msg_describecluster_req req;
    msg_describecluster_resp resp = { 0 };
    msg_describecluster_resp_broker self;
    sl_err err;
    kbuf_wr w;

    err = msg_describecluster_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    self.broker_id = b->node_id;
    self.host = sl_bytes_str(b->cfg.advertised_host);
    self.port = b->advertised_port;
    self.rack = SL_BYTES_NULL;
    resp.error_message = SL_BYTES_NULL;
    resp.endpoint_type = req.endpoint_type;
    resp.cluster_id = sl_bytes_str(b->cluster_id);
    /* This broker is its own controller (PROTOCOL.md section 5). */
    resp.controller_id = b->node_id;
    resp.brokers = &self;
    resp.brokers_count = 1;
    resp.cluster_authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE;
    resp_begin(r, &w);
    msg_describecluster_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
