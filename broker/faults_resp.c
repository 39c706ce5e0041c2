/*
 * faults_resp.c - well-formed responses carrying an injected error code
 * (faults.h): the request is decoded so that each topic and partition it
 * names is answered, with the code in every error field a client reads.
 * APIs not listed here refuse faults_push_errors.
 */
#include "../protocol/msg.h"
#include "../protocol/msg_group.h"
#include "faults.h"

/* Decode r's request body (msg_<kind>_req_decode) into req; a request
 * that does not decode is answered as malformed and the caller returns. */
#define DECODE_OR_RETURN(kind, req)                                                 \
    do {                                                                            \
        sl_err err_ = msg_##kind##_req_decode(&r->body, r->hdr.api_version, &r->arena, \
                                              &(req));                              \
        if (err_) {                                                                 \
            req_malformed(r, err_);                                                 \
            return;                                                                 \
        }                                                                           \
    } while (0)

/* Send resp as r's response (msg_<kind>_resp_encode). */
#define ANSWER(kind, resp)                                                          \
    do {                                                                            \
        kbuf_wr w_;                                                                 \
                                                                                    \
        resp_begin(r, &w_);                                                         \
        msg_##kind##_resp_encode(&w_, r->hdr.api_version, &(resp));                 \
        resp_finish(r, &w_);                                                        \
    } while (0)

/* Allocation in r's arena; NULL (and r closed as out of memory) on
 * failure. */
static void *arena_array(breq *r, int32_t n, size_t size)
{
    void *p = sl_arena_calloc(&r->arena, (size_t)n + 1, size);

    if (!p)
        req_out_of_memory(r);
    return p;
}

static void answer_produce(breq *r, int16_t code)
{
    msg_produce_req req;
    msg_produce_resp resp = { 0 };

    DECODE_OR_RETURN(produce, req);
    if (req.acks == 0) { /* no response at all: the records are lost */
        req_finish_silent(r);
        return;
    }
    resp.responses_count = req.topic_data_count;
    if (!(resp.responses = arena_array(r, req.topic_data_count, sizeof *resp.responses)))
        return;
    for (int32_t i = 0; i < req.topic_data_count; i++) {
        msg_produce_req_topic *t = &req.topic_data[i];
        msg_produce_resp_topic *rt = &resp.responses[i];

        rt->name = t->name;
        rt->partition_responses_count = t->partition_data_count;
        rt->partition_responses = arena_array(r, t->partition_data_count,
                                              sizeof *rt->partition_responses);
        if (!rt->partition_responses)
            return;
        for (int32_t j = 0; j < t->partition_data_count; j++)
            rt->partition_responses[j] = (msg_produce_resp_partition){
                .index = t->partition_data[j].index,
                .error_code = code,
                .base_offset = -1,
                .log_append_time_ms = -1,
                .log_start_offset = -1,
            };
    }
    ANSWER(produce, resp);
}

static void answer_list_offsets(breq *r, int16_t code)
{
    msg_listoffsets_req req;
    msg_listoffsets_resp resp = { 0 };

    DECODE_OR_RETURN(listoffsets, req);
    resp.topics_count = req.topics_count;
    if (!(resp.topics = arena_array(r, req.topics_count, sizeof *resp.topics)))
        return;
    for (int32_t i = 0; i < req.topics_count; i++) {
        msg_listoffsets_req_topic *t = &req.topics[i];
        msg_listoffsets_resp_topic *rt = &resp.topics[i];

        rt->name = t->name;
        rt->partitions_count = t->partitions_count;
        if (!(rt->partitions = arena_array(r, t->partitions_count, sizeof *rt->partitions)))
            return;
        for (int32_t j = 0; j < t->partitions_count; j++)
            rt->partitions[j] = (msg_listoffsets_resp_partition){
                .partition_index = t->partitions[j].partition_index,
                .error_code = code,
                .timestamp = -1,
                .offset = -1,
                .leader_epoch = -1,
            };
    }
    ANSWER(listoffsets, resp);
}

static void answer_find_coordinator(breq *r, int16_t code)
{
    msg_findcoordinator_req req;
    msg_findcoordinator_resp resp = { .error_code = code, .node_id = -1 };

    DECODE_OR_RETURN(findcoordinator, req);
    resp.host = sl_bytes_make("", 0);
    if (r->hdr.api_version >= 4) { /* one answer per key (KIP-699) */
        resp.coordinators_count = req.coordinator_keys_count;
        resp.coordinators = arena_array(r, req.coordinator_keys_count, sizeof *resp.coordinators);
        if (!resp.coordinators)
            return;
        for (int32_t i = 0; i < req.coordinator_keys_count; i++)
            resp.coordinators[i] = (msg_findcoordinator_resp_coordinator){
                .key = req.coordinator_keys[i],
                .node_id = -1,
                .host = sl_bytes_make("", 0),
                .error_code = code,
            };
    }
    ANSWER(findcoordinator, resp);
}

/* JoinGroup, SyncGroup and Heartbeat carry one top-level error code; the
 * request is only checked to decode. */
static void answer_group(breq *r, int16_t code)
{
    if (r->hdr.api_key == API_JOIN_GROUP) {
        msg_joingroup_req req;
        msg_joingroup_resp resp = { .error_code = code, .generation_id = -1 };

        DECODE_OR_RETURN(joingroup, req);
        resp.protocol_name = sl_bytes_make("", 0); /* not nullable before v7 */
        resp.leader = sl_bytes_make("", 0);
        resp.member_id = req.member_id;
        ANSWER(joingroup, resp);
    } else if (r->hdr.api_key == API_SYNC_GROUP) {
        msg_syncgroup_req req;
        msg_syncgroup_resp resp = { .error_code = code, .assignment = sl_bytes_make("", 0) };

        DECODE_OR_RETURN(syncgroup, req);
        ANSWER(syncgroup, resp);
    } else {
        msg_heartbeat_req req;
        msg_heartbeat_resp resp = { .error_code = code };

        DECODE_OR_RETURN(heartbeat, req);
        ANSWER(heartbeat, resp);
    }
}

static void answer_fetch(breq *r, int16_t code)
{
    msg_fetch_req req;
    msg_fetch_resp resp = { 0 };
    kbuf_wr w;

    DECODE_OR_RETURN(fetch, req);
    resp.session_id = req.session_id;
    resp.responses_count = req.topics_count;
    if (!(resp.responses = arena_array(r, req.topics_count, sizeof *resp.responses)))
        return;
    for (int32_t i = 0; i < req.topics_count; i++) {
        msg_fetch_req_topic *t = &req.topics[i];
        msg_fetch_resp_topic *rt = &resp.responses[i];

        rt->topic = t->topic;
        memcpy(rt->topic_id, t->topic_id, sizeof rt->topic_id);
        rt->partitions_count = t->partitions_count;
        if (!(rt->partitions = arena_array(r, t->partitions_count, sizeof *rt->partitions)))
            return;
        for (int32_t j = 0; j < t->partitions_count; j++)
            rt->partitions[j] = (msg_fetch_resp_partition){
                .partition_index = t->partitions[j].partition,
                .error_code = code,
                .high_watermark = -1,
                .last_stable_offset = -1,
                .log_start_offset = -1,
                .aborted_transactions_count = -1, /* null */
                .preferred_read_replica = -1,
                .records = SL_BYTES_NULL,
                .records_external_len = MSG_FETCH_RECORDS_INLINE,
            };
    }
    resp_begin(r, &w);
    msg_fetch_resp_encode(&w, r->hdr.api_version, &resp, NULL, NULL);
    resp_finish(r, &w);
}

/* Metadata has no request-wide error: every topic asked about (or, for
 * "all topics", every topic there is) carries the code, with no
 * partitions; the broker list stays so that clients can retry. */
static void answer_metadata(breq *r, int16_t code)
{
    broker *b = r->c->b;
    msg_metadata_req req;
    msg_metadata_resp resp = { 0 };
    msg_metadata_resp_broker self = { b->node_id, sl_bytes_str(b->cfg.advertised_host),
                                      b->advertised_port, SL_BYTES_NULL };
    bool all;
    int32_t n;

    DECODE_OR_RETURN(metadata, req);
    all = req.topics_count < 0 || (r->hdr.api_version == 0 && req.topics_count == 0);
    resp.brokers = &self;
    resp.brokers_count = 1;
    resp.cluster_id = sl_bytes_str(b->cluster_id);
    resp.controller_id = b->node_id;
    resp.cluster_authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE;
    n = all ? (int32_t)catalog_count(b->cat) : req.topics_count;
    if (!(resp.topics = arena_array(r, n, sizeof *resp.topics)))
        return;
    resp.topics_count = n;
    for (int32_t i = 0; i < n; i++) {
        msg_metadata_resp_topic *t = &resp.topics[i];

        t->error_code = code;
        t->topic_authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE;
        if (all) {
            cat_topic *ct = catalog_at(b->cat, (size_t)i);

            t->name = sl_bytes_str(cat_topic_name(ct));
            memcpy(t->topic_id, cat_topic_id(ct), sizeof t->topic_id);
        } else {
            t->name = req.topics[i].name;
            memcpy(t->topic_id, req.topics[i].topic_id, sizeof t->topic_id);
        }
    }
    ANSWER(metadata, resp);
}

static void answer_offset_commit(breq *r, int16_t code)
{
    msg_offsetcommit_req req;
    msg_offsetcommit_resp resp = { 0 };

    DECODE_OR_RETURN(offsetcommit, req);
    resp.topics_count = req.topics_count;
    if (!(resp.topics = arena_array(r, req.topics_count, sizeof *resp.topics)))
        return;
    for (int32_t i = 0; i < req.topics_count; i++) {
        msg_offsetcommit_req_topic *t = &req.topics[i];
        msg_offsetcommit_resp_topic *rt = &resp.topics[i];

        rt->name = t->name;
        rt->partitions_count = t->partitions_count;
        if (!(rt->partitions = arena_array(r, t->partitions_count, sizeof *rt->partitions)))
            return;
        for (int32_t j = 0; j < t->partitions_count; j++)
            rt->partitions[j] = (msg_offsetcommit_resp_partition){
                t->partitions[j].partition_index, code };
    }
    ANSWER(offsetcommit, resp);
}

/* The topics of one OffsetFetch group (or of a v1-7 request), each
 * partition with the code; a null list ("every partition") gets none. */
static bool offsetfetch_topics(breq *r, int16_t code, const msg_offsetfetch_req_topic *in,
                               int32_t n, msg_offsetfetch_resp_topic **out, int32_t *out_n)
{
    *out_n = n < 0 ? 0 : n;
    if (!(*out = arena_array(r, *out_n, sizeof **out)))
        return false;
    for (int32_t i = 0; i < *out_n; i++) {
        msg_offsetfetch_resp_topic *rt = &(*out)[i];

        rt->name = in[i].name;
        rt->partitions_count = in[i].partition_indexes_count;
        rt->partitions = arena_array(r, rt->partitions_count, sizeof *rt->partitions);
        if (!rt->partitions)
            return false;
        for (int32_t j = 0; j < rt->partitions_count; j++)
            rt->partitions[j] = (msg_offsetfetch_resp_partition){
                .partition_index = in[i].partition_indexes[j],
                .committed_offset = -1,
                .committed_leader_epoch = -1,
                .metadata = sl_bytes_make("", 0),
                .error_code = code,
            };
    }
    return true;
}

static void answer_offset_fetch(breq *r, int16_t code)
{
    msg_offsetfetch_req req;
    msg_offsetfetch_resp resp = { .error_code = code };

    DECODE_OR_RETURN(offsetfetch, req);
    if (r->hdr.api_version >= 8) {
        resp.groups_count = req.groups_count;
        if (!(resp.groups = arena_array(r, req.groups_count, sizeof *resp.groups)))
            return;
        for (int32_t i = 0; i < req.groups_count; i++) {
            msg_offsetfetch_resp_group *g = &resp.groups[i];

            g->group_id = req.groups[i].group_id;
            g->error_code = code;
            if (!offsetfetch_topics(r, code, req.groups[i].topics, req.groups[i].topics_count,
                                    &g->topics, &g->topics_count))
                return;
        }
    } else if (!offsetfetch_topics(r, code, req.topics, req.topics_count, &resp.topics,
                                   &resp.topics_count)) {
        return;
    }
    ANSWER(offsetfetch, resp);
}

typedef void (*answer_fn)(breq *r, int16_t code);

static answer_fn answer_for(int16_t api_key)
{
    switch (api_key) {
    case API_PRODUCE:
        return answer_produce;
    case API_FETCH:
        return answer_fetch;
    case API_LIST_OFFSETS:
        return answer_list_offsets;
    case API_METADATA:
        return answer_metadata;
    case API_OFFSET_COMMIT:
        return answer_offset_commit;
    case API_OFFSET_FETCH:
        return answer_offset_fetch;
    case API_FIND_COORDINATOR:
        return answer_find_coordinator;
    case API_JOIN_GROUP:
    case API_SYNC_GROUP:
    case API_HEARTBEAT:
        return answer_group;
    default:
        return NULL;
    }
}

bool faults_error_supported(int16_t api_key)
{
    return answer_for(api_key) != NULL;
}

bool faults_answer_error(breq *r, int16_t error_code)
{
    answer_fn fn = answer_for(r->hdr.api_key);

    if (!fn)
        return false;
    fn(r, error_code);
    return true;
}
