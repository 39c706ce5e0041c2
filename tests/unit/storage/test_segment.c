/* test_segment.c - storage/segment.c: file names, the sparse index (note,
 * lookup, trim, load), batch header decoding. */
#include "storage/storage_int.h"
#include "storage_test.h"

Test(segment, names)
{
    char *p = seg_path("/d", 42, ".log");
    int64_t base;

    cr_assert_str_eq(p, "/d/00000000000000000042.log");
    free(p);
    cr_assert(seg_parse_name("00000000000000000042.log", &base));
    cr_assert_eq(base, 42);
    cr_assert(seg_parse_name("09223372036854775807.log", &base));
    cr_assert_eq(base, INT64_MAX);
    cr_assert_not(seg_parse_name("09223372036854775808.log", &base), "overflow");
    cr_assert_not(seg_parse_name("0000000000000000042.log", &base), "19 digits");
    cr_assert_not(seg_parse_name("00000000000000000042.index", &base));
    cr_assert_not(seg_parse_name("0000000000000000004x.log", &base));
    cr_assert_not(seg_parse_name("00000000000000000042.log.deleted", &base));
}

typedef struct segfx {
    char *dir;
    sl_io *io;
    seg *s;
} segfx;

static void sfx_open(segfx *f, int64_t base, bool create)
{
    char err[256] = "";

    cr_assert_eq(seg_open(&f->s, f->io, f->dir, base, create, err, sizeof err), SL_OK, "%s", err);
}

Test(segment, open_missing_without_create)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };
    char err[256] = "";

    cr_assert_eq(seg_open(&f.s, f.io, f.dir, 5, false, err, sizeof err), SL_E_NOTFOUND);
    cr_assert_neq(err[0], '\0');
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

/* Index entries every `interval` bytes, Kafka's rule: the first batch of a
 * segment never gets one; a batch gets one once more than `interval` bytes
 * were appended since the previous entry. */
Test(segment, index_note_and_lookup)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };

    sfx_open(&f, 1000, true);
    cr_assert_eq(seg_index_open_rw(f.s, f.io, 8 * 4), SL_OK);
    /* Batches of 100 bytes and 10 offsets: offsets 1000.., positions 0.. */
    for (int i = 0; i < 6; i++)
        seg_index_note(f.s, f.io, 1000 + i * 10 + 9, -1, i * 100, 100, 150);
    /* Entries after 200 bytes: batches 2 (pos 200, last 1029) and 4. */
    cr_assert_eq(f.s->idx_n, 2);
    cr_assert_eq(seg_index_lookup(f.s, 1000), 0);
    cr_assert_eq(seg_index_lookup(f.s, 1028), 0, "before the first entry's last offset");
    cr_assert_eq(seg_index_lookup(f.s, 1029), 200);
    cr_assert_eq(seg_index_lookup(f.s, 1035), 200);
    cr_assert_eq(seg_index_lookup(f.s, 1049), 400);
    cr_assert_eq(seg_index_lookup(f.s, 999999), 400);
    cr_assert_eq(seg_index_lookup(f.s, 5), 0, "below the base");
    cr_assert_eq(seg_index_floor_pos(f.s, 199), 0);
    cr_assert_eq(seg_index_floor_pos(f.s, 200), 200);
    cr_assert_eq(seg_index_floor_pos(f.s, 399), 200);
    cr_assert_eq(seg_index_floor_pos(f.s, 10000), 400);
    cr_assert_not(seg_index_full(f.s));
    for (int i = 6; i < 20; i++)
        seg_index_note(f.s, f.io, 1000 + i * 10 + 9, -1, i * 100, 100, 150);
    cr_assert_eq(f.s->idx_n, 4, "capacity 4 entries");
    cr_assert(seg_index_full(f.s));
    seg_close(f.s, f.io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

Test(segment, trim_then_load)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };
    char *idx;
    uint8_t data[1000] = { 0 };

    sfx_open(&f, 0, true);
    cr_assert_eq(seg_index_open_rw(f.s, f.io, 4096), SL_OK);
    idx = strdup(f.s->idx_path);
    cr_assert_eq(st_file_size(idx), 4096, "preallocated");
    for (int i = 0; i < 10; i++)
        seg_index_note(f.s, f.io, i, -1, i * 100, 100, 50);
    cr_assert_eq(f.s->idx_n, 9);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->log_fd, data, sizeof data, 0), SL_OK);
    seg_close(f.s, f.io);
    cr_assert_eq(st_file_size(idx), 9 * 8, "trimmed at close");

    sfx_open(&f, 0, false);
    cr_assert_eq(f.s->size, 1000);
    f.s->end_offset = 10; /* recovery knows it from the next segment */
    cr_assert_eq(seg_index_load(f.s), SL_OK);
    cr_assert_eq(f.s->idx_n, 9);
    cr_assert_eq(seg_index_lookup(f.s, 5), 500);
    seg_close(f.s, f.io);
    cr_assert_eq(st_file_size(idx), 9 * 8, "a read-only index is left alone");

    /* A .log shorter than the index says: the index is refused. */
    sfx_open(&f, 0, false);
    cr_assert_eq(f.io->ops->truncate(f.io, f.s->log_fd, 450), SL_OK);
    f.s->size = 450;
    f.s->end_offset = 10;
    cr_assert_eq(seg_index_load(f.s), SL_E_MALFORMED);
    cr_assert_eq(f.s->idx_n, 0);
    cr_assert_eq(seg_index_lookup(f.s, 5), 0, "no index: scan from the start");
    seg_close(f.s, f.io);
    free(idx);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

Test(segment, load_rejects_unordered_entries)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };
    uint8_t ent[24], data[1000] = { 0 };

    sfx_open(&f, 0, true);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->log_fd, data, sizeof data, 0), SL_OK);
    f.s->size = 1000;
    f.s->end_offset = 100;
    sl_put_be32(ent, 5);
    sl_put_be32(ent + 4, 100);
    sl_put_be32(ent + 8, 9);
    sl_put_be32(ent + 12, 200);
    sl_put_be32(ent + 16, 9); /* offset not increasing */
    sl_put_be32(ent + 20, 300);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->idx_fd, ent, 16, 0), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_OK);
    cr_assert_eq(f.s->idx_n, 2);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->idx_fd, ent, 24, 0), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_E_MALFORMED);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->idx_fd, ent, 20, 0), SL_OK);
    cr_assert_eq(f.io->ops->truncate(f.io, f.s->idx_fd, 20), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_E_MALFORMED, "not a multiple of 8");
    seg_close(f.s, f.io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

Test(segment, header_decode)
{
    size_t len;
    uint8_t *b = st_batch(3, 77, 5, 1, &len);
    rec_batch h;

    cr_assert_eq(seg_hdr_decode(b, &h), SL_OK);
    cr_assert_eq((size_t)h.batch_length + REC_LOG_OVERHEAD, len);
    cr_assert_eq(h.last_offset_delta, 2);
    cr_assert_eq(h.base_timestamp, 77);
    cr_assert_eq(h.max_timestamp, 79);
    b[16] = 1;
    cr_assert_eq(seg_hdr_decode(b, &h), SL_KE_CORRUPT_MESSAGE, "magic 1");
    b[16] = 2;
    sl_put_be32(b + 8, 48);
    cr_assert_eq(seg_hdr_decode(b, &h), SL_KE_CORRUPT_MESSAGE, "length below a header");
    free(b);
}

Test(segment, read_hdr_bounds)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };
    size_t len;
    uint8_t *b = st_batch(2, 1, 10, 1, &len);
    rec_batch h;

    sfx_open(&f, 0, true);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->log_fd, b, len, 0), SL_OK);
    cr_assert_eq(seg_read_hdr(f.s, f.io, 0, (int64_t)len, &h), SL_OK);
    cr_assert_eq(seg_read_hdr(f.s, f.io, 0, (int64_t)len - 1, &h), SL_E_SHORT, "batch past limit");
    cr_assert_eq(seg_read_hdr(f.s, f.io, 0, 60, &h), SL_E_SHORT, "header past limit");
    seg_close(f.s, f.io);
    free(b);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

/* --- time index ------------------------------------------------------------ */

/* Kafka's TimeIndex rule: with an offset index entry, a time entry for the
 * largest timestamp so far (and the last offset of the batch that first
 * reached it), only if it grew; the final entry at trim. */
Test(segment, time_index_note_lookup_and_trim)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };
    /* (last offset, max timestamp) of 100-byte batches from offset 100 */
    static const int64_t ts[] = { 50, 40, 70, 70, 60, 90, 80, 85 };
    uint8_t data[800] = { 0 };

    sfx_open(&f, 100, true);
    cr_assert_eq(seg_index_open_rw(f.s, f.io, 12 * 10), SL_OK);
    cr_assert_eq(f.s->tix_cap, 10);
    for (int i = 0; i < 8; i++)
        seg_index_note(f.s, f.io, 100 + i * 2 + 1, ts[i], i * 100, 100, 150);
    /* Offset entries at batches 2, 4, 6 (after > 150 bytes). */
    cr_assert_eq(f.s->idx_n, 3);
    cr_assert_eq(f.s->max_ts, 90);
    cr_assert_eq(f.s->max_ts_offset, 111, "batch 5 (offsets 110-111) first reached 90");
    /* Time entries: at batch 2 (max 70, first reached by batch 2, last
     * offset 105), at batch 4 (still 70: none), at batch 6 (90, 111). */
    cr_assert_eq(f.s->tix_n, 2);
    cr_assert_eq(seg_time_lookup(f.s, 10), 100, "before every entry: the base");
    cr_assert_eq(seg_time_lookup(f.s, 70), 105);
    cr_assert_eq(seg_time_lookup(f.s, 89), 105);
    cr_assert_eq(seg_time_lookup(f.s, 90), 111);
    cr_assert_eq(seg_time_lookup(f.s, 1000), 111);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->log_fd, data, sizeof data, 0), SL_OK);
    seg_close(f.s, f.io); /* trims: no final entry, 90 is there already */
    sfx_open(&f, 100, false);
    f.s->end_offset = 116;
    cr_assert_eq(seg_index_load(f.s), SL_OK);
    cr_assert_eq(f.s->tix_n, 2);
    cr_assert_eq(f.s->max_ts, 90, "the segment's max timestamp without a scan");
    cr_assert_eq(f.s->max_ts_offset, 111);
    cr_assert_eq(seg_time_lookup(f.s, 75), 105);
    seg_close(f.s, f.io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

Test(segment, time_index_final_entry_at_trim)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };

    sfx_open(&f, 0, true);
    cr_assert_eq(seg_index_open_rw(f.s, f.io, 4096), SL_OK);
    seg_index_note(f.s, f.io, 0, 500, 0, 100, 4096);
    seg_index_note(f.s, f.io, 1, 700, 100, 100, 4096);
    cr_assert_eq(f.s->tix_n, 0, "no offset entry yet, so no time entry");
    cr_assert_eq(seg_index_trim(f.s, f.io), SL_OK);
    cr_assert_eq(f.s->tix_n, 1, "the final entry carries the max");
    cr_assert_eq(st_file_size(f.s->tix_path), 12);
    cr_assert_eq(seg_time_lookup(f.s, 700), 1);
    cr_assert_eq(seg_time_lookup(f.s, 699), 0);
    seg_close(f.s, f.io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

/* The time index fills first (12-byte entries) and keeps a slot for the
 * final entry; a batch without a timestamp (-1) never gets one. */
Test(segment, time_index_full_keeps_the_final_slot)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };

    sfx_open(&f, 0, true);
    cr_assert_eq(seg_index_open_rw(f.s, f.io, 36), SL_OK); /* 4 offset, 3 time */
    for (int i = 0; i < 3; i++)
        seg_index_note(f.s, f.io, i, -1, i * 10, 10, 0);
    cr_assert_eq(f.s->tix_n, 0, "no timestamps: no entries");
    cr_assert_eq(f.s->max_ts, -1);
    cr_assert_not(seg_index_full(f.s));
    seg_index_note(f.s, f.io, 3, 100, 30, 10, 0);
    cr_assert_eq(f.s->tix_n, 1);
    cr_assert_not(seg_index_full(f.s));
    seg_index_note(f.s, f.io, 4, 200, 40, 10, 0);
    cr_assert_eq(f.s->tix_n, 2);
    cr_assert(seg_index_full(f.s), "one slot left: kept for the final entry");
    cr_assert_eq(seg_index_trim(f.s, f.io), SL_OK);
    cr_assert_eq(f.s->tix_n, 2, "200 is already the last entry");
    seg_close(f.s, f.io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

Test(segment, time_index_load_rejects_bad_entries)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };
    uint8_t ent[36], data[1000] = { 0 };

    sfx_open(&f, 0, true);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->log_fd, data, sizeof data, 0), SL_OK);
    f.s->size = 1000;
    f.s->end_offset = 50;
    sl_put_be64(ent, 100);
    sl_put_be32(ent + 8, 3);
    sl_put_be64(ent + 12, 200);
    sl_put_be32(ent + 20, 7);
    sl_put_be64(ent + 24, 200); /* timestamp not increasing */
    sl_put_be32(ent + 32, 9);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->tix_fd, ent, 24, 0), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_OK);
    cr_assert_eq(f.s->max_ts, 200);
    cr_assert_eq(f.s->max_ts_offset, 7);
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->tix_fd, ent, 36, 0), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_E_MALFORMED);
    cr_assert_eq(f.s->max_ts, -1, "nothing trusted from a refused index");
    sl_put_be64(ent + 24, 300);
    sl_put_be32(ent + 32, 50); /* offset past the segment's end */
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->tix_fd, ent, 36, 0), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_E_MALFORMED);
    sl_put_be32(ent + 32, 5); /* offset going back */
    cr_assert_eq(f.io->ops->pwrite_sync(f.io, f.s->tix_fd, ent, 36, 0), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_E_MALFORMED);
    cr_assert_eq(f.io->ops->truncate(f.io, f.s->tix_fd, 30), SL_OK);
    cr_assert_eq(seg_index_load(f.s), SL_E_MALFORMED, "not a multiple of 12");
    seg_close(f.s, f.io);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}

Test(segment, open_reports_missing_indexes)
{
    segfx f = { st_tmpdir(), sl_io_sync_new(), NULL };
    char *tix;

    sfx_open(&f, 0, true);
    cr_assert(f.s->idx_missing, "new files");
    tix = strdup(f.s->tix_path);
    seg_close(f.s, f.io);
    sfx_open(&f, 0, false);
    cr_assert_not(f.s->idx_missing);
    seg_close(f.s, f.io);
    cr_assert_eq(unlink(tix), 0);
    sfx_open(&f, 0, false);
    cr_assert(f.s->idx_missing, "the time index was gone");
    cr_assert(st_exists(tix), "and is created empty");
    seg_close(f.s, f.io);
    free(tix);
    sl_io_free(f.io);
    st_rmdir(f.dir);
}
