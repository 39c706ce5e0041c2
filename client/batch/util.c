/*
 * util.c - sluice-batch helpers: signals, durations and times, atomic
 * writes, directories, the progress line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../client_int.h"
#include "batch.h"

volatile sig_atomic_t slb_stop;

static void on_signal(int sig)
{
    (void)sig;
    slb_stop = 1;
}

void slb_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool slb_parse_int(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s)
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

int64_t slb_parse_duration(const char *s)
{
    char *end;
    double v;
    int64_t mult = 1000;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    if (!strcmp(end, "ms"))
        mult = 1;
    else if (!strcmp(end, "s") || !*end)
        mult = 1000;
    else if (!strcmp(end, "m"))
        mult = 60000;
    else if (!strcmp(end, "h"))
        mult = 3600000;
    else if (!strcmp(end, "d"))
        mult = 86400000;
    else
        return -1;
    if (v * (double)mult > 9e15)
        return -1;
    return (int64_t)(v * (double)mult + 0.5);
}

static bool digits(const char **s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

int64_t slb_parse_time(const char *s)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, oh = 0, om = 0, sign = 0;
    struct tm tm;
    int64_t v;

    if (!s || !*s)
        return INT64_MIN;
    if (s[0] == '@')
        return slb_parse_int(s + 1, &v) ? v : INT64_MIN;
    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d))
        return INT64_MIN;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
            return INT64_MIN;
        if (*s == ':') {
            s++;
            if (!digits(&s, 2, &sec))
                return INT64_MIN;
            if (*s == '.' || *s == ',') {
                int scale = 100;

                s++;
                if (*s < '0' || *s > '9')
                    return INT64_MIN;
                while (*s >= '0' && *s <= '9') {
                    ms += (*s - '0') * scale;
                    scale /= 10;
                    s++;
                }
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            sign = *s++ == '+' ? 1 : -1;
            if (!digits(&s, 2, &oh))
                return INT64_MIN;
            if (*s == ':')
                s++;
            if (*s && !digits(&s, 2, &om))
                return INT64_MIN;
        }
    }
    if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return INT64_MIN;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    v = (int64_t)timegm(&tm) * 1000 + ms;
    return v - (int64_t)sign * (oh * 3600000 + om * 60000);
}

void slb_format_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    int frac = (int)(ms - (int64_t)t * 1000);

    gmtime_r(&t, &tm);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int slb_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

static void dir_of(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

int slb_write_atomic(const char *path, const void *data, size_t n)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    const char *p = data;
    int fd;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    while (n > 0) {
        ssize_t k = write(fd, p, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            close(fd);
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    if (fsync(fd) || close(fd) || rename(tmp, path))
        return -1;
    dir_of(path, dir, sizeof(dir));
    return slb_fsync_dir(dir);
}

int slb_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST)
        return -1;
    return 0;
}

slc_client *slb_client(const char *bootstrap, bool create)
{
    char err[256];
    slc_conf conf;
    slc_client *c;
    sl_err e;

    slc_conf_init(&conf);
    conf.bootstrap = bootstrap;
    conf.client_id = "sluice-batch";
    conf.allow_auto_create = create;
    c = slc_client_new(&conf, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "sluice-batch: %s\n", err);
        return NULL;
    }
    e = slc_client_connect(c);
    if (e) {
        fprintf(stderr, "sluice-batch: cannot use broker %s: %s\n", bootstrap,
                slc_client_errstr(c));
        slc_client_free(c);
        return NULL;
    }
    return c;
}

void slb_progress_init(slb_progress *p, const char *what)
{
    p->tty = isatty(2);
    p->start = slc_mono_ms();
    p->last = 0;
    p->what = what;
}

double slb_elapsed_s(const slb_progress *p)
{
    return (double)(slc_mono_ms() - p->start) / 1000.0;
}

static void human(double v, char *buf, size_t n)
{
    if (v >= 1e9)
        snprintf(buf, n, "%.1fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, n, "%.1fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, n, "%.1fk", v / 1e3);
    else
        snprintf(buf, n, "%.0f", v);
}

void slb_progress_update(slb_progress *p, int64_t done, int64_t total, int64_t records,
                         int64_t bytes)
{
    int64_t now = slc_mono_ms();
    double secs = (double)(now - p->start) / 1000.0;
    char rate[32], tot[32], dn[32], eta[32] = "?";

    if (!p->tty || now - p->last < 250)
        return;
    p->last = now;
    if (secs <= 0)
        secs = 0.001;
    human((double)records / secs, rate, sizeof(rate));
    human((double)done, dn, sizeof(dn));
    if (total >= 0) {
        human((double)total, tot, sizeof(tot));
        if (done > 0 && total >= done) {
            double left = secs * (double)(total - done) / (double)done;

            snprintf(eta, sizeof(eta), "%d:%02d", (int)left / 60, (int)left % 60);
        }
    } else {
        snprintf(tot, sizeof(tot), "?");
    }
    fprintf(stderr, "\r%s: %s/%s  %s rec/s  %.1f MB/s  ETA %s   ", p->what, dn, tot, rate,
            (double)bytes / 1e6 / secs, eta);
    fflush(stderr);
}

void slb_progress_end(slb_progress *p)
{
    if (p->tty && p->last) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}
