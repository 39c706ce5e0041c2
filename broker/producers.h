/*
 * producers.h - idempotent producers: ids and per-partition sequence state.
 *
 * Producer ids are unique for the life of the data directory: they are
 * handed out from blocks reserved durably in <log.dirs>/producer_ids
 * before any id of a block is used, so a restart never reuses one.
 *
 * Per partition and producer id, the epoch and the last 5 batches
 * (first and last sequence, base offset) are kept, as Kafka's
 * ProducerStateEntry does.  The state of a partition is loaded the first
 * time an idempotent producer writes to it after a start: from its
 * snapshot (written at a clean stop and with every expiry check) and the
 * batch headers of the log after it, or from every batch header of the
 * log when there is no snapshot that still matches it (batch headers
 * carry producer id, epoch and sequences).  So deduplication holds across
 * restarts and crashes, and a restart reads little of the log.
 *
 * A producer's state is forgotten when nothing was appended for it for
 * producer.id.expiration.ms (broker wall clock; a load counts as an
 * append) or when all its batches are below the log start; it then gets
 * UNKNOWN_PRODUCER_ID (59) unless it starts again at sequence 0.
 *
 * A load that must read many batch headers runs on the worker pool (see
 * producers_set_pool); the partition answers NOT_LEADER_OR_FOLLOWER until
 * it is done.
 *
 * @loop
 */
#ifndef SL_PRODUCERS_H
#define SL_PRODUCERS_H

#include <stdint.h>

#include "../protocol/records.h"
#include "../storage/storage.h"

typedef struct producers producers;

/* What producers_check says of a batch. */
enum {
    PRODUCERS_APPEND = 0,     /* new: append it, then producers_appended() */
    PRODUCERS_DUPLICATE = -1, /* already in the log: answer its offsets */
    /* > 0: a Kafka error code (45, 47, 59) */
};

sl_err producers_open(producers **out, const char *data_dir, char *errstr, size_t errstr_size);
/* Load partitions with many batch headers to read on this pool; until a
 * load is done, producers_check answers NOT_LEADER_OR_FOLLOWER (6) for
 * the partition.  Without a pool every load reads on the caller's thread. */
struct sl_pool;
void producers_set_pool(producers *p, struct sl_pool *pool);
void producers_close(producers *p);

/* A new producer id (InitProducerId); SL_E_IO if the block could not be
 * reserved durably. */
sl_err producers_new_id(producers *p, int64_t *id);

/* Check one batch of producer h->producer_id (>= 0) against log's state.
 * For a duplicate, *dup_base and *dup_last get the original offsets. */
int producers_check(producers *p, plog *log, const rec_batch *h, int64_t now_ms,
                    int64_t *dup_base, int64_t *dup_last);
/* Record a batch just handed to plog_append at base_offset.  now_ms: wall
 * clock. */
void producers_appended(producers *p, plog *log, const rec_batch *h, int64_t base_offset,
                        int64_t now_ms);
/* Forget a log's state (the log is closing). */
void producers_forget(producers *p, plog *log);
/* Forget producers with no append since now_ms - expiration_ms and those
 * whose batches are all below their log's start; returns how many. */
size_t producers_expire(producers *p, int64_t now_ms, int64_t expiration_ms);
/* Snapshot every partition whose state changed since its last snapshot
 * (blocking: a small file per partition, not synced). */
void producers_snapshot(producers *p);

#endif
