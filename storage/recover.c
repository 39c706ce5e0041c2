/*
 * recover.c - open a partition directory: find its segments, cut a torn
 * or corrupt tail, rebuild the indexes of what was scanned.
 *
 * The recovery point (file RECOVERY_FILE, "0\n<offset>\n") is the base of
 * the first segment that may hold unsynced data.  Every segment below it
 * was fully fdatasync'ed and its index trimmed and synced before the point
 * moved past it, so it is opened without reading its data.  The segment at
 * the recovery point and every one after it (the last one always, unless
 * a clean close vouches for it: see below) is scanned batch by batch:
 * length, magic, CRC-32C and increasing offsets.
 * The first bad or short batch and everything after it are cut: the rest
 * of that file is truncated and later segments are deleted (Kafka's
 * LogLoader).  Without the file (a new or Kafka-made directory) everything
 * is scanned.  The scanned segments are then synced, so after open the
 * whole log is durable and the point moves to the last segment.
 *
 * A clean close (plog_close, nothing in flight, no failure) leaves the
 * recovery point at the last segment and, once that segment's data and
 * its trimmed indexes are synced, writes CLEAN_FILE ("0\n<last segment
 * base>\n<.log size>\n<end offset>\n<max timestamp>\n<its offset>\n",
 * Kafka's clean shutdown file).  At open the file is read and removed
 * at once; the removal is made durable by the directory sync at the end
 * of recovery, before the log can take a write, so a later crash is never
 * taken for a clean close.  If it names the last segment, the recovery
 * point is that segment too and the .log has exactly the recorded size,
 * the last segment is trusted like one below the point: its indexes are
 * loaded and checked (the time index's last entry must be the recorded
 * max timestamp) and copied into the writable maps, and no data is read.
 * Anything else (no file, a mismatch, an unusable index) means the scan
 * above: a clean restart reads no segment data, a crash scans from the
 * recovery point on.
 *
 * Leftovers are removed first: "<segment>.log.deleted" files (retention
 * renames a segment so before unlinking it off the loop) and index files
 * whose .log is gone.  A segment below the recovery point whose indexes
 * are missing or fail their checks gets them rebuilt by a scan of its
 * batch headers.
 *
 * The log start offset file (LOG_START_FILE, same format) is written by
 * DeleteRecords; the log start is the larger of it and the first
 * segment's base.
 */
#include "storage_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/log.h"

#define RECOVERY_FILE "recovery-point"
#define LOG_START_FILE "log-start-offset"
#define CLEAN_FILE "clean-shutdown"
#define SCAN_CHUNK ((size_t)1 << 20)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* An index file ("<20 digits>.index" or ".timeindex") whose .log is not
 * in dir: true and its path in out. */
static bool orphan_index(const char *dir, const char *name, char *out, size_t outn)
{
    char log[SEG_NAME_DIGITS + 5];
    int64_t base;
    struct stat st;

    if (!ends_with(name, ".index") && !ends_with(name, ".timeindex"))
        return false;
    if (strlen(name) < SEG_NAME_DIGITS + 1 || name[SEG_NAME_DIGITS] != '.')
        return false;
    memcpy(log, name, SEG_NAME_DIGITS);
    memcpy(log + SEG_NAME_DIGITS, ".log", 5);
    if (!seg_parse_name(log, &base))
        return false;
    if (snprintf(out, outn, "%s/%s", dir, log) >= (int)outn)
        return false;
    if (stat(out, &st) == 0)
        return false;
    return snprintf(out, outn, "%s/%s", dir, name) < (int)outn;
}

/* Remove segments retention left half deleted and indexes without a .log. */
static void remove_leftovers(sl_io *io, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        bool del = ends_with(de->d_name, ".deleted");

        if (del && snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
            continue;
        if (del || orphan_index(dir, de->d_name, path, sizeof path)) {
            sl_info("storage", "%s: removing a leftover of a deleted segment", path);
            io->ops->unlink(io, path);
        }
    }
    closedir(d);
}

/* Bases of the "<20 digits>.log" files of dir, sorted; owned. */
static sl_err list_bases(const char *dir, int64_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int64_t *v = NULL, base;
    size_t cnt = 0, cap = 0;

    if (!d)
        return sl_err_from_errno(-errno);
    while ((de = readdir(d)) != NULL) {
        if (!seg_parse_name(de->d_name, &base))
            continue;
        if (cnt == cap) {
            int64_t *nv = realloc(v, (cap ? cap * 2 : 8) * sizeof *v);

            if (!nv) {
                free(v);
                closedir(d);
                return SL_E_NOMEM;
            }
            v = nv;
            cap = cap ? cap * 2 : 8;
        }
        v[cnt++] = base;
    }
    closedir(d);
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp_i64);
    *out = v;
    *n = cnt;
    return SL_OK;
}

/* "0\n<offset>\n" files: the recovery point and the log start. */
static bool read_offset_file(sl_io *io, const char *dir, const char *name, int64_t *rp)
{
    char path[PATH_MAX], buf[64], *end;
    long long v;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return false;
    if (sl_io_read_file(io, path, buf, sizeof buf) < 0 || strncmp(buf, "0\n", 2) != 0)
        return false;
    errno = 0;
    v = strtoll(buf + 2, &end, 10);
    if (errno || end == buf + 2 || *end != '\n' || v < 0)
        return false;
    *rp = v;
    return true;
}

static bool read_recovery_point(sl_io *io, const char *dir, int64_t *rp)
{
    return read_offset_file(io, dir, RECOVERY_FILE, rp);
}

static sl_err write_offset_file(sl_io *io, const char *dir, const char *name, int64_t offset)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "0\n%" PRId64 "\n", offset);

    return sl_io_write_file(io, dir, name, buf, (size_t)n);
}

sl_err plog_write_recovery_point(sl_io *io, const char *dir, int64_t offset)
{
    return write_offset_file(io, dir, RECOVERY_FILE, offset);
}

int64_t plog_read_log_start(sl_io *io, const char *dir)
{
    int64_t v;

    return read_offset_file(io, dir, LOG_START_FILE, &v) ? v : -1;
}

sl_err plog_write_log_start(sl_io *io, const char *dir, int64_t offset)
{
    return write_offset_file(io, dir, LOG_START_FILE, offset);
}

sl_err plog_write_clean_mark(sl_io *io, const char *dir, const seg *s)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf,
                     "0\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n",
                     s->base, s->size, s->end_offset, s->max_ts, s->max_ts_offset);

    return sl_io_write_file(io, dir, CLEAN_FILE, buf, (size_t)n);
}

/* What a clean close recorded about the last segment. */
typedef struct clean_mark {
    int64_t base, size, end, max_ts, max_ts_offset;
} clean_mark;

/* Read CLEAN_FILE into *m (false if absent or malformed), then remove it
 * (*err on a failed removal of an existing file; the caller's directory
 * sync makes the removal durable). */
static bool take_clean_mark(sl_io *io, const char *dir, clean_mark *m, sl_err *err)
{
    char path[PATH_MAX], buf[160], *p, *end;
    int64_t v[5];
    struct stat st;
    bool ok = true;

    *err = SL_OK;
    if (snprintf(path, sizeof path, "%s/%s", dir, CLEAN_FILE) >= (int)sizeof path)
        return false;
    if (stat(path, &st) != 0)
        return false;
    if (sl_io_read_file(io, path, buf, sizeof buf) < 0 || strncmp(buf, "0\n", 2) != 0)
        ok = false;
    p = buf + 2;
    for (int i = 0; ok && i < 5; i++) {
        long long x;

        errno = 0;
        x = strtoll(p, &end, 10);
        if (errno || end == p || *end != '\n')
            ok = false;
        v[i] = x;
        p = end + 1;
    }
    if (ok && *p != '\0')
        ok = false;
    *err = (sl_err)io->ops->unlink(io, path);
    if (!ok || *err != SL_OK)
        return false;
    m->base = v[0];
    m->size = v[1];
    m->end = v[2];
    m->max_ts = v[3];
    m->max_ts_offset = v[4];
    return m->base >= 0 && m->size >= 0 && m->end >= m->base &&
           m->end - m->base <= (int64_t)INT32_MAX + 1;
}

/*
 * The last segment after a clean close (m matched its base and size):
 * load its trimmed indexes, check them against the mark and copy them
 * into writable maps, as appends left them.  No data is read.  false if
 * anything does not fit (the caller scans instead).
 */
static bool open_clean_last(sl_io *io, seg *s, const clean_mark *m, int32_t max_bytes,
                            sl_err *err)
{
    size_t n, tn, cap = (size_t)max_bytes / SEG_INDEX_ENTRY;
    size_t tcap = (size_t)max_bytes / SEG_TIME_ENTRY;
    uint8_t *idx = NULL, *tix = NULL;
    int64_t max_ts, max_ts_offset;

    *err = SL_OK;
    if (s->idx_missing)
        return false;
    s->end_offset = m->end;
    if (seg_index_load(s) != SL_OK) {
        s->end_offset = s->base;
        return false;
    }
    n = s->idx_n;
    tn = s->tix_n;
    max_ts = s->max_ts;
    max_ts_offset = s->max_ts_offset;
    if (max_ts != m->max_ts || max_ts_offset != m->max_ts_offset || n > cap || tn > tcap ||
        (n && !(idx = malloc(n * SEG_INDEX_ENTRY))) || (tn && !(tix = malloc(tn * SEG_TIME_ENTRY)))) {
        free(idx);
        s->end_offset = s->base;
        return false;
    }
    if (n)
        memcpy(idx, s->idx, n * SEG_INDEX_ENTRY);
    if (tn)
        memcpy(tix, s->tix, tn * SEG_TIME_ENTRY);
    *err = seg_index_open_rw(s, io, max_bytes);
    if (*err == SL_OK && !seg_index_reserve(s, io, n, tn < tcap ? tn + 1 : tn)) {
        /* No room for the entries (and the final time entry): scan. */
        free(idx);
        free(tix);
        s->end_offset = s->base;
        return false;
    }
    if (*err == SL_OK) {
        if (n)
            memcpy(s->idx, idx, n * SEG_INDEX_ENTRY);
        if (tn)
            memcpy(s->tix, tix, tn * SEG_TIME_ENTRY);
        s->idx_n = n;
        s->tix_n = tn;
        s->max_ts = max_ts;
        s->max_ts_offset = max_ts_offset;
        /* As the scan (seg_index_note) leaves it: bytes from the last
         * indexed batch on. */
        s->since_index = s->size - (n ? (int64_t)sl_be32(idx + (n - 1) * SEG_INDEX_ENTRY + 4) : 0);
        s->synced = s->end_offset;
    }
    free(idx);
    free(tix);
    return *err == SL_OK;
}

sl_err plog_scan_seg(sl_io *io, seg *s, bool check, int32_t interval, int64_t *valid_end)
{
    size_t cap = SCAN_CHUNK, have = 0;
    uint8_t *buf = malloc(cap);
    int64_t pos = 0, bufpos = 0, expect = s->base;
    sl_err err = SL_OK;

    if (!buf)
        return SL_E_NOMEM;
    s->max_ts = SEG_NO_TIMESTAMP;
    s->max_ts_offset = s->base;
    for (;;) {
        size_t off = (size_t)(pos - bufpos), size;
        rec_batch h;
        int32_t blen;
        sl_err e;

        if (have - off < REC_HEADER_SIZE) {
            int64_t want = s->size - pos < (int64_t)cap ? s->size - pos : (int64_t)cap;
            int64_t got = io->ops->pread(io, s->log_fd, buf, (size_t)want, (off_t)pos);

            if (got < 0) {
                err = (sl_err)got;
                break;
            }
            bufpos = pos;
            off = 0;
            have = (size_t)got;
            if (have < REC_HEADER_SIZE)
                break; /* end, or a torn header */
        }
        blen = (int32_t)sl_be32(buf + off + 8);
        if (blen < REC_HEADER_SIZE - REC_LOG_OVERHEAD ||
            (int64_t)blen + REC_LOG_OVERHEAD > s->size - pos)
            break; /* impossible or past the end of the file: torn */
        size = (size_t)blen + REC_LOG_OVERHEAD;
        if (size > have - off) {
            int64_t got;

            if (size > cap) {
                uint8_t *nb = realloc(buf, size);

                if (!nb) {
                    err = SL_E_NOMEM;
                    break;
                }
                buf = nb;
                cap = size;
            }
            got = io->ops->pread(io, s->log_fd, buf, size, (off_t)pos);
            if (got < 0) {
                err = (sl_err)got;
                break;
            }
            bufpos = pos;
            off = 0;
            have = (size_t)got;
            if (have < size)
                break;
        }
        e = check ? rec_batch_validate(buf + off, size, &h) : rec_batch_peek(buf + off, size, &h);
        if (e != SL_OK || h.base_offset < expect || h.last_offset_delta < 0 ||
            h.base_offset > INT64_MAX - h.last_offset_delta - 1 ||
            h.base_offset + h.last_offset_delta - s->base > INT32_MAX)
            break;
        seg_index_note(s, io, h.base_offset + h.last_offset_delta, h.max_timestamp, pos,
                       (int64_t)size, interval);
        expect = h.base_offset + h.last_offset_delta + 1;
        pos += (int64_t)size;
    }
    free(buf);
    *valid_end = pos;
    s->end_offset = expect;
    return err;
}

static void free_segs(sl_io *io, seg **segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        seg_close(segs[i], io);
    free(segs);
}

/* Create dir if missing; a new directory entry is synced in its parent. */
static sl_err ensure_dir(sl_io *io, const char *dir)
{
    char parent[PATH_MAX];
    const char *slash;

    if (mkdir(dir, 0755) == 0) {
        slash = strrchr(dir, '/');
        if (!slash)
            return (sl_err)io->ops->sync_dir(io, ".");
        if ((size_t)(slash - dir) >= sizeof parent)
            return SL_E_RANGE;
        if (slash == dir)
            return (sl_err)io->ops->sync_dir(io, "/");
        memcpy(parent, dir, (size_t)(slash - dir));
        parent[slash - dir] = '\0';
        return (sl_err)io->ops->sync_dir(io, parent);
    }
    return errno == EEXIST ? SL_OK : sl_err_from_errno(-errno);
}

sl_err plog_recover(sl_io *io, const char *dir, const plog_config *cfg, plog_recovered *out,
                    char *errstr, size_t errstr_size)
{
    int64_t *bases = NULL, rp = 0, stored_rp = -1;
    size_t nb = 0, first_scan = 0, n = 0;
    seg **segs = NULL;
    bool have_rp, have_mark, clean = false;
    clean_mark mark;
    sl_err e;

    memset(out, 0, sizeof *out);
    e = ensure_dir(io, dir);
    if (e == SL_OK) {
        remove_leftovers(io, dir);
        e = list_bases(dir, &bases, &nb);
    }
    /* Removed whatever happens next: only the open right after a clean
     * close may trust it. */
    have_mark = e == SL_OK && take_clean_mark(io, dir, &mark, &e);
    if (e != SL_OK) {
        snprintf(errstr, errstr_size, "%s: %s", dir, sl_err_str(e));
        free(bases);
        return e;
    }
    segs = calloc(nb ? nb : 1, sizeof *segs);
    if (!segs) {
        free(bases);
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    if (nb == 0) {
        /* A new partition: one empty segment at offset 0. */
        e = seg_open(&segs[0], io, dir, 0, true, errstr, errstr_size);
        if (e == SL_OK)
            n = 1;
        if (e == SL_OK)
            e = seg_index_open_rw(segs[0], io, cfg->index_max_bytes);
        if (e == SL_OK)
            e = (sl_err)io->ops->sync_dir(io, dir);
        /* The recovery point file marks the directory as ours (see the
         * gap rule below). */
        if (e == SL_OK)
            e = plog_write_recovery_point(io, dir, 0);
        if (e != SL_OK)
            goto fail;
        out->segs = segs;
        out->nseg = 1;
        free(bases);
        return SL_OK;
    }

    have_rp = read_recovery_point(io, dir, &rp);
    if (have_rp)
        stored_rp = rp;
    for (size_t i = 0; i < nb; i++)
        if (have_rp && bases[i] <= rp)
            first_scan = i;

    for (size_t i = 0; i < nb; i++) {
        seg *s;
        int64_t valid_end;

        e = seg_open(&s, io, dir, bases[i], false, errstr, errstr_size);
        if (e != SL_OK)
            goto fail;
        segs[n++] = s;
        if (i + 1 == nb && have_mark && have_rp && rp == bases[i] && mark.base == bases[i] &&
            mark.size == s->size) {
            /* Clean close: trusted, nothing to scan or sync. */
            clean = open_clean_last(io, s, &mark, cfg->index_max_bytes, &e);
            if (e != SL_OK)
                goto io_fail;
            if (clean)
                break;
            sl_info("storage", "%s: clean shutdown mark does not fit, scanning", s->log_path);
        }
        if (i < first_scan) {
            /* Known whole: trust the data, check the indexes. */
            s->end_offset = s->synced = bases[i + 1];
            if (!s->idx_missing && seg_index_load(s) == SL_OK)
                continue;
            sl_warn("storage", "%s: index unusable, rebuilding", s->idx_path);
            e = seg_index_open_rw(s, io, cfg->index_max_bytes);
            if (e == SL_OK)
                e = plog_scan_seg(io, s, false, cfg->index_interval_bytes, &valid_end);
            if (e == SL_OK)
                e = seg_index_trim(s, io);
            if (e == SL_OK)
                e = (sl_err)io->ops->sync(io, s->idx_fd);
            if (e == SL_OK)
                e = (sl_err)io->ops->sync(io, s->tix_fd);
            s->end_offset = bases[i + 1];
            if (e != SL_OK)
                goto io_fail;
            continue;
        }
        e = seg_index_open_rw(s, io, cfg->index_max_bytes);
        if (e == SL_OK)
            e = plog_scan_seg(io, s, true, cfg->index_interval_bytes, &valid_end);
        if (e != SL_OK)
            goto io_fail;
        /* A segment that ends short of the next one's base lost its tail
         * (a write that was never synced) while a later segment kept
         * data: cut there too, or the offsets would have a hole.  Only in
         * our own directories (they have a recovery point file): a
         * compacted Kafka log has such gaps by design. */
        if (valid_end < s->size ||
            (i + 1 < nb && (s->end_offset > bases[i + 1] ||
                            (have_rp && s->end_offset != bases[i + 1])))) {
            sl_warn("storage", "%s: cut torn or corrupt tail at %" PRId64 " of %" PRId64
                    " bytes (next offset %" PRId64 ")", s->log_path, valid_end, s->size,
                    s->end_offset);
            if (valid_end < s->size) {
                e = (sl_err)io->ops->truncate(io, s->log_fd, (off_t)valid_end);
                if (e != SL_OK)
                    goto io_fail;
            }
            s->size = s->written = valid_end;
            /* Whatever follows a cut cannot be trusted: its offsets would
             * leave a hole. */
            for (size_t j = i + 1; j < nb; j++) {
                static const char *const ext[] = { ".log", ".index", ".timeindex" };

                for (int x = 0; x < 3; x++) {
                    char *p = seg_path(dir, bases[j], ext[x]);

                    if (x == 0)
                        sl_warn("storage", "%s: deleted after the cut", p ? p : "segment");
                    if (p)
                        io->ops->unlink(io, p);
                    free(p);
                }
            }
            nb = i + 1;
            break;
        }
    }

    /* Make the scanned part durable: the page cache may hold data a
     * crashed process wrote but never synced. */
    for (size_t i = first_scan; i < n && !clean; i++) {
        seg *s = segs[i];

        if (i + 1 < n) {
            e = seg_index_trim(s, io);
            if (e == SL_OK)
                e = (sl_err)io->ops->sync(io, s->idx_fd);
            if (e == SL_OK)
                e = (sl_err)io->ops->sync(io, s->tix_fd);
            if (e != SL_OK)
                goto io_fail;
        }
        e = (sl_err)io->ops->sync(io, s->log_fd);
        if (e != SL_OK)
            goto io_fail;
        s->synced = s->end_offset;
    }
    e = (sl_err)io->ops->sync_dir(io, dir);
    if (e != SL_OK)
        goto io_fail;
    out->recovery_point = segs[n - 1]->base;
    /* Written even when it did not move if there was none: from now on
     * the directory is ours (a crash while creating it left it without
     * one), and the gap rule applies to what we append. */
    if (out->recovery_point != stored_rp || !have_rp) {
        e = plog_write_recovery_point(io, dir, out->recovery_point);
        if (e != SL_OK)
            goto io_fail;
    }
    out->segs = segs;
    out->nseg = n;
    out->end_offset = segs[n - 1]->end_offset;
    free(bases);
    return SL_OK;

io_fail:
    snprintf(errstr, errstr_size, "%s: recovery: %s", dir, sl_err_str(e));
fail:
    free_segs(io, segs, n);
    free(bases);
    return e;
}
