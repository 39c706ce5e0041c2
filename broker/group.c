/*
 * group.c - the classic group coordinator: membership, generations,
 * rebalances and assignment hand-out, as Apache Kafka's GroupCoordinator.
 * The members' protocols are in group_protocols.c, finding members and
 * describing groups in group_query.c; the structures they share in
 * group_int.h.
 *
 *              join (first member)
 *   +-------+ --------------------> +--------------------+
 *   | Empty |                       | PreparingRebalance | <-----------------+
 *   +-------+ <-------------------- +--------------------+                   |
 *       ^      all members gone        |  every member rejoined, or the      |
 *       |                              |  rebalance timeout dropped the rest |
 *       |                              |  (but static members)               |
 *       |                              v                                     |
 *       |                     +---------------------+  join with new metadata, |
 *       |                     | CompletingRebalance | -- leave, session expiry -+
 *       |                     +---------------------+                          |
 *       |                              |  the leader's SyncGroup               |
 *       |                              v                                       |
 *       |                          +--------+  join (new member, the leader,    |
 *       +------------------------- | Stable | -- changed metadata), leave, ------+
 *            DeleteGroups (Dead:   +--------+    session expiry
 *            the group is freed)     |    ^
 *                                    +----+ a static member restarts with the
 *                                           same metadata: no rebalance
 *
 * Invariants:
 *  - generation_id grows by one at each completed join phase.
 *  - In PreparingRebalance every JoinGroup is held (join_r) until all
 *    members have rejoined or the rebalance timer fires; a group that was
 *    Empty first waits group.initial.rebalance.delay.ms for more members.
 *  - In CompletingRebalance SyncGroups are held (sync_r) until the
 *    leader's arrives with the assignments.
 *  - Only members whose JoinGroup is not held have a session timer
 *    running; it is reset by heartbeats, syncs and commits.
 *  - A member id handed out with MEMBER_ID_REQUIRED (JoinGroup v4+) is
 *    pending until it rejoins or its session timeout passes.
 *  - Static members (KIP-345, a group_instance_id): at most one member
 *    holds an instance id.  A JoinGroup with that instance id and no
 *    member id gives the member a new member id in place of the old one,
 *    which is fenced (FENCED_INSTANCE_ID) from then on; the member keeps
 *    its place and assignment.  Static members that did not rejoin in time
 *    stay in the group (their session timer decides), so a leader is
 *    chosen among the members that did; with none, the rebalance waits on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../base/log.h"
#include "group_int.h"

static const char *const state_names[] = { "Empty", "PreparingRebalance", "CompletingRebalance",
                                           "Stable" };

const char *grp_state_name(grp_state s) { return state_names[s]; }

static int group_cmp(group *a, group *b) { return strcmp(a->id, b->id); }
RB_GENERATE(group_tree, group, node, group_cmp)

grp_coord *grp_coord_new(broker *b)
{
    grp_coord *gc = calloc(1, sizeof *gc);

    if (gc) {
        gc->b = b;
        RB_INIT(&gc->groups);
    }
    return gc;
}

group *grp_group_find(grp_coord *gc, sl_bytes id)
{
    group key;
    char buf[512];
    char *tmp = id.n < sizeof buf ? buf : malloc(id.n + 1);
    group *g;

    if (!tmp || id.null)
        return NULL;
    memcpy(tmp, id.p, id.n);
    tmp[id.n] = 0;
    key.id = tmp;
    g = RB_FIND(group_tree, &gc->groups, &key);
    if (tmp != buf)
        free(tmp);
    return g;
}

static group *group_get(grp_coord *gc, sl_bytes id)
{
    group *g = grp_group_find(gc, id);

    if (g)
        return g;
    g = calloc(1, sizeof *g);
    if (!g || !(g->id = dup_bytes(id))) {
        free(g);
        return NULL;
    }
    g->gc = gc;
    g->state = GS_EMPTY;
    g->empty_since_ms = sl_wallclock_ms();
    TAILQ_INIT(&g->members);
    TAILQ_INIT(&g->pending);
    RB_INSERT(group_tree, &gc->groups, g);
    return g;
}

static grp_pending *pending_find(group *g, sl_bytes member_id)
{
    grp_pending *p;

    TAILQ_FOREACH(p, &g->pending, link)
        if (sl_bytes_eq_str(member_id, p->member_id))
            return p;
    return NULL;
}

static void pending_free(group *g, grp_pending *p)
{
    TAILQ_REMOVE(&g->pending, p, link);
    free(p->member_id);
    free(p);
}

/* "<client.id>-<uuid>", or "<group.instance.id>-<uuid>" as Kafka names
 * static members. */
static void new_member_id(sl_bytes client_id, char *out, size_t n)
{
    uint8_t u[16];

    if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u)
        for (size_t i = 0; i < sizeof u; i++)
            u[i] = (uint8_t)rand();
    snprintf(out, n,
             "%.*s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             (int)(client_id.n > 200 ? 200 : client_id.n),
             client_id.p ? (const char *)client_id.p : "", u[0], u[1], u[2], u[3], u[4], u[5],
             u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* --- answering held requests ---------------------------------------------- */

static void join_answer(grp_member *m, const grp_join_result *res)
{
    breq *r = m->join_r;
    grp_join_cb cb = m->join_cb;

    m->join_r = NULL;
    r->cancel = NULL;
    r->owner = NULL;
    cb(r, res);
}

static void join_error(grp_member *m, int16_t error)
{
    grp_join_result res = { .error = error, .generation_id = -1,
                            .member_id = bs(m->member_id) };

    join_answer(m, &res);
}

static void sync_answer(grp_member *m, int16_t error)
{
    breq *r = m->sync_r;
    grp_sync_cb cb = m->sync_cb;
    grp_sync_result res = { .error = error, .assignment = sl_bytes_make("", 0) };

    if (!error && m->assignment)
        res.assignment = sl_bytes_make(m->assignment, m->assignment_len);
    m->sync_r = NULL;
    r->cancel = NULL;
    r->owner = NULL;
    cb(r, &res);
}

static void on_session_expired(sl_timer *t);

static void session_reset(grp_member *m)
{
    timer_arm(m->g->gc->b, &m->session_timer, m->session_timeout_ms, on_session_expired);
}

static void member_free(grp_member *m)
{
    timer_cancel(m->g->gc->b, &m->session_timer);
    grp_free_protocols(m);
    free(m->member_id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->assignment);
    free(m);
}

static void prepare_rebalance(group *g);
static void maybe_complete_join(group *g);

/* Take a member out and move the group on, as a leave or expiry does. */
static void remove_member(group *g, grp_member *m, const char *why)
{
    sl_info("group", "group %s: member %s removed (%s)", g->id, m->member_id, why);
    TAILQ_REMOVE(&g->members, m, link);
    g->nmembers--;
    if (m->join_r)
        join_error(m, SL_KE_UNKNOWN_MEMBER_ID);
    if (m->sync_r)
        sync_answer(m, SL_KE_UNKNOWN_MEMBER_ID);
    if (g->leader_id && !strcmp(g->leader_id, m->member_id)) {
        free(g->leader_id);
        g->leader_id = NULL;
    }
    member_free(m);
    switch (g->state) {
    case GS_STABLE:
    case GS_COMPLETING:
        prepare_rebalance(g);
        break;
    case GS_PREPARING:
        maybe_complete_join(g);
        break;
    case GS_EMPTY:
        break;
    }
}

static void on_session_expired(sl_timer *t)
{
    grp_member *m = CONTAINER_OF(t, grp_member, session_timer);

    remove_member(m->g, m, "session timeout");
}

static int32_t max_rebalance_timeout(group *g)
{
    int32_t max = 0;
    grp_member *m;

    TAILQ_FOREACH(m, &g->members, link)
        if (m->rebalance_timeout_ms > max)
            max = m->rebalance_timeout_ms;
    return max;
}

static void complete_join(group *g);

/* The members and their metadata for the chosen protocol, as the leader's
 * JoinGroup answer lists them (owned: free(); NULL if out of memory). */
static grp_join_member *member_list(group *g)
{
    grp_join_member *list = calloc((size_t)g->nmembers + 1, sizeof *list);
    grp_member *m;
    int32_t n = 0;

    if (!list)
        return NULL;
    TAILQ_FOREACH(m, &g->members, link) {
        const grp_protocol *p = grp_member_protocol(m, g->protocol_name);

        list[n].member_id = bs(m->member_id);
        list[n].group_instance_id = bs(m->instance_id);
        list[n].metadata = p ? p->metadata : sl_bytes_make("", 0);
        n++;
    }
    return list;
}

static void on_rebalance_timer(sl_timer *t)
{
    group *g = CONTAINER_OF(t, group, rebalance_timer);

    if (g->initial_delay) {
        int64_t rest = max_rebalance_timeout(g) - (int64_t)g->gc->b->cfg.group_initial_rebalance_delay_ms;

        g->initial_delay = false;
        /* Members that joined during the delay are all in: go on. */
        maybe_complete_join(g);
        if (g->state == GS_PREPARING)
            timer_arm(g->gc->b, &g->rebalance_timer, rest > 0 ? rest : 0, on_rebalance_timer);
        return;
    }
    complete_join(g);
}

static void prepare_rebalance(group *g)
{
    broker *b = g->gc->b;
    bool was_empty = g->state == GS_EMPTY;
    grp_member *m;

    if (g->state == GS_COMPLETING)
        TAILQ_FOREACH(m, &g->members, link)
            if (m->sync_r)
                sync_answer(m, SL_KE_REBALANCE_IN_PROGRESS);
    g->state = GS_PREPARING;
    sl_info("group", "group %s: preparing rebalance (generation %d, %d members)", g->id,
            g->generation, g->nmembers);
    if (was_empty && b->cfg.group_initial_rebalance_delay_ms > 0) {
        int64_t delay = b->cfg.group_initial_rebalance_delay_ms;

        if (delay > max_rebalance_timeout(g))
            delay = max_rebalance_timeout(g);
        g->initial_delay = true;
        timer_arm(b, &g->rebalance_timer, delay, on_rebalance_timer);
    } else {
        g->initial_delay = false;
        timer_arm(b, &g->rebalance_timer, max_rebalance_timeout(g), on_rebalance_timer);
    }
}

static void prune_pending(group *g)
{
    int64_t now = sl_now_ms();
    grp_pending *p, *next;

    for (p = TAILQ_FIRST(&g->pending); p; p = next) {
        next = TAILQ_NEXT(p, link);
        if (p->expires_ms <= now)
            pending_free(g, p);
    }
}

static void maybe_complete_join(group *g)
{
    grp_member *m;

    if (g->state != GS_PREPARING || g->initial_delay)
        return;
    prune_pending(g);
    if (!TAILQ_EMPTY(&g->pending) && g->nmembers > 0)
        return;
    TAILQ_FOREACH(m, &g->members, link)
        if (!m->join_r)
            return;
    complete_join(g);
}

static void complete_join(group *g)
{
    broker *b = g->gc->b;
    grp_member *m, *next;
    grp_join_member *list;
    int32_t n = 0;

    timer_cancel(b, &g->rebalance_timer);
    g->initial_delay = false;
    /* Dynamic members that did not rejoin in time are out; static ones
     * stay (Kafka's onCompleteJoin). */
    for (m = TAILQ_FIRST(&g->members); m; m = next) {
        next = TAILQ_NEXT(m, link);
        if (!m->join_r && !m->instance_id) {
            sl_info("group", "group %s: member %s did not rejoin in time", g->id, m->member_id);
            TAILQ_REMOVE(&g->members, m, link);
            g->nmembers--;
            if (m->sync_r)
                sync_answer(m, SL_KE_UNKNOWN_MEMBER_ID);
            member_free(m);
        }
    }
    /* The leader must be a member that rejoined. */
    if (g->leader_id && !((m = grp_member_find(g, bs(g->leader_id))) && m->join_r)) {
        free(g->leader_id);
        g->leader_id = NULL;
    }
    TAILQ_FOREACH(m, &g->members, link)
        if (m->join_r && !g->leader_id)
            g->leader_id = strdup(m->member_id);
    if (!g->leader_id && g->nmembers > 0) {
        sl_info("group", "group %s: no member rejoined in time, waiting on", g->id);
        timer_arm(b, &g->rebalance_timer, max_rebalance_timeout(g), on_rebalance_timer);
        return;
    }
    g->generation++;
    free(g->protocol_name);
    g->protocol_name = NULL;
    if (g->nmembers == 0) {
        /* Kafka keeps the protocol type of an Empty group (ListGroups). */
        g->state = GS_EMPTY;
        g->empty_since_ms = sl_wallclock_ms();
        sl_info("group", "group %s: empty (generation %d)", g->id, g->generation);
        return;
    }
    g->protocol_name = grp_select_protocol(g);
    g->state = GS_COMPLETING;
    sl_info("group", "group %s: generation %d with %d members, protocol %s, leader %s", g->id,
            g->generation, g->nmembers, g->protocol_name ? g->protocol_name : "?",
            g->leader_id ? g->leader_id : "?");

    list = member_list(g);
    n = g->nmembers;
    /* Answer every held join; the callbacks may not change the group. */
    for (m = TAILQ_FIRST(&g->members); m; m = next) {
        bool leader = g->leader_id && !strcmp(g->leader_id, m->member_id);
        grp_join_result res = {
            .error = list ? 0 : SL_KE_UNKNOWN_SERVER_ERROR,
            .generation_id = g->generation,
            .protocol_type = bs(g->protocol_type),
            .protocol_name = bs(g->protocol_name),
            .leader = bs(g->leader_id),
            .member_id = bs(m->member_id),
            .members = leader ? list : NULL,
            .nmembers = leader ? n : 0,
        };

        next = TAILQ_NEXT(m, link);
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
        session_reset(m);
        if (m->join_r)
            join_answer(m, &res);
    }
    free(list);
}

/* --- requests ---------------------------------------------------------------- */

static void join_cancel(breq *r)
{
    grp_member *m = r->owner;

    if (m && m->join_r == r) {
        m->join_r = NULL;
        /* Counted as not rejoined; its session timer decides from here. */
        session_reset(m);
    }
    r->owner = NULL;
    r->cancel = NULL;
    req_finish_silent(r);
}

static void sync_cancel(breq *r)
{
    grp_member *m = r->owner;

    if (m && m->sync_r == r)
        m->sync_r = NULL;
    r->owner = NULL;
    r->cancel = NULL;
    req_finish_silent(r);
}

static void hold_join(grp_member *m, breq *r, grp_join_cb cb)
{
    if (m->join_r)
        join_error(m, SL_KE_REBALANCE_IN_PROGRESS);
    m->join_r = r;
    m->join_cb = cb;
    r->owner = m;
    r->cancel = join_cancel;
    /* A member waiting in a join is not expected to heartbeat. */
    timer_cancel(m->g->gc->b, &m->session_timer);
}

/* Answer a join at once with the current generation; leader: the leader
 * id to report (the leader also gets the members). */
static void join_now(group *g, grp_member *m, const char *leader_id, breq *r, grp_join_cb cb)
{
    bool leader = leader_id && !strcmp(leader_id, m->member_id);
    grp_join_member *list = leader ? member_list(g) : NULL;
    int32_t n = list ? g->nmembers : 0;
    {
        grp_join_result res = {
            .generation_id = g->generation,
            .protocol_type = bs(g->protocol_type),
            .protocol_name = bs(g->protocol_name),
            .leader = bs(leader_id),
            .member_id = bs(m->member_id),
            .members = list,
            .nmembers = n,
        };

        session_reset(m);
        cb(r, &res);
    }
    free(list);
}

static grp_member *add_member(group *g, const grp_join_args *a, const char *id)
{
    grp_member *m = calloc(1, sizeof *m);

    if (!m)
        return NULL;
    m->g = g;
    m->member_id = strdup(id);
    m->instance_id = dup_bytes(a->group_instance_id);
    m->client_id = dup_bytes(a->client_id.null ? sl_bytes_make("", 0) : a->client_id);
    m->client_host = strdup(a->client_host ? a->client_host : "");
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms = a->rebalance_timeout_ms;
    if (!m->member_id || !m->client_id || !m->client_host ||
        !grp_copy_protocols(m, a->protocols, a->nprotocols)) {
        member_free(m);
        return NULL;
    }
    if (g->nmembers == 0) {
        free(g->protocol_type);
        g->protocol_type = dup_bytes(a->protocol_type);
    }
    TAILQ_INSERT_TAIL(&g->members, m, link);
    g->nmembers++;
    sl_info("group", "group %s: member %s joined (client %s at %s%s%s)", g->id, m->member_id,
            m->client_id, m->client_host, m->instance_id ? ", instance " : "",
            m->instance_id ? m->instance_id : "");
    return m;
}

static void join_error_now(breq *r, grp_join_cb cb, int16_t error, sl_bytes member_id)
{
    grp_join_result res = { .error = error, .generation_id = -1, .member_id = member_id };

    cb(r, &res);
}

/* A static member restarted: JoinGroup with its instance id and no member
 * id.  The new member id takes the old one's place, which is fenced
 * (Kafka's updateStaticMemberAndRebalance). */
static void static_rejoin(group *g, grp_member *m, const grp_join_args *a, const char *id,
                          breq *r, grp_join_cb cb)
{
    bool was_leader = g->leader_id && !strcmp(g->leader_id, m->member_id);
    char *nid = strdup(id), *old = m->member_id;

    if (!nid) {
        join_error_now(r, cb, SL_KE_UNKNOWN_SERVER_ERROR, a->member_id);
        return;
    }
    if (m->join_r)
        join_error(m, SL_KE_FENCED_INSTANCE_ID);
    if (m->sync_r)
        sync_answer(m, SL_KE_FENCED_INSTANCE_ID);
    sl_info("group", "group %s: static member %s (instance %s) replaced by %s", g->id, old,
            m->instance_id, nid);
    m->member_id = nid;
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms = a->rebalance_timeout_ms;
    if (was_leader) {
        free(g->leader_id);
        g->leader_id = strdup(nid);
    }
    if (g->state == GS_STABLE && grp_same_protocols(m, a->protocols, a->nprotocols)) {
        /* No rebalance: the leader is reported as it was (the old id if it
         * was this member), so the member does not assign again; its
         * SyncGroup returns the assignment it had. */
        join_now(g, m, was_leader ? old : g->leader_id, r, cb);
        free(old);
        return;
    }
    free(old);
    grp_copy_protocols(m, a->protocols, a->nprotocols);
    hold_join(m, r, cb);
    if (g->state != GS_PREPARING)
        prepare_rebalance(g);
    maybe_complete_join(g);
}

void grp_join(grp_coord *gc, breq *r, const grp_join_args *a, grp_join_cb cb)
{
    broker *b = gc->b;
    group *g;
    grp_member *m;
    grp_pending *p;
    char idbuf[320];

    if (a->group_id.null || a->group_id.n == 0) {
        join_error_now(r, cb, SL_KE_INVALID_GROUP_ID, a->member_id);
        return;
    }
    if (a->session_timeout_ms < b->cfg.group_min_session_timeout_ms ||
        a->session_timeout_ms > b->cfg.group_max_session_timeout_ms) {
        join_error_now(r, cb, SL_KE_INVALID_SESSION_TIMEOUT, a->member_id);
        return;
    }
    if (a->nprotocols <= 0 || a->protocol_type.null || a->protocol_type.n == 0) {
        join_error_now(r, cb, SL_KE_INCONSISTENT_GROUP_PROTOCOL, a->member_id);
        return;
    }
    g = group_get(gc, a->group_id);
    if (!g) {
        join_error_now(r, cb, SL_KE_COORDINATOR_NOT_AVAILABLE, a->member_id);
        return;
    }
    /* A static member that restarts replaces its old self. */
    m = a->member_id.n ? grp_member_find(g, a->member_id)
                       : grp_static_member(g, a->group_instance_id);
    if (g->nmembers > 0 &&
        (!eq(g->protocol_type, a->protocol_type) || !grp_group_supports(g, a->protocols, a->nprotocols, m))) {
        join_error_now(r, cb, SL_KE_INCONSISTENT_GROUP_PROTOCOL, a->member_id);
        return;
    }

    if (a->member_id.null || a->member_id.n == 0) {
        new_member_id(a->group_instance_id.null ? a->client_id : a->group_instance_id, idbuf,
                      sizeof idbuf);
        if (m) {
            static_rejoin(g, m, a, idbuf, r, cb);
            return;
        }
        if (a->version >= 4 && a->group_instance_id.null) {
            /* KIP-394: hand out the id and have the client come back with
             * it, so a client that dies here leaves no member behind. */
            p = calloc(1, sizeof *p);
            if (p && (p->member_id = strdup(idbuf))) {
                p->expires_ms = sl_now_ms() + a->session_timeout_ms;
                TAILQ_INSERT_TAIL(&g->pending, p, link);
            } else {
                free(p);
            }
            join_error_now(r, cb, SL_KE_MEMBER_ID_REQUIRED, sl_bytes_str(idbuf));
            return;
        }
        m = add_member(g, a, idbuf);
        if (!m) {
            join_error_now(r, cb, SL_KE_UNKNOWN_SERVER_ERROR, a->member_id);
            return;
        }
        hold_join(m, r, cb);
        if (g->state != GS_PREPARING)
            prepare_rebalance(g);
        maybe_complete_join(g);
        return;
    }

    if (!a->group_instance_id.null) {
        /* A static member's id must be the one its instance id has. */
        int16_t err = grp_current_member(g, a->member_id, a->group_instance_id, &m);

        if (err) {
            join_error_now(r, cb, err, a->member_id);
            return;
        }
    }
    if (!m) {
        p = pending_find(g, a->member_id);
        if (!p) {
            join_error_now(r, cb, SL_KE_UNKNOWN_MEMBER_ID, a->member_id);
            return;
        }
        m = add_member(g, a, p->member_id);
        pending_free(g, p);
        if (!m) {
            join_error_now(r, cb, SL_KE_UNKNOWN_SERVER_ERROR, a->member_id);
            return;
        }
        hold_join(m, r, cb);
        if (g->state != GS_PREPARING)
            prepare_rebalance(g);
        maybe_complete_join(g);
        return;
    }

    /* A known member rejoins. */
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms = a->rebalance_timeout_ms;
    switch (g->state) {
    case GS_PREPARING:
        grp_copy_protocols(m, a->protocols, a->nprotocols);
        hold_join(m, r, cb);
        maybe_complete_join(g);
        return;
    case GS_COMPLETING:
        if (grp_same_protocols(m, a->protocols, a->nprotocols)) {
            join_now(g, m, g->leader_id, r, cb);
            return;
        }
        break;
    case GS_STABLE:
        if (grp_same_protocols(m, a->protocols, a->nprotocols) &&
            !(g->leader_id && !strcmp(g->leader_id, m->member_id))) {
            join_now(g, m, g->leader_id, r, cb);
            return;
        }
        break;
    case GS_EMPTY:
        break;
    }
    grp_copy_protocols(m, a->protocols, a->nprotocols);
    hold_join(m, r, cb);
    prepare_rebalance(g);
    maybe_complete_join(g);
}

static void sync_error_now(breq *r, grp_sync_cb cb, int16_t error)
{
    grp_sync_result res = { .error = error, .assignment = sl_bytes_make("", 0) };

    cb(r, &res);
}

void grp_sync(grp_coord *gc, breq *r, const grp_sync_args *a, grp_sync_cb cb)
{
    group *g = grp_group_find(gc, a->group_id);
    grp_member *m;
    int16_t err = grp_current_member(g, a->member_id, a->group_instance_id, &m);

    if (err || g->state == GS_EMPTY) {
        sync_error_now(r, cb, err ? err : SL_KE_UNKNOWN_MEMBER_ID);
        return;
    }
    if (a->generation_id != g->generation) {
        sync_error_now(r, cb, SL_KE_ILLEGAL_GENERATION);
        return;
    }
    switch (g->state) {
    case GS_PREPARING:
        sync_error_now(r, cb, SL_KE_REBALANCE_IN_PROGRESS);
        return;
    case GS_STABLE: {
        grp_sync_result res = { .assignment = m->assignment
                                                  ? sl_bytes_make(m->assignment, m->assignment_len)
                                                  : sl_bytes_make("", 0) };

        session_reset(m);
        cb(r, &res);
        return;
    }
    case GS_COMPLETING:
        break;
    case GS_EMPTY:
        return;
    }
    if (m->sync_r)
        sync_answer(m, SL_KE_REBALANCE_IN_PROGRESS);
    m->sync_r = r;
    m->sync_cb = cb;
    r->owner = m;
    r->cancel = sync_cancel;
    session_reset(m);
    if (!g->leader_id || strcmp(g->leader_id, m->member_id))
        return;
    /* The leader's assignments: hand them out and go Stable. */
    for (int32_t i = 0; i < a->nassignments; i++) {
        grp_member *x = grp_member_find(g, a->assignments[i].member_id);

        if (!x)
            continue;
        free(x->assignment);
        x->assignment = malloc(a->assignments[i].assignment.n + 1);
        x->assignment_len = x->assignment ? a->assignments[i].assignment.n : 0;
        if (x->assignment)
            memcpy(x->assignment, a->assignments[i].assignment.p, x->assignment_len);
    }
    g->state = GS_STABLE;
    sl_info("group", "group %s: stable at generation %d", g->id, g->generation);
    {
        grp_member *x, *next;

        for (x = TAILQ_FIRST(&g->members); x; x = next) {
            next = TAILQ_NEXT(x, link);
            if (x->sync_r)
                sync_answer(x, 0);
        }
    }
}

int16_t grp_heartbeat(grp_coord *gc, sl_bytes group_id, sl_bytes member_id,
                      sl_bytes instance_id, int32_t generation_id)
{
    group *g = grp_group_find(gc, group_id);
    grp_member *m;
    int16_t err = grp_current_member(g, member_id, instance_id, &m);

    if (err)
        return err;
    if (g->state == GS_EMPTY)
        return SL_KE_UNKNOWN_MEMBER_ID;
    if (generation_id != g->generation)
        return SL_KE_ILLEGAL_GENERATION;
    if (!m->join_r)
        session_reset(m);
    return g->state == GS_PREPARING ? SL_KE_REBALANCE_IN_PROGRESS : 0;
}

int16_t grp_leave(grp_coord *gc, sl_bytes group_id, sl_bytes member_id, sl_bytes instance_id)
{
    group *g = grp_group_find(gc, group_id);
    grp_member *m;
    grp_pending *p;
    int16_t err;

    if (!g)
        return SL_KE_UNKNOWN_MEMBER_ID;
    if (member_id.n == 0) {
        /* Removal by instance id alone (KIP-345, an admin's LeaveGroup). */
        m = grp_static_member(g, instance_id);
        if (!m)
            return SL_KE_UNKNOWN_MEMBER_ID;
    } else if ((p = pending_find(g, member_id)) != NULL) {
        pending_free(g, p);
        maybe_complete_join(g);
        return 0;
    } else if ((err = grp_current_member(g, member_id, instance_id, &m)) != 0) {
        return err;
    }
    remove_member(g, m, "left the group");
    return 0;
}

int16_t grp_commit_check(grp_coord *gc, sl_bytes group_id, sl_bytes member_id,
                         sl_bytes instance_id, int32_t generation_id)
{
    group *g = grp_group_find(gc, group_id);
    grp_member *m;
    int16_t err;

    if (group_id.null || group_id.n == 0)
        return SL_KE_INVALID_GROUP_ID;
    if (!g) {
        if (generation_id >= 0)
            return SL_KE_UNKNOWN_MEMBER_ID;
        /* A group that only stores offsets: Kafka keeps it as Empty. */
        return group_get(gc, group_id) ? 0 : SL_KE_COORDINATOR_NOT_AVAILABLE;
    }
    if (generation_id < 0 && member_id.n == 0)
        return g->nmembers == 0 ? 0 : SL_KE_UNKNOWN_MEMBER_ID;
    err = grp_current_member(g, member_id, instance_id, &m);
    if (err)
        return err;
    if (generation_id != g->generation)
        return SL_KE_ILLEGAL_GENERATION;
    if (g->state == GS_COMPLETING)
        return SL_KE_REBALANCE_IN_PROGRESS;
    if (!m->join_r)
        session_reset(m);
    return 0;
}

static void group_free(grp_coord *gc, group *g)
{
    grp_member *m;
    grp_pending *p;

    RB_REMOVE(group_tree, &gc->groups, g);
    timer_cancel(gc->b, &g->rebalance_timer);
    while ((m = TAILQ_FIRST(&g->members)) != NULL) {
        TAILQ_REMOVE(&g->members, m, link);
        if (m->join_r)
            join_error(m, SL_KE_COORDINATOR_NOT_AVAILABLE);
        if (m->sync_r)
            sync_answer(m, SL_KE_COORDINATOR_NOT_AVAILABLE);
        member_free(m);
    }
    while ((p = TAILQ_FIRST(&g->pending)) != NULL)
        pending_free(g, p);
    free(g->id);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader_id);
    free(g);
}

void grp_remove(grp_coord *gc, sl_bytes group_id)
{
    group *g = grp_group_find(gc, group_id);

    if (g && g->nmembers == 0)
        group_free(gc, g);
}

void grp_coord_free(grp_coord *gc)
{
    group *g;

    if (!gc)
        return;
    while ((g = RB_MIN(group_tree, &gc->groups)) != NULL)
        group_free(gc, g);
    free(gc);
}

/* Offsets replayed at start-up make their groups exist (Empty), as
 * Kafka's coordinator loads them from __consumer_offsets. */
void grp_ensure(grp_coord *gc, sl_bytes group_id)
{
    (void)group_get(gc, group_id);
}
