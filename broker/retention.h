/*
 * retention.h - the storage chores of the loop: retention checks every
 * log.retention.check.interval.ms and wake-ups for log.flush.interval.ms
 * (the settings themselves reach each log through topic_config.h's
 * tcfg_resolve and plog_set_config / cat_topic_set_config).
 *
 * @loop: everything here runs on the loop thread.
 */
#ifndef SL_RETENTION_H
#define SL_RETENTION_H

#include "../storage/storage.h"
#include "broker.h"

/* Reset the chores for b (call once in broker_start, after the catalog is
 * open).  Arms the first retention check. */
void retention_start(broker *b);

/* Call at the top of every loop turn, before timer_run: runs the
 * retention check when due (plog_retention_run on every partition: a
 * rename, two small unlinks and an unlink_async per deleted segment; no
 * data is read), and arms the loop's timers so it wakes for the next check
 * and for the next log.flush.interval.ms flush (plog_env_flush, later in
 * the same turn, issues it). */
void retention_tick(broker *b);

#endif
