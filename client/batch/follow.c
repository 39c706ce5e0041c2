/*
 * follow.c - sluice-batch export --follow: continuous export in windows of
 * event time.
 *
 * A record with timestamp ts belongs to the window starting at
 * floor(ts / every) * every.  The watermark is the highest timestamp seen
 * minus --allowed-lateness; a window closes when the watermark reaches its
 * end: its files (one per partition, empty ones too) are renamed into
 * DIR/<window start, UTC>/ and it never opens again.  A record that
 * arrives for a closed window is late: it goes to DIR/late/<topic>-<p>-
 * <first offset>.<ext> and is counted.
 *
 * Offsets: after windows close, each partition commits the smallest offset
 * still held by an open window, or its position if none, with metadata
 * "closed_upto=<ms>" so a restart knows which windows are closed.  Open
 * windows and unflushed late records are not on disk under their final
 * names, so after a crash or stop they are read again from the committed
 * offsets: nothing is lost.  A record of an already closed window that sits
 * after the committed offset (an open window held the commit back) is read
 * again too, and then lands in a late file a second time: late files are
 * at-least-once across restarts, window files exactly-once.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../client_int.h"
#include "export.h"

typedef struct window {
    int64_t start;
    out_file **files;
    int64_t *min_off;
    uint64_t count;
} window;

typedef struct follow {
    export_ctx *x;
    int64_t every, lateness, closed_upto, max_ts;
    window *w;
    int nw;
    out_file **late;
    int64_t *late_min;
    uint64_t records, late_count, closed;
} follow;

static int64_t floor_to(int64_t ts, int64_t every)
{
    int64_t q = ts / every;

    if (ts % every && ts < 0)
        q--;
    return q * every;
}

static void window_name(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(floor_to(ms, 1000) / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    if (ms % 1000)
        snprintf(buf, n, "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - floor_to(ms, 1000)));
    else
        snprintf(buf, n, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static out_file *open_in(follow *f, const char *sub, const char *file)
{
    char dir[PATH_MAX], path[PATH_MAX + 256], err[512];
    out_file *o;

    snprintf(dir, sizeof(dir), "%s/%s", f->x->out_dir, sub);
    if (slb_mkdirs(dir)) {
        fprintf(stderr, "sluice-batch export: cannot create %s\n", dir);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    o = out_open(f->x->format, path, err, sizeof(err));
    if (!o)
        fprintf(stderr, "sluice-batch export: %s\n", err);
    return o;
}

static window *window_get(follow *f, int64_t start)
{
    window *v;
    int i = 0;

    while (i < f->nw && f->w[i].start < start)
        i++;
    if (i < f->nw && f->w[i].start == start)
        return &f->w[i];
    v = realloc(f->w, sizeof(*v) * (size_t)(f->nw + 1));
    if (!v)
        return NULL;
    f->w = v;
    memmove(&v[i + 1], &v[i], sizeof(*v) * (size_t)(f->nw - i));
    memset(&v[i], 0, sizeof(*v));
    v[i].start = start;
    v[i].files = calloc((size_t)f->x->npart, sizeof(out_file *));
    v[i].min_off = malloc(sizeof(int64_t) * (size_t)f->x->npart);
    if (!v[i].files || !v[i].min_off)
        return NULL;
    for (int32_t p = 0; p < f->x->npart; p++)
        v[i].min_off[p] = -1;
    f->nw++;
    return &v[i];
}

static void window_drop(follow *f, int i, bool commit, int *rc)
{
    window *w = &f->w[i];

    for (int32_t p = 0; p < f->x->npart; p++)
        if (w->files[p] && out_close(w->files[p], commit))
            *rc = -1;
    free(w->files);
    free(w->min_off);
    memmove(&f->w[i], &f->w[i + 1], sizeof(*w) * (size_t)(f->nw - i - 1));
    f->nw--;
}

static int take(follow *f, const slc_message *m)
{
    int32_t p = m->partition;
    int64_t ws = floor_to(m->timestamp, f->every);
    char name[512], sub[64];
    out_file **slot;
    int64_t *min;

    if (ws + f->every <= f->closed_upto) {
        if (!f->late[p]) {
            snprintf(name, sizeof(name), "%s-%d-%" PRId64 ".%s", f->x->topic, p, m->offset,
                     out_format_ext(f->x->format));
            f->late[p] = open_in(f, "late", name);
        }
        slot = &f->late[p];
        min = &f->late_min[p];
        f->late_count++;
    } else {
        window *w = window_get(f, ws);

        if (!w)
            return -1;
        if (!w->files[p]) {
            window_name(ws, sub, sizeof(sub));
            snprintf(name, sizeof(name), "%s-%d.%s", f->x->topic, p,
                     out_format_ext(f->x->format));
            w->files[p] = open_in(f, sub, name);
        }
        slot = &w->files[p];
        min = &w->min_off[p];
        w->count++;
    }
    if (!*slot || out_write(*slot, m))
        return -1;
    if (*min < 0 || m->offset < *min)
        *min = m->offset;
    if (m->timestamp > f->max_ts)
        f->max_ts = m->timestamp;
    f->records++;
    return 0;
}

/* Close the windows the watermark has passed; flush late files; commit. */
static int close_due(follow *f, slc_consumer *k)
{
    int64_t wm = f->max_ts == INT64_MIN ? INT64_MIN : f->max_ts - f->lateness;
    int64_t *commit;
    char sub[64], name[512], meta[64];
    int rc = 0, closed = 0;

    while (f->nw > 0 && f->w[0].start + f->every <= wm) {
        window *w = &f->w[0];

        window_name(w->start, sub, sizeof(sub));
        for (int32_t p = 0; p < f->x->npart && !rc; p++) {
            if (!w->files[p]) {
                snprintf(name, sizeof(name), "%s-%d.%s", f->x->topic, p,
                         out_format_ext(f->x->format));
                if (!(w->files[p] = open_in(f, sub, name)))
                    rc = -1;
            }
        }
        f->closed_upto = w->start + f->every;
        printf("export: window %s closed: %" PRIu64 " records\n", sub, w->count);
        window_drop(f, 0, true, &rc);
        if (rc)
            return -1;
        f->closed++;
        closed++;
    }
    /* Empty windows up to the watermark are closed too. */
    if (wm != INT64_MIN && floor_to(wm, f->every) > f->closed_upto)
        f->closed_upto = floor_to(wm, f->every);
    if (!closed)
        return 0;
    for (int32_t p = 0; p < f->x->npart; p++) {
        if (f->late[p] && out_close(f->late[p], true))
            rc = -1;
        f->late[p] = NULL;
        f->late_min[p] = -1;
    }
    if (rc || slb_fsync_dir(f->x->out_dir))
        return -1;
    commit = malloc(sizeof(int64_t) * (size_t)f->x->npart);
    if (!commit)
        return -1;
    for (int32_t p = 0; p < f->x->npart; p++) {
        commit[p] = slc_consumer_position(k, p);
        for (int i = 0; i < f->nw; i++)
            if (f->w[i].min_off[p] >= 0 && f->w[i].min_off[p] < commit[p])
                commit[p] = f->w[i].min_off[p];
    }
    snprintf(meta, sizeof(meta), "closed_upto=%" PRId64, f->closed_upto);
    rc = export_commit(f->x, commit, meta) ? -1 : 0;
    free(commit);
    return rc;
}

int follow_run(export_ctx *x, const int64_t *start, int64_t every_ms, int64_t lateness_ms,
               int64_t max_windows, int64_t idle_exit_ms)
{
    follow f;
    slc_consumer_conf cc;
    slc_consumer *k = NULL;
    char **meta = calloc((size_t)x->npart, sizeof(char *));
    int64_t *committed = calloc((size_t)x->npart, sizeof(int64_t));
    int64_t last_record = slc_mono_ms();
    const char *why = "interrupted";
    int rc = SLB_EXIT_FAIL, drc = 0;

    memset(&f, 0, sizeof(f));
    f.x = x;
    f.every = every_ms;
    f.lateness = lateness_ms;
    f.max_ts = INT64_MIN;
    f.closed_upto = INT64_MIN;
    f.late = calloc((size_t)x->npart, sizeof(out_file *));
    f.late_min = malloc(sizeof(int64_t) * (size_t)x->npart);
    if (!meta || !committed || !f.late || !f.late_min)
        goto out;
    for (int32_t p = 0; p < x->npart; p++)
        f.late_min[p] = -1;
    /* Which windows a previous run closed. */
    if (slc_committed_offsets(x->cl, x->group, x->topic, x->npart, x->parts, committed, meta) ==
        SL_OK) {
        for (int32_t p = 0; p < x->npart; p++) {
            long long v;

            if (meta[p] && sscanf(meta[p], "closed_upto=%lld", &v) == 1 && v > f.closed_upto)
                f.closed_upto = v;
        }
    }
    slc_consumer_conf_init(&cc);
    k = slc_consumer_new(x->cl, &cc);
    if (!k || slc_consumer_assign(k, x->topic, x->npart, x->parts, start))
        goto out;
    for (;;) {
        const slc_message *m;
        sl_err e;

        if (slb_stop)
            break;
        e = slc_consumer_poll(k, 500, &m);
        if (e == SL_OK && m->err) {
            fprintf(stderr, "sluice-batch export: %s/%d: %s\n", x->topic, m->partition,
                    sl_err_str(m->err));
            goto out;
        }
        if (e == SL_OK) {
            if (take(&f, m))
                goto out;
            last_record = slc_mono_ms();
        } else if (e != SL_KE_REQUEST_TIMED_OUT) {
            fprintf(stderr, "sluice-batch export: fetching %s: %s\n", x->topic,
                    slc_client_errstr(x->cl));
            goto out;
        }
        if (close_due(&f, k))
            goto out;
        if (max_windows > 0 && (int64_t)f.closed >= max_windows) {
            why = "--max-windows reached";
            break;
        }
        if (idle_exit_ms >= 0 && slc_mono_ms() - last_record >= idle_exit_ms) {
            why = "--idle-exit reached";
            break;
        }
        e = export_heartbeat(x);
        if (e == SL_E_EXISTS) {
            fprintf(stderr, "sluice-batch export: lost the partitions of %s to another member "
                    "of group %s\n", x->topic, x->group);
            rc = SLB_EXIT_BUSY;
            goto out;
        }
    }
    printf("export --follow: %s: %" PRIu64 " windows closed, %" PRIu64 " records, %" PRIu64
           " late (in %s/late); stopped (%s); open windows are re-read on the next run\n",
           x->topic, f.closed, f.records, f.late_count, x->out_dir, why);
    rc = SLB_EXIT_OK;
out:
    /* Open windows and unflushed late records are dropped: not committed,
     * so the next run reads them again. */
    while (f.nw > 0)
        window_drop(&f, 0, false, &drc);
    for (int32_t p = 0; f.late && p < x->npart; p++)
        if (f.late[p])
            out_close(f.late[p], false);
    for (int32_t p = 0; meta && p < x->npart; p++)
        free(meta[p]);
    free(meta);
    free(committed);
    free(f.late);
    free(f.late_min);
    free(f.w);
    slc_consumer_free(k);
    return rc;
}
