/*
 * group_query.c - finding a group's members, and what DescribeGroups,
 * ListGroups and the offsets code learn about groups (group.h).
 */
#include "../base/log.h"
#include "group_int.h"

grp_member *grp_member_find(group *g, sl_bytes id)
{
    grp_member *m;

    TAILQ_FOREACH(m, &g->members, link)
        if (sl_bytes_eq_str(id, m->member_id))
            return m;
    return NULL;
}

/* The member holding a static instance id, or NULL. */
grp_member *grp_static_member(group *g, sl_bytes instance_id)
{
    grp_member *m;

    if (instance_id.null)
        return NULL;
    TAILQ_FOREACH(m, &g->members, link)
        if (m->instance_id && sl_bytes_eq_str(instance_id, m->instance_id))
            return m;
    return NULL;
}

/* The member a request names, as Kafka's validateCurrentMember: with an
 * instance id, the member holding it must have this member id. */
int16_t grp_current_member(group *g, sl_bytes member_id, sl_bytes instance_id,
                           grp_member **out)
{
    grp_member *m;

    *out = NULL;
    if (!g)
        return SL_KE_UNKNOWN_MEMBER_ID;
    if (!instance_id.null) {
        m = grp_static_member(g, instance_id);
        if (!m)
            return SL_KE_UNKNOWN_MEMBER_ID;
        if (!sl_bytes_eq_str(member_id, m->member_id)) {
            sl_info("group", "group %s: member %.*s of instance %s fenced by member %s", g->id,
                    (int)member_id.n, member_id.p ? (const char *)member_id.p : "",
                    m->instance_id, m->member_id);
            return SL_KE_FENCED_INSTANCE_ID;
        }
    } else if (!(m = grp_member_find(g, member_id))) {
        return SL_KE_UNKNOWN_MEMBER_ID;
    }
    *out = m;
    return 0;
}

static bool describe(group *g, bool (*fn)(void *ud, const grp_info *g), void *ud)
{
    grp_member_info *mi = calloc((size_t)g->nmembers + 1, sizeof *mi);
    grp_member *m;
    int32_t n = 0;
    bool go_on;
    grp_info info = {
        .group_id = bs(g->id),
        .state = bs(grp_state_name(g->state)),
        .protocol_type = g->protocol_type ? bs(g->protocol_type) : sl_bytes_make("", 0),
        .protocol_name = g->protocol_name ? bs(g->protocol_name) : sl_bytes_make("", 0),
    };

    if (mi) {
        TAILQ_FOREACH(m, &g->members, link) {
            const grp_protocol *p = grp_member_protocol(m, g->protocol_name);

            mi[n].member_id = bs(m->member_id);
            mi[n].group_instance_id = bs(m->instance_id);
            mi[n].client_id = bs(m->client_id);
            mi[n].client_host = bs(m->client_host);
            mi[n].metadata = p ? p->metadata : sl_bytes_make("", 0);
            mi[n].assignment = m->assignment ? sl_bytes_make(m->assignment, m->assignment_len)
                                             : sl_bytes_make("", 0);
            n++;
        }
    }
    info.members = mi;
    info.nmembers = n;
    go_on = fn(ud, &info);
    free(mi);
    return go_on;
}

void grp_each(grp_coord *gc, bool (*fn)(void *ud, const grp_info *g), void *ud)
{
    group *g;

    RB_FOREACH(g, group_tree, &gc->groups)
        if (!describe(g, fn, ud))
            return;
}

bool grp_describe(grp_coord *gc, sl_bytes group_id, bool (*fn)(void *ud, const grp_info *g),
                  void *ud)
{
    group *g = grp_group_find(gc, group_id);

    if (!g)
        return false;
    describe(g, fn, ud);
    return true;
}

int64_t grp_empty_since(grp_coord *gc, sl_bytes group_id)
{
    group *g = grp_group_find(gc, group_id);

    if (!g)
        return 0;
    return g->nmembers > 0 || g->state != GS_EMPTY ? -1 : g->empty_since_ms;
}

bool grp_exists(grp_coord *gc, sl_bytes group_id)
{
    return grp_group_find(gc, group_id) != NULL;
}

bool grp_is_empty(grp_coord *gc, sl_bytes group_id)
{
    group *g = grp_group_find(gc, group_id);

    return !g || g->nmembers == 0;
}
