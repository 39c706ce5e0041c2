/*
 * group.c - slc_group: classic consumer group membership (FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup), the range, round-robin
 * and sluice-exclusive assignors, OffsetCommit and OffsetFetch.
 *
 * The member states: not joined (member_id "" or the last one known),
 * joined (generation > 0, assignment valid).  A heartbeat or commit that
 * answers REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID
 * drops the member back to "not joined"; the caller joins again.
 *
 * Subscriptions and assignments are the "consumer" protocol type's
 * embedded schemas (Kafka ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment), written at version 0 and read at any
 * version (later versions only append fields).  They are encoded with
 * protocol/kbuf like every other Kafka structure.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "../protocol/msg_group.h"
#include "group_int.h"

struct slc_group {
    slc_client *cl;
    slc_group_conf conf;
    char *group_id;
    char *topic;
    uint8_t *user_data;
    size_t user_data_len;
    int32_t coordinator;     /* node id, -1 unknown */
    char *member_id;
    int32_t generation;      /* -1 when not joined */
    char protocol[64];
    int32_t *assigned;
    int32_t nassigned;
    int64_t next_heartbeat;
};

void slc_group_conf_init(slc_group_conf *gc)
{
    memset(gc, 0, sizeof(*gc));
    gc->session_timeout_ms = 10000;
    gc->rebalance_timeout_ms = 30000;
    gc->heartbeat_interval_ms = 3000;
    gc->assignors[0] = "range";
    gc->assignors[1] = "roundrobin";
    gc->assignors_count = 2;
}

slc_group *slc_group_new(slc_client *c, const char *group_id, const char *topic,
                         const slc_group_conf *gc)
{
    slc_group *g = calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    g->cl = c;
    g->conf = *gc;
    g->group_id = strdup(group_id);
    g->topic = strdup(topic);
    g->member_id = strdup("");
    if (gc->user_data.n) {
        g->user_data = malloc(gc->user_data.n);
        if (g->user_data) {
            memcpy(g->user_data, gc->user_data.p, gc->user_data.n);
            g->user_data_len = gc->user_data.n;
        }
    }
    g->coordinator = -1;
    g->generation = -1;
    if (!g->group_id || !g->topic || !g->member_id || (gc->user_data.n && !g->user_data)) {
        slc_group_free(g);
        return NULL;
    }
    if (g->conf.assignors_count <= 0) {
        g->conf.assignors[0] = "range";
        g->conf.assignors_count = 1;
    }
    return g;
}

void slc_group_free(slc_group *g)
{
    if (!g)
        return;
    if (g->generation >= 0)
        slc_group_leave(g);
    free(g->group_id);
    free(g->topic);
    free(g->member_id);
    free(g->user_data);
    free(g->assigned);
    free(g);
}

const int32_t *slc_group_assignment(const slc_group *g, int32_t *n)
{
    *n = g->nassigned;
    return g->assigned;
}

int32_t slc_group_generation(const slc_group *g) { return g->generation; }
const char *slc_group_member_id(const slc_group *g) { return g->member_id; }
const char *slc_group_protocol(const slc_group *g) { return g->protocol; }

static bool coordinator_error(sl_err e)
{
    return e == SL_KE_COORDINATOR_NOT_AVAILABLE || e == SL_KE_NOT_COORDINATOR ||
           e == 14 /* COORDINATOR_LOAD_IN_PROGRESS */ || e == SL_E_IO;
}

sl_err group_coordinator(slc_client *c, const char *group_id, slc_conn **out)
{
    msg_findcoordinator_req req;
    msg_findcoordinator_resp resp;
    sl_bytes key = sl_bytes_str(group_id);
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    uint8_t *frame;
    sl_arena a;
    int16_t ver;
    sl_err e;

    for (int attempt = 0;; attempt++) {
        e = client_any(c, &k);
        if (e)
            return e;
        ver = conn_version(k, API_FIND_COORDINATOR, 0, MSG_FINDCOORDINATOR_VMAX);
        if (ver < 0)
            return conn_unserved(k, API_FIND_COORDINATOR, 0, MSG_FINDCOORDINATOR_VMAX);
        memset(&req, 0, sizeof(req));
        req.key = key;
        req.key_type = MSG_COORDINATOR_KEY_GROUP;
        req.coordinator_keys = &key;
        req.coordinator_keys_count = 1;
        conn_req_begin(k, &w, API_FIND_COORDINATOR, ver);
        msg_findcoordinator_req_encode(&w, ver, &req);
        e = conn_call(k, &w, &frame, &body);
        if (e)
            return e;
        sl_arena_init(&a, 1 << 20);
        e = msg_findcoordinator_resp_decode(&body, ver, &a, &resp);
        if (!e) {
            int32_t node = resp.node_id, port = resp.port;
            sl_bytes host = resp.host;
            char h[256];

            e = (sl_err)resp.error_code;
            if (ver >= 4) {
                e = resp.coordinators_count == 1 ? (sl_err)resp.coordinators[0].error_code
                                                 : SL_E_MALFORMED;
                if (resp.coordinators_count == 1) {
                    node = resp.coordinators[0].node_id;
                    port = resp.coordinators[0].port;
                    host = resp.coordinators[0].host;
                }
            }
            if (!e && (host.n == 0 || host.n >= sizeof(h)))
                e = SL_E_MALFORMED;
            if (!e) {
                memcpy(h, host.p, host.n);
                h[host.n] = 0;
                *out = client_node(c, node, h, port);
                if (!*out)
                    e = SL_E_NOMEM;
            }
        }
        sl_arena_free(&a);
        free(frame);
        if (!e)
            return conn_ready(*out);
        if (!coordinator_error(e) || attempt >= 50)
            return conn_fail(k, API_FIND_COORDINATOR, ver, group_id, e);
        poll(NULL, 0, 100);
    }
}

/* --- subscription and assignment (ConsumerProtocol*) --------------------- */

static void encode_subscription(kbuf_wr *w, const char *topic, sl_bytes user_data)
{
    kbuf_put_i16(w, 0);
    kbuf_put_array_len(w, false, 1);
    kbuf_put_cstr(w, false, topic);
    kbuf_put_bytes(w, false, user_data);
}

sl_err group_decode_subscription(sl_bytes meta, sl_bytes *topics, int32_t max_topics,
                                 int32_t *ntopics, sl_bytes *user_data)
{
    kbuf_rd r;
    int32_t n;

    kbuf_rd_init(&r, meta.p, meta.n);
    kbuf_get_i16(&r);
    n = kbuf_get_array_len(&r, false, 2, max_topics);
    for (int32_t i = 0; i < n && kbuf_ok(&r); i++)
        topics[i] = kbuf_get_str(&r, false);
    *ntopics = kbuf_ok(&r) ? n : 0;
    *user_data = kbuf_get_bytes(&r, false);
    return r.err;
}

/* ConsumerProtocolAssignment: our topic's partitions out of it. */
static sl_err decode_assignment(slc_group *g, sl_bytes a)
{
    kbuf_rd r;
    int32_t nt;

    free(g->assigned);
    g->assigned = NULL;
    g->nassigned = 0;
    if (a.n == 0)
        return SL_OK;
    kbuf_rd_init(&r, a.p, a.n);
    kbuf_get_i16(&r);
    nt = kbuf_get_array_len(&r, false, 6, 1 << 20);
    for (int32_t t = 0; t < nt && kbuf_ok(&r); t++) {
        sl_bytes name = kbuf_get_str(&r, false);
        int32_t np = kbuf_get_array_len(&r, false, 4, 1 << 20);
        bool mine = sl_bytes_eq_str(name, g->topic);
        int32_t *v = NULL;

        if (mine && np > 0) {
            v = realloc(g->assigned, sizeof(int32_t) * (size_t)(g->nassigned + np));
            if (!v)
                return SL_E_NOMEM;
            g->assigned = v;
        }
        for (int32_t i = 0; i < np && kbuf_ok(&r); i++) {
            int32_t p = kbuf_get_i32(&r);

            if (mine)
                g->assigned[g->nassigned++] = p;
        }
    }
    return r.err;
}

/* --- join and sync ------------------------------------------------------- */

static void set_member(slc_group *g, sl_bytes id)
{
    char *m = malloc(id.n + 1);

    if (!m)
        return;
    memcpy(m, id.p ? (const void *)id.p : "", id.n);
    m[id.n] = 0;
    free(g->member_id);
    g->member_id = m;
}

static sl_err sync_group(slc_group *g, slc_conn *k, const msg_joingroup_resp *jr,
                         int timeout_ms)
{
    msg_syncgroup_req req;
    msg_syncgroup_resp resp;
    group_assignment *as = NULL;
    kbuf_wr w;
    kbuf_rd body;
    uint8_t *frame;
    sl_arena a;
    int16_t ver;
    sl_err e = SL_OK;

    memset(&req, 0, sizeof(req));
    req.group_id = sl_bytes_str(g->group_id);
    req.generation_id = jr->generation_id;
    req.member_id = sl_bytes_str(g->member_id);
    req.group_instance_id = SL_BYTES_NULL;
    if (sl_bytes_eq(jr->leader, jr->member_id)) {
        as = group_assign(g->cl, g->protocol, jr->members, jr->members_count, &e);
        if (!as)
            return e;
        req.assignments = as->entries;
        req.assignments_count = as->n;
    }
    ver = conn_version(k, API_SYNC_GROUP, 0, MSG_SYNCGROUP_VMAX);
    if (ver < 0) {
        group_assignment_free(as);
        return conn_unserved(k, API_SYNC_GROUP, 0, MSG_SYNCGROUP_VMAX);
    }
    conn_req_begin(k, &w, API_SYNC_GROUP, ver);
    msg_syncgroup_req_encode(&w, ver, &req);
    group_assignment_free(as);
    e = conn_call_to(k, &w, timeout_ms, &frame, &body);
    if (e)
        return e;
    sl_arena_init(&a, 16 << 20);
    e = msg_syncgroup_resp_decode(&body, ver, &a, &resp);
    if (!e)
        e = (sl_err)resp.error_code;
    if (!e)
        e = decode_assignment(g, resp.assignment);
    sl_arena_free(&a);
    free(frame);
    return e;
}

sl_err slc_group_join(slc_group *g, int timeout_ms)
{
    int64_t deadline = slc_mono_ms() + timeout_ms;
    sl_err e = SL_OK;

    g->generation = -1;
    while (slc_mono_ms() < deadline) {
        msg_joingroup_req_protocol protos[3];
        msg_joingroup_req req;
        msg_joingroup_resp resp;
        kbuf_wr w, meta;
        kbuf_rd body;
        uint8_t *frame;
        slc_conn *k;
        sl_arena a;
        int16_t ver;
        int wait;

        e = group_coordinator(g->cl, g->group_id, &k);
        if (e) {
            if (!coordinator_error(e))
                return e;
            poll(NULL, 0, 200);
            continue;
        }
        g->coordinator = k->node_id;
        ver = conn_version(k, API_JOIN_GROUP, 0, MSG_JOINGROUP_VMAX);
        if (ver < 0)
            return conn_unserved(k, API_JOIN_GROUP, 0, MSG_JOINGROUP_VMAX);
        kbuf_wr_init(&meta, 64);
        encode_subscription(&meta, g->topic, sl_bytes_make(g->user_data, g->user_data_len));
        memset(&req, 0, sizeof(req));
        req.group_id = sl_bytes_str(g->group_id);
        req.session_timeout_ms = g->conf.session_timeout_ms;
        req.rebalance_timeout_ms = g->conf.rebalance_timeout_ms;
        req.member_id = sl_bytes_str(g->member_id);
        req.group_instance_id = SL_BYTES_NULL;
        req.protocol_type = sl_bytes_str("consumer");
        for (int i = 0; i < g->conf.assignors_count; i++) {
            protos[i].name = sl_bytes_str(g->conf.assignors[i]);
            protos[i].metadata = sl_bytes_make(meta.p, meta.len);
        }
        req.protocols = protos;
        req.protocols_count = g->conf.assignors_count;
        conn_req_begin(k, &w, API_JOIN_GROUP, ver);
        msg_joingroup_req_encode(&w, ver, &req);
        kbuf_wr_free(&meta);
        /* The broker holds a JoinGroup up to the rebalance timeout. */
        wait = g->conf.rebalance_timeout_ms + 5000;
        e = conn_call_to(k, &w, wait, &frame, &body);
        if (e) {
            poll(NULL, 0, 100);
            continue;
        }
        sl_arena_init(&a, 64 << 20);
        e = msg_joingroup_resp_decode(&body, ver, &a, &resp);
        if (!e)
            e = (sl_err)resp.error_code;
        if (e == SL_KE_MEMBER_ID_REQUIRED || e == SL_OK)
            set_member(g, resp.member_id);
        if (e == SL_KE_UNKNOWN_MEMBER_ID)
            set_member(g, sl_bytes_str(""));
        if (!e) {
            size_t pl = resp.protocol_name.n < sizeof(g->protocol) - 1
                            ? resp.protocol_name.n : sizeof(g->protocol) - 1;

            memcpy(g->protocol, resp.protocol_name.p ? (const void *)resp.protocol_name.p : "",
                   pl);
            g->protocol[pl] = 0;
            e = sync_group(g, k, &resp, wait);
            if (!e) {
                g->generation = resp.generation_id;
                g->next_heartbeat = slc_mono_ms() + g->conf.heartbeat_interval_ms;
            }
        }
        sl_arena_free(&a);
        free(frame);
        if (!e)
            return SL_OK;
        if (e == SL_KE_MEMBER_ID_REQUIRED || e == SL_KE_UNKNOWN_MEMBER_ID ||
            e == SL_KE_REBALANCE_IN_PROGRESS || e == SL_KE_ILLEGAL_GENERATION ||
            coordinator_error(e))
            continue;
        if (e != SL_KE_UNSUPPORTED_VERSION) /* else conn_unserved said which API */
            client_seterr(g->cl, "joining group %s at %s:%d: %s (%s)", g->group_id, k->host,
                          k->port, sl_err_str(e), sl_err_name(e));
        return e;
    }
    client_seterr(g->cl, "joining group %s: timed out (%s)", g->group_id, sl_err_name(e));
    return SL_KE_REQUEST_TIMED_OUT;
}

/* A coordinator connection for a joined member's request. */
static sl_err member_conn(slc_group *g, slc_conn **k)
{
    return group_coordinator(g->cl, g->group_id, k);
}

sl_err slc_group_poll(slc_group *g)
{
    msg_heartbeat_req req;
    msg_heartbeat_resp resp;
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    uint8_t *frame;
    sl_arena a;
    int16_t ver;
    sl_err e;

    if (g->generation < 0)
        return SL_KE_REBALANCE_IN_PROGRESS;
    if (slc_mono_ms() < g->next_heartbeat)
        return SL_OK;
    e = member_conn(g, &k);
    if (e)
        return coordinator_error(e) ? SL_OK : e;
    ver = conn_version(k, API_HEARTBEAT, 0, MSG_HEARTBEAT_VMAX);
    if (ver < 0)
        return conn_unserved(k, API_HEARTBEAT, 0, MSG_HEARTBEAT_VMAX);
    memset(&req, 0, sizeof(req));
    req.group_id = sl_bytes_str(g->group_id);
    req.generation_id = g->generation;
    req.member_id = sl_bytes_str(g->member_id);
    req.group_instance_id = SL_BYTES_NULL;
    conn_req_begin(k, &w, API_HEARTBEAT, ver);
    msg_heartbeat_req_encode(&w, ver, &req);
    e = conn_call(k, &w, &frame, &body);
    if (e)
        return SL_OK; /* try again at the next poll */
    sl_arena_init(&a, 1 << 16);
    e = msg_heartbeat_resp_decode(&body, ver, &a, &resp);
    if (!e)
        e = (sl_err)resp.error_code;
    sl_arena_free(&a);
    free(frame);
    g->next_heartbeat = slc_mono_ms() + g->conf.heartbeat_interval_ms;
    if (coordinator_error(e))
        return SL_OK;
    if (e)
        g->generation = -1;
    if (e == SL_KE_UNKNOWN_MEMBER_ID)
        set_member(g, sl_bytes_str(""));
    return e;
}

sl_err slc_group_commit(slc_group *g, int32_t n, const int32_t *partitions,
                        const int64_t *offsets, const char *metadata)
{
    return group_commit(g->cl, g->group_id, g->generation, g->member_id, g->topic, n,
                        partitions, offsets, metadata);
}

sl_err slc_group_leave(slc_group *g)
{
    msg_leavegroup_req_member m = { sl_bytes_str(g->member_id), SL_BYTES_NULL };
    msg_leavegroup_req req = { sl_bytes_str(g->group_id), sl_bytes_str(g->member_id), &m, 1 };
    msg_leavegroup_resp resp;
    slc_conn *k;
    kbuf_wr w;
    kbuf_rd body;
    uint8_t *frame;
    sl_arena a;
    int16_t ver;
    sl_err e;

    if (!g->member_id[0])
        return SL_OK;
    g->generation = -1;
    e = member_conn(g, &k);
    if (e)
        return e;
    ver = conn_version(k, API_LEAVE_GROUP, 0, MSG_LEAVEGROUP_VMAX);
    if (ver < 0)
        return conn_unserved(k, API_LEAVE_GROUP, 0, MSG_LEAVEGROUP_VMAX);
    conn_req_begin(k, &w, API_LEAVE_GROUP, ver);
    msg_leavegroup_req_encode(&w, ver, &req);
    e = conn_call(k, &w, &frame, &body);
    if (e)
        return e;
    sl_arena_init(&a, 1 << 16);
    e = msg_leavegroup_resp_decode(&body, ver, &a, &resp);
    if (!e)
        e = (sl_err)resp.error_code;
    sl_arena_free(&a);
    free(frame);
    set_member(g, sl_bytes_str(""));
    return e;
}
