/*
 * offsets.c - committed offsets: OffsetCommit and OffsetFetch, for group
 * members (slc_group_commit) and for tools that only read or write a
 * group's offsets without joining it (sluice-batch lag).
 */
#include <stdlib.h>
#include <string.h>

#include "group_int.h"

sl_err group_commit(slc_client *c, const char *group_id, int32_t generation,
                    const char *member_id, const char *topic, int32_t n,
                    const int32_t *partitions, const int64_t *offsets, const char *metadata)
{
    msg_offsetcommit_req_partition *rp = calloc((size_t)n + 1, sizeof(*rp));
    msg_offsetcommit_req_topic rt = { sl_bytes_str(topic), rp, n };
    msg_offsetcommit_req req;
    msg_offsetcommit_resp resp;
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    uint8_t *frame;
    sl_arena a;
    int16_t ver;
    sl_err e;

    if (!rp)
        return SL_E_NOMEM;
    e = group_coordinator(c, group_id, &k);
    if (e) {
        free(rp);
        return e;
    }
    for (int32_t i = 0; i < n; i++) {
        rp[i].partition_index = partitions[i];
        rp[i].committed_offset = offsets[i];
        rp[i].committed_leader_epoch = -1;
        rp[i].committed_metadata = metadata ? sl_bytes_str(metadata) : SL_BYTES_NULL;
    }
    memset(&req, 0, sizeof(req));
    req.group_id = sl_bytes_str(group_id);
    req.generation_id_or_member_epoch = generation;
    req.member_id = sl_bytes_str(member_id ? member_id : "");
    req.group_instance_id = SL_BYTES_NULL;
    req.retention_time_ms = -1;
    req.topics = &rt;
    req.topics_count = 1;
    ver = conn_version(k, API_OFFSET_COMMIT, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX);
    if (ver < 0) {
        free(rp);
        return conn_unserved(k, API_OFFSET_COMMIT, MSG_OFFSETCOMMIT_VMIN, MSG_OFFSETCOMMIT_VMAX);
    }
    conn_req_begin(k, &w, API_OFFSET_COMMIT, ver);
    msg_offsetcommit_req_encode(&w, ver, &req);
    free(rp);
    e = conn_call(k, &w, &frame, &body);
    if (e)
        return e;
    sl_arena_init(&a, 16 << 20);
    e = msg_offsetcommit_resp_decode(&body, ver, &a, &resp);
    for (int32_t t = 0; !e && t < resp.topics_count; t++)
        for (int32_t i = 0; !e && i < resp.topics[t].partitions_count; i++)
            e = (sl_err)resp.topics[t].partitions[i].error_code;
    if (e)
        conn_fail(k, API_OFFSET_COMMIT, ver, group_id, e);
    sl_arena_free(&a);
    free(frame);
    return e;
}

/* OffsetFetch v1-7: topic NULL asks for every committed partition (v2+). */
static sl_err offset_fetch(slc_client *c, const char *group_id, const char *topic, int32_t n,
                           const int32_t *partitions, sl_arena *a, uint8_t **frame,
                           msg_offsetfetch_resp *resp)
{
    msg_offsetfetch_req_topic rt = { sl_bytes_str(topic), (int32_t *)partitions, n };
    msg_offsetfetch_req req;
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    int16_t ver;
    sl_err e;

    *frame = NULL;
    e = group_coordinator(c, group_id, &k);
    if (e)
        return e;
    ver = conn_version(k, API_OFFSET_FETCH, topic ? 1 : 2, 7);
    if (ver < 0)
        return conn_unserved(k, API_OFFSET_FETCH, topic ? 1 : 2, 7);
    memset(&req, 0, sizeof(req));
    req.group_id = sl_bytes_str(group_id);
    req.topics = topic ? &rt : NULL;
    req.topics_count = topic ? 1 : -1;
    conn_req_begin(k, &w, API_OFFSET_FETCH, ver);
    msg_offsetfetch_req_encode(&w, ver, &req);
    e = conn_call(k, &w, frame, &body);
    if (e)
        return e;
    e = msg_offsetfetch_resp_decode(&body, ver, a, resp);
    if (!e)
        e = (sl_err)resp->error_code;
    if (e) {
        conn_fail(k, API_OFFSET_FETCH, ver, group_id, e);
        free(*frame);
        *frame = NULL;
    }
    return e;
}

sl_err slc_committed_offsets(slc_client *c, const char *group_id, const char *topic,
                             int32_t n, const int32_t *partitions, int64_t *offsets,
                             char **metadata)
{
    msg_offsetfetch_resp resp;
    uint8_t *frame;
    sl_arena a;
    sl_err e;

    for (int32_t i = 0; i < n; i++) {
        offsets[i] = -1;
        if (metadata)
            metadata[i] = NULL;
    }
    sl_arena_init(&a, 16 << 20);
    e = offset_fetch(c, group_id, topic, n, partitions, &a, &frame, &resp);
    for (int32_t t = 0; !e && t < resp.topics_count; t++) {
        if (!sl_bytes_eq_str(resp.topics[t].name, topic))
            continue;
        for (int32_t j = 0; j < resp.topics[t].partitions_count; j++) {
            const msg_offsetfetch_resp_partition *p = &resp.topics[t].partitions[j];

            for (int32_t i = 0; i < n; i++) {
                if (partitions[i] != p->partition_index)
                    continue;
                if (p->error_code && !e) {
                    e = (sl_err)p->error_code;
                    client_seterr(c, "OffsetFetch %s %s/%d: %s", group_id, topic,
                                  partitions[i], sl_err_str(e));
                }
                offsets[i] = p->committed_offset;
                if (metadata && !p->metadata.null) {
                    metadata[i] = malloc(p->metadata.n + 1);
                    if (metadata[i]) {
                        memcpy(metadata[i], p->metadata.n ? (const void *)p->metadata.p : "",
                               p->metadata.n);
                        metadata[i][p->metadata.n] = 0;
                    }
                }
            }
        }
    }
    sl_arena_free(&a);
    free(frame);
    return e;
}

/* slc_group_topics for a broker that cannot list a group's committed
 * topics (OffsetFetch with a null topic list, v2+, is not served or not
 * answered in Kafka's layout: librdkafka's mock answers a null array):
 * ask for every topic of the cluster and keep those with an offset. */
static sl_err group_topics_by_scan(slc_client *c, const char *group_id, char ***topics,
                                   int32_t *n)
{
    char **all;
    int32_t nall, *counts;
    sl_err e = client_all_topics(c, &all, &counts, &nall);

    if (!e && !(*topics = calloc((size_t)nall + 1, sizeof(char *))))
        e = SL_E_NOMEM;
    for (int32_t t = 0; !e && t < nall; t++) {
        int32_t parts = counts[t], *ids = NULL;
        int64_t *offs = NULL;
        bool any = false;

        if (parts == 0)
            continue;
        if (!(ids = calloc((size_t)parts + 1, sizeof(*ids))) ||
            !(offs = calloc((size_t)parts + 1, sizeof(*offs))))
            e = SL_E_NOMEM;
        for (int32_t i = 0; !e && i < parts; i++)
            ids[i] = i;
        if (!e)
            e = slc_committed_offsets(c, group_id, all[t], parts, ids, offs, NULL);
        for (int32_t i = 0; !e && i < parts; i++)
            any = any || offs[i] >= 0;
        free(ids);
        free(offs);
        if (!e && any) {
            (*topics)[(*n)++] = all[t];
            all[t] = NULL;
        }
    }
    for (int32_t t = 0; t < nall; t++)
        free(all[t]);
    free(all);
    free(counts);
    if (e) {
        for (int32_t t = 0; t < *n; t++)
            free((*topics)[t]);
        free(*topics);
        *topics = NULL;
        *n = 0;
    }
    return e;
}

sl_err slc_group_topics(slc_client *c, const char *group_id, char ***topics, int32_t *n)
{
    msg_offsetfetch_resp resp;
    uint8_t *frame;
    sl_arena a;
    sl_err e;

    *topics = NULL;
    *n = 0;
    sl_arena_init(&a, 16 << 20);
    e = offset_fetch(c, group_id, NULL, 0, NULL, &a, &frame, &resp);
    if (e == SL_E_MALFORMED || e == SL_KE_UNSUPPORTED_VERSION) {
        sl_arena_free(&a);
        return group_topics_by_scan(c, group_id, topics, n);
    }
    if (!e) {
        *topics = calloc((size_t)resp.topics_count + 1, sizeof(char *));
        if (!*topics)
            e = SL_E_NOMEM;
    }
    for (int32_t t = 0; !e && t < resp.topics_count; t++) {
        char *s = malloc(resp.topics[t].name.n + 1);

        if (!s) {
            e = SL_E_NOMEM;
            break;
        }
        memcpy(s, resp.topics[t].name.n ? (const void *)resp.topics[t].name.p : "",
               resp.topics[t].name.n);
        s[resp.topics[t].name.n] = 0;
        (*topics)[(*n)++] = s;
    }
    sl_arena_free(&a);
    free(frame);
    return e;
}

sl_err slc_group_members(slc_client *c, const char *group_id, int32_t *nmembers)
{
    msg_describegroups_req req;
    msg_describegroups_resp resp;
    sl_bytes gid = sl_bytes_str(group_id);
    uint8_t *frame = NULL;
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    sl_arena a;
    int16_t ver;
    sl_err e;

    *nmembers = 0;
    e = group_coordinator(c, group_id, &k);
    if (e)
        return e;
    ver = conn_version(k, API_DESCRIBE_GROUPS, 0, 5);
    if (ver < 0)
        return conn_unserved(k, API_DESCRIBE_GROUPS, 0, 5);
    memset(&req, 0, sizeof(req));
    req.groups = &gid;
    req.groups_count = 1;
    conn_req_begin(k, &w, API_DESCRIBE_GROUPS, ver);
    msg_describegroups_req_encode(&w, ver, &req);
    e = conn_call(k, &w, &frame, &body);
    if (e)
        return e;
    sl_arena_init(&a, 1 << 20);
    e = msg_describegroups_resp_decode(&body, ver, &a, &resp);
    if (!e && resp.groups_count == 1) {
        e = (sl_err)resp.groups[0].error_code;
        *nmembers = resp.groups[0].members_count;
    }
    if (e)
        conn_fail(k, API_DESCRIBE_GROUPS, ver, group_id, e);
    sl_arena_free(&a);
    free(frame);
    return e;
}
