/* test_retention.c - storage/log.c's retention (retention.ms,
 * retention.bytes, the log start) and DeleteRecords: whole segments go,
 * the log start moves and is kept across a restart, reads below it are
 * out of range, busy or unsynced segments wait. */
#include <dirent.h>
#include <sys/stat.h>

#include "storage/storage_int.h"
#include "storage_test.h"

static int count_ext(const char *dir, const char *ext)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t k = strlen(ext);
    int n = 0;

    cr_assert(d);
    while ((de = readdir(d)) != NULL) {
        size_t m = strlen(de->d_name);

        n += m > k && strcmp(de->d_name + m - k, ext) == 0;
    }
    closedir(d);
    return n;
}

/* Batches of 2 records, ~160 bytes, two per 400-byte segment: segment i
 * holds offsets 4i..4i+3; batch i has timestamps ts0 + 1000 i (+1). */
static void fill_ts(fixture *f, int nbatch, int64_t ts0)
{
    for (int i = 0; i < nbatch; i++)
        append_n(f, 2, ts0 + 1000 * i, 40, NULL, NULL);
    /* Rolled segments are synced by the flush round (invariant 4). */
    plog_env_flush(f->env);
}

Test(retention, by_time_deletes_whole_old_segments)
{
    fixture f;
    plog_config cfg = st_small_config(400, 64);
    plog_slice s;
    int64_t off, ts;

    cfg.retention_ms = 10000;
    fx_init(&f, cfg);
    fill_ts(&f, 8, 100000); /* segments 0, 4, 8, 12; newest ts 101001 .. 107001 */
    cr_assert_eq(f.log->nseg, 4);
    cr_assert_eq(count_ext(f.dir, ".log"), 4);
    /* Segment 0's newest timestamp is 101001: older than 10 s at 111002. */
    cr_assert_eq(plog_retention_run(f.log, 111001), 0, "not older yet");
    cr_assert_eq(plog_retention_run(f.log, 111002), 1);
    cr_assert_eq(plog_log_start(f.log), 4);
    cr_assert_eq(count_ext(f.dir, ".log"), 3);
    cr_assert_eq(count_ext(f.dir, ".index"), 3);
    cr_assert_eq(count_ext(f.dir, ".timeindex"), 3);
    cr_assert_eq(count_ext(f.dir, ".deleted"), 0, "unlinked (sync io: at once)");
    cr_assert_eq(plog_read(f.log, 3, 1 << 20, &s), SL_KE_OFFSET_OUT_OF_RANGE);
    cr_assert_eq(s.fd, -1);
    check_batch_at(f.log, 4);
    cr_assert_eq(plog_offset_for_time(f.log, 0, &off, &ts), SL_OK);
    cr_assert_eq(off, 4, "the first offset left");
    cr_assert_eq(ts, 102000);
    /* Two more go; the active segment (12) is not due. */
    cr_assert_eq(plog_retention_run(f.log, 115002), 2);
    cr_assert_eq(plog_log_start(f.log), 12);
    cr_assert_eq(plog_end_offset(f.log), 16);
    /* The log start survives a restart: it is the first segment's base. */
    fx_reopen(&f);
    cr_assert_eq(plog_log_start(f.log), 12);
    cr_assert_eq(plog_end_offset(f.log), 16);
    check_batch_at(f.log, 12);
    fx_fini(&f);
}

/* Every segment due, the active one too: the log rolls (Kafka does), so
 * it keeps a segment at its end offset, and appends go on from there. */
Test(retention, everything_due_rolls_and_keeps_the_end)
{
    fixture f;
    plog_config cfg = st_small_config(400, 64);

    cfg.retention_ms = 1000;
    fx_init(&f, cfg);
    fill_ts(&f, 5, 1000); /* segments 0, 4, 8 (one batch), all synced */
    append_n(&f, 2, 9000, 40, NULL, NULL); /* 10-11 in segment 8, not synced */
    cr_assert_eq(f.log->nseg, 3);
    /* The active segment is not synced: it rolls now and goes once the
     * flush round synced it. */
    cr_assert_eq(plog_retention_run(f.log, 100000), 2);
    cr_assert_eq(f.log->nseg, 2);
    cr_assert_eq(f.log->segs[1]->base, 12, "rolled to an empty segment at the end");
    cr_assert_eq(plog_log_start(f.log), 8);
    cr_assert_eq(plog_env_flush(f.env), 1, "the rolled segment's sync");
    cr_assert_eq(plog_retention_run(f.log, 100000), 1);
    cr_assert_eq(f.log->nseg, 1);
    cr_assert_eq(plog_log_start(f.log), 12);
    cr_assert_eq(plog_end_offset(f.log), 12);
    cr_assert_eq(plog_retention_run(f.log, 100000), 0, "an empty segment stays");
    cr_assert_eq(append_n(&f, 2, 200000, 40, NULL, NULL), 12);
    check_batch_at(f.log, 13);
    fx_reopen(&f);
    cr_assert_eq(plog_log_start(f.log), 12);
    cr_assert_eq(plog_end_offset(f.log), 14);
    fx_fini(&f);
}

Test(retention, by_bytes_keeps_the_log_above_the_limit)
{
    fixture f;
    plog_config cfg = st_small_config(400, 64);
    int64_t seg_size, total = 0;

    fx_init(&f, cfg);
    fill_ts(&f, 8, 1000);
    seg_size = f.log->segs[0]->size;
    for (size_t i = 0; i < f.log->nseg; i++)
        total += f.log->segs[i]->size;
    cr_assert_eq(total, 4 * seg_size);
    /* retention.bytes = 2.5 segments: two go (the rest, 2 segments, is
     * below it, which is Kafka's rule: delete while what stays >= it). */
    cfg.retention_bytes = seg_size * 2 + seg_size / 2;
    cr_assert_eq(plog_set_config(f.log, &cfg), SL_OK);
    cr_assert_eq(plog_retention_run(f.log, 0), 1);
    cr_assert_eq(plog_log_start(f.log), 4);
    cr_assert_eq(plog_retention_run(f.log, 0), 0, "3 segments - 1 < 2.5");
    cfg.retention_bytes = seg_size * 2;
    cr_assert_eq(plog_set_config(f.log, &cfg), SL_OK);
    cr_assert_eq(plog_retention_run(f.log, 0), 1);
    cr_assert_eq(plog_log_start(f.log), 8);
    cfg.retention_bytes = -1;
    cr_assert_eq(plog_set_config(f.log, &cfg), SL_OK);
    cr_assert_eq(plog_retention_run(f.log, INT64_MAX), 0, "no policy, nothing goes");
    fx_fini(&f);
}

/* A segment with unsynced offsets waits for its sync (a power loss could
 * bring back the renamed file, torn); so does one with a write in flight. */
Test(retention, unsynced_segments_wait_for_their_sync)
{
    fixture f;
    plog_config cfg = st_small_config(400, 64);

    cfg.retention_bytes = 0;
    fx_init(&f, cfg);
    for (int i = 0; i < 4; i++)
        append_n(&f, 2, 1000, 40, NULL, NULL);
    cr_assert_eq(f.log->nseg, 2);
    cr_assert_eq(plog_retention_run(f.log, 0), 0, "nothing is synced");
    cr_assert_eq(f.log->nseg, 3, "but the active segment rolled");
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(plog_retention_run(f.log, 0), 2);
    cr_assert_eq(plog_log_start(f.log), 8);
    cr_assert_eq(plog_end_offset(f.log), 8);
    fx_fini(&f);
}

/* Segments whose newest batch has no timestamp (-1) age by the file's
 * mtime, as in Kafka. */
Test(retention, no_timestamp_uses_the_file_mtime)
{
    fixture f;
    plog_config cfg = st_small_config(400, 64);
    struct timespec times[2] = { { 1000, 0 }, { 1000, 0 } };

    cfg.retention_ms = 10000000;
    fx_init(&f, cfg);
    append_n(&f, 2, -3001, 40, NULL, NULL); /* max timestamps below -1 */
    append_n(&f, 2, -2001, 40, NULL, NULL);
    append_n(&f, 2, 19000000, 40, NULL, NULL);
    append_n(&f, 2, 19000000, 40, NULL, NULL);
    plog_env_flush(f.env);
    cr_assert_eq(f.log->segs[0]->max_ts, -1, "no usable timestamp in segment 0");
    cr_assert_eq(f.log->segs[1]->max_ts, 19000001);
    cr_assert_eq(plog_retention_run(f.log, 20000000), 0, "segment 0's mtime is now");
    cr_assert_eq(utimensat(AT_FDCWD, f.log->segs[0]->log_path, times, 0), 0);
    cr_assert_eq(plog_retention_run(f.log, 20000000), 1, "mtime 1000 s: old");
    cr_assert_eq(plog_log_start(f.log), 4);
    fx_fini(&f);
}

Test(retention, delete_records_moves_the_log_start)
{
    fixture f;
    plog_config cfg = st_small_config(400, 64);
    int64_t low, off, ts;
    plog_slice s;

    fx_init(&f, cfg);
    fill_ts(&f, 8, 1000); /* 16 offsets, segments 0, 4, 8, 12 */
    cr_assert_eq(plog_delete_records(f.log, 17, &low), SL_KE_OFFSET_OUT_OF_RANGE);
    cr_assert_eq(plog_delete_records(f.log, -2, &low), SL_KE_OFFSET_OUT_OF_RANGE);
    cr_assert_eq(low, 0);
    cr_assert_eq(plog_delete_records(f.log, 6, &low), SL_OK);
    cr_assert_eq(low, 6);
    cr_assert_eq(plog_log_start(f.log), 6);
    cr_assert_eq(f.log->nseg, 3, "segment 0 was wholly below");
    cr_assert_eq(plog_read(f.log, 5, 1 << 20, &s), SL_KE_OFFSET_OUT_OF_RANGE);
    check_batch_at(f.log, 6);
    /* Inside a batch: Kafka answers max(found, log start). */
    cr_assert_eq(plog_offset_for_time(f.log, 0, &off, &ts), SL_OK);
    cr_assert_eq(off, 6);
    cr_assert_eq(plog_delete_records(f.log, 3, &low), SL_OK, "below the start: no change");
    cr_assert_eq(low, 6);
    fx_reopen(&f);
    cr_assert_eq(plog_log_start(f.log), 6, "persisted");
    cr_assert_eq(plog_delete_records(f.log, -1, &low), SL_OK, "-1: the high watermark");
    cr_assert_eq(low, 16);
    cr_assert_eq(f.log->nseg, 1, "only the active segment stays");
    cr_assert_eq(plog_read(f.log, 15, 1, &s), SL_KE_OFFSET_OUT_OF_RANGE);
    cr_assert_eq(plog_read(f.log, 16, 1, &s), SL_OK);
    cr_assert_eq(s.len, 0);
    /* The next retention run takes the active segment too, rolling (it
     * is synced: recovery synced it at open). */
    cr_assert_eq(plog_retention_run(f.log, 0), 1);
    cr_assert_eq(f.log->segs[0]->base, 16);
    cr_assert_eq(plog_end_offset(f.log), 16);
    cr_assert_eq(append_n(&f, 1, 1, 10, NULL, NULL), 16);
    fx_reopen(&f);
    cr_assert_eq(plog_log_start(f.log), 16);
    cr_assert_eq(plog_end_offset(f.log), 17);
    fx_fini(&f);
}

/* The stored log start points past the end (its offsets were lost in a
 * power loss): it is clamped to the end and rewritten, or later appends
 * there would fall below it at the next restart. */
Test(retention, log_start_past_the_end_is_clamped_and_rewritten)
{
    fixture f;
    char *p;
    FILE *fp;
    char buf[64] = "";

    fx_init(&f, st_small_config(400, 64));
    fill_ts(&f, 2, 1000);
    plog_close(f.log);
    p = st_path(f.dir, "log-start-offset");
    fp = fopen(p, "w");
    fputs("0\n40\n", fp);
    fclose(fp);
    fx_open(&f);
    cr_assert_eq(plog_log_start(f.log), 4);
    cr_assert_eq(plog_end_offset(f.log), 4);
    fp = fopen(p, "r");
    cr_assert(fread(buf, 1, sizeof buf - 1, fp) > 0);
    fclose(fp);
    cr_assert_str_eq(buf, "0\n4\n");
    append_n(&f, 2, 1000, 40, NULL, NULL);
    fx_reopen(&f);
    cr_assert_eq(plog_log_start(f.log), 4, "the new records stay readable");
    check_batch_at(f.log, 4);
    free(p);
    fx_fini(&f);
}

/* A .log renamed for deletion and an index without its .log are what a
 * crash in the middle of a deletion leaves: removed at open. */
Test(retention, leftovers_of_a_deletion_are_removed_at_open)
{
    fixture f;
    char *a, *b;
    FILE *fp;

    fx_init(&f, st_small_config(400, 64));
    fill_ts(&f, 4, 1000);
    plog_close(f.log);
    a = st_path(f.dir, "00000000000000000000.log");
    b = st_path(f.dir, "00000000000000000000.log.deleted");
    cr_assert_eq(rename(a, b), 0);
    free(a);
    a = st_path(f.dir, "00000000000000000077.timeindex");
    fp = fopen(a, "w");
    fclose(fp);
    fx_open(&f);
    cr_assert_not(st_exists(b));
    cr_assert_not(st_exists(a));
    cr_assert_eq(count_ext(f.dir, ".index"), 1, "segment 0's index went too");
    cr_assert_eq(count_ext(f.dir, ".timeindex"), 1);
    cr_assert_eq(plog_log_start(f.log), 4);
    check_batch_at(f.log, 4);
    free(a);
    free(b);
    fx_fini(&f);
}

/* --- an io whose async unlinks wait: the data file goes off the loop ----- */

typedef struct slow_unlink_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    sl_io_req *req[4];
    const char *path[4];
    int n;
} slow_unlink_io;

static void slow_unlink_async(sl_io *io, sl_io_req *req, const char *path)
{
    slow_unlink_io *x = (slow_unlink_io *)io;

    cr_assert_lt(x->n, 4);
    x->req[x->n] = req;
    x->path[x->n++] = path;
}

static void slow_destroy(sl_io *io) { free(io); }

Test(retention, data_file_is_unlinked_asynchronously)
{
    fixture f;
    slow_unlink_io *x;
    plog_config cfg = st_small_config(400, 64);
    char *deleted;

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    x = calloc(1, sizeof *x);
    x->real = f.io;
    x->ops = *f.io->ops;
    x->ops.unlink_async = slow_unlink_async;
    x->ops.destroy = slow_destroy;
    x->io.ops = &x->ops;
    cfg.retention_bytes = 0;
    f.cfg = cfg;
    cr_assert_eq(plog_env_new(&f.env, &x->io), SL_OK);
    fx_open(&f);
    fill_ts(&f, 4, 1000); /* segments 0 and 4, both synced by the round */
    cr_assert_eq(plog_retention_run(f.log, 0), 2, "both, after a roll to 8");
    cr_assert_eq(x->n, 2);
    deleted = st_path(f.dir, "00000000000000000000.log.deleted");
    cr_assert_str_eq(x->path[0], deleted);
    cr_assert(st_exists(deleted), "renamed; the unlink is in flight");
    cr_assert_eq(count_ext(f.dir, ".log"), 1, "segment 8 only");
    cr_assert_eq(count_ext(f.dir, ".index"), 1, "indexes unlinked at once");
    cr_assert_eq(plog_env_pending(f.env), 2, "the broker waits for them at shutdown");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(f.io->ops->unlink(f.io, x->path[i]), SL_OK);
        x->req[i]->cb(x->req[i], 0);
    }
    cr_assert_eq(plog_env_pending(f.env), 0);
    cr_assert_not(st_exists(deleted));
    cr_assert_eq(count_ext(f.dir, ".deleted"), 0);
    free(deleted);
    fx_fini(&f);
    sl_io_free(&x->io);
}

/* A segment a sync in flight points at is not deleted under it. */
typedef struct hold_sync_io {
    sl_io io;
    sl_io_ops ops;
    sl_io *real;
    sl_io_req *held[4];
    int n;
} hold_sync_io;

static void hold_datasync(sl_io *io, sl_io_req *req, int fd)
{
    hold_sync_io *x = (hold_sync_io *)io;

    cr_assert_eq(x->real->ops->sync(x->real, fd), SL_OK);
    x->held[x->n++] = req;
}

static void hold_destroy(sl_io *io) { free(io); }

Test(retention, segment_with_a_sync_in_flight_waits)
{
    fixture f;
    hold_sync_io *x;
    plog_config cfg = st_small_config(400, 64);

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    x = calloc(1, sizeof *x);
    x->real = f.io;
    x->ops = *f.io->ops;
    x->ops.datasync = hold_datasync;
    x->ops.destroy = hold_destroy;
    x->io.ops = &x->ops;
    cfg.retention_bytes = 0;
    f.cfg = cfg;
    cr_assert_eq(plog_env_new(&f.env, &x->io), SL_OK);
    fx_open(&f);
    for (int i = 0; i < 4; i++)
        append_n(&f, 2, 1000, 40, NULL, NULL);
    cr_assert_eq(plog_env_flush(f.env), 1);
    cr_assert_eq(x->n, 2, "one round, a sync per segment, in flight");
    cr_assert_eq(plog_retention_run(f.log, 0), 0);
    x->held[0]->cb(x->held[0], 0);
    /* Segment 0 is synced; the active one rolls but its sync is still in
     * flight. */
    cr_assert_eq(plog_retention_run(f.log, 0), 1);
    cr_assert_eq(f.log->nseg, 2);
    x->held[1]->cb(x->held[1], 0);
    cr_assert_eq(plog_retention_run(f.log, 0), 1);
    cr_assert_eq(plog_log_start(f.log), 8);
    fx_fini(&f);
    sl_io_free(&x->io);
}
