/*
 * group_protocols.c - the protocols (assignors) a group's members offer,
 * and the one the group uses, as Kafka's GroupMetadata: every member must
 * support it; each member votes for its most preferred one among those.
 */
#include "group_int.h"

void grp_free_protocols(grp_member *m)
{
    for (int32_t i = 0; i < m->nprotocols; i++) {
        free((void *)m->protocols[i].name.p);
        free((void *)m->protocols[i].metadata.p);
    }
    free(m->protocols);
    m->protocols = NULL;
    m->nprotocols = 0;
}

bool grp_copy_protocols(grp_member *m, const grp_protocol *p, int32_t n)
{
    grp_protocol *v = calloc((size_t)n + 1, sizeof *v);

    if (!v)
        return false;
    for (int32_t i = 0; i < n; i++) {
        uint8_t *name = malloc(p[i].name.n + 1), *meta = malloc(p[i].metadata.n + 1);

        if (!name || !meta) {
            free(name);
            free(meta);
            for (int32_t j = 0; j < i; j++) {
                free((void *)v[j].name.p);
                free((void *)v[j].metadata.p);
            }
            free(v);
            return false;
        }
        memcpy(name, p[i].name.p, p[i].name.n);
        memcpy(meta, p[i].metadata.p, p[i].metadata.n);
        v[i].name = sl_bytes_make(name, p[i].name.n);
        v[i].metadata = sl_bytes_make(meta, p[i].metadata.n);
    }
    grp_free_protocols(m);
    m->protocols = v;
    m->nprotocols = n;
    return true;
}

bool grp_same_protocols(const grp_member *m, const grp_protocol *p, int32_t n)
{
    if (m->nprotocols != n)
        return false;
    for (int32_t i = 0; i < n; i++)
        if (!sl_bytes_eq(m->protocols[i].name, p[i].name) ||
            !sl_bytes_eq(m->protocols[i].metadata, p[i].metadata))
            return false;
    return true;
}

const grp_protocol *grp_member_protocol(const grp_member *m, const char *name)
{
    for (int32_t i = 0; i < m->nprotocols; i++)
        if (name && sl_bytes_eq_str(m->protocols[i].name, name))
            return &m->protocols[i];
    return NULL;
}

static bool member_supports(const grp_member *m, sl_bytes name)
{
    for (int32_t i = 0; i < m->nprotocols; i++)
        if (sl_bytes_eq(m->protocols[i].name, name))
            return true;
    return false;
}

/* Would the group still have a protocol every member supports if a
 * member with these protocols joined (Kafka's supportsProtocols)? */
bool grp_group_supports(group *g, const grp_protocol *p, int32_t n, const grp_member *skip)
{
    for (int32_t i = 0; i < n; i++) {
        bool all = true;
        grp_member *m;

        TAILQ_FOREACH(m, &g->members, link)
            if (m != skip && !member_supports(m, p[i].name)) {
                all = false;
                break;
            }
        if (all)
            return true;
    }
    return false;
}

/* The protocol with most votes, each member voting for its most
 * preferred protocol that all members support. */
char *grp_select_protocol(group *g)
{
    grp_member *first = TAILQ_FIRST(&g->members), *m, *v;
    sl_bytes best = SL_BYTES_NULL;
    int best_votes = -1;

    for (int32_t i = 0; i < first->nprotocols; i++) {
        sl_bytes cand = first->protocols[i].name;
        int votes = 0;
        bool all = true;

        TAILQ_FOREACH(m, &g->members, link)
            if (!member_supports(m, cand))
                all = false;
        if (!all)
            continue;
        TAILQ_FOREACH(v, &g->members, link) {
            for (int32_t j = 0; j < v->nprotocols; j++) {
                bool cand_all = true;

                TAILQ_FOREACH(m, &g->members, link)
                    if (!member_supports(m, v->protocols[j].name))
                        cand_all = false;
                if (!cand_all)
                    continue;
                if (sl_bytes_eq(v->protocols[j].name, cand))
                    votes++;
                break;
            }
        }
        if (votes > best_votes) {
            best_votes = votes;
            best = cand;
        }
    }
    if (best.null && first->nprotocols)
        best = first->protocols[0].name;
    return dup_bytes(best);
}
