/*
 * msg.h - typed request and response bodies of the Kafka APIs sluice
 * speaks, with version-aware encoders and decoders for both directions (the
 * broker decodes requests and encodes responses; the C client does the
 * reverse with the same code).
 *
 * Bodies only: the request and response headers are header.h's.
 *
 * Field names are Kafka's schema names in snake_case (Kafka
 * clients/src/main/resources/common/message/<Name>Request.json and
 * <Name>Response.json).  A field exists in the versions noted next to it;
 * an encoder ignores fields its version lacks, and a decoder sets them to
 * the schema's default (e.g. -1 for leader epochs), so handlers need not
 * test versions to read them.
 *
 * Arrays are a pointer and an int32 count.  A count of -1 means null, and
 * only where the schema allows a null array (noted "nullable"); elsewhere
 * an encoder writes -1 as an empty array and a decoder refuses a null.
 * Likewise strings: a null sl_bytes in a non-nullable string is written as
 * "", and a null on the wire there is malformed.
 *
 * Ownership of decoded messages: arrays are allocated from the arena passed
 * in (freed with it); strings, bytes and records are sl_bytes borrowed from
 * the reader's buffer.  Both stay valid until the first of the two is
 * released.
 *
 * Decoders return SL_OK, SL_E_MALFORMED (short input, a bad length or
 * count, a null where none is allowed), SL_E_NOMEM (the arena is at its
 * limit) or SL_KE_UNSUPPORTED_VERSION (a version outside the range below:
 * the dispatcher should have refused it); on error *out is partly filled
 * and must not be used.  Array counts are checked against the bytes left
 * before anything is allocated.  Bytes after the body are ignored.
 * Encoders append to the writer; a version outside the range sets w->err
 * to SL_E_INVAL and writes nothing.
 *
 * Flexible versions (KIP-482): decoders skip every tagged-field section
 * (no tag we implement is sent by the clients we serve); encoders write
 * empty sections only, since librdkafka 2.0.2 misparses non-empty ones.
 */
#ifndef SL_MSG_H
#define SL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/bytes.h"
#include "../base/err.h"
#include "kbuf.h"

/* Versions this codec implements, and the first flexible one (-1: none). */
#define MSG_APIVERSIONS_VMIN 0
#define MSG_APIVERSIONS_VMAX 3
#define MSG_APIVERSIONS_FLEX 3
#define MSG_METADATA_VMIN 0
#define MSG_METADATA_VMAX 12
#define MSG_METADATA_FLEX 9
#define MSG_PRODUCE_VMIN 0
#define MSG_PRODUCE_VMAX 7
#define MSG_PRODUCE_FLEX (-1)
#define MSG_FETCH_VMIN 4
#define MSG_FETCH_VMAX 13
#define MSG_FETCH_FLEX 12
#define MSG_LISTOFFSETS_VMIN 1
#define MSG_LISTOFFSETS_VMAX 5
#define MSG_LISTOFFSETS_FLEX (-1)

/* Kafka's "no authorized operations were asked for" (schema default). */
#define MSG_AUTHORIZED_OPERATIONS_NONE INT32_MIN

/* --- ApiVersions (key 18) ---------------------------------------------- */

typedef struct msg_apiversions_req {
    sl_bytes client_software_name;    /* v3+ */
    sl_bytes client_software_version; /* v3+ */
} msg_apiversions_req;

typedef struct msg_apiversions_resp_key {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
} msg_apiversions_resp_key;

typedef struct msg_apiversions_resp {
    int16_t error_code;
    msg_apiversions_resp_key *api_keys;
    int32_t api_keys_count;
    int32_t throttle_time_ms; /* v1+ */
} msg_apiversions_resp;

sl_err msg_apiversions_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                  msg_apiversions_req *out);
void msg_apiversions_req_encode(kbuf_wr *w, int16_t version, const msg_apiversions_req *in);
sl_err msg_apiversions_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_apiversions_resp *out);
void msg_apiversions_resp_encode(kbuf_wr *w, int16_t version, const msg_apiversions_resp *in);

/* --- Metadata (key 3) -------------------------------------------------- */

typedef struct msg_metadata_req_topic {
    uint8_t topic_id[16]; /* v10+ */
    sl_bytes name;        /* nullable v10+ */
} msg_metadata_req_topic;

typedef struct msg_metadata_req {
    /* v0: not nullable, empty = all topics (a null is written as empty).
     * v1+: nullable, null = all topics, empty = none. */
    msg_metadata_req_topic *topics;
    int32_t topics_count;
    bool allow_auto_topic_creation;             /* v4+, default true */
    bool include_cluster_authorized_operations; /* v8-10 */
    bool include_topic_authorized_operations;   /* v8+ */
} msg_metadata_req;

typedef struct msg_metadata_resp_broker {
    int32_t node_id;
    sl_bytes host;
    int32_t port;
    sl_bytes rack; /* v1+, nullable */
} msg_metadata_resp_broker;

typedef struct msg_metadata_resp_partition {
    int16_t error_code;
    int32_t partition_index;
    int32_t leader_id;
    int32_t leader_epoch; /* v7+, default -1 */
    int32_t *replica_nodes;
    int32_t replica_nodes_count;
    int32_t *isr_nodes;
    int32_t isr_nodes_count;
    int32_t *offline_replicas; /* v5+ */
    int32_t offline_replicas_count;
} msg_metadata_resp_partition;

typedef struct msg_metadata_resp_topic {
    int16_t error_code;
    sl_bytes name;        /* nullable v12+ */
    uint8_t topic_id[16]; /* v10+ */
    bool is_internal;     /* v1+ */
    msg_metadata_resp_partition *partitions;
    int32_t partitions_count;
    int32_t topic_authorized_operations; /* v8+, default INT32_MIN */
} msg_metadata_resp_topic;

typedef struct msg_metadata_resp {
    int32_t throttle_time_ms; /* v3+ */
    msg_metadata_resp_broker *brokers;
    int32_t brokers_count;
    sl_bytes cluster_id;   /* v2+, nullable */
    int32_t controller_id; /* v1+, default -1 */
    msg_metadata_resp_topic *topics;
    int32_t topics_count;
    int32_t cluster_authorized_operations; /* v8-10, default INT32_MIN */
} msg_metadata_resp;

sl_err msg_metadata_req_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_metadata_req *out);
void msg_metadata_req_encode(kbuf_wr *w, int16_t version, const msg_metadata_req *in);
sl_err msg_metadata_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_metadata_resp *out);
void msg_metadata_resp_encode(kbuf_wr *w, int16_t version, const msg_metadata_resp *in);

/* --- Produce (key 0) --------------------------------------------------- */

typedef struct msg_produce_req_partition {
    int32_t index;
    sl_bytes records; /* nullable; borrowed, the broker may rewrite it in
                       * place (base offsets) while it owns the frame */
} msg_produce_req_partition;

typedef struct msg_produce_req_topic {
    sl_bytes name;
    msg_produce_req_partition *partition_data;
    int32_t partition_data_count;
} msg_produce_req_topic;

typedef struct msg_produce_req {
    sl_bytes transactional_id; /* v3+, nullable, default null */
    int16_t acks;
    int32_t timeout_ms;
    msg_produce_req_topic *topic_data;
    int32_t topic_data_count;
} msg_produce_req;

typedef struct msg_produce_resp_partition {
    int32_t index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms; /* v2+, default -1 */
    int64_t log_start_offset;   /* v5+, default -1 */
} msg_produce_resp_partition;

typedef struct msg_produce_resp_topic {
    sl_bytes name;
    msg_produce_resp_partition *partition_responses;
    int32_t partition_responses_count;
} msg_produce_resp_topic;

typedef struct msg_produce_resp {
    msg_produce_resp_topic *responses;
    int32_t responses_count;
    int32_t throttle_time_ms; /* v1+ */
} msg_produce_resp;

sl_err msg_produce_req_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_produce_req *out);
void msg_produce_req_encode(kbuf_wr *w, int16_t version, const msg_produce_req *in);
sl_err msg_produce_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_produce_resp *out);
void msg_produce_resp_encode(kbuf_wr *w, int16_t version, const msg_produce_resp *in);

/* --- Fetch (key 1) ----------------------------------------------------- */

typedef struct msg_fetch_req_partition {
    int32_t partition;
    int32_t current_leader_epoch; /* v9+, default -1 */
    int64_t fetch_offset;
    int32_t last_fetched_epoch; /* v12+, default -1 */
    int64_t log_start_offset;   /* v5+, default -1 */
    int32_t partition_max_bytes;
} msg_fetch_req_partition;

typedef struct msg_fetch_req_topic {
    sl_bytes topic;       /* v0-12 */
    uint8_t topic_id[16]; /* v13+ */
    msg_fetch_req_partition *partitions;
    int32_t partitions_count;
} msg_fetch_req_topic;

typedef struct msg_fetch_req_forgotten_topic {
    sl_bytes topic;       /* v7-12 */
    uint8_t topic_id[16]; /* v13+ */
    int32_t *partitions;
    int32_t partitions_count;
} msg_fetch_req_forgotten_topic;

typedef struct msg_fetch_req {
    int32_t replica_id;
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;       /* v3+, default INT32_MAX */
    int8_t isolation_level;  /* v4+ */
    int32_t session_id;      /* v7+, default 0 */
    int32_t session_epoch;   /* v7+, default -1 */
    msg_fetch_req_topic *topics;
    int32_t topics_count;
    msg_fetch_req_forgotten_topic *forgotten_topics_data; /* v7+ */
    int32_t forgotten_topics_data_count;
    sl_bytes rack_id; /* v11+, default "" */
} msg_fetch_req;

typedef struct msg_fetch_resp_aborted_transaction {
    int64_t producer_id;
    int64_t first_offset;
} msg_fetch_resp_aborted_transaction;

/* records_external_len: -1 (MSG_FETCH_RECORDS_INLINE) writes `records`
 * inline (a null is written as empty: librdkafka 2.0.2 fails to parse a
 * null record set).  >= 0 writes only the length prefix for that many
 * bytes and hands their place in the output to the encoder's splice
 * callback: the caller sends them from elsewhere (sendfile).  Above
 * INT32_MAX the encoder sets w->err to SL_E_RANGE.  Decoders set -1.
 * Mind that a zeroed partition means "0 external bytes". */
#define MSG_FETCH_RECORDS_INLINE (-1)

typedef struct msg_fetch_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    int64_t high_watermark;
    int64_t last_stable_offset; /* v4+, default -1 */
    int64_t log_start_offset;   /* v5+, default -1 */
    msg_fetch_resp_aborted_transaction *aborted_transactions; /* v4+, nullable */
    int32_t aborted_transactions_count;
    int32_t preferred_read_replica; /* v11+, default -1 */
    sl_bytes records;
    int64_t records_external_len;
} msg_fetch_resp_partition;

typedef struct msg_fetch_resp_topic {
    sl_bytes topic;       /* v0-12 */
    uint8_t topic_id[16]; /* v13+ */
    msg_fetch_resp_partition *partitions;
    int32_t partitions_count;
} msg_fetch_resp_topic;

typedef struct msg_fetch_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;       /* v7+ */
    int32_t session_id;       /* v7+ */
    msg_fetch_resp_topic *responses;
    int32_t responses_count;
} msg_fetch_resp;

/*
 * Called once per partition whose records_external_len >= 0, in output
 * order, right after its length prefix is written: out_offset is w->len at
 * that point, i.e. the external bytes belong between w->p[out_offset - 1]
 * and w->p[out_offset] on the wire.  Offsets count only the bytes in the
 * writer, so they never include earlier external bytes.
 */
typedef void (*msg_fetch_splice_fn)(void *ctx, size_t out_offset,
                                    const msg_fetch_resp_partition *p);

sl_err msg_fetch_req_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_fetch_req *out);
void msg_fetch_req_encode(kbuf_wr *w, int16_t version, const msg_fetch_req *in);
sl_err msg_fetch_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a, msg_fetch_resp *out);
/* With fn NULL every partition is written inline, whatever its
 * records_external_len. */
void msg_fetch_resp_encode(kbuf_wr *w, int16_t version, const msg_fetch_resp *in,
                           msg_fetch_splice_fn fn, void *ctx);

/* --- ListOffsets (key 2) ----------------------------------------------- */

typedef struct msg_listoffsets_req_partition {
    int32_t partition_index;
    int32_t current_leader_epoch; /* v4+, default -1 */
    int64_t timestamp;            /* -1 latest, -2 earliest */
} msg_listoffsets_req_partition;

typedef struct msg_listoffsets_req_topic {
    sl_bytes name;
    msg_listoffsets_req_partition *partitions;
    int32_t partitions_count;
} msg_listoffsets_req_topic;

typedef struct msg_listoffsets_req {
    int32_t replica_id;
    int8_t isolation_level; /* v2+ */
    msg_listoffsets_req_topic *topics;
    int32_t topics_count;
} msg_listoffsets_req;

typedef struct msg_listoffsets_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    int64_t timestamp;
    int64_t offset;
    int32_t leader_epoch; /* v4+, default -1 */
} msg_listoffsets_resp_partition;

typedef struct msg_listoffsets_resp_topic {
    sl_bytes name;
    msg_listoffsets_resp_partition *partitions;
    int32_t partitions_count;
} msg_listoffsets_resp_topic;

typedef struct msg_listoffsets_resp {
    int32_t throttle_time_ms; /* v2+ */
    msg_listoffsets_resp_topic *topics;
    int32_t topics_count;
} msg_listoffsets_resp;

sl_err msg_listoffsets_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                  msg_listoffsets_req *out);
void msg_listoffsets_req_encode(kbuf_wr *w, int16_t version, const msg_listoffsets_req *in);
sl_err msg_listoffsets_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_listoffsets_resp *out);
void msg_listoffsets_resp_encode(kbuf_wr *w, int16_t version, const msg_listoffsets_resp *in);

#endif
