/*
 * timer.c - the loop's timers: a red-black tree ordered by deadline
 * (libbsd sys/tree.h).  The loop sleeps in io_uring until the earliest
 * deadline, so a timer costs nothing while it waits.
 */
#include <time.h>

#include "broker.h"

static int timer_cmp(sl_timer *a, sl_timer *b)
{
    if (a->deadline_ms != b->deadline_ms)
        return a->deadline_ms < b->deadline_ms ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

RB_GENERATE_STATIC(sl_timer_tree, sl_timer, node, timer_cmp)

int64_t sl_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sl_wallclock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void timer_arm(broker *b, sl_timer *t, int64_t delay_ms, sl_timer_fn fn)
{
    if (t->armed)
        timer_cancel(b, t);
    t->deadline_ms = sl_now_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->seq = ++b->timer_seq;
    t->fn = fn;
    t->armed = true;
    RB_INSERT(sl_timer_tree, &b->timers, t);
}

void timer_cancel(broker *b, sl_timer *t)
{
    if (!t->armed)
        return;
    RB_REMOVE(sl_timer_tree, &b->timers, t);
    t->armed = false;
}

int timer_run(broker *b)
{
    int64_t now = sl_now_ms();
    sl_timer *t;

    while ((t = RB_MIN(sl_timer_tree, &b->timers)) != NULL) {
        if (t->deadline_ms > now) {
            int64_t wait = t->deadline_ms - now;

            return wait > 60000 ? 60000 : (int)wait;
        }
        RB_REMOVE(sl_timer_tree, &b->timers, t);
        t->armed = false;
        t->fn(t);
    }
    return -1;
}
