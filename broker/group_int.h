/*
 * group_int.h - the group coordinator's own structures, shared by its
 * files: group.c (the state machine and the requests), group_protocols.c
 * (the members' protocols and the choice among them), group_query.c
 * (finding members, describing and listing groups).  Nothing outside
 * them includes it.
 *
 * @loop
 */
#ifndef SL_GROUP_INT_H
#define SL_GROUP_INT_H

#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "group.h"

typedef enum { GS_EMPTY, GS_PREPARING, GS_COMPLETING, GS_STABLE } grp_state;

typedef struct grp_member grp_member;
struct grp_member {
    TAILQ_ENTRY(grp_member) link;
    group *g;
    char *member_id, *instance_id, *client_id, *client_host;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    grp_protocol *protocols; /* owned copies */
    int32_t nprotocols;
    uint8_t *assignment;
    size_t assignment_len;
    breq *join_r;
    grp_join_cb join_cb;
    breq *sync_r;
    grp_sync_cb sync_cb;
    sl_timer session_timer;
};

typedef struct grp_pending {
    TAILQ_ENTRY(grp_pending) link;
    char *member_id;
    int64_t expires_ms;
} grp_pending;

struct group {
    RB_ENTRY(group) node;
    grp_coord *gc;
    char *id;
    grp_state state;
    char *protocol_type, *protocol_name, *leader_id;
    int32_t generation;
    TAILQ_HEAD(, grp_member) members;
    int32_t nmembers;
    TAILQ_HEAD(, grp_pending) pending;
    sl_timer rebalance_timer;
    bool initial_delay;
    int64_t empty_since_ms; /* wall clock; when it last had no members */
};

RB_HEAD(group_tree, group);
RB_PROTOTYPE(group_tree, group, node, group_cmp)

struct grp_coord {
    broker *b;
    struct group_tree groups;
};

const char *grp_state_name(grp_state s);
group *grp_group_find(grp_coord *gc, sl_bytes id);

/* group_query.c */
grp_member *grp_member_find(group *g, sl_bytes id);
grp_member *grp_static_member(group *g, sl_bytes instance_id);
int16_t grp_current_member(group *g, sl_bytes member_id, sl_bytes instance_id, grp_member **out);

/* group_protocols.c */
void grp_free_protocols(grp_member *m);
bool grp_copy_protocols(grp_member *m, const grp_protocol *p, int32_t n);
bool grp_same_protocols(const grp_member *m, const grp_protocol *p, int32_t n);
const grp_protocol *grp_member_protocol(const grp_member *m, const char *name);
bool grp_group_supports(group *g, const grp_protocol *p, int32_t n, const grp_member *skip);
char *grp_select_protocol(group *g);

static inline sl_bytes bs(const char *s) { return s ? sl_bytes_str(s) : SL_BYTES_NULL; }

static inline char *dup_bytes(sl_bytes s)
{
    char *p;

    if (s.null)
        return NULL;
    p = malloc(s.n + 1);
    if (p) {
        memcpy(p, s.p, s.n);
        p[s.n] = 0;
    }
    return p;
}

static inline bool eq(const char *a, sl_bytes b)
{
    return a ? sl_bytes_eq_str(b, a) : b.null;
}

#endif
