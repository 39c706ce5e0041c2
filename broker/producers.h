/*
 * producers.h - idempotent producers: ids and per-partition sequence state.
 *
 * Producer ids are unique for the life of the data directory: they are
 * handed out from blocks reserved durably in <log.dirs>/producer_ids
 * before any id of a block is used, so a restart never reuses one.
 *
 * Per partition and producer id, the epoch and the last 5 batches
 * (first and last sequence, base offset) are kept, as Kafka's
 * ProducerStateEntry does.  The state of a partition is rebuilt from its
 * log (batch headers carry producer id, epoch and sequences) the first
 * time an idempotent producer writes to it after a start, so deduplication
 * holds across restarts and crashes.
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
    /* > 0: a Kafka error code (45, 47) */
};

sl_err producers_open(producers **out, const char *data_dir, char *errstr, size_t errstr_size);
void producers_close(producers *p);

/* A new producer id (InitProducerId); SL_E_IO if the block could not be
 * reserved durably. */
sl_err producers_new_id(producers *p, int64_t *id);

/* Check one batch of producer h->producer_id (>= 0) against log's state.
 * For a duplicate, *dup_base and *dup_last get the original offsets. */
int producers_check(producers *p, plog *log, const rec_batch *h, int64_t *dup_base,
                    int64_t *dup_last);
/* Record a batch just handed to plog_append at base_offset. */
void producers_appended(producers *p, plog *log, const rec_batch *h, int64_t base_offset);
/* Forget a log's state (the log is closing). */
void producers_forget(producers *p, plog *log);

#endif
