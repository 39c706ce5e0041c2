/*
 * group_int.h - shared by group.c, assign.c and offsets.c: coordinator
 * lookup, the assignors (pure, so unit tests call them directly) and
 * offset commits.
 */
#ifndef SLC_GROUP_INT_H
#define SLC_GROUP_INT_H

#include "../protocol/msg_group.h"
#include "client_int.h"

/* FindCoordinator (retrying COORDINATOR_NOT_AVAILABLE a while) and a
 * connected connection to it. */
sl_err group_coordinator(slc_client *c, const char *group_id, slc_conn **out);

/* Read a ConsumerProtocolSubscription: topics (borrowed, at most
 * max_topics) and user_data. */
sl_err group_decode_subscription(sl_bytes meta, sl_bytes *topics, int32_t max_topics,
                                 int32_t *ntopics, sl_bytes *user_data);

/* --- assignors ------------------------------------------------------------ */

typedef struct group_member_sub {
    sl_bytes member_id;
    const sl_bytes *topics;
    int32_t ntopics;
    sl_bytes user_data;
} group_member_sub;

typedef struct group_topic_parts {
    sl_bytes name;
    int32_t partitions;
} group_topic_parts;

/*
 * The plan of an assignor: owner[t][p] gets the index of the member that
 * owns partition p of topics[t], or -1.  topics must be sorted by name;
 * members in any order (each assignor sorts by member id as Kafka's do).
 * protocol: "range", "roundrobin" or "sluice-exclusive".  SL_E_INVAL for
 * an unknown one.
 */
sl_err group_plan(const char *protocol, const group_member_sub *members, int32_t nm,
                  const group_topic_parts *topics, int32_t nt, int32_t **owner);

/* The leader's SyncGroup assignments for the JoinGroup members: entries
 * borrow the buffers kept in the struct (owned: group_assignment_free). */
typedef struct group_assignment {
    msg_syncgroup_req_assignment *entries;
    int32_t n;
    kbuf_wr *bufs;
} group_assignment;

group_assignment *group_assign(slc_client *c, const char *protocol,
                               const msg_joingroup_resp_member *members, int32_t n, sl_err *err);
void group_assignment_free(group_assignment *a);

/* OffsetCommit of n partitions of one topic; generation -1 with member ""
 * commits outside any generation. */
sl_err group_commit(slc_client *c, const char *group_id, int32_t generation,
                    const char *member_id, const char *topic, int32_t n,
                    const int32_t *partitions, const int64_t *offsets, const char *metadata);

#endif
