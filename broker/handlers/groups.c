/*
 * groups.c - FindCoordinator (10), JoinGroup (11), SyncGroup (14),
 * Heartbeat (12), LeaveGroup (13): the wire side of broker/group.c.
 * A single broker coordinates every group.
 */
#include <stdio.h>
#include <string.h>

#include "../../protocol/msg_group.h"
#include "../broker.h"
#include "../group.h"

static sl_bytes or_empty(sl_bytes s) { return s.null ? sl_bytes_make("", 0) : s; }

void handle_find_coordinator(breq *r)
{
    broker *b = r->c->b;
    msg_findcoordinator_req req;
    msg_findcoordinator_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_findcoordinator_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    if (r->hdr.api_version >= 4) {
        resp.coordinators_count = req.coordinator_keys_count;
        resp.coordinators = sl_arena_calloc(&r->arena, (size_t)req.coordinator_keys_count + 1,
                                            sizeof *resp.coordinators);
        if (!resp.coordinators) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
        for (int32_t i = 0; i < req.coordinator_keys_count; i++) {
            msg_findcoordinator_resp_coordinator *c = &resp.coordinators[i];

            c->key = req.coordinator_keys[i];
            c->error_message = SL_BYTES_NULL;
            c->host = sl_bytes_make("", 0);
            c->node_id = -1;
            c->port = -1;
            /* Transactions are not served: no transaction coordinator. */
            if (req.key_type != MSG_COORDINATOR_KEY_GROUP) {
                c->error_code = SL_KE_COORDINATOR_NOT_AVAILABLE;
                continue;
            }
            c->node_id = b->node_id;
            c->host = sl_bytes_str(b->cfg.advertised_host);
            c->port = b->advertised_port;
        }
    } else if (req.key_type != MSG_COORDINATOR_KEY_GROUP) {
        resp.error_code = SL_KE_COORDINATOR_NOT_AVAILABLE;
        resp.node_id = -1;
        resp.host = sl_bytes_make("", 0);
        resp.port = -1;
        resp.error_message = SL_BYTES_NULL;
    } else {
        resp.node_id = b->node_id;
        resp.host = sl_bytes_str(b->cfg.advertised_host);
        resp.port = b->advertised_port;
        resp.error_message = SL_BYTES_NULL;
    }
    resp_begin(r, &w);
    msg_findcoordinator_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

static void join_done(breq *r, const grp_join_result *res)
{
    msg_joingroup_resp resp = { 0 };
    kbuf_wr w;

    resp.error_code = res->error;
    resp.generation_id = res->generation_id;
    resp.protocol_name = or_empty(res->protocol_name);
    resp.leader = or_empty(res->leader);
    resp.member_id = or_empty(res->member_id);
    resp.members_count = res->nmembers;
    if (res->nmembers > 0) {
        resp.members = sl_arena_calloc(&r->arena, (size_t)res->nmembers, sizeof *resp.members);
        if (!resp.members) {
            resp.members_count = 0;
            resp.error_code = SL_KE_UNKNOWN_SERVER_ERROR;
        }
        for (int32_t i = 0; resp.members && i < res->nmembers; i++) {
            resp.members[i].member_id = res->members[i].member_id;
            resp.members[i].group_instance_id = res->members[i].group_instance_id;
            resp.members[i].metadata = res->members[i].metadata;
        }
    }
    resp_begin(r, &w);
    msg_joingroup_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

/* "/127.0.0.1", as Kafka reports a member's host. */
static const char *client_host(breq *r)
{
    char *h = sl_arena_alloc(&r->arena, sizeof r->c->peer + 1);
    const char *colon;

    if (!h)
        return "";
    colon = strrchr(r->c->peer, ':');
    snprintf(h, sizeof r->c->peer + 1, "/%.*s",
             (int)(colon ? (size_t)(colon - r->c->peer) : strlen(r->c->peer)), r->c->peer);
    return h;
}

void handle_join_group(breq *r)
{
    broker *b = r->c->b;
    msg_joingroup_req req;
    grp_join_args a;
    grp_protocol *protos;
    sl_err err;

    err = msg_joingroup_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    protos = sl_arena_calloc(&r->arena, (size_t)req.protocols_count + 1, sizeof *protos);
    if (!protos) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    for (int32_t i = 0; i < req.protocols_count; i++) {
        protos[i].name = req.protocols[i].name;
        protos[i].metadata = or_empty(req.protocols[i].metadata);
    }
    a = (grp_join_args){
        .group_id = req.group_id,
        .member_id = req.member_id,
        .group_instance_id = req.group_instance_id,
        .protocol_type = req.protocol_type,
        .client_id = r->hdr.client_id,
        .client_host = client_host(r),
        .session_timeout_ms = req.session_timeout_ms,
        /* v0 has no rebalance timeout: the session timeout serves. */
        .rebalance_timeout_ms =
            req.rebalance_timeout_ms >= 0 ? req.rebalance_timeout_ms : req.session_timeout_ms,
        .version = r->hdr.api_version,
        .protocols = protos,
        .nprotocols = req.protocols_count,
    };
    grp_join(b->groups, r, &a, join_done);
}

static void sync_done(breq *r, const grp_sync_result *res)
{
    msg_syncgroup_resp resp = { 0 };
    kbuf_wr w;

    resp.error_code = res->error;
    resp.assignment = or_empty(res->assignment);
    resp_begin(r, &w);
    msg_syncgroup_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

void handle_sync_group(breq *r)
{
    broker *b = r->c->b;
    msg_syncgroup_req req;
    grp_sync_args a;
    grp_assignment *as;
    sl_err err;

    err = msg_syncgroup_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    as = sl_arena_calloc(&r->arena, (size_t)req.assignments_count + 1, sizeof *as);
    if (!as) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    for (int32_t i = 0; i < req.assignments_count; i++) {
        as[i].member_id = req.assignments[i].member_id;
        as[i].assignment = or_empty(req.assignments[i].assignment);
    }
    a = (grp_sync_args){
        .group_id = req.group_id,
        .member_id = req.member_id,
        .group_instance_id = req.group_instance_id,
        .generation_id = req.generation_id,
        .assignments = as,
        .nassignments = req.assignments_count,
    };
    grp_sync(b->groups, r, &a, sync_done);
}

void handle_heartbeat(breq *r)
{
    msg_heartbeat_req req;
    msg_heartbeat_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_heartbeat_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.error_code = grp_heartbeat(r->c->b->groups, req.group_id, req.member_id,
                                    req.group_instance_id, req.generation_id);
    resp_begin(r, &w);
    msg_heartbeat_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

void handle_leave_group(breq *r)
{
    msg_leavegroup_req req;
    msg_leavegroup_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_leavegroup_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    if (r->hdr.api_version < 3) {
        resp.error_code = grp_leave(r->c->b->groups, req.group_id, req.member_id,
                                    SL_BYTES_NULL);
    } else {
        resp.members_count = req.members_count;
        resp.members = sl_arena_calloc(&r->arena, (size_t)req.members_count + 1,
                                       sizeof *resp.members);
        if (!resp.members) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
        for (int32_t i = 0; i < req.members_count; i++) {
            resp.members[i].member_id = req.members[i].member_id;
            resp.members[i].group_instance_id = req.members[i].group_instance_id;
            resp.members[i].error_code =
                grp_leave(r->c->b->groups, req.group_id, req.members[i].member_id,
                          req.members[i].group_instance_id);
        }
    }
    resp_begin(r, &w);
    msg_leavegroup_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}
