/*
 * group.h - the classic consumer-group coordinator (see group.c for the
 * state machine).  Handlers decode requests into the structs below, call
 * grp_*, and encode what comes back; JoinGroup and SyncGroup may answer
 * later, through the callback, when the rebalance gets there.
 *
 * Strings passed in are borrowed for the call; the coordinator copies
 * what it keeps.  Results handed to callbacks are valid during the call.
 *
 * @loop
 */
#ifndef SL_GROUP_H
#define SL_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/bytes.h"

typedef struct broker broker;
typedef struct breq breq;
typedef struct grp_coord grp_coord;
typedef struct group group;

typedef struct grp_protocol {
    sl_bytes name;
    sl_bytes metadata;
} grp_protocol;

typedef struct grp_join_args {
    sl_bytes group_id, member_id, group_instance_id, protocol_type, client_id;
    const char *client_host;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    int16_t version;
    const grp_protocol *protocols;
    int32_t nprotocols;
} grp_join_args;

typedef struct grp_join_member {
    sl_bytes member_id, group_instance_id, metadata;
} grp_join_member;

typedef struct grp_join_result {
    int16_t error;
    int32_t generation_id;
    sl_bytes protocol_type, protocol_name, leader, member_id;
    const grp_join_member *members; /* the leader's answer only */
    int32_t nmembers;
} grp_join_result;

typedef struct grp_assignment {
    sl_bytes member_id, assignment;
} grp_assignment;

typedef struct grp_sync_args {
    sl_bytes group_id, member_id, group_instance_id;
    int32_t generation_id;
    const grp_assignment *assignments;
    int32_t nassignments;
} grp_sync_args;

typedef struct grp_sync_result {
    int16_t error;
    sl_bytes assignment;
} grp_sync_result;

typedef void (*grp_join_cb)(breq *r, const grp_join_result *res);
typedef void (*grp_sync_cb)(breq *r, const grp_sync_result *res);

grp_coord *grp_coord_new(broker *b);
void grp_coord_free(grp_coord *gc);

/* Answer now (cb before return) or later; r's cancel hook is set while
 * it waits, so a closing connection withdraws it. */
void grp_join(grp_coord *gc, breq *r, const grp_join_args *a, grp_join_cb cb);
void grp_sync(grp_coord *gc, breq *r, const grp_sync_args *a, grp_sync_cb cb);
/* instance_id: the request's group_instance_id (null for dynamic members
 * and older versions); one that now belongs to another member id gets
 * FENCED_INSTANCE_ID (KIP-345). */
int16_t grp_heartbeat(grp_coord *gc, sl_bytes group_id, sl_bytes member_id,
                      sl_bytes instance_id, int32_t generation_id);
/* One member leaving (LeaveGroup v0-2, or each member of v3+); with an
 * empty member id, the static member holding instance_id. */
int16_t grp_leave(grp_coord *gc, sl_bytes group_id, sl_bytes member_id, sl_bytes instance_id);

/* OffsetCommit's checks: generation -1 with member "" is allowed only
 * for a group with no members (assign()-style commits). */
int16_t grp_commit_check(grp_coord *gc, sl_bytes group_id, sl_bytes member_id,
                         sl_bytes instance_id, int32_t generation_id);

/* For ListGroups / DescribeGroups / DeleteGroups. */
typedef struct grp_member_info {
    sl_bytes member_id, group_instance_id, client_id, client_host, metadata, assignment;
} grp_member_info;
typedef struct grp_info {
    sl_bytes group_id, state, protocol_type, protocol_name;
    const grp_member_info *members;
    int32_t nmembers;
} grp_info;

/* Visit every group that exists (has members or has been created by a
 * commit); fn returns false to stop. */
void grp_each(grp_coord *gc, bool (*fn)(void *ud, const grp_info *g), void *ud);
/* Describe one group: false if unknown (Kafka answers state "Dead"). */
bool grp_describe(grp_coord *gc, sl_bytes group_id, bool (*fn)(void *ud, const grp_info *g),
                  void *ud);
/* True if the coordinator knows the group (members or offsets-only). */
bool grp_exists(grp_coord *gc, sl_bytes group_id);
/* When the group last became Empty (wall clock ms; 0 if unknown to the
 * coordinator), or -1 while it has members. */
int64_t grp_empty_since(grp_coord *gc, sl_bytes group_id);
/* True if the group has no members (or does not exist). */
bool grp_is_empty(grp_coord *gc, sl_bytes group_id);
/* Forget an empty group (DeleteGroups, after its offsets are gone). */
void grp_remove(grp_coord *gc, sl_bytes group_id);
/* Make a group exist, Empty, if it does not (offsets loaded at start). */
void grp_ensure(grp_coord *gc, sl_bytes group_id);

#endif
