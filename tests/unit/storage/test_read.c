/* test_read.c - storage/read.c: fetch slices (whole batches, max_bytes,
 * the high watermark, segment boundaries) and offsets for timestamps,
 * inside compressed batches too. */
#include <pthread.h>

#include "protocol/codec.h"
#include "storage/storage_int.h"
#include "storage_test.h"

Test(read, max_bytes_takes_whole_batches)
{
    fixture f;
    size_t len = 0;
    uint8_t *b;
    plog_slice s;

    fx_init(&f, st_small_config(1 << 20, 4096));
    for (int i = 0; i < 6; i++)
        append_n(&f, 2, 1000, 50, i == 0 ? &b : NULL, &len);
    /* All batches have the same size. */
    cr_assert_eq(plog_read(f.log, 0, (int64_t)(len * 2 + len / 2), &s), SL_OK);
    cr_assert_eq(s.len, (int64_t)len * 2);
    close(s.fd);
    cr_assert_eq(plog_read(f.log, 0, (int64_t)len * 3, &s), SL_OK);
    cr_assert_eq(s.len, (int64_t)len * 3);
    close(s.fd);
    cr_assert_eq(plog_read(f.log, 0, 1, &s), SL_OK, "the first batch always");
    cr_assert_eq(s.len, (int64_t)len);
    close(s.fd);
    cr_assert_eq(plog_read(f.log, 0, 0, &s), SL_OK);
    cr_assert_eq(s.len, (int64_t)len);
    close(s.fd);
    cr_assert_eq(plog_read(f.log, 5, INT64_MAX, &s), SL_OK, "starts at the batch of offset 5");
    cr_assert_eq(s.pos, (int64_t)len * 2);
    cr_assert_eq(s.len, (int64_t)len * 4);
    close(s.fd);
    free(b);
    fx_fini(&f);
}

/* --- offset for time ------------------------------------------------------ */

/* Set the codec bits (pretend gzip: the records are not) and fix the CRC. */
static void mark_compressed(uint8_t *b, size_t len)
{
    sl_put_be16(b + 21, (uint16_t)(sl_be16(b + 21) | CODEC_GZIP));
    rec_batch_seal(b, len);
}

Test(read, offset_for_time)
{
    fixture f;
    int64_t off, ts;
    size_t len;
    uint8_t *b;
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };

    fx_init(&f, st_small_config(300, 100));
    /* Batches of 4 records at 1000.., 2000.., ..; one compressed at 6000. */
    for (int i = 1; i <= 8; i++) {
        b = st_batch(4, i * 1000, 20, i, &len);
        if (i == 6)
            mark_compressed(b, len);
        cr_assert_eq(plog_append(f.log, b, len, false, st_cb, &ud), SL_OK);
        free(b);
    }
    cr_assert_eq(plog_offset_for_time(f.log, 0, &off, &ts), SL_OK);
    cr_assert_eq(off, 0);
    cr_assert_eq(ts, 1000);
    cr_assert_eq(plog_offset_for_time(f.log, 3002, &off, &ts), SL_OK);
    cr_assert_eq(off, 10, "third record of the third batch");
    cr_assert_eq(ts, 3002);
    cr_assert_eq(plog_offset_for_time(f.log, 3004, &off, &ts), SL_OK);
    cr_assert_eq(off, 12, "past the batch's max: the next batch");
    cr_assert_eq(ts, 4000);
    cr_assert_eq(plog_offset_for_time(f.log, 6002, &off, &ts), SL_OK);
    cr_assert_eq(off, 20, "not really gzip: the batch's base offset and max timestamp");
    cr_assert_eq(ts, 6003);
    cr_assert_eq(plog_offset_for_time(f.log, 8003, &off, &ts), SL_OK);
    cr_assert_eq(off, 31);
    cr_assert_eq(plog_offset_for_time(f.log, 8004, &off, &ts), SL_OK);
    cr_assert_eq(off, -1, "none");
    /* The same after a reopen (segments below the last not scanned). */
    fx_reopen(&f);
    cr_assert_eq(plog_offset_for_time(f.log, 3002, &off, &ts), SL_OK);
    cr_assert_eq(off, 10);
    cr_assert_eq(plog_offset_for_time(f.log, 5000, &off, &ts), SL_OK);
    cr_assert_eq(off, 16);
    cr_assert_eq(plog_offset_for_time(f.log, 9000, &off, &ts), SL_OK);
    cr_assert_eq(off, -1);
    fx_fini(&f);
}


/* st_batch's n records at ts, ts + 1, ..., compressed with codec; with
 * corrupt, half its compressed bytes overwritten (the CRC made to match, so
 * storage takes it). */
static uint8_t *st_zbatch(int codec, int n, int64_t ts, bool corrupt, size_t *len)
{
    size_t plen;
    uint8_t *plain = st_batch(n, ts, 40, n, &plen), *z;

    cr_assert_eq(codec_batch_compress(plain, plen, codec, 0, &z, len), SL_OK, "codec %d", codec);
    free(plain);
    if (corrupt) {
        memset(z + REC_HEADER_SIZE, 0x5A, (*len - REC_HEADER_SIZE) / 2);
        rec_batch_seal(z, *len);
    }
    return z;
}

/* Append b (owned: freed here). */
static void append_batch(fixture *f, uint8_t *b, size_t len)
{
    st_cbs rec = { 0 };
    st_cb_ud ud = { &rec, 0 };

    cr_assert_eq(plog_append(f->log, b, len, false, st_cb, &ud), SL_OK);
    cr_assert_eq(rec.n, 1);
    cr_assert_eq(rec.err[0], SL_OK);
    free(b);
}

static void want_time(fixture *f, int64_t at, int64_t want_off, int64_t want_ts, const char *why)
{
    int64_t off, ts;

    cr_assert_eq(plog_offset_for_time(f->log, at, &off, &ts), SL_OK);
    cr_assert_eq(off, want_off, "%s: time %ld gave offset %ld, want %ld", why, (long)at,
                 (long)off, (long)want_off);
    if (want_off >= 0)
        cr_assert_eq(ts, want_ts, "%s: time %ld gave timestamp %ld, want %ld", why, (long)at,
                     (long)ts, (long)want_ts);
}

static void compressed_offsets_for_time(int codec)
{
    fixture f;
    size_t len;
    uint8_t *b;

    fx_init(&f, st_small_config(1 << 20, 256));
    b = st_batch(4, 1000, 20, 1, &len); /* 0-3 */
    append_batch(&f, b, len);
    b = st_zbatch(codec, 50, 2000, false, &len); /* 4-53 */
    append_batch(&f, b, len);
    b = st_zbatch(codec, 50, 3000, false, &len); /* 54-103 */
    append_batch(&f, b, len);
    b = st_zbatch(codec, 10, 4000, true, &len); /* 104-113, corrupt */
    append_batch(&f, b, len);
    b = st_zbatch(codec, 10, 5000, false, &len); /* 114-123 */
    append_batch(&f, b, len);
    for (int pass = 0; pass < 2; pass++) {
        want_time(&f, 2025, 29, 2025, "the middle of a compressed batch");
        want_time(&f, 2000, 4, 2000, "a compressed batch's first record");
        want_time(&f, 1500, 4, 2000, "between batches: the next record");
        want_time(&f, 2049, 53, 2049, "a compressed batch's last record");
        want_time(&f, 2050, 54, 3000, "past a batch's max: the next batch");
        want_time(&f, 3007, 61, 3007, "the second compressed batch");
        want_time(&f, 4005, 104, 4009, "corrupt payload: the batch's base offset and max time");
        want_time(&f, 5003, 117, 5003, "after the corrupt batch, exact again");
        want_time(&f, 5009, 123, 5009, "the last record");
        want_time(&f, 5010, -1, -1, "past the end");
        fx_reopen(&f); /* the same from the files alone */
    }
    fx_fini(&f);
}

Test(read, offset_for_time_inside_compressed_batches)
{
    for (int c = CODEC_GZIP; c <= CODEC_ZSTD; c++)
        compressed_offsets_for_time(c);
}

/* A batch whose records decompress past read.c's bound (64 MiB) gets the
 * batch answer, not an allocation without end. */
Test(read, offset_for_time_oversize_compressed_batch_falls_back)
{
    size_t big = (64u << 20) + 1, plen, len;
    rec_builder *b = rec_builder_new(7000);
    char *val = calloc(1, big);
    uint8_t *plain, *z;
    fixture f;

    cr_assert(b && val);
    cr_assert_eq(rec_builder_add(b, 7000, SL_BYTES_NULL, sl_bytes_make(val, big), NULL, 0),
                 SL_OK);
    cr_assert_eq(rec_builder_add(b, 7001, SL_BYTES_NULL, sl_bytes_str("small"), NULL, 0), SL_OK);
    free(val);
    plain = rec_builder_finish(b, &plen);
    rec_builder_free(b);
    cr_assert_eq(codec_batch_compress(plain, plen, CODEC_ZSTD, 0, &z, &len), SL_OK);
    free(plain);
    fx_init(&f, st_small_config(1 << 20, 256));
    plain = st_zbatch(CODEC_ZSTD, 10, 6000, false, &plen); /* 0-9 */
    append_batch(&f, plain, plen);
    append_batch(&f, z, len); /* 10-11 */
    want_time(&f, 6004, 4, 6004, "a small batch is exact");
    want_time(&f, 7001, 10, 7001, "too big to look inside: the batch's base offset");
    fx_fini(&f);
}

Test(read, never_crosses_a_segment)
{
    fixture f;
    plog_slice s;
    size_t len = 0;
    uint8_t *b;

    fx_init(&f, st_small_config(400, 64));
    for (int i = 0; i < 6; i++) /* ~157-byte batches of 2: segments 0, 4, 8 */
        append_n(&f, 2, 1000, 40, i == 0 ? &b : NULL, &len);
    cr_assert_eq(plog_read(f.log, 0, 1 << 20, &s), SL_OK);
    cr_assert_eq(s.pos, 0);
    cr_assert_eq(s.len, (int64_t)len * 2, "segment 0 only");
    close(s.fd);
    cr_assert_eq(plog_read(f.log, 4, 1 << 20, &s), SL_OK);
    cr_assert_eq(s.pos, 0, "offset 4 starts segment 4");
    cr_assert_eq(s.len, (int64_t)len * 2);
    close(s.fd);
    cr_assert_eq(plog_read(f.log, 11, 1 << 20, &s), SL_OK);
    cr_assert_eq(s.pos, (int64_t)len);
    cr_assert_eq(s.len, (int64_t)len);
    close(s.fd);
    free(b);
    fx_fini(&f);
}

/* Offsets with gaps (as a compacted Kafka log has): an offset past a
 * segment's last batch but below the next segment's base is served from
 * the next segment. */
Test(read, offset_in_a_gap_moves_to_the_next_segment)
{
    fixture f;
    uint8_t *b[4];
    size_t len[4];
    int64_t bases[4] = { 0, 2, 10, 12 };
    char *p;
    plog_slice s;
    int64_t off, ts;
    int fd;

    memset(&f, 0, sizeof f);
    f.dir = st_tmpdir();
    f.io = sl_io_sync_new();
    f.cfg = st_small_config(1 << 20, 64);
    cr_assert_eq(plog_env_new(&f.env, f.io), SL_OK);
    for (int i = 0; i < 4; i++) {
        b[i] = st_batch(2, 1000 * (i + 1), 10, i, &len[i]);
        rec_batch_set_base_offset(b[i], bases[i]); /* not under the CRC */
    }
    p = seg_path(f.dir, 0, ".log");
    fd = open(p, O_WRONLY | O_CREAT, 0644);
    cr_assert_eq(write(fd, b[0], len[0]), (ssize_t)len[0]);
    cr_assert_eq(write(fd, b[1], len[1]), (ssize_t)len[1]);
    close(fd);
    free(p);
    p = seg_path(f.dir, 10, ".log");
    fd = open(p, O_WRONLY | O_CREAT, 0644);
    cr_assert_eq(write(fd, b[2], len[2]), (ssize_t)len[2]);
    cr_assert_eq(write(fd, b[3], len[3]), (ssize_t)len[3]);
    close(fd);
    free(p);
    fx_open(&f);
    cr_assert_eq(plog_end_offset(f.log), 14);
    cr_assert_eq(plog_read(f.log, 5, 1 << 20, &s), SL_OK);
    cr_assert_eq(s.pos, 0);
    cr_assert_eq(s.len, (int64_t)(len[2] + len[3]), "segment 10, from its start");
    close(s.fd);
    cr_assert_eq(plog_read(f.log, 3, 1 << 20, &s), SL_OK);
    cr_assert_eq(s.pos, (int64_t)len[0]);
    cr_assert_eq(s.len, (int64_t)len[1]);
    close(s.fd);
    cr_assert_eq(plog_offset_for_time(f.log, 2500, &off, &ts), SL_OK);
    cr_assert_eq(off, 10);
    cr_assert_eq(ts, 3000);
    fx_fini(&f);
    for (int i = 0; i < 4; i++)
        free(b[i]);
}

/* ListOffsets in two steps: begin gives the batch answer and a probe for a
 * batch whose records must be read; the probe runs on another thread (as
 * on the broker's pool) with its own fd, even after the log is closed. */
typedef struct probe_arg {
    plog_time_probe p;
    int64_t res[2];
} probe_arg;

static void *probe_thread(void *arg)
{
    probe_arg *a = arg;

    plog_time_probe_run(&a->p, &a->res[0], &a->res[1]);
    return NULL;
}

Test(read, offset_for_time_in_two_steps)
{
    probe_arg pr;
    fixture f;
    size_t len;
    uint8_t *b;
    int64_t off, ts;
    pthread_t th;

    fx_init(&f, st_small_config(1 << 20, 256));
    b = st_batch(4, 1000, 20, 1, &len); /* 0-3 */
    append_batch(&f, b, len);
    b = st_zbatch(CODEC_ZSTD, 50, 2000, false, &len); /* 4-53 */
    append_batch(&f, b, len);

    /* A plain batch: read, but nothing to decompress. */
    cr_assert_eq(plog_offset_for_time_begin(f.log, 1002, &off, &ts, &pr.p), SL_OK);
    cr_assert_eq(off, 0);
    cr_assert_geq(pr.p.fd, 0);
    cr_assert_not(pr.p.heavy);
    plog_time_probe_run(&pr.p, &off, &ts);
    cr_assert_eq(off, 2);
    cr_assert_eq(ts, 1002);
    cr_assert_eq(pr.p.fd, -1);

    /* A compressed batch: heavy; run elsewhere, after the log is gone. */
    cr_assert_eq(plog_offset_for_time_begin(f.log, 2025, &off, &ts, &pr.p), SL_OK);
    cr_assert_eq(off, 4, "the batch answer first");
    cr_assert_eq(ts, 2049);
    cr_assert(pr.p.heavy);
    fx_reopen(&f);
    cr_assert_eq(pthread_create(&th, NULL, probe_thread, &pr), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    cr_assert_eq(pr.res[0], 29);
    cr_assert_eq(pr.res[1], 2025);

    /* Past the end: no probe. */
    cr_assert_eq(plog_offset_for_time_begin(f.log, 9000, &off, &ts, &pr.p), SL_OK);
    cr_assert_eq(off, -1);
    cr_assert_eq(pr.p.fd, -1);
    fx_fini(&f);
}

/* Residency: a range dropped from the page cache is reported as not
 * cached, and storage_range_load brings it back. */
Test(read, range_cached_and_load)
{
    char *dir = st_tmpdir(), *path = st_path(dir, "cold");
    size_t len = 4 << 20;
    uint8_t *buf = malloc(len);
    int fd = open(path, O_RDWR | O_CREAT, 0644);

    cr_assert(fd >= 0 && buf);
    memset(buf, 0x5A, len);
    cr_assert_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
    cr_assert_eq(fsync(fd), 0);
    cr_assert(storage_range_cached(fd, 0, (int64_t)len), "just written");
    cr_assert(storage_range_cached(fd, 0, 0), "an empty range is always there");
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (storage_range_cached(fd, 1 << 20, 4096)) {
        free(buf);
        close(fd);
        st_rmdir(dir);
        free(path);
        cr_skip_test("the page cache keeps this file (tmpfs?)");
    }
    cr_assert_not(storage_range_cached(fd, 0, (int64_t)len));
    cr_assert_eq(storage_mincore_cached(fd, 4096, 8192), 0, "the fallback agrees");
    cr_assert_eq(storage_mincore_cached(fd, 0, (int64_t)len), 0, "a whole warm-up range");
    cr_assert_eq(storage_range_load(fd, 4096, 2 << 20), SL_OK);
    cr_assert(storage_range_cached(fd, 4096, 2 << 20), "loaded");
    cr_assert_eq(storage_mincore_cached(fd, 4096 + 100, 512 * 1024), 1);
    /* Past the end of the file: loads what there is, no error. */
    cr_assert_eq(storage_range_load(fd, (int64_t)len - 100, 1 << 20), SL_OK);
    free(buf);
    close(fd);
    st_rmdir(dir);
    free(path);
}
