/*
 * storage.h - partition logs (plog) and the topic catalog, Kafka's layout.
 *
 * <data_dir>/<topic>-<partition>/<20-digit base offset>.log holds record
 * batches exactly as Kafka stores them; .index holds sparse 8-byte entries
 * (relative offset, byte position).  storage never touches sockets.
 *
 * Watermarks of a log, in order:
 *   log_start <= durable <= high_watermark <= end_offset
 *   end_offset:     the next offset to assign (appends in flight included)
 *   high_watermark: every offset below it has been written (contiguously
 *                   completed writes): what fetch and acks=1 may see
 *   durable:        every offset below it is covered by a completed
 *                   fdatasync
 *
 * @loop: every call from the thread that owns the env's ring.
 */
#ifndef SL_STORAGE_H
#define SL_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/bytes.h"
#include "../base/err.h"
#include "io.h"

typedef struct plog_config {
    int64_t segment_bytes;        /* log.segment.bytes, roll when passed */
    int32_t index_interval_bytes; /* index.interval.bytes (4096) */
    int32_t index_max_bytes;      /* segment.index.bytes (10 MiB) */
} plog_config;

void plog_config_default(plog_config *cfg);

typedef struct plog_env plog_env;
typedef struct plog plog;

/* One env per loop: the I/O backend and the set of logs that need a flush. */
sl_err plog_env_new(plog_env **out, sl_io *io);
void plog_env_free(plog_env *env);
sl_io *plog_env_io(plog_env *env);
/* Group commit: one sync round per log whose durable appends wait on
 * completed, unsynced writes, or that rolled a segment whose writes have
 * completed (so the recovery point moves).  A round is one datasync, or
 * one per segment when it spans a roll.  Call once per loop turn, before
 * sleeping.  Returns how many logs got a round. */
int plog_env_flush(plog_env *env);
/* Appends whose callback has not run yet (acks=all ones waiting for a
 * flush included) plus syncs in flight, over all logs of the env. */
unsigned plog_env_pending(plog_env *env);

/* Open (creating if needed) the partition directory `dir`.  Scans the
 * segments from the recovery point (the last one after a clean close)
 * batch by batch and cuts a torn or corrupt tail; the scanned part is
 * then synced. */
sl_err plog_open(plog **out, plog_env *env, const char *dir, const plog_config *cfg,
                 char *errstr, size_t errstr_size);
/* Clean close: waits for nothing (the caller drains writes first with
 * plog_env_pending() == 0), syncs, trims the index. */
void plog_close(plog *l);

int64_t plog_log_start(const plog *l);
int64_t plog_end_offset(const plog *l);
int64_t plog_high_watermark(const plog *l);
int64_t plog_durable(const plog *l);
/* SL_OK, or SL_E_FATAL once a write or sync has failed (sticky). */
sl_err plog_state(const plog *l);

/* Called once: err SL_OK and the batch's assigned base offset, or an error
 * (SL_E_FATAL/SL_E_NOSPC/SL_E_IO: nothing may be acknowledged). */
typedef void (*plog_append_cb)(void *ud, sl_err err, int64_t base_offset);

/*
 * Append one record batch (validated by the caller with rec_batch_validate).
 * The batch's base offset (and partition leader epoch, 0) are rewritten in
 * place, so `batch` must be writable and stay valid until cb.  If `durable`,
 * cb runs once an fdatasync covers the batch (acks=all), else once the
 * write completes (acks=1).  Returns SL_OK (cb will run) or an error (cb
 * will not run): SL_E_FATAL for a failed log.
 */
sl_err plog_append(plog *l, uint8_t *batch, size_t len, bool durable,
                   plog_append_cb cb, void *ud);

/* A byte range of a segment file for zero-copy sending. fd is owned by the
 * caller (a dup: close it), so it outlives segment deletion. */
typedef struct plog_slice {
    int fd;
    int64_t pos;
    int64_t len;
} plog_slice;

/*
 * Bytes to serve a fetch at `offset`: the whole batch that contains it and
 * following whole batches of the same segment while their total stays
 * within max_bytes (the first batch always, even if larger), never past
 * the high watermark.  offset == high watermark gives len 0 and fd -1.
 * offset < log start or > high watermark: SL_KE_OFFSET_OUT_OF_RANGE.
 */
sl_err plog_read(plog *l, int64_t offset, int64_t max_bytes, plog_slice *out);

/* ListOffsets by time: in the first batch whose max timestamp is >= ts,
 * the first record whose timestamp is >= ts and that timestamp (Kafka's
 * answer) when the batch is uncompressed and CreateTime; else the batch's
 * base offset and max timestamp (the broker never decompresses).  Offset
 * and timestamp -1 if no batch qualifies.  Reads batch headers. */
sl_err plog_offset_for_time(plog *l, int64_t ts, int64_t *offset, int64_t *timestamp);

/* --- catalog: topics of a data directory -------------------------------- */

typedef struct catalog catalog;
typedef struct cat_topic cat_topic;

#define CAT_TOPIC_NAME_MAX 249

/* Opens every <topic>-<n> directory under data_dir as a plog. */
sl_err catalog_open(catalog **out, plog_env *env, const char *data_dir,
                    const plog_config *cfg, char *errstr, size_t errstr_size);
void catalog_close(catalog *c);

/* Kafka's rules: 1..249 chars of [a-zA-Z0-9._-], not "." or "..". */
bool catalog_valid_name(sl_bytes name);
cat_topic *catalog_find(catalog *c, sl_bytes name);
cat_topic *catalog_find_id(catalog *c, const uint8_t id[16]);
/* Creates the directories and a random non-zero topic id (kept in each
 * partition's partition.metadata, as Kafka does).  SL_KE_TOPIC_ALREADY_EXISTS,
 * SL_KE_INVALID_TOPIC_EXCEPTION, SL_KE_INVALID_PARTITIONS. */
sl_err catalog_create(catalog *c, sl_bytes name, int32_t partitions, cat_topic **out);
size_t catalog_count(const catalog *c);
cat_topic *catalog_at(catalog *c, size_t i); /* in name order */

const char *cat_topic_name(const cat_topic *t);
const uint8_t *cat_topic_id(const cat_topic *t);
int32_t cat_topic_partitions(const cat_topic *t);
plog *cat_topic_log(cat_topic *t, int32_t partition); /* NULL if out of range */

/* --- meta.properties ----------------------------------------------------- */

/* Read <dir>/meta.properties, or create it with a new random cluster id
 * (22 chars of URL-safe base64, as Kafka's) and the given broker id.  A
 * broker id that differs from the stored one is an error (as in Kafka). */
sl_err storage_meta_load(const char *dir, int32_t broker_id, char cluster_id[23],
                         char *errstr, size_t errstr_size);

#endif
