/* test_recover.c - storage/recover.c: a torn or corrupt tail is cut at open,
 * exactly at the last whole batch; indexes are rebuilt; the recovery point
 * decides what is scanned. */
#include <dirent.h>

#include "storage/storage_int.h"
#include "storage_test.h"

static uint8_t *slurp(const char *path, size_t *n)
{
    int64_t sz = st_file_size(path);
    uint8_t *buf;
    int fd;

    cr_assert_geq(sz, 0, "%s exists", path);
    buf = malloc((size_t)sz + 1);
    fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pread(fd, buf, (size_t)sz, 0), sz);
    close(fd);
    *n = (size_t)sz;
    return buf;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static char *seg_file(const char *dir, int64_t base, const char *ext)
{
    char *p = seg_path(dir, base, ext);

    cr_assert(p);
    return p;
}

typedef struct env {
    char *dir;
    sl_io *io;
    plog_env *penv;
    plog_config cfg;
} env;

static void env_init(env *e, plog_config cfg)
{
    e->dir = st_tmpdir();
    e->io = sl_io_sync_new();
    e->cfg = cfg;
    cr_assert_eq(plog_env_new(&e->penv, e->io), SL_OK);
}

static void env_fini(env *e)
{
    plog_env_free(e->penv);
    sl_io_free(e->io);
    st_rmdir(e->dir);
}

static plog *open_log(env *e, const char *dir)
{
    plog *l;
    char err[256] = "";

    cr_assert_eq(plog_open(&l, e->penv, dir, &e->cfg, err, sizeof err), SL_OK, "%s", err);
    return l;
}

/* Append batches of `recs` records each; returns each batch's size. */
static void fill(plog *l, int nbatch, int recs, size_t vsize, size_t *sizes)
{
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };

    for (int i = 0; i < nbatch; i++) {
        size_t len;
        uint8_t *b = st_batch(recs, 1000 + i, vsize, i, &len);

        cr_assert_eq(plog_append(l, b, len, false, st_cb, &ud), SL_OK);
        if (sizes)
            sizes[i] = len;
        free(b);
    }
    cr_assert_eq(rec.n, nbatch);
}

/* Every offset below the end reads back as a valid batch holding it. */
static void check_readable(plog *l)
{
    for (int64_t o = 0; o < plog_high_watermark(l); o++) {
        plog_slice s;
        rec_batch h;
        uint8_t *buf;

        cr_assert_eq(plog_read(l, o, 1, &s), SL_OK);
        buf = st_slice_bytes(&s);
        cr_assert_eq(rec_batch_validate(buf, (size_t)s.len, &h), SL_OK);
        cr_assert(h.base_offset <= o && o <= h.base_offset + h.last_offset_delta);
        free(buf);
    }
}

Test(recover, truncation_at_every_byte_of_the_last_batch)
{
    env e;
    size_t sizes[3], n, last_start;
    uint8_t *orig;
    char *logf;
    plog *l;

    env_init(&e, st_small_config(1 << 20, 64));
    l = open_log(&e, e.dir);
    fill(l, 3, 3, 12, sizes);
    plog_close(l);
    logf = seg_file(e.dir, 0, ".log");
    orig = slurp(logf, &n);
    last_start = sizes[0] + sizes[1];
    cr_assert_eq(n, last_start + sizes[2]);

    for (size_t cut = last_start; cut < n; cut++) {
        spit(logf, orig, cut);
        l = open_log(&e, e.dir);
        cr_assert_eq(plog_end_offset(l), 6, "cut at %zu keeps the two whole batches", cut);
        cr_assert_eq(plog_high_watermark(l), 6);
        cr_assert_eq(st_file_size(logf), (int64_t)last_start, "the torn bytes are gone");
        check_readable(l);
        plog_close(l);
    }
    /* Nothing cut: all three stay. */
    spit(logf, orig, n);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 9);
    check_readable(l);
    plog_close(l);
    free(orig);
    free(logf);
    env_fini(&e);
}

Test(recover, garbage_after_the_last_batch_is_cut)
{
    env e;
    size_t n;
    uint8_t *orig, *junk;
    char *logf;
    plog *l;

    env_init(&e, st_small_config(1 << 20, 64));
    l = open_log(&e, e.dir);
    fill(l, 4, 2, 30, NULL);
    plog_close(l);
    logf = seg_file(e.dir, 0, ".log");
    orig = slurp(logf, &n);
    junk = malloc(n + 4096);
    memcpy(junk, orig, n);

    /* Zeros (a file extended but never written), then random bytes, then
     * a copy of a valid batch with a stale offset. */
    memset(junk + n, 0, 4096);
    spit(logf, junk, n + 4096);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 8);
    plog_close(l);
    cr_assert_eq(st_file_size(logf), (int64_t)n);

    srand(3);
    for (int i = 0; i < 4096; i++)
        junk[n + (size_t)i] = (uint8_t)rand();
    spit(logf, junk, n + 777);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 8);
    plog_close(l);
    cr_assert_eq(st_file_size(logf), (int64_t)n);

    memcpy(junk + n, orig, n / 4); /* batch 0 again: offset goes backwards */
    spit(logf, junk, n + n / 4);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 8);
    check_readable(l);
    plog_close(l);
    cr_assert_eq(st_file_size(logf), (int64_t)n);
    free(junk);
    free(orig);
    free(logf);
    env_fini(&e);
}

Test(recover, corrupt_byte_cuts_from_that_batch)
{
    env e;
    size_t sizes[4], n;
    uint8_t *orig;
    char *logf;
    plog *l;

    env_init(&e, st_small_config(1 << 20, 64));
    l = open_log(&e, e.dir);
    fill(l, 4, 2, 30, sizes);
    plog_close(l);
    logf = seg_file(e.dir, 0, ".log");
    orig = slurp(logf, &n);
    orig[sizes[0] + 70] ^= 0x40; /* inside batch 1's records: CRC mismatch */
    spit(logf, orig, n);
    /* A clean close is trusted without a scan: make it a crash image. */
    {
        char *mark = st_path(e.dir, "clean-shutdown");

        cr_assert_eq(unlink(mark), 0);
        free(mark);
    }
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 2);
    cr_assert_eq(st_file_size(logf), (int64_t)sizes[0]);
    check_readable(l);
    plog_close(l);
    free(orig);
    free(logf);
    env_fini(&e);
}

static int count_logs(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    int64_t base;

    cr_assert(d);
    while ((de = readdir(d)) != NULL)
        n += seg_parse_name(de->d_name, &base);
    closedir(d);
    return n;
}

/* Copy every regular file of `from` into `to` (made): a crash image of a
 * log still open, its page cache as a crash would leave it. */
static void copy_dir(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *de;

    cr_assert_eq(mkdir(to, 0755), 0);
    while ((de = readdir(d)) != NULL) {
        char *src, *dst;
        uint8_t *buf;
        size_t n;

        if (de->d_name[0] == '.')
            continue;
        src = st_path(from, de->d_name);
        dst = st_path(to, de->d_name);
        buf = slurp(src, &n);
        spit(dst, buf, n);
        free(buf);
        free(src);
        free(dst);
    }
    closedir(d);
}

Test(recover, torn_tail_in_a_rolled_segment_after_a_crash)
{
    env e;
    char *live, *crash, *seg1, *rp;
    size_t n, sizes[12];
    uint8_t *buf;
    plog *l;

    env_init(&e, st_small_config(400, 64));
    live = st_path(e.dir, "live");
    crash = st_path(e.dir, "crash");
    l = open_log(&e, live);
    fill(l, 12, 2, 40, sizes); /* ~150-byte batches, 2 per segment */
    cr_assert_eq(count_logs(live), 6);
    copy_dir(live, crash);
    plog_close(l);

    /* The crash image: no clean close, so no recovery point past segment 0;
     * segment 2 (offsets 4..7) lost the end of its second batch. */
    rp = st_path(crash, "recovery-point");
    {
        uint8_t *t = slurp(rp, &n);

        cr_assert(n == 4 && memcmp(t, "0\n0\n", 4) == 0,
                  "no roll was synced before the copy: the point is segment 0");
        free(t);
    }
    seg1 = seg_file(crash, 4, ".log");
    buf = slurp(seg1, &n);
    cr_assert_eq(n, sizes[2] + sizes[3]);
    spit(seg1, buf, n - 5);
    free(buf);
    l = open_log(&e, crash);
    cr_assert_eq(plog_end_offset(l), 6, "cut inside segment 4, later ones deleted");
    cr_assert_eq(count_logs(crash), 2);
    check_readable(l);
    fill(l, 1, 2, 40, NULL);
    cr_assert_eq(plog_end_offset(l), 8);
    plog_close(l);
    l = open_log(&e, crash);
    cr_assert_eq(plog_end_offset(l), 8);
    check_readable(l);
    plog_close(l);
    free(rp);
    free(seg1);
    free(live);
    free(crash);
    env_fini(&e);
}

Test(recover, recovery_point_moves_at_close_and_skips_clean_segments)
{
    env e;
    char *rp, *seg0;
    uint8_t *buf;
    size_t n;
    plog *l;

    env_init(&e, st_small_config(400, 64));
    l = open_log(&e, e.dir);
    fill(l, 8, 2, 40, NULL);
    plog_close(l);
    rp = st_path(e.dir, "recovery-point");
    buf = slurp(rp, &n);
    buf[n] = '\0';
    cr_assert_str_eq((char *)buf, "0\n12\n", "base of the last segment");
    free(buf);
    /* Data below the point is not read at open (a clean start reads only
     * the last segment): a flipped byte there goes unseen. */
    seg0 = seg_file(e.dir, 0, ".log");
    buf = slurp(seg0, &n);
    buf[n - 3] ^= 1;
    spit(seg0, buf, n);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 16);
    plog_close(l);
    /* Without the point everything is scanned and the flip is found. */
    cr_assert_eq(unlink(rp), 0);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 2);
    cr_assert_eq(count_logs(e.dir), 1);
    plog_close(l);
    free(buf);
    free(seg0);
    free(rp);
    env_fini(&e);
}

Test(recover, damaged_index_of_a_clean_segment_is_rebuilt)
{
    env e;
    char *idx;
    uint8_t zeros[64] = { 0 }, *buf;
    size_t n;
    plog *l;
    int fd;

    env_init(&e, st_small_config(2000, 64));
    l = open_log(&e, e.dir);
    fill(l, 40, 2, 30, NULL);
    plog_close(l);
    idx = seg_file(e.dir, 0, ".index");
    buf = slurp(idx, &n);
    cr_assert_gt(n, 16, "the index has entries");
    cr_assert_eq(n % 8, 0);
    /* As if never trimmed: zero entries after the used ones. */
    fd = open(idx, O_WRONLY | O_APPEND);
    cr_assert_eq(write(fd, zeros, sizeof zeros), (ssize_t)sizeof zeros);
    close(fd);
    l = open_log(&e, e.dir);
    check_readable(l);
    plog_close(l);
    cr_assert_eq(st_file_size(idx), (int64_t)n, "rebuilt to the same entries");
    free(buf);
    buf = slurp(idx, &n);
    /* Garbage: positions past the file. */
    memset(buf, 0xff, n);
    spit(idx, buf, n);
    l = open_log(&e, e.dir);
    check_readable(l);
    plog_close(l);
    free(buf);
    free(idx);
    env_fini(&e);
}

Test(recover, last_segment_index_rebuilt_by_scan)
{
    env e;
    char *idx;
    size_t n, m;
    uint8_t *a, *b;
    plog *l;

    env_init(&e, st_small_config(1 << 20, 64));
    l = open_log(&e, e.dir);
    fill(l, 30, 2, 30, NULL);
    plog_close(l);
    idx = seg_file(e.dir, 0, ".index");
    a = slurp(idx, &n);
    cr_assert_gt(n, 0);
    cr_assert_eq(unlink(idx), 0);
    l = open_log(&e, e.dir);
    check_readable(l);
    plog_close(l);
    b = slurp(idx, &m);
    cr_assert_eq(m, n);
    cr_assert_eq(memcmp(a, b, n), 0, "the scan builds the index appends built");
    free(a);
    free(b);
    free(idx);
    env_fini(&e);
}

/* --- time index across restarts ------------------------------------------ */

typedef struct count_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    char read[64][4096]; /* the files pread read */
    int nread;
} count_io;

static int64_t count_pread(sl_io *io, int fd, void *buf, size_t len, off_t off)
{
    count_io *x = (count_io *)io;
    char proc[64];
    ssize_t n;

    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (x->nread < 64 && (n = readlink(proc, x->read[x->nread], 4095)) > 0)
        x->read[x->nread++][n] = '\0';
    return x->real->ops->pread(x->real, fd, buf, len, off);
}

static void count_destroy(sl_io *io) { free(io); }

/* After a clean close no segment is read (the last one is trusted through
 * the clean shutdown file): max timestamps come from the time indexes. */
Test(recover, clean_segments_know_their_max_timestamp_without_a_scan)
{
    env e;
    count_io *x = calloc(1, sizeof *x);
    plog_env *penv;
    plog *l;
    char err[256];
    int64_t off, ts;

    env_init(&e, st_small_config(400, 64));
    l = open_log(&e, e.dir);
    fill(l, 8, 2, 40, NULL); /* timestamps 1000+i, 4 segments */
    plog_close(l);
    x->real = e.io;
    x->ops = *e.io->ops;
    x->ops.pread = count_pread;
    x->ops.destroy = count_destroy;
    x->io.ops = &x->ops;
    cr_assert_eq(plog_env_new(&penv, &x->io), SL_OK);
    cr_assert_eq(plog_open(&l, penv, e.dir, &e.cfg, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(l->nseg, 4);
    for (int i = 0; i < x->nread; i++)
        for (size_t k = 0; k < l->nseg; k++)
            cr_assert(strstr(x->read[i], l->segs[k]->log_path + strlen(e.dir)) == NULL,
                      "segment %zu was read", k);
    for (size_t k = 0; k < l->nseg; k++) {
        cr_assert_eq(l->segs[k]->max_ts, 1002 + 2 * (int64_t)k, "segment %zu: %ld", k,
                     (long)l->segs[k]->max_ts);
        cr_assert_gt(l->segs[k]->tix_n, 0);
    }
    /* Batch 3 (offsets 6-7) has timestamps 1003 and 1004. */
    cr_assert_eq(plog_offset_for_time(l, 1004, &off, &ts), SL_OK);
    cr_assert_eq(off, 7);
    cr_assert_eq(ts, 1004);
    plog_close(l);
    plog_env_free(penv);
    sl_io_free(&x->io);
    env_fini(&e);
}

Test(recover, missing_time_index_of_a_clean_segment_is_rebuilt)
{
    env e;
    char *tix;
    size_t n, m;
    uint8_t *a, *b;
    plog *l;

    env_init(&e, st_small_config(400, 64));
    l = open_log(&e, e.dir);
    fill(l, 8, 2, 40, NULL);
    plog_close(l);
    tix = seg_file(e.dir, 4, ".timeindex");
    a = slurp(tix, &n);
    cr_assert_gt(n, 0);
    cr_assert_eq(n % 12, 0);
    cr_assert_eq(unlink(tix), 0);
    l = open_log(&e, e.dir);
    cr_assert_eq(l->segs[1]->max_ts, 1004, "known again");
    check_readable(l);
    plog_close(l);
    b = slurp(tix, &m);
    cr_assert_eq(m, n);
    cr_assert_eq(memcmp(a, b, n), 0, "the scan builds what appends built");
    free(a);
    free(b);
    free(tix);
    env_fini(&e);
}

/* In our own directory (it has a recovery point), a scanned segment that
 * ends short of the next one's base lost its tail to a crash while a
 * later segment kept data: the log is cut there, or its offsets would
 * have a hole. */
Test(recover, segment_ending_short_of_the_next_base_is_a_cut)
{
    env e;
    char *seg0, *rp;
    size_t n, sizes[6];
    uint8_t *buf;
    plog *l;

    env_init(&e, st_small_config(400, 64));
    l = open_log(&e, e.dir);
    fill(l, 6, 2, 40, sizes); /* segments 0, 4, 8 */
    plog_close(l);
    seg0 = seg_file(e.dir, 0, ".log");
    buf = slurp(seg0, &n);
    cr_assert_eq(n, sizes[0] + sizes[1]);
    spit(seg0, buf, sizes[0]); /* the second batch never reached the disk */
    rp = st_path(e.dir, "recovery-point");
    spit(rp, (const uint8_t *)"0\n0\n", 4);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), 2);
    cr_assert_eq(count_logs(e.dir), 1, "segments 4 and 8 deleted");
    check_readable(l);
    plog_close(l);
    free(buf);
    free(seg0);
    free(rp);
    env_fini(&e);
}

/* --- clean shutdown file ------------------------------------------------- */

/* A counting io over e->io: which files pread read, and how many bytes of
 * .log files. */
typedef struct log_read_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    int64_t log_bytes;
} log_read_io;

static int64_t log_read_pread(sl_io *io, int fd, void *buf, size_t len, off_t off)
{
    log_read_io *x = (log_read_io *)io;
    char proc[64], path[4096];
    ssize_t n;
    int64_t r = x->real->ops->pread(x->real, fd, buf, len, off);

    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    n = readlink(proc, path, sizeof path - 1);
    cr_assert_gt(n, 0);
    path[n] = '\0';
    if (r > 0 && n > 4 && strcmp(path + n - 4, ".log") == 0)
        x->log_bytes += r;
    return r;
}

static void log_read_destroy(sl_io *io) { free(io); }

typedef struct counted {
    log_read_io *x;
    plog_env *penv;
} counted;

static plog *open_counted(env *e, counted *c)
{
    plog *l;
    char err[256] = "";

    c->x = calloc(1, sizeof *c->x);
    c->x->real = e->io;
    c->x->ops = *e->io->ops;
    c->x->ops.pread = log_read_pread;
    c->x->ops.destroy = log_read_destroy;
    c->x->io.ops = &c->x->ops;
    cr_assert_eq(plog_env_new(&c->penv, &c->x->io), SL_OK);
    cr_assert_eq(plog_open(&l, c->penv, e->dir, &e->cfg, err, sizeof err), SL_OK, "%s", err);
    return l;
}

static void close_counted(plog *l, counted *c)
{
    plog_close(l);
    plog_env_free(c->penv);
    sl_io_free(&c->x->io);
}

static bool exists(const char *path)
{
    return st_file_size(path) >= 0;
}

Test(recover, clean_restart_reads_no_segment_data)
{
    env e;
    counted c;
    char *mark;
    plog *l;
    int64_t end, hwm, since, max_ts, off, ts;
    size_t idx_n;

    env_init(&e, st_small_config(3000, 64));
    mark = st_path(e.dir, "clean-shutdown");
    l = open_log(&e, e.dir);
    fill(l, 30, 2, 30, NULL); /* several segments, the last with index entries */
    end = plog_end_offset(l);
    hwm = plog_high_watermark(l);
    cr_assert_gt(l->nseg, 1);
    cr_assert(!exists(mark), "no file while the log is open");
    plog_close(l);
    cr_assert(exists(mark), "a clean close leaves the file");

    l = open_counted(&e, &c);
    cr_assert_eq(c.x->log_bytes, 0, "no segment data read at a clean restart");
    cr_assert(!exists(mark), "removed at open");
    cr_assert_eq(plog_end_offset(l), end);
    cr_assert_eq(plog_high_watermark(l), hwm);
    cr_assert_gt(l->segs[l->nseg - 1]->idx_n, 0);
    since = l->segs[l->nseg - 1]->since_index;
    idx_n = l->segs[l->nseg - 1]->idx_n;
    max_ts = l->segs[l->nseg - 1]->max_ts;
    cr_assert_eq(max_ts, 1030);
    check_readable(l);
    cr_assert(!exists(mark), "reads do not bring it back");
    close_counted(l, &c);

    /* The scan of a crash image agrees on what the trusted open set. */
    cr_assert_eq(unlink(mark), 0);
    l = open_counted(&e, &c);
    cr_assert_gt(c.x->log_bytes, 0, "without the file the last segment is scanned");
    cr_assert_eq(plog_end_offset(l), end);
    cr_assert_eq(l->segs[l->nseg - 1]->since_index, since);
    cr_assert_eq(l->segs[l->nseg - 1]->idx_n, idx_n);
    cr_assert_eq(l->segs[l->nseg - 1]->max_ts, max_ts);
    close_counted(l, &c);

    /* Appends continue after a trusted open, across restarts of both kinds. */
    l = open_counted(&e, &c);
    cr_assert_eq(c.x->log_bytes, 0);
    fill(l, 20, 2, 30, NULL);
    cr_assert_eq(plog_end_offset(l), end + 40);
    check_readable(l);
    cr_assert_eq(plog_offset_for_time(l, 1005, &off, &ts), SL_OK);
    cr_assert_eq(ts, 1005);
    close_counted(l, &c);
    cr_assert(exists(mark));
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), end + 40);
    check_readable(l);
    plog_close(l);
    cr_assert_eq(unlink(mark), 0);
    l = open_log(&e, e.dir);
    cr_assert_eq(plog_end_offset(l), end + 40);
    check_readable(l);
    plog_close(l);
    free(mark);
    env_fini(&e);
}

/* The .log grew after the clean close: the file is not trusted, the new
 * batch is found by the scan. */
Test(recover, clean_shutdown_file_with_another_size_means_a_scan)
{
    env e;
    counted c;
    char *mark, *logf;
    size_t sizes[3], n;
    uint8_t *buf, *more;
    plog *l;

    env_init(&e, st_small_config(1 << 20, 64));
    mark = st_path(e.dir, "clean-shutdown");
    l = open_log(&e, e.dir);
    fill(l, 3, 3, 12, sizes); /* offsets 0..8 */
    plog_close(l);
    logf = seg_file(e.dir, 0, ".log");
    buf = slurp(logf, &n);
    /* The last batch again at offset 9 (the base offset is outside the
     * CRC), as if appended after the close. */
    more = malloc(n + sizes[2]);
    memcpy(more, buf, n);
    memcpy(more + n, buf + n - sizes[2], sizes[2]);
    sl_put_be64(more + n, 9);
    spit(logf, more, n + sizes[2]);
    l = open_counted(&e, &c);
    cr_assert_gt(c.x->log_bytes, 0, "scanned");
    cr_assert(!exists(mark));
    cr_assert_eq(plog_end_offset(l), 12);
    check_readable(l);
    close_counted(l, &c);
    free(more);
    free(buf);
    free(logf);
    free(mark);
    env_fini(&e);
}

/* A file left from an older clean close, and a torn tail after it: the
 * scan cuts exactly at the last whole batch. */
Test(recover, stale_clean_shutdown_file_and_a_torn_tail)
{
    env e;
    char *mark, *logf;
    size_t sizes[3], n, mn, cut;
    uint8_t *old, *buf;
    plog *l;

    env_init(&e, st_small_config(1 << 20, 64));
    mark = st_path(e.dir, "clean-shutdown");
    logf = seg_file(e.dir, 0, ".log");
    l = open_log(&e, e.dir);
    fill(l, 3, 3, 12, sizes); /* offsets 0..8 */
    plog_close(l);
    old = slurp(mark, &mn);
    n = (size_t)st_file_size(logf);
    for (int round = 0; round < 2; round++) {
        l = open_log(&e, e.dir);
        fill(l, 2, 3, 12, NULL);
        cr_assert_eq(plog_end_offset(l), 15);
        plog_close(l);
        /* Round 0 tears the second new batch, round 1 the first one: the
         * cut then falls exactly at the size the stale file records. */
        buf = slurp(logf, &cut);
        cut = round == 0 ? cut - 7 : n + 20;
        spit(logf, buf, cut);
        free(buf);
        spit(mark, old, mn);
        l = open_log(&e, e.dir);
        cr_assert(!exists(mark));
        cr_assert_eq(plog_end_offset(l), round == 0 ? 12 : 9);
        cr_assert_eq(st_file_size(logf), (int64_t)(round == 0 ? n + sizes[0] : n),
                     "cut at the last whole batch");
        check_readable(l);
        fill(l, 1, 3, 12, NULL);
        cr_assert_eq(plog_end_offset(l), round == 0 ? 15 : 12);
        check_readable(l);
        plog_close(l);
        /* Truncate back to the state the stale file describes for round 1. */
        buf = slurp(logf, &cut);
        spit(logf, buf, n);
        free(buf);
        cr_assert_eq(unlink(mark), 0);
        l = open_log(&e, e.dir);
        cr_assert_eq(plog_end_offset(l), 9);
        plog_close(l);
    }
    free(old);
    free(mark);
    free(logf);
    env_fini(&e);
}
