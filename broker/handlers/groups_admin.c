/* groups_admin.c - ListGroups (16), DescribeGroups (15), DeleteGroups (42). */
#include <strings.h>

#include "../../protocol/msg_group.h"
#include "../broker.h"
#include "../group.h"
#include "../offsets.h"

typedef struct list_ctx {
    breq *r;
    const msg_listgroups_req *req;
    msg_listgroups_resp_group *groups;
    int32_t n, cap;
    bool oom;
} list_ctx;

static sl_bytes copy_bytes(breq *r, sl_bytes s, bool *oom)
{
    uint8_t *p;

    if (s.null || s.n == 0)
        return s;
    p = sl_arena_alloc(&r->arena, s.n);
    if (!p) {
        *oom = true;
        return sl_bytes_make("", 0);
    }
    memcpy(p, s.p, s.n);
    return sl_bytes_make(p, s.n);
}

static bool state_wanted(const msg_listgroups_req *req, sl_bytes state)
{
    if (req->states_filter_count <= 0)
        return true;
    for (int32_t i = 0; i < req->states_filter_count; i++)
        if (req->states_filter[i].n == state.n &&
            !strncasecmp((const char *)req->states_filter[i].p, (const char *)state.p, state.n))
            return true;
    return false;
}

static bool list_one(void *ud, const grp_info *g)
{
    list_ctx *lc = ud;

    if (!state_wanted(lc->req, g->state))
        return true;
    if (lc->n == lc->cap) {
        int32_t cap = lc->cap ? lc->cap * 2 : 16;
        msg_listgroups_resp_group *v = sl_arena_calloc(&lc->r->arena, (size_t)cap, sizeof *v);

        if (!v) {
            lc->oom = true;
            return false;
        }
        if (lc->n)
            memcpy(v, lc->groups, (size_t)lc->n * sizeof *v);
        lc->groups = v;
        lc->cap = cap;
    }
    /* The coordinator's strings live only during this call. */
    lc->groups[lc->n].group_id = copy_bytes(lc->r, g->group_id, &lc->oom);
    lc->groups[lc->n].protocol_type = copy_bytes(lc->r, g->protocol_type, &lc->oom);
    lc->groups[lc->n].group_state = g->state; /* a static string */
    lc->n++;
    return !lc->oom;
}

void handle_list_groups(breq *r)
{
    msg_listgroups_req req;
    msg_listgroups_resp resp = { 0 };
    list_ctx lc = { .r = r, .req = &req };
    sl_err err;
    kbuf_wr w;

    err = msg_listgroups_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    grp_each(r->c->b->groups, list_one, &lc);
    if (lc.oom) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    resp.groups = lc.groups;
    resp.groups_count = lc.n;
    resp_begin(r, &w);
    msg_listgroups_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

typedef struct describe_ctx {
    breq *r;
    msg_describegroups_resp_group *out;
    bool oom;
} describe_ctx;

static bool describe_one(void *ud, const grp_info *g)
{
    describe_ctx *dc = ud;
    msg_describegroups_resp_group *out = dc->out;
    breq *r = dc->r;

    out->group_state = g->state;
    out->protocol_type = copy_bytes(r, g->protocol_type, &dc->oom);
    out->protocol_data = copy_bytes(r, g->protocol_name, &dc->oom);
    out->members_count = g->nmembers;
    out->members = sl_arena_calloc(&r->arena, (size_t)g->nmembers + 1, sizeof *out->members);
    if (!out->members) {
        dc->oom = true;
        return false;
    }
    for (int32_t i = 0; i < g->nmembers; i++) {
        msg_describegroups_resp_member *m = &out->members[i];

        m->member_id = copy_bytes(r, g->members[i].member_id, &dc->oom);
        m->group_instance_id = copy_bytes(r, g->members[i].group_instance_id, &dc->oom);
        m->client_id = copy_bytes(r, g->members[i].client_id, &dc->oom);
        m->client_host = copy_bytes(r, g->members[i].client_host, &dc->oom);
        m->member_metadata = copy_bytes(r, g->members[i].metadata, &dc->oom);
        m->member_assignment = copy_bytes(r, g->members[i].assignment, &dc->oom);
    }
    return true;
}

void handle_describe_groups(breq *r)
{
    msg_describegroups_req req;
    msg_describegroups_resp resp = { 0 };
    sl_err err;
    kbuf_wr w;

    err = msg_describegroups_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    resp.groups_count = req.groups_count;
    resp.groups = sl_arena_calloc(&r->arena, (size_t)req.groups_count + 1, sizeof *resp.groups);
    if (!resp.groups) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    for (int32_t i = 0; i < req.groups_count; i++) {
        describe_ctx dc = { .r = r, .out = &resp.groups[i] };

        resp.groups[i].group_id = req.groups[i];
        resp.groups[i].authorized_operations = MSG_AUTHORIZED_OPERATIONS_NONE;
        if (!grp_describe(r->c->b->groups, req.groups[i], describe_one, &dc)) {
            /* Kafka describes an unknown group as Dead, with no error. */
            resp.groups[i].group_state = sl_bytes_str("Dead");
            resp.groups[i].protocol_type = sl_bytes_make("", 0);
            resp.groups[i].protocol_data = sl_bytes_make("", 0);
        }
        if (dc.oom) {
            req_malformed(r, SL_E_NOMEM);
            return;
        }
    }
    resp_begin(r, &w);
    msg_describegroups_resp_encode(&w, r->hdr.api_version, &resp);
    resp_finish(r, &w);
}

typedef struct delete_groups_ctx {
    msg_deletegroups_resp resp;
    int pending;
} delete_groups_ctx;

typedef struct delete_one {
    breq *r;
    msg_deletegroups_resp_result *res;
} delete_one;

static void delete_groups_respond(breq *r)
{
    delete_groups_ctx *ctx = r->hctx;
    kbuf_wr w;

    resp_begin(r, &w);
    msg_deletegroups_resp_encode(&w, r->hdr.api_version, &ctx->resp);
    resp_finish(r, &w);
}

static void on_group_deleted(void *ud, sl_err err)
{
    delete_one *d = ud;
    delete_groups_ctx *ctx = d->r->hctx;

    if (err) {
        d->res->error_code = SL_KE_KAFKA_STORAGE_ERROR;
    } else if (grp_is_empty(d->r->c->b->groups, d->res->group_id)) {
        grp_remove(d->r->c->b->groups, d->res->group_id);
    }
    if (--ctx->pending == 0)
        delete_groups_respond(d->r);
}

void handle_delete_groups(breq *r)
{
    broker *b = r->c->b;
    msg_deletegroups_req req;
    delete_groups_ctx *ctx;
    sl_err err;

    ctx = sl_arena_alloc(&r->arena, sizeof *ctx);
    if (!ctx) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    r->hctx = ctx;
    err = msg_deletegroups_req_decode(&r->body, r->hdr.api_version, &r->arena, &req);
    if (err) {
        req_malformed(r, err);
        return;
    }
    ctx->resp.results_count = req.groups_names_count;
    ctx->resp.results = sl_arena_calloc(&r->arena, (size_t)req.groups_names_count + 1,
                                        sizeof *ctx->resp.results);
    if (!ctx->resp.results) {
        req_malformed(r, SL_E_NOMEM);
        return;
    }
    ctx->pending = 1;
    for (int32_t i = 0; i < req.groups_names_count; i++) {
        msg_deletegroups_resp_result *res = &ctx->resp.results[i];
        sl_bytes g = req.groups_names[i];
        bool known;

        res->group_id = g;
        known = grp_exists(b->groups, g) || offsets_group_has(b->offs, g);
        if (!known) {
            res->error_code = SL_KE_GROUP_ID_NOT_FOUND;
        } else if (!grp_is_empty(b->groups, g)) {
            res->error_code = SL_KE_NON_EMPTY_GROUP;
        } else {
            delete_one *d = sl_arena_alloc(&r->arena, sizeof *d);

            if (!d) {
                res->error_code = SL_KE_UNKNOWN_SERVER_ERROR;
                continue;
            }
            d->r = r;
            d->res = res;
            ctx->pending++;
            err = offsets_delete_group(b->offs, g, sl_wallclock_ms(), on_group_deleted, d);
            if (err) {
                ctx->pending--;
                res->error_code = SL_KE_KAFKA_STORAGE_ERROR;
            }
        }
    }
    if (--ctx->pending == 0)
        delete_groups_respond(r);
}
