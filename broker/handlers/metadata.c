/*
 * metadata.c - Metadata (key 3): this broker, the cluster, topics.
 *
 * Topics: v0 empty list = all; v1+ null = all, empty = none.  An unknown
 * topic is created when auto.create.topics.enable is on and the request
 * allows it (always below v4), as Apache Kafka does.
 *
 * A topic being created (topic_create.c) gets LEADER_NOT_AVAILABLE, as
 * Kafka answers while it elects the new partitions' leaders; clients
 * retry.  An auto-created topic of at most AUTO_CREATE_SYNC_MAX
 * partitions is made on the loop at once (a few ms, and the client gets
 * its answer without a retry); a larger one on the worker pool.
 */
#include "../../protocol/msg.h"
#include "../broker.h"
#include "../topic_create.h"

/* Made on the spot, a topic of 16 partitions held the loop about 100 ms
 * on a busy virtual disk (8: 70 ms, 32: 200 ms): about what the client
 * would wait before asking again (librdkafka and kafka-python retry after
 * 100 ms or more), so smaller ones are not worth the round trip. */
#define AUTO_CREATE_SYNC_MAX 16

static sl_err fill_topic(breq *r, msg_metadata_resp_topic *out, cat_topic *t)
{
    broker *b = r->c->b;
    int32_t n = cat_topic_partitions(t);

    out->error_code = 0;
    out->name = sl_bytes_str(cat_topic_name(t));
    memcpy(out->topic_id, cat_topic_id(t), 16);
    out->topic_authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE;
    out->partitions = sl_arena_calloc(&r->arena, (size_t)n, sizeof *out->partitions);
    /* One replica list shared by every partition: this broker. */
    int32_t *self = sl_arena_alloc(&r->arena, sizeof *self);
    if ((n && !out->partitions) || !self)
        return SL_E_NOMEM;
    *self = b->node_id;
    out->partitions_count = n;
    for (int32_t p = 0; p < n; p++) {
        msg_metadata_resp_partition *mp = &out->partitions[p];

        mp->error_code = plog_state(cat_topic_log(t, p)) ? SL_KE_KAFKA_STORAGE_ERROR : 0;
        mp->partition_index = p;
        mp->leader_id = b->node_id;
        mp->leader_epoch = 0;
        mp->replica_nodes = self;
        mp->replica_nodes_count = 1;
        mp->isr_nodes = self;
        mp->isr_nodes_count = 1;
        mp->offline_replicas_count = 0;
    }
    return SL_OK;
}

static sl_err lookup_topic(breq *r, const msg_metadata_req *req, const msg_metadata_req_topic *rt,
                           msg_metadata_resp_topic *out)
{
    broker *b = r->c->b;
    cat_topic *t;
    sl_err err;
    static const uint8_t zero_id[16];

    out->name = rt->name;
    out->topic_authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE;
    if (rt->name.null) {
        /* v10+: by topic id */
        t = memcmp(rt->topic_id, zero_id, 16) ? catalog_find_id(b->cat, rt->topic_id) : NULL;
        if (!t) {
            memcpy(out->topic_id, rt->topic_id, 16);
            out->error_code = SL_KE_UNKNOWN_TOPIC_ID;
            return SL_OK;
        }
        return fill_topic(r, out, t);
    }
    t = catalog_find(b->cat, rt->name);
    if (t)
        return fill_topic(r, out, t);
    if (catalog_creating(b->cat, rt->name)) {
        out->error_code = SL_KE_LEADER_NOT_AVAILABLE;
        return SL_OK;
    }
    if (!catalog_valid_name(rt->name)) {
        out->error_code = SL_KE_INVALID_TOPIC_EXCEPTION;
        return SL_OK;
    }
    if (!b->cfg.auto_create_topics || (r->hdr.api_version >= 4 && !req->allow_auto_topic_creation)) {
        out->error_code = SL_KE_UNKNOWN_TOPIC_OR_PARTITION;
        return SL_OK;
    }
    if (b->cfg.num_partitions > AUTO_CREATE_SYNC_MAX) {
        err = topic_create_start(b, rt->name, (int32_t)b->cfg.num_partitions, NULL, NULL, NULL);
        out->error_code = err == SL_OK ? SL_KE_LEADER_NOT_AVAILABLE
                          : err > 0    ? (int16_t)err
                                       : SL_KE_KAFKA_STORAGE_ERROR;
        return SL_OK;
    }
    err = catalog_create(b->cat, rt->name, (int32_t)b->cfg.num_partitions, &t);
    if (err == SL_OK) {
        topic_create_log(cat_topic_name(t), cat_topic_partitions(t));
        return fill_topic(r, out, t);
    }
    out->error_code = err > 0 ? (int16_t)err : SL_KE_KAFKA_STORAGE_ERROR;
    return SL_OK;
}

void handle_metadata(breq *r)
{
    broker *b = r->c->b;
    msg_metadata_req req;
    msg_metadata_resp resp = { 0 };
    msg_metadata_resp_broker self;
    bool all;
    sl_err err;
    kbuf_wr w;

    err = msg_metadata_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    self.node_id = b->node_id;
    self.host = sl_bytes_str(b->cfg.advertised_host);
    self.port = b->advertised_port;
    self.rack = SL_BYTES_NULL;
    resp.brokers = &self;
    resp.brokers_count = 1;
    resp.cluster_id = sl_bytes_str(b->cluster_id);
    resp.controller_id = b->node_id;
    resp.cluster_authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE;

    all = req.topics_count < 0 || (r->hdr.api_version == 0 && req.topics_count == 0);
    if (all) {
        size_t n = catalog_count(b->cat);

        resp.topics = sl_arena_calloc(&r->arena, n, sizeof *resp.topics);
        if (n && !resp.topics)
            err = SL_E_NOMEM;
        resp.topics_count = (int32_t)n;
        for (size_t i = 0; i < n && !err; i++)
            err = fill_topic(r, &resp.topics[i], catalog_at(b->cat, i));
    } else {
        resp.topics = sl_arena_calloc(&r->arena, (size_t)req.topics_count, sizeof *resp.topics);
        if (req.topics_count && !resp.topics)
            err = SL_E_NOMEM;
        resp.topics_count = req.topics_count;
        for (int32_t i = 0; i < req.topics_count && !err; i++)
            err = lookup_topic(r, &req, &req.topics[i], &resp.topics[i]);
    }
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp_begin(r, &w);
    msg_metadata_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
