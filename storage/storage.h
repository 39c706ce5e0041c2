/*
 * storage.h - partition logs (plog) and the topic catalog, Kafka's layout.
 *
 * <data_dir>/<topic>-<partition>/<20-digit base offset>.log holds record
 * batches exactly as Kafka stores them; .index holds sparse 8-byte entries
 * (relative offset, byte position), .timeindex 12-byte entries (timestamp,
 * relative offset).  storage never touches sockets.
 *
 * Watermarks of a log:
 *   durable <= high_watermark <= end_offset, log_start <= high_watermark
 *   log_start:      the first offset a read may ask for (retention and
 *                   DeleteRecords move it; durable may lag behind it)
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
#include "../protocol/records.h"
#include "io.h"

/* A log's policy, by Kafka's topic setting names (the broker's log.*
 * settings are the defaults it maps in). */
typedef struct plog_config {
    int64_t segment_bytes;        /* segment.bytes: roll when passed */
    int32_t index_interval_bytes; /* index.interval.bytes (4096) */
    int32_t index_max_bytes;      /* segment.index.bytes (10 MiB), each of
                                     .index and .timeindex; >= 24 */
    int64_t segment_ms;           /* segment.ms / log.roll.ms: roll a segment
                                     whose first batch is older; -1 never */
    int64_t retention_ms;         /* retention.ms: delete a segment whose
                                     newest timestamp is older; -1 never */
    int64_t retention_bytes;      /* retention.bytes: delete the oldest
                                     segments while the log stays above it;
                                     -1 never */
    int64_t flush_messages;       /* flush.messages: sync once this many
                                     offsets are written but unsynced;
                                     INT64_MAX never */
    int64_t flush_ms;             /* flush.ms: sync written data this long
                                     after the last sync; -1 never */
    bool log_append_time;         /* message.timestamp.type=LogAppendTime */
} plog_config;

/* 1 GiB segments, 4096/10 MiB indexes, no roll by time, no retention, no
 * flush policy (syncs for acks=all and rolls only), CreateTime. */
void plog_config_default(plog_config *cfg);
/* SL_OK or SL_E_INVAL with errstr naming the bad setting. */
sl_err plog_config_check(const plog_config *cfg, char *errstr, size_t errstr_size);

typedef struct plog_env plog_env;
typedef struct plog plog;

/* One env per loop: the I/O backend and the set of logs that need a flush. */
sl_err plog_env_new(plog_env **out, sl_io *io);
void plog_env_free(plog_env *env);
sl_io *plog_env_io(plog_env *env);
/* The wall clock (ms since the epoch) storage stamps LogAppendTime with and
 * measures segment.ms and flush.ms by; CLOCK_REALTIME unless set (tests).
 * fn NULL restores it. */
typedef int64_t (*plog_clock_fn)(void *ud);
void plog_env_set_clock(plog_env *env, plog_clock_fn fn, void *ud);
int64_t plog_env_now(plog_env *env);
/* Group commit: one sync round per log whose durable appends wait on
 * completed, unsynced writes, that rolled a segment whose writes have
 * completed (so the recovery point moves), or whose flush.messages or
 * flush.ms is due.  A round is one datasync, or one per segment when it
 * spans a roll.  Call once per loop turn, before sleeping.  Returns how
 * many logs got a round. */
int plog_env_flush(plog_env *env);
/* flush.ms: ms until a log's timed flush is due (0: now, at the next
 * plog_env_flush), or -1 if none waits.  The loop sleeps at most this
 * long. */
int64_t plog_env_flush_wait_ms(plog_env *env);
/* Appends whose callback has not run yet (acks=all ones waiting for a
 * flush included), syncs and segment unlinks in flight, over all logs of
 * the env. */
unsigned plog_env_pending(plog_env *env);

/* Open (creating if needed) the partition directory `dir`.  Scans the
 * segments from the recovery point (the last one after a clean close)
 * batch by batch and cuts a torn or corrupt tail; the scanned part is
 * then synced (recover.c).  The log start is the first segment's base or
 * the DeleteRecords offset kept in the directory, whichever is larger. */
sl_err plog_open(plog **out, plog_env *env, const char *dir, const plog_config *cfg,
                 char *errstr, size_t errstr_size);
/* Clean close: waits for nothing (the caller drains writes first with
 * plog_env_pending() == 0), syncs, trims the indexes, moves the recovery
 * point to the last segment. */
void plog_close(plog *l);
/* I/O of this log still in flight: appends whose callback has not run
 * (durable ones waiting for a sync included), syncs, and unlinks of
 * retired segments.  0: the log may be closed without orphaning anything. */
unsigned plog_pending(const plog *l);

const char *plog_dir(const plog *l); /* the partition's directory */
int64_t plog_log_start(const plog *l);
int64_t plog_end_offset(const plog *l);
int64_t plog_high_watermark(const plog *l);
int64_t plog_durable(const plog *l);
/* Bytes of the partition's segments whose writes are complete (below the
 * high watermark): the sum of its .log files once no append is in flight.
 * A failed log's partly written tail is not counted (revive cuts it). */
int64_t plog_size_bytes(const plog *l);
/* SL_OK, or SL_E_FATAL once a write or sync has failed (sticky until
 * plog_revive). */
sl_err plog_state(const plog *l);
/* A log failed by a full disk takes writes again (log_revive.c): SL_OK if
 * it is not failed or was brought back (everything past hwm cut, the rest
 * checked and synced), SL_E_FATAL while it stays failed (the disk is
 * still full, a back-off, I/O in flight, or a failure a restart must
 * recover).  Cheap to call on every produce to a failed log. */
sl_err plog_revive(plog *l);

/* Per-topic settings (CreateTopics, AlterConfigs): SL_E_INVAL if cfg does
 * not pass plog_config_check (the log keeps its settings).  Retention, flush
 * and timestamp settings apply at once; segment.bytes and segment.ms at
 * the next append; index settings at the next roll.  Not persisted:
 * the caller re-applies them after a restart. */
sl_err plog_set_config(plog *l, const plog_config *cfg);
const plog_config *plog_get_config(const plog *l);
/* LogAppendTime: the timestamp stamped on the last batch appended (what
 * a Produce response reports as log_append_time_ms), or -1 (CreateTime,
 * or nothing appended since open). */
int64_t plog_last_append_time(const plog *l);

/*
 * Retention (Kafka's LogManager cleanup): delete the oldest whole segments
 * that retention.ms (their newest batch timestamp, or the file's mtime
 * when no batch has one, older than now_ms - retention.ms),
 * retention.bytes (the log stays above it without them) or the log start
 * offset (wholly below it) allow.  A segment with a write or sync in
 * flight, or not synced whole yet, is kept for a later run (a power loss
 * could undo an unsynced rename and bring it back torn).  If every segment is due, the log
 * first rolls to an empty one at the end offset.  The log start moves to
 * the first remaining segment's base if that is larger.  Each deleted
 * segment costs a rename and two unlinks of small index files; its data
 * file is unlinked through sl_io's unlink_async (off the loop with
 * io_uring).  Returns how many segments were deleted, or SL_E_FATAL for a
 * failed log (which still gives back its old segments: that is how a full
 * disk gets room, but it does not roll).  now_ms: wall clock, ms.
 */
int plog_retention_run(plog *l, int64_t now_ms);

/*
 * DeleteRecords (API 21): move the log start to `offset` (-1: the high
 * watermark) and delete the segments wholly below it.  The new start is
 * persisted first (a small file, written and synced: blocking, rare).
 * *low_watermark gets the log start after the call.  An offset at or
 * below the log start changes nothing.  SL_KE_OFFSET_OUT_OF_RANGE above
 * the high watermark or below -1; SL_E_FATAL for a failed log; an I/O
 * error if the file could not be written (the start did not move).
 */
sl_err plog_delete_records(plog *l, int64_t offset, int64_t *low_watermark);

/*
 * Side files: small files the layers above keep with a partition (the
 * broker's producer-state snapshot), removed with it.  name: a plain file
 * name, not starting with '.'.  A write replaces the file atomically
 * (temporary file, rename) but is not synced: after a power loss the file
 * may be missing, old or torn, so its reader must check it (a checksum)
 * and cope.  Blocking, small files only.  plog_side_read: *data is
 * malloc'd (free it); SL_E_NOTFOUND if there is none, SL_E_RANGE if it is
 * larger than max.
 */
sl_err plog_side_write(plog *l, const char *name, const void *data, size_t len);
sl_err plog_side_read(plog *l, const char *name, size_t max, uint8_t **data, size_t *len);
sl_err plog_side_remove(plog *l, const char *name);

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

/* The headers of the batches from `from` (the one holding it, or the log
 * start if larger) to the high watermark at the time of plog_hdr_scan_new,
 * read through the scan's own dups of the segment files: _new is @loop,
 * _next and _free are @any (a worker may walk the scan while the loop
 * appends; later appends are not seen).  _next: SL_OK and the header,
 * SL_E_NOTFOUND at the end, or SL_E_IO / SL_E_MALFORMED. */
typedef struct plog_hdr_scan plog_hdr_scan;
sl_err plog_hdr_scan_new(plog *l, int64_t from, plog_hdr_scan **out);
sl_err plog_hdr_scan_next(plog_hdr_scan *hs, rec_batch *h);
void plog_hdr_scan_free(plog_hdr_scan *hs);

/* Whether every page of [pos, pos + len) of fd is in the page cache, so
 * a sendfile of it will not wait on the disk: cachestat(2), or mincore on
 * a map where the kernel lacks it; true when residency cannot be told
 * (the caller sends as it always did).  One or three syscalls.  @any */
bool storage_range_cached(int fd, int64_t pos, int64_t len);
/* Read [pos, pos + len) of fd into the page cache and wait for it
 * (blocking: for a worker thread).  fd is the caller's (a plog_slice's
 * dup).  @any */
sl_err storage_range_load(int fd, int64_t pos, int64_t len);

/* ListOffsets by time: in the first batch at or after the log start
 * whose max timestamp is >= ts, the first record whose timestamp is >= ts
 * and that timestamp (Kafka's answer), decompressing a compressed batch
 * (up to 64 MiB of records); the batch's base offset and max timestamp
 * for a LogAppendTime batch (every record has that time) or one that
 * cannot be read or decompressed.  The offset is at least the log start.  Offset and
 * timestamp -1 if no batch below the high watermark qualifies.  The time
 * index finds the segment and the place in it; then a few batch headers
 * are read. */
sl_err plog_offset_for_time(plog *l, int64_t ts, int64_t *offset, int64_t *timestamp);
/* The same in two steps, so that reading and decompressing the batch can
 * run on a worker.  begin (@loop) finds the batch and gives the batch
 * answer in *offset and *timestamp; if the batch's records must be read,
 * probe->fd is >= 0 (a dup of the segment file, the probe's own) and
 * probe->heavy says whether it must be decompressed too.  Then
 * plog_time_probe_run (@any: it touches only the probe) reads the records,
 * overwrites the answer with the exact record's, and closes the fd. */
typedef struct plog_time_probe {
    int fd;
    bool heavy;
    int64_t pos, ts, log_start;
    rec_batch hdr;
} plog_time_probe;
sl_err plog_offset_for_time_begin(plog *l, int64_t ts, int64_t *offset, int64_t *timestamp,
                                 plog_time_probe *probe);
void plog_time_probe_run(plog_time_probe *p, int64_t *offset, int64_t *timestamp);

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
/* The same in three steps, so the slow one runs off the loop:
 *  begin (@loop): the checks above, then the name is reserved: the topic
 *    is "being created" (catalog_creating true; catalog_find, find_id, at
 *    and count do not see it; a second create gets TOPIC_ALREADY_EXISTS);
 *  work (@any, once): the directories and logs; on error nothing is left.
 *    Touches only t (its logs, its directories), the catalog's immutable
 *    settings, and sl_io's synchronous calls: safe on a worker while the
 *    loop runs.  cat_topic_set_overrides and cat_topic_set_config on t are
 *    safe there too, after a good work;
 *  end (@loop): err SL_OK publishes t and returns SL_OK (or an error if
 *    that fails: then all is undone); an error (work's, or a later step's
 *    of the caller) drops t and removes whatever was made.  t is invalid
 *    after an error. */
sl_err catalog_create_begin(catalog *c, sl_bytes name, int32_t partitions, cat_topic **out);
sl_err catalog_create_work(catalog *c, cat_topic *t);
sl_err catalog_create_end(catalog *c, cat_topic *t, sl_err err);
/* Is a topic of this name being created (begun, not ended)? */
bool catalog_creating(const catalog *c, sl_bytes name);
/* Grow a topic to new_total partitions: new directories with the topic's
 * id, logs with partition 0's settings.  SL_KE_INVALID_PARTITIONS if
 * new_total is not larger (or too large); on error nothing changed. */
sl_err catalog_add_partitions(catalog *c, cat_topic *t, int32_t new_total);
/* The same in three steps, so the slow one runs off the loop (as
 * catalog_create_begin/_work/_end): begin (@loop) checks (INVALID_PARTITIONS,
 * also while another grow of t is under way) and copies what work needs;
 * the topic keeps its partitions until end.  work (@any) makes the new
 * partitions, touching only the cat_grow.  end (@loop) adds them to t, or
 * on an error (work's, the caller's, or UNKNOWN_TOPIC_OR_PARTITION if t
 * was deleted meanwhile) removes what was made.  g is freed by end. */
typedef struct cat_grow cat_grow;
sl_err catalog_grow_begin(catalog *c, cat_topic *t, int32_t new_total, cat_grow **out);
sl_err catalog_grow_work(catalog *c, cat_grow *g);
sl_err catalog_grow_end(catalog *c, cat_grow *g, sl_err err);
/* Delete a topic: it leaves every lookup (find, find_id, at, count) at
 * once, each partition directory is renamed <topic>-<p>.<32 hex>-delete
 * (Kafka's style; catalog_open removes such leftovers) and its logs wait
 * in a graveyard until their I/O completes (catalog_reap).  t is invalid
 * after the call.  An error only if nothing could be renamed (the topic
 * then stays). */
sl_err catalog_delete(catalog *c, cat_topic *t);
/* Close and remove the files of graveyard logs with nothing in flight
 * (plog_pending 0); call every loop turn.  Returns how many logs are
 * still waiting. */
size_t catalog_reap(catalog *c);
size_t catalog_count(const catalog *c);
cat_topic *catalog_at(catalog *c, size_t i); /* in name order */

const char *cat_topic_name(const cat_topic *t);
const uint8_t *cat_topic_id(const cat_topic *t);
int32_t cat_topic_partitions(const cat_topic *t);
plog *cat_topic_log(cat_topic *t, int32_t partition); /* NULL if out of range */
/* plog_set_config on every partition (SL_E_INVAL: none changed). */
sl_err cat_topic_set_config(cat_topic *t, const plog_config *cfg);
/* The topic's config overrides as stored text ("" if none; the broker's
 * topic_config.c gives it meaning), borrowed until the next set. */
const char *cat_topic_overrides(const cat_topic *t);
/* Replace them (NULL or "": none), persisted in <topic>-0/topic.config
 * (tmp, fsync, rename, directory fsync: blocking, rare) before the call
 * returns; on error the old text stays.  Does not touch the logs: apply
 * the resolved plog_config with cat_topic_set_config. */
sl_err cat_topic_set_overrides(catalog *c, cat_topic *t, const char *text);

/* --- meta.properties ----------------------------------------------------- */

/* Read <dir>/meta.properties, or create it with a new random cluster id
 * (22 chars of URL-safe base64, as Kafka's) and the given broker id.  A
 * broker id that differs from the stored one is an error (as in Kafka). */
sl_err storage_meta_load(const char *dir, int32_t broker_id, char cluster_id[23],
                         char *errstr, size_t errstr_size);

/* Lock <dir>/.lock (flock) for this process and write its pid there; a
 * directory locked by another process is an error naming that pid.
 * *fd_out (owned) holds the lock until storage_dir_unlock or exit. */
sl_err storage_dir_lock(const char *dir, int *fd_out, char *errstr, size_t errstr_size);
void storage_dir_unlock(int fd);

#endif
