/*
 * log.h - leveled, subsystem-tagged logging to stderr.
 *
 * Lines look like "2026-11-23T10:00:00.123Z INFO  net: listening on ...".
 * sl_log_limited() drops lines of one call site beyond a burst per second,
 * so a hostile client cannot flood the log.  Thread-safe: rate limits
 * are per thread (each embedded broker has its own).
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdint.h>

typedef enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR } sl_log_level;

void sl_log_set_level(sl_log_level min);
void sl_log(sl_log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Per-call-site rate limit state: zero-initialise, one per call site. */
typedef struct sl_ratelimit { int64_t window_s; uint32_t count; uint32_t dropped; } sl_ratelimit;
void sl_log_limited(sl_ratelimit *rl, sl_log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define sl_info(sub, ...) sl_log(SL_LOG_INFO, sub, __VA_ARGS__)
#define sl_warn(sub, ...) sl_log(SL_LOG_WARN, sub, __VA_ARGS__)
#define sl_error(sub, ...) sl_log(SL_LOG_ERROR, sub, __VA_ARGS__)
#define sl_debug(sub, ...) sl_log(SL_LOG_DEBUG, sub, __VA_ARGS__)
/* Rate-limited warning: at most a burst of lines per second from this site. */
#define sl_warn_rl(sub, ...)                                    \
    do {                                                        \
        static _Thread_local sl_ratelimit rl_;                  \
        sl_log_limited(&rl_, SL_LOG_WARN, sub, __VA_ARGS__);    \
    } while (0)

#endif
