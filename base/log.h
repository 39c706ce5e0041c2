/*
 * log.h - leveled, subsystem-tagged logging to stderr.
 *
 * Text lines look like "2026-11-23T10:00:00.123Z INFO  net: listening on ...";
 * JSON lines like {"time":"2026-11-23T10:00:00.123Z","level":"INFO",
 * "subsystem":"net","message":"listening on ..."}, one object per line.
 * The minimum level is set per subsystem (the first argument of sl_info()
 * and the like) with a default for the others: "info,storage=debug".
 * sl_log_limited() drops lines of one call site beyond a burst per second,
 * so a hostile client cannot flood the log.  Thread-safe: levels and
 * format are atomics (they may change at run time while brokers log on
 * other threads); rate limits are per thread.
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR } sl_log_level;
typedef enum sl_log_format { SL_LOG_TEXT, SL_LOG_JSON } sl_log_format;

#define SL_LOG_MAX_SUBSYS 16 /* subsystems with their own level */
#define SL_LOG_SUBSYS_LEN 24

/* A parsed log.level: a default and per-subsystem levels. */
typedef struct sl_log_levels {
    sl_log_level def;
    int n;
    struct {
        char name[SL_LOG_SUBSYS_LEN];
        sl_log_level level;
    } sub[SL_LOG_MAX_SUBSYS];
} sl_log_levels;

/* "warn", "info,storage=debug", "net=debug" (default stays info); level
 * names are error, warn (or warning), info, debug in any case.  0, or -1
 * with a message in err. */
int sl_log_parse_levels(const char *spec, sl_log_levels *out, char *err, size_t errlen);
/* "text" or "json" (any case).  0, or -1. */
int sl_log_parse_format(const char *s, sl_log_format *out);
/* Replace the levels in force (every subsystem not named gets def). */
void sl_log_apply_levels(const sl_log_levels *lv);
void sl_log_set_format(sl_log_format f);
/* The default level only; subsystems' own levels are cleared. */
void sl_log_set_level(sl_log_level min);
bool sl_log_enabled(sl_log_level lvl, const char *subsys);
const char *sl_log_level_name(sl_log_level lvl);
/* src as the inside of a JSON string (no quotes) into dst, always
 * NUL-terminated, cut at a character boundary when dst is short.  Invalid
 * UTF-8 bytes become \ufffd.  Returns the length written. */
size_t sl_log_json_escape(char *dst, size_t cap, const char *src);

void sl_log(sl_log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Per-call-site rate limit state: zero-initialise, one per call site. */
typedef struct sl_ratelimit { int64_t window_s; uint32_t count; uint32_t dropped; } sl_ratelimit;
void sl_log_limited(sl_ratelimit *rl, sl_log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An INFO line logged whatever the levels: the few lines that are an
 * interface ("listening on HOST:PORT", which scripts wait for) or that
 * report a change of the levels themselves. */
void sl_log_always(sl_log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The least severe level any subsystem logs (base/log.c keeps it): the
 * macros below test it before the call, so a line whose level is off
 * costs one load and no call; its arguments are not evaluated. */
extern _Atomic int sl_log_floor;
#define SL_LOG_AT(lvl, sub, ...) \
    ((int)(lvl) >= sl_log_floor ? sl_log(lvl, sub, __VA_ARGS__) : (void)0)

#define sl_notice(sub, ...) sl_log_always(SL_LOG_INFO, sub, __VA_ARGS__)
#define sl_info(sub, ...) SL_LOG_AT(SL_LOG_INFO, sub, __VA_ARGS__)
#define sl_warn(sub, ...) SL_LOG_AT(SL_LOG_WARN, sub, __VA_ARGS__)
#define sl_error(sub, ...) SL_LOG_AT(SL_LOG_ERROR, sub, __VA_ARGS__)
#define sl_debug(sub, ...) SL_LOG_AT(SL_LOG_DEBUG, sub, __VA_ARGS__)
/* Rate-limited warning: at most a burst of lines per second from this site. */
#define sl_warn_rl(sub, ...)                                    \
    do {                                                        \
        static _Thread_local sl_ratelimit rl_;                  \
        sl_log_limited(&rl_, SL_LOG_WARN, sub, __VA_ARGS__);    \
    } while (0)

#endif
