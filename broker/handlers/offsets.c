/*
 * offsets.c - OffsetCommit (8), OffsetFetch (9), OffsetDelete (47).
 *
 * A commit is answered once it is durable in the offsets log
 * (broker/offsets.c); a fetch of a partition with no commit answers
 * offset -1 with no error, as Kafka does.
 */
#include "../../protocol/msg_group.h"
#include "../broker.h"
#include "../group.h"
#include "../offsets.h"

/* Kafka's offset.metadata.max.bytes default. */
#define OFFSET_METADATA_MAX 4096

typedef struct commit_ctx {
    msg_offsetcommit_resp resp;
    int16_t **slots; /* error_code of each committed item's partition */
    int32_t n;
} commit_ctx;

static void commit_respond(breq *r)
{
    commit_ctx *ctx = r->hctx;
    kbuf_wr w;

    resp_begin(r, &w);
    msg_offsetcommit_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

static void on_committed(void *ud, sl_err err)
{
    breq *r = ud;
    commit_ctx *ctx = r->hctx;

    /* The offsets log could not take the commit (a full disk): Kafka
     * answers NOT_COORDINATOR, which clients retry after looking the
     * coordinator up again, rather than KAFKA_STORAGE_ERROR. */
    if (err)
        for (int32_t i = 0; i < ctx->n; i++)
            *ctx->slots[i] = SL_KE_NOT_COORDINATOR;
    commit_respond(r);
}

static bool partition_exists(broker *b, sl_bytes topic, int32_t partition)
{
    cat_topic *t = catalog_find(b->cat, topic);

    return t && cat_topic_log(t, partition) != NULL;
}

void handle_offset_commit(breq *r)
{
    broker *b = r->c->b;
    msg_offsetcommit_req req;
    commit_ctx *ctx;
    offsets_item *items;
    int32_t total = 0, n = 0;
    int16_t check;
    sl_err err;

    ctx = sl_arena_alloc(&r->arena, sizeof *ctx);
    if (!ctx) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    err = msg_offsetcommit_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    for (int32_t i = 0; i < req.topics_count; i++)
        total += req.topics[i].partitions_count;
    items = sl_arena_calloc(&r->arena, (size_t)total + 1, sizeof *items);
    ctx->slots = sl_arena_calloc(&r->arena, (size_t)total + 1, sizeof *ctx->slots);
    ctx->resp.topics = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1,
                                       sizeof *ctx->resp.topics);
    if (!items || !ctx->slots || !ctx->resp.topics) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    ctx->resp.topics_count = req.topics_count;
    check = grp_commit_check(b->groups, req.group_id, req.member_id, req.group_instance_id,
                             req.generation_id_or_member_epoch);
    for (int32_t i = 0; i < req.topics_count; i++) {
        const msg_offsetcommit_req_topic *tin = &req.topics[i];
        msg_offsetcommit_resp_topic *tout = &ctx->resp.topics[i];

        tout->name = tin->name;
        tout->partitions_count = tin->partitions_count;
        tout->partitions = sl_arena_calloc(&r->arena, (size_t)tin->partitions_count + 1,
                                           sizeof *tout->partitions);
        if (!tout->partitions) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
        for (int32_t j = 0; j < tin->partitions_count; j++) {
            const msg_offsetcommit_req_partition *pin = &tin->partitions[j];
            msg_offsetcommit_resp_partition *pout = &tout->partitions[j];

            pout->partition_index = pin->partition_index;
            if (check) {
                pout->error_code = check;
            } else if (!partition_exists(b, tin->name, pin->partition_index)) {
                pout->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (pin->committed_metadata.n > OFFSET_METADATA_MAX) {
                pout->error_code = SL_KE_OFFSET_METADATA_TOO_LARGE;
            } else {
                items[n] = (offsets_item){
                    .topic = tin->name,
                    .partition = pin->partition_index,
                    .offset = pin->committed_offset,
                    .leader_epoch = pin->committed_leader_epoch,
                    .metadata = pin->committed_metadata,
                };
                ctx->slots[n++] = &pout->error_code;
            }
        }
    }
    ctx->n = n;
    if (n == 0) {
        commit_respond(r);
        return;
    }
    err = offsets_commit(b->offs, req.group_id, items, n, false, sl_wallclock_ms(),
                         on_committed, r);
    if (err)
        on_committed(r, err);
}

/* --- OffsetFetch ------------------------------------------------------- */

typedef struct fetch_all {
    breq *r;
    msg_offsetfetch_resp_topic *topics;
    int32_t ntopics, cap;
    bool oom;
} fetch_all;

static bool collect(void *ud, sl_bytes topic, int32_t partition, const offset_value *v)
{
    fetch_all *fa = ud;
    msg_offsetfetch_resp_topic *t;
    msg_offsetfetch_resp_partition *p;

    if (fa->ntopics == 0 || !sl_bytes_eq(fa->topics[fa->ntopics - 1].name, topic)) {
        if (fa->ntopics == fa->cap) {
            int32_t cap = fa->cap ? fa->cap * 2 : 8;
            msg_offsetfetch_resp_topic *nt = sl_arena_calloc(&fa->r->arena, (size_t)cap,
                                                             sizeof *nt);

            if (!nt) {
                fa->oom = true;
                return false;
            }
            if (fa->ntopics)
                memcpy(nt, fa->topics, (size_t)fa->ntopics * sizeof *nt);
            fa->topics = nt;
            fa->cap = cap;
        }
        fa->topics[fa->ntopics++] = (msg_offsetfetch_resp_topic){ .name = topic };
    }
    t = &fa->topics[fa->ntopics - 1];
    /* Grow the partition array by one (arena: old copies are dropped). */
    p = sl_arena_calloc(&fa->r->arena, (size_t)t->partitions_count + 1, sizeof *p);
    if (!p) {
        fa->oom = true;
        return false;
    }
    if (t->partitions_count)
        memcpy(p, t->partitions, (size_t)t->partitions_count * sizeof *p);
    p[t->partitions_count] = (msg_offsetfetch_resp_partition){
        .partition_index = partition,
        .committed_offset = v->offset,
        .committed_leader_epoch = v->leader_epoch,
        .metadata = v->metadata,
    };
    t->partitions = p;
    t->partitions_count++;
    return true;
}

/* One group's answer: the named partitions, or every committed one. */
static bool fetch_group(breq *r, sl_bytes group, const msg_offsetfetch_req_topic *topics,
                        int32_t ntopics, msg_offsetfetch_resp_topic **out, int32_t *nout)
{
    offsets *o = r->c->b->offs;

    if (ntopics < 0) {
        fetch_all fa = { .r = r };

        offsets_each(o, group, collect, &fa);
        *out = fa.topics;
        *nout = fa.ntopics;
        return !fa.oom;
    }
    *out = sl_arena_calloc(&r->arena, (size_t)ntopics + 1, sizeof **out);
    if (!*out)
        return false;
    *nout = ntopics;
    for (int32_t i = 0; i < ntopics; i++) {
        msg_offsetfetch_resp_topic *t = &(*out)[i];

        t->name = topics[i].name;
        t->partitions_count = topics[i].partition_indexes_count;
        t->partitions = sl_arena_calloc(&r->arena, (size_t)t->partitions_count + 1,
                                        sizeof *t->partitions);
        if (!t->partitions)
            return false;
        for (int32_t j = 0; j < t->partitions_count; j++) {
            int32_t part = topics[i].partition_indexes[j];
            const offset_value *v = offsets_get(o, group, topics[i].name, part);
            msg_offsetfetch_resp_partition *p = &t->partitions[j];

            p->partition_index = part;
            p->committed_offset = v ? v->offset : -1;
            p->committed_leader_epoch = v ? v->leader_epoch : -1;
            p->metadata = v ? v->metadata : sl_bytes_make("", 0);
        }
    }
    return true;
}

void handle_offset_fetch(breq *r)
{
    msg_offsetfetch_req req;
    msg_offsetfetch_resp resp = { 0 };
    sl_err err;
    bool ok = true;
    kbuf_wr w;

    err = msg_offsetfetch_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    if (r->hdr.api_version >= 8) {
        resp.groups_count = req.groups_count;
        resp.groups = sl_arena_calloc(&r->arena, (size_t)req.groups_count + 1,
                                      sizeof *resp.groups);
        ok = resp.groups != NULL;
        for (int32_t i = 0; ok && i < req.groups_count; i++) {
            resp.groups[i].group_id = req.groups[i].group_id;
            ok = fetch_group(r, req.groups[i].group_id, req.groups[i].topics,
                             req.groups[i].topics_count, &resp.groups[i].topics,
                             &resp.groups[i].topics_count);
        }
    } else {
        ok = fetch_group(r, req.group_id, req.topics, req.topics_count, &resp.topics,
                         &resp.topics_count);
    }
    if (!ok) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp_begin(r, &w);
    msg_offsetfetch_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

/* --- OffsetDelete ------------------------------------------------------ */

typedef struct delete_ctx {
    msg_offsetdelete_resp resp;
} delete_ctx;

static void delete_respond(breq *r)
{
    delete_ctx *ctx = r->hctx;
    kbuf_wr w;

    resp_begin(r, &w);
    msg_offsetdelete_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

static void on_deleted(void *ud, sl_err err)
{
    breq *r = ud;
    delete_ctx *ctx = r->hctx;

    if (err)
        ctx->resp.error_code = SL_KE_KAFKA_STORAGE_ERROR;
    delete_respond(r);
}

void handle_offset_delete(breq *r)
{
    broker *b = r->c->b;
    msg_offsetdelete_req req;
    delete_ctx *ctx;
    offsets_item *items;
    int32_t total = 0, n = 0;
    bool exists, empty;
    sl_err err;

    ctx = sl_arena_alloc(&r->arena, sizeof *ctx);
    if (!ctx) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    err = msg_offsetdelete_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    for (int32_t i = 0; i < req.topics_count; i++)
        total += req.topics[i].partitions_count;
    items = sl_arena_calloc(&r->arena, (size_t)total + 1, sizeof *items);
    ctx->resp.topics = sl_arena_calloc(&r->arena, (size_t)req.topics_count + 1,
                                       sizeof *ctx->resp.topics);
    if (!items || !ctx->resp.topics) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    exists = !grp_is_empty(b->groups, req.group_id) || offsets_group_has(b->offs, req.group_id);
    empty = grp_is_empty(b->groups, req.group_id);
    if (!exists)
        ctx->resp.error_code = SL_KE_GROUP_ID_NOT_FOUND;
    ctx->resp.topics_count = req.topics_count;
    for (int32_t i = 0; i < req.topics_count; i++) {
        msg_offsetdelete_resp_topic *t = &ctx->resp.topics[i];

        t->name = req.topics[i].name;
        t->partitions_count = req.topics[i].partitions_count;
        t->partitions = sl_arena_calloc(&r->arena, (size_t)t->partitions_count + 1,
                                        sizeof *t->partitions);
        if (!t->partitions) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
        for (int32_t j = 0; j < t->partitions_count; j++) {
            int32_t part = req.topics[i].partitions[j].partition_index;

            t->partitions[j].partition_index = part;
            if (!exists)
                continue;
            /* A group with members may be consuming the topic; sluice does
             * not read the consumer protocol's subscriptions, so it
             * refuses for any non-empty group. */
            if (!empty) {
                t->partitions[j].error_code = SL_KE_GROUP_SUBSCRIBED_TO_TOPIC;
                continue;
            }
            items[n++] = (offsets_item){ .topic = t->name, .partition = part };
        }
    }
    if (n == 0) {
        delete_respond(r);
        return;
    }
    err = offsets_commit(b->offs, req.group_id, items, n, true, sl_wallclock_ms(), on_deleted, r);
    if (err)
        on_deleted(r, err);
}
