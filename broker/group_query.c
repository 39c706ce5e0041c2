/*
 * group_query.c - what DescribeGroups, ListGroups and the offsets code
 * learn about groups (group.h).
 */
#include "group_int.h"

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
