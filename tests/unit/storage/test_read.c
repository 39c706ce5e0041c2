/* test_read.c - storage/read.c: fetch slices (whole batches, max_bytes,
 * the high watermark, segment boundaries) and offsets for timestamps. */
#include "protocol/crc32c.h"
#include "storage/storage_int.h"
#include "storage_test.h"

Test(read, max_bytes_takes_whole_batches)
{
    fixture f;
    size_t len;
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

/* Set the codec bits (pretend compressed) and fix the CRC. */
static void mark_compressed(uint8_t *b, size_t len)
{
    sl_put_be16(b + 21, (uint16_t)(sl_be16(b + 21) | 1));
    sl_put_be32(b + 17, crc32c(0, b + 21, len - 21));
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
    cr_assert_eq(off, 20, "compressed: the batch's base offset");
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


Test(read, never_crosses_a_segment)
{
    fixture f;
    plog_slice s;
    size_t len;
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
