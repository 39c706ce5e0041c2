/*
 * sluice.h - the C client library of sluice (prefix slc_).
 *
 * A small, synchronous Kafka client: blocking sockets driven by poll() with
 * deadlines, one thread, no background work.  Nothing happens unless the
 * caller calls in (slc_producer_poll, slc_consumer_poll, slc_group_poll),
 * which suits command-line tools such as sluice-batch.  It speaks only the
 * standard protocol, through protocol/'s codecs, so it works against any
 * Kafka-compatible broker as well as sluiced.
 *
 * Handles are opaque and come in _new/_free pairs; _free(NULL) is a no-op.
 * A handle is used by one thread at a time.  Errors are sl_err (base/err.h;
 * the installed sluice.h carries the enum itself): positive values are the
 * broker's Kafka codes, local ones are <= -1000; slc_err_str() says them.
 * The client keeps a text for the last failure (slc_client_errstr).  A
 * deadline that passes is SL_KE_REQUEST_TIMED_OUT, a connection that cannot
 * be made or breaks is SL_E_IO.
 *
 * Layers: slc_client (bootstrap, ApiVersions, Metadata, connections with
 * reconnect backoff) under slc_producer, slc_consumer and slc_group.  The
 * producer, consumer and group borrow the client: free them before it.
 */
#ifndef SLC_SLUICE_H
#define SLC_SLUICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/bytes.h"
#include "../base/err.h"
#include "../protocol/records.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- errors -------------------------------------------------------------- */

/* The enum's own name ("SL_KE_REQUEST_TIMED_OUT"), and a short text. */
const char *slc_err_name(sl_err e);
const char *slc_err_str(sl_err e);

/* --- client -------------------------------------------------------------- */

typedef struct slc_client slc_client;

typedef struct slc_conf {
    const char *bootstrap;       /* "host:port[,host:port...]" (copied) */
    const char *client_id;       /* default "sluice-client" (copied) */
    int connect_timeout_ms;      /* default 10000 */
    int request_timeout_ms;      /* default 30000: a response later is a failure */
    int reconnect_backoff_ms;    /* default 100, doubling per failure ... */
    int reconnect_backoff_max_ms;/* ... up to this, default 5000 */
    int metadata_max_age_ms;     /* default 60000 */
    bool allow_auto_create;      /* Metadata may create missing topics (default true) */
} slc_conf;

/* Fill *c with the defaults above (bootstrap NULL). */
void slc_conf_init(slc_conf *c);

/* Owned: slc_client_free().  Connects lazily: NULL only for a bad config
 * (errstr says why). */
slc_client *slc_client_new(const slc_conf *conf, char *errstr, size_t errstr_size);
void slc_client_free(slc_client *c);
/* Detail of the last failure on this client; valid until the next call. */
const char *slc_client_errstr(const slc_client *c);

/* Reach a bootstrap broker and negotiate ApiVersions. */
sl_err slc_client_connect(slc_client *c);
/* Partition count of a topic from a fresh Metadata request (auto-created
 * when allowed); SL_KE_UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
sl_err slc_topic_partitions(slc_client *c, const char *topic, int32_t *count);
/* Create a topic (CreateTopics, if the broker serves it; else a Metadata
 * request with auto-creation).  SL_KE_TOPIC_ALREADY_EXISTS is not returned:
 * an existing topic is SL_OK and *count says how many partitions it has. */
sl_err slc_topic_create(slc_client *c, const char *topic, int32_t partitions, int32_t *count);
/* The highest version of api_key both sides speak within [vmin, vmax] on
 * some broker, or -1. */
int16_t slc_client_api_version(slc_client *c, int16_t api_key, int16_t vmin, int16_t vmax);

/* ListOffsets for n distinct partitions of one topic: ts[i] is a timestamp
 * (ms), SLC_OFFSET_LATEST or SLC_OFFSET_EARLIEST; offsets[i] gets the
 * first offset whose timestamp is >= ts[i] (-1 if none), and found_ts[i]
 * (may be NULL) that record's timestamp. */
#define SLC_OFFSET_LATEST (-1)
#define SLC_OFFSET_EARLIEST (-2)
sl_err slc_list_offsets(slc_client *c, const char *topic, int32_t n, const int32_t *partitions,
                        const int64_t *ts, int64_t *offsets, int64_t *found_ts);

/* Kafka's default partitioner for a keyed record: murmur2(key) & 0x7fffffff
 * modulo the partition count (Java and librdkafka "murmur2_random"). */
int32_t slc_partition_for_key(sl_bytes key, int32_t partitions);

/* --- compression ---------------------------------------------------------- */

/* RecordBatch attribute codec ids. */
typedef enum slc_codec {
    SLC_CODEC_NONE = 0,
    SLC_CODEC_GZIP = 1,
    SLC_CODEC_SNAPPY = 2,
    SLC_CODEC_LZ4 = 3,
    SLC_CODEC_ZSTD = 4
} slc_codec;

/* "none", "gzip", "snappy", "lz4", "zstd" <-> id; -1 if unknown. */
int slc_codec_parse(const char *name);
const char *slc_codec_name(int codec);

/* --- producer ------------------------------------------------------------ */

typedef struct slc_producer slc_producer;

/* One record's delivery result, passed to the delivery callback. */
typedef struct slc_delivery {
    sl_err err;            /* SL_OK: written with the acks asked */
    const char *topic;
    int32_t partition;
    int64_t offset;        /* -1 when unknown (acks=0, a duplicate) */
    int64_t timestamp;     /* as stored: CreateTime or the LogAppendTime */
    void *opaque;          /* the record's opaque from slc_produce */
} slc_delivery;

typedef void (*slc_delivery_fn)(void *ctx, const slc_delivery *d);
/* Called when the producer got a producer id, before it sends any batch
 * carrying it: a caller that identifies its own records by producer id
 * (sluice-batch load) records it durably here.  Non-zero aborts. */
typedef int (*slc_pid_fn)(void *ctx, int64_t producer_id, int16_t epoch);

typedef struct slc_producer_conf {
    int acks;               /* 0, 1 or -1 (all); default -1 */
    bool idempotent;        /* default true (needs acks=-1) */
    int compression;        /* slc_codec, default SLC_CODEC_NONE */
    int compression_level;  /* codec's own scale; 0 = the codec default */
    size_t batch_bytes;     /* close a partition's batch past this; 1 MiB */
    int linger_ms;          /* send a batch at most this long after its first record; 5 */
    size_t buffer_bytes;    /* records not yet acknowledged, at most; 64 MiB */
    int max_in_flight;      /* requests per connection (<= 5 when idempotent); 5 */
    int delivery_timeout_ms;/* give up on a record after this; default 120000 */
    slc_delivery_fn on_delivery;
    slc_pid_fn on_pid;
    void *ctx;              /* passed to both callbacks */
} slc_producer_conf;

void slc_producer_conf_init(slc_producer_conf *pc);
/* Owned: slc_producer_free() (which drops what was not delivered, reporting
 * each record as failed with SL_E_IO). */
slc_producer *slc_producer_new(slc_client *c, const slc_producer_conf *pc);
void slc_producer_free(slc_producer *p);

#define SLC_PARTITION_ANY (-1)
/*
 * Queue one record.  The key, value and headers are copied.  partition
 * SLC_PARTITION_ANY picks slc_partition_for_key() for a keyed record and
 * round-robin otherwise.  timestamp < 0 means now.  opaque comes back in
 * the delivery report.
 * SL_E_AGAIN: the buffer is full (backpressure): call slc_producer_poll()
 * and try again.  SL_E_FATAL: the producer failed earlier
 * (slc_producer_error() says why) and takes nothing more.
 */
sl_err slc_produce(slc_producer *p, const char *topic, int32_t partition, sl_bytes key,
                   sl_bytes value, const rec_header *headers, int32_t nheaders,
                   int64_t timestamp, void *opaque);
/* Send what is due, wait up to timeout_ms for responses, run the delivery
 * callbacks.  Returns the first failure of the producer (sticky) or SL_OK. */
sl_err slc_producer_poll(slc_producer *p, int timeout_ms);
/* Send everything queued and wait until all is delivered (or failed), at
 * most timeout_ms (< 0: no limit). */
sl_err slc_producer_flush(slc_producer *p, int timeout_ms);
/* Records queued or in flight. */
size_t slc_producer_pending(const slc_producer *p);
sl_err slc_producer_error(const slc_producer *p);

/* --- consumer ------------------------------------------------------------ */

typedef struct slc_consumer slc_consumer;

typedef struct slc_consumer_conf {
    int fetch_max_wait_ms;      /* default 500 */
    int32_t fetch_min_bytes;    /* default 1 */
    int32_t fetch_max_bytes;    /* per request, default 52428800 */
    int32_t partition_max_bytes;/* default 1048576 */
    bool check_crcs;            /* default true */
    int offset_reset;           /* SLC_OFFSET_EARLIEST (default) or _LATEST,
                                 * or 0: report OFFSET_OUT_OF_RANGE */
} slc_consumer_conf;

void slc_consumer_conf_init(slc_consumer_conf *cc);

/* One consumed record (or an error of one partition), valid until the
 * next slc_consumer_poll() or slc_consumer_free(). */
typedef struct slc_message {
    sl_err err;            /* SL_OK, or a partition error: the rest is unset
                            * except topic and partition */
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    bool log_append_time;  /* timestamp type: LogAppendTime, else CreateTime */
    sl_bytes key, value;   /* null kept apart from empty */
    const rec_header *headers;
    int32_t header_count;
    int64_t producer_id;   /* of the batch; -1 if none */
} slc_message;

slc_consumer *slc_consumer_new(slc_client *c, const slc_consumer_conf *cc);
void slc_consumer_free(slc_consumer *k);
/* Replace the assignment by these partitions of one topic, each at offset
 * offsets[i] (>= 0, or SLC_OFFSET_EARLIEST / SLC_OFFSET_LATEST, resolved
 * with ListOffsets).  offsets may be NULL: every partition from earliest. */
sl_err slc_consumer_assign(slc_consumer *k, const char *topic, int32_t n,
                           const int32_t *partitions, const int64_t *offsets);
/* Move one assigned partition (same values as in assign). */
sl_err slc_consumer_seek(slc_consumer *k, int32_t partition, int64_t offset);
/* The next offset to be returned for a partition, or -1 if not assigned. */
int64_t slc_consumer_position(const slc_consumer *k, int32_t partition);
/* Pause or resume fetching one partition (export stops at a window end). */
void slc_consumer_pause(slc_consumer *k, int32_t partition, bool paused);
/* The high watermark seen in the last fetch of a partition (-1 if none). */
int64_t slc_consumer_high_watermark(const slc_consumer *k, int32_t partition);
/*
 * Next record: SL_OK and *m set; SL_KE_REQUEST_TIMED_OUT if nothing came
 * within timeout_ms; another error if fetching failed for good.  A
 * partition error that the caller should see (OFFSET_OUT_OF_RANGE with
 * offset_reset 0, a corrupt batch) comes back as SL_OK with m->err set.
 */
sl_err slc_consumer_poll(slc_consumer *k, int timeout_ms, const slc_message **m);

/* --- consumer groups (classic protocol) ----------------------------------- */

typedef struct slc_group slc_group;

typedef struct slc_group_conf {
    int session_timeout_ms;     /* default 10000 */
    int rebalance_timeout_ms;   /* default 30000 */
    int heartbeat_interval_ms;  /* default 3000 */
    /* Assignors offered, in preference order: "range", "roundrobin", or
     * "sluice-exclusive" (everything to the member whose user_data sorts
     * first: sluice-batch export's lock).  Default { "range", "roundrobin" }. */
    const char *assignors[3];
    int assignors_count;
    sl_bytes user_data;         /* sent in the subscription (copied) */
} slc_group_conf;

void slc_group_conf_init(slc_group_conf *gc);

/* Owned: slc_group_free() (which leaves the group if joined). */
slc_group *slc_group_new(slc_client *c, const char *group_id, const char *topic,
                         const slc_group_conf *gc);
void slc_group_free(slc_group *g);
/* FindCoordinator, JoinGroup (with MEMBER_ID_REQUIRED), SyncGroup; the
 * leader computes the assignment.  Blocks up to timeout_ms. */
sl_err slc_group_join(slc_group *g, int timeout_ms);
/* Heartbeat when due.  SL_KE_REBALANCE_IN_PROGRESS (or another group
 * error): the assignment is no longer valid; call slc_group_join again. */
sl_err slc_group_poll(slc_group *g);
/* The partitions of the topic assigned to this member (borrowed, valid
 * until the next join); *n may be 0. */
const int32_t *slc_group_assignment(const slc_group *g, int32_t *n);
int32_t slc_group_generation(const slc_group *g);
const char *slc_group_member_id(const slc_group *g);
const char *slc_group_protocol(const slc_group *g);
/* OffsetCommit for this member's generation; metadata may be NULL. */
sl_err slc_group_commit(slc_group *g, int32_t n, const int32_t *partitions,
                        const int64_t *offsets, const char *metadata);
/* LeaveGroup (no-op if not joined). */
sl_err slc_group_leave(slc_group *g);

/* OffsetFetch without membership: committed offsets of n partitions of a
 * topic for a group (-1: none).  metadata may be NULL; else each entry
 * gets a malloc'd string or NULL (owned by the caller). */
sl_err slc_committed_offsets(slc_client *c, const char *group_id, const char *topic,
                             int32_t n, const int32_t *partitions, int64_t *offsets,
                             char **metadata);
/* Every topic with a committed offset in the group: *topics gets a
 * malloc'd array of malloc'd names (free each, then the array). */
sl_err slc_group_topics(slc_client *c, const char *group_id, char ***topics, int32_t *n);
/* How many members the group has now (DescribeGroups). */
sl_err slc_group_members(slc_client *c, const char *group_id, int32_t *nmembers);

#ifdef __cplusplus
}
#endif

#endif
