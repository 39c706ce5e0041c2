/*
 * offsets.h - committed consumer-group offsets, kept durably.
 *
 * Every commit is appended to an internal partition log of our own
 * storage engine (<log.dirs>/__consumer_offsets) as a record batch whose
 * records use Kafka's __consumer_offsets layout (key: version 1, group,
 * topic, partition; value: version 3, offset, leader epoch, metadata,
 * commit timestamp; a null value deletes).  A commit is acknowledged only
 * once an fdatasync covers it, and only then enters the in-memory table,
 * so what a client reads back has survived.  The log is replayed at
 * start-up and rewritten with only the latest value per key when it has
 * grown well past the live set, so start-up stays fast.
 *
 * @loop
 */
#ifndef SL_OFFSETS_H
#define SL_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/bytes.h"
#include "../storage/storage.h"

typedef struct offsets offsets;

typedef struct offset_value {
    int64_t offset;
    int32_t leader_epoch;
    sl_bytes metadata; /* owned by the store; valid until the next change */
    int64_t commit_ts;
} offset_value;

/* One partition of a commit; borrowed until the callback. */
typedef struct offsets_item {
    sl_bytes topic;
    int32_t partition;
    int64_t offset; /* ignored for deletes */
    int32_t leader_epoch;
    sl_bytes metadata;
} offsets_item;

sl_err offsets_open(offsets **out, plog_env *env, const char *data_dir, const plog_config *cfg,
                    char *errstr, size_t errstr_size);
void offsets_close(offsets *o);

/* NULL if nothing is committed there. */
const offset_value *offsets_get(offsets *o, sl_bytes group, sl_bytes topic, int32_t partition);

/* Walk a group's committed partitions in (topic, partition) order:
 * fn returns false to stop. */
void offsets_each(offsets *o, sl_bytes group,
                  bool (*fn)(void *ud, sl_bytes topic, int32_t partition, const offset_value *v),
                  void *ud);
bool offsets_group_has(offsets *o, sl_bytes group);
/* Each group that has committed offsets, once, in order. */
void offsets_each_group(offsets *o, void (*fn)(void *ud, sl_bytes group), void *ud);

/* Append the items (deletes if `is_delete`) and call cb once they are
 * durable (SL_OK) or failed; items and group stay the caller's and must
 * stay valid until cb.  Returns an error (cb not called) if the log has
 * failed and cannot take writes again yet (plog_revive: a full disk with
 * room again). */
typedef void (*offsets_cb)(void *ud, sl_err err);
sl_err offsets_commit(offsets *o, sl_bytes group, const offsets_item *items, int32_t n,
                      bool is_delete, int64_t now_ms, offsets_cb cb, void *ud);
/* Delete every offset of a group (DeleteGroups). */
sl_err offsets_delete_group(offsets *o, sl_bytes group, int64_t now_ms, offsets_cb cb, void *ud);
/* Delete every group's offsets of a topic (DeleteTopics): one delete
 * batch per group that has some; cb once all are durable (the first
 * error if any).  topic is copied. */
sl_err offsets_delete_topic(offsets *o, sl_bytes topic, int64_t now_ms, offsets_cb cb, void *ud);
/* Groups whose offsets were all committed before cutoff_ms and for which
 * is_idle(group) holds lose them (offsets.retention.minutes). */
void offsets_expire(offsets *o, int64_t cutoff_ms, bool (*is_idle)(void *ud, sl_bytes group),
                    void *ud, int64_t now_ms);
/* Rewrite the log with the live offsets only, as at start-up, once it
 * holds over four times as many records (at least 1000); blocking (one
 * small file written and synced).  False if it is due but commits are in
 * flight: call again soon. */
bool offsets_compact(offsets *o);

#endif
