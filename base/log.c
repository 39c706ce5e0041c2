/* log.c - stderr logging with per-site rate limiting. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define SL_LOG_BURST 10

/* Process-wide (one stderr), atomic so that brokers on several threads
 * may read it while the program sets it. */
static _Atomic sl_log_level min_level = SL_LOG_INFO;
static const char *const level_names[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };

void sl_log_set_level(sl_log_level min) { min_level = min; }

static void vlog(sl_log_level lvl, const char *subsys, const char *fmt, va_list ap)
{
    struct timespec ts;
    struct tm tm;
    char when[32], line[1024];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    vsnprintf(line, sizeof line, fmt, ap);
    /* One fprintf per line keeps lines whole when stderr is a pipe. */
    fprintf(stderr, "%s.%03ldZ %s %s: %s\n", when, ts.tv_nsec / 1000000L,
            level_names[lvl], subsys, line);
}

void sl_log(sl_log_level lvl, const char *subsys, const char *fmt, ...)
{
    va_list ap;

    if (lvl < min_level)
        return;
    va_start(ap, fmt);
    vlog(lvl, subsys, fmt, ap);
    va_end(ap);
}

void sl_log_limited(sl_ratelimit *rl, sl_log_level lvl, const char *subsys, const char *fmt, ...)
{
    struct timespec ts;
    va_list ap;

    if (lvl < min_level)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ts.tv_sec != rl->window_s) {
        if (rl->dropped)
            sl_log(lvl, subsys, "(%u similar lines suppressed)", rl->dropped);
        rl->window_s = ts.tv_sec;
        rl->count = 0;
        rl->dropped = 0;
    }
    if (++rl->count > SL_LOG_BURST) {
        rl->dropped++;
        return;
    }
    va_start(ap, fmt);
    vlog(lvl, subsys, fmt, ap);
    va_end(ap);
}
