/*
 * segment.c - one segment: <base>.log, its sparse <base>.index and its
 * <base>.timeindex.
 *
 * The .log holds whole RecordBatch v2 batches back to back, offsets
 * assigned.  The .index holds 8-byte big-endian entries (last offset of a
 * batch minus the segment base, byte position of that batch), one every
 * index_interval bytes, increasing in both fields: Kafka's OffsetIndex.
 * A lookup for offset o takes the last entry whose offset is <= o; the
 * batch there ends at or before o, so a forward scan from it meets the
 * batch that holds o.
 *
 * The .timeindex holds 12-byte big-endian entries (timestamp, offset minus
 * the base): Kafka's TimeIndex.  The segment tracks the largest batch max
 * timestamp so far and the last offset of the first batch that reached it;
 * whenever an offset index entry is added, a time entry for that pair is
 * added too if its timestamp is larger than the last entry's (so entries
 * are strictly increasing in time, non-decreasing in offset).  At roll and
 * clean close a final entry is added the same way, so the last entry is
 * the segment's max timestamp (what retention.ms compares) and start-up
 * needs no scan to know it.  A lookup for ts takes the last entry whose
 * timestamp is <= ts: every batch before that entry's batch has a smaller
 * max timestamp, so a forward scan from it meets the first batch whose max
 * timestamp is >= ts.
 *
 * The active segment maps both indexes preallocated to index_max_bytes (as
 * Kafka does) and shrinks them to the used entries at roll and clean
 * close.  The preallocated files are sparse: a store through the map into
 * a page the filesystem cannot back (a full disk, a quota) is a SIGBUS
 * that kills the broker.  So no entry is stored before the blocks under it
 * were allocated (sl_io reserve, SEG_RESERVE_BYTES at a time: reserving
 * the whole index at once could itself fill a small disk); when that
 * fails the entry is left out, which only makes lookups scan further.
 * The time index's final entry must not be left out (the next open takes
 * the segment's max timestamp from it): the slot after the last entry is
 * kept allocated, from seg_index_open_rw on, where the disk allows.  A
 * time index that misses its final entry all the same is left untrimmed
 * (a hole, or zeros, after its entries), which the next open refuses and
 * rebuilds.  After a crash a mapped file may hold zeros or entries past the
 * data: seg_index_load refuses an index unless every entry is ordered and
 * points inside the .log; recovery rebuilds the indexes of every scanned
 * segment anyway.
 */
#include "storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/log.h"

/* Index space allocated per step: 2048 offset entries cover about 8 MiB
 * of log at the default index.interval.bytes. */
#define SEG_RESERVE_BYTES (16 * 1024)

char *seg_path(const char *dir, int64_t base, const char *ext)
{
    size_t n = strlen(dir) + 1 + SEG_NAME_DIGITS + strlen(ext) + 1;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/%020" PRId64 "%s", dir, base, ext);
    return p;
}

bool seg_parse_name(const char *name, int64_t *base)
{
    int64_t v = 0;

    if (strlen(name) != SEG_NAME_DIGITS + 4 || strcmp(name + SEG_NAME_DIGITS, ".log") != 0)
        return false;
    for (int i = 0; i < SEG_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        if (v > (INT64_MAX - (name[i] - '0')) / 10)
            return false;
        v = v * 10 + (name[i] - '0');
    }
    *base = v;
    return true;
}

static int64_t fd_size(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return sl_err_from_errno(-errno);
    return (int64_t)st.st_size;
}

/* Open an index file, creating it if missing (and saying so). */
static int open_index(sl_io *io, const char *path, bool *missing)
{
    int fd = io->ops->open(io, path, O_RDWR, 0644);

    if (fd == SL_E_NOTFOUND) {
        *missing = true;
        fd = io->ops->open(io, path, O_RDWR | O_CREAT, 0644);
    }
    return fd;
}

sl_err seg_open(seg **out, sl_io *io, const char *dir, int64_t base, bool create,
                char *errstr, size_t errstr_size)
{
    seg *s = calloc(1, sizeof *s);
    int flags = O_RDWR | (create ? O_CREAT : 0);
    int64_t size;

    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    s->base = s->end_offset = s->synced = base;
    s->log_fd = s->idx_fd = s->tix_fd = -1;
    s->max_ts = SEG_NO_TIMESTAMP;
    s->max_ts_offset = base;
    s->first_append_ms = -1;
    s->log_path = seg_path(dir, base, ".log");
    s->idx_path = seg_path(dir, base, ".index");
    s->tix_path = seg_path(dir, base, ".timeindex");
    if (!s->log_path || !s->idx_path || !s->tix_path) {
        seg_close(s, io);
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    s->log_fd = io->ops->open(io, s->log_path, flags, 0644);
    size = s->log_fd;
    if (size >= 0) {
        s->idx_fd = open_index(io, s->idx_path, &s->idx_missing);
        size = s->idx_fd;
    }
    if (size >= 0) {
        s->tix_fd = open_index(io, s->tix_path, &s->idx_missing);
        size = s->tix_fd < 0 ? s->tix_fd : fd_size(s->log_fd);
    }
    if (size < 0) {
        snprintf(errstr, errstr_size, "open %s: %s", s->log_path, sl_err_str((sl_err)size));
        seg_close(s, io);
        return (sl_err)size;
    }
    s->size = s->written = size;
    *out = s;
    return SL_OK;
}

static void idx_unmap(seg *s)
{
    if (s->idx && s->idx_cap)
        munmap(s->idx, s->idx_cap * SEG_INDEX_ENTRY);
    if (s->tix && s->tix_cap)
        munmap(s->tix, s->tix_cap * SEG_TIME_ENTRY);
    s->idx = s->tix = NULL;
    s->idx_cap = s->tix_cap = 0;
    s->idx_rw = false;
}

void seg_close(seg *s, sl_io *io)
{
    if (!s)
        return;
    if (s->idx_rw && s->idx_fd >= 0 && s->tix_fd >= 0)
        seg_index_trim(s, io);
    idx_unmap(s);
    if (s->log_fd >= 0)
        io->ops->close(io, s->log_fd);
    if (s->idx_fd >= 0)
        io->ops->close(io, s->idx_fd);
    if (s->tix_fd >= 0)
        io->ops->close(io, s->tix_fd);
    free(s->log_path);
    free(s->idx_path);
    free(s->tix_path);
    free(s);
}

void seg_delete(seg *s, sl_io *io)
{
    if (!s)
        return;
    /* Closed first: a trimmed index of a deleted segment is no use. */
    idx_unmap(s);
    if (s->log_path)
        io->ops->unlink(io, s->log_path);
    if (s->idx_path)
        io->ops->unlink(io, s->idx_path);
    if (s->tix_path)
        io->ops->unlink(io, s->tix_path);
    seg_close(s, io);
}

static bool reserve_entries(sl_io *io, int fd, size_t esize, size_t cap, size_t *resv,
                            size_t want, const char *path);

/* Preallocate (sparse: pages appear as entries are written) and map. */
static sl_err map_rw(sl_io *io, int fd, size_t bytes, uint8_t **out)
{
    int r = io->ops->truncate(io, fd, 0);
    void *p;

    if (r == SL_OK)
        r = io->ops->truncate(io, fd, (off_t)bytes);
    if (r != SL_OK)
        return (sl_err)r;
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return sl_err_from_errno(-errno);
    *out = p;
    return SL_OK;
}

sl_err seg_index_open_rw(seg *s, sl_io *io, int32_t max_bytes)
{
    size_t cap = (size_t)max_bytes / SEG_INDEX_ENTRY, tcap = (size_t)max_bytes / SEG_TIME_ENTRY;
    sl_err e;

    idx_unmap(s);
    s->idx_n = s->tix_n = 0;
    s->idx_resv = s->tix_resv = 0;
    s->since_index = 0;
    if (tcap < 2)
        return SL_E_INVAL;
    e = map_rw(io, s->idx_fd, cap * SEG_INDEX_ENTRY, &s->idx);
    if (e != SL_OK)
        return e;
    s->idx_cap = cap;
    e = map_rw(io, s->tix_fd, tcap * SEG_TIME_ENTRY, &s->tix);
    if (e != SL_OK) {
        idx_unmap(s);
        return e;
    }
    s->tix_cap = tcap;
    /* The slot of the final time entry (seg_index_trim), if there is room. */
    reserve_entries(io, s->tix_fd, SEG_TIME_ENTRY, tcap, &s->tix_resv, 1, s->tix_path);
    s->idx_rw = true;
    return SL_OK;
}

static uint32_t ent_off(const seg *s, size_t i)
{
    return sl_be32(s->idx + i * SEG_INDEX_ENTRY);
}

static uint32_t ent_pos(const seg *s, size_t i)
{
    return sl_be32(s->idx + i * SEG_INDEX_ENTRY + 4);
}

static int64_t tent_ts(const seg *s, size_t i)
{
    return (int64_t)sl_be64(s->tix + i * SEG_TIME_ENTRY);
}

static uint32_t tent_off(const seg *s, size_t i)
{
    return sl_be32(s->tix + i * SEG_TIME_ENTRY + 8);
}

/* Map a trimmed index file read-only: *n entries of `esize`, or 0. */
static sl_err map_ro(int fd, size_t esize, uint8_t **out, size_t *n)
{
    int64_t bytes = fd_size(fd);
    off_t hole;
    void *p;

    *out = NULL;
    *n = 0;
    if (bytes < 0)
        return (sl_err)bytes;
    if ((size_t)bytes % esize)
        return SL_E_MALFORMED;
    if (bytes == 0) /* empty is always correct: lookups scan from 0 */
        return SL_OK;
    /* A hole means an index never trimmed (or its data lost); reading it
     * through a map can fault on a full tmpfs, so it is rebuilt instead. */
    hole = lseek(fd, 0, SEEK_HOLE);
    if (hole >= 0 && hole < bytes)
        return SL_E_MALFORMED;
    p = mmap(NULL, (size_t)bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return sl_err_from_errno(-errno);
    *out = p;
    *n = (size_t)bytes / esize;
    return SL_OK;
}

sl_err seg_index_load(seg *s)
{
    size_t n, tn;
    sl_err e;

    idx_unmap(s);
    s->idx_n = s->tix_n = 0;
    s->max_ts = SEG_NO_TIMESTAMP;
    s->max_ts_offset = s->base;
    e = map_ro(s->idx_fd, SEG_INDEX_ENTRY, &s->idx, &n);
    if (e != SL_OK)
        return e;
    s->idx_cap = n;
    e = map_ro(s->tix_fd, SEG_TIME_ENTRY, &s->tix, &tn);
    if (e != SL_OK) {
        idx_unmap(s);
        return e;
    }
    s->tix_cap = tn;
    /* Every entry must be increasing and point inside the .log: anything
     * else is an index that was not trimmed or not synced. */
    for (size_t i = 0; i < n; i++) {
        if (ent_pos(s, i) == 0 || (int64_t)ent_pos(s, i) >= s->size ||
            s->base + (int64_t)ent_off(s, i) >= s->end_offset ||
            (i > 0 && (ent_off(s, i) <= ent_off(s, i - 1) || ent_pos(s, i) <= ent_pos(s, i - 1)))) {
            idx_unmap(s);
            return SL_E_MALFORMED;
        }
    }
    for (size_t i = 0; i < tn; i++) {
        if (tent_ts(s, i) < 0 || s->base + (int64_t)tent_off(s, i) >= s->end_offset ||
            (i > 0 && (tent_ts(s, i) <= tent_ts(s, i - 1) ||
                       tent_off(s, i) < tent_off(s, i - 1)))) {
            idx_unmap(s);
            return SL_E_MALFORMED;
        }
    }
    s->idx_n = n;
    s->tix_n = tn;
    if (tn > 0) {
        s->max_ts = tent_ts(s, tn - 1);
        s->max_ts_offset = s->base + tent_off(s, tn - 1);
    }
    return SL_OK;
}

/* Make sure the blocks under entries [0, want) of one writable index are
 * allocated (*resv entries are), a step at a time; false if they cannot
 * be (logged, rate-limited). */
static bool reserve_entries(sl_io *io, int fd, size_t esize, size_t cap, size_t *resv,
                            size_t want, const char *path)
{
    size_t to = *resv + SEG_RESERVE_BYTES / esize;
    int r;

    if (want <= *resv)
        return true;
    if (want > cap)
        return false;
    if (to < want)
        to = want;
    if (to > cap)
        to = cap;
    r = io->ops->reserve(io, fd, (off_t)(*resv * esize), (off_t)((to - *resv) * esize));
    if (r != SL_OK) {
        sl_warn_rl("storage", "%s: no space for index entries (%s): left out, lookups scan",
                   path, sl_err_str((sl_err)r));
        return false;
    }
    *resv = to;
    return true;
}

/* An entry for max_ts if it grew.  Not the final one: the slot after it
 * must be allocated too (it is for the final one). */
static void time_entry_add(seg *s, sl_io *io, bool final)
{
    uint8_t *e;

    if (s->max_ts <= SEG_NO_TIMESTAMP || s->tix_n >= s->tix_cap ||
        (s->tix_n > 0 && s->max_ts <= tent_ts(s, s->tix_n - 1)) ||
        !reserve_entries(io, s->tix_fd, SEG_TIME_ENTRY, s->tix_cap, &s->tix_resv,
                         s->tix_n + (final ? 1 : 2), s->tix_path))
        return;
    e = s->tix + s->tix_n * SEG_TIME_ENTRY;
    sl_put_be64(e, (uint64_t)s->max_ts);
    sl_put_be32(e + 8, (uint32_t)(s->max_ts_offset - s->base));
    s->tix_n++;
}

/* Shrink an index file to its n entries (unless `keep`: left at its
 * preallocated size) and map them read-only. */
static sl_err trim_one(sl_io *io, int fd, size_t n, size_t esize, bool keep, uint8_t **map,
                       size_t *cap)
{
    int r = keep ? SL_OK : io->ops->truncate(io, fd, (off_t)(n * esize));

    if (r != SL_OK)
        return (sl_err)r;
    if (n > 0) {
        void *p = mmap(NULL, n * esize, PROT_READ, MAP_SHARED, fd, 0);

        if (p == MAP_FAILED)
            return sl_err_from_errno(-errno);
        *map = p;
        *cap = n;
    }
    return SL_OK;
}

sl_err seg_index_trim(seg *s, sl_io *io)
{
    size_t n, tn;
    sl_err e, e2;
    bool no_final = false;

    if (s->idx_rw) {
        time_entry_add(s, io, true); /* the slot kept free by seg_index_full */
        no_final = s->max_ts > SEG_NO_TIMESTAMP &&
                   (s->tix_n == 0 || tent_ts(s, s->tix_n - 1) < s->max_ts);
    }
    /* Trimmed, it would tell the next open a smaller max timestamp (time
     * lookups would skip the segment); untrimmed, it is rebuilt then.
     * This run keeps max_ts in memory. */
    if (no_final)
        sl_warn("storage", "%s: no space for the final entry: left untrimmed, rebuilt at the "
                "next open", s->tix_path);
    n = s->idx_n;
    tn = s->tix_n;
    idx_unmap(s);
    s->idx_n = s->tix_n = 0; /* until remapped: lookups scan from 0 */
    e = trim_one(io, s->idx_fd, n, SEG_INDEX_ENTRY, false, &s->idx, &s->idx_cap);
    if (e == SL_OK)
        s->idx_n = n;
    e2 = trim_one(io, s->tix_fd, tn, SEG_TIME_ENTRY, no_final, &s->tix, &s->tix_cap);
    if (e2 == SL_OK)
        s->tix_n = tn;
    return e != SL_OK ? e : e2;
}

bool seg_index_full(const seg *s)
{
    return s->idx_rw && (s->idx_n >= s->idx_cap || s->tix_n + 1 >= s->tix_cap);
}

bool seg_index_reserve(seg *s, sl_io *io, size_t n, size_t tn)
{
    return s->idx_rw &&
           reserve_entries(io, s->idx_fd, SEG_INDEX_ENTRY, s->idx_cap, &s->idx_resv, n,
                           s->idx_path) &&
           reserve_entries(io, s->tix_fd, SEG_TIME_ENTRY, s->tix_cap, &s->tix_resv, tn,
                           s->tix_path);
}

void seg_index_note(seg *s, sl_io *io, int64_t last_offset, int64_t max_ts, int64_t pos,
                    int64_t batch_size, int32_t interval)
{
    if (max_ts > s->max_ts) {
        s->max_ts = max_ts;
        s->max_ts_offset = last_offset;
    }
    if (s->idx_rw && s->since_index > interval && s->idx_n < s->idx_cap &&
        reserve_entries(io, s->idx_fd, SEG_INDEX_ENTRY, s->idx_cap, &s->idx_resv, s->idx_n + 1,
                        s->idx_path)) {
        uint8_t *e = s->idx + s->idx_n * SEG_INDEX_ENTRY;

        sl_put_be32(e, (uint32_t)(last_offset - s->base));
        sl_put_be32(e + 4, (uint32_t)pos);
        s->idx_n++;
        s->since_index = 0;
        if (s->tix_n + 1 < s->tix_cap)
            time_entry_add(s, io, false);
    }
    s->since_index += batch_size;
}

int64_t seg_index_lookup(const seg *s, int64_t offset)
{
    size_t lo = 0, hi = s->idx_n;
    int64_t rel = offset - s->base;

    if (rel < 0)
        return 0;
    /* First entry whose offset is > rel; the one before it is the answer. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if ((int64_t)ent_off(s, mid) <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : (int64_t)ent_pos(s, lo - 1);
}

int64_t seg_index_floor_pos(const seg *s, int64_t pos)
{
    size_t lo = 0, hi = s->idx_n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if ((int64_t)ent_pos(s, mid) <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : (int64_t)ent_pos(s, lo - 1);
}

int64_t seg_time_lookup(const seg *s, int64_t ts)
{
    size_t lo = 0, hi = s->tix_n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (tent_ts(s, mid) <= ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? s->base : s->base + (int64_t)tent_off(s, lo - 1);
}

int64_t seg_retention_time(const seg *s)
{
    struct stat st;

    if (s->max_ts > SEG_NO_TIMESTAMP)
        return s->max_ts;
    if (fstat(s->log_fd, &st) < 0)
        return INT64_MAX; /* unknown: never expires by time */
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

sl_err seg_hdr_decode(const uint8_t *p, rec_batch *o)
{
    o->base_offset = (int64_t)sl_be64(p);
    o->batch_length = (int32_t)sl_be32(p + 8);
    o->leader_epoch = (int32_t)sl_be32(p + 12);
    o->magic = (int8_t)p[16];
    o->crc = sl_be32(p + 17);
    o->attributes = (int16_t)sl_be16(p + 21);
    o->last_offset_delta = (int32_t)sl_be32(p + 23);
    o->base_timestamp = (int64_t)sl_be64(p + 27);
    o->max_timestamp = (int64_t)sl_be64(p + 35);
    o->producer_id = (int64_t)sl_be64(p + 43);
    o->producer_epoch = (int16_t)sl_be16(p + 51);
    o->base_sequence = (int32_t)sl_be32(p + 53);
    o->record_count = (int32_t)sl_be32(p + 57);
    if (o->batch_length < REC_HEADER_SIZE - REC_LOG_OVERHEAD || o->magic != 2 ||
        o->last_offset_delta < 0)
        return SL_KE_CORRUPT_MESSAGE;
    return SL_OK;
}

sl_err seg_read_hdr(seg *s, sl_io *io, int64_t pos, int64_t limit, rec_batch *out)
{
    uint8_t h[REC_HEADER_SIZE];
    int64_t n;
    sl_err e;

    if (limit - pos < REC_HEADER_SIZE)
        return SL_E_SHORT;
    n = io->ops->pread(io, s->log_fd, h, sizeof h, (off_t)pos);
    if (n < 0)
        return (sl_err)n;
    if (n < REC_HEADER_SIZE)
        return SL_E_SHORT;
    e = seg_hdr_decode(h, out);
    if (e != SL_OK)
        return e;
    if ((int64_t)rec_batch_size(out) > limit - pos)
        return SL_E_SHORT;
    return SL_OK;
}
