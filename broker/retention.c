/*
 * retention.c - the storage chores of the loop (see retention.h).
 *
 * Two timers, both only to wake the loop: the work is done by
 * retention_tick at the top of the next turn.  The check timer fires every
 * log.retention.check.interval.ms (Kafka's LogManager cleanup); the flush
 * timer fires when a log's flush.ms is due (plog_env_flush_wait_ms), so an
 * idle loop does not sleep past it.  Retention deletes whole segments with
 * no data read: the storage renames, unlinks two small index files and
 * hands the data file to unlink_async (io_uring unlinkat, off the loop).
 */
#include "retention.h"

#include <string.h>

#include "../base/log.h"

static struct {
    broker *b;
    sl_timer check_timer, flush_timer;
    int64_t next_check; /* monotonic ms */
} R;

static void wake(sl_timer *t) { (void)t; /* the next turn's retention_tick works */ }

void retention_start(broker *b)
{
    memset(&R, 0, sizeof R);
    R.b = b;
    R.next_check = sl_now_ms() + b->cfg.log_retention_check_interval_ms;
    timer_arm(b, &R.check_timer, b->cfg.log_retention_check_interval_ms, wake);
}

static void run_retention(broker *b)
{
    int64_t now = sl_wallclock_ms();
    int deleted = 0;

    for (size_t i = 0; i < catalog_count(b->cat); i++) {
        cat_topic *t = catalog_at(b->cat, i);

        for (int32_t p = 0; p < cat_topic_partitions(t); p++) {
            int n = plog_retention_run(cat_topic_log(t, p), now);

            if (n > 0)
                deleted += n;
        }
    }
    if (deleted)
        sl_info("retention", "deleted %d segments", deleted);
}

void retention_tick(broker *b)
{
    int64_t now = sl_now_ms(), wait;

    if (R.b != b)
        retention_start(b);
    if (now >= R.next_check && b->cat && !b->stopping) {
        run_retention(b);
        R.next_check = now + b->cfg.log_retention_check_interval_ms;
    }
    if (!R.check_timer.armed)
        timer_arm(b, &R.check_timer, R.next_check - now, wake);
    /* flush.ms: wake when the next timed flush is due (0: this turn). */
    wait = plog_env_flush_wait_ms(b->env);
    if (wait > 0 && (!R.flush_timer.armed || R.flush_timer.deadline_ms > now + wait))
        timer_arm(b, &R.flush_timer, wait, wake);
}
