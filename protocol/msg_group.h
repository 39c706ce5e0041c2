/*
 * msg_group.h - typed bodies of the consumer group APIs (classic protocol)
 * with version-aware encoders and decoders for both directions:
 * FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, OffsetDelete, ListGroups, DescribeGroups,
 * DeleteGroups.
 *
 * Every rule of msg.h holds here unchanged: Kafka's schema names in
 * snake_case; a field exists in the versions noted next to it, encoders
 * ignore it elsewhere and decoders set the schema's default there (noted
 * as "default"; an absent string not marked nullable is "", an absent
 * array is empty); -1 counts mean null, and only where noted "nullable";
 * a null non-nullable string or bytes is written as "" and refused when
 * decoded; arrays come from the arena, strings and bytes are borrowed from
 * the reader's buffer; decoders return SL_OK, SL_E_MALFORMED, SL_E_NOMEM or
 * SL_KE_UNSUPPORTED_VERSION and ignore bytes after the body; encoders set
 * w->err to SL_E_INVAL for a version outside the range below; flexible
 * versions skip every tagged field when decoding and write empty sections.
 *
 * []string fields are an sl_bytes array and a count; their elements are
 * never null (written as "").  JoinGroup and SyncGroup protocol metadata
 * and assignments are opaque bytes (ConsumerProtocol*), borrowed.
 */
#ifndef SL_MSG_GROUP_H
#define SL_MSG_GROUP_H

#include "msg.h"

/* Versions this codec implements, and the first flexible one (-1: none). */
#define MSG_FINDCOORDINATOR_VMIN 0
#define MSG_FINDCOORDINATOR_VMAX 4
#define MSG_FINDCOORDINATOR_FLEX 3
#define MSG_JOINGROUP_VMIN 0
#define MSG_JOINGROUP_VMAX 6
#define MSG_JOINGROUP_FLEX 6
#define MSG_SYNCGROUP_VMIN 0
#define MSG_SYNCGROUP_VMAX 4
#define MSG_SYNCGROUP_FLEX 4
#define MSG_HEARTBEAT_VMIN 0
#define MSG_HEARTBEAT_VMAX 4
#define MSG_HEARTBEAT_FLEX 4
#define MSG_LEAVEGROUP_VMIN 0
#define MSG_LEAVEGROUP_VMAX 4
#define MSG_LEAVEGROUP_FLEX 4
#define MSG_OFFSETCOMMIT_VMIN 0
#define MSG_OFFSETCOMMIT_VMAX 8
#define MSG_OFFSETCOMMIT_FLEX 8
#define MSG_OFFSETFETCH_VMIN 0
#define MSG_OFFSETFETCH_VMAX 8
#define MSG_OFFSETFETCH_FLEX 6
#define MSG_OFFSETDELETE_VMIN 0
#define MSG_OFFSETDELETE_VMAX 0
#define MSG_OFFSETDELETE_FLEX (-1)
#define MSG_LISTGROUPS_VMIN 0
#define MSG_LISTGROUPS_VMAX 4
#define MSG_LISTGROUPS_FLEX 3
#define MSG_DESCRIBEGROUPS_VMIN 0
#define MSG_DESCRIBEGROUPS_VMAX 5
#define MSG_DESCRIBEGROUPS_FLEX 5
#define MSG_DELETEGROUPS_VMIN 0
#define MSG_DELETEGROUPS_VMAX 2
#define MSG_DELETEGROUPS_FLEX 2

/* FindCoordinator key_type values. */
#define MSG_COORDINATOR_KEY_GROUP 0
#define MSG_COORDINATOR_KEY_TRANSACTION 1

/* --- FindCoordinator (key 10) ------------------------------------------ */

typedef struct msg_findcoordinator_req {
    sl_bytes key;               /* v0-3 */
    int8_t key_type;            /* v1+, default 0 (group) */
    sl_bytes *coordinator_keys; /* v4+ (KIP-699) */
    int32_t coordinator_keys_count;
} msg_findcoordinator_req;

typedef struct msg_findcoordinator_resp_coordinator {
    sl_bytes key;
    int32_t node_id;
    sl_bytes host;
    int32_t port;
    int16_t error_code;
    sl_bytes error_message; /* nullable */
} msg_findcoordinator_resp_coordinator;

typedef struct msg_findcoordinator_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;       /* v0-3 */
    sl_bytes error_message;   /* v1-3, nullable, default null */
    int32_t node_id;          /* v0-3 */
    sl_bytes host;            /* v0-3 */
    int32_t port;             /* v0-3 */
    msg_findcoordinator_resp_coordinator *coordinators; /* v4+ */
    int32_t coordinators_count;
} msg_findcoordinator_resp;

sl_err msg_findcoordinator_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                      msg_findcoordinator_req *out);
void msg_findcoordinator_req_encode(kbuf_wr *w, int16_t version, const msg_findcoordinator_req *in);
sl_err msg_findcoordinator_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                       msg_findcoordinator_resp *out);
void msg_findcoordinator_resp_encode(kbuf_wr *w, int16_t version,
                                     const msg_findcoordinator_resp *in);

/* --- JoinGroup (key 11) ------------------------------------------------ */

typedef struct msg_joingroup_req_protocol {
    sl_bytes name;
    sl_bytes metadata; /* opaque */
} msg_joingroup_req_protocol;

typedef struct msg_joingroup_req {
    sl_bytes group_id;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* v1+, default -1: use session_timeout_ms */
    sl_bytes member_id;
    sl_bytes group_instance_id; /* v5+, nullable, default null */
    sl_bytes protocol_type;
    msg_joingroup_req_protocol *protocols;
    int32_t protocols_count;
} msg_joingroup_req;

typedef struct msg_joingroup_resp_member {
    sl_bytes member_id;
    sl_bytes group_instance_id; /* v5+, nullable, default null */
    sl_bytes metadata;          /* opaque */
} msg_joingroup_resp_member;

typedef struct msg_joingroup_resp {
    int32_t throttle_time_ms; /* v2+ */
    int16_t error_code;
    int32_t generation_id;
    sl_bytes protocol_name; /* not nullable before v7 */
    sl_bytes leader;
    sl_bytes member_id;
    msg_joingroup_resp_member *members; /* the leader's response only */
    int32_t members_count;
} msg_joingroup_resp;

sl_err msg_joingroup_req_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_joingroup_req *out);
void msg_joingroup_req_encode(kbuf_wr *w, int16_t version, const msg_joingroup_req *in);
sl_err msg_joingroup_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                 msg_joingroup_resp *out);
void msg_joingroup_resp_encode(kbuf_wr *w, int16_t version, const msg_joingroup_resp *in);

/* --- SyncGroup (key 14) ------------------------------------------------ */

typedef struct msg_syncgroup_req_assignment {
    sl_bytes member_id;
    sl_bytes assignment; /* opaque */
} msg_syncgroup_req_assignment;

typedef struct msg_syncgroup_req {
    sl_bytes group_id;
    int32_t generation_id;
    sl_bytes member_id;
    sl_bytes group_instance_id; /* v3+, nullable, default null */
    msg_syncgroup_req_assignment *assignments; /* the leader's request only */
    int32_t assignments_count;
} msg_syncgroup_req;

typedef struct msg_syncgroup_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    sl_bytes assignment; /* opaque; empty (not null) when none */
} msg_syncgroup_resp;

sl_err msg_syncgroup_req_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_syncgroup_req *out);
void msg_syncgroup_req_encode(kbuf_wr *w, int16_t version, const msg_syncgroup_req *in);
sl_err msg_syncgroup_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                 msg_syncgroup_resp *out);
void msg_syncgroup_resp_encode(kbuf_wr *w, int16_t version, const msg_syncgroup_resp *in);

/* --- Heartbeat (key 12) ------------------------------------------------ */

typedef struct msg_heartbeat_req {
    sl_bytes group_id;
    int32_t generation_id;
    sl_bytes member_id;
    sl_bytes group_instance_id; /* v3+, nullable, default null */
} msg_heartbeat_req;

typedef struct msg_heartbeat_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
} msg_heartbeat_resp;

sl_err msg_heartbeat_req_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_heartbeat_req *out);
void msg_heartbeat_req_encode(kbuf_wr *w, int16_t version, const msg_heartbeat_req *in);
sl_err msg_heartbeat_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                 msg_heartbeat_resp *out);
void msg_heartbeat_resp_encode(kbuf_wr *w, int16_t version, const msg_heartbeat_resp *in);

/* --- LeaveGroup (key 13) ----------------------------------------------- */

typedef struct msg_leavegroup_req_member {
    sl_bytes member_id;
    sl_bytes group_instance_id; /* nullable */
} msg_leavegroup_req_member;

typedef struct msg_leavegroup_req {
    sl_bytes group_id;
    sl_bytes member_id;                 /* v0-2 */
    msg_leavegroup_req_member *members; /* v3+ (KIP-345 batch) */
    int32_t members_count;
} msg_leavegroup_req;

typedef struct msg_leavegroup_resp_member {
    sl_bytes member_id;
    sl_bytes group_instance_id; /* nullable */
    int16_t error_code;
} msg_leavegroup_resp_member;

typedef struct msg_leavegroup_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    msg_leavegroup_resp_member *members; /* v3+ */
    int32_t members_count;
} msg_leavegroup_resp;

sl_err msg_leavegroup_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                 msg_leavegroup_req *out);
void msg_leavegroup_req_encode(kbuf_wr *w, int16_t version, const msg_leavegroup_req *in);
sl_err msg_leavegroup_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                  msg_leavegroup_resp *out);
void msg_leavegroup_resp_encode(kbuf_wr *w, int16_t version, const msg_leavegroup_resp *in);

/* --- OffsetCommit (key 8) ---------------------------------------------- */

typedef struct msg_offsetcommit_req_partition {
    int32_t partition_index;
    int64_t committed_offset;
    int32_t committed_leader_epoch; /* v6+, default -1 */
    sl_bytes committed_metadata;    /* nullable */
    int64_t commit_timestamp;       /* v1 only, default -1 */
} msg_offsetcommit_req_partition;

typedef struct msg_offsetcommit_req_topic {
    sl_bytes name;
    msg_offsetcommit_req_partition *partitions;
    int32_t partitions_count;
} msg_offsetcommit_req_topic;

typedef struct msg_offsetcommit_req {
    sl_bytes group_id;
    /* Kafka's GenerationId, renamed for KIP-848: the generation for classic
     * groups.  -1 with member_id "" commits outside any generation. */
    int32_t generation_id_or_member_epoch;
    sl_bytes member_id;
    sl_bytes group_instance_id; /* v7+, nullable, default null */
    int64_t retention_time_ms;  /* v2-4, default -1 (broker's retention) */
    msg_offsetcommit_req_topic *topics;
    int32_t topics_count;
} msg_offsetcommit_req;

typedef struct msg_offsetcommit_resp_partition {
    int32_t partition_index;
    int16_t error_code;
} msg_offsetcommit_resp_partition;

typedef struct msg_offsetcommit_resp_topic {
    sl_bytes name;
    msg_offsetcommit_resp_partition *partitions;
    int32_t partitions_count;
} msg_offsetcommit_resp_topic;

typedef struct msg_offsetcommit_resp {
    int32_t throttle_time_ms; /* v3+ */
    msg_offsetcommit_resp_topic *topics;
    int32_t topics_count;
} msg_offsetcommit_resp;

sl_err msg_offsetcommit_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_offsetcommit_req *out);
void msg_offsetcommit_req_encode(kbuf_wr *w, int16_t version, const msg_offsetcommit_req *in);
sl_err msg_offsetcommit_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                    msg_offsetcommit_resp *out);
void msg_offsetcommit_resp_encode(kbuf_wr *w, int16_t version, const msg_offsetcommit_resp *in);

/* --- OffsetFetch (key 9) ----------------------------------------------- */

/* v1-7 ask about one group (group_id, topics); v8 batches groups
 * (groups[]).  The topic and partition shapes are the same in both. */

typedef struct msg_offsetfetch_req_topic {
    sl_bytes name;
    int32_t *partition_indexes;
    int32_t partition_indexes_count;
} msg_offsetfetch_req_topic;

typedef struct msg_offsetfetch_req_group {
    sl_bytes group_id;
    msg_offsetfetch_req_topic *topics; /* nullable: null = all topics */
    int32_t topics_count;
} msg_offsetfetch_req_group;

typedef struct msg_offsetfetch_req {
    sl_bytes group_id; /* v1-7 */
    /* v1-7.  v1: not nullable; v2+: nullable, null = every committed
     * partition of the group. */
    msg_offsetfetch_req_topic *topics;
    int32_t topics_count;
    msg_offsetfetch_req_group *groups; /* v8+ */
    int32_t groups_count;
    bool require_stable; /* v7+ */
} msg_offsetfetch_req;

typedef struct msg_offsetfetch_resp_partition {
    int32_t partition_index;
    int64_t committed_offset;       /* -1: none */
    int32_t committed_leader_epoch; /* v5+, default -1 */
    sl_bytes metadata;              /* nullable */
    int16_t error_code;
} msg_offsetfetch_resp_partition;

typedef struct msg_offsetfetch_resp_topic {
    sl_bytes name;
    msg_offsetfetch_resp_partition *partitions;
    int32_t partitions_count;
} msg_offsetfetch_resp_topic;

typedef struct msg_offsetfetch_resp_group {
    sl_bytes group_id;
    msg_offsetfetch_resp_topic *topics;
    int32_t topics_count;
    int16_t error_code;
} msg_offsetfetch_resp_group;

typedef struct msg_offsetfetch_resp {
    int32_t throttle_time_ms;           /* v3+ */
    msg_offsetfetch_resp_topic *topics; /* v1-7 */
    int32_t topics_count;
    int16_t error_code;                 /* v2-7 */
    msg_offsetfetch_resp_group *groups; /* v8+ */
    int32_t groups_count;
} msg_offsetfetch_resp;

sl_err msg_offsetfetch_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                  msg_offsetfetch_req *out);
void msg_offsetfetch_req_encode(kbuf_wr *w, int16_t version, const msg_offsetfetch_req *in);
sl_err msg_offsetfetch_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_offsetfetch_resp *out);
void msg_offsetfetch_resp_encode(kbuf_wr *w, int16_t version, const msg_offsetfetch_resp *in);

/* --- OffsetDelete (key 47) --------------------------------------------- */

typedef struct msg_offsetdelete_req_partition {
    int32_t partition_index;
} msg_offsetdelete_req_partition;

typedef struct msg_offsetdelete_req_topic {
    sl_bytes name;
    msg_offsetdelete_req_partition *partitions;
    int32_t partitions_count;
} msg_offsetdelete_req_topic;

typedef struct msg_offsetdelete_req {
    sl_bytes group_id;
    msg_offsetdelete_req_topic *topics;
    int32_t topics_count;
} msg_offsetdelete_req;

typedef struct msg_offsetdelete_resp_partition {
    int32_t partition_index;
    int16_t error_code;
} msg_offsetdelete_resp_partition;

typedef struct msg_offsetdelete_resp_topic {
    sl_bytes name;
    msg_offsetdelete_resp_partition *partitions;
    int32_t partitions_count;
} msg_offsetdelete_resp_topic;

typedef struct msg_offsetdelete_resp {
    int16_t error_code; /* before throttle_time_ms, as in the schema */
    int32_t throttle_time_ms;
    msg_offsetdelete_resp_topic *topics;
    int32_t topics_count;
} msg_offsetdelete_resp;

sl_err msg_offsetdelete_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_offsetdelete_req *out);
void msg_offsetdelete_req_encode(kbuf_wr *w, int16_t version, const msg_offsetdelete_req *in);
sl_err msg_offsetdelete_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                    msg_offsetdelete_resp *out);
void msg_offsetdelete_resp_encode(kbuf_wr *w, int16_t version, const msg_offsetdelete_resp *in);

/* --- ListGroups (key 16) ----------------------------------------------- */

typedef struct msg_listgroups_req {
    sl_bytes *states_filter; /* v4+ (KIP-518); empty = every state */
    int32_t states_filter_count;
} msg_listgroups_req;

typedef struct msg_listgroups_resp_group {
    sl_bytes group_id;
    sl_bytes protocol_type;
    sl_bytes group_state; /* v4+ */
} msg_listgroups_resp_group;

typedef struct msg_listgroups_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    msg_listgroups_resp_group *groups;
    int32_t groups_count;
} msg_listgroups_resp;

sl_err msg_listgroups_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                 msg_listgroups_req *out);
void msg_listgroups_req_encode(kbuf_wr *w, int16_t version, const msg_listgroups_req *in);
sl_err msg_listgroups_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                  msg_listgroups_resp *out);
void msg_listgroups_resp_encode(kbuf_wr *w, int16_t version, const msg_listgroups_resp *in);

/* --- DescribeGroups (key 15) ------------------------------------------- */

typedef struct msg_describegroups_req {
    sl_bytes *groups;
    int32_t groups_count;
    bool include_authorized_operations; /* v3+ */
} msg_describegroups_req;

typedef struct msg_describegroups_resp_member {
    sl_bytes member_id;
    sl_bytes group_instance_id; /* v4+, nullable, default null */
    sl_bytes client_id;
    sl_bytes client_host;
    sl_bytes member_metadata;   /* opaque */
    sl_bytes member_assignment; /* opaque */
} msg_describegroups_resp_member;

typedef struct msg_describegroups_resp_group {
    int16_t error_code;
    sl_bytes group_id;
    sl_bytes group_state;
    sl_bytes protocol_type;
    sl_bytes protocol_data; /* the chosen assignor name when Stable */
    msg_describegroups_resp_member *members;
    int32_t members_count;
    int32_t authorized_operations; /* v3+, default INT32_MIN */
} msg_describegroups_resp_group;

typedef struct msg_describegroups_resp {
    int32_t throttle_time_ms; /* v1+ */
    msg_describegroups_resp_group *groups;
    int32_t groups_count;
} msg_describegroups_resp;

sl_err msg_describegroups_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                     msg_describegroups_req *out);
void msg_describegroups_req_encode(kbuf_wr *w, int16_t version, const msg_describegroups_req *in);
sl_err msg_describegroups_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                      msg_describegroups_resp *out);
void msg_describegroups_resp_encode(kbuf_wr *w, int16_t version,
                                    const msg_describegroups_resp *in);

/* --- DeleteGroups (key 42) --------------------------------------------- */

typedef struct msg_deletegroups_req {
    sl_bytes *groups_names;
    int32_t groups_names_count;
} msg_deletegroups_req;

typedef struct msg_deletegroups_resp_result {
    sl_bytes group_id;
    int16_t error_code;
} msg_deletegroups_resp_result;

typedef struct msg_deletegroups_resp {
    int32_t throttle_time_ms; /* every version, v0 included */
    msg_deletegroups_resp_result *results;
    int32_t results_count;
} msg_deletegroups_resp;

sl_err msg_deletegroups_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_deletegroups_req *out);
void msg_deletegroups_req_encode(kbuf_wr *w, int16_t version, const msg_deletegroups_req *in);
sl_err msg_deletegroups_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                    msg_deletegroups_resp *out);
void msg_deletegroups_resp_encode(kbuf_wr *w, int16_t version, const msg_deletegroups_resp *in);

#endif
