/*
 * msg_admin.h - typed bodies and codecs of the admin APIs (topics,
 * partitions, records deletion, configs, cluster description) and of
 * InitProducerId.
 *
 * Same conventions as msg.h, which this header extends: field names are
 * Kafka's schema names in snake_case (Kafka
 * clients/src/main/resources/common/message/<Name>Request.json and
 * <Name>Response.json); a field exists in the versions noted next to it,
 * encoders ignore it elsewhere and decoders then set the schema's default
 * ("default" in the JSON; else 0, false, "" or an empty array).  Arrays are
 * a pointer and an int32 count, -1 = null only where noted "nullable";
 * non-nullable strings and arrays given as null are written empty, and a
 * null on the wire there is malformed.  Decoded arrays live in the arena,
 * strings borrow the reader's buffer.  Return values, trailing bytes and
 * tagged fields as in msg.h (tags are skipped on decode, never written).
 */
#ifndef SL_MSG_ADMIN_H
#define SL_MSG_ADMIN_H

#include "msg.h"

/* Versions this codec implements, and the first flexible one (-1: none). */
#define MSG_CREATETOPICS_VMIN 0
#define MSG_CREATETOPICS_VMAX 7
#define MSG_CREATETOPICS_FLEX 5
#define MSG_DELETETOPICS_VMIN 0
#define MSG_DELETETOPICS_VMAX 6
#define MSG_DELETETOPICS_FLEX 4
#define MSG_DELETERECORDS_VMIN 0
#define MSG_DELETERECORDS_VMAX 2
#define MSG_DELETERECORDS_FLEX 2
#define MSG_INITPRODUCERID_VMIN 0
#define MSG_INITPRODUCERID_VMAX 4
#define MSG_INITPRODUCERID_FLEX 2
#define MSG_DESCRIBECONFIGS_VMIN 0
#define MSG_DESCRIBECONFIGS_VMAX 4
#define MSG_DESCRIBECONFIGS_FLEX 4
#define MSG_ALTERCONFIGS_VMIN 0
#define MSG_ALTERCONFIGS_VMAX 2
#define MSG_ALTERCONFIGS_FLEX 2
#define MSG_CREATEPARTITIONS_VMIN 0
#define MSG_CREATEPARTITIONS_VMAX 3
#define MSG_CREATEPARTITIONS_FLEX 2
#define MSG_INCREMENTALALTERCONFIGS_VMIN 0
#define MSG_INCREMENTALALTERCONFIGS_VMAX 1
#define MSG_INCREMENTALALTERCONFIGS_FLEX 1
#define MSG_DESCRIBECLUSTER_VMIN 0
#define MSG_DESCRIBECLUSTER_VMAX 1
#define MSG_DESCRIBECLUSTER_FLEX 0

/* --- CreateTopics (key 19) --------------------------------------------- */

typedef struct msg_createtopics_req_assignment {
    int32_t partition_index;
    int32_t *broker_ids;
    int32_t broker_ids_count;
} msg_createtopics_req_assignment;

typedef struct msg_createtopics_req_config {
    sl_bytes name;
    sl_bytes value; /* nullable */
} msg_createtopics_req_config;

typedef struct msg_createtopics_req_topic {
    sl_bytes name;
    int32_t num_partitions;     /* -1: broker default or assignments (kafkajs
                                 * sends -1 even in v0-3) */
    int16_t replication_factor; /* likewise */
    msg_createtopics_req_assignment *assignments;
    int32_t assignments_count;
    msg_createtopics_req_config *configs;
    int32_t configs_count;
} msg_createtopics_req_topic;

typedef struct msg_createtopics_req {
    msg_createtopics_req_topic *topics;
    int32_t topics_count;
    int32_t timeout_ms;
    bool validate_only; /* v1+ */
} msg_createtopics_req;

typedef struct msg_createtopics_resp_config {
    sl_bytes name;
    sl_bytes value; /* nullable */
    bool read_only;
    int8_t config_source; /* default -1 */
    bool is_sensitive;
} msg_createtopics_resp_config;

typedef struct msg_createtopics_resp_topic {
    sl_bytes name;
    uint8_t topic_id[16]; /* v7+ */
    int16_t error_code;
    sl_bytes error_message;     /* v1+, nullable, default "" */
    int32_t num_partitions;     /* v5+, default -1 */
    int16_t replication_factor; /* v5+, default -1 */
    msg_createtopics_resp_config *configs; /* v5+, nullable */
    int32_t configs_count;
} msg_createtopics_resp_topic;

typedef struct msg_createtopics_resp {
    int32_t throttle_time_ms; /* v2+ */
    msg_createtopics_resp_topic *topics;
    int32_t topics_count;
} msg_createtopics_resp;

sl_err msg_createtopics_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_createtopics_req *out);
void msg_createtopics_req_encode(kbuf_wr *w, int16_t version, const msg_createtopics_req *in);
sl_err msg_createtopics_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                    msg_createtopics_resp *out);
void msg_createtopics_resp_encode(kbuf_wr *w, int16_t version, const msg_createtopics_resp *in);

/* --- DeleteTopics (key 20) --------------------------------------------- */

/* v0-5 send only names (the schema's topic_names, []string): name is then
 * not nullable and topic_id is not sent (decoded as zero).  v6 sends
 * topics[{name, topic_id}] with the name nullable (lookup by id). */
typedef struct msg_deletetopics_req_topic {
    sl_bytes name;        /* nullable v6+ */
    uint8_t topic_id[16]; /* v6+ */
} msg_deletetopics_req_topic;

typedef struct msg_deletetopics_req {
    msg_deletetopics_req_topic *topics;
    int32_t topics_count;
    int32_t timeout_ms;
} msg_deletetopics_req;

typedef struct msg_deletetopics_resp_response {
    sl_bytes name;        /* nullable v6+ */
    uint8_t topic_id[16]; /* v6+ */
    int16_t error_code;
    sl_bytes error_message; /* v5+, nullable, default null */
} msg_deletetopics_resp_response;

typedef struct msg_deletetopics_resp {
    int32_t throttle_time_ms; /* v1+ */
    msg_deletetopics_resp_response *responses;
    int32_t responses_count;
} msg_deletetopics_resp;

sl_err msg_deletetopics_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_deletetopics_req *out);
void msg_deletetopics_req_encode(kbuf_wr *w, int16_t version, const msg_deletetopics_req *in);
sl_err msg_deletetopics_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                    msg_deletetopics_resp *out);
void msg_deletetopics_resp_encode(kbuf_wr *w, int16_t version, const msg_deletetopics_resp *in);

/* --- DeleteRecords (key 21) -------------------------------------------- */

typedef struct msg_deleterecords_req_partition {
    int32_t partition_index;
    int64_t offset; /* -1: up to the high watermark */
} msg_deleterecords_req_partition;

typedef struct msg_deleterecords_req_topic {
    sl_bytes name;
    msg_deleterecords_req_partition *partitions;
    int32_t partitions_count;
} msg_deleterecords_req_topic;

typedef struct msg_deleterecords_req {
    msg_deleterecords_req_topic *topics;
    int32_t topics_count;
    int32_t timeout_ms;
} msg_deleterecords_req;

typedef struct msg_deleterecords_resp_partition {
    int32_t partition_index;
    int64_t low_watermark;
    int16_t error_code;
} msg_deleterecords_resp_partition;

typedef struct msg_deleterecords_resp_topic {
    sl_bytes name;
    msg_deleterecords_resp_partition *partitions;
    int32_t partitions_count;
} msg_deleterecords_resp_topic;

typedef struct msg_deleterecords_resp {
    int32_t throttle_time_ms;
    msg_deleterecords_resp_topic *topics;
    int32_t topics_count;
} msg_deleterecords_resp;

sl_err msg_deleterecords_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                    msg_deleterecords_req *out);
void msg_deleterecords_req_encode(kbuf_wr *w, int16_t version, const msg_deleterecords_req *in);
sl_err msg_deleterecords_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                     msg_deleterecords_resp *out);
void msg_deleterecords_resp_encode(kbuf_wr *w, int16_t version,
                                   const msg_deleterecords_resp *in);

/* --- InitProducerId (key 22) ------------------------------------------- */

typedef struct msg_initproducerid_req {
    sl_bytes transactional_id; /* nullable: null = idempotent only */
    int32_t transaction_timeout_ms;
    int64_t producer_id;   /* v3+, default -1 */
    int16_t producer_epoch; /* v3+, default -1 */
} msg_initproducerid_req;

typedef struct msg_initproducerid_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id;
    int16_t producer_epoch;
} msg_initproducerid_resp;

sl_err msg_initproducerid_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                     msg_initproducerid_req *out);
void msg_initproducerid_req_encode(kbuf_wr *w, int16_t version, const msg_initproducerid_req *in);
sl_err msg_initproducerid_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                      msg_initproducerid_resp *out);
void msg_initproducerid_resp_encode(kbuf_wr *w, int16_t version,
                                    const msg_initproducerid_resp *in);

/* --- DescribeConfigs (key 32) ------------------------------------------ */

typedef struct msg_describeconfigs_req_resource {
    int8_t resource_type; /* 2 topic, 4 broker, 8 broker logger */
    sl_bytes resource_name;
    sl_bytes *configuration_keys; /* nullable: null = all keys */
    int32_t configuration_keys_count;
} msg_describeconfigs_req_resource;

typedef struct msg_describeconfigs_req {
    msg_describeconfigs_req_resource *resources;
    int32_t resources_count;
    bool include_synonyms;      /* v1+ */
    bool include_documentation; /* v3+ */
} msg_describeconfigs_req;

typedef struct msg_describeconfigs_resp_synonym {
    sl_bytes name;
    sl_bytes value; /* nullable */
    int8_t source;
} msg_describeconfigs_resp_synonym;

/* v0 says is_default, v1+ config_source instead; the schema gives the
 * absent one its default (false / -1), nothing derives one from the other:
 * a handler answering every version sets both. */
typedef struct msg_describeconfigs_resp_config {
    sl_bytes name;
    sl_bytes value; /* nullable */
    bool read_only;
    bool is_default;      /* v0 */
    int8_t config_source; /* v1+, default -1 */
    bool is_sensitive;
    msg_describeconfigs_resp_synonym *synonyms; /* v1+ */
    int32_t synonyms_count;
    int8_t config_type;     /* v3+ */
    sl_bytes documentation; /* v3+, nullable, default "" */
} msg_describeconfigs_resp_config;

typedef struct msg_describeconfigs_resp_result {
    int16_t error_code;
    sl_bytes error_message; /* nullable */
    int8_t resource_type;
    sl_bytes resource_name;
    msg_describeconfigs_resp_config *configs;
    int32_t configs_count;
} msg_describeconfigs_resp_result;

typedef struct msg_describeconfigs_resp {
    int32_t throttle_time_ms;
    msg_describeconfigs_resp_result *results;
    int32_t results_count;
} msg_describeconfigs_resp;

sl_err msg_describeconfigs_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                      msg_describeconfigs_req *out);
void msg_describeconfigs_req_encode(kbuf_wr *w, int16_t version,
                                    const msg_describeconfigs_req *in);
sl_err msg_describeconfigs_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                       msg_describeconfigs_resp *out);
void msg_describeconfigs_resp_encode(kbuf_wr *w, int16_t version,
                                     const msg_describeconfigs_resp *in);

/* --- AlterConfigs (key 33) --------------------------------------------- */

typedef struct msg_alterconfigs_req_config {
    sl_bytes name;
    sl_bytes value; /* nullable */
} msg_alterconfigs_req_config;

typedef struct msg_alterconfigs_req_resource {
    int8_t resource_type;
    sl_bytes resource_name;
    msg_alterconfigs_req_config *configs;
    int32_t configs_count;
} msg_alterconfigs_req_resource;

typedef struct msg_alterconfigs_req {
    msg_alterconfigs_req_resource *resources;
    int32_t resources_count;
    bool validate_only;
} msg_alterconfigs_req;

/* Kafka's AlterConfigsResourceResponse, shared with IncrementalAlterConfigs. */
typedef struct msg_alterconfigs_resp_response {
    int16_t error_code;
    sl_bytes error_message; /* nullable */
    int8_t resource_type;
    sl_bytes resource_name;
} msg_alterconfigs_resp_response;

typedef struct msg_alterconfigs_resp {
    int32_t throttle_time_ms;
    msg_alterconfigs_resp_response *responses;
    int32_t responses_count;
} msg_alterconfigs_resp;

sl_err msg_alterconfigs_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                   msg_alterconfigs_req *out);
void msg_alterconfigs_req_encode(kbuf_wr *w, int16_t version, const msg_alterconfigs_req *in);
sl_err msg_alterconfigs_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                    msg_alterconfigs_resp *out);
void msg_alterconfigs_resp_encode(kbuf_wr *w, int16_t version, const msg_alterconfigs_resp *in);

/* --- CreatePartitions (key 37) ----------------------------------------- */

typedef struct msg_createpartitions_req_assignment {
    int32_t *broker_ids;
    int32_t broker_ids_count;
} msg_createpartitions_req_assignment;

typedef struct msg_createpartitions_req_topic {
    sl_bytes name;
    int32_t count; /* the new partition count */
    msg_createpartitions_req_assignment *assignments; /* nullable */
    int32_t assignments_count;
} msg_createpartitions_req_topic;

typedef struct msg_createpartitions_req {
    msg_createpartitions_req_topic *topics;
    int32_t topics_count;
    int32_t timeout_ms;
    bool validate_only;
} msg_createpartitions_req;

typedef struct msg_createpartitions_resp_result {
    sl_bytes name;
    int16_t error_code;
    sl_bytes error_message; /* nullable */
} msg_createpartitions_resp_result;

typedef struct msg_createpartitions_resp {
    int32_t throttle_time_ms;
    msg_createpartitions_resp_result *results;
    int32_t results_count;
} msg_createpartitions_resp;

sl_err msg_createpartitions_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                       msg_createpartitions_req *out);
void msg_createpartitions_req_encode(kbuf_wr *w, int16_t version,
                                     const msg_createpartitions_req *in);
sl_err msg_createpartitions_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                        msg_createpartitions_resp *out);
void msg_createpartitions_resp_encode(kbuf_wr *w, int16_t version,
                                      const msg_createpartitions_resp *in);

/* --- IncrementalAlterConfigs (key 44) ---------------------------------- */

typedef struct msg_incrementalalterconfigs_req_config {
    sl_bytes name;
    int8_t config_operation; /* 0 set, 1 delete, 2 append, 3 subtract */
    sl_bytes value;          /* nullable */
} msg_incrementalalterconfigs_req_config;

typedef struct msg_incrementalalterconfigs_req_resource {
    int8_t resource_type;
    sl_bytes resource_name;
    msg_incrementalalterconfigs_req_config *configs;
    int32_t configs_count;
} msg_incrementalalterconfigs_req_resource;

typedef struct msg_incrementalalterconfigs_req {
    msg_incrementalalterconfigs_req_resource *resources;
    int32_t resources_count;
    bool validate_only;
} msg_incrementalalterconfigs_req;

typedef struct msg_incrementalalterconfigs_resp {
    int32_t throttle_time_ms;
    msg_alterconfigs_resp_response *responses;
    int32_t responses_count;
} msg_incrementalalterconfigs_resp;

sl_err msg_incrementalalterconfigs_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                              msg_incrementalalterconfigs_req *out);
void msg_incrementalalterconfigs_req_encode(kbuf_wr *w, int16_t version,
                                            const msg_incrementalalterconfigs_req *in);
sl_err msg_incrementalalterconfigs_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                               msg_incrementalalterconfigs_resp *out);
void msg_incrementalalterconfigs_resp_encode(kbuf_wr *w, int16_t version,
                                             const msg_incrementalalterconfigs_resp *in);

/* --- DescribeCluster (key 60) ------------------------------------------ */

/* KIP-919 endpoint types (v1+). */
#define MSG_DESCRIBECLUSTER_ENDPOINT_BROKERS 1
#define MSG_DESCRIBECLUSTER_ENDPOINT_CONTROLLERS 2

typedef struct msg_describecluster_req {
    bool include_cluster_authorized_operations;
    int8_t endpoint_type; /* v1+, default 1 (brokers) */
} msg_describecluster_req;

typedef struct msg_describecluster_resp_broker {
    int32_t broker_id;
    sl_bytes host;
    int32_t port;
    sl_bytes rack; /* nullable, default null */
} msg_describecluster_resp_broker;

typedef struct msg_describecluster_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    sl_bytes error_message; /* nullable, default null */
    int8_t endpoint_type;   /* v1+, default 1 */
    sl_bytes cluster_id;
    int32_t controller_id; /* default -1 */
    msg_describecluster_resp_broker *brokers;
    int32_t brokers_count;
    int32_t cluster_authorized_operations; /* default INT32_MIN */
} msg_describecluster_resp;

sl_err msg_describecluster_req_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                      msg_describecluster_req *out);
void msg_describecluster_req_encode(kbuf_wr *w, int16_t version,
                                    const msg_describecluster_req *in);
sl_err msg_describecluster_resp_decode(kbuf_rd *r, int16_t version, sl_arena *a,
                                       msg_describecluster_resp *out);
void msg_describecluster_resp_encode(kbuf_wr *w, int16_t version,
                                     const msg_describecluster_resp *in);

#endif
