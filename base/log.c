/* log.c - stderr logging (text or JSON), levels per subsystem, per-site
 * rate limiting. */
#include "log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SL_LOG_BURST 10

/* Process-wide (one stderr).  A subsystem's slot name is written once,
 * before n_sub publishes it, and never changes; levels are atomics, so
 * loggers on any thread read without a lock while SIGHUP's thread
 * changes them.  sl_log_floor is the lowest level of all: below it a line
 * is dropped after one load (log.h's macros test it before the call). */
static _Atomic int default_level = SL_LOG_INFO;
_Atomic int sl_log_floor = SL_LOG_INFO;
static _Atomic int log_format = SL_LOG_TEXT;
static char sub_name[SL_LOG_MAX_SUBSYS][SL_LOG_SUBSYS_LEN];
static _Atomic int sub_level[SL_LOG_MAX_SUBSYS]; /* -1: the default */
static _Atomic int n_sub;
static pthread_mutex_t set_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
static const char *const level_words[] = { "DEBUG", "INFO", "WARN", "ERROR" };

const char *sl_log_level_name(sl_log_level lvl)
{
    return lvl >= SL_LOG_DEBUG && lvl <= SL_LOG_ERROR ? level_words[lvl] : "OFF";
}

static int parse_level(const char *s, size_t len)
{
    static const struct { const char *w; sl_log_level l; } words[] = {
        { "error", SL_LOG_ERROR }, { "warn", SL_LOG_WARN },   { "warning", SL_LOG_WARN },
        { "info", SL_LOG_INFO },   { "debug", SL_LOG_DEBUG },
    };

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].w) == len && !strncasecmp(s, words[i].w, len))
            return (int)words[i].l;
    return -1;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static int valid_subsys(const char *s, size_t len)
{
    if (!len || len >= SL_LOG_SUBSYS_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
            return 0;
    return 1;
}

/* One comma-separated item: "level" or "subsystem=level". */
static int parse_item(const char *s, size_t len, sl_log_levels *out, char *err, size_t errlen)
{
    const char *eq = memchr(s, '=', len);
    const char *lv = eq ? eq + 1 : s;
    size_t lvlen = eq ? len - (size_t)(eq + 1 - s) : len, nlen = eq ? (size_t)(eq - s) : 0;
    int l;

    trim(&lv, &lvlen);
    trim(&s, &nlen);
    l = parse_level(lv, lvlen);
    if (l < 0) {
        snprintf(err, errlen, "log level '%.*s': expected error, warn, info or debug",
                 (int)lvlen, lv);
        return -1;
    }
    if (!eq) {
        out->def = (sl_log_level)l;
        return 0;
    }
    if (!valid_subsys(s, nlen)) {
        snprintf(err, errlen, "log subsystem '%.*s': letters, digits, '_', '.', '-' (at most %d)",
                 (int)nlen, s, SL_LOG_SUBSYS_LEN - 1);
        return -1;
    }
    for (int i = 0; i < out->n; i++) {
        if (strlen(out->sub[i].name) == nlen && !memcmp(out->sub[i].name, s, nlen)) {
            out->sub[i].level = (sl_log_level)l; /* the last one wins */
            return 0;
        }
    }
    if (out->n == SL_LOG_MAX_SUBSYS) {
        snprintf(err, errlen, "log.level: at most %d subsystems", SL_LOG_MAX_SUBSYS);
        return -1;
    }
    memcpy(out->sub[out->n].name, s, nlen);
    out->sub[out->n].name[nlen] = 0;
    out->sub[out->n++].level = (sl_log_level)l;
    return 0;
}

int sl_log_parse_levels(const char *spec, sl_log_levels *out, char *err, size_t errlen)
{
    const char *p = spec;

    memset(out, 0, sizeof *out);
    out->def = SL_LOG_INFO;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *item = p;

        trim(&item, &len);
        if (!len) {
            snprintf(err, errlen, "log.level '%s': empty item", spec);
            return -1;
        }
        if (parse_item(item, len, out, err, errlen))
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int sl_log_parse_format(const char *s, sl_log_format *out)
{
    if (!strcasecmp(s, "text"))
        *out = SL_LOG_TEXT;
    else if (!strcasecmp(s, "json"))
        *out = SL_LOG_JSON;
    else
        return -1;
    return 0;
}

static int find_sub(const char *name, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(sub_name[i], name))
            return i;
    return -1;
}

void sl_log_apply_levels(const sl_log_levels *lv)
{
    int n, lo = (int)lv->def, skipped = 0;

    pthread_mutex_lock(&set_mu);
    n = atomic_load(&n_sub);
    for (int i = 0; i < n; i++)
        sub_level[i] = -1;
    for (int i = 0; i < lv->n; i++) {
        int k = find_sub(lv->sub[i].name, n);

        if (k < 0 && n == SL_LOG_MAX_SUBSYS) {
            skipped++; /* slots are never reused: a reader may hold the name */
            continue;
        }
        if (k < 0) {
            k = n++;
            strcpy(sub_name[k], lv->sub[i].name);
            sub_level[k] = (int)lv->sub[i].level;
            atomic_store_explicit(&n_sub, n, memory_order_release);
        }
        sub_level[k] = (int)lv->sub[i].level;
        if ((int)lv->sub[i].level < lo)
            lo = (int)lv->sub[i].level;
    }
    default_level = (int)lv->def;
    sl_log_floor = lo;
    pthread_mutex_unlock(&set_mu);
    if (skipped)
        sl_warn("log", "log.level: %d subsystems ignored (at most %d different ones since start)",
                skipped, SL_LOG_MAX_SUBSYS);
}

void sl_log_set_level(sl_log_level min)
{
    sl_log_levels lv = { .def = min };

    sl_log_apply_levels(&lv);
}

void sl_log_set_format(sl_log_format f) { log_format = (int)f; }

bool sl_log_enabled(sl_log_level lvl, const char *subsys)
{
    int n, k;

    if ((int)lvl < sl_log_floor)
        return false;
    n = atomic_load_explicit(&n_sub, memory_order_acquire);
    k = subsys ? find_sub(subsys, n) : -1;
    if (k >= 0) {
        int l = sub_level[k];

        if (l >= 0)
            return (int)lvl >= l;
    }
    return (int)lvl >= default_level;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    int n;
    unsigned cp, min;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

size_t sl_log_json_escape(char *dst, size_t cap, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0;

    if (!cap)
        return 0;
    while (*s) {
        char tmp[8];
        const char *piece = tmp;
        size_t plen;
        int n = utf8_len(s);

        if (*s == '"' || *s == '\\') {
            tmp[0] = '\\', tmp[1] = (char)*s, plen = 2;
        } else if (*s < 0x20) {
            static const char short_esc[] = "\b\f\n\r\t";
            static const char short_chr[] = "bfnrt";
            const char *e = strchr(short_esc, *s);

            plen = e ? (size_t)snprintf(tmp, sizeof tmp, "\\%c", short_chr[e - short_esc])
                     : (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *s);
        } else if (!n) {
            piece = "\\ufffd", plen = 6, n = 1;
        } else {
            piece = (const char *)s, plen = (size_t)n;
        }
        if (o + plen >= cap)
            break;
        memcpy(dst + o, piece, plen);
        o += plen;
        s += n ? n : 1;
    }
    dst[o] = 0;
    return o;
}

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
    if (log_format == SL_LOG_JSON) {
        char msg[4096], sub[2 * SL_LOG_SUBSYS_LEN + 64];

        sl_log_json_escape(msg, sizeof msg, line);
        sl_log_json_escape(sub, sizeof sub, subsys);
        fprintf(stderr,
                "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"subsystem\":\"%s\","
                "\"message\":\"%s\"}\n",
                when, ts.tv_nsec / 1000000L, level_words[lvl], sub, msg);
        return;
    }
    fprintf(stderr, "%s.%03ldZ %s %s: %s\n", when, ts.tv_nsec / 1000000L, level_names[lvl],
            subsys, line);
}

void sl_log(sl_log_level lvl, const char *subsys, const char *fmt, ...)
{
    va_list ap;

    if (!sl_log_enabled(lvl, subsys))
        return;
    va_start(ap, fmt);
    vlog(lvl, subsys, fmt, ap);
    va_end(ap);
}

void sl_log_always(sl_log_level lvl, const char *subsys, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(lvl, subsys, fmt, ap);
    va_end(ap);
}

void sl_log_limited(sl_ratelimit *rl, sl_log_level lvl, const char *subsys, const char *fmt, ...)
{
    struct timespec ts;
    va_list ap;

    if (!sl_log_enabled(lvl, subsys))
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
